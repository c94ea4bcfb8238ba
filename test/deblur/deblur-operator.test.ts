/**
 * The deblur() operator with a fake network (fake-model.ts): what it feeds the model (the contract's inputs,
 * padding, tiles), how it puts the outputs back (cropping, feathered tiles, ROI blending), sample types, errors,
 * backpressure and cancellation. The real network is in deblur-onnx.test.ts.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { from, lastValueFrom, type Observable, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { clampMotionFor, clampRadiusFor, deblur, DEFAULT_CLAMP_RADIUS, type DeblurFrameInfo, type DeblurOptions, resolveDeblurOptions } from '../../src/deblur/deblur.js';
import { localExtremes } from '../../src/deblur/local-range.js';
import { restoreRegion, type WindowInputs } from '../../src/deblur/restore.js';
import { windowStatistics } from '../../src/deblur/statistics.js';
import { toPlanesFloat32 } from '../../src/deblur/tensor.js';
import { FrameMismatchError, InputNotFoundError, InvalidOptionError } from '../../src/errors.js';
import { motionMaps, motionMapToUint16 } from '../../src/flow/motion-map.js';
import type { HandPoseEstimator, HandsResult } from '../../src/handpose/estimator.js';
import { createRgb8Frame, type Frame, toFloatFrame } from '../../src/stream/frame.js';
import { decodeGrey16, decodeImage, encodeImage } from '../../src/stream/image-codec.js';
import { PipelineStallError, pipeSource } from '../../src/stream/pipe-source.js';
import { cli, tempDir } from '../helpers.js';
import { constant, FakeDeblurModel, movingSquare } from './fake-model.js';

const run = <F extends Frame>(frames: readonly F[], options: DeblurOptions): Promise<F[]> => lastValueFrom(from(frames).pipe(deblur<F>(options), toArray()));
const clip = (n: number, width: number, height: number, options?: Parameters<typeof movingSquare>[3]) => Array.from({ length: n }, (_, k) => movingSquare(width, height, k, options));
const plane = (feeds: { width: number; height: number }) => feeds.width * feeds.height;
const dir = tempDir('promotion-deblur-operator-');

describe('deblur(): what goes in and what comes out', () => {
  it('an identity network gives back every frame exactly (8-bit, 16-bit, float), with its index, timestamp and other fields', async () => {
    for (const frames of [clip(4, 50, 37), clip(4, 50, 37, { sixteen: true }), clip(3, 40, 33).map((f) => toFloatFrame(f))]) {
      const withExtra = frames.map((f) => ({ ...f, annotation: { note: f.index } }));
      const model = new FakeDeblurModel();
      const out = await run(withExtra, { model });
      expect(out).toHaveLength(frames.length);
      out.forEach((o, k) => {
        expect(o.sampleType).toBe(frames[k]!.sampleType);
        expect(o.data.constructor).toBe(frames[k]!.data.constructor);
        expect([o.index, o.timestampMs, o.width, o.height]).toEqual([k, frames[k]!.timestampMs, frames[k]!.width, frames[k]!.height]);
        expect(o.annotation).toEqual({ note: k });
        expect(o.data).toEqual(frames[k]!.data);
        expect(o.data).not.toBe(frames[k]!.data); // a new frame, not the input
      });
    }
  });

  it('writes the network input of every call of a stream into one buffer, with the same results as fresh buffers', async () => {
    const frames = clip(4, 50, 37);
    const model = new FakeDeblurModel();
    const out = await run(frames, { model });
    expect(model.frameBuffers).toHaveLength(4);
    expect(new Set(model.frameBuffers).size).toBe(1);
    expect(out.map((o) => o.data)).toEqual(frames.map((f) => f.data)); // identity network: the centre frame of each call
    expect(model.calls[0]!.frames).not.toEqual(model.calls[1]!.frames); // each call's own window, written over the last
    const other = new FakeDeblurModel();
    await run(frames, { model: other });
    expect(other.frameBuffers[0]).not.toBe(model.frameBuffers[0]); // one buffer per stream
  });

  it('pads each frame and its motion map to the model multiple (at least minSize) with edge replication, and crops back', async () => {
    const frames = clip(3, 50, 37);
    const model = new FakeDeblurModel();
    await run(frames, { model });
    for (const feeds of model.calls) {
      expect([feeds.width, feeds.height]).toEqual([64, 48]);
      const p = plane(feeds);
      for (let t = 0; t < 5; t++) {
        for (let c = 0; c < 3; c++) {
          const base = (t * 3 + c) * p;
          for (let y = 0; y < 48; y++) {
            for (let x = 0; x < 64; x++) {
              const src = Math.min(y, 36) * 64 + Math.min(x, 49);
              if (x >= 50 || y >= 37) expect(feeds.frames[base + y * 64 + x]).toBe(feeds.frames[base + src]);
            }
          }
        }
      }
      for (let y = 0; y < 48; y++) for (let x = 50; x < 64; x++) expect(feeds.motion[y * 64 + x]).toBe(feeds.motion[Math.min(y, 36) * 64 + 49]);
    }
  });

  it("feeds the contract's inputs: NTCHW frames of the replicated window, whole-frame statistics, the motion map of the input frames", async () => {
    const frames = clip(5, 64, 48);
    const model = new FakeDeblurModel();
    await run(frames, { model });
    expect(model.calls).toHaveLength(5);
    const maps = await lastValueFrom(from(frames).pipe(motionMaps(), toArray()));
    for (let k = 0; k < 5; k++) {
      const feeds = model.calls[k]!;
      const windowIndices = [k - 2, k - 1, k, k + 1, k + 2].map((i) => Math.min(Math.max(i, 0), 4));
      const window = windowIndices.map((i) => frames[i]!);
      // frames: [1, 5, 3, H, W], values / 255
      const p = plane(feeds);
      windowIndices.forEach((i, t) => {
        for (const pixel of [0, 777, p - 1]) {
          for (let c = 0; c < 3; c++) expect(feeds.frames[(t * 3 + c) * p + pixel]).toBeCloseTo(frames[i]!.data[pixel * 3 + c]! / 255, 7);
        }
      });
      const stats = windowStatistics(window);
      expect(Array.from(feeds.blurWeights)).toEqual(Array.from(Float32Array.from(stats.blurWeights)));
      expect(Array.from(feeds.contrastScale)).toEqual(Array.from(Float32Array.from(stats.contrastScale)));
      expect(feeds.motion).toEqual(maps[k]!.motion.data);
      expect(Math.max(...feeds.motion)).toBeGreaterThan(0.5); // the square moves
    }
  });

  it("with gapPolicy 'split', the motion map splits where the windows do: no flow across dropped frames", async () => {
    // Frames 0, 1, 2, then the source dropped 3 and 4: 5, 6, 7.
    const frames = clip(6, 64, 48).map((f, k) => ({ ...f, index: k < 3 ? k : k + 2 }));
    const segment = (part: typeof frames) => lastValueFrom(from(part).pipe(motionMaps(), toArray()));
    const expected = [...(await segment(frames.slice(0, 3))), ...(await segment(frames.slice(3)))];
    const split = new FakeDeblurModel();
    await run(frames, { model: split, gapPolicy: 'split' });
    split.calls.forEach((feeds, k) => expect(feeds.motion).toEqual(expected[k]!.motion.data));
    // Bridged, frame 2's map takes the flow to frame 5 and differs.
    const bridged = new FakeDeblurModel();
    await run(frames, { model: bridged });
    expect(bridged.calls[2]!.motion).not.toEqual(expected[2]!.motion.data);
  });

  it("computes the motion input with the flow options the model's card names (motionMap.flow)", async () => {
    const frames = Array.from({ length: 4 }, (_, k) => movingSquare(96, 64, k, { speed: 6 }));
    const flow = { finestLevel: 1 };
    const expected = await lastValueFrom(from(frames).pipe(motionMaps({ flow }), toArray()));
    const full = await lastValueFrom(from(frames).pipe(motionMaps(), toArray()));
    const model = new FakeDeblurModel();
    Object.assign(model, { contract: { ...model.contract, motionFlow: flow } });
    await run(frames, { model });
    model.calls.forEach((feeds, k) => expect(feeds.motion).toEqual(expected[k]!.motion.data));
    expect(full.some((m, k) => m.motion.data.some((v, i) => v !== expected[k]!.motion.data[i]))).toBe(true);
  });

  it('feeds a model that reads the flow vectors (contract version 3) the flow input of the same flows as its motion map, over each tile, edge-replicated', async () => {
    const frames = Array.from({ length: 4 }, (_, k) => movingSquare(96, 64, k, { speed: 6 }));
    const flow = { finestLevel: 1 };
    const expected = await lastValueFrom(from(frames).pipe(motionMaps({ flow, flowInput: true }), toArray()));
    const model = new FakeDeblurModel();
    Object.assign(model, { contract: { ...model.contract, motionFlow: flow, usesFlow: true } });
    await run(frames, { model });
    expect(model.calls.length).toBe(4);
    model.calls.forEach((feeds, k) => {
      expect(feeds.motion).toEqual(expected[k]!.motion.data);
      expect(feeds.flow).toEqual(expected[k]!.motion.flow!.data);
    });
    // At the ends the missing flow is the other's negation; the square moves 6 px right: forward u ~ +6 on it.
    const first = model.calls[0]!.flow!;
    const plane = 96 * 64;
    for (let i = 0; i < plane; i++) expect(first[2 * plane + i]).toBe(0 - first[i]!);
    expect(Math.max(...first.subarray(0, plane))).toBeGreaterThan(4);
    // Tiled, with a frame smaller than minSize padded: each tile's flow is the frame's flow input over its run.
    const tiled = new FakeDeblurModel();
    Object.assign(tiled, { contract: { ...tiled.contract, motionFlow: flow, usesFlow: true } });
    await run(frames, { model: tiled, tileSize: 64, overlap: 16 });
    expect(tiled.calls.length).toBeGreaterThan(4);
    const whole = expected[1]!.motion.flow!;
    for (const feeds of tiled.calls.slice(2, 4)) {
      // frame 1's tiles: each equals the whole frame's flow input over some run rectangle of its size
      expect(feeds.flow!.length).toBe(4 * feeds.width * feeds.height);
      const found = Array.from({ length: 97 }, (_, x) => x - 16).some((x0) =>
        Array.from({ length: 33 }, (_, y) => y - 16).some((y0) => {
          const want = toPlanesFloat32(whole, 4, { x: x0, y: y0, width: feeds.width, height: feeds.height });
          return want.every((v, i) => v === feeds.flow![i]);
        }),
      );
      expect(found).toBe(true);
    }
    // A model without the flow input gets none.
    const plain = new FakeDeblurModel();
    await run(frames, { model: plain });
    expect(plain.calls.every((f) => f.flow === undefined)).toBe(true);
  });

  it("motionScope 'regions' gives a flow-reading model the flow input over the region, which over the whole frame is the contract's", async () => {
    const frames = clip(4, 96, 64);
    const model = new FakeDeblurModel();
    Object.assign(model, { contract: { ...model.contract, usesFlow: true } });
    await run(frames, { model, roi: { kind: 'boxes', boxes: [{ x: 0, y: 0, width: 96, height: 64 }] }, motionScope: 'regions' });
    const maps = await lastValueFrom(from(frames).pipe(motionMaps({ flowInput: true }), toArray()));
    model.calls.forEach((feeds, k) => expect(feeds.flow).toEqual(maps[k]!.motion.flow!.data));
  });

  it('the motion input is, to the 16-bit code, the motion map `promotion synth` stores for the same blurred frames', async () => {
    const input = join(dir, 'clip');
    mkdirSync(input);
    for (let k = 0; k < 5; k++) writeFileSync(join(input, `f${k}.png`), await encodeImage(movingSquare(64, 48, k), 'png'));
    const r = await cli(['synth', input, '-o', join(dir, 'synth'), '--json']);
    expect(r.code).toBe(0);
    const seq = join(dir, 'synth', 'clip');
    const files = readdirSync(join(seq, 'blur')).sort();
    const blurred = await Promise.all(files.map((f, k) => decodeImage(join(seq, 'blur', f), 'uint8', k, k * 33)));
    const model = new FakeDeblurModel();
    await run(blurred, { model });
    for (const [k, f] of files.entries()) {
      const stored = await decodeGrey16(join(seq, 'motion', f));
      const ours = motionMapToUint16({ width: 64, height: 48, data: model.calls[k]!.motion });
      expect(ours).toEqual(stored.data);
    }
  });

  it('cuts frames larger than the tile into overlapping tiles on the 16-px grid and blends them back seamlessly', async () => {
    const frames = clip(2, 200, 150);
    const model = new FakeDeblurModel();
    const infos: DeblurFrameInfo[] = [];
    const out = await run(frames, { model, tileSize: 64, overlap: 16, onFrameInfo: (i) => infos.push(i) });
    expect(infos.map((i) => i.networkCalls)).toEqual([12, 12]); // 4 x 3 tiles
    for (const feeds of model.calls) {
      expect(feeds.width).toBe(64);
      expect(feeds.height).toBe(64);
    }
    out.forEach((o, k) => expect(o.data).toEqual(frames[k]!.data));
  });

  it('blends every region of a stream in one band, taken again (and cleared) after a region that stopped half-way', async () => {
    const frames = clip(5, 200, 150);
    const inputs: WindowInputs = {
      frames,
      blurWeights: new Float32Array(5).fill(1),
      contrastScale: new Float32Array(5).fill(0.1),
      motionFor: () => ({ motion: (rect) => new Float32Array(rect.width * rect.height) }),
    };
    const region = { x: 0, y: 0, width: 200, height: 150 };
    const restore = async (scratch: { band?: Float32Array }, stopAfter = Infinity) => {
      const rows = new Map<number, Float32Array>();
      let tiles = 0;
      const n = await restoreRegion({ model: new FakeDeblurModel(), tileSize: 64, overlap: 16, cancelled: () => tiles++ >= stopAfter, scratch }, inputs, region, (y, values) => rows.set(y, Float32Array.from(values)));
      return { n, rows };
    };
    const fresh = await restore({});
    expect(fresh.n).toBe(12);
    const scratch: { band?: Float32Array } = {};
    expect((await restore(scratch, 5)).n).toBe(-1); // stopped with tiles blended into the band
    const band = scratch.band;
    expect(band).toBeDefined();
    expect(band!.some((v) => v !== 0)).toBe(true);
    const again = await restore(scratch);
    expect(scratch.band).toBe(band); // the same memory
    expect(again.n).toBe(12);
    expect([...again.rows.keys()]).toEqual([...fresh.rows.keys()]);
    for (const [y, values] of fresh.rows) expect(again.rows.get(y), `row ${y}`).toEqual(values);
  });

  it('resolveDeblurOptions checks the options and resolves their defaults without building an operator', () => {
    const model = new FakeDeblurModel();
    const r = resolveDeblurOptions({ model });
    expect(r).toMatchObject({ given: model, givenTile: undefined, givenOverlap: undefined, roi: undefined, motionScope: 'frame', gapPolicy: 'bridge', maxGap: 1, givenClamp: undefined });
    // The clamp radius resolves per model: given, else the card's, else the default.
    expect(clampRadiusFor(model, undefined)).toBe(DEFAULT_CLAMP_RADIUS);
    expect(clampRadiusFor({ contract: { ...model.contract, clampRadius: 1 } }, undefined)).toBe(1);
    expect(clampRadiusFor({ contract: { ...model.contract, clampRadius: 1 } }, 0)).toBe(0);
    expect(() => resolveDeblurOptions({ model, tileSize: 10 })).toThrow('Expected integer between 64 and 16384 for tileSize but received 10 of type number');
    expect(() => resolveDeblurOptions({ model, roi: { kind: 'motion' }, motionScope: 'regions' })).toThrow(InvalidOptionError);
    expect(model.calls).toHaveLength(0);
  });

  it("without a tileSize, runs the tile the model's card asks for; a tileSize given wins", async () => {
    const frames = clip(1, 200, 150);
    const calls = async (options: { tileSize?: number }, tileSize?: number) => {
      const model = new FakeDeblurModel();
      Object.assign(model, { contract: { ...model.contract, ...(tileSize !== undefined ? { tileSize } : {}) } });
      const infos: DeblurFrameInfo[] = [];
      await run(frames, { model, ...options, onFrameInfo: (i) => infos.push(i) });
      return { calls: infos[0]!.networkCalls, width: model.calls[0]!.width };
    };
    expect(await calls({})).toEqual({ calls: 1, width: 208 }); // the runtime's default (512): one call
    expect(await calls({}, 64)).toEqual({ calls: 12, width: 64 }); // the card's 64: 4 x 3 tiles
    expect(await calls({ tileSize: 128 }, 64)).toEqual({ calls: 4, width: 128 }); // given: 2 x 2
  });

  it("without a clampRadius, clamps at the radius the model's card gives; a clampRadius given wins", async () => {
    const frames = clip(2, 100, 70, { sixteen: true });
    const overshooting = (clampRadius?: number) => {
      const model = new FakeDeblurModel(constant(1));
      if (clampRadius !== undefined) Object.assign(model, { contract: { ...model.contract, clampRadius } });
      return model;
    };
    const box = { x: 0, y: 0, width: 100, height: 70 };
    // The card's 0: no clamp, every sample at full scale.
    const cardOff = await run(frames, { model: overshooting(0), tileSize: 64, overlap: 16 });
    expect(cardOff.every((f) => f.data.every((v) => v === 65535))).toBe(true);
    // The card's 1: each sample is its 3x3 window's maximum.
    const cardOne = await run(frames, { model: overshooting(1), tileSize: 64, overlap: 16 });
    for (const [k, f] of frames.entries()) expect(Array.from(cardOne[k]!.data)).toEqual(Array.from(localExtremes(f, box, 1).hi));
    // Given wins over the card.
    const given = await run(frames, { model: overshooting(0), tileSize: 64, overlap: 16, clampRadius: 2 });
    for (const [k, f] of frames.entries()) expect(Array.from(given[k]!.data)).toEqual(Array.from(localExtremes(f, box, 2).hi));
  });

  it("follows the motion with the clamp's radius where the card asks for it (clampMotion); a clampRadius given holds everywhere", async () => {
    const frames = clip(4, 100, 70, { sixteen: true, speed: 6 });
    const model = new FakeDeblurModel(constant(1));
    Object.assign(model, { contract: { ...model.contract, clampRadius: 1, clampMotion: { scale: 1, maxRadius: 4 } } });
    expect(clampMotionFor(model, undefined)).toEqual({ scale: 1, maxRadius: 4 });
    expect(clampMotionFor(model, 2)).toBeUndefined();
    const box = { x: 0, y: 0, width: 100, height: 70 };
    const following = await run(frames, { model, tileSize: 64, overlap: 16 });
    const given = await run(frames, { model, tileSize: 64, overlap: 16, clampRadius: 1 });
    let wider = 0;
    let kept = 0;
    for (const [k, f] of frames.entries()) {
      const one = localExtremes(f, box, 1).hi;
      const four = localExtremes(f, box, 4).hi;
      expect(Array.from(given[k]!.data)).toEqual(Array.from(one));
      // Full scale is above every range: each sample is its own window's maximum, at a radius from 1 to 4.
      following[k]!.data.forEach((v, i) => {
        expect(v).toBeGreaterThanOrEqual(one[i]!);
        expect(v).toBeLessThanOrEqual(four[i]!);
        if (v > one[i]!) wider++;
        else kept++;
      });
    }
    // The moving square's pixels get a wider window; the still background keeps radius 1.
    expect(wider).toBeGreaterThan(0);
    expect(kept).toBeGreaterThan(wider);
  });

  it('clamps the output to the input frame\'s local range (default radius 3; 0 turns it off), whole frames and tiles alike', async () => {
    const frames = clip(3, 100, 70, { sixteen: true });
    // A network that overshoots everywhere: every sample at full scale.
    const clamped = await run(frames, { model: new FakeDeblurModel(constant(1)), tileSize: 64, overlap: 16 });
    const raw = await run(frames, { model: new FakeDeblurModel(constant(1)), tileSize: 64, overlap: 16, clampRadius: 0 });
    expect(DEFAULT_CLAMP_RADIUS).toBe(3);
    for (const [k, f] of frames.entries()) {
      expect(raw[k]!.data.every((v) => v === 65535)).toBe(true);
      const out = clamped[k]!.data;
      // Full scale is above every local range: each output sample is its window's maximum (radius 3).
      const box = { x: 0, y: 0, width: 100, height: 70 };
      expect(Array.from(out)).toEqual(Array.from(localExtremes(f, box, 3).hi));
      expect(Array.from(out)).not.toEqual(Array.from(f.data));
    }
  });

  it('keeps working through pipeSource with bounded memory: a high-water mark of 4 is enough (look-ahead 3)', async () => {
    const frames = clip(12, 48, 32);
    async function* source() {
      yield* frames;
    }
    const model = new FakeDeblurModel();
    const out = await lastValueFrom(pipeSource(source(), deblur({ model }), { highWaterMark: 4 }).pipe(toArray()));
    expect(out.map((f) => f.index)).toEqual(frames.map((f) => f.index));
    // With fewer credits than the look-ahead, the pipeline can never emit: the watchdog says so instead of hanging.
    const stalled = lastValueFrom(pipeSource(source(), deblur({ model }), { highWaterMark: 3, stallTimeoutMs: 300 }));
    await expect(stalled).rejects.toBeInstanceOf(PipelineStallError);
  });
});

describe('deblur(): regions of interest', () => {
  const grey = (width: number, height: number, v: number, index: number) => createRgb8Frame(new Uint8Array(width * height * 3).fill(v), { width, height, index, timestampMs: index * 33 });

  it('restores only the boxes and blends them back with a feathered edge; the rest passes through unchanged', async () => {
    const frames = [0, 1, 2].map((k) => grey(96, 64, 100, k));
    const model = new FakeDeblurModel(constant(1));
    const box = { x: 30, y: 20, width: 40, height: 24 };
    // clampRadius 0: the constant network's output as it is (the clamp would hold it to the flat input's 100).
    const out = await run(frames, { model, roi: { kind: 'boxes', boxes: [box, { x: 0, y: 0, width: 12, height: 12 }], feather: 4 }, clampRadius: 0 });
    // Only the boxes' neighbourhoods went through the network, not the whole frame.
    expect(model.calls.map((c) => `${c.width}x${c.height}`)).toEqual(['32x32', '64x32', '32x32', '64x32', '32x32', '64x32']);
    const at = (f: Frame, x: number, y: number) => f.data[(y * 96 + x) * 3]!;
    for (const f of out) {
      for (let y = 0; y < 64; y++) {
        for (let x = 0; x < 96; x++) {
          const inBox = x >= 30 && x < 70 && y >= 20 && y < 44;
          const inCorner = x < 12 && y < 12;
          if (!inBox && !inCorner) expect(at(f, x, y), `${x},${y}`).toBe(100);
        }
      }
      // Inside the feathered edge: fully restored; across it: a ramp from the input to the restored value.
      for (let y = 24; y < 40; y++) for (let x = 34; x < 66; x++) expect(at(f, x, y)).toBe(255);
      const ramp = [30, 31, 32, 33, 34].map((x) => at(f, x, 32));
      expect(ramp).toEqual([Math.round(100 + 155 * 0.125), Math.round(100 + 155 * 0.375), Math.round(100 + 155 * 0.625), Math.round(100 + 155 * 0.875), 255]);
      // A box at the frame's border has no seam there, so no feather there.
      expect(at(f, 0, 0)).toBe(255);
      expect(at(f, 11, 0)).toBeLessThan(255);
    }
  });

  it('motion ROI restores where things move and nothing where they do not', async () => {
    const frames = clip(5, 160, 96);
    const model = new FakeDeblurModel(constant(1));
    const infos: DeblurFrameInfo[] = [];
    const out = await run(frames, { model, roi: { kind: 'motion', margin: 8 }, onFrameInfo: (i) => infos.push(i) });
    for (const [k, info] of infos.entries()) {
      expect(info.regions.length).toBeGreaterThan(0);
      const area = info.regions.reduce((a, r) => a + r.width * r.height, 0);
      expect(area).toBeLessThan(0.5 * 160 * 96);
      // The square (8 + 4k .. 20 + 4k, 42 .. 54) is inside a region.
      const square = { x: 8 + 4 * k, y: 42, width: 12, height: 12 };
      expect(info.regions.some((r) => r.x <= square.x && r.y <= square.y && r.x + r.width >= square.x + square.width && r.y + r.height >= square.y + square.height)).toBe(true);
      // The far corner did not move: it passes through.
      expect(out[k]!.data.slice(-300)).toEqual(frames[k]!.data.slice(-300));
    }
    // A still sequence restores nothing at all.
    const still = [0, 1, 2].map(() => movingSquare(160, 96, 0)).map((f, k) => ({ ...f, index: k }));
    const stillModel = new FakeDeblurModel(constant(1));
    const stillOut = await run(still, { model: stillModel, roi: { kind: 'motion' } });
    expect(stillModel.calls).toHaveLength(0);
    stillOut.forEach((f, k) => expect(f.data).toEqual(still[k]!.data));
  });

  it('hands ROI: boxes from the estimator on the input frames, in order, held for holdFrames frames when the hand is lost', async () => {
    const frames = [0, 1, 2, 3, 4].map((k) => grey(160, 120, 90, k));
    const seen: number[] = [];
    const estimator: HandPoseEstimator = {
      name: 'fake hands',
      mode: 'video',
      async estimate(frame: Frame): Promise<HandsResult> {
        seen.push(frame.index);
        const landmarksPx = Array.from({ length: 21 }, (_, i) => [60 + 2 * frame.index + (i % 5) * 5, 40 + Math.floor(i / 5) * 5, 0] as [number, number, number]);
        const hands = frame.index < 2 ? [{ handedness: 'left' as const, handednessScore: 1, landmarksPx, landmarksNormalized: [], worldLandmarksM: [] }] : [];
        return { index: frame.index, timestampMs: frame.timestampMs, width: frame.width, height: frame.height, hands };
      },
      close: async () => undefined,
    };
    const model = new FakeDeblurModel(constant(0));
    const infos: DeblurFrameInfo[] = [];
    const out = await run(frames, { model, roi: { kind: 'hands', estimator, margin: 0, holdFrames: 1, feather: 0 }, clampRadius: 0, onFrameInfo: (i) => infos.push(i) });
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(infos.map((i) => i.regions)).toEqual([
      [{ x: 60, y: 40, width: 20, height: 20 }],
      [{ x: 62, y: 40, width: 20, height: 20 }],
      [{ x: 62, y: 38, width: 24, height: 24 }], // held: moved 2 px right, grown 2 px per side
      [],
      [],
    ]);
    expect(out[0]!.data[(50 * 160 + 70) * 3]).toBe(0); // inside the hand box: restored (to 0 by this network)
    expect(out[0]!.data[(10 * 160 + 10) * 3]).toBe(90);
    expect(out[3]!.data).toEqual(frames[3]!.data);
  });

  it("motionScope 'regions' computes the motion map over the region; over the whole frame it equals the contract's map", async () => {
    const frames = clip(4, 96, 64);
    const model = new FakeDeblurModel();
    await run(frames, { model, roi: { kind: 'boxes', boxes: [{ x: 0, y: 0, width: 96, height: 64 }] }, motionScope: 'regions' });
    const maps = await lastValueFrom(from(frames).pipe(motionMaps(), toArray()));
    model.calls.forEach((feeds, k) => expect(feeds.motion).toEqual(maps[k]!.motion.data));
  });
});

describe('deblur(): model lifetime and cancellation', () => {
  it('stops between tiles when unsubscribed, and closes a model it made only after the call in flight returned', async () => {
    const frames = clip(3, 200, 150);
    const model = new FakeDeblurModel(undefined, 40);
    const outputs: Frame[] = [];
    const infos: DeblurFrameInfo[] = [];
    const subscription = (from(frames).pipe(deblur({ model: async () => model, tileSize: 64, overlap: 16, onFrameInfo: (i) => infos.push(i) })) as Observable<Frame>).subscribe((f) => outputs.push(f));
    while (model.calls.length < 3) await new Promise((r) => setTimeout(r, 5));
    subscription.unsubscribe();
    const callsAtStop = model.calls.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(model.calls.length).toBe(callsAtStop); // no tile started after the stop (12 per frame would follow)
    expect(outputs).toHaveLength(0);
    expect(infos).toEqual([]); // a frame cut short is not reported as restored
    expect(model.closeCount).toBe(1);
    expect(model.closedAt!).toBeGreaterThanOrEqual(model.returnedAt.at(-1)!);
    expect(model.returnedAt).toHaveLength(callsAtStop);
  });

  it('does not close a model object the caller passed', async () => {
    const model = new FakeDeblurModel();
    await run(clip(2, 32, 32), { model });
    expect(model.closeCount).toBe(0);
  });

  it('closes a model its factory made when the model fails the contract check', async () => {
    const model = new FakeDeblurModel();
    Object.defineProperty(model, 'contract', { value: { ...model.contract, centreIndex: 1 } });
    await expect(run(clip(2, 32, 32), { model: () => Promise.resolve(model) })).rejects.toThrow('model.contract.centreIndex');
    expect(model.closeCount).toBe(1);
  });
});

describe('deblur(): errors name the option or the frame and the fix', () => {
  const model = new FakeDeblurModel();
  it('validates options when called', () => {
    expect(() => deblur({ model, clampRadius: -1 })).toThrow(new InvalidOptionError('Expected integer between 0 and 64 for clampRadius but received -1 of type number'));
    expect(() => deblur({ model, clampRadius: 1.5 })).toThrow(InvalidOptionError);
    expect(() => deblur({ model, tileSize: 50 })).toThrow(new InvalidOptionError('Expected integer between 64 and 16384 for tileSize but received 50 of type number'));
    expect(() => deblur({ model, overlap: 200 })).toThrow(new InvalidOptionError('Expected integer between 0 and 128 for overlap but received 200 of type number'));
    expect(() => deblur({ model, roi: { kind: 'face' } as never })).toThrow(new InvalidOptionError(`Expected one of 'boxes', 'motion', 'hands' for roi.kind but received "face" of type string`));
    expect(() => deblur({ model, roi: { kind: 'motion', threshold: 0 } })).toThrow(new InvalidOptionError('Expected number greater than 0 and at most 1 for roi.threshold but received 0 of type number'));
    expect(() => deblur({ model, motionScope: 'regions' })).toThrow(
      new InvalidOptionError("motionScope 'regions' needs roi kind 'boxes' or 'hands' (roi is not set: the whole frame is restored); use motionScope 'frame'"),
    );
    expect(() => deblur({ model, device: 'cuda' })).toThrow(/device cannot be combined with a model object/);
    expect(() => deblur({ model, tilesize: 64 } as never)).toThrow(/^Unknown option tilesize in deblur options; known options: model, device, threads/);
    expect(() => deblur({ device: 'gpu' as never })).toThrow(new InvalidOptionError(`Expected one of 'cpu', 'cuda', 'auto' for device but received "gpu" of type string`));
    expect(() => deblur({ model: 'no-such-model' })).toThrow(InputNotFoundError);
    expect(() => deblur({ model: 'no-such-model' })).toThrow(/^Model no-such-model not found: .*models\/no-such-model\.onnx does not exist\. Models in .*models: /);
  });

  it('refuses frames that are too small, change size, or hold linear light', async () => {
    await expect(run([0, 1].map((k) => createRgb8Frame(new Uint8Array(8 * 8 * 3), { width: 8, height: 8, index: k })), { model })).rejects.toThrow(
      new FrameMismatchError('deblur: frames are 8x8, smaller than the 16x16 deblurring needs; scale the input up first'),
    );
    await expect(run([movingSquare(48, 32, 0), movingSquare(64, 32, 1)], { model })).rejects.toThrow(
      new FrameMismatchError('deblur: frame 1 is 64x32 but the stream started at 48x32; a window needs frames of one size (split the input where the size changes)'),
    );
    await expect(run([toFloatFrame(movingSquare(48, 32, 0), { light: 'linear' })], { model })).rejects.toThrow(/holds linear light; the model takes gamma-encoded frames/);
  });
});
