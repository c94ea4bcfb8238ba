/**
 * Exact rendering for content whose motion is known: a still photo seen through a moving camera (translation,
 * rotation, zoom, shake), optionally with a foreground layer moving over it. The virtual frames are rendered
 * directly at the virtual rate instead of being interpolated, which gives (a) the ground truth that measures
 * interpolation fidelity and (b) training pairs. Everything is seeded and deterministic: `sampleTrajectory(rng)`
 * draws parameters, and `trajectoryFromParameters` (its deterministic twin) takes them explicitly.
 */
import { InvalidOptionError } from '../errors.js';
import { expectInteger, expectNumber } from '../options.js';
import { type Rng, uniform } from '../util/rng.js';
import type { FlowField } from '../flow/field.js';
import { addRgb, type LinearImage } from './integrate.js';

/** Camera pose at a time: where the output's centre looks in the photo, rotation (radians) and zoom. */
export interface Pose {
  readonly cx: number;
  readonly cy: number;
  readonly angle: number;
  readonly zoom: number;
}

/** A smooth camera path: pose as a function of time in frame intervals (frame k at t = k). */
export type Trajectory = (t: number) => Pose;

/** Explicit parameters of {@link trajectoryFromParameters}. */
export interface TrajectoryParameters {
  /** Starting point of the view centre in photo pixels. */
  start: { x: number; y: number };
  /** Velocity of the view centre, photo pixels per frame. */
  velocity: { x: number; y: number };
  /** Slow sinusoidal curvature: amplitude (px) and period (frames) of a perpendicular sway. */
  sway: { amplitudePx: number; periodFrames: number; phase: number };
  /** Rotation speed (radians per frame) and zoom change per frame (multiplicative, 1 = none). */
  angularVelocity: number;
  zoomRate: number;
  /** Camera shake: amplitude (px) and frequency (cycles per frame) of a two-axis jitter. */
  shake: { amplitudePx: number; frequency: number; phaseX: number; phaseY: number };
}

/** The deterministic twin of {@link sampleTrajectory}. */
export function trajectoryFromParameters(p: TrajectoryParameters): Trajectory {
  const speed = Math.hypot(p.velocity.x, p.velocity.y);
  const nx = speed > 0 ? -p.velocity.y / speed : 0;
  const ny = speed > 0 ? p.velocity.x / speed : 1;
  return (t) => {
    const sway = p.sway.amplitudePx * Math.sin((2 * Math.PI * t) / p.sway.periodFrames + p.sway.phase);
    const shakeX = p.shake.amplitudePx * Math.sin(2 * Math.PI * p.shake.frequency * t + p.shake.phaseX);
    const shakeY = p.shake.amplitudePx * Math.sin(2 * Math.PI * p.shake.frequency * 1.37 * t + p.shake.phaseY);
    return {
      cx: p.start.x + p.velocity.x * t + nx * sway + shakeX,
      cy: p.start.y + p.velocity.y * t + ny * sway + shakeY,
      angle: p.angularVelocity * t,
      zoom: Math.pow(p.zoomRate, t),
    };
  };
}

/** Parameters of a camera (or layer) that does nothing but what `p` sets: no sway, rotation, zoom or shake. */
export function steadyTrajectory(p: Partial<TrajectoryParameters> & { start: { x: number; y: number } }): TrajectoryParameters {
  return {
    velocity: { x: 0, y: 0 },
    sway: { amplitudePx: 0, periodFrames: 100, phase: 0 },
    angularVelocity: 0,
    zoomRate: 1,
    shake: { amplitudePx: 0, frequency: 0.1, phaseX: 0, phaseY: 0 },
    ...p,
  };
}

/** Ranges {@link sampleTrajectory} draws from. */
export interface TrajectoryRanges {
  /** Speed of the view centre in px per frame. */
  speedPx: [number, number];
  /** Rotation in degrees per frame (either sign). */
  rotationDeg: [number, number];
  /** Zoom change per frame in percent (either sign). */
  zoomPercent: [number, number];
  /** Shake amplitude in px. */
  shakePx: [number, number];
}

/** Defaults: hand-held motion of 2-40 px per frame at the output scale. */
export const DEFAULT_TRAJECTORY_RANGES: TrajectoryRanges = { speedPx: [2, 40], rotationDeg: [0, 1.5], zoomPercent: [0, 1.5], shakePx: [0, 2] };

