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
 * The running minimum and maximum are separable, and both passes are sparse tables (log2 of the window passes):
 * along the rows over the interleaved samples, down the columns a whole row of samples at a time. They run in
 * WebAssembly with SIMD, the least and greatest values together (src/deblur/assembly/range.ts, compiled into
 * range-wasm.ts by scripts/build-wasm.mjs): the default card's ranges of a 640x480 frame took 44-96 ms in
 * JavaScript and take 6-11 ms here (docs/deblur-model.md, session 27). Outside the frame the window is cut off, which
 * for a minimum or maximum is the same as replicating the edge.
 */
import type { MotionMap } from '../flow/motion-map.js';
import { BYTES_PER_SAMPLE, type Frame, SAMPLE_MAX, type SampleType } from '../stream/frame.js';
import { RANGE_WASM_BASE64 } from './range-wasm.js';
import { KernelArena, wasmKernel } from './steps-kernel.js';
import type { Box } from './tiles.js';

/** The kernel's export (src/deblur/assembly/range.ts); every pointer is a byte offset in its memory. */
interface RangeKernel {
  extremes(src: number, type: number, fw: number, fh: number, bx: number, by: number, bw: number, bh: number, radius: number, outLo: number, outHi: number, work: number): void;
  radii(map: number, mapWidth: number, bx: number, by: number, bw: number, bh: number, unit: number, scale: number, table: number, top: number, out: number, bounds: number): void;
  merge(radii: number, bw: number, r: number, x0: number, y0: number, x1: number, y1: number, srcLo: number, srcHi: number, srcWidth: number, dx: number, dy: number, lo: number, hi: number): void;
}

const kernel = wasmKernel<RangeKernel>(RANGE_WASM_BASE64);

/** The kernel's code for each sample type. */
const SAMPLE_CODE: Readonly<Record<SampleType, number>> = { uint8: 0, uint16: 1, float32: 2 };

/**
 * Where a range is written, reused from frame to frame (deblur() keeps one per stream and range): each call takes its
 * first box.width x box.height x 3 samples, growing the arrays where they are shorter. On these machines the first
 * write to fresh memory is slow (a 640x480 range's 3.7 MB took about 10 ms in most trials, against 0.2 ms to
 * write memory written before: training/results/deconvolve/probes/fresh_memory.mjs), and a frame's ranges are up to
 * 22 MB.
 */
export interface RangeBuffers {
  lo?: Float32Array;
  hi?: Float32Array;
}

/** `count` samples each of `into`'s arrays (grown where short), or of new ones. */
function buffersFor(into: RangeBuffers | undefined, count: number): { lo: Float32Array; hi: Float32Array } {
  if (into === undefined) return { lo: new Float32Array(count), hi: new Float32Array(count) };
  if (into.lo === undefined || into.hi === undefined || into.lo.length < count || into.hi.length < count) {
    into.lo = new Float32Array(count);
    into.hi = new Float32Array(count);
  }
  return { lo: into.lo.subarray(0, count), hi: into.hi.subarray(0, count) };
}

/**
 * What the kernel reads and works in for `frame`'s range of `radius` over `box`: the frame's rows from y0 the windows
 * reach (`srcBytes` of them) and its working memory (`workBytes`), with `bytes` all an arena gives it, outputs
 * included (the arena leaves 16 bytes after each buffer, which the kernel's stores of three floats as four need).
 */
function extremesLayout(frame: Frame, box: Box, radius: number): { y0: number; srcBytes: number; workBytes: number; bytes: number } {
  const y0 = Math.max(0, box.y - radius);
  const rows = Math.min(frame.height, box.y + box.height + radius) - y0;
  const cols = Math.min(frame.width, box.x + box.width + radius) - Math.max(0, box.x - radius);
  const srcBytes = rows * frame.width * 3 * BYTES_PER_SAMPLE[frame.sampleType];
  const workBytes = 4 * (2 * (3 * cols + 4) + 2 * (rows * box.width * 3 + 4));
  return { y0, srcBytes, workBytes, bytes: srcBytes + workBytes + 8 * box.width * box.height * 3 + 4 * 32 };
}

