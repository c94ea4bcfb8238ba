import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { blurAlongFlow, boxMean, correctRows, DECONVOLVE_SAMPLE_SPACING_PX, DECONVOLVE_SHORT_SAMPLES, extrapolate, flowLines, KernelArena, ratioRows, walkRows } from '../../src/deblur/steps-kernel.js';
import type { FlowInput } from '../../src/flow/motion-map.js';
import { createRng, type Rng, uniform } from '../../src/util/rng.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** A flow input whose two flows vary smoothly and reach past the region's borders, plus some capped outliers. */
function wavyFlow(w: number, h: number, rng: Rng): FlowInput {
  const n = w * h;
  const data = new Float32Array(4 * n);
  const [a, b, c, d] = [uniform(rng, 5, 25), uniform(rng, -12, 12), uniform(rng, 0.02, 0.2), uniform(rng, 0.02, 0.2)];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      data[i] = a * Math.sin(c * x + 0.3 * y);
      data[n + i] = b * Math.cos(d * y);
      data[2 * n + i] = -0.8 * data[i]! + uniform(rng, -1, 1);
      data[3 * n + i] = -1.1 * data[n + i]!;
      // A DIS outlier now and then: capped to 48 px.
      if (uniform(rng, 0, 1) < 0.01) data[i] = uniform(rng, -120, 120);
    }
  }
  return { width: w, height: h, data };
}

/**
 * A(src) (sign 1) or A'(src) (sign -1) as the steps define it (deconvolve.ts), written plainly in 64-bit JavaScript:
 * the caps and sample counts, the bilinear taps, the border.
 */
function referenceWalk(src: Float32Array, w: number, h: number, flow: FlowInput, sign: number): Float64Array {
  const n = w * h;
  const out = new Float64Array(3 * n);
  const capped = (u: number, v: number): [number, number] => {
    const m = Math.sqrt(u * u + v * v);
    return m > 48 ? [(u * 48) / m, (v * 48) / m] : [u, v];
  };
  const at = (x: number, y: number, c: number) => src[3 * (y * w + x) + c]!;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const halves = [capped(flow.data[i]!, flow.data[n + i]!), capped(flow.data[2 * n + i]!, flow.data[3 * n + i]!)];
      // A capped flow is 48 px long (its components' rounding aside).
      const longest = Math.max(...halves.map(([u, v]) => Math.min(48, Math.sqrt(u * u + v * v)))) / 2;
      // Up to DECONVOLVE_SHORT_SAMPLES samples at most 2 px apart, beyond them at most DECONVOLVE_SAMPLE_SPACING_PX apart.
      const samples = Math.max(Math.min(DECONVOLVE_SHORT_SAMPLES, Math.ceil(longest / 2) + 1), Math.ceil(longest / DECONVOLVE_SAMPLE_SPACING_PX) + 1);
      for (const [u, v] of halves) {
        for (let j = 0; j < samples; j++) {
          const s = ((j + 0.5) / samples) * 0.5;
          const px = Math.min(w - 1, Math.max(0, x - sign * s * u));
          const py = Math.min(h - 1, Math.max(0, y - sign * s * v));
          const x0 = Math.floor(px);
          const y0 = Math.floor(py);
          const x1 = Math.min(w - 1, x0 + 1);
          const y1 = Math.min(h - 1, y0 + 1);
          const ax = px - x0;
          const ay = py - y0;
          for (let c = 0; c < 3; c++) {
            const top = at(x0, y0, c) * (1 - ax) + at(x1, y0, c) * ax;
            const bottom = at(x0, y1, c) * (1 - ax) + at(x1, y1, c) * ax;
            out[3 * i + c]! += (top * (1 - ay) + bottom * ay) / (2 * samples);
          }
        }
      }
    }
  }
  return out;
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]! - b[k]!));
  return m;
}

