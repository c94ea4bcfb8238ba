import { describe, expect, it } from 'vitest';
import { gain, compareVersions, meanOrNull } from '../../src/metrics/comparison.js';
import { METRICS, PCK_BETTER, metricInfo } from '../../src/metrics/definitions.js';
import {
  aggregateJointMetrics,
  DEFAULT_PCK_THRESHOLDS,
  fphaJoints,
  handBoxSizePx,
  jointErrors,
  type JointFrameInput,
  matchHand,
  pckHits,
  pseudoGroundTruth,
  scoreJointFrame,
  scoreJointSequence,
} from '../../src/metrics/joints.js';
import type { HandPose, Point3 } from '../../src/handpose/estimator.js';
import { FPHA_TO_MEDIAPIPE } from '../../src/handpose/fpha-order.js';
import type { Joints2D } from '../../src/stream/fpha-source.js';

/** A ground-truth hand: joint j at (100 + 10 j, 200 + 5 j), so its box is 200 x 100 px and S = 200. */
const GT: Joints2D = Array.from({ length: 21 }, (_, j) => [100 + 10 * j, 200 + 5 * j] as const);

/** The ground truth with joint j moved by offset(j). */
function moved(offset: (j: number) => readonly [number, number], base: Joints2D = GT): Joints2D {
  return base.map(([x, y], j) => [x + offset(j)[0], y + offset(j)[1]] as const);
}

/** Every joint off by the same (3 d / 5, 4 d / 5): distance d. */
const off = (d: number) => moved(() => [(3 * d) / 5, (4 * d) / 5]);

describe('joint errors of one hand', () => {
  it('a constant offset (3, 4) gives RMSE = EPE = 5 and ABSE = 3.5', () => {
    const e = jointErrors(moved(() => [3, 4]), GT);
    expect(e.rmsePx).toBeCloseTo(5, 12);
    expect(e.epePx).toBeCloseTo(5, 12);
    expect(e.absePx).toBeCloseTo(3.5, 12);
    expect(e.distancesPx).toHaveLength(21);
    for (const d of e.distancesPx) expect(d).toBeCloseTo(5, 12);
  });

  it('uneven errors: RMSE = sqrt(mean d^2) exceeds EPE = mean d', () => {
    // Joints 0..9 off by (6, 8) (10 px), joints 10..20 exact.
    const e = jointErrors(moved((j) => (j < 10 ? [6, -8] : [0, 0])), GT);
    expect(e.rmsePx).toBeCloseTo(Math.sqrt((10 * 100) / 21), 12);
    expect(e.epePx).toBeCloseTo(100 / 21, 12);
    expect(e.absePx).toBeCloseTo((10 * (6 + 8)) / 42, 12);
    expect(e.distancesPx.slice(8, 12)).toEqual([10, 10, 0, 0]);
  });

  it('a single joint off along x: ABSE halves its offset over the 2 coordinates', () => {
    const e = jointErrors(moved((j) => (j === 20 ? [-21, 0] : [0, 0])), GT);
    expect(e.epePx).toBeCloseTo(1, 12);
    expect(e.absePx).toBeCloseTo(0.5, 12);
    expect(e.rmsePx).toBeCloseTo(Math.sqrt(21), 12);
  });

  it('PCK counts joints strictly within t times max(width, height) of the ground-truth box', () => {
    expect(handBoxSizePx(GT)).toBe(200);
    const tall = GT.map(([x, y]) => [y, x] as const);
    expect(handBoxSizePx(tall)).toBe(200);
    expect(handBoxSizePx(GT.map(([x, y]) => [x / 4, y] as const))).toBe(100);
    const e = jointErrors(moved((j) => (j < 10 ? [6, 8] : [0, 0])), GT);
    // S = 200: thresholds 4 px, 10 px (a 10 px error is not within), 20 px.
    expect(pckHits(e.distancesPx, 200, [0.02, 0.05, 0.1])).toEqual([11, 11, 21]);
  });

  it('refuses joint sets that are not 21 finite [x, y]', () => {
    expect(() => jointErrors(GT.slice(1), GT)).toThrow('Expected 21 joints [x, y] in pixels for estimated but received 20 joints');
    expect(() => jointErrors(GT, moved((j) => (j === 3 ? [NaN, 0] : [0, 0])))).toThrow('Expected 21 joints [x, y] in pixels for groundTruth but joint 3 is [NaN, 215]');
  });
});

