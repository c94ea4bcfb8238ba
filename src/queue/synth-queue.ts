/**
 * Blur synthesis spread over machines through a job queue: the planner (`promotion synth --queue`) enqueues one
 * job per sequence, workers (`promotion worker`, see synth-worker.ts) take them and write each sequence
 * atomically into the shared output, and anyone can follow the progress. Jobs carry paths and options, never
 * pixels, so inputs and outputs must live on paths every worker sees (a network mount at the same place).
 *
 * The queue keeps a record of the toolkit version that made it and its job format ({@link SYNTH_JOB_FORMAT}); a
 * planner or worker of another format refuses the queue with a {@link QueueIncompatibleError} before it writes or
 * takes anything. The output folder gets {@link QUEUE_MARKER} holding the queue's id, so a worker can tell that the
 * folder it sees is the one the planner prepared, not a local folder of the same name.
 *
 * Reruns are idempotent: the planner skips sequences whose output was made from the same input files and options
 * (the fingerprint single-machine resumes use, see `sequenceStatus`), and a job's id is the digest of that key and
 * its output folder, so enqueueing the same plan twice does not queue a sequence twice.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobsOptions } from 'bullmq';
import { QueueIncompatibleError } from '../errors.js';
import type { SynthJob, SynthJobResult, SynthKey } from '../blur-synthesis/dataset-writer.js';
import { pendingFile, writingOutput } from '../stream/atomic.js';
import { VERSION } from '../version.js';
import type { QueueConnection } from './redis-queue.js';

/**
 * The format of the jobs this version enqueues and takes. It changes when {@link QueuedSynthJob} or the meaning of
 * a field changes; a queue of another format is refused.
 */
export const SYNTH_JOB_FORMAT = 1;

/** How many times a failing sequence is tried before it is reported as failed (`--attempts`). */
export const DEFAULT_ATTEMPTS = 3;

/** The file in a queued run's output folder naming the queue that prepared it. */
export const QUEUE_MARKER = '.promotion-queue.json';

const TOOL = 'promotion-handpose';

/** What the queue records about itself (a Redis string beside BullMQ's keys, see {@link queueRecordKey}). */
export interface QueueRecord {
  readonly tool: string;
  readonly version: string;
  readonly jobFormat: number;
  /** A random id made with the record; the output folders' {@link QUEUE_MARKER} repeats it. */
  readonly queueId: string;
  readonly createdAt: string;
}

/** One queued sequence: what a worker needs, paths and options only. */
export interface QueuedSynthJob {
  readonly format: number;
  readonly toolVersion: string;
  readonly queueId: string;
  /** The output folder the planner prepared (it holds {@link QUEUE_MARKER}). */
  readonly outputRoot: string;
  /** Frames the sequence is expected to have (for progress), when known. */
  readonly frames: number | null;
  readonly job: SynthJob;
}

/** The Redis key of the queue's record. */
export function queueRecordKey(name: string): string {
  return `promotion:queue:${name}`;
}

function incompatible(conn: QueueConnection, found: string): QueueIncompatibleError {
  const { display, name } = conn.address;
  return new QueueIncompatibleError(
    display,
    `The queue '${name}' at ${display} was made by ${found}; this is ${TOOL} ${VERSION} with job format ${SYNTH_JOB_FORMAT}, which cannot read its jobs. Use another queue (--queue-name <name>, or another database: redis://host:port/<db>), or finish that queue with the version that made it.`,
  );
}

/**
 * Reads the queue's record and checks that this version can use the queue: the same job format. With `create`
 * (the planner), a queue without a record gets one, unless BullMQ jobs are already there (something else made
 * them). Resolves to the record, or undefined for a queue nobody has planned yet (a worker started first).
 */
