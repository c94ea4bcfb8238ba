/**
 * Frames are plain data: interleaved RGB samples plus geometry and timing. Nothing here holds a native handle,
 * so frames cross worker threads (structured clone) and serialize without ceremony.
 */
import { FrameMismatchError, InvalidOptionError } from '../errors.js';

/** The sample types a frame can carry. */
export type SampleType = 'uint8' | 'uint16' | 'float32';

interface FrameCommon {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** Always 3: interleaved R, G, B. */
  readonly channels: 3;
  /** Position of the frame in its source, from 0. Gaps mean frames were dropped (live sources) or skipped. */
  readonly index: number;
  /** Presentation time in milliseconds from the start of the source. */
  readonly timestampMs: number;
}

/** 8-bit RGB, values 0..255, gamma-encoded as stored. */
export interface Rgb8Frame extends FrameCommon {
  readonly sampleType: 'uint8';
  readonly data: Uint8Array;
}

/** 16-bit RGB, values 0..65535, gamma-encoded as stored. */
export interface Rgb16Frame extends FrameCommon {
  readonly sampleType: 'uint16';
  readonly data: Uint16Array;
}

/** Float RGB, values in [0, 1]; `light` says whether the values are gamma-encoded (as stored) or linear light. */
export interface RgbFloatFrame extends FrameCommon {
  readonly sampleType: 'float32';
  readonly data: Float32Array;
  readonly light: 'encoded' | 'linear';
}

/** A frame of any sample type. */
export type Frame = Rgb8Frame | Rgb16Frame | RgbFloatFrame;

/** The data array type for each sample type. */
export interface SampleArrays {
  uint8: Uint8Array;
  uint16: Uint16Array;
  float32: Float32Array;
}

/** Largest value of each sample type (1 for float). */
export const SAMPLE_MAX: Readonly<Record<SampleType, number>> = { uint8: 255, uint16: 65535, float32: 1 };

/** Default gamma of the signal-space transform g(x) = x^(1/gamma) (paper, Eq. 8). */
export const DEFAULT_GAMMA = 2.2;

/** Bytes per sample of each sample type. */
export const BYTES_PER_SAMPLE: Readonly<Record<SampleType, number>> = { uint8: 1, uint16: 2, float32: 4 };

/** Geometry and timing of a frame, without its pixels. */
export interface FrameInit {
  width: number;
  height: number;
  index?: number;
  timestampMs?: number;
}

/** Number of samples (width x height x 3) of a frame of this size. */
export function sampleCount(width: number, height: number): number {
  return width * height * 3;
}

function checkGeometry(init: FrameInit, length: number): void {
  const { width, height } = init;
  if (!Number.isInteger(width) || width <= 0 || !Number.isInteger(height) || height <= 0) {
    throw new InvalidOptionError(`Expected positive integer width and height for frame but received ${width}x${height}`);
  }
  if (length !== sampleCount(width, height)) {
    throw new FrameMismatchError(
      `Frame data holds ${length} samples but ${width}x${height} RGB needs ${sampleCount(width, height)}`,
    );
  }
}

/** Makes an 8-bit frame, checking that `data` holds width x height x 3 samples. */
export function createRgb8Frame(data: Uint8Array, init: FrameInit): Rgb8Frame {
  checkGeometry(init, data.length);
  return { data, width: init.width, height: init.height, channels: 3, sampleType: 'uint8', index: init.index ?? 0, timestampMs: init.timestampMs ?? 0 };
}

/** Makes a 16-bit frame, checking that `data` holds width x height x 3 samples. */
export function createRgb16Frame(data: Uint16Array, init: FrameInit): Rgb16Frame {
  checkGeometry(init, data.length);
  return { data, width: init.width, height: init.height, channels: 3, sampleType: 'uint16', index: init.index ?? 0, timestampMs: init.timestampMs ?? 0 };
}

/** Makes a float frame, checking that `data` holds width x height x 3 samples. */
export function createRgbFloatFrame(data: Float32Array, init: FrameInit & { light?: 'encoded' | 'linear' }): RgbFloatFrame {
  checkGeometry(init, data.length);
  return {
    data,
    width: init.width,
    height: init.height,
    channels: 3,
    sampleType: 'float32',
    light: init.light ?? 'encoded',
    index: init.index ?? 0,
    timestampMs: init.timestampMs ?? 0,
  };
}

/** Size in bytes of a frame's pixel data. */
export function frameByteLength(frame: Frame): number {
  return frame.data.byteLength;
}

/** Throws {@link FrameMismatchError} unless both frames have the same width and height. */
export function assertSameSize(a: FrameInit, b: FrameInit, what: string): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new FrameMismatchError(`${what}: expected ${a.width}x${a.height} but got ${b.width}x${b.height}`);
  }
}

/**
 * Converts a frame to float32 in [0, 1]. With `light: 'linear'` the gamma is undone, x -> x^gamma (the inverse of
 * Eq. 8's g(x) = x^(1/gamma)); with `light: 'encoded'` (default) values are only rescaled.
 */
