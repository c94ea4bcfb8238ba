/**
 * The shipped PROMOTION models on a committed clip they were not trained on (test/fixtures/deblur-clip: an
 * exact-blur render of a held-out photo, with its sharp frames):
 * - each restores the blurred clip against the sharp frames by at least its bound in dB of PSNR, so a
 *   near-identity model (0 dB) or an untrained one (-1.3 dB) fails;
 * - sharp input stays sharp (the paper's observation 5): on the sharp frames, PSNR(output, input) is at least its
 *   bound on average.
 * The targets are 1 dB and 40 dB. Reached on 2 CPU cores (README, "Training"): the default `promotion-s`
 * 0.28 dB and 38.05 dB; `promotion-s-long` (3.6x the training; more restoration, but worse hand pose on the demo
 * sample) 0.52 dB and 38.74 dB. The bounds guard what was reached (with a margin for the runtime's float
 * differences), not the targets, which stay open. Each test fails, naming the missing file, while its model is not
 * in models/.
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

function requireShippedModel(name: string): void {
  const model = join(modelsDir(), `${name}.onnx`);
  for (const file of [model, model.replace(/\.onnx$/, '.json')]) {
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

describe.each([
  { name: DEFAULT_DEBLUR_MODEL, minGain: 0.2, minSharp: 37 },
  { name: 'promotion-s-long', minGain: 0.45, minSharp: 38 },
])('the shipped model $name', ({ name, minGain, minSharp }) => {
  it(`restores a blurred clip of a held-out photo (at least ${minGain} dB; the 1 dB target is not reached)`, async () => {
    requireShippedModel(name);
    const [blurred, sharp] = await Promise.all([readClip('blur'), readClip('sharp')]);
    const restored = await lastValueFrom(from(blurred).pipe(deblur({ model: name }), toArray()));
    const before = mean(blurred.map((b, k) => psnr(b, sharp[k]!)));
    const after = mean(restored.map((r, k) => psnr(r, sharp[k]!)));
    console.log(`${name} on test/fixtures/deblur-clip: blurred ${before.toFixed(2)} dB -> restored ${after.toFixed(2)} dB (${(after - before).toFixed(2)} dB)`);
    expect(after - before).toBeGreaterThanOrEqual(minGain);
  }, 120_000);

  it(`leaves sharp frames nearly sharp: PSNR(output, input) >= ${minSharp} dB on average (the 40 dB target is not reached)`, async () => {
    requireShippedModel(name);
    const sharp = await readClip('sharp');
    const restored = await lastValueFrom(from(sharp).pipe(deblur({ model: name }), toArray()));
    const fidelity = mean(restored.map((r, k) => psnr(r, sharp[k]!)));
    console.log(`${name} on the sharp frames of test/fixtures/deblur-clip: PSNR(output, input) ${fidelity.toFixed(2)} dB`);
    expect(fidelity).toBeGreaterThanOrEqual(minSharp);
  }, 120_000);
});
