/** The clamp to the input's local range (local-range.ts): the running extremes against brute force, and the clamp. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { applyDeadband, clampToLocalRange, localExtremes, localRange, motionLocalRange, motionRadius, type RangeBuffers } from '../../src/deblur/local-range.js';
import type { Box } from '../../src/deblur/tiles.js';
import { createRgb16Frame, createRgb8Frame, createRgbFloatFrame, type Frame } from '../../src/stream/frame.js';
import { createRng } from '../../src/util/rng.js';

function randomFrame(kind: 'uint8' | 'uint16' | 'float32', width: number, height: number, seed: number): Frame {
  const rng = createRng(seed);
  const n = width * height * 3;
  if (kind === 'uint8') return createRgb8Frame(Uint8Array.from({ length: n }, () => Math.floor(rng() * 256)), { width, height });
  if (kind === 'uint16') return createRgb16Frame(Uint16Array.from({ length: n }, () => Math.floor(rng() * 65536)), { width, height });
  return createRgbFloatFrame(Float32Array.from({ length: n }, () => rng()), { width, height });
}

/** The extreme over the square window, cut off at the frame's edges, one sample at a time. */
function bruteExtreme(frame: Frame, box: Box, radius: number, max: boolean): Float32Array {
  const out = new Float32Array(box.width * box.height * 3);
  for (let i = 0; i < box.height; i++) {
    for (let j = 0; j < box.width; j++) {
      for (let c = 0; c < 3; c++) {
        let best = max ? -Infinity : Infinity;
        const y = box.y + i;
        const x = box.x + j;
        for (let v = Math.max(0, y - radius); v <= Math.min(frame.height - 1, y + radius); v++) {
          for (let u = Math.max(0, x - radius); u <= Math.min(frame.width - 1, x + radius); u++) {
            const s = frame.data[(v * frame.width + u) * 3 + c]!;
            best = max ? Math.max(best, s) : Math.min(best, s);
          }
        }
        out[(i * box.width + j) * 3 + c] = best;
      }
    }
  }
  return out;
}

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('localExtremes', () => {
  it('is compiled from its source: the committed module is what scripts/build-wasm.mjs makes of src/deblur/assembly/range.ts', () => {
    const built = execFileSync(process.execPath, ['scripts/build-wasm.mjs', '--print', 'range'], { cwd: root, encoding: 'utf8' });
    expect(built === readFileSync(`${root}/src/deblur/range-wasm.ts`, 'utf8'), 'src/deblur/range-wasm.ts is stale: run npm run build:wasm').toBe(true);
  });

  it('equals the brute-force minimum and maximum for every sample type, radius (0 to wider than the frame) and box', () => {
    const boxes: Box[] = [
      { x: 0, y: 0, width: 23, height: 17 },
      { x: 5, y: 4, width: 9, height: 7 },
      { x: 0, y: 10, width: 6, height: 7 },
      { x: 20, y: 0, width: 3, height: 1 },
      { x: 22, y: 16, width: 1, height: 1 },
    ];
    let seed = 1;
    for (const kind of ['uint8', 'uint16', 'float32'] as const) {
      const frame = randomFrame(kind, 23, 17, seed++);
      for (const radius of [0, 1, 2, 3, 4, 5, 8, 30]) {
        for (const box of boxes) {
          const { lo, hi } = localExtremes(frame, box, radius);
          expect(lo, `${kind} radius ${radius} box ${JSON.stringify(box)}`).toEqual(bruteExtreme(frame, box, radius, false));
          expect(hi, `${kind} radius ${radius} box ${JSON.stringify(box)}`).toEqual(bruteExtreme(frame, box, radius, true));
        }
      }
    }
  });

  it('is exact on frames wider than the vectors, boxes touching each edge or none, and leaves the frame as it was', () => {
    // Rows of several vectors and odd lengths, so windows cut off by an edge sit beside whole ones at both ends.
    const frame = randomFrame('uint16', 67, 41, 11);
    const before = frame.data.slice();
    const boxes: Box[] = [
      { x: 0, y: 0, width: 67, height: 41 },
      { x: 13, y: 7, width: 37, height: 29 },
      { x: 30, y: 0, width: 37, height: 5 },
      { x: 0, y: 38, width: 66, height: 3 },
    ];
    for (const radius of [2, 3, 4, 6, 12, 16]) {
      for (const box of boxes) {
        const { lo, hi } = localExtremes(frame, box, radius);
        expect(lo, `radius ${radius} box ${JSON.stringify(box)}`).toEqual(bruteExtreme(frame, box, radius, false));
        expect(hi, `radius ${radius} box ${JSON.stringify(box)}`).toEqual(bruteExtreme(frame, box, radius, true));
      }
    }
    expect(frame.data).toEqual(before);
  });
});

