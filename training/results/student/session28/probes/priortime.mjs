import { pooledPriorMaps, pooledPriorLength } from '../../../../../dist/src/deblur/priors.js';
import { createRng } from '../../../../../dist/src/util/rng.js';
const rng = createRng(28);
for (const [w, h] of [[640, 480], [256, 256]]) {
  const t = 5;
  const frames = new Float32Array(t * 3 * w * h).map(() => rng());
  const motion = new Float32Array(w * h).map(() => rng());
  const cs = Float32Array.from([0.1, 0.2, 0.15, 0.1, 0.3]);
  const out = new Float32Array(pooledPriorLength(t, w, h));
  const times = [];
  for (let i = 0; i < 30; i++) { const a = performance.now(); pooledPriorMaps(frames, motion, cs, w, h, out); times.push(performance.now() - a); }
  times.sort((a, b) => a - b); console.log(`${w}x${h} median ms`, times[15].toFixed(2), 'min', times[0].toFixed(2));
}
