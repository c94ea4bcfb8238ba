import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { from, lastValueFrom, toArray, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { CorruptInputError, FrameMismatchError, InputNotFoundError, OutputExistsError } from '../../src/errors.js';
import { psnr } from '../../src/metrics/psnr.js';
import type { Frame } from '../../src/stream/frame.js';
import { encodeImage } from '../../src/stream/image-codec.js';
import { OUTPUT_MARKER } from '../../src/stream/atomic.js';
import { writeImageSequence } from '../../src/stream/image-sequence-sink.js';
import { openImageSequence } from '../../src/stream/image-sequence-source.js';
import { sourceFrames$ } from '../../src/stream/pipe-source.js';
import { eventually, pattern16Frame, patternFrame, tempDir } from '../helpers.js';

const dir = tempDir();
const readAll = async (path: string, options = {}) => lastValueFrom(sourceFrames$(await openImageSequence(path, options)).pipe(toArray()));

async function writeFolder(name: string, frames: Frame[], names: (i: number) => string, format: 'png' | 'jpeg' = 'png'): Promise<string> {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  for (const [i, f] of frames.entries()) writeFileSync(join(folder, names(i)), await encodeImage(f, format));
  return folder;
}

describe('image-sequence source', () => {
  it('reads in natural order (frame_2 before frame_10) with timestamps from fps', async () => {
    const frames = Array.from({ length: 12 }, (_, i) => patternFrame(20, 10, i));
    const folder = await writeFolder('natural', frames, (i) => `frame_${i}.png`);
    writeFileSync(join(folder, 'notes.txt'), 'ignored');
    const source = await openImageSequence(folder, { fps: 25 });
    expect(source.info).toMatchObject({ kind: 'image-sequence', width: 20, height: 10, frameCount: 12, fps: 25, sampleType: 'uint8' });
    const back = await lastValueFrom(sourceFrames$(source).pipe(toArray()));
    expect(back.map((f, i) => psnr(frames[i]!, f))).toEqual(Array(12).fill(Infinity));
    expect(back[10]!.timestampMs).toBe(400);
  });

  it('keeps 16-bit PNGs 16-bit, exactly', async () => {
    const frames = [pattern16Frame(9, 7, 0), pattern16Frame(9, 7, 1)];
    const folder = await writeFolder('sixteen', frames, (i) => `f${i}.png`);
    const back = await readAll(folder);
    expect(back[0]!.sampleType).toBe('uint16');
    expect(back.map((f, i) => psnr(frames[i]!, f))).toEqual([Infinity, Infinity]);
    expect((await readAll(folder, { sampleType: 'uint8' }))[0]!.sampleType).toBe('uint8');
  });

  it('reads JPEG', async () => {
    const folder = await writeFolder('jpeg', [patternFrame(32, 32)], () => 'a.jpeg', 'jpeg');
    const [frame] = await readAll(folder);
    expect(frame).toMatchObject({ width: 32, height: 32, sampleType: 'uint8' });
  });

  it('applies EXIF orientation, and measures the size after it', async () => {
    const folder = join(dir, 'exif');
    mkdirSync(folder);
    // A 40x20 JPEG whose EXIF says "rotate 90 degrees clockwise to display" (orientation 6): shown as 20x40.
    const sharp = (await import('sharp')).default;
    await sharp({ create: { width: 40, height: 20, channels: 3, background: { r: 200, g: 10, b: 10 } } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toFile(join(folder, '0.jpg'));
    const source = await openImageSequence(folder);
    expect(source.info).toMatchObject({ width: 20, height: 40 });
    const [frame] = await lastValueFrom(sourceFrames$(source).pipe(toArray()));
    expect(frame).toMatchObject({ width: 20, height: 40 });
  });

  it('mixed frame sizes: FrameMismatchError naming the file', async () => {
    const folder = await writeFolder('mixed', [patternFrame(20, 10, 0), patternFrame(20, 10, 1), patternFrame(21, 10, 2)], (i) => `${i}.png`);
    await expect(readAll(folder)).rejects.toThrow(
      new FrameMismatchError(`Image ${join(folder, '2.png')} is 21x10 but the sequence is 20x10 (from ${join(folder, '0.png')}); resize it or move it out of ${folder}.`),
    );
  });

  it('a corrupt image: CorruptInputError naming the file and the fix', async () => {
    const folder = await writeFolder('corrupt', [patternFrame(20, 10, 0)], () => '0.png');
    const good = await encodeImage(patternFrame(20, 10, 1), 'png');
    writeFileSync(join(folder, '1.png'), good.subarray(0, good.length - 40));
    const error = await readAll(folder).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptInputError);
    expect((error as Error).message).toMatch(new RegExp(`^Cannot decode image ${join(folder, '1.png')}: .+\\. Replace or remove the file \\(PNG and JPEG are supported\\)\\.$`));
  });

  it('a missing folder and a folder without images', async () => {
    const missing = join(dir, 'missing');
    await expect(openImageSequence(missing)).rejects.toThrow(new InputNotFoundError(missing, `Image folder ${missing} does not exist. Check the path.`));
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    await expect(openImageSequence(empty)).rejects.toThrow(`Folder ${empty} holds no images (looked for .png, .jpg, .jpeg).`);
  });

  it('rejects nonsense options', async () => {
    await expect(openImageSequence(dir, { fps: -1 })).rejects.toThrow('Expected number greater than 0 and at most 10000 for fps but received -1 of type number');
    await expect(openImageSequence(dir, { readahead: 3 } as object)).rejects.toThrow('Unknown option readahead in openImageSequence options; known options: fps, sampleType, readAhead, maxFrames');
  });
});

describe('image-sequence sink', () => {
  it('writes numbered PNGs, 16-bit when the frames are, atomically', async () => {
    const out = join(dir, 'out16');
    const frames = [pattern16Frame(5, 4, 0), pattern16Frame(5, 4, 1)];
    await lastValueFrom(from(frames).pipe(writeImageSequence(out, { prefix: 'img_', digits: 3 }), toArray()));
    expect(readdirSync(out).sort()).toEqual([OUTPUT_MARKER, 'img_000.png', 'img_001.png']);
    const back = await readAll(out);
    expect(back.map((f, i) => psnr(frames[i]!, f))).toEqual([Infinity, Infinity]);
  });

  it('interrupted: no output folder, no staging folder', async () => {
    const parent = join(dir, 'interrupt-parent');
    mkdirSync(parent);
    const out = join(parent, 'frames');
    const input = new Subject<Frame>();
    const seen: number[] = [];
    const sub = input.pipe(writeImageSequence(out)).subscribe((f) => seen.push(f.index));
    input.next(patternFrame(8, 8, 0));
    input.next(patternFrame(8, 8, 1));
    await eventually(() => seen.length === 2);
    expect(readdirSync(parent)).toHaveLength(1); // the staging folder
    sub.unsubscribe();
    expect(await eventually(() => readdirSync(parent).length === 0)).toBe(true);
    expect(existsSync(out)).toBe(false);
  });

  it('a non-empty folder needs overwrite; with it, the old content is replaced only at the end', async () => {
    const out = join(dir, 'existing-folder');
    await lastValueFrom(from([patternFrame(4, 4, 0)]).pipe(writeImageSequence(out)));
    expect(() => writeImageSequence(out)).toThrow(new OutputExistsError(out));
    await lastValueFrom(from([patternFrame(4, 4, 1), patternFrame(4, 4, 2)]).pipe(writeImageSequence(out, { overwrite: true, format: 'jpeg' })));
    expect(readdirSync(out).sort()).toEqual([OUTPUT_MARKER, 'frame_000000.jpg', 'frame_000001.jpg']);
  });

  it('rejects a 16-bit JPEG', () => {
    expect(() => writeImageSequence(join(dir, 'x'), { format: 'jpeg', bitDepth: 16 })).toThrow('Expected bitDepth 8 for format jpeg (JPEG has no 16-bit mode) but received 16 of type number');
  });
});
