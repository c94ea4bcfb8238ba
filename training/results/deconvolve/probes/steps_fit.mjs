// Session 25: the fit test's ratio on one frame of a sequence (frame k of <seq>/<blur|sharp>, the flows deblur()
// computes): 10 steps from the input, then per pixel q = boxmean |A(I) - B| / boxmean |A(B) - B| (radius 16, every
// other pixel of every other row). Prints q's 10th, 50th and 90th percentiles over the pixels the steps keep (flow
// consistency x blur test x stillness test > 0) whose flow is at least MINF px (default 4), and writes the frame, q
// (white = 1) and that weight side by side to <out.png>.
//   MINF=4 node training/results/deconvolve/probes/steps_fit.mjs <seq folder> <blur|sharp> <k> <out.png>
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { from, lastValueFrom, toArray } from 'rxjs';
import { acrossEvidence, lagEvidence, flowConsistency, motionEvidence, linearRgb, deconvolveAlongFlow } from '../../../../dist/src/deblur/deconvolve.js';
import { blurAlongFlow } from '../../../../dist/src/deblur/steps-kernel.js';
import { motionMaps } from '../../../../dist/src/flow/motion-map.js';
import { decodeImage } from '../../../../dist/src/stream/image-codec.js';
const [dir, which, kk, outPath] = process.argv.slice(2); const k = Number(kk);
const files = readdirSync(join(dir, which)).filter((f) => /\.(png|jpe?g)$/.test(f)).sort();
const frames = await Promise.all(files.map((f, i) => decodeImage(join(dir, which, f), 'uint8', i, i * 33)));
const maps = await lastValueFrom(from(frames).pipe(motionMaps({ flow: { finestLevel: 2 }, flowInput: true }), toArray()));
const { item: fr, motion } = maps[k];
const w = fr.width, h = fr.height, n = w * h, box = { x: 0, y: 0, width: w, height: h };
const B = linearRgb(fr, fr.data, box);
const I = deconvolveAlongFlow(B, motion.flow, box, 10, B);
const ab = blurAlongFlow(B, motion.flow, box).data, ai = blurAlongFlow(I, motion.flow, box).data;
const eb = new Float64Array(n), er = new Float64Array(n);
for (let i = 0; i < n; i++) for (let c = 3 * i; c < 3 * i + 3; c++) { eb[i] += Math.abs(ab[c] - B.data[c]); er[i] += Math.abs(ai[c] - B.data[c]); }
const R = 16;
const bm = (v) => { const o = new Float64Array(n); for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) { let s = 0, c = 0; for (let yy = Math.max(0, y - R); yy <= Math.min(h - 1, y + R); yy += 2) for (let xx = Math.max(0, x - R); xx <= Math.min(w - 1, x + R); xx += 2) { s += v[yy * w + xx]; c++; } o[y * w + x] = s / c; } return o; };
const mb = bm(eb), mr = bm(er);
const ac = acrossEvidence(B, motion.flow, box), lg = lagEvidence(B, motion.flow, box), cons = flowConsistency(motion.flow, box);
const m = motionEvidence(fr, { previous: frames[k - 1], next: frames[k + 1] }, motion.flow, box);
const out = Buffer.alloc(3 * w * h * 3);
const d = motion.flow.data;
let moving = [];
for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
  const i = y * w + x; const q = mr[i] / Math.max(1e-9, mb[i]);
  const wt = cons[i] * Math.max(ac[i], lg[i]) * (m ? m[i] : 1);
  if (Math.hypot(d[i], d[n + i]) >= Number(process.env.MINF ?? 4) && wt > 0) moving.push(q);
  for (let c = 0; c < 3; c++) out[3 * (y * 3 * w + x) + c] = fr.data[3 * i + c];
  const o = 3 * (y * 3 * w + w + x); out[o] = out[o + 1] = out[o + 2] = Math.min(255, 255 * q);
  const o2 = 3 * (y * 3 * w + 2 * w + x); out[o2] = out[o2 + 1] = out[o2 + 2] = 255 * wt;
}
moving.sort((a, b) => a - b);
console.log(`${dir.split('/').slice(-3).join('/')} ${which} f${k}: q on weighted pixels with flow>=min: n=${moving.length} p10 ${moving[Math.floor(0.1 * moving.length)]?.toFixed(2)} median ${moving[Math.floor(0.5 * moving.length)]?.toFixed(2)} p90 ${moving[Math.floor(0.9 * moving.length)]?.toFixed(2)}`);
await sharp(out, { raw: { width: 3 * w, height: h, channels: 3 } }).png().toFile(outPath);
