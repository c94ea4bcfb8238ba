/** `promotion convert <input> -o <output>`: any source to any sink. */
import { extname } from 'node:path';
import { count, lastValueFrom, pipe, type MonoTypeOperatorFunction } from 'rxjs';
import { checkOutputNotInput, checkOutputPath } from '../../stream/atomic.js';
import { InvalidOptionError } from '../../errors.js';
import { expectInteger, expectNumber, expectOneOf, withFlagNames } from '../../options.js';
import type { Frame } from '../../stream/frame.js';
import { writeImageSequence } from '../../stream/image-sequence-sink.js';
import { writeJsonLines } from '../../stream/jsonl-sink.js';
import { openSource, type OpenSourceOptions } from '../../stream/open-source.js';
import { pipeSource } from '../../stream/pipe-source.js';
import { progress } from '../../stream/progress.js';
import { VIDEO_EXTENSIONS, writeVideo } from '../../stream/video-sink.js';
import { commandInput, type CliIo } from '../io.js';
import { progressBar } from '../progress-bar.js';
import { num } from '../args.js';

/** Options the convert command accepts (CLI strings already split by commander). */
export interface ConvertCommandOptions {
  output: string;
  to?: string;
  kind?: OpenSourceOptions['kind'];
  format?: string;
  fps?: string;
  bitDepth?: string;
  imageFormat?: string;
  quality?: string;
  codec?: string;
  crf?: string;
  maxFrames?: string;
  overwrite?: boolean;
  lenient?: boolean;
  json?: boolean;
  progress?: boolean;
}


/** What kind of output a path names: a video container, JSON Lines, or (anything else) a folder of images. */
export function outputKind(path: string): 'video' | 'images' | 'jsonl' {
  const ext = extname(path).toLowerCase();
  if (ext in VIDEO_EXTENSIONS) return 'video';
  if (ext === '.jsonl') return 'jsonl';
  return 'images';
}

/** Bits per sample the default video codecs keep: 16-bit frames are written with this many. */
const CODEC_BITS: Readonly<Record<string, number>> = { libx264: 10, 'libvpx-vp9': 10, ffv1: 16 };

/**
 * Refuses `--bit-depth 16` to a video whose codec keeps fewer bits (H.264 and VP9 keep 10), before any work: it
 * would otherwise give 10-bit without a word.
 */
export function checkVideoBitDepth(output: string, codec: string | undefined, bitDepth: 8 | 16 | undefined): void {
  if (bitDepth !== 16) return;
  const name = codec ?? VIDEO_EXTENSIONS[extname(output).toLowerCase()];
  const bits = name === undefined ? undefined : CODEC_BITS[name];
  if (bits !== undefined && bits < 16) {
    throw new InvalidOptionError(`--bit-depth 16 cannot be kept in ${output}: ${name} stores at most ${bits} bits. Write .mkv or .avi (FFV1, 16-bit) or an image folder, or pass --bit-depth 8.`);
  }
}

/** Options of {@link frameSink}: the command-line strings, and what the caller resolved. */
export interface FrameSinkOptions {
  readonly output: string;
  readonly overwrite: boolean;
  readonly fps: number;
  readonly bitDepth: 8 | 16 | undefined;
  readonly codec?: string;
  readonly crf?: string;
  readonly imageFormat?: string;
  readonly quality?: string;
}

/** The sink of a frame output (a video file or an image folder), as `convert` and `deblur` write them. */
export function frameSink(kind: 'video' | 'images', o: FrameSinkOptions): MonoTypeOperatorFunction<Frame> {
  if (kind === 'video') {
    return writeVideo(o.output, {
      fps: o.fps,
      overwrite: o.overwrite,
      ...(o.codec !== undefined ? { codec: o.codec } : {}),
      ...(o.crf !== undefined ? { crf: num(o.crf) as number } : {}),
    });
  }
  const format = expectOneOf('--image-format', o.imageFormat ?? 'png', ['png', 'jpeg'] as const);
  return writeImageSequence(o.output, {
    format,
    overwrite: o.overwrite,
    ...(o.bitDepth !== undefined ? { bitDepth: o.bitDepth } : {}),
    ...(o.quality !== undefined ? { quality: num(o.quality) as number } : {}),
  });
}

