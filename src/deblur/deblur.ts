/**
 * `deblur()`: video deblurring as an RxJS operator. Frames in, one restored frame per input out, in order, with
 * the same sample type (8-bit stays 8-bit, 16-bit stays 16-bit), index, timestamp and any other field.
 *
 * Per frame, following the runtime contract (models/README.md): the per-frame statistics (`blurWeights`,
 * `contrastScale`) over the whole frame, computed once per frame and reused by the windows that share it; a window
 * of `windowSize` (5) frames, edges replicated (`slidingWindow`); the centre frame's motion map, computed on the
 * input frames exactly as `promotion synth` computes it on blurred frames (`motionMaps`, full-resolution DIS,
 * whole frames); then the network, one call at a time, over tiles of at most `tileSize` pixels with overlap and
 * feathered blending, each padded to the model's multiple and cropped back (restore.ts). Look-ahead is
 * (windowSize - 1) / 2 + 1 frames, so `pipeSource`'s default high-water mark (8) keeps memory bounded.
 *
 * With `roi`, only regions of interest are restored (roi.ts) and blended back; the rest of the frame passes
 * through. With `motionScope: 'regions'` (ROI modes `boxes` and `hands` only) the motion map is computed over each
 * region instead of the whole frame: much cheaper on large frames, an approximation of the contract (the map is
 * normalized by the region's largest motion instead of the frame's).
 *
 * A model in two parts (contract version 2) has each frame's features computed once per run rectangle and reused by
 * the windows that hold the frame (feature-cache.ts): N frames cost N feature-graph runs per rectangle, not 5N.
 *
 * The model is loaded when the stream is subscribed (a missing or broken model throws when `deblur()` is called
 * where that can be known without loading it) and closed when the stream ends, fails or is unsubscribed, after
 * any network call still running; the feature cache is dropped then too. Unsubscribing stops a frame between tiles.
 */
import { concatMap, defer, finalize, from, map, type OperatorFunction, switchMap } from 'rxjs';
import { FrameMismatchError, InvalidOptionError } from '../errors.js';
import type { MotionMap } from '../flow/motion-map.js';
import { motionMaps } from '../flow/motion-map.js';
import type { HandPoseEstimator } from '../handpose/estimator.js';
import { createHandLandmarker } from '../handpose/mediapipe-hand-landmarker.js';
import { expectBoolean, expectFunction, expectInteger, expectKnownKeys, expectNumber, expectOneOf, invalidOption } from '../options.js';
import type { Frame } from '../stream/frame.js';
import { type FrameWindow, slidingWindow } from '../stream/window.js';
import { FeatureCache } from './feature-cache.js';
import { Deconvolver, MAX_DECONVOLVE_ITERATIONS } from './deconvolve.js';
import { applyDeadband, applyLocalRange, type ClampMotion, type LocalRange, localRange, motionLocalRange, type RangeBuffers } from './local-range.js';
import type { DeblurDevice, DeblurModel } from './model.js';
import { defaultDeblurThreads, type LoadedDeblurModel, openDeblurModel, resolveLoadOptions, type ResolvedLoadOptions, stepThreadsFor } from './onnx-session.js';
import { blendRowWriter, frameMotion, frameRowWriter, noMotion, regionMotion, restoreRegion, type RowWriter, type WindowInputs } from './restore.js';
import { type DeblurRoi, HandBoxTracker, motionBoxes, resolveRoi, type ResolvedRoi } from './roi.js';
import { blurWeightsFromVariances, contrastScale, deblurGrey, laplacianVariance } from './statistics.js';
import { type Box, clipBox, mergeBoxes } from './tiles.js';
import { type BlurGateOptions, gateFrame, type ResolvedBlurGate, resolveBlurGate } from './gate.js';
import type { PlainModelOptions } from './plain-model.js';

/**
 * Default largest tile side in pixels. 512 keeps promotion-s's network under about 250 MiB per call (one 512x512
 * window peaks at 240 MiB of RSS in ONNX Runtime, 768: 486 MiB, 1024: 659 MiB). Larger tiles were not faster:
 * with 768 (one call at 640x480, 6 instead of 12 at 1080p) ms per frame was the same within the noise and peak
 * RSS 128-146 MiB higher (bench/results/deblur-tile512.json against deblur.json).
 */
