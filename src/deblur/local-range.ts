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
 * The running minimum and maximum are separable: along rows a sparse table over the interleaved samples (log2 of
 * the window passes), down columns van Herk / Gil-Werman filters (three comparisons per sample, whatever the radius)
 * a whole row at a time; outside the frame the window is cut off, which for a minimum or maximum is the same as
 * replicating the edge.
 */
import type { MotionMap } from '../flow/motion-map.js';
import { type Frame, SAMPLE_MAX } from '../stream/frame.js';
import type { Box } from './tiles.js';

/*
 * The column pass's running maxima, van Herk / Gil-Werman: over n positions, the maximum of each window of positions k - radius ..
 * k + radius, cut off at the ends. The positions are padded with `radius` values of -Infinity at each end; in padded
 * position i, g holds the maximum from the start of i's block of 2 radius + 1 positions to i, h from i to the end of
 * its block, and the window of padded positions k .. k + 2 radius, which spans at most two blocks, has the larger of
 * h[k] and g[k + 2 radius]. A minimum is the maximum of the values negated (`sign` -1), so one loop serves both.
 */

/**
 * Along one row (n pixels from `start` in `data`, RGB interleaved), per channel, the maxima of sign x value over
 * each window of 2 radius + 1 pixels, cut off at the row's ends, into `dst` (interleaved). A sparse table built in
 * place over the interleaved samples (all three channels in one sequential pass per level: `work` holds the
 * maximum over p pixels from each one, p doubling up to the largest power of two within a window), then each
 * window is two overlapping p-spans; the few windows at the ends shorter than p are taken directly. Three passes
 * for radius 3, against the van Herk / Gil-Werman filter's twelve per-channel loops, which took half the clamp.
 */
function rowMaxima(data: ArrayLike<number>, start: number, n: number, radius: number, sign: number, work: Float32Array, dst: Float32Array): void {
  const len = 3 * n;
  for (let k = 0; k < len; k++) work[k] = sign * data[start + k]!;
  const size = 2 * radius + 1;
  let p = 1;
  while (2 * p <= size && 2 * p <= n) {
    const offset = 3 * p;
    for (let k = 0; k + offset < len; k++) {
      const a = work[k]!;
      const b = work[k + offset]!;
      if (b > a) work[k] = b;
    }
    // Spans that would run past the end keep the maximum to the end, which is what they already hold.
    p *= 2;
  }
  const span = 3 * (p - 1);
  for (let i = 0; i < n; i++) {
    const lo = i - radius < 0 ? 0 : i - radius;
    const hi = i + radius >= n ? n - 1 : i + radius;
    const o = 3 * i;
    if (hi - lo + 1 >= p) {
      const a = 3 * lo;
      const b = 3 * hi - span;
      for (let c = 0; c < 3; c++) {
        const u = work[a + c]!;
        const v = work[b + c]!;
        dst[o + c] = u > v ? u : v;
      }
    } else {
      for (let c = 0; c < 3; c++) {
        let m = -Infinity;
        for (let j = lo; j <= hi; j++) {
          const v = sign * data[start + 3 * j + c]!;
          if (v > m) m = v;
        }
        dst[o + c] = m;
      }
    }
  }
}

/*
 * Working arrays reused from call to call (every frame of a stream asks for the same sizes): allocating and zeroing
 * them took a third of a 640x480 clamp. Each pass writes every element it later reads, so stale contents do not
 * matter; a call never yields, so calls cannot interleave.
 */
const scratchArrays: Float32Array[] = [];

