/**
 * Queued synthesis benchmark: `promotion synth --queue` and `promotion worker` processes on a redis-server started
 * on a loopback port, as a user would run them.
 *
 *   npm run build && node dist/bench/queue.js [--sequences 8] [--frames 8] [--size 640x480] [--overhead-jobs 40]
 *
 * Measures (every figure from BullMQ's own job timestamps and the workers' results):
 *   - sequences per hour with 1 worker (2 threads) and with 2 workers (1 thread each) on this machine;
 *   - the queue's overhead per job: what a worker spends on a job beyond synthesizing it (checks, lock, progress,
 *     result) plus the gap before it starts the next, on tiny sequences where synthesis costs almost nothing;
 *   - ms per frame at 1920x1080 through a worker, and from it a worked estimate for all of FPHA (1,175 sequences,
 *     about 105,000 frames at 1920x1080) on N machines like this one.
 * Needs Debian's redis-server and lomiri-wallpapers-16.04 (the scene photo). Writes bench/results/queue.json.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { renderScene, steadyTrajectory, trajectoryFromParameters } from '../src/blur-synthesis/exact.js';
import type { SynthJobResult } from '../src/blur-synthesis/dataset-writer.js';
import { connectQueue, parseQueueUrl } from '../src/queue/redis-queue.js';
import { toFloatFrame, toIntegerFrame } from '../src/stream/frame.js';
import { decodeImageFit, encodeImage } from '../src/stream/image-codec.js';

const { values } = parseArgs({
  options: {
    sequences: { type: 'string', default: '8' },
    frames: { type: 'string', default: '8' },
    size: { type: 'string', default: '640x480' },
    'overhead-jobs': { type: 'string', default: '40' },
    'hd-frames': { type: 'string', default: '4' },
    photo: { type: 'string', default: '/usr/share/backgrounds/life_by_Aitzol_Berasategi.jpg' },
  },
});
const SEQUENCES = Number(values.sequences);
const FRAMES = Number(values.frames);
const [W, H] = values.size.split('x').map(Number) as [number, number];
const OVERHEAD_JOBS = Number(values['overhead-jobs']);
const HD_FRAMES = Number(values['hd-frames']);
// FPHA as the issue counts it.
const FPHA = { sequences: 1175, frames: 105_000, size: '1920x1080' };

if (spawnSync('redis-server', ['--version']).status !== 0) {
  console.error('redis-server is missing: sudo apt-get install -y redis-server');
  process.exit(2);
}
if (!existsSync(values.photo)) {
  console.error(`Missing ${values.photo}: apt-get install -y lomiri-wallpapers-16.04, or pass --photo.`);
  process.exit(2);
}
const CLI = join(import.meta.dirname, '..', 'src', 'cli', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'queue-bench-'));

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function startRedis(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => {
    let log = '';
    child.stdout!.on('data', (c: Buffer) => {
      log += c.toString();
      if (log.includes('Ready to accept connections')) resolve();
    });
  });
  child.stdout!.resume();
  return { url: `redis://127.0.0.1:${port}`, child };
}

/** `count` sequences of `frames` PNGs of a textured pan at w x h, one folder each. */
async function makeSequences(root: string, count: number, frames: number, w: number, h: number): Promise<string[]> {
  const photo = toFloatFrame(await decodeImageFit(values.photo, 'uint16', 2 * w, 2 * h), { light: 'linear' });
  const background = { width: photo.width, height: photo.height, data: photo.data };
  const folders: string[] = [];
  for (let s = 0; s < count; s++) {
    const folder = join(root, `seq${String(s).padStart(3, '0')}`);
    mkdirSync(folder, { recursive: true });
    const scene = { background, width: w, height: h, camera: trajectoryFromParameters(steadyTrajectory({ start: { x: photo.width / 2 - 40 + 10 * (s % 8), y: photo.height / 2 }, velocity: { x: 6 + (s % 5), y: 1 + (s % 3) } })) };
    for (let k = 0; k < frames; k++) {
      const img = renderScene(scene, k);
      const frame = toIntegerFrame({ width: w, height: h, channels: 3, index: k, timestampMs: 0, sampleType: 'float32', light: 'linear', data: img.data }, 'uint8');
      writeFileSync(join(folder, `f${String(k).padStart(4, '0')}.png`), await encodeImage(frame, 'png'));
    }
    folders.push(folder);
  }
  return folders;
}

