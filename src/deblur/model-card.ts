/**
 * Deblurring models on disk: an ONNX file `<name>.onnx` and its model card `<name>.json` (models/README.md, the
 * runtime contract), plus, for a model in two parts (contract version 2), the feature graph the card names
 * (`<name>.features.onnx`). This file finds them (by name in the toolkit's `models/` folder, or by path), reads the
 * card and checks it against the contract. It never loads ONNX Runtime: `onnx-session.ts` does, and checks the
 * sessions against the card.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { InputNotFoundError, ModelContractError } from '../errors.js';
import { checkDisOptions, type DisOptions } from '../flow/dis.js';
import type { MotionMapKind } from '../flow/motion-map.js';
import { packageRoot } from '../util/package-root.js';
import type { ClampMotion } from './local-range.js';
import { isPlainCard, plainCardModelPath, plainModelSpec, type PlainModelOptions, type PlainModelSpec } from './plain-model.js';
import { MAX_DECONVOLVE_ITERATIONS } from './deconvolve.js';

/**
 * Contract versions this runtime implements (models/README.md): 1, one graph; 2, two (features per frame, then the
 * window); 3, one graph that also reads the flow vectors; 4, one graph that takes the window's prior maps at half
 * resolution, computed by the runtime (`priors` in place of `contrastScale`).
 */
export const SUPPORTED_CONTRACT_VERSIONS: readonly number[] = [1, 2, 3, 4];

/**
 * The model `deblur()` and `promotion deblur` use when none is named: the shipped CPU model, `promotion-c` (the
 * encoder-decoder shaped for two cores; docs/deblur-model.md: twice `promotion-s`'s gain on the frozen test set in
 * about half its time per frame, the first model to improve the demo's hand-pose RMSE beyond its interval).
 */
export const DEFAULT_DEBLUR_MODEL = 'promotion-c';

/** Input tensor names of contract version 1, in the card's order (contract version 2's restore graph takes them after the features). */
export const CONTRACT_INPUT_NAMES = ['frames', 'motion', 'blurWeights', 'contrastScale'] as const;

/**
 * Contract version 3's further input, after version 1's: the centre frame's flow vectors in pixels per frame,
 * NCHW [B, 4, H, W] (`flowInput` in src/flow/motion-map.ts), from the flows its motion map is made of.
 */
export const FLOW_INPUT_NAME = 'flow';

/**
 * Contract version 4's input in place of `contrastScale`: the window's prior maps averaged over 2x2 pixels, NCHW
 * [B, 3T, H/2, W/2], which the runtime computes from the other inputs and the contrast scales (src/deblur/priors.ts).
 */
export const PRIORS_INPUT_NAME = 'priors';

/** Output tensor name of contract versions 1 to 4. */
export const CONTRACT_OUTPUT_NAME = 'restored';

/** Contract version 2: the feature graph's input, one frame [B, 3, H, W]. */
export const FEATURE_INPUT_NAME = 'frame';

/** Contract version 2: the feature graph's outputs (pyramid levels at 1/4, 1/8, 1/16), and the restore graph's first inputs. */
export const FEATURE_NAMES = ['featL1', 'featL2', 'featL3'] as const;

/** The input names a card of `version` lists for its (restore) graph, in order. */
export function contractInputNames(version: number): readonly string[] {
  if (version === 2) return [...FEATURE_NAMES, ...CONTRACT_INPUT_NAMES];
  if (version === 3) return [...CONTRACT_INPUT_NAMES, FLOW_INPUT_NAME];
  if (version === 4) return ['frames', 'motion', 'blurWeights', PRIORS_INPUT_NAME];
  return CONTRACT_INPUT_NAMES;
}

/** One tensor as the card describes it. `shape` lists dimensions: numbers, or names of dynamic ones (B, H, W). */
export interface ModelCardTensor {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly (number | string)[];
  readonly layout?: string;
}

/** Contract version 2: the feature graph as the card's `features` entry describes it. */
export interface ModelCardFeatures {
  /** File name of the feature graph, beside the card (`<name>.features.onnx`). */
  readonly file: string;
  /** SHA-256 of that file, lower-case hex. */
  readonly sha256: string;
  readonly inputs: readonly ModelCardTensor[];
  readonly outputs: readonly ModelCardTensor[];
}

