/**
 * Number formatting shared by the HTML report and the terminal table, so both show the same digits and signs.
 */
import type { EvalReport } from './report-schema.js';
import { type MetricInfo, type MetricName, metricInfo } from '../metrics/definitions.js';

/** How a gain reads: deblurring helped, hurt, made no visible difference, or there is nothing to compare. */
export type GainEffect = 'better' | 'worse' | 'same' | 'none';

/** Minus signs: typographic (U+2212) for HTML, ASCII hyphen-minus for terminals and files. */
export type MinusSign = '\u2212' | '-';

/** Options of {@link formatNumber}. */
export interface FormatNumberOptions {
  /** Put `+` before positive values (gains). Default false. */
  signed?: boolean;
  /** The minus sign. Default U+2212. */
  minus?: MinusSign;
}

/**
 * A number with a fixed count of decimals. A value that rounds to zero shows without a sign (`0.00`, never `-0.00`),
 * so only a visible difference carries one.
 */
export function formatNumber(value: number, decimals: number, options: FormatNumberOptions = {}): string {
  const { signed = false, minus = '\u2212' } = options;
  const text = Math.abs(value).toFixed(decimals);
  if (Number(text) === 0) return text;
  if (value < 0) return `${minus}${text}`;
  return signed ? `+${text}` : text;
}

/** Whether a gain shown with `decimals` decimals reads as better, worse or the same. */
export function gainEffect(gain: number | null, decimals: number): GainEffect {
  if (gain === null) return 'none';
  if (Number(Math.abs(gain).toFixed(decimals)) === 0) return 'same';
  return gain > 0 ? 'better' : 'worse';
}

/** A metric's label with the unit it is shown in: `PSNR (dB)`, `SSIM`, `Detection rate (%)`. */
export function labelWithUnit(name: MetricName, pckNormalization?: string): string {
  const { label, displayUnit } = metricInfo(name, pckNormalization);
  return displayUnit === '' ? label : `${label} (${displayUnit})`;
}

/** A stored value (or gain) in the unit it is shown in: fractions become percentages (points, for gains). */
export function displayed(info: MetricInfo, value: number | null): number | null {
  return value === null ? null : value * info.displayFactor;
}

/** The unit a gain is shown in: gains of percentages are percentage points. */
export function gainUnit(info: MetricInfo): string {
  return info.displayUnit === '%' ? 'pp' : info.displayUnit;
}

/** Total frames over all sequences. */
export function totalFrames(report: EvalReport): number {
  return report.sequences.reduce((sum, s) => sum + s.frames, 0);
}

/** How the ground truth is named in headings: `FPHA skeleton` or `pseudo (MediaPipe on the sharp frames)`. */
export function groundTruthLabel(report: EvalReport): string {
  return report.config.groundTruth === 'fpha-skeleton' ? 'FPHA skeleton annotations' : 'pseudo (MediaPipe on the sharp frames)';
}

/** The sentence that says what pseudo ground truth means for the sharp column. */
export const PSEUDO_GROUND_TRUTH_NOTE =
  'Pseudo ground truth: the joints are what MediaPipe finds on the sharp frames, not annotations. Pose errors, PCK and the ' +
  'detection rate measure agreement with that estimate, so their sharp column is empty: it would be 0 (100 % for PCK and ' +
  'detection) by construction.';

/** The sentence that defines the gain. */
export const GAIN_NOTE =
  'Gain is the improvement from deblurring, positive when it helped: deblurred \u2212 blurred where higher is better ' +
  '(PSNR, SSIM, PCK, detection rate), blurred \u2212 deblurred where lower is better (RMSE, ABSE, EPE).';
