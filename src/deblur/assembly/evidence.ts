// AssemblyScript, not TypeScript: the per-pixel loops of the deconvolution's tests (src/deblur/deconvolve.ts: the
// blur test's across and lag cues, the stillness test, the 3x3 binomial filter before them), compiled to
// WebAssembly by scripts/build-wasm.mjs into src/deblur/evidence-wasm.ts (npm run build:wasm; a test checks that the
// committed module is this file's).
//
// Every value is computed in 64-bit floats in the order the JavaScript that came before did, and rounded to 32 bits
// where it stored into a Float32Array, so the verdicts are the same to the bit (test/deblur/evidence-kernel.test.ts
// keeps the plain definitions). Memory is the caller's (imported). Regions are w x h pixels; RGB is interleaved 32-bit
// floats; a flow block holds the four planes (u and v of F+, then of F-) of the frame's rows the region covers, `plane`
// floats apart, rows `fw` wide, the region starting at column `bx` of them.

import { boxMean } from './steps';

/** The grey plane at `g` (w x h floats) at (x, y), bilinear, the border replicated. */
@inline
function bilinear(g: usize, w: i32, h: i32, x: f64, y: f64): f64 {
  const xm = <f64>(w - 1);
  const ym = <f64>(h - 1);
  x = x < 0 ? 0 : x > xm ? xm : x;
  y = y < 0 ? 0 : y > ym ? ym : y;
  // x, y >= 0: truncation is the floor.
  const x0 = <i32>x;
  const y0 = <i32>y;
  const x1 = x0 < w - 1 ? x0 + 1 : x0;
  const y1 = y0 < h - 1 ? y0 + 1 : y0;
  const ax = x - <f64>x0;
  const ay = y - <f64>y0;
  const r0 = g + (<usize>(y0 * w) << 2);
  const r1 = g + (<usize>(y1 * w) << 2);
  const p00 = <f64>load<f32>(r0 + (<usize>x0 << 2));
  const p01 = <f64>load<f32>(r0 + (<usize>x1 << 2));
  const p10 = <f64>load<f32>(r1 + (<usize>x0 << 2));
  const p11 = <f64>load<f32>(r1 + (<usize>x1 << 2));
  return (1 - ay) * ((1 - ax) * p00 + ax * p01) + ay * ((1 - ax) * p10 + ax * p11);
}

@inline
function f32At(p: usize, i: i32): f64 {
  return <f64>load<f32>(p + (<usize>i << 2));
}

@inline
function f64At(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}

@inline
function putF64(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << 3), v);
}

@inline
function putF32(p: usize, i: i32, v: f64): void {
  store<f32>(p + (<usize>i << 2), <f32>v);
}

/** Plane k of the n-value 64-bit planes laid one after another at `planes`. */
@inline
function plane64(planes: usize, k: i32, n: i32): usize {
  return planes + (<usize>(k * n) << 3);
}

/** `dst` = the RGB at `src` filtered by [1 2 1]' [1 2 1] / 16, the border replicated; `rows` is 3 w h floats of room. */
export function binomial3(src: usize, rows: usize, dst: usize, w: i32, h: i32): void {
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const l = 3 * (y * w + (x > 0 ? x - 1 : 0));
      const m = 3 * (y * w + x);
      const r = 3 * (y * w + (x < w - 1 ? x + 1 : x));
      for (let c = 0; c < 3; c++) putF32(rows, m + c, 0.25 * f32At(src, l + c) + 0.5 * f32At(src, m + c) + 0.25 * f32At(src, r + c));
    }
  }
  for (let y = 0; y < h; y++) {
    const up = 3 * w * (y > 0 ? y - 1 : 0);
    const mid = 3 * w * y;
    const down = 3 * w * (y < h - 1 ? y + 1 : y);
    for (let k = 0; k < 3 * w; k++) putF32(dst, mid + k, 0.25 * f32At(rows, up + k) + 0.5 * f32At(rows, mid + k) + 0.25 * f32At(rows, down + k));
  }
}

