// AssemblyScript, not TypeScript: the walks along the flow lines that the deconvolution's steps and its blur test
// make (src/deblur/steps-kernel.ts), the flow lines' layout, and the box means of the deconvolution's tests,
// compiled to WebAssembly with SIMD by scripts/build-wasm.mjs into src/deblur/steps-wasm.ts (npm run build:wasm; a
// test checks that the committed module is this file's).
//
// Memory is the caller's (imported, shared between the worker threads that split the rows). A region of w x h pixels
// is interleaved RGB, 32-bit floats, with at least 4 bytes after its last sample: the taps load four floats at once
// and keep three. Its flow lines are one block of 17 bytes a pixel: the planes u and v of F+ then of F- (floats),
// then the samples per half-segment (bytes). `active` is a byte a pixel (the walk skips pixels at 0) or 0 for none.
//
// Per pixel, A(src) is the mean of src at n evenly spaced points along each half of the pixel's flow segment
// ((j + 0.5) / n of the half F+ / 2, then of F- / 2, sampled bilinearly, clamped to the region); A'(src), sign -1,
// walks the same lines the other way. Four samples' coordinates are computed at once; each sample's four taps are
// loaded as RGB(+1) vectors.

@inline
function accumulate(acc: v128, src: usize, off: i32, dx: i32, dy: i32, ax: f32, ay: f32): v128 {
  const p = src + <usize>off;
  const a = v128.load(p);
  const b = v128.load(p + <usize>dx);
  const c = v128.load(p + <usize>dy);
  const d = v128.load(p + <usize>(dy + dx));
  const sx = f32x4.splat(ax);
  const top = f32x4.add(a, f32x4.mul(sx, f32x4.sub(b, a)));
  const bot = f32x4.add(c, f32x4.mul(sx, f32x4.sub(d, c)));
  return f32x4.add(acc, f32x4.add(top, f32x4.mul(f32x4.splat(ay), f32x4.sub(bot, top))));
}

/** The walk's result at pixel (x, y), index i: RGB in lanes 0..2. */
@inline
function along(src: usize, w: i32, h: i32, lines: usize, i: i32, x: i32, y: i32, sign: f32): v128 {
  const size = <usize>(w * h);
  const n = <i32>load<u8>(lines + 16 * size + <usize>i);
  const half = <f32>0.5 / <f32>n;
  const zero = f32x4.splat(0);
  const xmax = f32x4.splat(<f32>(w - 1));
  const ymax = f32x4.splat(<f32>(h - 1));
  const wlast = i32x4.splat(w - 1);
  const hlast = i32x4.splat(h - 1);
  const pixel = i32x4.splat(12);
  const row = i32x4.splat(12 * w);
  const width = i32x4.splat(w);
  const four = f32x4.splat(4);
  const xv = f32x4.splat(<f32>x);
  const yv = f32x4.splat(<f32>y);
  let acc = f32x4.splat(0);
  for (let k = 0; k < 2; k++) {
    const plane = lines + <usize>(8 * k) * size + (<usize>i << 2);
    const step = sign * half;
    const du = f32x4.splat(step * load<f32>(plane));
    const dv = f32x4.splat(step * load<f32>(plane + 4 * size));
    let jj = f32x4(0.5, 1.5, 2.5, 3.5);
    for (let j = 0; j < n; j += 4) {
      let px = f32x4.sub(xv, f32x4.mul(jj, du));
      let py = f32x4.sub(yv, f32x4.mul(jj, dv));
      jj = f32x4.add(jj, four);
      px = f32x4.pmin(f32x4.pmax(px, zero), xmax);
      py = f32x4.pmin(f32x4.pmax(py, zero), ymax);
      // Within the region, so truncation is the floor.
      const ix = i32x4.trunc_sat_f32x4_s(px);
      const iy = i32x4.trunc_sat_f32x4_s(py);
      const ax = f32x4.sub(px, f32x4.convert_i32x4_s(ix));
      const ay = f32x4.sub(py, f32x4.convert_i32x4_s(iy));
      const off = i32x4.mul(i32x4.add(i32x4.mul(iy, width), ix), pixel);
      // The right and lower taps, or the same tap at the region's last column and row.
      const dx = v128.and(i32x4.lt_s(ix, wlast), pixel);
      const dy = v128.and(i32x4.lt_s(iy, hlast), row);
      const left = n - j;
      acc = accumulate(acc, src, i32x4.extract_lane(off, 0), i32x4.extract_lane(dx, 0), i32x4.extract_lane(dy, 0), f32x4.extract_lane(ax, 0), f32x4.extract_lane(ay, 0));
      if (left > 1) acc = accumulate(acc, src, i32x4.extract_lane(off, 1), i32x4.extract_lane(dx, 1), i32x4.extract_lane(dy, 1), f32x4.extract_lane(ax, 1), f32x4.extract_lane(ay, 1));
      if (left > 2) acc = accumulate(acc, src, i32x4.extract_lane(off, 2), i32x4.extract_lane(dx, 2), i32x4.extract_lane(dy, 2), f32x4.extract_lane(ax, 2), f32x4.extract_lane(ay, 2));
      if (left > 3) acc = accumulate(acc, src, i32x4.extract_lane(off, 3), i32x4.extract_lane(dx, 3), i32x4.extract_lane(dy, 3), f32x4.extract_lane(ax, 3), f32x4.extract_lane(ay, 3));
    }
  }
  return f32x4.mul(acc, f32x4.splat(half));
}

