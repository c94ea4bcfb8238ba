/**
 * What a model does to the committed held-out clip (test/fixtures/deblur-clip: an exact-blur render of a photo kept
 * out of training, with its sharp frames), in this runtime: the PSNR gain on the blurred frames against the sharp
 * ones, and PSNR(output, input) on the sharp frames (the paper's observation 5: sharp input should stay sharp).
 * These are the two figures issue 5's targets are stated in (1 dB and 40 dB) and the shipped-model test guards;
 * this program measures any export, e.g. every checkpoint of a training run
 * (`python3 -m promotion.export --checkpoint ... --contract 2 --out-dir scratch/models`).
 *
 *   npm run build && node dist/bench/fixture.js [models...] [--out bench/results/fixture.json]
 *
 * Models are names in models/ or paths to .onnx files or cards (default: every model in models/). Mind the noise:
 * the clip is 9 frames of 128x128, and checkpoints 100 iterations apart have differed by 2 dB on the sharp frames.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { deblur } from '../src/deblur/deblur.js';
import { modelsDir } from '../src/deblur/model-card.js';
import { psnr } from '../src/metrics/psnr.js';
import type { Frame } from '../src/stream/frame.js';
import { decodeImage } from '../src/stream/image-codec.js';
import { packageRoot } from '../src/util/package-root.js';

const FIXTURE = join(packageRoot(), 'test', 'fixtures', 'deblur-clip');

async function readClip(sub: 'blur' | 'sharp'): Promise<Frame[]> {
  const files = readdirSync(join(FIXTURE, sub))
    .filter((f) => f.endsWith('.png'))
    .sort();
  return Promise.all(files.map((f, k) => decodeImage(join(FIXTURE, sub, f), 'uint8', k, (k * 1000) / 30)));
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--out');
  const out = at >= 0 ? args[at + 1] : join('bench', 'results', 'fixture.json');
  if (out === undefined) throw new Error('Expected a path after --out');
  const given = args.filter((a, i) => a !== '--out' && i !== at + 1);
  const models = given.length > 0 ? given : readdirSync(modelsDir()).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
  const [blurred, sharp] = await Promise.all([readClip('blur'), readClip('sharp')]);
  const before = mean(blurred.map((b, k) => psnr(b, sharp[k]!)));
  const rows: { model: string; blurredDb: number; restoredDb: number; gainDb: number; sharpKeptDb: number }[] = [];
  for (const model of models) {
    const restored = await lastValueFrom(from(blurred).pipe(deblur({ model }), toArray()));
    const kept = await lastValueFrom(from(sharp).pipe(deblur({ model }), toArray()));
    const after = mean(restored.map((r, k) => psnr(r, sharp[k]!)));
    rows.push({ model, blurredDb: before, restoredDb: after, gainDb: after - before, sharpKeptDb: mean(kept.map((r, k) => psnr(r, sharp[k]!))) });
  }
  console.log(`test/fixtures/deblur-clip: ${blurred.length} frames of ${blurred[0]!.width}x${blurred[0]!.height}; blurred ${before.toFixed(2)} dB against the sharp frames`);
  console.log('| model | restored (dB) | gain (dB, target 1) | sharp input kept (dB, target 40) |\n|---|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.model} | ${r.restoredDb.toFixed(2)} | ${r.gainDb >= 0 ? '+' : ''}${r.gainDb.toFixed(3)} | ${r.sharpKeptDb.toFixed(2)} |`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ benchmark: 'fixture', date: new Date().toISOString(), clip: 'test/fixtures/deblur-clip', rows }, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

await main();
