/**
 * A map that runs in worker threads: bounded concurrency, outputs in input order.
 *
 * The work is a module whose default export is `(input) => output` (sync or async). Inputs and outputs cross
 * threads by structured clone (typed arrays copy; pass `transfer: true` to move the input's buffers instead when
 * nothing else holds them).
 */
import { availableParallelism } from 'node:os';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Observable, type OperatorFunction } from 'rxjs';
import { PromotionError } from '../errors.js';
import { expectBoolean, expectInteger, expectKnownKeys, invalidOption } from '../options.js';

/** Default worker count: the cores this process may use, at most 4. */
export function defaultWorkerConcurrency(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

/** Options of {@link mapInWorkers}. */
export interface WorkerMapOptions {
  /** Workers (and inputs in flight). Default {@link defaultWorkerConcurrency}. */
  concurrency?: number;
  /** Move the input's ArrayBuffers to the worker instead of copying them (the input becomes unusable). Default false. */
  transfer?: boolean;
}

// The host every worker runs: loads the user's module and answers { id, input } with { id, output | error }.
// Evaluated as a script so it works the same from compiled JS, tsx and vitest.
export const WORKER_HOST_SCRIPT = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.moduleUrl).then((mod) => {
  const fn = typeof mod.default === 'function' ? mod.default : undefined;
  if (!fn) { parentPort.postMessage({ id: -1, error: { message: 'Worker module ' + workerData.moduleUrl + ' has no default export function' } }); return; }
  parentPort.on('message', async ({ id, input }) => {
    try {
      const output = await fn(input);
      const transfer = [];
      const seen = new Set();
      const collect = (v, depth) => {
        if (depth > 3 || v === null || typeof v !== 'object') return;
        if (ArrayBuffer.isView(v)) { if (!seen.has(v.buffer) && v.buffer instanceof ArrayBuffer) { seen.add(v.buffer); transfer.push(v.buffer); } return; }
        for (const k of Object.keys(v)) collect(v[k], depth + 1);
      };
      collect(output, 0);
      parentPort.postMessage({ id, output }, transfer);
    } catch (e) {
      parentPort.postMessage({ id, error: { message: e && e.message ? e.message : String(e), stack: e && e.stack } });
    }
  });
}, (e) => parentPort.postMessage({ id: -1, error: { message: 'Cannot load worker module ' + workerData.moduleUrl + ': ' + (e && e.message) } }));
`;

/** An error thrown inside a worker, re-raised on the main thread. */
export class WorkerTaskError extends PromotionError {
  constructor(message: string, workerStack?: string) {
    super('WORKER_FAILED', message);
    if (workerStack) this.stack = `${this.name}: ${message}\n--- in worker ---\n${workerStack}`;
  }
}

function transferables(value: unknown, found: Set<ArrayBuffer>, depth = 0): Set<ArrayBuffer> {
  if (depth > 3 || value === null || typeof value !== 'object') return found;
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) found.add(value.buffer);
    return found;
  }
  for (const v of Object.values(value)) transferables(v, found, depth + 1);
  return found;
}

/**
 * Maps each input through the default export of `module` (a path or file URL of a JS module) in up to
 * `concurrency` worker threads, emitting results in input order. Workers start on subscribe and stop on
 * completion, error or unsubscribe. An error in the work function ends the stream with a {@link WorkerTaskError}.
 */
export function mapInWorkers<I, O>(module: string | URL, options: WorkerMapOptions = {}): OperatorFunction<I, O> {
  expectKnownKeys('mapInWorkers options', options, ['concurrency', 'transfer']);
  const concurrency = expectInteger('concurrency', options.concurrency ?? defaultWorkerConcurrency(), 1, 256);
  const transfer = expectBoolean('transfer', options.transfer ?? false);
  let moduleUrl: string;
  if (module instanceof URL) moduleUrl = module.href;
  else if (typeof module === 'string' && module.startsWith('file:')) moduleUrl = module;
  else if (typeof module === 'string' && isAbsolute(module)) moduleUrl = pathToFileURL(module).href;
  else invalidOption('module', 'absolute path or file URL of a worker module', module);

  return (source) =>
    new Observable<O>((subscriber) => {
      const workers: Worker[] = [];
      const idle: Worker[] = [];
      const queue: Array<{ id: number; input: I }> = [];
      const done = new Map<number, O>();
      let received = 0;
      let emitted = 0;
      let sourceDone = false;
      let finished = false;

      const fail = (error: unknown) => {
        if (finished) return;
        finished = true;
        subscriber.error(error);
      };
      const dispatch = () => {
        while (!finished && idle.length > 0 && queue.length > 0) {
          const worker = idle.pop()!;
          const task = queue.shift()!;
          const list = transfer ? [...transferables(task.input, new Set())] : [];
          try {
            worker.postMessage(task, list);
          } catch (error) {
            // An input that cannot cross threads (a function, a buffer already transferred...).
            fail(new WorkerTaskError(`Cannot send input ${task.id} to a worker (${moduleUrl}): ${error instanceof Error ? error.message : String(error)}`));
          }
        }
      };
      const drain = () => {
        while (done.has(emitted)) {
          const output = done.get(emitted)!;
          done.delete(emitted);
          emitted++;
          subscriber.next(output);
        }
        if (sourceDone && emitted === received && !finished) {
          finished = true;
          subscriber.complete();
        }
      };
      const spawnWorker = (): Worker => {
        const worker = new Worker(WORKER_HOST_SCRIPT, { eval: true, workerData: { moduleUrl } });
        worker.on('message', (message: { id: number; output?: O; error?: { message: string; stack?: string } }) => {
          if (message.error) {
            fail(new WorkerTaskError(`Worker task failed (${moduleUrl}): ${message.error.message}`, message.error.stack));
            return;
          }
          done.set(message.id, message.output as O);
          idle.push(worker);
          dispatch();
          drain();
        });
        worker.on('error', (error) => fail(new WorkerTaskError(`Worker crashed (${moduleUrl}): ${error.message}`)));
        worker.on('exit', (code) => {
          if (!finished && code !== 0) fail(new WorkerTaskError(`Worker exited with code ${code} (${moduleUrl})`));
        });
        return worker;
      };

      const subscription = source.subscribe({
        next(input) {
          queue.push({ id: received++, input });
          if (workers.length < concurrency && idle.length === 0) {
            const worker = spawnWorker();
            workers.push(worker);
            idle.push(worker);
          }
          dispatch();
        },
        error: fail,
        complete() {
          sourceDone = true;
          drain();
        },
      });
      return () => {
        finished = true;
        subscription.unsubscribe();
        for (const worker of workers) void worker.terminate();
      };
    });
}
