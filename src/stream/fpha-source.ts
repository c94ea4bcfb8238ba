/**
 * FPHA (First-Person Hand Action Benchmark) sequences: the colour frames of a sequence with its `skeleton.txt`,
 * joints projected from world millimetres to colour-image pixels.
 *
 * Layout (the real dataset's):
 *   <root>/Video_files/Subject_N/<action>/<seq>/color/color_%04d.jpeg
 *   <root>/Hand_pose_annotation_v1/Subject_N/<action>/<seq>/skeleton.txt
 * A sequence folder may also hold its own `skeleton.txt` next to `color/`. A `camera.json` at `<root>` (the
 * toolkit's sample data carries one) replaces the FPHA colour camera below.
 */
import { access, readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { DatasetFormatError, InputNotFoundError } from '../errors.js';
import { expectInteger, expectKnownKeys, expectNumber, expectOneOf, invalidOption } from '../options.js';
import type { Rgb16Frame, Rgb8Frame } from './frame.js';
import { DEFAULT_READ_AHEAD, decodeFiles, imageFilesInfo, listImageFiles } from './image-sequence-source.js';
import type { FrameSource } from './source.js';

/** Number of joints in an FPHA skeleton. */
export const FPHA_JOINT_COUNT = 21;

/** Joint names in FPHA order. */
export const FPHA_JOINT_NAMES: readonly string[] = [
  'Wrist', 'TMCP', 'IMCP', 'MMCP', 'RMCP', 'PMCP', 'TPIP', 'TDIP', 'TTIP', 'IPIP', 'IDIP',
  'ITIP', 'MPIP', 'MDIP', 'MTIP', 'RPIP', 'RDIP', 'RTIP', 'PPIP', 'PDIP', 'PTIP',
];

/** FPHA's frame rate. */
export const FPHA_FPS = 30;

/** A camera: world (mm) -> camera by X_c = R X_w + t, then a pinhole to colour pixels. */
export interface CameraModel {
  /** Row-major 3x3 rotation. */
  rotation: readonly [readonly [number, number, number], readonly [number, number, number], readonly [number, number, number]];
  /** Translation in mm. */
  translationMm: readonly [number, number, number];
  fx: number;
  fy: number;
  u0: number;
  v0: number;
}

/** The FPHA colour camera (extrinsics from the depth sensor's world frame, intrinsics of the 1920x1080 colour image). */
export const FPHA_COLOR_CAMERA: CameraModel = {
  rotation: [
    [0.999988496304, -0.00468848412856, 0.000982563360594],
    [0.00469115935266, 0.999985218048, -0.00273845880292],
    [-0.000969709653873, 0.00274303671904, 0.99999576807],
  ],
  translationMm: [25.7, 1.22, 3.902],
  fx: 1395.749023,
  fy: 1395.749268,
  u0: 935.732544,
  v0: 540.68103,
};

/** Sequences of the real dataset whose annotations are known to be broken; {@link listFphaSequences} skips them. */
export const FPHA_BROKEN_SEQUENCES: readonly string[] = ['Subject_2/close_milk/4', 'Subject_2/put_tea_bag/2', 'Subject_4/flip_sponge/2'];

/** One joint set: 21 points. */
export type Joints2D = ReadonlyArray<readonly [number, number]>;
/** 21 joints in FPHA order, `[x, y, z]` each: world coordinates in millimetres (the skeleton files' camera frame). */
export type Joints3D = ReadonlyArray<readonly [number, number, number]>;

/** Ground truth carried by each FPHA frame. */
export interface FphaAnnotation {
  /** Joints in colour-image pixels (x right, y down), FPHA order. */
  readonly jointsPx: Joints2D;
  /** Joints in world millimetres as stored in skeleton.txt, FPHA order. */
  readonly jointsWorldMm: Joints3D;
}

/** A frame of an FPHA sequence with its annotation. */
export type FphaFrame = (Rgb8Frame | Rgb16Frame) & { readonly annotation: FphaAnnotation };

/** Parsed skeleton.txt: rows keyed by their frame number (first column). */
export interface Skeleton {
  readonly path: string;
  readonly rows: ReadonlyMap<number, Joints3D>;
}

/** Parses an FPHA skeleton.txt: each non-empty line `t x1 y1 z1 ... x21 y21 z21` (64 numbers). */
export function parseSkeleton(text: string, path: string): Skeleton {
  const rows = new Map<number, Joints3D>();
  const lines = text.split(/\r?\n/);
  const expected = 1 + 3 * FPHA_JOINT_COUNT;
  lines.forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed.length === 0) return;
    const fields = trimmed.split(/\s+/);
    if (fields.length !== expected) {
      throw new DatasetFormatError(
        path,
        `${path} line ${i + 1} has ${fields.length} columns, expected ${expected} (frame number, then x y z for each of ${FPHA_JOINT_COUNT} joints). Is this an FPHA skeleton.txt?`,
        i + 1,
      );
    }
    const values = fields.map(Number);
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new DatasetFormatError(path, `${path} line ${i + 1} column ${bad + 1} is ${JSON.stringify(fields[bad])}, not a number.`, i + 1);
    }
    const t = values[0]!;
    if (!Number.isInteger(t) || t < 0) throw new DatasetFormatError(path, `${path} line ${i + 1} starts with ${fields[0]}, expected a frame number.`, i + 1);
    const joints: Array<readonly [number, number, number]> = [];
    for (let j = 0; j < FPHA_JOINT_COUNT; j++) joints.push([values[1 + 3 * j]!, values[2 + 3 * j]!, values[3 + 3 * j]!]);
    rows.set(t, joints);
  });
  if (rows.size === 0) throw new DatasetFormatError(path, `${path} holds no skeleton rows.`);
  return { path, rows };
}

