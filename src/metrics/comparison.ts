/**
 * How an evaluation reports a metric: its value on each version of the frames (blurred, deblurred, sharp) and the
 * gain of deblurring, signed so that better is always positive.
 */
import type { Better } from './definitions.js';


/** The versions of a frame an evaluation compares. */
export type FrameVersion = 'blurred' | 'deblurred' | 'sharp';

/** A metric on each version of the frames and the gain of deblurring. Plain data, ready for JSON. */
export interface VersionComparison {
  readonly blurred: number | null;
  readonly deblurred: number | null;
  /**
   * The sharp frames' value; null where it would measure nothing (pixel metrics compare with the sharp frames
   * themselves; joint metrics against pseudo ground truth, which the sharp frames define).
   */
  readonly sharp: number | null;
  /** deblurred - blurred when higher is better, blurred - deblurred when lower is better; null when either is null. */
  readonly gain: number | null;
}

/** The gain of deblurring, better is positive: deblurred - blurred for higher-is-better metrics, else blurred - deblurred. */
export function gain(blurred: number | null, deblurred: number | null, better: Better): number | null {
  if (blurred === null || deblurred === null) return null;
  return better === 'higher' ? deblurred - blurred : blurred - deblurred;
}

/** Assembles a {@link VersionComparison}; `sharp` defaults to null. */
export function compareVersions(
  values: { blurred: number | null; deblurred: number | null; sharp?: number | null },
  better: Better,
): VersionComparison {
  return { blurred: values.blurred, deblurred: values.deblurred, sharp: values.sharp ?? null, gain: gain(values.blurred, values.deblurred, better) };
}

/** Mean of the values, or null when there are none. */
export function meanOrNull(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
