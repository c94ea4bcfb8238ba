// Session 21: the stillness test (motionEvidence) on a folder of blurred frames with its sharp frames beside it
// (`<seq>/blur`, `<seq>/sharp`, as `promotion synth` and the yardstick write them). For frames 1..N-2: the share of the
// frame the blur changed (blurred and sharp differ by more than 4 grey levels somewhere in a pixel) and the mean
// stillness weight there, and the same where the blur changed nothing and the flow (deblur()'s for promotion-c) still
// says 2 px or more (a moving foreground's flow spread over the still background).
//   node training/results/deconvolve/probes/stillness.mjs <seq folder> [N=6]
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { motionEvidence } from '../../../../dist/src/deblur/deconvolve.js';
import { motionMaps } from '../../../../dist/src/flow/motion-map.js';
import { decodeImage } from '../../../../dist/src/stream/image-codec.js';

const dir = process.argv[2];
const N = Number(process.argv[3] ?? 6);
const files = readdirSync(join(dir, 'blur')).filter((f) => /\.(png|jpe?g)$/.test(f)).sort().slice(0, N);
const blurred = await Promise.all(files.map((f, k) => decodeImage(join(dir, 'blur', f), 'uint8', k, k * 33)));
const sharp = await Promise.all(files.map((f, k) => decodeImage(join(dir, 'sharp', f), 'uint8', k, k * 33)));
const maps = await lastValueFrom(from(blurred).pipe(motionMaps({ flow: { finestLevel: 2 }, flowInput: true }), toArray()));
const rows = [];
for (let k = 1; k < maps.length - 1; k++) {
  const { item: fr, motion } = maps[k];
  const w = fr.width, h = fr.height, box = { x: 0, y: 0, width: w, height: h };
  const m = motionEvidence(fr, { previous: blurred[k - 1], next: blurred[k + 1] }, motion.flow, box);
  let nm = 0, wm = 0, nh = 0, wh = 0;
  const d = motion.flow.data, n = w * h;
  for (let i = 0; i < n; i++) {
    let changed = false;
    for (let c = 0; c < 3; c++) if (Math.abs(fr.data[3 * i + c] - sharp[k].data[3 * i + c]) > 4) changed = true;
    const longest = Math.max(Math.hypot(d[i], d[n + i]), Math.hypot(d[2 * n + i], d[3 * n + i]));
    if (changed) { nm++; wm += m[i]; } else if (longest >= 2) { nh++; wh += m[i]; }
  }
  rows.push(`blur changed ${(100 * nm / n).toFixed(1)}%: weight there ${(wm / Math.max(1, nm)).toFixed(2)}; unchanged but a flow of 2 px or more ${(100 * nh / n).toFixed(1)}%: weight there ${(wh / Math.max(1, nh)).toFixed(2)}`);
}
console.log(dir.split('/').slice(-3).join('/'));
for (const r of rows) console.log('  ' + r);
