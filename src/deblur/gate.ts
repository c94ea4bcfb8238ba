/**
 * The blur gate: restore only what is blurred. A deblurring network softens input that is already sharp (ESTRNN's
 * issue 31 reports it; the project's own shipped-model test bounds it), and every network call costs time, so
 * `deblur({ gate })` lets through untouched, with no network call:
 *
 * - a frame where nothing moves: the motion map's largest motion (px per frame, before normalization) is below
 *   `minMotionPx`. Motion blur needs motion; a still camera on a still scene gives none;
 * - a frame clearly sharper than its window: its blur weight (Eq. 4, the blur reasoning vector: 5 v_c^-1 / sum_j
 *   v_j^-1 with v the Laplacian variance of each window frame) is at most `sharpWeight`, i.e. its Laplacian variance
 *   is well above its neighbours' (a steady moment in shaky footage);
 * - in the frames it restores, the still regions: without a region-of-interest mode, only the cells of `cell` pixels
 *   where the motion map reaches `minMotionPx` are restored (grown by `margin` and merged, feathered back in). With a
 *   ROI mode the ROI's regions are restored as they are.
 *
 * With `motionScope: 'regions'` there is no whole-frame motion map, and only the blur-weight test applies.
 */
import { expectInteger, expectKnownKeys, expectNumber } from '../options.js';
import type { MotionMap } from '../flow/motion-map.js';
import { motionBoxes } from './roi.js';
import type { Box } from './tiles.js';

/** Default least motion (px per frame) for a frame or a region to be restored. */
export const DEFAULT_GATE_MIN_MOTION_PX = 2;
/** Default largest blur weight (Eq. 4; 1 = as sharp as the window's average) of a frame let through as sharp. */
export const DEFAULT_GATE_SHARP_WEIGHT = 0.6;
/** Default cell size in pixels of the region gate. */
export const DEFAULT_GATE_CELL = 32;
/** Default margin in pixels around the moving cells the region gate restores. */
export const DEFAULT_GATE_MARGIN = 32;
/** Default feathered edge in pixels of the regions the gate restores. */
export const DEFAULT_GATE_FEATHER = 16;

/** Options of the blur gate (every field has a default). */
export interface BlurGateOptions {
  /** Default {@link DEFAULT_GATE_MIN_MOTION_PX}. */
  readonly minMotionPx?: number;
  /** Default {@link DEFAULT_GATE_SHARP_WEIGHT}; 0 turns the blur-weight test off. */
  readonly sharpWeight?: number;
  /** Default {@link DEFAULT_GATE_CELL}. */
  readonly cell?: number;
  /** Default {@link DEFAULT_GATE_MARGIN}. */
  readonly margin?: number;
  /** Default {@link DEFAULT_GATE_FEATHER}. */
  readonly feather?: number;
}

/** {@link BlurGateOptions} with the defaults filled in. */
export type ResolvedBlurGate = Required<BlurGateOptions>;

/** Checks the gate's options (throws InvalidOptionError naming `gate.<field>`) and fills in the defaults. */
export function resolveBlurGate(options: BlurGateOptions): ResolvedBlurGate {
  expectKnownKeys('gate', options, ['minMotionPx', 'sharpWeight', 'cell', 'margin', 'feather']);
  return {
    minMotionPx: expectNumber('gate.minMotionPx', options.minMotionPx ?? DEFAULT_GATE_MIN_MOTION_PX, 0, 1000),
    sharpWeight: expectNumber('gate.sharpWeight', options.sharpWeight ?? DEFAULT_GATE_SHARP_WEIGHT, 0, 5),
    cell: expectInteger('gate.cell', options.cell ?? DEFAULT_GATE_CELL, 1, 4096),
    margin: expectInteger('gate.margin', options.margin ?? DEFAULT_GATE_MARGIN, 0, 4096),
    feather: expectInteger('gate.feather', options.feather ?? DEFAULT_GATE_FEATHER, 0, 1024),
  };
}

/** What the gate decided for a frame: let it through (and why), or restore these regions (undefined: the ROI's). */
export type GateDecision = { readonly pass: 'still' | 'sharp' } | { readonly pass: false; readonly regions: readonly Box[] | undefined };

/**
 * The gate's decision for a window's centre frame from its blur weight and (when there is one) its motion map;
 * `withRoi`: a region-of-interest mode chooses the regions of the frames restored.
 */
export function gateFrame(gate: ResolvedBlurGate, centreBlurWeight: number, motion: MotionMap | undefined, withRoi: boolean): GateDecision {
  if (motion && motion.maxMotionPx < gate.minMotionPx) return { pass: 'still' };
  if (centreBlurWeight <= gate.sharpWeight) return { pass: 'sharp' };
  if (withRoi || !motion) return { pass: false, regions: undefined };
  // The map's 1 stands for max(maxMotionPx, 1 px) (flow/motion-map.ts); for the colour kind the map is at most that.
  const threshold = gate.minMotionPx / Math.max(motion.maxMotionPx, 1);
  return { pass: false, regions: motionBoxes(motion, threshold, gate.cell, gate.margin) };
}
