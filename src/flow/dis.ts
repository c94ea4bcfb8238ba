/**
 * Dense Inverse Search optical flow (Kroeger, Timofte, Dai, Van Gool, ECCV 2016), written for the CPU in plain
 * TypeScript: coarse-to-fine over an image pyramid; at each level, patches on a regular grid find their
 * displacement by inverse-compositional Lucas-Kanade (mean-normalized, so brightness offsets do not bias it),
 * starting from the coarser level's flow; patches are then blended into a dense field, each weighted at every
 * pixel by how well it explains that pixel.
 */
import { expectInteger, expectKnownKeys } from '../options.js';
import { type FlowField, type GreyImage, sampleBilinear } from './field.js';

/** Options of {@link disFlow}. */
export interface DisOptions {
  /** Patch side in pixels (default 8). */
  patchSize?: number;
  /** Distance between patch origins (default 4: each pixel is covered by about 4 patches). */
  patchStride?: number;
  /** Gradient-descent iterations per patch (default 16). */
  iterations?: number;
  /**
   * Finest pyramid level computed (0 = full resolution, default). 1 halves the work at the finest scales roughly
   * fourfold; the flow is then upsampled.
   */
  finestLevel?: number;
  /** Coarsest level (default: as coarse as keeps the smaller side at least one patch high). */
  coarsestLevel?: number;
}

/** Least texture (smallest Hessian eigenvalue per pixel, grey levels^2) a patch needs to be searched. */
const MIN_TEXTURE = 0.25;

/** Resolved DIS parameters. */
export interface DisParameters {
  patchSize: number;
  patchStride: number;
  iterations: number;
  finestLevel: number;
  coarsestLevel: number;
}

/** Validates options that do not depend on the image size (callers check them when their operator is made). */
export function checkDisOptions(options: DisOptions): void {
  expectKnownKeys('disFlow options', options, ['patchSize', 'patchStride', 'iterations', 'finestLevel', 'coarsestLevel']);
  const patchSize = expectInteger('patchSize', options.patchSize ?? 8, 4, 32);
  expectInteger('patchStride', options.patchStride ?? 4, 1, patchSize);
  expectInteger('iterations', options.iterations ?? 16, 1, 200);
  const coarsest = options.coarsestLevel === undefined ? 12 : expectInteger('coarsestLevel', options.coarsestLevel, 0, 12);
  if (options.finestLevel !== undefined) expectInteger('finestLevel', options.finestLevel, 0, coarsest);
}

/**
 * Resolves and validates options for an image of this size. A finest level below the coarsest the image allows is
 * lowered to it (a tiny image has few levels).
 */
export function disParameters(width: number, height: number, options: DisOptions = {}): DisParameters {
  checkDisOptions(options);
  const patchSize = options.patchSize ?? 8;
  const patchStride = options.patchStride ?? 4;
  const iterations = options.iterations ?? 16;
  let automatic = 0;
  while (Math.min(width, height) / 2 ** (automatic + 1) >= patchSize) automatic++;
  const coarsestLevel = options.coarsestLevel ?? automatic;
  const finestLevel = Math.min(options.finestLevel ?? 0, coarsestLevel);
  return { patchSize, patchStride, iterations, finestLevel, coarsestLevel };
}

