/**
 * The committed unblurred sequences, none of them seen in training or validation, on which the paper's observation 5
 * is measured (sharp input should stay sharp: issue 5 asks for PSNR(output, input) >= 40 dB on average): the sharp
 * frames of the held-out clip (test/fixtures/deblur-clip), the sample's hand pan (datasets/sample/hand-pan) and the
 * FPHA sample's four sequences of real hand photos over held-out backgrounds (datasets/fpha-sample). Paths are
 * folders of images relative to the package root. `bench/fixture.ts` measures them all; the shipped-model test
 * measures the first frames of each.
 */
export const SHARP_SEQUENCES: readonly string[] = [
  'test/fixtures/deblur-clip/sharp',
  'datasets/sample/hand-pan',
  ...['camera_shake/1', 'camera_shake/2', 'hand_wave/1', 'hand_wave/2'].map((s) => `datasets/fpha-sample/Video_files/Subject_1/${s}/color`),
];

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
