/**
 * Frames to network tensors and back. Coordinates outside the frame take the nearest edge pixel (edge
 * replication), which is how a run rectangle larger than the frame is padded (models/README.md).
 */
import { InvalidOptionError } from '../errors.js';
import type { GreyImage } from '../flow/field.js';
import { type Frame, SAMPLE_MAX } from '../stream/frame.js';
import type { Box } from './tiles.js';

function clampedIndices(start: number, length: number, limit: number): Int32Array {
  const out = new Int32Array(length);
  for (let i = 0; i < length; i++) {
    const v = start + i;
    out[i] = v < 0 ? 0 : v >= limit ? limit - 1 : v;
  }
  return out;
}

/**
 * The window's frames over `rect` as NTCHW float32 [1, T, 3, rect.height, rect.width], gamma-encoded values in
 * [0, 1] (samples divided by the sample type's maximum), edge-replicated outside the frames.
 */
export function toNtchwFloat32(frames: readonly Frame[], rect: Box): Float32Array {
  const { x, y, width: w, height: h } = rect;
  const plane = w * h;
  const out = new Float32Array(frames.length * 3 * plane);
  frames.forEach((frame, t) => {
    if (frame.sampleType === 'float32' && frame.light !== 'encoded') {
      throw new InvalidOptionError(`toNtchwFloat32: frame ${frame.index} holds linear light; the network takes gamma-encoded values (convert with toFloatFrame(frame, { light: 'encoded' }))`);
    }
    const cols = clampedIndices(x, w, frame.width);
    const rows = clampedIndices(y, h, frame.height);
    const scale = 1 / SAMPLE_MAX[frame.sampleType];
    const data = frame.data;
    const base = t * 3 * plane;
    for (let r = 0; r < h; r++) {
      const row = rows[r]! * frame.width;
      const o = base + r * w;
      for (let c = 0; c < w; c++) {
        const s = (row + cols[c]!) * 3;
        out[o + c] = data[s]! * scale;
        out[o + plane + c] = data[s + 1]! * scale;
        out[o + 2 * plane + c] = data[s + 2]! * scale;
      }
    }
  });
  return out;
}

/**
 * A grey image over `rect` as NCHW float32 [1, 1, rect.height, rect.width], edge-replicated outside it. `origin`
 * is where the image's pixel (0, 0) sits in frame coordinates (for maps of a part of the frame).
 */
export function toNchwFloat32(image: GreyImage, rect: Box, origin: { x: number; y: number } = { x: 0, y: 0 }): Float32Array {
  const { width: w, height: h } = rect;
  const cols = clampedIndices(rect.x - origin.x, w, image.width);
  const rows = clampedIndices(rect.y - origin.y, h, image.height);
  const out = new Float32Array(w * h);
  for (let r = 0; r < h; r++) {
    const row = rows[r]! * image.width;
    for (let c = 0; c < w; c++) out[r * w + c] = image.data[row + cols[c]!]!;
  }
  return out;
}

/** A grey image's part `rect` (inside it), copied. */
export function cropGrey(image: GreyImage, rect: Box): GreyImage {
  const out = new Float32Array(rect.width * rect.height);
  for (let r = 0; r < rect.height; r++) {
    const s = (rect.y + r) * image.width + rect.x;
    out.set(image.data.subarray(s, s + rect.width), r * rect.width);
  }
  return { width: rect.width, height: rect.height, data: out };
}