/** `grey` = kr R + kg G + kb B of the `n` pixels of RGB at `rgb`. */
export function grey(rgb: usize, grey: usize, n: i32, kr: f64, kg: f64, kb: f64): void {
  for (let i = 0; i < n; i++) putF32(grey, i, kr * f32At(rgb, 3 * i) + kg * f32At(rgb, 3 * i + 1) + kb * f32At(rgb, 3 * i + 2));
}

/**
 * The lag test's sums on its grid (every `stride`-th pixel of every `stride`-th row; 0 elsewhere), into the six w x h
 * planes of 64-bit floats at `sums`: per flow at least `minPx` long, D(x) D(x + F), D(x)^2 and D(x + F)^2 of the grey
 * region's derivative along the flow, summed over the two flows; then the same across it (the flow turned by 90
 * degrees).
 */
export function lagSums(grey: usize, w: i32, h: i32, flow: usize, fw: i32, plane: i32, bx: i32, stride: i32, minPx: f64, sums: usize): void {
  const n = w * h;
  const xy = plane64(sums, 0, n);
  const xx = plane64(sums, 1, n);
  const yy = plane64(sums, 2, n);
  const xyA = plane64(sums, 3, n);
  const xxA = plane64(sums, 4, n);
  const yyA = plane64(sums, 5, n);
  memory.fill(sums, 0, <usize>(6 * n) << 3);
  for (let y = 0; y < h; y += stride) {
    for (let x = 0; x < w; x += stride) {
      const s = y * fw + bx + x;
      const i = y * w + x;
      const fx = <f64>x;
      const fy = <f64>y;
      // Summed from 0 over the two flows in the order the planes were: the same sums to the bit.
      let sxy: f64 = 0;
      let sxx: f64 = 0;
      let syy: f64 = 0;
      let axy: f64 = 0;
      let axx: f64 = 0;
      let ayy: f64 = 0;
      for (let p = 0; p < 4; p += 2) {
        const u = f32At(flow, p * plane + s);
        const v = f32At(flow, (p + 1) * plane + s);
        const m = Math.sqrt(u * u + v * v);
        if (!(m >= minPx)) continue;
        const hx = (0.5 * u) / m;
        const hy = (0.5 * v) / m;
        let d0 = bilinear(grey, w, h, fx + hx, fy + hy) - bilinear(grey, w, h, fx - hx, fy - hy);
        let d1 = bilinear(grey, w, h, fx + u + hx, fy + v + hy) - bilinear(grey, w, h, fx + u - hx, fy + v - hy);
        sxy += d0 * d1;
        sxx += d0 * d0;
        syy += d1 * d1;
        // Turned: the derivative along (-v, u), at the pixel and (-v, u) away.
        d0 = bilinear(grey, w, h, fx - hy, fy + hx) - bilinear(grey, w, h, fx + hy, fy - hx);
        d1 = bilinear(grey, w, h, fx - v - hy, fy + u + hx) - bilinear(grey, w, h, fx - v + hy, fy + u - hx);
        axy += d0 * d1;
        axx += d0 * d0;
        ayy += d1 * d1;
      }
      putF64(xy, i, sxy);
      putF64(xx, i, sxx);
      putF64(yy, i, syy);
      putF64(xyA, i, axy);
      putF64(xxA, i, axx);
      putF64(yyA, i, ayy);
    }
  }
}

/**
 * The lag test's verdict per pixel into `out` (w x h floats): the six planes of {@link lagSums} averaged over boxes of
 * radius r (in place, `sat` the summed-area table's room), then the correlation along the flow on the ramp from
 * `sharp` (0) to `blurred` (1), vetoed where the correlation across is low too (from `free`, no veto, to
 * `correlated`, a full one); 0 where the energy is at most `floor`.
 */