/** Draws smooth random camera parameters for `frames` frames over a photo, keeping the view inside it. */
export function sampleTrajectory(rng: Rng, photo: { width: number; height: number }, view: { width: number; height: number }, frames: number, ranges = DEFAULT_TRAJECTORY_RANGES): TrajectoryParameters {
  const speed = uniform(rng, ranges.speedPx[0], ranges.speedPx[1]);
  const direction = uniform(rng, 0, 2 * Math.PI);
  const vx = speed * Math.cos(direction);
  const vy = speed * Math.sin(direction);
  // Start so that the whole path stays inside the photo (with a margin for rotation and zoom).
  const margin = 0.75 * Math.hypot(view.width, view.height);
  const spanX = Math.abs(vx) * frames;
  const spanY = Math.abs(vy) * frames;
  const freeX = Math.max(0, photo.width - 2 * margin - spanX);
  const freeY = Math.max(0, photo.height - 2 * margin - spanY);
  const sx = margin + uniform(rng, 0, freeX) + (vx < 0 ? spanX : 0);
  const sy = margin + uniform(rng, 0, freeY) + (vy < 0 ? spanY : 0);
  const sign = () => (rng() < 0.5 ? -1 : 1);
  return {
    start: { x: sx, y: sy },
    velocity: { x: vx, y: vy },
    sway: { amplitudePx: uniform(rng, 0, speed * 0.5), periodFrames: uniform(rng, frames, 3 * frames), phase: uniform(rng, 0, 2 * Math.PI) },
    angularVelocity: (sign() * uniform(rng, ranges.rotationDeg[0], ranges.rotationDeg[1]) * Math.PI) / 180,
    zoomRate: 1 + (sign() * uniform(rng, ranges.zoomPercent[0], ranges.zoomPercent[1])) / 100,
    shake: { amplitudePx: uniform(rng, ranges.shakePx[0], ranges.shakePx[1]), frequency: uniform(rng, 0.05, 0.3), phaseX: uniform(rng, 0, 6.3), phaseY: uniform(rng, 0, 6.3) },
  };
}

/** A layer moving over the background: an RGB patch (linear light) with an alpha matte, following a trajectory. */
export interface ForegroundLayer {
  readonly image: LinearImage;
  /** Alpha in [0, 1], one per pixel of `image`. */
  readonly alpha: Float32Array;
  /** Position of the layer's centre in output pixels, rotation and zoom over time (cx, cy are output coordinates). */
  readonly trajectory: Trajectory;
}

/** A scene: a background photo under a camera trajectory, and optional foreground layers. */
export interface Scene {
  readonly background: LinearImage;
  readonly camera: Trajectory;
  readonly foreground?: readonly ForegroundLayer[];
  readonly width: number;
  readonly height: number;
}

function sampleInto(img: LinearImage, x: number, y: number, out: Float32Array, o: number): void {
  out[o] = 0;
  out[o + 1] = 0;
  out[o + 2] = 0;
  addRgb(img, x, y, 1, out, o);
}

function alphaAt(layer: ForegroundLayer, x: number, y: number): number {
  const { width, height } = layer.image;
  if (x < 0 || y < 0 || x > width - 1 || y > height - 1) return 0;
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const x1 = Math.min(x0 + 1, width - 1);
  const y1 = Math.min(y0 + 1, height - 1);
  const fx = x - x0;
  const fy = y - y0;
  const a = layer.alpha;
  return (1 - fy) * ((1 - fx) * a[y0 * width + x0]! + fx * a[y0 * width + x1]!) + fy * ((1 - fx) * a[y1 * width + x0]! + fx * a[y1 * width + x1]!);
}

/** Maps output pixel (x, y) through a pose to source coordinates around (srcCx, srcCy). */
function through(pose: Pose, x: number, y: number, outCx: number, outCy: number): [number, number] {
  const dx = (x - outCx) / pose.zoom;
  const dy = (y - outCy) / pose.zoom;
  const c = Math.cos(pose.angle);
  const s = Math.sin(pose.angle);
  return [pose.cx + c * dx - s * dy, pose.cy + s * dx + c * dy];
}

