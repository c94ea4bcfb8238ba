/**
 * How sure each summary gain of a report is: the spread of the gain over its frames (`metrics/gain-spread.ts`: the
 * median per-frame gain, the frames that got better and worse, a 95% moving-block bootstrap interval), computed from
 * the report's per-frame records, so any report.json can be read this way. Only metrics with a value per frame
 * have one: PSNR, SSIM, RMSE, ABSE and EPE; the bootstrap blocks never span two sequences.
 */
import { type GainSpread, type GainSpreadOptions, gainSpread } from '../metrics/gain-spread.js';
import { framePairs, type PerFrameMetric } from './report-charts.js';
import type { EvalReport } from './report-schema.js';
import { METRICS, type MetricName } from '../metrics/definitions.js';

/** The summary metrics that have a spread, in display order. */
export const SPREAD_METRICS: readonly PerFrameMetric[] = ['psnr', 'ssim', 'rmse', 'abse', 'epe'];


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
  return gainSpread(sequences, METRICS[metric].better, { ...options, pool: metric === 'rmse' ? 'rms' : 'mean' });
}
