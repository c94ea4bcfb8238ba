/**
 * Bring your own model: deblurring ONNX graphs that do not follow this project's contract (models/README.md), such
 * as NAFNet or MIMO-UNet exports (one image, `[B, 3, H, W]`) or video models (`[B, T, 3, H, W]`, the centre frame
 * restored). A *plain* model takes one image tensor and returns one; what the runtime must know about it is a
 * minimal card (`<stem>.json` beside the `.onnx`, with `"kind": "plain"`) or options (the CLI's `--model-*` flags):
 * layout, value range, window size, padding multiple and colour order. What neither says is read from the graph
 * (the layout from the input's rank, the window from its fixed T) or takes the defaults below.
 *
 * This file describes and checks plain models and converts tensors; it never loads ONNX Runtime (onnx-session.ts
 * does, and runs the graph). Padding and tiles are `deblur()`'s: each run rectangle is padded to the padding multiple
 * by edge replication and the output cropped back, exactly as for the project's own models.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { ModelContractError } from '../errors.js';
import { expectInteger, expectKnownKeys, expectOneOf, expectString, invalidOption } from '../options.js';

/** How a plain model takes its frames: one image `[B, 3, H, W]` (NCHW) or a window of T `[B, T, 3, H, W]` (NTCHW). */
export type PlainModelLayout = 'nchw' | 'ntchw';
/** The values a plain model takes and gives: `'0,1'`, `'0,255'` or `'-1,1'` (gamma-encoded, as images are stored). */
export type PlainValueRange = '0,1' | '0,255' | '-1,1';
/** Channel order of a plain model's tensors. */
export type PlainColourOrder = 'rgb' | 'bgr';

/** The value ranges a plain model may take. */
export const PLAIN_VALUE_RANGES: readonly PlainValueRange[] = ['0,1', '0,255', '-1,1'];
/** Default value range of a plain model: [0, 1]. */
export const DEFAULT_PLAIN_VALUE_RANGE: PlainValueRange = '0,1';
/** Default colour order of a plain model: RGB. */
export const DEFAULT_PLAIN_COLOUR_ORDER: PlainColourOrder = 'rgb';
/**
 * Default padding multiple of a plain model: 16, enough for encoder-decoders with four 2x downsamplings (NAFNet) and
 * for any that need 4 or 8 (MIMO-UNet), at the cost of a few replicated edge pixels.
 */
export const DEFAULT_PLAIN_PADDING_MULTIPLE = 16;

/** The `kind` a minimal card carries, which tells it from a contract card (which has `contractVersion`). */
export const PLAIN_CARD_KIND = 'plain';

/**
 * What describes a plain model: the minimal card's fields, or the same given as options (`deblur({ plain })`,
 * `--model-layout` ...). Every field is optional: see each for what is used when it is absent.
 */
export interface PlainModelOptions {
  /** 'nchw' (one image) or 'ntchw' (a window of `windowSize` frames). Default: from the graph input's rank (4 or 5). */
  readonly layout?: PlainModelLayout;
  /** NTCHW only: frames per window, odd (the centre one is restored). Default: the graph input's fixed T. */
  readonly windowSize?: number;
  /** Value range of the input and output (default {@link DEFAULT_PLAIN_VALUE_RANGE}). */
  readonly range?: PlainValueRange;
  /** Channel order of the input and output (default {@link DEFAULT_PLAIN_COLOUR_ORDER}). */
  readonly colourOrder?: PlainColourOrder;
  /** Height and width fed to the graph are multiples of this (default {@link DEFAULT_PLAIN_PADDING_MULTIPLE}). */
  readonly paddingMultiple?: number;
  /** Smallest height and width fed to the graph (default: the padding multiple, at least 16). */
  readonly minSize?: number;
  /** Largest tile side the model is meant to run at (default: `deblur()`'s). */
  readonly tileSize?: number;
  /** The graph input to feed (default: its only input). */
  readonly input?: string;
  /** The graph output holding the restored image (default: its first output). */
  readonly output?: string;
  /** The model's name in reports (default: the ONNX file's stem). */
  readonly name?: string;
}

