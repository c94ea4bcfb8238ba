/**
 * Parity of the PyTorch hand-landmark network (training/promotion/handpose, rebuilt from the .tflite files of
 * @mediapipe/hands) with TensorFlow Lite running the same files (@tensorflow/tfjs-tflite's WebAssembly runtime,
 * test/training/tflite-reference.ts): the same input tensors must give the same output tensors, within 1e-3 of the
 * normalized range (landmark x, y, z divided by the 224-pixel input side).
 *
 * Inputs: four frames of the embedded FPHA sample (one per sequence, a real hand, scaled to cover 224 x 224), the
 * same frames under a 9-pixel horizontal box blur (the kind of input the pose-aware loss sees), seeded uniform noise
 * and a smooth colour ramp. The reference must find a hand (presence > 0.5) in the sharp frames, so the landmarks
 * compared are those of a hand and not of noise.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';
import { requireTorch, runPython } from './python.js';
import { loadTfliteReference } from './tflite-reference.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SIDE = 224;
const VALUES = SIDE * SIDE * 3;
const SEQUENCES = ['camera_shake/1', 'camera_shake/2', 'hand_wave/1', 'hand_wave/2'];
/** The bound: 1e-3 of the normalized range. */
const TOLERANCE = 1e-3;

async function frame(sequence: string, blur: boolean): Promise<Float32Array> {
  const path = join(ROOT, 'datasets/fpha-sample/Video_files/Subject_1', sequence, 'color/color_0000.jpeg');
  let image = sharp(path).resize(SIDE, SIDE, { fit: 'cover' }).removeAlpha();
  if (blur) image = image.convolve({ width: 9, height: 3, kernel: [...new Array<number>(9).fill(0), ...new Array<number>(9).fill(1), ...new Array<number>(9).fill(0)] });
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  if (info.width !== SIDE || info.height !== SIDE || info.channels !== 3) throw new Error(`${path}: unexpected ${JSON.stringify(info)}`);
  return Float32Array.from(data, (v) => v / 255);
}

/** Uniform noise in [0, 1] from a 32-bit LCG seeded with `seed` (deterministic, no Math.random). */
function noise(seed: number): Float32Array {
  const out = new Float32Array(VALUES);
  let state = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 2 ** 32;
  }
  return out;
}

function ramp(): Float32Array {
  const out = new Float32Array(VALUES);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const i = (y * SIDE + x) * 3;
      out[i] = x / (SIDE - 1);
      out[i + 1] = y / (SIDE - 1);
      out[i + 2] = 0.5 + 0.5 * Math.sin((x + y) / 20);
    }
  }
  return out;
}

interface Differences {
  landmarksNormalized: number;
  presence: number;
  handedness: number;
  worldMetres: number;
}

describe('hand-landmark network in PyTorch against TFLite', () => {
  for (const variant of ['lite', 'full'] as const) {
    it(`hand_landmark_${variant}.tflite: the same outputs within ${TOLERANCE} of the normalized range`, async () => {
      requireTorch('torch, numpy');
      const images = [
        ...(await Promise.all(SEQUENCES.map((s) => frame(s, false)))),
        ...(await Promise.all(SEQUENCES.map((s) => frame(s, true)))),
        noise(15),
        ramp(),
      ];
      const modelPath = join(ROOT, 'node_modules/@mediapipe/hands', `hand_landmark_${variant}.tflite`);
      const reference = await loadTfliteReference(modelPath);
      const expected: Float32Array[] = [];
      try {
        expect(reference.inputs).toEqual([{ name: 'input_1', shape: [1, SIDE, SIDE, 3] }]);
        for (const image of images) {
          const byName = new Map(reference.run(image).map((t) => [t.name, t.data]));
          const row = ['Identity', 'Identity_1', 'Identity_2', 'Identity_3'].map((n) => {
            const data = byName.get(n);
            if (!data) throw new Error(`the reference has no output ${n}`);
            return Array.from(data);
          });
          expected.push(Float32Array.from(row.flat()));
        }
      } finally {
        reference.close();
      }
      const dir = tempDir('landmark-parity-');
      const input = join(dir, 'images.f32');
      const output = join(dir, 'torch.f32');
      const all = new Float32Array(VALUES * images.length);
      images.forEach((image, i) => all.set(image, i * VALUES));
      writeFileSync(input, Buffer.from(all.buffer));
      const result = runPython(['-m', 'promotion.handpose.run', '--model', modelPath, '--input', input, '--output', output]);
      if (result.status !== 0) throw new Error(`promotion.handpose.run failed (exit ${result.status}):\n${result.output}`);
      const bytes = readFileSync(output);
      const actual = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
      expect(actual.length).toBe(128 * images.length);

      const diff: Differences = { landmarksNormalized: 0, presence: 0, handedness: 0, worldMetres: 0 };
      expected.forEach((row, i) => {
        for (let k = 0; k < 128; k++) {
          const d = Math.abs((actual[i * 128 + k] ?? NaN) - (row[k] ?? NaN));
          if (k < 63) diff.landmarksNormalized = Math.max(diff.landmarksNormalized, d / SIDE);
          else if (k === 63) diff.presence = Math.max(diff.presence, d);
          else if (k === 64) diff.handedness = Math.max(diff.handedness, d);
          else diff.worldMetres = Math.max(diff.worldMetres, d);
        }
      });
      const presence = expected.slice(0, SEQUENCES.length).map((row) => row[63] ?? NaN);
      console.log(`hand_landmark_${variant}: max |torch - tflite| over ${images.length} inputs: `
        + `landmarks ${diff.landmarksNormalized.toExponential(2)} (normalized), presence ${diff.presence.toExponential(2)}, `
        + `handedness ${diff.handedness.toExponential(2)}, world ${diff.worldMetres.toExponential(2)} m; `
        + `TFLite presence on the sharp frames ${presence.map((p) => p.toFixed(3)).join(', ')}`);
      for (const p of presence) expect(p).toBeGreaterThan(0.5);
      expect(diff.landmarksNormalized).toBeLessThan(TOLERANCE);
      expect(diff.presence).toBeLessThan(TOLERANCE);
      expect(diff.handedness).toBeLessThan(TOLERANCE);
      expect(diff.worldMetres).toBeLessThan(TOLERANCE);
      expect(Number.isFinite(diff.landmarksNormalized)).toBe(true);
    }, 120_000);
  }
});
