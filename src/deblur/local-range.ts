/**
 * Clamping a restored frame to the local range of its input: each output sample is limited to the smallest and
 * largest value of the same channel of the input frame within a square of side 2 radius + 1 around it.
 *
 * Why: the small CPU-trained networks overshoot at strong edges (dark and bright fringes along a moving hand's
 * outline; README, "Deblurring"), and the hand-landmark detector is sensitive to them. A deblurred edge should lie
 * between the values found on either side of it, which the blurred input still holds a little way off, so values
 * outside the input's local range are overshoot rather than restored detail (a detail finer than the blur, which
 * the blur has flattened inside the local range, is the exception: the clamp cannot bring it back). On sharp input
 * the clamp can only help: every input sample lies in its own range, so clamping moves the output towards the input
 * and never away from it.
 *
 * The running minimum and maximum are van Herk / Gil-Werman filters (three comparisons per sample and pass, whatever
 * the radius), separable (rows, then columns, the columns a whole row at a time); outside the frame the window is cut
 * off, which for a minimum or maximum is the same as replicating the edge.
 */
import type { Frame } from '../stream/frame.js';
import type { Box } from './tiles.js';

/*
 * Running maxima, van Herk / Gil-Werman: over n positions, the maximum of each window of positions k - radius ..
 * k + radius, cut off at the ends. The positions are padded with `radius` values of -Infinity at each end; in padded
 * position i, g holds the maximum from the start of i's block of 2 radius + 1 positions to i, h from i to the end of
 * its block, and the window of padded positions k .. k + 2 radius, which spans at most two blocks, has the larger of
 * h[k] and g[k + 2 radius]. A minimum is the maximum of the values negated (`sign` -1), so one loop serves both.
 */

/** Along one row (n pixels from `start` in `data`), per channel, the running maxima of sign x value, into `dst`. */
function rowMaxima(data: ArrayLike<number>, start: number, n: number, radius: number, sign: number, g: Float32Array, h: Float32Array, dst: Float32Array): void {
  const size = 2 * radius + 1;
  const padded = n + 2 * radius;
  for (let c = 0; c < 3; c++) {
    // The padding, then the row (sign x value), then the padding; g restarts at each block's first position.
    for (let i = 0; i < radius; i++) g[i] = -Infinity;
    for (let k = 0, i = radius, at = i % size; k < n; k++, i++, at++) {
      const v = sign * data[start + k * 3 + c]!;
      if (at === size) at = 0;
      const p = at === 0 ? -Infinity : g[i - 1]!;
      g[i] = p > v ? p : v;
    }
    for (let i = radius + n, at = i % size; i < padded; i++, at++) {
      if (at === size) at = 0;
      g[i] = at === 0 ? -Infinity : g[i - 1]!;
    }
    // h restarts at each block's last position (and at the last padded position).
    for (let i = padded - 1; i >= radius + n; i--) h[i] = -Infinity;
    for (let k = n - 1, i = radius + n - 1, at = i % size; k >= 0; k--, i--, at--) {
      if (at < 0) at = size - 1;
      const v = sign * data[start + k * 3 + c]!;
      const p = at === size - 1 || i === padded - 1 ? -Infinity : h[i + 1]!;
      h[i] = p > v ? p : v;
    }
    for (let i = radius - 1, at = i % size; i >= 0; i--, at--) {
      if (at < 0) at = size - 1;
      h[i] = at === size - 1 ? -Infinity : h[i + 1]!;
    }
    for (let k = 0; k < n; k++) {
      const a = h[k]!;
      const b = g[k + 2 * radius]!;
      dst[k * 3 + c] = a > b ? a : b;
    }
  }
}

/**
 * Per channel, the minimum (`max` false) or maximum of `frame` over the square of side 2 radius + 1 around each
 * sample of `box` (windows cut off at the frame's edges): box.width x box.height x 3 interleaved samples.
 */
export function localExtreme(frame: Frame, box: Box, radius: number, max: boolean): Float32Array {
  const { width: fw, height: fh, data } = frame;
  const sign = max ? 1 : -1;
  const out = new Float32Array(box.width * box.height * 3);
  if (box.width === 0 || box.height === 0) return out;
  // Rows: over the box's columns, in every row a window of the box reaches (windows cut off at the frame's edges).
  const y0 = Math.max(0, box.y - radius);
  const rows = Math.min(fh, box.y + box.height + radius) - y0;
  const x0 = Math.max(0, box.x - radius);
  const cols = Math.min(fw, box.x + box.width + radius) - x0;
  const lane = box.width * 3;
  const band = new Float32Array(rows * lane);
  const line = new Float32Array(cols * 3);
  const g = new Float32Array(Math.max(cols, rows) + 2 * radius);
  const h = new Float32Array(g.length);
  const skip = (box.x - x0) * 3;
  for (let r = 0; r < rows; r++) {
    rowMaxima(data, ((y0 + r) * fw + x0) * 3, cols, radius, sign, g, h, line);
    band.set(line.subarray(skip, skip + lane), r * lane);
  }
  // Columns: the same down the band, a whole row of samples at a time (contiguous memory).
  const padded = rows + 2 * radius;
  const gv = new Float32Array(padded * lane);
  const hv = new Float32Array(padded * lane);
  columnPrefixMaxima(band, rows, lane, radius, gv);
  columnSuffixMaxima(band, rows, lane, radius, hv);
  // Box row i is band row dy + i: its window is padded positions dy + i .. dy + i + 2 radius.
  combineWindows(hv, gv, box.y - y0, box.height, lane, radius, sign, out);
  return out;
}

