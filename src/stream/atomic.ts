/**
 * Atomic outputs: everything is written under a temporary name beside the target and moved into place only when
 * complete, so an interrupted run never leaves a half-written file (or folder) that looks done, and an existing
 * output is replaced only by a finished one.
 */
import { readdirSync, statSync } from 'node:fs';
import { link, mkdir, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { OutputExistsError } from '../errors.js';

let counter = 0;
const unique = () => `${process.pid}-${Date.now().toString(36)}-${counter++}`;

/** A pending output: write to `tempPath`, then `commit()` (move into place) or `abort()` (remove). */
export interface PendingOutput {
  readonly path: string;
  readonly tempPath: string;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

type Existing = 'file' | 'empty-dir' | 'dir' | undefined;

async function existing(path: string): Promise<Existing> {
  const s = await stat(path).catch(() => undefined);
  if (!s) return undefined;
  if (!s.isDirectory()) return 'file';
  return (await readdir(path)).length === 0 ? 'empty-dir' : 'dir';
}

/** The error for an output path that is taken. A file where a folder goes (or the reverse) cannot be overwritten. */
function taken(path: string, found: Existing, want: 'file' | 'folder'): OutputExistsError {
  const isDir = found === 'dir' || found === 'empty-dir';
  if (want === 'file' && isDir) return new OutputExistsError(path, `Output ${path} is a folder, but a file is to be written there; choose another path.`);
  if (want === 'folder' && found === 'file') return new OutputExistsError(path, `Output ${path} is a file, but a folder of images is to be written there; choose another path.`);
  return new OutputExistsError(path);
}

/**
 * Checks, synchronously and before any work, that `path` can take an output: sinks call it when they are created,
 * so a taken path fails before decoding starts. It is checked again when the output is committed.
 */
export function checkOutputPath(path: string, overwrite: boolean, want: 'file' | 'folder'): void {
  let s: ReturnType<typeof statSync>;
  try {
    s = statSync(path);
  } catch {
    return;
  }
  if (s.isDirectory()) {
    if (want === 'file') throw taken(path, 'dir', want);
    if (!overwrite && readdirSync(path).length > 0) throw taken(path, 'dir', want);
  } else if (want === 'folder' || !overwrite) {
    throw taken(path, 'file', want);
  }
}

/**
 * Prepares to write the file `path`. Throws {@link OutputExistsError} (before anything is written) when it exists
 * and `overwrite` is false. The temporary file keeps the extension (ffmpeg picks the container from it) and is
 * hidden: `.<name>.partial-<id><ext>`. Without `overwrite`, the commit itself refuses to replace a file that
 * appeared meanwhile (hard link, which fails when the name is taken).
 */
export async function pendingFile(path: string, overwrite: boolean): Promise<PendingOutput> {
  const found = await existing(path);
  if (found === 'dir' || found === 'empty-dir' || (found === 'file' && !overwrite)) throw taken(path, found, 'file');
  await mkdir(dirname(path), { recursive: true });
  const ext = extname(path);
  const tempPath = join(dirname(path), `.${basename(path, ext)}.partial-${unique()}${ext}`);
  let settled = false;
  return {
    path,
    tempPath,
    async commit() {
      if (overwrite) {
        await rename(tempPath, path);
      } else {
        try {
          await link(tempPath, path);
        } catch (cause) {
          if ((cause as NodeJS.ErrnoException).code === 'EEXIST') throw taken(path, await existing(path), 'file');
          throw cause;
        }
        await unlink(tempPath);
      }
      settled = true;
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
 * existing non-empty folder needs `overwrite`; it is moved aside, the new one moved in, and only then removed (if
 * the second move fails, the old folder is put back).
 */
export async function pendingFolder(path: string, overwrite: boolean): Promise<PendingOutput> {
  const found = await existing(path);
  if (found === 'file' || (found === 'dir' && !overwrite)) throw taken(path, found, 'folder');
  await mkdir(dirname(path), { recursive: true });
  const tempPath = join(dirname(path), `.${basename(path)}.partial-${unique()}`);
  await mkdir(tempPath);
  let settled = false;
  return {
    path,
    tempPath,
    async commit() {
      const now = await existing(path);
      if (now === 'file' || (now === 'dir' && !overwrite)) throw taken(path, now, 'folder');
      if (now === undefined || now === 'empty-dir') {
        // rename over an empty folder replaces it; over a folder that filled up meanwhile it fails (ENOTEMPTY).
        await rename(tempPath, path);
      } else {
        const old = join(dirname(path), `.${basename(path)}.replaced-${unique()}`);
        await rename(path, old);
        try {
          await rename(tempPath, path);
        } catch (cause) {
          await rename(old, path);
          throw cause;
        }
        await rm(old, { recursive: true, force: true });
      }
      settled = true;
    },
    async abort() {
      if (settled) return;
      settled = true;
      await rm(tempPath, { recursive: true, force: true });
    },
  };
}

/**
 * Removes staging folders or files that an earlier, killed run left beside `path` (`.<name>.partial-<pid>-...`),
 * except those of processes still running. Called before writing an output anew.
 */
export async function removeStaleStaging(path: string): Promise<void> {
  const dir = dirname(path);
  const ext = extname(path);
  const prefixes = [`.${basename(path)}.partial-`, `.${basename(path, ext)}.partial-`];
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const entry of entries) {
    const prefix = prefixes.find((p) => entry.startsWith(p));
    if (!prefix) continue;
    const pid = Number(entry.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid !== process.pid && isRunning(pid)) continue;
    if (pid === process.pid) continue;
    await rm(join(dir, entry), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