describe('clampToLocalRange', () => {
  it('clamps every sample of the box to the local range and leaves the rest of the frame alone', () => {
    const input = randomFrame('uint8', 31, 19, 7);
    const out = randomFrame('uint8', 31, 19, 8).data;
    const before = out.slice();
    const box: Box = { x: 4, y: 3, width: 20, height: 12 };
    clampToLocalRange(input, out, box, 1);
    const lo = bruteExtreme(input, box, 1, false);
    const hi = bruteExtreme(input, box, 1, true);
    let changed = 0;
    for (let y = 0; y < 19; y++) {
      for (let x = 0; x < 31; x++) {
        for (let c = 0; c < 3; c++) {
          const k = (y * 31 + x) * 3 + c;
          const inside = x >= box.x && x < box.x + box.width && y >= box.y && y < box.y + box.height;
          if (!inside) {
            expect(out[k]).toBe(before[k]);
            continue;
          }
          const b = ((y - box.y) * box.width + (x - box.x)) * 3 + c;
          expect(out[k]).toBe(Math.min(Math.max(before[k]!, lo[b]!), hi[b]!));
          if (out[k] !== before[k]) changed++;
        }
      }
    }
    expect(changed).toBeGreaterThan(50);
  });

  it('never moves an output further from the input (sharp input can only be kept better)', () => {
    const input = randomFrame('float32', 40, 30, 3);
    const rng = createRng(4);
    const out = Float32Array.from(input.data, (v) => v + (rng() - 0.5) * 0.4);
    const before = out.slice();
    clampToLocalRange(input, out, { x: 0, y: 0, width: 40, height: 30 }, 3);
    for (let k = 0; k < out.length; k++) expect(Math.abs(out[k]! - input.data[k]!)).toBeLessThanOrEqual(Math.abs(before[k]! - input.data[k]!));
    expect(out).not.toEqual(before);
  });

  it('removes an overshoot beside an edge and keeps a restored edge', () => {
    // A step from 50 to 200 blurred over 4 pixels; the "network" makes it a sharp step with fringes of 20 and 235.
    const width = 16;
    const row = [50, 50, 50, 50, 50, 50, 80, 110, 140, 170, 200, 200, 200, 200, 200, 200];
    const restored = [50, 50, 50, 50, 50, 20, 50, 50, 200, 200, 235, 200, 200, 200, 200, 200];
    const input = createRgb8Frame(Uint8Array.from(row.flatMap((v) => [v, v, v])), { width, height: 1 });
    const out = Uint8Array.from(restored.flatMap((v) => [v, v, v]));
    clampToLocalRange(input, out, { x: 0, y: 0, width, height: 1 }, 3);
    expect(Array.from(out.filter((_, k) => k % 3 === 0))).toEqual([50, 50, 50, 50, 50, 50, 50, 50, 200, 200, 200, 200, 200, 200, 200, 200]);
  });

  it('does nothing at radius 0 or on an empty box', () => {
    const input = randomFrame('uint16', 8, 8, 5);
    const out = randomFrame('uint16', 8, 8, 6).data;
    const before = out.slice();
    clampToLocalRange(input, out, { x: 0, y: 0, width: 8, height: 8 }, 0);
    clampToLocalRange(input, out, { x: 2, y: 2, width: 0, height: 3 }, 3);
    expect(out).toEqual(before);
  });
});

