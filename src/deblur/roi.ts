/**
 * Regions of interest: which parts of a frame `deblur()` restores when it does not restore the whole frame. The
 * rest of the frame passes through unchanged, and each restored region is blended back with a feathered mask.
 *
 * - `boxes`: rectangles the caller gives (fixed, or per frame from a function: e.g. from a hand tracker of their own).
 * - `motion`: where the motion map (the model's own motion input, normalized by the frame's largest motion or by
 *   1 px when nothing moves more) reaches `threshold`: the map is read in cells of `cell` pixels, cells at or above
 *   the threshold become boxes, grown by `margin` pixels and merged. A still frame restores nothing; a camera pan
 *   restores everything.
 * - `hands`: hand boxes from a {@link HandPoseEstimator} (MediaPipe's HandLandmarker by default, VIDEO mode) run on
 *   the input frames: the landmarks' bounding box grown by `margin` times its longer side. Blur makes detections
 *   drop out (the reason to deblur), so a hand that is not found keeps its last box for up to `holdFrames` frames,
 *   moved by its last velocity and grown by that motion for each frame it is missing.
 */
import { InvalidOptionError } from '../errors.js';
import type { GreyImage } from '../flow/field.js';
import type { HandPoseEstimator, HandsResult } from '../handpose/estimator.js';
import { HAND_MODEL_VARIANTS, type HandModelVariant } from '../handpose/mediapipe/model-asset.js';
import { MAX_NUM_HANDS } from '../handpose/landmarker-options.js';
import { expectFunction, expectInteger, expectKnownKeys, expectNumber, expectOneOf, invalidOption } from '../options.js';
import type { Frame } from '../stream/frame.js';
import { type Box, clipBox, expandBox, mergeBoxes } from './tiles.js';

/** Default width in pixels of the feathered edge of a restored region. */
export const DEFAULT_ROI_FEATHER = 16;
/** Default motion threshold (fraction of the frame's largest motion, or of 1 px). */
export const DEFAULT_MOTION_THRESHOLD = 0.25;
/** Default cell size in pixels for motion regions. */
export const DEFAULT_MOTION_CELL = 16;
/** Default margin in pixels around motion cells. */
export const DEFAULT_MOTION_MARGIN = 32;
/** Default margin around a hand's landmarks, as a fraction of the landmarks' longer side. */
export const DEFAULT_HAND_MARGIN = 0.3;
/** Default number of frames a lost hand keeps its box. */
export const DEFAULT_HAND_HOLD_FRAMES = 5;
/** Default hand model for ROI mode: lite (about half the time of full; the box needs no fine landmarks). */
export const DEFAULT_ROI_HAND_MODEL: HandModelVariant = 'lite';
/** Default number of hands tracked. */
export const DEFAULT_ROI_NUM_HANDS = 2;

/** Restore the given boxes. */
export interface BoxesRoi {
  readonly kind: 'boxes';
  /** Boxes in pixels, fixed or per frame. */
  readonly boxes: readonly Box[] | ((frame: Frame) => readonly Box[]);
  /** Feathered edge in pixels (default {@link DEFAULT_ROI_FEATHER}). */
  readonly feather?: number;
}

/** Restore where the motion map is high. */
export interface MotionRoi {
  readonly kind: 'motion';
  /** Default {@link DEFAULT_MOTION_THRESHOLD}. */
  readonly threshold?: number;
  /** Default {@link DEFAULT_MOTION_CELL}. */
  readonly cell?: number;
  /** Default {@link DEFAULT_MOTION_MARGIN}. */
  readonly margin?: number;
  readonly feather?: number;
}

/** Restore around hands, tracked over time. */
export interface HandsRoi {
  readonly kind: 'hands';
  /** Use this estimator (not closed by deblur) instead of creating MediaPipe's; it sees frames in stream order. */
  readonly estimator?: HandPoseEstimator;
  /** MediaPipe model when no estimator is given (default {@link DEFAULT_ROI_HAND_MODEL}). */
  readonly model?: HandModelVariant;
  /** Hands to find when no estimator is given (default {@link DEFAULT_ROI_NUM_HANDS}). */
  readonly numHands?: number;
  /** Default {@link DEFAULT_HAND_MARGIN}. */
  readonly margin?: number;
  /** Default {@link DEFAULT_HAND_HOLD_FRAMES}. */
  readonly holdFrames?: number;
  readonly feather?: number;
}

/** The region-of-interest modes of `deblur()`. */
export type DeblurRoi = BoxesRoi | MotionRoi | HandsRoi;