export const DEFAULT_TILE_SIZE = 512;
/** Default least overlap in pixels between neighbouring tiles (see the README for the measurement). */
export const DEFAULT_TILE_OVERLAP = 32;

/** The overlap used when none is given: {@link DEFAULT_TILE_OVERLAP}, or a quarter of a tile smaller than 128. */
export function defaultTileOverlap(tileSize: number): number {
  return Math.min(DEFAULT_TILE_OVERLAP, Math.floor(tileSize / 4));
}
/** Smallest frame side deblur accepts: below it, padding to the model's minimum would be most of the input. */
export const MIN_DEBLUR_FRAME_SIZE = 16;
/** Default radius of the clamp to the input's local range (see the README for the measurement). */
export const DEFAULT_CLAMP_RADIUS = 3;

/** Options of {@link deblur}. */
export interface DeblurOptions {
  /**
   * The model: a name in the toolkit's `models/` folder, a path to an `.onnx` file or its `.json` card (default
   * `'promotion-c'`, the shipped CPU model); a {@link DeblurModel} (the caller closes it); or a function making one
   * when the stream is subscribed (the operator closes it).
   */
  model?: string | DeblurModel | (() => Promise<DeblurModel>);
  /** 'cpu' (default), 'cuda' or 'auto'; CUDA falls back to the CPU with one warning. Not with a model object. */
  device?: DeblurDevice;
  /**
   * ONNX Runtime intra-op threads (default: the cores, at most 2); with deconvolution steps, half as many worker threads
   * run them beside the network (`stepThreadsFor`). Not with a model object.
   */
  threads?: number;
  /** Receives the CUDA fallback message (default: a Node process warning). Not with a model object. */
  onWarning?: (message: string) => void;
  /** Run the network in a worker thread on the CPU (default false; loadDeblurModel's `worker`). Not with a model object. */
  worker?: boolean;
  /**
   * How to read a plain model, an ONNX graph without this project's contract (layout, value range, window, padding
   * multiple, colour order: plain-model.ts); wins over its minimal card. Not with a model object.
   */
  plain?: PlainModelOptions;
  /**
   * Largest tile side in pixels (default: the model card's `tileSize`, else {@link DEFAULT_TILE_SIZE}; rounded down to
   * the model's multiple).
   */
  tileSize?: number;
  /**
   * Least overlap between tiles in pixels, at most a quarter of the tile (default {@link DEFAULT_TILE_OVERLAP}, or a
   * quarter of `tileSize` when that is less).
   */
  overlap?: number;
  /** Restore only regions of interest (default: the whole frame). */
  roi?: DeblurRoi;
  /** 'frame' (default, the contract's motion map) or 'regions' (ROI modes boxes and hands; see the module comment). */
  motionScope?: 'frame' | 'regions';
  /** How windows treat gaps in `index` (live sources drop frames): see `slidingWindow`. Default 'bridge'. */
  gapPolicy?: 'bridge' | 'split';
  /** With gapPolicy 'split': the largest index step still contiguous (default 1). */
  maxGap?: number;
  /**
   * Radius in pixels of the input's local range the output is clamped to (local-range.ts), against the networks'
   * overshoot at strong edges; 0 turns it off. Default: the radius the model's card gives (`clampRadius`), else
   * {@link DEFAULT_CLAMP_RADIUS}; where the card also asks for the radius to follow the motion (`clampMotion`) it
   * does so, with the whole-frame motion map (motionScope 'frame'; with 'regions' the card's radius holds
   * everywhere). A radius given here holds everywhere.
   */
  clampRadius?: number;
  /**
   * The residual's deadband in 8-bit grey levels, 0-16 (local-range.ts, `applyDeadband`): each output sample's change
   * from the input shrinks towards zero by this much before the clamp, so the faint patterns a network draws on
   * smooth, unblurred input are dropped. Default: the model card's `deadband`, else 0 (none).
   */
  deadband?: number;
  /**
   * Where the deadband applies: only where the input is flat, each channel spanning at most this many 8-bit grey
   * levels within the clamp's base radius (`clampRadius`), 0-255. Default: the model card's `deadbandFlat`, else
   * everywhere.
   */
  deadbandFlat?: number;
  /**
   * Richardson-Lucy steps along the optical flow after the network, 0-50 (deconvolve.ts): the restored frame is
   * pulled towards agreeing with the blurred input under the blur model synthesis renders (the content averaged
   * along each pixel's flow over a full exposure). Needs the whole-frame motion (motionScope 'frame'). Default: the
   * model card's `deconvolve`, else 0 (none).
   */
  deconvolve?: number;
  /**
   * The blur gate (gate.ts): frames where nothing moves, frames clearly sharper than their window and (without a ROI
   * mode) still regions pass through untouched, with no network call. `true` or options turn it on; default off.
   */
  gate?: boolean | BlurGateOptions;
  /** Called after each frame is restored, with what was done. */
  onFrameInfo?: (info: DeblurFrameInfo) => void;
}