export function lagVerdict(sums: usize, w: i32, h: i32, r: i32, sat: usize, out: usize, floor: f64, blurred: f64, sharp: f64, free: f64, correlated: f64): void {
  const n = w * h;
  for (let k = 0; k < 6; k++) boxMean(plane64(sums, k, n), w, h, r, sat);
  // The box means of lagSums' planes, in its order.
  const a = plane64(sums, 0, n);
  const b = plane64(sums, 1, n);
  const c = plane64(sums, 2, n);
  const aA = plane64(sums, 3, n);
  const bA = plane64(sums, 4, n);
  const cA = plane64(sums, 5, n);
  for (let i = 0; i < n; i++) {
    putF32(out, i, 0);
    const energy = Math.sqrt(f64At(b, i) * f64At(c, i));
    if (!(energy > floor)) continue;
    const q0 = f64At(a, i) / energy;
    const along = q0 <= blurred ? 1 : q0 >= sharp ? 0 : (sharp - q0) / (sharp - blurred);
    if (along == 0) continue;
    const energyAcross = Math.sqrt(f64At(bA, i) * f64At(cA, i));
    const q = energyAcross > floor ? f64At(aA, i) / energyAcross : 0;
    const veto = q >= free ? 0 : q <= correlated ? 1 : (free - q) / (free - correlated);
    putF32(out, i, along * (1 - veto));
  }
}

/**
 * The across test's re-blur flows: per pixel of the region, k = min(1, max(`scale`, `minPx` / the longer flow's
 * length)) (`scale` where nothing moves) into `share`, k times the four flow planes into `scaled` and k times them
 * turned by 90 degrees into `turned` (each four w x h planes).
 */
export function acrossFlows(flow: usize, fw: i32, plane: i32, bx: i32, w: i32, h: i32, scaled: usize, turned: usize, share: usize, scale: f64, minPx: f64): void {
  const n = w * h;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = y * fw + bx + x;
      const i = y * w + x;
      const fu = f32At(flow, s);
      const fv = f32At(flow, plane + s);
      const bu = f32At(flow, 2 * plane + s);
      const bv = f32At(flow, 3 * plane + s);
      const lf = Math.sqrt(fu * fu + fv * fv);
      const lb = Math.sqrt(bu * bu + bv * bv);
      const longest = lf > lb ? lf : lb;
      let k = scale;
      if (longest > 0) {
        const q = minPx / longest;
        k = q > scale ? q : scale;
        if (k > 1) k = 1;
      }
      putF32(share, i, k);
      putF32(scaled, i, k * fu);
      putF32(scaled, n + i, k * fv);
      putF32(scaled, 2 * n + i, k * bu);
      putF32(scaled, 3 * n + i, k * bv);
      putF32(turned, i, -k * fv);
      putF32(turned, n + i, k * fu);
      putF32(turned, 2 * n + i, -k * bv);
      putF32(turned, 3 * n + i, k * bu);
    }
  }
}

/**
 * Per pixel on the test's grid (`grid`, a byte a pixel; 0 elsewhere), how far the RGB at `changed` is from that at `b`:
 * the absolute differences summed over the channels, into the `n` 64-bit floats at `out`. Returns their sum.
 */
export function changeOnGrid(changed: usize, b: usize, grid: usize, n: i32, out: usize): f64 {
  let total: f64 = 0;
  for (let i = 0; i < n; i++) {
    let d: f64 = 0;
    if (load<u8>(grid + <usize>i) != 0) {
      const o = 3 * i;
      d = Math.abs(f32At(changed, o) - f32At(b, o)) + Math.abs(f32At(changed, o + 1) - f32At(b, o + 1)) + Math.abs(f32At(changed, o + 2) - f32At(b, o + 2));
    }
    putF64(out, i, d);
    total += d;
  }
  return total;
}

/**
 * The across test's verdict per pixel into `out` (w x h floats), from the changes along and across (64-bit planes, in
 * place averaged over boxes of radius r; `sat` the summed-area table's room): q = along / across - shift (share -
 * scale) on the ramp from `high` (0) to `low` (1), times `region`; 0 where the change across is at most `floor`.
 */
