/**
 * Video files through ffmpeg: raw frames go to ffmpeg's stdin (rgb24 or rgb48le); the container comes from the
 * extension. Written atomically (see atomic.ts).
 */
import { once } from 'node:events';
import { extname } from 'node:path';
import type { MonoTypeOperatorFunction } from 'rxjs';
import { EmptyInputError, FfmpegExitError, FrameMismatchError, InvalidOptionError } from '../errors.js';
import { expectBoolean, expectInteger, expectKnownKeys, expectNumber, expectString } from '../options.js';
import { checkOutputPath, ffmpegOutputError, pendingFile } from './atomic.js';
import { ensureFfmpeg, spawnFfmpeg } from './ffmpeg.js';
import { type Frame, toIntegerFrame } from './frame.js';
import { type SinkWriter, sinkOperator } from './sink.js';

/** Containers the video sink writes, and the default codec of each. */
export const VIDEO_EXTENSIONS: Readonly<Record<string, string>> = {
  '.mp4': 'libx264',
  '.mov': 'libx264',
  '.m4v': 'libx264',
  '.mkv': 'ffv1',
  '.avi': 'ffv1',
  '.webm': 'libvpx-vp9',
};

/** Default constant rate factor for lossy codecs (x264: 18 is visually lossless). */
export const DEFAULT_CRF = 18;

/** Options of {@link writeVideo}. */
export interface VideoSinkOptions {
  /** Frames per second of the output (required: sources report theirs in `info.fps`). */
  fps: number;
  /** ffmpeg encoder (default by extension: mp4/mov libx264, mkv/avi ffv1 lossless, webm libvpx-vp9). */
  codec?: string;
  /** Constant rate factor for libx264 / libvpx-vp9 (default {@link DEFAULT_CRF}). */
  crf?: number;
  /** Replace an existing file (default false: an existing file is an OutputExistsError). */
  overwrite?: boolean;
}

/** Encoder arguments for a codec and frame format. 16-bit frames keep 10 (x264) or 16 (ffv1) bits. */
function encoderArgs(codec: string, frame: Frame, crf: number): string[] {
  const deep = frame.sampleType !== 'uint8';
  const even = frame.width % 2 === 0 && frame.height % 2 === 0;
  switch (codec) {
    case 'libx264': {
      // 4:2:0 needs even sizes; odd sizes get 4:4:4 rather than a resize.
      const pix = `${even ? 'yuv420p' : 'yuv444p'}${deep ? '10le' : ''}`;
      return ['-c:v', 'libx264', '-preset', 'medium', '-crf', String(crf), '-pix_fmt', pix, '-vf', 'scale=out_color_matrix=bt709:out_range=tv', '-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-color_range', 'tv'];
    }
    case 'libvpx-vp9':
      return ['-c:v', 'libvpx-vp9', '-crf', String(crf), '-b:v', '0', '-pix_fmt', deep ? 'yuv444p10le' : 'yuv444p', '-row-mt', '1'];
    case 'ffv1':
      return ['-c:v', 'ffv1', '-level', '3', '-pix_fmt', deep ? 'rgb48le' : 'bgr0'];
    default:
      return ['-c:v', codec];
  }
}

/**
 * A pass-through operator that encodes every frame into the video file `path` and passes it on once written.
 * The file appears only when the stream completes; on error or unsubscribe ffmpeg is killed and nothing is left.
 * Float frames are written as 16-bit.
 */
export function writeVideo<F extends Frame>(path: string, options: VideoSinkOptions): MonoTypeOperatorFunction<F> {
  expectString('path', path);
  expectKnownKeys('writeVideo options', options, ['fps', 'codec', 'crf', 'overwrite']);
  const fps = expectNumber('fps', options?.fps, 0, 10_000, true);
  const ext = extname(path).toLowerCase();
  const defaultCodec = VIDEO_EXTENSIONS[ext];
  if (options.codec === undefined && defaultCodec === undefined) {
    throw new InvalidOptionError(`Cannot tell the container of ${path} from its extension; use one of ${Object.keys(VIDEO_EXTENSIONS).join(', ')}, or pass codec.`);
  }
  const codec = options.codec === undefined ? defaultCodec! : expectString('codec', options.codec);
  const crf = expectInteger('crf', options.crf ?? DEFAULT_CRF, 0, codec === 'libx264' ? 51 : 63);
  const overwrite = expectBoolean('overwrite', options.overwrite ?? false);
  checkOutputPath(path, overwrite, 'file');

  return sinkOperator<F>(async (first): Promise<SinkWriter<F>> => {
    if (first === undefined) throw new EmptyInputError(`No frames to write to ${path}: the source was empty.`);
    await ensureFfmpeg();
    const output = await pendingFile(path, overwrite);
    const deep = first.sampleType !== 'uint8';
    const { width, height } = first;
    const args = [
      '-hide_banner', '-v', 'error', '-nostdin',
      '-f', 'rawvideo', '-pix_fmt', deep ? 'rgb48le' : 'rgb24', '-s', `${width}x${height}`, '-r', String(fps), '-i', 'pipe:0',
      ...encoderArgs(codec, first, crf),
      '-y', output.tempPath,
    ];
    const proc = await spawnFfmpeg('ffmpeg', args, { stdin: true });
    const stdin = proc.child.stdin!;
    // Built once ffmpeg has exited, so the exit code and its last words (e.g. "Unknown encoder") are known.
    const failure = async () => {
      const { code, signal } = await proc.exited;
      return ffmpegOutputError(path, new FfmpegExitError(`ffmpeg stopped while writing ${path} after ${written} frames (exit code ${code ?? signal})`, code, signal, proc.stderrTail()));
    };
    let written = 0;
    return {
      async write(frame) {
        if (frame.width !== width || frame.height !== height) {
          throw new FrameMismatchError(`Frame ${frame.index} is ${frame.width}x${frame.height} but ${path} is being written at ${width}x${height} (from the first frame).`);
        }
        const f = deep ? toIntegerFrame(frame, 'uint16') : toIntegerFrame(frame, 'uint8');
        const bytes = new Uint8Array(f.data.buffer, f.data.byteOffset, f.data.byteLength);
        if (stdin.destroyed || proc.child.exitCode !== null) throw await failure();
        if (!stdin.write(bytes)) {
          // Wait for ffmpeg to take the data (or to die).
          const died = proc.exited.then(() => 'exit' as const);
          const drained = once(stdin, 'drain').then(() => 'drain' as const, () => 'exit' as const);
          if ((await Promise.race([drained, died])) === 'exit') throw await failure();
        }
        written++;
      },
      async finish() {
        stdin.end();
        const { code, signal } = await proc.exited;
        if (code !== 0) {
          await output.abort();
          throw ffmpegOutputError(path, new FfmpegExitError(`ffmpeg failed writing ${path} after ${written} frames (exit code ${code ?? signal})`, code, signal, proc.stderrTail()));
        }
        await output.commit();
      },
      async abort() {
        await proc.kill();
        await output.abort();
      },
    };
  });
}
