/**
 * The known motion of the FPHA-layout sample (datasets/fpha-sample): a still photo (or the hand cut out of it)
 * moved over the frame by a smooth similarity transform, and the camera that turns the moved joints into FPHA
 * world coordinates.
 *
 * Pixel convention everywhere in this file: MediaPipe's and the FPHA reader's, x right and y down with the origin at
 * the top-left corner of the top-left pixel (pixel (i, j) covers [i, i + 1] x [j, j + 1], its centre is at
 * (i + 0.5, j + 0.5)). A similarity commutes with the half-pixel shift to centre-based coordinates as long as its
 * anchor and pivot are given in the same convention, so the renderer only shifts where it samples.
 */
import type { CameraModel } from '../src/stream/fpha-source.js';

/** A 2D point in pixels. */
export interface PointPx {
  x: number;
  y: number;
}

/** A sinusoid A sin(2 pi t / P + phase), t in frames. */
export interface Oscillation {
  amplitude: number;
  periodFrames: number;
  /** Radians. */
  phase: number;
}

/**
 * How the content (the whole photo for camera motion, the hand layer for local motion) moves in the frame. At
 * time t (frames; frame k at t = k) still pixel p lands at
 *   o(t) = anchor + drift (t - tMid) + orbit(t) + scale z(t) R(theta(t)) (p - pivot)
 * with tMid the middle frame, orbit(t) = (orbitX sin(w t + phase), orbitY cos(w t + phase)) (an ellipse, so the speed
 * never drops to zero unless one axis is 0), theta(t) the roll oscillation (degrees) and z(t) = 1 + zoom oscillation.
 */
export interface MotionParameters {
  /** Output pixels per still pixel at zoom 1. */
  scale: number;
  /** The still point the content turns and scales about. */
  pivotPx: PointPx;
  /** Where the pivot sits in the frame at the middle frame, before the orbit. */
  anchorPx: PointPx;
  /** Linear drift, output px per frame. */
  driftPxPerFrame: PointPx;
  /** Elliptical orbit: semi-axes in output px, period in frames, phase in radians. */
  orbit: { xPx: number; yPx: number; periodFrames: number; phase: number };
  /** In-plane rotation in degrees (positive turns x towards y, clockwise on screen). */
  rollDeg: Oscillation;
  /** Relative zoom: z(t) = 1 + amplitude sin(...). */
  zoom: Oscillation;
}

/** o = [a -b; b a] p + (tx, ty): rotation by atan2(b, a) and scale hypot(a, b), then translation. */
export interface Similarity {
  readonly a: number;
  readonly b: number;
  readonly tx: number;
  readonly ty: number;
}

const wave = (o: Oscillation, t: number) => o.amplitude * Math.sin((2 * Math.PI * t) / o.periodFrames + o.phase);

/** The relative zoom z(t) of the motion at time t. */
export function zoomAt(m: MotionParameters, t: number): number {
  return 1 + wave(m.zoom, t);
}

/** The orbit term of the motion at time t: (orbit.xPx sin(w t + phase), orbit.yPx cos(w t + phase)), frame px. */
export function orbitAt(m: Pick<MotionParameters, 'orbit'>, t: number): [number, number] {
  const w = (2 * Math.PI * t) / m.orbit.periodFrames + m.orbit.phase;
  return [m.orbit.xPx * Math.sin(w), m.orbit.yPx * Math.cos(w)];
}

/** The transform from still pixels to frame pixels at time t (frames) of a sequence of `frames` frames. */
export function similarityAt(m: MotionParameters, t: number, frames: number): Similarity {
  const tMid = (frames - 1) / 2;
  const w = (2 * Math.PI * t) / m.orbit.periodFrames + m.orbit.phase;
  const ox = m.anchorPx.x + m.driftPxPerFrame.x * (t - tMid) + m.orbit.xPx * Math.sin(w);
  const oy = m.anchorPx.y + m.driftPxPerFrame.y * (t - tMid) + m.orbit.yPx * Math.cos(w);
  const theta = (wave(m.rollDeg, t) * Math.PI) / 180;
  const s = m.scale * zoomAt(m, t);
  const a = s * Math.cos(theta);
  const b = s * Math.sin(theta);
  return { a, b, tx: ox - (a * m.pivotPx.x - b * m.pivotPx.y), ty: oy - (b * m.pivotPx.x + a * m.pivotPx.y) };
}

/** Applies a similarity to a point. */
export function applySimilarity(s: Similarity, x: number, y: number): [number, number] {
  return [s.a * x - s.b * y + s.tx, s.b * x + s.a * y + s.ty];
}

/** The inverse similarity (frame pixels to still pixels). */
export function invertSimilarity(s: Similarity): Similarity {
  const d = s.a * s.a + s.b * s.b;
  const a = s.a / d;
  const b = -s.b / d;
  return { a, b, tx: -(a * s.tx - b * s.ty), ty: -(b * s.tx + a * s.ty) };
}

/** The similarity as a row-major 2x3 affine matrix [[a, -b, tx], [b, a, ty]]. */
export function affineOf(s: Similarity): [[number, number, number], [number, number, number]] {
  return [
    [s.a, -s.b, s.tx],
    [s.b, s.a, s.ty],
  ];
}

/** A pinhole camera at the world origin looking down +Z (identity extrinsics), in the FPHA reader's format. */
export function pinholeCamera(fx: number, fy: number, u0: number, v0: number): CameraModel {
  return {
    rotation: [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ],
    translationMm: [0, 0, 0],
    fx,
    fy,
    u0,
    v0,
  };
}

/**
 * World millimetres of pixel (u, v) at depth zMm for a camera with identity rotation: the inverse of the FPHA
 * reader's projection u = fx X / Z + u0 (with the camera's translation taken out).
 */
export function backProject(u: number, v: number, zMm: number, camera: CameraModel): [number, number, number] {
  const [tx, ty, tz] = camera.translationMm;
  const identity = camera.rotation.every((row, i) => row.every((value, j) => value === (i === j ? 1 : 0)));
  if (!identity) throw new Error('backProject handles cameras with identity rotation only');
  return [((u - camera.u0) * zMm) / camera.fx - tx, ((v - camera.v0) * zMm) / camera.fy - ty, zMm - tz];
}
