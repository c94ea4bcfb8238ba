// AssemblyScript, not TypeScript: the clamp's local range (src/deblur/local-range.ts), the least and greatest value of
// each channel over the square of side 2 radius + 1 around each sample, compiled to WebAssembly with SIMD by
// scripts/build-wasm.mjs into src/deblur/range-wasm.ts (npm run build:wasm; a test checks that the committed module
// is this file's).
//
// Memory is the caller's (imported). The frame's rows y0 .. y0 + rows are at `src`, interleaved RGB, `type` 0 for
// bytes, 1 for 16-bit integers, 2 for 32-bit floats; the outputs and the working buffers are 32-bit floats, each with
// at least 16 bytes after it (a pixel's three samples are stored as four floats, the fourth overwritten by the next
// pixel's first).
//
// Both passes are sparse tables built in place: after the levels up to p (the largest power of two within a window),
// position k holds the extreme of positions k .. k + p - 1 (cut off at the end), and a window of at least p positions
// is the extreme of its first and last p-spans, which overlap. Windows shorter than p only occur where the frame's edge
// cuts a window off; they are taken directly from the values before the levels are built. The least and greatest
// values are computed together, sharing every load's addresses.

/** The sample at index k of the source rows, as a float. */
@inline
function sample(src: usize, type: i32, k: i32): f32 {
  if (type == 0) return <f32>load<u8>(src + <usize>k);
  if (type == 1) return <f32>load<u16>(src + (<usize>k << 1));
  return load<f32>(src + (<usize>k << 2));
}

/** The largest power of two that is at most `size` and at most `n`. */
@inline
function spanFor(size: i32, n: i32): i32 {
  let p = 1;
  while (2 * p <= size && 2 * p <= n) p *= 2;
  return p;
}

/**
 * In place over `len` floats at `lo` and `hi`: for each level doubling p up to `span` (in elements of `stride`
 * floats), position k takes the extreme of itself and position k + p, where there is one.
 */
function buildLevels(lo: usize, hi: usize, len: i32, stride: i32, span: i32): void {
  for (let p = 1; p < span; p *= 2) {
    const off = <usize>(stride * p) << 2;
    const reach = len - stride * p;
    let k = 0;
    // Each vector reads positions at or after the ones it writes, none written yet at this level.
    for (; k + 4 <= reach; k += 4) {
      const a = <usize>k << 2;
      v128.store(lo + a, f32x4.min(v128.load(lo + a), v128.load(lo + a + off)));
      v128.store(hi + a, f32x4.max(v128.load(hi + a), v128.load(hi + a + off)));
    }
    for (; k < reach; k++) {
      const a = <usize>k << 2;
      store<f32>(lo + a, min(load<f32>(lo + a), load<f32>(lo + a + off)));
      store<f32>(hi + a, max(load<f32>(hi + a), load<f32>(hi + a + off)));
    }
  }
}

/**
 * The local range of the box bx, by, bw x bh of a frame fw x fh (windows cut off at the frame's edges) into `outLo`
 * and `outHi` (bw x bh x 3 floats each). `src` holds the frame's rows from y0 = max(0, by - radius) on. Working
 * memory at `work`: 2 x (3 x cols + 4) + 2 x (rows x bw x 3 + 4) floats, cols and rows the box grown by the radius
 * and cut to the frame.
 */
