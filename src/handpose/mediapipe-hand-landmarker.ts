/**
 * The MediaPipe adapter: the only file that loads `@mediapipe/tasks-vision` and the only one that sets the
 * browser globals it needs. Both happen inside {@link createHandLandmarker}, on first use, so importing the SDK
 * loads no wasm.
 *
 * How it runs in plain Node.js (no browser, no GPU, no network):
 *   - the wasm is `vision_wasm_module_internal.{js,wasm}` from the installed package, read from disk;
 *   - the model is the `.task` bundle assembled offline from `@mediapipe/hands` (mediapipe/model-asset.ts), passed as bytes;
 *   - the CPU delegate is used, with a {@link FakeCanvas} whose WebGL2 context only keeps uploaded pixels for
 *     read-back (mediapipe/fake-webgl2.ts): MediaPipe's graph receives images as textures even on the CPU path;
 *   - globals, set on first use and left in place because the package reads them on every call: `self`
 *     (= globalThis), `navigator` (only where Node has none, i.e. Node 20), an empty `WebGLRenderingContext` class
 *     (the wasm tells WebGL 1 from 2 with `instanceof`) and `custom_dbg` (the wasm's debug printer, routed to
 *     `onLog`). While a landmarker is being created, also `importScripts` (throwing, so the package falls back to
 *     its `self.import` hook), `self.import` (loads the wasm loader with `import()` and hands its factory over;
 *     `import()` evaluates a module once, so a second landmarker needs this) and `self.Module` (routes the wasm's
 *     printing to `onLog`); those are removed again. Nothing reaches the console.
 *   - `@mediapipe/tasks-vision` must be 0.10.35 exactly: 1.1.0 sends usage telemetry over the network.
 *
 * Handedness: 0.10.35 labels a hand as its owner would name it in a plain (non-mirrored) camera image: a right
 * hand, palm to the camera, thumb on the image's right, is "Right". That is this toolkit's convention
 * (estimator.ts), so the label is taken as it is ({@link TASKS_VISION_HANDEDNESS}). The legacy `@mediapipe/hands`
 * solution, which assumed selfie-mirrored input, says "Left" for the same hand.
 *
 * VIDEO mode needs strictly increasing timestamps, and MediaPipe uses them only to order frames (its tracker
 * reuses the previous frame's hand region, whatever the time between). The adapter therefore sends whole
 * milliseconds, `round(timestampMs)`, raised to previous + 1 when that would not increase: a repeated timestamp,
 * frames less than 1 ms apart, or a source that starts again from 0. A jump forward (a live source that dropped
 * frames) is passed on as it is; when the hand has moved out of the tracked region the landmark model's presence
 * score falls and the next frame runs palm detection again. Results keep the frame's own `timestampMs`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as TasksVisionModule from '@mediapipe/tasks-vision';
import type { HandLandmarker, HandLandmarkerResult } from '@mediapipe/tasks-vision';
import { NativeDependencyError } from '../errors.js';
import { type Frame, toIntegerFrame } from '../stream/frame.js';
import type { HandPose, HandPoseEstimator, Handedness, HandsResult, Point3 } from './estimator.js';
import { FakeCanvas } from './mediapipe/fake-webgl2.js';
import { resolveHandLandmarkerOptions, type HandLandmarkerOptions, type ResolvedHandLandmarkerOptions } from './landmarker-options.js';
import { loadHandLandmarkerModel } from './mediapipe/model-asset.js';

/** The `@mediapipe/tasks-vision` version this adapter is written and tested against. */
export const TASKS_VISION_VERSION = '0.10.35';

/** How the handedness label of tasks-vision {@link TASKS_VISION_VERSION} maps to this toolkit's convention. */
export const TASKS_VISION_HANDEDNESS: Readonly<Record<string, Handedness>> = { Right: 'right', Left: 'left' };

type TasksVision = typeof TasksVisionModule;
type Globals = Record<string, unknown>;

const require = createRequire(import.meta.url);
let tasksVision: Promise<TasksVision> | undefined;
/** Creations run one at a time: they share the loader globals. */
let creating: Promise<unknown> = Promise.resolve();
/** Where the wasm's global debug printer (`custom_dbg`) goes while a landmarker runs. */
let activeLog: ((line: string) => void) | undefined;

function installPersistentGlobals(): void {
  const g = globalThis as unknown as Globals;
  g.self ??= globalThis;
  g.navigator ??= { userAgent: `Node.js/${process.versions.node}`, platform: process.platform, language: 'en-US' };
  g.WebGLRenderingContext ??= class WebGLRenderingContext {};
}

