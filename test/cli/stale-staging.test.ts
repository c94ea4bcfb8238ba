/**
 * Partial outputs a run could not remove (killed with SIGKILL, or stopped at once by a second Ctrl-C) are removed by
 * the next run writing the same output, for convert, deblur and pose as for synth and eval; a second Ctrl-C says
 * what it leaves. Only the tool's own staging names, of processes no longer running, go.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { leavingAtOnceMessage } from '../../src/cli/io.js';
import { pendingFile } from '../../src/stream/atomic.js';
import { cli, eventually, makeClip, tempDir } from '../helpers.js';

const dir = tempDir('promotion-stale-');
const clip = join(dir, 'clip.mp4');
makeClip(clip, { width: 64, height: 48, frames: 3 });
const bin = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

describe('stale partial outputs', () => {
  it('convert and pose remove the staging a dead process left beside their output, and nothing else', async () => {
    const out = join(dir, 'planted');
    mkdirSync(out);
    const stale = ['.v.partial-999999-abc-0.mkv', '.frames.partial-999999-abc-1', '.p.partial-999999-abc-2.jsonl'];
    // Not the tool's names, or the staging of a process still running (pid 1): kept.
    const kept = ['.v.partial-notes.mkv', '.v.partial-1-abc-3.mkv', 'v.partial-999999-abc-4.mkv'];
    for (const name of [...stale, ...kept]) {
      if (name.includes('frames')) mkdirSync(join(out, name));
      else writeFileSync(join(out, name), 'x');
    }
    expect((await cli(['convert', clip, '-o', join(out, 'v.mkv')])).code).toBe(0);
    expect((await cli(['convert', clip, '-o', join(out, 'frames')])).code).toBe(0);
    const pose = await cli(['pose', clip, '-o', join(out, 'p.jsonl'), '--no-progress']);
    expect(pose.code, pose.err).toBe(0);
    expect(readdirSync(out).sort()).toEqual([...kept, 'frames', 'p.jsonl', 'v.mkv'].sort());
  });

  it('after SIGKILL, the next run removes the partial output before writing its own', async () => {
    expect(existsSync(bin), `${bin} is missing: run npm run build`).toBe(true);
    const long = join(dir, 'long.mp4');
    makeClip(long, { width: 320, height: 240, frames: 600 });
    const out = join(dir, 'killed.mkv');
    const partials = () => readdirSync(dir).filter((f) => f.startsWith('.killed.partial-'));
    const child = spawn(process.execPath, [bin, 'convert', long, '-o', out, '--no-progress'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('close', resolve));
    expect(await eventually(() => partials().some((f) => statSync(join(dir, f)).size > 0), 30_000)).toBe(true);
    child.kill('SIGKILL');
    await exited;
    expect(partials()).toHaveLength(1);
    const r = await cli(['convert', clip, '-o', out]);
    expect(r.code, r.err).toBe(0);
    expect(partials()).toEqual([]);
  }, 120_000);

  it('a second Ctrl-C says which partial outputs it leaves', async () => {
    expect(leavingAtOnceMessage()).toBe('Interrupted again: stopped at once.\n');
    const pending = await pendingFile(join(dir, 'cut.mkv'), false);
    expect(leavingAtOnceMessage()).toBe(`Interrupted again: stopped at once, leaving ${pending.tempPath}; the next run writing the same output removes it.\n`);
    await pending.abort();
    expect(leavingAtOnceMessage()).toBe('Interrupted again: stopped at once.\n');
  });
});
