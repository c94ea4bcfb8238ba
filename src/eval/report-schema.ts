/**
 * The evaluation report's data: `report.json`, schema version 3. Types with the meaning of every field, a builder for
 * summary rows, and {@link validateReport}, which checks a value against the schema and names the first path that
 * breaks it. The metrics' names, directions and units are defined in src/metrics/definitions.ts.
 *
 * Version 2 adds `recovered` to the report and to every sequence: the share of the blur gap that deblurring
 * recovers for the detection rate and for joint RMSE, with a 95% interval of each gain (src/eval/recovered.ts).
 * Version 1 reports still read: {@link validateReport} checks them as version 1 and returns them upgraded, with
 * `recovered` computed from their rows and per-frame records.
 *
 * Version 3 compares several deblurring models on the same blur (model-comparison.ts): `models` holds each model's
 * summary, recovered share and per-frame records (the first model is also the report's own `config.model`,
 * `summary`, `recovered` and `sequences`, so a one-model reader still reads it), and `comparison` the paired
 * differences between every two models and the joint errors over the frames common to all. A model computed rather
 * than loaded from a file (`reference:wiener`) has `sha256` null. Version 2 and 1 reports still read, upgraded to
 * version 3 with their one model.
 *
 * The schema is closed: a key it does not name is an error (except inside the open maps `versions`,
 * `config.synthesis`, `config.handpose`, `config.deblur` and `timing.stages`). Adding or changing a field bumps
 * {@link REPORT_SCHEMA_VERSION}.
 */
import { PromotionError } from '../errors.js';
import { gain } from '../metrics/comparison.js';
import { blurGapRecovery, type RecoveryStatus } from '../metrics/recovery.js';
import { recoveredRecord } from './recovered.js';
import { COMMON_METRICS, type ComparisonRecord, comparisonRecord, type ModelResult } from './model-comparison.js';
import { SPREAD_METRICS } from './gain-spreads.js';
import {
  type Better,
  GROUND_TRUTH_KINDS,
  PSNR_CAP_DB,
  type GroundTruthKind,
  type MetricName,
  metricInfo,
  metricNames,
} from '../metrics/definitions.js';
import type { PixelChannel } from '../metrics/pixel-conventions.js';

/** The schema version this module writes (it reads this one, 2 and 1). */
export const REPORT_SCHEMA_VERSION = 3;

/** The oldest schema version {@link validateReport} reads. */
export const OLDEST_READ_SCHEMA_VERSION = 1;

/**
 * One metric over a set of frames, for the three versions of each frame.
 *
 * `gain` is always "better is positive": `blurred - deblurred` for errors (RMSE, ABSE, EPE: lower is better) and
 * `deblurred - blurred` for PSNR, SSIM, PCK and detection rate (higher is better). It is null when either side is.
 */
export interface MetricRow {
  /** The metric on the blurred frames (the input to deblurring); null when no frame counts. */
  blurred: number | null;
  /** The metric on the deblurred frames (PROMOTION's output); null when no frame counts. */
  deblurred: number | null;
  /**
   * The metric on the sharp frames. Always null for PSNR and SSIM (the sharp frame is their reference), and for every
   * pose metric and the detection rate under pseudo ground truth (the sharp frame's own estimate is the ground truth
   * there, so its error would be 0 and its PCK and detection rate 1 by construction).
   */
  sharp: number | null;
  /** deblurred - blurred (higher is better) or blurred - deblurred (lower is better): positive means deblurring helped. */
  gain: number | null;
  /** Which direction of the metric is better; fixed per metric (see {@link METRICS}). */
  better: Better;
  /**
   * Unit of `blurred`, `deblurred`, `sharp` and `gain`, fixed per metric: `'dB'` (PSNR), `''` (SSIM), `'px'` (RMSE,
   * ABSE, EPE) or `'fraction'` (PCK and detection rate: values in [0, 1], shown as percentages).
   */
  unit: string;
  /**
   * Frames the values are taken over. PSNR and SSIM: every frame. RMSE, ABSE and EPE: the frames with ground truth
   * where every version compared found a hand, so the columns and the gain use the same frames and a missed hand
   * cannot lower an error. PCK and detection rate: every frame with ground truth (a missed hand counts as 21 missed
   * joints and as a frame without a detection).
   */
  frames: number;
}

/** Summary rows by metric name: the six fixed metrics plus one `pck@<t>` per threshold in `config.metrics`. */
export type MetricSummary = Record<MetricName, MetricRow>;

