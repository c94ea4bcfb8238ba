/**
 * Peak signal-to-noise ratio between two frames of the same size, over all RGB samples, with the peak of the
 * sample type (255, 65535, or 1 for float). Identical frames give Infinity.
 * (The Y-channel convention comes with the evaluation metrics.)
 */
import { assertSameSize, type Frame, SAMPLE_MAX } from '../stream/frame.js';
import { FrameMismatchError, InvalidOptionError } from '../errors.js';

/** Conventions of the pixel metrics. */
export interface PixelMetricOptions {
  /** Pixels ignored at each border (BasicSR's crop_border), default 0. */
  cropBorder?: number;
}

/** Mean squared error over all samples (inside the crop), in units of the sample type. */
export function meanSquaredError(a: Frame, b: Frame, options: PixelMetricOptions = {}): number {
  assertSameSize(a, b, 'meanSquaredError');
  if (a.sampleType !== b.sampleType) throw new FrameMismatchError(`meanSquaredError: sample types differ (${a.sampleType} vs ${b.sampleType})`);
  const crop = options.cropBorder ?? 0;
  if (!Number.isInteger(crop) || crop < 0 || 2 * crop >= Math.min(a.width, a.height)) {
    throw new InvalidOptionError(`Expected integer between 0 and ${Math.ceil(Math.min(a.width, a.height) / 2) - 1} for cropBorder but received ${crop} of type ${typeof crop}`);
  }
  let sum = 0;
  const x = a.data;
  const y = b.data;
  for (let row = crop; row < a.height - crop; row++) {
    const end = (row * a.width + a.width - crop) * 3;
    for (let i = (row * a.width + crop) * 3; i < end; i++) {
      const d = x[i]! - y[i]!;
      sum += d * d;
    }
  }
  return sum / ((a.width - 2 * crop) * (a.height - 2 * crop) * 3);
}

/** PSNR in dB: 10 log10(peak^2 / MSE). */
export function psnr(a: Frame, b: Frame, options: PixelMetricOptions = {}): number {
  const mse = meanSquaredError(a, b, options);
  const peak = SAMPLE_MAX[a.sampleType];
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((peak * peak) / mse);
}
