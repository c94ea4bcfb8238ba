/**
 * The ONNX Runtime adapter: the only file that loads `onnxruntime-node`, inside {@link loadDeblurModel}, so
 * importing the SDK loads no native code. It finds a model and its card (model-card.ts), checks the file's SHA-256
 * against the card, creates a session on the requested device and checks the session's inputs and outputs against
 * the card, then hands out the small {@link DeblurModel} interface.
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
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import type * as OrtModule from 'onnxruntime-node';
import { ModelContractError, NativeDependencyError } from '../errors.js';
import { expectFunction, expectInteger, expectKnownKeys, expectOneOf, expectString } from '../options.js';
import { CONTRACT_OUTPUT_NAME, DEFAULT_DEBLUR_MODEL, type ModelCard, type ModelFiles, readModelCard, resolveModelFiles } from './model-card.js';
import type { DeblurDevice, DeblurFeeds, DeblurModel } from './model.js';

type Ort = typeof OrtModule;

/** Default device. */
export const DEFAULT_DEBLUR_DEVICE: DeblurDevice = 'cpu';

/** Default intra-op threads: the available cores, at most 2 (more rarely pays on small machines; FACTS). */
export function defaultDeblurThreads(): number {
  return Math.max(1, Math.min(2, availableParallelism()));
}

/** Options of {@link loadDeblurModel}. */
export interface LoadDeblurModelOptions {
  /** A model name in the toolkit's `models/` folder, or a path to an `.onnx` file or its `.json` card (default {@link DEFAULT_DEBLUR_MODEL}). */
  model?: string;
  /** 'cpu' (default), 'cuda' or 'auto' (see the module comment). */
  device?: DeblurDevice;
  /** Intra-op threads (default {@link defaultDeblurThreads}). */
  threads?: number;
  /** Called once when CUDA was asked for but the model runs on the CPU (default: `process.emitWarning`). */
  onWarning?: (message: string) => void;
}

export const LOAD_DEBLUR_MODEL_KEYS = ['model', 'device', 'threads', 'onWarning'] as const;

