// Session 27: times the default card's clamp ranges per frame (the base range at radius 2, then the motion-following
// range up to radius 4 reusing it, as deblur() computes them) on the second of a folder's first three frames (16-bit,
// with the motion map deblur() computes), for each dist folder given, alternating; medians of 10 after two rounds;
// the checksum samples both ranges (the same for builds that compute the same ranges).
//   node training/results/deconvolve/probes/clamp_time.mjs <folder of frames> <dist folder>...
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { from, lastValueFrom, toArray } from 'rxjs';
const dir = process.argv[2], dists = process.argv.slice(3);
const mods = await Promise.all(dists.map((d) => import(pathToFileURL(resolve(d, 'src/deblur/local-range.js')).href)));
const { motionMaps } = await import(pathToFileURL(resolve('dist/src/flow/motion-map.js')).href);
const { decodeImage } = await import(pathToFileURL(resolve('dist/src/stream/image-codec.js')).href);
const files = readdirSync(dir).filter((f) => /\.png$/.test(f)).sort().slice(0, 3);
const frames = await Promise.all(files.map((f, k) => decodeImage(join(dir, f), 'uint16', k, k * 33)));
const maps = await lastValueFrom(from(frames).pipe(motionMaps({ flow: { finestLevel: 2 } }), toArray()));
const { item: fr, motion } = maps[1];
const box = { x: 0, y: 0, width: fr.width, height: fr.height };
const t = dists.map(() => []);
const sums = dists.map(() => 0);
// Buffers reused from call to call, as deblur() passes them (builds before session 27's second commit ignore them).
const buffers = dists.map(() => [{}, {}]);
for (let r = 0; r < 12; r++) for (let k = 0; k < mods.length; k++) {
  const s = performance.now();
  const base = mods[k].localRange(fr, box, 2, buffers[k][0]);
  const range = mods[k].motionLocalRange(fr, box, 2, { scale: 0.25, maxRadius: 4 }, motion, base, buffers[k][1]);
  t[k].push(performance.now() - s);
  let sum = 0;
  for (let i = 0; i < range.lo.length; i += 97) sum += range.lo[i] + 3 * range.hi[i] + 7 * base.hi[i];
  sums[k] = sum;
}
dists.forEach((d, k) => { const v = t[k].slice(2).sort((a, b) => a - b); console.log(`${d}: clamp ranges ${((v[4] + v[5]) / 2).toFixed(1)} ms (median of 10; ${v.map((x) => x.toFixed(0)).join(' ')}); checksum ${sums[k]}`); });
