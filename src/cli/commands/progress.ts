/** `promotion progress --queue redis://...`: where a queue's synthesis stands, and its failures; follows it until done. */
import type { Command } from 'commander';
import { connectQueue, DEFAULT_QUEUE_NAME, parseQueueUrl } from '../../queue/redis-queue.js';
import { checkQueueRecord, followProgress, queueProgress } from '../../queue/synth-queue.js';
import { AbortedError } from '../../stream/abort.js';
import type { CliIo, RunTask } from '../io.js';
import { progressPrinter, reportFailures } from './synth-queued.js';

/** Options of the progress command. */
export interface ProgressCommandOptions {
  queue: string;
  queueName?: string;
  once?: boolean;
  json?: boolean;
  progress?: boolean;
}

export async function progressCommand(options: ProgressCommandOptions, io: CliIo): Promise<void> {
  const address = parseQueueUrl(options.queue, options.queueName ?? DEFAULT_QUEUE_NAME);
  const conn = await connectQueue(address);
  try {
    await checkQueueRecord(conn, false);
    const read = () => queueProgress(conn);
    let last;
    if (options.once) last = await read();
    else {
      const printer = progressPrinter(io, 'queue', options.progress !== false, options.json ?? false);
      try {
        last = await followProgress(read, (p) => printer.update(p), io.signal);
      } catch (error) {
        printer.end();
        if (io.signal.aborted) throw new AbortedError();
        throw error;
      }
      printer.end();
    }
    const counts = { total: last.total, completed: last.completed, failed: last.failed.length, running: last.active, waiting: last.waiting };
    if (options.json) io.stdout.write(`${JSON.stringify({ queue: address.display, queueName: address.name, ...counts, failures: last.failed }, null, 2)}\n`);
    else io.stdout.write(`Queue '${address.name}' at ${address.display}: ${counts.completed} of ${counts.total} sequences complete, ${counts.running} running, ${counts.waiting} waiting, ${counts.failed} failed.\n`);
    reportFailures(last.failed, io, options.json ?? false);
  } finally {
    await conn.close();
  }
}

/** Adds `promotion progress` to the program. */
export function defineProgressCommand(program: Command, io: CliIo, run: RunTask): void {
  program
    .command('progress')
    .description('Show where a queued synthesis stands (complete, running, waiting, failed with their errors) and follow it until every sequence is done; exits 9 when some failed.')
    .requiredOption('--queue <url>', 'the Redis server holding the queue: redis://host:port[/db]')
    .option('--queue-name <name>', `the queue's name (default ${DEFAULT_QUEUE_NAME})`)
    .option('--once', 'print the counts once and return')
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print a JSON summary')
    .action((options: ProgressCommandOptions) => run(() => progressCommand(options, io)));
}
