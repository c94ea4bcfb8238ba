/**
 * Video files through an ffmpeg subprocess: frames arrive as rawvideo rgb24 (8-bit) or rgb48le (16-bit) over a pipe.
 */
import { stat } from 'node:fs/promises';
import { CorruptInputError, FfmpegExitError, InputNotFoundError } from '../errors.js';
import { expectBoolean, expectFunction, expectInteger, expectKnownKeys, expectOneOf } from '../options.js';
import { displayedSize, ensureFfmpeg, ffprobe, isHighBitDepthPixFmt, parseRate, readRecords, spawnFfmpeg } from './ffmpeg.js';
import { BYTES_PER_SAMPLE, sampleCount, type Rgb16Frame, type Rgb8Frame } from './frame.js';
import type { FrameReadOptions, FrameSource, SourceInfo } from './source.js';

/** Options of {@link openVideo}. */
export interface VideoSourceOptions {
  /** Sample type of the frames: 'auto' (default) reads 16-bit when the video stores more than 8 bits. */
  sampleType?: 'auto' | 'uint8' | 'uint16';
  /** Stop after this many frames (default: all). */
  maxFrames?: number;
  /**
   * Default true: any decoding error ends the stream with a {@link CorruptInputError} (ffmpeg `-xerror`).
   * false: skip undecodable packets and keep what decodes (ffmpeg's own behaviour).
   */
  strict?: boolean;
  /**
   * With `strict: false`: hears, once the video is read, how many frames were kept when some did not decode
   * (default: a Node process warning).
   */
  onWarning?: (message: string) => void;
}

const KEYS = ['sampleType', 'maxFrames', 'strict', 'onWarning'] as const;