function scratch(slot: number, length: number): Float32Array {
  let a = scratchArrays[slot];
  if (a === undefined || a.length < length) scratchArrays[slot] = a = new Float32Array(length);
  return a.length === length ? a : a.subarray(0, length);
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
  const band = scratch(0, rows * lane);
  const line = scratch(1, cols * 3);
  const work = scratch(2, cols * 3);
  const skip = (box.x - x0) * 3;
  for (let r = 0; r < rows; r++) {
    rowMaxima(data, ((y0 + r) * fw + x0) * 3, cols, radius, sign, work, line);
    band.set(line.subarray(skip, skip + lane), r * lane);
  }
  // Columns: the same down the band, a whole row of samples at a time (contiguous memory).
  const padded = rows + 2 * radius;
  const gv = scratch(4, padded * lane);
  const hv = scratch(5, padded * lane);
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
 * The residual's deadband (a model card's `deadband` and `deadbandFlat`, `deblur({ deadband, deadbandFlat })`):
 * inside `box`, where the input is flat, each output sample's change from the input, r = out - input, is shrunk
 * towards zero by `levels` 8-bit grey levels (1/255 of the full range each): changes smaller than that are dropped,
 * larger ones lose that much (soft thresholding). Flat: the sample's channel spans at most `flat.levels` grey levels
 * in the input's local range `flat.range` (the clamp's base radius; no range, radius 0: every sample is flat); no
 * `flat`: everywhere. Applied before the clamp, in place.
 *
 * Why: on smooth, nearly unblurred input (a defocused bokeh under camera motion, blurred 47.9 dB) the network draws a
 * faint grid of 1-2 grey levels, and at such PSNR that is a loss of 1.1 dB (docs/deblur-model.md, session 18), while
 * on textured input changes of a level or two are restoration (a slow foreground loses 0.15 dB to a deadband applied
 * everywhere). With 8-bit frames and whole levels, shrinking the rounded change equals rounding the shrunk one
 * (rounding commutes with whole-level shifts), so the runtime and training's frame validation
 * (promotion/local_range.py, `shrink_residual`) agree. Integer samples are rounded after shrinking.
 */