describe('the steps kernel (WebAssembly)', () => {
  it('is compiled from its source: the committed module is what scripts/build-wasm.mjs makes of src/deblur/assembly/steps.ts', () => {
    const built = execFileSync(process.execPath, ['scripts/build-wasm.mjs', '--print', 'steps'], { cwd: root, encoding: 'utf8' });
    expect(built === readFileSync(`${root}/src/deblur/steps-wasm.ts`, 'utf8'), 'src/deblur/steps-wasm.ts is stale: run npm run build:wasm').toBe(true);
  });

  it('walks the flow lines as the plain definition does, both ways, at every border and sample count', () => {
    const rng = createRng(24);
    for (const [w, h] of [
      [37, 23],
      [64, 9],
      [5, 41],
    ] as const) {
      const flow = wavyFlow(w, h, rng);
      const src = Float32Array.from({ length: 3 * w * h }, () => uniform(rng, 0, 1));
      for (const sign of [1, -1] as const) {
        const arena = KernelArena.take();
        const lines = flowLines(arena, flow, { x: 0, y: 0, width: w, height: h });
        const a = arena.floats(src.length, src);
        const out = arena.floats(src.length);
        walkRows({ memory: arena.memory, lines }, a, out, sign, 0, h);
        // 32-bit arithmetic against 64-bit: within a few units in the last place of values up to 1.
        expect(maxDifference(out, referenceWalk(src, w, h, flow, sign)), `${w}x${h}, sign ${sign}`).toBeLessThan(2e-6);
        arena.release();
      }
    }
  });

  it('walks a sub-region of a larger flow, only the rows asked for and only the active pixels', () => {
    const rng = createRng(5);
    const big = wavyFlow(50, 40, rng);
    const box = { x: 7, y: 11, width: 30, height: 20 };
    // The region's own flow, cut out of the big one.
    const flow: FlowInput = { width: box.width, height: box.height, data: new Float32Array(4 * box.width * box.height) };
    for (let p = 0; p < 4; p++) for (let y = 0; y < box.height; y++) for (let x = 0; x < box.width; x++) flow.data[(p * box.height + y) * box.width + x] = big.data[(p * 40 + box.y + y) * 50 + box.x + x]!;
    const src = Float32Array.from({ length: 3 * box.width * box.height }, () => uniform(rng, 0, 1));
    const arena = KernelArena.take();
    const active = arena.bytes(box.width * box.height);
    for (let i = 0; i < active.length; i += 3) active[i] = 1;
    const a = arena.floats(src.length, src);
    const out = arena.floats(src.length);
    out.fill(-1);
    walkRows({ memory: arena.memory, lines: flowLines(arena, big, box), active }, a, out, 1, 4, 13);
    const reference = referenceWalk(src, box.width, box.height, flow, 1);
    for (let i = 0; i < box.width * box.height; i++) {
      const y = Math.floor(i / box.width);
      const walked = y >= 4 && y < 13 && active[i] === 1;
      for (let c = 3 * i; c < 3 * i + 3; c++) {
        if (walked) expect(Math.abs(out[c]! - reference[c]!)).toBeLessThan(2e-6);
        else expect(out[c]).toBe(-1);
      }
    }
    arena.release();
  });

  it('takes a Richardson-Lucy step as its two halves define it', () => {
    const rng = createRng(9);
    const [w, h] = [33, 17];
    const flow = wavyFlow(w, h, rng);
    const blurred = Float32Array.from({ length: 3 * w * h }, () => uniform(rng, 0, 1));
    const start = Float32Array.from({ length: 3 * w * h }, () => uniform(rng, 0, 1));
    // One pixel's re-blur below the floor: the ratio divides by the floor there.
    start.fill(0, 0, 3 * w);
    const arena = KernelArena.take();
    const t = { memory: arena.memory, lines: flowLines(arena, flow, { x: 0, y: 0, width: w, height: h }) };
    const b = arena.floats(blurred.length, blurred);
    const estimate = arena.floats(start.length, start);
    const ratio = arena.floats(start.length);
    ratioRows(t, estimate, b, ratio, 1e-4, 0, h);
    const reblurred = referenceWalk(start, w, h, flow, 1);
    const expectedRatio = Float64Array.from(reblurred, (e, k) => blurred[k]! / Math.max(e, 1e-4));
    expect(maxDifference(ratio, expectedRatio) / Math.max(...expectedRatio)).toBeLessThan(1e-5);
    const correction = referenceWalk(ratio, w, h, flow, -1);
    correctRows(t, ratio, estimate, 0, h);
    expect(maxDifference(estimate, Float64Array.from(start, (s, k) => Math.min(1, Math.max(0, s * correction[k]!))))).toBeLessThan(2e-6);
    arena.release();
  });

  it('extrapolates between steps as Biggs and Andrews do, within 0..maxA, and plainly without a change before', () => {
    const rng = createRng(3);
    const n = 1003;
    const arena = KernelArena.take();
    const x = Float32Array.from({ length: n }, () => uniform(rng, 0, 1));
    const estimate = arena.floats(n, x);
    const previous = arena.floats(n, Float32Array.from(x, (v) => v - 0.01));
    const start = arena.floats(n, Float32Array.from(x, (v) => v - 0.02));
    const change = arena.floats(n);
    const last = arena.floats(n, Float32Array.from({ length: n }, () => uniform(rng, 0, 0.04)));
    const g = Float64Array.from(x, (v, k) => v - start[k]!);
    let num = 0;
    let den = 0;
    for (let k = 0; k < n; k++) {
      num += g[k]! * last[k]!;
      den += last[k]! * last[k]!;
    }
    const expectedA = Math.min(0.9, Math.max(0, num / den));
    const before = Float32Array.from(previous);
    const a = extrapolate(arena.memory, estimate, previous, start, change, last, 0.9);
    expect(a).toBeCloseTo(expectedA, 6);
    expect(a).toBeGreaterThan(0);
    expect(maxDifference(change, g)).toBeLessThan(1e-7);
    const expected = Float64Array.from(x, (v, k) => Math.min(1, Math.max(0, v + a * (v - before[k]!))));
    expect(maxDifference(estimate, expected)).toBeLessThan(1e-6);
    expect(maxDifference(start, estimate)).toBe(0);
    expect(maxDifference(previous, x)).toBe(0);
    // No change before: a plain step, the estimate as it is.
    const plain = Float32Array.from(estimate);
    expect(extrapolate(arena.memory, estimate, previous, start, change, undefined, 0.9)).toBe(0);
    expect(maxDifference(estimate, plain)).toBe(0);
    arena.release();
  });
});

