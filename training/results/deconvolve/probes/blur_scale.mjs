// Session 20: whole-frame blur statistics of a folder of frames (frames 1..N-2 of the first N), for choosing the blur test:
// q = change re-blurring along the whole flow / across it (session 19), q50 and q25 = the same with the flow at a half
// and a quarter of its length, s25 = change along a quarter / along the whole. NOISE=sigma adds Gaussian noise (grey
// levels) first, PRE=r a binomial prefilter of radius r.  node training/results/deconvolve/probes/blur_scale.mjs <folder> 6
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { linearRgb } from '../../../../dist/src/deblur/deconvolve.js';
import { blurAlongFlow } from '../../../../dist/src/deblur/steps-kernel.js';
import { motionMaps } from '../../../../dist/src/flow/motion-map.js';
import { decodeImage } from '../../../../dist/src/stream/image-codec.js';
const dir = process.argv[2];
const files = readdirSync(dir).filter((f) => /\.(png|jpe?g)$/.test(f)).sort().slice(0, Number(process.argv[3] ?? 6));
const frames = await Promise.all(files.map((f, k) => decodeImage(join(dir, f), 'uint8', k, k * 33)));
const sigma = Number(process.env.NOISE ?? 0);
let seed = 7; const rnd = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
if (sigma > 0) for (const fr of frames) for (let i = 0; i < fr.data.length; i++) fr.data[i] = Math.max(0, Math.min(255, Math.round(fr.data[i] + sigma * gauss())));
const maps = await lastValueFrom(from(frames).pipe(motionMaps({ flow: { finestLevel: 2 }, flowInput: true }), toArray()));
const rows = [];
const scaled = (f, k) => ({ width: f.width, height: f.height, data: f.data.map((v) => v * k) });
for (const { item: fr, motion } of maps.slice(1, -1)) {
  const w = fr.width, h = fr.height, box = { x: 0, y: 0, width: w, height: h };
  const B0 = linearRgb(fr, fr.data, box);
  const B = { width: w, height: h, data: new Float32Array(B0.data.length) };
  const P = Number(process.env.PRE ?? 0);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) {
    let acc = 0, wt = 0;
    for (let dy = -P; dy <= P; dy++) for (let dx = -P; dx <= P; dx++) {
      const xx = Math.min(w - 1, Math.max(0, x + dx)), yy = Math.min(h - 1, Math.max(0, y + dy));
      const k = (P + 1 - Math.abs(dx)) * (P + 1 - Math.abs(dy)); acc += k * B0.data[3 * (yy * w + xx) + c]; wt += k;
    }
    B.data[3 * (y * w + x) + c] = acc / wt;
  }
  const f = motion.flow, n = w * h, rot = new Float32Array(4 * n);
  for (let i = 0; i < n; i++) { rot[i] = -f.data[n + i]; rot[n + i] = f.data[i]; rot[2 * n + i] = -f.data[3 * n + i]; rot[3 * n + i] = f.data[2 * n + i]; }
  const sum = (a) => { let d = 0; for (let k = 0; k < a.length; k++) d += Math.abs(a[k] - B.data[k]); return d; };
  const full = sum(blurAlongFlow(B, f, box).data);
  const across = sum(blurAlongFlow(B, { width: w, height: h, data: rot }, box).data);
  const q = full / across;
  const s25 = sum(blurAlongFlow(B, scaled(f, 0.25), box).data) / full;
  const s50 = sum(blurAlongFlow(B, scaled(f, 0.5), box).data) / full;
  const R = { width: w, height: h, data: rot };
  const q25 = sum(blurAlongFlow(B, scaled(f, 0.25), box).data) / sum(blurAlongFlow(B, scaled(R, 0.25), box).data);
  const q50 = sum(blurAlongFlow(B, scaled(f, 0.5), box).data) / sum(blurAlongFlow(B, scaled(R, 0.5), box).data);
  rows.push(`q${q.toFixed(2)} q50=${q50.toFixed(2)} q25=${q25.toFixed(2)} s25=${s25.toFixed(2)} @${motion.maxMotionPx.toFixed(0)}`);
}
console.log(dir.split('/').slice(-4).join('/'), '|', rows.join(' | '));
