/**
 * Errors between estimated and ground-truth 2D hand joints, and how they are averaged over frames and sequences.
 *
 * Joints: 21 per hand in FPHA's order (`FPHA_JOINT_NAMES`: Wrist, the five MCPs, then each finger's PIP, DIP and tip;
 * `handToFpha` / {@link fphaJoints} reorder MediaPipe's landmarks), as `[x, y]` in pixels of the colour image (x right,
 * y down, origin at the top-left corner of the top-left pixel): FPHA's projected `jointsPx`, or an estimator's
 * `landmarksPx`. Ground truth is FPHA's skeleton (`'fpha-skeleton'`) or, where there is none, the estimator's hand on
 * the sharp frame (`'pseudo'`); the label travels with every result.
 *
 * Definitions (the README's "Metrics: definitions" says the same):
 * - per frame, with d_j the Euclidean distance of joint j and (dx_j, dy_j) its offset, J = 21:
 *   RMSE = sqrt(sum_j d_j^2 / J), ABSE = sum_j (|dx_j| + |dy_j|) / (2 J), EPE = sum_j d_j / J;
 * - the hand scored is the estimated hand whose wrist is nearest the ground truth's wrist; the hand is found when the
 *   estimator reports any hand;
 * - PCK at threshold t: the share of joints with d_j < t * S, S = max(width, height) of the ground-truth joints'
 *   bounding box, over all frames with ground truth; a frame whose hand is missed counts all its joints as misses;
 * - detection rate: frames where the hand is found / frames with ground truth;
 * - RMSE, ABSE and EPE average only over the frames where the hand is found in every version scored (blurred,
 *   deblurred, and sharp against FPHA skeletons), so all rows and the gain use the same frames and no version gains by
 *   missing hands: RMSE pools the squared distances (root of the mean of the per-frame RMSE^2), ABSE and EPE are means
 *   of the per-frame values;
 * - frames without ground truth are counted and otherwise left out;
 * - a sequence's numbers pool its frames; the aggregate pools the frames of all its sequences (frame-weighted).
 */
import { InvalidOptionError } from '../errors.js';
import { HAND_LANDMARK_COUNT, type HandPose } from '../handpose/estimator.js';
import { handToFpha } from '../handpose/fpha-order.js';
import { expectKnownKeys, expectNumber, expectOneOf, expectString, invalidOption } from '../options.js';
import type { Joints2D } from '../stream/fpha-source.js';
import { compareVersions, type FrameVersion, type VersionComparison } from './comparison.js';
import { type GroundTruthKind, METRICS, PCK_BETTER } from './definitions.js';


/** PCK thresholds, as fractions of the ground-truth hand's bounding-box size, used when none are given. */
export const DEFAULT_PCK_THRESHOLDS: readonly number[] = [0.05, 0.1, 0.2];

/** Errors of one estimated hand against the ground truth, in pixels of the colour image. */
export interface JointErrors {
  /** sqrt(mean over joints of the squared Euclidean distance). */
  readonly rmsePx: number;
  /** Mean over joints and both coordinates of the absolute offset. */
  readonly absePx: number;
  /** Mean over joints of the Euclidean distance (end-point error). */
  readonly epePx: number;
  /** Euclidean distance of each joint, FPHA order. */
  readonly distancesPx: readonly number[];
}

/** Throws {@link InvalidOptionError} unless `joints` holds 21 pairs of finite numbers. */
export function checkJoints(name: string, joints: unknown): asserts joints is Joints2D {
  if (!Array.isArray(joints) || joints.length !== HAND_LANDMARK_COUNT) {
    const got = Array.isArray(joints) ? `${joints.length} joints` : `${String(joints)} of type ${joints === null ? 'null' : typeof joints}`;
    throw new InvalidOptionError(`Expected ${HAND_LANDMARK_COUNT} joints [x, y] in pixels for ${name} but received ${got}`);
  }
  joints.forEach((p: unknown, j) => {
    if (!Array.isArray(p) || p.length < 2 || !Number.isFinite(p[0]) || !Number.isFinite(p[1])) {
      const shown = Array.isArray(p) ? `[${p.join(', ')}]` : String(p);
      throw new InvalidOptionError(`Expected ${HAND_LANDMARK_COUNT} joints [x, y] in pixels for ${name} but joint ${j} is ${shown}`);
    }
  });
}

/** Euclidean distance of each joint, in pixels. */
export function jointDistances(estimated: Joints2D, groundTruth: Joints2D): number[] {
  checkJoints('estimated', estimated);
  checkJoints('groundTruth', groundTruth);
  return estimated.map(([x, y], j) => {
    const [gx, gy] = groundTruth[j]!;
    return Math.hypot(x - gx, y - gy);
  });
}

