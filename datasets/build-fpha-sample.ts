/**
 * Builds the embedded FPHA-layout sample `datasets/fpha-sample/`: short 30 fps sequences of real hand photos under
 * known motion, with FPHA ground truth (skeleton.txt in world millimetres, camera.json) that the project's FPHA
 * reader projects back to the hand's pixels.
 *
 *   npm run build:fpha-sample
 *   node dist/datasets/build-fpha-sample.js [--out <dir>] [--backgrounds <dir>]
 *
 * Two kinds of sequence:
 *   - camera motion: the whole hand photo seen through a shaking camera (every pixel moves by the same similarity);
 *   - local motion: the hand, cut out of its photo with a skin matte (datasets/hand-matte.ts), moving over a static
 *     background photo.
 * The joints of each still come from MediaPipe (IMAGE mode, full model) run once on that still; every frame's
 * joints are the still's moved by the frame's exact transform (datasets/fpha-sample-motion.ts). Frames are rendered
 * in linear light (gamma 2.2, the project's convention), with bilinear sampling at 3x3 points per output pixel
 * averaged (a box prefilter, so downscaled photos do not alias), then gamma-encoded and saved as JPEG.
 *
 * Inputs: the hand photos in test/fixtures/hands (fingerpose, MIT; OpenCV documentation, Apache-2.0/BSD-3-Clause) and
 * two photos of Debian's lomiri-wallpapers-16.04 (/usr/share/backgrounds) that the deblurring model never trains on.
 * Deterministic: the motion phases come from a seeded generator, and the same inputs and MediaPipe version give
 * byte-identical files. After writing, it reads the sample back with the FPHA reader (joints must match to
 * 0.01 px) and measures MediaPipe's detection rate and joint error on the sharp frames, recorded in sample.json.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { copyFile, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { LinearImage } from '../src/blur-synthesis/integrate.js';
import type { HandPoseEstimator, HandsResult } from '../src/handpose/estimator.js';
import { toFphaOrder } from '../src/handpose/fpha-order.js';
import { createHandLandmarker, TASKS_VISION_VERSION } from '../src/handpose/mediapipe-hand-landmarker.js';
import { createRgb8Frame, type Rgb8Frame, toFloatFrame, toIntegerFrame } from '../src/stream/frame.js';
import { FPHA_FPS, openFphaSequence, type CameraModel } from '../src/stream/fpha-source.js';
import { decodeImage, decodeImageFit, encodeImage, readImageMeta } from '../src/stream/image-codec.js';
import { createRng, uniform } from '../src/util/rng.js';
import { packageRoot } from '../src/util/package-root.js';
import { handMatte, type HandMatte, type HandMatteOptions } from './hand-matte.js';
import {
  affineOf,
  applySimilarity,
  backProject,
  invertSimilarity,
  type MotionParameters,
  type PointPx,
  pinholeCamera,
  type Similarity,
  similarityAt,
  orbitAt,
  zoomAt,
} from './fpha-sample-motion.js';

/** Frame geometry, timing and encoding of every sequence of a sample. */
export interface SampleGeometry {
  readonly width: number;
  readonly height: number;
  /** Frames per sequence. */
  readonly frames: number;
  readonly fps: number;
  readonly jpegQuality: number;
  /** Bilinear samples per output pixel along each axis (averaged: a box prefilter). */
  readonly supersampling: number;
  /** The project's signal-space gamma (linear light = stored^gamma). */
  readonly gamma: number;
  /** Seed of the motion phases. */
  readonly seed: number;
  /** The subject every sequence belongs to. */
  readonly subject: string;
}

/** Frame geometry, timing and encoding of every sequence. */
export const FPHA_SAMPLE = {
  width: 320,
  height: 240,
  frames: 24,
  fps: FPHA_FPS,
  jpegQuality: 92,
  /** Bilinear samples per output pixel along each axis (averaged: a box prefilter). */
  supersampling: 3,
  /** The project's signal-space gamma (linear light = stored^2.2). */
  gamma: 2.2,
  /** Seed of the motion phases. */
  seed: 20240607,
  /** The subject every sequence belongs to. */
  subject: 'Subject_1',
} as const satisfies SampleGeometry;

/**
 * The sample's camera: a pinhole with fx = fy = 400 px and the principal point at the image centre (a 43.6 x 33.4
 * degree field of view at 320x240), identity extrinsics.
 */
export const FPHA_SAMPLE_CAMERA: CameraModel = pinholeCamera(400, 400, FPHA_SAMPLE.width / 2, FPHA_SAMPLE.height / 2);

/**
 * Depth of the hand. The photos are flat, so all 21 joints of a frame share one depth: 400 mm at zoom 1, and
 * 400 / z(t) mm when the motion zooms by z(t), so that the hand keeps its physical size. At 400 mm one pixel is 1 mm.
 */
export const FPHA_SAMPLE_DEPTH_MM = 400;

/** A source photo and its licence. */
interface PhotoSource {
  /** Path relative to the package root, or absolute. */
  path: string;
  /**
   * How it is turned before use: 'ccw90' turns it a quarter turn counter-clockwise (fingers that pointed up point
   * left); 'mirrored' flips it left to right (a right hand becomes a left hand).
   */
  orientation: 'upright' | 'ccw90' | 'mirrored';
  credit: string;
}

/**
 * A background: a wallpaper scaled by `scale` (Lanczos) and cut at (left, top) to the frame size. `moves: 'orbit'`
 * makes it a moving camera: the cut shifts with the motion's orbit term (the scene moves with the hand), so at time t
 * frame pixel p shows wallpaper pixel (left, top) + p - orbit(t); otherwise it is still.
 */
export interface BackgroundSource {
  file: string;
  scale: number;
  left: number;
  top: number;
  credit: string;
  moves?: 'orbit';
}

