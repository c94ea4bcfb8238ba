/** `promotion synth <input...> -o <dir>`: blurred/sharp pairs and motion maps for every sequence of the inputs. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { concatMap, from, lastValueFrom, toArray } from 'rxjs';
import { runSynthJob, type SynthJob, type SynthJobResult } from '../../blur-synthesis/dataset-writer.js';
import { planSynthJobs } from '../../blur-synthesis/plan.js';
import { DEFAULT_SYNTHESIS_FLOW, DEFAULT_VIRTUAL_FPS, synthesisParameters, synthesisWorkerPath } from '../../blur-synthesis/synthesize.js';
import { DEFAULT_SYNTHESIS_GAMMA } from '../../blur-synthesis/exposure-context.js';
import { DEFAULT_MOTION_MAP_KIND } from '../../flow/motion-map.js';
import { availableParallelism } from 'node:os';
import { InvalidOptionError } from '../../errors.js';
import { expectInteger, expectOneOf, withFlagNames } from '../../options.js';
import { checkOutputLocation, checkOutputNotInput } from '../../stream/atomic.js';
import { mapInWorkers } from '../../stream/worker-map.js';
import { AbortedError, untilAborted } from '../../stream/abort.js';
import { DEFAULT_SEQUENCE_FPS } from '../../stream/image-sequence-source.js';
import { openVideo } from '../../stream/video-source.js';
import type { CliIo, RunTask } from '../io.js';
import { renderProgress } from '../progress-bar.js';
import { num, list } from '../args.js';
import type { Command } from 'commander';
import { connectQueue, DEFAULT_QUEUE_NAME, parseQueueUrl } from '../../queue/redis-queue.js';
import { checkQueueRecord, DEFAULT_ATTEMPTS } from '../../queue/synth-queue.js';
import { synthQueued } from './synth-queued.js';

/** Options of the synth command (strings from commander). */
export interface SynthCommandOptions {
  output: string;
  virtualFps?: string;
  exposureFrames?: string;
  gamma?: string;
  method?: string;
  motionKind?: string;
  subjects?: string;
  actions?: string;
  sequences?: string;
  maxFrames?: string;
  workers?: string;
  threads?: string;
  flowFinestLevel?: string;
  overwrite?: boolean;
  json?: boolean;
  progress?: boolean;
  queue?: string;
  queueName?: string;
  attempts?: string;
  detach?: boolean;
}


/** The flags that set the synthesis options, for messages (see withFlagNames). */
const SYNTH_FLAGS = { virtualFps: '--virtual-fps', exposureFrames: '--exposure-frames', gamma: '--gamma', method: '--method', finestLevel: '--flow-finest-level', threads: '--threads', maxFrames: '--max-frames' };

export async function synthCommand(inputs: string[], options: SynthCommandOptions, io: CliIo): Promise<void> {
  return withFlagNames(SYNTH_FLAGS, () => synth(inputs, options, io));
}

