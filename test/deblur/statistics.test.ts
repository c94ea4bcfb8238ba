/**
 * The per-frame statistics (blurWeights, contrastScale) against the test vector that the Python side checks too
 * (training/tests/data/statistics-vector.json), and against closed forms.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  blurWeightsFromVariances,
  contrastScale,
  deblurGrey,
  laplacianVariance,
  type UnitGreyImage,
  windowStatistics,
} from '../../src/deblur/statistics.js';
import { InvalidOptionError } from '../../src/errors.js';
import { createRgb16Frame, createRgb8Frame, createRgbFloatFrame, type Frame } from '../../src/stream/frame.js';

interface VectorCase {
  name: string;
  width: number;
  height: number;
  sampleType: 'uint8' | 'uint16';
  frames: number[][];
  blurWeights: number[];
  contrastScale: number[];
}

const vectorPath = join(import.meta.dirname, '..', '..', 'training', 'tests', 'data', 'statistics-vector.json');
const { cases } = JSON.parse(readFileSync(vectorPath, 'utf8')) as { cases: VectorCase[] };

function expectClose(actual: ArrayLike<number>, expected: readonly number[]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tolerance = 1e-9 * Math.abs(expected[i]!) + 1e-15;
    expect(Math.abs(actual[i]! - expected[i]!), `index ${i}: ${actual[i]} vs ${expected[i]}`).toBeLessThanOrEqual(tolerance);
  }
}

describe('deblur statistics', () => {
  it('match the shared test vector (Python computes the same values)', () => {
    expect(cases.length).toBeGreaterThanOrEqual(3);
    for (const c of cases) {
      const frames: Frame[] = c.frames.map((samples, index) =>
        c.sampleType === 'uint8'
          ? createRgb8Frame(Uint8Array.from(samples), { width: c.width, height: c.height, index, timestampMs: index })
          : createRgb16Frame(Uint16Array.from(samples), { width: c.width, height: c.height, index, timestampMs: index }),
      );
      const stats = windowStatistics(frames);
      expectClose(stats.blurWeights, c.blurWeights);
      expectClose(stats.contrastScale, c.contrastScale);
      expect(stats.blurWeights.reduce((a, b) => a + b, 0)).toBeCloseTo(5, 9);
    }
  });

  it('follow the closed forms', () => {
    const data = new Float64Array(25);
    data[12] = 1; // one bright pixel in a 5x5 black frame
    const grey: UnitGreyImage = { width: 5, height: 5, data };
    expect(contrastScale(grey)).toBe(1);
    // Laplacian over the 3x3 interior: -4 once, 1 four times, 0 four times: mean 0, variance 20 / 9.
    expect(laplacianVariance(grey)).toBeCloseTo(20 / 9, 12);
    expectClose(blurWeightsFromVariances([1, 1, 1, 1, 1]), [1, 1, 1, 1, 1]);
    expectClose(blurWeightsFromVariances([1, 2, 4, 2, 1]), [1, 0.5, 0.25, 0.5, 1].map((v) => (5 * v) / 3.25));
  });

  it('read float frames in [0, 1] like 8-bit ones and refuse linear light', () => {
    const rgb = Uint8Array.from({ length: 4 * 4 * 3 }, (_, i) => (i * 37) % 256);
    const a = deblurGrey(createRgb8Frame(rgb, { width: 4, height: 4, index: 0, timestampMs: 0 }));
    const b = deblurGrey(createRgbFloatFrame(Float32Array.from(rgb, (v) => v / 255), { width: 4, height: 4, index: 0, timestampMs: 0, light: 'encoded' }));
    for (let i = 0; i < a.data.length; i++) expect(b.data[i]!).toBeCloseTo(a.data[i]!, 6);
    const linear = createRgbFloatFrame(new Float32Array(48), { width: 4, height: 4, index: 0, timestampMs: 0, light: 'linear' });
    expect(() => deblurGrey(linear)).toThrow(InvalidOptionError);
    expect(() => contrastScale({ width: 2, height: 5, data: new Float64Array(10) })).toThrow(/at least 3x3/);
    expect(() => blurWeightsFromVariances([])).toThrow(InvalidOptionError);
  });

  it('equal a direct per-pixel reference on random frames of several shapes, the grey written into a buffer given', () => {
    // Eq. 1 with edge replication and the Laplacian's population variance, written out pixel by pixel.
    const referenceContrast = ({ width, height, data }: UnitGreyImage) => {
      let max = 0;
      const at = (x: number, y: number) => data[Math.min(height - 1, Math.max(0, y)) * width + Math.min(width - 1, Math.max(0, x))]!;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const g = at(x, y);
          const d = [at(x, y - 1), at(x, y + 1), at(x - 1, y), at(x + 1, y)].map((v) => (g - v) ** 2);
          max = Math.max(max, (d[0]! + d[1]! + d[2]! + d[3]!) / 4);
        }
      }
      return max;
    };
    const referenceVariance = ({ width, height, data }: UnitGreyImage) => {
      const lap: number[] = [];
      for (let y = 1; y < height - 1; y++) {
        for (let x = 1; x < width - 1; x++) {
          const i = y * width + x;
          lap.push(data[i - width]! + data[i + width]! + data[i - 1]! + data[i + 1]! - 4 * data[i]!);
        }
      }
      const mean = lap.reduce((a, b) => a + b, 0) / lap.length;
      return lap.reduce((a, v) => a + (v - mean) ** 2, 0) / lap.length;
    };
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const buffer = new Float64Array(64 * 48);
    for (const [width, height] of [[3, 3], [3, 9], [17, 4], [64, 48]] as const) {
      const rgb = Uint8Array.from({ length: width * height * 3 }, () => Math.floor(256 * random()));
      const frame = createRgb8Frame(rgb, { width, height, index: 0, timestampMs: 0 });
      const fresh = deblurGrey(frame);
      const reused = deblurGrey(frame, buffer);
      expect(reused.data.buffer).toBe(buffer.buffer);
      expect(Array.from(reused.data)).toEqual(Array.from(fresh.data));
      expect(contrastScale(fresh)).toBe(referenceContrast(fresh));
      expect(laplacianVariance(fresh)).toBeCloseTo(referenceVariance(fresh), 14);
    }
    // A buffer too small is not used.
    const small = deblurGrey(createRgb8Frame(new Uint8Array(5 * 5 * 3), { width: 5, height: 5, index: 0, timestampMs: 0 }), new Float64Array(4));
    expect(small.data.length).toBe(25);
  });
});