/** Probes a video file and returns a source of its frames. Timestamps are `index * 1000 / fps`. */
export async function openVideo(path: string, options: VideoSourceOptions = {}): Promise<FrameSource<Rgb8Frame | Rgb16Frame>> {
  expectKnownKeys('openVideo options', options, KEYS);
  const wanted = expectOneOf('sampleType', options.sampleType ?? 'auto', ['auto', 'uint8', 'uint16'] as const);
  const maxFrames = options.maxFrames === undefined ? undefined : expectInteger('maxFrames', options.maxFrames, 1);
  const strict = expectBoolean('strict', options.strict ?? true);
  const warn = options.onWarning === undefined ? (message: string) => process.emitWarning(message) : expectFunction<(message: string) => void>('onWarning', options.onWarning);

  const stats = await stat(path).catch((cause: unknown) => {
    throw new InputNotFoundError(path, `Video file ${path} does not exist. Check the path (relative paths start at ${process.cwd()}).`, { cause });
  });
  if (!stats.isFile()) throw new InputNotFoundError(path, `${path} is not a file; for a folder of images use an image-sequence source.`);
  if (stats.size === 0) throw new CorruptInputError(path, `Input ${path} is empty (0 bytes): there is nothing to read. Re-copy it.`);
  const ffmpeg = await ensureFfmpeg();

  const probed = await ffprobe(path).catch((cause: unknown) => {
    const why = cause instanceof FfmpegExitError ? (cause.stderrTail.at(-1) ?? 'no details') : String(cause);
    throw new CorruptInputError(path, `Cannot read video ${path}: ffprobe could not parse it (${why}). Is it a complete video file? Re-encode or re-copy it.`, { cause });
  });
  const stream = probed.streams?.[0];
  if (!stream || stream.width === undefined || stream.height === undefined) {
    throw new CorruptInputError(path, `Video ${path} has no video stream (ffprobe found ${probed.streams?.length ?? 0} video streams).`);
  }
  // A damaged single image (image2 demuxer) probes "fine" with a 0x0 stream: not a picture to read.
  if (!(stream.width > 0 && stream.height > 0)) {
    throw new CorruptInputError(
      path,
      `Cannot read ${path}: ffprobe found a ${stream.codec_name ?? 'video'} stream without a picture size (${stream.width}x${stream.height}), so the file is damaged or not the image or video its name says. Re-copy or re-encode it.`,
    );
  }
  // ffmpeg applies the stream's rotation (phone videos), so frames come out in the displayed orientation.
  const { width, height, rotation } = displayedSize(stream);
  const fps = parseRate(stream.avg_frame_rate) ?? parseRate(stream.r_frame_rate) ?? 30;
  let frameCount = stream.nb_frames !== undefined ? Number(stream.nb_frames) : undefined;
  if (frameCount === undefined || !Number.isFinite(frameCount) || frameCount <= 0) {
    // Matroska and some streams carry no frame count: count packets (demuxes the file, no decoding).
    const counted = await ffprobe(path, [], true);
    const n = Number(counted.streams?.[0]?.nb_read_packets);
    frameCount = Number.isFinite(n) && n > 0 ? n : undefined;
  }
  if (maxFrames !== undefined && frameCount !== undefined) frameCount = Math.min(frameCount, maxFrames);
  const high = isHighBitDepthPixFmt(stream.pix_fmt, stream.bits_per_raw_sample);
  const sampleType = wanted === 'auto' ? (high ? 'uint16' : 'uint8') : wanted;
  const sourceBitDepth = Number(stream.bits_per_raw_sample) || (high ? 10 : 8);

  const info: SourceInfo = {
    kind: 'video',
    input: path,
    width,
    height,
    fps,
    frameCount,
    sampleType,
    sourceBitDepth,
    details: {
      codec: stream.codec_name ?? 'unknown',
      pixelFormat: stream.pix_fmt ?? 'unknown',
      container: probed.format?.format_name ?? 'unknown',
      durationSeconds: Number(probed.format?.duration ?? stream.duration ?? NaN),
      ...(rotation !== 0 ? { rotationApplied: rotation, storedSize: `${stream.width}x${stream.height}` } : {}),
    },
  };

  async function* frames(options: FrameReadOptions = {}): AsyncGenerator<Rgb8Frame | Rgb16Frame> {
    const { signal } = options;
    if (signal?.aborted) return;
    const pixFmt = sampleType === 'uint16' ? 'rgb48le' : 'rgb24';
    const args = ['-hide_banner', '-v', 'error', '-nostdin', ...(strict ? ['-xerror'] : []), '-i', path, '-map', '0:v:0', ffmpeg.fpsModeOption, 'passthrough'];
    if (maxFrames !== undefined) args.push('-frames:v', String(maxFrames));
    args.push('-f', 'rawvideo', '-pix_fmt', pixFmt, 'pipe:1');
    const proc = await spawnFfmpeg('ffmpeg', args);
    const onAbort = () => void proc.kill();
    signal?.addEventListener('abort', onAbort, { once: true });
    const frameBytes = sampleCount(width, height) * BYTES_PER_SAMPLE[sampleType];
    let index = 0;
    let partialBytes = 0;
    try {
      const stdout = proc.child.stdout;
      if (!stdout) throw new Error('ffmpeg started without stdout');
      for await (const record of readRecords(stdout, frameBytes, (n) => (partialBytes = n))) {
        const timing = { width, height, channels: 3 as const, index, timestampMs: (index * 1000) / fps };
        yield sampleType === 'uint16'
          ? { ...timing, sampleType, data: new Uint16Array(record.buffer, record.byteOffset, record.length / 2) }
          : { ...timing, sampleType, data: new Uint8Array(record.buffer, record.byteOffset, record.length) };
        index++;
      }
      const { code, signal: killedBy } = await proc.exited;
      if (signal?.aborted) return;
      const stderr = proc.stderrTail();
      if (killedBy !== null) {
        throw new FfmpegExitError(`ffmpeg was stopped by ${killedBy} while decoding ${path}, after ${index} frames`, code, killedBy, stderr);
      }
      if (code !== 0 || partialBytes > 0) {
        const of = frameCount !== undefined ? ` of ${frameCount}` : '';
        const cause = new FfmpegExitError(`ffmpeg failed decoding ${path} (exit code ${code})`, code, killedBy, stderr);
        throw new CorruptInputError(
          path,
          `Video ${path} is truncated or corrupt: decoding stopped after ${index}${of} frames (ffmpeg exit code ${code}: ${stderr.at(-1) ?? 'no message'}). ` +
            'Re-encode or re-copy the file, or read it with strict: false (CLI: --lenient) to keep the frames that decode.',
          { cause },
        );
      }
      // Lenient: say what was skipped, rather than dropping frames without a word.
      if (!strict && ((frameCount !== undefined && index < frameCount) || stderr.length > 0)) {
        const kept = frameCount !== undefined ? `kept ${index} of ${frameCount} frames` : `kept ${index} frames`;
        warn(`Video ${path} is damaged: ${kept}, skipping what did not decode (ffmpeg: ${stderr.at(-1) ?? 'no message'}).`);
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await proc.kill();
    }
  }

  return { info, frames };
}