/** What {@link deblur} did for one frame. */
export interface DeblurFrameInfo {
  readonly index: number;
  readonly timestampMs: number;
  /** The regions restored (the whole frame without ROI; none when a ROI mode found nothing). */
  readonly regions: readonly Box[];
  /** Network calls (tiles) run for this frame (with a two-part model: runs of the restore graph). */
  readonly networkCalls: number;
  /**
   * Feature-graph runs for this frame: with a two-part model (contract version 2), the features of window frames
   * not computed before over the same run rectangle (the frame entering the window, in the steady state); 0 with
   * a one-graph model.
   */
  readonly featureCalls: number;
  /**
   * Time spent on this frame's restoration (network, tensors, blending; ROI regions' motion maps), in ms: with
   * deconvolution steps, until its steps are done, which in workers overlaps the next frames' networks.
   */
  readonly restoreMs: number;
  /** With the blur gate on: why the frame passed through untouched ('still', 'sharp'), or false when it was restored. */
  readonly gated?: 'still' | 'sharp' | false;
}

const KEYS = ['model', 'device', 'threads', 'onWarning', 'plain', 'worker', 'tileSize', 'overlap', 'roi', 'motionScope', 'gapPolicy', 'maxGap', 'clampRadius', 'deadband', 'deadbandFlat', 'deconvolve', 'gate', 'onFrameInfo'] as const;

/** A frame with its whole-frame statistics (and, in hands ROI mode, its hand boxes). */
interface Prepared<F extends Frame> {
  readonly frame: F;
  /** The frame's index (windows use it for gaps). */
  readonly index: number;
  readonly laplacianVariance: number;
  readonly contrastScale: number;
  readonly hands: readonly Box[] | undefined;
}

/**
 * The workers deblur() runs the deconvolution's steps in: a model from loadDeblurModel says how many (`stepThreads`);
 * for a model loaded without steps or made elsewhere, {@link stepThreadsFor} of the default threads.
 */
function stepWorkers(model: DeblurModel): number {
  const kept = (model as Partial<LoadedDeblurModel>).stepThreads;
  return typeof kept === 'number' && kept > 0 ? kept : stepThreadsFor(defaultDeblurThreads());
}

/** A frame through the network stage: its output once the deconvolution is done too, and what to report then. */
interface Restored<F extends Frame> {
  readonly done: Promise<{ frame: F; info: DeblurFrameInfo | undefined }>;
}

/** A frame restored with nothing left to do. */
function finished<F extends Frame>(frame: F, info: DeblurFrameInfo | undefined): Restored<F> {
  return { done: Promise.resolve({ frame, info }) };
}

function checkModelObject(model: object): DeblurModel {
  const m = model as DeblurModel;
  expectFunction('model.run', m.run);
  expectFunction('model.close', m.close);
  const c = m.contract as unknown as Record<string, unknown> | undefined;
  if (typeof c !== 'object' || c === null) invalidOption('model.contract', 'object { windowSize, centreIndex, paddingMultiple, minSize, motionMapKind }', c);
  const windowSize = expectInteger('model.contract.windowSize', c.windowSize, 1, 255);
  if (windowSize % 2 === 0 || c.centreIndex !== (windowSize - 1) / 2) invalidOption('model.contract.centreIndex', `${(windowSize - 1) / 2} with an odd windowSize`, c.centreIndex);
  expectInteger('model.contract.paddingMultiple', c.paddingMultiple, 1, 1024);
  expectInteger('model.contract.minSize', c.minSize, 1, 4096);
  expectOneOf('model.contract.motionMapKind', c.motionMapKind, ['magnitude', 'colour'] as const);
  if (c.usesMotion !== undefined) expectBoolean('model.contract.usesMotion', c.usesMotion);
  if (c.usesFlow !== undefined) expectBoolean('model.contract.usesFlow', c.usesFlow);
  if (m.parts !== undefined) {
    if (typeof m.parts !== 'object' || m.parts === null) invalidOption('model.parts', 'object { extractFeatures, restore }', m.parts);
    expectFunction('model.parts.extractFeatures', m.parts.extractFeatures);
    expectFunction('model.parts.restore', m.parts.restore);
  }
  return m;
}

