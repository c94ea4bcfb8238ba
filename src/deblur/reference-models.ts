/**
 * Non-learned reference rows, as models: every comparison of deblurring networks gets a baseline to beat that
 * needs no training. Both implement {@link DeblurModel}, so they run through `deblur()` (tiles, clamp, ROI, gate) and
 * `promotion eval` like any network; name them `reference:unsharp` and `reference:wiener` (`--model`).
 *
 * - `unsharp`: an unsharp mask on the centre frame, out = x + amount (x - G_sigma * x), per channel, gamma-encoded.
 * - `wiener`: non-blind Wiener deconvolution with the line kernel the optical flow gives per tile. Per run rectangle
 *   (tile): DIS flow (src/flow/dis.ts) from the centre frame to its two neighbours, the median displacement per frame
 *   (the forward flow and the negated backward one averaged, a neighbour the window repeats at a sequence's end left
 *   out), a centred line of length |displacement| x `exposure` (the exposure in frame intervals: 1, a full interval,
 *   is `promotion synth`'s default) in its direction, and X = conj(K) Y / (|K|^2 + noiseToSignal) in linear light
 *   (gamma 2.2, as the blur was made) on the tile mirrored out to a power of two. A displacement under a pixel
 *   leaves the tile as it is. The kernel is one per tile: a tile where the hand and the background move differently
 *   gets the median's.
 */
import { disFlow, type DisOptions } from '../flow/dis.js';
import type { GreyImage } from '../flow/field.js';
import { InputNotFoundError } from '../errors.js';
import { expectKnownKeys, expectNumber } from '../options.js';
import { fft2d, nextPowerOfTwo } from './fft.js';
import type { DeblurFeeds, DeblurModel, DeblurModelContract, DeblurModelIdentity } from './model.js';

/** The reference methods. */
export const REFERENCE_METHODS = ['unsharp', 'wiener'] as const;
/** A reference method's name. */
export type ReferenceMethod = (typeof REFERENCE_METHODS)[number];
/** How a reference model is named where a model is (`reference:wiener`). */
export const REFERENCE_MODEL_PREFIX = 'reference:';

/** Default Gaussian sigma of the unsharp mask, in pixels. */
export const DEFAULT_UNSHARP_SIGMA = 1.5;
/** Default amount of the unsharp mask (1: the detail added once more). */
export const DEFAULT_UNSHARP_AMOUNT = 1;
/** Default exposure of the Wiener model's kernel, in frame intervals (1: `promotion synth`'s default). */
export const DEFAULT_WIENER_EXPOSURE = 1;
/** Default noise-to-signal power ratio of the Wiener filter (its regularization). */
export const DEFAULT_WIENER_NOISE_TO_SIGNAL = 0.01;
/** Tile side the reference models run at (the Wiener kernel is one per tile). */
export const REFERENCE_TILE_SIZE = 128;
/** The gamma the Wiener model linearizes with (as blur synthesis averages). */
const GAMMA = 2.2;

/** Options of a reference model; each documents its default. */
export interface ReferenceModelOptions {
  /** unsharp: Gaussian sigma in pixels (default {@link DEFAULT_UNSHARP_SIGMA}). */
  readonly sigma?: number;
  /** unsharp: detail gain (default {@link DEFAULT_UNSHARP_AMOUNT}). */
  readonly amount?: number;
  /** wiener: exposure in frame intervals, the blur length per unit of motion (default {@link DEFAULT_WIENER_EXPOSURE}). */
  readonly exposure?: number;
  /** wiener: noise-to-signal power ratio (default {@link DEFAULT_WIENER_NOISE_TO_SIGNAL}). */
  readonly noiseToSignal?: number;
  /** wiener: optical flow options (default: DIS's own). */
  readonly flow?: DisOptions;
}

/** Whether a model reference names a reference model (`reference:...`). */
export function isReferenceModel(reference: string): boolean {
  return reference.startsWith(REFERENCE_MODEL_PREFIX);
}

/** The method a `reference:<method>` names; an unknown one is an {@link InputNotFoundError} listing the known. */
export function parseReferenceModel(reference: string): ReferenceMethod {
  const method = reference.slice(REFERENCE_MODEL_PREFIX.length);
  if (!(REFERENCE_METHODS as readonly string[]).includes(method)) {
    throw new InputNotFoundError(reference, `Model ${reference} is no reference model; the reference models are ${REFERENCE_METHODS.map((m) => REFERENCE_MODEL_PREFIX + m).join(', ')}.`);
  }
  return method as ReferenceMethod;
}

/** A reference model: a {@link DeblurModel} computed in TypeScript, with what it is. */
export interface ReferenceModel extends DeblurModel {
  readonly identity: DeblurModelIdentity;
  readonly method: ReferenceMethod;
  /** The options in use, defaults filled in. */
  readonly options: Required<Omit<ReferenceModelOptions, 'flow'>> & { readonly flow: DisOptions };
}

