import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { EmptyInputError, FrameMismatchError } from '../../src/errors.js';
import { renderExact, renderScene, sampleTrajectory, type Scene, steadyTrajectory, trajectoryFromParameters, type TrajectoryParameters } from '../../src/blur-synthesis/exact.js';
import { synthesizeBlur } from '../../src/blur-synthesis/synthesize.js';
import { psnr } from '../../src/metrics/psnr.js';
import { type Frame, type RgbFloatFrame, toIntegerFrame } from '../../src/stream/frame.js';
import { createRng } from '../../src/util/rng.js';
import { noiseLinearImage, patternFrame } from '../helpers.js';

const W = 160;
const H = 120;
const background = noiseLinearImage(420, 300, 3);

function pan(vx: number, vy: number, extra: Partial<TrajectoryParameters> = {}): Scene {
  return {
    background,
    width: W,
    height: H,
    camera: trajectoryFromParameters(steadyTrajectory({ start: { x: 150, y: 150 }, velocity: { x: vx, y: vy }, ...extra })),
  };
}

/** A rendered image as a 16-bit frame (gamma-encoded), index k. */
function frameOf(img: { width: number; height: number; data: Float32Array }, k: number): Frame {
  const f: RgbFloatFrame = { width: img.width, height: img.height, channels: 3, index: k, timestampMs: (k * 1000) / 30, sampleType: 'float32', light: 'linear', data: img.data };
  return toIntegerFrame(f, 'uint16');
}

async function synthesize(scene: Scene, frames: number, options = {}) {
  const sharp = Array.from({ length: frames }, (_, k) => frameOf(renderScene(scene, k), k));
  return lastValueFrom(from(sharp).pipe(synthesizeBlur({ inputFps: 30, ...options }), toArray()));
}

