/**
 * MediaPipe's HandLandmarker through the adapter, on real hand photos (test/fixtures/hands, NOTICE.md there).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import { HAND_LANDMARK, HAND_LANDMARK_COUNT, type HandPose, type HandPoseEstimator, type HandsResult } from '../../src/handpose/estimator.js';
import { handToFpha } from '../../src/handpose/fpha-order.js';
import { createHandLandmarker } from '../../src/handpose/mediapipe-hand-landmarker.js';
import { createRgb8Frame, toFloatFrame, toIntegerFrame } from '../../src/stream/frame.js';
import { patternFrame } from '../helpers.js';
import { ALL_PHOTOS, OPEN_PALM_PHOTOS, loadPhoto, mirrored, panFrames, sideBySide, type PhotoName } from './photos.js';

let image: HandPoseEstimator;
let lite: HandPoseEstimator;
const results = new Map<PhotoName, HandsResult>();

beforeAll(async () => {
  image = await createHandLandmarker({ mode: 'image' });
  lite = await createHandLandmarker({ mode: 'image', model: 'lite' });
  for (const name of ALL_PHOTOS) results.set(name, await image.estimate(await loadPhoto(name)));
});
afterAll(async () => {
  await image?.close();
  await lite?.close();
});

const only = (r: HandsResult | undefined): HandPose => {
  expect(r?.hands).toHaveLength(1);
  return r!.hands[0]!;
};
const distance = (a: readonly number[], b: readonly number[]) => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!);
const FINGERS = ['thumb', 'index', 'middle', 'ring', 'pinky'] as const;
const knuckle = (finger: (typeof FINGERS)[number]) => (finger === 'thumb' ? HAND_LANDMARK.thumb.mcp : HAND_LANDMARK[finger].mcp);

describe('MediaPipe hand landmarker (IMAGE mode, full model)', () => {
  it('finds one hand in each real photo, with 21 landmarks in three coordinate systems', () => {
    for (const name of ALL_PHOTOS) {
      const r = results.get(name)!;
      const hand = only(r);
      expect(hand.landmarksPx).toHaveLength(HAND_LANDMARK_COUNT);
      expect(hand.landmarksNormalized).toHaveLength(HAND_LANDMARK_COUNT);
      expect(hand.worldLandmarksM).toHaveLength(HAND_LANDMARK_COUNT);
      // Pixels are the normalized coordinates scaled by the frame size.
      hand.landmarksPx.forEach(([x, y, z], i) => {
        const [nx, ny, nz] = hand.landmarksNormalized[i]!;
        expect(x).toBeCloseTo(nx * r.width, 9);
        expect(y).toBeCloseTo(ny * r.height, 9);
        expect(z).toBeCloseTo(nz * r.width, 9);
      });
      // World landmarks are metres across a hand: the wrist-to-middle-knuckle distance is a few centimetres.
      const [wx, wy, wz] = hand.worldLandmarksM[HAND_LANDMARK.wrist]!;
      const [mx, my, mz] = hand.worldLandmarksM[HAND_LANDMARK.middle.mcp]!;
      const palmM = Math.hypot(mx - wx, my - wy, mz - wz);
      expect(palmM).toBeGreaterThan(0.04);
      expect(palmM).toBeLessThan(0.15);
    }
  });

  it('puts every landmark inside the image', () => {
    for (const name of ALL_PHOTOS) {
      const r = results.get(name)!;
      for (const [x, y] of only(r).landmarksPx) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(r.width);
        expect(y).toBeGreaterThanOrEqual(0);
        expect(y).toBeLessThanOrEqual(r.height);
      }
    }
  });

  it('open palms: every fingertip is farther from the wrist than its knuckle, and the wrist is below the fingertips', () => {
    for (const name of OPEN_PALM_PHOTOS) {
      const L = only(results.get(name)).landmarksPx;
      const wrist = L[HAND_LANDMARK.wrist]!;
      for (const finger of FINGERS) {
        const tip = L[HAND_LANDMARK[finger].tip]!;
        expect(distance(tip, wrist), `${name} ${finger}`).toBeGreaterThan(distance(L[knuckle(finger)]!, wrist) * 1.2);
        if (finger !== 'thumb') expect(wrist[1], `${name} ${finger}`).toBeGreaterThan(tip[1] + 0.3 * distance(tip, wrist));
      }
    }
  });

  it('pointing index finger (nocurl): the index tip is the topmost landmark and the other tips sit near the palm', () => {
    const L = only(results.get('nocurl')).landmarksPx;
    const indexTip = L[HAND_LANDMARK.index.tip]!;
    expect(Math.min(...L.map(([, y]) => y))).toBe(indexTip[1]);
    const wrist = L[HAND_LANDMARK.wrist]!;
    for (const finger of ['middle', 'ring', 'pinky'] as const) {
      expect(distance(L[HAND_LANDMARK[finger].tip]!, wrist)).toBeLessThan(distance(indexTip, wrist) * 0.7);
    }
  });

  it('handedness: the right hands of nocurl and halfcurl are "right"; a mirrored open palm flips the label', async () => {
    for (const name of ['nocurl', 'halfcurl'] as const) {
      const hand = only(results.get(name));
      expect(hand.handedness, name).toBe('right');
      expect(hand.handednessScore, name).toBeGreaterThan(0.75);
    }
    for (const name of OPEN_PALM_PHOTOS) {
      const seen = only(results.get(name));
      const flipped = only(await image.estimate(mirrored(await loadPhoto(name))));
      expect(flipped.handedness, name).not.toBe(seen.handedness);
      expect(Math.min(seen.handednessScore, flipped.handednessScore), name).toBeGreaterThan(0.9);
      // Palm to the camera: the thumb is on the image's right exactly for a right hand.
      for (const hand of [seen, flipped]) {
        const thumbRightOfPinky = hand.landmarksPx[HAND_LANDMARK.thumb.tip]![0] > hand.landmarksPx[HAND_LANDMARK.pinky.mcp]![0];
        expect(hand.handedness).toBe(thumbRightOfPinky ? 'right' : 'left');
      }
    }
  });

  it('finds no hand on a test pattern or a flat grey frame', async () => {
    expect((await image.estimate(patternFrame(640, 480))).hands).toEqual([]);
    expect((await image.estimate(createRgb8Frame(new Uint8Array(320 * 240 * 3).fill(128), { width: 320, height: 240 }))).hands).toEqual([]);
  });

  it('numHands: two hands side by side are both found with numHands 2, one with the default 1', async () => {
    const palm = await loadPhoto('Back_Projection_Theory0');
    const pair = sideBySide(palm, mirrored(palm));
    const two = await createHandLandmarker({ mode: 'image', numHands: 2 });
    try {
      const found = (await two.estimate(pair)).hands;
      expect(found).toHaveLength(2);
      expect(found.map((h) => h.handedness).sort()).toEqual(['left', 'right']);
      const xs = found.map((h) => h.landmarksPx[HAND_LANDMARK.wrist]![0]).sort((a, b) => a - b);
      expect(xs[0]).toBeLessThan(palm.width);
      expect(xs[1]).toBeGreaterThan(palm.width);
    } finally {
      await two.close();
    }
    expect((await image.estimate(pair)).hands).toHaveLength(1);
  });

  it('gives identical results across runs and across estimators', async () => {
    const photo = await loadPhoto('halfcurl');
    const again = await image.estimate(photo);
    expect(again).toEqual(results.get('halfcurl'));
    const other = await createHandLandmarker({ mode: 'image' });
    try {
      expect(await other.estimate(photo)).toEqual(results.get('halfcurl'));
    } finally {
      await other.close();
    }
  });

  it('accepts 16-bit and float frames (converted to 8 bits) with the same result as 8-bit', async () => {
    const photo = await loadPhoto('Back_Projection_Theory2');
    const eight = results.get('Back_Projection_Theory2')!;
    expect(await image.estimate(toIntegerFrame(photo, 'uint16'))).toEqual(eight);
    expect(await image.estimate(toFloatFrame(photo))).toEqual(eight);
  });

  it('keeps the frame index and timestamp, and converts to FPHA joint order', async () => {
    const photo = await loadPhoto('Back_Projection_Theory0', 17, 566.7);
    const r = await image.estimate(photo);
    expect(r).toMatchObject({ index: 17, timestampMs: 566.7, width: 200, height: 200 });
    const hand = only(r);
    const fpha = handToFpha(hand);
    // FPHA: 0 Wrist, 1 TMCP, 2 IMCP, ..., 8 TTIP, 11 ITIP, 20 PTIP.
    expect(fpha.jointsPx[0]).toEqual(hand.landmarksPx[HAND_LANDMARK.wrist]!.slice(0, 2));
    expect(fpha.jointsPx[1]).toEqual(hand.landmarksPx[HAND_LANDMARK.thumb.cmc]!.slice(0, 2));
    expect(fpha.jointsPx[2]).toEqual(hand.landmarksPx[HAND_LANDMARK.index.mcp]!.slice(0, 2));
    expect(fpha.jointsPx[8]).toEqual(hand.landmarksPx[HAND_LANDMARK.thumb.tip]!.slice(0, 2));
    expect(fpha.jointsPx[11]).toEqual(hand.landmarksPx[HAND_LANDMARK.index.tip]!.slice(0, 2));
    expect(fpha.worldJointsM[20]).toEqual(hand.worldLandmarksM[HAND_LANDMARK.pinky.tip]);
  });

  it('the lite model finds the same hands, close to the full model', async () => {
    for (const name of OPEN_PALM_PHOTOS) {
      const full = only(results.get(name));
      const r = await lite.estimate(await loadPhoto(name));
      const hand = only(r);
      const meanError = hand.landmarksPx.reduce((s, p, i) => s + distance(p, full.landmarksPx[i]!), 0) / HAND_LANDMARK_COUNT;
      // Within 5% of the image size on average.
      expect(meanError, name).toBeLessThan(0.05 * r.width);
    }
  });
});

describe('MediaPipe hand landmarker (VIDEO mode)', () => {
  it('tracks a camera pan, and copes with repeated, sub-millisecond, backward and jumping timestamps', async () => {
    const frames = panFrames(await loadPhoto('nocurl'), 10, 400, 560, [20, 40], [4, 3]);
    // Repeated (33.3 twice), 0.4 ms apart, backwards (a restarted source), and a 5 s live gap.
    const timestamps = [0, 33.3, 33.3, 66.6, 66.8, 67.2, 20, 5000, 5033, 5066];
    const video = await createHandLandmarker({ mode: 'video' });
    try {
      const out: HandsResult[] = [];
      for (const [i, frame] of frames.entries()) out.push(await video.estimate({ ...frame, timestampMs: timestamps[i]! }));
      expect(out.map((r) => r.timestampMs)).toEqual(timestamps);
      expect(out.map((r) => r.index)).toEqual(frames.map((f) => f.index));
      for (const r of out) expect(r.hands).toHaveLength(1);
      // The hand moves against the pan, (-4, -3) px per frame: 9 steps, averaged over the 21 landmarks.
      const mean = (r: HandsResult, axis: 0 | 1) => r.hands[0]!.landmarksPx.reduce((sum, p) => sum + p[axis], 0) / HAND_LANDMARK_COUNT;
      expect(mean(out[9]!, 0) - mean(out[0]!, 0)).toBeCloseTo(-36, -1);
      expect(mean(out[9]!, 1) - mean(out[0]!, 1)).toBeCloseTo(-27, -1);
    } finally {
      await video.close();
    }
  });

  it('gives identical results for the same sequence in two runs', async () => {
    const frames = panFrames(await loadPhoto('nocurl'), 5, 400, 540, [20, 60], [4, 3]);
    const run = async () => {
      const video = await createHandLandmarker({ mode: 'video', model: 'lite' });
      try {
        const out: HandsResult[] = [];
        for (const frame of frames) out.push(await video.estimate(frame));
        return out;
      } finally {
        await video.close();
      }
    };
    const a = await run();
    expect(a.every((r) => r.hands.length === 1)).toBe(true);
    expect(await run()).toEqual(a);
  });
});

describe('createHandLandmarker options and lifecycle', () => {
  it('validates options before loading anything, with the standard messages', async () => {
    await expect(createHandLandmarker({ mode: 'stream' as never })).rejects.toThrow(new InvalidOptionError(`Expected one of 'video', 'image' for mode but received "stream" of type string`));
    await expect(createHandLandmarker({ model: 'heavy' as never })).rejects.toThrow(`Expected one of 'full', 'lite' for model but received "heavy" of type string`);
    await expect(createHandLandmarker({ numHands: 0 })).rejects.toThrow('Expected integer between 1 and 16 for numHands but received 0 of type number');
    await expect(createHandLandmarker({ minTrackingConfidence: 1.5 })).rejects.toThrow('Expected number at least 0 and at most 1 for minTrackingConfidence but received 1.5 of type number');
    await expect(createHandLandmarker({ numhands: 2 } as never)).rejects.toThrow(
      'Unknown option numhands in createHandLandmarker options; known options: mode, model, numHands, minHandDetectionConfidence, minHandPresenceConfidence, minTrackingConfidence, cacheDir, onLog',
    );
  });

  it('routes the wasm output to onLog (nothing reaches the console), and fails clearly after close()', async () => {
    const lines: string[] = [];
    const printed = [vi.spyOn(console, 'log'), vi.spyOn(console, 'warn'), vi.spyOn(console, 'error'), vi.spyOn(console, 'info')];
    const written = [vi.spyOn(process.stdout, 'write'), vi.spyOn(process.stderr, 'write')];
    try {
      const estimator = await createHandLandmarker({ mode: 'image', model: 'lite', onLog: (l) => lines.push(l) });
      expect(lines.some((l) => l.includes('Graph successfully started running'))).toBe(true);
      await estimator.estimate(await loadPhoto('nocurl'));
      expect(lines.some((l) => l.includes('XNNPACK delegate for CPU'))).toBe(true);
      for (const spy of [...printed, ...written]) expect(spy).not.toHaveBeenCalled();
      expect(estimator.name).toBe('mediapipe-tasks-vision@0.10.35 hand_landmarker lite');
      await estimator.close();
      await estimator.close();
      await expect(estimator.estimate(patternFrame(32, 32))).rejects.toThrow('mediapipe-tasks-vision@0.10.35 hand_landmarker lite: estimate() called after close().');
    } finally {
      for (const spy of [...printed, ...written]) spy.mockRestore();
    }
  });

  it('refuses a cache folder that is not a string', async () => {
    await expect(createHandLandmarker({ cacheDir: '' })).rejects.toThrow('Expected non-empty string for cacheDir but received "" of type string');
  });
});
