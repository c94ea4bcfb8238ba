/**
 * Draws hands onto frames: the skeleton ({@link HAND_CONNECTIONS}) as lines and the 21 landmarks as dots, for
 * reports and overlay videos. Pure pixel work on a copy of the frame (8-bit RGB out); nothing native.
 */
import { expectInteger, expectKnownKeys } from '../options.js';
import { type Frame, type Rgb8Frame, toIntegerFrame } from '../stream/frame.js';
import { HAND_CONNECTIONS, type HandPose, type Handedness } from './estimator.js';

/** An 8-bit RGB colour. */
export type Rgb = readonly [number, number, number];

/** Default colours: bones white; landmarks red on right hands and blue on left hands. */
export const DEFAULT_OVERLAY_COLORS: Readonly<{ bone: Rgb; landmark: Readonly<Record<Handedness, Rgb>> }> = {
  bone: [255, 255, 255],
  landmark: { right: [230, 40, 40], left: [40, 110, 255] },
};

/** Options of {@link drawHands}. */
export interface DrawHandsOptions {
  /** Bone thickness in pixels (default: the shorter side / 240, at least 1). */
  lineWidth?: number;
  /** Landmark dot radius in pixels (default: the shorter side / 160, at least 2). */
  pointRadius?: number;
}

function paint(data: Uint8Array, width: number, x: number, y: number, color: Rgb): void {
  const o = (y * width + x) * 3;
  data[o] = color[0];
  data[o + 1] = color[1];
  data[o + 2] = color[2];
}

/** Fills every pixel whose centre lies within `radius` of the segment (x0, y0)-(x1, y1). */
function fillSegment(frame: Rgb8Frame, x0: number, y0: number, x1: number, y1: number, radius: number, color: Rgb): void {
  const { width, height, data } = frame;
  const left = Math.max(0, Math.floor(Math.min(x0, x1) - radius));
  const right = Math.min(width - 1, Math.ceil(Math.max(x0, x1) + radius));
  const top = Math.max(0, Math.floor(Math.min(y0, y1) - radius));
  const bottom = Math.min(height - 1, Math.ceil(Math.max(y0, y1) + radius));
  const dx = x1 - x0;
  const dy = y1 - y0;
  const lengthSquared = dx * dx + dy * dy;
  const r2 = radius * radius;
  for (let y = top; y <= bottom; y++) {
    const cy = y + 0.5;
    for (let x = left; x <= right; x++) {
      const cx = x + 0.5;
      const t = lengthSquared === 0 ? 0 : Math.min(1, Math.max(0, ((cx - x0) * dx + (cy - y0) * dy) / lengthSquared));
      const ex = cx - (x0 + t * dx);
      const ey = cy - (y0 + t * dy);
      if (ex * ex + ey * ey <= r2) paint(data, width, x, y, color);
    }
  }
}

/**
 * A copy of `frame` (8-bit) with `hands` drawn on it: bones first, then landmark dots. Landmarks are in the frame's
 * pixels (`HandPose.landmarksPx`); parts outside the frame are clipped.
 */
export function drawHands(frame: Frame, hands: readonly HandPose[], options: DrawHandsOptions = {}): Rgb8Frame {
  expectKnownKeys('drawHands options', options, ['lineWidth', 'pointRadius']);
  const shorter = Math.min(frame.width, frame.height);
  const lineWidth = expectInteger('lineWidth', options.lineWidth ?? Math.max(1, Math.round(shorter / 240)), 1, 1000);
  const pointRadius = expectInteger('pointRadius', options.pointRadius ?? Math.max(2, Math.round(shorter / 160)), 1, 1000);
  const source = toIntegerFrame(frame, 'uint8');
  const out: Rgb8Frame = { ...source, data: new Uint8Array(source.data) };
  for (const hand of hands) {
    for (const [a, b] of HAND_CONNECTIONS) {
      const p = hand.landmarksPx[a];
      const q = hand.landmarksPx[b];
      if (p && q) fillSegment(out, p[0], p[1], q[0], q[1], lineWidth / 2, DEFAULT_OVERLAY_COLORS.bone);
    }
    const color = DEFAULT_OVERLAY_COLORS.landmark[hand.handedness];
    for (const [x, y] of hand.landmarksPx) fillSegment(out, x, y, x, y, pointRadius, color);
  }
  return out;
}
