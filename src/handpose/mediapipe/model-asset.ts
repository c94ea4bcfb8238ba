/**
 * The hand landmarker model, assembled offline. No npm package ships MediaPipe's `hand_landmarker.task`, but
 * `@mediapipe/hands@0.4.1675469240` (Apache-2.0) ships its two networks: `hand_landmark_{full,lite}.tflite`, and
 * `palm_detection_{full,lite}.tflite` packed inside `hands_solution_packed_assets.data` (its loader script lists the
 * byte ranges). Those legacy files carry no TFLite metadata, which the Tasks graph needs for a float image input, so
 * each gets a metadata entry (RGB image, normalization mean 0, std 255: pixels to [0, 1], as the legacy solution
 * fed them; see mediapipe/tflite-metadata.ts). The two models are then zipped into a `.task` bundle (mediapipe/task-bundle.ts).
 *
 * Assembly is deterministic, so the bundle's SHA-256 is a constant ({@link HAND_LANDMARKER_TASK_SHA256}). The
 * bundle is assembled on first use and cached (written atomically: a temporary file, then a rename); a cached file
 * is used only when its checksum matches, and a freshly assembled one that does not match (other or damaged
 * `@mediapipe/hands` files) is a {@link ModelAssetError}. Nothing is downloaded.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ModelAssetError } from '../../errors.js';
import { expectKnownKeys, expectOneOf, expectString } from '../../options.js';
import { writeTaskBundle } from './task-bundle.js';
import { attachTfliteMetadata, buildImageInputMetadata } from './tflite-metadata.js';

/** The two model sizes MediaPipe publishes: `full` (more accurate) and `lite` (faster). */
export type HandModelVariant = 'full' | 'lite';

/** Every {@link HandModelVariant}. */
export const HAND_MODEL_VARIANTS: readonly HandModelVariant[] = ['full', 'lite'];

/** The `@mediapipe/hands` version the models come from (pinned exactly in package.json). */
export const MEDIAPIPE_HANDS_VERSION = '0.4.1675469240';

/** SHA-256 of the assembled `.task` bundle of each variant. Recorded from the first assembly; assembly is deterministic. */
export const HAND_LANDMARKER_TASK_SHA256: Readonly<Record<HandModelVariant, string>> = {
  full: '2bdd32002a0ce2010d395ec0eb89cf5094b48a5199e75e33f9341499466bb773',
  lite: '085342db1c59ee09fbe5e03bc97dd3a263f63dffc99a3ffcb556b580c1183543',
};

/** Environment variable that moves the model cache (default: `node_modules/.cache/promotion-handpose`). */
export const CACHE_DIR_ENV = 'PROMOTION_CACHE_DIR';

/** Names of the bundle members, as MediaPipe's HandLandmarker graph expects them. */
export const TASK_MEMBER_NAMES = { detector: 'hand_detector.tflite', landmarks: 'hand_landmarks_detector.tflite' } as const;

/** Normalization written into both models' metadata: (x - 0) / 255, pixels to [0, 1]. */
export const HAND_MODEL_INPUT_NORMALIZATION = { mean: [0], std: [255] } as const;

/** Options of {@link loadHandLandmarkerModel}. */
export interface HandModelAssetOptions {
  /** Which model (default 'full'). */
  model?: HandModelVariant;
  /** Where the assembled bundle is cached (default: env PROMOTION_CACHE_DIR, else `node_modules/.cache/promotion-handpose`). */
  cacheDir?: string;
  /** Folder of the `@mediapipe/hands` package to assemble from (default: the installed one). */
  sourceDir?: string;
}

/** An assembled, verified model bundle. */
export interface HandModelAsset {
  readonly model: HandModelVariant;
  /** The `.task` bundle. */
  readonly bytes: Uint8Array;
  readonly sha256: string;
  /** Where it is cached (undefined when the cache folder could not be written). */
  readonly path: string | undefined;
  /** True when it came from the cache, false when it was assembled now. */
  readonly fromCache: boolean;
}

const require = createRequire(import.meta.url);

/** The installed `@mediapipe/hands` folder. */
export function mediapipeHandsDir(): string {
  try {
    return dirname(require.resolve('@mediapipe/hands/package.json'));
  } catch (cause) {
    throw new ModelAssetError(
      `The package @mediapipe/hands is not installed; the hand landmarker model is assembled from it. Run \`npm ci\` (it is a dependency, pinned to ${MEDIAPIPE_HANDS_VERSION}).`,
      undefined,
      { cause },
    );
  }
}

