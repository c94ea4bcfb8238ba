// Session 22: PSNR(output, input) of a sharp pan like the deblur benchmark's (bench/deblur.ts's value-noise background,
// cells of 64, 16 and 4 px, from a seeded generator of its own; panning 4 px per frame, 640x480, without the hand photo) through promotion-c and promotion-c-deconv,
// frames 1-4 of 6.   node training/results/deconvolve/probes/bench_sharp.mjs   (after npm run build)
import { from, lastValueFrom, toArray } from 'rxjs';
import { deblur } from '../../../../dist/src/deblur/deblur.js';
import { psnr } from '../../../../dist/src/metrics/psnr.js';
import { createRgb8Frame } from '../../../../dist/src/stream/frame.js';
let seed = 11;
const rng = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
function background(width, height) {
  const grey = new Float32Array(width * height);
  for (const cell of [64, 16, 4]) {
    const gw = Math.ceil(width / cell) + 2, gh = Math.ceil(height / cell) + 2;
    const g = Float32Array.from({ length: gw * gh }, () => rng());
    for (let y = 0; y < height; y++) { const fy = y / cell, y0 = Math.floor(fy), ty = fy - y0;
      for (let x = 0; x < width; x++) { const fx = x / cell, x0 = Math.floor(fx), tx = fx - x0;
        grey[y * width + x] += ((1 - ty) * ((1 - tx) * g[y0 * gw + x0] + tx * g[y0 * gw + x0 + 1]) + ty * ((1 - tx) * g[(y0 + 1) * gw + x0] + tx * g[(y0 + 1) * gw + x0 + 1])) / 3; } }
  }
  const out = new Uint8Array(width * height * 3);
  for (let i = 0; i < grey.length; i++) { const v = grey[i]; out[3 * i] = Math.round(255 * (0.2 + 0.6 * v)); out[3 * i + 1] = Math.round(255 * (0.25 + 0.5 * v)); out[3 * i + 2] = Math.round(255 * (0.7 - 0.5 * v)); }
  return out;
}
const W = 640, H = 480, pan = 4, count = 6, wide = W + pan * count, bg = background(wide, H);
const frames = Array.from({ length: count }, (_, k) => { const d = new Uint8Array(W * H * 3); for (let y = 0; y < H; y++) d.set(bg.subarray((y * wide + pan * k) * 3, (y * wide + pan * k + W) * 3), y * W * 3); return createRgb8Frame(d, { width: W, height: H, index: k, timestampMs: k * 33.3 }); });
for (const model of ['promotion-c', 'promotion-c-deconv']) {
  const out = await lastValueFrom(from(frames).pipe(deblur({ model }), toArray()));
  console.log(model, out.slice(1, -1).map((o, k) => psnr(o, frames[k + 1]).toFixed(2)).join(' '));
}
