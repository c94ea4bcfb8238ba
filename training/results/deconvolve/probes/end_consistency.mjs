// Session 30: the steps' constant-velocity check (flowConsistency's mean weight over the whole frame) at each frame
// of a sequence (the ends with the missing flow negated, as the runtime does), and at the two ends with the missing
// flow carried over from the pair beyond instead (F(0->-1)(x) taken as -F(1->2)(x + F(0->1)(x)), and the same
// backwards at the last frame: tried in session 30 and not kept). Uses the build's consistency constants:
//   node training/results/deconvolve/probes/end_consistency.mjs <blur folder>... (after npm run build)
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { flowConsistency } from '../../../../dist/src/deblur/deconvolve.js';
import { disFlow } from '../../../../dist/src/flow/dis.js';
import { sampleBilinear, toGrey } from '../../../../dist/src/flow/field.js';
import { motionMaps } from '../../../../dist/src/flow/motion-map.js';
import { decodeImage } from '../../../../dist/src/stream/image-codec.js';
const options = { finestLevel: 2 };
const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;

/** `input` with its missing flow (planes 2-3 at the first frame, 0-1 at the last) carried over from `beyond`. */
function carriedOver(input, beyond, end) {
  const { width: w, height: h } = input;
  const n = w * h;
  const data = input.data.slice();
  const known = end === 'first' ? 0 : 2 * n;
  const missing = end === 'first' ? 2 * n : 0;
  const u = new Float32Array(n), v = new Float32Array(n);
  for (let i = 0; i < n; i++) { u[i] = beyond.data[2 * i]; v[i] = beyond.data[2 * i + 1]; }
  for (let y = 0, i = 0; y < h; y++) for (let x = 0; x < w; x++, i++) {
    const px = x + data[known + i], py = y + data[known + n + i];
    data[missing + i] = -sampleBilinear(u, w, h, px, py);
    data[missing + n + i] = -sampleBilinear(v, w, h, px, py);
  }
  return { width: w, height: h, data };
}

for (const dir of process.argv.slice(2)) {
  const files = readdirSync(dir).filter((f) => /\.(png|jpe?g)$/.test(f)).sort();
  const frames = await Promise.all(files.map((f, k) => decodeImage(join(dir, f), 'uint8', k, k * 33)));
  const maps = await lastValueFrom(from(frames).pipe(motionMaps({ flow: options, flowInput: true }), toArray()));
  const box = { x: 0, y: 0, width: frames[0].width, height: frames[0].height };
  const each = maps.map(({ motion }) => mean(flowConsistency(motion.flow, box)).toFixed(2));
  const last = maps.length - 1;
  const first = carriedOver(maps[0].motion.flow, disFlow(toGrey(frames[1]), toGrey(frames[2]), options), 'first');
  const end = carriedOver(maps[last].motion.flow, disFlow(toGrey(frames[last - 1]), toGrey(frames[last - 2]), options), 'last');
  console.log(dir.split('/').slice(-3).join('/'), `each frame: ${each.join(' ')}`, `| ends carried over: first ${mean(flowConsistency(first, box)).toFixed(2)} last ${mean(flowConsistency(end, box)).toFixed(2)}`);
}
