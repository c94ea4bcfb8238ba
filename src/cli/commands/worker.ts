/** `promotion worker --queue redis://...`: takes queued synthesis jobs and writes their sequences (see src/queue). */
import { availableParallelism, hostname } from 'node:os';
import type { Command } from 'commander';
import { expectInteger, expectNumber } from '../../options.js';
import { connectQueue, DEFAULT_QUEUE_NAME, parseQueueUrl } from '../../queue/redis-queue.js';
import { checkQueueRecord } from '../../queue/synth-queue.js';
import { DEFAULT_LOCK_DURATION_MS, runSynthWorker, type WorkerEvent } from '../../queue/synth-worker.js';
import type { CliIo, RunTask } from '../io.js';
import { num } from '../args.js';

/** Options of the worker command (strings from commander). */
export interface WorkerCommandOptions {
  queue: string;
  queueName?: string;
  concurrency?: string;
  threads?: string;
  stallTimeout?: string;
  idleExit?: string;
  name?: string;
  json?: boolean;
}

export async function workerCommand(options: WorkerCommandOptions, io: CliIo): Promise<void> {
  const address = parseQueueUrl(options.queue, options.queueName ?? DEFAULT_QUEUE_NAME);
  const concurrency = expectInteger('--concurrency', num(options.concurrency ?? '1'), 1, 64);
  const threads = expectInteger('--threads', num(options.threads ?? String(Math.max(1, Math.floor(availableParallelism() / concurrency)))), 1, 64);
  const stallSeconds = expectNumber('--stall-timeout', num(options.stallTimeout ?? String(DEFAULT_LOCK_DURATION_MS / 1000)), 1, 86_400);
  const idleSeconds = options.idleExit === undefined ? undefined : expectNumber('--idle-exit', num(options.idleExit), 0, 86_400 * 365);
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const conn = await connectQueue(address);
  try {
    const log = (event: WorkerEvent) => {
      if (options.json) {
        io.stdout.write(`${JSON.stringify({ ...event, worker: name, at: new Date().toISOString() })}\n`);
        return;
      }
      if (event.kind === 'started') io.stdout.write(`started ${event.sequence}${event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}\n`);
      else if (event.kind === 'completed') {
        const r = event.result;
        io.stdout.write(`${r.status === 'done' ? 'wrote  ' : 'skipped'} ${r.id}: ${r.status === 'done' ? `${r.frames} frames, ${r.frames > 0 ? Math.round(r.elapsedMs / r.frames) : 0} ms/frame` : 'already complete'} -> ${r.outDir}\n`);
      } else io.stdout.write(`failed  ${event.sequence} (attempt ${event.attempt} of ${event.attempts}): ${event.reason}\n`);
    };
    await checkQueueRecord(conn, false);
    if (!options.json) io.stderr.write(`Worker ${name} on queue '${address.name}' at ${address.display}: ${concurrency} sequence${concurrency === 1 ? '' : 's'} at a time, ${threads} thread${threads === 1 ? '' : 's'} each${idleSeconds !== undefined ? `, exits after ${idleSeconds} s with nothing to do` : '; Ctrl-C stops (a running sequence goes back to the queue)'}.\n`);
    const summary = await runSynthWorker(conn, {
      concurrency,
      threads,
      lockDurationMs: stallSeconds * 1000,
      ...(idleSeconds !== undefined ? { idleExitMs: idleSeconds * 1000 } : {}),
      name,
      signal: io.signal,
      onEvent: log,
    });
    await checkQueueRecord(conn, false);
    if (!options.json) io.stderr.write(`Worker ${name} stopped: ${summary.completed} sequence${summary.completed === 1 ? '' : 's'} completed, ${summary.failed} attempt${summary.failed === 1 ? '' : 's'} failed.\n`);
  } finally {
    await conn.close();
  }
}

/** Adds `promotion worker` to the program. */
export function defineWorkerCommand(program: Command, io: CliIo, run: RunTask): void {
  program
    .command('worker')
    .description('Take queued blur-synthesis jobs (planned by promotion synth --queue) and write each sequence into the shared output; run it on any number of machines.')
    .requiredOption('--queue <url>', 'the Redis server holding the queue: redis://host:port[/db]')
    .option('--queue-name <name>', `the queue's name (default ${DEFAULT_QUEUE_NAME})`)
    .option('--concurrency <n>', 'sequences run at once (default 1)')
    .option('--threads <n>', 'worker threads within each sequence (default: the cores per sequence)')
    .option('--stall-timeout <s>', `seconds a job may go without its lock renewed before another worker takes it over (default ${DEFAULT_LOCK_DURATION_MS / 1000})`)
    .option('--idle-exit <s>', 'exit once the queue has had nothing to do for this many seconds (default: run until Ctrl-C)')
    .option('--name <name>', "this worker's name in the queue (default <host>:<pid>)")
    .option('--json', 'one JSON line per event')
    .action((options: WorkerCommandOptions) => run(() => workerCommand(options, io)));
}
