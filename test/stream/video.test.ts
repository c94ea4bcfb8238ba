import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, truncateSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Subject, from, lastValueFrom, take, toArray, map, concatMap, delay, of } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { CorruptInputError, FfmpegExitError, FrameMismatchError, InputNotFoundError, NativeDependencyError, OutputExistsError } from '../../src/errors.js';
import { psnr } from '../../src/metrics/psnr.js';
import type { Frame } from '../../src/stream/frame.js';
import { pipeSource, sourceFrames$ } from '../../src/stream/pipe-source.js';
import { openVideo } from '../../src/stream/video-source.js';
import { writeVideo } from '../../src/stream/video-sink.js';
import { childFfmpegPids, eventually, makeClip, pattern16Frame, patternFrame, tempDir } from '../helpers.js';

const dir = tempDir();
const clip = join(dir, 'clip.mp4');
makeClip(clip, { width: 64, height: 48, frames: 30, fps: 30 });

const readAll = async (path: string, options = {}) => lastValueFrom(sourceFrames$(await openVideo(path, options)).pipe(toArray()));

describe('video source', () => {
  afterEach(() => {
    delete process.env.PROMOTION_FFMPEG;
    delete process.env.PROMOTION_FFPROBE;
  });

  it('probes size, rate and frame count', async () => {
    const source = await openVideo(clip);
    expect(source.info).toMatchObject({ kind: 'video', width: 64, height: 48, fps: 30, frameCount: 30, sampleType: 'uint8', sourceBitDepth: 8 });
    expect(source.info.details.codec).toBe('h264');
  });

  it('reads every frame as rgb24 with index and timestamp', async () => {
    const frames = await readAll(clip);
    expect(frames).toHaveLength(30);
    expect(frames[29]).toMatchObject({ index: 29, width: 64, height: 48, sampleType: 'uint8' });
    expect(frames[3]!.timestampMs).toBeCloseTo(100, 6);
    expect(frames[0]!.data.length).toBe(64 * 48 * 3);
  });

  it('counts frames of a container without a frame count (Matroska)', async () => {
    const mkv = join(dir, 'clip.mkv');
    makeClip(mkv, { frames: 12 });
    expect((await openVideo(mkv)).info.frameCount).toBe(12);
  });

  it('reads 16-bit (rgb48le) and maxFrames', async () => {
    const frames = await readAll(clip, { sampleType: 'uint16', maxFrames: 5 });
    expect(frames).toHaveLength(5);
    expect(frames[0]!.sampleType).toBe('uint16');
    const eight = (await readAll(clip, { maxFrames: 1 }))[0]!;
    // 16-bit decode of 8-bit video agrees with the 8-bit decode to within a code
    const sixteen = frames[0]!.data;
    let maxDiff = 0;
    for (let i = 0; i < eight.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(sixteen[i]! / 257 - eight.data[i]!));
    expect(maxDiff).toBeLessThanOrEqual(2.5); // swscale rounds the two output formats differently
  });

  it('unsubscribing (take) kills ffmpeg', async () => {
    const long = join(dir, 'long.mp4');
    makeClip(long, { frames: 600, width: 320, height: 240 });
    const source = await openVideo(long);
    let sawFfmpeg = false;
    const got = await lastValueFrom(
      pipeSource(source, map((f: Frame) => {
        sawFfmpeg ||= childFfmpegPids().length > 0;
        return f.index;
      })).pipe(take(10), toArray()),
    );
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(sawFfmpeg).toBe(true);
    expect(await eventually(() => childFfmpegPids().length === 0)).toBe(true);
  });

  it("applies a rotated stream's display matrix (phone videos): frames come out upright, size swapped", async () => {
    const upright = join(dir, 'upright.mp4');
    makeClip(upright, { width: 64, height: 48, frames: 2 });
    const rotated = join(dir, 'rotated.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-i', upright, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', '-y', rotated]);
    const source = await openVideo(rotated);
    expect(source.info).toMatchObject({ width: 48, height: 64 });
    expect(source.info.details).toMatchObject({ rotationApplied: 90, storedSize: '64x48' });
    const [original] = await readAll(upright, { maxFrames: 1 });
    const [turned] = await lastValueFrom(sourceFrames$(source).pipe(toArray()));
    // The rotated frame is the original turned by a quarter (one way or the other): compare with both.
    const turn = (f: Frame, clockwise: boolean) => {
      const out = new Uint8Array(f.data.length);
      for (let y = 0; y < f.height; y++)
        for (let x = 0; x < f.width; x++) {
          const [nx, ny] = clockwise ? [f.height - 1 - y, x] : [y, f.width - 1 - x];
          for (let c = 0; c < 3; c++) out[(ny * f.height + nx) * 3 + c] = f.data[(y * f.width + x) * 3 + c]!;
        }
      return { ...f, width: f.height, height: f.width, data: out } as Frame;
    };
    const best = Math.max(psnr(turn(original!, true), turned!), psnr(turn(original!, false), turned!));
    expect(best).toBeGreaterThan(30);
  });

  it('a missing file names the path', async () => {
    const missing = join(dir, 'nope.mp4');
    await expect(openVideo(missing)).rejects.toThrow(new InputNotFoundError(missing, `Video file ${missing} does not exist. Check the path (relative paths start at ${process.cwd()}).`));
  });

  it('a file that is not a video is a CorruptInputError naming it', async () => {
    const text = join(dir, 'notes.mp4');
    writeFileSync(text, 'this is not a video\n'.repeat(100));
    await expect(openVideo(text)).rejects.toThrow(CorruptInputError);
    await expect(openVideo(text)).rejects.toThrow(`Cannot read video ${text}: ffprobe could not parse it (${text}: Invalid data found when processing input). Is it a complete video file? Re-encode or re-copy it.`);
  });

  it('a truncated video ends the stream with a CorruptInputError giving the frames decoded', async () => {
    const truncated = join(dir, 'truncated.mp4');
    makeClip(truncated, { frames: 90, width: 320, height: 240, args: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart'] });
    truncateSync(truncated, Math.floor(readFileSync(truncated).length * 0.5));
    const source = await openVideo(truncated);
    expect(source.info.frameCount).toBe(90);
    const error = await lastValueFrom(sourceFrames$(source).pipe(toArray())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorruptInputError);
    expect((error as Error).cause).toBeInstanceOf(FfmpegExitError);
    expect(((error as Error).cause as FfmpegExitError).exitCode).toBe(1);
    expect(((error as Error).cause as FfmpegExitError).stderrTail.length).toBeGreaterThan(0);
    expect((error as Error).message).toMatch(new RegExp(`^Video ${truncated} is truncated or corrupt: decoding stopped after \\d+ of 90 frames \\(ffmpeg exit code 1: `));
    expect((error as Error).message).toContain('Re-encode or re-copy the file, or read it with strict: false (CLI: --lenient) to keep the frames that decode.');
    // lenient mode keeps what decodes
    const kept = await readAll(truncated, { strict: false });
    expect(kept.length).toBeGreaterThan(10);
    expect(kept.length).toBeLessThan(90);
  });

  it('ffmpeg missing: the message names the install step', async () => {
    process.env.PROMOTION_FFMPEG = '/nonexistent/ffmpeg';
    process.env.PROMOTION_FFPROBE = '/nonexistent/ffprobe';
    const { ensureFfmpeg } = await import('../../src/stream/ffmpeg.js');
    await expect(ensureFfmpeg()).rejects.toThrow(NativeDependencyError);
    await expect(ensureFfmpeg()).rejects.toThrow(
      'ffmpeg was not found or could not be started. Install ffmpeg (Debian/Ubuntu: `apt-get install -y ffmpeg`; macOS: `brew install ffmpeg`) or point PROMOTION_FFMPEG and PROMOTION_FFPROBE at the programs.',
    );
  });
});

describe('video sink', () => {
  it('FFV1 in Matroska is lossless, 8-bit and 16-bit', async () => {
    const frames8 = Array.from({ length: 6 }, (_, i) => patternFrame(33, 17, i)); // odd sizes on purpose
    const out8 = join(dir, 'lossless8.mkv');
    await lastValueFrom(from(frames8).pipe(writeVideo(out8, { fps: 25 }), toArray()));
    const back8 = await readAll(out8);
    expect(back8.map((f, i) => psnr(frames8[i]!, f))).toEqual(Array(6).fill(Infinity));

    const frames16 = Array.from({ length: 4 }, (_, i) => pattern16Frame(32, 16, i));
    const out16 = join(dir, 'lossless16.mkv');
    await lastValueFrom(from(frames16).pipe(writeVideo(out16, { fps: 30 }), toArray()));
    const source16 = await openVideo(out16);
    expect(source16.info.sampleType).toBe('uint16');
    const back16 = await lastValueFrom(sourceFrames$(source16).pipe(toArray()));
    expect(back16.map((f, i) => psnr(frames16[i]!, f))).toEqual(Array(4).fill(Infinity));
  });

  it('H.264 round trip keeps the picture (PSNR > 30 dB on a real-looking pattern) and the rate', async () => {
    const source = await readAll(clip);
    const out = join(dir, 'copy.mp4');
    await lastValueFrom(from(source).pipe(writeVideo(out, { fps: 30 }), toArray()));
    const copy = await openVideo(out);
    expect(copy.info).toMatchObject({ width: 64, height: 48, fps: 30, frameCount: 30 });
    const back = await lastValueFrom(sourceFrames$(copy).pipe(toArray()));
    const values = back.map((f, i) => psnr(source[i]!, f));
    expect(Math.min(...values)).toBeGreaterThan(30);
  });

  it('an interrupted write leaves neither the output nor a temporary file', async () => {
    const out = join(dir, 'interrupted', 'partial.mp4');
    const input = new Subject<Frame>();
    const seen: number[] = [];
    const subscription = input.pipe(writeVideo(out, { fps: 30 })).subscribe((f) => seen.push(f.index));
    for (let i = 0; i < 5; i++) input.next(patternFrame(64, 48, i));
    await eventually(() => seen.length === 5);
    expect(childFfmpegPids().length).toBeGreaterThan(0);
    subscription.unsubscribe();
    expect(await eventually(() => readdirSync(join(dir, 'interrupted')).length === 0)).toBe(true);
    expect(await eventually(() => childFfmpegPids().length === 0)).toBe(true);
  });

  it('an upstream error removes the partial output and passes the error on', async () => {
    const out = join(dir, 'errored.mp4');
    const frames = [patternFrame(16, 16, 0), patternFrame(16, 16, 1)];
    const failing = from(frames).pipe(concatMap((f, i) => (i === 1 ? Promise.reject(new Error('stage failed')) : of(f).pipe(delay(1)))));
    await expect(lastValueFrom(failing.pipe(writeVideo(out, { fps: 30 })))).rejects.toThrow('stage failed');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('mixed frame sizes are a FrameMismatchError and nothing is written', async () => {
    const out = join(dir, 'mixed.mkv');
    const frames = [patternFrame(16, 16, 0), patternFrame(18, 16, 1)];
    await expect(lastValueFrom(from(frames).pipe(writeVideo(out, { fps: 30 })))).rejects.toThrow(
      new FrameMismatchError(`Frame 1 is 18x16 but ${out} is being written at 16x16 (from the first frame).`),
    );
    expect(existsSync(out)).toBe(false);
  });

  it('an existing output is kept unless overwrite is set', async () => {
    const out = join(dir, 'existing.mkv');
    copyFileSync(join(dir, 'lossless8.mkv'), out);
    const before = readFileSync(out);
    // checked when the sink is made, before any frame is decoded
    expect(() => writeVideo(out, { fps: 30 })).toThrow(new OutputExistsError(out));
    expect(() => writeVideo(dir, { fps: 30, codec: 'ffv1' })).toThrow(`Output ${dir} is a folder, but a file is to be written there; choose another path.`);
    expect(readFileSync(out).equals(before)).toBe(true);
    await lastValueFrom(from([patternFrame(8, 8)]).pipe(writeVideo(out, { fps: 30, overwrite: true })));
    expect((await openVideo(out)).info.width).toBe(8);
  });

  it('an ffmpeg failure carries its exit code and last stderr lines, and nothing is left', async () => {
    const out = join(dir, 'badcodec.mkv');
    const error = await lastValueFrom(from([patternFrame(16, 16)]).pipe(writeVideo(out, { fps: 30, codec: 'no_such_encoder' }))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FfmpegExitError);
    const e = error as FfmpegExitError;
    expect(e.exitCode).not.toBe(0);
    expect(e.stderrTail.join('\n')).toContain("Unknown encoder 'no_such_encoder'");
    expect(e.message).toContain("ffmpeg's last output:");
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('validates options when the operator is made', () => {
    expect(() => writeVideo(join(dir, 'x.gif'), { fps: 30 })).toThrow(`Cannot tell the container of ${join(dir, 'x.gif')} from its extension; use one of .mp4, .mov, .m4v, .mkv, .avi, .webm, or pass codec.`);
    expect(() => writeVideo(join(dir, 'x.mp4'), { fps: 0 })).toThrow('Expected number greater than 0 and at most 10000 for fps but received 0 of type number');
    expect(() => writeVideo(join(dir, 'x.mp4'), { fps: 30, crf: 52 })).toThrow('Expected integer between 0 and 51 for crf but received 52 of type number');
    expect(() => writeVideo(join(dir, 'x.webm'), { fps: 30, crf: 64 })).toThrow('Expected integer between 0 and 63 for crf but received 64 of type number');
  });

  it('writes through pipeSource with backpressure from a real decoder', async () => {
    const out = join(dir, 'piped.mkv');
    const n = await lastValueFrom(pipeSource(await openVideo(clip), writeVideo<Frame>(out, { fps: 30 })).pipe(toArray()));
    expect(n).toHaveLength(30);
    expect((await openVideo(out)).info.frameCount).toBe(30);
  });
});
