/**
 * Contract version 2: the network exported in two parts (`python3 -m promotion.export --contract 2`), the feature
 * graph run once per frame and run rectangle and its outputs reused by the windows that hold the frame. The same
 * tiny random weights exported both ways restore the same frames (full frame, tiles, ROI); the feature graph runs
 * N times for N frames, not 5N; broken or mismatched parts are ModelContractErrors that name the file; cancelling or
 * failing a stream closes both sessions after the call in flight.
 */
import { readFileSync, rmSync } from 'node:fs';
import { from, lastValueFrom, type Observable, toArray } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { deblur, type DeblurFrameInfo, type DeblurOptions } from '../../src/deblur/deblur.js';
import { FeatureCache } from '../../src/deblur/feature-cache.js';
import type { DeblurModel, DeblurModelParts, FrameFeeds } from '../../src/deblur/model.js';
import { type LoadedDeblurModel, loadDeblurModel, resolveLoadOptions } from '../../src/deblur/onnx-session.js';
import { ModelContractError } from '../../src/errors.js';
import { createRgb8Frame, type Frame, toFloatFrame } from '../../src/stream/frame.js';
import { slidingWindow } from '../../src/stream/window.js';
import { tempDir } from '../helpers.js';
import { movingSquare } from './fake-model.js';
import { exportTinyModel, renameGraphInput, type TinyModel, writeVariant } from './tiny-model.js';

const dir = tempDir('promotion-two-part-');
let single: TinyModel;
let twoPart: TinyModel;
let edvr: TinyModel;

beforeAll(() => {
  single = exportTinyModel(dir, 'tiny1', 5);
  twoPart = exportTinyModel(dir, 'tiny2', 5, 'promotion-s', 2);
  edvr = exportTinyModel(dir, 'tiny-edvr2', 5, 'edvr-s', 2);
}, 600_000);

/** Float frames (gamma-encoded), so that outputs are compared before any rounding to 8 bits. */
const clip = (n: number, width: number, height: number): Frame[] => Array.from({ length: n }, (_, k) => toFloatFrame(movingSquare(width, height, k), { light: 'encoded' }));

/** A model wrapper that counts feature-graph runs and the (frame, rectangle) pairs they were for. */
function counting(model: DeblurModel): { model: DeblurModel; extracted: FrameFeeds[] } {
  const extracted: FrameFeeds[] = [];
  const parts: DeblurModelParts = {
    extractFeatures: (feeds) => {
      extracted.push(feeds);
      return model.parts!.extractFeatures(feeds);
    },
    restore: (features, feeds) => model.parts!.restore(features, feeds),
  };
  return { model: { name: model.name, contract: model.contract, executionProvider: model.executionProvider, run: (f) => model.run(f), parts, close: () => model.close() }, extracted };
}

async function restore(frames: readonly Frame[], model: DeblurModel, options: Omit<DeblurOptions, 'model'>): Promise<{ out: Frame[]; infos: DeblurFrameInfo[] }> {
  const infos: DeblurFrameInfo[] = [];
  const out = await lastValueFrom(from(frames).pipe(deblur<Frame>({ model, ...options, onFrameInfo: (i) => infos.push(i) }), toArray()));
  return { out, infos };
}