/** Halves an image: 5-tap binomial blur [1 4 6 4 1] / 16 in both directions, then every other pixel. */
export function downsample(image: GreyImage): GreyImage {
  const { width, height, data } = image;
  const w2 = Math.max(1, Math.ceil(width / 2));
  const h2 = Math.max(1, Math.ceil(height / 2));
  const tmp = new Float32Array(w2 * height);
  const clampX = (x: number) => (x < 0 ? 0 : x >= width ? width - 1 : x);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x2 = 0; x2 < w2; x2++) {
      const x = 2 * x2;
      tmp[y * w2 + x2] =
        (data[row + clampX(x - 2)]! + 4 * data[row + clampX(x - 1)]! + 6 * data[row + x]! + 4 * data[row + clampX(x + 1)]! + data[row + clampX(x + 2)]!) / 16;
    }
  }
  const out = new Float32Array(w2 * h2);
  const clampY = (y: number) => (y < 0 ? 0 : y >= height ? height - 1 : y);
  for (let y2 = 0; y2 < h2; y2++) {
    const y = 2 * y2;
    const r = [clampY(y - 2), clampY(y - 1), y, clampY(y + 1), clampY(y + 2)].map((v) => v * w2) as [number, number, number, number, number];
    for (let x2 = 0; x2 < w2; x2++) {
      out[y2 * w2 + x2] = (tmp[r[0] + x2]! + 4 * tmp[r[1] + x2]! + 6 * tmp[r[2] + x2]! + 4 * tmp[r[3] + x2]! + tmp[r[4] + x2]!) / 16;
    }
  }
  return { width: w2, height: h2, data: out };
}

/** Image pyramid: level 0 is the image itself. */
export function pyramid(image: GreyImage, levels: number): GreyImage[] {
  const out = [image];
  for (let l = 1; l <= levels; l++) out.push(downsample(out[l - 1]!));
  return out;
}

/** Central-difference gradients (clamped at the borders). */
export function gradients(image: GreyImage): { gx: Float32Array; gy: Float32Array } {
  const { width, height, data } = image;
  const gx = new Float32Array(width * height);
  const gy = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const up = (y > 0 ? y - 1 : 0) * width;
    const down = (y < height - 1 ? y + 1 : y) * width;
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const left = x > 0 ? x - 1 : 0;
      const right = x < width - 1 ? x + 1 : x;
      gx[row + x] = (data[row + right]! - data[row + left]!) * 0.5;
      gy[row + x] = (data[down + x]! - data[up + x]!) * 0.5;
    }
  }
  return { gx, gy };
}

/** Patch origins along one axis: every `stride` from 0, plus the last position that fits. */
function patchOrigins(size: number, patch: number, stride: number): number[] {
  const last = Math.max(0, size - patch);
  const origins: number[] = [];
  for (let p = 0; p < last; p += stride) origins.push(p);
  origins.push(last);
  return origins;
}

/**
 * Samples the P x P patch of `b` whose top-left corner is at the (fractional) position (x, y) into `out`. The
 * displacement is the same for the whole patch, so the bilinear weights are too: inside the image that is four
 * loads and three lerps per pixel; near the borders it falls back to clamped sampling.
 */
function warpPatch(b: Float32Array, width: number, height: number, x: number, y: number, P: number, out: Float32Array): void {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  if (x0 >= 0 && y0 >= 0 && x0 + P < width && y0 + P < height) {
    const fx = x - x0;
    const fy = y - y0;
    const w00 = (1 - fx) * (1 - fy);
    const w01 = fx * (1 - fy);
    const w10 = (1 - fx) * fy;
    const w11 = fx * fy;
    for (let py = 0, k = 0; py < P; py++) {
      let r0 = (y0 + py) * width + x0;
      let r1 = r0 + width;
      for (let px = 0; px < P; px++, k++, r0++, r1++) out[k] = w00 * b[r0]! + w01 * b[r0 + 1]! + w10 * b[r1]! + w11 * b[r1 + 1]!;
    }
    return;
  }
  for (let py = 0, k = 0; py < P; py++) for (let px = 0; px < P; px++, k++) out[k] = sampleBilinear(b, width, height, x + px, y + py);
}

/**
 * One level of DIS: refines `initial` (a dense flow at this level's size) by patch inverse search, then densifies.
 * Exported for tests and for worker-parallel callers.
 */