/** A ROI after validation, with every default filled in. */
export type ResolvedRoi =
  | { kind: 'boxes'; boxes: (frame: Frame) => readonly Box[]; feather: number }
  | { kind: 'motion'; threshold: number; cell: number; margin: number; feather: number }
  | { kind: 'hands'; estimator: HandPoseEstimator | undefined; model: HandModelVariant; numHands: number; margin: number; holdFrames: number; feather: number };

function checkBox(name: string, box: unknown): Box {
  const b = box as Box;
  if (typeof box !== 'object' || box === null || ![b.x, b.y, b.width, b.height].every((v) => typeof v === 'number' && Number.isFinite(v)) || b.width < 0 || b.height < 0) {
    invalidOption(name, 'box { x, y, width, height } of finite numbers with width, height >= 0', JSON.stringify(box));
  }
  return b;
}

/** Validates a ROI option (throws {@link InvalidOptionError} naming the field). */
export function resolveRoi(roi: DeblurRoi): ResolvedRoi {
  if (typeof roi !== 'object' || roi === null) invalidOption('roi', "object with kind 'boxes', 'motion' or 'hands'", roi);
  const kind = expectOneOf('roi.kind', roi.kind, ['boxes', 'motion', 'hands'] as const);
  const feather = (value: unknown) => expectInteger('roi.feather', value ?? DEFAULT_ROI_FEATHER, 0, 1024);
  switch (kind) {
    case 'boxes': {
      const r = roi as BoxesRoi;
      expectKnownKeys('roi (boxes)', r, ['kind', 'boxes', 'feather']);
      let boxes: (frame: Frame) => readonly Box[];
      if (typeof r.boxes === 'function') {
        const fn = expectFunction<(frame: Frame) => readonly Box[]>('roi.boxes', r.boxes);
        boxes = (frame) => {
          const out = fn(frame);
          if (!Array.isArray(out)) invalidOption('roi.boxes(frame)', 'array of boxes', out);
          return out.map((b, i) => checkBox(`roi.boxes(frame)[${i}]`, b));
        };
      } else {
        if (!Array.isArray(r.boxes)) invalidOption('roi.boxes', 'array of boxes or a function of the frame', r.boxes);
        const fixed = r.boxes.map((b, i) => checkBox(`roi.boxes[${i}]`, b));
        boxes = () => fixed;
      }
      return { kind, boxes, feather: feather(r.feather) };
    }
    case 'motion': {
      const r = roi as MotionRoi;
      expectKnownKeys('roi (motion)', r, ['kind', 'threshold', 'cell', 'margin', 'feather']);
      return {
        kind,
        threshold: expectNumber('roi.threshold', r.threshold ?? DEFAULT_MOTION_THRESHOLD, 0, 1, true),
        cell: expectInteger('roi.cell', r.cell ?? DEFAULT_MOTION_CELL, 1, 1024),
        margin: expectInteger('roi.margin', r.margin ?? DEFAULT_MOTION_MARGIN, 0, 4096),
        feather: feather(r.feather),
      };
    }
    case 'hands': {
      const r = roi as HandsRoi;
      expectKnownKeys('roi (hands)', r, ['kind', 'estimator', 'model', 'numHands', 'margin', 'holdFrames', 'feather']);
      if (r.estimator !== undefined) {
        if (typeof r.estimator !== 'object' || r.estimator === null) invalidOption('roi.estimator', 'HandPoseEstimator object', r.estimator);
        expectFunction('roi.estimator.estimate', r.estimator.estimate);
        if (r.model !== undefined || r.numHands !== undefined) {
          throw new InvalidOptionError('roi.model and roi.numHands configure the MediaPipe estimator, which is not created when roi.estimator is given; drop them');
        }
      }
      return {
        kind,
        estimator: r.estimator,
        model: expectOneOf('roi.model', r.model ?? DEFAULT_ROI_HAND_MODEL, HAND_MODEL_VARIANTS),
        numHands: expectInteger('roi.numHands', r.numHands ?? DEFAULT_ROI_NUM_HANDS, 1, MAX_NUM_HANDS),
        margin: expectNumber('roi.margin', r.margin ?? DEFAULT_HAND_MARGIN, 0, 10),
        holdFrames: expectInteger('roi.holdFrames', r.holdFrames ?? DEFAULT_HAND_HOLD_FRAMES, 0, 1000),
        feather: feather(r.feather),
      };
    }
  }
}

