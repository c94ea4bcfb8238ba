/**
 * The ONNX Runtime adapter: the only file that loads `onnxruntime-node`, inside {@link loadDeblurModel}, so
 * importing the SDK loads no native code. It finds a model and its card (model-card.ts), checks the file's SHA-256
 * against the card, creates a session on the requested device and checks the session's inputs and outputs against
 * the card, then hands out the small {@link DeblurModel} interface. A model in two parts (contract version 2) gets
 * the same for both of its files (the feature graph and the restore graph), two sessions, and
 * {@link DeblurModel.parts}.
 *
 * Devices: `'cpu'` (default); `'cuda'` asks for the CUDA execution provider (CUDA 12 and cuDNN 9 libraries, and
 * onnxruntime-node's CUDA provider, which its install step downloads unless skipped as this project's .npmrc does);
 * `'auto'` tries CUDA first. When a CUDA session cannot be created the model runs on the CPU and `onWarning` is
 * called once with the reason and the fix. On linux-x64, where the CUDA provider is a separate download, a missing
 * provider library is found before ONNX Runtime is asked (which would also print its own error line); when the
 * provider is there but CUDA's libraries are not, ONNX Runtime's session creation fails, prints that line, and the
 * same fallback follows.
 *
 * Threads: `threads` intra-op threads (default {@link defaultDeblurThreads}: at most 2), with spinning off
 * (`session.intra_op.allow_spinning = 0`): on a busy 2-core machine, spinning threads slow everything else down.
 * With `worker: true`, a CPU session runs in a worker thread of its own (ort-worker.ts, this adapter's other half),
 * so the JavaScript thread is free while the network runs.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import type * as OrtModule from 'onnxruntime-node';
import { InvalidOptionError, ModelContractError, NativeDependencyError } from '../errors.js';
import { expectBoolean, expectFunction, expectInteger, expectKnownKeys, expectOneOf, expectString } from '../options.js';
import {
  CONTRACT_OUTPUT_NAME,
  DEFAULT_DEBLUR_MODEL,
  FEATURE_INPUT_NAME,
  FEATURE_NAMES,
  FLOW_INPUT_NAME,
  type ModelCard,
  PRIORS_INPUT_NAME,
  type ModelCardTensor,
  type ModelFiles,
  readModelCard,
  resolveModelFiles,
} from './model-card.js';
import type { DeblurDevice, DeblurFeeds, DeblurModel, DeblurModelIdentity, DeblurModelParts, FeatureLevel, FrameFeatures, FrameFeeds } from './model.js';
import { MAX_DECONVOLVE_ITERATIONS } from './deconvolve.js';
import { pooledPriorLength, pooledPriorMaps } from './priors.js';
import { createReferenceModel, isReferenceModel, parseReferenceModel, type ReferenceMethod } from './reference-models.js';
import { createWorkerSession, type OrtSessionLike, WorkerSession } from './ort-worker.js';
import { checkPlainModelOptions, describePlainGraph, fromPlainOutput, type PlainModelDescription, type PlainModelOptions, toPlainInput } from './plain-model.js';

type Ort = typeof OrtModule;

/** Default device. */
export const DEFAULT_DEBLUR_DEVICE: DeblurDevice = 'cpu';

/** Default intra-op threads: the available cores, at most 2 (under contention, 2 threads can already be slower than 1 on a small machine). */
export function defaultDeblurThreads(): number {
  return Math.max(1, Math.min(2, availableParallelism()));
}

/**
 * How many worker threads run deblur()'s deconvolution steps (deconvolve.ts, `Deconvolver`: whole frames, beside the
 * next frames' networks) for a model that runs with steps on `threads` intra-op threads: half as many, rounded down
 * (none beside one thread: the steps then run on the calling thread after the network). On 2 cores, 60 frames of
 * 640x480 camera pans through `promotion-c-deconv` took 0.74-0.78 of the time of the network on 2 threads with the
 * steps after it; the network on 1 thread beside the worker was no faster on those frames (with 2: 0.97 of its time)
 * and a third slower where the frames are sharp and the steps have little to do, and two workers beside the network
 * gained nothing for 150 MiB more (docs/deblur-model.md, session 26).
 */
export function stepThreadsFor(threads: number): number {
  return Math.floor(threads / 2);
}

