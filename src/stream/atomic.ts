/**
 * Atomic outputs: everything is written under a temporary name beside the target and renamed into place only
 * when complete, so an interrupted run never leaves a half-written file (or folder) that looks done, and an
 * existing output is replaced only by a finished one.
 */
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { OutputExistsError } from '../errors.js';

let counter = 0;
const unique = () => `${process.pid}-${Date.now().toString(36)}-${counter++}`;

/** A pending output: write to `tempPath`, then `commit()` (rename into place) or `abort()` (remove). */
export interface PendingOutput {
  readonly path: string;
  readonly tempPath: string;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

async function existing(path: string): Promise<'file' | 'empty-dir' | 'dir' | undefined> {
  const s = await stat(path).catch(() => undefined);
  if (!s) return undefined;
  if (!s.isDirectory()) return 'file';
  return (await readdir(path)).length === 0 ? 'empty-dir' : 'dir';
}

/**
 * Prepares to write the file `path`. Throws {@link OutputExistsError} (before anything is written) when it exists
 * and `overwrite` is false. The temporary file keeps the extension (ffmpeg picks the container from it) and is
 * hidden: `.<name>.partial-<id><ext>`.
 */
export async function pendingFile(path: string, overwrite: boolean): Promise<PendingOutput> {
  const kind = await existing(path);
  if (kind === 'dir' || kind === 'empty-dir') throw new OutputExistsError(path);
  if (kind === 'file' && !overwrite) throw new OutputExistsError(path);
  await mkdir(dirname(path), { recursive: true });
  const ext = extname(path);
  const tempPath = join(dirname(path), `.${basename(path, ext)}.partial-${unique()}${ext}`);
  let settled = false;
  return {
    path,
    tempPath,
    async commit() {
      settled = true;
      await rename(tempPath, path);
    },
    async abort() {
      if (settled) return;
      settled = true;
      await rm(tempPath, { force: true });
    },
  };
}

/**
 * Prepares to write the folder `path`: files go into a sibling staging folder that replaces `path` on commit. An
 * existing non-empty folder needs `overwrite` (it is removed only after the new one is in place).
 */
export async function pendingFolder(path: string, overwrite: boolean): Promise<PendingOutput> {
  const kind = await existing(path);
  if (kind === 'file' || (kind === 'dir' && !overwrite)) throw new OutputExistsError(path);
  await mkdir(dirname(path), { recursive: true });
  const tempPath = join(dirname(path), `.${basename(path)}.partial-${unique()}`);
  await mkdir(tempPath);
  let settled = false;
  return {
    path,
    tempPath,
    async commit() {
      settled = true;
      const now = await existing(path);
      if (now === undefined) {
        await rename(tempPath, path);
        return;
      }
      const old = join(dirname(path), `.${basename(path)}.replaced-${unique()}`);
      await rename(path, old);
      await rename(tempPath, path);
      await rm(old, { recursive: true, force: true });
    },
    async abort() {
      if (settled) return;
      settled = true;
      await rm(tempPath, { recursive: true, force: true });
    },
  };
}
