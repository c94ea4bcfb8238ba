/**
 * Live input (a camera device or a network stream) through ffmpeg, with bounded latency: ffmpeg's output is read
 * as fast as it comes, at most `maxQueue` frames wait for the consumer, and older ones are dropped and counted.
 *
 * Dropped frames leave gaps: `index` counts every frame ffmpeg decoded and `timestampMs` is `index * 1000 / fps`,
 * so a consumer (and `slidingWindow`) can see how far apart two delivered frames are.
 */
import { FfmpegExitError, InputNotFoundError, InputTimeoutError } from '../errors.js';
import { expectBoolean, expectInteger, expectKnownKeys, expectOneOf, expectString, expectTimeout, invalidOption } from '../options.js';
import { displayedSize, ensureFfmpeg, ffprobe, parseRate, readRecords, spawnFfmpeg } from './ffmpeg.js';
import { BYTES_PER_SAMPLE, sampleCount, type Rgb16Frame, type Rgb8Frame } from './frame.js';
import type { FrameReadOptions, FrameSource, SourceInfo } from './source.js';

/** Default number of frames that may wait for a slow consumer before the oldest is dropped. */
export const DEFAULT_LIVE_MAX_QUEUE = 1;

/** Default longest wait for a frame before a live source fails with {@link InputTimeoutError}: 10 s. */
export const DEFAULT_LIVE_IDLE_TIMEOUT_MS = 10_000;

/** How long ffmpeg may analyse live input before it starts (ffmpeg's own default is 5 s). */
export const LIVE_ANALYZE_DURATION_MS = 1000;

/** Extra time the first frame may take (connecting, stream analysis, waiting for a key frame). */
export const LIVE_START_ALLOWANCE_MS = 5000;

/** Options of {@link openLive}. */
export interface LiveSourceOptions {
  /** ffmpeg input format (`-f`), e.g. 'v4l2' for a Linux camera, 'avfoundation', 'lavfi'. Default: ffmpeg guesses. */
  format?: string;
  /** Extra ffmpeg input options placed before `-i` (e.g. ['-framerate', '30', '-video_size', '1280x720']). */
  inputOptions?: readonly string[];
  /** Frames that may wait for the consumer (default {@link DEFAULT_LIVE_MAX_QUEUE}); older ones are dropped. */
  maxQueue?: number;
  /** Sample type of the frames (default 'uint8'). */
  sampleType?: 'uint8' | 'uint16';
  /**
   * Add ffmpeg's low-latency input flags (`-fflags nobuffer -flags low_delay`, and at most
   * {@link LIVE_ANALYZE_DURATION_MS} of stream analysis instead of 5 s); default true.
   */
  lowLatency?: boolean;
  /**
   * Fail with {@link InputTimeoutError} when no frame arrives for this long (default
   * {@link DEFAULT_LIVE_IDLE_TIMEOUT_MS}; Infinity waits forever). The first frame gets
   * {@link LIVE_START_ALLOWANCE_MS} more.
   */
  idleTimeoutMs?: number;
}

/** Counters of a live source, updated as it runs. */
export interface LiveStats {
  /** Frames ffmpeg delivered. */
  received: number;
  /** Frames handed to the consumer. */
  delivered: number;
  /** Frames dropped because the consumer lagged. */
  dropped: number;
}

/** A live source: a {@link FrameSource} that also counts what it dropped. */
export interface LiveSource extends FrameSource<Rgb8Frame | Rgb16Frame> {
  /** Counters of the most recent `frames()` run. */
  stats(): LiveStats;
}

const KEYS = ['format', 'inputOptions', 'maxQueue', 'sampleType', 'lowLatency', 'idleTimeoutMs'] as const;

/** Whether an input names live input rather than a file: a URL with a streaming scheme, or a device node. */
export function isLiveInput(input: string): boolean {
  return /^(rtsp|rtsps|rtmp|rtmps|udp|tcp|srt|rtp|http|https|hls):\/\//i.test(input) || input.startsWith('/dev/video');
}

