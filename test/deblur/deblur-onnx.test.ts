/**
 * deblur() and `promotion deblur` with a real (tiny, randomly initialised) exported network: tiles against the
 * whole frame, video, image sequences (16-bit kept) and live input, the CLI's errors, exit codes and Ctrl-C.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { from, lastValueFrom, take, toArray } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { deblur, type DeblurFrameInfo } from '../../src/deblur/deblur.js';
import { psnr } from '../../src/metrics/psnr.js';
import type { Frame } from '../../src/stream/frame.js';
import { decodeImage, encodeImage, readImageMeta } from '../../src/stream/image-codec.js';
import { openLive } from '../../src/stream/live-source.js';
import { pipeSource } from '../../src/stream/pipe-source.js';
import { cli, makeClip, tempDir } from '../helpers.js';
import { movingSquare } from './fake-model.js';
import { exportTinyModel, type TinyModel, writeVariant } from './tiny-model.js';

const dir = tempDir('promotion-deblur-onnx-');
let tiny: TinyModel;

beforeAll(() => {
  tiny = exportTinyModel(dir);
}, 300_000);

describe('deblur() with an exported network', () => {
  it('tiles (3 x 3, tile 64, overlap 16) match the whole frame to >= 45 dB; the network is not the identity', async () => {
    const frames = Array.from({ length: 4 }, (_, k) => movingSquare(160, 120, k));
    const restore = async (tileSize: number) => {
      const infos: DeblurFrameInfo[] = [];
      const out = await lastValueFrom(from(frames).pipe(deblur({ model: tiny.onnx, threads: 1, tileSize, overlap: 16, onFrameInfo: (i) => infos.push(i) }), toArray()));
      return { out, calls: infos.map((i) => i.networkCalls) };
    };
    const whole = await restore(256);
    const tiled = await restore(64);
    expect(whole.calls).toEqual([1, 1, 1, 1]);
    expect(tiled.calls).toEqual([9, 9, 9, 9]);
    for (let k = 0; k < frames.length; k++) {
      expect(psnr(whole.out[k]!, frames[k]!)).toBeLessThan(40); // the random network changes the frame...
      const agreement = psnr(tiled.out[k]!, whole.out[k]!);
      expect(agreement, `frame ${k}`).toBeGreaterThanOrEqual(45); // ...and tiling does not add seams
    }
  });

  it('restores a live stream (an ffmpeg test pattern in real time), windows split at dropped frames', async () => {
    const source = await openLive('testsrc2=size=64x48:rate=30', { format: 'lavfi', inputOptions: ['-re'] });
    const out: Frame[] = await lastValueFrom(pipeSource(source, deblur({ model: tiny.onnx, threads: 1, gapPolicy: 'split' })).pipe(take(4), toArray()));
    expect(out).toHaveLength(4);
    for (const f of out) expect([f.width, f.height, f.sampleType]).toEqual([64, 48, 'uint8']);
    expect(out.map((f) => f.index)).toEqual([...out.map((f) => f.index)].sort((a, b) => a - b));
  });
});

describe('promotion deblur', () => {
  it('video in, video out, with a JSON summary', async () => {
    const clip = join(dir, 'clip.mp4');
    makeClip(clip, { width: 64, height: 48, frames: 6 });
    const out = join(dir, 'restored.mkv');
    const r = await cli(['deblur', clip, '-o', out, '--model', tiny.onnx, '--threads', '1', '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ frames: 6, width: 64, height: 48, sampleType: 'uint8', model: 'tiny', executionProvider: 'cpu', threads: 1, roi: 'off', clampRadius: 3, warnings: [] });
    expect(JSON.parse((await cli(['probe', out, '--json'])).out)).toMatchObject({ frameCount: 6, width: 64, height: 48 });
    // The card's clampRadius is the default; --clamp-radius wins.
    const clamp1 = writeVariant(tiny, dir, 'cli-clamp-1', { card: (c) => (c.clampRadius = 1) });
    const byCard = await cli(['deblur', clip, '-o', join(dir, 'by-card.mkv'), '--model', clamp1.onnx, '--threads', '1', '--json']);
    expect(byCard.code).toBe(0);
    expect(JSON.parse(byCard.out)).toMatchObject({ clampRadius: 1 });
    const given = await cli(['deblur', clip, '-o', join(dir, 'given.mkv'), '--model', clamp1.onnx, '--threads', '1', '--clamp-radius', '0', '--json']);
    expect(JSON.parse(given.out)).toMatchObject({ clampRadius: 0 });
  });

  it('a 16-bit image folder gives a 16-bit image folder (bit depth preserved)', async () => {
    const input = join(dir, 'frames16');
    mkdirSync(input);
    for (let k = 0; k < 4; k++) writeFileSync(join(input, `f${k}.png`), await encodeImage(movingSquare(48, 32, k, { sixteen: true }), 'png'));
    const out = join(dir, 'restored16');
    const r = await cli(['deblur', input, '-o', out, '--model', tiny.onnx, '--threads', '1', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ frames: 4, sampleType: 'uint16' });
    const files = readdirSync(out).filter((f) => f.endsWith('.png')).sort();
    expect(files).toHaveLength(4);
    expect((await readImageMeta(join(out, files[0]!))).bitDepth).toBe(16);
    const frame = await decodeImage(join(out, files[1]!), 'uint16');
    // Values an 8-bit image could not hold: the output really has 16 bits.
    expect(Array.from(frame.data).filter((v) => v % 257 !== 0).length).toBeGreaterThan(frame.data.length / 2);
  });

  it('records a live stream up to --max-frames; --roi motion restores regions', async () => {
    const out = join(dir, 'live.mkv');
    const r = await cli(['deblur', 'testsrc2=size=96x64:rate=30', '--kind', 'live', '--format', 'lavfi', '--max-frames', '4', '-o', out, '--model', tiny.onnx, '--roi', 'motion', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ frames: 4, width: 96, height: 64, roi: 'motion', motionScope: 'frame' });
    expect(JSON.parse((await cli(['probe', out, '--json'])).out)).toMatchObject({ frameCount: 4 });
  });

  it('clear errors and exit codes, and nothing written: missing or broken model, bad options, tiny frames, taken output', async () => {
    const clip = join(dir, 'errors.mp4');
    makeClip(clip, { width: 64, height: 48, frames: 3 });
    const out = join(dir, 'never.mkv');
    const missing = join(dir, 'nowhere.onnx');
    const noModel = await cli(['deblur', clip, '-o', out, '--model', missing]);
    expect(noModel.code).toBe(3);
    expect(noModel.err).toBe(`promotion: Model file ${missing} does not exist. Check the path (relative paths start at ${process.cwd()}), or name a model in ${join(process.cwd(), 'models')}.\n`);
    const garbage = writeVariant(tiny, dir, 'garbage', { onnx: () => Buffer.from('garbage') });
    const broken = await cli(['deblur', clip, '-o', out, '--model', garbage.onnx]);
    expect(broken.code).toBe(3);
    expect(broken.err).toMatch(new RegExp(`^promotion: Model ${garbage.onnx} cannot be loaded by ONNX Runtime .*Export it again with`));
    const badTile = await cli(['deblur', clip, '-o', out, '--model', tiny.onnx, '--tile', '10']);
    expect(badTile.code).toBe(2);
    expect(badTile.err).toBe('promotion: Expected integer between 64 and 16384 for --tile but received 10 of type number\n');
    const badClamp = await cli(['deblur', clip, '-o', out, '--model', tiny.onnx, '--clamp-radius', '-2']);
    expect(badClamp.code).toBe(2);
    expect(badClamp.err).toBe('promotion: Expected integer between 0 and 64 for --clamp-radius but received -2 of type number\n');
    const badRoi = await cli(['deblur', clip, '-o', out, '--model', tiny.onnx, '--roi', 'face']);
    expect(badRoi.code).toBe(2);
    expect(badRoi.err).toBe(`promotion: Expected one of 'off', 'motion', 'hands' for --roi but received "face" of type string\n`);
    const jsonl = await cli(['deblur', clip, '-o', join(dir, 'x.jsonl'), '--model', tiny.onnx]);
    expect(jsonl.code).toBe(2);
    const small = join(dir, 'small');
    mkdirSync(small);
    for (let k = 0; k < 2; k++) writeFileSync(join(small, `f${k}.png`), await encodeImage(movingSquare(12, 10, k, { size: 2 }), 'png'));
    const tooSmall = await cli(['deblur', small, '-o', out, '--model', tiny.onnx]);
    expect(tooSmall.code).toBe(3);
    expect(tooSmall.err).toBe(`promotion: ${small} holds 12x10 frames, smaller than the 16x16 deblurring needs; scale it up first (e.g. ffmpeg -vf scale).\n`);
    expect(existsSync(out)).toBe(false);
    const taken = join(dir, 'taken.mkv');
    writeFileSync(taken, 'x');
    const exists = await cli(['deblur', clip, '-o', taken, '--model', tiny.onnx]);
    expect(exists.code).toBe(5);
  });

  it('Ctrl-C mid-stream exits 130 and leaves no partial output', async () => {
    const long = join(dir, 'long.mp4');
    makeClip(long, { width: 128, height: 96, frames: 120 });
    const out = join(dir, 'interrupted');
    const controller = new AbortController();
    const started = cli(['deblur', long, '-o', out, '--model', tiny.onnx, '--threads', '1'], controller.signal);
    // Abort once restored frames are being written (the sink's staging folder exists).
    while (!readdirSync(dir).some((f) => f.startsWith('.interrupted.partial-'))) await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    const r = await started;
    expect(r.code).toBe(130);
    expect(r.err).toBe('promotion: The run was interrupted; partial outputs were removed.\n');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('interrupted'))).toEqual([]);
  });
});