export async function checkQueueRecord(conn: QueueConnection, create: boolean): Promise<QueueRecord | undefined> {
  const key = queueRecordKey(conn.address.name);
  const read = async (): Promise<QueueRecord | undefined> => {
    const raw = await conn.redis.get(key);
    if (raw === null) return undefined;
    let record: Partial<QueueRecord>;
    try {
      record = JSON.parse(raw) as Partial<QueueRecord>;
    } catch {
      throw incompatible(conn, `something else (its record ${key} is not JSON)`);
    }
    if (record.tool !== TOOL || record.jobFormat !== SYNTH_JOB_FORMAT || typeof record.queueId !== 'string') {
      throw incompatible(conn, `${record.tool ?? 'an unknown tool'} ${record.version ?? '(no version)'} with job format ${record.jobFormat ?? '(none)'}`);
    }
    return record as QueueRecord;
  };
  const existing = await read();
  if (existing || !create) return existing;
  const counts = await conn.queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
  const jobs = Object.values(counts).reduce((a, b) => a + b, 0);
  if (jobs > 0) throw incompatible(conn, `something other than ${TOOL} (it holds ${jobs} BullMQ jobs but no ${key} record)`);
  const record: QueueRecord = { tool: TOOL, version: VERSION, jobFormat: SYNTH_JOB_FORMAT, queueId: randomUUID(), createdAt: new Date().toISOString() };
  // NX: of two planners starting at once, one record wins and both use it.
  await conn.redis.set(key, JSON.stringify(record), 'NX');
  return (await read())!;
}

/** Writes (or rewrites) the output folder's {@link QUEUE_MARKER}, atomically. */
export async function writeQueueMarker(outputRoot: string, conn: QueueConnection, record: QueueRecord): Promise<void> {
  const out = await pendingFile(join(outputRoot, QUEUE_MARKER), true);
  try {
    const body = { tool: TOOL, version: VERSION, queue: conn.address.display, queueName: conn.address.name, queueId: record.queueId, writtenAt: new Date().toISOString() };
    await writingOutput(out.path, () => writeFile(out.tempPath, `${JSON.stringify(body, null, 2)}\n`));
    await out.commit();
  } catch (error) {
    await out.abort();
    throw error;
  }
}

/** The queue id an output folder's marker holds, or undefined when it has none (or it cannot be read). */
export function readQueueMarker(outputRoot: string): string | undefined {
  try {
    const body = JSON.parse(readFileSync(join(outputRoot, QUEUE_MARKER), 'utf8')) as { queueId?: unknown };
    return typeof body.queueId === 'string' ? body.queueId : undefined;
  } catch {
    return undefined;
  }
}

/** A job's id: the digest of what it makes and where, so the same sequence is queued once. */
export function synthJobId(job: SynthJob, key: SynthKey): string {
  return `seq-${createHash('sha256').update(JSON.stringify({ outDir: job.outDir, key, overwrite: job.overwrite })).digest('hex').slice(0, 40)}`;
}

/** What {@link enqueueSynthJobs} did. */
export interface EnqueueResult {
  /** The ids of the plan's jobs in the queue (added now or already waiting or running). */
  readonly ids: string[];
  readonly added: number;
  /** Jobs of the same sequence and key already waiting or running (another planner's, or this plan's before). */
  readonly alreadyQueued: number;
}

/**
 * Enqueues one job per sequence. A job with the same id that already finished (its output has since gone or
 * changed, or it failed) is replaced; one still waiting or running is kept. Each job may be tried `attempts` times
 * (exponential back-off from 2 s) and stall `attempts` times (a worker that died holding it).
 */
export async function enqueueSynthJobs(
  conn: QueueConnection,
  record: QueueRecord,
  outputRoot: string,
  planned: ReadonlyArray<{ readonly job: SynthJob; readonly key: SynthKey; readonly frames: number | null }>,
  attempts: number = DEFAULT_ATTEMPTS,
): Promise<EnqueueResult> {
  const ids: string[] = [];
  const toAdd: Array<{ name: string; data: QueuedSynthJob; opts: JobsOptions }> = [];
  let alreadyQueued = 0;
  for (const { job, key, frames } of planned) {
    const id = synthJobId(job, key);
    ids.push(id);
    const state = await conn.queue.getJobState(id);
    if (state === 'completed' || state === 'failed') await conn.queue.remove(id);
    else if (state !== 'unknown') {
      alreadyQueued++;
      continue;
    }
    const { synthesis, ...rest } = job;
    const { threads: _threads, ...portable } = synthesis; // each worker picks its own threads
    const data: QueuedSynthJob = { format: SYNTH_JOB_FORMAT, toolVersion: VERSION, queueId: record.queueId, outputRoot, frames, job: { ...rest, synthesis: portable } };
    toAdd.push({ name: job.id, data, opts: { jobId: id, attempts, backoff: { type: 'exponential', delay: 2000 }, removeOnComplete: false, removeOnFail: false } });
  }
  for (let i = 0; i < toAdd.length; i += 500) await conn.addJobs(toAdd.slice(i, i + 500));
  return { ids, added: toAdd.length, alreadyQueued };
}

