/**
 * The flow lines the deconvolution walks (deconvolve.ts), and the WebAssembly kernel that walks them.
 *
 * Per pixel of a region, the re-blur A averages the region along two half-segments, |F+|/2 and |F-|/2 long, sampled
 * at n points each (bilinear, the region's border replicated); its adjoint A' walks the same lines the other way.
 * Those walks are nearly all of the steps' time (a 640x480 frame of a 30 px/frame pan: 10 steps, 20 walks), so they
 * run in WebAssembly with SIMD (src/deblur/assembly/steps.ts, compiled into steps-wasm.ts by
 * scripts/build-wasm.mjs): on a camera-blurred 640x480 frame about 185 ms in each of two workers splitting its rows,
 * against 710 ms in JavaScript (docs/deblur-model.md, session 24). Since session 26 a frame's steps run on one thread,
 * a worker of deblur()'s (deconvolve.ts, `Deconvolver`), beside the next frame's network.
 *
 * Since session 27 the kernel also lays out the flow lines and computes the tests' box means ({@link boxMean}, in
 * the JavaScript's order of operations in 64-bit floats: the same verdicts to the bit). Since session 29 the tests'
 * own loops run in a kernel of their own (src/deblur/assembly/evidence.ts, compiled with this file's box means), in
 * the arenas here ({@link flowRows}, {@link flowLinesOf}).
 *
 * Everything a walk reads or writes lives in one {@link KernelArena}: a WebAssembly memory, shared (the kernel
 * imports a shared memory, so threads could walk the same buffers with no copy). Each pixel's result depends on its
 * own arithmetic only, so the rows a walk covers do not change any pixel's result.
 */
import type { FlowInput } from '../flow/motion-map.js';
import { STEPS_WASM_BASE64 } from './steps-wasm.js';
import type { Box } from './tiles.js';

/** Longest flow vector followed, in pixels per frame: longer ones (DIS outliers, mostly) are shortened to it. */
export const DECONVOLVE_MAX_FLOW_PX = 48;
/**
 * Largest distance between the samples of a half-segment, in pixels, beyond its first
 * {@link DECONVOLVE_SHORT_SAMPLES}. 2 px scored the same as 1 px on the lines validation set (session 19: +1.016 and
 * +1.019 dB on its camera sequences) at half the cost; 3 px scored the same as 2 on both validation sets and the guards
 * (session 22: val +3.328 against +3.313, lines +2.013 against +2.016) in 8% less wall time and 12% less CPU time on
 * val's camera/scene_00003 (30 px per frame), once short half-segments kept their samples 2 px apart; 5 px scored the
 * same as 3 again (session 25, with the fit test: val +3.534 against +3.520, lines +2.194 against +2.185, the sharp
 * input of lines 67.72 against 67.90 dB, 4 px in between), the 10 steps on that frame 277 against 376 ms on one thread.
 */
export const DECONVOLVE_SAMPLE_SPACING_PX = 5;
/**
 * A half-segment keeps up to this many samples at most 2 px apart: with 3 px alone a 5 px flow got 2 samples a
 * half rather than 3, and the lines set's nearly sharp disc (5 px per frame) lost 0.2 dB.
 */
export const DECONVOLVE_SHORT_SAMPLES = 3;

/** A region in linear light: interleaved RGB, 0..1. */
export interface LinearRgb {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/** The 32-bit memory's most pages: 4 GiB, the kernel's declared maximum (scripts/build-wasm.mjs). */
const MAX_PAGES = 65536;
const PAGE = 65536;
/** Bytes after every buffer: a tap loads four floats and keeps three, so the last pixel's reads one float beyond. */
const SLACK = 16;

/**
 * The memory a kernel works in (a region's walks, or the clamp's local range, local-range.ts): a shared WebAssembly
 * memory that grows as buffers are taken from it, each 16-byte aligned, with {@link SLACK} bytes after it. Buffers live
 * until the arena is released; nothing is freed singly, except by {@link KernelArena.rewind}. {@link KernelArena.take}
 * reuses a released arena's memory: on these machines the first write to fresh memory is slow (a 3.7 MB buffer, one
 * 640x480 frame's RGB floats, took 10-30 ms the first time and 1 ms after), and a 640x480 region's steps and blur
 * test take about 50 MB.
 */
export class KernelArena {
  readonly memory: WebAssembly.Memory;
  // Offset 0 stays unused: the kernel reads 0 as "no buffer".
  private top = 16;

  private constructor(bytes: number) {
    this.memory = new WebAssembly.Memory({ initial: pagesFor(bytes), maximum: MAX_PAGES, shared: true });
  }

