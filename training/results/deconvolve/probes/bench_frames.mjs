// Session 22: writes 5 frames of a sharp pan like the deblur benchmark's (value noise in cells of 64, 16 and 4 px, from a
// seeded generator of its own, panning 4 px per frame, 640x480, no hand) as PNGs, for the other probes:
//   node training/results/deconvolve/probes/bench_frames.mjs [folder, default runs/benchpan]
import { mkdirSync } from 'node:fs';
import sharp from 'sharp';
let seed = 11;
const rng = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
function background(width, height) {
  const grey = new Float32Array(width * height);
  for (const cell of [64, 16, 4]) {
    const gw = Math.ceil(width / cell) + 2;
    const g = Float32Array.from({ length: gw * (Math.ceil(height / cell) + 2) }, () => rng());
    for (let y = 0; y < height; y++) { const fy = y / cell, y0 = Math.floor(fy), ty = fy - y0;
      for (let x = 0; x < width; x++) { const fx = x / cell, x0 = Math.floor(fx), tx = fx - x0;
        grey[y * width + x] += ((1 - ty) * ((1 - tx) * g[y0 * gw + x0] + tx * g[y0 * gw + x0 + 1]) + ty * ((1 - tx) * g[(y0 + 1) * gw + x0] + tx * g[(y0 + 1) * gw + x0 + 1])) / 3; } }
  }
  const out = new Uint8Array(width * height * 3);
  for (let i = 0; i < grey.length; i++) { const v = grey[i]; out[3 * i] = Math.round(255 * (0.2 + 0.6 * v)); out[3 * i + 1] = Math.round(255 * (0.25 + 0.5 * v)); out[3 * i + 2] = Math.round(255 * (0.7 - 0.5 * v)); }
  return out;
}
const W = 640, H = 480, pan = 4, count = 5, wide = W + pan * count, bg = background(wide, H);
const dir = process.argv[2] ?? 'runs/benchpan';
mkdirSync(dir, { recursive: true });
for (let k = 0; k < count; k++) { const d = new Uint8Array(W * H * 3); for (let y = 0; y < H; y++) d.set(bg.subarray((y * wide + pan * k) * 3, (y * wide + pan * k + W) * 3), y * W * 3); await sharp(Buffer.from(d), { raw: { width: W, height: H, channels: 3 } }).png().toFile(`${dir}/frame_${k}.png`); }
