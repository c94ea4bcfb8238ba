/**
 * Backpressure benchmark: memory of a slow pipeline over a long video, with and without {@link pipeSource}.
 *
 *   npm run build && npm run bench:backpressure -- [--minutes 10] [--slow-ms 5] [--high-water-mark 8]
 *
 * The parent process generates (once, cached in .bench-out/) a 1280x720 30 fps test video, then runs each
 * measurement in its own child process so that the unbounded growth of run B cannot pollute run A:
 *
 *   A "backpressure":    pipeSource(openVideo(path), concatMap(slowStage), { highWaterMark })   - whole video
 *   B "no-backpressure": sourceFrames$(openVideo(path)).pipe(concatMap(slowStage))              - until RSS > 4 GiB or 60 s
 *
 * Children sample process.memoryUsage() every 250 ms and print their result as one JSON line on stdout (progress
 * goes to stderr). The parent prints a markdown table and writes bench/results/backpressure.json.
 * Memory figures are MiB (2^20 bytes).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { concatMap, count, lastValueFrom, type Observable } from 'rxjs';
import { openVideo, pipeSource, sourceFrames$, type Frame } from '../src/index.js';

// ---------------------------------------------------------------------------------------------------------------
// Parameters

const RUNS = ['backpressure', 'no-backpressure'] as const;
type RunName = (typeof RUNS)[number];

interface Params {
  minutes: number;
  width: number;
  height: number;
  fps: number;
  slowMs: number;
  highWaterMark: number;
  sampleMs: number;
  /** Run B stops when RSS exceeds this (MiB). */
  maxRssMb: number;
  /** Run B stops after this many seconds. */
  maxSeconds: number;
  /** Run A passes when its peak RSS is below this (MiB). */
  targetPeakRssMb: number;
}

const MIB = 1024 * 1024;
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'); // dist/bench/ -> repo root
const VIDEO_DIR = join(REPO_ROOT, '.bench-out');
const RESULTS_PATH = join(REPO_ROOT, 'bench', 'results', 'backpressure.json');
const MAX_SERIES_POINTS = 200;

const { values: argv } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    'slow-ms': { type: 'string', default: '5' },
    'high-water-mark': { type: 'string', default: '8' },
    'sample-ms': { type: 'string', default: '250' },
    'max-rss-mb': { type: 'string', default: '4096' },
    'max-seconds': { type: 'string', default: '60' },
    'target-peak-rss-mb': { type: 'string', default: '500' },
    // Internal: set by the parent when it starts a child.
    run: { type: 'string' },
    video: { type: 'string' },
  },
  strict: true,
});

function numberArg(name: keyof typeof argv, min: number): number {
  const raw = argv[name];
  const value = Number(raw);
  if (typeof raw !== 'string' || !Number.isFinite(value) || value < min) throw new Error(`--${name} must be a number >= ${min} (got ${String(raw)})`);
  return value;
}

const params: Params = {
  minutes: numberArg('minutes', 0.05),
  width: 1280,
  height: 720,
  fps: 30,
  slowMs: numberArg('slow-ms', 0),
  highWaterMark: Math.floor(numberArg('high-water-mark', 1)),
  sampleMs: numberArg('sample-ms', 10),
  maxRssMb: numberArg('max-rss-mb', 64),
  maxSeconds: numberArg('max-seconds', 1),
  targetPeakRssMb: numberArg('target-peak-rss-mb', 1),
};

// ---------------------------------------------------------------------------------------------------------------
// Memory sampling and statistics

interface Sample {
  /** Milliseconds since the run started. */
  tMs: number;
  rssMb: number;
  heapUsedMb: number;
  externalMb: number;
  arrayBuffersMb: number;
}

const round = (x: number, digits = 1): number => Number(x.toFixed(digits));

function takeSample(t0: number): Sample {
  const m = process.memoryUsage();
  return {
    tMs: Math.round(performance.now() - t0),
    rssMb: round(m.rss / MIB),
    heapUsedMb: round(m.heapUsed / MIB),
    externalMb: round(m.external / MIB),
    arrayBuffersMb: round(m.arrayBuffers / MIB),
  };
}

