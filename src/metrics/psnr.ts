/**
 * Peak signal-to-noise ratio between two frames of the same size, as BasicSR's `calculate_psnr` computes it: over all
 * RGB samples (or BT.601 luma with `channel: 'y'`), inside `cropBorder`, with the peak of the sample type (255, 65535,
 * or 1 for float; or of `bitDepth`). Identical frames give Infinity.
 */
import type { Frame } from '../stream/frame.js';
import { lumaCoefficients, pixelMetricInput, type PixelMetricInput, type PixelMetricOptions } from './pixel-conventions.js';

export type { PixelMetricOptions } from './pixel-conventions.js';

/**
 * Mean squared error over the compared samples (inside the crop; all three channels, or luma), in units of the
 * sample type (of `bitDepth` when given).
 */
export function meanSquaredError(a: Frame, b: Frame, options: PixelMetricOptions = {}): number {
  return squaredErrorOf(pixelMetricInput('meanSquaredError', a, b, options));
}

/** PSNR in dB: 10 log10(peak^2 / MSE); Infinity when the compared samples are identical. */
export function psnr(a: Frame, b: Frame, options: PixelMetricOptions = {}): number {
  const input = pixelMetricInput('psnr', a, b, options);
  const mse = squaredErrorOf(input);
  return mse === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((input.peak * input.peak) / mse);
}

function squaredErrorOf(input: PixelMetricInput): number {
  const { a, cropBorder: crop, channel, peak } = input;
  const x = a.data;
  const y = input.b.data;
  const { kr, kg, kb } = lumaCoefficients(peak);
  let sum = 0;
  for (let row = crop; row < a.height - crop; row++) {
    const end = (row * a.width + a.width - crop) * 3;
    let rowSum = 0;
    if (channel === 'y') {
      // Y's offset cancels in the difference: dY = kr dR + kg dG + kb dB.
      for (let i = (row * a.width + crop) * 3; i < end; i += 3) {
        const d = kr * (x[i]! - y[i]!) + kg * (x[i + 1]! - y[i + 1]!) + kb * (x[i + 2]! - y[i + 2]!);
        rowSum += d * d;
      }
    } else {
      for (let i = (row * a.width + crop) * 3; i < end; i++) {
        const d = x[i]! - y[i]!;
        rowSum += d * d;
      }
    }
    sum += rowSum;
  }
  const pixels = (a.width - 2 * crop) * (a.height - 2 * crop);
  return sum / (channel === 'y' ? pixels : pixels * 3);
}
