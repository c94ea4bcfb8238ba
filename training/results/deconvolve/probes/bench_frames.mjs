// Session 22: writes the deblur benchmark's first 5 frames at 640x480 (bench/pan-frames.ts: sharp value noise panning
// 4 px per frame, a hand photo moving 6 px over it) as PNGs, for the other probes (lag_corr.mjs):
//   node training/results/deconvolve/probes/bench_frames.mjs [folder, default runs/benchpan]   (after npm run build)
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { makeFrames } from '../../../../dist/bench/pan-frames.js';

const dir = process.argv[2] ?? 'runs/benchpan';
mkdirSync(dir, { recursive: true });
const { frames } = await makeFrames(640, 480, 5);
for (const f of frames) await sharp(Buffer.from(f.data), { raw: { width: f.width, height: f.height, channels: 3 } }).png().toFile(join(dir, `frame_${f.index}.png`));
