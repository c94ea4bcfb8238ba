/**
 * The deblurring benchmark's input (bench/deblur.ts): a seeded value-noise background panning 4 px per frame, sharp,
 * with a real hand photo moving 6 px per frame over it. Its own module so that probes can render the same frames
 * (training/results/deconvolve/probes/bench_frames.mjs, bench_sharp.mjs).
 */
import { join } from 'node:path';
import type { Box } from '../src/deblur/tiles.js';
import { createRgb8Frame, type Rgb8Frame } from '../src/stream/frame.js';
import { decodeImageFit } from '../src/stream/image-codec.js';
import { createRng } from '../src/util/rng.js';
import { packageRoot } from '../src/util/package-root.js';

/** Height in pixels of the hand photo (test/fixtures/hands/nocurl.jpg) in the frames. */
export const HAND_HEIGHT = 200;

/** A seeded multi-scale value-noise background, RGB 8-bit, `width` x `height`. */
export function background(width: number, height: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  const grey = new Float32Array(width * height);
  for (const cell of [64, 16, 4]) {
    const gw = Math.ceil(width / cell) + 2;
    const gh = Math.ceil(height / cell) + 2;
    const g = Float32Array.from({ length: gw * gh }, () => rng());
    for (let y = 0; y < height; y++) {
      const fy = y / cell;
      const y0 = Math.floor(fy);
      const ty = fy - y0;
      for (let x = 0; x < width; x++) {
        const fx = x / cell;
        const x0 = Math.floor(fx);
        const tx = fx - x0;
        const v = (1 - ty) * ((1 - tx) * g[y0 * gw + x0]! + tx * g[y0 * gw + x0 + 1]!) + ty * ((1 - tx) * g[(y0 + 1) * gw + x0]! + tx * g[(y0 + 1) * gw + x0 + 1]!);
        grey[y * width + x] = grey[y * width + x]! + v / 3;
      }
    }
  }
  const out = new Uint8Array(width * height * 3);
  for (let i = 0; i < grey.length; i++) {
    const v = grey[i]!;
    out[3 * i] = Math.round(255 * (0.2 + 0.6 * v));
    out[3 * i + 1] = Math.round(255 * (0.25 + 0.5 * v));
    out[3 * i + 2] = Math.round(255 * (0.7 - 0.5 * v));
  }
  return out;
}

/** Side of the caller-given square in 'region' mode. */
export const REGION = 256;

/**
 * `count` frames: the background panning 4 px/frame, the hand photo moving 6 px/frame over it; and for each frame a
 * REGION x REGION box centred on the photo (clipped to the frame).
 */
export async function makeFrames(width: number, height: number, count: number): Promise<{ frames: Rgb8Frame[]; boxes: Box[] }> {
  const pan = 4;
  const wide = width + pan * count;
  const bg = background(wide, height, 11);
  const hand = (await decodeImageFit(join(packageRoot(), 'test', 'fixtures', 'hands', 'nocurl.jpg'), 'uint8', 4 * HAND_HEIGHT, HAND_HEIGHT)) as Rgb8Frame;
  const frames: Rgb8Frame[] = [];
  const boxes: Box[] = [];
  for (let k = 0; k < count; k++) {
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) data.set(bg.subarray((y * wide + pan * k) * 3, (y * wide + pan * k + width) * 3), y * width * 3);
    const hx = Math.round(width * 0.3) + 6 * k;
    const hy = Math.round((height - hand.height) / 2);
    for (let y = 0; y < hand.height && hy + y < height; y++) {
      const w = Math.min(hand.width, width - hx);
      if (w > 0) data.set(hand.data.subarray(y * hand.width * 3, (y * hand.width + w) * 3), ((hy + y) * width + hx) * 3);
    }
    frames.push(createRgb8Frame(data, { width, height, index: k, timestampMs: (k * 1000) / 30 }));
    const side = Math.min(REGION, width, height);
    const x = Math.max(0, Math.min(width - side, Math.round(hx + Math.min(hand.width, width - hx) / 2 - side / 2)));
    const y = Math.max(0, Math.min(height - side, Math.round(hy + hand.height / 2 - side / 2)));
    boxes.push({ x, y, width: side, height: side });
  }
  return { frames, boxes };
}

