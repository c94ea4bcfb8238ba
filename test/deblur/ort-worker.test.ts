/**
 * ONNX Runtime in a worker thread (src/deblur/ort-worker.ts): the same outputs as a session on the calling thread,
 * the JavaScript thread free while the network runs, ONNX Runtime's errors passed on, and a released session that
 * refuses to run. On the shipped default model (no export needed).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deblur } from '../../src/deblur/deblur.js';
import type { DeblurFeeds } from '../../src/deblur/model.js';
import { type LoadedDeblurModel, loadDeblurModel } from '../../src/deblur/onnx-session.js';
import { createRgb8Frame, type Frame } from '../../src/stream/frame.js';

function feeds(width: number, height: number, seed = 1): DeblurFeeds {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return {
    width,
    height,
    frames: Float32Array.from({ length: 5 * 3 * width * height }, rand),
    motion: Float32Array.from({ length: width * height }, rand),
    blurWeights: Float32Array.from([0.8, 0.9, 1.5, 0.9, 0.9]),
    contrastScale: Float32Array.from([0.02, 0.02, 0.01, 0.02, 0.02]),
  };
}

/** Timer ticks (every 5 ms) that ran while `work` was pending. */
async function ticksDuring(work: () => Promise<unknown>): Promise<number> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return ticks;
}

describe('ONNX Runtime in a worker thread', () => {
  let inWorker: LoadedDeblurModel;
  let onThread: LoadedDeblurModel;
  beforeAll(async () => {
    inWorker = await loadDeblurModel({ threads: 1, worker: true });
    onThread = await loadDeblurModel({ threads: 1, worker: false });
  });
  afterAll(async () => {
    await Promise.all([inWorker?.close(), onThread?.close()]);
  });

  it('gives the outputs of a session on the calling thread, and leaves the caller its inputs', async () => {
    const input = feeds(96, 64);
    const before = Float32Array.from(input.frames);
    const [a, b] = [await inWorker.run(input), await onThread.run(input)];
    expect(a.length).toBe(3 * 96 * 64);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(input.frames)).toEqual(Array.from(before));
  });

  it('moves inputs made for the call (owned) to the worker instead of copying them, with the same outputs', async () => {
    const kept = await onThread.run(feeds(96, 64, 5));
    const input = { ...feeds(96, 64, 5), owned: true };
    const moved = await inWorker.run(input);
    expect(Array.from(moved)).toEqual(Array.from(kept));
    expect(input.frames.length).toBe(0);
    expect(input.motion.length).toBe(0);
    // The statistics are shared by a frame's tiles: copied, never moved.
    expect(input.blurWeights.length).toBe(5);
    expect(input.contrastScale.length).toBe(5);
  });

  it('leaves the JavaScript thread free while the network runs', async () => {
    const input = feeds(640, 480, 2);
    await inWorker.run(feeds(64, 64));
    const free = await ticksDuring(() => inWorker.run(input));
    const held = await ticksDuring(() => onThread.run(input));
    // A 640x480 call takes 150 ms and more; timers run beside it only when it is off the thread.
    expect(free).toBeGreaterThanOrEqual(5);
    expect(held).toBeLessThanOrEqual(2);
  });

  it("passes ONNX Runtime's error on, and a closed model refuses to run", async () => {
    const model = await loadDeblurModel({ threads: 1, worker: true });
    // Below the card's padding multiple the graph's shapes do not meet: ONNX Runtime fails inside the worker.
    await expect(model.run(feeds(20, 20))).rejects.toThrow(/Non-zero status code returned while running/);
    // The session still works after a failed call.
    expect((await model.run(feeds(64, 64))).length).toBe(3 * 64 * 64);
    await model.close();
    await model.close();
    await expect(model.run(feeds(64, 64))).rejects.toThrow(/closed/);
  });

  it('deblur() gives the same frames with the network in a worker, over several tiles (inputs moved per tile)', async () => {
    const frames: Frame[] = Array.from({ length: 4 }, (_, i) =>
      createRgb8Frame(Uint8Array.from({ length: 160 * 96 * 3 }, (_, k) => (((k / 3) | 0) * 7 + i * 11 + (k % 3) * 50) & 255), { width: 160, height: 96, index: i }),
    );
    const run = (worker: boolean) => lastValueFrom(from(frames).pipe(deblur({ worker, threads: 1, tileSize: 64 }), toArray()));
    const [a, b] = [await run(true), await run(false)];
    expect(a.length).toBe(4);
    a.forEach((f, i) => expect(Array.from(f.data)).toEqual(Array.from(b[i]!.data)));
    expect(a.some((f, i) => f.data.some((v, k) => v !== frames[i]!.data[k]))).toBe(true);
  });

  it("names a file ONNX Runtime cannot load in the worker, as on the calling thread", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ort-worker-'));
    try {
      const path = join(dir, 'broken.onnx');
      writeFileSync(path, 'not an ONNX graph');
      await expect(loadDeblurModel({ model: path, worker: true })).rejects.toThrow(/broken\.onnx cannot be loaded by ONNX Runtime/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a worker option that is not a boolean', async () => {
    await expect(loadDeblurModel({ worker: 'yes' as unknown as boolean })).rejects.toThrow(/worker/);
  });
});
