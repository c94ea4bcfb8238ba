import { EMPTY, Subject, from, lastValueFrom, take, tap, toArray } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import type { HandPoseEstimator, HandsResult } from '../../src/handpose/estimator.js';
import type * as Adapter from '../../src/handpose/mediapipe-hand-landmarker.js';
import { estimateHands } from '../../src/handpose/estimate-hands.js';
import type { Frame } from '../../src/stream/frame.js';
import { eventually, patternFrame } from '../helpers.js';
import { loadPhoto } from './photos.js';

// The real MediaPipe factory, wrapped so the tests can see what the operator creates and closes.
const created = vi.hoisted(() => [] as Array<{ closed: boolean }>);
vi.mock('../../src/handpose/mediapipe-hand-landmarker.js', async (importOriginal) => {
  const real = await importOriginal<typeof Adapter>();
  return {
    ...real,
    createHandLandmarker: async (...args: Parameters<typeof real.createHandLandmarker>) => {
      const estimator = await real.createHandLandmarker(...args);
      const record = { closed: false };
      created.push(record);
      const close = estimator.close.bind(estimator);
      estimator.close = async () => {
        record.closed = true;
        await close();
      };
      return estimator;
    },
  };
});

/** An estimator of our own: answers after a delay, records how many calls overlap. */
function fakeEstimator(delayMs = 5) {
  let running = 0;
  const state = { calls: 0, maxRunning: 0, closed: false };
  const estimator: HandPoseEstimator = {
    name: 'fake',
    mode: 'video',
    async estimate(frame: Frame): Promise<HandsResult> {
      state.calls++;
      running++;
      state.maxRunning = Math.max(state.maxRunning, running);
      await new Promise((r) => setTimeout(r, delayMs * (frame.index % 3)));
      running--;
      return { index: frame.index, timestampMs: frame.timestampMs, width: frame.width, height: frame.height, hands: [] };
    },
    async close() {
      state.closed = true;
    },
  };
  return { estimator, state };
}

describe('estimateHands', () => {
  it('emits one result per frame, in order, running one estimate at a time; leaves a given estimator open', async () => {
    const { estimator, state } = fakeEstimator();
    const frames = Array.from({ length: 9 }, (_, i) => patternFrame(8, 8, i));
    const out = await lastValueFrom(from(frames).pipe(estimateHands({ estimator }), toArray()));
    expect(out.map((r) => r.index)).toEqual(frames.map((f) => f.index));
    expect(out.map((r) => r.timestampMs)).toEqual(frames.map((f) => f.timestampMs));
    expect(state).toEqual({ calls: 9, maxRunning: 1, closed: false });
  });

  it('runs MediaPipe on real photos, creating it on the first frame and closing it when the stream completes', async () => {
    created.length = 0;
    const operator = estimateHands({ mode: 'image', model: 'lite' });
    expect(created).toHaveLength(0);
    const photos = [await loadPhoto('Back_Projection_Theory0', 0, 0), await loadPhoto('nocurl', 1, 33.3), await loadPhoto('Back_Projection_Theory2', 2, 66.7)];
    const out = await lastValueFrom(from(photos).pipe(operator, toArray()));
    expect(out.map((r) => [r.index, r.timestampMs, r.width, r.height, r.hands.length])).toEqual([
      [0, 0, 200, 200, 1],
      [1, 33.3, 480, 640, 1],
      [2, 66.7, 200, 172, 1],
    ]);
    expect(created).toHaveLength(1);
    expect(await eventually(() => created[0]!.closed)).toBe(true);
  });

  it('closes MediaPipe when the stream errors or is unsubscribed, and creates nothing for an empty stream', async () => {
    created.length = 0;
    const photo = await loadPhoto('Back_Projection_Theory0');
    // The error arrives once the first result is out, so MediaPipe has certainly been created (an error right after
    // the first frame can win the race against the asynchronous creation, and then nothing is created at all).
    const input = new Subject<typeof photo>();
    const results: unknown[] = [];
    const failed = lastValueFrom(input.pipe(estimateHands({ mode: 'image', model: 'lite' }), tap((r) => results.push(r)))).catch((e: unknown) => e);
    input.next(photo);
    expect(await eventually(() => results.length === 1, 30_000)).toBe(true);
    input.error(new Error('decoder died'));
    expect(await failed).toMatchObject({ message: 'decoder died' });
    const first = await lastValueFrom(from([photo, photo, photo]).pipe(estimateHands({ mode: 'image', model: 'lite' }), take(1)));
    expect(first.hands).toHaveLength(1);
    expect(created).toHaveLength(2);
    expect(await eventually(() => created.every((c) => c.closed))).toBe(true);
    expect(await lastValueFrom(EMPTY.pipe(estimateHands(), toArray()))).toEqual([]);
    expect(created).toHaveLength(2);
  });

  it('validates its options when called, with the standard messages', () => {
    expect(() => estimateHands({ numHands: 0 })).toThrow('Expected integer between 1 and 16 for numHands but received 0 of type number');
    expect(() => estimateHands({ mode: 'IMAGE' as never })).toThrow(`Expected one of 'video', 'image' for mode but received "IMAGE" of type string`);
    expect(() => estimateHands({ frames: 2 } as never)).toThrow(
      'Unknown option frames in estimateHands options; known options: mode, model, numHands, minHandDetectionConfidence, minHandPresenceConfidence, minTrackingConfidence, cacheDir, onLog, estimator',
    );
    const { estimator } = fakeEstimator();
    expect(() => estimateHands({ estimator, model: 'lite' })).toThrow(
      'estimateHands: model cannot be combined with estimator (they configure the MediaPipe estimator, which is not created then)',
    );
    expect(() => estimateHands({ estimator: { close: async () => undefined } as never })).toThrow('Expected function for estimator.estimate but received undefined of type undefined');
  });
});
