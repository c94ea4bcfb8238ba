/**
 * Training scenes with exact blur: a photo under a smooth random camera trajectory, optionally with a foreground
 * disc (cut from a second photo) crossing it for local blur. `sampleSceneSpec(rng, ...)` draws a scene; the spec is
 * plain data (recorded in synthesis.json) and `loadScene(spec)` is its deterministic twin.
 */
import { concatMap, from, type Observable } from 'rxjs';
import { expectInteger } from '../options.js';
import { type Frame, toFloatFrame, toIntegerFrame } from '../stream/frame.js';
import { decodeImageFit, type ImageRegion, readImageMeta } from '../stream/image-codec.js';
import { type Rng, uniform } from '../util/rng.js';
import {
  DEFAULT_TRAJECTORY_RANGES,
  type ForegroundLayer,
  renderExact,
  sampleTrajectory,
  type Scene,
  trajectoryFromParameters,
  type TrajectoryParameters,
} from './exact.js';
import type { LinearImage } from './integrate.js';
import type { BlurPair } from './synthesize.js';

/**
 * How much larger than the output the background photo is loaded (room for the camera to travel): the photo is
 * fitted inside a box this many times the output's size. A scene's `photoScale` overrides it.
 */
export const SCENE_PHOTO_SCALE = 5;

/** A scene, fully specified. */
export interface SceneSpec {
  readonly photo: string;
  readonly width: number;
  readonly height: number;
  readonly frames: number;
  /** The photo is fitted inside photoScale x the output size (absent: {@link SCENE_PHOTO_SCALE}). */
  readonly photoScale?: number;
  readonly camera: TrajectoryParameters;
  readonly foreground?: {
    readonly photo: string;
    /** Diameter in output pixels. */
    readonly sizePx: number;
    readonly path: TrajectoryParameters;
  };
}

/** Options of {@link sampleSceneSpec}. */
export interface SceneSampling {
  readonly width: number;
  readonly height: number;
  readonly frames: number;
  /** Probability of a foreground disc crossing the scene (default 0.5). */
  readonly foregroundChance?: number;
  /** Camera speed range in px per frame (defaults: {@link DEFAULT_TRAJECTORY_RANGES}; capped by the photo's room). */
  readonly maxSpeedPx?: number;
  readonly minSpeedPx?: number;
  /** The photo is fitted inside photoScale x the output size (default {@link SCENE_PHOTO_SCALE}). */
  readonly photoScale?: number;
  /**
   * Instead of `photoScale`: the photo's detail per output pixel, as a range [min, max] of the photo's native
   * resolution (1 = one photo pixel per output pixel, 0.5 = the photo halved), drawn per scene. Real footage has
   * the detail of a native-resolution photo; a photo shrunk to fit a few times the frame has little fine texture
   * left. The drawn scale is recorded in the spec's `photoScale`.
   */
  readonly detail?: readonly [number, number];
  /** The foreground's speed range in px per frame (default {@link DEFAULT_FOREGROUND_SPEED_PX}). */
  readonly foregroundSpeedPx?: readonly [number, number];
}

/** Default speed range of a foreground disc, px per frame. */
export const DEFAULT_FOREGROUND_SPEED_PX: readonly [number, number] = [4, 30];