/** Opens live input. Probes it once (ffprobe) for size and rate; each `frames()` call connects anew. */
export async function openLive(input: string, options: LiveSourceOptions = {}): Promise<LiveSource> {
  expectKnownKeys('openLive options', options, KEYS);
  expectString('input', input);
  const format = options.format === undefined ? undefined : expectString('format', options.format);
  const inputOptions = options.inputOptions ?? [];
  if (!Array.isArray(inputOptions) || !inputOptions.every((o) => typeof o === 'string')) invalidOption('inputOptions', 'array of strings', inputOptions);
  const maxQueue = expectInteger('maxQueue', options.maxQueue ?? DEFAULT_LIVE_MAX_QUEUE, 1, 1000);
  const sampleType = expectOneOf('sampleType', options.sampleType ?? 'uint8', ['uint8', 'uint16'] as const);
  const lowLatency = expectBoolean('lowLatency', options.lowLatency ?? true);
  const idleTimeoutMs = expectTimeout('idleTimeoutMs', options.idleTimeoutMs ?? DEFAULT_LIVE_IDLE_TIMEOUT_MS);

  const ffmpeg = await ensureFfmpeg();
  const lowLatencyFlags = ['-fflags', 'nobuffer', '-flags', 'low_delay', '-analyzeduration', String(LIVE_ANALYZE_DURATION_MS * 1000)];
  const before = [...(lowLatency ? lowLatencyFlags : []), ...inputOptions, ...(format ? ['-f', format] : [])];
  // -re paces a file or lavfi input at its native rate; ffprobe must not be slowed by it.
  const probeOptions = before.filter((o) => o !== '-re');
  const probeTimeoutMs = idleTimeoutMs + LIVE_START_ALLOWANCE_MS;
  const probeStarted = performance.now();
  const probed = await ffprobe(input, probeOptions, false, probeTimeoutMs).catch((cause: unknown) => {
    const last = cause instanceof FfmpegExitError ? cause.stderrTail.at(-1) : String(cause);
    if (performance.now() - probeStarted >= probeTimeoutMs) {
      // Nothing came: for UDP nothing ever answers, so a wrong address, a firewall and no sender all look like this.
      const what = /^(udp|rtp|srt):/i.test(input)
        ? 'Check that a sender is streaming to this machine at that address and port, that no firewall drops the packets, and the format (e.g. mpegts)'
        : /^\/dev\//.test(input)
          ? 'Check that the device is a camera that is free (not open in another program), and its format (e.g. v4l2)'
          : 'Check the URL, that the server is up and streaming, and that this machine can reach it';
      throw new InputTimeoutError(input, `Cannot open live input ${input}: ffprobe listened for ${probeTimeoutMs / 1000} s and received no video${last ? ` (${last})` : ''}. ${what}.`);
    }
    throw new InputNotFoundError(input, `Cannot open live input ${input}: ${last ?? 'ffprobe failed without a message'}. Check the URL or device (and format, e.g. format: 'v4l2' for a camera).`, { cause });
  });
  const stream = probed.streams?.[0];
  if (!stream?.width || !stream.height) throw new InputNotFoundError(input, `Live input ${input} has no video stream.`);
  const { width, height } = displayedSize(stream);
  const fps = parseRate(stream.avg_frame_rate) ?? parseRate(stream.r_frame_rate) ?? 30;
  const info: SourceInfo = {
    kind: 'live',
    input,
    width,
    height,
    fps,
    frameCount: undefined,
    sampleType,
    sourceBitDepth: Number(stream.bits_per_raw_sample) || 8,
    details: { codec: stream.codec_name ?? 'unknown', pixelFormat: stream.pix_fmt ?? 'unknown', maxQueue },
  };

  let stats: LiveStats = { received: 0, delivered: 0, dropped: 0 };

  async function* frames(options: FrameReadOptions = {}): AsyncGenerator<Rgb8Frame | Rgb16Frame> {
    const { signal: abortSignal } = options;
    if (abortSignal?.aborted) return;
    const run: LiveStats = { received: 0, delivered: 0, dropped: 0 };
    stats = run;
    const args = ['-hide_banner', '-v', 'error', '-nostdin', ...before, '-i', input, '-map', '0:v:0', '-an', ffmpeg.fpsModeOption, 'passthrough', '-f', 'rawvideo', '-pix_fmt', sampleType === 'uint16' ? 'rgb48le' : 'rgb24', 'pipe:1'];
    const proc = await spawnFfmpeg('ffmpeg', args);
    // Aborting kills ffmpeg at once: the reader then ends and wakes a consumer parked on the next frame.
    const onAbort = () => void proc.kill();
    abortSignal?.addEventListener('abort', onAbort, { once: true });
    const queue: Array<Rgb8Frame | Rgb16Frame> = [];
    let ended = false;
    let failure: unknown;
    let wake: (() => void) | undefined;
    const signal = () => {
      wake?.();
      wake = undefined;
    };
    const frameBytes = sampleCount(width, height) * BYTES_PER_SAMPLE[sampleType];
    // No frame for idleTimeoutMs: the input is gone (a UDP stream never signals its end). Re-armed per frame.
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    const armIdle = (allowanceMs = 0) => {
      if (!Number.isFinite(idleTimeoutMs)) return;
      if (idleTimer !== undefined) clearTimeout(idleTimer);
      const limitMs = idleTimeoutMs + allowanceMs;
      idleTimer = setTimeout(() => {
        failure ??= new InputTimeoutError(input, `Live input ${input} sent no frame for ${limitMs / 1000} s (received ${run.received} before). Check that it is still streaming, or raise idleTimeoutMs.`);
        void proc.kill();
      }, limitMs);
    };
    armIdle(LIVE_START_ALLOWANCE_MS);
    // The reader drains ffmpeg continuously, whatever the consumer does: that is what bounds latency.
    const reader = (async () => {
      try {
        for await (const record of readRecords(proc.child.stdout!, frameBytes, () => undefined)) {
          armIdle();
          const index = run.received++;
          const timing = { width, height, channels: 3 as const, index, timestampMs: (index * 1000) / fps };
          queue.push(
            sampleType === 'uint16'
              ? { ...timing, sampleType, data: new Uint16Array(record.buffer, record.byteOffset, record.length / 2) }
              : { ...timing, sampleType, data: new Uint8Array(record.buffer, record.byteOffset, record.length) },
          );
          while (queue.length > maxQueue) {
            queue.shift();
            run.dropped++;
          }
          signal();
        }
        const { code, signal: sig } = await proc.exited;
        if (code !== 0 && sig !== 'SIGKILL') {
          failure ??= new FfmpegExitError(`Live input ${input} failed (ffmpeg exit code ${code ?? sig})`, code, sig, proc.stderrTail());
        }
      } catch (error) {
        failure ??= error;
      } finally {
        if (idleTimer !== undefined) clearTimeout(idleTimer);
        ended = true;
        signal();
      }
    })();
    try {
      for (;;) {
        if (abortSignal?.aborted) break;
        const next = queue.shift();
        if (next) {
          run.delivered++;
          yield next;
          continue;
        }
        if (ended) break;
        await new Promise<void>((resolve) => (wake = resolve));
      }
      if (failure !== undefined && !abortSignal?.aborted) throw failure;
    } finally {
      abortSignal?.removeEventListener('abort', onAbort);
      if (idleTimer !== undefined) clearTimeout(idleTimer);
      await proc.kill();
      await reader;
    }
  }

  return { info, frames, stats: () => ({ ...stats }) };
}
