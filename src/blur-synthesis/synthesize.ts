/**
 * Blur synthesis as a streaming operator: sharp frames in, blurred/sharp pairs out, one per input frame, in order
 * (look-ahead of one frame: the exposure of frame k reaches into the interval (k, k+1)).
 *
 * Defaults follow REDS and the paper (Sec. 4.2, Eq. 8): virtual frames at 1920 fps, one input interval's worth of
 * them averaged per output frame (64 at 30 fps), averaged in linear light with gamma 2.2. Each exposure is centred
 * on its input frame, so the sharp input frame is the ground truth and annotations (FPHA joints) stay aligned.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { EmptyInputError, FrameMismatchError, InvalidOptionError } from '../errors.js';
import { checkDisOptions, type DisOptions } from '../flow/dis.js';
import { toGrey } from '../flow/field.js';
import { expectInteger, expectKnownKeys, expectNumber, expectOneOf } from '../options.js';
import { type Frame, type RgbFloatFrame, toFloatFrame, toIntegerFrame } from '../stream/frame.js';
import { buildInterval, DEFAULT_SYNTHESIS_GAMMA, type PreparedFrame } from './context.js';
import { blurByPathIntegration, blurExplicit, type ExposureSpec, type Interval } from './integrate.js';

/**
 * Flow for synthesis: DIS stopped one pyramid level short of full resolution and upsampled. Measured against exact
 * renders (bench/synthesis.ts) it loses nothing measurable and saves about a third of the time.
 */
export const DEFAULT_SYNTHESIS_FLOW: DisOptions = { finestLevel: 1 };

/** REDS's virtual frame rate. */
export const DEFAULT_VIRTUAL_FPS = 1920;

/** Options of {@link synthesizeBlur}. */
export interface SynthesisOptions {
  /** Frame rate of the input (and of the output). Required: sources report it in `info.fps`. */
  inputFps: number;
  /** Rate of the virtual frames (default {@link DEFAULT_VIRTUAL_FPS}); must be a whole multiple of `inputFps`. */
  virtualFps?: number;
  /**
   * Virtual frames averaged per output frame: default one interval's worth (virtualFps / inputFps); at most two
   * intervals' worth (REDS-like long exposures).
   */
  exposureFrames?: number;
  /** Gamma of g(x) = x^(1/gamma), default 2.2. */
  gamma?: number;
  /** 'path' (default): per-pixel path integration; 'explicit': materialize every virtual frame (slow reference). */
  method?: 'path' | 'explicit';
  /** Sample type of the blurred frames: 'same' (default) as the input, or 'uint16'. Averaging is always in float. */
  outputSampleType?: 'same' | 'uint8' | 'uint16';
  /** Optical flow options (see disFlow); default {@link DEFAULT_SYNTHESIS_FLOW}. */
  flow?: DisOptions;
}

/** A synthesized pair. */
export interface BlurPair<F extends Frame = Frame> {
  /** The sharp input frame (the ground truth), unchanged. */
  readonly sharp: F;
  /** The synthesized blurred frame, same index and timestamp. */
  readonly blurred: Frame;
}

/** Resolved synthesis parameters (what synthesis.json records). */
export interface SynthesisParameters {
  inputFps: number;
  virtualFps: number;
  ratio: number;
  exposureFrames: number;
  exposureIntervals: number;
  gamma: number;
  method: 'path' | 'explicit';
  outputSampleType: 'same' | 'uint8' | 'uint16';
  flow: DisOptions;
}

