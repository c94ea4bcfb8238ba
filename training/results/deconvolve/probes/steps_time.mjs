// Session 23: times deconvolveRegion (the blur test, the stillness test and `steps` Richardson-Lucy steps, in a pool of
// two workers as deblur() ran them then) on one 640x480 frame (the second of the folder's first three, with the flows
// deblur() computes), starting from the blurred frame; medians of 5. Since session 26 a frame's steps run on one
// thread (deblur() runs whole frames in workers): on builds since, this times them on the calling thread.
//   node training/results/deconvolve/probes/steps_time.mjs <folder of frames> <steps> [dist folder, default dist]
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { from, lastValueFrom, toArray } from 'rxjs';
const [dir, stepsArg, distArg = 'dist'] = process.argv.slice(2);
const dist = (p) => import(pathToFileURL(resolve(distArg, p)).href);
const { deconvolveRegion, createDeconvolvePool } = await dist('src/deblur/deconvolve.js');
// Builds before session 26 split the steps' rows among a pool; later ones have none (undefined: the calling thread).
const { motionMaps } = await dist('src/flow/motion-map.js');
const { decodeImage } = await dist('src/stream/image-codec.js');
const files = readdirSync(dir).filter((f) => /\.(png|jpe?g)$/.test(f)).sort().slice(0, 3);
const frames = await Promise.all(files.map((f, k) => decodeImage(join(dir, f), 'uint8', k, k * 33)));
const maps = await lastValueFrom(from(frames).pipe(motionMaps({ flow: { finestLevel: 2 }, flowInput: true }), toArray()));
const { item: fr, motion } = maps[1];
const box = { x: 0, y: 0, width: fr.width, height: fr.height };
const pool = createDeconvolvePool?.(2);
const steps = Number(stepsArg);
const t = [];
for (let k = 0; k < 6; k++) {
  const out = Uint8Array.from(fr.data);
  const s = performance.now();
  await deconvolveRegion(fr, out, box, motion.flow, steps, { pool, neighbours: { previous: frames[0], next: frames[2] } });
  if (k > 0) t.push(performance.now() - s);
}
t.sort((a, b) => a - b);
console.log(`${distArg} ${fr.width}x${fr.height}, ${steps} steps: ${t[2].toFixed(0)} ms (median of 5; ${t.map((v) => v.toFixed(0)).join(' ')})`);
await pool?.close?.();
process.exit(0);