async function loadTasksVision(): Promise<TasksVision> {
  tasksVision ??= (async () => {
    // The package's exports map hides package.json; it sits one folder above the wasm.
    const version = (JSON.parse(readFileSync(join(wasmDir(), '..', 'package.json'), 'utf8')) as { version: string }).version;
    if (version !== TASKS_VISION_VERSION) {
      throw new NativeDependencyError(
        `@mediapipe/tasks-vision ${version} is installed, but the hand landmarker needs exactly ${TASKS_VISION_VERSION} (1.x sends usage telemetry over the network, and the offline CPU path is verified on ${TASKS_VISION_VERSION} only).`,
        `Run \`npm ci\`, or \`npm install --save-exact @mediapipe/tasks-vision@${TASKS_VISION_VERSION}\`.`,
      );
    }
    installPersistentGlobals();
    return import('@mediapipe/tasks-vision');
  })().catch((cause: unknown) => {
    tasksVision = undefined;
    if (cause instanceof NativeDependencyError) throw cause;
    throw new NativeDependencyError(
      `@mediapipe/tasks-vision could not be loaded: ${cause instanceof Error ? cause.message : String(cause)}.`,
      `Run \`npm ci\` (it is a dependency, pinned to ${TASKS_VISION_VERSION}).`,
      { cause },
    );
  });
  return tasksVision;
}

/** The folder holding the wasm files of the installed tasks-vision. */
function wasmDir(): string {
  return dirname(require.resolve('@mediapipe/tasks-vision/vision_wasm_module_internal.js'));
}

/** Runs `create` with the loader globals in place, one creation at a time. */
async function withLoaderGlobals<T>(onLog: ((line: string) => void) | undefined, create: () => Promise<T>): Promise<T> {
  const run = async () => {
    const g = globalThis as unknown as Globals;
    const self = g.self as Globals;
    const added: Array<[Globals, string]> = [];
    const set = (target: Globals, key: string, value: unknown) => {
      if (!(key in target)) added.push([target, key]);
      target[key] = value;
    };
    const log = (line: string) => onLog?.(line);
    set(g, 'importScripts', () => {
      throw new TypeError('importScripts is not available in Node.js');
    });
    set(self, 'import', async (url: string) => {
      const loader = (await import(url)) as { default: unknown };
      // The module sets these globals when it is first evaluated only; a second landmarker needs them again.
      self.ModuleFactory = loader.default;
      g.custom_dbg = (text: string) => activeLog?.(text);
    });
    set(self, 'Module', { print: log, printErr: log });
    const previousLog = activeLog;
    activeLog = onLog;
    try {
      return await create();
    } finally {
      activeLog = previousLog;
      for (const [target, key] of added.reverse()) delete target[key];
      // The package clears its factory after use; the loader module's first evaluation also put one on globalThis.
      if (self.ModuleFactory === undefined) delete self.ModuleFactory;
    }
  };
  const result = creating.then(run, run);
  creating = result.catch(() => undefined);
  return result;
}

/** An RGBA copy of a frame (8-bit), as MediaPipe's ImageData-like input. Reuses `scratch` when it fits. */
function toRgba(frame: Frame, scratch: Uint8ClampedArray | undefined): Uint8ClampedArray {
  const rgb = toIntegerFrame(frame, 'uint8').data;
  const pixels = frame.width * frame.height;
  const rgba = scratch !== undefined && scratch.length === pixels * 4 ? scratch : new Uint8ClampedArray(pixels * 4);
  for (let p = 0, i = 0, o = 0; p < pixels; p++, i += 3, o += 4) {
    rgba[o] = rgb[i]!;
    rgba[o + 1] = rgb[i + 1]!;
    rgba[o + 2] = rgb[i + 2]!;
    rgba[o + 3] = 255;
  }
  return rgba;
}

/** Converts tasks-vision's result to plain data in this toolkit's conventions. */
export function convertTasksVisionResult(result: HandLandmarkerResult, frame: Pick<Frame, 'index' | 'timestampMs' | 'width' | 'height'>): HandsResult {
  const { width, height } = frame;
  const hands: HandPose[] = result.landmarks.map((landmarks, h) => {
    const category = result.handedness[h]?.[0];
    const handedness = category ? TASKS_VISION_HANDEDNESS[category.categoryName] : undefined;
    if (!category || !handedness) {
      throw new Error(`MediaPipe returned hand ${h} without a known handedness label (got ${JSON.stringify(category)}).`);
    }
    const normalized: Point3[] = landmarks.map((l) => [l.x, l.y, l.z]);
    return {
      handedness,
      handednessScore: category.score,
      landmarksPx: normalized.map(([x, y, z]) => [x * width, y * height, z * width]),
      landmarksNormalized: normalized,
      worldLandmarksM: (result.worldLandmarks[h] ?? []).map((l) => [l.x, l.y, l.z]),
    };
  });
  return { index: frame.index, timestampMs: frame.timestampMs, width, height, hands };
}