/** Options of {@link loadDeblurModel}. */
export interface LoadDeblurModelOptions {
  /**
   * A model name in the toolkit's `models/` folder, a path to an `.onnx` file or its `.json` card, or a reference
   * model, `reference:unsharp` or `reference:wiener` (reference-models.ts) (default {@link DEFAULT_DEBLUR_MODEL}).
   */
  model?: string;
  /** 'cpu' (default), 'cuda' or 'auto' (see the module comment). */
  device?: DeblurDevice;
  /** Intra-op threads (default {@link defaultDeblurThreads}). */
  threads?: number;
  /**
   * The Richardson-Lucy steps deblur() will run after this model (default: its card's `deconvolve`, else none): with
   * steps, deblur() runs them in half as many worker threads as `threads` (`stepThreads`). Give deblur() the same count.
   */
  deconvolve?: number;
  /** Called once when CUDA was asked for but the model runs on the CPU (default: `process.emitWarning`). */
  onWarning?: (message: string) => void;
  /**
   * How to read a plain model (an ONNX graph without this project's contract, plain-model.ts): these win over its
   * minimal card, what neither says comes from the graph or the defaults. Ignored for a model of the contract.
   */
  plain?: PlainModelOptions;
  /**
   * Run a CPU session in a worker thread, so the calling thread is free while the network runs (default false: on 2
   * cores it measured slower, 245-279 against 215-222 ms per 640x480 frame, docs/deblur-model.md; it pays where the
   * calling thread has other work and cores to spare).
   */
  worker?: boolean;
}

export const LOAD_DEBLUR_MODEL_KEYS = ['model', 'device', 'threads', 'deconvolve', 'onWarning', 'plain', 'worker'] as const;

/** Options after validation. */
export interface ResolvedLoadOptions {
  /** The model's files; undefined for a reference model. */
  readonly files: ModelFiles | undefined;
  /** A reference model's method (`reference:<method>`). */
  readonly reference?: ReferenceMethod;
  readonly device: DeblurDevice;
  readonly threads: number;
  /** The steps given (undefined: the card's). */
  readonly deconvolve?: number;
  readonly onWarning: (message: string) => void;
  /** CPU sessions in a worker thread. */
  readonly worker: boolean;
}

/** The default warning sink: a Node process warning (printed to stderr once). */
export function emitDeblurWarning(message: string): void {
  process.emitWarning(message, { code: 'PROMOTION_DEBLUR' });
}

/**
 * Validates load options and finds the model's files (synchronously, so a bad option or a missing model throws
 * at the caller). Used by {@link loadDeblurModel} and by `deblur()` when it is called.
 */
export function resolveLoadOptions(options: LoadDeblurModelOptions, name = 'loadDeblurModel options'): ResolvedLoadOptions {
  expectKnownKeys(name, options, LOAD_DEBLUR_MODEL_KEYS);
  const model = expectString('model', options.model ?? DEFAULT_DEBLUR_MODEL);
  const device = expectOneOf('device', options.device ?? DEFAULT_DEBLUR_DEVICE, ['cpu', 'cuda', 'auto'] as const);
  const threads = expectInteger('threads', options.threads ?? defaultDeblurThreads(), 1, 256);
  const onWarning = options.onWarning === undefined ? emitDeblurWarning : expectFunction<(message: string) => void>('onWarning', options.onWarning);
  const plain = options.plain === undefined ? {} : checkPlainModelOptions(options.plain);
  const worker = expectBoolean('worker', options.worker ?? false);
  const steps = options.deconvolve === undefined ? {} : { deconvolve: expectInteger('deconvolve', options.deconvolve, 0, MAX_DECONVOLVE_ITERATIONS) };
  if (isReferenceModel(model)) return { files: undefined, reference: parseReferenceModel(model), device, threads, ...steps, onWarning, worker };
  return { files: resolveModelFiles(model, plain), device, threads, ...steps, onWarning, worker };
}

let ortModule: Promise<Ort> | undefined;

function loadOrt(): Promise<Ort> {
  ortModule ??= import('onnxruntime-node').catch((cause: unknown) => {
    ortModule = undefined;
    throw new NativeDependencyError(
      `onnxruntime-node could not be loaded: ${cause instanceof Error ? cause.message : String(cause)}.`,
      'Reinstall dependencies with `npm ci` (onnxruntime-node 1.30 ships its CPU runtime for linux-x64, linux-arm64, darwin and win32).',
      { cause },
    );
  });
  return ortModule;
}

const CUDA_HINT =
  'To use the GPU, install the CUDA 12 and cuDNN 9 runtime libraries and let onnxruntime-node download its CUDA provider ' +
  '(remove `onnxruntime-node-install=skip` from .npmrc, then `npm ci`); pass device cpu to silence this.';

/**
 * Where onnxruntime-node keeps its CUDA provider on this platform, when it is a separate download (linux-x64) and
 * not there; undefined otherwise (installed, or a platform where ONNX Runtime itself finds out).
 */