  /**
   * An arena for about `bytes` (so its memory rarely grows): a released one where there is one, else a new one.
   * {@link KernelArena.release} it when done with every buffer taken from it, and with no worker still walking it.
   */
  static take(bytes = 0): KernelArena {
    const arena = released.pop() ?? new KernelArena(bytes);
    arena.top = 16;
    const have = arena.memory.buffer.byteLength / PAGE;
    const pages = pagesFor(bytes);
    if (pages > have) arena.memory.grow(pages - have);
    return arena;
  }

  /** The bytes `floats` float buffers and `bytes` byte buffers of `count` values each take, slack included. */
  static size(count: number, floats: number, bytes = 0): number {
    return floats * (4 * count + 2 * SLACK) + bytes * (count + 2 * SLACK);
  }

  /**
   * Hands the memory back for the next {@link KernelArena.take}: every buffer taken from this arena is void after it.
   * At most {@link KEPT_ARENAS} are kept, none larger than {@link KEPT_ARENA_BYTES}.
   */
  release(): void {
    if (released.length < KEPT_ARENAS && this.memory.buffer.byteLength <= KEPT_ARENA_BYTES && !released.includes(this)) released.push(this);
  }

  /**
   * The byte offset of `bytes` bytes left as they are: for what a kernel writes before it reads. Reserving may grow
   * the memory, so views of it are made after.
   */
  space(bytes: number): number {
    return this.reserve(bytes);
  }

  /** Where the next buffer would start: {@link KernelArena.rewind} to it voids every buffer taken after. */
  mark(): number {
    return this.top;
  }

  /** Takes the next buffers from `mark` (a {@link KernelArena.mark} of this arena) on again: those taken since are void. */
  rewind(mark: number): void {
    if (!(mark >= 16 && mark <= this.top)) throw new RangeError(`KernelArena.rewind: ${mark} is not a mark of this arena (its next buffer starts at ${this.top})`);
    this.top = mark;
  }

  /** `count` floats, zero or a copy of `from`. */
  floats(count: number, from?: Float32Array): Float32Array {
    // Reserved first: reserving may grow the memory, and only the grown memory's buffer reaches the new bytes.
    const at = this.reserve(4 * count);
    const view = new Float32Array(this.memory.buffer, at, count);
    if (from) view.set(from);
    else view.fill(0);
    return view;
  }

  /** `count` floats left as they are (a released arena's are not zero): for what a kernel writes before it reads. */
  floatsUnset(count: number): Float32Array {
    const at = this.reserve(4 * count);
    return new Float32Array(this.memory.buffer, at, count);
  }

  /** `count` 64-bit floats left as they are, like {@link KernelArena.floatsUnset}. */
  doublesUnset(count: number): Float64Array {
    const at = this.reserve(8 * count);
    return new Float64Array(this.memory.buffer, at, count);
  }

  /** `count` bytes, zero or a copy of `from`. */
  bytes(count: number, from?: Uint8Array): Uint8Array {
    const at = this.reserve(count);
    const view = new Uint8Array(this.memory.buffer, at, count);
    if (from) view.set(from);
    else view.fill(0);
    return view;
  }

