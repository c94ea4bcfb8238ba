/**
 * What deblurring recovered of the blur gap (schema v2's `recovered`): for the detection rate and for joint RMSE, the
 * share (deblurred - blurred) / (sharp - blurred) of the summary row (src/metrics/recovery.ts) and the 95%
 * block-bootstrap interval of the row's gain (gain-spreads.ts, the same bootstrap as every other interval).
 */
import type { GroundTruthKind } from '../metrics/definitions.js';
import { blurGapRecovery } from '../metrics/recovery.js';
import { reportGainSpread } from './gain-spreads.js';
import type { FrameRecord, MetricSummary, RecoveredRecord, RecoveryRecord } from './report-schema.js';

/** The metrics whose recovery a report records. */
export const RECOVERED_METRICS = ['detectionRate', 'rmse'] as const;

/** `recovered` of a set of sequences whose pooled summary is `summary`. */
export function recoveredRecord(summary: MetricSummary, sequences: ReadonlyArray<{ readonly perFrame: readonly FrameRecord[] }>, groundTruth: GroundTruthKind): RecoveredRecord {
  const source = { config: { groundTruth }, sequences };
  const one = (metric: (typeof RECOVERED_METRICS)[number]): RecoveryRecord => {
    const spread = reportGainSpread(source, metric);
    return { ...blurGapRecovery(summary[metric]), gainInterval95: spread ? [spread.interval95[0], spread.interval95[1]] : null };
  };
  return { detectionRate: one('detectionRate'), rmse: one('rmse') };
}
