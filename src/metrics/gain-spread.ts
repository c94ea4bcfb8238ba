/**
 * How sure a gain is. A summary gain over a few dozen or hundred frames (the mean PSNR gain, the pooled RMSE gain)
 * can be moved a long way by a handful of frames: a hand-pose estimator on a blurred hand often jumps between two
 * solutions, so one frame's joint error changes by 10-20 px where most change by a fraction of a pixel. From the
 * per-frame values of the blurred and the deblurred version of each frame this module gives:
 *
 * - the per-frame gains (better is positive, as everywhere: deblurred - blurred where higher is better, blurred -
 *   deblurred where lower is better), their median, and how many frames got better and how many worse;
 * - a 95% interval of the summary gain from a circular block bootstrap (Politis and Romano, 1992): blocks of
 *   `blockLength` consecutive frames of one sequence, starting at any of its frames and wrapping around from its
 *   last frame to its first (never into another sequence; a sequence shorter than a block is one block), drawn with
 *   replacement until there are as many frames as in the data, `resamples` times, from a seeded generator; the
 *   interval is the 2.5% and 97.5% quantiles of the resampled gains. Blocks keep the dependence between
 *   neighbouring frames (they share deblurring windows, motion and often the estimator's mistakes); resampling
 *   single frames would treat them as independent and give too narrow an interval. The wrap gives every frame the
 *   same chance to be drawn: blocks that stop at a sequence's end (a moving-block bootstrap) draw its first and last
 *   frames a fifth as often as the others, which shifted the interval away from the gain where the gains sit at
 *   the ends (the hard hand sample's detection gain of +3.0 points had the interval [-2.0, +4.0], resampled mean
 *   +1.0; wrapped: [-0.5, +7.0], mean +3.0).
 *
 * Pooling, as the summaries pool: `'mean'` (PSNR, SSIM, ABSE, EPE: the mean of the per-frame values) or `'rms'`
 * (RMSE: the root of the mean of the per-frame squares, joints.ts).
 */
import { expectInteger, expectKnownKeys, expectOneOf, invalidOption } from '../options.js';
import { createRng } from '../util/rng.js';
import type { Better } from './definitions.js';

/** Default bootstrap resamples. */
export const DEFAULT_GAIN_RESAMPLES = 2000;
/** Default block length in frames: the deblurring window, whose frames share inputs. */
export const DEFAULT_GAIN_BLOCK = 5;
/** Default seed of the bootstrap's generator. */
export const DEFAULT_GAIN_SEED = 1;

/** How a summary pools per-frame values. */
export type GainPooling = 'mean' | 'rms';

/** One sequence's per-frame values of a metric on the blurred and the deblurred frames, in frame order, paired. */
export interface PairedFrames {
  readonly blurred: readonly number[];
  readonly deblurred: readonly number[];
}

/** Options of {@link gainSpread}. */
export interface GainSpreadOptions {
  /** How the summary pools frames (default 'mean'). */
  pool?: GainPooling;
  /** Bootstrap resamples (default {@link DEFAULT_GAIN_RESAMPLES}). */
  resamples?: number;
  /** Frames per bootstrap block (default {@link DEFAULT_GAIN_BLOCK}; 1 resamples single frames). */
  blockLength?: number;
  /** Seed of the bootstrap (default {@link DEFAULT_GAIN_SEED}). */
  seed?: number;
}

/** The spread of a summary gain over frames. Plain data. */
export interface GainSpread {
  /** Frames paired. */
  readonly frames: number;
  /** The summary gain of all frames (what the summary row reports). */
  readonly gain: number;
  /** Median of the per-frame gains. */
  readonly medianGain: number;
  /** Frames whose gain is positive (deblurring helped). */
  readonly better: number;
  /** Frames whose gain is negative (deblurring hurt). */
  readonly worse: number;
  /** 2.5% and 97.5% quantiles of the bootstrapped summary gain. */
  readonly interval95: readonly [number, number];
  readonly resamples: number;
  readonly blockLength: number;
  readonly seed: number;
}

function pooled(values: ArrayLike<number>, pool: GainPooling): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += pool === 'rms' ? values[i]! * values[i]! : values[i]!;
  return pool === 'rms' ? Math.sqrt(sum / values.length) : sum / values.length;
}

/** Linear-interpolated quantile of sorted values. */
function quantile(sorted: readonly number[], q: number): number {
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (at - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * The spread of the gain of `sequences` (see the module comment); null when there are no frames. Throws
 * {@link InvalidOptionError} on a sequence whose two versions differ in length or hold a non-finite value.
 */
export function gainSpread(sequences: readonly PairedFrames[], better: Better, options: GainSpreadOptions = {}): GainSpread | null {
  expectKnownKeys('gainSpread options', options, ['pool', 'resamples', 'blockLength', 'seed']);
  const pool = expectOneOf('pool', options.pool ?? 'mean', ['mean', 'rms'] as const);
  const resamples = expectInteger('resamples', options.resamples ?? DEFAULT_GAIN_RESAMPLES, 1, 1_000_000);
  const blockLength = expectInteger('blockLength', options.blockLength ?? DEFAULT_GAIN_BLOCK, 1, 100_000);
  const seed = expectInteger('seed', options.seed ?? DEFAULT_GAIN_SEED, 0, 2 ** 32 - 1);
  const blurred: number[] = [];
  const deblurred: number[] = [];
  // Per block: the sequence's first frame, its length, and the block's first frame within it.
  const blocks: [start: number, length: number, offset: number][] = [];
  sequences.forEach((s, i) => {
    if (s.blurred.length !== s.deblurred.length) invalidOption(`sequences[${i}].deblurred`, `${s.blurred.length} values, one per blurred value`, `${s.deblurred.length} values`);
    const start = blurred.length;
    for (let k = 0; k < s.blurred.length; k++) {
      const b = s.blurred[k]!;
      const d = s.deblurred[k]!;
      if (!Number.isFinite(b) || !Number.isFinite(d)) invalidOption(`sequences[${i}] frame ${k}`, 'finite values', `${b} and ${d}`);
      blurred.push(b);
      deblurred.push(d);
    }
    const n = s.blurred.length;
    if (n === 0) return;
    if (n <= blockLength) blocks.push([start, n, 0]);
    else for (let k = 0; k < n; k++) blocks.push([start, n, k]);
  });
  const n = blurred.length;
  if (n === 0) return null;
  const signed = (b: number, d: number) => (better === 'higher' ? d - b : b - d);
  const perFrame = blurred.map((b, k) => signed(b, deblurred[k]!)).sort((a, b) => a - b);

  const rng = createRng(seed);
  const b = new Float64Array(n);
  const d = new Float64Array(n);
  const gains: number[] = [];
  for (let r = 0; r < resamples; r++) {
    let filled = 0;
    while (filled < n) {
      const [start, length, offset] = blocks[Math.floor(rng() * blocks.length)]!;
      for (let k = 0; k < Math.min(blockLength, length) && filled < n; k++, filled++) {
        const at = start + ((offset + k) % length);
        b[filled] = blurred[at]!;
        d[filled] = deblurred[at]!;
      }
    }
    gains.push(signed(pooled(b, pool), pooled(d, pool)));
  }
  gains.sort((x, y) => x - y);
  return {
    frames: n,
    gain: signed(pooled(blurred, pool), pooled(deblurred, pool)),
    medianGain: quantile(perFrame, 0.5),
    better: perFrame.filter((g) => g > 0).length,
    worse: perFrame.filter((g) => g < 0).length,
    interval95: [quantile(gains, 0.025), quantile(gains, 0.975)],
    resamples,
    blockLength,
    seed,
  };
}