/** Options after validation. */
export interface ResolvedLoadOptions {
  readonly files: ModelFiles;
  readonly device: DeblurDevice;
  readonly threads: number;
  readonly onWarning: (message: string) => void;
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
  return { files: resolveModelFiles(model), device, threads, onWarning };
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

type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

async function createSession(ort: Ort, bytes: Uint8Array, providers: readonly string[], threads: number): Promise<Session> {
  return ort.InferenceSession.create(bytes, {
    executionProviders: providers,
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
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

/**
 * Checks a session's inputs and outputs against the card: every model input is one the card lists, `frames` is
 * there, and a card input the model lacks is one its architecture does not use ({@link unusedInputs}); `restored`
 * is an output; types, ranks and fixed dimensions agree. Throws {@link ModelContractError}.
 */
export function checkSessionAgainstCard(
  session: { inputNames: readonly string[]; outputNames: readonly string[]; inputMetadata?: readonly TensorMeta[]; outputMetadata?: readonly TensorMeta[] },
  card: ModelCard,
  files: ModelFiles,
): void {
  const mismatch = (what: string) =>
    new ModelContractError(files.onnxPath, `Model ${files.onnxPath} does not match its card ${files.cardPath}: ${what}. The two files do not belong together; export them again with \`python3 -m promotion.export\`.`);
  const cardInputs = card.inputs.map((t) => t.name);
  if (session.inputNames.some((n) => !cardInputs.includes(n)) || !session.inputNames.includes('frames')) {
    throw mismatch(`the model's inputs are [${session.inputNames.join(', ')}] but the card lists [${cardInputs.join(', ')}]`);
  }
  const unused = unusedInputs(card);
  for (const name of cardInputs) {
    if (!session.inputNames.includes(name) && !unused.includes(name)) {
      throw mismatch(`the model has no input ${name}, which its card lists and its architecture uses (the model's inputs are [${session.inputNames.join(', ')}])`);
    }
  }
  if (!session.outputNames.includes(CONTRACT_OUTPUT_NAME)) {
    throw mismatch(`the model's outputs are [${session.outputNames.join(', ')}], without ${CONTRACT_OUTPUT_NAME}`);
  }
  const check = (meta: readonly TensorMeta[] | undefined, tensors: ModelCard['inputs'], kind: string) => {
    for (const m of meta ?? []) {
      const t = tensors.find((c) => c.name === m.name);
      if (!t) continue;
      if (!m.isTensor || (m.type !== undefined && m.type !== 'float32')) throw mismatch(`${kind} ${m.name} is ${m.isTensor ? m.type : 'not a tensor'}, not float32`);
      if (m.shape === undefined) continue;
      if (m.shape.length !== t.shape.length) throw mismatch(`${kind} ${m.name} has ${m.shape.length} dimensions [${m.shape.join(', ')}] but the card says [${t.shape.join(', ')}]`);
      m.shape.forEach((dim, i) => {
        const want = t.shape[i]!;
        const fixedHere = typeof dim === 'number' && dim > 0;
        if (typeof want === 'number' && fixedHere && dim !== want) throw mismatch(`${kind} ${m.name} has dimension ${i} = ${dim} but the card says ${want} ([${t.shape.join(', ')}])`);
        if (typeof want === 'string' && /^[HW]$/.test(want) && fixedHere) {
          throw mismatch(`${kind} ${m.name} has a fixed ${want === 'H' ? 'height' : 'width'} of ${dim}, but the runtime needs dynamic height and width (export with dynamic axes)`);
        }
      });
    }
  };
  check(session.inputMetadata, card.inputs, 'input');
  check(session.outputMetadata, card.outputs, 'output');
}

/** A model loaded from files by {@link loadDeblurModel}. */
export interface LoadedDeblurModel extends DeblurModel {
  readonly card: ModelCard;
  readonly files: ModelFiles;
  /** Intra-op threads of the session. */
  readonly threads: number;
}

class OnnxDeblurModel implements LoadedDeblurModel {
  readonly name: string;
  readonly contract: DeblurModel['contract'];
  private closed = false;
  private released: Promise<void> | undefined;

  constructor(
    private readonly ort: Ort,
    private readonly session: Session,
    readonly card: ModelCard,
    readonly executionProvider: string,
    readonly files: ModelFiles,
    readonly threads: number,
  ) {
    this.name = card.name;
    this.contract = {
      windowSize: card.windowSize,
      centreIndex: card.centreIndex,
      paddingMultiple: card.paddingMultiple,
      minSize: card.minSize,
      motionMapKind: card.motionMapKind,
    };
  }

  async run(feeds: DeblurFeeds): Promise<Float32Array> {
    if (this.closed) throw new Error(`Model ${this.name} is closed; load it again to run it.`);
    const { width: w, height: h } = feeds;
    const t = this.card.windowSize;
    const { Tensor } = this.ort;
    const all = {
      frames: () => new Tensor('float32', feeds.frames, [1, t, 3, h, w]),
      motion: () => new Tensor('float32', feeds.motion, [1, 1, h, w]),
      blurWeights: () => new Tensor('float32', feeds.blurWeights, [1, t]),
      contrastScale: () => new Tensor('float32', feeds.contrastScale, [1, t]),
    };
    // Only the inputs the graph has (an EDVR baseline may take frames alone; see unusedInputs).
    const out = await this.session.run(Object.fromEntries(this.session.inputNames.map((n) => [n, all[n as keyof typeof all]()])));
    const restored = out[CONTRACT_OUTPUT_NAME];
    if (!restored || !(restored.data instanceof Float32Array) || restored.data.length !== 3 * w * h) {
      throw new ModelContractError(this.files.onnxPath, `Model ${this.files.onnxPath} returned ${restored ? `[${restored.dims.join(', ')}]` : 'no restored output'} for a ${w}x${h} input instead of [1, 3, ${h}, ${w}].`);
    }
    return restored.data;
  }

  close(): Promise<void> {
    this.closed = true;
    this.released ??= this.session.release();
    return this.released;
  }
}

/**
 * Loads a deblurring model: finds its files, checks the card and the file's SHA-256, creates an ONNX Runtime
 * session on the device (falling back to the CPU, see the module comment) and checks the session against the card.
 * Contract problems are {@link ModelContractError}s naming the file and the fix. Call `close()` when done.
 */
export async function loadDeblurModel(options: LoadDeblurModelOptions = {}): Promise<LoadedDeblurModel> {
  return openDeblurModel(resolveLoadOptions(options));
}

/**
 * {@link loadDeblurModel} with options already validated. `checks.cudaProviderCheck: false` skips the look for the
 * CUDA provider library, so that ONNX Runtime itself is asked (tests use it to exercise that failure).
 */
export async function openDeblurModel(resolved: ResolvedLoadOptions, checks: { cudaProviderCheck?: boolean } = {}): Promise<LoadedDeblurModel> {
  const { files, device, threads, onWarning } = resolved;
  const card = readModelCard(files.cardPath);
  const bytes = await readFile(files.onnxPath);
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (digest !== card.sha256) {
    throw new ModelContractError(
      files.onnxPath,
      `Model ${files.onnxPath} has SHA-256 ${digest} but its card ${files.cardPath} says ${card.sha256}: the file was changed, truncated or replaced after export. ` +
        'Export the model and its card together again (`python3 -m promotion.export`), or copy both files as they were written.',
    );
  }
  const ort = await loadOrt();
  let session: Session | undefined;
  let provider = 'cpu';
  if (device !== 'cpu') {
    const missing = checks.cudaProviderCheck === false ? undefined : missingCudaProvider();
    try {
      if (missing !== undefined) throw new Error(`onnxruntime-node's CUDA provider is not installed: ${missing} is missing`);
      session = await createSession(ort, bytes, ['cuda', 'cpu'], threads);
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
  if (!session) {
    try {
      session = await createSession(ort, bytes, ['cpu'], threads);
    } catch (cause) {
      throw new ModelContractError(
        files.onnxPath,
        `Model ${files.onnxPath} cannot be loaded by ONNX Runtime (${cause instanceof Error ? cause.message : String(cause)}): it is damaged or not an ONNX model. ` +
          'Export it again with `python3 -m promotion.export`.',
        { cause },
      );
    }
  }
  try {
    checkSessionAgainstCard(session, card, files);
  } catch (error) {
    await session.release();
    throw error;
  }
  return new OnnxDeblurModel(ort, session, card, provider, files, threads);
}
