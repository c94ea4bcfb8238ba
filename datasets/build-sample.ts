/**
 * Builds the embedded sample `datasets/sample/hand-pan`: a short 30 fps sequence of a real hand photo under a
 * known whole-frame camera motion (a crop window moving by whole pixels, so the motion is exact).
 *
 *   node dist/datasets/build-sample.js [--photo <path to fingerpose's assets/nocurl.jpg>]
 *
 * Without --photo it fetches fingerpose@0.1.0 (MIT) with `npm pack` from the registry. Deterministic: the same
 * photo gives byte-identical frames.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRgb8Frame, decodeImage, encodeImage, type Rgb8Frame } from '../src/index.js';
import { packageRoot } from '../src/util/package-root.js';

/** The sample's geometry and motion. */
export const SAMPLE = {
  name: 'hand-pan',
  frames: 24,
  fps: 30,
  width: 240,
  height: 320,
  /** Top-left corner of frame 0's crop in the photo, and the motion per frame in pixels. */
  origin: { x: 100, y: 150 },
  stepPx: { x: 4, y: 3 },
  jpegQuality: 95,
} as const;

function fetchPhoto(): { path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'promotion-sample-'));
  execFileSync('npm', ['pack', 'fingerpose@0.1.0', '--silent'], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
  execFileSync('tar', ['xzf', 'fingerpose-0.1.0.tgz'], { cwd: dir });
  return { path: join(dir, 'package', 'assets', 'nocurl.jpg'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function crop(image: Rgb8Frame, left: number, top: number, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * image.width + left) * 3;
    out.set(image.data.subarray(from, from + width * 3), y * width * 3);
  }
  return out;
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--photo');
  const given = at >= 0 ? process.argv[at + 1] : undefined;
  const photo = given ? { path: given, cleanup: () => undefined } : fetchPhoto();
  try {
    const out = join(packageRoot(), 'datasets', 'sample', SAMPLE.name);
    await rm(out, { recursive: true, force: true });
    await mkdir(out, { recursive: true });
    const full = (await decodeImage(photo.path, 'uint8')) as Rgb8Frame;
    const meta = { width: full.width, height: full.height };
    const motion: Array<{ frame: number; cropLeft: number; cropTop: number }> = [];
    for (let i = 0; i < SAMPLE.frames; i++) {
      const left = SAMPLE.origin.x + i * SAMPLE.stepPx.x;
      const top = SAMPLE.origin.y + i * SAMPLE.stepPx.y;
      if (left + SAMPLE.width > (meta.width) || top + SAMPLE.height > (meta.height)) throw new Error(`Frame ${i}'s crop leaves the ${meta.width}x${meta.height} photo`);
      const frame = createRgb8Frame(crop(full, left, top, SAMPLE.width, SAMPLE.height), { width: SAMPLE.width, height: SAMPLE.height, index: i });
      writeFileSync(join(out, `frame_${String(i).padStart(4, '0')}.jpg`), await encodeImage(frame, 'jpeg', { quality: SAMPLE.jpegQuality }));
      motion.push({ frame: i, cropLeft: left, cropTop: top });
    }
    writeFileSync(
      join(out, 'motion.json'),
      `${JSON.stringify({ source: 'fingerpose@0.1.0 assets/nocurl.jpg (MIT, Andreas Schallwig)', photoSize: [meta.width, meta.height], ...SAMPLE, crops: motion }, null, 2)}\n`,
    );
    console.log(`Wrote ${SAMPLE.frames} frames to ${out}`);
  } finally {
    photo.cleanup();
  }
}

await main();