/** Samples memory every `intervalMs`; `onSample` may stop the run (run B's RSS limit). */
class Sampler {
  readonly samples: Sample[] = [];
  private readonly t0 = performance.now();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(intervalMs: number, onSample: (sample: Sample) => void = () => undefined) {
    this.record();
    this.timer = setInterval(() => onSample(this.record()), intervalMs);
  }

  elapsedMs(): number {
    return performance.now() - this.t0;
  }

  stop(): Sample[] {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.record();
    return this.samples;
  }

  private record(): Sample {
    const sample = takeSample(this.t0);
    this.samples.push(sample);
    return sample;
  }
}

/** Least-squares slope of y over x; 0 with fewer than two distinct x. */
function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  let sx = 0;
  let sy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

/** RSS of the sample nearest to `fraction` of the run's duration. */
function rssAt(samples: readonly Sample[], fraction: number): number {
  const last = samples.at(-1);
  if (!last) return NaN;
  const target = last.tMs * fraction;
  let best = last;
  for (const s of samples) if (Math.abs(s.tMs - target) < Math.abs(best.tMs - target)) best = s;
  return best.rssMb;
}

/** At most `max` samples, evenly spaced by index, first and last kept. */
function downsample<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  const out: T[] = [];
  for (let i = 0; i < max; i++) {
    const item = items[Math.round((i * (items.length - 1)) / (max - 1))];
    if (item !== undefined) out.push(item);
  }
  return out;
}

const peak = (samples: readonly Sample[], key: Exclude<keyof Sample, 'tMs'>): number => Math.max(...samples.map((s) => s[key]));

// ---------------------------------------------------------------------------------------------------------------
// ffmpeg children of this process (to check that stopping a run kills the decoder)

/** Pids of live (non-zombie) ffmpeg processes whose parent is this process. Linux only; [] elsewhere. */
async function ffmpegChildren(): Promise<number[]> {
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // "pid (comm) state ppid ...": comm may hold spaces, so split around the last ')'.
    const open = stat.indexOf('(');
    const close = stat.lastIndexOf(')');
    if (open < 0 || close < 0) continue;
    const comm = stat.slice(open + 1, close);
    const [state, ppid] = stat.slice(close + 2).split(' ');
    if (comm === 'ffmpeg' && Number(ppid) === process.pid && state !== 'Z') pids.push(Number(entry));
  }
  return pids;
}

/** Milliseconds until no ffmpeg child is left, or undefined if some are still alive after `timeoutMs`. */
async function waitForFfmpegExit(timeoutMs: number): Promise<number | undefined> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if ((await ffmpegChildren()).length === 0) return Math.round(performance.now() - t0);
    await sleep(20);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Child: one run

type StopReason = 'completed' | 'rss-limit' | 'time-limit' | 'error';

interface RunResult {
  run: RunName;
  frames: number;
  expectedFrames: number | null;
  stopReason: StopReason;
  error: string | null;
  wallMs: number;
  fps: number;
  baselineRssMb: number;
  peakRssMb: number;
  peakHeapUsedMb: number;
  peakExternalMb: number;
  peakArrayBuffersMb: number;
  /** RSS at 10 %, 50 % and 90 % of the run's duration. */
  rssAtMb: { p10: number; p50: number; p90: number };
  /** Least-squares RSS slope over the second half of the samples (MiB per minute). */
  rssSlopeMbPerMinSecondHalf: number;
  /** Least-squares RSS slope over all samples (MiB per second). */
  rssSlopeMbPerSecWholeRun: number;
  /** ffmpeg children still alive 5 s after the run ended (should be 0), and how long they took to go. */
  ffmpegAliveAfterStop: number;
  ffmpegExitMs: number | null;
  samples: Sample[];
}

/** The deliberately slow stage: waits `slowMs` per frame and keeps nothing of it. */
function slowStage(slowMs: number, onFrame: () => void): (frame: Frame) => Promise<number> {
  return async (frame) => {
    await sleep(slowMs);
    onFrame();
    return frame.index;
  };
}

