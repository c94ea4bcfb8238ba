/**
 * The shipped PROMOTION models on a committed clip they were not trained on (test/fixtures/deblur-clip: an
 * exact-blur render of a held-out photo, with its sharp frames):
 * - each restores the blurred clip against the sharp frames by at least its bound in dB of PSNR, so a
 *   near-identity model (0 dB) or an untrained one (-1.3 dB) fails;
 * - sharp input stays sharp (the paper's observation 5): on the clip's sharp frames, PSNR(output, input) is at least
 *   its bound on average; on the committed unblurred sequences (datasets/sharp-sequences.ts: the clip's sharp frames,
 *   the hand pan and the FPHA sample's four sequences of real hand photos; the first 12 frames of each here, all of
 *   them in bench/fixture.ts), at least the 40 dB on average.
 * The targets are 1 dB and 40 dB. Reached on 2 CPU cores (docs/deblur-model.md, docs/training.md;
 * bench/results/fixture*.json), with each card's clamp to the input's local range (radius 3 unless the card gives one)
 * like everything deblur() does: the default `promotion-c` (the CPU-shaped encoder-decoder; its prior branch at stride 2
 * since session 11; since session 16 the weights of training/configs/promotion-c9a.yml at 400 iterations, its card's
 * clamp at radius 2 growing with the motion up to 4; since session 18 its card's residual deadband of 1 grey level
 * where the input is flat) 0.54 dB, 58.77 dB on the clip's sharp frames and 61.8 dB over the unblurred sequences
 * (without the deadband 58.70 dB and 61.7 dB; session 14's weights 0.66 dB, 48.66 dB and 53.9 dB: the clamp that
 * follows the motion costs this clip 0.1 dB while it gains on the validation set, the test set and the hard hand
 * sample, docs/deblur-model.md; the session-11 weights 0.53 dB, 36.15 dB and 43.7 dB); `promotion-c-deconv` (the
 * default's network and settings with Richardson-Lucy steps along the flow; since session 20 its blur test keeps
 * them off sharp frames that move, since session 21 its stillness test off still backgrounds, since session 22 its lag
 * test finds blur across thin structure, since session 23 10 accelerated steps rather than 20 plain ones and the
 * blur test on a quarter of the pixels, since session 24 sharp content under motion returned as it came, since
 * session 25 its fit test drops the steps where their result does not explain the input, since session 30 its check
 * of the two flows against a constant velocity lets a camera's shake through) 2.60 dB, 100 dB (the clip's sharp frames
 * returned unchanged, as keptDb counts them) and 80.2 dB, every sequence at 53.8 dB or more (session 25: 1.63 dB, 100
 * dB, 79.2 dB and 53.2 dB; session 24:
 * 1.49 dB, 100 dB, 75.8 dB and 46.2 dB; session 23: 1.49 dB, 57.67 dB, 56.7 dB and 46.2 dB; session 22: 1.51 dB, 57.82 dB, 57.2 dB and 47.8 dB; session 21: 1.49 dB, 58.77 dB, 57.6 dB and 48.2 dB or more; session
 * 20: 45.5 dB or more; session 19's blur test: 1.41 dB,
 * 46.07 dB, and a sharp waving hand at 35.6 dB); `promotion-s` 0.28 dB,
 * 38.44 dB and 46.4 dB;
 * `promotion-s-long` (3.6x the training; more restoration, but worse hand pose on the demo sample) 0.54 dB, 39.18 dB
 * and 49.5 dB; `promotion-m` (48 features; the most restoration, the worst hand pose) 0.66 dB, 44.66 dB and 55.2 dB.
 * The clip's bounds guard what was reached (with a margin for the runtime's float differences), not the targets; the
 * gain target stays open. Each test fails, naming the missing file, while its model is not in models/.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { deblur } from '../../src/deblur/deblur.js';
import { DEFAULT_DEBLUR_MODEL, modelsDir, resolveModelFiles } from '../../src/deblur/model-card.js';
import { psnr } from '../../src/metrics/psnr.js';
import { decodeImage } from '../../src/stream/image-codec.js';
import type { Frame } from '../../src/stream/frame.js';
import { keptDb, poolSequencePsnrs, SHARP_SEQUENCES, sharpInputKept } from '../../datasets/sharp-sequences.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'deblur-clip');

function requireShippedModel(name: string): void {
  // The runtime's lookup finds the network a card without one of its own runs (promotion-c-deconv); where it finds
  // none, the message below names the file.
  let model = join(modelsDir(), `${name}.onnx`);
  try {
    model = resolveModelFiles(name).onnxPath;
  } catch {
    // Reported below.
  }
  for (const file of [model, join(modelsDir(), `${name}.json`)]) {
    if (!existsSync(file)) {
      throw new Error(
        `The shipped model is missing: ${file} does not exist. Train and export it (models/README.md, "Making one": ` +
          `\`/usr/bin/python3 -m promotion.export --checkpoint <checkpoint.pt> --name ${name} --contract 2\` in training/) and commit its files.`,
      );
    }
  }
}

async function readClip(sub: 'blur' | 'sharp'): Promise<Frame[]> {
  const files = readdirSync(join(FIXTURE, sub)).filter((f) => f.endsWith('.png')).sort();
  expect(files).toHaveLength(9);
  return Promise.all(files.map((f, k) => decodeImage(join(FIXTURE, sub, f), 'uint8', k, (k * 1000) / 30)));
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Frames per unblurred sequence the test restores (bench/fixture.ts restores them all). */
const SHARP_FRAMES = 12;