@inline
function storeRgb(p: usize, v: v128): void {
  v128.store64_lane(p, v, 0);
  v128.store32_lane(p + 8, v, 2);
}

/** Rows y0..y1 of dst = A(src) (sign 1) or A'(src) (sign -1). */
export function blur(src: usize, dst: usize, w: i32, h: i32, lines: usize, active: usize, sign: f32, y0: i32, y1: i32): void {
  for (let y = y0; y < y1; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (active != 0 && load<u8>(active + <usize>i) == 0) continue;
      storeRgb(dst + <usize>(12 * i), along(src, w, h, lines, i, x, y, sign));
    }
  }
}

/** A step's first half on rows y0..y1: dst = blurred / max(A(src), floor). */
export function ratio(src: usize, dst: usize, blurred: usize, w: i32, h: i32, lines: usize, active: usize, floor: f32, y0: i32, y1: i32): void {
  const low = f32x4.splat(floor);
  for (let y = y0; y < y1; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (active != 0 && load<u8>(active + <usize>i) == 0) continue;
      const o = <usize>(12 * i);
      const e = along(src, w, h, lines, i, x, y, 1);
      storeRgb(dst + o, f32x4.div(v128.load(blurred + o), f32x4.pmax(low, e)));
    }
  }
}

/** A step's second half on rows y0..y1: dst = dst * A'(src), within [0, 1]. */
export function correct(src: usize, dst: usize, w: i32, h: i32, lines: usize, active: usize, y0: i32, y1: i32): void {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  for (let y = y0; y < y1; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (active != 0 && load<u8>(active + <usize>i) == 0) continue;
      const o = dst + <usize>(12 * i);
      const v = f32x4.mul(v128.load(o), along(src, w, h, lines, i, x, y, -1));
      storeRgb(o, f32x4.pmin(f32x4.pmax(v, zero), one));
    }
  }
}

/**
 * Biggs and Andrews' extrapolation between two steps (deconvolve.ts, Momentum), over `count` floats: change =
 * estimate - start; a = sum(change * last) / sum(last^2) in 0..maxA (0 where `last` is 0: no change before); then
 * estimate = start = clamp(x + a (x - previous), 0, 1) and previous = x, for each x of the estimate. The sums are
 * 64-bit. Returns a.
 */
export function extrapolate(estimate: usize, previous: usize, start: usize, change: usize, last: usize, count: i32, maxA: f64): f64 {
  let num = f64x2.splat(0);
  let den = f64x2.splat(0);
  const blocks = count >> 2;
  for (let k = 0; k < blocks; k++) {
    const o = <usize>k << 4;
    const g = f32x4.sub(v128.load(estimate + o), v128.load(start + o));
    v128.store(change + o, g);
    if (last != 0) {
      const h = v128.load(last + o);
      const gLow = f64x2.promote_low_f32x4(g);
      const hLow = f64x2.promote_low_f32x4(h);
      const gHigh = f64x2.promote_low_f32x4(v128.shuffle<i32>(g, g, 2, 3, 0, 1));
      const hHigh = f64x2.promote_low_f32x4(v128.shuffle<i32>(h, h, 2, 3, 0, 1));
      num = f64x2.add(num, f64x2.add(f64x2.mul(gLow, hLow), f64x2.mul(gHigh, hHigh)));
      den = f64x2.add(den, f64x2.add(f64x2.mul(hLow, hLow), f64x2.mul(hHigh, hHigh)));
    }
  }
  let n = f64x2.extract_lane(num, 0) + f64x2.extract_lane(num, 1);
  let d = f64x2.extract_lane(den, 0) + f64x2.extract_lane(den, 1);
  for (let i = blocks << 2; i < count; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(estimate + o) - load<f32>(start + o);
    store<f32>(change + o, g);
    if (last != 0) {
      const h = <f64>load<f32>(last + o);
      n += <f64>g * h;
      d += h * h;
    }
  }
  let a: f64 = 0;
  if (d > 0) a = min(maxA, max(0, n / d));
  const av = f32x4.splat(<f32>a);
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  for (let k = 0; k < blocks; k++) {
    const o = <usize>k << 4;
    const x = v128.load(estimate + o);
    const y = f32x4.pmin(f32x4.pmax(f32x4.add(x, f32x4.mul(av, f32x4.sub(x, v128.load(previous + o)))), zero), one);
    v128.store(previous + o, x);
    v128.store(estimate + o, y);
    v128.store(start + o, y);
  }
  for (let i = blocks << 2; i < count; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(estimate + o);
    const y = min(max(x + <f32>a * (x - load<f32>(previous + o)), 0), 1);
    store<f32>(previous + o, x);
    store<f32>(estimate + o, y);
    store<f32>(start + o, y);
  }
  return a;
}

