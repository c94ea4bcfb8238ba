/**
 * The evaluation's work folder (default `<report>.work`, beside the report): where each stage keeps its output, and
 * the keys that say what a stored output was made from. A stage is reused only when its key (options, and the
 * fingerprint of the input files or the stage it was made from) is the same and none of its files is missing, so an
 * interrupted run resumes and a changed option redoes only what it affects.
 *
 *   <work>/synth/...                      `promotion synth` output (FPHA layout kept), one folder per sequence
 *   <work>/deblurred/<sequence>/          the deblurred frames (PNG, the blurred frames' bit depth), done.json last
 *                                         (its key and when the frames were made, which the pose stage keys on)
 *   <work>/deblurred@<model>/<sequence>/  the same for the second and later models of a comparison
 *   <work>/pose/<sequence>/<version>.json the hands found per frame (MediaPipe order, pixels); deblurred@<model>.json
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FrameVersion } from '../metrics/comparison.js';
import { pendingFile, writingOutput } from '../stream/atomic.js';

/** What a finished stage was made from: a stage is reused only when its key is the same as the run's. */
export type StageKey = Record<string, unknown>;

/** Whether a stored key (parsed JSON) is the run's key. */
export const sameKey = (stored: unknown, key: StageKey): boolean => JSON.stringify(stored) === JSON.stringify(key);

/** The synthesis stage's root: `promotion synth` output, one folder per sequence. */
export const synthRoot = (work: string): string => join(work, 'synth');

/**
 * The deblurring stage's folder of a sequence; with `model` (the second and later models of a comparison, as a
 * file-name part), `deblurred@<model>/<sequence>`.
 */
export const deblurredDir = (work: string, sequence: string, model?: string): string => join(work, model === undefined ? 'deblurred' : `deblurred@${model}`, ...sequence.split('/'));

/** The pose stage's file of one version of a sequence; a later model's deblurred frames: `deblurred@<model>.json`. */
export const poseFile = (work: string, sequence: string, version: FrameVersion, model?: string): string =>
  join(work, 'pose', ...sequence.split('/'), `${version}${version === 'deblurred' && model !== undefined ? `@${model}` : ''}.json`);

/** A JSON file's value, or undefined when it is missing or not JSON (a stage to run again). */
export async function readJsonOrUndefined(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Writes a JSON file under a temporary name and renames it into place. */
export async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  await writingOutput(path, () => mkdir(dirname(path), { recursive: true }));
  const out = await pendingFile(path, true);
  try {
    await writingOutput(path, () => writeFile(out.tempPath, `${JSON.stringify(value)}\n`));
    await out.commit();
  } catch (error) {
    await out.abort();
    throw error;
  }
}