/** The g of the column pass: per padded row i, the running maximum from the start of i's block down to i. */
function columnPrefixMaxima(band: Float32Array, rows: number, lane: number, radius: number, gv: Float32Array): void {
  const size = 2 * radius + 1;
  const padded = rows + 2 * radius;
  for (let i = 0; i < padded; i++) {
    const k = i - radius;
    const at = i * lane;
    if (k < 0 || k >= rows) {
      if (i % size === 0) gv.fill(-Infinity, at, at + lane);
      else gv.copyWithin(at, at - lane, at);
    } else if (i % size === 0) gv.set(band.subarray(k * lane, (k + 1) * lane), at);
    else maxInto(gv, at, gv, at - lane, band, k * lane, lane);
  }
}

/** The h of the column pass: per padded row i, the running maximum from i down to the end of its block. */
function columnSuffixMaxima(band: Float32Array, rows: number, lane: number, radius: number, hv: Float32Array): void {
  const size = 2 * radius + 1;
  const padded = rows + 2 * radius;
  for (let i = padded - 1; i >= 0; i--) {
    const k = i - radius;
    const at = i * lane;
    const first = i === padded - 1 || (i + 1) % size === 0;
    if (k < 0 || k >= rows) {
      if (first) hv.fill(-Infinity, at, at + lane);
      else hv.copyWithin(at, at + lane, at + 2 * lane);
    } else if (first) hv.set(band.subarray(k * lane, (k + 1) * lane), at);
    else maxInto(hv, at, hv, at + lane, band, k * lane, lane);
  }
}

/** dst[d + j] = max(a[i + j], b[k + j]) for j < n. */
function maxInto(dst: Float32Array, d: number, a: Float32Array, i: number, b: Float32Array, k: number, n: number): void {
  for (let j = 0; j < n; j++) {
    const u = a[i + j]!;
    const v = b[k + j]!;
    dst[d + j] = u > v ? u : v;
  }
}

/** Each box row's windows: the larger of h at the window's first padded row and g at its last, times `sign`. */
function combineWindows(hv: Float32Array, gv: Float32Array, dy: number, height: number, lane: number, radius: number, sign: number, out: Float32Array): void {
  for (let i = 0; i < height; i++) {
    maxInto(out, i * lane, hv, (dy + i) * lane, gv, (dy + i + 2 * radius) * lane, lane);
  }
  if (sign !== 1) for (let j = 0; j < out.length; j++) out[j] = -out[j]!;
}

/** An input's local range over a box: per sample of the box, the least and greatest value around it. */
export interface LocalRange {
  readonly box: Box;
  readonly lo: Float32Array;
  readonly hi: Float32Array;
}

/**
 * `input`'s local range of the given radius over `box` (undefined for radius 0 or an empty box: nothing to clamp).
 * It depends on the input alone, so `deblur()` computes it while the network runs.
 */
export function localRange(input: Frame, box: Box, radius: number): LocalRange | undefined {
  if (radius === 0 || box.width === 0 || box.height === 0) return undefined;
  return { box, lo: localExtreme(input, box, radius, false), hi: localExtreme(input, box, radius, true) };
}

/** Clamps `out` (samples laid out like `input`'s data) inside the range's box to it, in place. */
export function applyLocalRange(input: Frame, out: Frame['data'], range: LocalRange | undefined): void {
  if (range === undefined) return;
  const { box, lo, hi } = range;
  const stride = input.width * 3;
  for (let i = 0; i < box.height; i++) {
    const row = (box.y + i) * stride + box.x * 3;
    const k0 = i * box.width * 3;
    for (let k = 0; k < box.width * 3; k++) {
      const v = out[row + k]!;
      const a = lo[k0 + k]!;
      const b = hi[k0 + k]!;
      out[row + k] = v < a ? a : v > b ? b : v;
    }
  }
}

/**
 * Clamps `out` (samples laid out like `input`'s data) inside `box` to `input`'s local range of the given radius,
 * in place. Radius 0 leaves `out` as it is.
 */
export function clampToLocalRange(input: Frame, out: Frame['data'], box: Box, radius: number): void {
  applyLocalRange(input, out, localRange(input, box, radius));
}