/** Makes a reference model (`method`: 'unsharp' or 'wiener'). Options are checked here. */
export function createReferenceModel(method: ReferenceMethod, options: ReferenceModelOptions = {}): ReferenceModel {
  expectKnownKeys('reference model options', options, ['sigma', 'amount', 'exposure', 'noiseToSignal', 'flow']);
  const resolved = {
    sigma: expectNumber('sigma', options.sigma ?? DEFAULT_UNSHARP_SIGMA, 0.1, 20),
    amount: expectNumber('amount', options.amount ?? DEFAULT_UNSHARP_AMOUNT, 0, 10),
    exposure: expectNumber('exposure', options.exposure ?? DEFAULT_WIENER_EXPOSURE, 0, 4, true),
    noiseToSignal: expectNumber('noiseToSignal', options.noiseToSignal ?? DEFAULT_WIENER_NOISE_TO_SIGNAL, 0, 1, true),
    flow: options.flow ?? {},
  };
  const wiener = method === 'wiener';
  const contract: DeblurModelContract = {
    windowSize: wiener ? 3 : 1,
    centreIndex: wiener ? 1 : 0,
    paddingMultiple: 1,
    minSize: 32,
    motionMapKind: 'magnitude',
    usesMotion: false,
    tileSize: REFERENCE_TILE_SIZE,
  };
  const params = wiener ? { exposure: resolved.exposure, noiseToSignal: resolved.noiseToSignal, flow: resolved.flow } : { sigma: resolved.sigma, amount: resolved.amount };
  const name = REFERENCE_MODEL_PREFIX + method;
  let closed = false;
  return {
    name,
    method,
    options: resolved,
    contract,
    executionProvider: 'cpu',
    identity: { kind: 'reference', name, preset: method, sha256: undefined, key: { reference: method, version: 1, params } },
    run: async (feeds: DeblurFeeds) => {
      if (closed) throw new Error(`Model ${name} is closed; make it again to run it.`);
      return wiener ? wienerRestore(feeds, resolved.exposure, resolved.noiseToSignal, resolved.flow) : unsharpMask(feeds.frames, feeds.width, feeds.height, resolved.sigma, resolved.amount);
    },
    close: async () => {
      closed = true;
    },
  };
}

/** A normalized 1-D Gaussian of radius ceil(3 sigma). */
function gaussian(sigma: number): Float64Array {
  const r = Math.ceil(3 * sigma);
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp((-i * i) / (2 * sigma * sigma));
  return k.map((v) => v / sum);
}

/** Separable convolution of one plane with `k`, edges replicated. */
function blurPlane(src: Float32Array, offset: number, w: number, h: number, k: Float64Array): Float64Array {
  const r = (k.length - 1) / 2;
  const tmp = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += k[i + r]! * src[offset + y * w + Math.min(w - 1, Math.max(0, x + i))]!;
      tmp[y * w + x] = s;
    }
  }
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = -r; i <= r; i++) s += k[i + r]! * tmp[Math.min(h - 1, Math.max(0, y + i)) * w + x]!;
      out[y * w + x] = s;
    }
  }
  return out;
}

/** The unsharp mask of the first frame of `frames` (NCHW [3, h, w] planes at the start). */
export function unsharpMask(frames: Float32Array, w: number, h: number, sigma: number, amount: number): Float32Array {
  const k = gaussian(sigma);
  const plane = w * h;
  const out = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) {
    const blurred = blurPlane(frames, c * plane, w, h, k);
    for (let i = 0; i < plane; i++) {
      const x = frames[c * plane + i]!;
      out[c * plane + i] = x + amount * (x - blurred[i]!);
    }
  }
  return out;
}

/** Frame `t` of a [T, 3, h, w] window as grey 0..255 (BT.601). */
function greyOf(frames: Float32Array, t: number, w: number, h: number): GreyImage {
  const plane = w * h;
  const base = t * 3 * plane;
  const data = new Float32Array(plane);
  for (let i = 0; i < plane; i++) data[i] = 255 * (0.299 * frames[base + i]! + 0.587 * frames[base + plane + i]! + 0.114 * frames[base + 2 * plane + i]!);
  return { width: w, height: h, data };
}

