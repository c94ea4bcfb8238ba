/**
 * Atomic outputs: everything is written under a temporary name beside the target and moved into place only when
 * complete, so an interrupted run never leaves a half-written file (or folder) that looks done, and an existing
 * output is replaced only by a finished one.
 *
 * Nothing the tool did not write is ever deleted or replaced. Every folder output holds {@link OUTPUT_MARKER}, which
 * lists what was written there; an existing folder is replaced (with `overwrite`) only when it holds the marker and
 * nothing beside what the marker lists. A folder without it (an unrelated folder, or an output of a version before
 * the marker) or with other files in it is refused with an {@link OutputExistsError} naming what is there. A file
 * output may replace a file, never a folder, and a folder output never replaces a file. An output that is an input
 * or holds one is refused ({@link checkOutputNotInput}). File-system faults on the way (a file where a folder must
 * be, a read-only or full disk, no permission) become an {@link OutputNotWritableError}.
 */
import { accessSync, constants, existsSync, readFileSync, readdirSync, realpathSync, statSync, statfsSync, type Stats } from 'node:fs';
import { link, mkdir, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InvalidOptionError, OutputExistsError, OutputNotWritableError, type PromotionError } from '../errors.js';
import { VERSION } from '../version.js';

/**
 * The file in every folder output that marks it as the tool's: JSON with the tool, its version and `entries`, the
 * relative paths (with `/`, folders ending in `/`) of everything written there.
 */
export const OUTPUT_MARKER = '.promotion-output.json';
const TOOL = 'promotion-handpose';

let counter = 0;
const unique = () => `${process.pid}-${Date.now().toString(36)}-${counter++}`;

/** The staging files and folders of this process not yet committed or removed (see {@link openStaging}). */
const open = new Map<string, string>();

/**
 * The staging paths this process has open, each with the output it stands for: what a process that exits at once
 * (a second Ctrl-C) leaves behind, for the next run writing that output to remove.
 */
export function openStaging(): ReadonlyArray<{ readonly tempPath: string; readonly path: string }> {
  return [...open].map(([tempPath, path]) => ({ tempPath, path }));
}

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
  if (want === 'folder' && found === 'file') return new OutputExistsError(path, `Output ${path} is a file, but a folder is to be written there; choose another path.`);
  return new OutputExistsError(path);
}

/**
 * The error for a write that failed: file-system faults (the `code` of a Node error, or `code` given for an error
 * that only names one, as ffmpeg's do) become an {@link OutputNotWritableError} with `cause`; other errors pass.
 */
export function outputWriteError(path: string, cause: unknown, code = (cause as NodeJS.ErrnoException | undefined)?.code): unknown {
  if (cause instanceof OutputNotWritableError) return cause;
  switch (code) {
    case 'ENOTDIR':
      return new OutputNotWritableError(path, 'not-a-folder', `Cannot write ${path}: a folder on its path is a file (ENOTDIR). Choose another path.`, { cause });
    case 'EROFS':
      return new OutputNotWritableError(path, 'read-only', `Cannot write ${path}: the file system is read-only (EROFS). Choose an output on a writable disk.`, { cause });
    case 'EACCES':
    case 'EPERM':
      return new OutputNotWritableError(path, 'permission-denied', `Cannot write ${path}: permission denied (${code}). Choose a folder you can write to.`, { cause });
    case 'ENOSPC':
    case 'EDQUOT':
      return new OutputNotWritableError(path, 'disk-full', `Cannot write ${path}: the disk is full (${code}). Free some space or choose another disk.`, { cause });
    default:
      return cause;
  }
}

const FFMPEG_FAULTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/No space left on device/i, 'ENOSPC'],
  [/Disk quota exceeded/i, 'EDQUOT'],
  [/Read-only file system/i, 'EROFS'],
  [/Permission denied/i, 'EACCES'],
  [/Not a directory/i, 'ENOTDIR'],
];

