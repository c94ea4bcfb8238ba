/**
 * What every hand-pose estimator is and returns. Results are plain data (numbers and arrays, no native handles),
 * so they serialize to JSON Lines and cross worker threads as they are.
 *
 * Coordinates: pixels of the frame the hand was found in (x right, y down, origin at the top-left corner of the
 * top-left pixel), normalized (x / width, y / height, as MediaPipe reports them), and world (metres, origin near the
 * hand's centre, as MediaPipe's world landmarks). Landmarks follow MediaPipe's order ({@link HAND_LANDMARK_NAMES});
 * `fpha-order.ts` converts to FPHA's.
 *
 * Handedness convention: the hand as its owner would name it, for an image from a camera that looks at the hand
 * and is not mirrored (a plain photo or video, not a selfie preview). A right hand held up with its palm to the
 * camera therefore shows its thumb on the image's right and is 'right'. Feed mirrored (selfie) images and the label
 * flips with the image.
 */
import type { Frame } from '../stream/frame.js';

/** Landmarks per hand. */
export const HAND_LANDMARK_COUNT = 21;

/** Landmark names in MediaPipe's order (index = landmark number). */
export const HAND_LANDMARK_NAMES: readonly string[] = [
  'wrist',
  'thumb_cmc', 'thumb_mcp', 'thumb_ip', 'thumb_tip',
  'index_finger_mcp', 'index_finger_pip', 'index_finger_dip', 'index_finger_tip',
  'middle_finger_mcp', 'middle_finger_pip', 'middle_finger_dip', 'middle_finger_tip',
  'ring_finger_mcp', 'ring_finger_pip', 'ring_finger_dip', 'ring_finger_tip',
  'pinky_mcp', 'pinky_pip', 'pinky_dip', 'pinky_tip',
];

/** Landmark numbers of the wrist and of each finger's knuckle (MCP) and tip, in MediaPipe's order. */
export const HAND_LANDMARK = {
  wrist: 0,
  thumb: { cmc: 1, mcp: 2, ip: 3, tip: 4 },
  index: { mcp: 5, pip: 6, dip: 7, tip: 8 },
  middle: { mcp: 9, pip: 10, dip: 11, tip: 12 },
  ring: { mcp: 13, pip: 14, dip: 15, tip: 16 },
  pinky: { mcp: 17, pip: 18, dip: 19, tip: 20 },
} as const;

/** The skeleton: pairs of landmark numbers joined by a bone (MediaPipe's HAND_CONNECTIONS). */
export const HAND_CONNECTIONS: ReadonlyArray<readonly [number, number]> = [
  [0, 1], [1, 2], [2, 3], [3, 4],
  [0, 5], [5, 6], [6, 7], [7, 8],
  [5, 9], [9, 10], [10, 11], [11, 12],
  [9, 13], [13, 14], [14, 15], [15, 16],
  [13, 17], [0, 17], [17, 18], [18, 19], [19, 20],
];

/** A point: x, y, z. */
export type Point3 = readonly [number, number, number];

/** Which hand (see the module comment for the convention). */
export type Handedness = 'left' | 'right';

/** One detected hand. */
export interface HandPose {
  /** Which hand, by the convention of the module comment. */
  readonly handedness: Handedness;
  /** Confidence of the handedness label, in [0, 1]. */
  readonly handednessScore: number;
  /**
   * 21 landmarks in pixels of the frame: x right, y down; z is depth relative to the wrist in the same pixel scale
   * as x (smaller is closer to the camera).
   */
  readonly landmarksPx: readonly Point3[];
  /** The same landmarks normalized: x / width, y / height, z / width (MediaPipe's `landmarks`). */
  readonly landmarksNormalized: readonly Point3[];
  /** 21 landmarks in metres, origin near the hand's centre (MediaPipe's `worldLandmarks`). */
  readonly worldLandmarksM: readonly Point3[];
}

/** The hands found in one frame. */
export interface HandsResult {
  /** The frame's index in its source. */
  readonly index: number;
  /** The frame's own timestamp (not the one an estimator may have adjusted for its tracker). */
  readonly timestampMs: number;
  readonly width: number;
  readonly height: number;
  /** The hands found, in the order the estimator reports them (MediaPipe's own order); empty when none. */
  readonly hands: readonly HandPose[];
}

/** How frames relate: independent images, or consecutive frames of one stream (which lets a tracker help). */
export type HandPoseMode = 'video' | 'image';

/**
 * A hand-pose estimator. MediaPipe's HandLandmarker is one ({@link createHandLandmarker}); another backend
 * implements the same three members and plugs into {@link estimateHands} and the CLI unchanged.
 */
export interface HandPoseEstimator {
  /** Names the backend and model, e.g. `mediapipe-tasks-vision@0.10.35 hand_landmarker full`. */
  readonly name: string;
  /** 'video': frames come in stream order and may be tracked; 'image': each frame stands alone. */
  readonly mode: HandPoseMode;
  /**
   * Finds hands in a frame. In 'video' mode call it in stream order and one call at a time (await each); the
   * estimator copes with timestamps that repeat or jump. The frame is not modified or kept.
   */
  estimate(frame: Frame): Promise<HandsResult>;
  /** Frees the backend's resources; later `estimate` calls fail. Calling it again does nothing. */
  close(): Promise<void>;
}