describe('the clamp whose radius follows the motion', () => {
  it('picks the radius from the motion in px as training does (floor(scale x px + 1/2), bounded, on the allowed steps)', () => {
    // The same cases as training/tests/test_local_range.py.
    const px = [0, 9.9, 10, 13.9, 14, 18, 19, 26, 30, 100];
    expect(px.map((p) => motionRadius(p, 2, { scale: 0.25, maxRadius: 8 }))).toEqual([2, 2, 3, 3, 4, 6, 6, 8, 8, 8]);
    expect(px.slice(-3).map((p) => motionRadius(p, 2, { scale: 0.25, maxRadius: 5 }))).toEqual([5, 5, 5]);
    expect(new Set(px.map((p) => motionRadius(p, 3, { scale: 0, maxRadius: 8 })))).toEqual(new Set([3]));
  });

  it("clamps each sample at its own pixel's radius, read from the motion map and its unit", () => {
    const frame = randomFrame('uint8', 23, 17, 11);
    const rng = createRng(12);
    const maxMotionPx = 20;
    // Map values in [0, 1] times 20 px: radii from 2 (still) to 6 at scale 0.25.
    const map = { width: 23, height: 17, data: Float32Array.from({ length: 23 * 17 }, () => rng()), maxMotionPx };
    const box: Box = { x: 3, y: 2, width: 15, height: 12 };
    const motion = { scale: 0.25, maxRadius: 6 };
    const range = motionLocalRange(frame, box, 2, motion, map)!;
    const seen = new Set<number>();
    for (let i = 0; i < box.height; i++) {
      for (let j = 0; j < box.width; j++) {
        const r = motionRadius(map.data[(box.y + i) * 23 + box.x + j]! * maxMotionPx, 2, motion);
        seen.add(r);
        const one: Box = { x: box.x + j, y: box.y + i, width: 1, height: 1 };
        const k = 3 * (i * box.width + j);
        expect(Array.from(range.lo.subarray(k, k + 3))).toEqual(Array.from(bruteExtreme(frame, one, r, false)));
        expect(Array.from(range.hi.subarray(k, k + 3))).toEqual(Array.from(bruteExtreme(frame, one, r, true)));
      }
    }
    expect([...seen].sort()).toEqual([2, 3, 4, 6]);
    // The base radius's range given (as deblur() has it for the deadband): the same range, that radius's pixels from it.
    const base = localRange(frame, box, 2)!;
    expect(motionLocalRange(frame, box, 2, motion, map, base)).toEqual(range);
    expect(() => motionLocalRange(frame, box, 2, motion, map, localRange(frame, { ...box, x: 4 }, 2))).toThrow(/base range covers 15x12 at 4,2, not the box 15x12 at 3,2/);
    // A moving object inside a still frame, away from the edges and at a corner the box reaches: each pixel as before.
    for (const [ox, oy] of [[9, 7], [0, 0], [18, 12]] as const) {
      const object = { ...map, data: Float32Array.from({ length: 23 * 17 }, (_, p) => (Math.abs((p % 23) - ox) <= 3 && Math.abs(Math.floor(p / 23) - oy) <= 2 ? 0.3 + 0.7 * rng() : 0)) };
      for (const b of [box, { x: 0, y: 0, width: 23, height: 17 }, { x: 12, y: 9, width: 11, height: 8 }]) {
        const r = motionLocalRange(frame, b, 2, motion, object)!;
        expect(motionLocalRange(frame, b, 2, motion, object, localRange(frame, b, 2))).toEqual(r);
        for (let i = 0; i < b.height; i++) {
          for (let j = 0; j < b.width; j++) {
            const one: Box = { x: b.x + j, y: b.y + i, width: 1, height: 1 };
            const radius = motionRadius(object.data[(b.y + i) * 23 + b.x + j]! * maxMotionPx, 2, motion);
            const k = 3 * (i * b.width + j);
            expect(Array.from(r.lo.subarray(k, k + 3)), `object at ${ox},${oy}, pixel ${j},${i}`).toEqual(Array.from(bruteExtreme(frame, one, radius, false)));
            expect(Array.from(r.hi.subarray(k, k + 3))).toEqual(Array.from(bruteExtreme(frame, one, radius, true)));
          }
        }
      }
    }
    // A still frame (a map of zeros, whatever its unit) is the fixed clamp; radius 0 or an empty box clamps nothing.
    const still = { ...map, data: new Float32Array(23 * 17), maxMotionPx: 0.3 };
    expect(motionLocalRange(frame, box, 2, motion, still)).toEqual(localRange(frame, box, 2));
    expect(motionLocalRange(frame, box, 0, motion, map)).toBeUndefined();
    expect(motionLocalRange(frame, { ...box, width: 0 }, 2, motion, map)).toBeUndefined();
    expect(() => motionLocalRange(frame, box, 2, motion, { ...map, width: 22 })).toThrow(/motion map is 22x17 but the frame is 23x17/);
  });

  it('writes into the buffers given, reused from frame to frame and box to box, the ranges it gives without them', () => {
    const motion = { scale: 0.25, maxRadius: 6 };
    const baseBuffers: RangeBuffers = {};
    const rangeBuffers: RangeBuffers = {};
    const rng = createRng(31);
    let grown = 0;
    let last: Float32Array | undefined;
    // Larger, smaller and larger boxes again, on different frames and maps, as deblur() asks frame after frame.
    for (const [k, b] of ([
      { x: 0, y: 0, width: 23, height: 17 },
      { x: 5, y: 3, width: 9, height: 6 },
      { x: 2, y: 1, width: 20, height: 15 },
      { x: 0, y: 0, width: 23, height: 17 },
    ] as Box[]).entries()) {
      const frame = randomFrame('uint16', 23, 17, 40 + k);
      const map = { width: 23, height: 17, data: Float32Array.from({ length: 23 * 17 }, () => rng()), maxMotionPx: 20 };
      const base = localRange(frame, b, 2, baseBuffers)!;
      const range = motionLocalRange(frame, b, 2, motion, map, base, rangeBuffers)!;
      expect(base).toEqual(localRange(frame, b, 2));
      expect(range).toEqual(motionLocalRange(frame, b, 2, motion, map));
      expect(range.lo.buffer).toBe(rangeBuffers.lo!.buffer);
      expect(base.hi.buffer).toBe(baseBuffers.hi!.buffer);
      if (rangeBuffers.lo !== last) grown++;
      last = rangeBuffers.lo;
    }
    // Allocated for the first box and never again: every later box fits.
    expect(grown).toBe(1);
  });
});