async function synth(given: string[], options: SynthCommandOptions, io: CliIo): Promise<void> {
  // Queued jobs carry absolute paths: workers run elsewhere, from other folders.
  const inputs = options.queue === undefined ? given : given.map((p) => resolve(p));
  if (options.queue !== undefined) options = { ...options, output: resolve(options.output) };
  const synthesis = {
    ...(options.virtualFps !== undefined ? { virtualFps: num(options.virtualFps) as number } : {}),
    ...(options.exposureFrames !== undefined ? { exposureFrames: num(options.exposureFrames) as number } : {}),
    ...(options.gamma !== undefined ? { gamma: num(options.gamma) as number } : {}),
    ...(options.method !== undefined ? { method: expectOneOf('--method', options.method, ['path', 'explicit'] as const) } : {}),
    ...(options.flowFinestLevel !== undefined ? { flow: { finestLevel: num(options.flowFinestLevel) as number } } : {}),
  };
  const motionKind = expectOneOf('--motion-kind', options.motionKind ?? DEFAULT_MOTION_MAP_KIND, ['magnitude', 'colour'] as const);
  const maxFrames = options.maxFrames === undefined ? undefined : expectInteger('--max-frames', num(options.maxFrames), 2);
  const workers = expectInteger('--workers', num(options.workers ?? '1'), 1, 64);
  if (options.queue === undefined) {
    for (const [flag, value] of [['--queue-name', options.queueName], ['--attempts', options.attempts], ['--detach', options.detach]] as const) {
      if (value !== undefined) throw new InvalidOptionError(`${flag} goes with --queue redis://host:port[/db]; without --queue, synth runs on this machine.`);
    }
  } else {
    for (const [flag, value] of [['--workers', options.workers], ['--threads', options.threads]] as const) {
      if (value !== undefined) throw new InvalidOptionError(`${flag} does not go with --queue: queued sequences run in \`promotion worker\` processes, which take --concurrency and --threads.`);
    }
  }
  const attempts = expectInteger('--attempts', num(options.attempts ?? String(DEFAULT_ATTEMPTS)), 1, 100);
  const queueAddress = options.queue === undefined ? undefined : parseQueueUrl(options.queue, options.queueName ?? DEFAULT_QUEUE_NAME);
  // Threads per sequence: by default the cores left per worker, when the compiled synthesis worker is available.
  const autoThreads = options.method !== 'explicit' && existsSync(synthesisWorkerPath()) ? Math.max(1, Math.floor(availableParallelism() / workers)) : 1;
  const threads = expectInteger('--threads', num(options.threads ?? String(autoThreads)), 1, 64);
  const base = { synthesis: { ...synthesis, ...(threads > 1 ? { threads } : {}) }, motionKind, overwrite: options.overwrite ?? false, ...(maxFrames !== undefined ? { maxFrames } : {}) };
  const selection = {
    ...(options.subjects ? { subjects: list(options.subjects)! } : {}),
    ...(options.actions ? { actions: list(options.actions)! } : {}),
    ...(options.sequences ? { sequences: list(options.sequences)! } : {}),
  };
  // An output that is or holds an input, or that cannot be written, is refused before anything is planned
  // (planning copies camera files).
  checkOutputNotInput(options.output, inputs);
  checkOutputLocation(options.output, 'folder');
  // The queue is reached and checked before anything is written (planning copies camera files).
  const conn = queueAddress ? await connectQueue(queueAddress) : undefined;
  try {
    const record = conn ? await checkQueueRecord(conn, true) : undefined;
    const jobs = await planSynthJobs(inputs, base, options.output, selection, (notice) => io.stderr.write(`${notice}\n`));
    // Check every job's options against its own frame rate before any sequence starts, so a bad combination fails
    // now rather than hours into a long run.
    const rates: number[] = [];
    for (const job of jobs) {
      const inputFps = job.kind === 'video' ? (await openVideo(job.input)).info.fps : DEFAULT_SEQUENCE_FPS;
      rates.push(inputFps);
      try {
        synthesisParameters({ ...synthesis, inputFps });
      } catch (error) {
        if (error instanceof InvalidOptionError && jobs.length > 1) throw new InvalidOptionError(`${job.input}: ${error.message}`);
        throw error;
      }
    }
    if (conn && record) return await synthQueued(jobs, rates, { output: options.output, attempts, detach: options.detach ?? false, json: options.json ?? false, progress: options.progress !== false }, conn, record, io);
    await synthHere(jobs, workers, options, io);
  } finally {
    await conn?.close();
  }
}