export function applyDeadband(input: Frame, out: Frame['data'], box: Box, levels: number, flat?: { range: LocalRange | undefined; levels: number }): void {
  if (!(levels > 0)) return;
  const max = SAMPLE_MAX[input.sampleType];
  const t = (levels * max) / 255;
  const span = flat ? (flat.levels * max) / 255 : Number.POSITIVE_INFINITY;
  const range = flat?.range;
  const integer = input.sampleType !== 'float32';
  const stride = input.width * 3;
  const data = input.data;
  for (let i = 0; i < box.height; i++) {
    const row = (box.y + i) * stride + box.x * 3;
    // The range's samples for this row (its box is `box`, as deblur() computes it for the region it restores).
    const r0 = range ? ((box.y + i - range.box.y) * range.box.width + (box.x - range.box.x)) * 3 : 0;
    for (let k = 0; k < box.width * 3; k++) {
      if (range && range.hi[r0 + k]! - range.lo[r0 + k]! > span) continue;
      const x = data[row + k]!;
      const r = out[row + k]! - x;
      const shrunk = r > t ? r - t : r < -t ? r + t : 0;
      out[row + k] = integer ? Math.round(x + shrunk) : x + shrunk;
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

/**
 * A clamp whose radius follows the motion (a model card's `clampMotion`, training's `train.clamp_motion`): each
 * pixel's radius is floor(scale x its motion in px + 1/2), from the card's clampRadius up to `maxRadius`, raised to
 * the next of the steps 1, 2, 3, 4, 6, 8, 12, 16 (`MOTION_CLAMP_RADII`). A restored edge needs input values from as
 * far off as half the blur's length, which a fixed radius of 2 denies fast motion; still pixels keep the tight radius
 * that protects sharp input.
 */
export interface ClampMotion {
  readonly scale: number;
  readonly maxRadius: number;
}

/** The radii a motion-following clamp chooses from (training/promotion/local_range.py, MOTION_CLAMP_RADII). */
export const MOTION_CLAMP_RADII: readonly number[] = [1, 2, 3, 4, 6, 8, 12, 16];

/**
 * The clamp radius for a pixel moving `px` pixels per frame (the mean of its two flows' magnitudes, the magnitude
 * motion map before normalization): floor(scale x px + 1/2) limited to radius .. maxRadius, then raised to the
 * smallest of radius, the {@link MOTION_CLAMP_RADII} between, and maxRadius that holds it.
 */
export function motionRadius(px: number, radius: number, motion: ClampMotion): number {
  const want = Math.min(motion.maxRadius, Math.max(radius, Math.floor(motion.scale * px + 0.5)));
  if (want <= radius) return radius;
  for (const r of MOTION_CLAMP_RADII) if (r > radius && r < motion.maxRadius && want <= r) return r;
  return motion.maxRadius;
}

/**
 * `input`'s local range over `box` with each pixel's radius following `map` (the frame's magnitude motion map, over
 * the whole frame: its value x max(maxMotionPx, 1) is the motion in px): one range per radius the box needs, over
 * the rectangle of the pixels that need it, each pixel taking its own. Undefined for radius 0 or an empty box.
 * `base`, the range of `radius` itself over `box` where the caller has it (deblur() does for the deadband's flatness),
 * serves the pixels of that radius instead of a range computed again.
 */
export function motionLocalRange(input: Frame, box: Box, radius: number, motion: ClampMotion, map: MotionMap, base?: LocalRange): LocalRange | undefined {
  if (radius === 0 || box.width === 0 || box.height === 0) return undefined;
  if (map.width !== input.width || map.height !== input.height) {
    throw new RangeError(`motionLocalRange: the motion map is ${map.width}x${map.height} but the frame is ${input.width}x${input.height}`);
  }
  const unit = Math.max(map.maxMotionPx, 1);
  const radii = new Uint8Array(box.width * box.height);
  // Per radius, the bounding rectangle (in box coordinates) of the pixels that take it: a radius only a moving
  // object needs is computed over that object's rectangle, not the whole box.
  const bounds = new Map<number, { x0: number; y0: number; x1: number; y1: number }>();
  for (let i = 0; i < box.height; i++) {
    const row = (box.y + i) * map.width + box.x;
    for (let j = 0; j < box.width; j++) {
      const r = motionRadius(map.data[row + j]! * unit, radius, motion);
      radii[i * box.width + j] = r;
      const b = bounds.get(r);
      if (b === undefined) bounds.set(r, { x0: j, y0: i, x1: j, y1: i });
      else {
        if (j < b.x0) b.x0 = j;
        if (j > b.x1) b.x1 = j;
        b.y1 = i;
      }
    }
  }
  if (base !== undefined && (base.box.x !== box.x || base.box.y !== box.y || base.box.width !== box.width || base.box.height !== box.height)) {
    throw new RangeError(`motionLocalRange: the base range covers ${base.box.width}x${base.box.height} at ${base.box.x},${base.box.y}, not the box ${box.width}x${box.height} at ${box.x},${box.y}`);
  }
  if (bounds.size === 1) {
    const only = [...bounds.keys()][0]!;
    return only === radius && base ? base : localRange(input, box, only);
  }
  const lo = new Float32Array(box.width * box.height * 3);
  const hi = new Float32Array(box.width * box.height * 3);
  for (const [r, b] of bounds) {
    // The base range where it is given (laid out over the whole box), else this radius's over its pixels' rectangle.
    const given = r === radius && base !== undefined;
    const sub: Box = given ? box : { x: box.x + b.x0, y: box.y + b.y0, width: b.x1 - b.x0 + 1, height: b.y1 - b.y0 + 1 };
    const rLo = given ? base.lo : localExtreme(input, sub, r, false);
    const rHi = given ? base.hi : localExtreme(input, sub, r, true);
    const dx = given ? b.x0 : 0;
    const dy = given ? b.y0 : 0;
    for (let i = 0; i < b.y1 - b.y0 + 1; i++) {
      for (let j = 0; j < b.x1 - b.x0 + 1; j++) {
        const p = (b.y0 + i) * box.width + b.x0 + j;
        if (radii[p] !== r) continue;
        const k = 3 * p;
        const q = 3 * ((i + dy) * sub.width + j + dx);
        lo[k] = rLo[q]!;
        lo[k + 1] = rLo[q + 1]!;
        lo[k + 2] = rLo[q + 2]!;
        hi[k] = rHi[q]!;
        hi[k + 1] = rHi[q + 1]!;
        hi[k + 2] = rHi[q + 2]!;
      }
    }
  }
  return { box, lo, hi };
}