/** Checks a model a factory made; one that fails the check is closed before the error goes on. */
async function ownModel(model: DeblurModel): Promise<DeblurModel> {
  try {
    return checkModelObject(model);
  } catch (error) {
    if (typeof (model as Partial<DeblurModel> | undefined)?.close === 'function') await Promise.resolve(model.close()).catch(() => undefined);
    throw error;
  }
}

/** {@link DeblurOptions} checked and resolved (what {@link resolveDeblurOptions} returns). */
export interface ResolvedDeblurOptions {
  /** The model object given, a factory, or what to load. */
  readonly given: DeblurModel | undefined;
  readonly factory: (() => Promise<DeblurModel>) | undefined;
  readonly load: ResolvedLoadOptions | undefined;
  /** Tile and overlap as given (undefined: the model's tile, and the overlap that follows it). */
  readonly givenTile: number | undefined;
  readonly givenOverlap: number | undefined;
  readonly roi: ResolvedRoi | undefined;
  readonly motionScope: 'frame' | 'regions';
  readonly gapPolicy: 'bridge' | 'split';
  readonly maxGap: number;
  /** The clamp radius as given (undefined: the model's, else {@link DEFAULT_CLAMP_RADIUS}; see {@link clampRadiusFor}). */
  readonly givenClamp: number | undefined;
  /** The deadband as given (undefined: the model's, else none; see {@link deadbandFor}). */
  readonly givenDeadband: number | undefined;
  /** The deadband's flatness bound as given (undefined: the model's, else everywhere). */
  readonly givenDeadbandFlat: number | undefined;
  /** The deconvolution's steps as given (undefined: the model's, else none; see {@link deconvolveFor}). */
  readonly givenDeconvolve: number | undefined;
  readonly gate: ResolvedBlurGate | undefined;
  readonly onFrameInfo: ((info: DeblurFrameInfo) => void) | undefined;
}

/**
 * Checks {@link DeblurOptions} and resolves their defaults without building an operator: what `deblur()` does when
 * it is called, for callers that must refuse bad options before other work (`evaluate()` before synthesis). Throws
 * {@link InvalidOptionError} naming the option; a model named by path or name is found (not loaded).
 */
