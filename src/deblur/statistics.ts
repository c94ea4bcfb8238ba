/**
 * Per-frame statistics that the deblurring network takes as inputs (models/README.md), computed over whole frames
 * so that a tile of a frame sees the same values as the whole frame. The Python twin is
 * `training/promotion/statistics.py`; the test vector `training/tests/data/statistics-vector.json` keeps both equal.
 *
 * - Grey ({@link deblurGrey}): BT.601 of the gamma-encoded RGB samples divided by the sample maximum (255, 65535,
 *   or 1 for float frames), in [0, 1], float64.
 * - `contrastScale` ({@link contrastScale}): the maximum over the frame of the paper's Eq. 1, the mean of the
 *   squared differences to the 4 neighbours, a neighbour outside the frame taken equal to the edge pixel. It is the
 *   denominator of Eq. 2 that normalizes the contrast prior inside the network.
 * - Laplacian variance ({@link laplacianVariance}): the 3x3 Laplacian [[0,1,0],[1,-4,1],[0,1,0]] at the interior
 *   pixels (no padding), population variance.
 * - `blurWeights` ({@link blurWeights}, Eq. 4): 5 v_i^-1 / sum_j v_j^-1 with v_i = max(Laplacian variance,
 *   {@link VARIANCE_FLOOR}); sums to the window size, and the blurriest frame gets the largest weight.
 */
import { InvalidOptionError } from '../errors.js';
import { BT601 } from '../flow/field.js';
import { type Frame, SAMPLE_MAX } from '../stream/frame.js';

/** Floor on the Laplacian variance (grey in [0, 1]) so a flat frame gets a finite weight. */
export const VARIANCE_FLOOR = 1e-12;

/** A float64 grey image in [0, 1]. */
export interface UnitGreyImage {
  readonly width: number;
  readonly height: number;
  /** Row-major, length width x height. */
  readonly data: Float64Array;
}

/** The statistics of one window, as the model's `blurWeights` and `contrastScale` inputs (one value per frame). */
export interface WindowStatistics {
  readonly blurWeights: Float64Array;
  readonly contrastScale: Float64Array;
}

/**
 * Grey image of a gamma-encoded frame with BT.601 weights, in [0, 1]. Linear-light float frames are refused. With
 * `into` (at least width x height long) the samples are written there instead of a new array: a stream reuses one
 * (a 640x480 frame's grey is 2.4 MB, allocated and collected per frame otherwise).
 */
export function deblurGrey(frame: Frame, into?: Float64Array): UnitGreyImage {
  if (frame.sampleType === 'float32' && frame.light !== 'encoded') {
    throw new InvalidOptionError(`deblurGrey: expected a gamma-encoded frame but frame ${frame.index} holds linear light (encode it first)`);
  }
  const scale = 1 / SAMPLE_MAX[frame.sampleType];
  const { width, height, data } = frame;
  const n = width * height;
  const out = into !== undefined && into.length >= n ? into.subarray(0, n) : new Float64Array(n);
  const [r, g, b] = BT601;
  for (let i = 0, j = 0; i < n; i++, j += 3) {
    out[i] = (r * data[j]! + g * data[j + 1]! + b * data[j + 2]!) * scale;
  }
  return { width, height, data: out };
}

function checkGrey(name: string, grey: UnitGreyImage): void {
  if (grey.width < 3 || grey.height < 3 || grey.data.length !== grey.width * grey.height) {
    throw new InvalidOptionError(
      `${name}: expected a grey image of at least 3x3 pixels with width x height samples but received ${grey.width}x${grey.height} with ${grey.data.length} samples`,
    );
  }
}

/** The maximum over the frame of Eq. 1 (edge-replicated neighbours). */
export function contrastScale(grey: UnitGreyImage): number {
  checkGrey('contrastScale', grey);
  const { width, height, data } = grey;
  let max = 0;
  // The border pixels, with their outside neighbours replicated from the edge.
  const at = (x: number, y: number): number => {
    const g = data[y * width + x]!;
    const a = g - data[(y > 0 ? y - 1 : y) * width + x]!;
    const b = g - data[(y < height - 1 ? y + 1 : y) * width + x]!;
    const c = g - data[y * width + (x > 0 ? x - 1 : x)]!;
    const d = g - data[y * width + (x < width - 1 ? x + 1 : x)]!;
    return (a * a + b * b + c * c + d * d) * 0.25;
  };
  for (let x = 0; x < width; x++) max = Math.max(max, at(x, 0), at(x, height - 1));
  for (let y = 1; y < height - 1; y++) {
    max = Math.max(max, at(0, y), at(width - 1, y));
    // The interior: every neighbour inside, no branches.
    for (let i = y * width + 1, end = y * width + width - 1; i < end; i++) {
      const g = data[i]!;
      const a = g - data[i - width]!;
      const b = g - data[i + width]!;
      const c = g - data[i - 1]!;
      const d = g - data[i + 1]!;
      const value = (a * a + b * b + c * c + d * d) * 0.25;
      if (value > max) max = value;
    }
  }
  return max;
}

/** Population variance of the 3x3 Laplacian over the interior pixels (two passes, the Laplacian computed twice, not stored). */
export function laplacianVariance(grey: UnitGreyImage): number {
  checkGrey('laplacianVariance', grey);
  const { width, height, data } = grey;
  const n = (width - 2) * (height - 2);
  let sum = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let i = y * width + 1, end = y * width + width - 1; i < end; i++) {
      sum += data[i - width]! + data[i + width]! + data[i - 1]! + data[i + 1]! - 4 * data[i]!;
    }
  }
  const mean = sum / n;
  let acc = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let i = y * width + 1, end = y * width + width - 1; i < end; i++) {
      const d = data[i - width]! + data[i + width]! + data[i - 1]! + data[i + 1]! - 4 * data[i]! - mean;
      acc += d * d;
    }
  }
  return acc / n;
}

/** Eq. 4 from the Laplacian variances of a window's frames. */
export function blurWeightsFromVariances(variances: readonly number[]): Float64Array {
  if (variances.length === 0 || variances.some((v) => !Number.isFinite(v) || v < 0)) {
    throw new InvalidOptionError(`blurWeightsFromVariances: expected a non-empty list of finite variances >= 0 but received [${variances.join(', ')}]`);
  }
  const inverse = variances.map((v) => 1 / Math.max(v, VARIANCE_FLOOR));
  const total = inverse.reduce((a, b) => a + b, 0);
  return Float64Array.from(inverse, (v) => (variances.length * v) / total);
}

/** Eq. 4 over a window of whole grey frames. */
export function blurWeights(greys: readonly UnitGreyImage[]): Float64Array {
  return blurWeightsFromVariances(greys.map(laplacianVariance));
}

/** `blurWeights` and `contrastScale` of a window of whole frames (in window order, centre in the middle). */
export function windowStatistics(frames: readonly Frame[]): WindowStatistics {
  const greys = frames.map((f) => deblurGrey(f));
  return { blurWeights: blurWeights(greys), contrastScale: Float64Array.from(greys, contrastScale) };
}
