/**
 * Frames to the network's NTCHW tensor (src/deblur/tensor.ts): against a sample-by-sample reference for every sample
 * type, rectangles inside, across and outside the frame (edge replication), by both of its paths (whole frames from
 * the per-frame planes it keeps, small rectangles converted straight), in either order.
 */
import { describe, expect, it } from 'vitest';
import { toNtchwFloat32 } from '../../src/deblur/tensor.js';
import type { Box } from '../../src/deblur/tiles.js';
import { InvalidOptionError } from '../../src/errors.js';
import { createRgb16Frame, createRgb8Frame, createRgbFloatFrame, type Frame, SAMPLE_MAX } from '../../src/stream/frame.js';

const W = 23;
const H = 17;

function frames(kind: 'uint8' | 'uint16' | 'float32'): Frame[] {
  return Array.from({ length: 3 }, (_, t) => {
    const n = W * H * 3;
    const value = (k: number) => ((k * 37 + t * 101) % 251) / 250;
    if (kind === 'uint8') return createRgb8Frame(Uint8Array.from({ length: n }, (_, k) => Math.round(value(k) * 255)), { width: W, height: H, index: t });
    if (kind === 'uint16') return createRgb16Frame(Uint16Array.from({ length: n }, (_, k) => Math.round(value(k) * 65535)), { width: W, height: H, index: t });
    return createRgbFloatFrame(Float32Array.from({ length: n }, (_, k) => value(k)), { width: W, height: H, index: t });
  });
}

function reference(fs: readonly Frame[], rect: Box): Float32Array {
  const plane = rect.width * rect.height;
  const out = new Float32Array(fs.length * 3 * plane);
  fs.forEach((f, t) => {
    for (let c = 0; c < 3; c++) {
      for (let r = 0; r < rect.height; r++) {
        for (let k = 0; k < rect.width; k++) {
          const y = Math.min(Math.max(rect.y + r, 0), f.height - 1);
          const x = Math.min(Math.max(rect.x + k, 0), f.width - 1);
          out[(t * 3 + c) * plane + r * rect.width + k] = Math.fround(f.data[(y * f.width + x) * 3 + c]! * Math.fround(1 / SAMPLE_MAX[f.sampleType]));
        }
      }
    }
  });
  return out;
}

const RECTS: Box[] = [
  { x: 4, y: 3, width: 6, height: 5 }, // small: converted straight
  { x: 0, y: 0, width: W, height: H }, // the whole frame: from the planes
  { x: -5, y: -4, width: W + 9, height: H + 7 }, // larger than the frame: edge replication
  { x: 10, y: -3, width: 16, height: 12 }, // across the right and top edges
  { x: 4, y: 3, width: 6, height: 5 }, // small again, now that the planes exist
];

describe('toNtchwFloat32', () => {
  for (const kind of ['uint8', 'uint16', 'float32'] as const) {
    it(`gives each sample over the rectangle, edge-replicated (${kind}), by either path and in either order`, () => {
      const fs = frames(kind);
      for (const rect of RECTS) {
        const got = toNtchwFloat32(fs, rect);
        const want = reference(fs, rect);
        expect(got.length).toBe(want.length);
        let worst = 0;
        for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
        expect(worst, `${kind} ${JSON.stringify(rect)}`).toBeLessThanOrEqual(1e-7);
      }
    });
  }

  it('writes into a given buffer of exactly the right length, every sample, by either path; otherwise into a new one', () => {
    const fs = frames('uint8');
    for (const rect of RECTS) {
      const length = fs.length * 3 * rect.width * rect.height;
      const into = new Float32Array(length).fill(Number.NaN); // a sample left unwritten would stay NaN
      const got = toNtchwFloat32(fs, rect, into);
      expect(got).toBe(into);
      const want = reference(fs, rect);
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!)); // NaN stays NaN
      expect(worst, JSON.stringify(rect)).toBeLessThanOrEqual(1e-7);
      const other = new Float32Array(length + 1);
      const fresh = toNtchwFloat32(fs, rect, other);
      expect(fresh).not.toBe(other);
      expect(fresh.length).toBe(length);
    }
  });

  it('refuses frames in linear light, by either path', () => {
    const linear = createRgbFloatFrame(new Float32Array(W * H * 3), { width: W, height: H, light: 'linear' });
    expect(() => toNtchwFloat32([linear], { x: 0, y: 0, width: 4, height: 4 })).toThrow(InvalidOptionError);
    expect(() => toNtchwFloat32([linear], { x: 0, y: 0, width: W, height: H })).toThrow(/linear light/);
  });
});