/** A sequence that failed after its retries. */
export interface QueueFailure {
  readonly id: string;
  /** The sequence (FPHA: Subject_N/<action>/<seq>). */
  readonly sequence: string;
  readonly reason: string;
  readonly attempts: number;
}

/** Where a set of jobs stands. */
export interface QueueProgress {
  readonly total: number;
  readonly completed: number;
  readonly failed: readonly QueueFailure[];
  readonly active: number;
  readonly waiting: number;
  /** Completed jobs plus the finished fraction of the active ones (for the bar and the ETA). */
  readonly done: number;
  /** The results of the completed jobs read so far. */
  readonly results: readonly SynthJobResult[];
}

/** The frames a running job reports through BullMQ's progress. */
export interface JobFrameProgress {
  readonly frames: number;
}

const fractionOf = (progress: unknown, frames: number | null): number => {
  const done = (progress as Partial<JobFrameProgress> | undefined)?.frames;
  return typeof done === 'number' && frames !== null && frames > 0 ? Math.min(0.99, done / frames) : 0;
};

/**
 * Reads where the jobs `ids` stand. `finished` caches the jobs already completed or failed (they do not change),
 * so following a large plan reads only the unfinished ones each time.
 */
export async function planProgress(conn: QueueConnection, ids: readonly string[], finished: Map<string, { state: 'completed'; result: SynthJobResult } | { state: 'failed'; failure: QueueFailure }>): Promise<QueueProgress> {
  let active = 0;
  let waiting = 0;
  let partial = 0;
  await Promise.all(
    ids
      .filter((id) => !finished.has(id))
      .map(async (id) => {
        const job = await conn.queue.getJob(id);
        if (!job) {
          finished.set(id, { state: 'failed', failure: { id, sequence: id, reason: 'the job is no longer in the queue (removed by someone)', attempts: 0 } });
          return;
        }
        const state = await job.getState();
        const data = job.data as QueuedSynthJob;
        // The job object was read before its state: a job that completed in between has no return value in it yet,
        // so it counts as active until the next reading.
        if (state === 'completed' && job.returnvalue != null) finished.set(id, { state, result: job.returnvalue as SynthJobResult });
        else if (state === 'completed') {
          active++;
          partial += 1;
        }
        else if (state === 'failed') finished.set(id, { state, failure: { id, sequence: data.job?.id ?? job.name, reason: job.failedReason ?? 'unknown', attempts: job.attemptsMade } });
        else if (state === 'active') {
          active++;
          partial += fractionOf(job.progress, data.frames);
        } else waiting++;
      }),
  );
  const results: SynthJobResult[] = [];
  const failed: QueueFailure[] = [];
  for (const id of ids) {
    const f = finished.get(id);
    if (f?.state === 'completed') results.push(f.result);
    else if (f?.state === 'failed') failed.push(f.failure);
  }
  return { total: ids.length, completed: results.length, failed, active, waiting, done: results.length + partial, results };
}

/** Where the whole queue stands (every plan in it), for `promotion progress`. */
export async function queueProgress(conn: QueueConnection): Promise<QueueProgress> {
  const counts = await conn.queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized', 'waiting-children');
  const activeJobs = await conn.queue.getActive();
  const failedJobs = counts.failed! > 0 ? await conn.queue.getFailed() : [];
  const partial = activeJobs.reduce((a, job) => a + fractionOf(job.progress, (job.data as QueuedSynthJob).frames), 0);
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  return {
    total,
    completed: counts.completed!,
    failed: failedJobs.map((job) => ({ id: job.id ?? '', sequence: (job.data as QueuedSynthJob).job?.id ?? job.name, reason: job.failedReason ?? 'unknown', attempts: job.attemptsMade })),
    active: counts.active!,
    waiting: total - counts.completed! - counts.failed! - counts.active!,
    done: counts.completed! + partial,
    results: [],
  };
}

/**
 * Reads progress every `pollMs` until every job has completed or failed, calling `onUpdate` each time. Resolves
 * with the last reading; rejects with what `signal` aborts with (the jobs stay queued).
 */
export async function followProgress(read: () => Promise<QueueProgress>, onUpdate: (p: QueueProgress) => void, signal: AbortSignal, pollMs = 1000): Promise<QueueProgress> {
  for (;;) {
    signal.throwIfAborted();
    const p = await read();
    onUpdate(p);
    if (p.completed + p.failed.length >= p.total) return p;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, pollMs);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
