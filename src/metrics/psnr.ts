/**
 * Peak signal-to-noise ratio between two frames of the same size, over all RGB samples, with the peak of the
 * sample type (255, 65535, or 1 for float). Identical frames give Infinity.
 * (Y-channel and border-crop conventions come with the evaluation metrics.)
 */
import { assertSameSize, type Frame, SAMPLE_MAX } from '../stream/frame.js';
import { FrameMismatchError } from '../errors.js';

/** Mean squared error over all samples, in units of the sample type. */
export function meanSquaredError(a: Frame, b: Frame): number {
  assertSameSize(a, b, 'meanSquaredError');
  if (a.sampleType !== b.sampleType) throw new FrameMismatchError(`meanSquaredError: sample types differ (${a.sampleType} vs ${b.sampleType})`);
  let sum = 0;
  const x = a.data;
  const y = b.data;
  for (let i = 0; i < x.length; i++) {
    const d = x[i]! - y[i]!;
    sum += d * d;
  }
  return sum / x.length;
}

/** PSNR in dB: 10 log10(peak^2 / MSE). */
export function psnr(a: Frame, b: Frame): number {
  const mse = meanSquaredError(a, b);
  const peak = SAMPLE_MAX[a.sampleType];
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((peak * peak) / mse);
}