export function disLevel(i0: GreyImage, i1: GreyImage, initial: FlowField, params: DisParameters): FlowField {
  const { width, height } = i0;
  const P = Math.min(params.patchSize, width, height);
  const xs = patchOrigins(width, P, params.patchStride);
  const ys = patchOrigins(height, P, params.patchStride);
  const { gx, gy } = gradients(i0);
  const n = P * P;
  const patchU = new Float32Array(xs.length * ys.length);
  const patchV = new Float32Array(xs.length * ys.length);
  const tmpl = new Float32Array(n);
  const tx = new Float32Array(n);
  const ty = new Float32Array(n);
  const a = i0.data;
  const b = i1.data;
  const half = (P - 1) / 2;

  const warped = new Float32Array(n);
  // Mean-normalized sum of squared differences of the patch at (ox, oy) displaced by (u, v), in one pass:
  // sum (w' - t')^2 with w' = w - mean(w), t' = t - mean(t) is sum w^2 - n mean(w)^2 - 2 (sum w t - n mean(w) mean(t)) + sum t'^2.
  const patchError = (ox: number, oy: number, u: number, v: number, tmean: number, tss: number): number => {
    warpPatch(b, width, height, ox + u, oy + v, P, warped);
    let sw = 0;
    let sww = 0;
    let swt = 0;
    for (let k = 0; k < n; k++) {
      const w = warped[k]!;
      sw += w;
      sww += w * w;
      swt += w * tmpl[k]!;
    }
    const wmean = sw / n;
    return sww - n * wmean * wmean - 2 * (swt - n * wmean * tmean) + tss;
  };

  for (let j = 0; j < ys.length; j++) {
    const oy = ys[j]!;
    for (let i = 0; i < xs.length; i++) {
      const ox = xs[i]!;
      // Template, its gradients and the (constant) Gauss-Newton Hessian of inverse composition.
      let tmean = 0;
      let hxx = 0;
      let hxy = 0;
      let hyy = 0;
      let gxm = 0;
      let gym = 0;
      for (let py = 0, k = 0; py < P; py++) {
        const row = (oy + py) * width + ox;
        for (let px = 0; px < P; px++, k++) {
          tmpl[k] = a[row + px]!;
          tx[k] = gx[row + px]!;
          ty[k] = gy[row + px]!;
          tmean += tmpl[k]!;
          gxm += tx[k]!;
          gym += ty[k]!;
        }
      }
      tmean /= n;
      gxm /= n;
      gym /= n;
      // Mean-normalized residuals are orthogonal to constants, so the gradients are centred too; and since they
      // sum to 0, the steepest-descent sums need no means: sum tx (w - mean(w) - t + mean(t)) = sum tx w - sum tx t.
      let ctx = 0;
      let cty = 0;
      let tss = 0;
      for (let k = 0; k < n; k++) {
        tx[k] = tx[k]! - gxm;
        ty[k] = ty[k]! - gym;
        hxx += tx[k]! * tx[k]!;
        hxy += tx[k]! * ty[k]!;
        hyy += ty[k]! * ty[k]!;
        ctx += tx[k]! * tmpl[k]!;
        cty += ty[k]! * tmpl[k]!;
        tss += (tmpl[k]! - tmean) * (tmpl[k]! - tmean);
      }
      const det = hxx * hyy - hxy * hxy;
      const ci = 2 * ((oy + Math.round(half)) * width + ox + Math.round(half));
      let u = initial.data[ci]!;
      let v = initial.data[ci + 1]!;
      // Smallest eigenvalue of the Hessian per pixel: a patch without texture in some direction (a plain wall,
      // an edge) cannot locate itself; it keeps the coarser level's flow, which is smoother there.
      const trace = hxx + hyy;
      const lambdaMin = (trace - Math.sqrt((hxx - hyy) * (hxx - hyy) + 4 * hxy * hxy)) / 2 / n;
      if (lambdaMin > MIN_TEXTURE && det > 0) {
        const u0 = u;
        const v0 = v;
        const startError = patchError(ox, oy, u, v, tmean, tss);
        for (let it = 0; it < params.iterations; it++) {
          let bx = -ctx;
          let by = -cty;
          const x = ox + u;
          const y = oy + v;
          const x0 = Math.floor(x);
          const y0 = Math.floor(y);
          if (x0 >= 0 && y0 >= 0 && x0 + P < width && y0 + P < height) {
            // Inside the image: warpPatch's fast path fused with the sums (sample and accumulate at once); warping into
            // `warped` first and summing after measured 3-13% slower per flow.
            const fx = x - x0;
            const fy = y - y0;
            const w00 = (1 - fx) * (1 - fy);
            const w01 = fx * (1 - fy);
            const w10 = (1 - fx) * fy;
            const w11 = fx * fy;
            for (let py = 0, k = 0; py < P; py++) {
              let r0 = (y0 + py) * width + x0;
              let r1 = r0 + width;
              for (let px = 0; px < P; px++, k++, r0++, r1++) {
                const w = w00 * b[r0]! + w01 * b[r0 + 1]! + w10 * b[r1]! + w11 * b[r1 + 1]!;
                bx += tx[k]! * w;
                by += ty[k]! * w;
              }
            }
          } else {
            warpPatch(b, width, height, x, y, P, warped);
            for (let k = 0; k < n; k++) {
              bx += tx[k]! * warped[k]!;
              by += ty[k]! * warped[k]!;
            }
          }
          const du = (hyy * bx - hxy * by) / det;
          const dv = (hxx * by - hxy * bx) / det;
          u -= du;
          v -= dv;
          if (du * du + dv * dv < 1e-4) break;
        }
        // A patch that ended worse than it started (or ran off) keeps its initial displacement.
        if (!Number.isFinite(u) || !Number.isFinite(v) || patchError(ox, oy, u, v, tmean, tss) > startError) {
          u = u0;
          v = v0;
        }
      }
      patchU[j * xs.length + i] = u;
      patchV[j * xs.length + i] = v;
    }
  }

  // Densification: each pixel averages the patches covering it, weighted by 1 / max(1, |photometric error|).
  const sumU = new Float32Array(width * height);
  const sumV = new Float32Array(width * height);
  const sumW = new Float32Array(width * height);
  for (let j = 0; j < ys.length; j++) {
    const oy = ys[j]!;
    for (let i = 0; i < xs.length; i++) {
      const ox = xs[i]!;
      const u = patchU[j * xs.length + i]!;
      const v = patchV[j * xs.length + i]!;
      warpPatch(b, width, height, ox + u, oy + v, P, warped);
      for (let py = 0, k = 0; py < P; py++) {
        for (let px = 0, p = (oy + py) * width + ox; px < P; px++, k++, p++) {
          const err = Math.abs(warped[k]! - a[p]!);
          const w = err > 1 ? 1 / err : 1;
          sumU[p] = sumU[p]! + w * u;
          sumV[p] = sumV[p]! + w * v;
          sumW[p] = sumW[p]! + w;
        }
      }
    }
  }
  const out = new Float32Array(2 * width * height);
  for (let p = 0; p < width * height; p++) {
    const w = sumW[p]!;
    out[2 * p] = w > 0 ? sumU[p]! / w : initial.data[2 * p]!;
    out[2 * p + 1] = w > 0 ? sumV[p]! / w : initial.data[2 * p + 1]!;
  }
  return { width, height, data: out };
}

