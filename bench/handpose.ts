/**
 * Hand-pose speed: milliseconds per frame of MediaPipe's HandLandmarker (CPU, offline, through this toolkit's
 * adapter) at 640x480 and 1920x1080, VIDEO vs IMAGE mode, full vs lite model, numHands 1.
 *
 * The frames are a real hand (test/fixtures/hands/nocurl.jpg, scaled to the frame height) on a plain background,
 * panning 1% of the width per frame and back (ping-pong, so VIDEO mode sees continuous motion). All eight
 * estimators are alive at once and are measured in interleaved rounds, so machine noise hits every configuration
 * alike. Each frame is timed around `estimate()` (RGB to RGBA copy, texture upload and read-back, inference,
 * result conversion); the table reports medians and 90th percentiles after a warm-up.
 *
 *   npm run build && node dist/bench/handpose.js [--rounds 4] [--frames-per-round 15] [--warmup 5]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { createHandLandmarker, openVideo, sourceFrames$, type Frame, type HandPoseEstimator } from '../src/index.js';
import { packageRoot } from '../src/util/package-root.js';

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const rounds = arg('rounds', 4);
const perRound = arg('frames-per-round', 15);
const warmup = arg('warmup', 5);
const uniqueFrames = 24;

const SIZES = [
  { width: 640, height: 480 },
  { width: 1920, height: 1080 },
] as const;
const MODES = ['video', 'image'] as const;
const MODELS = ['full', 'lite'] as const;

const outDir = '.bench-out';
mkdirSync(outDir, { recursive: true });
const photo = join(packageRoot(), 'test', 'fixtures', 'hands', 'nocurl.jpg');

/** `uniqueFrames` frames of the hand photo panning right on a wall-coloured background (lossless FFV1). */
async function panFrames(width: number, height: number): Promise<Frame[]> {
  const clip = join(outDir, `handpose-${width}x${height}.mkv`);
  const step = Math.round(width / 100);
  execFileSync('ffmpeg', [
    '-v', 'error', '-f', 'lavfi', '-i', `color=c=0xdcd6cc:s=${width}x${height}:r=30`, '-loop', '1', '-i', photo,
    '-filter_complex', `[1:v]scale=-2:${height}[hand];[0:v][hand]overlay=x='${Math.round(width * 0.2)}+${step}*n':y=0:shortest=1`,
    '-frames:v', String(uniqueFrames), '-c:v', 'ffv1', '-pix_fmt', 'bgr0', '-y', clip,
  ]);
  return lastValueFrom(sourceFrames$(await openVideo(clip)).pipe(toArray()));
}

/** Frame k of an endless ping-pong over `frames` (0, 1, ..., n-1, n-2, ..., 1, 0, 1, ...), with increasing timing. */
function pingPong(frames: readonly Frame[], k: number): Frame {
  const period = 2 * (frames.length - 1);
  const i = k % period;
  const frame = frames[i < frames.length ? i : period - i]!;
  return { ...frame, index: k, timestampMs: (k * 1000) / 30 };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

interface Config {
  size: (typeof SIZES)[number];
  mode: (typeof MODES)[number];
  model: (typeof MODELS)[number];
  estimator: HandPoseEstimator;
  createMs: number;
  next: number;
  timesMs: number[];
  detected: number;
}

const load = loadavg();
console.log(`Preparing frames; CPU: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}; load average ${load.map((l) => l.toFixed(2)).join(' ')}`);
const framesBySize = new Map<string, Frame[]>();
for (const size of SIZES) framesBySize.set(`${size.width}x${size.height}`, await panFrames(size.width, size.height));

const configs: Config[] = [];
for (const size of SIZES) {
  for (const mode of MODES) {
    for (const model of MODELS) {
      const t0 = performance.now();
      const estimator = await createHandLandmarker({ mode, model, numHands: 1 });
      configs.push({ size, mode, model, estimator, createMs: performance.now() - t0, next: 0, timesMs: [], detected: 0 });
    }
  }
}

async function runFrames(config: Config, count: number, record: boolean): Promise<void> {
  const frames = framesBySize.get(`${config.size.width}x${config.size.height}`)!;
  for (let i = 0; i < count; i++) {
    const frame = pingPong(frames, config.next++);
    const t0 = performance.now();
    const result = await config.estimator.estimate(frame);
    const ms = performance.now() - t0;
    if (record) {
      config.timesMs.push(ms);
      if (result.hands.length > 0) config.detected++;
    }
  }
}

for (const config of configs) await runFrames(config, warmup, false);
for (let round = 0; round < rounds; round++) {
  for (const config of round % 2 === 0 ? configs : [...configs].reverse()) await runFrames(config, perRound, true);
  console.log(`round ${round + 1}/${rounds} done`);
}
for (const config of configs) await config.estimator.close();

const rows = configs.map((c) => ({
  size: `${c.size.width}x${c.size.height}`,
  mode: c.mode.toUpperCase(),
  model: c.model,
  medianMs: median(c.timesMs),
  p90Ms: quantile(c.timesMs, 0.9),
  framesPerSecond: 1000 / median(c.timesMs),
  detectionRate: c.detected / c.timesMs.length,
  frames: c.timesMs.length,
  createMs: c.createMs,
}));

const f1 = (x: number) => x.toFixed(1);
const table = [
  '| frame size | mode | model | ms/frame (median) | p90 | frames/s | hand found | create (ms) |',
  '|---|---|---|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.size} | ${r.mode} | ${r.model} | ${f1(r.medianMs)} | ${f1(r.p90Ms)} | ${f1(r.framesPerSecond)} | ${r.detectionRate * 100 >= 99.95 ? '100' : (r.detectionRate * 100).toFixed(1)}% | ${Math.round(r.createMs)} |`),
].join('\n');
const cell = (size: string, mode: string, model: string) => f1(rows.find((r) => r.size === size && r.mode === mode && r.model === model)!.medianMs);
const sideBySide = [
  '| ms/frame (median) | VIDEO full | VIDEO lite | IMAGE full | IMAGE lite |',
  '|---|---:|---:|---:|---:|',
  ...SIZES.map(({ width, height }) => {
    const s = `${width}x${height}`;
    return `| ${s} | ${cell(s, 'VIDEO', 'full')} | ${cell(s, 'VIDEO', 'lite')} | ${cell(s, 'IMAGE', 'full')} | ${cell(s, 'IMAGE', 'lite')} |`;
  }),
].join('\n');
console.log(`\n${sideBySide}\n\n${table}\n`);

const resultsDir = join('bench', 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(
  join(resultsDir, 'handpose.json'),
  `${JSON.stringify(
    {
      benchmark: 'handpose',
      date: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, loadAverageAtStart: load, loadAverageAtEnd: loadavg() },
      parameters: { rounds, framesPerRound: perRound, warmup, uniqueFrames, numHands: 1, estimator: configs[0]!.estimator.name.replace(/ (full|lite)$/, '') },
      results: rows,
      raw: Object.fromEntries(configs.map((c) => [`${c.size.width}x${c.size.height} ${c.mode} ${c.model}`, c.timesMs.map((t) => Number(t.toFixed(2)))])),
    },
    null,
    2,
  )}\n`,
);
console.log(`Wrote ${join(resultsDir, 'handpose.json')}`);