/** Hand-pose errors of one version of one frame against the ground truth, in pixels of the frame. */
export interface JointRecord {
  /** Whether the hand-pose estimator found a hand. When false, the errors are null. */
  found: boolean;
  /** sqrt(sum_j d_j^2 / 21), d_j the distance of joint j from the ground truth; null when not found or without ground truth. */
  rmse: number | null;
  /** sum_j (|dx_j| + |dy_j|) / 42, the mean absolute coordinate error; null when not found or without ground truth. */
  abse: number | null;
  /** sum_j d_j / 21, the mean end-point error; null when not found or without ground truth. */
  epe: number | null;
}

/** Per-frame measurements. */
export interface FrameRecord {
  /** The frame's index in its sequence (from 0); strictly increasing within a sequence. */
  index: number;
  /** PSNR in dB against the sharp frame, capped at {@link PSNR_CAP_DB} (identical frames are stored as the cap). */
  psnr: { blurred: number; deblurred: number };
  /** SSIM against the sharp frame, in [-1, 1]. */
  ssim: { blurred: number; deblurred: number };
  /**
   * Hand pose on each version of the frame. Errors are null on a frame without ground truth; under pseudo ground
   * truth `sharp`'s errors are always null, and `sharp.found` says whether the frame has ground truth.
   */
  joints: { blurred: JointRecord; deblurred: JointRecord; sharp: JointRecord };
}

/** What deblurring recovered of one metric's blur gap. */
export interface RecoveryRecord {
  /**
   * (deblurred - blurred) / (sharp - blurred) of the summary row: 1 = as good as the sharp frames, 0 = no change,
   * negative = the gap widened. Null unless `status` is `'measured'`.
   */
  share: number | null;
  /** `'measured'`; `'no-gap'` where blurred equals sharp; `'unavailable'` where a value is missing (pseudo ground truth has no sharp value). */
  status: RecoveryStatus;
  /** 95% circular block bootstrap interval of the row's gain (better positive, the row's unit); null when no frame counts. */
  gainInterval95: [number, number] | null;
}

/** The blur gap recovered, for the detection rate and for joint RMSE. */
export interface RecoveredRecord {
  detectionRate: RecoveryRecord;
  rmse: RecoveryRecord;
}

/** One evaluated sequence (an FPHA sequence folder, a video, an image folder). */
export interface SequenceReport {
  /** Unique within the report; for FPHA `Subject_1/open_juice_bottle/1`. */
  id: string;
  /** Number of frames evaluated; equals `perFrame.length`, at least 1. */
  frames: number;
  /** This sequence's summary rows (same keys as the report's). */
  summary: MetricSummary;
  /** What deblurring recovered of this sequence's blur gap (schema v2). */
  recovered: RecoveredRecord;
  /** One record per frame, by increasing index. */
  perFrame: FrameRecord[];
}

/** One image panel of the HTML report: the same frame blurred, deblurred and sharp, with landmarks drawn. */
export interface PanelRecord {
  /** The `id` of a sequence in `sequences`. */
  sequence: string;
  /** A frame index present in that sequence's `perFrame`. */
  index: number;
  /** Path of the blurred image, relative to the report folder (forward slashes, no `..`), PNG or JPEG. */
  blurred: string;
  /** Path of the deblurred image, relative to the report folder, PNG or JPEG. */
  deblurred: string;
  /** Path of the sharp image, relative to the report folder, PNG or JPEG. */
  sharp: string;
}

/** The deblurring model evaluated. */
export interface ModelRecord {
  /** Model name, e.g. `promotion-s`. */
  name: string;
  /** Training preset of the model (`promotion-s`, `promotion-l`, `edvr-s`...). */
  preset: string;
  /** SHA-256 of the ONNX file, 64 lowercase hex digits; null for a computed model (schema v3: `reference:wiener`). */
  sha256: string | null;
  /** Where it ran: `cpu`, `cuda`... */
  device: string;
  /** The clamp radius it ran with (absent in reports written before the card could give one). */
  clampRadius?: number;
}

/** Conventions of the metrics. */
export interface MetricsConfig {
  /** PSNR and SSIM on all RGB samples or on luma Y. */
  channel: PixelChannel;
  /** Pixels ignored at each border by PSNR and SSIM (BasicSR's `crop_border`). */
  cropBorder: number;
  /** PCK thresholds, each positive and distinct; the summary holds `pck@<t>` for each. May be empty. */
  pckThresholds: number[];
  /**
   * What a PCK threshold is measured in: `'bbox'` (a fraction of the longer side of the ground-truth joints' bounding
   * box, the evaluation's convention), `'px'` (pixels), or another name shown as is.
   */
  pckNormalization: string;
}

