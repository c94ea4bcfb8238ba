/**
 * Flow fields and grey images: the plain data the flow module works on.
 *
 * A flow field F from image A to image B holds, for every pixel x of A, the displacement (u, v) in pixels such that
 * A(x) ~ B(x + F(x)). Stored interleaved: data[2 * (y * width + x)] = u, data[... + 1] = v.
 */
import type { Frame } from '../stream/frame.js';
import { SAMPLE_MAX } from '../stream/frame.js';

/** A dense 2-D flow field. */
export interface FlowField {
  readonly width: number;
  readonly height: number;
  /** Interleaved (u, v) in pixels, length 2 x width x height. */
  readonly data: Float32Array;
}

/** A single-channel float image. */
export interface GreyImage {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/** BT.601 luma weights (used for grey conversions throughout the toolkit). */
export const BT601 = [0.299, 0.587, 0.114] as const;

/** Grey image of a frame with BT.601 weights, in 0..255 whatever the frame's sample type (gamma-encoded values). */
export function toGrey(frame: Frame): GreyImage {
  const { width, height, data } = frame;
  const scale = frame.sampleType === 'float32' ? 255 : 255 / SAMPLE_MAX[frame.sampleType];
  const out = new Float32Array(width * height);
  for (let i = 0, j = 0; i < out.length; i++, j += 3) {
    out[i] = (BT601[0] * data[j]! + BT601[1] * data[j + 1]! + BT601[2] * data[j + 2]!) * scale;
  }
  return { width, height, data: out };
}

/** A flow field filled with one displacement. */
export function constantFlow(width: number, height: number, u: number, v: number): FlowField {
  const data = new Float32Array(2 * width * height);
  for (let i = 0; i < data.length; i += 2) {
    data[i] = u;
    data[i + 1] = v;
  }
  return { width, height, data };
}

/** Mean end-point error between two flow fields, optionally over a border-cropped region or a mask. */
export function meanEndPointError(a: FlowField, b: FlowField, options: { border?: number; mask?: Uint8Array } = {}): number {
  const border = options.border ?? 0;
  let sum = 0;
  let n = 0;
  for (let y = border; y < a.height - border; y++) {
    for (let x = border; x < a.width - border; x++) {
      const i = y * a.width + x;
      if (options.mask && !options.mask[i]) continue;
      const du = a.data[2 * i]! - b.data[2 * i]!;
      const dv = a.data[2 * i + 1]! - b.data[2 * i + 1]!;
      sum += Math.sqrt(du * du + dv * dv);
      n++;
    }
  }
  return n === 0 ? 0 : sum / n;
}

/** Bilinear sample of a single-channel image at (x, y), clamped at the borders. */
export function sampleBilinear(data: Float32Array, width: number, height: number, x: number, y: number): number {
  const xc = x < 0 ? 0 : x > width - 1 ? width - 1 : x;
  const yc = y < 0 ? 0 : y > height - 1 ? height - 1 : y;
  const x0 = Math.floor(xc);
  const y0 = Math.floor(yc);
  const x1 = x0 + 1 < width ? x0 + 1 : x0;
  const y1 = y0 + 1 < height ? y0 + 1 : y0;
  const fx = xc - x0;
  const fy = yc - y0;
  const r0 = y0 * width;
  const r1 = y1 * width;
  const top = data[r0 + x0]! + (data[r0 + x1]! - data[r0 + x0]!) * fx;
  const bottom = data[r1 + x0]! + (data[r1 + x1]! - data[r1 + x0]!) * fx;
  return top + (bottom - top) * fy;
}
