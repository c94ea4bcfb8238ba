/**
 * Blur synthesis as a streaming operator: sharp frames in, blurred/sharp pairs out, one per input frame, in order
 * (look-ahead of one frame: the exposure of frame k reaches into the interval (k, k+1)).
 *
 * Defaults follow REDS and the paper (Sec. 4.2, Eq. 8): virtual frames at 1920 fps, one input interval's worth of
 * them averaged per output frame (64 at 30 fps), averaged in linear light with gamma 2.2. Each exposure is centred
 * on its input frame, so the sharp input frame is the ground truth and annotations (FPHA joints) stay aligned.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Observable, type OperatorFunction } from 'rxjs';
import { EmptyInputError, FrameMismatchError, InvalidOptionError } from '../errors.js';
import { checkDisOptions, type DisOptions } from '../flow/dis.js';
import { type FlowField, toGrey } from '../flow/field.js';
import { createWorkerPool } from '../stream/worker-pool.js';
import { expectInteger, expectKnownKeys, expectNumber, expectOneOf, invalidOption } from '../options.js';
import { type Frame, type RgbFloatFrame, toFloatFrame } from '../stream/frame.js';
import { buildInterval, DEFAULT_SYNTHESIS_GAMMA, encodeBlurred, type PreparedFrame } from './exposure-context.js';

export { encodeBlurred } from './exposure-context.js';
import { blurByPathIntegration, blurExplicit, type ExposureContext, type ExposureSpec, type Interval } from './integrate.js';
import type { SharedFrame, SynthesisTask } from './exposure-worker.js';

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
  /**
   * Worker threads for one sequence (default 1: all on the calling thread). With 2 or more, each interval's two
   * flows run side by side and the integral is split into bands of rows; needs the compiled package (dist/).
   */
  threads?: number;
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
  threads: number;
}