/** What a sequence is made of and how it moves; the phases are drawn from the seed. */
export interface SequenceSpec {
  action: string;
  sequence: string;
  kind: 'camera' | 'local';
  description: string;
  photo: PhotoSource;
  background?: BackgroundSource;
  /** The hand's skin matte: cuts the hand out for local motion; for camera motion it only measures the silhouette. */
  matte: HandMatteOptions;
  /** The frame edge the arm leaves through (the silhouette margin is not measured there). */
  armEdge: 'bottom' | 'right';
  /** The pivot: a still pixel, or the wrist joint MediaPipe finds. */
  pivot: PointPx | 'wrist';
  motion: Omit<MotionParameters, 'pivotPx' | 'orbit' | 'rollDeg' | 'zoom'> & {
    orbit: { xPx: number; yPx: number; periodFrames: number };
    rollDeg: { amplitude: number; periodFrames: number };
    zoom: { amplitude: number; periodFrames: number };
  };
  /** Least distance in px from every joint to the frame's edges, in every frame. */
  jointMarginPx: number;
  /** Least distance in px from the hand's silhouette (fingers and palm) to the frame's edges but the arm's, in every frame. */
  silhouetteMarginPx: number;
}

export const FINGERPOSE = 'fingerpose@0.1.0 (npm), Andreas Schallwig, MIT';
export const OPENCV_DOC = 'Debian opencv-doc 4.6.0, OpenCV documentation image, Apache-2.0 AND BSD-3-Clause';
export const WALLPAPERS = '/usr/share/backgrounds';

/** The fingerpose photos: a pale wall (skin score <= 0.29) behind the hand (>= 0.3); the arm leaves at the bottom. */
export const FINGERPOSE_MATTE: HandMatteOptions = { skinLow: 0.27, skinHigh: 0.33, cutEdges: ['bottom'] };
/** The same, turned a quarter turn counter-clockwise: the arm leaves at the right. */
const FINGERPOSE_MATTE_CCW90: HandMatteOptions = { ...FINGERPOSE_MATTE, cutEdges: ['right'] };

/** The sequences, in build order (the seeded phases are drawn in this order). */
export const SEQUENCES: readonly SequenceSpec[] = [
  {
    action: 'camera_shake',
    sequence: '1',
    kind: 'camera',
    description: 'Right hand pointing (fingerpose nocurl.jpg, turned a quarter turn) under a hand-held camera shake: an elliptical sway with a little roll and zoom.',
    photo: { path: 'test/fixtures/hands/nocurl.jpg', orientation: 'ccw90', credit: FINGERPOSE },
    matte: FINGERPOSE_MATTE_CCW90,
    armEdge: 'right',
    pivot: { x: 330, y: 240 },
    motion: {
      scale: 0.58,
      anchorPx: { x: 160, y: 120 },
      driftPxPerFrame: { x: 0, y: 0 },
      orbit: { xPx: 11, yPx: 8, periodFrames: 5 },
      rollDeg: { amplitude: 1, periodFrames: 11 },
      zoom: { amplitude: 0.01, periodFrames: 13 },
    },
    jointMarginPx: 12,
    silhouetteMarginPx: 6,
  },
  {
    action: 'camera_shake',
    sequence: '2',
    kind: 'camera',
    description: 'Right hand as a fist (fingerpose fullcurl.jpg, turned a quarter turn) under a fast camera shake.',
    photo: { path: 'test/fixtures/hands/fullcurl.jpg', orientation: 'ccw90', credit: FINGERPOSE },
    matte: FINGERPOSE_MATTE_CCW90,
    armEdge: 'right',
    pivot: { x: 345, y: 240 },
    motion: {
      scale: 0.6,
      anchorPx: { x: 160, y: 120 },
      driftPxPerFrame: { x: 0, y: 0 },
      orbit: { xPx: 12, yPx: 18, periodFrames: 4.5 },
      rollDeg: { amplitude: 1, periodFrames: 9 },
      zoom: { amplitude: 0.015, periodFrames: 8 },
    },
    jointMarginPx: 12,
    silhouetteMarginPx: 6,
  },
  {
    action: 'hand_wave',
    sequence: '1',
    kind: 'local',
    description: 'Right hand, index finger half curled (fingerpose halfcurl.jpg), sweeping slowly across a forest stream (life by Aitzol Berasategi) with a little bob and roll; static camera.',
    photo: { path: 'test/fixtures/hands/halfcurl.jpg', orientation: 'upright', credit: FINGERPOSE },
    background: { file: 'life_by_Aitzol_Berasategi.jpg', scale: 0.16, left: 90, top: 40, credit: 'life by Aitzol Berasategi (2018), CC BY 4.0, from Debian lomiri-wallpapers-16.04' },
    matte: FINGERPOSE_MATTE,
    armEdge: 'bottom',
    pivot: 'wrist',
    motion: {
      scale: 0.5,
      anchorPx: { x: 128, y: 212 },
      driftPxPerFrame: { x: -7, y: 0 },
      orbit: { xPx: 0, yPx: 4, periodFrames: 12 },
      rollDeg: { amplitude: 3, periodFrames: 16 },
      zoom: { amplitude: 0, periodFrames: 1 },
    },
    jointMarginPx: 12,
    silhouetteMarginPx: 6,
  },
  {
    action: 'hand_wave',
    sequence: '2',
    kind: 'local',
    description: 'Open palm (OpenCV documentation Back_Projection_Theory2.jpg) waving fast from side to side over a bridge and the sky (Bridge by Sander Klootwijk); static camera.',
    photo: { path: 'test/fixtures/hands/Back_Projection_Theory2.jpg', orientation: 'upright', credit: OPENCV_DOC },
    background: { file: 'Bridge_by_Sander_Klootwijk.jpg', scale: 0.13, left: 200, top: 60, credit: 'Bridge by Sander Klootwijk (2018), CC BY-SA 4.0, from Debian lomiri-wallpapers-16.04' },
    matte: { skinLow: 0.3, skinHigh: 0.4, cutEdges: ['bottom'] },
    armEdge: 'bottom',
    pivot: 'wrist',
    motion: {
      scale: 1,
      anchorPx: { x: 160, y: 234 },
      driftPxPerFrame: { x: 0, y: 0 },
      orbit: { xPx: 44, yPx: 0, periodFrames: 12 },
      rollDeg: { amplitude: 0, periodFrames: 1 },
      zoom: { amplitude: 0, periodFrames: 1 },
    },
    jointMarginPx: 4,
    silhouetteMarginPx: 6,
  },
];

