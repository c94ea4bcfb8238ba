/**
 * Deblurring models on disk: an ONNX file `<name>.onnx` and its model card `<name>.json` (models/README.md, the
 * runtime contract). This file finds them (by name in the toolkit's `models/` folder, or by path), reads the card
 * and checks it against the contract. It never loads ONNX Runtime: `onnx-session.ts` does, and checks the session
 * against the card.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { InputNotFoundError, ModelContractError } from '../errors.js';
import type { MotionMapKind } from '../flow/motion-map.js';
import { packageRoot } from '../util/package-root.js';

/** Contract versions this runtime implements (models/README.md). */
export const SUPPORTED_CONTRACT_VERSIONS: readonly number[] = [1];

/** The model `deblur()` and `promotion deblur` use when none is named: the shipped CPU model. */
export const DEFAULT_DEBLUR_MODEL = 'promotion-s';

/** Input tensor names of contract version 1, in the card's order. */
export const CONTRACT_INPUT_NAMES = ['frames', 'motion', 'blurWeights', 'contrastScale'] as const;

/** Output tensor name of contract version 1. */
export const CONTRACT_OUTPUT_NAME = 'restored';

/** One tensor as the card describes it. `shape` lists dimensions: numbers, or names of dynamic ones (B, H, W). */
export interface ModelCardTensor {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly (number | string)[];
  readonly layout?: string;
}

