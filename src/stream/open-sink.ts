/**
 * One entry point for every frame output, beside open-source.ts for inputs: the output's kind comes from its name
 * (a video container, JSON Lines, or anything else a folder of images), and {@link openSink} returns the sink.
 */
import { extname } from 'node:path';
import type { MonoTypeOperatorFunction } from 'rxjs';
import { expectOneOf } from '../options.js';
import type { Frame } from './frame.js';
import { DEFAULT_IMAGE_FORMAT, writeImageSequence } from './image-sequence-sink.js';
import { writeJsonLines } from './jsonl-sink.js';
import { VIDEO_EXTENSIONS, writeVideo } from './video-sink.js';

/** What an output holds: a video file, per-frame JSON Lines, or a folder of images. */
export type OutputKind = 'video' | 'images' | 'jsonl';

/** What kind of output a path names: a video container, JSON Lines, or (anything else) a folder of images. */
export function outputKind(path: string): OutputKind {
  const ext = extname(path).toLowerCase();
  if (ext in VIDEO_EXTENSIONS) return 'video';
  if (ext === '.jsonl') return 'jsonl';
  return 'images';
}

/** Options of {@link openSink}; each applies to the kinds its comment names. */
export interface OpenSinkOptions {
  /** The output's kind (default: from its name, {@link outputKind}). */
  readonly kind?: OutputKind;
  /** Replace an existing output once the new one is complete (default false). */
  readonly overwrite?: boolean;
  /** Video: frame rate. */
  readonly fps: number;
  /** Image folder: bits per sample written (default: the frames'). */
  readonly bitDepth?: 8 | 16 | undefined;
  /** Video: ffmpeg encoder (default by extension). */
  readonly codec?: string | undefined;
  /** Video: constant rate factor of lossy codecs. */
  readonly crf?: number | undefined;
  /** Image folder: 'png' (default) or 'jpeg'. */
  readonly imageFormat?: 'png' | 'jpeg' | undefined;
  /** Image folder, JPEG: quality 1-100. */
  readonly quality?: number | undefined;
}

/** The per-frame record a JSON Lines output holds: everything but the pixels. */
export function frameRecord(frame: Frame): Record<string, unknown> {
  const { data: _data, ...rest } = frame as Frame & { annotation?: unknown };
  return rest;
}

/** The sink of a frame output: a video file, an image folder, or JSON Lines of {@link frameRecord}s. */
export function openSink(output: string, options: OpenSinkOptions): MonoTypeOperatorFunction<Frame> {
  const kind = options.kind ?? outputKind(output);
  const overwrite = options.overwrite ?? false;
  if (kind === 'jsonl') return writeJsonLines<Frame>(output, { overwrite, toJson: frameRecord });
  if (kind === 'video') {
    return writeVideo(output, {
      fps: options.fps,
      overwrite,
      ...(options.codec !== undefined ? { codec: options.codec } : {}),
      ...(options.crf !== undefined ? { crf: options.crf } : {}),
    });
  }
  return writeImageSequence(output, {
    format: expectOneOf('imageFormat', options.imageFormat ?? DEFAULT_IMAGE_FORMAT, ['png', 'jpeg'] as const),
    overwrite,
    ...(options.bitDepth !== undefined ? { bitDepth: options.bitDepth } : {}),
    ...(options.quality !== undefined ? { quality: options.quality } : {}),
  });
}