/** The keys of {@link PlainModelOptions} (and of a minimal card, with `kind`, `file` and `sha256`). */
export const PLAIN_MODEL_KEYS = ['layout', 'windowSize', 'range', 'colourOrder', 'paddingMultiple', 'minSize', 'tileSize', 'input', 'output', 'name'] as const;

/** A plain model's description before its graph is seen: options over card over defaults. */
export interface PlainModelSpec extends PlainModelOptions {
  readonly name: string;
  readonly range: PlainValueRange;
  readonly colourOrder: PlainColourOrder;
  readonly paddingMultiple: number;
  readonly minSize: number;
  /** The minimal card it came from, if any. */
  readonly cardPath: string | undefined;
  /** The card's SHA-256 of the ONNX file, when it gives one (checked when the model loads). */
  readonly sha256: string | undefined;
}

/** A plain model fully described: the spec with the graph's input and output and the layout settled. */
export interface PlainModelDescription extends PlainModelSpec {
  readonly layout: PlainModelLayout;
  readonly windowSize: number;
  readonly input: string;
  readonly output: string;
}

/** Checks plain-model options (`name` names them in messages, e.g. 'plain'). Throws {@link InvalidOptionError}s. */
export function checkPlainModelOptions(options: unknown, name = 'plain'): PlainModelOptions {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) invalidOption(name, 'object { layout, windowSize, range, colourOrder, paddingMultiple, ... }', options);
  expectKnownKeys(`${name} options`, options, PLAIN_MODEL_KEYS);
  const o = options as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if (o.layout !== undefined) out.layout = expectOneOf(`${name}.layout`, o.layout, ['nchw', 'ntchw'] as const);
  if (o.windowSize !== undefined) {
    const t = expectInteger(`${name}.windowSize`, o.windowSize, 1, 255);
    if (t % 2 === 0) invalidOption(`${name}.windowSize`, 'odd integer (the centre frame is restored)', t);
    out.windowSize = t;
  }
  if (o.range !== undefined) out.range = expectOneOf(`${name}.range`, Array.isArray(o.range) ? o.range.join(',') : o.range, PLAIN_VALUE_RANGES);
  if (o.colourOrder !== undefined) out.colourOrder = expectOneOf(`${name}.colourOrder`, o.colourOrder, ['rgb', 'bgr'] as const);
  if (o.paddingMultiple !== undefined) out.paddingMultiple = expectInteger(`${name}.paddingMultiple`, o.paddingMultiple, 1, 1024);
  if (o.minSize !== undefined) out.minSize = expectInteger(`${name}.minSize`, o.minSize, 1, 4096);
  if (o.tileSize !== undefined) out.tileSize = expectInteger(`${name}.tileSize`, o.tileSize, 64, 16384);
  for (const key of ['input', 'output', 'name'] as const) if (o[key] !== undefined) out[key] = expectString(`${name}.${key}`, o[key]);
  if (out.layout === 'nchw' && out.windowSize !== undefined && out.windowSize !== 1) invalidOption(`${name}.windowSize`, "1 (or none) with layout 'nchw'", out.windowSize);
  return out as PlainModelOptions;
}

/** Whether parsed JSON is a minimal card (`"kind": "plain"`) rather than a contract card. */
export function isPlainCard(json: unknown): boolean {
  return typeof json === 'object' && json !== null && (json as Record<string, unknown>).kind === PLAIN_CARD_KIND;
}

const CARD_HINT = 'A minimal card is {"kind": "plain", "layout": "nchw" | "ntchw", "windowSize": T, "range": [0, 1] | [0, 255] | [-1, 1], "colourOrder": "rgb" | "bgr", "paddingMultiple": 16} (models/README.md)';