/** An image's pyramid as {@link disFlow} builds it for one set of options: build it once with {@link disPyramid} to use the image in several flows ({@link disFlowBetween}). */
export interface DisPyramid {
  readonly params: DisParameters;
  /** Level 0 is the image itself. */
  readonly levels: readonly GreyImage[];
}

/** The pyramid {@link disFlow} builds of `image` for `options`. */
export function disPyramid(image: GreyImage, options: DisOptions = {}): DisPyramid {
  const params = disParameters(image.width, image.height, options);
  return { params, levels: pyramid(image, params.coarsestLevel) };
}

/**
 * Optical flow from `i0` to `i1` (same size, grey values 0..255): for each pixel x of i0, the displacement F(x)
 * with i0(x) ~ i1(x + F(x)).
 */
export function disFlow(i0: GreyImage, i1: GreyImage, options: DisOptions = {}): FlowField {
  if (i0.width !== i1.width || i0.height !== i1.height) {
    throw new RangeError(`disFlow: images differ in size (${i0.width}x${i0.height} vs ${i1.width}x${i1.height})`);
  }
  return disFlowBetween(disPyramid(i0, options), disPyramid(i1, options));
}

/** {@link disFlow} between two images given by their pyramids (the same size and options): the same flow, without building either pyramid again. */
export function disFlowBetween(from: DisPyramid, to: DisPyramid): FlowField {
  const i0 = from.levels[0]!;
  const i1 = to.levels[0]!;
  const params = from.params;
  if (i0.width !== i1.width || i0.height !== i1.height) {
    throw new RangeError(`disFlow: images differ in size (${i0.width}x${i0.height} vs ${i1.width}x${i1.height})`);
  }
  if (Object.keys(params).some((k) => params[k as keyof DisParameters] !== to.params[k as keyof DisParameters])) {
    throw new RangeError('disFlowBetween: the two pyramids were built with different options');
  }
  const p0 = from.levels;
  const p1 = to.levels;
  const top = p0[params.coarsestLevel]!;
  let flow: FlowField = { width: top.width, height: top.height, data: new Float32Array(2 * top.width * top.height) };
  for (let l = params.coarsestLevel; l >= params.finestLevel; l--) {
    const a = p0[l]!;
    if (l < params.coarsestLevel) flow = upsampleFlow(flow, a.width, a.height, 2);
    flow = disLevel(a, p1[l]!, flow, params);
  }
  return params.finestLevel === 0 ? flow : upsampleFlow(flow, i0.width, i0.height, 2 ** params.finestLevel);
}

