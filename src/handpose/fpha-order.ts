/**
 * MediaPipe's 21 hand landmarks in FPHA's joint order, for comparing estimates with FPHA annotations.
 *
 * FPHA order: Wrist, TMCP, IMCP, MMCP, RMCP, PMCP, TPIP, TDIP, TTIP, IPIP, IDIP, ITIP, MPIP, MDIP, MTIP, RPIP, RDIP,
 * RTIP, PPIP, PDIP, PTIP (the MCPs first, then each finger's PIP, DIP and tip). MediaPipe goes finger by finger
 * (wrist, then thumb CMC, MCP, IP, tip, then index MCP, PIP, DIP, tip...). The thumb's joints are defined differently:
 * FPHA's TMCP, TPIP, TDIP are MediaPipe's thumb CMC, MCP and IP. Compare gains across conditions (blurred vs
 * deblurred) rather than absolute errors across estimators.
 */
import { InvalidOptionError } from '../errors.js';
import { HAND_LANDMARK_COUNT, type HandPose, type Point3 } from './estimator.js';

/** `MEDIAPIPE_TO_FPHA[i]` is the FPHA joint that MediaPipe landmark i is. */
export const MEDIAPIPE_TO_FPHA: readonly number[] = [0, 1, 6, 7, 8, 2, 9, 10, 11, 3, 12, 13, 14, 4, 15, 16, 17, 5, 18, 19, 20];

/** `FPHA_TO_MEDIAPIPE[j]` is the MediaPipe landmark that FPHA joint j is (the inverse permutation). */
export const FPHA_TO_MEDIAPIPE: readonly number[] = (() => {
  const inverse = new Array<number>(MEDIAPIPE_TO_FPHA.length);
  MEDIAPIPE_TO_FPHA.forEach((fpha, mediapipe) => (inverse[fpha] = mediapipe));
  return inverse;
})();

/** Reorders 21 points from MediaPipe's order to FPHA's. Works for any per-joint values (pixels, metres, tuples). */
export function toFphaOrder<T>(landmarks: readonly T[]): T[] {
  if (landmarks.length !== HAND_LANDMARK_COUNT) {
    throw new InvalidOptionError(`Expected ${HAND_LANDMARK_COUNT} landmarks in MediaPipe order for toFphaOrder but received ${landmarks.length}`);
  }
  return FPHA_TO_MEDIAPIPE.map((mediapipe) => landmarks[mediapipe]!);
}

/** A hand's joints in FPHA order: pixels (x, y) like FPHA's `jointsPx`, and world metres. */
export interface FphaHandJoints {
  /** 21 joints in pixels (x right, y down), FPHA order; comparable with `FphaAnnotation.jointsPx`. */
  readonly jointsPx: ReadonlyArray<readonly [number, number]>;
  /** 21 joints in metres (MediaPipe's world landmarks, not FPHA's camera frame), FPHA order. */
  readonly worldJointsM: readonly Point3[];
}

/** A detected hand's joints in FPHA order. */
export function handToFpha(hand: HandPose): FphaHandJoints {
  return {
    jointsPx: toFphaOrder(hand.landmarksPx).map(([x, y]) => [x, y] as const),
    worldJointsM: toFphaOrder(hand.worldLandmarksM),
  };
}