/** An ffmpeg failure whose last words name a file-system fault, as an {@link OutputNotWritableError} of `path`. */
export function ffmpegOutputError(path: string, error: PromotionError & { readonly stderrTail: readonly string[] }): unknown {
  const hit = FFMPEG_FAULTS.find(([pattern]) => error.stderrTail.some((line) => pattern.test(line)));
  return hit ? outputWriteError(path, error, hit[1]) : error;
}

/** Runs a write step of the output `path`, mapping file-system faults with {@link outputWriteError}. */
export async function writingOutput<T>(path: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (cause) {
    throw outputWriteError(path, cause);
  }
}

/**
 * Checks, synchronously and before any work, that the output `path` can be written: a file path does not end in a
 * slash, no folder on the way is a file, and the nearest existing folder is writable and its disk not full. Throws
 * {@link OutputNotWritableError} (or {@link InvalidOptionError} for the slash, {@link OutputExistsError} for a file
 * where a folder goes). Whether `path` is taken is {@link checkOutputPath}'s part; outputs written into an existing
 * folder (a dataset, a work folder) call this alone.
 */
export function checkOutputLocation(path: string, want: 'file' | 'folder'): void {
  if (want === 'file' && /[/\\]$/.test(path)) throw new InvalidOptionError(`Output ${path} ends with a slash, which names a folder, but a file is to be written there; drop the trailing slash.`);
  const target = resolve(path);
  let p = target;
  for (;;) {
    let s: Stats | undefined;
    try {
      s = statSync(p);
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw outputWriteError(path, cause);
    }
    if (s?.isDirectory()) break;
    if (s && p === target && want === 'folder') throw taken(path, 'file', want);
    if (s && p !== target) throw new OutputNotWritableError(path, 'not-a-folder', `Cannot write ${path}: ${p} is a file, not a folder. Choose another path.`);
    const up = dirname(p);
    if (up === p) return;
    p = up;
  }
  try {
    accessSync(p, constants.W_OK);
  } catch (cause) {
    throw outputWriteError(path, cause);
  }
  let free: { blocks: number; bavail: number } | undefined;
  try {
    free = statfsSync(p);
  } catch {
    free = undefined; // not every platform tells; a full disk is then found at the first write
  }
  if (free && free.blocks > 0 && free.bavail === 0) {
    throw outputWriteError(path, Object.assign(new Error(`ENOSPC: no space left on device, ${p}`), { code: 'ENOSPC', path: p }));
  }
}

