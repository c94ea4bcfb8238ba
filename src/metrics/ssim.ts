/**
 * Structural similarity (Wang, Bovik, Sheikh, Simoncelli 2004), as BasicSR's `calculate_ssim` computes it: an 11x11
 * Gaussian window (sigma 1.5, OpenCV's `getGaussianKernel(11, 1.5)`), K1 = 0.01, K2 = 0.03, data range = the peak of
 * the sample type, population (co)variances, 'valid' filtering (only windows that lie wholly inside the image, after
 * `cropBorder`), SSIM map averaged per channel, channels averaged. scikit-image's `structural_similarity` with
 * `gaussian_weights=True, sigma=1.5, use_sample_covariance=False` computes the same number: it filters with reflected
 * borders and then drops the 5-pixel strip those borders reach.
 *
 * Separable filtering in Float64 over a ring of 11 rows, so memory stays a few rows whatever the frame size.
 */
import type { Frame } from '../stream/frame.js';
import { pixelMetricInput, readRow, type PixelMetricOptions } from './pixel-conventions.js';

/** Side of the Gaussian window, in pixels. */
export const SSIM_WINDOW_SIZE = 11;
/** Standard deviation of the Gaussian window, in pixels. */
export const SSIM_SIGMA = 1.5;
/** C1 = (K1 peak)^2 stabilizes the luminance term. */
export const SSIM_K1 = 0.01;
/** C2 = (K2 peak)^2 stabilizes the contrast-structure term. */
export const SSIM_K2 = 0.03;

/** The 1-D window: exp(-(i - 5)^2 / (2 sigma^2)), normalized to sum 1 (OpenCV's `getGaussianKernel(11, 1.5)`). */
export const SSIM_GAUSSIAN: readonly number[] = (() => {
  const half = (SSIM_WINDOW_SIZE - 1) / 2;
  const w = Array.from({ length: SSIM_WINDOW_SIZE }, (_, i) => Math.exp(-((i - half) ** 2) / (2 * SSIM_SIGMA * SSIM_SIGMA)));
  const sum = w.reduce((s, v) => s + v, 0);
  return w.map((v) => v / sum);
})();

/**
 * Mean SSIM of two frames of the same size, in [-1, 1]; exactly 1 for identical frames. Options as PSNR's
 * (`cropBorder`, `channel: 'rgb' | 'y'`, `bitDepth`). Frames must be at least 11x11 pixels after the crop.
 */
export function ssim(a: Frame, b: Frame, options: PixelMetricOptions = {}): number {
  const input = pixelMetricInput('ssim', a, b, options, SSIM_WINDOW_SIZE);
  const c1 = (SSIM_K1 * input.peak) ** 2;
  const c2 = (SSIM_K2 * input.peak) ** 2;
  if (input.channel === 'y') return meanSsimOfChannel(input.a, input.b, input.cropBorder, 'y', input.peak, c1, c2);
  let sum = 0;
  for (const channel of [0, 1, 2] as const) sum += meanSsimOfChannel(input.a, input.b, input.cropBorder, channel, input.peak, c1, c2);
  return sum / 3;
}

/** Mean of the SSIM map of one channel over its valid region. */
function meanSsimOfChannel(a: Frame, b: Frame, crop: number, channel: 0 | 1 | 2 | 'y', peak: number, c1: number, c2: number): number {
  const K = SSIM_WINDOW_SIZE;
  const w = a.width - 2 * crop;
  const h = a.height - 2 * crop;
  const ow = w - K + 1;
  const oh = h - K + 1;
  // One input row of x, y and their products.
  const rows = Array.from({ length: 5 }, () => new Float64Array(w));
  const [x, y, xx, yy, xy] = rows as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  // Horizontally filtered rows of x, y, x^2, y^2, xy; input row r lives in slot r % K of each ring.
  const rings = Array.from({ length: 5 }, () => new Float64Array(K * ow));
  // One output row of the five filtered quantities.
  const [mx, my, exx, eyy, exy] = Array.from({ length: 5 }, () => new Float64Array(ow)) as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  const outs = [mx, my, exx, eyy, exy];
  const slots = new Int32Array(K);
  let total = 0;
  for (let r = 0; r < h; r++) {
    readRow(a, crop + r, crop, channel, peak, x);
    readRow(b, crop + r, crop, channel, peak, y);
    for (let i = 0; i < w; i++) {
      const u = x[i]!;
      const v = y[i]!;
      xx[i] = u * u;
      yy[i] = v * v;
      xy[i] = u * v;
    }
    const base = (r % K) * ow;
    for (let q = 0; q < 5; q++) filterRow(rows[q]!, rings[q]!, base, ow);
    if (r < K - 1) continue;
    // Output row r - K + 1 filters input rows r - K + 1 .. r vertically.
    for (let k = 0; k < K; k++) slots[k] = ((r - K + 1 + k) % K) * ow;
    for (let q = 0; q < 5; q++) filterColumns(rings[q]!, slots, outs[q]!, ow);
    let rowSum = 0;
    for (let j = 0; j < ow; j++) {
      const mu1 = mx[j]!;
      const mu2 = my[j]!;
      const mu11 = mu1 * mu1;
      const mu22 = mu2 * mu2;
      const mu12 = mu1 * mu2;
      // For identical inputs numerator and denominator are the same floating-point number, so the ratio is exactly 1.
      rowSum += ((2 * mu12 + c1) * (2 * (exy[j]! - mu12) + c2)) / ((mu11 + mu22 + c1) * (exx[j]! - mu11 + (eyy[j]! - mu22) + c2));
    }
    total += rowSum;
  }
  return total / (ow * oh);
}

const [G0, G1, G2, G3, G4, G5] = SSIM_GAUSSIAN as [number, number, number, number, number, number];

/** dst[base + j] = sum_k g[k] src[j + k] for j < n, the symmetric 11-tap window written out. */
function filterRow(src: Float64Array, dst: Float64Array, base: number, n: number): void {
  for (let j = 0; j < n; j++) {
    dst[base + j] =
      G0 * (src[j]! + src[j + 10]!) +
      G1 * (src[j + 1]! + src[j + 9]!) +
      G2 * (src[j + 2]! + src[j + 8]!) +
      G3 * (src[j + 3]! + src[j + 7]!) +
      G4 * (src[j + 4]! + src[j + 6]!) +
      G5 * src[j + 5]!;
  }
}

/** dst[j] = sum_k g[k] ring[slots[k] + j] for j < n: the vertical pass over the 11 rows the slots point at. */
function filterColumns(ring: Float64Array, slots: Int32Array, dst: Float64Array, n: number): void {
  const [o0, o1, o2, o3, o4, o5, o6, o7, o8, o9, o10] = slots as unknown as [number, number, number, number, number, number, number, number, number, number, number];
  for (let j = 0; j < n; j++) {
    dst[j] =
      G0 * (ring[o0 + j]! + ring[o10 + j]!) +
      G1 * (ring[o1 + j]! + ring[o9 + j]!) +
      G2 * (ring[o2 + j]! + ring[o8 + j]!) +
      G3 * (ring[o3 + j]! + ring[o7 + j]!) +
      G4 * (ring[o4 + j]! + ring[o6 + j]!) +
      G5 * ring[o5 + j]!;
  }
}