export function extremes(src: usize, type: i32, fw: i32, fh: i32, bx: i32, by: i32, bw: i32, bh: i32, radius: i32, outLo: usize, outHi: usize, work: usize): void {
  if (bw <= 0 || bh <= 0) return;
  const size = 2 * radius + 1;
  const y0 = max(0, by - radius);
  const rows = min(fh, by + bh + radius) - y0;
  const x0 = max(0, bx - radius);
  const cols = min(fw, bx + bw + radius) - x0;
  const lane = 3 * bw;
  const len = 3 * cols;
  const rowLo = work;
  const rowHi = rowLo + (<usize>(len + 4) << 2);
  const bandLo = rowHi + (<usize>(len + 4) << 2);
  const bandHi = bandLo + (<usize>(rows * lane + 4) << 2);
  // The box's first column in the row segment.
  const jx = bx - x0;
  const p = spanFor(size, cols);
  for (let r = 0; r < rows; r++) {
    const s = (r * fw + x0) * 3;
    for (let k = 0; k < len; k++) {
      const v = sample(src, type, s + k);
      store<f32>(rowLo + (<usize>k << 2), v);
      store<f32>(rowHi + (<usize>k << 2), v);
    }
    const dLo = bandLo + (<usize>(r * lane) << 2);
    const dHi = bandHi + (<usize>(r * lane) << 2);
    // Cut-off windows shorter than p, from the values as they are.
    for (let j = 0; j < bw; j++) {
      const lo = max(0, jx + j - radius);
      const hi = min(cols - 1, jx + j + radius);
      if (hi - lo + 1 >= p) continue;
      for (let c = 0; c < 3; c++) {
        let m = load<f32>(rowLo + (<usize>(3 * lo + c) << 2));
        let n = m;
        for (let i = lo + 1; i <= hi; i++) {
          const v = load<f32>(rowLo + (<usize>(3 * i + c) << 2));
          m = min(m, v);
          n = max(n, v);
        }
        store<f32>(dLo + (<usize>(3 * j + c) << 2), m);
        store<f32>(dHi + (<usize>(3 * j + c) << 2), n);
      }
    }
    buildLevels(rowLo, rowHi, len, 3, p);
    for (let j = 0; j < bw; j++) {
      const lo = max(0, jx + j - radius);
      const hi = min(cols - 1, jx + j + radius);
      if (hi - lo + 1 < p) continue;
      const a = <usize>(3 * lo) << 2;
      const b = <usize>(3 * (hi - p + 1)) << 2;
      const o = <usize>(3 * j) << 2;
      // The fourth lane lands on the next sample: the next band row's first, or the band's slack, after a row's last
      // pixel; else the next pixel's first, which that pixel writes after where its window is at least p long. Where
      // the next window is shorter (cut off by the right edge), it was written before, and this lane holds the same
      // value: this window is then exactly p long and ends at the edge (a = b), so the lane is the extreme of
      // lo + 1 .. cols - 1, the next window.
      v128.store(dLo + o, f32x4.min(v128.load(rowLo + a), v128.load(rowLo + b)));
      v128.store(dHi + o, f32x4.max(v128.load(rowHi + a), v128.load(rowHi + b)));
    }
  }
  // Columns: the same down the band, a whole row of samples at a time.
  const dy = by - y0;
  const q = spanFor(size, rows);
  const row = <usize>lane << 2;
  for (let i = 0; i < bh; i++) {
    const lo = max(0, dy + i - radius);
    const hi = min(rows - 1, dy + i + radius);
    if (hi - lo + 1 >= q) continue;
    const o = <usize>i * row;
    memory.copy(outLo + o, bandLo + <usize>lo * row, row);
    memory.copy(outHi + o, bandHi + <usize>lo * row, row);
    for (let r = lo + 1; r <= hi; r++) combine(outLo + o, outHi + o, outLo + o, outHi + o, bandLo + <usize>r * row, bandHi + <usize>r * row, lane);
  }
  buildLevels(bandLo, bandHi, rows * lane, lane, q);
  for (let i = 0; i < bh; i++) {
    const lo = max(0, dy + i - radius);
    const hi = min(rows - 1, dy + i + radius);
    if (hi - lo + 1 < q) continue;
    const o = <usize>i * row;
    combine(outLo + o, outHi + o, bandLo + <usize>lo * row, bandHi + <usize>lo * row, bandLo + <usize>(hi - q + 1) * row, bandHi + <usize>(hi - q + 1) * row, lane);
  }
}