describe('matching and conversions', () => {
  it('scores the hand whose wrist is nearest the ground truth', () => {
    const far = moved(() => [300, 0]);
    const near = off(5);
    expect(matchHand([far, near], GT)).toBe(1);
    expect(matchHand([near, far], GT)).toBe(0);
    expect(matchHand([near, near], GT)).toBe(0);
    expect(matchHand([], GT)).toBeNull();
    // The wrist decides, not the other joints.
    const wristNearFingersFar = moved((j) => (j === 0 ? [1, 0] : [80, 80]));
    expect(matchHand([near, wristNearFingersFar], GT)).toBe(1);
    const frame = scoreJointFrame({ index: 0, groundTruth: GT, blurred: [far, near], deblurred: [near] }, { groundTruth: 'fpha-skeleton' });
    expect(frame.blurred?.hand).toBe(1);
    expect(frame.blurred?.errors?.epePx).toBeCloseTo(5, 12);
  });

  it('fphaJoints reorders MediaPipe landmarks to FPHA order; pseudoGroundTruth takes the first sharp hand', () => {
    const landmarksPx: Point3[] = Array.from({ length: 21 }, (_, i) => [i, 2 * i, 0] as const);
    const hand: HandPose = { handedness: 'right', handednessScore: 0.9, landmarksPx, landmarksNormalized: landmarksPx, worldLandmarksM: landmarksPx };
    const [joints] = fphaJoints([hand]);
    expect(joints).toHaveLength(21);
    joints!.forEach(([x, y], j) => expect([x, y]).toEqual([FPHA_TO_MEDIAPIPE[j], 2 * FPHA_TO_MEDIAPIPE[j]!]));
    expect(joints![2]).toEqual([5, 10]); // FPHA's IMCP is MediaPipe's index_finger_mcp (5)
    const first = off(1);
    expect(pseudoGroundTruth([first, off(2)])).toBe(first);
    expect(pseudoGroundTruth([])).toBeNull();
  });
});

/**
 * A sequence where naive averaging would reward missing hands:
 * frame 0: every version finds the hand: blurred 10 px, deblurred 5 px, sharp 1 px off;
 * frame 1: blurred misses, deblurred 1.5 px off, sharp 1 px;
 * frame 2: blurred 20 px off, deblurred misses, sharp 1 px;
 * frame 3: deblurred and sharp find it, blurred misses (deblurring recovers a hand);
 * frame 4: no ground truth (counted only).
 */
const SEQUENCE: JointFrameInput[] = [
  { index: 0, groundTruth: GT, blurred: [off(10)], deblurred: [off(5)], sharp: [off(1)] },
  { index: 1, groundTruth: GT, blurred: [], deblurred: [off(1.5)], sharp: [off(1)] },
  { index: 2, groundTruth: GT, blurred: [off(20)], deblurred: [], sharp: [off(1)] },
  { index: 3, groundTruth: GT, blurred: [], deblurred: [off(3)], sharp: [off(1)] },
  { index: 4, groundTruth: null, blurred: [off(1)], deblurred: [off(1)], sharp: [off(1)] },
];

