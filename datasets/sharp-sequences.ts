/**
 * The committed unblurred sequences, none of them seen in training or validation, on which the paper's observation 5
 * is measured (sharp input should stay sharp; the target is PSNR(output, input) >= 40 dB on average): the sharp
 * frames of the held-out clip (test/fixtures/deblur-clip), the sample's hand pan (datasets/sample/hand-pan) and the
 * FPHA sample's four sequences of real hand photos over held-out backgrounds (datasets/fpha-sample). Paths are
 * folders of images relative to the package root. `bench/fixture.ts` measures them all; the shipped-model test
 * measures the first frames of each.
 */
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { deblur } from '../src/deblur/deblur.js';
import { psnr } from '../src/metrics/psnr.js';
import type { Frame } from '../src/stream/frame.js';
import { openImageSequence } from '../src/stream/image-sequence-source.js';
import { packageRoot } from '../src/util/package-root.js';
export const SHARP_SEQUENCES: readonly string[] = [
  'test/fixtures/deblur-clip/sharp',
  'datasets/sample/hand-pan',
  ...['camera_shake/1', 'camera_shake/2', 'hand_wave/1', 'hand_wave/2'].map((s) => `datasets/fpha-sample/Video_files/Subject_1/${s}/color`),
];

/**
 * What a sharp input frame returned unchanged counts as, in dB: its PSNR against itself is infinite, which neither a
 * mean nor JSON holds (the card of session 24 returns sharp content under motion as it came).
 */
export const SHARP_KEPT_CAP_DB = 100;

/** PSNR(output, input) of a sharp input frame, at most {@link SHARP_KEPT_CAP_DB}. */
export function keptDb(output: Frame, input: Frame): number {
  return Math.min(SHARP_KEPT_CAP_DB, psnr(output, input));
}

/**
 * Per-sequence PSNRs (dB) pooled two ways: their mean (each sequence counts once, whatever its length: the issue's
 * "on average"), and the PSNR of the mean of their mean squared errors (normalized to a peak of 1), which the worst
 * sequences dominate.
 */
export function poolSequencePsnrs(psnrs: readonly number[]): { meanDb: number; pooledMseDb: number } {
  if (psnrs.length === 0) throw new RangeError('poolSequencePsnrs: expected at least one PSNR');
  const meanDb = psnrs.reduce((a, b) => a + b, 0) / psnrs.length;
  const mse = psnrs.reduce((a, p) => a + 10 ** (-p / 10), 0) / psnrs.length;
  return { meanDb, pooledMseDb: -10 * Math.log10(mse) };
}

/**
 * What `deblur()` with `model` (a name in models/ or a path) does to each unblurred sequence: the mean over its frames
 * of PSNR(output, input) ({@link keptDb}), by sequence, in {@link SHARP_SEQUENCES}' order. `maxFrames`: only the first frames of each.
 */
export async function sharpInputKept(model: string, options: { maxFrames?: number; clampRadius?: number } = {}): Promise<Record<string, number>> {
  const kept: Record<string, number> = {};
  for (const dir of SHARP_SEQUENCES) {
    const source = await openImageSequence(join(packageRoot(), dir), { sampleType: 'uint8', ...(options.maxFrames !== undefined ? { maxFrames: options.maxFrames } : {}) });
    const frames = await lastValueFrom(from(source.frames()).pipe(toArray()));
    const restored = await lastValueFrom(from(frames).pipe(deblur({ model, ...(options.clampRadius !== undefined ? { clampRadius: options.clampRadius } : {}) }), toArray()));
    kept[dir] = restored.reduce((sum, r, k) => sum + keptDb(r, frames[k]!), 0) / frames.length;
  }
  return kept;
}