export function toFloatFrame(frame: Frame, options: { light?: 'encoded' | 'linear'; gamma?: number } = {}): RgbFloatFrame {
  const light = options.light ?? 'encoded';
  const gamma = options.gamma ?? DEFAULT_GAMMA;
  const out = new Float32Array(frame.data.length);
  if (frame.sampleType === 'float32') {
    if (frame.light === light) out.set(frame.data);
    else if (light === 'linear') for (let i = 0; i < out.length; i++) out[i] = Math.pow(frame.data[i]!, gamma);
    else {
      const encode = gammaEncoder(gamma);
      for (let i = 0; i < out.length; i++) out[i] = encode(frame.data[i]!);
    }
  } else {
    const max = SAMPLE_MAX[frame.sampleType];
    if (light === 'encoded') {
      const scale = 1 / max;
      for (let i = 0; i < out.length; i++) out[i] = frame.data[i]! * scale;
    } else {
      // A lookup table: at most 65536 pow() calls instead of one per sample.
      const lut = new Float32Array(max + 1);
      for (let v = 0; v <= max; v++) lut[v] = Math.pow(v / max, gamma);
      for (let i = 0; i < out.length; i++) out[i] = lut[frame.data[i]!]!;
    }
  }
  return { ...frameTiming(frame), data: out, sampleType: 'float32', light };
}

/**
 * Converts a frame to 8 or 16 bits, rounding to nearest and clamping. Linear float frames are gamma-encoded first
 * (x -> x^(1/gamma)).
 */
export function toIntegerFrame(frame: Frame, sampleType: 'uint8', options?: { gamma?: number }): Rgb8Frame;
export function toIntegerFrame(frame: Frame, sampleType: 'uint16', options?: { gamma?: number }): Rgb16Frame;
export function toIntegerFrame(frame: Frame, sampleType: 'uint8' | 'uint16', options?: { gamma?: number }): Rgb8Frame | Rgb16Frame;
export function toIntegerFrame(frame: Frame, sampleType: 'uint8' | 'uint16', options: { gamma?: number } = {}): Rgb8Frame | Rgb16Frame {
  if (frame.sampleType === sampleType) return frame as Rgb8Frame | Rgb16Frame;
  const max = SAMPLE_MAX[sampleType];
  const out = sampleType === 'uint8' ? new Uint8Array(frame.data.length) : new Uint16Array(frame.data.length);
  const src = frame.data;
  if (frame.sampleType === 'float32') {
    const encode = frame.light === 'linear' ? gammaEncoder(options.gamma ?? DEFAULT_GAMMA) : (v: number) => v;
    for (let i = 0; i < out.length; i++) {
      let v = src[i]!;
      v = v <= 0 ? 0 : v >= 1 ? 1 : v;
      out[i] = Math.round(encode(v) * max);
    }
  } else if (sampleType === 'uint8') {
    // 16 -> 8 bits: round(v * 255 / 65535) = round(v / 257).
    for (let i = 0; i < out.length; i++) out[i] = Math.round(src[i]! / 257);
  } else {
    // 8 -> 16 bits: v * 257 maps 255 to 65535 exactly.
    for (let i = 0; i < out.length; i++) out[i] = src[i]! * 257;
  }
  const timing = frameTiming(frame);
  return sampleType === 'uint8'
    ? { ...timing, data: out as Uint8Array, sampleType }
    : { ...timing, data: out as Uint16Array, sampleType };
}

const encodeTables = new Map<number, Float32Array>();
const ENCODE_STEPS = 65536;

/**
 * x -> x^(1/gamma) for linear values in [0, 1], by table: indexed by the fourth root of x (in which the curve
 * is smooth even next to 0, where x^(1/gamma) itself is infinitely steep), 65537 entries, linear interpolation;
 * error under a tenth of a 16-bit code. Math.pow per sample was the largest single cost of synthesis at 720p.
 */
export function gammaEncoder(gamma: number): (x: number) => number {
  let table = encodeTables.get(gamma);
  if (!table) {
    table = new Float32Array(ENCODE_STEPS + 1);
    for (let k = 0; k <= ENCODE_STEPS; k++) table[k] = Math.pow(k / ENCODE_STEPS, 4 / gamma);
    encodeTables.set(gamma, table);
  }
  const t = table;
  return (x) => {
    if (!(x > 0)) return 0;
    if (x >= 1) return 1;
    const u = Math.sqrt(Math.sqrt(x)) * ENCODE_STEPS;
    const k = u | 0;
    return t[k]! + (t[k + 1]! - t[k]!) * (u - k);
  };
}

/** Geometry and timing of a frame (everything but the pixels and their type). */
export function frameTiming(frame: Frame): { width: number; height: number; channels: 3; index: number; timestampMs: number } {
  return { width: frame.width, height: frame.height, channels: 3, index: frame.index, timestampMs: frame.timestampMs };
}

/** Copy of a frame with new index and timestamp (pixels shared). */
export function withTiming<F extends Frame>(frame: F, index: number, timestampMs: number): F {
  return { ...frame, index, timestampMs };
}