export function resolveDeblurOptions(options: DeblurOptions = {}): ResolvedDeblurOptions {
  expectKnownKeys('deblur options', options, KEYS);
  let given: DeblurModel | undefined;
  let factory: (() => Promise<DeblurModel>) | undefined;
  let load: ResolvedLoadOptions | undefined;
  if ((typeof options.model === 'object' && options.model !== null) || typeof options.model === 'function') {
    if (typeof options.model === 'function') factory = options.model;
    else given = checkModelObject(options.model);
    const extra = (['device', 'threads', 'onWarning', 'plain', 'worker'] as const).filter((k) => options[k] !== undefined);
    if (extra.length > 0) throw new InvalidOptionError(`deblur: ${extra.join(', ')} cannot be combined with a model object or function (they configure the model deblur loads itself); set them where the model is made`);
  } else {
    load = resolveLoadOptions(
      {
        ...(options.model !== undefined ? { model: options.model } : {}),
        ...(options.device !== undefined ? { device: options.device } : {}),
        ...(options.threads !== undefined ? { threads: options.threads } : {}),
        ...(options.deconvolve !== undefined ? { deconvolve: options.deconvolve } : {}),
        ...(options.onWarning !== undefined ? { onWarning: options.onWarning } : {}),
        ...(options.plain !== undefined ? { plain: options.plain } : {}),
        ...(options.worker !== undefined ? { worker: options.worker } : {}),
      },
      'deblur options',
    );
  }
  const givenTile = options.tileSize === undefined ? undefined : expectInteger('tileSize', options.tileSize, 64, 16384);
  const givenOverlap = options.overlap === undefined ? undefined : expectInteger('overlap', options.overlap, 0, Math.floor((givenTile ?? DEFAULT_TILE_SIZE) / 4));
  const roi: ResolvedRoi | undefined = options.roi === undefined ? undefined : resolveRoi(options.roi);
  const motionScope = expectOneOf('motionScope', options.motionScope ?? 'frame', ['frame', 'regions'] as const);
  if (motionScope === 'regions' && (roi === undefined || roi.kind === 'motion')) {
    throw new InvalidOptionError(
      `motionScope 'regions' needs roi kind 'boxes' or 'hands' (roi is ${roi === undefined ? 'not set: the whole frame is restored' : "'motion', which finds its regions in the whole-frame motion map"}); use motionScope 'frame'`,
    );
  }
  const gapPolicy = expectOneOf('gapPolicy', options.gapPolicy ?? 'bridge', ['bridge', 'split'] as const);
  const maxGap = expectInteger('maxGap', options.maxGap ?? 1, 1);
  const givenClamp = options.clampRadius === undefined ? undefined : expectInteger('clampRadius', options.clampRadius, 0, 64);
  const givenDeadband = options.deadband === undefined ? undefined : expectNumber('deadband', options.deadband, 0, 16);
  const givenDeadbandFlat = options.deadbandFlat === undefined ? undefined : expectNumber('deadbandFlat', options.deadbandFlat, 0, 255);
  const givenDeconvolve = options.deconvolve === undefined ? undefined : expectInteger('deconvolve', options.deconvolve, 0, MAX_DECONVOLVE_ITERATIONS);
  if (givenDeconvolve !== undefined && givenDeconvolve > 0 && motionScope === 'regions') {
    throw new InvalidOptionError(`deconvolve ${givenDeconvolve} follows the whole-frame flow, which motionScope 'regions' does not compute; use motionScope 'frame' or deconvolve 0`);
  }
  const onFrameInfo = options.onFrameInfo === undefined ? undefined : expectFunction<(info: DeblurFrameInfo) => void>('onFrameInfo', options.onFrameInfo);
  const gateOption = options.gate ?? false;
  if (typeof gateOption !== 'boolean' && (typeof gateOption !== 'object' || gateOption === null || Array.isArray(gateOption))) invalidOption('gate', 'boolean or object { minMotionPx, sharpWeight, cell, margin, feather }', gateOption);
  const gate = gateOption === false ? undefined : resolveBlurGate(gateOption === true ? {} : gateOption);

  return { given, factory, load, givenTile, givenOverlap, roi, motionScope, gapPolicy, maxGap, givenClamp, givenDeadband, givenDeadbandFlat, givenDeconvolve, gate, onFrameInfo };
}

/** The clamp radius a model runs with: the one given, else its card's, else the default. */
export const clampRadiusFor = (model: Pick<DeblurModel, 'contract'>, given: number | undefined): number => given ?? model.contract.clampRadius ?? DEFAULT_CLAMP_RADIUS;

/** The residual's deadband a model runs with: the one given, else its card's, else none (0). */
export const deadbandFor = (model: Pick<DeblurModel, 'contract'>, given: number | undefined): number => given ?? model.contract.deadband ?? 0;

/** Where the deadband applies: the flatness bound given, else its card's, else undefined (everywhere). */
export const deadbandFlatFor = (model: Pick<DeblurModel, 'contract'>, given: number | undefined): number | undefined => given ?? model.contract.deadbandFlat;

/** The Richardson-Lucy steps a model runs with after the network: the count given, else its card's, else none (0). */
export const deconvolveFor = (model: Pick<DeblurModel, 'contract'>, given: number | undefined): number => given ?? model.contract.deconvolve ?? 0;

/** The card's motion-following clamp (`clampMotion`) where no radius is given, else none. */
export const clampMotionFor = (model: Pick<DeblurModel, 'contract'>, given: number | undefined): ClampMotion | undefined => (given === undefined ? model.contract.clampMotion : undefined);

/**
 * Restores every frame with a deblurring model (see the module comment). Options are validated, and the model's
 * files found, when this is called.
 */