export function missingCudaProvider(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve('onnxruntime-node');
  } catch {
    return undefined;
  }
  const path = join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch, 'libonnxruntime_providers_cuda.so');
  return existsSync(path) ? undefined : path;
}

type Session = OrtSessionLike;

/** A session of the model's bytes; a CPU-only one in a worker thread when `worker` (ort-worker.ts). */
async function createSession(ort: Ort, bytes: Uint8Array, providers: readonly string[], threads: number, worker: boolean): Promise<Session> {
  const options: OrtModule.InferenceSession.SessionOptions = {
    executionProviders: [...providers],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
  if (worker && providers.length === 1 && providers[0] === 'cpu') return createWorkerSession(ort, bytes, options);
  return ort.InferenceSession.create(bytes, options);
}

interface TensorMeta {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  readonly shape?: readonly (number | string)[];
}

/**
 * Inputs the card's architecture does not use: the exporter (torch.onnx) leaves unused inputs out of the graph, so
 * an EDVR baseline (`use_priors`, `use_blur_vector` false) may take `frames` alone. Such inputs may be missing from
 * the model; they are not fed.
 */
export function unusedInputs(card: ModelCard): string[] {
  const a = card.raw.architecture as Record<string, unknown> | undefined;
  if (typeof a !== 'object' || a === null) return [];
  const off = (key: string) => a[key] === false;
  const out: string[] = [];
  if (off('use_priors') || off('use_motion')) out.push('motion');
  if (off('use_priors') || off('use_contrast')) out.push('contrastScale');
  if (off('use_blur_vector')) out.push('blurWeights');
  return out;
}

type SessionInfo = { inputNames: readonly string[]; outputNames: readonly string[]; inputMetadata?: readonly TensorMeta[]; outputMetadata?: readonly TensorMeta[] };

/**
 * Checks a session's inputs and outputs against the card. `part` 'model' (default) is the model's graph (with
 * contract version 2, the restore graph): every model input is one the card lists, `frames` (and for version 2
 * featL1..3) is there, and a card input the model lacks is one its architecture does not use
 * ({@link unusedInputs}); `restored` is an output. `part` 'features' is a version 2 model's feature graph: input
 * `frame`, outputs featL1..3. Types, ranks and fixed dimensions agree with the card; heights and widths (H, W,
 * H/4...) are dynamic. Throws {@link ModelContractError} naming the file.
 */
export function checkSessionAgainstCard(session: SessionInfo, card: ModelCard, files: ModelFiles, part: 'model' | 'features' = 'model'): void {
  const features = part === 'features' ? card.features : undefined;
  if (part === 'features' && features === undefined) throw new Error(`checkSessionAgainstCard: card ${files.cardPath} describes no feature graph (contract version ${card.contractVersion})`);
  const path = features ? (files.featuresPath ?? join(dirname(files.cardPath), features.file)) : files.onnxPath;
  const mismatch = (what: string) =>
    new ModelContractError(
      path,
      `${features ? 'Feature graph' : 'Model'} ${path} does not match its card ${files.cardPath}: ${what}. The ${card.contractVersion === 2 ? 'three' : 'two'} files do not belong together; export them again with \`python3 -m promotion.export\`.`,
    );
  const tensors = features ?? card;
  const cardInputs = tensors.inputs.map((t) => t.name);
  const required = features ? [FEATURE_INPUT_NAME] : card.contractVersion === 2 ? [...FEATURE_NAMES, 'frames'] : ['frames'];
  if (session.inputNames.some((n) => !cardInputs.includes(n)) || required.some((n) => !session.inputNames.includes(n))) {
    throw mismatch(`the model's inputs are [${session.inputNames.join(', ')}] but the card lists [${cardInputs.join(', ')}]`);
  }
  const unused = features ? [] : unusedInputs(card);
  for (const name of cardInputs) {
    if (!session.inputNames.includes(name) && !unused.includes(name)) {
      throw mismatch(`the model has no input ${name}, which its card lists and its architecture uses (the model's inputs are [${session.inputNames.join(', ')}])`);
    }
  }
  for (const name of features ? FEATURE_NAMES : [CONTRACT_OUTPUT_NAME]) {
    if (!session.outputNames.includes(name)) throw mismatch(`the model's outputs are [${session.outputNames.join(', ')}], without ${name}`);
  }
  const check = (meta: readonly TensorMeta[] | undefined, cardTensors: readonly ModelCardTensor[], kind: string) => {
    for (const m of meta ?? []) {
      const t = cardTensors.find((c) => c.name === m.name);
      if (!t) continue;
      if (!m.isTensor || (m.type !== undefined && m.type !== 'float32')) throw mismatch(`${kind} ${m.name} is ${m.isTensor ? m.type : 'not a tensor'}, not float32`);
      if (m.shape === undefined) continue;
      if (m.shape.length !== t.shape.length) throw mismatch(`${kind} ${m.name} has ${m.shape.length} dimensions [${m.shape.join(', ')}] but the card says [${t.shape.join(', ')}]`);
      m.shape.forEach((dim, i) => {
        const want = t.shape[i]!;
        const fixedHere = typeof dim === 'number' && dim > 0;
        if (typeof want === 'number' && fixedHere && dim !== want) throw mismatch(`${kind} ${m.name} has dimension ${i} = ${dim} but the card says ${want} ([${t.shape.join(', ')}])`);
        // H and W, or a level's H/4, W/8...: the runtime feeds every size, so these must be dynamic.
        if (typeof want === 'string' && /^[HW](\/\d+)?$/.test(want) && fixedHere) {
          throw mismatch(`${kind} ${m.name} has a fixed ${want.startsWith('H') ? 'height' : 'width'} of ${dim}, but the runtime needs dynamic height and width (export with dynamic axes)`);
        }
      });
    }
  };
  check(session.inputMetadata, tensors.inputs, 'input');
  check(session.outputMetadata, tensors.outputs, 'output');
}

/** A model loaded by {@link loadDeblurModel}. */
export interface LoadedDeblurModel extends DeblurModel {
  /** What the model is (kind, name, digests), for reports and caches. */
  readonly identity: DeblurModelIdentity;
  /** The contract card (a model of this project's contract; undefined for a plain model). */
  readonly card?: ModelCard;
  /** A plain model's description, its graph's input and output settled (undefined for a model of the contract). */
  readonly plain?: PlainModelDescription;
  /** The model's files (undefined for a reference model, which is computed). */
  readonly files?: ModelFiles;
  /** Intra-op threads of the session (of each session, for a two-part model). */
  readonly threads: number;
  /** Worker threads for the deconvolution's steps beside the session (half of `threads`, rounded down); 0 without steps. */
  readonly stepThreads: number;
}

/** The step workers of a model loaded with `resolved` ({@link stepThreadsFor}), its card asking for `cardSteps`. */
function stepThreadsOf(resolved: ResolvedLoadOptions, cardSteps: number | undefined): number {
  return (resolved.deconvolve ?? cardSteps ?? 0) > 0 ? stepThreadsFor(resolved.threads) : 0;
}

/** Where each feature level's height and width are, as fractions of the frame's (featL1..3). */
const FEATURE_SCALES = [4, 8, 16] as const;

/** What the ONNX-backed models share: a closed model refuses to run, and closing releases its sessions once. */
abstract class SessionModel {
  abstract readonly name: string;
  private closed = false;
  private released: Promise<void> | undefined;

  /** The sessions {@link close} releases. */
  protected abstract sessions(): readonly (Session | undefined)[];

  protected checkOpen(): void {
    if (this.closed) throw new Error(`Model ${this.name} is closed; load it again to run it.`);
  }

  close(): Promise<void> {
    this.closed = true;
    this.released ??= Promise.all(this.sessions().map((s) => s?.release())).then(() => undefined);
    return this.released;
  }
}

class OnnxDeblurModel extends SessionModel implements LoadedDeblurModel {
  readonly name: string;
  readonly contract: DeblurModel['contract'];
  readonly parts: DeblurModelParts | undefined;
  readonly identity: DeblurModelIdentity;

  constructor(
    private readonly ort: Ort,
    private readonly session: Session,
    private readonly featureSession: Session | undefined,
    readonly card: ModelCard,
    readonly executionProvider: string,
    readonly files: ModelFiles,
    readonly threads: number,
    readonly stepThreads: number,
  ) {
    super();
    this.name = card.name;
    this.contract = {
      windowSize: card.windowSize,
      centreIndex: card.centreIndex,
      paddingMultiple: card.paddingMultiple,
      minSize: card.minSize,
      motionMapKind: card.motionMapKind,
      ...(card.tileSize !== undefined ? { tileSize: card.tileSize } : {}),
      ...(card.clampRadius !== undefined ? { clampRadius: card.clampRadius } : {}),
      ...(card.clampMotion !== undefined ? { clampMotion: card.clampMotion } : {}),
      ...(card.deadband !== undefined ? { deadband: card.deadband } : {}),
      ...(card.deadbandFlat !== undefined ? { deadbandFlat: card.deadbandFlat } : {}),
      ...(card.deconvolve !== undefined ? { deconvolve: card.deconvolve } : {}),
      ...(card.motionFlow !== undefined ? { motionFlow: card.motionFlow } : {}),
      ...(card.contractVersion === 3 ? { usesFlow: true } : {}),
    };
    this.identity = {
      kind: 'contract',
      name: card.name,
      preset: card.preset ?? card.name,
      sha256: card.sha256,
      // A two-part model is both files; the card's runtime settings (the motion input's flow, the tile, the clamp, the deadband) change the output with the same weights.
      key: { model: card.sha256, ...(card.features ? { features: card.features.sha256 } : {}), card: { motionFlow: card.motionFlow ?? null, tileSize: card.tileSize ?? null, ...(card.clampRadius !== undefined ? { clampRadius: card.clampRadius } : {}), ...(card.clampMotion !== undefined ? { clampMotion: card.clampMotion } : {}), ...(card.deadband !== undefined ? { deadband: card.deadband } : {}), ...(card.deadbandFlat !== undefined ? { deadbandFlat: card.deadbandFlat } : {}), ...(card.deconvolve !== undefined ? { deconvolve: card.deconvolve } : {}) } },
    };
    this.parts = featureSession === undefined ? undefined : { extractFeatures: (feeds) => this.extractFeatures(feeds), restore: (features, feeds) => this.restoreFrom(features, feeds) };
  }

  protected sessions(): readonly (Session | undefined)[] {
    return [this.session, this.featureSession];
  }

  async run(feeds: DeblurFeeds): Promise<Float32Array> {
    this.checkOpen();
    if (this.featureSession === undefined) return this.restoreWith({}, feeds);
    // Two parts, nothing to reuse: the window's frames as one batch through the feature graph; its [T, C, h, w]
    // outputs are the restore graph's [1, T, C, h, w].
    const t = this.card.windowSize;
    const levels = await this.runFeatures(feeds.frames, t, feeds.width, feeds.height);
    return this.restoreWith(Object.fromEntries(FEATURE_NAMES.map((n, k) => [n, this.levelTensor(levels[k]!.data, t, levels[k]!)])), feeds);
  }

  private async extractFeatures(feeds: FrameFeeds): Promise<FrameFeatures> {
    this.checkOpen();
    return { levels: await this.runFeatures(feeds.frame, 1, feeds.width, feeds.height) };
  }

  private async restoreFrom(features: readonly FrameFeatures[], feeds: DeblurFeeds): Promise<Float32Array> {
    this.checkOpen();
    const t = this.card.windowSize;
    if (features.length !== t) throw new Error(`Model ${this.name} restores from the features of ${t} frames but was given ${features.length}`);
    const stacked = FEATURE_NAMES.map((n, k) => {
      const first = features[0]!.levels[k]!;
      const size = first.channels * first.height * first.width;
      const data = new Float32Array(t * size);
      features.forEach((f, i) => {
        const level = f.levels[k];
        if (!level || level.channels !== first.channels || level.height !== first.height || level.width !== first.width || level.data.length !== size) {
          throw new Error(`Model ${this.name}: the window's ${n} features differ in size between frames (each frame's features must come from the same run rectangle)`);
        }
        data.set(level.data, i * size);
      });
      return [n, this.levelTensor(data, t, first)] as const;
    });
    return this.restoreWith(Object.fromEntries(stacked), feeds);
  }

  /** One level of `frames` frames' features as a [1, frames, C, h, w] tensor. */
  private levelTensor(data: Float32Array, frames: number, level: FeatureLevel): OrtModule.Tensor {
    return new this.ort.Tensor('float32', data, [1, frames, level.channels, level.height, level.width]);
  }

  /** Runs the feature graph on `count` frames [count, 3, h, w]; returns each level over all of them [count, C, h/s, w/s]. */
  private async runFeatures(frames: Float32Array, count: number, w: number, h: number): Promise<FeatureLevel[]> {
    const session = this.featureSession!;
    const out = await session.run({ [FEATURE_INPUT_NAME]: new this.ort.Tensor('float32', frames, [count, 3, h, w]) });
    return FEATURE_NAMES.map((n, k) => {
      const tensor = out[n];
      const scale = FEATURE_SCALES[k]!;
      const [b, c, lh, lw] = tensor?.dims ?? [];
      if (!tensor || !(tensor.data instanceof Float32Array) || b !== count || c === undefined || lh !== h / scale || lw !== w / scale || tensor.data.length !== count * c * lh * lw) {
        const path = this.files.featuresPath ?? this.card.features!.file;
        throw new ModelContractError(path, `Feature graph ${path} returned ${tensor ? `[${tensor.dims.join(', ')}]` : `no ${n} output`} for ${count} frame(s) of ${w}x${h} instead of [${count}, C, ${h / scale}, ${w / scale}].`);
      }
      return { data: tensor.data, channels: c, height: lh, width: lw };
    });
  }

  /** Contract version 4: prior-map buffers no call holds now, reused (a fresh array's first writes are slow: docs/deblur-model.md, session 27). */
  private readonly freePriors: Float32Array[] = [];

  /** Runs the (restore) graph with `extra` inputs (the features, contract version 2) and the window's inputs. */
  private async restoreWith(extra: Record<string, OrtModule.Tensor>, feeds: DeblurFeeds): Promise<Float32Array> {
    const { width: w, height: h } = feeds;
    const t = this.card.windowSize;
    const { Tensor } = this.ort;
    let priors: Float32Array | undefined;
    const all: Record<string, () => OrtModule.Tensor> = {
      frames: () => new Tensor('float32', feeds.frames, [1, t, 3, h, w]),
      motion: () => new Tensor('float32', feeds.motion, [1, 1, h, w]),
      blurWeights: () => new Tensor('float32', feeds.blurWeights, [1, t]),
      contrastScale: () => new Tensor('float32', feeds.contrastScale, [1, t]),
      [FLOW_INPUT_NAME]: () => {
        if (feeds.flow === undefined) throw new InvalidOptionError(`Model ${this.files.onnxPath} reads the flow vectors (contract version 3) but was called without feeds.flow`);
        return new Tensor('float32', feeds.flow, [1, 4, h, w]);
      },
      [PRIORS_INPUT_NAME]: () => {
        const length = pooledPriorLength(t, w, h);
        const free = this.freePriors.findIndex((b) => b.length === length);
        priors = free >= 0 ? this.freePriors.splice(free, 1)[0]! : new Float32Array(length);
        pooledPriorMaps(feeds.frames, feeds.motion, feeds.contrastScale, w, h, priors);
        return new Tensor('float32', priors, [1, 3 * t, h / 2, w / 2]);
      },
    };
    try {
      // Only the inputs the graph has (an EDVR baseline may take frames alone; see unusedInputs).
      const tensors = Object.fromEntries(this.session.inputNames.map((n) => [n, extra[n] ?? all[n]!()]));
      const out = feeds.owned === true && this.session instanceof WorkerSession ? await this.session.runMoving(tensors, ['frames', 'motion', ...(feeds.flow !== undefined ? [FLOW_INPUT_NAME] : [])]) : await this.session.run(tensors);
      const restored = out[CONTRACT_OUTPUT_NAME];
      if (!restored || !(restored.data instanceof Float32Array) || restored.data.length !== 3 * w * h) {
        throw new ModelContractError(this.files.onnxPath, `Model ${this.files.onnxPath} returned ${restored ? `[${restored.dims.join(', ')}]` : 'no restored output'} for a ${w}x${h} input instead of [1, 3, ${h}, ${w}].`);
      }
      return restored.data;
    } finally {
      if (priors !== undefined && this.freePriors.length < 2) this.freePriors.push(priors);
    }
  }
}

/** A plain model (plain-model.ts) on one session: the window's frames converted to its layout, range and colour order and back. */
class PlainOnnxModel extends SessionModel implements LoadedDeblurModel {
  readonly name: string;
  readonly contract: DeblurModel['contract'];
  readonly identity: DeblurModelIdentity;

  constructor(
    private readonly ort: Ort,
    private readonly session: Session,
    readonly plain: PlainModelDescription,
    sha256: string,
    readonly executionProvider: string,
    readonly files: ModelFiles,
    readonly threads: number,
    readonly stepThreads: number,
  ) {
    super();
    this.name = plain.name;
    const t = plain.windowSize;
    this.contract = {
      windowSize: t,
      centreIndex: (t - 1) / 2,
      paddingMultiple: plain.paddingMultiple,
      minSize: plain.minSize,
      motionMapKind: 'magnitude',
      usesMotion: false,
      ...(plain.tileSize !== undefined ? { tileSize: plain.tileSize } : {}),
    };
    const { layout, windowSize, range, colourOrder, paddingMultiple, minSize, input, output } = plain;
    this.identity = { kind: 'plain', name: plain.name, preset: `plain-${layout}`, sha256, key: { model: sha256, plain: { layout, windowSize, range, colourOrder, paddingMultiple, minSize, input, output, tileSize: plain.tileSize ?? null } } };
  }

  protected sessions(): readonly (Session | undefined)[] {
    return [this.session];
  }

  async run(feeds: DeblurFeeds): Promise<Float32Array> {
    this.checkOpen();
    const { width: w, height: h } = feeds;
    const plane = w * h;
    const t = this.plain.windowSize;
    const dims = this.plain.layout === 'ntchw' ? [1, t, 3, h, w] : [1, 3, h, w];
    const out = await this.session.run({ [this.plain.input]: new this.ort.Tensor('float32', toPlainInput(feeds.frames, plane, this.plain), dims) });
    const restored = out[this.plain.output];
    const frames = restored?.dims.length === 5 ? restored.dims[1]! : 1;
    const expected = restored?.dims.length === 5 ? [1, frames, 3, h, w] : [1, 3, h, w];
    if (!restored || !(restored.data instanceof Float32Array) || restored.dims.length !== expected.length || restored.dims.some((d, i) => d !== expected[i])) {
      throw new ModelContractError(
        this.files.onnxPath,
        `Model ${this.files.onnxPath} returned ${restored ? `[${restored.dims.join(', ')}] ${restored.type}` : `no output ${this.plain.output}`} for input ${this.plain.input} [${dims.join(', ')}] instead of float32 [1, 3, ${h}, ${w}] (or [1, T, 3, ${h}, ${w}]). ` +
          'A plain model must restore an image of the size it was given: check its padding multiple (paddingMultiple in the card, --model-padding).',
      );
    }
    return fromPlainOutput(restored.data, plane, frames, this.plain);
  }
}

/** Opens a plain model: one session, checked against its description ({@link describePlainGraph}). */
async function openPlainModel(resolved: ResolvedLoadOptions, ort: Ort, bytes: Buffer, sha256: string): Promise<LoadedDeblurModel> {
  const { threads, worker } = resolved;
  const stepThreads = stepThreadsOf(resolved, undefined);
  const files = resolved.files!;
  const spec = files.plain!;
  const { session, provider } = await createWithFallback(resolved, spec.name, (providers) => createSession(ort, bytes, providers, threads, worker), (cause) => damagedModel(files.onnxPath, 'Model', cause, 'Check that it is an ONNX file, or export it again.'));
  let description: PlainModelDescription;
  try {
    description = describePlainGraph(session, spec, files.onnxPath);
  } catch (error) {
    await session.release();
    throw error;
  }
  return new PlainOnnxModel(ort, session, description, sha256, provider, files, threads, stepThreads);
}

function damagedModel(path: string, label: string, cause: unknown, fix = 'Export it again with `python3 -m promotion.export`.'): ModelContractError {
  return new ModelContractError(path, `${label} ${path} cannot be loaded by ONNX Runtime (${cause instanceof Error ? cause.message : String(cause)}): it is damaged or not an ONNX model. ${fix}`, { cause });
}

/**
 * Creates what `create` makes on the requested device: CUDA first unless 'cpu', the CPU after a CUDA failure (with one
 * warning); a CPU failure is `damaged(cause)`.
 */
async function createWithFallback<S>(resolved: ResolvedLoadOptions, name: string, create: (providers: readonly string[]) => Promise<S>, damaged: (cause: unknown) => Error, checks: { cudaProviderCheck?: boolean } = {}): Promise<{ session: S; provider: string }> {
  const { device, onWarning } = resolved;
  if (device !== 'cpu') {
    const missing = checks.cudaProviderCheck === false ? undefined : missingCudaProvider();
    try {
      if (missing !== undefined) throw new Error(`onnxruntime-node's CUDA provider is not installed: ${missing} is missing`);
      return { session: await create(['cuda', 'cpu']), provider: 'cuda' };
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      onWarning(
        device === 'cuda'
          ? `CUDA was requested for model ${name} but cannot be used (${reason}); running on the CPU instead. ${CUDA_HINT}`
          : `CUDA is not available for model ${name} (${reason}); running on the CPU.`,
      );
    }
  }
  try {
    return { session: await create(['cpu']), provider: 'cpu' };
  } catch (cause) {
    throw damaged(cause);
  }
}

/**
 * Loads a deblurring model: finds its files, checks the card and the files' SHA-256, creates an ONNX Runtime
 * session on the device (falling back to the CPU, see the module comment), two for a model in two parts (contract
 * version 2), and checks each session against the card. Contract problems are {@link ModelContractError}s naming
 * the file and the fix. Call `close()` when done.
 */
export async function loadDeblurModel(options: LoadDeblurModelOptions = {}): Promise<LoadedDeblurModel> {
  return openDeblurModel(resolveLoadOptions(options));
}

/** Reads a model file and checks it against the card's SHA-256. `label` names the file in messages. */
async function readChecked(path: string, sha256: string, cardPath: string, label: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new ModelContractError(path, `${label} ${path}, named by the card ${cardPath}, cannot be read (${(cause as Error).message}); copy the model's files together as they were written, or export it again.`, { cause });
  }
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== sha256) {
    throw new ModelContractError(
      path,
      `${label} ${path} has SHA-256 ${digest} but its card ${cardPath} says ${sha256}: the file was changed, truncated or replaced after export. ` +
        'Export the model and its card together again (`python3 -m promotion.export`), or copy both files as they were written.',
    );
  }
  return bytes;
}