/** Validates options (at operator creation) and resolves defaults. */
export function synthesisParameters(given: SynthesisOptions): SynthesisParameters {
  const options = given ?? ({} as SynthesisOptions);
  expectKnownKeys('synthesizeBlur options', options, ['inputFps', 'virtualFps', 'exposureFrames', 'gamma', 'method', 'outputSampleType', 'flow', 'threads']);
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
  const threads = expectInteger('threads', options.threads ?? 1, 1, 64);
  if (threads > 1 && method !== 'path') invalidOption('method', "'path' when threads > 1 (the explicit reference runs on one thread)", method);
  return { inputFps, virtualFps, ratio: r, exposureFrames, exposureIntervals: exposureFrames / r, gamma, method, outputSampleType, flow, threads };
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

/**
 * Where the heavy work of synthesis runs: on the calling thread, or in a pool of worker threads. Every step returns
 * a promise, so the operator can start the next frame's preparation and flows while this frame's integral runs.
 */
interface SynthesisEngine {
  prepare(frame: Frame): Promise<PreparedFrame>;
  interval(a: PreparedFrame, b: PreparedFrame, span: number): Promise<Interval>;
  /** The blurred frame (encoded as {@link encodeBlurred} does), with `like`'s index and timestamp. */
  integrate(current: PreparedFrame, before: Interval | undefined, after: Interval | undefined, like: Frame): Promise<Frame>;
  close(): Promise<void>;
}

function inlineEngine(params: SynthesisParameters): SynthesisEngine {
  return {
    prepare: async (frame) => prepare(frame, params.gamma),
    interval: async (a, b, span) => buildInterval(a, b, params.flow, span),
    integrate: async (current, before, after, like) => encodeBlurred(blurFrame(current, before, after, params), like, params),
    close: async () => undefined,
  };
}

/** The compiled worker module for {@link SynthesisOptions.threads}. */
export function synthesisWorkerPath(): string {
  return fileURLToPath(new URL('./exposure-worker.js', import.meta.url));
}

/** A typed array of `type` with `length` samples in a SharedArrayBuffer. */
function sharedSamples(type: Frame['sampleType'], length: number): Uint8Array | Uint16Array | Float32Array {
  if (type === 'uint8') return new Uint8Array(new SharedArrayBuffer(length));
  if (type === 'uint16') return new Uint16Array(new SharedArrayBuffer(2 * length));
  return new Float32Array(new SharedArrayBuffer(4 * length));
}

/**
 * The worker-thread engine: the calling thread only copies each input frame into shared memory and schedules;
 * preparation, both flows, both consistency weights and the integral (in bands of rows, each gamma-encoded into the
 * shared output frame by the thread that computed it) run in the pool. Output is byte-identical to the inline
 * engine's.
 */
function threadedEngine(params: SynthesisParameters): SynthesisEngine {
  const pool = createWorkerPool(pathToFileURL(synthesisWorkerPath()).href, params.threads);
  const spec: ExposureSpec = { exposureFrames: params.exposureFrames, ratio: params.ratio };
  // More bands than threads, so a band of slow (fast-moving) rows does not leave a thread idle.
  const bandCount = 2 * params.threads;
  return {
    prepare(frame) {
      const data = sharedSamples(frame.sampleType, frame.data.length);
      data.set(frame.data);
      const light = frame.sampleType === 'float32' ? { light: (frame as RgbFloatFrame).light } : {};
      return pool.run<SynthesisTask, PreparedFrame>({ kind: 'prepare', frame: { width: frame.width, height: frame.height, channels: 3, sampleType: frame.sampleType, data, ...light } as SharedFrame, gamma: params.gamma });
    },
    async interval(a, b, span) {
      const flow = (from: PreparedFrame, to: PreparedFrame) => pool.run<SynthesisTask, FlowField>({ kind: 'flow', from: from.grey, to: to.grey, options: params.flow });
      const [forward, backward] = await Promise.all([flow(a, b), flow(b, a)]);
      const weights = (f: FlowField, g: FlowField) => pool.run<SynthesisTask, Float32Array>({ kind: 'weights', forward: f, backward: g });
      const [forwardWeight, backwardWeight] = await Promise.all([weights(forward, backward), weights(backward, forward)]);
      return { a: a.linear, b: b.linear, forward, backward, forwardWeight, backwardWeight, span };
    },
    async integrate(current, before, after, like) {
      const { width, height } = current.linear;
      const target = params.outputSampleType === 'same' ? like.sampleType : params.outputSampleType;
      const out = sharedSamples(target, width * height * 3);
      const ctx: ExposureContext = { frame: current.linear, before, after };
      const bands = Array.from({ length: bandCount }, (_, k) => ({ start: Math.floor((k * height) / bandCount), end: Math.floor(((k + 1) * height) / bandCount) })).filter((b) => b.end > b.start);
      await Promise.all(bands.map((rows) => pool.run<SynthesisTask, null>({ kind: 'integrate', ctx, spec, rows, out, like: { sampleType: like.sampleType }, params })));
      const timing = { width, height, channels: 3 as const, index: like.index, timestampMs: like.timestampMs };
      if (target === 'float32') return { ...timing, sampleType: 'float32', light: 'encoded', data: out as Float32Array } as RgbFloatFrame;
      return (target === 'uint8' ? { ...timing, sampleType: 'uint8', data: out } : { ...timing, sampleType: 'uint16', data: out }) as Frame;
    },
    close: () => pool.close(),
  };
}

/** Frames whose blurred output may be in progress behind the newest one (how far synthesis looks ahead). */
const PIPELINE_DEPTH = 1;

/**
 * Turns sharp frames into blurred/sharp pairs. Needs at least two frames (the motion comes from the neighbours);
 * every frame must have the first one's size. Frames are processed one at a time, in order.
 */
export function synthesizeBlur<F extends Frame>(options: SynthesisOptions): OperatorFunction<F, BlurPair<F>> {
  const params = synthesisParameters(options);
  if (params.threads > 1 && !existsSync(synthesisWorkerPath())) {
    throw new InvalidOptionError(`threads > 1 needs the compiled worker ${synthesisWorkerPath()}; run npm run build (or use threads: 1).`);
  }
  return (source) =>
    new Observable<BlurPair<F>>((subscriber) => {
      const engine = params.threads > 1 ? threadedEngine(params) : inlineEngine(params);
      // Each step is a promise; the chain of emissions keeps the output in order, and `handle` waits for the
      // emission PIPELINE_DEPTH frames back, so the next frame's preparation and flows overlap this frame's integral
      // while memory stays bounded.
      let previous: { frame: F; prepared: Promise<PreparedFrame> } | undefined;
      let before: Promise<Interval> | undefined;
      let emitted: Promise<void> = Promise.resolve();
      const pending: Array<Promise<void>> = [];
      let count = 0;
      let stopped = false;
      let chain: Promise<void> = Promise.resolve();
      const quiet = <T>(p: Promise<T>): Promise<T> => {
        p.catch(() => undefined); // awaited later; this keeps an early failure from counting as unhandled
        return p;
      };
      const fail = (error: unknown) => {
        if (stopped) return;
        stopped = true;
        subscriber.error(error);
      };
      const schedule = (c: { frame: F; prepared: Promise<PreparedFrame> }, beforeP: Promise<Interval> | undefined, afterP: Promise<Interval> | undefined) => {
        const blurred = quiet(Promise.all([c.prepared, beforeP, afterP]).then(([p, b, a]) => engine.integrate(p, b, a, c.frame)));
        emitted = quiet(
          emitted
            .then(() => blurred)
            .then((frame) => {
              if (!stopped) subscriber.next({ sharp: c.frame, blurred: frame });
            }),
        );
        pending.push(emitted);
      };
      const handle = async (frame: F) => {
        if (stopped) return;
        if (previous && (frame.width !== previous.frame.width || frame.height !== previous.frame.height)) {
          throw new FrameMismatchError(
            `Frame ${frame.index} is ${frame.width}x${frame.height} but the sequence started at ${previous.frame.width}x${previous.frame.height}; blur synthesis needs one size per sequence.`,
          );
        }
        count++;
        const next = { frame, prepared: quiet(engine.prepare(frame)) };
        if (previous) {
          // Frames missing in between (a gap in index) make the interval longer; the exposure stays one frame's.
          const span = Math.max(1, frame.index - previous.frame.index);
          const a = previous.prepared;
          const after = quiet(Promise.all([a, next.prepared]).then(([p, q]) => engine.interval(p, q, span)));
          schedule(previous, before, after);
          before = after;
          while (pending.length > PIPELINE_DEPTH) await pending.shift();
        }
        previous = next;
      };
      const finish = async () => {
        if (stopped) return;
        if (count === 1) throw new EmptyInputError('Blur synthesis needs at least 2 frames (the motion comes from neighbouring frames), but the sequence has 1.');
        if (count > 1) schedule(previous!, before, undefined);
        await emitted;
        stopped = true;
        subscriber.complete();
      };
      const subscription = source.subscribe({
        next(frame) {
          chain = chain.then(() => handle(frame));
          chain.catch(fail);
        },
        error: (error: unknown) => {
          chain = chain.then(() => fail(error));
        },
        complete() {
          chain = chain.then(finish);
          chain.catch(fail);
        },
      });
      return () => {
        stopped = true;
        subscription.unsubscribe();
        void chain
          .catch(() => undefined)
          .then(() => emitted.catch(() => undefined))
          .then(() => engine.close());
      };
    });
}