/** A still photo as used: oriented, 8-bit and in linear light, with the joints MediaPipe finds on it. */
interface Still {
  frame: Rgb8Frame;
  linear: LinearImage;
  /** FPHA order, px. */
  joints: Array<[number, number]>;
  handedness: string;
  handednessScore: number;
}

function turnCcw(f: Rgb8Frame): Rgb8Frame {
  // New pixel (x', y') is old pixel (W - 1 - y', x'): the top row becomes the left column.
  const width = f.height;
  const height = f.width;
  const data = new Uint8Array(f.data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = 3 * (x * f.width + (f.width - 1 - y));
      const to = 3 * (y * width + x);
      data[to] = f.data[from]!;
      data[to + 1] = f.data[from + 1]!;
      data[to + 2] = f.data[from + 2]!;
    }
  }
  return createRgb8Frame(data, { width, height });
}

function mirror(f: Rgb8Frame): Rgb8Frame {
  const { width, height } = f;
  const data = new Uint8Array(f.data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = 3 * (y * width + (width - 1 - x));
      const to = 3 * (y * width + x);
      data[to] = f.data[from]!;
      data[to + 1] = f.data[from + 1]!;
      data[to + 2] = f.data[from + 2]!;
    }
  }
  return createRgb8Frame(data, { width, height });
}

function toLinear(f: Rgb8Frame | ReturnType<typeof toIntegerFrame>): LinearImage {
  const l = toFloatFrame(f, { light: 'linear', gamma: FPHA_SAMPLE.gamma });
  return { width: l.width, height: l.height, data: l.data };
}

async function loadStill(photo: PhotoSource, estimator: HandPoseEstimator): Promise<Still> {
  const path = join(packageRoot(), photo.path);
  const decoded = (await decodeImage(path, 'uint8')) as Rgb8Frame;
  const frame = photo.orientation === 'ccw90' ? turnCcw(decoded) : photo.orientation === 'mirrored' ? mirror(decoded) : decoded;
  const result = await estimator.estimate(frame);
  const hand = result.hands[0];
  if (!hand) throw new Error(`MediaPipe finds no hand in ${photo.path} (${photo.orientation}); the sample needs one.`);
  return {
    frame,
    linear: toLinear(frame),
    // Rounded to 1e-4 px, as sample.json stores them, so that the manifest holds exactly what the frames used.
    joints: toFphaOrder(hand.landmarksPx).map(([x, y]) => [round(x, 4), round(y, 4)]),
    handedness: hand.handedness,
    handednessScore: hand.handednessScore,
  };
}

/** Bilinear sample of interleaved RGB at centre-based coordinates, edges clamped. */
function sampleClamped(img: LinearImage, x: number, y: number, out: Float64Array): void {
  const { width, height, data } = img;
  const xc = x < 0 ? 0 : x > width - 1 ? width - 1 : x;
  const yc = y < 0 ? 0 : y > height - 1 ? height - 1 : y;
  const x0 = Math.min(width - 2, Math.floor(xc));
  const y0 = Math.min(height - 2, Math.floor(yc));
  const fx = xc - x0;
  const fy = yc - y0;
  const i00 = 3 * (y0 * width + x0);
  const i10 = i00 + 3 * width;
  for (let c = 0; c < 3; c++) {
    out[c] =
      (1 - fy) * ((1 - fx) * data[i00 + c]! + fx * data[i00 + 3 + c]!) + fy * ((1 - fx) * data[i10 + c]! + fx * data[i10 + 3 + c]!);
  }
}

/** Bilinear sample of the premultiplied layer and its alpha at centre-based coordinates; transparent outside. */
function sampleLayer(m: HandMatte, x: number, y: number, out: Float64Array): void {
  out[0] = out[1] = out[2] = out[3] = 0;
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  if (x0 < -1 || y0 < -1 || x0 >= m.width || y0 >= m.height) return;
  const fx = x - x0;
  const fy = y - y0;
  for (let dy = 0; dy <= 1; dy++) {
    const yy = y0 + dy;
    if (yy < 0 || yy >= m.height) continue;
    for (let dx = 0; dx <= 1; dx++) {
      const xx = x0 + dx;
      if (xx < 0 || xx >= m.width) continue;
      const w = (dx ? fx : 1 - fx) * (dy ? fy : 1 - fy);
      const i = yy * m.width + xx;
      out[0] += w * m.premultiplied[3 * i]!;
      out[1] += w * m.premultiplied[3 * i + 1]!;
      out[2] += w * m.premultiplied[3 * i + 2]!;
      out[3] += w * m.alpha[i]!;
    }
  }
}

/** A scaled wallpaper and where the frame's cut of it starts. */
interface Background {
  /** The whole scaled wallpaper, linear light. */
  image: LinearImage;
  left: number;
  top: number;
}

/** The hand layer over a background, the background shifted by `shiftPx` (frame px) when it moves. */
interface Layer {
  matte: HandMatte;
  background: Background;
  shiftPx?: readonly [number, number];
}

