/**
 * Outputs never delete or replace what the tool did not write: a folder is replaced only when it
 * holds the tool's marker and nothing else, an output that is or holds an input is refused, and a file never
 * replaces a folder (nor the reverse). The API's `overwrite: true` follows the same rules as the CLI's flag.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { from, lastValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { OutputExistsError } from '../../src/errors.js';
import { OUTPUT_MARKER, checkOutputNotInput, pendingFolder } from '../../src/stream/atomic.js';
import { writeImageSequence } from '../../src/stream/image-sequence-sink.js';
import { writeJsonLines } from '../../src/stream/jsonl-sink.js';
import { patternFrame, tempDir } from '../helpers.js';

const dir = tempDir('promotion-atomic-');

const write = (out: string, overwrite: boolean) => lastValueFrom(from([patternFrame(4, 4, 0)]).pipe(writeImageSequence(out, { overwrite })));

describe('folder outputs are replaced only when they are the tool’s own', () => {
  it('refuses a folder without the marker, even with overwrite: true, and leaves it as it was', async () => {
    const out = join(dir, 'theirs');
    mkdirSync(join(out, 'clips'), { recursive: true });
    writeFileSync(join(out, 'other.txt'), 'keep');
    writeFileSync(join(out, 'clips', 'a.png'), 'x');
    const message = `Output ${out} is a folder promotion did not write (it has no ${OUTPUT_MARKER}); it holds clips/, other.txt and is left as it is. Choose another path, or, if it is an old output you no longer need, remove it by hand first: rm -r '${out}'`;
    expect(() => writeImageSequence(out, { overwrite: true })).toThrow(new OutputExistsError(out, message));
    expect(() => writeImageSequence(out)).toThrow(message);
    await expect(pendingFolder(out, true)).rejects.toThrow(message);
    expect(readdirSync(out).sort()).toEqual(['clips', 'other.txt']);
    expect(readFileSync(join(out, 'other.txt'), 'utf8')).toBe('keep');
  });

  it('writes the marker listing what it wrote; replaces its own folder, but not once a file was added to it', async () => {
    const out = join(dir, 'ours');
    await write(out, false);
    const marker = JSON.parse(readFileSync(join(out, OUTPUT_MARKER), 'utf8')) as { tool: string; entries: string[] };
    expect(marker).toMatchObject({ tool: 'promotion-handpose', entries: ['frame_000000.png'] });
    expect(() => writeImageSequence(out)).toThrow(new OutputExistsError(out));
    writeFileSync(join(out, 'notes.txt'), 'mine');
    expect(() => writeImageSequence(out, { overwrite: true })).toThrow(
      new OutputExistsError(out, `Output ${out} holds notes.txt, which promotion did not write there; it is left as it is. Move it out, or choose another path.`),
    );
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine');
    rmSync(join(out, 'notes.txt'));
    await write(out, true);
    expect(readdirSync(out).sort()).toEqual([OUTPUT_MARKER, 'frame_000000.png']);
  });

  it('a file output never replaces a folder, and a folder output never a file', async () => {
    const folder = join(dir, 'a-folder.jsonl');
    mkdirSync(folder);
    expect(() => writeJsonLines(folder, { overwrite: true })).toThrow(`Output ${folder} is a folder, but a file is to be written there; choose another path.`);
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    expect(() => writeImageSequence(file, { overwrite: true })).toThrow(`Output ${file} is a file, but a folder is to be written there; choose another path.`);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('refuses an output that is an input or holds one', () => {
    const root = join(dir, 'x');
    mkdirSync(join(root, 'clips'), { recursive: true });
    expect(() => checkOutputNotInput(root, [join(root, 'clips')])).toThrow(
      new OutputExistsError(root, `Output ${root} holds the input ${join(root, 'clips')}; writing it could replace the input. Choose an output outside the input.`),
    );
    expect(() => checkOutputNotInput(join(root, 'clips'), [join(root, 'clips')])).toThrow(`Output ${join(root, 'clips')} is the input ${join(root, 'clips')}; writing it would replace the input. Choose another output path.`);
    // Beside the input, inside it, or an input that is not on disk (a stream URL): fine.
    expect(() => checkOutputNotInput(join(root, 'out'), [join(root, 'clips'), 'udp://127.0.0.1:9']))
      .not.toThrow();
    expect(() => checkOutputNotInput(join(root, 'clips', 'out.mp4'), [join(root, 'clips')])).not.toThrow();
    expect(existsSync(join(root, 'clips'))).toBe(true);
  });
});
