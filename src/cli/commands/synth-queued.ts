/**
 * `promotion synth ... --queue redis://...`: the planner. Skips the sequences already complete in the output (same
 * input files and options), enqueues one job per remaining sequence, then follows them with a bar and ETA until
 * every one has completed or failed, listing the failures (`--detach` returns once enqueued).
 */
import { join } from 'node:path';
import { type SynthJob, type SynthJobResult, sequenceStatus } from '../../blur-synthesis/dataset-writer.js';
import { InvalidOptionError, SequencesFailedError } from '../../errors.js';
import { DEFAULT_QUEUE_NAME, type QueueConnection } from '../../queue/redis-queue.js';
import { enqueueSynthJobs, followProgress, planProgress, type QueueFailure, type QueueProgress, type QueueRecord, writeQueueMarker } from '../../queue/synth-queue.js';
import { AbortedError } from '../../stream/abort.js';
import { listImageFiles } from '../../stream/image-sequence-source.js';
import { openVideo } from '../../stream/video-source.js';
import { existsSync } from 'node:fs';
import type { CliIo } from '../io.js';
import { renderProgress } from '../progress-bar.js';

/** The planner's settings from the synth command. */
export interface QueuedSynthSettings {
  readonly output: string;
  readonly attempts: number;
  readonly detach: boolean;
  readonly json: boolean;
  readonly progress: boolean;
}

/** Frames a job will have, when cheap to know: the images it reads, or the video's frame count. */
async function expectedFrames(job: SynthJob): Promise<number | null> {
  if (job.kind === 'video') {
    const count = (await openVideo(job.input)).info.frameCount;
    return count === undefined ? null : Math.min(count, job.maxFrames ?? Infinity);
  }
  if (job.kind === 'live') return null;
  const images = await listImageFiles(job.kind === 'fpha' ? join(job.input, 'color') : job.input);
  return Math.min(images.length, job.maxFrames ?? Infinity);
}

/** The command line that follows a queue. */
function followCommand(conn: QueueConnection): string {
  return `promotion progress --queue ${conn.address.display}${conn.address.name === DEFAULT_QUEUE_NAME ? '' : ` --queue-name ${conn.address.name}`}`;
}

/** Prints the failures and throws when there are any. */
export function reportFailures(failures: readonly QueueFailure[], io: CliIo, json: boolean): void {
  if (failures.length === 0) return;
  if (!json) {
    io.stdout.write(`${failures.length} sequence${failures.length === 1 ? '' : 's'} failed:\n`);
    for (const f of failures) io.stdout.write(`failed  ${f.sequence} after ${f.attempts} attempt${f.attempts === 1 ? '' : 's'}: ${f.reason}\n`);
  }
  throw new SequencesFailedError(
    `${failures.length} sequence${failures.length === 1 ? '' : 's'} failed after their retries (${failures.slice(0, 3).map((f) => f.sequence).join(', ')}${failures.length > 3 ? ', ...' : ''}); fix the cause and run the same command again: complete sequences are skipped.`,
    failures,
  );
}

/** Draws the queue's progress on a TTY and prints each finished sequence once. */
export function progressPrinter(io: CliIo, label: string, enabled: boolean, json: boolean) {
  const started = performance.now();
  const firstDone: { value: number | undefined } = { value: undefined };
  const printed = new Set<string>();
  const showBar = enabled && !json && (io.stderr as NodeJS.WriteStream).isTTY === true;
  return {
    update(p: QueueProgress) {
      for (const r of p.results) {
        if (printed.has(r.outDir) || json) continue;
        printed.add(r.outDir);
        if (showBar) io.stderr.write('\r\x1b[2K');
        line(io, r);
      }
      if (firstDone.value === undefined) firstDone.value = p.done;
      if (!showBar) return;
      const elapsedMs = performance.now() - started;
      const rate = (p.done - firstDone.value) / (elapsedMs / 1000);
      const etaMs = rate > 0 ? ((p.total - p.done - p.failed.length) / rate) * 1000 : undefined;
      const bar = renderProgress(label, { done: p.completed + p.failed.length, total: p.total, elapsedMs, ratePerSecond: rate * 3600, etaMs, complete: p.completed + p.failed.length >= p.total }, 'sequences');
      io.stderr.write(`\r\x1b[2K${bar.replace('sequences/s', 'sequences/h')} (${p.active} running${p.failed.length > 0 ? `, ${p.failed.length} failed` : ''})`);
    },
    end() {
      if (showBar) io.stderr.write('\n');
    },
  };
}

