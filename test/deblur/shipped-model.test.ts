/**
 * The shipped default model (models/promotion-s.onnx and its card) on a committed clip it was not trained on
 * (test/fixtures/deblur-clip: an exact-blur render of a held-out photo, with its sharp frames):
 * - it restores the blurred clip against the sharp frames by at least 0.45 dB of PSNR, so a near-identity model
 *   (0 dB), an untrained one (-1.3 dB) or the previously shipped one (0.28 dB) fails;
 * - sharp input stays sharp (the paper's observation 5): on the sharp frames, PSNR(output, input) >= 38 dB on average.
 * The targets are 1 dB and 40 dB; the model trained on 2 CPU cores reaches 0.52 dB and 38.74 dB (README,
 * "Training"), so these bounds guard what was reached (with a margin for the runtime's float differences), not
 * the targets, which stay open.
 * Both fail, naming the missing file, while the model is not in models/.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { deblur } from '../../src/deblur/deblur.js';
import { DEFAULT_DEBLUR_MODEL, modelsDir } from '../../src/deblur/model-card.js';
import { psnr } from '../../src/metrics/psnr.js';
import { decodeImage } from '../../src/stream/image-codec.js';
import type { Frame } from '../../src/stream/frame.js';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'deblur-clip');
const MODEL = join(modelsDir(), `${DEFAULT_DEBLUR_MODEL}.onnx`);

function requireShippedModel(): void {
  for (const file of [MODEL, MODEL.replace(/\.onnx$/, '.json')]) {
    if (!existsSync(file)) {
      throw new Error(
        `The shipped model is missing: ${file} does not exist. Train and export it (README, "Training": ` +
          '`/usr/bin/python3 -m promotion.export --checkpoint <checkpoint.pt> --name promotion-s` in training/) and commit both files.',
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

describe(`the shipped model (${DEFAULT_DEBLUR_MODEL})`, () => {
  it('restores a blurred clip of a held-out photo (at least 0.45 dB; the 1 dB target is not reached)', async () => {
    requireShippedModel();
    const [blurred, sharp] = await Promise.all([readClip('blur'), readClip('sharp')]);
    const restored = await lastValueFrom(from(blurred).pipe(deblur(), toArray()));
    const before = mean(blurred.map((b, k) => psnr(b, sharp[k]!)));
    const after = mean(restored.map((r, k) => psnr(r, sharp[k]!)));
    console.log(`shipped model on test/fixtures/deblur-clip: blurred ${before.toFixed(2)} dB -> restored ${after.toFixed(2)} dB (${(after - before).toFixed(2)} dB)`);
    expect(after - before).toBeGreaterThanOrEqual(0.45);
  }, 120_000);

  it('leaves sharp frames nearly sharp: PSNR(output, input) >= 38 dB on average (the 40 dB target is not reached)', async () => {
    requireShippedModel();
    const sharp = await readClip('sharp');
    const restored = await lastValueFrom(from(sharp).pipe(deblur(), toArray()));
    const fidelity = mean(restored.map((r, k) => psnr(r, sharp[k]!)));
    console.log(`shipped model on the sharp frames of test/fixtures/deblur-clip: PSNR(output, input) ${fidelity.toFixed(2)} dB`);
    expect(fidelity).toBeGreaterThanOrEqual(38);
  }, 120_000);
});
