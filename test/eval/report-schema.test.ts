/** report.json schema v1: the validator accepts generated reports and names the first bad path of broken ones. */
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import { REPORT_SCHEMA_VERSION, ReportSchemaError, metricRow, validateReport } from '../../src/eval/report-schema.js';
import { PSNR_CAP_DB, capPsnr, metricNames, pckMetricName } from '../../src/metrics/definitions.js';
import { gain } from '../../src/metrics/comparison.js';
import { expectedMetricNames, makeReport, makeReportV1, makeReportV2 } from './make-report.js';
import { comparisonRecord, type ModelResult } from '../../src/eval/model-comparison.js';

/** Broken reports are made by editing the JSON of a generated one. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** A deep copy of a generated report, changed by `edit`. */
function broken(edit: (r: Json) => void, options: Parameters<typeof makeReport>[0] = {}): unknown {
  const copy = structuredClone(makeReport(options)) as Json;
  edit(copy);
  return copy;
}

function schemaError(value: unknown): ReportSchemaError {
  try {
    validateReport(value);
  } catch (error) {
    expect(error).toBeInstanceOf(ReportSchemaError);
    return error as ReportSchemaError;
  }
  throw new Error('validateReport accepted a broken report');
}

describe('validateReport', () => {
  it('accepts generated reports under both kinds of ground truth, also after a JSON round trip', () => {
    for (const groundTruth of ['fpha-skeleton', 'pseudo'] as const) {
      const report = makeReport({ groundTruth, sequences: 3, frames: 40, panelFrames: [3] });
      expect(validateReport(report)).toBe(report);
      expect(validateReport(JSON.parse(JSON.stringify(report)))).toEqual(report);
      expect(Object.keys(report.summary)).toEqual(expectedMetricNames(report));
    }
    expect(REPORT_SCHEMA_VERSION).toBe(3);
  });

  it('reads a schema-v1 report (no recovered shares) as version 3, with the shares computed from its rows and frames', () => {
    for (const groundTruth of ['fpha-skeleton', 'pseudo'] as const) {
      const v1 = makeReportV1({ groundTruth, sequences: 2, frames: 30, panelFrames: [] });
      const read = validateReport(JSON.parse(JSON.stringify(v1)));
      expect(read.schemaVersion).toBe(3);
      // What the v2 writer stores for the same data.
      const v2 = makeReport({ groundTruth, sequences: 2, frames: 30, panelFrames: [] });
      expect(read.recovered).toEqual(v2.recovered);
      expect(read.sequences.map((q) => q.recovered)).toEqual(v2.sequences.map((q) => q.recovered));
      expect(validateReport(read)).toBe(read);
    }
    // A v1 report holding a v2 key is not v1.
    const bad = JSON.parse(JSON.stringify(makeReportV1())) as Json;
    bad.recovered = {};
    expect(schemaError(bad).message).toContain('schema v1');
    expect(schemaError(bad).jsonPath).toBe('recovered');
  });

  it('reads a schema-v2 report (one model) as version 3: its model as models[0], no pairs, the common frames computed', () => {
    for (const groundTruth of ['fpha-skeleton', 'pseudo'] as const) {
      const v2 = makeReportV2({ groundTruth, sequences: 2, frames: 30, panelFrames: [] });
      const read = validateReport(JSON.parse(JSON.stringify(v2)));
      const v3 = makeReport({ groundTruth, sequences: 2, frames: 30, panelFrames: [] });
      expect(read.schemaVersion).toBe(3);
      expect(read.models).toEqual(v3.models);
      expect(read.comparison).toEqual(v3.comparison);
      expect(read.comparison.differences).toEqual([]);
      expect(validateReport(JSON.parse(JSON.stringify(read)))).toEqual(read);
    }
    // A v2 report holding a v3 key is not v2.
    const bad = JSON.parse(JSON.stringify(makeReportV2())) as Json;
    bad.models = [];
    expect(schemaError(bad).message).toContain('schema v2');
    expect(schemaError(bad).jsonPath).toBe('models');
  });

  it('schema v3: models must match the report, differences cover every pair, a computed model has sha256 null', () => {
    const report = JSON.parse(JSON.stringify(makeReport({ sequences: 2, frames: 12, panelFrames: [] }))) as Json & { models: Json[]; comparison: Json & { differences: unknown[] } };
    const second = JSON.parse(JSON.stringify(report.models[0])) as Json & { model: Json };
    second.model = { name: 'reference:wiener', preset: 'wiener', sha256: null, device: 'cpu' };
    // Two models but no difference record yet.
    const two = { ...report, models: [report.models[0], second] };
    expect(schemaError(two).jsonPath).toBe('comparison.differences');
    expect(schemaError(two).message).toContain('an array of 1 (every pair of the 2 models)');
    const first = report.models[0] as ModelResult;
    const withPair = { ...two, comparison: comparisonRecord([first, second as unknown as ModelResult], 'fpha-skeleton') };
    const read = validateReport(withPair);
    // The same frames in both: every difference is 0, nothing better or worse.
    expect(read.comparison.differences[0]!.metrics.psnr).toMatchObject({ difference: 0, interval95: [0, 0], better: 0, worse: 0 });
    expect(read.comparison.commonFrames.metrics.rmse.models[0]).toBe(read.comparison.commonFrames.metrics.rmse.models[1]);
    // The first model must be config.model; names distinct; the sequences the report's.
    expect(schemaError({ ...withPair, models: [second, first] }).jsonPath).toBe('models[0].model');
    const renamed = JSON.parse(JSON.stringify(withPair)) as { models: { model: Json; sequences: Json[] }[] };
    renamed.models[1]!.model.name = 'promotion-s';
    expect(schemaError(renamed).jsonPath).toBe('models[1].model.name');
    const fewer = JSON.parse(JSON.stringify(withPair)) as { models: { sequences: Json[] }[] };
    fewer.models[1]!.sequences.pop();
    expect(schemaError(fewer).jsonPath).toBe('models[1].sequences');
    // Only v3 allows a null sha256, and only as null.
    const badSha = JSON.parse(JSON.stringify(withPair)) as { models: { model: Json }[] };
    badSha.models[1]!.model.sha256 = 'abc';
    expect(schemaError(badSha).message).toContain('64 lowercase hex digits, or null for a computed model at models[1].model.sha256');
    // The clamp it ran with is optional (reports before it lack it), a non-negative integer when there; no other key.
    const clamped = JSON.parse(JSON.stringify(withPair)) as { models: { model: Json }[] };
    clamped.models[1]!.model.clampRadius = 2;
    expect(() => validateReport(clamped)).not.toThrow();
    clamped.models[1]!.model.clampRadius = -1;
    expect(schemaError(clamped).jsonPath).toBe('models[1].model.clampRadius');
    const extra = JSON.parse(JSON.stringify(withPair)) as { models: { model: Json }[] };
    extra.models[1]!.model.colour = 'red';
    expect(schemaError(extra).jsonPath).toBe('models[1].model.colour');
  });

  it('records the blur gap recovered: the share (deblurred - blurred) / (sharp - blurred), "no gap" and "unavailable"', () => {
    const report = makeReport();
    const d = report.summary.detectionRate;
    const r = report.summary.rmse;
    expect(report.recovered.detectionRate.status).toBe('measured');
    expect(report.recovered.detectionRate.share).toBeCloseTo((d.deblurred! - d.blurred!) / (d.sharp! - d.blurred!), 12);
    expect(report.recovered.rmse.share).toBeCloseTo((r.deblurred! - r.blurred!) / (r.sharp! - r.blurred!), 12);
    const [lo, hi] = report.recovered.detectionRate.gainInterval95!;
    expect(lo).toBeLessThanOrEqual(d.gain!);
    expect(hi).toBeGreaterThanOrEqual(d.gain!);
    // Pseudo ground truth has no sharp value: nothing to measure the gap against.
    expect(makeReport({ groundTruth: 'pseudo' }).recovered.rmse).toMatchObject({ share: null, status: 'unavailable' });
    // A share that disagrees with its row, a status that does, an interval upside down.
    expect(schemaError(broken((q) => (q.recovered.rmse.share += 0.1))).jsonPath).toBe('recovered.rmse.share');
    expect(schemaError(broken((q) => (q.sequences[1].recovered.detectionRate.status = 'no-gap'))).jsonPath).toBe('sequences[1].recovered.detectionRate.status');
    expect(schemaError(broken((q) => (q.recovered.detectionRate.gainInterval95 = [0.2, 0.1]))).jsonPath).toBe('recovered.detectionRate.gainInterval95[1]');
    expect(schemaError(broken((q) => delete q.recovered)).jsonPath).toBe('recovered');
  });

  it('accepts a report without panels or PCK thresholds, with a PSNR at the cap and empty open maps', () => {
    const report = makeReport({ pckThresholds: [], panelFrames: [] });
    report.sequences[0]!.perFrame[0]!.psnr.blurred = PSNR_CAP_DB;
    report.config.synthesis = {};
    report.timing.stages = {};
    expect(() => validateReport(report)).not.toThrow();
    expect(Object.keys(report.summary)).toEqual(['psnr', 'ssim', 'rmse', 'abse', 'epe', 'detectionRate']);
  });

  it('says what was expected, where, and what came', () => {
    const error = schemaError(broken((r) => (r.sequences[1].perFrame[3].psnr.blurred = Infinity)));
    expect(error.message).toBe(
      'Report does not follow report.json schema v3: expected a number between 0 and 100 at sequences[1].perFrame[3].psnr.blurred but received Infinity of type number',
    );
    expect(error.jsonPath).toBe('sequences[1].perFrame[3].psnr.blurred');
    expect(error.code).toBe('CORRUPT_INPUT');
  });

  it('names the path of a gain whose sign disagrees with the metric direction', () => {
    const error = schemaError(
      broken((r) => {
        r.summary.rmse.gain = -r.summary.rmse.gain;
      }),
    );
    expect(error.jsonPath).toBe('summary.rmse.gain');
    expect(error.message).toContain('(blurred - deblurred)');
    const psnr = schemaError(broken((r) => (r.sequences[0].summary.psnr.gain = r.sequences[0].summary.psnr.blurred - r.sequences[0].summary.psnr.deblurred)));
    expect(psnr.jsonPath).toBe('sequences[0].summary.psnr.gain');
    expect(psnr.message).toContain('(deblurred - blurred)');
  });

  const cases: [string, (r: Json) => void, string, RegExp?][] = [
    ['a newer schema', (r) => (r.schemaVersion = 4), 'schemaVersion', /upgrade/],
    ['a missing schema version', (r) => delete r.schemaVersion, 'schemaVersion'],
    ['a missing summary row', (r) => delete r.summary.psnr, 'summary.psnr', /psnr is required/],
    ['an unknown key', (r) => (r.config.model.path = 'models/x.onnx'), 'config.model.path', /no such key/],
    ['a PSNR stored as null', (r) => (r.sequences[0].perFrame[5].psnr.deblurred = null), 'sequences[0].perFrame[5].psnr.deblurred'],
    ['an SSIM above 1', (r) => (r.sequences[0].perFrame[2].ssim.blurred = 1.2), 'sequences[0].perFrame[2].ssim.blurred'],
    ['a wrong direction', (r) => (r.summary.psnr.better = 'lower'), 'summary.psnr.better', /'higher'/],
    ['a wrong unit', (r) => (r.summary.detectionRate.unit = '%'), 'summary.detectionRate.unit', /'fraction'/],
    ['a detection rate in percent', (r) => (r.summary.detectionRate.sharp = 98.5), 'summary.detectionRate.sharp', /between 0 and 1/],
    ['a sharp PSNR', (r) => (r.summary.psnr.sharp = 41.2), 'summary.psnr.sharp', /reference/],
    ['a gain where a side is null', (r) => Object.assign(r.summary.epe, { blurred: null }), 'summary.epe.gain', /null/],
    ['a missing PCK row', (r) => delete r.summary['pck@0.2'], 'summary["pck@0.2"]'],
    ['a PCK row for no threshold', (r) => (r.summary['pck@0.3'] = r.summary['pck@0.2']), 'summary["pck@0.3"]', /no such key/],
    ['errors for a hand not found', (r) => Object.assign(r.sequences[0].perFrame[0].joints.blurred, { found: false }), 'sequences[0].perFrame[0].joints.blurred.rmse', /no hand was found/],
    ['a negative error', (r) => (r.sequences[0].perFrame[1].joints.deblurred.epe = -1), 'sequences[0].perFrame[1].joints.deblurred.epe'],
    ['frame indices out of order', (r) => (r.sequences[1].perFrame[4].index = 2), 'sequences[1].perFrame[4].index', /greater than the previous/],
    ['a frame count that disagrees', (r) => (r.sequences[0].frames = 89), 'sequences[0].perFrame', /an array of 89/],
    ['a repeated sequence id', (r) => (r.sequences[1].id = r.sequences[0].id), 'sequences[1].id'],
    ['no sequences', (r) => (r.sequences = []), 'sequences', /at least 1/],
    ['a panel of an unknown sequence', (r) => (r.panels[0].sequence = 'Subject_9/x/1'), 'panels[0].sequence'],
    ['a panel of a frame not evaluated', (r) => (r.panels[1].index = 900), 'panels[1].index'],
    ['a panel outside the folder', (r) => (r.panels[0].blurred = '../elsewhere/a.png'), 'panels[0].blurred', /relative path/],
    ['an absolute panel path', (r) => (r.panels[0].sharp = '/tmp/a.png'), 'panels[0].sharp'],
    ['a panel URL', (r) => (r.panels[1].deblurred = 'https://example.com/a.png'), 'panels[1].deblurred'],
    ['a panel that is not PNG or JPEG', (r) => (r.panels[0].blurred = 'panels/a.gif'), 'panels[0].blurred'],
    ['a date without a time zone', (r) => (r.createdAt = '2025-11-25 10:31'), 'createdAt', /ISO 8601/],
    ['a short checksum', (r) => (r.config.model.sha256 = 'abc'), 'config.model.sha256', /64 lowercase hex/],
    ['a missing runtime version', (r) => delete r.versions.onnxruntime, 'versions.onnxruntime'],
    ['a version that is not a string', (r) => (r.versions.vega = 6), 'versions.vega'],
    ['an unknown ground truth', (r) => (r.config.groundTruth = 'manual'), 'config.groundTruth', /'fpha-skeleton', 'pseudo'/],
    ['an unknown channel', (r) => (r.config.metrics.channel = 'luma'), 'config.metrics.channel'],
    ['a repeated PCK threshold', (r) => (r.config.metrics.pckThresholds = [10, 10]), 'config.metrics.pckThresholds[1]'],
    ['a negative stage time', (r) => (r.timing.stages.deblur = -1), 'timing.stages.deblur'],
    ['no inputs', (r) => (r.config.inputs = []), 'config.inputs'],
  ];
  for (const [what, edit, path, message] of cases) {
    it(`rejects ${what} at ${path}`, () => {
      const error = schemaError(broken(edit));
      expect(error.jsonPath).toBe(path);
      if (message) expect(error.message).toMatch(message);
    });
  }

  it('under pseudo ground truth, rejects sharp pose errors (zero by construction) in summaries and frames', () => {
    const summary = schemaError(broken((r) => (r.summary.rmse.sharp = 0), { groundTruth: 'pseudo' }));
    expect(summary.jsonPath).toBe('summary.rmse.sharp');
    expect(summary.message).toMatch(/pseudo ground truth/);
    const pck = schemaError(broken((r) => (r.sequences[0].summary['pck@0.1'].sharp = 1), { groundTruth: 'pseudo' }));
    expect(pck.jsonPath).toBe('sequences[0].summary["pck@0.1"].sharp');
    const detection = schemaError(broken((r) => (r.summary.detectionRate.sharp = 1), { groundTruth: 'pseudo' }));
    expect(detection.jsonPath).toBe('summary.detectionRate.sharp');
    const frame = schemaError(broken((r) => (r.sequences[0].perFrame[0].joints.sharp = { found: true, rmse: 0, abse: 0, epe: 0 }), { groundTruth: 'pseudo' }));
    expect(frame.jsonPath).toBe('sequences[0].perFrame[0].joints.sharp.rmse');
    expect(() => validateReport(makeReport({ groundTruth: 'pseudo' }))).not.toThrow();
  });

  it('rejects what is not an object at the root', () => {
    expect(schemaError(null).message).toBe('Report does not follow report.json schema v3: expected an object at (root) but received null of type null');
    expect(schemaError([]).jsonPath).toBe('');
  });
});