/** Projects world-mm joints to colour pixels. */
export function projectJoints(joints: Joints3D, camera: CameraModel = FPHA_COLOR_CAMERA): Joints2D {
  const [r0, r1, r2] = camera.rotation;
  const [tx, ty, tz] = camera.translationMm;
  return joints.map(([x, y, z]) => {
    const xc = r0[0] * x + r0[1] * y + r0[2] * z + tx;
    const yc = r1[0] * x + r1[1] * y + r1[2] * z + ty;
    const zc = r2[0] * x + r2[1] * y + r2[2] * z + tz;
    return [(camera.fx * xc) / zc + camera.u0, (camera.fy * yc) / zc + camera.v0] as const;
  });
}

/** Reads and validates a camera.json (`{ rotation, translationMm, fx, fy, u0, v0 }`). */
export async function readCameraFile(path: string): Promise<CameraModel> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new DatasetFormatError(path, `${path} is not valid JSON: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
  const c = parsed as Partial<CameraModel>;
  const isRow = (r: unknown): boolean => Array.isArray(r) && r.length === 3 && r.every((v) => typeof v === 'number' && Number.isFinite(v));
  const ok =
    Array.isArray(c.rotation) && c.rotation.length === 3 && c.rotation.every(isRow) && isRow(c.translationMm) &&
    [c.fx, c.fy, c.u0, c.v0].every((v) => typeof v === 'number' && Number.isFinite(v));
  if (!ok) throw new DatasetFormatError(path, `${path} must hold { rotation: 3x3 numbers, translationMm: 3 numbers, fx, fy, u0, v0 }.`);
  return c as CameraModel;
}

/** The frame number in an image file name: the last run of digits (`color_0042.jpeg` -> 42). */
export function frameNumberOf(file: string): number | undefined {
  const m = /(\d+)\D*$/.exec(basename(file));
  return m ? Number(m[1]) : undefined;
}

/** Where an FPHA sequence's files are. */
export interface FphaSequenceRef {
  /** `Subject_N/<action>/<seq>` when the folder sits in the FPHA layout, else the folder's name. */
  readonly id: string;
  /** The sequence folder holding `color/`. */
  readonly videoDir: string;
  readonly skeletonPath: string;
  /** The dataset root (parent of Video_files), when the folder sits in the FPHA layout. */
  readonly root: string | undefined;
}

const exists = (p: string) => access(p).then(() => true, () => false);

/** Finds the colour folder and skeleton of a sequence folder (FPHA layout, or `color/` + `skeleton.txt` side by side). */
export async function resolveFphaSequence(videoDir: string): Promise<FphaSequenceRef> {
  const colorDir = join(videoDir, 'color');
  if (!(await exists(colorDir))) {
    throw new InputNotFoundError(videoDir, `${videoDir} is not an FPHA sequence: it has no color/ folder (expected Video_files/Subject_N/<action>/<seq>/color/color_0000.jpeg).`);
  }
  const parts = videoDir.split(sep).filter((p) => p.length > 0);
  const at = parts.lastIndexOf('Video_files');
  const local = join(videoDir, 'skeleton.txt');
  if (at >= 0 && at === parts.length - 4) {
    const root = (videoDir.startsWith(sep) ? sep : '') + parts.slice(0, at).join(sep);
    const id = parts.slice(at + 1).join('/');
    const annotated = join(root, 'Hand_pose_annotation_v1', ...parts.slice(at + 1), 'skeleton.txt');
    if (await exists(annotated)) return { id, videoDir, skeletonPath: annotated, root };
    if (await exists(local)) return { id, videoDir, skeletonPath: local, root };
    throw new InputNotFoundError(annotated, `FPHA sequence ${id} has no skeleton: expected ${annotated}.`);
  }
  if (await exists(local)) return { id: basename(videoDir), videoDir, skeletonPath: local, root: undefined };
  throw new InputNotFoundError(local, `FPHA sequence ${videoDir} has no skeleton.txt (looked for ${local} and the Hand_pose_annotation_v1 layout).`);
}

/** Where {@link fphaCameraOf} found a sequence's camera: a camera.json path, or `'FPHA colour camera'`. */
export interface FphaCamera {
  readonly camera: CameraModel;
  readonly source: string;
}

/**
 * The camera that projects a sequence's skeleton: `camera.json` at the dataset root (FPHA layout) or beside a loose
 * sequence folder, else {@link FPHA_COLOR_CAMERA}.
 */
export async function fphaCameraOf(ref: Pick<FphaSequenceRef, 'videoDir' | 'root'>): Promise<FphaCamera> {
  const file = ref.root !== undefined ? join(ref.root, 'camera.json') : join(dirname(ref.videoDir), 'camera.json');
  if (await exists(file)) return { camera: await readCameraFile(file), source: file };
  return { camera: FPHA_COLOR_CAMERA, source: 'FPHA colour camera' };
}

/**
 * Ground-truth joints for image files of a sequence (FPHA order, pixels of the colour frame): the skeleton row of
 * each file's frame number ({@link frameNumberOf}), projected with `camera`; null for a file the skeleton has no row for.
 */
export async function skeletonJointsPx(skeletonPath: string, files: readonly string[], camera: CameraModel = FPHA_COLOR_CAMERA): Promise<(Joints2D | null)[]> {
  const skeleton = parseSkeleton(await readFile(skeletonPath, 'utf8'), skeletonPath);
  return files.map((f) => {
    const n = frameNumberOf(f);
    const row = n === undefined ? undefined : skeleton.rows.get(n);
    return row ? projectJoints(row, camera) : null;
  });
}

/** Which sequences of an FPHA root {@link listFphaSequences} returns (all when a field is absent). */
export interface FphaSelection {
  subjects?: readonly string[];
  actions?: readonly string[];
  sequences?: readonly string[];
}

/**
 * Lists the sequences under an FPHA root (the folder holding Video_files), in natural order, filtered by the
 * selection. Skips {@link FPHA_BROKEN_SEQUENCES}, reporting each through `onNotice`.
 */
export async function listFphaSequences(
  root: string,
  selection: FphaSelection = {},
  onNotice: (message: string) => void = () => undefined,
): Promise<FphaSequenceRef[]> {
  const videoRoot = join(root, 'Video_files');
  if (!(await exists(videoRoot))) throw new InputNotFoundError(root, `${root} is not an FPHA root: it has no Video_files/ folder.`);
  const order = new Intl.Collator('en', { numeric: true }).compare;
  const subdirs = async (dir: string) =>
    (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort(order);
  const refs: FphaSequenceRef[] = [];
  for (const subject of await subdirs(videoRoot)) {
    if (selection.subjects && !selection.subjects.includes(subject)) continue;
    for (const action of await subdirs(join(videoRoot, subject))) {
      if (selection.actions && !selection.actions.includes(action)) continue;
      for (const seq of await subdirs(join(videoRoot, subject, action))) {
        if (selection.sequences && !selection.sequences.includes(seq)) continue;
        const id = `${subject}/${action}/${seq}`;
        if (FPHA_BROKEN_SEQUENCES.includes(id)) {
          onNotice(`Skipping FPHA sequence ${id}: its annotations are known to be broken.`);
          continue;
        }
        refs.push(await resolveFphaSequence(join(videoRoot, subject, action, seq)));
      }
    }
  }
  if (refs.length === 0) throw new InputNotFoundError(root, `No FPHA sequences under ${videoRoot} match the selection ${JSON.stringify(selection)}.`);
  return refs;
}

/** Options of {@link openFphaSequence}. */
export interface FphaSequenceOptions {
  /** Camera to project with (default: `<root>/camera.json` when present, else {@link FPHA_COLOR_CAMERA}). */
  camera?: CameraModel;
  /** 'auto' (default) follows the first image's bit depth. */
  sampleType?: 'auto' | 'uint8' | 'uint16';
  /** Frames per second (default {@link FPHA_FPS}). */
  fps?: number;
  /** Frames decoded ahead of the consumer (default 2). */
  readAhead?: number;
  /** Stop after this many frames. */
  maxFrames?: number;
}

const KEYS = ['camera', 'sampleType', 'fps', 'readAhead', 'maxFrames'] as const;

/**
 * Opens one FPHA sequence folder (the one holding `color/`). Every colour frame must have a skeleton row with its
 * frame number; a missing row or a malformed line is a {@link DatasetFormatError} raised here, before any frame.
 */
export async function openFphaSequence(videoDir: string, options: FphaSequenceOptions = {}): Promise<FrameSource<FphaFrame>> {
  expectKnownKeys('openFphaSequence options', options, KEYS);
  const wanted = expectOneOf('sampleType', options.sampleType ?? 'auto', ['auto', 'uint8', 'uint16'] as const);
  const fps = expectNumber('fps', options.fps ?? FPHA_FPS, 0, 10_000, true);
  const readAhead = expectInteger('readAhead', options.readAhead ?? DEFAULT_READ_AHEAD, 0, 64);
  const maxFrames = options.maxFrames === undefined ? undefined : expectInteger('maxFrames', options.maxFrames, 1);
  if (options.camera !== undefined && (typeof options.camera !== 'object' || options.camera === null)) invalidOption('camera', 'CameraModel object', options.camera);

  const st = await stat(videoDir).catch((cause: unknown) => {
    throw new InputNotFoundError(videoDir, `FPHA sequence folder ${videoDir} does not exist. Check the path.`, { cause });
  });
  if (!st.isDirectory()) throw new InputNotFoundError(videoDir, `${videoDir} is not a folder.`);
  const ref = await resolveFphaSequence(videoDir);
  const found = options.camera === undefined ? await fphaCameraOf(ref) : undefined;
  const camera = options.camera ?? found!.camera;
  const cameraLabel = found?.source ?? 'given by the caller';

  const all = await listImageFiles(join(videoDir, 'color'));
  const files = maxFrames === undefined ? all : all.slice(0, maxFrames);
  const skeletonText = await readFile(ref.skeletonPath, 'utf8');
  const skeleton = parseSkeleton(skeletonText, ref.skeletonPath);
  // Frame numbers come from the file names (color_0005.jpeg is frame 5), so a missing image cannot shift the
  // ground truth of the frames after it; a name without a number falls back to its position.
  const frameNumbers = files.map((file, i) => frameNumberOf(file) ?? i);
  const annotations: FphaAnnotation[] = files.map((file, i) => {
    const row = skeleton.rows.get(frameNumbers[i]!);
    if (!row) {
      throw new DatasetFormatError(
        ref.skeletonPath,
        `${ref.skeletonPath} has no row for frame ${frameNumbers[i]} (${relative(videoDir, file)}); it holds ${skeleton.rows.size} rows for ${all.length} colour frames.`,
      );
    }
    return { jointsWorldMm: row, jointsPx: projectJoints(row, camera) };
  });
  const info = await imageFilesInfo('fpha', videoDir, files, fps, wanted, {
    sequence: ref.id,
    skeleton: ref.skeletonPath,
    skeletonRows: skeleton.rows.size,
    camera: cameraLabel,
  });

  async function* frames(): AsyncGenerator<FphaFrame> {
    let i = 0;
    for await (const frame of decodeFiles(files, info, readAhead, frameNumbers)) {
      yield { ...frame, annotation: annotations[i++]! };
    }
  }
  return { info, frames };
}
