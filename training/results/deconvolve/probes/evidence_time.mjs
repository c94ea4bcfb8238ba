// Session 22: times the blur test's two cues on one 640x480 frame (the second of the folder's first three, with the flows
// deblur() computes): acrossEvidence, lagEvidence and blurEvidence (both, sharing the 3x3 filter), medians of 7.
//   node training/results/deconvolve/probes/evidence_time.mjs <folder of frames>   (after npm run build)
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { acrossEvidence, lagEvidence, blurEvidence, linearRgb } from '../../../../dist/src/deblur/deconvolve.js';
import { motionMaps } from '../../../../dist/src/flow/motion-map.js';
import { decodeImage } from '../../../../dist/src/stream/image-codec.js';
const dir = process.argv[2];
const files = readdirSync(dir).filter((f) => /\.(png|jpe?g)$/.test(f)).sort().slice(0, 3);
const frames = await Promise.all(files.map((f, k) => decodeImage(join(dir, f), 'uint8', k, k * 33)));
const maps = await lastValueFrom(from(frames).pipe(motionMaps({ flow: { finestLevel: 2 }, flowInput: true }), toArray()));
const { item: fr, motion } = maps[1];
const box = { x: 0, y: 0, width: fr.width, height: fr.height };
const rgb = linearRgb(fr, fr.data, box);
const time = (f) => { const t = []; for (let k = 0; k < 7; k++) { const s = performance.now(); f(); t.push(performance.now() - s); } t.sort((a, b) => a - b); return t[3].toFixed(0); };
console.log(`${fr.width}x${fr.height}: across ${time(() => acrossEvidence(rgb, motion.flow, box))} ms, lag ${time(() => lagEvidence(rgb, motion.flow, box))} ms, both ${time(() => blurEvidence(rgb, motion.flow, box))} ms (medians of 7)`);