function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) => resolve({ code, out, err }));
  });
}

interface JobTiming {
  readonly sequence: string;
  readonly worker: string;
  readonly processedOn: number;
  readonly finishedOn: number;
  readonly synthMs: number;
  readonly frames: number;
}

/** Plans `inputs` into a fresh queue, runs `workers` worker processes until it is empty, and reads the job timings. */
async function runPlan(url: string, queueName: string, inputs: string[], out: string, workers: number, threads: number): Promise<{ jobs: JobTiming[]; plannerMs: number; wallMs: number }> {
  const t0 = performance.now();
  const planned = await run(['synth', ...inputs, '-o', out, '--queue', url, '--queue-name', queueName, '--detach', '--json']);
  const plannerMs = performance.now() - t0;
  if (planned.code !== 0) throw new Error(`planner failed: ${planned.err}`);
  const t1 = performance.now();
  const results = await Promise.all(Array.from({ length: workers }, (_, i) => run(['worker', '--queue', url, '--queue-name', queueName, '--threads', String(threads), '--idle-exit', '1', '--name', `w${i}`, '--json'])));
  const wallMs = performance.now() - t1;
  for (const r of results) if (r.code !== 0) throw new Error(`worker failed: ${r.err}`);
  const conn = await connectQueue(parseQueueUrl(url, queueName));
  try {
    const completed = await conn.queue.getCompleted(0, -1);
    const failed = await conn.queue.getFailedCount();
    if (failed > 0 || completed.length !== inputs.length) throw new Error(`${completed.length} of ${inputs.length} jobs completed, ${failed} failed`);
    const jobs = completed.map((job) => {
      const result = job.returnvalue as SynthJobResult;
      return { sequence: result.id, worker: job.processedBy ?? '?', processedOn: job.processedOn!, finishedOn: job.finishedOn!, synthMs: result.elapsedMs, frames: result.frames };
    });
    return { jobs, plannerMs, wallMs };
  } finally {
    await conn.close();
  }
}

