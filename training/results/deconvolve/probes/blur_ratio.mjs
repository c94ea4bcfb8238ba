// Session 19: the whole-frame blur ratio (change from re-blurring along the flow / across it) of a folder of frames,
// frames 1-3 of the first 5: node training/results/deconvolve/probes/blur_ratio.mjs <folder> 5 (after npm run build).
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
const maps = await lastValueFrom(from(frames).pipe(motionMaps({ flow: { finestLevel: 2 }, flowInput: true }), toArray()));
const out = [];
for (const { item: fr, motion } of maps.slice(1, -1)) {
  const w = fr.width, h = fr.height, box = { x: 0, y: 0, width: w, height: h };
  const B = linearRgb(fr, fr.data, box);
  const f = motion.flow, n = w * h, rot = new Float32Array(4 * n);
  for (let i = 0; i < n; i++) { rot[i] = -f.data[n + i]; rot[n + i] = f.data[i]; rot[2 * n + i] = -f.data[3 * n + i]; rot[3 * n + i] = f.data[2 * n + i]; }
  const a = blurAlongFlow(B, f, box).data, p = blurAlongFlow(B, { width: w, height: h, data: rot }, box).data;
  let d = 0, dp = 0;
  for (let k = 0; k < a.length; k++) { d += Math.abs(a[k] - B.data[k]); dp += Math.abs(p[k] - B.data[k]); }
  out.push(`${(d / dp).toFixed(3)}@${motion.maxMotionPx.toFixed(0)}px`);
}
console.log(dir.split('/').slice(-3).join('/'), out.join(' '));