  private reserve(bytes: number): number {
    const at = this.top;
    const end = at + bytes + SLACK;
    const pages = Math.ceil(end / PAGE);
    if (pages > MAX_PAGES) throw new RangeError(`deconvolve: a region needs ${Math.ceil(end / 2 ** 20)} MiB of kernel memory, more than the 4 GiB a WebAssembly memory holds; deblur smaller tiles`);
    const have = this.memory.buffer.byteLength / PAGE;
    if (pages > have) this.memory.grow(pages - have);
    this.top = Math.ceil(end / 16) * 16;
    return at;
  }
}

/** How many released arenas a thread keeps for reuse: the steps', the blur test's and the clamp's. */
const KEPT_ARENAS = 3;
/** The largest arena kept for reuse: a 1920x1080 region's steps take about 210 MB. */
const KEPT_ARENA_BYTES = 256 * 2 ** 20;
const released: KernelArena[] = [];

function pagesFor(bytes: number): number {
  return Math.min(MAX_PAGES, Math.max(1, Math.ceil((bytes + 1024) / PAGE)));
}

/**
 * A region's flow lines in a {@link KernelArena}: one block of 17 bytes a pixel, the planes u and v of F+ then of F-
 * (floats, capped at {@link DECONVOLVE_MAX_FLOW_PX}), then the samples per half-segment (bytes).
 */
export interface FlowLines {
  readonly width: number;
  readonly height: number;
  /** The block's byte offset in its arena's memory. */
  readonly offset: number;
}

/**
 * The length of a flow vector (u, v) in pixels. Not Math.hypot: its overflow guard costs about 30 ns a call (as in
 * src/flow/motion-map.ts), the tests and the steps' set-up make about ten calls a pixel, and flows are small.
 */
export function flowLength(u: number, v: number): number {
  return Math.sqrt(u * u + v * v);
}

/**
 * The flow lines of the region `box` of `flow`, laid out in `arena`: each vector shortened to
 * {@link DECONVOLVE_MAX_FLOW_PX} where longer, and per pixel the samples of a half-segment, at most
 * {@link DECONVOLVE_SAMPLE_SPACING_PX} apart beyond the first {@link DECONVOLVE_SHORT_SAMPLES} (the kernel's `lines`).
 */
export function flowLines(arena: KernelArena, flow: FlowInput, box: Box): FlowLines {
  const { width: w, height: h } = box;
  const size = w * h;
  const block = arena.space(16 * size + size);
  const rows = flowRows(arena, flow, box);
  kernel(arena.memory).lines(rows.offset, flow.width, rows.plane, box.x, 0, w, h, block, DECONVOLVE_MAX_FLOW_PX, DECONVOLVE_SHORT_SAMPLES, DECONVOLVE_SAMPLE_SPACING_PX);
  return { width: w, height: h, offset: block };
}

/** The flow lines of a w x h region whose four flow planes are already in `arena` at `planes` (w x h floats each). */
export function flowLinesOf(arena: KernelArena, planes: Float32Array, w: number, h: number): FlowLines {
  const size = w * h;
  const block = arena.space(16 * size + size);
  kernel(arena.memory).lines(planes.byteOffset, w, size, 0, 0, w, h, block, DECONVOLVE_MAX_FLOW_PX, DECONVOLVE_SHORT_SAMPLES, DECONVOLVE_SAMPLE_SPACING_PX);
  return { width: w, height: h, offset: block };
}

/** The four planes of a flow input's rows that a region covers, copied into an arena for a kernel. */
export interface FlowRows {
  /** The byte offset of the first plane's first row (the region's top row, `flow.width` floats wide). */
  readonly offset: number;
  /** Floats from one plane to the next: the flow's width times the region's height. */
  readonly plane: number;
}

/** Copies the rows of `flow`'s four planes that `box` covers into `arena`. */
export function flowRows(arena: KernelArena, flow: FlowInput, box: Box): FlowRows {
  const plane = flow.width * box.height;
  const offset = arena.space(16 * plane);
  const copy = new Float32Array(arena.memory.buffer, offset, 4 * plane);
  const whole = flow.width * flow.height;
  for (let k = 0; k < 4; k++) copy.set(flow.data.subarray(k * whole + box.y * flow.width, k * whole + (box.y + box.height) * flow.width), k * plane);
  return { offset, plane };
}

/** The kernel's exports (src/deblur/assembly/steps.ts); every pointer is a byte offset in its memory, 0 for none. */
interface StepsKernel {
  extrapolate(estimate: number, previous: number, start: number, change: number, last: number, count: number, maxA: number): number;
  blur(src: number, dst: number, w: number, h: number, lines: number, active: number, sign: number, y0: number, y1: number): void;
  ratio(src: number, dst: number, blurred: number, w: number, h: number, lines: number, active: number, floor: number, y0: number, y1: number): void;
  correct(src: number, dst: number, w: number, h: number, lines: number, active: number, y0: number, y1: number): void;
  lines(flow: number, fw: number, plane: number, bx: number, by: number, w: number, h: number, lines: number, maxFlow: number, short: number, spacing: number): void;
  boxMean(v: number, w: number, h: number, r: number, sat: number): void;
}

/**
 * A WebAssembly kernel (one of scripts/build-wasm.mjs's modules, base64) as a function of the memory it works in (an
 * arena's, or the same memory received by a worker thread). Compiling the module happens once per thread, on first
 * use, instantiating it (about 20 us) once per memory object.
 */
export function wasmKernel<T>(base64: string): (memory: WebAssembly.Memory) => T {
  let compiled: WebAssembly.Module | undefined;
  // A worker receives a new Memory object per task.
  const instances = new WeakMap<WebAssembly.Memory, T>();
  return (memory) => {
    let k = instances.get(memory);
    if (k === undefined) {
      compiled ??= new WebAssembly.Module(Buffer.from(base64, 'base64'));
      k = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as T;
      instances.set(memory, k);
    }
    return k;
  };
}

const kernel = wasmKernel<StepsKernel>(STEPS_WASM_BASE64);

/** The buffers a walk reads and writes, all in `memory` (an arena's). */
export interface WalkBuffers {
  readonly memory: WebAssembly.Memory;
  readonly lines: FlowLines;
  /** Where the walks run (1) and where they leave the output as it is (0), per pixel; every pixel when absent. */
  readonly active?: Uint8Array;
}

function activeOffset(t: WalkBuffers): number {
  return t.active ? t.active.byteOffset : 0;
}

/** Rows y0..y1 of `dst` = A(`src`) (sign 1) or A'(`src`) (sign -1); both regions of `t.lines`' size in `t.memory`. */
export function walkRows(t: WalkBuffers, src: Float32Array, dst: Float32Array, sign: 1 | -1, y0: number, y1: number): void {
  const { width: w, height: h } = t.lines;
  kernel(t.memory).blur(src.byteOffset, dst.byteOffset, w, h, t.lines.offset, activeOffset(t), sign, y0, y1);
}

/** Rows y0..y1 of `dst` = `blurred` / max(A(`src`), `floor`): a Richardson-Lucy step's first half. */
export function ratioRows(t: WalkBuffers, src: Float32Array, blurred: Float32Array, dst: Float32Array, floor: number, y0: number, y1: number): void {
  const { width: w, height: h } = t.lines;
  kernel(t.memory).ratio(src.byteOffset, dst.byteOffset, blurred.byteOffset, w, h, t.lines.offset, activeOffset(t), floor, y0, y1);
}

/** Rows y0..y1 of `dst` *= A'(`src`), within [0, 1]: a Richardson-Lucy step's second half. */
export function correctRows(t: WalkBuffers, src: Float32Array, dst: Float32Array, y0: number, y1: number): void {
  const { width: w, height: h } = t.lines;
  kernel(t.memory).correct(src.byteOffset, dst.byteOffset, w, h, t.lines.offset, activeOffset(t), y0, y1);
}

/**
 * Biggs and Andrews' extrapolation between two steps (deconvolve.ts, Momentum), on buffers of one arena's `memory`:
 * `change` = `estimate` - `start`; a = sum(change * last) / sum(last^2) (64-bit sums) within 0..`maxA`, 0 without
 * `last`; then `estimate` and `start` = clamp(x + a (x - `previous`), 0, 1) and `previous` = x. Returns a.
 */
export function extrapolate(memory: WebAssembly.Memory, estimate: Float32Array, previous: Float32Array, start: Float32Array, change: Float32Array, last: Float32Array | undefined, maxA: number): number {
  return kernel(memory).extrapolate(estimate.byteOffset, previous.byteOffset, start.byteOffset, change.byteOffset, last ? last.byteOffset : 0, estimate.length, maxA);
}

/**
 * The mean of `v` (w x h) over a square of radius r around each pixel, cut off at the borders (a summed-area table
 * in 64-bit floats), written over `v`; returns `v`. In the kernel: in JavaScript it was the largest part of the
 * deconvolution's tests (47 ms a 640x480 frame in session 27's profile, docs/deblur-model.md).
 */
export function boxMean(v: Float64Array, w: number, h: number, r: number): Float64Array {
  const n = w * h;
  const arena = KernelArena.take(8 * (n + (w + 1) * (h + 1)) + 64);
  try {
    const at = arena.space(8 * n);
    const sat = arena.space(8 * (w + 1) * (h + 1));
    new Float64Array(arena.memory.buffer, at, n).set(v.subarray(0, n));
    kernel(arena.memory).boxMean(at, w, h, r, sat);
    v.set(new Float64Array(arena.memory.buffer, at, n));
  } finally {
    arena.release();
  }
  return v;
}

/** The re-blur A(sharp) of a region along its flow (the forward model; for tests and probes). */
export function blurAlongFlow(sharp: LinearRgb, flow: FlowInput, box: Box): LinearRgb {
  const count = sharp.width * sharp.height;
  const arena = KernelArena.take(KernelArena.size(count, 10, 1));
  const src = arena.floats(sharp.data.length, sharp.data);
  const dst = arena.floats(sharp.data.length);
  walkRows({ memory: arena.memory, lines: flowLines(arena, flow, box) }, src, dst, 1, 0, sharp.height);
  const out = Float32Array.from(dst);
  arena.release();
  return { width: sharp.width, height: sharp.height, data: out };
}