describe.each([
  { name: DEFAULT_DEBLUR_MODEL, minGain: 0.5, minSharp: 55, everySequence: true },
  { name: 'promotion-c-deconv', minGain: 2.45, minSharp: 55, everySequence: true },
  { name: 'promotion-s', minGain: 0.2, minSharp: 37, everySequence: false },
  { name: 'promotion-s-long', minGain: 0.45, minSharp: 38, everySequence: false },
  { name: 'promotion-m', minGain: 0.55, minSharp: 43, everySequence: false },
])('the shipped model $name', ({ name, minGain, minSharp, everySequence }) => {
  it(`restores a blurred clip of a held-out photo (at least ${minGain} dB; the 1 dB target ${minGain >= 1 ? 'is reached' : 'is not reached'})`, async () => {
    requireShippedModel(name);
    const [blurred, sharp] = await Promise.all([readClip('blur'), readClip('sharp')]);
    const restored = await lastValueFrom(from(blurred).pipe(deblur({ model: name }), toArray()));
    const before = mean(blurred.map((b, k) => psnr(b, sharp[k]!)));
    const after = mean(restored.map((r, k) => psnr(r, sharp[k]!)));
    console.log(`${name} on test/fixtures/deblur-clip: blurred ${before.toFixed(2)} dB -> restored ${after.toFixed(2)} dB (${(after - before).toFixed(2)} dB)`);
    expect(after - before).toBeGreaterThanOrEqual(minGain);
  }, 120_000);

  it(`leaves the clip's sharp frames nearly sharp: PSNR(output, input) >= ${minSharp} dB on average`, async () => {
    requireShippedModel(name);
    const sharp = await readClip('sharp');
    const restored = await lastValueFrom(from(sharp).pipe(deblur({ model: name }), toArray()));
    const fidelity = mean(restored.map((r, k) => keptDb(r, sharp[k]!)));
    console.log(`${name} on the sharp frames of test/fixtures/deblur-clip: PSNR(output, input) ${fidelity.toFixed(2)} dB`);
    expect(fidelity).toBeGreaterThanOrEqual(minSharp);
  }, 120_000);

  it(`leaves the committed unblurred sequences sharp: PSNR(output, input) >= 40 dB on average (the target)${everySequence ? ', and on every one' : ''}`, async () => {
    requireShippedModel(name);
    const kept = Object.values(await sharpInputKept(name, { maxFrames: SHARP_FRAMES }));
    expect(kept).toHaveLength(SHARP_SEQUENCES.length);
    const { meanDb, pooledMseDb } = poolSequencePsnrs(kept);
    console.log(`${name} on ${SHARP_SEQUENCES.length} unblurred sequences: PSNR(output, input) ${kept.map((p) => p.toFixed(2)).join(' / ')} dB, mean ${meanDb.toFixed(2)} dB, pooled MSE ${pooledMseDb.toFixed(2)} dB`);
    expect(meanDb).toBeGreaterThanOrEqual(40);
    // Issue 14's target is every sequence at 40 dB or more; the default reaches it since session 14 (lowest 47.5 dB here).
    if (everySequence) expect(Math.min(...kept)).toBeGreaterThanOrEqual(40);
  }, 180_000);
});
