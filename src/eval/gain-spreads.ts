/**
 * How sure each summary gain of a report is: the spread of the gain over its frames (`metrics/gain-spread.ts`: the
 * median per-frame gain, the frames that got better and worse, a 95% moving-block bootstrap interval), computed from
 * the report's per-frame records, so any report.json can be read this way. Only metrics with a value per frame
 * have one: PSNR, SSIM, RMSE, ABSE and EPE; the bootstrap blocks never span two sequences.
 */
import { METRIC_BETTER } from '../metrics/comparison.js';
import { type GainSpread, type GainSpreadOptions, gainSpread } from '../metrics/gain-spread.js';
import { framePairs, type PerFrameMetric } from './report-charts.js';
import type { EvalReport, MetricName } from './report-schema.js';

/** The summary metrics that have a spread, in display order. */
export const SPREAD_METRICS: readonly PerFrameMetric[] = ['psnr', 'ssim', 'rmse', 'abse', 'epe'];

const BETTER = { psnr: METRIC_BETTER.psnrDb, ssim: METRIC_BETTER.ssim, rmse: METRIC_BETTER.rmsePx, abse: METRIC_BETTER.absePx, epe: METRIC_BETTER.epePx } as const;

/** Whether a summary row has a spread. */
export function hasSpread(name: MetricName): name is PerFrameMetric {
  return (SPREAD_METRICS as readonly string[]).includes(name);
}

/**
 * The spread of the gain of `metric` over all the report's frames (RMSE pooled as root mean square, the others as
 * means, as the summary pools them); null when no frame counts.
 */
export function reportGainSpread(report: EvalReport, metric: PerFrameMetric, options: Omit<GainSpreadOptions, 'pool'> = {}): GainSpread | null {
  const sequences = report.sequences.map((s) => framePairs(s.perFrame, metric, report.config.groundTruth));
  return gainSpread(sequences, BETTER[metric], { ...options, pool: metric === 'rmse' ? 'rms' : 'mean' });
}