describe('a sequence', () => {
  const result = scoreJointSequence('Subject_1/open_juice_bottle/1', SEQUENCE, { groundTruth: 'fpha-skeleton', pckThresholds: [0.01, 0.05, 0.2] });
  const s = result.summary;

  it('averages joint errors only over frames where the hand is found in every version scored', () => {
    expect(s.frames).toBe(5);
    expect(s.framesWithGroundTruth).toBe(4);
    expect(s.framesCompared).toBe(1);
    expect(result.frames.map((f) => f.compared)).toEqual([true, false, false, false, false]);
    expect(s.epePx.blurred).toBeCloseTo(10, 12);
    expect(s.epePx.deblurred).toBeCloseTo(5, 12);
    expect(s.epePx.sharp).toBeCloseTo(1, 12);
    expect(s.rmsePx.blurred).toBeCloseTo(10, 12);
    expect(s.absePx.deblurred).toBeCloseTo(3.5, 12); // (3 + 4) / 2
  });

  it('counts missed hands as PCK misses and in the detection rate', () => {
    // S = 200: thresholds 2, 10 and 40 px.
    const pck = Object.fromEntries(s.pck.map((p) => [p.threshold, p]));
    // blurred: frame 0 (10 px) and frame 2 (20 px) found, frames 1 and 3 missed.
    expect(pck[0.01]!.blurred).toBe(0);
    expect(pck[0.05]!.blurred).toBe(0);
    expect(pck[0.2]!.blurred).toBeCloseTo(42 / 84, 12);
    // deblurred: 5, 1.5, missed, 3 px.
    expect(pck[0.01]!.deblurred).toBeCloseTo(21 / 84, 12);
    expect(pck[0.05]!.deblurred).toBeCloseTo(63 / 84, 12);
    expect(pck[0.2]!.deblurred).toBeCloseTo(63 / 84, 12);
    expect(pck[0.01]!.sharp).toBeCloseTo(1, 12);
    expect(s.detectionRate).toEqual({ blurred: 0.5, deblurred: 0.75, sharp: 1, gain: 0.25 });
  });

  it('signs every gain so that better is positive', () => {
    expect(s.epePx.gain).toBeCloseTo(5, 12); // blurred - deblurred
    expect(s.rmsePx.gain).toBeCloseTo(5, 12);
    expect(s.absePx.gain).toBeCloseTo(3.5, 12);
    expect(s.pck.find((p) => p.threshold === 0.05)!.gain).toBeCloseTo(63 / 84, 12); // deblurred - blurred
    expect(s.detectionRate.gain).toBe(0.25);
    // A deblurrer that makes things worse has negative gains.
    const worse = scoreJointSequence('worse', [{ index: 0, groundTruth: GT, blurred: [off(2)], deblurred: [off(6)] }], { groundTruth: 'fpha-skeleton', pckThresholds: [0.02] });
    expect(worse.summary.epePx.gain).toBeCloseTo(-4, 12);
    expect(worse.summary.pck[0]!.gain).toBe(-1);
    expect(worse.summary.sharpScored).toBe(false);
    expect(worse.summary.epePx.sharp).toBeNull();
  });

  it('keeps per-frame detail as plain data', () => {
    const f1 = result.frames[1]!;
    expect(f1.blurred).toEqual({ found: false, hand: null, errors: null, pckHits: [0, 0, 0] });
    expect(f1.deblurred?.errors?.epePx).toBeCloseTo(1.5, 12);
    expect(f1.handBoxSizePx).toBe(200);
    expect(result.frames[4]).toEqual({ index: 4, hasGroundTruth: false, handBoxSizePx: null, compared: false, blurred: null, deblurred: null, sharp: null });
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
    expect(s.groundTruth).toBe('fpha-skeleton');
    expect(s.sequences).toBe(1);
  });

  it('with pseudo ground truth the sharp frames are not scored, and the label is carried', () => {
    const pseudo = scoreJointSequence('clip.mp4', SEQUENCE, { groundTruth: 'pseudo' });
    expect(pseudo.summary.groundTruth).toBe('pseudo');
    expect(pseudo.summary.sharpScored).toBe(false);
    expect(pseudo.frames.every((f) => f.sharp === null)).toBe(true);
    // Without the sharp version in the rule, frames 0 is still the only one found in both blurred and deblurred.
    expect(pseudo.summary.framesCompared).toBe(1);
    expect(pseudo.summary.detectionRate.sharp).toBeNull();
    expect(pseudo.summary.pck.map((p) => p.threshold)).toEqual(DEFAULT_PCK_THRESHOLDS);
  });

  it('a sharp miss removes the frame from every row with FPHA ground truth', () => {
    const frames: JointFrameInput[] = [
      { index: 0, groundTruth: GT, blurred: [off(4)], deblurred: [off(2)], sharp: [] },
      { index: 1, groundTruth: GT, blurred: [off(8)], deblurred: [off(6)], sharp: [off(1)] },
    ];
    const r = scoreJointSequence('s', frames, { groundTruth: 'fpha-skeleton' });
    expect(r.summary.framesCompared).toBe(1);
    expect(r.summary.epePx).toEqual({ blurred: expect.closeTo(8, 12), deblurred: expect.closeTo(6, 12), sharp: expect.closeTo(1, 12), gain: expect.closeTo(2, 12) });
  });
});

