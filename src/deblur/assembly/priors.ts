// AssemblyScript, not TypeScript: the prior maps of a window averaged over 2x2 pixels (src/deblur/priors.ts, contract
// version 4's `priors` input), compiled to WebAssembly with SIMD by scripts/build-wasm.mjs into
// src/deblur/priors-wasm.ts (npm run build:wasm; a test checks that the committed module is this file's).
//
// Memory is the caller's (imported). `grey` holds the window's t grey planes (width x height floats each), `motion`
// the centre frame's motion map, `inverse` t floats (1 / each frame's contrast scale); `out` receives 3t planes of
// width/2 x height/2 floats: contrast, gradient and motion groups, frame by frame. `rows` is working memory of
// 6 x (width + 4) floats: each map's even and odd row, so the odd row completes the 2x2 sums. Width and height are
// even, at least 2. Neighbours outside the frame are the edge pixel.

/** Row y's contrast (times `inv`) and gradient of the grey plane at `g` into `c` and `d`. */
@inline
function mapsOfRow(g: usize, width: i32, height: i32, y: i32, inv: f32, c: usize, d: usize): void {
  const row = g + (<usize>(y * width) << 2);
  const up = y > 0 ? row - (<usize>width << 2) : row;
  const down = y + 1 < height ? row + (<usize>width << 2) : row;
  const quarter = f32x4.splat(0.25 * inv);
  // x = 0 and x = width - 1 read their own value for the neighbour outside; the vectors cover 1 .. width - 2.
  let x = 1;
  for (; x + 4 <= width - 1; x += 4) {
    const o = <usize>x << 2;
    const v = v128.load(row + o);
    const a = f32x4.sub(v, v128.load(up + o));
    const b = f32x4.sub(v, v128.load(down + o));
    const l = f32x4.sub(v, v128.load(row + o - 4));
    const r = f32x4.sub(v, v128.load(row + o + 4));
    const sum = f32x4.add(f32x4.add(f32x4.mul(a, a), f32x4.mul(b, b)), f32x4.add(f32x4.mul(l, l), f32x4.mul(r, r)));
    v128.store(c + o, f32x4.mul(sum, quarter));
    v128.store(d + o, f32x4.add(b, r));
  }
  for (let k = 0; k < width; k++) {
    if (k > 0 && k < x) continue; // done by the vectors
    const o = <usize>k << 2;
    const v = load<f32>(row + o);
    const a = v - load<f32>(up + o);
    const b = v - load<f32>(down + o);
    const l = v - (k > 0 ? load<f32>(row + o - 4) : v);
    const r = v - (k + 1 < width ? load<f32>(row + o + 4) : v);
    store<f32>(c + o, (a * a + b * b + (l * l + r * r)) * (0.25 * inv));
    store<f32>(d + o, b + r);
  }
}

/** The 2x2 means of the rows at `even` and `even + stride` (width floats each) into width/2 floats at `dst`. */
@inline
function pool(even: usize, stride: usize, width: i32, dst: usize): void {
  const odd = even + stride;
  const quarter = f32x4.splat(0.25);
  let x = 0;
  for (; x + 8 <= width; x += 8) {
    const o = <usize>x << 2;
    const s0 = f32x4.add(v128.load(even + o), v128.load(odd + o));
    const s1 = f32x4.add(v128.load(even + o + 16), v128.load(odd + o + 16));
    const pairs = f32x4.add(v128.shuffle<f32>(s0, s1, 0, 2, 4, 6), v128.shuffle<f32>(s0, s1, 1, 3, 5, 7));
    v128.store(dst + (<usize>x << 1), f32x4.mul(pairs, quarter));
  }
  for (; x < width; x += 2) {
    const o = <usize>x << 2;
    store<f32>(dst + (<usize>x << 1), (load<f32>(even + o) + load<f32>(even + o + 4) + (load<f32>(odd + o) + load<f32>(odd + o + 4))) * 0.25);
  }
}

export function pooled(grey: usize, motion: usize, inverse: usize, t: i32, width: i32, height: i32, out: usize, rows: usize): void {
  const plane = <usize>(width * height) << 2;
  const half = <usize>((width >> 1) * (height >> 1)) << 2;
  const stride = <usize>(width + 4) << 2;
  const centre = grey + <usize>((t - 1) >> 1) * plane;
  const c = rows;
  const d = rows + 2 * stride;
  const m = rows + 4 * stride;
  for (let k = 0; k < t; k++) {
    const g = grey + <usize>k * plane;
    const inv = load<f32>(inverse + (<usize>k << 2));
    const isCentre = k == (t - 1) >> 1;
    for (let y = 0; y < height; y++) {
      const at = <usize>(y & 1) * stride;
      mapsOfRow(g, width, height, y, inv, c + at, d + at);
      const row = <usize>(y * width) << 2;
      if (isCentre) {
        memory.copy(m + at, motion + row, <usize>width << 2);
      } else {
        let x = 0;
        for (; x + 4 <= width; x += 4) {
          const o = <usize>x << 2;
          v128.store(m + at + o, f32x4.abs(f32x4.sub(v128.load(centre + row + o), v128.load(g + row + o))));
        }
        for (; x < width; x++) {
          const o = <usize>x << 2;
          store<f32>(m + at + o, abs<f32>(load<f32>(centre + row + o) - load<f32>(g + row + o)));
        }
      }
      if ((y & 1) == 0) continue;
      const line = <usize>((y >> 1) * (width >> 1)) << 2;
      pool(c, stride, width, out + <usize>k * half + line);
      pool(d, stride, width, out + <usize>(t + k) * half + line);
      pool(m, stride, width, out + <usize>(2 * t + k) * half + line);
    }
  }
}