async function runChild(run: RunName, video: string): Promise<RunResult> {
  const source = await openVideo(video);
  const expectedFrames = source.info.frameCount ?? null;
  let frames = 0;
  const stage = slowStage(params.slowMs, () => frames++);
  let stopReason: StopReason = 'completed';
  let error: string | null = null;
  const progress = setInterval(() => {
    const m = process.memoryUsage();
    process.stderr.write(`  [${run}] ${frames}${expectedFrames === null ? '' : `/${expectedFrames}`} frames, RSS ${Math.round(m.rss / MIB)} MiB\n`);
  }, 10_000);

  let sampler: Sampler;
  if (run === 'backpressure') {
    sampler = new Sampler(params.sampleMs);
    try {
      await lastValueFrom(pipeSource(source, concatMap(stage), { highWaterMark: params.highWaterMark }).pipe(count()));
    } catch (e) {
      stopReason = 'error';
      error = String(e);
    }
  } else {
    // No backpressure: subscribe, then stop on the first of RSS limit, time limit, end of video, error.
    const frames$: Observable<number> = sourceFrames$(source).pipe(concatMap(stage));
    let finish: (reason: StopReason) => void = () => undefined;
    const done = new Promise<StopReason>((resolveDone) => (finish = resolveDone));
    sampler = new Sampler(params.sampleMs, (s) => {
      if (s.rssMb > params.maxRssMb) finish('rss-limit');
    });
    const timeLimit = setTimeout(() => finish('time-limit'), params.maxSeconds * 1000);
    const subscription = frames$.subscribe({
      error: (e: unknown) => {
        error = String(e);
        finish('error');
      },
      complete: () => finish('completed'),
    });
    stopReason = await done;
    clearTimeout(timeLimit);
    subscription.unsubscribe(); // the generator's finally kills ffmpeg once its pending read returns
  }
  const wallMs = sampler.elapsedMs();
  const samples = sampler.stop();
  clearInterval(progress);
  const ffmpegExitMs = await waitForFfmpegExit(5000);
  const ffmpegAliveAfterStop = (await ffmpegChildren()).length;

  const secondHalf = samples.slice(Math.floor(samples.length / 2));
  return {
    run,
    frames,
    expectedFrames,
    stopReason,
    error,
    wallMs: Math.round(wallMs),
    fps: round(frames / (wallMs / 1000)),
    baselineRssMb: samples[0]?.rssMb ?? NaN,
    peakRssMb: peak(samples, 'rssMb'),
    peakHeapUsedMb: peak(samples, 'heapUsedMb'),
    peakExternalMb: peak(samples, 'externalMb'),
    peakArrayBuffersMb: peak(samples, 'arrayBuffersMb'),
    rssAtMb: { p10: rssAt(samples, 0.1), p50: rssAt(samples, 0.5), p90: rssAt(samples, 0.9) },
    rssSlopeMbPerMinSecondHalf: round(slope(secondHalf.map((s) => [s.tMs / 60_000, s.rssMb] as const)), 2),
    rssSlopeMbPerSecWholeRun: round(slope(samples.map((s) => [s.tMs / 1000, s.rssMb] as const)), 2),
    ffmpegAliveAfterStop,
    ffmpegExitMs: ffmpegExitMs ?? null,
    samples,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Parent: test video, children, report

const ffmpegBin = process.env.PROMOTION_FFMPEG ?? 'ffmpeg';
const ffprobeBin = process.env.PROMOTION_FFPROBE ?? 'ffprobe';

/** Runs a program; resolves with its exit code and stdout (stderr is inherited when `showStderr`). */
function exec(bin: string, args: readonly string[], showStderr = false): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolveExec, rejectExec) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', showStderr ? 'inherit' : 'ignore'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.once('error', rejectExec);
    child.once('close', (code) => resolveExec({ code, stdout: Buffer.concat(chunks).toString('utf8') }));
  });
}

/** Frame count of a video per ffprobe, or undefined when it cannot be read. */
async function probeFrames(path: string): Promise<number | undefined> {
  const args = ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=nb_frames', '-of', 'csv=p=0', path];
  const { code, stdout } = await exec(ffprobeBin, args).catch(() => ({ code: 1, stdout: '' }));
  const n = Number(stdout.trim());
  return code === 0 && Number.isInteger(n) && n > 0 ? n : undefined;
}

