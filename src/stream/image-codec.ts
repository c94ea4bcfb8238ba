/**
 * The sharp adapter: the only file that imports sharp. Decodes images to RGB frames (8 or 16 bits) and encodes
 * frames to PNG (8/16-bit) or JPEG. sharp is loaded on first use, so importing the SDK stays cheap.
 */
import type SharpModule from 'sharp';
import { CorruptInputError, InputNotFoundError, NativeDependencyError } from '../errors.js';
import type { Frame, Rgb16Frame, Rgb8Frame } from './frame.js';
import { toIntegerFrame } from './frame.js';

type Sharp = typeof SharpModule;
let sharpModule: Promise<Sharp> | undefined;

async function loadSharp(): Promise<Sharp> {
  sharpModule ??= import('sharp').then(
    (m) => m.default,
    (cause: unknown) => {
      sharpModule = undefined;
      throw new NativeDependencyError(
        'The sharp image library could not be loaded.',
        'Reinstall dependencies with `npm ci` on this machine (sharp ships prebuilt binaries per platform; copying node_modules between machines breaks it).',
        { cause },
      );
    },
  );
  return sharpModule;
}

/** Facts about an image file, read from its header. */
export interface ImageMeta {
  width: number;
  height: number;
  /** 8 or 16. */
  bitDepth: number;
  format: string;
}

function isMissing(cause: unknown): boolean {
  return cause instanceof Error && /Input file is missing|ENOENT/.test(cause.message);
}

function readError(path: string, cause: unknown): Error {
  if (isMissing(cause)) return new InputNotFoundError(path, `Image ${path} does not exist. Check the path.`, { cause });
  const why = cause instanceof Error ? cause.message.trim() : String(cause);
  return new CorruptInputError(path, `Cannot decode image ${path}: ${why}. Replace or remove the file (PNG and JPEG are supported).`, { cause });
}

/** Reads an image's header. */
export async function readImageMeta(path: string): Promise<ImageMeta> {
  const sharp = await loadSharp();
  try {
    const meta = await sharp(path).metadata();
    if (!meta.width || !meta.height) throw new Error('the header holds no size');
    const bitDepth = meta.depth === 'ushort' || meta.depth === 'short' ? 16 : 8;
    // The size after EXIF orientation, as decodeImage returns it.
    const quarterTurn = (meta.orientation ?? 1) >= 5;
    const width = meta.autoOrient?.width ?? (quarterTurn ? meta.height : meta.width);
    const height = meta.autoOrient?.height ?? (quarterTurn ? meta.width : meta.height);
    return { width, height, bitDepth, format: meta.format ?? 'unknown' };
  } catch (cause) {
    throw readError(path, cause);
  }
}

/** Decodes an image file to an RGB frame of the given sample type (alpha dropped, grey expanded, EXIF orientation applied). */
export async function decodeImage(path: string, sampleType: 'uint8' | 'uint16', index = 0, timestampMs = 0): Promise<Rgb8Frame | Rgb16Frame> {
  return decodeWith(path, sampleType, index, timestampMs, undefined);
}

/**
 * Decodes an image scaled down (Lanczos, area-correct) to fit inside width x height, keeping its aspect ratio;
 * images already small enough are not enlarged. For rendering training scenes from large photos without aliasing.
 */
export async function decodeImageFit(path: string, sampleType: 'uint8' | 'uint16', width: number, height: number, region?: ImageRegion): Promise<Rgb8Frame | Rgb16Frame> {
  return decodeWith(path, sampleType, 0, 0, { width, height, ...(region ? { region } : {}) });
}

/** A rectangle of an image in pixels (integers). */
export interface ImageRegion {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

async function decodeWith(
  path: string,
  sampleType: 'uint8' | 'uint16',
  index: number,
  timestampMs: number,
  fit: { width: number; height: number; region?: ImageRegion } | undefined,
): Promise<Rgb8Frame | Rgb16Frame> {
  const sharp = await loadSharp();
  let result: { data: Buffer; info: { width: number; height: number; channels: number } };
  try {
    let image = sharp(path, { autoOrient: true, failOn: 'error' }).removeAlpha();
    if (fit) image = image.resize({ width: fit.width, height: fit.height, fit: 'inside', withoutEnlargement: true, kernel: 'lanczos3' });
    // After the resize, so the pixels are those of the whole resized image (libvips computes only the region).
    if (fit?.region) image = image.extract(fit.region);
    result =
      sampleType === 'uint16'
        ? await image.toColourspace('rgb16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true })
        : await image.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  } catch (cause) {
    throw readError(path, cause);
  }
  const { data, info } = result;
  if (info.channels !== 3) throw new CorruptInputError(path, `Image ${path} decoded to ${info.channels} channels, expected RGB.`);
  const timing = { width: info.width, height: info.height, channels: 3 as const, index, timestampMs };
  if (sampleType === 'uint16') {
    // Copy into an aligned buffer of our own (sharp's Buffer may sit at an odd offset in a pool).
    const samples = new Uint16Array(data.length / 2);
    new Uint8Array(samples.buffer).set(data);
    return { ...timing, sampleType, data: samples };
  }
  return { ...timing, sampleType, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** Image formats the encoder writes. */
export type ImageFormat = 'png' | 'jpeg';

/**
 * Encodes a frame to PNG or JPEG bytes. PNG keeps 16 bits when `bitDepth` is 16; JPEG is always 8-bit.
 * Float frames are converted (linear ones gamma-encoded first).
 */
export async function encodeImage(frame: Frame, format: ImageFormat, options: { bitDepth?: 8 | 16; quality?: number } = {}): Promise<Buffer> {
  const sharp = await loadSharp();
  const bitDepth = format === 'jpeg' ? 8 : (options.bitDepth ?? (frame.sampleType === 'uint8' ? 8 : 16));
  const raw = { width: frame.width, height: frame.height, channels: 3 as const };
  if (bitDepth === 16) {
    const f = toIntegerFrame(frame, 'uint16');
    return sharp(f.data, { raw }).toColourspace('rgb16').png({ compressionLevel: 6 }).toBuffer();
  }
  const f = toIntegerFrame(frame, 'uint8');
  const image = sharp(f.data, { raw });
  return format === 'png' ? image.png({ compressionLevel: 6 }).toBuffer() : image.jpeg({ quality: options.quality ?? 95, chromaSubsampling: '4:4:4' }).toBuffer();
}

/** Encodes a single-channel 16-bit image (e.g. a motion map) as a 16-bit grey PNG. */
export async function encodeGrey16Png(width: number, height: number, samples: Uint16Array): Promise<Buffer> {
  const sharp = await loadSharp();
  return sharp(samples, { raw: { width, height, channels: 1 } }).toColourspace('grey16').png({ compressionLevel: 6 }).toBuffer();
}

/** Decodes a grey PNG (8 or 16-bit) to 16-bit samples. */
export async function decodeGrey16(path: string): Promise<{ width: number; height: number; data: Uint16Array }> {
  const sharp = await loadSharp();
  try {
    const { data, info } = await sharp(path, { failOn: 'error' }).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
    const samples = new Uint16Array(info.width * info.height);
    const channels = info.channels;
    const all = new Uint16Array(data.length / 2);
    new Uint8Array(all.buffer).set(data);
    for (let i = 0; i < samples.length; i++) samples[i] = all[i * channels]!;
    return { width: info.width, height: info.height, data: samples };
  } catch (cause) {
    throw readError(path, cause);
  }
}
