/**
 * The adapter for the job queue: the one file that loads BullMQ and ioredis (lazily, inside {@link connectQueue}, so
 * importing the SDK stays cheap). It parses and checks a `redis://host:port[/db]` URL, connects with a short timeout
 * (an unreachable server is a {@link QueueUnreachableError} naming the URL and the fix, raised before anything is
 * written), and hands out BullMQ's Queue and Worker bound to that server, plus a plain Redis client for the
 * queue's own record (which version of the toolkit made it, and its job format; see synth-queue.ts).
 */
import type * as BullMQ from 'bullmq';
import type { Job, JobsOptions, Processor, Queue, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { InvalidOptionError, NativeDependencyError, QueueUnreachableError } from '../errors.js';

/** The BullMQ queue name used when none is given (`--queue-name`). */
export const DEFAULT_QUEUE_NAME = 'promotion-synth';

/** How long a connection attempt may take before the queue counts as unreachable (ms). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;

/** Where a queue lives: a Redis server and database, and the queue's name in it. */
export interface QueueAddress {
  /** The URL as given. */
  readonly url: string;
  /** The URL with any password replaced by `***`, for messages and records. */
  readonly display: string;
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
  readonly tls: boolean;
  /** The BullMQ queue name. */
  readonly name: string;
}

/**
 * Parses `redis://[user:password@]host[:port][/db]` (or `rediss://` for TLS). Anything else is an
 * {@link InvalidOptionError} naming `option` and the expected form.
 */
export function parseQueueUrl(url: string, name: string = DEFAULT_QUEUE_NAME, option = '--queue'): QueueAddress {
  const expected = 'a Redis URL redis://host:port[/db], e.g. redis://127.0.0.1:6379/0';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidOptionError(`Expected ${expected} for ${option} but received ${JSON.stringify(url)}.`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new InvalidOptionError(`Expected ${expected} for ${option} but received ${JSON.stringify(url)} (scheme ${parsed.protocol.replace(/:$/, '')}).`);
  }
  if (parsed.hostname === '') throw new InvalidOptionError(`Expected ${expected} for ${option} but received ${JSON.stringify(url)} (no host).`);
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const path = parsed.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!/^\d*$/.test(path)) {
    throw new InvalidOptionError(`Expected ${expected} for ${option} but received ${JSON.stringify(url)} (the database must be a whole number, not ${JSON.stringify(path)}).`);
  }
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new InvalidOptionError(`Expected letters, digits, '_', '.' or '-' for --queue-name but received ${JSON.stringify(name)}.`);
  }
  const display = parsed.password ? url.replace(`:${parsed.password}@`, ':***@') : url;
  return {
    url,
    display,
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port,
    db,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    tls: parsed.protocol === 'rediss:',
    name,
  };
}

/** An open connection to a queue. Close it when done. */
export interface QueueConnection {
  readonly address: QueueAddress;
  /** BullMQ's producer side of the queue. */
  readonly queue: Queue;
  /** A plain client for the toolkit's own keys (the queue record). */
  readonly redis: Redis;
  /** Starts a BullMQ worker on this queue; it runs until closed. */
  worker<D, R>(processor: Processor<D, R>, options: QueueWorkerOptions): Worker<D, R>;
  /** BullMQ's errors a processor throws: to fail a job without retries, and after moving a job back to wait. */
  readonly errors: { readonly UnrecoverableError: typeof UnrecoverableError; readonly WaitingError: typeof WaitingError };
  /** Adds jobs in one round trip. */
  addJobs(jobs: ReadonlyArray<{ name: string; data: unknown; opts: JobsOptions }>): Promise<Job[]>;
  close(): Promise<void>;
}

/** The BullMQ worker settings the toolkit uses. */
export interface QueueWorkerOptions {
  /** Jobs this worker runs at once. */
  readonly concurrency: number;
  /** How long a job's lock lasts without renewal before the job counts as stalled and is handed out again (ms). */
  readonly lockDurationMs: number;
  /** How many times a job may stall before it fails. */
  readonly maxStalledCount: number;
  /** A name shown in the queue (the job's `processedBy`). */
  readonly name: string;
}

function connectionOptions(address: QueueAddress) {
  return {
    host: address.host,
    port: address.port,
    db: address.db,
    ...(address.username !== undefined ? { username: address.username } : {}),
    ...(address.password !== undefined ? { password: address.password } : {}),
    ...(address.tls ? { tls: {} } : {}),
  };
}

async function load(): Promise<{ bullmq: typeof BullMQ; RedisClient: typeof Redis }> {
  try {
    return { bullmq: await import('bullmq'), RedisClient: (await import('ioredis')).Redis };
  } catch (cause) {
    throw new NativeDependencyError('The job queue needs the npm packages bullmq and ioredis, which cannot be loaded.', 'Run npm install in the toolkit (they are its dependencies).', { cause });
  }
}

/**
 * Connects to the queue at `address`: one PING through a client that gives up after `timeoutMs` instead of
 * retrying, so a wrong URL fails fast with a {@link QueueUnreachableError}; then BullMQ's Queue on the same server.
 */
export async function connectQueue(address: QueueAddress, timeoutMs = DEFAULT_CONNECT_TIMEOUT_MS): Promise<QueueConnection> {
  const { bullmq, RedisClient } = await load();
  const redis = new RedisClient({ ...connectionOptions(address), lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 1, retryStrategy: () => null, enableOfflineQueue: false });
  let lastError: Error | undefined;
  redis.on('error', (error: Error) => (lastError = error)); // reported through connect() below
  try {
    await redis.connect();
    await redis.ping();
  } catch (failure) {
    redis.disconnect();
    // connect() rejects with "Connection is closed."; the socket's own error says why (ECONNREFUSED, ENOTFOUND).
    const cause = lastError ?? failure;
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new QueueUnreachableError(
      address.display,
      `Cannot reach the queue at ${address.display} (${detail}). Start a Redis server there (Debian: apt-get install redis-server; or redis-server --port ${address.port}), or pass the URL of a running one with --queue redis://host:port[/db].`,
      { cause },
    );
  }
  const connection = { ...connectionOptions(address), maxRetriesPerRequest: null };
  const queue = new bullmq.Queue(address.name, { connection });
  queue.on('error', () => undefined); // a lost connection surfaces as a failed call
  const workers: Worker[] = [];
  return {
    address,
    queue,
    redis,
    errors: { UnrecoverableError: bullmq.UnrecoverableError, WaitingError: bullmq.WaitingError },
    worker<D, R>(processor: Processor<D, R>, options: QueueWorkerOptions): Worker<D, R> {
      const worker = new bullmq.Worker<D, R>(address.name, processor, {
        connection,
        concurrency: options.concurrency,
        lockDuration: options.lockDurationMs,
        stalledInterval: Math.max(500, Math.round(options.lockDurationMs / 2)),
        maxStalledCount: options.maxStalledCount,
        name: options.name,
        autorun: false,
      });
      workers.push(worker as unknown as Worker);
      return worker;
    },
    addJobs: (jobs) => queue.addBulk(jobs.map((j) => ({ name: j.name, data: j.data, opts: j.opts }))),
    async close() {
      await Promise.all(workers.map((w) => w.close().catch(() => undefined)));
      await queue.close().catch(() => undefined);
      redis.disconnect();
    },
  };
}
