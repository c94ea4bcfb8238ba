/**
 * The dataset builder behind `promotion synth`: for each sequence, the sharp frames, the synthesized blurred frames
 * and the motion maps of the blurred frames (computed as at inference), plus `synthesis.json` with every parameter.
 *
 *   <out>/<sequence>/sharp/<name>.png     the input frames (lossless; 16-bit stays 16-bit)
 *   <out>/<sequence>/blur/<name>.png      the synthesized blurred frames
 *   <out>/<sequence>/motion/<name>.png    motion maps of the blurred frames, 16-bit grey
 *   <out>/<sequence>/synthesis.json       parameters, sizes, versions; written last
 *
 * FPHA sequences keep their layout: <out>/Video_files/Subject_N/<action>/<seq>/... with the skeleton copied to
 * <out>/Hand_pose_annotation_v1/Subject_N/<action>/<seq>/skeleton.txt (and camera.json to <out>). A sequence is
 * written into a staging folder and moved into place when complete, so a sequence folder with synthesis.json is
 * finished; resuming skips those made from the same options and input files (synthesis.json's `resume.key`, see
 * {@link SynthKey}) that lack none of their files, and makes the others again.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { concatMap, count, lastValueFrom, type Observable, type OperatorFunction, pipe } from 'rxjs';
import { MOTION_MAP_FLOW, motionMapToUint16, motionMaps, type MotionMapKind } from '../flow/motion-map.js';
import { untilAborted } from '../stream/abort.js';
import { OUTPUT_MARKER, missingOutputEntries, pendingFile, pendingFolder, writingOutput } from '../stream/atomic.js';
import { type FingerprintFile, fingerprintFiles, fingerprintKey, type StoredFingerprint } from '../stream/fingerprint.js';
import { encodeGrey16Png, encodeImage } from '../stream/image-codec.js';
import { listImageFiles } from '../stream/image-sequence-source.js';
import { openSource } from '../stream/open-source.js';
import { pipeSource } from '../stream/pipe-source.js';
import type { SourceKind } from '../stream/source.js';
import { VERSION } from '../version.js';
import { type BlurPair, synthesisParameters, type SynthesisOptions, synthesizeBlur } from './synthesize.js';

/** One sequence to synthesize: plain data, so it can travel to a worker thread. */
export interface SynthJob {
  /** The input (video file, image folder, or FPHA sequence folder). */
  readonly input: string;
  readonly kind: SourceKind;
  /** Identifier used in logs and in synthesis.json (FPHA: Subject_N/<action>/<seq>). */
  readonly id: string;
  /** The sequence's output folder. */
  readonly outDir: string;
  /** FPHA: the skeleton to copy, and where. */
  readonly skeleton?: { readonly from: string; readonly to: string };
  /** File name prefix and digits for frames (FPHA keeps color_%04d). */
  readonly naming: { readonly prefix: string; readonly digits: number };
  readonly synthesis: Omit<SynthesisOptions, 'inputFps'>;
  readonly motionKind: MotionMapKind;
  readonly maxFrames?: number;
  readonly overwrite: boolean;
}

/** What a job did. */
export interface SynthJobResult {
  readonly id: string;
  readonly outDir: string;
  readonly status: 'done' | 'skipped';
  readonly frames: number;
  readonly elapsedMs: number;
  /** Why a sequence found in the output was made again (other options, a changed input, a lost frame). */
  readonly note?: string;
}

/** Whether a sequence folder is complete (has its synthesis.json). */
export function isSynthesized(outDir: string): boolean {
  return existsSync(join(outDir, 'synthesis.json'));
}

/** How a sequence's frames are named: `<prefix><index zero-padded to digits>.png`. */
export interface FrameNaming {
  readonly prefix: string;
  readonly digits: number;
}

/**
 * Writes a stream of blurred/sharp pairs as one sequence folder (sharp/, blur/, motion/ of the blurred frames,
 * then synthesis.json from `record(frames)`), staged and moved into place when complete. Resolves to the number of
 * frames written. The pairs are pulled through `pairs` (a function of the pipeline stages to append), so the caller
 * keeps backpressure. `beforeCommit` may add files to the staging folder (they become part of the sequence).
 */