describe('aggregation over sequences', () => {
  const options = { groundTruth: 'fpha-skeleton' as const, pckThresholds: [0.05] };
  const one = scoreJointSequence('a', [{ index: 0, groundTruth: GT, blurred: [off(10)], deblurred: [off(10)] }], options);
  const three = scoreJointSequence(
    'b',
    [0, 1, 2].map((index) => ({ index, groundTruth: GT, blurred: [off(2)], deblurred: [off(1)] })),
    options,
  );

  it('pools frames, so longer sequences weigh more', () => {
    const all = aggregateJointMetrics([one, three]);
    expect(all.sequences).toBe(2);
    expect(all.frames).toBe(4);
    expect(all.framesCompared).toBe(4);
    expect(all.epePx.blurred).toBeCloseTo((10 + 3 * 2) / 4, 12); // not the mean of sequence means (6)
    expect(all.rmsePx.blurred).toBeCloseTo(Math.sqrt((100 + 3 * 4) / 4), 12);
    expect(all.epePx.gain).toBeCloseTo((0 + 3 * 1) / 4, 12);
    expect(all.pck[0]!.blurred).toBeCloseTo(3 / 4, 12);
    expect(all.groundTruth).toBe('fpha-skeleton');
  });

  it('refuses to mix ground truths, thresholds, or sharp scoring, and needs a sequence', () => {
    const pseudo = scoreJointSequence('c', [{ index: 0, groundTruth: GT, blurred: [], deblurred: [] }], { groundTruth: 'pseudo', pckThresholds: [0.05] });
    expect(() => aggregateJointMetrics([one, pseudo])).toThrow(
      "Sequences a and c have different ground truths ('fpha-skeleton' and 'pseudo'); aggregate each kind on its own",
    );
    const other = scoreJointSequence('d', [{ index: 0, groundTruth: GT, blurred: [], deblurred: [] }], { groundTruth: 'fpha-skeleton', pckThresholds: [0.1] });
    expect(() => aggregateJointMetrics([one, other])).toThrow('Sequences a and d have different PCK thresholds ([0.05] and [0.1])');
    const sharp = scoreJointSequence('e', [{ index: 0, groundTruth: GT, blurred: [], deblurred: [], sharp: [] }], options);
    expect(() => aggregateJointMetrics([one, sharp])).toThrow('Sequences a and e differ in whether the sharp frames are scored');
    expect(() => aggregateJointMetrics([])).toThrow('Expected at least one sequence for sequences but received [] of type array');
  });

  it('gives null, not NaN, where nothing was compared', () => {
    const none = scoreJointSequence('f', [{ index: 0, groundTruth: null, blurred: [], deblurred: [] }], options);
    expect(none.summary.epePx).toEqual({ blurred: null, deblurred: null, sharp: null, gain: null });
    expect(none.summary.detectionRate.blurred).toBeNull();
    expect(none.summary.pck[0]!.blurred).toBeNull();
  });
});

describe('options', () => {
  it('are validated when called', () => {
    const frames: JointFrameInput[] = [{ index: 0, groundTruth: GT, blurred: [], deblurred: [] }];
    expect(() => scoreJointSequence('s', frames, {} as { groundTruth: 'pseudo' })).toThrow(
      "Expected one of 'fpha-skeleton', 'pseudo' for groundTruth but received undefined of type undefined",
    );
    expect(() => scoreJointSequence('s', frames, { groundTruth: 'pseudo', pckThresholds: [0.1, 0] })).toThrow(
      'Expected number greater than 0 for pckThresholds[1] but received 0 of type number',
    );
    expect(() => scoreJointSequence('s', frames, { groundTruth: 'pseudo', pckThresholds: [] })).toThrow(
      'Expected non-empty array of numbers greater than 0 for pckThresholds but received [] of type array',
    );
    expect(() => scoreJointSequence('s', frames, { groundTruth: 'pseudo', threshold: 0.2 } as object as { groundTruth: 'pseudo' })).toThrow(
      'Unknown option threshold in options; known options: groundTruth, pckThresholds',
    );
    expect(() => scoreJointSequence('', frames, { groundTruth: 'pseudo' })).toThrow('Expected non-empty string for sequence but received "" of type string');
    expect(() =>
      scoreJointSequence('s', [...frames, { index: 1, groundTruth: GT, blurred: [], deblurred: [], sharp: [] }], { groundTruth: 'fpha-skeleton' }),
    ).toThrow('Expected sharp hands for every frame of s or for none, but frame 0 has none (1 of 2 have them)');
    expect(() => scoreJointFrame({ index: 7, groundTruth: GT, blurred: [GT.slice(2)], deblurred: [] }, { groundTruth: 'pseudo' })).toThrow(
      'Expected 21 joints [x, y] in pixels for hands[0] but received 19 joints',
    );
  });
});

describe('gains', () => {
  it('are better-is-positive for every metric direction', () => {
    expect(gain(30, 32.5, METRICS.psnr.better)).toBe(2.5);
    expect(gain(0.8, 0.75, METRICS.ssim.better)).toBeCloseTo(-0.05, 12);
    expect(gain(10, 7, METRICS.rmse.better)).toBe(3);
    expect(gain(null, 7, 'lower')).toBeNull();
    expect(compareVersions({ blurred: 25, deblurred: 28 }, 'higher')).toEqual({ blurred: 25, deblurred: 28, sharp: null, gain: 3 });
    const directions = Object.fromEntries(Object.entries(METRICS).map(([name, info]) => [name, info.better]));
    expect(directions).toEqual({ psnr: 'higher', ssim: 'higher', rmse: 'lower', abse: 'lower', epe: 'lower', detectionRate: 'higher' });
    expect(PCK_BETTER).toBe('higher');
    expect(metricInfo('pck@0.1').better).toBe('higher');
    expect(meanOrNull([])).toBeNull();
    expect(meanOrNull([1, 2, 6])).toBe(3);
  });
});