/** What was evaluated and how. */
export interface ReportConfig {
  /** The inputs as given on the command line (FPHA roots, sequence folders, videos). At least one. */
  inputs: string[];
  /** `fpha-skeleton`: FPHA's annotated joints projected into the colour frames; `pseudo`: MediaPipe's joints on the sharp frames. */
  groundTruth: GroundTruthKind;
  /** One sentence on the ground truth, shown in the report (camera used, joint order...). May be empty. */
  groundTruthNote: string;
  /** The deblurring model. */
  model: ModelRecord;
  /** Blur-synthesis parameters, as `synthesisParameters()` records them. */
  synthesis: Record<string, unknown>;
  /** Hand-pose estimator options (model variant, mode, thresholds). */
  handpose: Record<string, unknown>;
  /** Deblurring settings: tile size, overlap, region-of-interest mode, threads, the execution provider that ran. */
  deblur: Record<string, unknown>;
  /** Metric conventions. */
  metrics: MetricsConfig;
}

/** Wall time of the run. */
export interface TimingRecord {
  /** Whole run, in milliseconds. */
  totalMs: number;
  /** Milliseconds per stage (`synthesis`, `deblur`, `handpose`, `metrics`...); stages may overlap when pipelined. */
  stages: Record<string, number>;
}

/** `report.json`, schema version 3. */
export interface EvalReport {
  /** Always 3 for this schema. */
  schemaVersion: 3;
  /** When the report was made: ISO 8601 with a time zone, e.g. `2025-11-25T10:31:00.000Z`. */
  createdAt: string;
  /** The tool that wrote it. */
  tool: { name: string; version: string };
  /** Versions of what produced the numbers; must hold `node`, `onnxruntime` and `mediapipeTasksVision`. */
  versions: Record<string, string>;
  /** What was evaluated and how. */
  config: ReportConfig;
  /** Summary over all frames of all sequences. */
  summary: MetricSummary;
  /** What deblurring recovered of the blur gap over all frames (schema v2). */
  recovered: RecoveredRecord;
  /** Per sequence, in the order evaluated; at least one. */
  sequences: SequenceReport[];
  /** Image panels for the HTML report (of the first model); may be empty. */
  panels: PanelRecord[];
  /** Every model evaluated, in the order given; the first is `config.model` (schema v3). */
  models: ModelResult[];
  /** How the models differ, paired by frame, and the joint errors over the frames common to all (schema v3). */
  comparison: ComparisonRecord;
  /** Wall time. */
  timing: TimingRecord;
}

/** `report.json`, schema version 2: version 3 without `models` and `comparison`, one model. */
export type EvalReportV2 = Omit<EvalReport, 'schemaVersion' | 'models' | 'comparison'> & { schemaVersion: 2 };

/** `report.json`, schema version 1: version 2 without `recovered`. */
export type EvalReportV1 = Omit<EvalReportV2, 'schemaVersion' | 'recovered' | 'sequences'> & { schemaVersion: 1; sequences: Array<Omit<SequenceReport, 'recovered'>> };

/** Builds a summary row with the metric's direction and unit, and its gain computed from the values. */
export function metricRow(
  name: MetricName,
  values: { blurred: number | null; deblurred: number | null; sharp: number | null; frames: number },
  pckNormalization?: string,
): MetricRow {
  const { better, unit } = metricInfo(name, pckNormalization);
  return {
    blurred: values.blurred,
    deblurred: values.deblurred,
    sharp: values.sharp,
    gain: gain(values.blurred, values.deblurred, better),
    better,
    unit,
    frames: values.frames,
  };
}

