/**
 * Folders of images as frame sequences: PNG (8/16-bit) and JPEG, in natural order (frame_2 before frame_10),
 * decoded through the sharp adapter with a small read-ahead.
 */
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { CorruptInputError, FrameMismatchError, InputNotFoundError } from '../errors.js';
import { expectInteger, expectKnownKeys, expectNumber, expectOneOf } from '../options.js';
import type { Rgb16Frame, Rgb8Frame } from './frame.js';
import { decodeImage, readImageMeta } from './image-codec.js';
import type { FrameSource, SourceInfo } from './source.js';

/** File extensions read as images (case-insensitive). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg'];

/** Frame rate assumed for image sequences unless the caller gives one. */
export const DEFAULT_SEQUENCE_FPS = 30;

/** Default number of frames decoded ahead of the consumer. */
export const DEFAULT_READ_AHEAD = 2;

/** Options of {@link openImageSequence}. */
export interface ImageSequenceOptions {
  /** Frames per second for timestamps (default {@link DEFAULT_SEQUENCE_FPS}). */
  fps?: number;
  /** 'auto' (default): 16-bit when the first image is 16-bit PNG. */
  sampleType?: 'auto' | 'uint8' | 'uint16';
  /** Frames decoded ahead of the consumer (default {@link DEFAULT_READ_AHEAD}; 0 decodes on demand). */
  readAhead?: number;
  /** Stop after this many frames. */
  maxFrames?: number;
}

const KEYS = ['fps', 'sampleType', 'readAhead', 'maxFrames'] as const;

const naturalOrder = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Image files in a folder, in natural order. Throws {@link InputNotFoundError} when there are none. */
export async function listImageFiles(dir: string): Promise<string[]> {
  const stats = await stat(dir).catch((cause: unknown) => {
    throw new InputNotFoundError(dir, `Image folder ${dir} does not exist. Check the path.`, { cause });
  });
  if (!stats.isDirectory()) throw new InputNotFoundError(dir, `${dir} is not a folder of images.`);
  const entries = await readdir(dir, { withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile() && IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase()) && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort(naturalOrder.compare);
  if (files.length === 0) {
    throw new InputNotFoundError(dir, `Folder ${dir} holds no images (looked for ${IMAGE_EXTENSIONS.join(', ')}).`);
  }
  return files.map((f) => join(dir, f));
}

/**
 * Returns a source over the images of `dir`. Every image must have the first image's size; one that does not ends
 * the stream with a {@link FrameMismatchError} naming the file.
 */
export async function openImageSequence(dir: string, options: ImageSequenceOptions = {}): Promise<FrameSource<Rgb8Frame | Rgb16Frame>> {
  expectKnownKeys('openImageSequence options', options, KEYS);
  const fps = expectNumber('fps', options.fps ?? DEFAULT_SEQUENCE_FPS, 0, 10_000, true);
  const wanted = expectOneOf('sampleType', options.sampleType ?? 'auto', ['auto', 'uint8', 'uint16'] as const);
  const readAhead = expectInteger('readAhead', options.readAhead ?? DEFAULT_READ_AHEAD, 0, 64);
  const maxFrames = options.maxFrames === undefined ? undefined : expectInteger('maxFrames', options.maxFrames, 1);

  const allFiles = await listImageFiles(dir);
  const files = maxFrames === undefined ? allFiles : allFiles.slice(0, maxFrames);
  const info = await imageFilesInfo('image-sequence', dir, files, fps, wanted, {});
  return { info, frames: () => decodeFiles(files, info, readAhead) };
}

/**
 * Describes a list of image files as a source: size and bit depth from the first file's header (the others are
 * checked as they decode). Shared by the image-sequence and FPHA sources.
 */
export async function imageFilesInfo(
  kind: SourceInfo['kind'],
  input: string,
  files: readonly string[],
  fps: number,
  wanted: 'auto' | 'uint8' | 'uint16',
  details: SourceInfo['details'],
): Promise<SourceInfo> {
  // An empty file is named as such (the decoder would call it an unsupported format).
  const sizes = await Promise.all(files.map((f) => stat(f).then((s) => s.size)));
  const empty = files.filter((_, i) => sizes[i] === 0);
  if (empty.length > 0) {
    throw new CorruptInputError(empty[0]!, `Image ${empty[0]} is empty (0 bytes)${empty.length > 1 ? `, and ${empty.length - 1} more in ${input}` : ''}; replace or remove ${empty.length > 1 ? 'them' : 'it'}.`);
  }
  const first = await readImageMeta(files[0]!);
  return {
    kind,
    input,
    width: first.width,
    height: first.height,
    fps,
    frameCount: files.length,
    sampleType: wanted === 'auto' ? (first.bitDepth === 16 ? 'uint16' : 'uint8') : wanted,
    sourceBitDepth: first.bitDepth,
    details: { format: first.format, firstFile: files[0]!, lastFile: files.at(-1)!, ...details },
  };
}

/**
 * Decodes `files` in order as frames of `info`'s size, keeping at most `readAhead` decodes in flight ahead of the
 * consumer. Shared by the image-sequence and FPHA sources.
 */
export async function* decodeFiles(
  files: readonly string[],
  info: SourceInfo,
  readAhead: number,
  indices?: readonly number[],
): AsyncGenerator<Rgb8Frame | Rgb16Frame> {
  const decode = async (i: number): Promise<Rgb8Frame | Rgb16Frame> => {
    const file = files[i]!;
    const index = indices?.[i] ?? i;
    const frame = await decodeImage(file, info.sampleType, index, (index * 1000) / info.fps);
    if (frame.width !== info.width || frame.height !== info.height) {
      throw new FrameMismatchError(
        `Image ${file} is ${frame.width}x${frame.height} but the sequence is ${info.width}x${info.height} (from ${files[0]}); resize it or move it out of ${info.input}.`,
      );
    }
    return frame;
  };
  // Decodes in flight ahead of the frame being consumed: at most readAhead (0 decodes on demand).
  const pending: Array<Promise<Rgb8Frame | Rgb16Frame>> = [];
  let next = 0;
  const start = () => {
    const p = decode(next++);
    p.catch(() => undefined); // handled when awaited; avoids an unhandled rejection if the consumer stops first
    pending.push(p);
  };
  while (next < files.length || pending.length > 0) {
    if (pending.length === 0) start();
    const frame = await pending.shift()!;
    while (next < files.length && pending.length < readAhead) start();
    yield frame;
  }
}
