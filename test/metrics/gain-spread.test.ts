/** How sure a gain is: median, frames better/worse, and the circular block bootstrap interval, against known cases. */
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import { gainSpread } from '../../src/metrics/gain-spread.js';
import { createRng } from '../../src/util/rng.js';

/** Standard normal samples from a seeded generator (Box-Muller). */
function normals(n: number, seed: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()));
}

const width = (s: { interval95: readonly [number, number] }) => s.interval95[1] - s.interval95[0];

describe('gainSpread', () => {
  it('a constant per-frame gain has that gain, median and a zero-width interval; the sign follows the direction', () => {
    const blurred = Array.from({ length: 40 }, (_, i) => 20 + i / 7);
    const up = gainSpread([{ blurred, deblurred: blurred.map((b) => b + 0.5) }], 'higher')!;
    expect(up.frames).toBe(40);
    expect(up.gain).toBeCloseTo(0.5, 12);
    expect(up.medianGain).toBeCloseTo(0.5, 12);
    expect([up.better, up.worse]).toEqual([40, 0]);
    expect(up.interval95[0]).toBeCloseTo(0.5, 12);
    expect(up.interval95[1]).toBeCloseTo(0.5, 12);
    // An error that drops by 2 everywhere is a gain of +2.
    const down = gainSpread([{ blurred, deblurred: blurred.map((b) => b - 2) }], 'lower')!;
    expect(down.gain).toBeCloseTo(2, 12);
    expect([down.better, down.worse]).toEqual([40, 0]);
  });

  it('draws every frame equally often: gains at the ends of sequences keep the interval around the gain', () => {
    // The hard sample's case: 8 sequences of 25 frames, the deblurred version finds the hand on the last frame of
    // five of them and nowhere else. Blocks that stopped at a sequence's end drew those frames a fifth as often and
    // centred the resampled gains near 1/5 of the gain.
    const sequences = Array.from({ length: 8 }, (_, s) => ({
      blurred: Array.from({ length: 25 }, () => 0),
      deblurred: Array.from({ length: 25 }, (_, k) => (s < 5 && k === 24 ? 1 : 0)),
    }));
    const spread = gainSpread(sequences, 'higher', { resamples: 4000 })!;
    expect(spread.gain).toBeCloseTo(5 / 200, 12);
    // The resampled gains are centred on the gain: their interval's midpoint within a fifth of it.
    const mid = (spread.interval95[0] + spread.interval95[1]) / 2;
    expect(Math.abs(mid - spread.gain)).toBeLessThan(spread.gain / 5);
    expect(spread.interval95[0]).toBeGreaterThan(0);
  });

  it('pools RMSE as the root of the mean square, as the summaries do', () => {
    const blurred = [3, 4, 12, 5];
    const deblurred = [2, 4, 14, 3];
    const s = gainSpread([{ blurred, deblurred }], 'lower', { pool: 'rms' })!;
    const rms = (v: number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length);
    expect(s.gain).toBeCloseTo(rms(blurred) - rms(deblurred), 12);
    expect([s.better, s.worse]).toEqual([2, 1]); // one frame tied
    expect(s.medianGain).toBeCloseTo(0.5, 12); // per-frame gains -2, 0, 1, 2
    expect(s.interval95[0]).toBeLessThanOrEqual(s.gain);
    expect(s.interval95[1]).toBeGreaterThanOrEqual(s.gain);
  });

  it('a few large losses swing the mean while most frames gain: the median and the counts show it', () => {
    const blurred = Array.from({ length: 100 }, () => 10);
    const deblurred = blurred.map((b, i) => (i % 20 === 7 ? b + 10 : b - 0.1));
    const s = gainSpread([{ blurred, deblurred }], 'lower')!;
    expect(s.gain).toBeCloseTo(-0.405, 12);
    expect(s.medianGain).toBeCloseTo(0.1, 12);
    expect([s.better, s.worse]).toEqual([95, 5]);
    expect(s.interval95[0]).toBeLessThan(-0.8);
  });

  it('frame by frame, the interval of a mean of independent gains is about +-1.96 sigma / sqrt(n)', () => {
    const n = 400;
    const gains = normals(n, 7).map((z) => 0.3 + z);
    const blurred = Array.from({ length: n }, () => 0);
    const s = gainSpread([{ blurred, deblurred: gains }], 'higher', { blockLength: 1 })!;
    const mean = gains.reduce((a, g) => a + g, 0) / n;
    const sd = Math.sqrt(gains.reduce((a, g) => a + (g - mean) ** 2, 0) / (n - 1));
    expect(width(s) / ((2 * 1.96 * sd) / Math.sqrt(n))).toBeGreaterThan(0.85);
    expect(width(s) / ((2 * 1.96 * sd) / Math.sqrt(n))).toBeLessThan(1.15);
    expect((s.interval95[0] + s.interval95[1]) / 2).toBeCloseTo(mean, 1);
  });

  it('blocks keep the dependence of neighbouring frames: gains that come in runs get a wider interval than single frames', () => {
    // Each independent gain holds for 10 frames in a row (as a jump of the estimator lasts several frames).
    const gains = normals(40, 3).flatMap((z) => Array.from({ length: 10 }, () => z));
    const blurred = gains.map(() => 0);
    const single = gainSpread([{ blurred, deblurred: gains }], 'higher', { blockLength: 1 })!;
    const blocks = gainSpread([{ blurred, deblurred: gains }], 'higher', { blockLength: 10 })!;
    // Theory: sqrt(10) = 3.2 times wider.
    expect(width(blocks) / width(single)).toBeGreaterThan(2);
  });

  it('never draws a block across two sequences', () => {
    // Two sequences of 5 frames, all +1 and all -1; with blocks of 5 every resample is made of whole sequences, so
    // its mean gain is -1, 0 or +1 exactly. A block spanning both would give other values.
    const s = gainSpread(
      [
        { blurred: [0, 0, 0, 0, 0], deblurred: [1, 1, 1, 1, 1] },
        { blurred: [0, 0, 0, 0, 0], deblurred: [-1, -1, -1, -1, -1] },
      ],
      'higher',
      { blockLength: 5, resamples: 500 },
    )!;
    expect(s.interval95).toEqual([-1, 1]);
    // A sequence shorter than a block is one block.
    const short = gainSpread([{ blurred: [0, 0], deblurred: [1, 1] }], 'higher', { blockLength: 5 })!;
    expect(short.interval95).toEqual([1, 1]);
  });

  it('is reproducible from its seed', () => {
    const gains = normals(60, 11);
    const data = [{ blurred: gains.map(() => 0), deblurred: gains }];
    expect(gainSpread(data, 'higher', { seed: 4 })).toEqual(gainSpread(data, 'higher', { seed: 4 }));
    expect(gainSpread(data, 'higher', { seed: 4 })!.interval95).not.toEqual(gainSpread(data, 'higher', { seed: 5 })!.interval95);
  });

  it('returns null without frames and rejects unpaired or non-finite values and bad options', () => {
    expect(gainSpread([], 'higher')).toBeNull();
    expect(gainSpread([{ blurred: [], deblurred: [] }], 'higher')).toBeNull();
    expect(() => gainSpread([{ blurred: [1, 2], deblurred: [1] }], 'higher')).toThrow('Expected 2 values, one per blurred value for sequences[0].deblurred but received "1 values" of type string');
    expect(() => gainSpread([{ blurred: [1, Number.NaN], deblurred: [1, 2] }], 'higher')).toThrow(InvalidOptionError);
    expect(() => gainSpread([{ blurred: [1], deblurred: [1] }], 'higher', { blockLength: 0 })).toThrow('Expected integer between 1 and 100000 for blockLength but received 0 of type number');
    expect(() => gainSpread([{ blurred: [1], deblurred: [1] }], 'higher', { pool: 'median' as never })).toThrow(InvalidOptionError);
    expect(() => gainSpread([{ blurred: [1], deblurred: [1] }], 'higher', { resample: 5 } as never)).toThrow(InvalidOptionError);
  });
});