function line(io: CliIo, r: SynthJobResult): void {
  const msPerFrame = r.frames > 0 ? Math.round(r.elapsedMs / r.frames) : null;
  io.stdout.write(`${r.status === 'done' ? 'wrote  ' : 'skipped'} ${r.id}: ${r.status === 'done' ? `${r.frames} frames, ${msPerFrame} ms/frame` : 'already complete'} -> ${r.outDir}${r.note !== undefined ? ` (made again: ${r.note})` : ''}\n`);
}

/** Plans, enqueues and (unless detached) follows a queued synthesis. */
export async function synthQueued(jobs: readonly SynthJob[], rates: readonly number[], settings: QueuedSynthSettings, conn: QueueConnection, record: QueueRecord, io: CliIo): Promise<void> {
  const started = performance.now();
  const planned: Array<{ job: SynthJob; key: Record<string, unknown>; frames: number | null }> = [];
  const skipped: string[] = [];
  const live = jobs.find((job) => job.kind === 'live');
  if (live) throw new InvalidOptionError(`${live.input} is live input, which only this machine can read: run promotion synth without --queue for it.`);
  for (const [i, job] of jobs.entries()) {
    if (io.signal.aborted) throw new AbortedError();
    const status = await sequenceStatus(job, rates[i]!);
    const skeletonThere = job.skeleton === undefined || existsSync(job.skeleton.to);
    if (status.complete && !job.overwrite && skeletonThere) {
      skipped.push(job.id);
      if (!settings.json) io.stdout.write(`skipped ${job.id}: already complete -> ${job.outDir}\n`);
      continue;
    }
    planned.push({ job, key: status.key, frames: await expectedFrames(job) });
  }
  await writeQueueMarker(settings.output, conn, record);
  const enqueued = await enqueueSynthJobs(conn, record, settings.output, planned, settings.attempts);
  const where = `queue '${conn.address.name}' at ${conn.address.display}`;
  if (!settings.json) {
    io.stdout.write(`Enqueued ${enqueued.added} sequence${enqueued.added === 1 ? '' : 's'} on ${where} (${skipped.length} already complete, ${enqueued.alreadyQueued} already queued).\n`);
    io.stdout.write(`Workers: promotion worker --queue ${conn.address.display}${conn.address.name === DEFAULT_QUEUE_NAME ? '' : ` --queue-name ${conn.address.name}`} (on any machine that sees ${settings.output} and the inputs at the same paths).\n`);
  }
  const summary = (p: QueueProgress | undefined) => ({
    output: settings.output,
    queue: conn.address.display,
    queueName: conn.address.name,
    enqueued: enqueued.added,
    alreadyQueued: enqueued.alreadyQueued,
    skipped: skipped.length,
    detached: p === undefined,
    ...(p
      ? {
          completed: p.completed,
          failed: p.failed.map((f) => ({ sequence: f.sequence, attempts: f.attempts, reason: f.reason })),
          sequences: p.results.map((r) => ({ id: r.id, status: r.status, frames: r.frames, outDir: r.outDir, msPerFrame: r.frames > 0 ? Math.round(r.elapsedMs / r.frames) : null, ...(r.note !== undefined ? { note: r.note } : {}) })),
          framesWritten: p.results.filter((r) => r.status === 'done').reduce((a, r) => a + r.frames, 0),
          elapsedMs: Math.round(performance.now() - started),
        }
      : {}),
  });
  if (settings.detach) {
    if (settings.json) io.stdout.write(`${JSON.stringify(summary(undefined), null, 2)}\n`);
    else io.stdout.write(`Detached. Follow it with: ${followCommand(conn)}\n`);
    return;
  }
  const printer = progressPrinter(io, 'synth', settings.progress, settings.json);
  const finished = new Map();
  let last: QueueProgress;
  try {
    last = await followProgress(() => planProgress(conn, enqueued.ids, finished), (p) => printer.update(p), io.signal);
  } catch (error) {
    printer.end();
    if (io.signal.aborted) {
      io.stderr.write(`Stopped following; the sequences stay queued and workers go on. Follow again with: ${followCommand(conn)}\n`);
      throw new AbortedError();
    }
    throw error;
  }
  printer.end();
  if (settings.json) io.stdout.write(`${JSON.stringify(summary(last), null, 2)}\n`);
  else {
    const written = last.results.filter((r) => r.status === 'done');
    io.stdout.write(`${written.reduce((a, r) => a + r.frames, 0)} frames in ${written.length} sequences by the workers (${skipped.length + last.results.length - written.length} skipped, ${last.failed.length} failed) in ${((performance.now() - started) / 1000).toFixed(1)} s.\n`);
  }
  reportFailures(last.failed, io, settings.json);
}