/** RMSE, ABSE, EPE and per-joint distances of one hand (see the module comment). */
export function jointErrors(estimated: Joints2D, groundTruth: Joints2D): JointErrors {
  const distancesPx = jointDistances(estimated, groundTruth);
  let squared = 0;
  let absolute = 0;
  let euclidean = 0;
  for (let j = 0; j < HAND_LANDMARK_COUNT; j++) {
    const [x, y] = estimated[j]!;
    const [gx, gy] = groundTruth[j]!;
    const dx = x - gx;
    const dy = y - gy;
    squared += dx * dx + dy * dy;
    absolute += Math.abs(dx) + Math.abs(dy);
    euclidean += distancesPx[j]!;
  }
  return {
    rmsePx: Math.sqrt(squared / HAND_LANDMARK_COUNT),
    absePx: absolute / (2 * HAND_LANDMARK_COUNT),
    epePx: euclidean / HAND_LANDMARK_COUNT,
    distancesPx,
  };
}

/** Size S of a hand for PCK: max(width, height) of its joints' bounding box, in pixels. */
export function handBoxSizePx(groundTruth: Joints2D): number {
  checkJoints('groundTruth', groundTruth);
  const xs = groundTruth.map((p) => p[0]);
  const ys = groundTruth.map((p) => p[1]);
  return Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
}

/** For each threshold t, how many joints lie closer than t * boxSizePx (strictly). */
export function pckHits(distancesPx: readonly number[], boxSizePx: number, thresholds: readonly number[]): number[] {
  return thresholds.map((t) => distancesPx.filter((d) => d < t * boxSizePx).length);
}

/** The estimated hand that matches the ground truth: nearest wrist (joint 0); the first on a tie; null when none. */
export function matchHand(hands: readonly Joints2D[], groundTruth: Joints2D): number | null {
  checkJoints('groundTruth', groundTruth);
  const [gx, gy] = groundTruth[0]!;
  let best: number | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  hands.forEach((hand, i) => {
    checkJoints(`hands[${i}]`, hand);
    const [x, y] = hand[0]!;
    const d = Math.hypot(x - gx, y - gy);
    if (d < bestDistance) {
      best = i;
      bestDistance = d;
    }
  });
  return best;
}

/** The estimator's hands as FPHA-order pixel joints (`handToFpha(hand).jointsPx` for each). */
export function fphaJoints(hands: readonly HandPose[]): Joints2D[] {
  return hands.map((hand) => handToFpha(hand).jointsPx);
}

/** Pseudo ground truth from the hands found on a sharp frame: the first (the estimator's own order), or null. */
export function pseudoGroundTruth(sharpHands: readonly Joints2D[]): Joints2D | null {
  const first = sharpHands[0];
  if (first === undefined) return null;
  checkJoints('sharpHands[0]', first);
  return first;
}

/** What {@link scoreJointFrame} scores: the ground truth and each version's estimated hands (FPHA order, pixels). */
export interface JointFrameInput {
  /** The frame's index in its sequence. */
  readonly index: number;
  /** Ground-truth joints, or null where the frame has none (it is then only counted). */
  readonly groundTruth: Joints2D | null;
  /** Hands estimated on the blurred frame (empty: none found). */
  readonly blurred: readonly Joints2D[];
  /** Hands estimated on the deblurred frame. */
  readonly deblurred: readonly Joints2D[];
  /** Hands estimated on the sharp frame; scored against FPHA skeletons, ignored with pseudo ground truth. */
  readonly sharp?: readonly Joints2D[];
}

/** Options of the joint metrics. */
export interface JointMetricOptions {
  /** Where the ground truth comes from; required, and carried into every result. */
  groundTruth: GroundTruthKind;
  /** PCK thresholds as fractions of the hand's box size S, each > 0; default {@link DEFAULT_PCK_THRESHOLDS}. */
  pckThresholds?: readonly number[];
}

/** One version's score on one frame with ground truth. */
export interface VersionFrameScore {
  /** Whether the estimator found any hand. */
  readonly found: boolean;
  /** Index of the scored hand (nearest wrist) among the estimated hands; null when none was found. */
  readonly hand: number | null;
  /** Errors of the scored hand; null when none was found. */
  readonly errors: JointErrors | null;
  /** For each PCK threshold, joints within it (0 to 21; 0 when the hand was missed). */
  readonly pckHits: readonly number[];
}

