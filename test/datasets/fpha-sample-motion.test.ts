/** The motion model and camera of the FPHA sample builder (datasets/fpha-sample-motion.ts), against closed forms. */
import { describe, expect, it } from 'vitest';
import {
  applySimilarity,
  backProject,
  invertSimilarity,
  type MotionParameters,
  pinholeCamera,
  similarityAt,
  zoomAt,
} from '../../datasets/fpha-sample-motion.js';
import { FPHA_COLOR_CAMERA, projectJoints } from '../../src/stream/fpha-source.js';

const still: MotionParameters = {
  scale: 0.5,
  pivotPx: { x: 100, y: 50 },
  anchorPx: { x: 160, y: 120 },
  driftPxPerFrame: { x: 0, y: 0 },
  orbit: { xPx: 0, yPx: 0, periodFrames: 10, phase: 0 },
  rollDeg: { amplitude: 0, periodFrames: 10, phase: 0 },
  zoom: { amplitude: 0, periodFrames: 10, phase: 0 },
};

describe('FPHA sample motion', () => {
  it('at rest, the pivot sits on the anchor and other points scale about it', () => {
    const s = similarityAt(still, 3, 24);
    expect(applySimilarity(s, 100, 50)).toEqual([160, 120]);
    expect(applySimilarity(s, 120, 50)).toEqual([170, 120]);
  });

  it('drift is measured from the middle frame; the orbit is an ellipse of the given semi-axes', () => {
    const drift = { ...still, driftPxPerFrame: { x: -7, y: 2 } };
    expect(applySimilarity(similarityAt(drift, 11.5, 24), 100, 50)).toEqual([160, 120]);
    expect(applySimilarity(similarityAt(drift, 0, 24), 100, 50)).toEqual([160 + 7 * 11.5, 120 - 2 * 11.5]);
    const orbit = { ...still, orbit: { xPx: 12, yPx: 5, periodFrames: 8, phase: 0 } };
    const [x0, y0] = applySimilarity(similarityAt(orbit, 0, 24), 100, 50);
    const [x2, y2] = applySimilarity(similarityAt(orbit, 2, 24), 100, 50);
    expect([x0, y0]).toEqual([160, 125]);
    expect(x2).toBeCloseTo(172, 12);
    expect(y2).toBeCloseTo(120, 12);
  });

  it('roll turns about the pivot (clockwise on screen for positive degrees) and zoom scales about it', () => {
    const roll = { ...still, rollDeg: { amplitude: 90, periodFrames: 4, phase: 0 } };
    // t = 1: sin(pi / 2) = 1, a quarter turn: +x goes to +y.
    const [x, y] = applySimilarity(similarityAt(roll, 1, 24), 110, 50);
    expect(x).toBeCloseTo(160, 12);
    expect(y).toBeCloseTo(125, 12);
    const zoom = { ...still, zoom: { amplitude: 0.1, periodFrames: 4, phase: 0 } };
    expect(zoomAt(zoom, 1)).toBeCloseTo(1.1, 12);
    expect(applySimilarity(similarityAt(zoom, 1, 24), 110, 50)[0]).toBeCloseTo(160 + 10 * 0.5 * 1.1, 12);
  });

  it('invertSimilarity undoes the transform', () => {
    const m = { ...still, orbit: { xPx: 9, yPx: 4, periodFrames: 5, phase: 1 }, rollDeg: { amplitude: 3, periodFrames: 7, phase: 2 }, zoom: { amplitude: 0.02, periodFrames: 9, phase: 0.5 } };
    const s = similarityAt(m, 4.25, 24);
    const [u, v] = applySimilarity(s, 37.5, 211.25);
    const [x, y] = applySimilarity(invertSimilarity(s), u, v);
    expect(x).toBeCloseTo(37.5, 10);
    expect(y).toBeCloseTo(211.25, 10);
  });

  it('backProject is the inverse of the FPHA reader projection for an identity-rotation camera', () => {
    const camera = pinholeCamera(400, 400, 160, 120);
    const world = [backProject(12.25, 200.5, 400, camera), backProject(160, 120, 350, camera)];
    expect(world[1]).toEqual([0, 0, 350]);
    const [[u, v]] = projectJoints([world[0]!], camera) as [[number, number]];
    expect(u).toBeCloseTo(12.25, 10);
    expect(v).toBeCloseTo(200.5, 10);
    // At 400 mm with fx = 400, one pixel is one millimetre.
    expect(world[0]![0]).toBeCloseTo(12.25 - 160, 10);
    expect(() => backProject(0, 0, 400, FPHA_COLOR_CAMERA)).toThrow('identity rotation only');
  });
});
