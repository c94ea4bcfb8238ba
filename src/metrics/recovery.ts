/**
 * How much of the blur gap deblurring recovers: blur moves a metric from its value on the sharp frames to its value
 * on the blurred ones; deblurring moves it back by some share of that gap,
 *
 *   share = (deblurred - blurred) / (sharp - blurred),
 *
 * the same formula whichever direction is better (the signs cancel): 1 means the deblurred frames score as the sharp
 * ones do, 0 means no change, negative means deblurring widened the gap, above 1 means it did better than the sharp
 * frames. Where blurred equals sharp there is no gap to recover (status `'no-gap'`, share null); where a value is
 * missing (no sharp value under pseudo ground truth, no frame counted) the status is `'unavailable'`.
 */

/** Whether a share was measured, and why not. */
export type RecoveryStatus = 'measured' | 'no-gap' | 'unavailable';

/** The share of the blur gap recovered. Plain data. */
export interface BlurGapRecovery {
  /** (deblurred - blurred) / (sharp - blurred); null unless `status` is `'measured'`. */
  readonly share: number | null;
  readonly status: RecoveryStatus;
}

/** Relative tolerance under which blurred and sharp count as equal (floating-point noise of pooled means). */
const SAME = 1e-9;

/** The share of the blur gap between `blurred` and `sharp` that `deblurred` recovers (see the module comment). */
export function blurGapRecovery(values: { readonly blurred: number | null; readonly deblurred: number | null; readonly sharp: number | null }): BlurGapRecovery {
  const { blurred, deblurred, sharp } = values;
  if (blurred === null || deblurred === null || sharp === null) return { share: null, status: 'unavailable' };
  const gap = sharp - blurred;
  if (Math.abs(gap) <= SAME * Math.max(1, Math.abs(sharp), Math.abs(blurred))) return { share: null, status: 'no-gap' };
  return { share: (deblurred - blurred) / gap, status: 'measured' };
}
