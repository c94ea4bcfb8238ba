/**
 * The ffmpeg adapter: the only file that spawns `ffmpeg` or `ffprobe`. We spawn the programs ourselves and move
 * raw frames over pipes (rawvideo rgb24 / rgb48le); see the README's design notes for why not fluent-ffmpeg.
 *
 * Paths: `PROMOTION_FFMPEG` and `PROMOTION_FFPROBE` override the programs found on PATH.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { FfmpegExitError, NativeDependencyError } from '../errors.js';

/** How many of ffmpeg's last stderr lines an error keeps. */
export const STDERR_TAIL_LINES = 12;

/** The hint every "ffmpeg missing" error carries. */
export const FFMPEG_INSTALL_HINT =
  'Install ffmpeg (Debian/Ubuntu: `apt-get install -y ffmpeg`; macOS: `brew install ffmpeg`) or point PROMOTION_FFMPEG and PROMOTION_FFPROBE at the programs.';

/** Path (or name on PATH) of the ffmpeg program. */
export function ffmpegPath(): string {
  return process.env.PROMOTION_FFMPEG ?? 'ffmpeg';
}

/** Path (or name on PATH) of the ffprobe program. */
export function ffprobePath(): string {
  return process.env.PROMOTION_FFPROBE ?? 'ffprobe';
}

/** Keeps the last N lines written to a stream. */
class LineTail {
  private readonly lines: string[] = [];
  private partial = '';
  constructor(private readonly max: number) {}
  push(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString();
    const parts = text.split(/\r?\n|\r/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      if (line.trim().length === 0) continue;
      this.lines.push(line);
      if (this.lines.length > this.max) this.lines.shift();
    }
  }
  get(): string[] {
    return this.partial.trim().length > 0 ? [...this.lines, this.partial].slice(-this.max) : [...this.lines];
  }
}

/** A running ffmpeg or ffprobe process. */
export interface FfmpegProcess {
  readonly child: ChildProcess;
  /** Last lines of stderr so far. */
  stderrTail(): string[];
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills the process (SIGKILL) unless it already exited; resolves once it is gone. */
  kill(): Promise<void>;
}

function notFound(program: string, cause: unknown): NativeDependencyError {
  return new NativeDependencyError(`${program} was not found or could not be started.`, FFMPEG_INSTALL_HINT, { cause });
}

/**
 * Spawns ffmpeg (`program: 'ffmpeg'`) or ffprobe with `args`. Rejects with {@link NativeDependencyError} when the
 * program is missing. stdin is a pipe only when `stdin: true`.
 */
