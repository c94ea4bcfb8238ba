/**
 * The CLI never deletes what it did not write: `--overwrite` replaces only a folder the tool
 * recognises as its own, and an output that is or holds an input is refused, before any work.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OUTPUT_MARKER } from '../../src/stream/atomic.js';
import { cli, makeClip, tempDir } from '../helpers.js';

const dir = tempDir('promotion-safety-');
const clip = join(dir, 'clip.mp4');
makeClip(clip, { width: 64, height: 48, frames: 6 });

describe('--overwrite keeps what the tool did not write', () => {
  it('convert x/clips -o x --overwrite is refused: the output holds the input; clips/ and other.txt stay', async () => {
    const frames = join(dir, 'frames');
    expect((await cli(['convert', clip, '-o', frames])).code).toBe(0);
    const x = join(dir, 'x');
    mkdirSync(join(x, 'clips'), { recursive: true });
    for (const f of readdirSync(frames).filter((f) => f.endsWith('.png'))) writeFileSync(join(x, 'clips', f), readFileSync(join(frames, f)));
    writeFileSync(join(x, 'other.txt'), 'keep');
    const r = await cli(['convert', join(x, 'clips'), '-o', x, '--overwrite']);
    expect(r.code).toBe(5);
    expect(r.err).toBe(`promotion: Output ${x} holds the input ${join(x, 'clips')}; writing it could replace the input. Choose an output outside the input.\n`);
    expect(readdirSync(x).sort()).toEqual(['clips', 'other.txt']);
    expect(readdirSync(join(x, 'clips'))).toHaveLength(6);
    // The same folder as an output of another input: still refused, it is not the tool's.
    const other = await cli(['convert', clip, '-o', x, '--overwrite']);
    expect(other.code).toBe(5);
    expect(other.err).toBe(
      `promotion: Output ${x} is a folder promotion did not write (it has no ${OUTPUT_MARKER}); it holds clips/, other.txt and is left as it is. Choose another path, or, if it is an old output you no longer need, remove it by hand first: rm -r '${x}'\n`,
    );
    expect(readFileSync(join(x, 'other.txt'), 'utf8')).toBe('keep');
  });

  it('an old output (no marker) is refused with the command to remove it; the tool’s own output is replaced', async () => {
    const out = join(dir, 'own');
    expect((await cli(['convert', clip, '-o', out, '--max-frames', '2'])).code).toBe(0);
    expect(readdirSync(out).sort()).toEqual([OUTPUT_MARKER, 'frame_000000.png', 'frame_000001.png']);
    expect((await cli(['convert', clip, '-o', out, '--overwrite', '--max-frames', '3'])).code).toBe(0);
    expect(readdirSync(out).filter((f) => f.endsWith('.png'))).toHaveLength(3);
    rmSync(join(out, OUTPUT_MARKER));
    const old = await cli(['convert', clip, '-o', out, '--overwrite']);
    expect(old.code).toBe(5);
    expect(old.err).toContain(`remove it by hand first: rm -r '${out}'`);
    expect(readdirSync(out)).toHaveLength(3);
  });

  it('eval --report <dir> --overwrite leaves an unrelated paper.tex alone (exit 5, before any work)', async () => {
    const report = join(dir, 'paper');
    mkdirSync(report);
    writeFileSync(join(report, 'paper.tex'), '\\documentclass{article}');
    const frames = join(dir, 'frames');
    const r = await cli(['eval', frames, '--report', report, '--overwrite', '--model', join(dir, 'no-model.onnx')]);
    expect(r.code).toBe(5);
    expect(r.err).toContain(`promotion: Output ${report} is a folder promotion did not write (it has no ${OUTPUT_MARKER}); it holds paper.tex and is left as it is.`);
    expect(readFileSync(join(report, 'paper.tex'), 'utf8')).toBe('\\documentclass{article}');
  });

  it('pose and deblur refuse an output that is the input; synth an output that holds an input', async () => {
    const copy = join(dir, 'copy.mp4');
    writeFileSync(copy, readFileSync(clip));
    const pose = await cli(['pose', copy, '-o', join(dir, 'p.jsonl'), '--overlay', copy, '--overwrite']);
    expect(pose.code).toBe(5);
    expect(pose.err).toBe(`promotion: Output ${copy} is the input ${copy}; writing it would replace the input. Choose another output path.\n`);
    const deblur = await cli(['deblur', copy, '-o', copy, '--overwrite']);
    expect(deblur.code).toBe(5);
    expect(readFileSync(copy).equals(readFileSync(clip))).toBe(true);
    const frames = join(dir, 'frames');
    const synth = await cli(['synth', frames, '-o', dir]);
    expect(synth.code).toBe(5);
    expect(synth.err).toBe(`promotion: Output ${dir} holds the input ${frames}; writing it could replace the input. Choose an output outside the input.\n`);
    expect(existsSync(join(dir, 'frames', 'synthesis.json'))).toBe(false);
  });
});
