/**
 * Options of the MediaPipe hand landmarker, their defaults and their validation. Kept apart from the adapter so
 * that validating them (when `estimateHands()` is called) loads nothing heavy.
 */
import { expectFunction, expectInteger, expectKnownKeys, expectNumber, expectOneOf, expectString } from '../options.js';
import type { HandPoseMode } from './estimator.js';
import { HAND_MODEL_VARIANTS, type HandModelVariant } from './mediapipe/model-asset.js';

/** Default mode: 'video' (frames of one stream, tracked). */
export const DEFAULT_HAND_POSE_MODE: HandPoseMode = 'video';
/** Default model: 'full'. */
export const DEFAULT_HAND_MODEL: HandModelVariant = 'full';
/** Default number of hands: 1 (MediaPipe's default). */
export const DEFAULT_NUM_HANDS = 1;
/** Default minimum palm detection confidence: 0.5 (MediaPipe's default). */
export const DEFAULT_MIN_HAND_DETECTION_CONFIDENCE = 0.5;
/** Default minimum hand presence confidence: 0.5 (MediaPipe's default). */
export const DEFAULT_MIN_HAND_PRESENCE_CONFIDENCE = 0.5;
/** Default minimum tracking confidence: 0.5 (MediaPipe's default). */
export const DEFAULT_MIN_TRACKING_CONFIDENCE = 0.5;
/** Most hands MediaPipe is asked to find. */
export const MAX_NUM_HANDS = 16;

/** Options of {@link createHandLandmarker} (and of {@link estimateHands}). */
export interface HandLandmarkerOptions {
  /** 'video' (default): frames of one stream, tracked between frames; 'image': every frame on its own. */
  mode?: HandPoseMode;
  /** 'full' (default, more accurate) or 'lite' (faster). */
  model?: HandModelVariant;
  /** Most hands to find per frame (default {@link DEFAULT_NUM_HANDS}, at most {@link MAX_NUM_HANDS}). */
  numHands?: number;
  /** Least palm detection score to accept a hand, in [0, 1] (default 0.5). */
  minHandDetectionConfidence?: number;
  /** Least hand presence score of the landmark model, in [0, 1] (default 0.5). */
  minHandPresenceConfidence?: number;
  /** Least score to keep tracking a hand instead of detecting it again ('video' mode), in [0, 1] (default 0.5). */
  minTrackingConfidence?: number;
  /** Where the assembled model is cached (default: env PROMOTION_CACHE_DIR, else node_modules/.cache/promotion-handpose). */
  cacheDir?: string;
  /** Receives the lines MediaPipe's wasm prints (info and warnings); by default they are dropped. */
  onLog?: (line: string) => void;
}

/** Options with every default applied. */
export interface ResolvedHandLandmarkerOptions {
  mode: HandPoseMode;
  model: HandModelVariant;
  numHands: number;
  minHandDetectionConfidence: number;
  minHandPresenceConfidence: number;
  minTrackingConfidence: number;
  cacheDir: string | undefined;
  onLog: ((line: string) => void) | undefined;
}

/** Keys {@link HandLandmarkerOptions} has. */
export const HAND_LANDMARKER_OPTION_KEYS = [
  'mode', 'model', 'numHands', 'minHandDetectionConfidence', 'minHandPresenceConfidence', 'minTrackingConfidence', 'cacheDir', 'onLog',
] as const;

/** Validates `options` (throws InvalidOptionError naming the option) and applies the defaults. */
export function resolveHandLandmarkerOptions(options: HandLandmarkerOptions, name = 'createHandLandmarker options', extraKeys: readonly string[] = []): ResolvedHandLandmarkerOptions {
  expectKnownKeys(name, options, [...HAND_LANDMARKER_OPTION_KEYS, ...extraKeys]);
  return {
    mode: expectOneOf('mode', options.mode ?? DEFAULT_HAND_POSE_MODE, ['video', 'image'] as const),
    model: expectOneOf('model', options.model ?? DEFAULT_HAND_MODEL, HAND_MODEL_VARIANTS),
    numHands: expectInteger('numHands', options.numHands ?? DEFAULT_NUM_HANDS, 1, MAX_NUM_HANDS),
    minHandDetectionConfidence: expectNumber('minHandDetectionConfidence', options.minHandDetectionConfidence ?? DEFAULT_MIN_HAND_DETECTION_CONFIDENCE, 0, 1),
    minHandPresenceConfidence: expectNumber('minHandPresenceConfidence', options.minHandPresenceConfidence ?? DEFAULT_MIN_HAND_PRESENCE_CONFIDENCE, 0, 1),
    minTrackingConfidence: expectNumber('minTrackingConfidence', options.minTrackingConfidence ?? DEFAULT_MIN_TRACKING_CONFIDENCE, 0, 1),
    cacheDir: options.cacheDir === undefined ? undefined : expectString('cacheDir', options.cacheDir),
    onLog: options.onLog === undefined ? undefined : expectFunction<(line: string) => void>('onLog', options.onLog),
  };
}