/** The row `name` of a summary. Throws a {@link ReportSchemaError} when it is missing (a validated report has every row). */
export function summaryRow(summary: MetricSummary, name: MetricName): MetricRow {
  const row = summary[name];
  if (row === undefined) throw new ReportSchemaError(`summary${IDENTIFIER.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`}`, 'a metric row', undefined);
  return row;
}

// ---------------------------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------------------------

function describe(value: unknown): string {
  let shown: string;
  if (typeof value === 'string') shown = JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  else if (Array.isArray(value)) shown = `an array of ${value.length}`;
  else if (typeof value === 'object' && value !== null) shown = 'an object';
  else shown = String(value);
  return `${shown} of type ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value}`;
}

/**
 * A report that does not follow the schema. `jsonPath` names the first offending value
 * (`sequences[0].perFrame[3].psnr.blurred`, `summary["pck@0.2"].gain`); the message says what was expected there.
 */
export class ReportSchemaError extends PromotionError {
  /** Path of the offending value from the report's root; empty for the root itself. */
  readonly jsonPath: string;
  /** What the schema expects there. */
  readonly expected: string;
  constructor(jsonPath: string, expected: string, received: unknown, version: number = REPORT_SCHEMA_VERSION) {
    super(
      'CORRUPT_INPUT',
      `Report does not follow report.json schema v${version}: expected ${expected} at ${jsonPath || '(root)'} but received ${describe(received)}`,
    );
    this.jsonPath = jsonPath;
    this.expected = expected;
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  if (IDENTIFIER.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

/** The schema version being checked, for the error message (validation is synchronous, one report at a time). */
let checking: number = REPORT_SCHEMA_VERSION;

function fail(path: string, expected: string, value: unknown): never {
  throw new ReportSchemaError(path, expected, value, checking);
}

type Json = Record<string, unknown>;

function object(path: string, value: unknown, keys?: readonly string[], optional: readonly string[] = []): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'an object', value);
  const record = value as Json;
  if (keys) {
    const known = [...keys, ...optional];
    for (const key of keys) if (!(key in record)) fail(child(path, key), `a value (${key} is required)`, undefined);
    for (const key of Object.keys(record)) if (!known.includes(key)) fail(child(path, key), `no such key (known keys: ${known.join(', ')})`, record[key]);
  }
  return record;
}

function array(path: string, value: unknown, minLength = 0): unknown[] {
  if (!Array.isArray(value)) fail(path, minLength > 0 ? `an array of at least ${minLength}` : 'an array', value);
  if (value.length < minLength) fail(path, `an array of at least ${minLength}`, value);
  return value;
}

function string(path: string, value: unknown, nonEmpty = true): string {
  if (typeof value !== 'string' || (nonEmpty && value.length === 0)) fail(path, nonEmpty ? 'a non-empty string' : 'a string', value);
  return value;
}

function finite(path: string, value: unknown, min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const range =
      min === Number.NEGATIVE_INFINITY && max === Number.POSITIVE_INFINITY
        ? 'a finite number'
        : max === Number.POSITIVE_INFINITY
          ? `a finite number >= ${min}`
          : `a number between ${min} and ${max}`;
    fail(path, range, value);
  }
  return value;
}

function integer(path: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) fail(path, `an integer >= ${min}`, value);
  return value;
}

function nullable<T>(path: string, value: unknown, check: (path: string, value: unknown) => T): T | null {
  return value === null ? null : check(path, value);
}

/** The range of stored values of each unit. */
function valueCheck(name: MetricName): (path: string, value: unknown) => number {
  if (name === 'psnr') return (p, v) => finite(p, v, 0, PSNR_CAP_DB);
  if (name === 'ssim') return (p, v) => finite(p, v, -1, 1);
  const { unit } = metricInfo(name);
  if (unit === 'fraction') return (p, v) => finite(p, v, 0, 1);
  return (p, v) => finite(p, v, 0);
}

function gainsAgree(stored: number, expected: number): boolean {
  return Math.abs(stored - expected) <= 1e-9 * Math.max(1, Math.abs(expected));
}

function checkRow(path: string, value: unknown, name: MetricName, groundTruth: GroundTruthKind): MetricRow {
  const row = object(path, value, ['blurred', 'deblurred', 'sharp', 'gain', 'better', 'unit', 'frames']);
  const info = metricInfo(name);
  if (row.better !== info.better) fail(child(path, 'better'), `'${info.better}' (fixed for ${name})`, row.better);
  if (row.unit !== info.unit) fail(child(path, 'unit'), `'${info.unit}' (fixed for ${name})`, row.unit);
  const check = valueCheck(name);
  const blurred = nullable(child(path, 'blurred'), row.blurred, check);
  const deblurred = nullable(child(path, 'deblurred'), row.deblurred, check);
  const sharp = nullable(child(path, 'sharp'), row.sharp, check);
  if (sharp !== null && info.kind === 'image') fail(child(path, 'sharp'), `null (the sharp frame is ${info.label}'s reference)`, sharp);
  if (sharp !== null && info.kind !== 'image' && groundTruth === 'pseudo') {
    fail(child(path, 'sharp'), 'null (under pseudo ground truth the sharp frame\u2019s estimate is the ground truth)', sharp);
  }
  const expected = gain(blurred, deblurred, info.better);
  const gainPath = child(path, 'gain');
  if (expected === null) {
    if (row.gain !== null) fail(gainPath, 'null (blurred or deblurred is null)', row.gain);
  } else {
    const formula = info.better === 'higher' ? 'deblurred - blurred' : 'blurred - deblurred';
    if (typeof row.gain !== 'number' || !gainsAgree(row.gain, expected)) fail(gainPath, `${expected} (${formula})`, row.gain);
  }
  integer(child(path, 'frames'), row.frames, 0);
  return row as unknown as MetricRow;
}

