/**
 * The prior maps of a window, averaged over 2x2 pixels: what a model of contract version 4 (models/README.md) takes
 * as its `priors` input, computed here instead of in its graph, where ONNX Runtime spent about a tenth of
 * promotion-c's CPU time on the maps' full-resolution arithmetic (docs/deblur-model.md, session 28).
 *
 * The definition is training/promotion/archs/priors.py's `pooled_prior_maps` (the paper's Table 1 maps): with
 * G_t the BT.601 grey of frame t (of the gamma-encoded RGB in [0, 1]) and neighbours outside the frame equal to the
 * edge pixel,
 * - contrast (Eq. 1 over Eq. 2's denominator): the mean of the squared differences to the 4 neighbours, divided by
 *   the frame's `contrastScale` (at least 1e-12);
 * - gradient (Eq. 3): (G(p, q) - G(p + 1, q)) + (G(p, q) - G(p, q + 1)), p the row;
 * - motion: |G_centre - G_t| for the other frames, the motion map itself at the centre;
 * each map then averaged over 2x2 pixels. Channel `group * T + t` (contrast, gradient, motion), [3T, H/2, W/2].
 * The parity test (test/training/export-parity.test.ts) compares these maps with PyTorch's.
 */
import { BT601 } from '../flow/field.js';
import { PRIORS_WASM_BASE64 } from './priors-wasm.js';
import { KernelArena, wasmKernel } from './steps-kernel.js';

/** Eq. 2's floor for a flat frame's contrast scale (priors.py CONTRAST_EPS). */
const CONTRAST_EPS = 1e-12;

/** Samples of the pooled maps of a window of `frames` frames of `width` x `height` (both even). */
export function pooledPriorLength(frames: number, width: number, height: number): number {
  return 3 * frames * (width / 2) * (height / 2);
}

/** The kernel's exports (src/deblur/assembly/priors.ts); offsets are bytes in the arena's memory. */
interface PriorsKernel {
  pooled(grey: number, motion: number, inverse: number, t: number, width: number, height: number, out: number, rows: number): void;
}

const kernel = wasmKernel<PriorsKernel>(PRIORS_WASM_BASE64);

/**
 * The pooled prior maps of a window into `into` (length {@link pooledPriorLength}). `frames`: the window as the
 * network takes it, planar [T, 3, H, W]; `motion`: the centre frame's motion map [H, W]; `contrastScale`: one per
 * frame. The greys are computed here, into the kernel's memory; the maps, their 2x2 means and the motion group by the
 * WebAssembly kernel with SIMD (src/deblur/assembly/priors.ts): at 640x480, 12.6 ms a window in JavaScript alone.
 */
export function pooledPriorMaps(frames: Float32Array, motion: Float32Array, contrastScale: ArrayLike<number>, width: number, height: number, into: Float32Array): Float32Array {
  const t = contrastScale.length;
  const plane = width * height;
  if (width % 2 !== 0 || height % 2 !== 0 || width < 2 || height < 2) throw new RangeError(`pooledPriorMaps: the window's size ${width}x${height} must be even (the model pads it to a multiple of its paddingMultiple)`);
  if (t < 1 || t % 2 !== 1) throw new RangeError(`pooledPriorMaps: a window has an odd number of frames, not ${t}`);
  if (frames.length !== t * 3 * plane || motion.length !== plane) throw new RangeError(`pooledPriorMaps: expected ${t} frames [${t}, 3, ${height}, ${width}] and a motion map [${height}, ${width}], received ${frames.length} and ${motion.length} samples`);
  const length = pooledPriorLength(t, width, height);
  if (into.length !== length) throw new RangeError(`pooledPriorMaps: the output needs ${length} samples, received ${into.length}`);
  const arena = KernelArena.take(4 * (t * plane + plane + t + length + 6 * (width + 4)) + 6 * 32);
  try {
    // Reserved before any view is made: reserving may grow the memory.
    const greyAt = arena.space(4 * t * plane);
    const motionAt = arena.space(4 * plane);
    const inverseAt = arena.space(4 * t);
    const outAt = arena.space(4 * length);
    const rowsAt = arena.space(4 * 6 * (width + 4));
    const grey = new Float32Array(arena.memory.buffer, greyAt, t * plane);
    const [wr, wg, wb] = BT601;
    for (let k = 0; k < t; k++) {
      const r = k * 3 * plane;
      const g = r + plane;
      const b = g + plane;
      const o = k * plane;
      for (let i = 0; i < plane; i++) grey[o + i] = frames[r + i]! * wr + frames[g + i]! * wg + frames[b + i]! * wb;
    }
    new Float32Array(arena.memory.buffer, motionAt, plane).set(motion);
    new Float32Array(arena.memory.buffer, inverseAt, t).set(Array.from({ length: t }, (_, k) => 1 / Math.fround(Math.max(contrastScale[k]!, CONTRAST_EPS))));
    kernel(arena.memory).pooled(greyAt, motionAt, inverseAt, t, width, height, outAt, rowsAt);
    into.set(new Float32Array(arena.memory.buffer, outAt, length));
    return into;
  } finally {
    arena.release();
  }
}