/** Runs the planned sequences on this machine (in `workers` worker threads when more than one). */
async function synthHere(jobs: SynthJob[], workers: number, options: SynthCommandOptions, io: CliIo): Promise<void> {

  const started = performance.now();
  const showProgress = options.progress !== false && !options.json && (io.stderr as NodeJS.WriteStream).isTTY === true;
  let framesDone = 0;
  const draw = (label: string) => {
    if (showProgress) io.stderr.write(`\r\x1b[2K${renderProgress(label, { done: framesDone, total: undefined, elapsedMs: performance.now() - started, ratePerSecond: (framesDone * 1000) / (performance.now() - started), etaMs: undefined, complete: false })}`);
  };
  // Each sequence's line as soon as it is finished (not at the end, where a Ctrl-C or a failure would lose them).
  const report = (r: SynthJobResult) => {
    if (options.json) return;
    if (showProgress) io.stderr.write('\r\x1b[2K');
    const msPerFrame = r.frames > 0 ? Math.round(r.elapsedMs / r.frames) : null;
    io.stdout.write(`${r.status === 'done' ? 'wrote  ' : 'skipped'} ${r.id}: ${r.status === 'done' ? `${r.frames} frames, ${msPerFrame} ms/frame` : 'already complete'} -> ${r.outDir}${r.note !== undefined ? ` (made again: ${r.note})` : ''}\n`);
  };
  const workerModule = fileURLToPath(new URL('../../blur-synthesis/sequence-worker.js', import.meta.url));
  let results: SynthJobResult[];
  if (workers > 1 && jobs.length > 1 && existsSync(workerModule)) {
    results = await lastValueFrom(
      from(jobs).pipe(
        // Ctrl-C ends the stream, which terminates the workers; the staging folders they leave are removed on the
        // next run (see removeStaleStaging).
        untilAborted(io.signal, 'error'),
        mapInWorkers<SynthJob, SynthJobResult>(workerModule, { concurrency: Math.min(workers, jobs.length) }),
        concatMap(async (r) => {
          framesDone += r.frames;
          report(r);
          draw(`synth ${r.id}`);
          return r;
        }),
        toArray(),
      ),
    );
  } else {
    results = [];
    for (const job of jobs) {
      if (io.signal.aborted) throw new AbortedError();
      const result = await runSynthJob(
        job,
        () => {
          framesDone++;
          draw(`synth ${job.id}`);
        },
        io.signal,
      );
      report(result);
      results.push(result);
    }
  }
  if (showProgress) io.stderr.write('\n');
  const elapsedMs = performance.now() - started;
  const done = results.filter((r) => r.status === 'done');
  const summary = {
    output: options.output,
    sequences: results.map((r) => ({ id: r.id, status: r.status, frames: r.frames, outDir: r.outDir, msPerFrame: r.frames > 0 ? Math.round(r.elapsedMs / r.frames) : null, ...(r.note !== undefined ? { note: r.note } : {}) })),
    framesWritten: done.reduce((a, r) => a + r.frames, 0),
    skipped: results.length - done.length,
    elapsedMs: Math.round(elapsedMs),
  };
  if (options.json) {
    io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  io.stdout.write(`${summary.framesWritten} frames in ${done.length} sequences (${summary.skipped} skipped) in ${(elapsedMs / 1000).toFixed(1)} s.\n`);
}

/** Adds `promotion synth` to the program: its flags, their help and defaults, and the action. */
export function defineSynthCommand(program: Command, io: CliIo, run: RunTask): void {
  program
    .command('synth')
    .description('Synthesize realistic blur (1920 fps interpolation, linear-light averaging) for videos, image folders and FPHA data: writes sharp/, blur/, motion/ and synthesis.json per sequence; resumes.')
    .argument('<inputs...>', 'videos, image folders, FPHA sequence folders or FPHA roots')
    .requiredOption('-o, --output <dir>', 'output dataset folder')
    .option('--virtual-fps <n>', `virtual frame rate, a multiple of the input rate (default ${DEFAULT_VIRTUAL_FPS})`)
    .option('--exposure-frames <n>', 'virtual frames averaged per output frame (default: one interval, 64 at 30 fps; at most two intervals)')
    .option('--gamma <g>', `gamma of the signal-space transform (default ${DEFAULT_SYNTHESIS_GAMMA})`)
    .option('--method <path|explicit>', 'path integration (default) or explicit virtual frames (slow reference)')
    .option('--motion-kind <magnitude|colour>', `motion map definition (default ${DEFAULT_MOTION_MAP_KIND})`)
    .option('--subjects <list>', 'FPHA roots: comma-separated subjects (e.g. Subject_1,Subject_2)')
    .option('--actions <list>', 'FPHA roots: comma-separated actions')
    .option('--sequences <list>', 'FPHA roots: comma-separated sequence numbers')
    .option('--max-frames <n>', 'frames per sequence at most')
    .option('--workers <n>', 'sequences synthesized in parallel worker threads (default 1)')
    .option('--threads <n>', 'worker threads within each sequence (flows side by side, the integral in bands; default: the cores per worker)')
    .option('--flow-finest-level <n>', `finest optical-flow pyramid level for the interpolation (default ${DEFAULT_SYNTHESIS_FLOW.finestLevel}; 1: half resolution, 0: full, slower)`)
    .option('--queue <url>', 'plan and enqueue one job per sequence on the Redis server at redis://host:port[/db] for `promotion worker` processes, then follow them (inputs and output must be on paths every worker sees)')
    .option('--queue-name <name>', `with --queue: the queue's name (default ${DEFAULT_QUEUE_NAME})`)
    .option('--attempts <n>', `with --queue: tries per sequence before it is reported as failed (default ${DEFAULT_ATTEMPTS})`)
    .option('--detach', 'with --queue: return once enqueued (follow later with promotion progress --queue <url>)')
    .option('--overwrite', 'redo sequences that are already complete')
    .option('--no-progress', 'no progress line')
    .option('--json', 'print a JSON summary')
    .action((inputs: string[], options: SynthCommandOptions) => run(() => synthCommand(inputs, options, io)));
}
