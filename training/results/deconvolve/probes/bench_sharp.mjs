// Session 22: PSNR(output, input) of the deblur benchmark's sharp frames (bench/pan-frames.ts: value noise panning
// 4 px per frame, a hand photo moving 6 px over it; 640x480, 6 frames) through promotion-c and promotion-c-deconv,
// frames 1-4 (the sequence's ends repeat a neighbour).
//   node training/results/deconvolve/probes/bench_sharp.mjs   (after npm run build)
import { from, lastValueFrom, toArray } from 'rxjs';
import { makeFrames } from '../../../../dist/bench/pan-frames.js';
import { deblur } from '../../../../dist/src/deblur/deblur.js';
import { psnr } from '../../../../dist/src/metrics/psnr.js';

const { frames } = await makeFrames(640, 480, 6);
for (const model of ['promotion-c', 'promotion-c-deconv']) {
  const out = await lastValueFrom(from(frames).pipe(deblur({ model }), toArray()));
  console.log(model, out.slice(1, -1).map((o, k) => psnr(o, frames[k + 1]).toFixed(2)).join(' '));
}
