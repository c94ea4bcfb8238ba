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
 * range-wasm.ts by scripts/build-wasm.mjs): a 640x480 frame's ranges at radius 2 to 4 took about 25 ms each per
 * extreme in JavaScript (docs/deblur-model.md, session 27). Outside the frame the window is cut off, which for a
 * minimum or maximum is the same as replicating the edge.
 */
import type { MotionMap } from '../flow/motion-map.js';
import { BYTES_PER_SAMPLE, type Frame, SAMPLE_MAX, type SampleType } from '../stream/frame.js';
import { RANGE_WASM_BASE64 } from './range-wasm.js';
import { KernelArena, wasmKernel } from './steps-kernel.js';
import type { Box } from './tiles.js';

/** The kernel's export (src/deblur/assembly/range.ts); every pointer is a byte offset in its memory. */
interface RangeKernel {
  extremes(src: number, type: number, fw: number, fh: number, bx: number, by: number, bw: number, bh: number, radius: number, outLo: number, outHi: number, work: number): void;
}

const kernel = wasmKernel<RangeKernel>(RANGE_WASM_BASE64);

/** The kernel's code for each sample type. */
const SAMPLE_CODE: Readonly<Record<SampleType, number>> = { uint8: 0, uint16: 1, float32: 2 };

/**
 * Where a range is written, reused from frame to frame (deblur() keeps one per stream and range): each call takes its
 * first box.width x box.height x 3 samples, growing the arrays where they are shorter. On these machines the first
 * write to fresh memory is slow (a 640x480 range's 3.7 MB took about 10 ms the first time, against 0.2 ms to write
 * memory written before), and a frame's ranges are up to 22 MB.
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
 * Runs the kernel for `frame`'s local range of `radius` over `box` and hands `use` the least and greatest values,
 * box.width x box.height x 3 interleaved samples each, as views of the kernel's memory, valid only during the call.
 */
function withExtremes(frame: Frame, box: Box, radius: number, use: (lo: Float32Array, hi: Float32Array) => void): void {
  const { width: fw, height: fh, data } = frame;
  const count = box.width * box.height * 3;
  const y0 = Math.max(0, box.y - radius);
  const rows = Math.min(fh, box.y + box.height + radius) - y0;
  const cols = Math.min(fw, box.x + box.width + radius) - Math.max(0, box.x - radius);
  const bytesPer = BYTES_PER_SAMPLE[frame.sampleType];
  const srcBytes = rows * fw * 3 * bytesPer;
  const outBytes = 4 * count;
  const workBytes = 4 * (2 * (3 * cols + 4) + 2 * (rows * box.width * 3 + 4));
  // (The arena leaves 16 bytes after each buffer, which the kernel's stores of a pixel's three floats as four need.)
  const arena = KernelArena.take(srcBytes + 2 * outBytes + workBytes + 1024);
  try {
    const src = arena.space(srcBytes);
    const lo = arena.space(outBytes);
    const hi = arena.space(outBytes);
    const work = arena.space(workBytes);
    const buffer = arena.memory.buffer;
    // The frame's rows the windows reach, as they are.
    new Uint8Array(buffer, src, srcBytes).set(new Uint8Array(data.buffer, data.byteOffset + y0 * fw * 3 * bytesPer, srcBytes));
    kernel(arena.memory).extremes(src, SAMPLE_CODE[frame.sampleType], fw, fh, box.x, box.y, box.width, box.height, radius, lo, hi, work);
    use(new Float32Array(buffer, lo, count), new Float32Array(buffer, hi, count));
  } finally {
    arena.release();
  }
}

/**
 * Per channel, the least and greatest value of `frame` over the square of side 2 radius + 1 around each sample of
 * `box` (windows cut off at the frame's edges): box.width x box.height x 3 interleaved samples each, in `into`'s
 * arrays where given.
 */
export function localExtremes(frame: Frame, box: Box, radius: number, into?: RangeBuffers): { lo: Float32Array; hi: Float32Array } {
  const out = buffersFor(into, box.width * box.height * 3);
  withExtremes(frame, box, radius, (lo, hi) => {
    out.lo.set(lo);
    out.hi.set(hi);
  });
  return out;
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
  const unit = Math.max(map.maxMotionPx, 1);
  // motionRadius by table: the radius for each whole want, floor(scale x px + 1/2) limited to maxRadius.
  const top = Math.max(radius, motion.maxRadius);
  const table = Uint8Array.from({ length: top + 1 }, (_, want) => motionRadius(want, radius, { scale: 1, maxRadius: motion.maxRadius }));
  const radii = new Uint8Array(box.width * box.height);
  // Per radius, the bounding rectangle (in box coordinates) of the pixels that take it: a radius only a moving
  // object needs is computed over that object's rectangle, not the whole box.
  const x0s = new Int32Array(top + 1).fill(box.width);
  const y0s = new Int32Array(top + 1).fill(-1);
  const x1s = new Int32Array(top + 1).fill(-1);
  const y1s = new Int32Array(top + 1);
  for (let i = 0; i < box.height; i++) {
    const row = (box.y + i) * map.width + box.x;
    for (let j = 0; j < box.width; j++) {
      const want = Math.floor(motion.scale * (map.data[row + j]! * unit) + 0.5);
      // (NaN motion takes the largest radius, as motionRadius gives it.)
      const r = table[want >= 0 ? (want < top ? want : top) : want < 0 ? 0 : top]!;
      radii[i * box.width + j] = r;
      if (y0s[r] === -1) y0s[r] = i;
      if (j < x0s[r]!) x0s[r] = j;
      if (j > x1s[r]!) x1s[r] = j;
      y1s[r] = i;
    }
  }
  const bounds = new Map<number, { x0: number; y0: number; x1: number; y1: number }>();
  for (let r = 0; r <= top; r++) if (y0s[r] !== -1) bounds.set(r, { x0: x0s[r]!, y0: y0s[r]!, x1: x1s[r]!, y1: y1s[r]! });
  if (base !== undefined && (base.box.x !== box.x || base.box.y !== box.y || base.box.width !== box.width || base.box.height !== box.height)) {
    throw new RangeError(`motionLocalRange: the base range covers ${base.box.width}x${base.box.height} at ${base.box.x},${base.box.y}, not the box ${box.width}x${box.height} at ${box.x},${box.y}`);
  }
  if (bounds.size === 1) {
    const only = [...bounds.keys()][0]!;
    return only === radius && base ? base : localRange(input, box, only, into);
  }
  const { lo, hi } = buffersFor(into, box.width * box.height * 3);
  for (const [r, b] of bounds) {
    // Each pixel of radius r takes its samples from r's range over the pixels' rectangle (`sub`), laid out from
    // (dx, dy) of it: the base range where it is given (over the whole box), else computed here.
    const merge = (rLo: Float32Array, rHi: Float32Array, sub: Box, dx: number, dy: number): void => {
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
    };
    if (r === radius && base !== undefined) merge(base.lo, base.hi, box, b.x0, b.y0);
    else {
      const sub: Box = { x: box.x + b.x0, y: box.y + b.y0, width: b.x1 - b.x0 + 1, height: b.y1 - b.y0 + 1 };
      withExtremes(input, sub, r, (rLo, rHi) => merge(rLo, rHi, sub, 0, 0));
    }
  }
  return { box, lo, hi };
}