/**
 * Renders one frame in linear light. `toStill` maps frame pixels to still pixels (corner-based); output pixel (i, j)
 * averages ss x ss bilinear samples at (i + (k + 0.5) / ss, j + (l + 0.5) / ss). A still background is its cut's
 * pixel; a moving one is sampled at the same ss x ss points, shifted.
 */
function renderFrame(geo: SampleGeometry, still: Still, toStill: Similarity, layer: Layer | undefined): LinearImage {
  const { width, height, supersampling: ss } = geo;
  const out = new Float32Array(width * height * 3);
  const px = new Float64Array(4);
  const bgPx = new Float64Array(3);
  const n = ss * ss;
  const shift = layer?.shiftPx;
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      let br = 0;
      let bgg = 0;
      let bb = 0;
      for (let l = 0; l < ss; l++) {
        for (let k = 0; k < ss; k++) {
          const [sx, sy] = applySimilarity(toStill, i + (k + 0.5) / ss, j + (l + 0.5) / ss);
          if (layer && shift) {
            // Wallpaper corner-based (left + x - shift), to centre-based for the sampler.
            sampleClamped(layer.background.image, layer.background.left + i + (k + 0.5) / ss - shift[0] - 0.5, layer.background.top + j + (l + 0.5) / ss - shift[1] - 0.5, bgPx);
            br += bgPx[0]!;
            bgg += bgPx[1]!;
            bb += bgPx[2]!;
          }
          // Corner-based still coordinates to the centre-based ones the samplers index with.
          if (layer) sampleLayer(layer.matte, sx - 0.5, sy - 0.5, px);
          else sampleClamped(still.linear, sx - 0.5, sy - 0.5, px);
          r += px[0]!;
          g += px[1]!;
          b += px[2]!;
          a += px[3] ?? 0;
        }
      }
      const o = 3 * (j * width + i);
      if (layer) {
        const keep = 1 - a / n;
        if (shift) {
          out[o] = (br / n) * keep + r / n;
          out[o + 1] = (bgg / n) * keep + g / n;
          out[o + 2] = (bb / n) * keep + b / n;
        } else {
          const { image, left, top } = layer.background;
          const from = 3 * ((top + j) * image.width + left + i);
          out[o] = image.data[from]! * keep + r / n;
          out[o + 1] = image.data[from + 1]! * keep + g / n;
          out[o + 2] = image.data[from + 2]! * keep + b / n;
        }
      } else {
        out[o] = r / n;
        out[o + 1] = g / n;
        out[o + 2] = b / n;
      }
    }
  }
  return { width, height, data: out };
}

async function loadBackground(geo: SampleGeometry, bg: BackgroundSource, dir: string): Promise<{ background: Background; scaledSize: [number, number] }> {
  const path = join(dir, bg.file);
  if (!existsSync(path)) {
    throw new Error(`Background photo ${path} is missing: install Debian's lomiri-wallpapers-16.04 (apt-get install lomiri-wallpapers-16.04) or pass --backgrounds <folder holding ${bg.file}>.`);
  }
  const full = await readImageMeta(path);
  const fitted = await decodeImageFit(path, 'uint16', Math.round(full.width * bg.scale), Math.round(full.height * bg.scale));
  const { width, height } = geo;
  if (bg.left + width > fitted.width || bg.top + height > fitted.height) {
    throw new Error(`Background ${bg.file} scaled to ${fitted.width}x${fitted.height} cannot hold a ${width}x${height} cut at (${bg.left}, ${bg.top})`);
  }
  return { background: { image: toLinear(fitted), left: bg.left, top: bg.top }, scaledSize: [fitted.width, fitted.height] };
}

/** Frame times checked for geometry: every quarter frame over the exposure of every frame. */
function checkTimes(frames: number): number[] {
  const times: number[] = [];
  for (let t = -0.5; t <= frames - 0.5 + 1e-9; t += 0.25) times.push(t);
  return times;
}

/** How close a sequence's motion comes to its limits, over every quarter frame of every exposure. */
interface GeometryReport {
  /** Least distance of a joint to a frame edge (px), with the joint (FPHA index) and the time. */
  jointMarginPx: number;
  joint: number;
  at: number;
  /** Camera motion: least distance (still px) from a frame corner's view to the photo's edge; negative = outside. */
  viewRoomPx?: number;
  /** Local motion: least distance (frame px) by which the layer's cut edge stays outside the frame; negative = shows. */
  cutEdgeRoomPx?: number;
  /** A moving background: least distance (wallpaper px) from the shifted cut to the wallpaper's edge; negative = outside. */
  backgroundRoomPx?: number;
  /** Least distance of the hand's silhouette (matte >= 0.5 near a joint) to the frame edges other than the arm's. */
  silhouetteMarginPx: number;
}

/**
 * The hand's own pixels, every second one: matte >= 0.5 and within 0.35 wrist-to-middle-knuckle lengths of a joint
 * (fingers and palm, not the forearm), at pixel centres.
 */
function silhouette(matte: HandMatte, joints: ReadonlyArray<readonly [number, number]>): Array<[number, number]> {
  const [wx, wy] = joints[0]!;
  const [mx, my] = joints[3]!;
  const r = 0.35 * Math.hypot(mx - wx, my - wy);
  const out: Array<[number, number]> = [];
  for (let y = 0; y < matte.height; y += 2) {
    for (let x = 0; x < matte.width; x += 2) {
      if (matte.alpha[y * matte.width + x]! < 0.5) continue;
      const cx = x + 0.5;
      const cy = y + 0.5;
      if (joints.some(([jx, jy]) => Math.hypot(jx - cx, jy - cy) <= r)) out.push([cx, cy]);
    }
  }
  return out;
}

