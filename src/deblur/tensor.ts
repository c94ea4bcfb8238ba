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
 * Each frame's samples as planar float32 [3, H, W] in [0, 1], converted once: a frame is in `windowSize` windows
 * (5 for the shipped models), and a 640x480 window's tensor took 12 ms converted frame by frame against 6 ms
 * copied from the planes. Held as long as the frame object is; only for rectangles of at least half the frame
 * (whole frames and large tiles), so that a hand region of a 1080p frame does not convert and hold the whole frame.
 */
const planes = new WeakMap<Frame, Float32Array>();

function checkEncoded(frame: Frame): void {
  if (frame.sampleType === 'float32' && frame.light !== 'encoded') {
    throw new InvalidOptionError(`toNtchwFloat32: frame ${frame.index} holds linear light; the network takes gamma-encoded values (convert with toFloatFrame(frame, { light: 'encoded' }))`);
  }
}

function planarFloat32(frame: Frame): Float32Array {
  let p = planes.get(frame);
  if (p !== undefined) return p;
  checkEncoded(frame);
  const n = frame.width * frame.height;
  const scale = 1 / SAMPLE_MAX[frame.sampleType];
  const data = frame.data;
  p = new Float32Array(3 * n);
  for (let i = 0, s = 0; i < n; i++, s += 3) {
    p[i] = data[s]! * scale;
    p[n + i] = data[s + 1]! * scale;
    p[2 * n + i] = data[s + 2]! * scale;
  }
  planes.set(frame, p);
  return p;
}

/**
 * The window's frames over `rect` as NTCHW float32 [1, T, 3, rect.height, rect.width], gamma-encoded values in
 * [0, 1] (samples divided by the sample type's maximum), edge-replicated outside the frames. Written into `into`
 * when it has exactly that length (every sample is written), else into a new array.
 */
export function toNtchwFloat32(frames: readonly Frame[], rect: Box, into?: Float32Array): Float32Array {
  const { x, y, width: w, height: h } = rect;
  const plane = w * h;
  const length = frames.length * 3 * plane;
  const out = into !== undefined && into.length === length ? into : new Float32Array(length);
  frames.forEach((frame, t) => {
    if (2 * plane < frame.width * frame.height && !planes.has(frame)) {
      convertRect(frame, rect, out, t * 3 * plane);
      return;
    }
    const source = planarFloat32(frame);
    const fw = frame.width;
    const framePlane = fw * frame.height;
    const inside = x >= 0 && x + w <= fw;
    const cols = inside ? undefined : clampedIndices(x, w, fw);
    const rows = clampedIndices(y, h, frame.height);
    for (let c = 0; c < 3; c++) {
      const base = (t * 3 + c) * plane;
      const from = c * framePlane;
      for (let r = 0; r < h; r++) {
        const row = from + rows[r]! * fw;
        const o = base + r * w;
        if (cols === undefined) out.set(source.subarray(row + x, row + x + w), o);
        else for (let k = 0; k < w; k++) out[o + k] = source[row + cols[k]!]!;
      }
    }
  });
  return out;
}

/** `frame` over `rect` converted straight into `out` at `base` (planes of rect.width x rect.height), edge-replicated. */
function convertRect(frame: Frame, rect: Box, out: Float32Array, base: number): void {
  checkEncoded(frame);
  const { x, y, width: w, height: h } = rect;
  const plane = w * h;
  const cols = clampedIndices(x, w, frame.width);
  const rows = clampedIndices(y, h, frame.height);
  const scale = 1 / SAMPLE_MAX[frame.sampleType];
  const data = frame.data;
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

/**
 * A planar image of `channels` planes ([channels, H, W], e.g. the flow input's 4) over `rect` as NCHW float32
 * [1, channels, rect.height, rect.width], edge-replicated outside it; `origin` as in {@link toNchwFloat32}.
 */
export function toPlanesFloat32(image: { width: number; height: number; data: Float32Array }, channels: number, rect: Box, origin: { x: number; y: number } = { x: 0, y: 0 }): Float32Array {
  const { width: w, height: h } = rect;
  const cols = clampedIndices(rect.x - origin.x, w, image.width);
  const rows = clampedIndices(rect.y - origin.y, h, image.height);
  const plane = image.width * image.height;
  const out = new Float32Array(channels * w * h);
  for (let c = 0; c < channels; c++) {
    for (let r = 0; r < h; r++) {
      const row = c * plane + rows[r]! * image.width;
      const o = (c * h + r) * w;
      for (let k = 0; k < w; k++) out[o + k] = image.data[row + cols[k]!]!;
    }
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