/**
 * Runs the kernel for `frame`'s local range of `radius` over `box` in `arena`: the byte offsets of the least and
 * greatest values, box.width x box.height x 3 interleaved floats each.
 */
function extremesIn(arena: KernelArena, frame: Frame, box: Box, radius: number): { lo: number; hi: number } {
  const { width: fw, height: fh, data } = frame;
  const count = box.width * box.height * 3;
  const { y0, srcBytes, workBytes } = extremesLayout(frame, box, radius);
  const src = arena.space(srcBytes);
  const lo = arena.space(4 * count);
  const hi = arena.space(4 * count);
  const work = arena.space(workBytes);
  // The frame's rows the windows reach, as they are (views made after reserving, which may grow the memory).
  new Uint8Array(arena.memory.buffer, src, srcBytes).set(new Uint8Array(data.buffer, data.byteOffset + y0 * fw * 3 * BYTES_PER_SAMPLE[frame.sampleType], srcBytes));
  kernel(arena.memory).extremes(src, SAMPLE_CODE[frame.sampleType], fw, fh, box.x, box.y, box.width, box.height, radius, lo, hi, work);
  return { lo, hi };
}

/** The range at `lo` and `hi` in `arena` (`count` floats each) copied into `into`'s arrays, or new ones. */
function copyOut(arena: KernelArena, lo: number, hi: number, count: number, into: RangeBuffers | undefined): { lo: Float32Array; hi: Float32Array } {
  const out = buffersFor(into, count);
  out.lo.set(new Float32Array(arena.memory.buffer, lo, count));
  out.hi.set(new Float32Array(arena.memory.buffer, hi, count));
  return out;
}

/**
 * Per channel, the least and greatest value of `frame` over the square of side 2 radius + 1 around each sample of
 * `box` (windows cut off at the frame's edges): box.width x box.height x 3 interleaved samples each, in `into`'s
 * arrays where given.
 */