export async function writeSequence(
  outDir: string,
  naming: FrameNaming,
  motionKind: MotionMapKind,
  pairs: (stages: OperatorFunction<BlurPair, string>) => Observable<string>,
  record: (frames: number) => Record<string, unknown>,
  onFrame: () => void,
  beforeCommit?: (stagingPath: string) => Promise<void>,
): Promise<number> {
  // Staging folders a killed run left behind are removed (pendingFolder does).
  const output = await pendingFolder(outDir, true);
  try {
    const name = (index: number) => `${naming.prefix}${String(index).padStart(naming.digits, '0')}.png`;
    const write = (file: string, bytes: Uint8Array | string) => writingOutput(outDir, () => writeFile(file, bytes));
    for (const sub of ['sharp', 'blur', 'motion']) await writingOutput(outDir, () => mkdir(join(output.tempPath, sub)));
    const frames = await lastValueFrom(
      pairs(
        pipe(
          motionMaps<BlurPair>({ kind: motionKind, select: (pair) => pair.blurred }),
          concatMap(async ({ item, motion }) => {
            const file = name(item.sharp.index);
            const [sharpPng, blurPng, motionPng] = await Promise.all([
              encodeImage(item.sharp, 'png'),
              encodeImage(item.blurred, 'png'),
              encodeGrey16Png(motion.width, motion.height, motionMapToUint16(motion)),
            ]);
            await Promise.all([
              write(join(output.tempPath, 'sharp', file), sharpPng),
              write(join(output.tempPath, 'blur', file), blurPng),
              write(join(output.tempPath, 'motion', file), motionPng),
            ]);
            onFrame();
            return file;
          }),
        ),
      ).pipe(count()),
    );
    const body = {
      tool: 'promotion-handpose',
      version: VERSION,
      node: process.version,
      createdAt: new Date().toISOString(),
      frames,
      ...record(frames),
      motionMaps: { kind: motionKind, flow: MOTION_MAP_FLOW, computedOn: 'blurred frames' },
      layout: { sharp: 'sharp/', blurred: 'blur/', motion: 'motion/ (16-bit grey PNG of the blurred frames, 0 = no motion, see src/flow/motion-map.ts)' },
    };
    if (beforeCommit) await writingOutput(outDir, () => beforeCommit(output.tempPath));
    await write(join(output.tempPath, 'synthesis.json'), `${JSON.stringify(body, null, 2)}\n`);
    await output.commit();
    return frames;
  } catch (error) {
    await output.abort();
    throw error;
  }
}

/**
 * What a finished sequence was made from: the resolved parameters (threads aside: they do not change the bytes),
 * the motion maps, the frame limit and naming, and the fingerprint of the input files. Stored in synthesis.json as
 * `resume.key`; a sequence is reused only when the key is the same and every file its folder lists is there.
 */
export type SynthKey = Record<string, unknown>;

/** The files a job reads: the video, or the images (the first `maxFrames`) and, for FPHA, the skeleton. */
async function inputFiles(job: SynthJob): Promise<FingerprintFile[]> {
  if (job.kind === 'video') return [{ name: basename(job.input), path: job.input }];
  const dir = job.kind === 'fpha' ? join(job.input, 'color') : job.input;
  const images = (await listImageFiles(dir)).slice(0, job.maxFrames).map((path) => ({ name: relative(job.input, path).split(sep).join('/'), path }));
  return job.skeleton ? [...images, { name: 'skeleton.txt', path: job.skeleton.from }] : images;
}

async function readRecord(outDir: string): Promise<{ resume?: { key?: unknown; inputStatSha256?: unknown } } | undefined> {
  try {
    return JSON.parse(await readFile(join(outDir, 'synthesis.json'), 'utf8')) as { resume?: { key?: unknown; inputStatSha256?: unknown } };
  } catch {
    return undefined;
  }
}

/** Why a stored sequence cannot be reused with `key` (undefined: it can). */
function staleReason(outDir: string, stored: unknown, key: SynthKey): string | undefined {
  const old = stored as SynthKey | undefined;
  if (old === undefined || typeof old !== 'object' || old === null) return 'synthesis.json holds no resume key (an earlier version made it)';
  const changed: string[] = [];
  const flat = (k: SynthKey, prefix = ''): Record<string, string> =>
    Object.fromEntries(Object.entries(k).flatMap(([name, v]) => (name === 'input' ? [] : v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.entries(flat(v as SynthKey, `${prefix}${name}.`)) : [[`${prefix}${name}`, JSON.stringify(v)]])));
  const [a, b] = [flat(old), flat(key)];
  for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) if (a[name] !== b[name]) changed.push(`${name.replace(/^parameters\./, '')} ${a[name] ?? 'unset'} then, ${b[name] ?? 'unset'} now`);
  if (changed.length > 0) return `it was made with other options (${changed.join('; ')})`;
  if (JSON.stringify(old.input) !== JSON.stringify(key.input)) {
    const was = old.input as { files?: number; bytes?: number } | undefined;
    const now = key.input as { files: number; bytes: number };
    return `its input changed (${was?.files ?? '?'} files, ${was?.bytes ?? '?'} bytes then; ${now.files} files, ${now.bytes} bytes now${was?.files === now.files && was?.bytes === now.bytes ? ', other contents' : ''})`;
  }
  const missing = missingOutputEntries(outDir);
  if (missing === undefined) return `it has no ${OUTPUT_MARKER} listing its files (an earlier version made it)`;
  if (missing.length > 0) return `${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ` and ${missing.length - 3} more` : ''} ${missing.length === 1 ? 'is' : 'are'} missing from it`;
  return undefined;
}

/** Whether a job's sequence is already in its output, made from the same options and input files. */
export interface SequenceStatus {
  /** What the sequence is made from (see {@link SynthKey}); synthesis.json records it as `resume.key`. */
  readonly key: SynthKey;
  /** The input files' fingerprint (absent for live input, which is never reused). */
  readonly fingerprint: StoredFingerprint | undefined;
  /** A finished sequence is in the output folder (it has synthesis.json). */
  readonly found: boolean;
  /** It can be reused as it is. */
  readonly complete: boolean;
  /** Why a sequence found there cannot be reused. */
  readonly staleReason?: string;
}