/** Parses a minimal card (see {@link PLAIN_CARD_KIND}); `path` names it in messages. Throws {@link ModelContractError}. */
export function parsePlainCard(json: unknown, path: string): PlainModelOptions & { readonly file?: string; readonly sha256?: string } {
  if (!isPlainCard(json)) throw new ModelContractError(path, `Model card ${path} is not a minimal card (no "kind": "plain"). ${CARD_HINT}.`);
  const { kind: _kind, file, sha256, ...rest } = json as Record<string, unknown>;
  if (file !== undefined && (typeof file !== 'string' || file.length === 0 || basename(file) !== file)) {
    throw new ModelContractError(path, `Model card ${path} has file ${JSON.stringify(file)}; expected the plain name of the .onnx file beside the card, or no file (the card's own stem).`);
  }
  if (sha256 !== undefined && (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256))) {
    throw new ModelContractError(path, `Model card ${path} has sha256 ${JSON.stringify(sha256)}; expected 64 lower-case hex digits, or no sha256.`);
  }
  let options: PlainModelOptions;
  try {
    options = checkPlainModelOptions(rest, 'card');
  } catch (cause) {
    throw new ModelContractError(path, `Model card ${path}: ${(cause as Error).message}. ${CARD_HINT}.`, { cause });
  }
  return { ...options, ...(file !== undefined ? { file: file as string } : {}), ...(sha256 !== undefined ? { sha256: sha256 as string } : {}) };
}

/**
 * Describes the plain model `onnxPath`: its minimal card `cardPath` when one is there (`undefined`: none), under the
 * `options` given (which win over the card), over the defaults. Layout and window stay open until the graph is seen
 * ({@link describePlainGraph}).
 */
export function plainModelSpec(onnxPath: string, cardPath: string | undefined, options: PlainModelOptions = {}): PlainModelSpec {
  let card: ReturnType<typeof parsePlainCard> | undefined;
  if (cardPath !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(cardPath, 'utf8'));
    } catch (cause) {
      throw new ModelContractError(cardPath, `Model card ${cardPath} cannot be read as JSON (${(cause as Error).message}). ${CARD_HINT}.`, { cause });
    }
    card = parsePlainCard(json, cardPath);
  }
  const merged: PlainModelOptions = { ...(card ?? {}), ...options };
  const paddingMultiple = merged.paddingMultiple ?? DEFAULT_PLAIN_PADDING_MULTIPLE;
  return {
    ...merged,
    name: merged.name ?? basename(onnxPath, extname(onnxPath)),
    range: merged.range ?? DEFAULT_PLAIN_VALUE_RANGE,
    colourOrder: merged.colourOrder ?? DEFAULT_PLAIN_COLOUR_ORDER,
    paddingMultiple,
    minSize: merged.minSize ?? Math.max(16, paddingMultiple),
    cardPath,
    sha256: card?.sha256,
  };
}

/** The ONNX file a minimal card names: its `file` beside it, or the card's stem with `.onnx`. */
export function plainCardModelPath(cardPath: string, json: unknown): string {
  const file = parsePlainCard(json, cardPath).file ?? `${basename(cardPath, '.json')}.onnx`;
  return join(dirname(cardPath), file);
}

/** A graph tensor as ONNX Runtime describes it (`inputMetadata` / `outputMetadata`, where it exposes them). */
export interface GraphTensorInfo {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  /** Dimensions: numbers for fixed ones, names (or -1) for dynamic ones. */
  readonly shape?: readonly (number | string)[];
}

/** What {@link describePlainGraph} needs of a session. */
export interface GraphInfo {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata?: readonly GraphTensorInfo[];
  readonly outputMetadata?: readonly GraphTensorInfo[];
}

/** The input names of this project's contract, by which a contract model that lost its card is told apart. */
const CONTRACT_HINT_INPUTS = ['frames', 'motion', 'blurWeights', 'contrastScale', 'featL1'];

const fixed = (d: number | string | undefined): d is number => typeof d === 'number' && d > 0;
const shapeText = (shape: readonly (number | string)[] | undefined) => (shape ? `[${shape.map((d) => (fixed(d) ? d : typeof d === 'string' && d.length > 0 ? d : '?')).join(', ')}]` : '[?]');

