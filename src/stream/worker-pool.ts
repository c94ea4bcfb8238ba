/**
 * A small pool of persistent worker threads for request/response work inside one operator (where `mapInWorkers`,
 * which maps a whole stream, does not fit): `run(input)` resolves with the default export of the worker module
 * applied to `input`. Typed arrays backed by a SharedArrayBuffer cross without a copy.
 */
import { Worker } from 'node:worker_threads';
import { WORKER_HOST_SCRIPT, WorkerTaskError } from './worker-map.js';

/** A pool of workers running one module. */
export interface WorkerPool {
  run<I, O>(input: I, transfer?: ArrayBuffer[]): Promise<O>;
  /** Terminates the workers; pending runs reject. */
  close(): Promise<void>;
}

/** Starts `size` workers running the module at `moduleUrl` (a file URL of a JS module with a default export). */
export function createWorkerPool(moduleUrl: string, size: number): WorkerPool {
  type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void };
  const pending = new Map<number, Pending>();
  const idle: Worker[] = [];
  const queue: Array<{ id: number; input: unknown; transfer: ArrayBuffer[] }> = [];
  const workers: Worker[] = [];
  let nextId = 0;
  let closed = false;
  const failAll = (error: unknown) => {
    for (const p of pending.values()) p.reject(error);
    pending.clear();
  };
  const dispatch = () => {
    while (idle.length > 0 && queue.length > 0) {
      const worker = idle.pop()!;
      const task = queue.shift()!;
      try {
        worker.postMessage({ id: task.id, input: task.input }, task.transfer);
      } catch (error) {
        idle.push(worker);
        pending.get(task.id)?.reject(new WorkerTaskError(`Cannot send a task to a worker (${moduleUrl}): ${error instanceof Error ? error.message : String(error)}`));
        pending.delete(task.id);
      }
    }
  };
  for (let i = 0; i < size; i++) {
    const worker = new Worker(WORKER_HOST_SCRIPT, { eval: true, workerData: { moduleUrl } });
    worker.on('message', (message: { id: number; output?: unknown; error?: { message: string; stack?: string } }) => {
      if (message.id === -1) {
        failAll(new WorkerTaskError(message.error?.message ?? `Worker module ${moduleUrl} failed to load`));
        return;
      }
      const p = pending.get(message.id);
      pending.delete(message.id);
      idle.push(worker);
      if (message.error) p?.reject(new WorkerTaskError(`Worker task failed (${moduleUrl}): ${message.error.message}`, message.error.stack));
      else p?.resolve(message.output);
      dispatch();
    });
    worker.on('error', (error) => failAll(new WorkerTaskError(`Worker crashed (${moduleUrl}): ${error.message}`)));
    worker.on('exit', (code) => {
      if (!closed && code !== 0) failAll(new WorkerTaskError(`Worker exited with code ${code} (${moduleUrl})`));
    });
    workers.push(worker);
    idle.push(worker);
  }
  return {
    run<I, O>(input: I, transfer: ArrayBuffer[] = []): Promise<O> {
      if (closed) return Promise.reject(new WorkerTaskError(`Worker pool for ${moduleUrl} is closed`));
      const id = nextId++;
      const result = new Promise<O>((resolve, reject) => pending.set(id, { resolve: resolve as (v: unknown) => void, reject }));
      queue.push({ id, input, transfer });
      dispatch();
      return result;
    },
    async close() {
      closed = true;
      failAll(new WorkerTaskError(`Worker pool for ${moduleUrl} was closed`));
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
