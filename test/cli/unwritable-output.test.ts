/**
 * An output that cannot be written is a typed error with its own exit code (7), found before any work where it can
 * be (a file where a folder must be, a read-only or full disk), and mapped when a write fails later (a disk that
 * fills up), with nothing half-written left. Tests run as root, where permission bits prove
 * nothing, so the faults are injected: the file system's answers are replaced here (vi.mock), and, where this
 * machine lets root mount a tmpfs, a real read-only and a real full file system are used as well.
 */
import { execFileSync } from 'node:child_process';
import type * as Fs from 'node:fs';
import type * as FsPromises from 'node:fs/promises';
import { existsSync, mkdirSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { OutputNotWritableError } from '../../src/errors.js';
import { writeReport } from '../../src/eval/report-files.js';
import { cli, makeClip, tempDir } from '../helpers.js';
import { makeReport } from '../eval/make-report.js';

/** What the file system is to answer; each names the paths (a substring) it applies to. */
const faults = vi.hoisted(() => ({
  write: undefined as { match: string; code: string } | undefined,
  access: undefined as { match: string; code: string } | undefined,
  full: undefined as string | undefined,
}));

const injected = (code: string, op: string, path: unknown) => Object.assign(new Error(`${code}: injected fault, ${op} '${String(path)}'`), { code, syscall: op, path: String(path) });

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof FsPromises>();
  const writeFile = (async (path: unknown, ...rest: unknown[]) => {
    if (faults.write && String(path).includes(faults.write.match)) throw injected(faults.write.code, 'write', path);
    return (real.writeFile as (...a: unknown[]) => Promise<void>)(path, ...rest);
  }) as typeof real.writeFile;
  return { ...real, default: { ...real, writeFile }, writeFile };
});

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof Fs>();
  const { Writable } = await import('node:stream');
  const accessSync = ((path: unknown, mode?: number) => {
    if (faults.access && String(path).includes(faults.access.match)) throw injected(faults.access.code, 'access', path);
    return real.accessSync(path as string, mode);
  }) as typeof real.accessSync;
  const statfsSync = ((path: unknown, ...rest: unknown[]) => {
    const s = (real.statfsSync as (...a: unknown[]) => ReturnType<typeof real.statfsSync>)(path, ...rest);
    return faults.full && String(path).includes(faults.full) ? { ...s, bavail: 0, bfree: 0 } : s;
  }) as typeof real.statfsSync;
  // A stream that opens, then fails every write as a full disk does.
  const createWriteStream = ((path: unknown, options?: unknown) => {
    if (!(faults.write && String(path).includes(faults.write.match))) return real.createWriteStream(path as string, options as never);
    const code = faults.write.code;
    const stream = new Writable({ write: (_chunk, _enc, done) => done(injected(code, 'write', path)) });
    process.nextTick(() => stream.emit('open', 3));
    return stream;
  }) as typeof real.createWriteStream;
  return { ...real, default: { ...real, accessSync, statfsSync, createWriteStream }, accessSync, statfsSync, createWriteStream };
});

const dir = tempDir('promotion-unwritable-');
const clip = join(dir, 'clip.mp4');
makeClip(clip, { width: 64, height: 48, frames: 4 });
const frames = join(dir, 'frames');

afterEach(() => {
  faults.write = undefined;
  faults.access = undefined;
  faults.full = undefined;
});

/** Names under `folder` that look like staging left behind. */
const staging = (folder: string) => (existsSync(folder) ? readdirSync(folder).filter((f) => f.includes('.partial-') || f.includes('.replaced-')) : []);

