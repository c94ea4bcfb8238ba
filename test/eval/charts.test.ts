/**
 * The charting adapter (Vega-Lite to SVG in Node, nothing fetched, loaded lazily) and the data preparation of the
 * report's charts (histograms with 0 as a bin edge, detection runs).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import { compactSvg, estimateTextWidth, renderChartSvg } from '../../src/eval/charts.js';
import { detectionRuns, frameGains, histogram, niceBinWidth } from '../../src/eval/report-charts.js';
import { makeReport } from './make-report.js';

const line = {
  width: 200,
  height: 80,
  data: { values: [0, 1, 2, 3, 4].map((frame) => ({ frame, value: 10 + Math.sin(frame) / 3 })) },
  mark: { type: 'line', clip: true },
  encoding: {
    x: { field: 'frame', type: 'quantitative', title: 'frame index' },
    y: { field: 'value', type: 'quantitative', title: 'RMSE (px)', scale: { zero: false } },
  },
} as const;

describe('renderChartSvg', () => {
  afterEach(() => vi.restoreAllMocks());

  it('renders a Vega-Lite spec to a scalable SVG with its axis titles and rounded coordinates', async () => {
    const svg = await renderChartSvg(line, { idPrefix: 'a-' });
    expect(svg).toMatch(/^<svg [^>]*viewBox="0 0 \d+ \d+"/);
    expect(svg.endsWith('</svg>')).toBe(true);
    expect(svg).toContain('>frame index</text>');
    expect(svg).toContain('>RMSE (px)</text>');
    expect(svg).not.toMatch(/\d\.\d{2,}/); // coordinates keep one decimal
    // Clip paths are renamed, and so are the references to them.
    const ids = [...svg.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]!);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) expect(id.startsWith('a-')).toBe(true);
    for (const [, ref] of svg.matchAll(/url\(#([^)]+)\)/g)) expect(ids).toContain(ref);
  });

  it('loads nothing: a spec that names data by URL fails, and no request is made', async () => {
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    const spec = { data: { url: 'https://example.com/frames.json' }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' } } } as const;
    await expect(renderChartSvg(spec)).rejects.toThrow('The chart could not be rendered: Report charts load nothing (asked for https://example.com/frames.json)');
    expect(fetchSpy).not.toHaveBeenCalled();
  });

  it('hands warnings to onWarning and checks its options', async () => {
    const warnings: string[] = [];
    await renderChartSvg({ data: { values: [] }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' } } }, { onWarning: (m) => warnings.push(m) });
    expect(warnings.join('\n')).toContain('Infinite extent for field "a"');
    await expect(renderChartSvg(line, { idPrefix: '1bad' })).rejects.toThrow(InvalidOptionError);
    await expect(renderChartSvg(line, { idprefix: 'x' } as never)).rejects.toThrow('Unknown option idprefix in renderChartSvg options; known options: idPrefix, onWarning');
  });
});

describe('compactSvg', () => {
  it('rounds geometry, drops hidden labels and empty backgrounds, and prefixes ids and their references', () => {
    const svg =
      '<svg><defs><clipPath id="clip1"><rect x="0" y="0" width="200.00000000001" height="80"/></clipPath></defs>' +
      '<path class="background" aria-hidden="true" d="M0,0h0v0h0Z" pointer-events="none"/>' +
      '<g transform="translate(29.999999999999993,15)"><text opacity="0">hidden</text><text opacity="1">0.123456</text></g>' +
      '<path clip-path="url(#clip1)" d="M0,12.3456L6.6666666,-0.04"/></svg>';
    expect(compactSvg(svg, 'p-')).toBe(
      '<svg><defs><clipPath id="p-clip1"><rect x="0" y="0" width="200" height="80"/></clipPath></defs>' +
        '<g transform="translate(30,15)"><text opacity="1">0.123456</text></g>' +
        '<path clip-path="url(#p-clip1)" d="M0,12.3L6.7,0"/></svg>',
    );
  });
});

describe('estimateTextWidth', () => {
  it('measures like a sans-serif: digits half an em, narrow i, wide W, bold wider', () => {
    expect(estimateTextWidth('0000', 10)).toBeCloseTo(4 * 5.56 * 1.12, 5);
    expect(estimateTextWidth('iiii', 10)).toBeLessThan(estimateTextWidth('WWWW', 10) / 3);
    expect(estimateTextWidth('PSNR (dB)', 12, 'bold')).toBeCloseTo(estimateTextWidth('PSNR (dB)', 12) * 1.08, 5);
    expect(estimateTextWidth('', 12)).toBe(0);
  });
});

describe('chart data', () => {
  it('bins with round widths and 0 as a bin edge, so no bin mixes gains and losses', () => {
    expect(niceBinWidth(9, 30)).toBe(0.5);
    expect(niceBinWidth(0.07, 30)).toBe(0.005);
    const values = [-2.9, -0.4, -0.1, 0, 0.1, 0.1, 1.2, 3.3, 7.05];
    const bins = histogram(values, 20);
    expect(bins.reduce((s, b) => s + b.count, 0)).toBe(values.length);
    expect(bins.some((b) => b.start === 0)).toBe(true);
    expect(bins.every((b) => b.end <= 0 || b.start >= 0)).toBe(true);
    expect(bins.find((b) => b.start === 0)).toEqual({ start: 0, end: 0.5, count: 3 }); // 0 goes to the bin above it
    expect(bins[0]!.start).toBe(-3);
    expect(histogram([2.5, 2.5])).toEqual([{ start: 2.5, end: 3, count: 2 }]);
    expect(histogram([])).toEqual([]);
  });

  it('run-length codes detections per version, ending a run at a gap in the frame indices', () => {
    const report = makeReport({ sequences: 1, frames: 30 });
    const frames = report.sequences[0]!.perFrame.filter((f) => f.index !== 10);
    const runs = detectionRuns(frames);
    for (const version of ['blurred', 'deblurred', 'sharp'] as const) {
      const mine = runs.filter((r) => r.version === version);
      expect(mine.reduce((s, r) => s + r.end - r.start, 0)).toBe(29);
      for (const f of frames) expect(mine.find((r) => r.start <= f.index && f.index < r.end)!.found).toBe(f.joints[version].found);
      expect(mine.some((r) => r.start <= 10 && r.end > 10)).toBe(false);
    }
  });

  it('takes per-frame gains with the report sign (positive: deblurring helped), over the frames the summary compares', () => {
    const report = makeReport({ sequences: 1, frames: 60 });
    const frames = report.sequences[0]!.perFrame;
    expect(frameGains(frames, 'psnr', 'fpha-skeleton')).toEqual(frames.map((f) => f.psnr.deblurred - f.psnr.blurred));
    const all = frames.filter((f) => f.joints.blurred.rmse !== null && f.joints.deblurred.rmse !== null && f.joints.sharp.rmse !== null);
    expect(frameGains(frames, 'rmse', 'fpha-skeleton')).toEqual(all.map((f) => f.joints.blurred.rmse! - f.joints.deblurred.rmse!));
    expect(all.length).toBe(report.summary.rmse.frames);
    // Under pseudo ground truth the sharp version is not scored, so it does not narrow the frames.
    const pseudo = makeReport({ sequences: 1, frames: 60, groundTruth: 'pseudo' });
    expect(frameGains(pseudo.sequences[0]!.perFrame, 'epe', 'pseudo')).toHaveLength(pseudo.summary.epe.frames);
  });
});

describe('import cost', () => {
  it('importing the report modules does not load Vega or Vega-Lite; the first chart does (built dist/)', () => {
    const dist = (path: string) => fileURLToPath(new URL(`../../dist/src/eval/${path}`, import.meta.url));
    // A resolve hook that refuses vega and vega-lite: importing a module that loads them eagerly fails.
    const hook = `export async function resolve(s, c, next) { if (s === 'vega' || s === 'vega-lite') throw new Error('loaded ' + s); return next(s, c); }`;
    const script = `
      import { register } from 'node:module';
      register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
      const files = ${JSON.stringify(['report-schema.js', 'report-format.js', 'report-charts.js', 'charts.js', 'report-html.js', 'report-files.js', 'summary-table.js'].map(dist))};
      for (const f of files) await import(f);
      const { renderChartSvg } = await import(files[3]);
      const late = await renderChartSvg({ mark: 'point', data: { values: [] } }).then(() => 'rendered', (e) => String(e.cause ?? e));
      console.log(JSON.stringify({ imported: files.length, late }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ imported: 7, late: 'Error: loaded vega' });
  });
});