describe('boxMean (the tests\' box means, in the kernel)', () => {
  it('is the mean over the square around each pixel, cut off at the borders, for every size and radius', () => {
    const rng = createRng(5);
    for (const [w, h] of [
      [1, 1],
      [7, 3],
      [40, 23],
    ] as const) {
      for (const r of [0, 1, 2, 6, 50]) {
        const v = Float64Array.from({ length: w * h }, () => uniform(rng, -1, 1));
        const expected = new Float64Array(w * h);
        for (let y = 0; y < h; y++) {
          for (let x = 0; x < w; x++) {
            let sum = 0;
            let count = 0;
            for (let yy = Math.max(0, y - r); yy <= Math.min(h - 1, y + r); yy++) {
              for (let xx = Math.max(0, x - r); xx <= Math.min(w - 1, x + r); xx++, count++) sum += v[yy * w + xx]!;
            }
            expected[y * w + x] = sum / count;
          }
        }
        const out = boxMean(v, w, h, r);
        expect(out).toBe(v);
        expect(maxDifference(out, expected), `${w}x${h} radius ${r}`).toBeLessThan(1e-12);
      }
    }
  });
});

describe('KernelArena', () => {
  it('hands out zeroed buffers from reused memory, and keeps earlier buffers valid when it grows', () => {
    const first = KernelArena.take(1024);
    first.floats(100).fill(7);
    first.release();
    const second = KernelArena.take(1024);
    expect(second).toBe(first);
    const early = second.floats(100);
    expect(early.every((v) => v === 0)).toBe(true);
    early.fill(3);
    // Far beyond the first page: the memory grows under the earlier view.
    const late = second.bytes(5 * 2 ** 20);
    expect(late.every((v) => v === 0)).toBe(true);
    expect(early.every((v) => v === 3)).toBe(true);
    expect(late.byteOffset).toBeGreaterThanOrEqual(early.byteOffset + 400 + 4);
    second.release();
  });

  it('takes the memory after a mark again once rewound to it, and refuses a mark it never gave', () => {
    const arena = KernelArena.take(1024);
    const kept = arena.floats(10);
    const mark = arena.mark();
    const a = arena.space(400);
    arena.bytes(100);
    arena.rewind(mark);
    expect(arena.space(400)).toBe(a);
    expect(a).toBeGreaterThanOrEqual(kept.byteOffset + 40);
    expect(() => arena.rewind(arena.mark() + 16)).toThrow(/not a mark of this arena/);
    expect(() => arena.rewind(0)).toThrow(/not a mark of this arena/);
    arena.release();
  });

  it('refuses a region larger than a WebAssembly memory holds, naming the fix', () => {
    const arena = KernelArena.take();
    expect(() => arena.floats(2 ** 30 + 1)).toThrow(/4 GiB.*smaller tiles/);
    arena.release();
  });

  it('gives the blur of a region with its light kept (blurAlongFlow), whatever arena it ran in before', () => {
    const w = 20;
    const h = 12;
    const data = new Float32Array(3 * w * h).fill(0.25);
    const flow = wavyFlow(w, h, createRng(1));
    const out = blurAlongFlow({ width: w, height: h, data }, flow, { x: 0, y: 0, width: w, height: h });
    expect(maxDifference(out.data, data)).toBeLessThan(1e-6);
  });
});