/**
 * Where a job stands: the key of what it would make (from the job's options at `inputFps` and the fingerprint of
 * its input files) and whether the sequence in its output folder was made from the same and lacks no file. The
 * single-machine resume and the queue's planner (which skips complete sequences before enqueueing) both use it.
 */
export async function sequenceStatus(job: SynthJob, inputFps: number): Promise<SequenceStatus> {
  const params = synthesisParameters({ ...job.synthesis, inputFps });
  const found = isSynthesized(job.outDir);
  const record = found ? await readRecord(job.outDir) : undefined;
  // Live input has no files to fingerprint: it is never reused.
  const fingerprint = job.kind === 'live' ? undefined : await fingerprintFiles(await inputFiles(job), { ...(record?.resume?.key as { input?: object } | undefined)?.input, statSha256: record?.resume?.inputStatSha256 });
  const { threads: _threads, ...resolved } = params;
  const key: SynthKey = { parameters: resolved, motionKind: job.motionKind, maxFrames: job.maxFrames ?? null, naming: job.naming, input: fingerprint ? fingerprintKey(fingerprint) : 'live' };
  if (!found) return { key, fingerprint, found, complete: false };
  const staleReasonText = job.kind === 'live' ? 'live input is never reused' : staleReason(job.outDir, record?.resume?.key, key);
  return { key, fingerprint, found, complete: staleReasonText === undefined, ...(staleReasonText !== undefined ? { staleReason: staleReasonText } : {}) };
}

/**
 * Synthesizes one sequence into `job.outDir`. A sequence already there is skipped when it was made from the same
 * options and input files and none of its files is missing (see {@link sequenceStatus}); otherwise it is made
 * again and the result's `note` says why. `overwrite` redoes it regardless. `onFrame` is called after each frame is
 * written.
 */
export async function runSynthJob(job: SynthJob, onFrame: () => void = () => undefined, signal?: AbortSignal): Promise<SynthJobResult> {
  const started = performance.now();
  const source = await openSource(job.input, { kind: job.kind, ...(job.maxFrames !== undefined ? { maxFrames: job.maxFrames } : {}) });
  const options: SynthesisOptions = { ...job.synthesis, inputFps: source.info.fps };
  const params = synthesisParameters(options);
  const status = await sequenceStatus(job, source.info.fps);
  const { key, fingerprint } = status;
  let note: string | undefined;
  if (status.found && !job.overwrite) {
    // A skeleton the user removed from a finished sequence is copied again.
    if (job.skeleton && !existsSync(job.skeleton.to)) await copySkeleton(job.skeleton);
    note = status.staleReason;
    if (status.complete) return { id: job.id, outDir: job.outDir, status: 'skipped', frames: 0, elapsedMs: 0 };
  }
  // The skeleton goes first: a sequence folder with synthesis.json counts as finished, so nothing may follow it.
  // When it lives inside the sequence folder (outside the FPHA layout), it is staged with the sequence instead.
  const skeleton = job.skeleton;
  const inside = skeleton !== undefined && !relative(job.outDir, skeleton.to).startsWith('..');
  if (skeleton && !inside) await copySkeleton(skeleton);
  const frames = await writeSequence(
    job.outDir,
    job.naming,
    job.motionKind,
    (stages) => pipeSource(source, pipe(signal ? untilAborted(signal, 'error') : (x) => x, synthesizeBlur(options), stages)),
    () => ({
      mode: 'interpolated',
      sequence: job.id,
      input: job.input,
      inputKind: job.kind,
      width: source.info.width,
      height: source.info.height,
      sampleType: source.info.sampleType,
      parameters: params,
      resume: { key, ...(fingerprint ? { inputStatSha256: fingerprint.statSha256 } : {}) },
    }),
    onFrame,
    skeleton && inside ? (staging) => copyFile(skeleton.from, join(staging, relative(job.outDir, skeleton.to))) : undefined,
  );
  return { id: job.id, outDir: job.outDir, status: 'done', frames, elapsedMs: performance.now() - started, ...(note !== undefined ? { note } : {}) };
}

async function copySkeleton(skeleton: { readonly from: string; readonly to: string }): Promise<void> {
  const out = await pendingFile(skeleton.to, true);
  try {
    await writingOutput(skeleton.to, () => copyFile(skeleton.from, out.tempPath));
    await out.commit();
  } catch (error) {
    await out.abort();
    throw error;
  }
}

/** Copies a dataset root's camera.json next to the output's Video_files (once, atomically). */
export async function copyCameraFile(fromRoot: string, toRoot: string): Promise<void> {
  const from = join(fromRoot, 'camera.json');
  if (!existsSync(from)) return;
  const out = await pendingFile(join(toRoot, 'camera.json'), true);
  try {
    await writingOutput(out.path, () => copyFile(from, out.tempPath));
    await out.commit();
  } catch (error) {
    await out.abort();
    throw error;
  }
}