/** The cached test video (generated on first use); `generatedMs` is null when it was reused. */
async function ensureVideo(): Promise<{ path: string; generatedMs: number | null }> {
  const frames = Math.round(params.minutes * 60 * params.fps);
  const path = join(VIDEO_DIR, `testsrc2-${params.width}x${params.height}-${params.fps}fps-${params.minutes}min.mp4`);
  if (existsSync(path) && (await probeFrames(path)) === frames) return { path, generatedMs: null };
  await mkdir(VIDEO_DIR, { recursive: true });
  const partial = path.replace(/\.mp4$/, '.partial.mp4');
  process.stderr.write(`Generating ${relative(REPO_ROOT, path)} (${frames} frames; a few minutes for 10 min of video)...\n`);
  const t0 = performance.now();
  const lavfi = `testsrc2=size=${params.width}x${params.height}:rate=${params.fps}`;
  const args = ['-y', '-hide_banner', '-loglevel', 'error', '-stats', '-f', 'lavfi', '-i', lavfi, '-frames:v', String(frames)];
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '28', '-pix_fmt', 'yuv420p', partial);
  const { code } = await exec(ffmpegBin, args, true);
  const got = code === 0 ? await probeFrames(partial) : undefined;
  if (got !== frames) {
    await rm(partial, { force: true });
    throw new Error(`ffmpeg failed to generate the test video (exit code ${code}, ${got ?? 'no'} frames of ${frames})`);
  }
  await rename(partial, path);
  return { path, generatedMs: Math.round(performance.now() - t0) };
}

/** Runs one measurement in a fresh Node process and parses the JSON line it prints. */
async function spawnRun(run: RunName, video: string): Promise<RunResult> {
  const script = fileURLToPath(import.meta.url);
  const forward = (['slow-ms', 'high-water-mark', 'sample-ms', 'max-rss-mb', 'max-seconds'] as const).flatMap((k) => [`--${k}`, String(argv[k])]);
  const args = [script, '--run', run, '--video', video, '--minutes', String(params.minutes), ...forward];
  const { code, stdout } = await exec(process.execPath, args, true);
  const line = stdout.trim().split('\n').at(-1);
  if (code !== 0 || !line) throw new Error(`run ${run} exited with code ${code} and printed no result`);
  return JSON.parse(line) as RunResult;
}

const fmt = (x: number, digits = 1): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const signed = (x: number, digits = 1): string => (x >= 0 ? '+' : '') + fmt(x, digits);