describe('an output that cannot be written', () => {
  it('a parent that is a regular file: exit 7 before any work, naming the file', async () => {
    expect((await cli(['convert', clip, '-o', frames])).code).toBe(0);
    const file = join(dir, 'f.txt');
    writeFileSync(file, 'x');
    for (const args of [['convert', clip, '-o', join(file, 'o.mp4')], ['convert', clip, '-o', join(file, 'sub', 'images')], ['synth', frames, '-o', join(file, 'data')], ['pose', clip, '-o', join(file, 'p.jsonl')]]) {
      const r = await cli(args);
      expect(r.code, r.err).toBe(7);
      expect(r.err).toBe(`promotion: Cannot write ${args[3]}: ${file} is a file, not a folder. Choose another path.\n`);
    }
    const synthOnFile = await cli(['synth', frames, '-o', file]);
    expect(synthOnFile.code).toBe(5);
    expect(synthOnFile.err).toBe(`promotion: Output ${file} is a file, but a folder is to be written there; choose another path.\n`);
  });

  it('a trailing slash on a file output: exit 2 before any work', async () => {
    const out = join(dir, 'out', 'c.mp4/');
    const r = await cli(['convert', clip, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`promotion: Output ${out} ends with a slash, which names a folder, but a file is to be written there; drop the trailing slash.\n`);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('a read-only file system: exit 7 before any work (synth no longer says ENOENT)', async () => {
    faults.access = { match: join(dir, 'ro'), code: 'EROFS' };
    mkdirSync(join(dir, 'ro'));
    for (const args of [['convert', clip, '-o', join(dir, 'ro', 'images')], ['synth', frames, '-o', join(dir, 'ro', 'data')], ['eval', frames, '--report', join(dir, 'ro', 'report')]]) {
      const r = await cli(args);
      expect(r.code, r.err).toBe(7);
      expect(r.err).toBe(`promotion: Cannot write ${args[3]}: the file system is read-only (EROFS). Choose an output on a writable disk.\n`);
    }
    expect(readdirSync(join(dir, 'ro'))).toEqual([]);
  });

  it('a disk already full: exit 7 before any work', async () => {
    faults.full = join(dir, 'full');
    mkdirSync(join(dir, 'full'));
    for (const args of [['convert', clip, '-o', join(dir, 'full', 'a.jsonl')], ['synth', frames, '-o', join(dir, 'full', 'data')], ['eval', frames, '--report', join(dir, 'full', 'report')]]) {
      const r = await cli(args);
      expect(r.code, r.err).toBe(7);
      expect(r.err).toBe(`promotion: Cannot write ${args[3]}: the disk is full (ENOSPC). Free some space or choose another disk.\n`);
    }
  });

  it('a disk that fills up while writing: exit 7, and nothing half-written left (image folders, .jsonl, synth, a report)', async () => {
    const out = join(dir, 'filling');
    mkdirSync(out);
    faults.write = { match: out, code: 'ENOSPC' };
    const message = (path: string) => `promotion: Cannot write ${path}: the disk is full (ENOSPC). Free some space or choose another disk.\n`;
    for (const args of [['convert', clip, '-o', join(out, 'images')], ['convert', clip, '-o', join(out, 'frames.jsonl')], ['synth', frames, '-o', join(out, 'data')]]) {
      const r = await cli(args);
      expect(r.code, r.err).toBe(7);
      expect(r.err).toBe(message(args[0] === 'synth' ? join(out, 'data', 'frames') : args[3]!));
    }
    expect(readdirSync(out).filter((f) => f !== 'data')).toEqual([]);
    expect(staging(join(out, 'data'))).toEqual([]);
    const report = makeReport({ sequences: 1, frames: 4, panelFrames: [] });
    await expect(writeReport(join(out, 'report'), report)).rejects.toThrow(new OutputNotWritableError(join(out, 'report'), 'disk-full', `Cannot write ${join(out, 'report')}: the disk is full (ENOSPC). Free some space or choose another disk.`));
    expect(staging(out)).toEqual([]);
  });
});

/** Whether root may mount a tmpfs here (a CI container may not: then only the injected faults above run). */
function canMount(): boolean {
  try {
    const probe = join(dir, 'mount-probe');
    mkdirSync(probe, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.runIf(process.getuid?.() === 0 && canMount())('on real file systems (tmpfs)', () => {
  const mounts: string[] = [];
  const mount = (name: string, options: string) => {
    const at = join(dir, name);
    mkdirSync(at, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', at]);
    mounts.push(at);
    return at;
  };
  afterAll(() => {
    for (const at of mounts) execFileSync('umount', [at]);
  });

  it('read-only: synth and convert exit 7 before any work', async () => {
    const ro = mount('ro-real', 'size=64k,ro');
    const r = await cli(['synth', frames, '-o', join(ro, 'data')]);
    expect(r.code, r.err).toBe(7);
    expect(r.err).toContain('the file system is read-only (EROFS)');
    expect((await cli(['convert', clip, '-o', join(ro, 'c.mkv')])).code).toBe(7);
  });

  it('full while writing: image folder, .jsonl, video and synth exit 7 and leave nothing', async () => {
    const small = mount('small-real', 'size=256k');
    const long = join(dir, 'long.mkv');
    makeClip(long, { width: 320, height: 240, frames: 200, args: ['-c:v', 'ffv1'] });
    // A filler (this test's own file) leaves one page free, so each output fills the disk part-way.
    const filler = join(small, 'filler');
    for (const args of [['convert', long, '-o', join(small, 'images')], ['convert', long, '-o', join(small, 'frames.jsonl')], ['convert', long, '-o', join(small, 'video.mkv')], ['synth', frames, '-o', join(small, 'data')]]) {
      const { bavail, bsize } = statfsSync(small);
      writeFileSync(filler, Buffer.alloc(Math.max(0, (bavail - 1) * bsize)));
      const r = await cli(args);
      expect(r.code, `${args[3]}: ${r.err}`).toBe(7);
      expect(r.err).toContain('the disk is full (ENOSPC)');
      expect(readdirSync(small).filter((f) => f !== 'filler' && f !== 'data')).toEqual([]);
      expect(staging(join(small, 'data'))).toEqual([]);
      rmSync(filler);
    }
  });
});
