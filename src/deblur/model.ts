/**
 * What the deblurring operator needs from a model: the small {@link DeblurModel} interface. `loadDeblurModel()`
 * (onnx-session.ts, the one file that loads ONNX Runtime) makes one from an exported model; tests and other
 * backends implement it themselves. A model in two parts (contract version 2, models/README.md) also exposes
 * {@link DeblurModelParts}, so that the operator computes each frame's features once and reuses them in every
 * window that holds the frame (feature-cache.ts).
 */
import type { DisOptions } from '../flow/dis.js';
import type { MotionMapKind } from '../flow/motion-map.js';
import type { ClampMotion } from './local-range.js';
import type { ModelCard } from './model-card.js';

/** The parts of the runtime contract (models/README.md) the operator works with. */
export interface DeblurModelContract {
  /** Frames per window (5). */
  readonly windowSize: number;
  /** Position of the restored frame in the window ((windowSize - 1) / 2). */
  readonly centreIndex: number;
  /** Network height and width are multiples of this (16). */
  readonly paddingMultiple: number;
  /** Smallest network height and width (32). */
  readonly minSize: number;
  /** Which motion map the `motion` input holds. */
  readonly motionMapKind: MotionMapKind;
  /** Optical flow options of the motion input (default: the motion map's own, full-resolution DIS). */
  readonly motionFlow?: DisOptions;
  /** The largest tile side the model is meant to run at, when it says (`deblur()` uses it unless given a tileSize). */
  readonly tileSize?: number;
  /** The clamp radius the model was trained through or measured best at, when it says (`deblur()` uses it unless given one). */
  readonly clampRadius?: number;
  /** The clamp's radius following the motion, when the model's card asks for it (local-range.ts, `ClampMotion`). */
  readonly clampMotion?: ClampMotion;
  /** The residual's deadband in 8-bit grey levels, when the model's card gives one (local-range.ts, `applyDeadband`). */
  readonly deadband?: number;
  /** Where the card's deadband applies: where the input spans at most this many grey levels (`deadbandFlat`). */
  readonly deadbandFlat?: number;
  /** Richardson-Lucy steps along the flow after the network, when the model's card asks for them (deconvolve.ts). */
  readonly deconvolve?: number;
  /**
   * Whether the model reads the `motion` input (default true). A model that does not (a plain model, plain-model.ts)
   * spares `deblur()` the motion map's optical flow, unless the blur gate or ROI mode 'motion' needs it; `motion` is
   * then fed as zeros.
   */
  readonly usesMotion?: boolean;
  /**
   * Whether the model reads the centre frame's flow vectors (`flow`, contract version 3: a network with the
   * directional motion prior). Default false. `deblur()` then keeps the motion map's flows and feeds them.
   */
  readonly usesFlow?: boolean;
}

/** What a loaded model is, for reports and for the evaluation's stage cache. */
export interface DeblurModelIdentity {
  /**
   * 'contract': a model of this project's contract (models/README.md); 'plain': an ONNX graph without it, described
   * by a minimal card or options (plain-model.ts); 'reference': a computed, non-learned baseline.
   */
  readonly kind: 'contract' | 'plain' | 'reference';
  /** The model's name (the card's; a plain model's file stem or given name). */
  readonly name: string;
  /** The card's architecture preset, `plain-nchw` / `plain-ntchw`, or the reference's method. */
  readonly preset: string;
  /** SHA-256 of the ONNX file (of the restore graph, for a model in two parts); undefined for a computed model. */
  readonly sha256: string | undefined;
  /** Everything other than the deblurring settings that the output depends on (file digests, the description the runtime reads). */
  readonly key: Readonly<Record<string, unknown>>;
}

/**
 * One network call's inputs, batch 1, all float32 (models/README.md): `frames` NTCHW [1, T, 3, H, W] gamma-encoded
 * RGB in [0, 1]; `motion` NCHW [1, 1, H, W] in [0, 1]; `blurWeights` and `contrastScale` [1, T]; for a model that
 * reads it (`contract.usesFlow`, contract version 3), `flow` NCHW [1, 4, H, W] in pixels per frame.
 */
export interface DeblurFeeds {
  readonly width: number;
  readonly height: number;
  readonly frames: Float32Array;
  readonly motion: Float32Array;
  readonly blurWeights: Float32Array;
  readonly contrastScale: Float32Array;
  /** The centre frame's flow vectors over the call's rectangle (contract version 3), planar [4, H, W]. */
  readonly flow?: Float32Array;
  /**
   * `frames`, `motion` and `flow` were made for this call and are not read after it: a model may move them to another
   * thread instead of copying them (they are then left empty). Default false. Either way the feeds are the model's to
   * read only until its `run` resolves: `deblur()` writes the next call's input into the same `frames` buffer when the
   * model left it in place, so a model that keeps inputs past the call copies them.
   */
  readonly owned?: boolean;
}

/** One frame over a run rectangle, the input of a two-part model's feature graph: NCHW [1, 3, H, W], as in `frames`. */
export interface FrameFeeds {
  readonly width: number;
  readonly height: number;
  /** Gamma-encoded RGB in [0, 1], padded by edge replication exactly as the frame is in {@link DeblurFeeds.frames}. */
  readonly frame: Float32Array;
}

/** One pyramid level of a frame's features: [channels, height, width] float32. */
export interface FeatureLevel {
  readonly data: Float32Array;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
}

/** A frame's features (contract version 2): the levels featL1, featL2, featL3 at 1/4, 1/8 and 1/16 of the run size. */
export interface FrameFeatures {
  readonly levels: readonly FeatureLevel[];
}

/**
 * The two parts of a contract version 2 model. `extractFeatures` depends on one frame (over one run rectangle)
 * alone, so its result can be reused by every window that holds that frame over the same rectangle; `restore`
 * takes the window's features in window order (edge frames repeated as in `frames`) with the other inputs of
 * {@link DeblurFeeds}. `restore(features of the window's frames, feeds)` equals `run(feeds)`.
 */
export interface DeblurModelParts {
  extractFeatures(feeds: FrameFeeds): Promise<FrameFeatures>;
  restore(features: readonly FrameFeatures[], feeds: DeblurFeeds): Promise<Float32Array>;
}

/** Where a model runs. `'auto'` takes CUDA when it can be used and the CPU otherwise. */
export type DeblurDevice = 'cpu' | 'cuda' | 'auto';

/** A loaded deblurring network. Run one call at a time (ONNX Runtime's run blocks its threads). */
export interface DeblurModel {
  /** The model's name (from its card). */
  readonly name: string;
  readonly contract: DeblurModelContract;
  /** The execution provider actually in use (after any fallback): 'cpu' or 'cuda'; other backends name theirs. */
  readonly executionProvider: string;
  /** The model card, when the model came from files. */
  readonly card?: ModelCard;
  /** Restores the centre frame: [1, 3, H, W] float32, gamma-encoded RGB (clamp to [0, 1]). */
  run(feeds: DeblurFeeds): Promise<Float32Array>;
  /** A model in two parts (contract version 2): `deblur()` then caches per-frame features instead of calling `run`. */
  readonly parts?: DeblurModelParts;
  /** Frees the session (both, for a two-part model). Later calls fail; calling it again does nothing. */
  close(): Promise<void>;
}