/** Validates options (at operator creation) and resolves defaults. */
export function synthesisParameters(given: SynthesisOptions): SynthesisParameters {
  const options = given ?? ({} as SynthesisOptions);
  expectKnownKeys('synthesizeBlur options', options, ['inputFps', 'virtualFps', 'exposureFrames', 'gamma', 'method', 'outputSampleType', 'flow']);
  const inputFps = expectNumber('inputFps', options.inputFps, 0, 10_000, true);
  const virtualFps = expectNumber('virtualFps', options.virtualFps ?? DEFAULT_VIRTUAL_FPS, 0, 1_000_000, true);
  const ratio = virtualFps / inputFps;
  if (Math.abs(ratio - Math.round(ratio)) > 1e-6 || Math.round(ratio) < 1) {
    throw new InvalidOptionError(
      `Expected virtualFps to be a whole multiple of the input rate ${inputFps} fps but received ${virtualFps} (ratio ${ratio.toFixed(3)}); try ${Math.max(1, Math.round(ratio)) * inputFps}.`,
    );
  }
  const r = Math.round(ratio);
  const exposureFrames = expectInteger('exposureFrames', options.exposureFrames ?? r, 1, 2 * r);
  const gamma = expectNumber('gamma', options.gamma ?? DEFAULT_SYNTHESIS_GAMMA, 0, 10, true);
  const method = expectOneOf('method', options.method ?? 'path', ['path', 'explicit'] as const);
  const outputSampleType = expectOneOf('outputSampleType', options.outputSampleType ?? 'same', ['same', 'uint8', 'uint16'] as const);
  const flow = options.flow ?? DEFAULT_SYNTHESIS_FLOW;
  checkDisOptions(flow);
  return { inputFps, virtualFps, ratio: r, exposureFrames, exposureIntervals: exposureFrames / r, gamma, method, outputSampleType, flow };
}

function prepare(frame: Frame, gamma: number): PreparedFrame {
  const linear = toFloatFrame(frame, { light: 'linear', gamma });
  return { linear: { width: frame.width, height: frame.height, data: linear.data }, grey: toGrey(frame) };
}

/**
 * Synthesizes one blurred frame from prepared neighbours (the building block of {@link synthesizeBlur}, exported
 * for workers and tests).
 */
export function blurFrame(
  current: PreparedFrame,
  before: Interval | undefined,
  after: Interval | undefined,
  params: SynthesisParameters,
): Float32Array {
  const spec: ExposureSpec = { exposureFrames: params.exposureFrames, ratio: params.ratio };
  const ctx = { frame: current.linear, before, after };
  return params.method === 'path' ? blurByPathIntegration(ctx, spec) : blurExplicit(ctx, spec);
}

/** Wraps linear-light samples as a frame of the requested type (gamma re-applied). */
export function encodeBlurred(linear: Float32Array, like: Frame, params: SynthesisParameters): Frame {
  const floatFrame: RgbFloatFrame = { width: like.width, height: like.height, channels: 3, index: like.index, timestampMs: like.timestampMs, sampleType: 'float32', light: 'linear', data: linear };
  const target = params.outputSampleType === 'same' ? like.sampleType : params.outputSampleType;
  return target === 'float32' ? toFloatFrame(floatFrame, { light: 'encoded', gamma: params.gamma }) : toIntegerFrame(floatFrame, target, { gamma: params.gamma });
}

/**
 * Turns sharp frames into blurred/sharp pairs. Needs at least two frames (the motion comes from the neighbours);
 * every frame must have the first one's size.
 */
export function synthesizeBlur<F extends Frame>(options: SynthesisOptions): OperatorFunction<F, BlurPair<F>> {
  const params = synthesisParameters(options);
  return (source) =>
    new Observable<BlurPair<F>>((subscriber) => {
      let current: { frame: F; prepared: PreparedFrame } | undefined;
      let before: Interval | undefined;
      let count = 0;
      const emit = (after: Interval | undefined) => {
        const c = current!;
        const linear = blurFrame(c.prepared, before, after, params);
        subscriber.next({ sharp: c.frame, blurred: encodeBlurred(linear, c.frame, params) });
      };
      return source.subscribe({
        next(frame) {
          try {
            if (current && (frame.width !== current.frame.width || frame.height !== current.frame.height)) {
              throw new FrameMismatchError(
                `Frame ${frame.index} is ${frame.width}x${frame.height} but the sequence started at ${current.frame.width}x${current.frame.height}; blur synthesis needs one size per sequence.`,
              );
            }
            count++;
            const next = { frame, prepared: prepare(frame, params.gamma) };
            if (current) {
              // Frames missing in between (a gap in index) make the interval longer; the exposure stays one frame's.
              const span = Math.max(1, frame.index - current.frame.index);
              const after = buildInterval(current.prepared, next.prepared, params.flow, span);
              emit(after);
              before = after;
            }
            current = next;
          } catch (error) {
            subscriber.error(error);
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete() {
          try {
            if (count === 0) {
              subscriber.complete();
              return;
            }
            if (count === 1) {
              throw new EmptyInputError('Blur synthesis needs at least 2 frames (the motion comes from neighbouring frames), but the sequence has 1.');
            }
            emit(undefined);
            subscriber.complete();
          } catch (error) {
            subscriber.error(error);
          }
        },
      });
    });
}