/** What the runtime reads from a model card (the card holds more: training, validation; kept in `raw`). */
export interface ModelCard {
  readonly contractVersion: number;
  readonly name: string;
  /** File name of the ONNX model, beside the card. */
  readonly file: string;
  /** SHA-256 of the ONNX file, lower-case hex. */
  readonly sha256: string;
  /** Frames per window (5) and the restored frame's position in it (2). */
  readonly windowSize: number;
  readonly centreIndex: number;
  readonly motionMapKind: MotionMapKind;
  /** Height and width given to the network are multiples of this (16) and at least `minSize` (32). */
  readonly paddingMultiple: number;
  readonly minSize: number;
  readonly inputs: readonly ModelCardTensor[];
  readonly outputs: readonly ModelCardTensor[];
  /** `architecture.preset`, when the card names one (e.g. 'promotion-s', 'edvr-s'). */
  readonly preset: string | undefined;
  /** The whole card as parsed JSON. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** Where a model's two files are. */
export interface ModelFiles {
  /** The model as the caller named it. */
  readonly reference: string;
  readonly onnxPath: string;
  readonly cardPath: string;
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const EXPORT_HINT = 'export the model and its card together with `python3 -m promotion.export` (training/), or copy both files as they were written';

/** The toolkit's `models/` folder. */
export function modelsDir(): string {
  return join(packageRoot(), 'models');
}

/** The `.onnx` files in a folder, by stem (for error messages). */
function listModels(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.onnx'))
      .map((f) => f.slice(0, -'.onnx'.length))
      .sort();
  } catch {
    return [];
  }
}

/**
 * Finds a model's files. `reference` is a name in the toolkit's `models/` folder (`promotion-s`), a path to an
 * `.onnx` file (its card is the `.json` beside it with the same stem), or a path to a card (`.json`; its `file`
 * field names the ONNX file beside it). Throws {@link InputNotFoundError} when a file does not exist.
 */
export function resolveModelFiles(reference: string = DEFAULT_DEBLUR_MODEL): ModelFiles {
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
    const card = readModelCard(cardPath);
    onnxPath = join(dirname(cardPath), card.file);
  } else {
    onnxPath = resolve(extname(reference) === '.onnx' ? reference : `${reference}.onnx`);
    cardPath = join(dirname(onnxPath), `${basename(onnxPath, '.onnx')}.json`);
  }
  if (!existsSync(onnxPath) || !statSync(onnxPath).isFile()) {
    throw new InputNotFoundError(onnxPath, `Model file ${onnxPath} does not exist. Check the path (relative paths start at ${process.cwd()}), or name a model in ${modelsDir()}.`);
  }
  if (!existsSync(cardPath)) {
    throw new ModelContractError(cardPath, `Model ${onnxPath} has no model card: ${cardPath} does not exist. The runtime needs the card beside the model; ${EXPORT_HINT}.`);
  }
  return { reference, onnxPath, cardPath };
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
      `Model card ${path} has contractVersion ${JSON.stringify(version)}, but this runtime implements contract version ${SUPPORTED_CONTRACT_VERSIONS.join(', ')} ` +
        '(models/README.md). Use a model exported for that version, or a version of promotion-handpose that knows this one.',
    );
  }
  if (typeof json.name !== 'string' || json.name.length === 0) fail(path, 'has no name');
  if (typeof json.file !== 'string' || json.file.length === 0 || basename(json.file) !== json.file) fail(path, `has no plain file name in field file (${JSON.stringify(json.file)})`);
  if (typeof json.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(json.sha256)) fail(path, `has no SHA-256 (64 lower-case hex digits) in field sha256 (${JSON.stringify(json.sha256)})`);
  const { windowSize, centreIndex, paddingMultiple, minSize } = json;
  if (!isPositiveInteger(windowSize) || windowSize % 2 === 0) fail(path, `has windowSize ${JSON.stringify(windowSize)}; expected an odd positive integer`);
  if (centreIndex !== (windowSize - 1) / 2) fail(path, `has centreIndex ${JSON.stringify(centreIndex)}; with windowSize ${windowSize} the centre is ${(windowSize - 1) / 2}`);
  if (!isPositiveInteger(paddingMultiple)) fail(path, `has paddingMultiple ${JSON.stringify(paddingMultiple)}; expected a positive integer`);
  if (!isPositiveInteger(minSize)) fail(path, `has minSize ${JSON.stringify(minSize)}; expected a positive integer`);
  const motion = json.motionMap;
  const kind = isRecord(motion) ? motion.kind : undefined;
  if (kind !== 'magnitude' && kind !== 'colour') fail(path, `has motionMap.kind ${JSON.stringify(kind)}; expected 'magnitude' or 'colour'`);
  const inputs = parseTensors(path, json.inputs, 'inputs');
  const outputs = parseTensors(path, json.outputs, 'outputs');
  const inputNames = inputs.map((t) => t.name);
  if (inputNames.length !== CONTRACT_INPUT_NAMES.length || CONTRACT_INPUT_NAMES.some((n) => !inputNames.includes(n))) {
    fail(path, `lists inputs [${inputNames.join(', ')}], but contract version ${version as number} has [${CONTRACT_INPUT_NAMES.join(', ')}]`);
  }
  if (!outputs.some((t) => t.name === CONTRACT_OUTPUT_NAME)) fail(path, `lists outputs [${outputs.map((t) => t.name).join(', ')}] without ${CONTRACT_OUTPUT_NAME}`);
  const frames = inputs.find((t) => t.name === 'frames')!;
  if (frames.shape.length !== 5 || frames.shape[1] !== windowSize || frames.shape[2] !== 3) {
    fail(path, `gives input frames the shape [${frames.shape.join(', ')}], but a window of ${windowSize} RGB frames is [B, ${windowSize}, 3, H, W]`);
  }
  const architecture = json.architecture;
  const preset = isRecord(architecture) && typeof architecture.preset === 'string' ? architecture.preset : undefined;
  return {
    contractVersion: version as number,
    name: json.name,
    file: json.file,
    sha256: json.sha256,
    windowSize,
    centreIndex: centreIndex as number,
    motionMapKind: kind,
    paddingMultiple,
    minSize,
    inputs,
    outputs,
    preset,
    raw: json,
  };
}

/** Reads and checks a model card file (see {@link parseModelCard}). */
export function readModelCard(cardPath: string): ModelCard {
  let text: string;
  try {
    text = readFileSync(cardPath, 'utf8');
  } catch (cause) {
    throw new ModelContractError(cardPath, `Model card ${cardPath} cannot be read (${(cause as Error).message}); ${EXPORT_HINT}.`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ModelContractError(cardPath, `Model card ${cardPath} is not valid JSON (${(cause as Error).message}); ${EXPORT_HINT}.`, { cause });
  }
  return parseModelCard(json, cardPath);
}