function markdownTable(a: RunResult, b: RunResult): string {
  const pass = a.stopReason === 'completed' && a.peakRssMb < params.targetPeakRssMb;
  const framesCell = (r: RunResult) => `${r.frames}${r.expectedFrames === null ? '' : ` / ${r.expectedFrames}`}`;
  const stopCell = (r: RunResult) => (r.error ? `${r.stopReason} (${r.error})` : r.stopReason);
  const rows: Array<[string, string, string]> = [
    ['Pipeline', `pipeSource(..., concatMap(slow), { highWaterMark: ${params.highWaterMark} })`, 'sourceFrames$(...).pipe(concatMap(slow))'],
    ['Frames processed', framesCell(a), framesCell(b)],
    ['Stopped because', stopCell(a), stopCell(b)],
    ['Wall time (s)', fmt(a.wallMs / 1000), fmt(b.wallMs / 1000)],
    ['Throughput (frames/s)', fmt(a.fps), fmt(b.fps)],
    ['Baseline RSS (MiB)', fmt(a.baselineRssMb), fmt(b.baselineRssMb)],
    ['Peak RSS (MiB)', fmt(a.peakRssMb), fmt(b.peakRssMb)],
    ['RSS at 10 % / 50 % / 90 % of run (MiB)', ...([a, b].map((r) => `${fmt(r.rssAtMb.p10)} / ${fmt(r.rssAtMb.p50)} / ${fmt(r.rssAtMb.p90)}`) as [string, string])],
    ['RSS slope, 2nd half (MiB/min)', signed(a.rssSlopeMbPerMinSecondHalf, 2), signed(b.rssSlopeMbPerMinSecondHalf, 2)],
    ['RSS slope, whole run (MiB/s)', signed(a.rssSlopeMbPerSecWholeRun, 2), signed(b.rssSlopeMbPerSecWholeRun, 2)],
    ['Peak heapUsed / arrayBuffers (MiB)', `${fmt(a.peakHeapUsedMb)} / ${fmt(a.peakArrayBuffersMb)}`, `${fmt(b.peakHeapUsedMb)} / ${fmt(b.peakArrayBuffersMb)}`],
    ['ffmpeg left running after stop', String(a.ffmpegAliveAfterStop), String(b.ffmpegAliveAfterStop)],
    [`Target: peak RSS < ${params.targetPeakRssMb} MiB`, pass ? 'PASS' : 'FAIL', '(contrast only)'],
  ];
  const header: [string, string, string] = ['Metric', 'A: with backpressure', 'B: no backpressure'];
  const widths = [0, 1, 2].map((i) => Math.max(...[header, ...rows].map((r) => r[i]?.length ?? 0)));
  const line = (r: readonly string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function ffmpegVersion(): Promise<string> {
  const { stdout } = await exec(ffmpegBin, ['-hide_banner', '-version']).catch(() => ({ stdout: 'unknown' }));
  return stdout.split('\n')[0]?.trim() ?? 'unknown';
}

async function main(): Promise<void> {
  if (argv.run !== undefined) {
    // Child mode.
    const run = RUNS.find((r) => r === argv.run);
    if (!run || !argv.video) throw new Error(`--run must be one of ${RUNS.join(', ')} and --video must be set`);
    const result = await runChild(run, argv.video);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    // A clean run exits by itself; anything still holding the event loop after 10 s is a leak worth reporting.
    setTimeout(() => {
      process.stderr.write(`  [${run}] event loop still busy 10 s after the run; exiting\n`);
      process.exit(0);
    }, 10_000).unref();
    return;
  }

  const startedAt = new Date().toISOString();
  const video = await ensureVideo();
  process.stderr.write(`Video: ${relative(REPO_ROOT, video.path)} (${video.generatedMs === null ? 'cached' : `generated in ${fmt(video.generatedMs / 1000)} s`})\n`);
  process.stderr.write(`Run A (backpressure, highWaterMark ${params.highWaterMark}, ${params.slowMs} ms/frame)...\n`);
  const a = await spawnRun('backpressure', video.path);
  process.stderr.write(`Run B (no backpressure; stops at ${params.maxRssMb} MiB RSS or ${params.maxSeconds} s)...\n`);
  const b = await spawnRun('no-backpressure', video.path);

  const table = markdownTable(a, b);
  process.stdout.write(`\n${table}\n\n`);

  const pass = a.stopReason === 'completed' && a.peakRssMb < params.targetPeakRssMb;
  const report = {
    benchmark: 'backpressure',
    startedAt,
    parameters: { ...params, video: relative(REPO_ROOT, video.path), videoGeneratedMs: video.generatedMs },
    environment: {
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      cpuCount: cpus().length,
      totalMemMb: Math.round(totalmem() / MIB),
      ffmpeg: await ffmpegVersion(),
    },
    target: { metric: 'backpressure.peakRssMb', below: params.targetPeakRssMb, pass },
    runs: Object.fromEntries(
      [a, b].map((r) => [r.run, { ...r, samples: undefined, sampleCount: r.samples.length, series: downsample(r.samples, MAX_SERIES_POINTS) }]),
    ),
    table,
  };
  await mkdir(dirname(RESULTS_PATH), { recursive: true });
  const tmp = `${RESULTS_PATH}.tmp`;
  await writeFile(tmp, `${JSON.stringify(report, null, 2)}\n`);
  await rename(tmp, RESULTS_PATH);
  process.stderr.write(`Wrote ${relative(REPO_ROOT, RESULTS_PATH)}\n`);
  if (!pass) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
