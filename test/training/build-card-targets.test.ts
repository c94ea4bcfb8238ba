/**
 * training/build-card-targets.mjs (the stored teacher of train.py's `teacher: {frames}`): it writes a model's restored
 * frames beside each sequence's blur/ as 16-bit PNGs of the same names, the frames deblur() makes; a second run skips
 * what is there; a folder it did not write, or an interrupted run's folder holding something else, is left alone and
 * reported with exit status 1. Runs the compiled build (npm test builds first).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { deblur } from '../../src/deblur/deblur.js';
import { decodeImage, encodeImage } from '../../src/stream/image-codec.js';
import { patternFrame, tempDir } from '../helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = tempDir('card-targets-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(...args: string[]): { status: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [join(root, 'training', 'build-card-targets.mjs'), ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

/** A sequence of `frames` 64x48 frames of a moving pattern, as training/build-data.sh lays one out. */
async function sequence(name: string, frames = 3): Promise<string> {
  const seq = join(dir, 'set', name);
  mkdirSync(join(seq, 'blur'), { recursive: true });
  for (let k = 0; k < frames; k++) writeFileSync(join(seq, 'blur', `frame_${String(k).padStart(6, '0')}.png`), await encodeImage(patternFrame(64, 48, 2 * k), 'png'));
  writeFileSync(join(seq, 'synthesis.json'), '{}\n');
  return seq;
}

describe('training/build-card-targets.mjs', () => {
  it("writes the model's restored frames beside blur/, skips them on a second run, and leaves alone what it did not write", async () => {
    const a = await sequence('scene_a');
    const b = await sequence('scene_b');
    // A folder of that name this script did not write, in the second sequence.
    mkdirSync(join(b, 'card'));
    writeFileSync(join(b, 'card', 'mine.txt'), 'not the script\'s');
    const first = run('--model', 'promotion-c', join(dir, 'set'));
    expect(first.status, first.err).toBe(1);
    expect(first.out).toMatch(/1 sequences written, 0 already there, 1 refused, with promotion-c into card\//);
    expect(first.err).toContain(`${join(b, 'card')}: not written by this script`);
    expect(readdirSync(join(b, 'card'))).toEqual(['mine.txt']);

    // The frames are deblur()'s, with the model's card, at 16 bits.
    const names = readdirSync(join(a, 'blur')).sort();
    expect(readdirSync(join(a, 'card')).sort()).toEqual([...names, 'teacher.json'].sort());
    const inputs = await Promise.all(names.map((n, k) => decodeImage(join(a, 'blur', n), 'uint16', k, (k * 1000) / 30)));
    const want = await lastValueFrom(from(inputs).pipe(deblur({ model: 'promotion-c' }), toArray()));
    for (let k = 0; k < names.length; k++) {
      const got = await decodeImage(join(a, 'card', names[k]!), 'uint16');
      expect(got.sampleType).toBe('uint16');
      expect(Buffer.from(got.data.buffer).equals(Buffer.from(want[k]!.data.buffer)), names[k]).toBe(true);
    }
    const stamp = JSON.parse(readFileSync(join(a, 'card', 'teacher.json'), 'utf8'));
    expect(stamp).toMatchObject({ model: 'promotion-c', frames: names.length });
    expect(stamp.sha256).toMatch(/^[0-9a-f]{64}$/);

    // Once the foreign folder is moved away, the second run writes it and skips the first.
    rmSync(join(b, 'card'), { recursive: true });
    const second = run('--model', 'promotion-c', join(dir, 'set'));
    expect(second.status, second.err).toBe(0);
    expect(second.out).toMatch(/1 sequences written, 1 already there, 0 refused/);

    // Another model's frames under the same folder are not replaced.
    const third = run('--model', 'promotion-s', join(dir, 'set'));
    expect(third.status).toBe(1);
    expect(third.err).toContain('written for promotion-c');
  }, 180_000);

  it("replaces an interrupted run's frames, not a folder of that name holding anything else", async () => {
    const c = await sequence('scene_c', 2);
    const d = join(dir, 'other', 'scene_d');
    cpSync(c, d, { recursive: true });
    mkdirSync(join(c, 'card.partial'));
    writeFileSync(join(c, 'card.partial', 'frame_000000.png'), 'half-written');
    mkdirSync(join(d, 'card.partial'));
    writeFileSync(join(d, 'card.partial', 'notes.txt'), 'mine');
    const r = run('--model', 'promotion-c', join(dir, 'set'), join(dir, 'other'));
    expect(r.status).toBe(1);
    expect(existsSync(join(c, 'card.partial'))).toBe(false);
    expect(readdirSync(join(c, 'card')).length).toBe(3);
    expect(r.err).toContain(`${join(d, 'card.partial')}: holds notes.txt, which this script does not write`);
    expect(readdirSync(join(d, 'card.partial'))).toEqual(['notes.txt']);
  }, 180_000);

  it('refuses nonsense, naming the fix', () => {
    expect(run().err).toMatch(/name at least one ROOT/);
    expect(run('--folder', 'sharp', dir).err).toMatch(/must be a plain folder name of its own/);
    expect(run('--bogus', dir).err).toMatch(/unknown option --bogus/);
    expect(run(join(dir, 'missing')).err).toMatch(/missing is not a folder/);
    const r = run('--model', 'no-such-model', dir);
    expect(r.status).not.toBe(0);
    expect(r.err).toMatch(/no-such-model/);
  });
});
