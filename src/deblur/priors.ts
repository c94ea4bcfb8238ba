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

/** Eq. 2's floor for a flat frame's contrast scale (priors.py CONTRAST_EPS). */
const CONTRAST_EPS = 1e-12;

/** Samples of the pooled maps of a window of `frames` frames of `width` x `height` (both even). */
export function pooledPriorLength(frames: number, width: number, height: number): number {
  return 3 * frames * (width / 2) * (height / 2);
}

/**
 * The pooled prior maps of a window into `into` (length {@link pooledPriorLength}). `frames`: the window as the
 * network takes it, planar [T, 3, H, W]; `motion`: the centre frame's motion map [H, W]; `contrastScale`: one per
 * frame. `grey` is working memory of at least T x H x W samples (reused from call to call by the caller).
 */
export function pooledPriorMaps(frames: Float32Array, motion: Float32Array, contrastScale: ArrayLike<number>, width: number, height: number, into: Float32Array, grey: Float32Array): Float32Array {
  const t = contrastScale.length;
  const plane = width * height;
  if (width % 2 !== 0 || height % 2 !== 0 || width < 2 || height < 2) throw new RangeError(`pooledPriorMaps: the window's size ${width}x${height} must be even (the model pads it to a multiple of its paddingMultiple)`);
  if (t < 1 || t % 2 !== 1) throw new RangeError(`pooledPriorMaps: a window has an odd number of frames, not ${t}`);
  if (frames.length !== t * 3 * plane || motion.length !== plane) throw new RangeError(`pooledPriorMaps: expected ${t} frames [${t}, 3, ${height}, ${width}] and a motion map [${height}, ${width}], received ${frames.length} and ${motion.length} samples`);
  if (into.length !== pooledPriorLength(t, width, height) || grey.length < t * plane) throw new RangeError(`pooledPriorMaps: the output needs ${pooledPriorLength(t, width, height)} samples and the working memory ${t * plane}, received ${into.length} and ${grey.length}`);
  const [wr, wg, wb] = BT601;
  for (let k = 0; k < t; k++) {
    const r = k * 3 * plane;
    const g = r + plane;
    const b = g + plane;
    const o = k * plane;
    for (let i = 0; i < plane; i++) grey[o + i] = frames[r + i]! * wr + frames[g + i]! * wg + frames[b + i]! * wb;
  }
  const w2 = width / 2;
  const h2 = height / 2;
  const pooled = w2 * h2;
  const centre = (t - 1) / 2;
  const c = centre * plane;
  // Each row's per-pixel maps, the even row's kept until the odd one below it completes the 2x2 sums.
  const contrast = new Float64Array(2 * width);
  const gradient = new Float64Array(2 * width);
  const moved = new Float64Array(2 * width);
  for (let k = 0; k < t; k++) {
    const o = k * plane;
    const inverse = 1 / Math.fround(Math.max(contrastScale[k]!, CONTRAST_EPS));
    const contrastOut = k * pooled;
    const gradientOut = (t + k) * pooled;
    const motionOut = (2 * t + k) * pooled;
    for (let y = 0; y < height; y++) {
      const row = o + y * width;
      const up = y > 0 ? row - width : row;
      const down = y + 1 < height ? row + width : row;
      const at = (y & 1) * width;
      // The first and last columns repeat their edge pixel as the missing neighbour; the rest read both.
      let left = grey[row]!;
      let v = left;
      for (let x = 0; x < width; x++) {
        const right = x + 1 < width ? grey[row + x + 1]! : v;
        const a = v - grey[up + x]!;
        const d = v - grey[down + x]!;
        const l = v - left;
        const rr = v - right;
        contrast[at + x] = (a * a + d * d + l * l + rr * rr) * 0.25 * inverse;
        gradient[at + x] = d + rr;
        left = v;
        v = right;
      }
      if (k === centre) for (let x = 0; x < width; x++) moved[at + x] = motion[y * width + x]!;
      else for (let x = 0; x < width; x++) moved[at + x] = Math.abs(grey[c + y * width + x]! - grey[row + x]!);
      if ((y & 1) === 0) continue;
      const p = (y >> 1) * w2;
      for (let x2 = 0, x = 0; x2 < w2; x2++, x += 2) {
        const e = x + width;
        into[contrastOut + p + x2] = (contrast[x]! + contrast[x + 1]! + contrast[e]! + contrast[e + 1]!) * 0.25;
        into[gradientOut + p + x2] = (gradient[x]! + gradient[x + 1]! + gradient[e]! + gradient[e + 1]!) * 0.25;
        into[motionOut + p + x2] = (moved[x]! + moved[x + 1]! + moved[e]! + moved[e + 1]!) * 0.25;
      }
    }
  }
  return into;
}