describe('metric rows', () => {
  it('sign gains so that positive means deblurring helped', () => {
    expect(metricRow('psnr', { blurred: 28.5, deblurred: 34.5, sharp: null, frames: 10 })).toEqual({
      blurred: 28.5,
      deblurred: 34.5,
      sharp: null,
      gain: 6,
      better: 'higher',
      unit: 'dB',
      frames: 10,
    });
    expect(metricRow('rmse', { blurred: 10, deblurred: 7.5, sharp: 6, frames: 3 }).gain).toBe(2.5);
    expect(metricRow('abse', { blurred: 5, deblurred: 6, sharp: 4, frames: 3 }).gain).toBe(-1);
    expect(metricRow('detectionRate', { blurred: 0.875, deblurred: 0.75, sharp: 1, frames: 8 })).toMatchObject({ gain: -0.125, unit: 'fraction', better: 'higher' });
    expect(metricRow(pckMetricName(0.2), { blurred: 0.5, deblurred: 0.75, sharp: null, frames: 3 }, 'bbox')).toMatchObject({ gain: 0.25, unit: 'fraction' });
    expect(gain(null, 3, 'lower')).toBeNull();
  });

  it('name PCK rows by their threshold and list rows in display order', () => {
    expect(pckMetricName(0.2)).toBe('pck@0.2');
    expect(metricNames([20, 5])).toEqual(['psnr', 'ssim', 'rmse', 'abse', 'epe', 'pck@5', 'pck@20', 'detectionRate']);
  });

  it('store PSNR capped: identical frames (Infinity) as 100 dB', () => {
    expect(capPsnr(Number.POSITIVE_INFINITY)).toBe(PSNR_CAP_DB);
    expect(capPsnr(107.8)).toBe(100);
    expect(capPsnr(31.25)).toBe(31.25);
    expect(() => capPsnr(Number.NaN)).toThrow(InvalidOptionError);
  });
});