class MediaPipeHandLandmarker implements HandPoseEstimator {
  readonly name: string;
  readonly mode: 'video' | 'image';
  private landmarker: HandLandmarker | undefined;
  private lastTimestampMs = Number.NEGATIVE_INFINITY;
  private scratch: Uint8ClampedArray | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(landmarker: HandLandmarker, private readonly options: ResolvedHandLandmarkerOptions) {
    this.landmarker = landmarker;
    this.mode = options.mode;
    this.name = `mediapipe-tasks-vision@${TASKS_VISION_VERSION} hand_landmarker ${options.model}`;
  }

  /** The timestamp MediaPipe gets for a frame (see the module comment). */
  private nextTimestamp(frame: Frame): number {
    const rounded = Math.round(frame.timestampMs);
    const timestamp = Number.isFinite(rounded) && rounded > this.lastTimestampMs ? rounded : this.lastTimestampMs + 1;
    this.lastTimestampMs = Number.isFinite(timestamp) ? timestamp : 0;
    return this.lastTimestampMs;
  }

  estimate(frame: Frame): Promise<HandsResult> {
    const run = async () => {
      const landmarker = this.landmarker;
      if (!landmarker) throw new Error(`${this.name}: estimate() called after close().`);
      this.scratch = toRgba(frame, this.scratch);
      const image = { data: this.scratch, width: frame.width, height: frame.height };
      const previousLog = activeLog;
      activeLog = this.options.onLog;
      try {
        // tasks-vision types its inputs as DOM images; it reads { data, width, height } like ImageData.
        const input = image as unknown as Parameters<HandLandmarker['detect']>[0];
        const result = this.mode === 'video' ? landmarker.detectForVideo(input, this.nextTimestamp(frame)) : landmarker.detect(input);
        return convertTasksVisionResult(result, frame);
      } finally {
        activeLog = previousLog;
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    await this.queue;
    const landmarker = this.landmarker;
    this.landmarker = undefined;
    this.scratch = undefined;
    landmarker?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Creates MediaPipe's HandLandmarker (CPU, offline) as a {@link HandPoseEstimator}. Options are validated before
 * anything loads; the model is assembled and cached on first use (mediapipe/model-asset.ts). Call `close()` when done.
 */
export async function createHandLandmarker(options: HandLandmarkerOptions = {}): Promise<HandPoseEstimator & AsyncDisposable> {
  const resolved = resolveHandLandmarkerOptions(options);
  const { HandLandmarker } = await loadTasksVision();
  const asset = await loadHandLandmarkerModel({ model: resolved.model, ...(resolved.cacheDir !== undefined ? { cacheDir: resolved.cacheDir } : {}) });
  const dir = wasmDir();
  const landmarker = await withLoaderGlobals(resolved.onLog, () =>
    HandLandmarker.createFromOptions(
      {
        wasmLoaderPath: pathToFileURL(join(dir, 'vision_wasm_module_internal.js')).href,
        wasmBinaryPath: join(dir, 'vision_wasm_module_internal.wasm'),
      },
      {
        baseOptions: { modelAssetBuffer: asset.bytes, delegate: 'CPU' },
        runningMode: resolved.mode === 'video' ? 'VIDEO' : 'IMAGE',
        numHands: resolved.numHands,
        minHandDetectionConfidence: resolved.minHandDetectionConfidence,
        minHandPresenceConfidence: resolved.minHandPresenceConfidence,
        minTrackingConfidence: resolved.minTrackingConfidence,
        // tasks-vision types the canvas as a DOM canvas; the fake provides what its CPU path calls.
        canvas: new FakeCanvas() as unknown as NonNullable<Parameters<typeof HandLandmarker.createFromOptions>[1]['canvas']>,
      },
    ),
  ).catch((cause: unknown) => {
    throw new NativeDependencyError(
      `MediaPipe's HandLandmarker could not be created: ${cause instanceof Error ? cause.message : String(cause)}.`,
      `Reinstall dependencies with \`npm ci\` (@mediapipe/tasks-vision must be ${TASKS_VISION_VERSION}).`,
      { cause },
    );
  });
  return new MediaPipeHandLandmarker(landmarker, resolved);
}