/**
 * Boxes where a motion map reaches `threshold`: cells of `cell` pixels whose largest value does, grown by `margin`
 * pixels, clipped to the frame and merged.
 */
export function motionBoxes(map: GreyImage, threshold: number, cell: number, margin: number): Box[] {
  const { width, height, data } = map;
  const boxes: Box[] = [];
  for (let cy = 0; cy < height; cy += cell) {
    for (let cx = 0; cx < width; cx += cell) {
      const w = Math.min(cell, width - cx);
      const h = Math.min(cell, height - cy);
      let hit = false;
      for (let y = cy; y < cy + h && !hit; y++) {
        for (let x = cx; x < cx + w; x++) {
          if (data[y * width + x]! >= threshold) {
            hit = true;
            break;
          }
        }
      }
      if (hit) boxes.push(expandBox({ x: cx, y: cy, width: w, height: h }, margin, width, height));
    }
  }
  return mergeBoxes(boxes);
}

/** The bounding box of a hand's landmarks, grown by `margin` times its longer side. */
export function handBox(landmarksPx: readonly (readonly [number, number, number])[], margin: number): Box {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [x, y] of landmarksPx) {
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  const grow = margin * Math.max(x1 - x0, y1 - y0);
  return { x: x0 - grow, y: y0 - grow, width: x1 - x0 + 2 * grow, height: y1 - y0 + 2 * grow };
}

interface Track {
  box: Box;
  vx: number;
  vy: number;
  missed: number;
}

const centre = (b: Box) => ({ x: b.x + b.width / 2, y: b.y + b.height / 2 });

/**
 * Hand boxes over time (see the module comment): detections are matched to tracks by nearest centre (within the
 * larger box's diagonal); a track not matched keeps its box for `holdFrames` frames, moved by its velocity and
 * grown by it per missing frame.
 */
export class HandBoxTracker {
  private tracks: Track[] = [];
  constructor(
    private readonly margin: number,
    private readonly holdFrames: number,
  ) {}

  /** The boxes (frame coordinates, clipped) for the next frame's result. */
  update(result: HandsResult): Box[] {
    const detections = result.hands.map((h) => handBox(h.landmarksPx, this.margin));
    const unmatched = new Set(this.tracks);
    const next: Track[] = [];
    for (const box of detections) {
      const c = centre(box);
      let best: Track | undefined;
      let bestDistance = Infinity;
      for (const track of unmatched) {
        const t = centre(track.box);
        const d = Math.hypot(c.x - t.x, c.y - t.y);
        const reach = Math.hypot(Math.max(box.width, track.box.width), Math.max(box.height, track.box.height));
        if (d <= reach && d < bestDistance) {
          best = track;
          bestDistance = d;
        }
      }
      if (best) {
        unmatched.delete(best);
        // A track found again after missing frames keeps its velocity (its box was moved by it meanwhile).
        const t = centre(best.box);
        next.push(best.missed === 0 ? { box, vx: c.x - t.x, vy: c.y - t.y, missed: 0 } : { box, vx: best.vx, vy: best.vy, missed: 0 });
      } else {
        next.push({ box, vx: 0, vy: 0, missed: 0 });
      }
    }
    for (const track of unmatched) {
      if (track.missed >= this.holdFrames) continue;
      const speed = Math.max(Math.abs(track.vx), Math.abs(track.vy));
      const b = track.box;
      next.push({ box: { x: b.x + track.vx - speed, y: b.y + track.vy - speed, width: b.width + 2 * speed, height: b.height + 2 * speed }, vx: track.vx, vy: track.vy, missed: track.missed + 1 });
    }
    this.tracks = next;
    return next.map((t) => clipBox(t.box, result.width, result.height)).filter((b) => b.width > 0 && b.height > 0);
  }
}

/**
 * The feathered blending weight of a restored box along one axis, over the box's own pixels: ramps of `feather`
 * pixels at edges inside the frame (none at the frame's border, where there is no seam), at most half the box.
 */
export function boxFeather(start: number, length: number, frameLength: number, feather: number): Float32Array {
  const w = new Float32Array(length).fill(1);
  const f = Math.min(feather, Math.floor(length / 2));
  if (f <= 0) return w;
  for (let p = 0; p < f; p++) {
    const v = (p + 0.5) / f;
    if (start > 0) w[p] = Math.min(w[p]!, v);
    if (start + length < frameLength) w[length - 1 - p] = Math.min(w[length - 1 - p]!, v);
  }
  return w;
}