function maxDifference(a: readonly Frame[], b: readonly Frame[]): number {
  let worst = 0;
  a.forEach((f, k) => {
    const g = b[k]!.data;
    for (let i = 0; i < f.data.length; i++) worst = Math.max(worst, Math.abs(f.data[i]! - g[i]!));
  });
  return worst;
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

describe('a model in two parts (contract version 2)', () => {
  it('loads both parts, checks both files, and its card says contract 2 with both files and checksums', async () => {
    const card = JSON.parse(readFileSync(twoPart.card, 'utf8')) as Record<string, unknown>;
    expect(card.contractVersion).toBe(2);
    expect(card.file).toBe('tiny2.onnx');
    expect(card.features).toMatchObject({ file: 'tiny2.features.onnx', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown });
    expect((card.inputs as { name: string; shape: string[] }[]).map((i) => `${i.name} [${i.shape.join('')}]`)).toEqual([
      'featL1 [B, 5, 16, H/4, W/4]',
      'featL2 [B, 5, 16, H/8, W/8]',
      'featL3 [B, 5, 16, H/16, W/16]',
      'frames [B, 5, 3, H, W]',
      'motion [B, 1, H, W]',
      'blurWeights [B, 5]',
      'contrastScale [B, 5]',
    ]);
    const features = card.features as { inputs: { name: string; shape: string[] }[]; outputs: { name: string; shape: string[] }[] };
    expect(features.inputs.map((i) => `${i.name} [${i.shape.join('')}]`)).toEqual(['frame [B, 3, H, W]']);
    expect(features.outputs.map((i) => `${i.name} [${i.shape.join('')}]`)).toEqual(['featL1 [B, 16, H/4, W/4]', 'featL2 [B, 16, H/8, W/8]', 'featL3 [B, 16, H/16, W/16]']);
    const model = await loadDeblurModel({ model: twoPart.onnx, threads: 1 });
    try {
      expect(model.files).toEqual({ reference: twoPart.onnx, onnxPath: twoPart.onnx, cardPath: twoPart.card, featuresPath: twoPart.features });
      expect(model.parts).toBeDefined();
      expect(model.card?.contractVersion).toBe(2);
    } finally {
      await model.close();
    }
    const v1 = await loadDeblurModel({ model: single.onnx, threads: 1 });
    expect(v1.parts).toBeUndefined();
    await v1.close();
  });

  it('run() of the two parts equals the single graph, and restore(extractFeatures per frame) equals run()', async () => {
    const [a, b] = await Promise.all([loadDeblurModel({ model: single.onnx, threads: 1 }), loadDeblurModel({ model: twoPart.onnx, threads: 1 })]);
    try {
      const w = 48;
      const h = 32;
      const frames = new Float32Array(5 * 3 * w * h).map((_, i) => ((i * 7919) % 257) / 257);
      const feeds = { width: w, height: h, frames, motion: new Float32Array(w * h).map((_, i) => (i % 13) / 13), blurWeights: Float32Array.from([0.8, 1.1, 1.2, 0.9, 1]), contrastScale: new Float32Array(5).fill(0.05) };
      const one = await a.run(feeds);
      const two = await b.run(feeds);
      const plane = 3 * w * h;
      const perFrame = [];
      for (let t = 0; t < 5; t++) perFrame.push(await b.parts!.extractFeatures({ width: w, height: h, frame: frames.slice(t * plane, (t + 1) * plane) }));
      const composed = await b.parts!.restore(perFrame, feeds);
      let d1 = 0;
      let d2 = 0;
      let moved = 0;
      for (let i = 0; i < one.length; i++) {
        d1 = Math.max(d1, Math.abs(one[i]! - two[i]!));
        d2 = Math.max(d2, Math.abs(two[i]! - composed[i]!));
        moved = Math.max(moved, Math.abs(one[i]! - frames[2 * plane + i]!));
      }
      expect(d1).toBeLessThanOrEqual(1e-5);
      expect(d2).toBeLessThanOrEqual(1e-5);
      expect(moved).toBeGreaterThan(1e-3); // not the identity
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('restores a clip as the single graph does, full frame, tiled and ROI, with each frame\'s features computed once per rectangle', async () => {
    const [a, b] = await Promise.all([loadDeblurModel({ model: single.onnx, threads: 1 }), loadDeblurModel({ model: twoPart.onnx, threads: 1 })]);
    try {
      // Full frame: 8 frames, one rectangle each: 8 feature runs (not 40), 8 restore runs.
      const frames = clip(8, 80, 48);
      const reference = await restore(frames, a, {});
      const counted = counting(b);
      const full = await restore(frames, counted.model, {});
      expect(maxDifference(full.out, reference.out)).toBeLessThanOrEqual(1e-4);
      expect(reference.infos.map((i) => i.featureCalls)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
      expect(full.infos.map((i) => i.networkCalls)).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
      // The first window holds frames 0, 1, 2 (0 repeated); then each window adds one; the last two add none.
      expect(full.infos.map((i) => i.featureCalls)).toEqual([3, 1, 1, 1, 1, 1, 0, 0]);
      expect(counted.extracted).toHaveLength(8);
      expect(counted.extracted.every((f) => f.width === 80 && f.height === 48)).toBe(true);

      // Tiled: 3 x 3 tiles of 64 (overlap 16) on 7 frames of 160x120: 7 x 9 feature runs, one per frame and tile.
      const big = clip(7, 160, 120);
      const tiledReference = await restore(big, a, { tileSize: 64, overlap: 16 });
      const tiled = await restore(big, b, { tileSize: 64, overlap: 16 });
      expect(tiled.infos.map((i) => i.networkCalls)).toEqual([9, 9, 9, 9, 9, 9, 9]);
      expect(sum(tiled.infos.map((i) => i.featureCalls))).toBe(7 * 9);
      expect(maxDifference(tiled.out, tiledReference.out)).toBeLessThanOrEqual(1e-4);

      // ROI: a fixed box (its rectangle reused like a tile) and one that moves every other frame (new rectangles).
      const boxes = (f: Frame) => [
        { x: 4, y: 4, width: 40, height: 30 },
        { x: 90 + 16 * Math.floor(f.index / 2), y: 70, width: 30, height: 30 },
      ];
      const roiReference = await restore(big, a, { roi: { kind: 'boxes', boxes } });
      const roi = await restore(big, b, { roi: { kind: 'boxes', boxes } });
      expect(maxDifference(roi.out, roiReference.out)).toBeLessThanOrEqual(1e-4);
      expect(roi.infos.map((i) => i.networkCalls)).toEqual([2, 2, 2, 2, 2, 2, 2]);
      const roiRuns = sum(roi.infos.map((i) => i.featureCalls));
      expect(roiRuns).toBeGreaterThan(7); // the fixed box alone costs 7
      expect(roiRuns).toBeLessThan(7 * 2 * 5); // far from recomputing every window's frames
      console.log(
        `two parts vs one graph, max abs difference: full frame ${maxDifference(full.out, reference.out).toExponential(1)}, ` +
          `tiled ${maxDifference(tiled.out, tiledReference.out).toExponential(1)}, ROI ${maxDifference(roi.out, roiReference.out).toExponential(1)}; ROI feature runs ${roiRuns} for 7 frames`,
      );
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('an EDVR baseline in two parts, whose restore graph lost the inputs its architecture does not use, loads and runs', async () => {
    const model = await loadDeblurModel({ model: edvr.onnx, threads: 1 });
    try {
      const { out, infos } = await restore(clip(7, 48, 32), model, {});
      expect(out).toHaveLength(7);
      expect(sum(infos.map((i) => i.featureCalls))).toBe(7);
    } finally {
      await model.close();
    }
    const lying = writeVariant(edvr, dir, 'edvr2-priors', { card: (c) => ((c.architecture as Record<string, unknown>).use_priors = true) });
    const error = await loadDeblurModel({ model: lying.onnx, threads: 1 }).then(
      (m) => m.close().then(() => undefined),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ModelContractError);
    expect((error as Error).message).toMatch(/: the model has no input (motion|contrastScale), which its card lists and its architecture uses \(the model's inputs are \[featL1, featL2, featL3, frames\]\)/);
  });

  it('edge replication reuses one entry: a 2-frame clip costs 2 feature runs', async () => {
    const b = await loadDeblurModel({ model: twoPart.onnx, threads: 1 });
    try {
      const counted = counting(b);
      const { infos } = await restore(clip(2, 48, 32), counted.model, {});
      expect(infos.map((i) => i.featureCalls)).toEqual([2, 0]);
      expect(counted.extracted).toHaveLength(2);
    } finally {
      await b.close();
    }
  });
});

describe('FeatureCache', () => {
  const fakeParts = (runs: string[]): DeblurModelParts => ({
    extractFeatures: async (f) => {
      runs.push(`${f.width}x${f.height}`);
      return { levels: [{ data: f.frame.slice(0, 1), channels: 1, height: 1, width: 1 }] };
    },
    restore: async () => new Float32Array(0),
  });

  it('computes each frame once per rectangle as windows slide, and holds at most the window\'s frames times its rectangles', async () => {
    const frames = Array.from({ length: 12 }, (_, k) => createRgb8Frame(new Uint8Array(64 * 48 * 3).fill(k), { width: 64, height: 48, index: k }));
    const windows = await lastValueFrom(from(frames).pipe(slidingWindow(5), toArray()));
    const rects = [
      { x: 0, y: 0, width: 32, height: 32 },
      { x: 32, y: 0, width: 32, height: 32 },
      { x: 0, y: 16, width: 64, height: 32 },
    ];
    const runs: string[] = [];
    const cache = new FeatureCache(fakeParts(runs));
    let most = 0;
    let between = 0;
    for (const w of windows) {
      for (const rect of rects) for (const f of w.frames) expect((await cache.features(f, rect)).levels[0]!.data[0]).toBeCloseTo(f.index / 255);
      most = Math.max(most, cache.size);
      cache.endWindow(w.frames);
      between = Math.max(between, cache.size);
    }
    expect(runs).toHaveLength(12 * 3);
    expect(cache.runs).toBe(12 * 3);
    expect(most).toBe(5 * 3);
    expect(between).toBe(4 * 3);
    // Rectangles a window no longer uses are dropped at its end; clear() drops everything.
    const last = windows.at(-1)!.frames;
    await cache.features(frames[11]!, { x: 16, y: 16, width: 32, height: 32 });
    cache.endWindow(last);
    expect(cache.size).toBe(1);
    cache.endWindow(last);
    expect(cache.size).toBe(0);
    await cache.features(frames[11]!, rects[0]!);
    cache.clear();
    expect(cache.size).toBe(0);
    await cache.features(frames[11]!, rects[0]!); // after clear(): runs, but is not stored
    expect(cache.size).toBe(0);
  });

  it('keys by the frame, not its index: two frames with one index do not share features', async () => {
    const runs: string[] = [];
    const cache = new FeatureCache(fakeParts(runs));
    const a = createRgb8Frame(new Uint8Array(32 * 32 * 3).fill(1), { width: 32, height: 32, index: 0 });
    const b = createRgb8Frame(new Uint8Array(32 * 32 * 3).fill(2), { width: 32, height: 32, index: 0 });
    const rect = { x: 0, y: 0, width: 32, height: 32 };
    expect((await cache.features(a, rect)).levels[0]!.data[0]).toBeCloseTo(1 / 255);
    expect((await cache.features(b, rect)).levels[0]!.data[0]).toBeCloseTo(2 / 255);
    expect(runs).toHaveLength(2);
  });
});

describe('contract errors of a two-part model', () => {
  /** The ModelContractError a load fails with. */
  async function contractError(model: string): Promise<ModelContractError> {
    const error = await loadDeblurModel({ model, threads: 1 }).then(
      (m) => m.close().then(() => undefined),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ModelContractError);
    return error as ModelContractError;
  }

  it('a missing feature graph is its own error, when deblur() is called', () => {
    const v = writeVariant(twoPart, dir, 'no-features', {});
    rmSync(v.features!);
    const message =
      `Model ${v.onnx} is in two parts (contract version 2), but its feature graph ${v.features}, named by its card ${v.card}, does not exist. ` +
      'Copy it beside the model with the other two files (`python3 -m promotion.export --contract 2` writes all three together), or export the model again.';
    expect(() => resolveLoadOptions({ model: v.onnx })).toThrow(ModelContractError);
    expect(() => resolveLoadOptions({ model: v.onnx })).toThrow(message);
    expect(() => deblur({ model: v.card })).toThrow(message);
  });

  it('a feature graph changed after export: by its checksum; truncated and resealed or garbage: by ONNX Runtime', async () => {
    const half = (b: Buffer) => b.subarray(0, Math.floor(b.length / 2));
    const stale = writeVariant(twoPart, dir, 'features-truncated', { features: half, keepSha: true });
    const card = JSON.parse(readFileSync(twoPart.card, 'utf8')) as { features: { sha256: string } };
    const error = await contractError(stale.onnx);
    expect(error.path).toBe(stale.features);
    expect(error.message).toMatch(
      new RegExp(`^Feature graph ${stale.features} has SHA-256 [0-9a-f]{64} but its card ${stale.card} says ${card.features.sha256}: the file was changed, truncated or replaced after export\\. Export the model`),
    );
    const resealed = writeVariant(twoPart, dir, 'features-resealed', { features: half });
    const broken = await contractError(resealed.onnx);
    expect(broken.path).toBe(resealed.features);
    expect(broken.message).toMatch(new RegExp(`^Feature graph ${resealed.features} cannot be loaded by ONNX Runtime \\(.+\\): it is damaged or not an ONNX model\\. Export it again`));
    const garbage = writeVariant(twoPart, dir, 'features-garbage', { features: () => Buffer.from('not a model') });
    expect((await contractError(garbage.onnx)).message).toMatch(/^Feature graph .*features-garbage\.features\.onnx cannot be loaded by ONNX Runtime/);
    // The restore graph is checked as a one-graph model is.
    const restoreStale = writeVariant(twoPart, dir, 'restore-truncated', { onnx: half, keepSha: true });
    expect((await contractError(restoreStale.onnx)).message).toMatch(new RegExp(`^Model ${restoreStale.onnx} has SHA-256 [0-9a-f]{64} but its card`));
  });

  it('wrong input names in either graph, and the two parts swapped', async () => {
    const features = writeVariant(twoPart, dir, 'features-names', { features: () => renameGraphInput(twoPart.features!, 'frame', 'image') });
    const error = await contractError(features.onnx);
    expect(error.path).toBe(features.features);
    expect(error.message).toBe(
      `Feature graph ${features.features} does not match its card ${features.card}: the model's inputs are [image] but the card lists [frame]. ` +
        'The three files do not belong together; export them again with `python3 -m promotion.export`.',
    );
    const restoreNames = writeVariant(twoPart, dir, 'restore-names', { onnx: () => renameGraphInput(twoPart.onnx, 'featL2', 'level2') });
    expect((await contractError(restoreNames.onnx)).message).toBe(
      `Model ${restoreNames.onnx} does not match its card ${restoreNames.card}: the model's inputs are [featL1, level2, featL3, frames, motion, blurWeights, contrastScale] but the card lists [featL1, featL2, featL3, frames, motion, blurWeights, contrastScale]. ` +
        'The three files do not belong together; export them again with `python3 -m promotion.export`.',
    );
    const swapped = writeVariant(twoPart, dir, 'swapped', { onnx: () => readFileSync(twoPart.features!), features: () => readFileSync(twoPart.onnx) });
    expect((await contractError(swapped.onnx)).message).toMatch(new RegExp(`^Model ${swapped.onnx} does not match its card .*: the model's inputs are \\[frame\\] but the card lists \\[featL1, `));
    // A card whose features entry is not the contract's is refused before anything is loaded.
    const badCard = writeVariant(twoPart, dir, 'bad-card', { card: (c) => ((c.features as { outputs: { name: string }[] }).outputs[2]!.name = 'featL4') });
    expect(() => resolveLoadOptions({ model: badCard.onnx })).toThrow(
      `Model card ${badCard.card} lists features.outputs [featL1, featL2, featL4] without featL3; export the model and its card together with \`python3 -m promotion.export\` (training/), or copy both files as they were written.`,
    );
  });
});

describe('a two-part model: cancellation and errors', () => {
  it('stops between runs when unsubscribed, and closes both sessions only after the call in flight returned', async () => {
    let loaded: LoadedDeblurModel | undefined;
    const events: string[] = [];
    const factory = async (): Promise<DeblurModel> => {
      loaded = await loadDeblurModel({ model: twoPart.onnx, threads: 1 });
      const inner = loaded;
      const track = <T>(name: string, call: () => Promise<T>) => {
        events.push(`${name} start`);
        return call().finally(() => events.push(`${name} end`));
      };
      return {
        name: inner.name,
        contract: inner.contract,
        executionProvider: inner.executionProvider,
        run: (f) => track('run', () => inner.run(f)),
        parts: { extractFeatures: (f) => track('extract', () => inner.parts!.extractFeatures(f)), restore: (x, f) => track('restore', () => inner.parts!.restore(x, f)) },
        close: () => {
          events.push('close');
          return inner.close();
        },
      };
    };
    const frames = clip(6, 200, 150);
    const outputs: Frame[] = [];
    const subscription = (from(frames).pipe(deblur({ model: factory, tileSize: 64, overlap: 16 })) as Observable<Frame>).subscribe((f) => outputs.push(f));
    while (events.filter((e) => e.endsWith('start')).length < 6) await new Promise((r) => setTimeout(r, 5));
    subscription.unsubscribe();
    const startedAtStop = events.filter((e) => e.endsWith('start')).length;
    await new Promise((r) => setTimeout(r, 500));
    expect(events.filter((e) => e.endsWith('start'))).toHaveLength(startedAtStop); // nothing started after the stop
    expect(outputs).toHaveLength(0);
    expect(events.filter((e) => e === 'close')).toHaveLength(1);
    expect(events.at(-1)).toBe('close'); // after the last call in flight ended
    expect(events.filter((e) => e.endsWith('start')).length).toBe(events.filter((e) => e.endsWith('end')).length);
    // Both sessions are released: neither part runs any more.
    await expect(loaded!.parts!.extractFeatures({ width: 32, height: 32, frame: new Float32Array(3 * 32 * 32) })).rejects.toThrow(/is closed/);
    await expect(loaded!.run({ width: 32, height: 32, frames: new Float32Array(5 * 3 * 1024), motion: new Float32Array(1024), blurWeights: new Float32Array(5), contrastScale: new Float32Array(5) })).rejects.toThrow(/is closed/);
  });

  it('a failing feature run fails the stream and closes the model', async () => {
    let closed = 0;
    const b = await loadDeblurModel({ model: twoPart.onnx, threads: 1 });
    let runs = 0;
    const failing: DeblurModel = {
      name: b.name,
      contract: b.contract,
      executionProvider: b.executionProvider,
      run: (f) => b.run(f),
      parts: {
        extractFeatures: (f) => (++runs > 4 ? Promise.reject(new Error('feature graph failed')) : b.parts!.extractFeatures(f)),
        restore: (x, f) => b.parts!.restore(x, f),
      },
      close: () => {
        closed++;
        return b.close();
      },
    };
    await expect(lastValueFrom(from(clip(8, 48, 32)).pipe(deblur({ model: async () => failing })))).rejects.toThrow('feature graph failed');
    await new Promise((r) => setTimeout(r, 100));
    expect(closed).toBe(1);
    await expect(b.parts!.restore([], { width: 32, height: 32, frames: new Float32Array(0), motion: new Float32Array(0), blurWeights: new Float32Array(5), contrastScale: new Float32Array(5) })).rejects.toThrow(/is closed/);
  });
});
