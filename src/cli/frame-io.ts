/**
 * The input and output flags `convert`, `deblur` and `pose` share, parsed once: `--kind`, `--format`, `--fps`,
 * `--max-frames`, `--bit-depth` and `--lenient` open the input (openSource); `--codec`, `--crf`, `--image-format` and
 * `--quality` configure the frame output (openSink).
 */
import { extname } from 'node:path';
import { InvalidOptionError } from '../errors.js';
import { expectInteger, expectNumber, expectOneOf } from '../options.js';
import type { Frame } from '../stream/frame.js';
import { openSource, type OpenSourceOptions } from '../stream/open-source.js';
import type { OpenSinkOptions, OutputKind } from '../stream/open-sink.js';
import type { FrameSource } from '../stream/source.js';
import { DEFAULT_IMAGE_FORMAT, DEFAULT_JPEG_QUALITY } from '../stream/image-sequence-sink.js';
import { DEFAULT_CRF, VIDEO_EXTENSIONS } from '../stream/video-sink.js';
import { type Command, Option } from 'commander';
import { num } from './args.js';
import type { CliIo } from './io.js';

/** The choices of `--kind`: read the input as this kind instead of detecting it. */
export const KIND_CHOICES = ['auto', 'video', 'image-sequence', 'fpha', 'live'];

/** Defines the input flags on `command` (their one definition): `--kind`, `--format`, `--fps` (`fpsHelp`: what else the rate sets) and `--max-frames`. */
export function addInputFlags(command: Command, fpsHelp: string): Command {
  return command
    .addOption(new Option('--kind <kind>', 'read the input as this kind instead of detecting it').choices(KIND_CHOICES).default('auto'))
    .option('--format <format>', 'ffmpeg input format for live input (e.g. v4l2)')
    .option('--fps <n>', `frame rate of image-sequence/FPHA input and ${fpsHelp}`)
    .option('--max-frames <n>', 'stop after this many frames');
}

/** Defines the frame-output flags on `command` (their one definition): `--bit-depth`, `--image-format`, `--quality`, `--codec`, `--crf`. */
export function addFrameOutputFlags(command: Command): Command {
  return command
    .option('--bit-depth <8|16>', 'read and write with this many bits per sample (default: as stored)')
    .option('--image-format <png|jpeg>', `image folder output format (default ${DEFAULT_IMAGE_FORMAT})`)
    .option('--quality <1-100>', `JPEG quality (default ${DEFAULT_JPEG_QUALITY})`)
    .option('--codec <name>', 'ffmpeg video encoder (default by extension: libx264, ffv1, libvpx-vp9)')
    .option('--crf <n>', `constant rate factor of lossy video (default ${DEFAULT_CRF})`);
}

/** The input flags, as commander passes them. */
export interface InputFlags {
  kind?: OpenSourceOptions['kind'];
  format?: string;
  fps?: string;
  maxFrames?: string;
  bitDepth?: string;
  lenient?: boolean;
}

/** The input flags, checked. */
export interface ParsedInputFlags {
  readonly maxFrames: number | undefined;
  readonly fps: number | undefined;
  readonly bitDepth: 8 | 16 | undefined;
}

/** Checks the input flags (before any work). */
export function parseInputFlags(flags: InputFlags): ParsedInputFlags {
  return {
    maxFrames: flags.maxFrames === undefined ? undefined : expectInteger('--max-frames', num(flags.maxFrames), 1),
    fps: flags.fps === undefined ? undefined : expectNumber('--fps', num(flags.fps), 0, 10_000, true),
    bitDepth: flags.bitDepth === undefined ? undefined : expectOneOf('--bit-depth', num(flags.bitDepth), [8, 16] as const),
  };
}

/** Opens a command's input; `sampleType` overrides the one `--bit-depth` asks for (pose reads 8-bit). */
export function openInput(input: string, flags: InputFlags, parsed: ParsedInputFlags, io: CliIo, sampleType?: 'uint8'): Promise<FrameSource<Frame>> {
  return openSource(input, {
    kind: flags.kind ?? 'auto',
    sampleType: sampleType ?? (parsed.bitDepth === undefined ? 'auto' : parsed.bitDepth === 16 ? 'uint16' : 'uint8'),
    ...(parsed.maxFrames !== undefined ? { maxFrames: parsed.maxFrames } : {}),
    ...(parsed.fps !== undefined ? { fps: parsed.fps } : {}),
    ...(flags.lenient ? { strict: false, onWarning: (message: string) => io.stderr.write(`promotion: warning: ${message}\n`) } : {}),
    ...(flags.format ? { live: { format: flags.format } } : {}),
  });
}

/** The output flags of a frame output, as commander passes them. */
export interface SinkFlags {
  output: string;
  codec?: string;
  crf?: string;
  imageFormat?: string;
  quality?: string;
}

/** The flags that set the sinks' and sources' options, for messages (see withFlagNames). */
export const SINK_FLAGS = { codec: '--codec', crf: '--crf', quality: '--quality', bitDepth: '--bit-depth', fps: '--fps', maxFrames: '--max-frames', strict: '--lenient', imageFormat: '--image-format' };

/** Bits per sample the default video codecs keep: 16-bit frames are written with this many. */
const CODEC_BITS: Readonly<Record<string, number>> = { libx264: 10, 'libvpx-vp9': 10, ffv1: 16 };

/**
 * Checks the output flags against the output's kind before any work: `--image-format` and `--quality` need an image
 * folder, and `--bit-depth 16` a video codec that keeps 16 bits (H.264 and VP9 keep 10, which would otherwise give
 * 10-bit without a word).
 */
export function checkSinkFlags(kind: OutputKind, flags: SinkFlags, bitDepth: 8 | 16 | undefined): void {
  if (kind !== 'images' && (flags.imageFormat !== undefined || flags.quality !== undefined)) {
    throw new InvalidOptionError(`--image-format and --quality apply to image-folder outputs, but ${flags.output} is a ${kind} output.`);
  }
  if (kind !== 'video' || bitDepth !== 16) return;
  const name = flags.codec ?? VIDEO_EXTENSIONS[extname(flags.output).toLowerCase()];
  const bits = name === undefined ? undefined : CODEC_BITS[name];
  if (bits !== undefined && bits < 16) {
    throw new InvalidOptionError(`--bit-depth 16 cannot be kept in ${flags.output}: ${name} stores at most ${bits} bits. Write .mkv or .avi (FFV1, 16-bit) or an image folder, or pass --bit-depth 8.`);
  }
}

/** The sink options the output flags give (numbers parsed; the sinks validate them under their option names). */
export function sinkOptions(kind: OutputKind, flags: SinkFlags, overwrite: boolean, fps: number, bitDepth: 8 | 16 | undefined): OpenSinkOptions {
  return {
    kind,
    overwrite,
    fps,
    bitDepth,
    codec: flags.codec,
    crf: num(flags.crf) as number | undefined,
    imageFormat: kind === 'images' ? expectOneOf('--image-format', flags.imageFormat ?? DEFAULT_IMAGE_FORMAT, ['png', 'jpeg'] as const) : undefined,
    quality: num(flags.quality) as number | undefined,
  };
}