describe('blur synthesis', () => {
  it('matches the exact render of a pan (12 px per frame) to over 45 dB away from the borders, and sharp frames pass through', async () => {
    const scene = pan(12, 0);
    const pairs = await synthesize(scene, 3);
    expect(pairs.map((p) => p.sharp.index)).toEqual([0, 1, 2]);
    const exact = frameOf(renderExact(scene, 1).blurred, 1);
    const sharp = frameOf(renderScene(scene, 1), 1);
    // Within one frame of motion (12 px) of the edges the exposure sees content no sharp frame holds and the flow
    // is least certain (measured here: 44 dB with 6 px cropped, 53 dB with 12): crop it.
    expect(psnr(pairs[1]!.blurred, exact, { cropBorder: 12 })).toBeGreaterThan(45);
    // ...and the blur is real: the exact blurred frame is far from the sharp one
    expect(psnr(sharp, exact)).toBeLessThan(35);
    expect(pairs[1]!.blurred).toMatchObject({ index: 1, sampleType: 'uint16', width: W, height: H });
  });

  it('matches the exact render with rotation and zoom to over 40 dB', async () => {
    const scene = pan(8, 5, { angularVelocity: (1 * Math.PI) / 180, zoomRate: 1.01 });
    const pairs = await synthesize(scene, 3);
    expect(psnr(pairs[1]!.blurred, frameOf(renderExact(scene, 1).blurred, 1))).toBeGreaterThan(40);
  });

  it('the ends continue the nearest interval: the first and last frames of a steady pan match the exact render', async () => {
    const scene = pan(10, 0);
    const pairs = await synthesize(scene, 2);
    expect(psnr(pairs[0]!.blurred, frameOf(renderExact(scene, 0).blurred, 0))).toBeGreaterThan(40);
    expect(psnr(pairs[1]!.blurred, frameOf(renderExact(scene, 1).blurred, 1))).toBeGreaterThan(40);
  });

  it('path integration agrees with explicit virtual frames', async () => {
    const scene = pan(6, 3);
    const path = await synthesize(scene, 3, { method: 'path' });
    const explicit = await synthesize(scene, 3, { method: 'explicit' });
    expect(psnr(path[1]!.blurred, explicit[1]!.blurred)).toBeGreaterThan(60);
  });

  it('a still sequence stays sharp, and averaging happens in linear light (Eq. 8)', async () => {
    const still = [patternFrame(40, 30, 0), { ...patternFrame(40, 30, 0), index: 1 }];
    const pairs = await lastValueFrom(from(still).pipe(synthesizeBlur({ inputFps: 30 }), toArray()));
    expect(psnr(pairs[0]!.blurred, still[0]!)).toBe(Infinity);
    // A longer exposure of a pan blurs more (two intervals' worth vs one).
    const scene = pan(12, 0);
    const one = await synthesize(scene, 3, { exposureFrames: 64 });
    const two = await synthesize(scene, 3, { exposureFrames: 128 });
    const sharp = frameOf(renderScene(scene, 1), 1);
    expect(psnr(two[1]!.blurred, sharp)).toBeLessThan(psnr(one[1]!.blurred, sharp) - 2);
    expect(psnr(two[1]!.blurred, frameOf(renderExact(scene, 1, { exposureFrames: 128 }).blurred, 1))).toBeGreaterThan(40);
  });

  it('a gap in frame numbers (a missing frame) keeps the exposure one frame long', async () => {
    const scene = pan(6, 0);
    const sharp = [0, 2, 3].map((k) => frameOf(renderScene(scene, k), k));
    const pairs = await lastValueFrom(from(sharp).pipe(synthesizeBlur({ inputFps: 30 }), toArray()));
    // Frame 2's exposure reaches half a frame back: a quarter of the 2-frame interval, not half of it.
    expect(psnr(pairs[1]!.blurred, frameOf(renderExact(scene, 2).blurred, 2), { cropBorder: 12 })).toBeGreaterThan(40);
  });

  it('rejects bad parameters when the operator is made', () => {
    expect(() => synthesizeBlur({ inputFps: 30, virtualFps: 1000 })).toThrow(
      'Expected virtualFps to be a whole multiple of the input rate 30 fps but received 1000 (ratio 33.333); try 990.',
    );
    expect(() => synthesizeBlur({ inputFps: 30, exposureFrames: 129 })).toThrow('Expected integer between 1 and 128 for exposureFrames but received 129 of type number');
    expect(() => synthesizeBlur({ inputFps: 30, gamma: 0 })).toThrow('Expected number greater than 0 and at most 10 for gamma but received 0 of type number');
    expect(() => synthesizeBlur({ inputFps: 30, gamma: -2 })).toThrow('for gamma but received -2');
    expect(() => synthesizeBlur({ inputFps: 30, flow: { finestLevel: 20 } })).toThrow('Expected integer between 0 and 12 for finestLevel but received 20 of type number');
    expect(() => synthesizeBlur({ inputFps: 30, threads: 2, method: 'explicit' })).toThrow("Expected 'path' when threads > 1 (the explicit reference runs on one thread) for method but received \"explicit\" of type string");
    expect(() => synthesizeBlur(undefined as unknown as { inputFps: number })).toThrow('Expected number greater than 0 and at most 10000 for inputFps but received undefined of type undefined');
  });

  it('a one-frame sequence and a size change mid-sequence are clear errors', async () => {
    await expect(lastValueFrom(from([patternFrame(16, 16)]).pipe(synthesizeBlur({ inputFps: 30 })))).rejects.toThrow(
      new EmptyInputError('Blur synthesis needs at least 2 frames (the motion comes from neighbouring frames), but the sequence has 1.'),
    );
    await expect(lastValueFrom(from([patternFrame(16, 16, 0), patternFrame(18, 16, 1)]).pipe(synthesizeBlur({ inputFps: 30 })))).rejects.toThrow(
      new FrameMismatchError('Frame 1 is 18x16 but the sequence started at 16x16; blur synthesis needs one size per sequence.'),
    );
  });

  it('sampled trajectories are deterministic for a seed and stay inside the photo', () => {
    const a = sampleTrajectory(createRng(42), { width: 2000, height: 1500 }, { width: 320, height: 240 }, 30);
    const b = sampleTrajectory(createRng(42), { width: 2000, height: 1500 }, { width: 320, height: 240 }, 30);
    expect(a).toEqual(b);
    const traj = trajectoryFromParameters(a);
    for (const t of [0, 15, 29]) {
      const p = traj(t);
      expect(p.cx).toBeGreaterThan(0);
      expect(p.cx).toBeLessThan(2000);
      expect(p.cy).toBeGreaterThan(0);
      expect(p.cy).toBeLessThan(1500);
    }
  });
});
