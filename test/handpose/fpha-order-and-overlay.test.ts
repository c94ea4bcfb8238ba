import { describe, expect, it } from 'vitest';
import { HAND_CONNECTIONS, HAND_LANDMARK_NAMES, type HandPose, type Point3 } from '../../src/handpose/estimator.js';
import { FPHA_TO_MEDIAPIPE, MEDIAPIPE_TO_FPHA, handToFpha, toFphaOrder } from '../../src/handpose/fpha-order.js';
import { drawHands } from '../../src/handpose/overlay.js';
import { FPHA_JOINT_NAMES } from '../../src/stream/fpha-source.js';
import { createRgb8Frame, toIntegerFrame } from '../../src/stream/frame.js';

describe('FPHA joint order', () => {
  it('maps each MediaPipe landmark to the FPHA joint of the same name', () => {
    // MediaPipe name -> FPHA name, written out by hand (FPHA's thumb MCP/PIP/DIP are MediaPipe's CMC/MCP/IP).
    const expected: Record<string, string> = {
      wrist: 'Wrist', thumb_cmc: 'TMCP', thumb_mcp: 'TPIP', thumb_ip: 'TDIP', thumb_tip: 'TTIP',
      index_finger_mcp: 'IMCP', index_finger_pip: 'IPIP', index_finger_dip: 'IDIP', index_finger_tip: 'ITIP',
      middle_finger_mcp: 'MMCP', middle_finger_pip: 'MPIP', middle_finger_dip: 'MDIP', middle_finger_tip: 'MTIP',
      ring_finger_mcp: 'RMCP', ring_finger_pip: 'RPIP', ring_finger_dip: 'RDIP', ring_finger_tip: 'RTIP',
      pinky_mcp: 'PMCP', pinky_pip: 'PPIP', pinky_dip: 'PDIP', pinky_tip: 'PTIP',
    };
    HAND_LANDMARK_NAMES.forEach((name, i) => expect(FPHA_JOINT_NAMES[MEDIAPIPE_TO_FPHA[i]!], name).toBe(expected[name]));
    expect(toFphaOrder(HAND_LANDMARK_NAMES).map((n) => expected[n])).toEqual(FPHA_JOINT_NAMES);
    expect(MEDIAPIPE_TO_FPHA.map((j) => FPHA_TO_MEDIAPIPE[j])).toEqual(HAND_LANDMARK_NAMES.map((_, i) => i));
  });

  it('converts a hand: pixel joints as (x, y), world joints as they are', () => {
    const points: Point3[] = HAND_LANDMARK_NAMES.map((_, i) => [i, 100 + i, -i]);
    const hand: HandPose = { handedness: 'right', handednessScore: 0.9, landmarksPx: points, landmarksNormalized: points, worldLandmarksM: points };
    const fpha = handToFpha(hand);
    expect(fpha.jointsPx[11]).toEqual([8, 108]); // ITIP is MediaPipe's index tip, landmark 8
    expect(fpha.worldJointsM[5]).toEqual([17, 117, -17]); // PMCP is MediaPipe's pinky MCP, landmark 17
    expect(() => toFphaOrder([1, 2, 3])).toThrow('Expected 21 landmarks in MediaPipe order for toFphaOrder but received 3');
  });
});

describe('drawHands', () => {
  const at = (frame: { data: Uint8Array; width: number }, x: number, y: number) => Array.from(frame.data.subarray((y * frame.width + x) * 3, (y * frame.width + x) * 3 + 3));

  it('draws bones and landmark dots on a copy, coloured by handedness, clipping what falls outside', () => {
    const frame = createRgb8Frame(new Uint8Array(120 * 80 * 3), { width: 120, height: 80, index: 4, timestampMs: 133 });
    // Landmark i on a grid: (10 + 20 (i mod 5), 10 + 15 floor(i / 5)); landmark 20 outside the frame.
    const points: Point3[] = HAND_LANDMARK_NAMES.map((_, i) => [10 + 20 * (i % 5), 10 + 15 * Math.floor(i / 5), 0]);
    points[20] = [150, -30, 0];
    const right: HandPose = { handedness: 'right', handednessScore: 1, landmarksPx: points, landmarksNormalized: points, worldLandmarksM: points };
    const left: HandPose = { ...right, handedness: 'left', landmarksPx: points.map(([x, y, z]) => [x + 5, y + 5, z] as const) };
    const drawn = drawHands(frame, [right, left], { lineWidth: 1, pointRadius: 2 });
    expect(drawn).toMatchObject({ width: 120, height: 80, index: 4, timestampMs: 133, sampleType: 'uint8' });
    expect(frame.data.every((v) => v === 0)).toBe(true); // the input is untouched
    expect(at(drawn, 10, 10)).toEqual([230, 40, 40]); // right wrist dot
    expect(at(drawn, 15, 15)).toEqual([40, 110, 255]); // left wrist dot
    expect(HAND_CONNECTIONS).toContainEqual([0, 5]);
    expect(at(drawn, 10, 17)).toEqual([255, 255, 255]); // on the bone wrist (10, 10) - index MCP (10, 25), away from the dots
    expect(at(drawn, 115, 75)).toEqual([0, 0, 0]); // far from everything
  });

  it('draws onto 16-bit frames too (output is 8-bit), and validates its options', () => {
    const frame = toIntegerFrame(createRgb8Frame(new Uint8Array(20 * 20 * 3).fill(10), { width: 20, height: 20 }), 'uint16');
    const p: Point3[] = HAND_LANDMARK_NAMES.map(() => [10, 10, 0]);
    const drawn = drawHands(frame, [{ handedness: 'left', handednessScore: 1, landmarksPx: p, landmarksNormalized: p, worldLandmarksM: p }]);
    expect(drawn.sampleType).toBe('uint8');
    expect(at(drawn, 10, 10)).toEqual([40, 110, 255]);
    expect(at(drawn, 0, 0)).toEqual([10, 10, 10]);
    expect(() => drawHands(frame, [], { lineWidth: 0 })).toThrow('Expected integer between 1 and 1000 for lineWidth but received 0 of type number');
  });
});