/**
 * Settles a plain model's layout, window, input and output against its graph, and checks that the graph takes and
 * gives what the description says: one float32 input of rank 4 `[B, 3, H, W]` (nchw) or 5 `[B, T, 3, H, W]` (ntchw),
 * T the window where fixed, height and width dynamic; an output of rank 4 `[B, 3, H, W]` or 5 `[B, T', 3, H, W]`
 * (the centre frame is taken). Throws {@link ModelContractError} naming the file, the tensor and what was expected.
 */
export function describePlainGraph(graph: GraphInfo, spec: PlainModelSpec, onnxPath: string): PlainModelDescription {
  const fail: (what: string, fix: string) => never = (what, fix) => {
    throw new ModelContractError(onnxPath, `Model ${onnxPath} ${what}. ${fix}`);
  };
  const describeFix = 'Describe the model with a minimal card beside it or the --model-* flags (models/README.md, "Bring your own model").';
  if (spec.input === undefined && graph.inputNames.length !== 1) {
    if (graph.inputNames.some((n) => CONTRACT_HINT_INPUTS.includes(n)) && spec.cardPath === undefined) {
      const card = join(dirname(onnxPath), `${basename(onnxPath, '.onnx')}.json`);
      fail(
        `has no model card: ${card} does not exist, and its inputs [${graph.inputNames.join(', ')}] are this project's contract's, not one image`,
        'The runtime needs the card beside the model; export the model and its card together with `python3 -m promotion.export` (training/), or copy both files as they were written.',
      );
    }
    fail(`has inputs [${graph.inputNames.join(', ')}], but a plain model takes one image input, [B, 3, H, W] or [B, T, 3, H, W]`, `Name the one to feed (input in the card, --model-input), or export the model with one input.`);
  }
  const input = spec.input ?? graph.inputNames[0]!;
  if (!graph.inputNames.includes(input)) fail(`has no input ${input} (its inputs are [${graph.inputNames.join(', ')}])`, describeFix);
  const output = spec.output ?? graph.outputNames[0];
  if (output === undefined || !graph.outputNames.includes(output)) fail(`has no output ${output} (its outputs are [${graph.outputNames.join(', ')}])`, describeFix);
  const inMeta = graph.inputMetadata?.find((m) => m.name === input);
  const outMeta = graph.outputMetadata?.find((m) => m.name === output);
  for (const [kind, name, meta] of [['input', input, inMeta], ['output', output, outMeta]] as const) {
    if (meta && (!meta.isTensor || (meta.type !== undefined && meta.type !== 'float32'))) fail(`has ${kind} ${name} of type ${meta.isTensor ? meta.type : 'non-tensor'}, but a plain model's ${kind} is float32`, 'Export the model with float32 input and output.');
  }
  const inShape = inMeta?.shape;
  let layout = spec.layout;
  if (layout === undefined) {
    if (inShape === undefined) fail(`does not say the rank of its input ${input}`, 'Give the layout (layout in the card, --model-layout nchw|ntchw).');
    layout = inShape.length === 5 ? 'ntchw' : 'nchw';
  }
  const rank = layout === 'ntchw' ? 5 : 4;
  const expected = layout === 'ntchw' ? `[B, ${spec.windowSize ?? 'T'}, 3, H, W]` : '[B, 3, H, W]';
  if (inShape) {
    if (inShape.length !== rank) {
      fail(
        `has input ${input} of rank ${inShape.length} ${shapeText(inShape)}, but ${spec.layout === undefined ? 'a plain model takes' : `layout '${layout}' is`} ${spec.layout === undefined ? '[B, 3, H, W] (one image) or [B, T, 3, H, W] (a window)' : expected}`,
        spec.layout === undefined ? describeFix : `Fix the layout (layout in the card, --model-layout), or export the model to take ${expected}.`,
      );
    }
    const channels = inShape[rank - 3];
    if (fixed(channels) && channels !== 3) fail(`has input ${input} ${shapeText(inShape)} with ${channels} channels where ${expected} has 3`, 'A plain model restores colour images: export it to take 3 channels.');
    const h = inShape[rank - 2];
    const w = inShape[rank - 1];
    if (fixed(h) || fixed(w)) {
      fail(`has input ${input} ${shapeText(inShape)} with a fixed ${fixed(h) ? `height of ${h}` : `width of ${w}`}, but the runtime feeds tiles of any size (multiples of the padding multiple)`, 'Export the model with dynamic height and width (dynamic axes).');
    }
  }
  let windowSize = layout === 'nchw' ? 1 : spec.windowSize;
  if (layout === 'ntchw') {
    const t = inShape?.[1];
    if (fixed(t)) {
      if (windowSize !== undefined && windowSize !== t) fail(`has input ${input} ${shapeText(inShape)}: a window of ${t} frames, but its description says windowSize ${windowSize}`, 'Fix the window size (windowSize in the card, --model-window), or leave it to the graph.');
      windowSize = t;
    }
    if (windowSize === undefined) fail(`has input ${input} ${shapeText(inShape)} whose window size T is not fixed`, 'Give the window size (windowSize in the card, --model-window T).');
    if (windowSize % 2 === 0) fail(`takes a window of ${windowSize} frames; the runtime restores a window's centre frame, so the window must be odd`, 'Export the model with an odd window (3, 5, 7 ...).');
  }
  const outShape = outMeta?.shape;
  if (outShape) {
    if (outShape.length !== 4 && outShape.length !== 5) fail(`has output ${output} of rank ${outShape.length} ${shapeText(outShape)}, but a plain model gives [B, 3, H, W] (or [B, T, 3, H, W], the centre frame taken)`, describeFix);
    const channels = outShape[outShape.length - 3];
    if (fixed(channels) && channels !== 3) fail(`has output ${output} ${shapeText(outShape)} with ${channels} channels where [B, 3, H, W] has 3`, describeFix);
  }
  return { ...spec, layout, windowSize: windowSize!, input, output };
}

