/**
 * How sure each summary gain of a report is: the spread of the gain over its frames (`metrics/gain-spread.ts`: the
 * median per-frame gain, the frames that got better and worse, a 95% circular block bootstrap interval), computed from
 * the report's per-frame records, so any report.json can be read this way. The metrics with a value per frame
 * have one (PSNR, SSIM, RMSE, ABSE and EPE), and so does the detection rate: each frame with ground truth is a
 * detection (1) or a miss (0) on either version, and the rate is their mean. The bootstrap blocks never span two
 * sequences.
 */
import { type GainSpread, type GainSpreadOptions, gainSpread } from '../metrics/gain-spread.js';
import { detectionPairs, framePairs, type PerFrameMetric } from './report-charts.js';
import type { FrameRecord } from './report-schema.js';
import { type GroundTruthKind, METRICS, type MetricName } from '../metrics/definitions.js';

/** A summary metric with a spread. */
export type SpreadMetric = PerFrameMetric | 'detectionRate';

/** The summary metrics that have a spread, in display order. */
export const SPREAD_METRICS: readonly SpreadMetric[] = ['psnr', 'ssim', 'rmse', 'abse', 'epe', 'detectionRate'];

/** Whether a summary row has a spread. */
export function hasSpread(name: MetricName): name is SpreadMetric {
  return (SPREAD_METRICS as readonly string[]).includes(name);
}

/** What a spread is computed from: the per-frame records of each sequence and the kind of ground truth. */
export interface SpreadSource {
  readonly config: { readonly groundTruth: GroundTruthKind };
  readonly sequences: ReadonlyArray<{ readonly perFrame: readonly FrameRecord[] }>;
}

/**
 * The spread of the gain of `metric` over all the report's frames (RMSE pooled as root mean square, the others as
 * means, as the summary pools them); null when no frame counts.
 */
export function reportGainSpread(report: SpreadSource, metric: SpreadMetric, options: Omit<GainSpreadOptions, 'pool'> = {}): GainSpread | null {
  const groundTruth = report.config.groundTruth;
  const sequences = report.sequences.map((s) => (metric === 'detectionRate' ? detectionPairs(s.perFrame, groundTruth) : framePairs(s.perFrame, metric, groundTruth)));
  return gainSpread(sequences, METRICS[metric].better, { ...options, pool: metric === 'rmse' ? 'rms' : 'mean' });
}