/** The per-frame record `convert` writes to JSON Lines (pixels omitted). */
export function frameRecord(frame: Frame): Record<string, unknown> {
  const { data: _data, ...rest } = frame as Frame & { annotation?: unknown };
  return rest;
}

/** The flags that set the sinks' options, for messages (see withFlagNames). */
export const SINK_FLAGS = { codec: '--codec', crf: '--crf', quality: '--quality', bitDepth: '--bit-depth', fps: '--fps', maxFrames: '--max-frames', strict: '--lenient' };

export async function convertCommand(input: string, options: ConvertCommandOptions, io: CliIo): Promise<void> {
  return withFlagNames(SINK_FLAGS, () => convert(input, options, io));
}

async function convert(input: string, options: ConvertCommandOptions, io: CliIo): Promise<void> {
  const to = expectOneOf('--to', options.to ?? 'auto', ['auto', 'video', 'images', 'jsonl'] as const);
  const kind = to === 'auto' ? outputKind(options.output) : to;
  const maxFrames = options.maxFrames === undefined ? undefined : expectInteger('--max-frames', num(options.maxFrames), 1);
  const fpsOverride = options.fps === undefined ? undefined : expectNumber('--fps', num(options.fps), 0, 10_000, true);
  const bitDepth = options.bitDepth === undefined ? undefined : expectOneOf('--bit-depth', num(options.bitDepth), [8, 16] as const);
  const overwrite = options.overwrite ?? false;
  if (kind !== 'images' && (options.imageFormat !== undefined || options.quality !== undefined)) {
    throw new InvalidOptionError(`--image-format and --quality apply to image-folder outputs, but ${options.output} is a ${kind} output.`);
  }

  if (kind === 'video') checkVideoBitDepth(options.output, options.codec, bitDepth);
  // A taken output, or one that is or holds the input, fails now, before the input is probed or decoded.
  checkOutputNotInput(options.output, [input]);
  checkOutputPath(options.output, overwrite, kind === 'images' ? 'folder' : 'file');
  const source = await openSource(input, {
    kind: options.kind ?? 'auto',
    sampleType: bitDepth === undefined ? 'auto' : bitDepth === 16 ? 'uint16' : 'uint8',
    ...(maxFrames !== undefined ? { maxFrames } : {}),
    ...(fpsOverride !== undefined ? { fps: fpsOverride } : {}),
    ...(options.lenient ? { strict: false, onWarning: (message: string) => io.stderr.write(`promotion: warning: ${message}\n`) } : {}),
    ...(options.format ? { live: { format: options.format } } : {}),
  });
  const info = source.info;
  const sink: MonoTypeOperatorFunction<Frame> =
    kind === 'jsonl' ? writeJsonLines<Frame>(options.output, { overwrite, toJson: frameRecord }) : frameSink(kind, { ...options, overwrite, fps: fpsOverride ?? info.fps, bitDepth });

  const total = info.frameCount;
  const started = performance.now();
  const live = info.kind === 'live';
  // Ctrl-C: a file conversion is abandoned (partial output removed first); a live recording is finished and kept.
  const written = await lastValueFrom(
    pipeSource(
      source,
      pipe(
        commandInput<Frame>(io, live, maxFrames),
        progress<Frame>({ ...(total !== undefined ? { total } : {}), onProgress: progressBar('convert', io.stderr as NodeJS.WriteStream, options.progress !== false && !options.json) }),
        sink,
      ),
    ).pipe(count()),
  );
  const elapsedMs = performance.now() - started;
  const summary = { input, output: options.output, outputKind: kind, frames: written, width: info.width, height: info.height, elapsedMs: Math.round(elapsedMs), framesPerSecond: Number(((written * 1000) / elapsedMs).toFixed(2)) };
  io.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : `Wrote ${written} frames (${info.width}x${info.height}) to ${options.output} in ${(elapsedMs / 1000).toFixed(2)} s (${summary.framesPerSecond} fps).\n`);
}