function measureGeometry(geo: SampleGeometry, spec: SequenceSpec, motion: MotionParameters, still: Still, matte: HandMatte, scaledSize: readonly [number, number] | undefined): GeometryReport {
  const { width, height, frames } = geo;
  const report: GeometryReport = { jointMarginPx: Infinity, joint: -1, at: 0, silhouetteMarginPx: Infinity };
  const hand = silhouette(matte, still.joints);
  // The matte's pixels on the photo's cut edges (where the arm leaves the photo): they must stay out of the frame.
  const cut: Array<[number, number]> = [];
  if (spec.kind === 'local') {
    const { width: w, height: h } = matte;
    const edges = new Set(spec.matte.cutEdges ?? []);
    for (let i = 0; i < w * h; i++) {
      const x = i % w;
      const y = (i - x) / w;
      const onCut = (edges.has('left') && x === 0) || (edges.has('right') && x === w - 1) || (edges.has('top') && y === 0) || (edges.has('bottom') && y === h - 1);
      if (onCut && matte.alpha[i]! >= 0.01) cut.push([x + 0.5, y + 0.5]);
    }
  }
  for (const t of checkTimes(frames)) {
    const s = similarityAt(motion, t, frames);
    still.joints.forEach(([x, y], j) => {
      const [u, v] = applySimilarity(s, x, y);
      const m = Math.min(u, v, width - u, height - v);
      if (m < report.jointMarginPx) Object.assign(report, { jointMarginPx: m, joint: j, at: t });
    });
    for (const [x, y] of hand) {
      const [u, v] = applySimilarity(s, x, y);
      if (u < 0 || v < 0 || u > width || v > height) {
        // Only past the arm's edge may the hand leave the frame.
        const pastArmEdge = spec.armEdge === 'bottom' ? v > height : u > width;
        if (!pastArmEdge) report.silhouetteMarginPx = -Infinity;
        continue;
      }
      const edges = spec.armEdge === 'bottom' ? [u, v, width - u] : [u, v, height - v];
      report.silhouetteMarginPx = Math.min(report.silhouetteMarginPx, ...edges);
    }
    if (spec.kind === 'camera') {
      const inv = invertSimilarity(s);
      for (const [cx, cy] of [[0, 0], [width, 0], [0, height], [width, height]] as const) {
        const [x, y] = applySimilarity(inv, cx, cy);
        const room = Math.min(x - 0.5, y - 0.5, still.frame.width - 0.5 - x, still.frame.height - 0.5 - y);
        report.viewRoomPx = Math.min(report.viewRoomPx ?? Infinity, room);
      }
    } else {
      for (const [x, y] of cut) {
        const [u, v] = applySimilarity(s, x, y);
        const outside = Math.max(-1 - u, -1 - v, u - width - 1, v - height - 1);
        report.cutEdgeRoomPx = Math.min(report.cutEdgeRoomPx ?? Infinity, outside);
      }
      if (spec.background?.moves === 'orbit' && scaledSize) {
        const [ox, oy] = orbitAt(motion, t);
        const left = spec.background.left - ox;
        const top = spec.background.top - oy;
        const room = Math.min(left, top, scaledSize[0] - (left + width), scaledSize[1] - (top + height));
        report.backgroundRoomPx = Math.min(report.backgroundRoomPx ?? Infinity, room);
      }
    }
  }
  return report;
}

/** Throws unless the joints keep their margin, the view stays inside the photo and the layer's cut edge out of the frame. */
function checkGeometry(spec: SequenceSpec, report: GeometryReport): void {
  const id = `${spec.action}/${spec.sequence}`;
  if (report.jointMarginPx < spec.jointMarginPx) {
    throw new Error(`${id}: joint ${report.joint} comes within ${report.jointMarginPx.toFixed(1)} px of the frame edge at t = ${report.at} (at least ${spec.jointMarginPx} wanted)`);
  }
  if (report.silhouetteMarginPx < spec.silhouetteMarginPx) {
    throw new Error(`${id}: the hand's silhouette comes within ${report.silhouetteMarginPx.toFixed(1)} px of a frame edge (at least ${spec.silhouetteMarginPx} wanted)`);
  }
  if (report.viewRoomPx !== undefined && report.viewRoomPx < 0) throw new Error(`${id}: the view leaves the photo by ${(-report.viewRoomPx).toFixed(1)} px`);
  if (report.cutEdgeRoomPx !== undefined && report.cutEdgeRoomPx < 0) throw new Error(`${id}: the cut edge of the hand layer shows ${(-report.cutEdgeRoomPx).toFixed(1)} px inside the frame`);
  if (report.backgroundRoomPx !== undefined && report.backgroundRoomPx < 0) throw new Error(`${id}: the moving background leaves the wallpaper by ${(-report.backgroundRoomPx).toFixed(1)} px`);
}

/** JSON with 2-space indents, arrays of plain numbers on one line. */
export function formatJson(value: unknown): string {
  const numbers = /\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]/g;
  return `${JSON.stringify(value, null, 2).replace(numbers, (_, inner: string) => `[${inner.split(/,\s*/).join(', ')}]`)}\n`;
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