function checkSummary(path: string, value: unknown, names: readonly MetricName[], groundTruth: GroundTruthKind): MetricSummary {
  const summary = object(path, value, names);
  for (const name of names) checkRow(child(path, name), summary[name], name, groundTruth);
  return summary as unknown as MetricSummary;
}

function checkJoints(path: string, value: unknown, withErrors: boolean): JointRecord {
  const joints = object(path, value, ['found', 'rmse', 'abse', 'epe']);
  if (typeof joints.found !== 'boolean') fail(child(path, 'found'), 'a boolean', joints.found);
  for (const key of ['rmse', 'abse', 'epe'] as const) {
    const p = child(path, key);
    if (!joints.found && joints[key] !== null) fail(p, 'null (no hand was found)', joints[key]);
    if (!withErrors && joints[key] !== null) fail(p, 'null (under pseudo ground truth the sharp frame\u2019s estimate is the ground truth)', joints[key]);
    nullable(p, joints[key], (q, v) => finite(q, v, 0));
  }
  return joints as unknown as JointRecord;
}

function checkFrame(path: string, value: unknown, groundTruth: GroundTruthKind): FrameRecord {
  const frame = object(path, value, ['index', 'psnr', 'ssim', 'joints']);
  integer(child(path, 'index'), frame.index, 0);
  const psnr = object(child(path, 'psnr'), frame.psnr, ['blurred', 'deblurred']);
  for (const key of ['blurred', 'deblurred']) finite(child(child(path, 'psnr'), key), psnr[key], 0, PSNR_CAP_DB);
  const ssim = object(child(path, 'ssim'), frame.ssim, ['blurred', 'deblurred']);
  for (const key of ['blurred', 'deblurred']) finite(child(child(path, 'ssim'), key), ssim[key], -1, 1);
  const joints = object(child(path, 'joints'), frame.joints, ['blurred', 'deblurred', 'sharp']);
  const jp = child(path, 'joints');
  checkJoints(child(jp, 'blurred'), joints.blurred, true);
  checkJoints(child(jp, 'deblurred'), joints.deblurred, true);
  checkJoints(child(jp, 'sharp'), joints.sharp, groundTruth === 'fpha-skeleton');
  return frame as unknown as FrameRecord;
}

function checkRecovery(path: string, value: unknown, row: MetricRow): RecoveryRecord {
  const record = object(path, value, ['share', 'status', 'gainInterval95']);
  const expected = blurGapRecovery(row);
  if (record.status !== expected.status) fail(child(path, 'status'), `'${expected.status}' (from the summary row's blurred, deblurred and sharp values)`, record.status);
  if (expected.share === null) {
    if (record.share !== null) fail(child(path, 'share'), `null (status '${expected.status}')`, record.share);
  } else if (typeof record.share !== 'number' || !gainsAgree(record.share, expected.share)) {
    fail(child(path, 'share'), `${expected.share} ((deblurred - blurred) / (sharp - blurred))`, record.share);
  }
  if (record.gainInterval95 !== null) {
    const interval = array(child(path, 'gainInterval95'), record.gainInterval95);
    if (interval.length !== 2) fail(child(path, 'gainInterval95'), 'null or [low, high]', interval);
    const low = finite(`${child(path, 'gainInterval95')}[0]`, interval[0]);
    finite(`${child(path, 'gainInterval95')}[1]`, interval[1], low);
  }
  return record as unknown as RecoveryRecord;
}

function checkRecovered(path: string, value: unknown, summary: MetricSummary): RecoveredRecord {
  const record = object(path, value, ['detectionRate', 'rmse']);
  checkRecovery(child(path, 'detectionRate'), record.detectionRate, summary.detectionRate);
  checkRecovery(child(path, 'rmse'), record.rmse, summary.rmse);
  return record as unknown as RecoveredRecord;
}

/** A version-2 report as version 3: its one model as `models`, and the comparison of that one (no pairs). */
function upgradeV2(report: EvalReportV2): EvalReport {
  const models: ModelResult[] = [{ model: report.config.model, summary: report.summary, recovered: report.recovered, sequences: report.sequences }];
  return { ...report, schemaVersion: 3, models, comparison: comparisonRecord(models, report.config.groundTruth) };
}