/** Draws a scene: photo, camera path and (with probability `foregroundChance`) a foreground crossing it. */
export function sampleSceneSpec(rng: Rng, photos: readonly { path: string; width: number; height: number }[], options: SceneSampling): SceneSpec {
  const pick = photos[Math.floor(rng() * photos.length)]!;
  let scale = options.photoScale ?? SCENE_PHOTO_SCALE;
  if (options.detail) {
    // A photo fitted inside `scale` x the output is resized by min(scale * w / W, scale * h / H): solve for the drawn detail.
    const detail = uniform(rng, options.detail[0], options.detail[1]);
    scale = detail * Math.max(pick.width / options.width, pick.height / options.height);
  }
  const fit = Math.min((scale * options.width) / pick.width, (scale * options.height) / pick.height, 1);
  const photoSize = { width: Math.round(pick.width * fit), height: Math.round(pick.height * fit) };
  // Keep the whole path inside the photo: the speed is capped by the room the photo leaves.
  const margin = 0.75 * Math.hypot(options.width, options.height);
  const room = Math.min(photoSize.width, photoSize.height) - 2 * margin;
  const cap = Math.max(1, Math.min(options.maxSpeedPx ?? DEFAULT_TRAJECTORY_RANGES.speedPx[1], room / Math.max(1, options.frames)));
  // Zoom compounds over the sequence: keep zoom^frames within [0.8, 1.25] so the view stays inside the photo.
  const zoomCap = Math.min(DEFAULT_TRAJECTORY_RANGES.zoomPercent[1], (Math.pow(1.25, 1 / Math.max(1, options.frames)) - 1) * 100);
  const camera = sampleTrajectory(rng, photoSize, options, options.frames, {
    ...DEFAULT_TRAJECTORY_RANGES,
    speedPx: [Math.min(options.minSpeedPx ?? DEFAULT_TRAJECTORY_RANGES.speedPx[0], cap), cap],
    zoomPercent: [Math.min(DEFAULT_TRAJECTORY_RANGES.zoomPercent[0], zoomCap), zoomCap],
  });
  let foreground: SceneSpec['foreground'];
  if (rng() < (options.foregroundChance ?? 0.5)) {
    const other = photos[Math.floor(rng() * photos.length)]!;
    const sizePx = Math.round(uniform(rng, 0.25, 0.5) * Math.min(options.width, options.height));
    const [minSpeed, maxSpeed] = options.foregroundSpeedPx ?? DEFAULT_FOREGROUND_SPEED_PX;
    const speed = uniform(rng, minSpeed, maxSpeed);
    const direction = uniform(rng, 0, 2 * Math.PI);
    const vx = speed * Math.cos(direction);
    const vy = speed * Math.sin(direction);
    // Cross the centre half-way through the sequence.
    const mid = (options.frames - 1) / 2;
    foreground = {
      photo: other.path,
      sizePx,
      path: {
        start: { x: options.width / 2 - vx * mid, y: options.height / 2 - vy * mid },
        velocity: { x: vx, y: vy },
        sway: { amplitudePx: uniform(rng, 0, 10), periodFrames: uniform(rng, 10, 40), phase: uniform(rng, 0, 6.3) },
        angularVelocity: uniform(rng, -0.05, 0.05),
        zoomRate: 1,
        shake: { amplitudePx: 0, frequency: 0.1, phaseX: 0, phaseY: 0 },
      },
    };
  }
  return { photo: pick.path, width: options.width, height: options.height, frames: options.frames, ...(options.photoScale !== undefined || options.detail ? { photoScale: scale } : {}), camera: { ...camera, start: camera.start }, ...(foreground ? { foreground } : {}) };
}

async function linear(path: string, width: number, height: number, gamma: number, region?: ImageRegion): Promise<LinearImage> {
  const f = toFloatFrame(await decodeImageFit(path, 'uint16', width, height, region), { light: 'linear', gamma });
  return { width: f.width, height: f.height, data: f.data };
}

/**
 * The part of the fitted photo (`photo`: its size after fitting) that the camera's view can reach while the scene's
 * frames are exposed (times -1 to frames + 1, which covers every exposure), with a few pixels' margin for
 * interpolation. Rendering reads nothing outside it, so decoding and converting only this part changes no pixel of
 * the result and spares most of the work for photos at native resolution.
 */
