/**
 * The metrics' vocabulary, in one place: their names, which direction is better, units, how they are shown and
 * described, the ground-truth kinds, and the PSNR cap. The evaluation, its report.json schema, the terminal table and
 * the HTML page all read these; the functions that compute the metrics are beside this file (psnr.ts, ssim.ts,
 * joints.ts, gain-spread.ts), and docs/metrics.md defines them in prose.
 */
import { invalidOption } from '../options.js';

/**
 * PSNR values are stored capped at this many dB. Identical frames (infinite PSNR, which JSON cannot hold) and any
 * frame above the cap are stored as exactly 100, so every stored PSNR is a finite number in [0, 100] and means stay
 * finite. For scale: 8-bit 640x480 frames that differ by one level in a single sample are 107.8 dB apart.
 */
export const PSNR_CAP_DB = 100;

/** A PSNR in dB as stored: Infinity (identical frames) and anything above {@link PSNR_CAP_DB} become the cap. */
export function capPsnr(db: number): number {
  if (Number.isNaN(db)) invalidOption('psnr', 'a number or Infinity', db);
  return Math.min(db, PSNR_CAP_DB);
}

/** Which direction of a metric is better. */
export type Better = 'higher' | 'lower';

/** Where the ground-truth joints come from: FPHA's projected skeleton, or the estimator on the sharp frames. */
export type GroundTruthKind = 'fpha-skeleton' | 'pseudo';

/** Ground-truth kinds, in the order the docs list them. */
export const GROUND_TRUTH_KINDS: readonly GroundTruthKind[] = ['fpha-skeleton', 'pseudo'];

/** The summary key of PCK at one threshold: `pck@` followed by the threshold as JavaScript prints it (`pck@0.2`). */
export type PckMetricName = `pck@${string}`;

/** Names of the summary rows. Every summary holds the six fixed ones plus `pck@<t>` for each configured threshold. */
export type MetricName = 'psnr' | 'ssim' | 'rmse' | 'abse' | 'epe' | 'detectionRate' | PckMetricName;

/** The fixed metric names, in display order (PCK rows go between `epe` and `detectionRate`). */
export const FIXED_METRICS = ['psnr', 'ssim', 'rmse', 'abse', 'epe', 'detectionRate'] as const;

/** What a metric is and how it is shown. */
export interface MetricInfo {
  /** Short label for tables and charts (`PSNR`, `PCK@0.2`). */
  label: string;
  /** Which direction is better. */
  better: Better;
  /** The unit stored in {@link MetricRow.unit}. */
  unit: string;
  /** Stored values are multiplied by this for display (100 for fractions shown as percentages). */
  displayFactor: number;
  /** The unit values are shown in (`%` for fractions; their gains are shown in percentage points, `pp`). */
  displayUnit: string;
  /** Decimals shown in tables, of the displayed value. */
  decimals: number;
  /** What is measured, one or two sentences. */
  description: string;
  /** `image`: restoration fidelity; `pose`: joint error or PCK against the ground truth; `detection`: found or not. */
  kind: 'image' | 'pose' | 'detection';
}

/** The fixed metrics' definitions. PCK's come from {@link metricInfo}. */
export const METRICS: Readonly<Record<(typeof FIXED_METRICS)[number], MetricInfo>> = {
  psnr: {
    label: 'PSNR',
    better: 'higher',
    unit: 'dB',
    displayFactor: 1,
    displayUnit: 'dB',
    decimals: 2,
    kind: 'image',
    description: `Peak signal-to-noise ratio of the frame against the sharp frame, mean over frames (each capped at ${PSNR_CAP_DB} dB).`,
  },
  ssim: {
    label: 'SSIM',
    better: 'higher',
    unit: '',
    displayFactor: 1,
    displayUnit: '',
    decimals: 4,
    kind: 'image',
    description: 'Structural similarity of the frame to the sharp frame (1 = identical), mean over frames.',
  },
  rmse: {
    label: 'RMSE',
    better: 'lower',
    unit: 'px',
    displayFactor: 1,
    displayUnit: 'px',
    decimals: 2,
    kind: 'pose',
    description:
      'Root mean square distance between the 21 estimated and ground-truth joints, in pixels of the frame; pooled over frames (the root of the mean per-frame RMSE\u00b2).',
  },
  abse: {
    label: 'ABSE',
    better: 'lower',
    unit: 'px',
    displayFactor: 1,
    displayUnit: 'px',
    decimals: 2,
    kind: 'pose',
    description: 'Mean absolute error of the 21 estimated joints\u2019 x and y coordinates (42 numbers per frame), in pixels; mean over frames.',
  },
  epe: {
    label: 'EPE',
    better: 'lower',
    unit: 'px',
    displayFactor: 1,
    displayUnit: 'px',
    decimals: 2,
    kind: 'pose',
    description: 'End-point error: mean Euclidean distance between estimated and ground-truth joints, in pixels; mean over frames.',
  },
  detectionRate: {
    label: 'Detection rate',
    better: 'higher',
    unit: 'fraction',
    displayFactor: 100,
    displayUnit: '%',
    decimals: 1,
    kind: 'detection',
    description: 'Share of the frames with ground truth in which the estimator found a hand; its gain is shown in percentage points.',
  },
};

/** PCK, at every threshold, is better higher. */
export const PCK_BETTER: Better = 'higher';

/** The summary key of PCK at threshold `t`: `pck@0.2`. */
export function pckMetricName(threshold: number): PckMetricName {
  return `pck@${threshold}`;
}

function isFixedMetric(name: string): name is (typeof FIXED_METRICS)[number] {
  return (FIXED_METRICS as readonly string[]).includes(name);
}

/** The definition of any metric name, PCK included (`pck@0.2` with normalization `bbox`). */
export function metricInfo(name: MetricName, pckNormalization = 'px'): MetricInfo {
  if (isFixedMetric(name)) return METRICS[name];
  const threshold = name.slice('pck@'.length);
  const within =
    pckNormalization === 'px'
      ? `${threshold} px`
      : pckNormalization === 'bbox'
        ? `${threshold} \u00d7 S (S the longer side of the ground-truth joints\u2019 bounding box)`
        : `${threshold} (${pckNormalization})`;
  return {
    label: `PCK@${threshold}`,
    better: PCK_BETTER,
    unit: 'fraction',
    displayFactor: 100,
    displayUnit: '%',
    decimals: 1,
    kind: 'pose',
    description: `Share of joints within ${within} of the ground truth, over the frames with ground truth (a missed hand counts as 21 misses); its gain is shown in percentage points.`,
  };
}

/** Every summary key a report with these PCK thresholds holds, in display order. */
export function metricNames(pckThresholds: readonly number[]): MetricName[] {
  const pck = [...pckThresholds].sort((a, b) => a - b).map(pckMetricName);
  return ['psnr', 'ssim', 'rmse', 'abse', 'epe', ...pck, 'detectionRate'];
}