/** The default cache folder: env PROMOTION_CACHE_DIR, else `.cache/promotion-handpose` in the node_modules holding @mediapipe/hands. */
export function defaultModelCacheDir(): string {
  const fromEnv = process.env[CACHE_DIR_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  // <node_modules>/@mediapipe/hands -> <node_modules>/.cache/promotion-handpose
  return join(dirname(dirname(mediapipeHandsDir())), '.cache', 'promotion-handpose');
}

/** Hex SHA-256 of bytes. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function readSource(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (cause) {
    throw new ModelAssetError(`Cannot read ${path}, needed to assemble the hand landmarker model. Reinstall dependencies with \`npm ci\`.`, path, { cause });
  }
}

/** Byte range of a file inside `hands_solution_packed_assets.data`, from the loader script's file list. */
async function packedRange(sourceDir: string, fileName: string): Promise<{ start: number; end: number }> {
  const loader = join(sourceDir, 'hands_solution_packed_assets_loader.js');
  const text = new TextDecoder().decode(await readSource(loader));
  const match = /loadPackage\((\{"files":.*?\})\)/s.exec(text);
  let files: Array<{ filename: string; start: number; end: number }> | undefined;
  try {
    files = match ? (JSON.parse(match[1]!) as { files: typeof files }).files : undefined;
  } catch {
    files = undefined;
  }
  const entry = files?.find((f) => f.filename.endsWith(`/${fileName}`));
  if (!entry || !Number.isInteger(entry.start) || !Number.isInteger(entry.end) || entry.end <= entry.start) {
    throw new ModelAssetError(
      `${loader} does not list ${fileName}; is @mediapipe/hands at version ${MEDIAPIPE_HANDS_VERSION}? Reinstall dependencies with \`npm ci\`.`,
      loader,
    );
  }
  return { start: entry.start, end: entry.end };
}

/** Assembles the `.task` bundle of a variant from `@mediapipe/hands` (no cache, no checksum check). */
export async function assembleHandLandmarkerTask(model: HandModelVariant, sourceDir: string = mediapipeHandsDir()): Promise<Uint8Array> {
  const packedName = `palm_detection_${model}.tflite`;
  const range = await packedRange(sourceDir, packedName);
  const packedPath = join(sourceDir, 'hands_solution_packed_assets.data');
  const packed = await readSource(packedPath);
  if (packed.length < range.end) {
    throw new ModelAssetError(`${packedPath} is ${packed.length} bytes, too short to hold ${packedName} (bytes ${range.start}..${range.end}). Reinstall dependencies with \`npm ci\`.`, packedPath);
  }
  const landmarkPath = join(sourceDir, `hand_landmark_${model}.tflite`);
  const landmark = await readSource(landmarkPath);
  const withMetadata = (bytes: Uint8Array, name: string, path: string) => {
    try {
      return attachTfliteMetadata(bytes, buildImageInputMetadata({ ...HAND_MODEL_INPUT_NORMALIZATION, modelName: name }));
    } catch (cause) {
      throw new ModelAssetError(`Cannot add metadata to ${name} from ${path}: ${(cause as Error).message}. Reinstall dependencies with \`npm ci\`.`, path, { cause });
    }
  };
  return writeTaskBundle([
    { name: TASK_MEMBER_NAMES.detector, data: withMetadata(packed.subarray(range.start, range.end), packedName, packedPath) },
    { name: TASK_MEMBER_NAMES.landmarks, data: withMetadata(landmark, `hand_landmark_${model}.tflite`, landmarkPath) },
  ]);
}

let tempCounter = 0;

/** Writes `bytes` to `path` atomically: a temporary file beside it, then a rename. */
async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}-${tempCounter++}.tmp`;
  try {
    await writeFile(temp, bytes, { flag: 'wx' });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** File name of a cached bundle: the variant and the start of its checksum. */
export function cachedModelFileName(model: HandModelVariant): string {
  return `hand_landmarker_${model}-${HAND_LANDMARKER_TASK_SHA256[model].slice(0, 16)}.task`;
}

/**
 * The hand landmarker bundle of a variant, verified: from the cache when its checksum matches, else assembled from
 * `@mediapipe/hands`, checked against {@link HAND_LANDMARKER_TASK_SHA256} and cached. A cache folder that cannot be
 * written only costs the caching (the bundle is still returned).
 */
export async function loadHandLandmarkerModel(options: HandModelAssetOptions = {}): Promise<HandModelAsset> {
  expectKnownKeys('loadHandLandmarkerModel options', options, ['model', 'cacheDir', 'sourceDir']);
  const model = expectOneOf('model', options.model ?? 'full', HAND_MODEL_VARIANTS);
  const cacheDir = options.cacheDir === undefined ? defaultModelCacheDir() : expectString('cacheDir', options.cacheDir);
  const sourceDir = options.sourceDir === undefined ? undefined : expectString('sourceDir', options.sourceDir);
  const expected = HAND_LANDMARKER_TASK_SHA256[model];
  const path = join(cacheDir, cachedModelFileName(model));

  const cached = await readFile(path).then((b) => new Uint8Array(b), () => undefined);
  if (cached !== undefined && sha256Hex(cached) === expected) return { model, bytes: cached, sha256: expected, path, fromCache: true };

  const bytes = await assembleHandLandmarkerTask(model, sourceDir ?? mediapipeHandsDir());
  const sha256 = sha256Hex(bytes);
  if (sha256 !== expected) {
    throw new ModelAssetError(
      `The hand landmarker model (${model}) assembled from @mediapipe/hands in ${sourceDir ?? mediapipeHandsDir()} has SHA-256 ${sha256}, ` +
        `but ${expected} is expected: those files are not @mediapipe/hands@${MEDIAPIPE_HANDS_VERSION} as published, or are damaged. ` +
        'Reinstall dependencies with `npm ci`.',
      path,
    );
  }
  const written = await writeAtomically(path, bytes).then(() => true, () => false);
  return { model, bytes, sha256, path: written ? path : undefined, fromCache: false };
}