/** A version-1 report as version 2: `recovered` computed from its rows and per-frame records. */
function upgradeV1(report: EvalReportV1): EvalReportV2 {
  return {
    ...report,
    schemaVersion: 2,
    recovered: recoveredRecord(report.summary, report.sequences, report.config.groundTruth),
    sequences: report.sequences.map((s) => ({ ...s, recovered: recoveredRecord(s.summary, [s], report.config.groundTruth) })),
  };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const SHA256 = /^[0-9a-f]{64}$/;
const IMAGE_PATH = /\.(png|jpe?g)$/i;

function checkImagePath(path: string, value: unknown): string {
  const expected = 'a relative path inside the report folder (forward slashes, no "..") to a .png, .jpg or .jpeg image';
  const p = string(path, value);
  const segments = p.split('/');
  if (p.startsWith('/') || p.includes('\\') || p.includes(':') || segments.some((s) => s === '..' || s === '' || s === '.') || !IMAGE_PATH.test(p)) {
    fail(path, expected, value);
  }
  return p;
}

/**
 * Checks that `value` is a report of schema version 2 (or 1) and returns it typed: a version-2 report as it is, a
 * version-1 report upgraded to version 2 (a new object; `recovered` computed from its rows and per-frame records).
 * Throws a {@link ReportSchemaError} naming the first path that breaks the schema: a missing or unknown key, a wrong
 * type, a value out of range, a summary row whose gain (or a recovered share) disagrees with its values or direction,
 * a sharp value where none may be, per-frame indices out of order, a panel naming an unknown sequence or frame, an
 * image path that leaves the report folder.
 */
export function validateReport(value: unknown): EvalReport {
  checking = REPORT_SCHEMA_VERSION;
  const root = object('', value);
  const version = root.schemaVersion;
  if (version !== 3 && version !== 2 && version !== OLDEST_READ_SCHEMA_VERSION) {
    if (typeof version === 'number' && Number.isInteger(version) && version > REPORT_SCHEMA_VERSION) {
      fail('schemaVersion', `${OLDEST_READ_SCHEMA_VERSION} to ${REPORT_SCHEMA_VERSION} (this version of promotion-handpose reads schemas ${OLDEST_READ_SCHEMA_VERSION} to ${REPORT_SCHEMA_VERSION}; upgrade it to read newer reports)`, version);
    }
    fail('schemaVersion', `one of 1, 2, ${REPORT_SCHEMA_VERSION}`, version);
  }
  checking = version;
  const v2 = version >= 2;
  const v3 = version === 3;
  object('', value, ['schemaVersion', 'createdAt', 'tool', 'versions', 'config', 'summary', ...(v2 ? ['recovered'] : []), 'sequences', 'panels', ...(v3 ? ['models', 'comparison'] : []), 'timing']);

  const createdAt = string('createdAt', root.createdAt);
  if (!ISO_DATE.test(createdAt) || Number.isNaN(Date.parse(createdAt))) fail('createdAt', 'an ISO 8601 date-time with a time zone (2025-11-25T10:31:00.000Z)', createdAt);

  const tool = object('tool', root.tool, ['name', 'version']);
  string('tool.name', tool.name);
  string('tool.version', tool.version);

  const versions = object('versions', root.versions);
  for (const key of ['node', 'onnxruntime', 'mediapipeTasksVision']) if (!(key in versions)) fail(child('versions', key), `a version string (${key} is required)`, undefined);
  for (const [key, v] of Object.entries(versions)) string(child('versions', key), v);

  const config = object('config', root.config, ['inputs', 'groundTruth', 'groundTruthNote', 'model', 'synthesis', 'handpose', 'deblur', 'metrics']);
  array('config.inputs', config.inputs, 1).forEach((input, i) => string(`config.inputs[${i}]`, input));
  if (!(GROUND_TRUTH_KINDS as readonly unknown[]).includes(config.groundTruth)) fail('config.groundTruth', `one of ${GROUND_TRUTH_KINDS.map((k) => `'${k}'`).join(', ')}`, config.groundTruth);
  const groundTruth = config.groundTruth as GroundTruthKind;
  string('config.groundTruthNote', config.groundTruthNote, false);
  checkModelRecord('config.model', config.model, v3);
  object('config.synthesis', config.synthesis);
  object('config.handpose', config.handpose);
  object('config.deblur', config.deblur);
  const metrics = object('config.metrics', config.metrics, ['channel', 'cropBorder', 'pckThresholds', 'pckNormalization']);
  if (metrics.channel !== 'rgb' && metrics.channel !== 'y') fail('config.metrics.channel', "one of 'rgb', 'y'", metrics.channel);
  integer('config.metrics.cropBorder', metrics.cropBorder, 0);
  const thresholds = array('config.metrics.pckThresholds', metrics.pckThresholds).map((t, i) => finite(`config.metrics.pckThresholds[${i}]`, t, Number.MIN_VALUE));
  thresholds.forEach((t, i) => {
    if (thresholds.indexOf(t) !== i) fail(`config.metrics.pckThresholds[${i}]`, 'a threshold not listed before', t);
  });
  string('config.metrics.pckNormalization', metrics.pckNormalization);
  const names = metricNames(thresholds);

  const summary = checkSummary('summary', root.summary, names, groundTruth);
  if (v2) checkRecovered('recovered', root.recovered, summary);

  const sequences = array('sequences', root.sequences, 1);
  const frameIndices = new Map<string, Set<number>>();
  sequences.forEach((s, i) => {
    const path = `sequences[${i}]`;
    const sequence = object(path, s, ['id', 'frames', 'summary', ...(v2 ? ['recovered'] : []), 'perFrame']);
    const id = string(child(path, 'id'), sequence.id);
    if (frameIndices.has(id)) fail(child(path, 'id'), 'an id no earlier sequence has', id);
    const frames = integer(child(path, 'frames'), sequence.frames, 1);
    const sequenceSummary = checkSummary(child(path, 'summary'), sequence.summary, names, groundTruth);
    if (v2) checkRecovered(child(path, 'recovered'), sequence.recovered, sequenceSummary);
    const perFrame = array(child(path, 'perFrame'), sequence.perFrame);
    if (perFrame.length !== frames) fail(child(path, 'perFrame'), `an array of ${frames} (the sequence's frames)`, perFrame);
    const indices = new Set<number>();
    let last = -1;
    perFrame.forEach((f, j) => {
      const frame = checkFrame(`${path}.perFrame[${j}]`, f, groundTruth);
      if (frame.index <= last) fail(`${path}.perFrame[${j}].index`, `an index greater than the previous frame's ${last}`, frame.index);
      last = frame.index;
      indices.add(frame.index);
    });
    frameIndices.set(id, indices);
  });

  array('panels', root.panels).forEach((p, i) => {
    const path = `panels[${i}]`;
    const panel = object(path, p, ['sequence', 'index', 'blurred', 'deblurred', 'sharp']);
    const sequence = string(child(path, 'sequence'), panel.sequence);
    const indices = frameIndices.get(sequence);
    if (!indices) fail(child(path, 'sequence'), 'the id of a sequence in sequences', sequence);
    const index = integer(child(path, 'index'), panel.index, 0);
    if (!indices.has(index)) fail(child(path, 'index'), `a frame index of sequence ${sequence}`, index);
    for (const key of ['blurred', 'deblurred', 'sharp']) checkImagePath(child(path, key), panel[key]);
  });

  if (v3) checkModels(root, names, groundTruth);

  const timing = object('timing', root.timing, ['totalMs', 'stages']);
  finite('timing.totalMs', timing.totalMs, 0);
  const stages = object('timing.stages', timing.stages);
  for (const [key, ms] of Object.entries(stages)) finite(child('timing.stages', key), ms, 0);

  if (v3) return value as EvalReport;
  return upgradeV2(v2 ? (value as EvalReportV2) : upgradeV1(value as EvalReportV1));
}

function checkModelRecord(path: string, value: unknown, nullableSha: boolean): ModelRecord {
  const model = object(path, value, ['name', 'preset', 'sha256', 'device'], ['clampRadius']);
  if (model.clampRadius !== undefined && (typeof model.clampRadius !== 'number' || !Number.isInteger(model.clampRadius) || model.clampRadius < 0)) fail(child(path, 'clampRadius'), 'a non-negative integer', model.clampRadius);
  string(child(path, 'name'), model.name);
  string(child(path, 'preset'), model.preset);
  if (!(nullableSha && model.sha256 === null) && (typeof model.sha256 !== 'string' || !SHA256.test(model.sha256))) fail(child(path, 'sha256'), nullableSha ? '64 lowercase hex digits, or null for a computed model' : '64 lowercase hex digits', model.sha256);
  string(child(path, 'device'), model.device);
  return model as unknown as ModelRecord;
}

/** Schema v3's `models` and `comparison` (see the module comment). */
function checkModels(root: Json, names: readonly MetricName[], groundTruth: GroundTruthKind): void {
  const sequences = root.sequences as Json[];
  const models = array('models', root.models, 1);
  const seen: string[] = [];
  models.forEach((m, k) => {
    const path = `models[${k}]`;
    const result = object(path, m, ['model', 'summary', 'recovered', 'sequences']);
    const record = checkModelRecord(child(path, 'model'), result.model, true);
    if (seen.includes(record.name)) fail(child(child(path, 'model'), 'name'), 'a name no earlier model has', record.name);
    seen.push(record.name);
    if (k === 0 && JSON.stringify(record) !== JSON.stringify(root.config && (root.config as Json).model)) fail(child(path, 'model'), 'config.model (the first model is the report\u2019s own)', record);
    const summary = checkSummary(child(path, 'summary'), result.summary, names, groundTruth);
    checkRecovered(child(path, 'recovered'), result.recovered, summary);
    const own = array(child(path, 'sequences'), result.sequences, 1);
    if (own.length !== sequences.length) fail(child(path, 'sequences'), `an array of ${sequences.length} (the report's sequences)`, own);
    own.forEach((s, i) => {
      const sp = `${path}.sequences[${i}]`;
      const sequence = object(sp, s, ['id', 'frames', 'summary', 'recovered', 'perFrame']);
      if (sequence.id !== sequences[i]!.id) fail(child(sp, 'id'), `${JSON.stringify(sequences[i]!.id)} (the report's sequence ${i})`, sequence.id);
      if (sequence.frames !== sequences[i]!.frames) fail(child(sp, 'frames'), `${String(sequences[i]!.frames)} (the report's sequence ${i})`, sequence.frames);
      const sequenceSummary = checkSummary(child(sp, 'summary'), sequence.summary, names, groundTruth);
      checkRecovered(child(sp, 'recovered'), sequence.recovered, sequenceSummary);
      const perFrame = array(child(sp, 'perFrame'), sequence.perFrame);
      if (perFrame.length !== sequence.frames) fail(child(sp, 'perFrame'), `an array of ${String(sequence.frames)} (the sequence's frames)`, perFrame);
      perFrame.forEach((f, j) => checkFrame(`${sp}.perFrame[${j}]`, f, groundTruth));
    });
  });
  const comparison = object('comparison', root.comparison, ['differences', 'commonFrames']);
  const differences = array('comparison.differences', comparison.differences);
  const pairs = (models.length * (models.length - 1)) / 2;
  if (differences.length !== pairs) fail('comparison.differences', `an array of ${pairs} (every pair of the ${models.length} models)`, differences);
  let d = 0;
  for (let i = 0; i < seen.length; i++) {
    for (let k = i + 1; k < seen.length; k++, d++) {
      const path = `comparison.differences[${d}]`;
      const record = object(path, differences[d], ['a', 'b', 'metrics']);
      if (record.a !== seen[i]) fail(child(path, 'a'), JSON.stringify(seen[i]), record.a);
      if (record.b !== seen[k]) fail(child(path, 'b'), JSON.stringify(seen[k]), record.b);
      const metrics = object(child(path, 'metrics'), record.metrics, SPREAD_METRICS);
      for (const metric of SPREAD_METRICS) {
        const mp = child(child(path, 'metrics'), metric);
        nullable(mp, metrics[metric], (p, v) => {
          const value = object(p, v, ['difference', 'interval95', 'frames', 'better', 'worse']);
          finite(child(p, 'difference'), value.difference);
          const interval = array(child(p, 'interval95'), value.interval95);
          if (interval.length !== 2) fail(child(p, 'interval95'), '[low, high]', interval);
          finite(`${child(p, 'interval95')}[1]`, interval[1], finite(`${child(p, 'interval95')}[0]`, interval[0]));
          const frames = integer(child(p, 'frames'), value.frames, 1);
          if (integer(child(p, 'better'), value.better, 0) + integer(child(p, 'worse'), value.worse, 0) > frames) fail(child(p, 'worse'), `at most ${frames} frames with better`, value.worse);
          return value;
        });
      }
    }
  }
  const common = object('comparison.commonFrames', comparison.commonFrames, ['frames', 'metrics']);
  integer('comparison.commonFrames.frames', common.frames, 0);
  const metrics = object('comparison.commonFrames.metrics', common.metrics, COMMON_METRICS);
  for (const metric of COMMON_METRICS) {
    const p = `comparison.commonFrames.metrics.${metric}`;
    const values = object(p, metrics[metric], ['blurred', 'models', 'sharp']);
    const px = (q: string, v: unknown) => finite(q, v, 0);
    nullable(child(p, 'blurred'), values.blurred, px);
    const perModel = array(child(p, 'models'), values.models);
    if (perModel.length !== models.length) fail(child(p, 'models'), `an array of ${models.length} (one per model)`, perModel);
    perModel.forEach((v, k) => nullable(`${child(p, 'models')}[${k}]`, v, px));
    if (groundTruth === 'pseudo' && values.sharp !== null) fail(child(p, 'sharp'), 'null (under pseudo ground truth the sharp frame\u2019s estimate is the ground truth)', values.sharp);
    nullable(child(p, 'sharp'), values.sharp, px);
  }
}
