/**
 * Several deblurring models on the same blur (report.json schema v3): each model's results as a one-model report's
 * (its summary, what it recovered, its per-frame records, `deblurred` meaning that model), and how the models differ:
 *
 * - the difference between two models a and b (b - a, better positive, as gains are), paired by frame: the same
 *   block bootstrap as every gain's interval (src/metrics/gain-spread.ts) over the frames both versions count on,
 *   each model's output standing where the blurred and deblurred frames stand in a gain. Joint errors: the frames
 *   with ground truth where the hand was found by a, by b and (with skeletons) in the sharp frame;
 * - the joint errors over the frames common to all: ground truth, and the hand found in the blurred frame, by every
 *   model and (with skeletons) in the sharp frame, so every column of that table averages the same frames.
 *
 * Each model's own summary compares it with blurred on the frames where the hand is found in blurred, that model and
 * (with skeletons) sharp: the frames differ between models, which is why the common table exists.
 */
import type { GroundTruthKind } from '../metrics/definitions.js';
import { DEFAULT_GAIN_BLOCK } from '../metrics/gain-spread.js';
import { reportGainSpread, SPREAD_METRICS, type SpreadMetric } from './gain-spreads.js';
import type { FrameRecord, JointRecord, MetricSummary, ModelRecord, RecoveredRecord, SequenceReport } from './report-schema.js';

/** One model's results: as a one-model report's summary, recovered share and sequences (`deblurred` = this model). */
export interface ModelResult {
  /** The model. */
  model: ModelRecord;
  /** Summary over all frames: blurred, this model, sharp. */
  summary: MetricSummary;
  /** The blur gap this model recovered. */
  recovered: RecoveredRecord;
  /** Per sequence, in the report's order (same ids and frames as the report's `sequences`). */
  sequences: SequenceReport[];
}

/** The difference of one metric between two models, b - a, better positive, paired by frame. */
export interface DifferenceValue {
  /** b's summary value against a's, better positive (b - a where higher is better, a - b where lower is better), over the paired frames. */
  difference: number;
  /** 95% circular block bootstrap interval of the difference (blocks of 5 frames, wrapping within a sequence, never across sequences). */
  interval95: [number, number];
  /** Frames paired. */
  frames: number;
  /** Frames on which b did better than a, and worse. */
  better: number;
  worse: number;
}

/** How model `b` differs from model `a`, per metric with a value per frame (null where no frame pairs). */
export interface DifferenceRecord {
  a: string;
  b: string;
  metrics: Record<SpreadMetric, DifferenceValue | null>;
}

/** Joint errors whose frames are common to all versions. */
export type CommonMetric = 'rmse' | 'abse' | 'epe';
/** The joint metrics of the common-frames table. */
export const COMMON_METRICS: readonly CommonMetric[] = ['rmse', 'abse', 'epe'];

/** One joint metric over the common frames: the blurred frames, each model (in `models` order), the sharp frames. */
export interface CommonValues {
  blurred: number | null;
  models: (number | null)[];
  /** Null under pseudo ground truth (the sharp estimate is the ground truth). */
  sharp: number | null;
}

/** Joint errors over the frames common to all (see the module comment). */
export interface CommonFramesRecord {
  frames: number;
  metrics: Record<CommonMetric, CommonValues>;
}

/** The comparison between models (schema v3). */
export interface ComparisonRecord {
  /** Every pair (a before b in `models` order): n (n - 1) / 2 records. */
  differences: DifferenceRecord[];
  commonFrames: CommonFramesRecord;
}

/** Frame records with model a's output as `blurred` and b's as `deblurred`, for the paired bootstrap. */
function pairedRecords(a: readonly FrameRecord[], b: readonly FrameRecord[]): FrameRecord[] {
  return a.map((fa, i) => {
    const fb = b[i]!;
    return {
      index: fa.index,
      psnr: { blurred: fa.psnr.deblurred, deblurred: fb.psnr.deblurred },
      ssim: { blurred: fa.ssim.deblurred, deblurred: fb.ssim.deblurred },
      joints: { blurred: fa.joints.deblurred, deblurred: fb.joints.deblurred, sharp: fa.joints.sharp },
    };
  });
}

/** How `b` differs from `a` (see the module comment). */
export function modelDifference(a: ModelResult, b: ModelResult, groundTruth: GroundTruthKind): DifferenceRecord {
  const source = { config: { groundTruth }, sequences: a.sequences.map((s, i) => ({ perFrame: pairedRecords(s.perFrame, b.sequences[i]!.perFrame) })) };
  const metrics = {} as Record<SpreadMetric, DifferenceValue | null>;
  for (const metric of SPREAD_METRICS) {
    const spread = reportGainSpread(source, metric, { blockLength: DEFAULT_GAIN_BLOCK });
    metrics[metric] = spread ? { difference: spread.gain, interval95: [spread.interval95[0], spread.interval95[1]], frames: spread.frames, better: spread.better, worse: spread.worse } : null;
  }
  return { a: a.model.name, b: b.model.name, metrics };
}

const scored = (j: JointRecord) => j.rmse !== null;

/** Joint errors over the frames common to all models (see the module comment). */
export function commonFramesRecord(results: readonly ModelResult[], groundTruth: GroundTruthKind): CommonFramesRecord {
  const first = results[0]!;
  const picked: { blurred: JointRecord; models: JointRecord[]; sharp: JointRecord }[] = [];
  first.sequences.forEach((s, i) =>
    s.perFrame.forEach((f, j) => {
      const models = results.map((r) => r.sequences[i]!.perFrame[j]!.joints.deblurred);
      if (scored(f.joints.blurred) && models.every(scored) && (groundTruth === 'pseudo' || scored(f.joints.sharp))) picked.push({ blurred: f.joints.blurred, models, sharp: f.joints.sharp });
    }),
  );
  const pool = (values: number[], metric: CommonMetric): number | null => {
    if (values.length === 0) return null;
    return metric === 'rmse' ? Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length) : values.reduce((s, v) => s + v, 0) / values.length;
  };
  const metrics = {} as Record<CommonMetric, CommonValues>;
  for (const metric of COMMON_METRICS) {
    metrics[metric] = {
      blurred: pool(picked.map((p) => p.blurred[metric]!), metric),
      models: results.map((_, k) => pool(picked.map((p) => p.models[k]![metric]!), metric)),
      sharp: groundTruth === 'pseudo' ? null : pool(picked.map((p) => p.sharp[metric]!), metric),
    };
  }
  return { frames: picked.length, metrics };
}

/** The comparison of `results` (every pair, and the common frames). */
export function comparisonRecord(results: readonly ModelResult[], groundTruth: GroundTruthKind): ComparisonRecord {
  const differences: DifferenceRecord[] = [];
  for (let i = 0; i < results.length; i++) for (let k = i + 1; k < results.length; k++) differences.push(modelDifference(results[i]!, results[k]!, groundTruth));
  return { differences, commonFrames: commonFramesRecord(results, groundTruth) };
}