function median(values: Float32Array | number[]): number {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  return n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

/** Whether window frames `a` and `b` hold the same pixels (a neighbour the window repeats at a sequence's end). */
function sameFrame(frames: Float32Array, a: number, b: number, size: number): boolean {
  for (let i = 0; i < size; i++) if (frames[a * size + i] !== frames[b * size + i]) return false;
  return true;
}

/**
 * The per-frame displacement of a tile's content: the median of the DIS flow from the centre frame (window index 1)
 * to the next, and of the negated flow to the previous, averaged over the neighbours the window does not repeat.
 */
export function tileDisplacement(frames: Float32Array, w: number, h: number, flow: DisOptions = {}): { readonly u: number; readonly v: number } {
  const size = 3 * w * h;
  const centre = greyOf(frames, 1, w, h);
  const estimates: { u: number; v: number }[] = [];
  for (const [t, sign] of [
    [2, 1],
    [0, -1],
  ] as const) {
    if (sameFrame(frames, t, 1, size)) continue;
    const f = disFlow(centre, greyOf(frames, t, w, h), flow);
    const us = new Float32Array(w * h);
    const vs = new Float32Array(w * h);
    for (let i = 0; i < w * h; i++) {
      us[i] = f.data[2 * i]!;
      vs[i] = f.data[2 * i + 1]!;
    }
    estimates.push({ u: sign * median(us), v: sign * median(vs) });
  }
  if (estimates.length === 0) return { u: 0, v: 0 };
  return { u: estimates.reduce((a, e) => a + e.u, 0) / estimates.length, v: estimates.reduce((a, e) => a + e.v, 0) / estimates.length };
}

/**
 * A centred line kernel of length `length` px along (dx, dy) (unit vector) on a `pw` x `ph` grid with its centre at
 * (0, 0) (wrapping around), bilinearly splatted and normalized to sum 1.
 */
export function lineKernel(length: number, dx: number, dy: number, pw: number, ph: number): Float64Array {
  const k = new Float64Array(pw * ph);
  const steps = Math.max(1, Math.ceil(length * 4));
  for (let s = 0; s <= steps; s++) {
    const t = (s / steps - 0.5) * length;
    const x = t * dx;
    const y = t * dy;
    const x0 = Math.floor(x);
    const y0 = Math.floor(y);
    const fx = x - x0;
    const fy = y - y0;
    const weight = s === 0 || s === steps ? 0.5 : 1; // trapezoid rule over the segment
    for (const [ox, oy, wgt] of [
      [0, 0, (1 - fx) * (1 - fy)],
      [1, 0, fx * (1 - fy)],
      [0, 1, (1 - fx) * fy],
      [1, 1, fx * fy],
    ] as const) {
      const px = (((x0 + ox) % pw) + pw) % pw;
      const py = (((y0 + oy) % ph) + ph) % ph;
      k[py * pw + px] = k[py * pw + px]! + weight * wgt;
    }
  }
  const sum = k.reduce((a, b) => a + b, 0);
  return k.map((v) => v / sum);
}

/** Index `i` reflected into [0, n) (mirror without repeating the edge: ... 2 1 | 0 1 2 ... n-1 | n-2 ...). */
function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const m = ((i % period) + period) % period;
  return m < n ? m : period - m;
}

/** Wiener deconvolution of the window's centre frame with the line kernel of its tile's displacement (module comment). */
function wienerRestore(feeds: DeblurFeeds, exposure: number, noiseToSignal: number, flow: DisOptions): Float32Array {
  const { width: w, height: h, frames } = feeds;
  const plane = w * h;
  const centre = frames.slice(3 * plane, 6 * plane);
  const { u, v } = tileDisplacement(frames, w, h, flow);
  const speed = Math.hypot(u, v);
  const length = speed * exposure;
  if (length < 1) return centre;
  const margin = Math.ceil(length) + 8;
  const pw = nextPowerOfTwo(w + 2 * margin);
  const ph = nextPowerOfTwo(h + 2 * margin);
  const kRe = lineKernel(length, u / speed, v / speed, pw, ph);
  const kIm = new Float64Array(pw * ph);
  fft2d(kRe, kIm, pw, ph);
  const out = new Float32Array(3 * plane);
  const ox = Math.floor((pw - w) / 2);
  const oy = Math.floor((ph - h) / 2);
  for (let c = 0; c < 3; c++) {
    const re = new Float64Array(pw * ph);
    const im = new Float64Array(pw * ph);
    for (let y = 0; y < ph; y++) {
      const sy = reflect(y - oy, h);
      for (let x = 0; x < pw; x++) re[y * pw + x] = Math.pow(Math.max(0, centre[c * plane + sy * w + reflect(x - ox, w)]!), GAMMA);
    }
    fft2d(re, im, pw, ph);
    for (let i = 0; i < pw * ph; i++) {
      const kr = kRe[i]!;
      const ki = kIm[i]!;
      const denominator = kr * kr + ki * ki + noiseToSignal;
      // conj(K) Y / (|K|^2 + nsr)
      const yr = re[i]!;
      const yi = im[i]!;
      re[i] = (kr * yr + ki * yi) / denominator;
      im[i] = (kr * yi - ki * yr) / denominator;
    }
    fft2d(re, im, pw, ph, true);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) out[c * plane + y * w + x] = Math.pow(Math.max(0, re[(y + oy) * pw + x + ox]!), 1 / GAMMA);
    }
  }
  return out;
}
