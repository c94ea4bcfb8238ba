/**
 * The worker side of queued synthesis (`promotion worker --queue redis://...`): takes one sequence job at a time
 * (or `concurrency`), checks that its paths are visible here, and runs it exactly as `promotion synth` would on
 * one machine (`runSynthJob`: staged, moved into place when complete, skipped when already complete). A worker
 * that dies holding a job stops renewing its lock; after `lockDurationMs` another worker's stalled-job check puts
 * the job back and someone else runs it, removing the dead worker's staging folder first. A job that fails is
 * retried with back-off up to its attempts, then reported to the planner with its error. Ctrl-C puts the running
 * job back in the queue (no attempt used) and stops.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Job } from 'bullmq';
import { PathNotSharedError } from '../errors.js';
import { runSynthJob, type SynthJobResult } from '../blur-synthesis/dataset-writer.js';
import { AbortedError } from '../stream/abort.js';
import { VERSION } from '../version.js';
import type { QueueConnection } from './redis-queue.js';
import { checkQueueRecord, type JobFrameProgress, QUEUE_MARKER, type QueuedSynthJob, readQueueMarker, SYNTH_JOB_FORMAT } from './synth-queue.js';

/** How long a job's lock lasts without renewal before another worker takes the job over (ms; `--stall-timeout`). */
export const DEFAULT_LOCK_DURATION_MS = 60_000;

/** What a worker reports as it goes. */
export type WorkerEvent =
  | { readonly kind: 'started'; readonly sequence: string; readonly attempt: number }
  | { readonly kind: 'completed'; readonly result: SynthJobResult }
  | { readonly kind: 'failed'; readonly sequence: string; readonly reason: string; readonly attempt: number; readonly attempts: number };

/** Options of {@link runSynthWorker}. */
export interface SynthWorkerOptions {
  /** Sequences run at once (default 1). */
  readonly concurrency?: number;
  /** Worker threads within each sequence (`SynthesisOptions.threads`; default 1). */
  readonly threads?: number;
  /** See {@link DEFAULT_LOCK_DURATION_MS}. */
  readonly lockDurationMs?: number;
  /** Stop once the queue has held nothing to do for this long (ms); default: run until `signal` aborts. */
  readonly idleExitMs?: number;
  /** The worker's name in the queue (default `<host>:<pid>`). */
  readonly name?: string;
  /** Ctrl-C: the running jobs go back to the queue and the worker stops. */
  readonly signal: AbortSignal;
  readonly onEvent?: (event: WorkerEvent) => void;
}

/** Counts of what a worker did. */
export interface SynthWorkerSummary {
  readonly completed: number;
  readonly failed: number;
}

/** Checks that a job's input and its prepared output folder are visible on this machine (before anything is written). */
export function checkJobPaths(data: QueuedSynthJob): void {
  const here = hostname();
  if (!existsSync(data.job.input)) {
    throw new PathNotSharedError(
      data.job.input,
      `Input ${data.job.input} of sequence ${data.job.id} is not visible on ${here}. Queued inputs must live on a path every worker sees (a network mount at the same place on every machine); mount it here, or run this sequence where it is.`,
    );
  }
  const marker = readQueueMarker(data.outputRoot);
  if (marker !== data.queueId) {
    throw new PathNotSharedError(
      data.outputRoot,
      `Output folder ${data.outputRoot} of sequence ${data.job.id} is not the one the planner prepared, as seen from ${here} (${marker === undefined ? `it holds no ${QUEUE_MARKER}` : `its ${QUEUE_MARKER} names another queue`}). The output must live on a path every worker sees (a network mount at the same place on every machine); mount it here.`,
    );
  }
}

/**
 * Runs a worker on the queue until `signal` aborts (or, with `idleExitMs`, until the queue has been empty that
 * long). Refuses a queue made by a version with another job format before taking anything.
 */
export async function runSynthWorker(conn: QueueConnection, options: SynthWorkerOptions): Promise<SynthWorkerSummary> {
  await checkQueueRecord(conn, false);
  const threads = options.threads ?? 1;
  const emit = options.onEvent ?? (() => undefined);
  let completed = 0;
  let failed = 0;
  let running = 0;
  const stop = new AbortController();
  const { UnrecoverableError, WaitingError } = conn.errors;
  const processor = async (job: Job<QueuedSynthJob, SynthJobResult>, token?: string): Promise<SynthJobResult> => {
    const data = job.data;
    if (data?.format !== SYNTH_JOB_FORMAT) {
      throw new UnrecoverableError(`Job ${job.id} has job format ${String(data?.format)} (made by ${data?.toolVersion ?? 'an unknown version'}); this worker (${VERSION}) reads format ${SYNTH_JOB_FORMAT}. Run a worker of the version that planned it.`);
    }
    running++;
    try {
      checkJobPaths(data);
      emit({ kind: 'started', sequence: data.job.id, attempt: job.attemptsMade + 1 });
      let frames = 0;
      let reported = 0;
      const result = await runSynthJob(
        { ...data.job, synthesis: { ...data.job.synthesis, ...(threads > 1 ? { threads } : {}) } },
        () => {
          frames++;
          // At most one progress write a second.
          if (performance.now() - reported > 1000) {
            reported = performance.now();
            void job.updateProgress({ frames } satisfies JobFrameProgress).catch(() => undefined);
          }
        },
        stop.signal,
      );
      return result;
    } catch (error) {
      if (error instanceof AbortedError && token !== undefined) {
        // Ctrl-C: the sequence goes back to the queue for another worker, without using an attempt.
        await job.moveToWait(token);
        throw new WaitingError();
      }
      throw error;
    } finally {
      running--;
    }
  };
  const worker = conn.worker<QueuedSynthJob, SynthJobResult>(processor, {
    concurrency: options.concurrency ?? 1,
    lockDurationMs: options.lockDurationMs ?? DEFAULT_LOCK_DURATION_MS,
    maxStalledCount: 3,
    name: options.name ?? `${hostname()}:${process.pid}`,
  });
  worker.on('error', () => undefined); // connection trouble: BullMQ reconnects
  worker.on('completed', (_job, result) => {
    completed++;
    emit({ kind: 'completed', result });
  });
  worker.on('failed', (job, error) => {
    if (!job || error instanceof WaitingError || error.name === 'WaitingError') return;
    failed++;
    emit({ kind: 'failed', sequence: job.data?.job?.id ?? job.name, reason: error.message, attempt: job.attemptsMade, attempts: job.opts.attempts ?? 1 });
  });
  const runs = worker.run();
  await new Promise<void>((resolve) => {
    const finish = () => {
      clearInterval(idleTimer);
      options.signal.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => {
      stop.abort();
      finish();
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    let idleSince = performance.now();
    const idleTimer = setInterval(() => {
      if (options.idleExitMs === undefined) return;
      void conn.queue
        .getJobCounts('waiting', 'active', 'delayed', 'prioritized')
        .then((counts) => {
          const pending = Object.values(counts).reduce((a, b) => a + b, 0);
          if (pending > 0 || running > 0) idleSince = performance.now();
          else if (performance.now() - idleSince >= options.idleExitMs!) finish();
        })
        .catch(() => undefined);
    }, 500);
    if (options.signal.aborted) onAbort();
  });
  // Wait for the running jobs to finish (or, after Ctrl-C, to go back to the queue) before closing.
  await worker.close();
  await runs.catch(() => undefined);
  return { completed, failed };
}