/** The low and high end of a value range. */
export function valueRangeBounds(range: PlainValueRange): readonly [number, number] {
  return range === '0,255' ? [0, 255] : range === '-1,1' ? [-1, 1] : [0, 1];
}

/**
 * The window's frames (NTCHW [1, T, 3, H, W], RGB in [0, 1], as `deblur()` makes them) as the model takes them: the
 * same memory layout (NCHW [1, 3, H, W] is NTCHW with T = 1), values mapped to its range, channels in its order.
 * Returns the input itself when nothing changes.
 */
export function toPlainInput(frames: Float32Array, plane: number, description: Pick<PlainModelDescription, 'range' | 'colourOrder'>): Float32Array {
  const [lo, hi] = valueRangeBounds(description.range);
  const bgr = description.colourOrder === 'bgr';
  if (lo === 0 && hi === 1 && !bgr) return frames;
  const out = new Float32Array(frames.length);
  const scale = hi - lo;
  for (let f = 0; f < frames.length; f += 3 * plane) {
    for (let ch = 0; ch < 3; ch++) {
      const src = f + ch * plane;
      const dst = f + (bgr ? 2 - ch : ch) * plane;
      for (let i = 0; i < plane; i++) out[dst + i] = lo + scale * frames[src + i]!;
    }
  }
  return out;
}

/**
 * A plain model's output back to the runtime's: the restored frame as NCHW [1, 3, H, W] RGB, values mapped from the
 * model's range to [0, 1] (not clamped: `deblur()` clamps). `frames` is how many frames the output holds (T' of a
 * [1, T', 3, H, W] output; 1 for [1, 3, H, W]): the centre one (index floor(T' / 2)) is taken.
 */
export function fromPlainOutput(output: Float32Array, plane: number, frames: number, description: Pick<PlainModelDescription, 'range' | 'colourOrder'>): Float32Array {
  const [lo, hi] = valueRangeBounds(description.range);
  const bgr = description.colourOrder === 'bgr';
  const base = Math.floor(frames / 2) * 3 * plane;
  const scale = 1 / (hi - lo);
  const out = new Float32Array(3 * plane);
  for (let ch = 0; ch < 3; ch++) {
    const src = base + (bgr ? 2 - ch : ch) * plane;
    const dst = ch * plane;
    for (let i = 0; i < plane; i++) out[dst + i] = (output[src + i]! - lo) * scale;
  }
  return out;
}
