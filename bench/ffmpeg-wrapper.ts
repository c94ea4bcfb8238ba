/**
 * Spawning ffmpeg ourselves vs fluent-ffmpeg, for reading video as raw frames (the design question of the
 * foundation issue). Both decode the same 720p clip to rgb24 over a pipe and count whole frames; runs alternate
 * A/B so machine noise hits both alike. Reports medians of wall time, time to first frame and probe time.
 *
 *   npm run build && node dist/bench/ffmpeg-wrapper.js [--runs 7] [--frames 300]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ffmpegFluent from 'fluent-ffmpeg';
import type { PassThrough } from 'node:stream';
import { lastValueFrom, count, tap } from 'rxjs';
import { ffprobe, readRecords } from '../src/stream/ffmpeg.js';
import { openVideo, sourceFrames$ } from '../src/index.js';

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const runs = arg('runs', 7);
const frames = arg('frames', 300);
const width = 1280;
const height = 720;

const outDir = '.bench-out';
mkdirSync(outDir, { recursive: true });
const clip = join(outDir, `wrapper-${width}x${height}-${frames}.mp4`);
if (!existsSync(clip)) {
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=30`, '-frames:v', String(frames), '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-y', clip]);
}
const frameBytes = width * height * 3;

interface Timing {
  wallMs: number;
  firstFrameMs: number;
  frames: number;
}

/** Our path: openVideo (ffprobe + spawn) through the public API. */
async function ours(): Promise<Timing> {
  const t0 = performance.now();
  let first = 0;
  const source = await openVideo(clip);
  const n = await lastValueFrom(
    sourceFrames$(source).pipe(
      tap(() => {
        if (first === 0) first = performance.now() - t0;
      }),
      count(),
    ),
  );
  return { wallMs: performance.now() - t0, firstFrameMs: first, frames: n };
}

/** fluent-ffmpeg: ffprobe through it, then a rawvideo pipe, cut into frames by the same reader as ours. */
async function fluent(): Promise<Timing> {
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => ffmpegFluent.ffprobe(clip, (error) => (error ? reject(error) : resolve())));
  let first = 0;
  let n = 0;
  let failure: unknown;
  const command = ffmpegFluent(clip).outputOptions(['-map', '0:v:0', '-pix_fmt', 'rgb24']).format('rawvideo').on('error', (e: unknown) => (failure = e));
  for await (const _frame of readRecords(command.pipe() as PassThrough, frameBytes, () => undefined)) {
    if (n++ === 0) first = performance.now() - t0;
  }
  if (failure) throw failure;
  return { wallMs: performance.now() - t0, firstFrameMs: first, frames: n };
}

async function probeOurs(): Promise<number> {
  const t0 = performance.now();
  await ffprobe(clip);
  return performance.now() - t0;
}
async function probeFluent(): Promise<number> {
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => ffmpegFluent.ffprobe(clip, (error) => (error ? reject(error) : resolve())));
  return performance.now() - t0;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const a: Timing[] = [];
const b: Timing[] = [];
const pa: number[] = [];
const pb: number[] = [];
await ours(); // warm-up (page cache, first spawn)
await fluent();
for (let i = 0; i < runs; i++) {
  a.push(await ours());
  b.push(await fluent());
  pa.push(await probeOurs());
  pb.push(await probeFluent());
}
if (a.some((t) => t.frames !== frames) || b.some((t) => t.frames !== frames)) throw new Error(`frame counts differ from ${frames}`);

const rows = [
  ['decode 720p to rgb24, wall (ms)', median(a.map((t) => t.wallMs)), median(b.map((t) => t.wallMs))],
  ['time to first frame (ms)', median(a.map((t) => t.firstFrameMs)), median(b.map((t) => t.firstFrameMs))],
  ['probe (ms)', median(pa), median(pb)],
] as const;
console.log(`\nffmpeg wrapper: spawn vs fluent-ffmpeg, ${frames} frames ${width}x${height}, median of ${runs} alternating runs\n`);
console.log('| measure | spawn (ours) | fluent-ffmpeg 2.1.3 | fluent / ours |');
console.log('|---|---:|---:|---:|');
for (const [name, ours, theirs] of rows) console.log(`| ${name} | ${ours.toFixed(1)} | ${theirs.toFixed(1)} | ${(theirs / ours).toFixed(2)} |`);
const result = {
  benchmark: 'ffmpeg-wrapper',
  date: new Date().toISOString(),
  parameters: { runs, frames, width, height, clip },
  medians: Object.fromEntries(rows.map(([name, o, f]) => [name, { spawn: o, fluentFfmpeg: f, ratio: f / o }])),
  raw: { spawn: a, fluentFfmpeg: b, probeSpawnMs: pa, probeFluentMs: pb },
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/ffmpeg-wrapper.json', `${JSON.stringify(result, null, 2)}\n`);
console.log('\nwrote bench/results/ffmpeg-wrapper.json');
