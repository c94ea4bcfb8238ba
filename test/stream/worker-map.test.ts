import { fileURLToPath } from 'node:url';
import { from, lastValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { WorkerTaskError, mapInWorkers } from '../../src/stream/worker-map.js';

const worker = fileURLToPath(new URL('../fixtures/square-worker.mjs', import.meta.url));
type Out = { value: number; thread: number; data: Float32Array };

describe('mapInWorkers', () => {
  it('keeps input order although tasks finish out of order, using several threads', async () => {
    // Delays descend, so later inputs finish first.
    const inputs = Array.from({ length: 12 }, (_, i) => ({ value: i, delayMs: 60 - i * 5 }));
    const out = await lastValueFrom(from(inputs).pipe(mapInWorkers<(typeof inputs)[number], Out>(worker, { concurrency: 3 }), toArray()));
    expect(out.map((o) => o.value)).toEqual(inputs.map((i) => i.value * i.value));
    expect(new Set(out.map((o) => o.thread)).size).toBe(3);
    expect(out[5]!.data).toBeInstanceOf(Float32Array);
    expect(out[5]!.data[0]).toBe(5);
  });

  it('never runs more than `concurrency` tasks at once', async () => {
    const inputs = Array.from({ length: 10 }, (_, i) => ({ value: i, delayMs: 20 }));
    const started = performance.now();
    await lastValueFrom(from(inputs).pipe(mapInWorkers(worker, { concurrency: 2 }), toArray()));
    // 10 tasks of 20 ms, 2 at a time: at least 5 rounds
    expect(performance.now() - started).toBeGreaterThanOrEqual(100);
  });

  it('an error in the work function ends the stream with a WorkerTaskError', async () => {
    const inputs = [{ value: 1, delayMs: 1 }, { value: 2, delayMs: 1, fail: true }];
    const error = await lastValueFrom(from(inputs).pipe(mapInWorkers(worker, { concurrency: 1 }))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerTaskError);
    expect((error as Error).message).toContain('asked to fail on 2');
  });

  it('a module that cannot load is an error naming it', async () => {
    const missing = '/nonexistent/worker.mjs';
    await expect(lastValueFrom(from([1]).pipe(mapInWorkers(missing)))).rejects.toThrow(/Cannot load worker module file:\/\/\/nonexistent\/worker\.mjs/);
  });

  it('stops early without hanging (take)', async () => {
    const inputs = Array.from({ length: 50 }, (_, i) => ({ value: i, delayMs: 5 }));
    const out = await lastValueFrom(from(inputs).pipe(mapInWorkers<(typeof inputs)[number], Out>(worker, { concurrency: 2 }), take(3), toArray()));
    expect(out.map((o) => o.value)).toEqual([0, 1, 4]);
  });

  it('validates options when made', () => {
    expect(() => mapInWorkers('relative/worker.mjs')).toThrow('Expected absolute path or file URL of a worker module for module but received "relative/worker.mjs" of type string');
    expect(() => mapInWorkers(worker, { concurrency: 0 })).toThrow('Expected integer between 1 and 256 for concurrency but received 0 of type number');
  });
});