/**
 * The flow of a finer pyramid level from a coarser one: `downsample` keeps the even pixels, so fine pixel x sits at
 * coarse x / factor exactly, and displacements scale by exactly `factor`.
 */
export function upsampleFlow(flow: FlowField, width: number, height: number, factor: number): FlowField {
  // The same clamped bilinear sampling as `sampleBilinear`, with each column's and row's taps computed once and
  // both components read from the interleaved field directly.
  const taps = (size: number, source: number) => {
    const i0 = new Int32Array(size);
    const i1 = new Int32Array(size);
    const f = new Float32Array(size);
    for (let o = 0; o < size; o++) {
      const c = Math.min(Math.max(o / factor, 0), source - 1);
      const lo = Math.floor(c);
      i0[o] = lo;
      i1[o] = lo + 1 < source ? lo + 1 : lo;
      f[o] = c - lo;
    }
    return { i0, i1, f };
  };
  const cols = taps(width, flow.width);
  const rows = taps(height, flow.height);
  const src = flow.data;
  const out = new Float32Array(2 * width * height);
  // Each coarse row's horizontal interpolation, computed once for the `factor` or so fine rows that read it (kept in
  // 64-bit floats, as the sums were computed before, so the result is the same to the bit).
  const line = (row: number, into: Float64Array) => {
    const r = row * flow.width;
    for (let x = 0; x < width; x++) {
      const a = 2 * (r + cols.i0[x]!);
      const b = 2 * (r + cols.i1[x]!);
      const fx = cols.f[x]!;
      into[2 * x] = src[a]! + (src[b]! - src[a]!) * fx;
      into[2 * x + 1] = src[a + 1]! + (src[b + 1]! - src[a + 1]!) * fx;
    }
  };
  let upper = new Float64Array(2 * width);
  let lower = new Float64Array(2 * width);
  let upperRow = -1;
  let lowerRow = -1;
  for (let y = 0; y < height; y++) {
    const r0 = rows.i0[y]!;
    const r1 = rows.i1[y]!;
    if (r0 !== upperRow) {
      if (r0 === lowerRow) [upper, lower, lowerRow] = [lower, upper, -1];
      else line(r0, upper);
      upperRow = r0;
    }
    if (r1 !== lowerRow) {
      if (r1 === upperRow) lower.set(upper); // past the last coarse row (its weight fy is 0 there)
      else line(r1, lower);
      lowerRow = r1;
    }
    const fy = rows.f[y]!;
    for (let i = 0, o = 2 * y * width; i < 2 * width; i++, o++) {
      const top = upper[i]!;
      out[o] = factor * (top + (lower[i]! - top) * fy);
    }
  }
  return { width, height, data: out };
}