export function localExtremes(frame: Frame, box: Box, radius: number, into?: RangeBuffers): { lo: Float32Array; hi: Float32Array } {
  const arena = KernelArena.take(extremesLayout(frame, box, radius).bytes);
  try {
    const { lo, hi } = extremesIn(arena, frame, box, radius);
    return copyOut(arena, lo, hi, box.width * box.height * 3, into);
  } finally {
    arena.release();
  }
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
export function localRange(input: Frame, box: Box, radius: number, into?: RangeBuffers): LocalRange | undefined {
  if (radius === 0 || box.width === 0 || box.height === 0) return undefined;
  return { box, ...localExtremes(input, box, radius, into) };
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
 * serves the pixels of that radius instead of a range computed again. The range is written into `into`'s arrays
 * where given (never the same arrays as `base`'s), except where the box needs one radius only: then it is `base` or
 * that radius's range.
 */
export function motionLocalRange(input: Frame, box: Box, radius: number, motion: ClampMotion, map: MotionMap, base?: LocalRange, into?: RangeBuffers): LocalRange | undefined {
  if (radius === 0 || box.width === 0 || box.height === 0) return undefined;
  if (map.width !== input.width || map.height !== input.height) {
    throw new RangeError(`motionLocalRange: the motion map is ${map.width}x${map.height} but the frame is ${input.width}x${input.height}`);
  }
  if (base !== undefined && (base.box.x !== box.x || base.box.y !== box.y || base.box.width !== box.width || base.box.height !== box.height)) {
    throw new RangeError(`motionLocalRange: the base range covers ${base.box.width}x${base.box.height} at ${base.box.x},${base.box.y}, not the box ${box.width}x${box.height} at ${box.x},${box.y}`);
  }
  const top = Math.max(radius, motion.maxRadius);
  const size = box.width * box.height;
  const count = 3 * size;
  const arena = KernelArena.take(4 * (map.width * box.height + 4 * count) + size + 16 * (top + 1) + extremesLayout(input, box, motion.maxRadius).bytes);
  let only: number | undefined;
  try {
    // Each pixel's radius (motionRadius by table: the radius for each whole want, floor(scale x px + 1/2) limited to
    // top), and per radius the bounding rectangle (in box coordinates) of the pixels that take it: a radius only a
    // moving object needs is computed over that object's rectangle, not the whole box.
    const table = arena.space(top + 1);
    const rows = arena.space(4 * map.width * box.height);
    const radii = arena.space(size);
    const boundsAt = arena.space(16 * (top + 1));
    new Uint8Array(arena.memory.buffer, table, top + 1).set(Uint8Array.from({ length: top + 1 }, (_, want) => motionRadius(want, radius, { scale: 1, maxRadius: motion.maxRadius })));
    new Float32Array(arena.memory.buffer, rows, map.width * box.height).set(map.data.subarray(box.y * map.width, (box.y + box.height) * map.width));
    const k = kernel(arena.memory);
    // The map's rows from the box's first: its row 0 in the copy.
    k.radii(rows, map.width, box.x, 0, box.width, box.height, Math.max(map.maxMotionPx, 1), motion.scale, table, top, radii, boundsAt);
    const b = Int32Array.from(new Int32Array(arena.memory.buffer, boundsAt, 4 * (top + 1)));
    const taken = [...Array(top + 1).keys()].filter((r) => b[4 * r + 1] !== -1);
    if (taken.length > 1) return { box, ...mergeRadii(arena, input, box, radius, radii, b, taken, base, into) };
    // One radius for the whole box: its range as it is (after this arena is released).
    only = taken[0]!;
  } finally {
    arena.release();
  }
  return only === radius && base ? base : localRange(input, box, only!, into);
}

/**
 * motionLocalRange's range where the box's pixels take several radii (`taken`, their rectangles in `bounds`, x0, y0,
 * x1, y1 per radius; each pixel's radius at `radii` in `arena`): each radius's range over its rectangle, its pixels'
 * samples merged into the box's range, in `into`'s arrays where given.
 */
function mergeRadii(arena: KernelArena, input: Frame, box: Box, radius: number, radii: number, bounds: Int32Array, taken: readonly number[], base: LocalRange | undefined, into: RangeBuffers | undefined): { lo: Float32Array; hi: Float32Array } {
  const count = box.width * box.height * 3;
  const k = kernel(arena.memory);
  const lo = arena.space(4 * count);
  const hi = arena.space(4 * count);
  for (const r of taken) {
    const [x0, y0, x1, y1] = [bounds[4 * r]!, bounds[4 * r + 1]!, bounds[4 * r + 2]!, bounds[4 * r + 3]!];
    // Each radius's buffers are taken again by the next radius's.
    const mark = arena.mark();
    if (r === radius && base !== undefined) {
      // The base range, over the whole box: the rectangle's first pixel at (x0, y0) of it.
      const bLo = arena.space(4 * count);
      const bHi = arena.space(4 * count);
      new Float32Array(arena.memory.buffer, bLo, count).set(base.lo);
      new Float32Array(arena.memory.buffer, bHi, count).set(base.hi);
      k.merge(radii, box.width, r, x0, y0, x1, y1, bLo, bHi, box.width, x0, y0, lo, hi);
    } else {
      const sub: Box = { x: box.x + x0, y: box.y + y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
      const range = extremesIn(arena, input, sub, r);
      k.merge(radii, box.width, r, x0, y0, x1, y1, range.lo, range.hi, sub.width, 0, 0, lo, hi);
    }
    arena.rewind(mark);
  }
  return copyOut(arena, lo, hi, count, into);
}
