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
});