/** dLo = min(aLo, bLo) and dHi = max(aHi, bHi) over n floats (dLo may be aLo, dHi aHi). */
@inline
function combine(dLo: usize, dHi: usize, aLo: usize, aHi: usize, bLo: usize, bHi: usize, n: i32): void {
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const o = <usize>k << 2;
    v128.store(dLo + o, f32x4.min(v128.load(aLo + o), v128.load(bLo + o)));
    v128.store(dHi + o, f32x4.max(v128.load(aHi + o), v128.load(bHi + o)));
  }
  for (; k < n; k++) {
    const o = <usize>k << 2;
    store<f32>(dLo + o, min(load<f32>(aLo + o), load<f32>(bLo + o)));
    store<f32>(dHi + o, max(load<f32>(aHi + o), load<f32>(bHi + o)));
  }
}

/**
 * The motion clamp's radius of each pixel of the box bx, by, bw x bh (local-range.ts, motionLocalRange): from the
 * motion map's plane at `map` (floats, `mapWidth` a row), floor(scale x (value x unit) + 1/2) in 64-bit floats, limited
 * to 0 .. top (NaN to top), looked up in `table` (top + 1 bytes), into `out` (a byte a pixel, box rows). `bounds`
 * receives, per radius 0 .. top, the rectangle of the pixels that take it in box coordinates, x0, y0, x1, y1 (32-bit
 * integers; y0 -1 for a radius no pixel takes).
 */
export function radii(map: usize, mapWidth: i32, bx: i32, by: i32, bw: i32, bh: i32, unit: f64, scale: f64, table: usize, top: i32, out: usize, bounds: usize): void {
  for (let r = 0; r <= top; r++) {
    const b = bounds + (<usize>(4 * r) << 2);
    store<i32>(b, bw);
    store<i32>(b + 4, -1);
    store<i32>(b + 8, -1);
    store<i32>(b + 12, 0);
  }
  const last = <f64>top;
  for (let i = 0; i < bh; i++) {
    const row = map + (<usize>((by + i) * mapWidth + bx) << 2);
    for (let j = 0; j < bw; j++) {
      const want = Math.floor(scale * (<f64>load<f32>(row + (<usize>j << 2)) * unit) + 0.5);
      const k = want >= 0 ? (want < last ? <i32>want : top) : want < 0 ? 0 : top;
      const r = <i32>load<u8>(table + <usize>k);
      store<u8>(out + <usize>(i * bw + j), <u8>r);
      const b = bounds + (<usize>(4 * r) << 2);
      if (load<i32>(b + 4) == -1) store<i32>(b + 4, i);
      if (j < load<i32>(b)) store<i32>(b, j);
      if (j > load<i32>(b + 8)) store<i32>(b + 8, j);
      store<i32>(b + 12, i);
    }
  }
}

/**
 * For each pixel of the rectangle x0, y0 .. x1, y1 (box coordinates, the box bw wide) whose radius in `radii` is r,
 * its three samples of `lo` and `hi` (the box's range, bw a row) from `srcLo` and `srcHi`, a range `srcWidth` wide whose
 * pixel (dx, dy) is the rectangle's first.
 */
export function merge(radii: usize, bw: i32, r: i32, x0: i32, y0: i32, x1: i32, y1: i32, srcLo: usize, srcHi: usize, srcWidth: i32, dx: i32, dy: i32, lo: usize, hi: usize): void {
  for (let i = 0; i <= y1 - y0; i++) {
    for (let j = 0; j <= x1 - x0; j++) {
      const p = (y0 + i) * bw + x0 + j;
      if (<i32>load<u8>(radii + <usize>p) != r) continue;
      const k = <usize>(3 * p) << 2;
      const q = <usize>(3 * ((i + dy) * srcWidth + j + dx)) << 2;
      store<f32>(lo + k, load<f32>(srcLo + q));
      store<f32>(lo + k + 4, load<f32>(srcLo + q + 4));
      store<f32>(lo + k + 8, load<f32>(srcLo + q + 8));
      store<f32>(hi + k, load<f32>(srcHi + q));
      store<f32>(hi + k + 4, load<f32>(srcHi + q + 4));
      store<f32>(hi + k + 8, load<f32>(srcHi + q + 8));
    }
  }
}