/** What the runtime reads from a model card (the card holds more: training, validation; kept in `raw`). */
export interface ModelCard {
  readonly contractVersion: number;
  readonly name: string;
  /** File name of the ONNX model (with contract version 2, the restore graph), beside the card. */
  readonly file: string;
  /** SHA-256 of the ONNX file, lower-case hex. */
  readonly sha256: string;
  /** Contract version 2: the feature graph; undefined for version 1. */
  readonly features: ModelCardFeatures | undefined;
  /** Frames per window (5) and the restored frame's position in it (2). */
  readonly windowSize: number;
  readonly centreIndex: number;
  readonly motionMapKind: MotionMapKind;
  /**
   * The optical flow options the card's `motionMap.flow` gives for the motion input (src/flow/dis.ts; e.g.
   * `{ finestLevel: 1 }`: the flow at half resolution, upsampled), or undefined for the definition's own
   * (`MOTION_MAP_FLOW`, full resolution).
   */
  readonly motionFlow: DisOptions | undefined;
  /** Height and width given to the network are multiples of this (16) and at least `minSize` (32). */
  readonly paddingMultiple: number;
  readonly minSize: number;
  /**
   * The largest tile side the model is meant to run at (the card's optional `tileSize`), used by `deblur()` when no
   * tile size is given: an encoder-decoder restores a 640x480 frame in one call with little memory, where an EDVR
   * model is kept to 512-pixel tiles. Undefined: the runtime's default.
   */
  readonly tileSize: number | undefined;
  /**
   * The radius of the clamp to the input's local range the model was trained through or measured best at (the card's optional
   * `clampRadius`, 0-64; 0: none), used by `deblur()` when no clampRadius is given. Undefined: the runtime's default.
   */
  readonly clampRadius: number | undefined;
  /**
   * The clamp's radius following the motion (the card's optional `clampMotion`, training's `train.clamp_motion`):
   * each pixel's radius is floor(scale x its motion in px + 1/2), from `clampRadius` up to `maxRadius`
   * (local-range.ts, `motionRadius`). Needs `clampRadius` (at least 1) and the magnitude motion map.
   */
  readonly clampMotion: ClampMotion | undefined;
  /**
   * The residual's deadband in 8-bit grey levels (the card's optional `deadband`, 0-16; local-range.ts,
   * `applyDeadband`), used by `deblur()` when none is given: each output sample's change from the input shrinks
   * towards zero by this much before the clamp. Undefined: none.
   */
  readonly deadband: number | undefined;
  /**
   * Where the deadband applies (the card's optional `deadbandFlat`, 0-255, needs `deadband`): only where each channel
   * of the input spans at most this many grey levels within the clamp's base radius. Undefined: everywhere.
   */
  readonly deadbandFlat: number | undefined;
  /**
   * Richardson-Lucy steps along the optical flow after the network (the card's optional `deconvolve`, an integer
   * from 0 to 50; deconvolve.ts), used by `deblur()` when none is given. Undefined: none.
   */
  readonly deconvolve: number | undefined;
  /** The (restore) graph's inputs and outputs. */
  readonly inputs: readonly ModelCardTensor[];
  readonly outputs: readonly ModelCardTensor[];
  /** `architecture.preset`, when the card names one (e.g. 'promotion-s', 'edvr-s'). */
  readonly preset: string | undefined;
  /** The whole card as parsed JSON. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** Where a model's files are. */
export interface ModelFiles {
  /** The model as the caller named it. */
  readonly reference: string;
  /** The ONNX model (with contract version 2, the restore graph). */
  readonly onnxPath: string;
  readonly cardPath: string;
  /** Contract version 2: the feature graph, beside the card; absent for version 1. */
  readonly featuresPath?: string;
  /**
   * A plain model (plain-model.ts: a graph without this project's contract, described by a minimal card or options):
   * its description so far. `cardPath` is then its minimal card, or, when it has none, where one would be.
   */
  readonly plain?: PlainModelSpec;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const EXPORT_HINT = 'export the model and its card together with `python3 -m promotion.export` (training/), or copy both files as they were written';

/** The toolkit's `models/` folder. */
export function modelsDir(): string {
  return join(packageRoot(), 'models');
}

/** The models in a folder, by stem (for error messages): its `.onnx` files and its cards (`.json`). */
function listModels(dir: string): string[] {
  try {
    const stems = readdirSync(dir)
      .filter((f) => f.endsWith('.onnx') || (f.endsWith('.json') && !f.endsWith('.features.json')))
      .map((f) => f.slice(0, f.lastIndexOf('.')));
    return [...new Set(stems)].sort();
  } catch {
    return [];
  }
}

/**
 * Finds a model's files. `reference` is a name in the toolkit's `models/` folder (`promotion-s`), a path to an
 * `.onnx` file (its card is the `.json` beside it with the same stem), or a path to a card (`.json`; its `file`
 * field names the ONNX file beside it). Throws {@link InputNotFoundError} when a file does not exist. Reads and
 * checks the card ({@link readModelCard}): a broken card, or the feature graph of a two-part model missing, is a
 * {@link ModelContractError}.
 *
 * A minimal card (`"kind": "plain"`), or an `.onnx` file with no card beside it, is a plain model (plain-model.ts):
 * the result's `plain` holds its description, `plain` options over the card's; the graph settles the rest when it
 * is loaded (a card-less graph with this project's contract inputs is refused then, as a model that lost its card).
 */
export function resolveModelFiles(reference: string = DEFAULT_DEBLUR_MODEL, plain: PlainModelOptions = {}): ModelFiles {
  const isPath = reference.includes('/') || reference.includes('\\') || isAbsolute(reference) || ['.onnx', '.json'].includes(extname(reference));
  if (!isPath && !NAME_PATTERN.test(reference)) {
    throw new InputNotFoundError(reference, `Model ${JSON.stringify(reference)} is neither a model name (letters, digits, . _ -) nor a path to an .onnx or .json file.`);
  }
  let onnxPath: string;
  let cardPath: string;
  if (!isPath) {
    const dir = modelsDir();
    onnxPath = join(dir, `${reference}.onnx`);
    cardPath = join(dir, `${reference}.json`);
    // A card with no network of its own name runs the network its `file` names (the same weights with other settings).
    if (!existsSync(onnxPath) && existsSync(cardPath)) {
      const json = readCardJson(cardPath);
      if (!isPlainCard(json)) onnxPath = join(dir, parseModelCard(json, cardPath).file);
    }
    if (!existsSync(onnxPath)) {
      const available = listModels(dir);
      throw new InputNotFoundError(
        onnxPath,
        `Model ${reference} not found: ${onnxPath} does not exist. Models in ${dir}: ${available.length > 0 ? available.join(', ') : '(none)'}. ` +
          (reference === DEFAULT_DEBLUR_MODEL
            ? 'This is the shipped default model: reinstall promotion-handpose, or pass another model by name or path (--model, option model).'
            : 'Pass one of those names, or a path to an .onnx file with its .json card beside it (--model, option model).'),
      );
    }
  } else if (extname(reference) === '.json') {
    cardPath = resolve(reference);
    if (!existsSync(cardPath)) throw new InputNotFoundError(cardPath, `Model card ${cardPath} does not exist. Check the path, or name the .onnx file instead.`);
    // The ONNX file's name comes from the card; a broken card is reported by readModelCard.
    const json = readCardJson(cardPath);
    onnxPath = isPlainCard(json) ? plainCardModelPath(cardPath, json) : join(dirname(cardPath), parseModelCard(json, cardPath).file);
  } else {
    onnxPath = resolve(extname(reference) === '.onnx' ? reference : `${reference}.onnx`);
    cardPath = join(dirname(onnxPath), `${basename(onnxPath, '.onnx')}.json`);
  }
  if (!existsSync(onnxPath) || !statSync(onnxPath).isFile()) {
    throw new InputNotFoundError(onnxPath, `Model file ${onnxPath} does not exist. Check the path (relative paths start at ${process.cwd()}), or name a model in ${modelsDir()}.`);
  }
  if (!existsSync(cardPath)) return { reference, onnxPath, cardPath, plain: plainModelSpec(onnxPath, undefined, plain) };
  const json = readCardJson(cardPath);
  if (isPlainCard(json)) return { reference, onnxPath, cardPath, plain: plainModelSpec(onnxPath, cardPath, plain) };
  const { features } = parseModelCard(json, cardPath);
  if (features === undefined) return { reference, onnxPath, cardPath };
  const featuresPath = join(dirname(cardPath), features.file);
  if (!existsSync(featuresPath) || !statSync(featuresPath).isFile()) {
    throw new ModelContractError(
      featuresPath,
      `Model ${onnxPath} is in two parts (contract version 2), but its feature graph ${featuresPath}, named by its card ${cardPath}, does not exist. ` +
        'Copy it beside the model with the other two files (`python3 -m promotion.export --contract 2` writes all three together), or export the model again.',
    );
  }
  return { reference, onnxPath, cardPath, featuresPath };
}

function fail(path: string, what: string): never {
  throw new ModelContractError(path, `Model card ${path} ${what}; ${EXPORT_HINT}.`);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPositiveInteger = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** Splits a card shape (`["B, 5, 3, H, W"]` as export.py writes it, or a list of dims) into dimensions. */
export function parseCardShape(shape: unknown): (number | string)[] | undefined {
  if (!Array.isArray(shape)) return undefined;
  const parts = shape.flatMap((s: unknown) => (typeof s === 'string' ? s.split(',').map((d) => d.trim()) : [s]));
  const dims = parts.map((d) => (typeof d === 'number' ? d : typeof d === 'string' && /^\d+$/.test(d) ? Number(d) : d));
  return dims.every((d) => (typeof d === 'number' && Number.isInteger(d) && d > 0) || (typeof d === 'string' && d.length > 0)) ? (dims as (number | string)[]) : undefined;
}

const checkFileName = (path: string, value: unknown, field: string): string => {
  if (typeof value !== 'string' || value.length === 0 || basename(value) !== value) fail(path, `has no plain file name in field ${field} (${JSON.stringify(value)})`);
  return value;
};
const checkSha256 = (path: string, value: unknown, field: string): string => {
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) fail(path, `has no SHA-256 (64 lower-case hex digits) in field ${field} (${JSON.stringify(value)})`);
  return value;
};

function parseTensors(path: string, value: unknown, field: string): ModelCardTensor[] {
  if (!Array.isArray(value)) fail(path, `has no ${field} list`);
  return value.map((t: unknown, i) => {
    if (!isRecord(t) || typeof t.name !== 'string') fail(path, `has an entry ${i} in ${field} without a name`);
    const shape = parseCardShape(t.shape);
    if (!shape) fail(path, `gives ${field} ${t.name} a shape that is not a list of dimensions (${JSON.stringify(t.shape)})`);
    return { name: t.name, dtype: String(t.dtype), shape, ...(typeof t.layout === 'string' ? { layout: t.layout } : {}) };
  });
}

/** Checks a parsed card against the contract and returns what the runtime needs. `path` is for messages. */
export function parseModelCard(json: unknown, path: string): ModelCard {
  if (!isRecord(json)) fail(path, 'is not a JSON object');
  const version = json.contractVersion;
  if (!SUPPORTED_CONTRACT_VERSIONS.includes(version as number)) {
    throw new ModelContractError(
      path,
      `Model card ${path} has contractVersion ${JSON.stringify(version)}, but this runtime implements contract version${SUPPORTED_CONTRACT_VERSIONS.length > 1 ? 's' : ''} ${SUPPORTED_CONTRACT_VERSIONS.join(', ')} ` +
        '(models/README.md). Use a model exported for that version, or a version of promotion-handpose that knows this one.',
    );
  }
  if (typeof json.name !== 'string' || json.name.length === 0) fail(path, 'has no name');
  const file = checkFileName(path, json.file, 'file');
  const sha256 = checkSha256(path, json.sha256, 'sha256');
  const { windowSize, centreIndex, paddingMultiple, minSize } = json;
  if (!isPositiveInteger(windowSize) || windowSize % 2 === 0) fail(path, `has windowSize ${JSON.stringify(windowSize)}; expected an odd positive integer`);
  if (centreIndex !== (windowSize - 1) / 2) fail(path, `has centreIndex ${JSON.stringify(centreIndex)}; with windowSize ${windowSize} the centre is ${(windowSize - 1) / 2}`);
  if (!isPositiveInteger(paddingMultiple)) fail(path, `has paddingMultiple ${JSON.stringify(paddingMultiple)}; expected a positive integer`);
  if (!isPositiveInteger(minSize)) fail(path, `has minSize ${JSON.stringify(minSize)}; expected a positive integer`);
  const motion = json.motionMap;
  const kind = isRecord(motion) ? motion.kind : undefined;
  if (kind !== 'magnitude' && kind !== 'colour') fail(path, `has motionMap.kind ${JSON.stringify(kind)}; expected 'magnitude' or 'colour'`);
  const flow = isRecord(motion) ? motion.flow : undefined;
  if (flow !== undefined) {
    if (!isRecord(flow)) fail(path, `has motionMap.flow ${JSON.stringify(flow)}; expected optical flow options such as { "finestLevel": 1 }`);
    try {
      checkDisOptions(flow as DisOptions);
    } catch (cause) {
      fail(path, `has motionMap.flow ${JSON.stringify(flow)}, which the optical flow refuses (${(cause as Error).message})`);
    }
  }
  const inputs = parseTensors(path, json.inputs, 'inputs');
  const outputs = parseTensors(path, json.outputs, 'outputs');
  const inputNames = inputs.map((t) => t.name);
  const expected = contractInputNames(version as number);
  if (inputNames.length !== expected.length || expected.some((n) => !inputNames.includes(n))) {
    fail(path, `lists inputs [${inputNames.join(', ')}], but contract version ${version as number} has [${expected.join(', ')}]`);
  }
  if (!outputs.some((t) => t.name === CONTRACT_OUTPUT_NAME)) fail(path, `lists outputs [${outputs.map((t) => t.name).join(', ')}] without ${CONTRACT_OUTPUT_NAME}`);
  const frames = inputs.find((t) => t.name === 'frames')!;
  if (frames.shape.length !== 5 || frames.shape[1] !== windowSize || frames.shape[2] !== 3) {
    fail(path, `gives input frames the shape [${frames.shape.join(', ')}], but a window of ${windowSize} RGB frames is [B, ${windowSize}, 3, H, W]`);
  }
  const priors = inputs.find((t) => t.name === PRIORS_INPUT_NAME);
  if (priors && (priors.shape.length !== 4 || priors.shape[1] !== 3 * windowSize || priors.shape[2] !== 'H/2' || priors.shape[3] !== 'W/2')) {
    fail(path, `gives input ${PRIORS_INPUT_NAME} the shape [${priors.shape.join(', ')}], but the prior maps of a window of ${windowSize} frames at half resolution are [B, ${3 * windowSize}, H/2, W/2]`);
  }
  const features = version === 2 ? parseFeatures(path, json.features, file, windowSize, inputs) : undefined;
  if (version !== 2 && json.features !== undefined) fail(path, `has a features entry, which only contract version 2 (a model in two parts) has`);
  const tileSize = json.tileSize;
  if (tileSize !== undefined && (!isPositiveInteger(tileSize) || tileSize < minSize)) fail(path, `has tileSize ${JSON.stringify(tileSize)}; expected an integer of at least minSize (${minSize}), or no tileSize`);
  const clampRadius = json.clampRadius;
  if (clampRadius !== undefined && (typeof clampRadius !== 'number' || !Number.isInteger(clampRadius) || clampRadius < 0 || clampRadius > 64)) {
    fail(path, `has clampRadius ${JSON.stringify(clampRadius)}; expected an integer from 0 to 64, or no clampRadius`);
  }
  const clampMotion = json.clampMotion;
  if (clampMotion !== undefined) {
    const ok =
      isRecord(clampMotion) &&
      Object.keys(clampMotion).every((k) => k === 'scale' || k === 'maxRadius') &&
      typeof clampMotion.scale === 'number' &&
      Number.isFinite(clampMotion.scale) &&
      clampMotion.scale >= 0 &&
      typeof clampMotion.maxRadius === 'number' &&
      Number.isInteger(clampMotion.maxRadius) &&
      clampMotion.maxRadius <= 64 &&
      typeof clampRadius === 'number' &&
      clampRadius >= 1 &&
      clampMotion.maxRadius >= clampRadius;
    if (!ok) {
      fail(path, `has clampMotion ${JSON.stringify(clampMotion)}; expected { "scale": a number >= 0, "maxRadius": an integer from clampRadius (which it needs, at least 1) to 64 }, or no clampMotion`);
    }
    if (kind !== 'magnitude') fail(path, `has clampMotion with a ${kind} motion map; the clamp reads the motion in pixels from the magnitude map`);
  }
  const deadband = json.deadband;
  if (deadband !== undefined && (typeof deadband !== 'number' || !Number.isFinite(deadband) || deadband < 0 || deadband > 16)) {
    fail(path, `has deadband ${JSON.stringify(deadband)}; expected a number of 8-bit grey levels from 0 to 16, or no deadband`);
  }
  const deadbandFlat = json.deadbandFlat;
  if (deadbandFlat !== undefined && (typeof deadbandFlat !== 'number' || !Number.isFinite(deadbandFlat) || deadbandFlat < 0 || deadbandFlat > 255 || deadband === undefined)) {
    fail(path, `has deadbandFlat ${JSON.stringify(deadbandFlat)}; expected a number of grey levels from 0 to 255 beside a deadband, or no deadbandFlat`);
  }
  const deconvolve = json.deconvolve;
  if (deconvolve !== undefined && (typeof deconvolve !== 'number' || !Number.isInteger(deconvolve) || deconvolve < 0 || deconvolve > MAX_DECONVOLVE_ITERATIONS)) {
    fail(path, `has deconvolve ${JSON.stringify(deconvolve)}; expected a whole number of Richardson-Lucy steps from 0 to ${MAX_DECONVOLVE_ITERATIONS}, or no deconvolve`);
  }
  if (deconvolve !== undefined && deconvolve > 0 && kind !== 'magnitude') fail(path, `has deconvolve with a ${kind} motion map; the deconvolution follows the flow the magnitude map is made of`);
  const architecture = json.architecture;
  const preset = isRecord(architecture) && typeof architecture.preset === 'string' ? architecture.preset : undefined;
  return {
    contractVersion: version as number,
    name: json.name,
    file,
    sha256,
    features,
    windowSize,
    centreIndex: centreIndex as number,
    motionMapKind: kind,
    motionFlow: flow as DisOptions | undefined,
    paddingMultiple,
    minSize,
    tileSize,
    clampRadius,
    clampMotion: clampMotion as ClampMotion | undefined,
    deadband,
    deadbandFlat,
    deconvolve,
    inputs,
    outputs,
    preset,
    raw: json,
  };
}

/**
 * The `features` entry of a contract version 2 card: the feature graph's file (not the restore graph's), its
 * SHA-256, input `frame` [B, 3, H, W] and outputs featL1..3 [B, C, h, w], whose C the restore graph's featL1..3
 * [B, windowSize, C, h, w] share.
 */
function parseFeatures(path: string, value: unknown, restoreFile: string, windowSize: number, restoreInputs: readonly ModelCardTensor[]): ModelCardFeatures {
  if (!isRecord(value)) fail(path, 'has contractVersion 2 but no features entry (the feature graph: file, sha256, inputs, outputs)');
  const file = checkFileName(path, value.file, 'features.file');
  if (file === restoreFile) fail(path, `names one file, ${file}, for both parts (file and features.file)`);
  const sha256 = checkSha256(path, value.sha256, 'features.sha256');
  const inputs = parseTensors(path, value.inputs, 'features.inputs');
  const outputs = parseTensors(path, value.outputs, 'features.outputs');
  const frame = inputs[0];
  if (inputs.length !== 1 || frame?.name !== FEATURE_INPUT_NAME) {
    fail(path, `lists features.inputs [${inputs.map((t) => t.name).join(', ')}], but contract version 2's feature graph has [${FEATURE_INPUT_NAME}]`);
  }
  if (frame.shape.length !== 4 || frame.shape[1] !== 3) fail(path, `gives features input ${FEATURE_INPUT_NAME} the shape [${frame.shape.join(', ')}], but one RGB frame is [B, 3, H, W]`);
  for (const name of FEATURE_NAMES) {
    const out = outputs.find((t) => t.name === name);
    if (!out) fail(path, `lists features.outputs [${outputs.map((t) => t.name).join(', ')}] without ${name}`);
    const input = restoreInputs.find((t) => t.name === name)!;
    if (out.shape.length !== 4) fail(path, `gives features output ${name} the shape [${out.shape.join(', ')}]; expected [B, C, h, w]`);
    if (input.shape.length !== 5 || input.shape[1] !== windowSize) fail(path, `gives input ${name} the shape [${input.shape.join(', ')}], but a window's ${name} is [B, ${windowSize}, C, h, w]`);
    if (typeof out.shape[1] === 'number' && typeof input.shape[2] === 'number' && out.shape[1] !== input.shape[2]) {
      fail(path, `gives features output ${name} ${out.shape[1]} channels but input ${name} ${input.shape[2]}`);
    }
  }
  return { file, sha256, inputs, outputs };
}

/** Reads a card file as JSON; an unreadable file or bad JSON is a {@link ModelContractError} naming it. */
export function readCardJson(cardPath: string): unknown {
  let text: string;
  try {
    text = readFileSync(cardPath, 'utf8');
  } catch (cause) {
    throw new ModelContractError(cardPath, `Model card ${cardPath} cannot be read (${(cause as Error).message}); ${EXPORT_HINT}.`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new ModelContractError(cardPath, `Model card ${cardPath} is not valid JSON (${(cause as Error).message}); ${EXPORT_HINT}.`, { cause });
  }
}

/** Reads and checks a model card file (see {@link parseModelCard}). */
export function readModelCard(cardPath: string): ModelCard {
  return parseModelCard(readCardJson(cardPath), cardPath);
}
