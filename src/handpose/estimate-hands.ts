/**
 * Hand-pose estimation as an RxJS operator: frames in, one {@link HandsResult} per frame out, in order.
 *
 * One estimate runs at a time (concatMap): MediaPipe's wasm is single-threaded and blocks while it runs, and
 * VIDEO mode must see frames in stream order. The estimator is created when the first frame arrives (an empty
 * stream loads nothing) and closed when the stream completes, fails or is unsubscribed. Timestamps that repeat
 * or jump (live sources drop frames) are handled by the estimator: see mediapipe-hand-landmarker.ts.
 */
import { concatMap, defer, finalize, type OperatorFunction } from 'rxjs';
import { InvalidOptionError } from '../errors.js';
import { expectFunction, expectKnownKeys, invalidOption } from '../options.js';
import type { Frame } from '../stream/frame.js';
import type { HandPoseEstimator, HandsResult } from './estimator.js';
import { HAND_LANDMARKER_OPTION_KEYS, resolveHandLandmarkerOptions, type HandLandmarkerOptions } from './landmarker-options.js';
import { createHandLandmarker } from './mediapipe-hand-landmarker.js';

/** Options of {@link estimateHands}: MediaPipe's, or an estimator of your own. */
export interface EstimateHandsOptions extends HandLandmarkerOptions {
  /**
   * Use this estimator instead of creating MediaPipe's. The operator does not close it (its creator does), and no
   * other option may be given with it.
   */
  estimator?: HandPoseEstimator;
}

/**
 * Estimates hands in every frame. With no `estimator`, creates MediaPipe's HandLandmarker with the given options
 * (validated now, so a bad option throws here, at the caller) on the first frame and closes it at the end.
 */
export function estimateHands<F extends Frame>(options: EstimateHandsOptions = {}): OperatorFunction<F, HandsResult> {
  expectKnownKeys('estimateHands options', options, [...HAND_LANDMARKER_OPTION_KEYS, 'estimator']);
  const given = options.estimator;
  if (given !== undefined) {
    if (typeof given !== 'object' || given === null) invalidOption('estimator', 'HandPoseEstimator object', given);
    expectFunction('estimator.estimate', given.estimate);
    expectFunction('estimator.close', given.close);
    const others = Object.keys(options).filter((k) => k !== 'estimator');
    if (others.length > 0) {
      throw new InvalidOptionError(`estimateHands: ${others.join(', ')} cannot be combined with estimator (they configure the MediaPipe estimator, which is not created then)`);
    }
  }
  const { estimator: _estimator, ...landmarkerOptions } = options;
  const resolved = given === undefined ? resolveHandLandmarkerOptions(landmarkerOptions, 'estimateHands options') : undefined;

  return (source) =>
    defer(() => {
      let estimator: Promise<HandPoseEstimator> | undefined;
      const get = () => (estimator ??= given !== undefined ? Promise.resolve(given) : createHandLandmarker(resolved!));
      return source.pipe(
        concatMap(async (frame) => (await get()).estimate(frame)),
        finalize(() => {
          // Waits for an estimate still running (close() queues behind it), then frees the wasm.
          if (given === undefined && estimator !== undefined) void estimator.then((e) => e.close()).catch(() => undefined);
        }),
      );
    });
}