describe('applyDeadband', () => {
  // The definition: inside the box, out = input + sign(r) max(|r| - t, 0) with r = out - input and t = levels x the
  // sample type's full range / 255, rounded for integer samples; outside the box, out is left alone.
  const reference = (input: Frame, out: ArrayLike<number>, box: Box, levels: number): number[] => {
    const full = input.sampleType === 'uint8' ? 255 : input.sampleType === 'uint16' ? 65535 : 1;
    const t = (levels * full) / 255;
    return Array.from(out, (v, i) => {
      const px = Math.floor(i / 3);
      const x = px % input.width;
      const y = Math.floor(px / input.width);
      if (x < box.x || x >= box.x + box.width || y < box.y || y >= box.y + box.height) return v;
      const r = v - input.data[i]!;
      const shrunk = Math.sign(r) * Math.max(Math.abs(r) - t, 0);
      return input.sampleType === 'float32' ? input.data[i]! + shrunk : Math.round(input.data[i]! + shrunk);
    });
  };
  const box: Box = { x: 1, y: 1, width: 4, height: 3 };

  it.each([
    ['uint8', 1],
    ['uint8', 1.5],
    ['uint16', 1],
    ['float32', 2],
  ] as const)('shrinks %s changes by %s levels inside the box, as its definition says', (type, levels) => {
    const rng = createRng(7);
    const w = 6;
    const h = 5;
    const full = type === 'uint8' ? 255 : type === 'uint16' ? 65535 : 1;
    const draw = (jitter: number) => Array.from({ length: w * h * 3 }, () => rng() * full * jitter);
    const base = draw(1).map((v) => (type === 'float32' ? v : Math.round(v * 0.5 + full * 0.25)));
    const input = type === 'uint8' ? createRgb8Frame(Uint8Array.from(base), { width: w, height: h }) : type === 'uint16' ? createRgb16Frame(Uint16Array.from(base), { width: w, height: h }) : createRgbFloatFrame(Float32Array.from(base), { width: w, height: h });
    // Changes of up to 4 levels either way, some below the deadband, some above.
    const changed = base.map((v) => v + ((rng() - 0.5) * 8 * full) / 255);
    const out = type === 'uint8' ? Uint8Array.from(changed.map(Math.round)) : type === 'uint16' ? Uint16Array.from(changed.map(Math.round)) : Float32Array.from(changed);
    const want = reference(input, out, box, levels);
    const before = Array.from(out);
    applyDeadband(input, out, box, levels);
    const got = Array.from(out);
    if (type === 'float32') got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 6));
    else expect(got).toEqual(want);
    // It did something: some samples moved back to the input.
    expect(got.some((v, i) => v === input.data[i] && before[i] !== input.data[i])).toBe(true);
  });

  it('with a flatness bound, shrinks only the samples whose channel spans at most that many levels in the range', () => {
    // Left half flat (one grey value), right half a ramp of 40 levels per pixel.
    const w = 12;
    const h = 4;
    const data = Uint8Array.from({ length: w * h * 3 }, (_, i) => {
      const x = Math.floor(i / 3) % w;
      return x < 6 ? 100 : Math.min(255, 40 * (x - 5));
    });
    const input = createRgb8Frame(data, { width: w, height: h });
    const box: Box = { x: 0, y: 0, width: w, height: h };
    const out = Uint8Array.from(data, (v) => Math.min(255, v + 1));
    const range = localRange(input, box, 2)!;
    applyDeadband(input, out, box, 1, { range, levels: 12 });
    out.forEach((v, i) => {
      const flat = range.hi[i]! - range.lo[i]! <= 12;
      expect(v).toBe(flat ? data[i]! : Math.min(255, data[i]! + 1));
    });
    // Columns 0-3 are flat within radius 2, columns 6 and up are not.
    expect(out[3 * 3]).toBe(100);
    expect(out[7 * 3]).toBe(81);
    // No range (radius 0): every sample counts as flat.
    const all = Uint8Array.from(data, (v) => Math.min(255, v + 1));
    applyDeadband(input, all, box, 1, { range: undefined, levels: 12 });
    expect(all).toEqual(data);
  });

  it('leaves out alone at 0 levels, and moves no sample away from the input', () => {
    const input = createRgb8Frame(Uint8Array.from({ length: 4 * 4 * 3 }, (_, i) => (i * 37) % 256), { width: 4, height: 4 });
    const out = Uint8Array.from(input.data, (v, i) => Math.min(255, Math.max(0, v + ((i % 7) - 3))));
    const copy = out.slice();
    applyDeadband(input, out, { x: 0, y: 0, width: 4, height: 4 }, 0);
    expect(out).toEqual(copy);
    applyDeadband(input, out, { x: 0, y: 0, width: 4, height: 4 }, 2);
    out.forEach((v, i) => expect(Math.abs(v - input.data[i]!)).toBeLessThanOrEqual(Math.abs(copy[i]! - input.data[i]!)));
    // Changes of at most 2 levels are gone; those of 3 keep one level.
    out.forEach((v, i) => expect(Math.abs(v - input.data[i]!)).toBe(Math.max(Math.abs(copy[i]! - input.data[i]!) - 2, 0)));
  });
});