/** Renders the scene at time t (frame intervals), linear light, into a new image. */
export function renderScene(scene: Scene, t: number): LinearImage {
  const { width, height } = scene;
  const out = new Float32Array(width * height * 3);
  const pose = scene.camera(t);
  const outCx = (width - 1) / 2;
  const outCy = (height - 1) / 2;
  const layers = (scene.foreground ?? []).map((layer) => ({ layer, pose: layer.trajectory(t) }));
  const tmp = new Float32Array(3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = 3 * (y * width + x);
      const [bx, by] = through(pose, x, y, outCx, outCy);
      sampleInto(scene.background, bx, by, out, o);
      for (const { layer, pose: lp } of layers) {
        // Layer pose: (cx, cy) is where the layer's centre is in the output; map output -> layer coordinates.
        const dx = (x - lp.cx) / lp.zoom;
        const dy = (y - lp.cy) / lp.zoom;
        const c = Math.cos(-lp.angle);
        const s = Math.sin(-lp.angle);
        const lx = (layer.image.width - 1) / 2 + c * dx - s * dy;
        const ly = (layer.image.height - 1) / 2 + s * dx + c * dy;
        const a = alphaAt(layer, lx, ly);
        if (a <= 0) continue;
        sampleInto(layer.image, lx, ly, tmp, 0);
        for (let ch = 0; ch < 3; ch++) out[o + ch] = (1 - a) * out[o + ch]! + a * tmp[ch]!;
      }
    }
  }
  return { width, height, data: out };
}

/** Options of {@link renderExact}. */
export interface ExactRenderOptions {
  /** Virtual frames per input interval (virtual fps / output fps), default 64 (1920 vs 30 fps). */
  ratio?: number;
  /** Virtual frames averaged per output frame, default `ratio` (one interval's worth). */
  exposureFrames?: number;
}

/**
 * The exact sharp frame (t = k) and exact blurred frame (the average of the virtual frames of its exposure, in
 * linear light) of output frame k.
 */
export function renderExact(scene: Scene, k: number, options: ExactRenderOptions = {}): { sharp: LinearImage; blurred: LinearImage } {
  const ratio = expectInteger('ratio', options.ratio ?? 64, 1, 4096);
  const n = expectInteger('exposureFrames', options.exposureFrames ?? ratio, 1, 2 * ratio);
  const sum = new Float64Array(scene.width * scene.height * 3);
  for (let j = 0; j < n; j++) {
    const v = renderScene(scene, k + (j - (n - 1) / 2) / ratio).data;
    for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + v[i]!;
  }
  const blurred = new Float32Array(sum.length);
  for (let i = 0; i < sum.length; i++) blurred[i] = sum[i]! / n;
  return { sharp: renderScene(scene, k), blurred: { width: scene.width, height: scene.height, data: blurred } };
}

/**
 * The true flow of the background between the frames at t0 and t1 (for pixel x of frame t0, where its content is at
 * t1). Foreground layers are not included; see {@link sceneFlow}.
 */
export function sceneFlow(scene: Scene, t0: number, t1: number): FlowField {
  const { width, height } = scene;
  const p0 = scene.camera(t0);
  const p1 = scene.camera(t1);
  const outCx = (width - 1) / 2;
  const outCy = (height - 1) / 2;
  const data = new Float32Array(2 * width * height);
  const c1 = Math.cos(p1.angle);
  const s1 = Math.sin(p1.angle);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [px, py] = through(p0, x, y, outCx, outCy);
      // invert pose 1: photo -> output
      const dx = px - p1.cx;
      const dy = py - p1.cy;
      const ox = (c1 * dx + s1 * dy) * p1.zoom + outCx;
      const oy = (-s1 * dx + c1 * dy) * p1.zoom + outCy;
      data[2 * (y * width + x)] = ox - x;
      data[2 * (y * width + x) + 1] = oy - y;
    }
  }
  return { width, height, data };
}

/** Validates that a scene's geometry is usable. */
export function checkScene(scene: Scene): void {
  expectInteger('scene.width', scene.width, 1);
  expectInteger('scene.height', scene.height, 1);
  expectNumber('background.width', scene.background.width, 1);
  if (scene.background.data.length !== scene.background.width * scene.background.height * 3) {
    throw new InvalidOptionError(`Expected ${scene.background.width * scene.background.height * 3} samples for background but received ${scene.background.data.length}`);
  }
}