/** How far each joint travels (px) during frame k's exposure interval [k - 1/2, k + 1/2]. */
function jointTravel(frames: number, motion: MotionParameters, joints: ReadonlyArray<readonly [number, number]>, k: number): number[] {
  const before = similarityAt(motion, k - 0.5, frames);
  const after = similarityAt(motion, k + 0.5, frames);
  return joints.map(([x, y]) => {
    const [x0, y0] = applySimilarity(before, x, y);
    const [x1, y1] = applySimilarity(after, x, y);
    return Math.hypot(x1 - x0, y1 - y0);
  });
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const round = (v: number, digits: number) => Number(v.toFixed(digits));
const pad4 = (k: number) => String(k).padStart(4, '0');

export interface DetectionStats {
  mode: 'video' | 'image';
  detected: number;
  frames: number;
  rate: number;
  /** Mean over detected frames of the mean joint distance (px) between MediaPipe and the ground truth, FPHA order. */
  meanErrorPx: number | null;
  medianErrorPx: number | null;
  maxErrorPx: number | null;
}

export function detectionStats(mode: 'video' | 'image', results: HandsResult[], truth: Array<Array<[number, number]>>): DetectionStats {
  const errors: number[] = [];
  results.forEach((r, k) => {
    const hand = r.hands[0];
    if (!hand) return;
    const joints = toFphaOrder(hand.landmarksPx);
    const gt = truth[k]!;
    errors.push(joints.reduce((sum, [x, y], j) => sum + Math.hypot(x - gt[j]![0], y - gt[j]![1]), 0) / joints.length);
  });
  const sorted = [...errors].sort((a, b) => a - b);
  const stat = (v: number | undefined) => (v === undefined ? null : round(v, 2));
  return {
    mode,
    detected: errors.length,
    frames: results.length,
    rate: round(errors.length / results.length, 4),
    meanErrorPx: stat(errors.length ? mean(errors) : undefined),
    medianErrorPx: stat(sorted[Math.floor((sorted.length - 1) / 2)]),
    maxErrorPx: stat(sorted[sorted.length - 1]),
  };
}

/** NOTICE.md of the sample; keep it in step with {@link SEQUENCES}. */
function notice(): string {
  return `# FPHA-layout sample: sources and licences

Built by \`datasets/build-fpha-sample.ts\` (\`npm run build:fpha-sample\`); \`sample.json\` records how every frame was
made (source photo, background, motion parameters, per-frame transform, seed, estimator) and what MediaPipe finds on
the frames.

| sequence | made from | licence of the frames |
|---|---|---|
| \`Subject_1/camera_shake/1\` | \`assets/nocurl.jpg\` of the npm package [fingerpose@0.1.0](https://www.npmjs.com/package/fingerpose) (a real right hand, 480x640), turned a quarter turn, moved, scaled and resampled | MIT, Copyright (c) 2020 Andreas Schallwig (\`LICENSE.fingerpose\`) |
| \`Subject_1/camera_shake/2\` | \`assets/fullcurl.jpg\` of fingerpose@0.1.0, as above | MIT, as above |
| \`Subject_1/hand_wave/1\` | the hand of \`assets/halfcurl.jpg\` of fingerpose@0.1.0, cut out with a skin matte, composited over a cut of *life* by Aitzol Berasategi (2018), \`/usr/share/backgrounds/life_by_Aitzol_Berasategi.jpg\` of Debian's \`lomiri-wallpapers-16.04\` (scaled and cropped) | the hand: MIT, as above; the background: [CC BY 4.0](https://creativecommons.org/licenses/by/4.0/), Aitzol Berasategi; changes: cropped, scaled, a hand composited over it |
| \`Subject_1/hand_wave/2\` | the hand of \`Back_Projection_Theory2.jpg\` from Debian's \`opencv-doc\` 4.6.0 (OpenCV documentation, an open palm, 200x172), cut out with a skin matte, composited over a cut of *Bridge* by Sander Klootwijk (2018), \`/usr/share/backgrounds/Bridge_by_Sander_Klootwijk.jpg\` of \`lomiri-wallpapers-16.04\` | the frames are an adaptation of *Bridge* and are licensed [CC BY-SA 4.0](https://creativecommons.org/licenses/by-sa/4.0/) (attribution: Sander Klootwijk; changes: cropped, scaled, a hand composited over it); the hand: Apache-2.0 AND BSD-3-Clause, OpenCV (\`LICENSE.opencv\`) |

\`skeleton.txt\`, \`camera.json\` and \`sample.json\` are generated by this project (Apache-2.0, like the code). The
joints are MediaPipe's (\`@mediapipe/tasks-vision\`, Apache-2.0) landmarks of each still, moved by the known motion.

The two wallpapers are the photos the project's deblurring model holds out of training and validation, so an
evaluation on this sample runs on backgrounds the model never saw.
`;
}

/** A sequence as written: its id, frame folder and the ground-truth joints of each frame (FPHA order, px). */
export interface WrittenSequence {
  id: string;
  dir: string;
  truth: Array<Array<[number, number]>>;
}

/** Everything that makes one FPHA-layout sample. */
export interface SampleDefinition {
  geometry: SampleGeometry;
  camera: CameraModel;
  /** The hand's depth at zoom 1, mm. */
  depthMm: number;
  /** The sequences, in build order (the seeded phases are drawn in this order). */
  sequences: readonly SequenceSpec[];
  /** sample.json's description. */
  description: string;
  /** NOTICE.md. */
  notice: () => string;
  /** Licence files copied from test/fixtures/hands. */
  licences: readonly string[];
  /** Default output folder. */
  defaultOut: string;
  /** Measures more once the sample is written and read back; the result is added to sample.json. */
  measure?: (out: string, written: readonly WrittenSequence[]) => Promise<Record<string, unknown>>;
}

/** The embedded demo sample, datasets/fpha-sample. */
export const FPHA_SAMPLE_DEFINITION: SampleDefinition = {
  geometry: FPHA_SAMPLE,
  camera: FPHA_SAMPLE_CAMERA,
  depthMm: FPHA_SAMPLE_DEPTH_MM,
  sequences: SEQUENCES,
  description: 'Small FPHA-layout sample: real hand photos under known camera or hand motion, 30 fps, with FPHA ground truth. Built by datasets/build-fpha-sample.ts.',
  notice,
  licences: ['LICENSE.fingerpose', 'LICENSE.opencv'],
  defaultOut: join(packageRoot(), 'datasets', 'fpha-sample'),
};

/** Builds a sample from the command line (--out, --backgrounds, --plan). */
export async function buildFphaLayoutSample(def: SampleDefinition): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: def.defaultOut },
      backgrounds: { type: 'string', default: WALLPAPERS },
      /** Print each sequence's geometry (joint margins, room left) and speeds, write nothing. */
      plan: { type: 'boolean', default: false },
    },
  });
  const out = values.out!;
  const geo = def.geometry;
  const { width, height, frames, fps } = geo;
  const camera = def.camera;
  const rng = createRng(geo.seed);
  if (!values.plan) {
    // The folder is rebuilt from scratch; refuse to clear one that is not an earlier build.
    if (existsSync(out) && readdirSync(out).length > 0 && !existsSync(join(out, 'sample.json'))) {
      throw new Error(`${out} is not empty and holds no sample.json: not clearing it. Pass --out <new or earlier sample folder>.`);
    }
    await rm(out, { recursive: true, force: true });
    await mkdir(out, { recursive: true });
  }

  const stillEstimator = await createHandLandmarker({ mode: 'image' });
  const manifestSequences: unknown[] = [];
  const written: WrittenSequence[] = [];
  try {
    for (const spec of def.sequences) {
      const id = `${geo.subject}/${spec.action}/${spec.sequence}`;
      const still = await loadStill(spec.photo, stillEstimator);
      const wrist = still.joints[0]!;
      const motion: MotionParameters = {
        ...spec.motion,
        pivotPx: spec.pivot === 'wrist' ? { x: wrist[0], y: wrist[1] } : spec.pivot,
        // Phases rounded to 1e-6 rad, as sample.json stores them.
        orbit: { ...spec.motion.orbit, phase: round(uniform(rng, 0, 2 * Math.PI), 6) },
        rollDeg: { ...spec.motion.rollDeg, phase: round(uniform(rng, 0, 2 * Math.PI), 6) },
        zoom: { ...spec.motion.zoom, phase: round(uniform(rng, 0, 2 * Math.PI), 6) },
      };
      const matte = handMatte(still.frame, still.linear, spec.matte);
      const background = spec.background ? await loadBackground(geo, spec.background, values.backgrounds!) : undefined;
      const geometry = measureGeometry(geo, spec, motion, still, matte, background?.scaledSize);
      if (values.plan) {
        const speeds = Array.from({ length: frames }, (_, k) => mean(jointTravel(frames, motion, still.joints, k)));
        console.log(id, JSON.stringify(geometry), `speed ${Math.min(...speeds).toFixed(1)}-${Math.max(...speeds).toFixed(1)}`, 'joints', JSON.stringify(still.joints.map(([x, y]) => [Math.round(x), Math.round(y)])));
        continue;
      }
      checkGeometry(spec, geometry);

      const videoDir = join(out, 'Video_files', geo.subject, spec.action, spec.sequence);
      const colorDir = join(videoDir, 'color');
      const annotationDir = join(out, 'Hand_pose_annotation_v1', geo.subject, spec.action, spec.sequence);
      await mkdir(colorDir, { recursive: true });
      await mkdir(annotationDir, { recursive: true });
      const skeleton: string[] = [];
      const perFrame: unknown[] = [];
      const truth: Array<Array<[number, number]>> = [];
      const files: Array<{ file: string; bytes: number; sha256: string }> = [];
      for (let k = 0; k < frames; k++) {
        const s = similarityAt(motion, k, frames);
        const layer: Layer | undefined = spec.kind === 'local' && background ? { matte, background: background.background, ...(spec.background?.moves === 'orbit' ? { shiftPx: orbitAt(motion, k) } : {}) } : undefined;
        const linear = renderFrame(geo, still, invertSimilarity(s), layer);
        const frame = toIntegerFrame({ ...linear, channels: 3, sampleType: 'float32', light: 'linear', index: k, timestampMs: (k * 1000) / fps }, 'uint8', { gamma: geo.gamma });
        const jpeg = await encodeImage(frame, 'jpeg', { quality: geo.jpegQuality });
        const file = join(colorDir, `color_${pad4(k)}.jpeg`);
        await writeFile(file, jpeg);
        files.push({ file: relative(out, file), bytes: jpeg.length, sha256: sha256(jpeg) });

        const joints = still.joints.map(([x, y]) => applySimilarity(s, x, y));
        truth.push(joints);
        const depthMm = def.depthMm / zoomAt(motion, k);
        skeleton.push([k, ...joints.flatMap(([u, v]) => backProject(u, v, depthMm, camera).map((c) => c.toFixed(4)))].join(' '));
        const travel = jointTravel(frames, motion, still.joints, k);
        perFrame.push({
          frame: k,
          affine: affineOf(s).map((row) => row.map((v) => round(v, 9))),
          depthMm: round(depthMm, 4),
          speedPx: round(mean(travel), 3),
          maxJointSpeedPx: round(Math.max(...travel), 3),
        });
      }
      const skeletonText = `${skeleton.join('\n')}\n`;
      await writeFile(join(annotationDir, 'skeleton.txt'), skeletonText);
      const speeds = perFrame.map((f) => (f as { speedPx: number }).speedPx);
      manifestSequences.push({
        id,
        kind: spec.kind,
        description: spec.description,
        frames,
        photo: { ...spec.photo, stillSize: [still.frame.width, still.frame.height] },
        ...(spec.background ? { background: { ...spec.background, path: join(values.backgrounds!, spec.background.file), scaledSize: background!.scaledSize } } : {}),
        matte: { method: 'datasets/hand-matte.ts: skin score (R - B) / R, largest region, small holes filled, ramp at the outline, 3x3 feather, background colour taken out', usedFor: spec.kind === 'local' ? 'cutting the hand out' : 'measuring the silhouette margin only', ...spec.matte },
        stillJointsPx: still.joints,
        stillHandedness: { label: still.handedness, score: round(still.handednessScore, 4) },
        motion,
        speedPx: { min: Math.min(...speeds), mean: round(mean(speeds), 3), max: Math.max(...speeds) },
        geometry: { minJointMarginPx: round(geometry.jointMarginPx, 2), minSilhouetteMarginPx: round(geometry.silhouetteMarginPx, 2), ...(geometry.viewRoomPx !== undefined ? { viewRoomPx: round(geometry.viewRoomPx, 2) } : {}), ...(geometry.cutEdgeRoomPx !== undefined ? { cutEdgeRoomPx: round(geometry.cutEdgeRoomPx, 2) } : {}), ...(geometry.backgroundRoomPx !== undefined ? { backgroundRoomPx: round(geometry.backgroundRoomPx, 2) } : {}) },
        perFrame,
        files: { skeleton: { file: relative(out, join(annotationDir, 'skeleton.txt')), sha256: sha256(Buffer.from(skeletonText)) }, color: files },
      });
      written.push({ id, dir: videoDir, truth });
      console.log(`${id}: ${frames} frames, speed ${Math.min(...speeds).toFixed(1)}-${Math.max(...speeds).toFixed(1)} px/frame, joints >= ${geometry.jointMarginPx.toFixed(1)} px from the edges`);
    }
  } finally {
    await stillEstimator.close();
  }
  if (values.plan) return;

  await writeFile(join(out, 'camera.json'), formatJson(camera));
  await writeFile(join(out, 'NOTICE.md'), def.notice());
  for (const licence of def.licences) await copyFile(join(packageRoot(), 'test', 'fixtures', 'hands', licence), join(out, licence));

  // Read back with the FPHA reader and measure MediaPipe on the sharp frames.
  const imageEstimator = await createHandLandmarker({ mode: 'image' });
  try {
    for (const [i, seq] of written.entries()) {
      const source = await openFphaSequence(seq.dir);
      const videoEstimator = await createHandLandmarker({ mode: 'video' });
      const video: HandsResult[] = [];
      const image: HandsResult[] = [];
      let worst = 0;
      try {
        let k = 0;
        for await (const frame of source.frames()) {
          frame.annotation.jointsPx.forEach(([u, v], j) => {
            const [x, y] = seq.truth[k]![j]!;
            worst = Math.max(worst, Math.hypot(u - x, v - y));
          });
          video.push(await videoEstimator.estimate(frame));
          image.push(await imageEstimator.estimate(frame));
          k++;
        }
      } finally {
        await videoEstimator.close();
      }
      if (worst >= 0.01) throw new Error(`${seq.id}: the FPHA reader projects skeleton.txt ${worst} px away from the rendered joints`);
      const entry = manifestSequences[i] as Record<string, unknown>;
      entry.roundTripMaxErrorPx = Number(worst.toExponential(2));
      entry.detection = { video: detectionStats('video', video, seq.truth), image: detectionStats('image', image, seq.truth) };
      const d = entry.detection as { video: DetectionStats; image: DetectionStats };
      console.log(`${seq.id}: MediaPipe finds the hand in ${d.video.detected}/${d.video.frames} frames (video mode; image mode ${d.image.detected}), mean joint error ${d.video.meanErrorPx} px (image mode ${d.image.meanErrorPx} px); round trip ${worst.toExponential(1)} px`);
    }
  } finally {
    await imageEstimator.close();
  }

  const measured = def.measure ? await def.measure(out, written) : {};
  const manifest = {
    description: def.description,
    layout: 'Video_files/Subject_1/<action>/<seq>/color/color_%04d.jpeg, Hand_pose_annotation_v1/Subject_1/<action>/<seq>/skeleton.txt, camera.json at the root',
    width,
    height,
    fps,
    frames,
    jpegQuality: geo.jpegQuality,
    seed: geo.seed,
    camera,
    depth: {
      referenceMm: def.depthMm,
      rule: 'The photos are flat: all joints of frame k lie at Z = referenceMm / z(k), z the relative zoom of the motion (1 when it does not zoom); X = (u - u0) Z / fx, Y = (v - v0) Z / fy.',
    },
    pixelConvention: 'x right, y down, origin at the top-left corner of the top-left pixel (pixel centres at +0.5), as MediaPipe and the FPHA reader report pixels',
    transform: 'Frame k shows still pixel p at affine[k] . [p.x, p.y, 1] (a similarity): o(t) = anchor + drift (t - (frames - 1) / 2) + (orbit.xPx sin(2 pi t / orbit.periodFrames + orbit.phase), orbit.yPx cos(...)) + scale z(t) R(roll(t)) (p - pivot), z(t) = 1 + zoom.amplitude sin(2 pi t / zoom.periodFrames + zoom.phase), roll(t) = rollDeg.amplitude sin(2 pi t / rollDeg.periodFrames + rollDeg.phase) degrees. speedPx: mean joint travel over the exposure interval [k - 1/2, k + 1/2].',
    rendering: `Linear light (stored^${geo.gamma}); bilinear samples at ${geo.supersampling}x${geo.supersampling} points per output pixel, averaged; local motion: premultiplied hand layer over the static background${def.sequences.some((q) => q.background?.moves === 'orbit') ? ' (a moving background, where background.moves is "orbit", shifted by the orbit term and sampled at the same points)' : ''}; backgrounds scaled with Lanczos (sharp) first; 8-bit JPEG (4:4:4).`,
    estimator: { name: `mediapipe-tasks-vision@${TASKS_VISION_VERSION} hand_landmarker full`, stillMode: 'image', detectionModes: ['video', 'image'] },
    sequences: manifestSequences,
    ...measured,
  };
  await writeFile(join(out, 'sample.json'), formatJson(manifest));
  const total = await folderBytes(out);
  console.log(`Wrote ${out} (${(total / 1024).toFixed(0)} KiB)`);
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? await folderBytes(path) : (await stat(path)).size;
  }
  return total;
}

// Run when executed, not when imported.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await buildFphaLayoutSample(FPHA_SAMPLE_DEFINITION);