/** Relative paths (with `/`) of everything under `dir`, folders ending in `/`, sorted. */
function listTree(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(prefix === '' ? dir : join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(`${rel}/`, ...listTree(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

/** What the folder `path` holds that the tool did not write there (all of it when it has no marker). */
function foreignEntries(path: string): { marked: boolean; foreign: string[] } {
  const entries = listTree(path).filter((e) => e !== OUTPUT_MARKER);
  let listed: Set<unknown> | undefined;
  try {
    const marker = JSON.parse(readFileSync(join(path, OUTPUT_MARKER), 'utf8')) as { tool?: unknown; entries?: unknown };
    if (marker.tool === TOOL && Array.isArray(marker.entries)) listed = new Set(marker.entries);
  } catch {
    listed = undefined;
  }
  if (!listed) return { marked: false, foreign: entries.filter((e) => !e.slice(0, -1).includes('/')) };
  const known = listed;
  return { marked: true, foreign: entries.filter((e) => !known.has(e)) };
}

/**
 * What the marker of the folder output `dir` lists that is no longer there (a frame deleted by hand), or undefined
 * when `dir` has no marker. A resumed stage counts as finished only when nothing is missing.
 */
export function missingOutputEntries(dir: string): string[] | undefined {
  let entries: unknown;
  try {
    entries = (JSON.parse(readFileSync(join(dir, OUTPUT_MARKER), 'utf8')) as { entries?: unknown }).entries;
  } catch {
    return undefined;
  }
  if (!Array.isArray(entries)) return undefined;
  return entries.filter((e): e is string => typeof e === 'string' && !existsSync(join(dir, ...e.split('/'))));
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function namesOf(entries: readonly string[]): string {
  const shown = entries.slice(0, 3).join(', ');
  return entries.length > 3 ? `${shown} and ${entries.length - 3} more` : shown;
}

/** Throws when the existing, non-empty folder `path` holds anything the tool did not write there. */
function checkOwnFolder(path: string): void {
  const { marked, foreign } = foreignEntries(path);
  if (foreign.length === 0) return;
  if (!marked) {
    throw new OutputExistsError(
      path,
      `Output ${path} is a folder promotion did not write (it has no ${OUTPUT_MARKER}); it holds ${namesOf(foreign)} and is left as it is. ` +
        `Choose another path, or, if it is an old output you no longer need, remove it by hand first: rm -r ${shellQuote(path)}`,
    );
  }
  throw new OutputExistsError(path, `Output ${path} holds ${namesOf(foreign)}, which promotion did not write there; it is left as it is. Move ${foreign.length === 1 ? 'it' : 'them'} out, or choose another path.`);
}

/** Throws unless a folder output may go to `path`: absent, an empty folder, or (with `overwrite`) a folder of ours. */
function checkFolderTarget(path: string, found: Existing, overwrite: boolean): void {
  if (found === 'file') throw taken(path, found, 'folder');
  if (found !== 'dir') return;
  checkOwnFolder(path);
  if (!overwrite) throw taken(path, found, 'folder');
}

/**
 * Checks, synchronously and before any work, that `path` can take an output: sinks call it when they are created,
 * so a taken or unwritable path fails before decoding starts. It is checked again when the output is committed.
 */
export function checkOutputPath(path: string, overwrite: boolean, want: 'file' | 'folder'): void {
  checkOutputLocation(path, want);
  let s: Stats;
  try {
    s = statSync(path);
  } catch {
    return;
  }
  if (s.isDirectory()) {
    if (want === 'file') throw taken(path, 'dir', want);
    checkFolderTarget(path, readdirSync(path).length > 0 ? 'dir' : 'empty-dir', overwrite);
  } else if (want === 'folder' || !overwrite) {
    throw taken(path, 'file', want);
  }
}

/** `path` resolved, with symbolic links of its existing part followed. */
function realPathOf(path: string): string {
  let p = resolve(path);
  const rest: string[] = [];
  for (;;) {
    try {
      return join(realpathSync(p), ...rest);
    } catch {
      const up = dirname(p);
      if (up === p) return resolve(path);
      rest.unshift(basename(p));
      p = up;
    }
  }
}

/**
 * Throws an {@link OutputExistsError} when the output `path` is one of `inputs` or a folder holding one (writing it
 * could replace the input). Inputs that are not on disk (devices that do not exist, stream URLs) are skipped.
 */
export function checkOutputNotInput(path: string, inputs: readonly string[]): void {
  const out = realPathOf(path);
  for (const input of inputs) {
    if (!existsSync(input)) continue;
    const rel = relative(out, realPathOf(input));
    if (rel === '') throw new OutputExistsError(path, `Output ${path} is the input ${input}; writing it would replace the input. Choose another output path.`);
    if (!isAbsolute(rel) && rel !== '..' && !rel.startsWith(`..${sep}`)) {
      throw new OutputExistsError(path, `Output ${path} holds the input ${input}; writing it could replace the input. Choose an output outside the input.`);
    }
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
  await writingOutput(path, () => mkdir(dirname(path), { recursive: true }));
  await removeStaleStaging(path);
  const ext = extname(path);
  const tempPath = join(dirname(path), `.${basename(path, ext)}.partial-${unique()}${ext}`);
  open.set(tempPath, path);
  let settled = false;
  return {
    path,
    tempPath,
    async commit() {
      if ((await existing(path))?.endsWith('dir')) throw taken(path, 'dir', 'file');
      if (overwrite) {
        await writingOutput(path, () => rename(tempPath, path));
      } else {
        try {
          await link(tempPath, path);
        } catch (cause) {
          if ((cause as NodeJS.ErrnoException).code === 'EEXIST') throw taken(path, await existing(path), 'file');
          throw outputWriteError(path, cause);
        }
        await unlink(tempPath);
      }
      settled = true;
      open.delete(tempPath);
    },
    async abort() {
      if (settled) return;
      settled = true;
      await rm(tempPath, { force: true });
      open.delete(tempPath);
    },
  };
}

/**
 * Prepares to write the folder `path`: files go into a sibling staging folder that replaces `path` on commit, with
 * {@link OUTPUT_MARKER} listing them. An existing non-empty folder needs `overwrite` and must be the tool's own (see
 * the top of this file); it is moved aside, the new one moved in, and only then removed (if the second move fails,
 * the old folder is put back).
 */
export async function pendingFolder(path: string, overwrite: boolean): Promise<PendingOutput> {
  checkFolderTarget(path, await existing(path), overwrite);
  await writingOutput(path, () => mkdir(dirname(path), { recursive: true }));
  await removeStaleStaging(path);
  const tempPath = join(dirname(path), `.${basename(path)}.partial-${unique()}`);
  await writingOutput(path, () => mkdir(tempPath));
  open.set(tempPath, path);
  let settled = false;
  return {
    path,
    tempPath,
    async commit() {
      const marker = { tool: TOOL, version: VERSION, entries: listTree(tempPath).filter((e) => e !== OUTPUT_MARKER) };
      await writingOutput(path, () => writeFile(join(tempPath, OUTPUT_MARKER), `${JSON.stringify(marker)}\n`));
      const now = await existing(path);
      checkFolderTarget(path, now, overwrite);
      if (now === undefined || now === 'empty-dir') {
        // rename over an empty folder replaces it; over a folder that filled up meanwhile it fails (ENOTEMPTY).
        await writingOutput(path, () => rename(tempPath, path));
      } else {
        const old = join(dirname(path), `.${basename(path)}.replaced-${unique()}`);
        await writingOutput(path, () => rename(path, old));
        try {
          await rename(tempPath, path);
        } catch (cause) {
          await rename(old, path);
          throw outputWriteError(path, cause);
        }
        await rm(old, { recursive: true, force: true });
      }
      settled = true;
      open.delete(tempPath);
    },
    async abort() {
      if (settled) return;
      settled = true;
      await rm(tempPath, { recursive: true, force: true });
      open.delete(tempPath);
    },
  };
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Removes staging files and folders that an earlier run killed on the way (SIGKILL, a second Ctrl-C) left beside
 * `path`: exactly the names {@link pendingFile} and {@link pendingFolder} make (`.<name>.partial-<pid>-<time>-<n>`,
 * with the file's extension), of processes no longer running, and the `.<name>.replaced-...` folder of a replacement
 * cut short once the new output is in place. Anything else is left alone. Every pending output calls it first.
 */
export async function removeStaleStaging(path: string): Promise<void> {
  const dir = dirname(path);
  const ext = extname(path);
  const id = '(\\d+)-[0-9a-z]+-\\d+';
  const patterns = [
    new RegExp(`^\\.${escapeRegExp(basename(path))}\\.partial-${id}$`),
    new RegExp(`^\\.${escapeRegExp(basename(path, ext))}\\.partial-${id}${escapeRegExp(ext)}$`),
    ...(existsSync(path) ? [new RegExp(`^\\.${escapeRegExp(basename(path))}\\.replaced-${id}$`)] : []),
  ];
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const entry of entries) {
    const match = patterns.map((p) => p.exec(entry)).find((m) => m !== null);
    if (!match) continue;
    const pid = Number(match[1]);
    if (pid === process.pid || isRunning(pid)) continue;
    await rm(join(dir, entry), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // running, as another user
  }
}
