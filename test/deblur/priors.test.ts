/**
 * The prior maps at half resolution (contract version 4's `priors` input, src/deblur/priors.ts) against their plain
 * definition at sizes that exercise the kernel's vectors and its edges. Their parity with PyTorch's
 * `pooled_prior_maps`, and the network fed them, are in test/training/export-parity.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pooledPriorLength, pooledPriorMaps } from '../../src/deblur/priors.js';
import { createRng } from '../../src/util/rng.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The maps by their definition (the module's docstring), one pixel at a time, in 64-bit floats. */
function plain(frames: Float32Array, motion: Float32Array, scales: number[], w: number, h: number): Float64Array {
  const t = scales.length;
  const plane = w * h;
  const grey = (k: number, x: number, y: number) => {
    const cx = Math.min(Math.max(x, 0), w - 1);
    const cy = Math.min(Math.max(y, 0), h - 1);
    const i = cy * w + cx;
    return Math.fround(frames[k * 3 * plane + i]! * 0.299 + frames[k * 3 * plane + plane + i]! * 0.587 + frames[k * 3 * plane + 2 * plane + i]! * 0.114);
  };
  const centre = (t - 1) / 2;
  const out = new Float64Array(3 * t * (w / 2) * (h / 2));
  const at = (group: number, k: number, x2: number, y2: number) => ((group * t + k) * (h / 2) + y2) * (w / 2) + x2;
  for (let k = 0; k < t; k++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = grey(k, x, y);
        const d = [grey(k, x, y - 1), grey(k, x, y + 1), grey(k, x - 1, y), grey(k, x + 1, y)].map((n) => v - n);
        const contrast = (d.reduce((s, e) => s + e * e, 0) / 4) / Math.max(scales[k]!, 1e-12);
        const gradient = d[1]! + d[3]!;
        const moved = k === centre ? motion[y * w + x]! : Math.abs(grey(centre, x, y) - v);
        out[at(0, k, x >> 1, y >> 1)]! += contrast / 4;
        out[at(1, k, x >> 1, y >> 1)]! += gradient / 4;
        out[at(2, k, x >> 1, y >> 1)]! += moved / 4;
      }
    }
  }
  return out;
}

describe('pooledPriorMaps', () => {
  it('is compiled from its source: the committed module is what scripts/build-wasm.mjs makes of src/deblur/assembly/priors.ts', () => {
    const built = execFileSync(process.execPath, ['scripts/build-wasm.mjs', '--print', 'priors'], { cwd: root, encoding: 'utf8' });
    expect(built === readFileSync(`${root}/src/deblur/priors-wasm.ts`, 'utf8'), 'src/deblur/priors-wasm.ts is stale: run npm run build:wasm').toBe(true);
  });

  it.each([
    [2, 2, 1],
    [6, 4, 3],
    [18, 6, 5],
    [34, 10, 5],
    [64, 48, 5],
  ])('equals the definition at %ix%i, %i frames (relative difference under 1e-6), window after window in the same memory', (w, h, t) => {
    const rng = createRng(w * 100 + h);
    for (let round = 0; round < 2; round++) {
      const frames = Float32Array.from({ length: t * 3 * w * h }, () => rng());
      const motion = Float32Array.from({ length: w * h }, () => rng());
      const scales = Array.from({ length: t }, () => 0.01 + 0.2 * rng());
      const got = pooledPriorMaps(frames, motion, Float32Array.from(scales), w, h, new Float32Array(pooledPriorLength(t, w, h)));
      const want = plain(frames, motion, scales.map(Math.fround), w, h);
      expect(got.length).toBe(want.length);
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / Math.max(1, Math.abs(want[i]!)));
      expect(worst).toBeLessThan(1e-6);
    }
  });

  it('refuses an odd size, an even number of frames and buffers of the wrong length', () => {
    const frames = new Float32Array(5 * 3 * 8 * 4);
    const motion = new Float32Array(8 * 4);
    const scales = new Float32Array(5).fill(0.1);
    expect(() => pooledPriorMaps(frames, motion, scales, 8, 4, new Float32Array(10))).toThrow('the output needs 120 samples, received 10');
    expect(() => pooledPriorMaps(new Float32Array(5 * 3 * 7 * 4), new Float32Array(28), scales, 7, 4, new Float32Array(0))).toThrow("the window's size 7x4 must be even");
    expect(() => pooledPriorMaps(frames, motion, new Float32Array(4), 8, 4, new Float32Array(0))).toThrow('an odd number of frames, not 4');
    expect(() => pooledPriorMaps(frames, new Float32Array(3), scales, 8, 4, new Float32Array(120))).toThrow('received 480 and 3 samples');
  });
});