export function acrossVerdict(along: usize, across: usize, share: usize, w: i32, h: i32, r: i32, sat: usize, out: usize, floor: f64, region: f64, shift: f64, scale: f64, low: f64, high: f64): void {
  const n = w * h;
  boxMean(along, w, h, r, sat);
  boxMean(across, w, h, r, sat);
  for (let i = 0; i < n; i++) {
    putF32(out, i, 0);
    const c = f64At(across, i);
    if (!(c > floor)) continue;
    const q = f64At(along, i) / c - shift * (f32At(share, i) - scale);
    putF32(out, i, region * (q <= low ? 1 : q >= high ? 0 : (high - q) / (high - low)));
  }
}

/**
 * The stillness test's sums over the region bx, by, w x h of a fw x fh frame, added into `still` and `along` (w x h
 * 64-bit floats each): |N(x) - C(x)| and |N(x + F(x)) - C(x)|, C the centre frame's grey (`centre`, fw x fh floats), N
 * a neighbour's (`neighbour`), F the flow plane pair at `flow` (u then v, `plane` floats apart, rows `fw` wide, the
 * region's rows only); `add` 0 writes them instead (the first neighbour: the sums are non-negative, so 0 + a sum is
 * the sum, bit for bit).
 */
export function stillSums(centre: usize, neighbour: usize, fw: i32, fh: i32, flow: usize, plane: i32, bx: i32, by: i32, w: i32, h: i32, still: usize, along: usize, add: i32): void {
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const fx = bx + x;
      const fy = by + y;
      const s = fy * fw + fx;
      const i = y * w + x;
      const here = f32At(centre, s);
      const f = y * fw + fx;
      const dStill = Math.abs(f32At(neighbour, s) - here);
      const dAlong = Math.abs(bilinear(neighbour, fw, fh, <f64>fx + f32At(flow, f), <f64>fy + f32At(flow, plane + f)) - here);
      putF64(still, i, add != 0 ? f64At(still, i) + dStill : dStill);
      putF64(along, i, add != 0 ? f64At(along, i) + dAlong : dAlong);
    }
  }
}

/**
 * The stillness test's verdict per pixel into `out` (w x h floats): `still` and `along` averaged over boxes of radius r
 * (in place; `sat` the table's room), q = (still + e) / (along + e) on the ramp from `low` (0) to `high` (1).
 */
export function stillVerdict(still: usize, along: usize, w: i32, h: i32, r: i32, sat: usize, out: usize, e: f64, low: f64, high: f64): void {
  const n = w * h;
  boxMean(still, w, h, r, sat);
  boxMean(along, w, h, r, sat);
  for (let i = 0; i < n; i++) {
    const q = (f64At(still, i) + e) / (f64At(along, i) + e);
    putF32(out, i, q >= high ? 1 : q <= low ? 0 : (q - low) / (high - low));
  }
}

/**
 * The fit test's verdict per pixel into `out` (w x h floats): the changes the input's and the result's re-blurs make
 * (`before`, `after`: 64-bit planes, in place averaged over boxes of radius r; `sat` the table's room), q = after /
 * before on the ramp from `high` (0) to `low` (1); 1 where the input's change is at most `floor`.
 */
export function fitVerdict(before: usize, after: usize, w: i32, h: i32, r: i32, sat: usize, out: usize, floor: f64, low: f64, high: f64): void {
  const n = w * h;
  boxMean(before, w, h, r, sat);
  boxMean(after, w, h, r, sat);
  for (let i = 0; i < n; i++) {
    const b = f64At(before, i);
    if (!(b > floor)) {
      putF32(out, i, 1);
      continue;
    }
    const q = f64At(after, i) / b;
    putF32(out, i, q <= low ? 1 : q >= high ? 0 : (high - q) / (high - low));
  }
}

/**
 * deconvolveRegion's blend of the steps' `result` (RGB, in place) with their `start`: per pixel k = weight x fit (`n`
 * floats each), result = start + k (result - start), where k is not 1.
 */
export function blend(result: usize, start: usize, weight: usize, fit: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const k = f32At(weight, i) * f32At(fit, i);
    if (k == 1) continue;
    for (let c = 3 * i; c < 3 * i + 3; c++) {
      const s = f32At(start, c);
      putF32(result, c, s + k * (f32At(result, c) - s));
    }
  }
}