export function cameraRegion(spec: SceneSpec, photo: { width: number; height: number }): ImageRegion {
  const camera = trajectoryFromParameters(spec.camera);
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let t = -1; t <= spec.frames + 1; t += 1 / 16) {
    const pose = camera(t);
    const r = (0.5 * Math.hypot(spec.width, spec.height)) / pose.zoom;
    minX = Math.min(minX, pose.cx - r);
    maxX = Math.max(maxX, pose.cx + r);
    minY = Math.min(minY, pose.cy - r);
    maxY = Math.max(maxY, pose.cy + r);
  }
  // One pixel inside the fitted size, whichever way the resize rounded it.
  const w = Math.max(1, Math.floor(photo.width) - 1);
  const h = Math.max(1, Math.floor(photo.height) - 1);
  const left = Math.min(w - 1, Math.max(0, Math.floor(minX) - 4));
  const top = Math.min(h - 1, Math.max(0, Math.floor(minY) - 4));
  const right = Math.max(left + 1, Math.min(w, Math.ceil(maxX) + 5));
  const bottom = Math.max(top + 1, Math.min(h, Math.ceil(maxY) + 5));
  return { left, top, width: right - left, height: bottom - top };
}

/** Loads a scene from its spec (the deterministic twin of {@link sampleSceneSpec}). */
export async function loadScene(spec: SceneSpec, gamma = 2.2): Promise<Scene> {
  const scale = spec.photoScale ?? SCENE_PHOTO_SCALE;
  const box = { width: Math.round(scale * spec.width), height: Math.round(scale * spec.height) };
  const meta = await readImageMeta(spec.photo);
  const fit = Math.min(box.width / meta.width, box.height / meta.height, 1);
  const region = cameraRegion(spec, { width: meta.width * fit, height: meta.height * fit });
  const background = await linear(spec.photo, box.width, box.height, gamma, region);
  const layers: ForegroundLayer[] = [];
  if (spec.foreground) {
    const size = spec.foreground.sizePx;
    const src = await linear(spec.foreground.photo, 3 * size, 3 * size, gamma);
    const image = new Float32Array(size * size * 3);
    const alpha = new Float32Array(size * size);
    const ox = Math.max(0, Math.floor((src.width - size) / 2));
    const oy = Math.max(0, Math.floor((src.height - size) / 2));
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const sx = Math.min(src.width - 1, ox + x);
        const sy = Math.min(src.height - 1, oy + y);
        for (let c = 0; c < 3; c++) image[3 * (y * size + x) + c] = src.data[3 * (sy * src.width + sx) + c]!;
        const r = Math.hypot(x - (size - 1) / 2, y - (size - 1) / 2) / (size / 2);
        alpha[y * size + x] = Math.min(1, Math.max(0, (1 - r) * 8));
      }
    }
    layers.push({ image: { width: size, height: size, data: image }, alpha, trajectory: trajectoryFromParameters(spec.foreground.path) });
  }
  // The camera looks at the region: its path moves by the region's origin.
  const path = trajectoryFromParameters(spec.camera);
  const camera = (t: number) => {
    const pose = path(t);
    return { ...pose, cx: pose.cx - region.left, cy: pose.cy - region.top };
  };
  return { background, width: spec.width, height: spec.height, camera, foreground: layers };
}

/**
 * The exact blurred/sharp pairs of a scene, frame by frame, as 16-bit frames (gamma-encoded with `gamma`),
 * at `fps` with `ratio` virtual frames per interval and `exposureFrames` of them averaged.
 */
export function exactPairs(scene: Scene, spec: SceneSpec, options: { fps: number; ratio: number; exposureFrames: number; gamma: number }): Observable<BlurPair> {
  expectInteger('frames', spec.frames, 1);
  const encode = (data: Float32Array, k: number): Frame =>
    toIntegerFrame({ width: spec.width, height: spec.height, channels: 3, index: k, timestampMs: (k * 1000) / options.fps, sampleType: 'float32', light: 'linear', data }, 'uint16', { gamma: options.gamma });
  return from(Array.from({ length: spec.frames }, (_, k) => k)).pipe(
    concatMap(async (k) => {
      const { sharp, blurred } = renderExact(scene, k, { ratio: options.ratio, exposureFrames: options.exposureFrames });
      return { sharp: encode(sharp.data, k), blurred: encode(blurred.data, k) };
    }),
  );
}