/** The joint scores of one frame. */
export interface FrameJointScores {
  readonly index: number;
  readonly hasGroundTruth: boolean;
  /** S, the ground-truth hand's box size; null without ground truth. */
  readonly handBoxSizePx: number | null;
  /** True when the frame's joint errors enter the averages: ground truth, and the hand found in every version scored. */
  readonly compared: boolean;
  /** Null without ground truth. */
  readonly blurred: VersionFrameScore | null;
  readonly deblurred: VersionFrameScore | null;
  /** Null without ground truth, without sharp hands, or with pseudo ground truth. */
  readonly sharp: VersionFrameScore | null;
}

/** A PCK threshold and its comparison. */
export interface PckComparison extends VersionComparison {
  /** Fraction of the hand's box size S. */
  readonly threshold: number;
}

/** Joint metrics of a set of frames (a sequence, or all sequences pooled). */
export interface JointMetricsSummary {
  readonly groundTruth: GroundTruthKind;
  /** Sequences pooled (1 for a sequence). */
  readonly sequences: number;
  readonly frames: number;
  readonly framesWithGroundTruth: number;
  /** Frames whose joint errors enter RMSE, ABSE and EPE (ground truth, hand found in every version scored). */
  readonly framesCompared: number;
  /** Whether the sharp frames are scored (FPHA skeletons and sharp hands given); when false every `sharp` is null. */
  readonly sharpScored: boolean;
  readonly detectionRate: VersionComparison;
  readonly rmsePx: VersionComparison;
  readonly absePx: VersionComparison;
  readonly epePx: VersionComparison;
  readonly pck: readonly PckComparison[];
}

/** A sequence's summary and its frames. */
export interface SequenceJointMetrics {
  /** The sequence's name (e.g. FPHA's `Subject_1/open_juice_bottle/2`). */
  readonly sequence: string;
  readonly summary: JointMetricsSummary;
  readonly frames: readonly FrameJointScores[];
}

interface ResolvedJointOptions {
  readonly groundTruth: GroundTruthKind;
  readonly pckThresholds: readonly number[];
}

/** Validates {@link JointMetricOptions}. */
function resolveJointOptions(options: JointMetricOptions): ResolvedJointOptions {
  expectKnownKeys('options', options, ['groundTruth', 'pckThresholds']);
  const groundTruth = expectOneOf('groundTruth', options?.groundTruth, ['fpha-skeleton', 'pseudo'] as const);
  const thresholds = options.pckThresholds ?? DEFAULT_PCK_THRESHOLDS;
  if (!Array.isArray(thresholds) || thresholds.length === 0) invalidOption('pckThresholds', 'non-empty array of numbers greater than 0', thresholds);
  thresholds.forEach((t: unknown, i) => expectNumber(`pckThresholds[${i}]`, t, 0, Number.POSITIVE_INFINITY, true));
  return { groundTruth, pckThresholds: [...thresholds] };
}

function scoreVersion(hands: readonly Joints2D[], groundTruth: Joints2D, boxSizePx: number, thresholds: readonly number[]): VersionFrameScore {
  const hand = matchHand(hands, groundTruth);
  if (hand === null) return { found: false, hand: null, errors: null, pckHits: thresholds.map(() => 0) };
  const errors = jointErrors(hands[hand]!, groundTruth);
  return { found: true, hand, errors, pckHits: pckHits(errors.distancesPx, boxSizePx, thresholds) };
}

/** Scores one frame: each version's matched hand, its errors and PCK hits, and whether the frame is compared. */
export function scoreJointFrame(input: JointFrameInput, options: JointMetricOptions): FrameJointScores {
  return scoreFrame(input, resolveJointOptions(options));
}

function scoreFrame(input: JointFrameInput, options: ResolvedJointOptions): FrameJointScores {
  const { index, groundTruth } = input;
  if (groundTruth === null) {
    return { index, hasGroundTruth: false, handBoxSizePx: null, compared: false, blurred: null, deblurred: null, sharp: null };
  }
  checkJoints(`groundTruth of frame ${index}`, groundTruth);
  const size = handBoxSizePx(groundTruth);
  const blurred = scoreVersion(input.blurred, groundTruth, size, options.pckThresholds);
  const deblurred = scoreVersion(input.deblurred, groundTruth, size, options.pckThresholds);
  const sharp = options.groundTruth === 'fpha-skeleton' && input.sharp !== undefined ? scoreVersion(input.sharp, groundTruth, size, options.pckThresholds) : null;
  const compared = blurred.found && deblurred.found && (sharp === null || sharp.found);
  return { index, hasGroundTruth: true, handBoxSizePx: size, compared, blurred, deblurred, sharp };
}

