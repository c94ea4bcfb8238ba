/**
 * The conventions shared by the pixel metrics (PSNR, SSIM), as the restoration field states them (BasicSR's
 * `crop_border`, `test_y_channel`, evaluation on 8-bit images): which channels, which border is ignored, at which
 * bit depth, and the peak value that goes with it. Options are validated when a metric is called.
 */
import { FrameMismatchError } from '../errors.js';
import { expectInteger, expectKnownKeys, expectOneOf } from '../options.js';
import { assertSameSize, type Frame, SAMPLE_MAX, toIntegerFrame } from '../stream/frame.js';

/** Which samples a pixel metric compares: all three RGB channels, or BT.601 luma (Y of YCbCr). */
export type PixelChannel = 'rgb' | 'y';

/** Conventions of the pixel metrics. Every field is optional; the defaults are BasicSR's. */
export interface PixelMetricOptions {
  /** Pixels ignored at each border (BasicSR's `crop_border`), default 0. */
  cropBorder?: number;
  /**
   * `'rgb'` (default): every RGB sample, channels averaged. `'y'`: BT.601 luma in studio swing, as BasicSR's
   * `test_y_channel` ({@link bt601Luma}).
   */
  channel?: PixelChannel;
  /**
   * Round both frames to 8 or 16 bits first (as BasicSR's `tensor2img` does before its metrics; linear float frames
   * are gamma-encoded, see `toIntegerFrame`), and use that depth's peak. Default: compare the frames as they are, at
   * the peak of their sample type, which must then be the same for both.
   */
  bitDepth?: 8 | 16;
}

/** Default of {@link PixelMetricOptions.channel}. */
export const DEFAULT_PIXEL_CHANNEL: PixelChannel = 'rgb';

/**
 * BT.601 luma in studio swing (ITU-R BT.601, MATLAB's `rgb2ycbcr`, BasicSR's `rgb2ycbcr(y_only=True)`): on R, G, B in
 * [0, 1], Y = (16 + 65.481 R + 128.553 G + 24.966 B) / 255, in [16/255, 235/255].
 */
export const BT601_STUDIO_Y = { offset: 16, r: 65.481, g: 128.553, b: 24.966 } as const;

const KNOWN_OPTIONS = ['cropBorder', 'channel', 'bitDepth'] as const;

/** Two frames ready for a pixel metric: same size and sample type, options validated. */
export interface PixelMetricInput {
  readonly a: Frame;
  readonly b: Frame;
  readonly cropBorder: number;
  readonly channel: PixelChannel;
  /** Largest sample value: 255, 65535, or 1 for float frames. */
  readonly peak: number;
}

/**
 * Validates the options and the frames for metric `what`, converting to `bitDepth` when asked. `minSize` is the
 * smallest width and height the metric needs after cropping (SSIM's window: 11).
 */
export function pixelMetricInput(what: string, a: Frame, b: Frame, options: PixelMetricOptions, minSize = 1): PixelMetricInput {
  expectKnownKeys('options', options, KNOWN_OPTIONS);
  const channel = expectOneOf('channel', options.channel ?? DEFAULT_PIXEL_CHANNEL, ['rgb', 'y'] as const);
  const bitDepth = options.bitDepth === undefined ? undefined : expectOneOf('bitDepth', options.bitDepth, [8, 16] as const);
  assertSameSize(a, b, what);
  const shortSide = Math.min(a.width, a.height);
  if (shortSide < minSize) {
    throw new FrameMismatchError(`${what}: needs frames of at least ${minSize}x${minSize} pixels but received ${a.width}x${a.height}`);
  }
  const cropBorder = expectInteger('cropBorder', options.cropBorder ?? 0, 0, Math.floor((shortSide - minSize) / 2));
  if (bitDepth !== undefined) {
    const type = bitDepth === 8 ? 'uint8' : 'uint16';
    return { a: toIntegerFrame(a, type), b: toIntegerFrame(b, type), cropBorder, channel, peak: SAMPLE_MAX[type] };
  }
  if (a.sampleType !== b.sampleType) {
    throw new FrameMismatchError(`${what}: sample types differ (${a.sampleType} vs ${b.sampleType}); pass bitDepth: 8 or 16 to compare them at one depth`);
  }
  if (a.sampleType === 'float32' && b.sampleType === 'float32' && a.light !== b.light) {
    throw new FrameMismatchError(`${what}: one frame is gamma-encoded and the other linear light (${a.light} vs ${b.light}); convert one with toFloatFrame`);
  }
  return { a, b, cropBorder, channel, peak: SAMPLE_MAX[a.sampleType] };
}

/**
 * Fills `out` with one row of a frame's samples in Float64, from column `x0` on (`out.length` values): channel 0, 1 or
 * 2 (R, G, B), or `'y'` for {@link BT601_STUDIO_Y} luma in the frame's sample units (Y on [0, 1] times `peak`).
 */
export function readRow(frame: Frame, row: number, x0: number, channel: 0 | 1 | 2 | 'y', peak: number, out: Float64Array): void {
  const data = frame.data;
  let i = (row * frame.width + x0) * 3;
  const n = out.length;
  if (channel === 'y') {
    const { yOffset, kr, kg, kb } = lumaCoefficients(peak);
    for (let x = 0; x < n; x++, i += 3) out[x] = yOffset + kr * data[i]! + kg * data[i + 1]! + kb * data[i + 2]!;
  } else {
    i += channel;
    for (let x = 0; x < n; x++, i += 3) out[x] = data[i]!;
  }
}

/** {@link BT601_STUDIO_Y} for samples in units of `peak`: Y = yOffset + kr R + kg G + kb B, also in units of `peak`. */
export function lumaCoefficients(peak: number): { yOffset: number; kr: number; kg: number; kb: number } {
  return { yOffset: (BT601_STUDIO_Y.offset * peak) / 255, kr: BT601_STUDIO_Y.r / 255, kg: BT601_STUDIO_Y.g / 255, kb: BT601_STUDIO_Y.b / 255 };
}

/** BT.601 studio-swing luma ({@link BT601_STUDIO_Y}) of one pixel whose R, G, B are in units of `peak`. */
export function bt601Luma(r: number, g: number, b: number, peak: number): number {
  const { yOffset, kr, kg, kb } = lumaCoefficients(peak);
  return yOffset + kr * r + kg * g + kb * b;
}