/** Writes (u, v) shortened to maxFlow where longer at `at` and `at + 4 size`; returns its length after the cap. */
@inline
function putCapped(at: usize, size: usize, u: f64, v: f64, maxFlow: f64): f64 {
  const f = Math.sqrt(u * u + v * v);
  const k = f > maxFlow ? maxFlow / f : 1.0;
  store<f32>(at, <f32>(u * k));
  store<f32>(at + (size << 2), <f32>(v * k));
  return f > maxFlow ? maxFlow : f;
}

/**
 * The flow lines of the region bx, by, w x h (src/deblur/steps-kernel.ts, flowLines) into the block at `lines`: the
 * flow's four planes (u and v of F+, then of F-, floats, `plane` apart, rows `fw` wide) at `flow`; each vector
 * shortened to maxFlow where longer; per pixel max(min(short, ceil(L / 2) + 1), ceil(L / spacing) + 1) samples per
 * half-segment, L the longer half-segment (half the longer capped vector), in 64-bit floats.
 */
export function lines(flow: usize, fw: i32, plane: i32, bx: i32, by: i32, w: i32, h: i32, lines: usize, maxFlow: f64, short: i32, spacing: f64): void {
  const size = <usize>(w * h);
  const p = <usize>plane << 2;
  for (let y = 0; y < h; y++) {
    const s = flow + (<usize>((by + y) * fw + bx) << 2);
    for (let x = 0; x < w; x++) {
      const i = <usize>(y * w + x);
      const at = s + (<usize>x << 2);
      const f = putCapped(lines + (i << 2), size, <f64>load<f32>(at), <f64>load<f32>(at + p), maxFlow);
      const b = putCapped(lines + ((2 * size + i) << 2), size, <f64>load<f32>(at + 2 * p), <f64>load<f32>(at + 3 * p), maxFlow);
      // A half-segment is |F| / 2 long.
      const longest = (f > b ? f : b) / 2;
      const n = max(min(<f64>short, Math.ceil(longest / 2) + 1), Math.ceil(longest / spacing) + 1);
      store<u8>(lines + 16 * size + i, <u8>(<i32>n));
    }
  }
}

/**
 * The tests' box means (src/deblur/deconvolve.ts, boxMean): the mean of the w x h 64-bit floats at `v` over a square
 * of radius r around each pixel, cut off at the borders, written over `v`, by a summed-area table at `sat`
 * ((w + 1) x (h + 1) floats), in the same order of operations as the JavaScript it replaces.
 */
export function boxMean(v: usize, w: i32, h: i32, r: i32, sat: usize): void {
  const stride = w + 1;
  // The table's first row and column are zeros.
  for (let x = 0; x <= w; x++) store<f64>(sat + (<usize>x << 3), 0);
  for (let y = 0; y < h; y++) {
    const above = sat + (<usize>(y * stride) << 3);
    const here = sat + (<usize>((y + 1) * stride) << 3);
    const src = v + (<usize>(y * w) << 3);
    store<f64>(here, 0);
    let row: f64 = 0;
    for (let x = 0; x < w; x++) {
      row += load<f64>(src + (<usize>x << 3));
      store<f64>(here + (<usize>(x + 1) << 3), load<f64>(above + (<usize>(x + 1) << 3)) + row);
    }
  }
  for (let y = 0; y < h; y++) {
    const y0 = max(0, y - r);
    const y1 = min(h, y + r + 1);
    const top = sat + (<usize>(y0 * stride) << 3);
    const bottom = sat + (<usize>(y1 * stride) << 3);
    const dst = v + (<usize>(y * w) << 3);
    for (let x = 0; x < w; x++) {
      const x0 = max(0, x - r);
      const x1 = min(w, x + r + 1);
      const sum = load<f64>(bottom + (<usize>x1 << 3)) - load<f64>(top + (<usize>x1 << 3)) - load<f64>(bottom + (<usize>x0 << 3)) + load<f64>(top + (<usize>x0 << 3));
      store<f64>(dst + (<usize>x << 3), sum / <f64>((y1 - y0) * (x1 - x0)));
    }
  }
}