/** Per job: time in the worker beyond synthesis, plus the gap before the same worker's next job. */
function overheads(jobs: readonly JobTiming[]): { perJobMs: number; inWorkerMs: number; gapMs: number } {
  const inWorker = jobs.map((j) => j.finishedOn - j.processedOn - j.synthMs);
  const gaps: number[] = [];
  for (const worker of new Set(jobs.map((j) => j.worker))) {
    const mine = jobs.filter((j) => j.worker === worker).sort((a, b) => a.processedOn - b.processedOn);
    for (let i = 1; i < mine.length; i++) gaps.push(mine[i]!.processedOn - mine[i - 1]!.finishedOn);
  }
  const mean = (xs: number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
  return { perJobMs: mean(inWorker) + mean(gaps), inWorkerMs: mean(inWorker), gapMs: mean(gaps) };
}

const span = (jobs: readonly JobTiming[]) => Math.max(...jobs.map((j) => j.finishedOn)) - Math.min(...jobs.map((j) => j.processedOn));

const redis = await startRedis();
const loadBefore = loadavg();
try {
  console.error(`Making ${SEQUENCES} sequences of ${FRAMES} frames at ${W}x${H}, ${OVERHEAD_JOBS} tiny ones, one of ${HD_FRAMES} frames at 1920x1080...`);
  const inputs = await makeSequences(join(work, 'in'), SEQUENCES, FRAMES, W, H);
  const tiny = await makeSequences(join(work, 'tiny'), OVERHEAD_JOBS, 2, 32, 24);
  const hd = await makeSequences(join(work, 'hd'), 1, HD_FRAMES, 1920, 1080);

  const throughput: Array<{ workers: number; threadsPerWorker: number; sequences: number; frames: number; spanMs: number; sequencesPerHour: number; framesPerHour: number; meanMsPerFrame: number; plannerMs: number }> = [];
  for (const [workers, threads] of [
    [1, 2],
    [2, 1],
  ] as const) {
    console.error(`${workers} worker(s), ${threads} thread(s) each...`);
    const r = await runPlan(redis.url, `bench-${workers}`, inputs, join(work, `out-${workers}`), workers, threads);
    const ms = span(r.jobs);
    const frames = r.jobs.reduce((a, j) => a + j.frames, 0);
    throughput.push({
      workers,
      threadsPerWorker: threads,
      sequences: r.jobs.length,
      frames,
      spanMs: Math.round(ms),
      sequencesPerHour: (r.jobs.length / ms) * 3_600_000,
      framesPerHour: (frames / ms) * 3_600_000,
      meanMsPerFrame: r.jobs.reduce((a, j) => a + j.synthMs, 0) / frames,
      plannerMs: Math.round(r.plannerMs),
    });
  }

  console.error(`Queue overhead: ${OVERHEAD_JOBS} jobs of 2 frames at 32x24, 1 worker...`);
  const tinyRun = await runPlan(redis.url, 'bench-overhead', tiny, join(work, 'out-tiny'), 1, 1);
  const overhead = { jobs: tinyRun.jobs.length, ...overheads(tinyRun.jobs), meanSynthMs: tinyRun.jobs.reduce((a, j) => a + j.synthMs, 0) / tinyRun.jobs.length, plannerMsPerJob: tinyRun.plannerMs / tinyRun.jobs.length };

  console.error(`1920x1080: ${HD_FRAMES} frames through 1 worker with 2 threads...`);
  const hdRun = await runPlan(redis.url, 'bench-hd', hd, join(work, 'out-hd'), 1, 2);
  const hdJob = hdRun.jobs[0]!;
  const hdMsPerFrame = hdJob.synthMs / hdJob.frames;

  // FPHA on N machines like this one (2 cores, one worker with 2 threads each): frames x ms/frame / N, plus the
  // queue's overhead per job, plus the planner's enqueueing (which runs once, before the workers start).
  const machines = [1, 2, 4, 8, 16, 32];
  const estimate = machines.map((n) => {
    const workMs = (FPHA.frames * hdMsPerFrame + FPHA.sequences * overhead.perJobMs) / n;
    const plannerMs = FPHA.sequences * overhead.plannerMsPerJob;
    return { machines: n, hours: (workMs + plannerMs) / 3_600_000 };
  });
  const loadAfter = loadavg();

  const f0 = (v: number) => v.toFixed(0);
  console.log(`\n## Throughput (${SEQUENCES} sequences of ${FRAMES} frames at ${W}x${H}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${loadAfter.map((l) => l.toFixed(2)).join(' ')} after)\n`);
  console.log('| workers | threads each | sequences/hour | frames/hour | ms/frame in the worker | first start to last finish (s) |');
  console.log('|---:|---:|---:|---:|---:|---:|');
  for (const t of throughput) console.log(`| ${t.workers} | ${t.threadsPerWorker} | ${f0(t.sequencesPerHour)} | ${f0(t.framesPerHour)} | ${f0(t.meanMsPerFrame)} | ${(t.spanMs / 1000).toFixed(1)} |`);
  console.log(`\n## Queue overhead per job (${overhead.jobs} jobs of 2 frames at 32x24, synthesis ${f0(overhead.meanSynthMs)} ms each)\n`);
  console.log(`in the worker beyond synthesis ${f0(overhead.inWorkerMs)} ms + gap to the next job ${f0(overhead.gapMs)} ms = ${f0(overhead.perJobMs)} ms per job; the planner: ${f0(overhead.plannerMsPerJob)} ms per job (process start, fingerprint, enqueue)`);
  console.log(`\n## FPHA (${FPHA.sequences} sequences, ${FPHA.frames} frames at ${FPHA.size}): ${f0(hdMsPerFrame)} ms per 1080p frame through a worker (2 threads)\n`);
  console.log('| machines like this one | hours |');
  console.log('|---:|---:|');
  for (const e of estimate) console.log(`| ${e.machines} | ${e.hours.toFixed(1)} |`);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    'bench/results/queue.json',
    `${JSON.stringify({ benchmark: 'queue', date: new Date().toISOString(), cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, loadAverageBefore: loadBefore, loadAverageAfter: loadAfter, workload: { sequences: SEQUENCES, frames: FRAMES, size: `${W}x${H}` }, throughput, overhead, hd: { frames: hdJob.frames, msPerFrame: hdMsPerFrame, synthMs: hdJob.synthMs }, fpha: { ...FPHA, assumptions: 'N machines like this one (2 cores), one worker with 2 threads each; the inputs and output on a shared mount that keeps up; hours = (frames x ms/frame + sequences x queue overhead per job) / N + the planner enqueueing every sequence once', estimate } }, null, 2)}\n`,
  );
  console.log('\nwrote bench/results/queue.json');
} finally {
  redis.child.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