/**
 * {@link loadDeblurModel} with options already validated. `checks.cudaProviderCheck: false` skips the look for the
 * CUDA provider library, so that ONNX Runtime itself is asked (tests use it to exercise that failure).
 */
export async function openDeblurModel(resolved: ResolvedLoadOptions, checks: { cudaProviderCheck?: boolean } = {}): Promise<LoadedDeblurModel> {
  const { device, threads, onWarning, worker } = resolved;
  if (resolved.files === undefined) {
    // A reference model: computed in TypeScript on the CPU, one call at a time.
    return { ...createReferenceModel(resolved.reference ?? 'unsharp'), threads: 1, stepThreads: stepThreadsOf(resolved, undefined) };
  }
  if (resolved.files.plain) {
    const { onnxPath } = resolved.files;
    const { sha256, cardPath } = resolved.files.plain;
    let bytes: Buffer;
    try {
      bytes = await readFile(onnxPath);
    } catch (cause) {
      throw new ModelContractError(onnxPath, `Model ${onnxPath} cannot be read (${(cause as Error).message}).`, { cause });
    }
    const digest = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== undefined && digest !== sha256) {
      throw new ModelContractError(onnxPath, `Model ${onnxPath} has SHA-256 ${digest} but its card ${cardPath} says ${sha256}: the file was changed or replaced. Put the right file beside the card, or correct or remove the card's sha256.`);
    }
    return openPlainModel(resolved, await loadOrt(), bytes, digest);
  }
  const given = resolved.files;
  const card = readModelCard(given.cardPath);
  const stepThreads = stepThreadsOf(resolved, card.deconvolve);
  const files: ModelFiles = card.features && given.featuresPath === undefined ? { ...given, featuresPath: join(dirname(given.cardPath), card.features.file) } : given;
  const bytes = await readChecked(files.onnxPath, card.sha256, files.cardPath, 'Model');
  const featureBytes = card.features ? await readChecked(files.featuresPath!, card.features.sha256, files.cardPath, 'Feature graph') : undefined;
  const ort = await loadOrt();
  // Both sessions on one device: the restore graph's inputs are the feature graph's outputs.
  const createAll = async (providers: readonly string[]): Promise<[Session, Session | undefined]> => {
    const session = await createSession(ort, bytes, providers, threads, worker);
    if (featureBytes === undefined) return [session, undefined];
    try {
      return [session, await createSession(ort, featureBytes, providers, threads, worker)];
    } catch (cause) {
      await session.release();
      throw cause;
    }
  };
  let sessions: [Session, Session | undefined] | undefined;
  let provider = 'cpu';
  if (device !== 'cpu') {
    const missing = checks.cudaProviderCheck === false ? undefined : missingCudaProvider();
    try {
      if (missing !== undefined) throw new Error(`onnxruntime-node's CUDA provider is not installed: ${missing} is missing`);
      sessions = await createAll(['cuda', 'cpu']);
      provider = 'cuda';
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      onWarning(
        device === 'cuda'
          ? `CUDA was requested for model ${card.name} but cannot be used (${reason}); running on the CPU instead. ${CUDA_HINT}`
          : `CUDA is not available for model ${card.name} (${reason}); running on the CPU.`,
      );
    }
  }
  if (!sessions) {
    const damaged = (path: string, label: string, cause: unknown) =>
      new ModelContractError(
        path,
        `${label} ${path} cannot be loaded by ONNX Runtime (${cause instanceof Error ? cause.message : String(cause)}): it is damaged or not an ONNX model. ` +
          'Export it again with `python3 -m promotion.export`.',
        { cause },
      );
    let session: Session;
    try {
      session = await createSession(ort, bytes, ['cpu'], threads, worker);
    } catch (cause) {
      throw damaged(files.onnxPath, 'Model', cause);
    }
    let featureSession: Session | undefined;
    if (featureBytes !== undefined) {
      try {
        featureSession = await createSession(ort, featureBytes, ['cpu'], threads, worker);
      } catch (cause) {
        await session.release();
        throw damaged(files.featuresPath!, 'Feature graph', cause);
      }
    }
    sessions = [session, featureSession];
  }
  const [session, featureSession] = sessions;
  try {
    checkSessionAgainstCard(session, card, files);
    if (featureSession) checkSessionAgainstCard(featureSession, card, files, 'features');
  } catch (error) {
    await Promise.all([session.release(), featureSession?.release()]);
    throw error;
  }
  return new OnnxDeblurModel(ort, session, featureSession, card, provider, files, threads, stepThreads);
}