export async function spawnFfmpeg(
  program: 'ffmpeg' | 'ffprobe',
  args: readonly string[],
  options: { stdin?: boolean } = {},
): Promise<FfmpegProcess> {
  const bin = program === 'ffmpeg' ? ffmpegPath() : ffprobePath();
  // detached: ffmpeg gets its own process group, so Ctrl-C in a terminal reaches only us, and we decide what
  // happens to each ffmpeg (a live recording is finished properly rather than killed mid-write).
  const child = spawn(bin, args as string[], { stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], detached: true });
  const tail = new LineTail(STDERR_TAIL_LINES);
  child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
  // A pipe error (EPIPE when ffmpeg dies first) must not crash the process; the exit status reports it.
  child.stdin?.on('error', () => undefined);
  child.stdout?.on('error', () => undefined);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  try {
    await once(child, 'spawn');
  } catch (cause) {
    throw notFound(program, cause);
  }
  return {
    child,
    stderrTail: () => tail.get(),
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * Runs a program to completion and returns its stdout; rejects with {@link FfmpegExitError} on a non-zero exit,
 * or when it runs longer than `timeoutMs` (it is then killed).
 */
export async function runFfmpeg(program: 'ffmpeg' | 'ffprobe', args: readonly string[], what: string, timeoutMs = Number.POSITIVE_INFINITY): Promise<Buffer> {
  const proc = await spawnFfmpeg(program, args);
  const chunks: Buffer[] = [];
  proc.child.stdout?.on('data', (c: Buffer) => chunks.push(c));
  let timedOut = false;
  const timer = Number.isFinite(timeoutMs)
    ? setTimeout(() => {
        timedOut = true;
        void proc.kill();
      }, timeoutMs)
    : undefined;
  const { code, signal } = await proc.exited;
  if (timer !== undefined) clearTimeout(timer);
  if (timedOut) throw new FfmpegExitError(`${program} gave no answer ${what} within ${timeoutMs / 1000} s`, code, signal, proc.stderrTail());
  if (code !== 0) throw new FfmpegExitError(`${program} failed ${what} (exit code ${code ?? signal})`, code, signal, proc.stderrTail());
  return Buffer.concat(chunks);
}

/** What the toolkit needs to know about the ffmpeg it runs. */
export interface FfmpegInfo {
  /** Major and minor version, e.g. [5, 1]; [99, 0] for development builds ("N-12345-g..."). */
  version: readonly [number, number];
  /** The option that keeps decoded frames as they are: `-fps_mode` from 5.1, `-vsync` before. */
  fpsModeOption: '-fps_mode' | '-vsync';
}

const ffmpegChecked = new Map<string, Promise<FfmpegInfo>>();

/** Parses `ffmpeg -version`'s first line. */
export function parseFfmpegVersion(text: string): readonly [number, number] {
  const m = /ffmpeg version (?:n)?(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : [99, 0];
}

/**
 * Resolves with facts about ffmpeg once it can be started; rejects with {@link NativeDependencyError} (with the
 * install step) if not. Remembered per program path.
 */
export function ensureFfmpeg(): Promise<FfmpegInfo> {
  const bin = ffmpegPath();
  let check = ffmpegChecked.get(bin);
  if (!check) {
    check = runFfmpeg('ffmpeg', ['-hide_banner', '-version'], 'to report its version').then((out) => {
      const version = parseFfmpegVersion(out.toString('utf8'));
      const fpsModeOption = version[0] > 5 || (version[0] === 5 && version[1] >= 1) ? '-fps_mode' : '-vsync';
      return { version, fpsModeOption } as const;
    });
    check.catch(() => ffmpegChecked.delete(bin));
    ffmpegChecked.set(bin, check);
  }
  return check;
}

/** The subset of `ffprobe -show_streams -show_format -of json` the toolkit reads. */
export interface FfprobeResult {
  streams?: Array<{
    codec_type?: string;
    codec_name?: string;
    width?: number;
    height?: number;
    pix_fmt?: string;
    bits_per_raw_sample?: string;
    avg_frame_rate?: string;
    r_frame_rate?: string;
    nb_frames?: string;
    nb_read_packets?: string;
    duration?: string;
    tags?: { rotate?: string };
    side_data_list?: Array<{ side_data_type?: string; rotation?: number }>;
  }>;
  format?: { format_name?: string; duration?: string };
}

/** Runs ffprobe on `input` (a file or URL) with extra input options; returns its parsed JSON. */
export async function ffprobe(input: string, inputOptions: readonly string[] = [], countPackets = false, timeoutMs = Number.POSITIVE_INFINITY): Promise<FfprobeResult> {
  const args = ['-v', 'error', ...inputOptions, ...(countPackets ? ['-count_packets'] : []), '-select_streams', 'v:0', '-show_streams', '-show_format', '-of', 'json', input];
  const out = await runFfmpeg('ffprobe', args, `to read ${input}`, timeoutMs);
  return JSON.parse(out.toString('utf8')) as FfprobeResult;
}

/** Rotation (degrees) a stream asks players to apply: the display matrix, or the older `rotate` tag. */
export function streamRotation(stream: NonNullable<FfprobeResult['streams']>[number]): number {
  const fromMatrix = stream.side_data_list?.find((d) => d.rotation !== undefined)?.rotation;
  const value = fromMatrix ?? (stream.tags?.rotate !== undefined ? Number(stream.tags.rotate) : 0);
  return Number.isFinite(value) ? value : 0;
}

/**
 * Size of the frames ffmpeg outputs for a stream: ffmpeg applies the stream's rotation by default, so a
 * quarter-turn swaps width and height (phone videos).
 */
export function displayedSize(stream: NonNullable<FfprobeResult['streams']>[number]): { width: number; height: number; rotation: number } {
  const rotation = streamRotation(stream);
  const quarter = Math.abs(Math.round(rotation / 90)) % 2 === 1;
  const width = stream.width ?? 0;
  const height = stream.height ?? 0;
  return quarter ? { width: height, height: width, rotation } : { width, height, rotation };
}

/** Parses an ffprobe rate like "30000/1001"; undefined for "0/0" or junk. */
export function parseRate(rate: string | undefined): number | undefined {
  if (!rate) return undefined;
  const [num, den] = rate.split('/').map(Number);
  if (num === undefined || !Number.isFinite(num) || num <= 0) return undefined;
  const value = den === undefined ? num : num / den;
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/** Pixel formats with more than 8 bits per component (so 16-bit reads keep information). */
export function isHighBitDepthPixFmt(pixFmt: string | undefined, bitsPerRawSample?: string): boolean {
  if (bitsPerRawSample !== undefined && Number(bitsPerRawSample) > 8) return true;
  return pixFmt !== undefined && /(p9|p10|p12|p14|p16|48|64|f32|f16)/.test(pixFmt);
}

/**
 * Reads exactly `frameBytes`-sized records from a readable stream, pausing the producer while the consumer is busy
 * (async iteration of a Node stream only pulls when asked, so the pipe fills and ffmpeg blocks).
 * Yields a fresh Buffer per record. Reports a trailing partial record through `onPartial`.
 */
export async function* readRecords(
  stream: NodeJS.ReadableStream,
  frameBytes: number,
  onPartial: (bytes: number) => void,
): AsyncGenerator<Buffer> {
  // Unpooled buffers (own ArrayBuffer at offset 0, so 16-bit views are aligned and each frame owns its memory),
  // left uninitialised because every byte is overwritten before the record is yielded.
  let record = Buffer.allocUnsafeSlow(frameBytes);
  let filled = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(frameBytes - filled, chunk.length - offset);
      chunk.copy(record, filled, offset, offset + n);
      filled += n;
      offset += n;
      if (filled === frameBytes) {
        yield record;
        record = Buffer.allocUnsafeSlow(frameBytes);
        filled = 0;
      }
    }
  }
  if (filled > 0) onPartial(filled);
}
