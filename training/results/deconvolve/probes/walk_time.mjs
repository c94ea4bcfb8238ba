// Session 25: times deconvolveAlongFlow (10 steps on the calling thread, no workers, from the blurred frame) on one
// 640x480 frame (the second of the folder's first three, with the flows deblur() computes) for each dist folder given,
// alternating; medians of 6 after a first round.
//   node training/results/deconvolve/probes/walk_time.mjs <folder of frames> <dist folder>...
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { from, lastValueFrom, toArray } from 'rxjs';
const dir = process.argv[2], dists = process.argv.slice(3);
const mods = await Promise.all(dists.map((d) => import(pathToFileURL(resolve(d, 'src/deblur/deconvolve.js')).href)));
const { motionMaps } = await import(pathToFileURL(resolve('dist/src/flow/motion-map.js')).href);
const { decodeImage } = await import(pathToFileURL(resolve('dist/src/stream/image-codec.js')).href);
const files = readdirSync(dir).filter((f) => /\.png$/.test(f)).sort().slice(0, 3);
const frames = await Promise.all(files.map((f, k) => decodeImage(join(dir, f), 'uint8', k, k * 33)));
const maps = await lastValueFrom(from(frames).pipe(motionMaps({ flow: { finestLevel: 2 }, flowInput: true }), toArray()));
const { item: fr, motion } = maps[1];
const box = { x: 0, y: 0, width: fr.width, height: fr.height };
const t = dists.map(() => []);
for (let r = 0; r < 7; r++) for (let k = 0; k < mods.length; k++) {
  const B = mods[k].linearRgb(fr, fr.data, box);
  const s = performance.now(); mods[k].deconvolveAlongFlow(B, motion.flow, box, 10, B); t[k].push(performance.now() - s);
}
dists.forEach((d, k) => { const v = t[k].slice(1).sort((a, b) => a - b); console.log(`${d}: 10 steps on the calling thread ${v[3].toFixed(0)} ms (median of 6; ${v.map((x) => x.toFixed(0)).join(' ')})`); });