export function deblur<F extends Frame>(options: DeblurOptions = {}): OperatorFunction<F, F> {
  const { given, factory, load, givenTile, givenOverlap, roi, motionScope, gapPolicy, maxGap, givenClamp, givenDeadband, givenDeadbandFlat, givenDeconvolve, gate, onFrameInfo } = resolveDeblurOptions(options);
  return (source) =>
    defer(() => {
      let stopped = false;
      let running: Promise<unknown> = Promise.resolve();
      let cache: FeatureCache | undefined;
      // The deconvolution's workers (deconvolve.ts), made with the pipeline when its model asks for steps.
      let deconvolver: Deconvolver | undefined;
      const modelReady = given !== undefined ? Promise.resolve(given) : factory !== undefined ? factory().then(ownModel) : openDeblurModel(load!);
      let estimator: Promise<HandPoseEstimator> | undefined;
      const getEstimator = (r: Extract<ResolvedRoi, { kind: 'hands' }>) =>
        (estimator ??= r.estimator !== undefined ? Promise.resolve(r.estimator) : createHandLandmarker({ mode: 'video', model: r.model, numHands: r.numHands }));

      const pipeline = (model: DeblurModel): OperatorFunction<F, F> => {
        const c = model.contract;
        const tileSize = givenTile ?? c.tileSize ?? DEFAULT_TILE_SIZE;
        const tile = Math.max(c.minSize, Math.floor(tileSize / c.paddingMultiple) * c.paddingMultiple);
        const effectiveOverlap = Math.min(givenOverlap ?? defaultTileOverlap(tileSize), Math.floor(tile / 4));
        const clampRadius = clampRadiusFor(model, givenClamp);
        const clampMotion = clampMotionFor(model, givenClamp);
        const deadband = deadbandFor(model, givenDeadband);
        const deadbandFlat = deadbandFlatFor(model, givenDeadbandFlat);
        const deconvolve = deconvolveFor(model, givenDeconvolve);
        if (deconvolve > 0 && motionScope === 'regions') {
          throw new InvalidOptionError(`the model's card asks for deconvolve ${deconvolve}, which follows the whole-frame flow that motionScope 'regions' does not compute; use motionScope 'frame' or deconvolve 0`);
        }
        if (deconvolve > 0 && c.motionMapKind !== 'magnitude') {
          throw new InvalidOptionError(`deconvolve ${deconvolve} follows the flow of a magnitude motion map; this model's is '${c.motionMapKind}' (use deconvolve 0)`);
        }
        if (deconvolve > 0) deconvolver ??= new Deconvolver(stepWorkers(model));
        cache = model.parts ? new FeatureCache(model.parts) : undefined;
        const features = cache;
        let first: F | undefined;
        // One grey buffer per stream: prepare() is synchronous and only the statistics outlive it.
        let greyScratch: Float64Array | undefined;
        // The network input buffer and the blending band, reused from call to call (restore.ts, RestoreSettings.scratch).
        const inputScratch: { frames?: Float32Array; band?: Float32Array } = {};
        // The clamp's ranges, written into the same memory from frame to frame (local-range.ts, RangeBuffers): each
        // frame's are used up before the next frame's restore begins.
        const baseBuffers: RangeBuffers = {};
        const rangeBuffers: RangeBuffers = {};
        const check = map((frame: F) => {
          if (frame.sampleType === 'float32' && frame.light !== 'encoded') {
            throw new FrameMismatchError(`deblur: frame ${frame.index} holds linear light; the model takes gamma-encoded frames (convert with toFloatFrame(frame, { light: 'encoded' }) or toIntegerFrame)`);
          }
          if (!first) {
            if (frame.width < MIN_DEBLUR_FRAME_SIZE || frame.height < MIN_DEBLUR_FRAME_SIZE) {
              throw new FrameMismatchError(`deblur: frames are ${frame.width}x${frame.height}, smaller than the ${MIN_DEBLUR_FRAME_SIZE}x${MIN_DEBLUR_FRAME_SIZE} deblurring needs; scale the input up first`);
            }
            first = frame;
          } else if (frame.width !== first.width || frame.height !== first.height) {
            throw new FrameMismatchError(`deblur: frame ${frame.index} is ${frame.width}x${frame.height} but the stream started at ${first.width}x${first.height}; a window needs frames of one size (split the input where the size changes)`);
          }
          return frame;
        });
        const prepare = (frame: F, hands: readonly Box[] | undefined): Prepared<F> => {
          const grey = deblurGrey(frame, greyScratch);
          greyScratch = grey.data;
          return { frame, index: frame.index, laplacianVariance: laplacianVariance(grey), contrastScale: contrastScale(grey), hands };
        };
        const tracker = roi?.kind === 'hands' ? new HandBoxTracker(roi.margin, roi.holdFrames) : undefined;
        const prepared: OperatorFunction<F, Prepared<F>> =
          roi?.kind === 'hands'
            ? concatMap(async (frame: F) => prepare(frame, tracker!.update(await (await getEstimator(roi)).estimate(frame))))
            : map((frame: F) => prepare(frame, undefined));
        type Window = FrameWindow<Prepared<F>>;
        // A model that does not read the motion input is spared its optical flow, unless the gate or ROI needs the map.
        const motionNeeded = c.usesMotion !== false || gate !== undefined || roi?.kind === 'motion' || deconvolve > 0;
        const withMotion: OperatorFunction<Window, { item: Window; motion: MotionMap | undefined }> =
          motionScope === 'frame' && motionNeeded
            ? motionMaps<Window>({
                kind: c.motionMapKind,
                ...(c.motionFlow !== undefined ? { flow: c.motionFlow } : {}),
                ...(c.usesFlow === true || deconvolve > 0 ? { flowInput: true } : {}),
                select: (w) => w.center.frame,
                // Where the windows split at a gap, so does the motion: no flow across frames the source dropped.
                ...(gapPolicy === 'split' ? { continues: (a: Window, b: Window) => b.center.index - a.center.index <= maxGap } : {}),
              })
            : map((item: Window) => ({ item, motion: undefined }));

        // A frame is restored in two stages: the network and the clamp, one frame at a time on this thread, then the
        // deconvolution (with `deconvolve`), in the workers, beside the next frames' networks; the frames leave in order.
        const restore = async (window: Window, motion: MotionMap | undefined): Promise<Restored<F>> => {
          const started = performance.now();
          const centre = window.center.frame;
          const frames = window.frames.map((p) => p.frame);
          const blurWeights = Float32Array.from(blurWeightsFromVariances(window.frames.map((p) => p.laplacianVariance)));
          const decision = gate ? gateFrame(gate, blurWeights[c.centreIndex]!, motion, roi !== undefined) : undefined;
          if (decision && decision.pass !== false) {
            // Let through untouched: no network call (a two-part model's cache still moves on with the window).
            features?.endWindow(frames);
            return finished(centre, { index: centre.index, timestampMs: centre.timestampMs, regions: [], networkCalls: 0, featureCalls: 0, restoreMs: performance.now() - started, gated: decision.pass });
          }
          const inputs: WindowInputs = {
            frames,
            blurWeights,
            contrastScale: Float32Array.from(window.frames, (p) => p.contrastScale),
            motionFor: motion ? frameMotion(motion) : c.usesMotion === false ? noMotion : regionMotion(frames, c.centreIndex, c.motionMapKind, c.motionFlow, c.usesFlow === true),
          };
          const settings = { model, tileSize: tile, overlap: effectiveOverlap, cancelled: () => stopped, scratch: inputScratch, ...(features ? { features } : {}) };
          const featureRunsBefore = features?.runs ?? 0;
          const whole: Box = { x: 0, y: 0, width: centre.width, height: centre.height };
          let regions: Box[];
          let out: F['data'];
          let calls = 0;
          let complete = true;
          // A region restored and clamped to the input's local range: the range depends on the input alone, so with
          // the network in a worker thread (`worker`) it is computed here while the region's first call runs.
          const restoreClamped = async (region: Box, writer: RowWriter): Promise<number> => {
            const restoring = restoreRegion(settings, inputs, region, writer);
            let range: LocalRange | undefined;
            // The clamp's base radius over the region: the range itself, or, where the radius follows the motion, the
            // deadband's flatness and that range's pixels at the base radius.
            let base: LocalRange | undefined;
            try {
              const following = clampMotion !== undefined && motion !== undefined;
              base = !following || (deadband > 0 && deadbandFlat !== undefined) ? localRange(centre, region, clampRadius, baseBuffers) : undefined;
              range = following ? motionLocalRange(centre, region, clampRadius, clampMotion, motion, base, rangeBuffers) : base;
            } catch (error) {
              await restoring.catch(() => undefined);
              throw error;
            }
            const n = await restoring;
            if (n >= 0) {
              if (deadband > 0) {
                // Flat where the input spans little within the clamp's base radius (the clamp's own range unless it follows the motion).
                const flat = deadbandFlat === undefined ? undefined : { range: base, levels: deadbandFlat };
                applyDeadband(centre, out, region, deadband, flat);
              }
              applyLocalRange(centre, out, range);
            }
            return n;
          };
          const gated = decision?.regions;
          if (gated !== undefined) {
            // The gate's moving regions, feathered back into the untouched frame.
            regions = mergeBoxes(gated.map((b) => clipBox(b, centre.width, centre.height)));
            out = centre.data.slice() as F['data'];
            for (const region of regions) {
              const n = await restoreClamped(region, blendRowWriter(centre, out, region, gate!.feather));
              if (n < 0) {
                complete = false;
                break;
              }
              calls += n;
            }
          } else if (roi === undefined) {
            regions = [whole];
            out = new (centre.data.constructor as new (n: number) => F['data'])(centre.data.length);
            calls = await restoreClamped(whole, frameRowWriter(centre, out, whole));
            complete = calls >= 0;
          } else {
            const found = roi.kind === 'boxes' ? roi.boxes(centre) : roi.kind === 'motion' ? motionBoxes(motion!, roi.threshold, roi.cell, roi.margin) : window.center.hands!;
            regions = mergeBoxes(found.map((b) => clipBox(b, centre.width, centre.height)));
            out = centre.data.slice() as F['data'];
            for (const region of regions) {
              const n = await restoreClamped(region, blendRowWriter(centre, out, region, roi.feather));
              if (n < 0) {
                complete = false;
                break;
              }
              calls += n;
            }
          }
          features?.endWindow(frames);
          // Unsubscribed mid-frame: the frame is half restored and goes nowhere; do not report it.
          if (stopped || !complete) return finished({ ...centre, data: out }, undefined);
          const info = (): DeblurFrameInfo => ({
            index: centre.index,
            timestampMs: centre.timestampMs,
            regions,
            networkCalls: calls,
            featureCalls: (features?.runs ?? 0) - featureRunsBefore,
            restoreMs: performance.now() - started,
            ...(gate ? { gated: false as const } : {}),
          });
          if (!(deconvolve > 0 && motion?.flow && deconvolver)) return finished({ ...centre, data: out }, info());
          // The blur model's data term, from the network's clamped output (deconvolve.ts): once a worker is free, in it.
          const networkRuns = info();
          await deconvolver.ready();
          const neighbours = { previous: frames[c.centreIndex - 1], next: frames[c.centreIndex + 1] };
          const done = deconvolver.run({ input: centre, out, regions, flow: motion.flow, iterations: deconvolve, neighbours }).then((data) => ({ frame: { ...centre, data: data as F['data'] }, info: { ...networkRuns, restoreMs: performance.now() - started } }));
          // Awaited in order by the next stage; until then a failure is not unhandled.
          done.catch(() => undefined);
          return { done };
        };

        return (frames) =>
          frames.pipe(
            check,
            prepared,
            slidingWindow<Prepared<F>>(c.windowSize, { gapPolicy, maxGap }),
            withMotion,
            concatMap(({ item, motion }) => (running = restore(item, motion))),
            concatMap(({ done }) =>
              done.then(({ frame, info }) => {
                if (info && !stopped) onFrameInfo?.(info);
                return frame;
              }),
            ),
          );
      };

      return from(modelReady).pipe(
        switchMap((model) => source.pipe(pipeline(model))),
        finalize(() => {
          stopped = true;
          cache?.clear();
          // Frees the session and the estimator once a call still running has returned.
          const idle = running.catch(() => undefined);
          if (given === undefined) void modelReady.then((m) => idle.then(() => m.close())).catch(() => undefined);
          if (deconvolver) void idle.then(() => deconvolver!.close()).catch(() => undefined);
          if (estimator !== undefined && roi?.kind === 'hands' && roi.estimator === undefined) void estimator.then((e) => idle.then(() => e.close())).catch(() => undefined);
        }),
      );
    });
}