/** Scores a sequence's frames and summarizes them. Every frame carries sharp hands, or none does. */
export function scoreJointSequence(sequence: string, frames: readonly JointFrameInput[], options: JointMetricOptions): SequenceJointMetrics {
  expectString('sequence', sequence);
  const resolved = resolveJointOptions(options);
  const withSharp = frames.filter((f) => f.sharp !== undefined).length;
  if (withSharp !== 0 && withSharp !== frames.length) {
    const missing = frames.find((f) => f.sharp === undefined)!;
    throw new InvalidOptionError(`Expected sharp hands for every frame of ${sequence} or for none, but frame ${missing.index} has none (${withSharp} of ${frames.length} have them)`);
  }
  const scores = frames.map((f) => scoreFrame(f, resolved));
  const sharpScored = resolved.groundTruth === 'fpha-skeleton' && withSharp > 0;
  return { sequence, summary: summarize(scores, resolved, sharpScored, 1), frames: scores };
}

/** Pools the frames of several sequences (frame-weighted). They must share the ground-truth kind and PCK thresholds. */
export function aggregateJointMetrics(sequences: readonly SequenceJointMetrics[]): JointMetricsSummary {
  const first = sequences[0];
  if (first === undefined) invalidOption('sequences', 'at least one sequence', sequences);
  const { groundTruth, pck } = first.summary;
  const thresholds = pck.map((p) => p.threshold);
  for (const s of sequences) {
    if (s.summary.groundTruth !== groundTruth) {
      throw new InvalidOptionError(
        `Sequences ${first.sequence} and ${s.sequence} have different ground truths ('${groundTruth}' and '${s.summary.groundTruth}'); aggregate each kind on its own`,
      );
    }
    const other = s.summary.pck.map((p) => p.threshold);
    if (other.length !== thresholds.length || other.some((t, i) => t !== thresholds[i])) {
      throw new InvalidOptionError(`Sequences ${first.sequence} and ${s.sequence} have different PCK thresholds ([${thresholds.join(', ')}] and [${other.join(', ')}])`);
    }
    if (s.summary.sharpScored !== first.summary.sharpScored) {
      throw new InvalidOptionError(`Sequences ${first.sequence} and ${s.sequence} differ in whether the sharp frames are scored; aggregate like with like`);
    }
  }
  return summarize(
    sequences.flatMap((s) => s.frames),
    { groundTruth, pckThresholds: thresholds },
    first.summary.sharpScored,
    sequences.length,
  );
}

function summarize(frames: readonly FrameJointScores[], options: ResolvedJointOptions, sharpScored: boolean, sequences: number): JointMetricsSummary {
  const withTruth = frames.filter((f) => f.hasGroundTruth);
  const compared = frames.filter((f) => f.compared);
  const per = (fn: (v: FrameVersion) => number | null) => ({
    blurred: fn('blurred'),
    deblurred: fn('deblurred'),
    sharp: sharpScored ? fn('sharp') : null,
  });
  const ratio = (count: number, total: number) => (total === 0 ? null : count / total);
  const scoreOf = (f: FrameJointScores, v: FrameVersion) => f[v]!;
  const meanError = (v: FrameVersion, pick: (e: JointErrors) => number) =>
    compared.length === 0 ? null : compared.reduce((s, f) => s + pick(scoreOf(f, v).errors!), 0) / compared.length;
  return {
    groundTruth: options.groundTruth,
    sequences,
    frames: frames.length,
    framesWithGroundTruth: withTruth.length,
    framesCompared: compared.length,
    sharpScored,
    detectionRate: compareVersions(per((v) => ratio(withTruth.filter((f) => scoreOf(f, v).found).length, withTruth.length)), METRICS.detectionRate.better),
    rmsePx: compareVersions(
      per((v) => {
        const meanSquare = meanError(v, (e) => e.rmsePx * e.rmsePx);
        return meanSquare === null ? null : Math.sqrt(meanSquare);
      }),
      METRICS.rmse.better,
    ),
    absePx: compareVersions(per((v) => meanError(v, (e) => e.absePx)), METRICS.abse.better),
    epePx: compareVersions(per((v) => meanError(v, (e) => e.epePx)), METRICS.epe.better),
    pck: options.pckThresholds.map((threshold, t) => ({
      threshold,
      ...compareVersions(
        per((v) => ratio(withTruth.reduce((s, f) => s + scoreOf(f, v).pckHits[t]!, 0), HAND_LANDMARK_COUNT * withTruth.length)),
        PCK_BETTER,
      ),
    })),
  };
}
