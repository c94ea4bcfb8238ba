/** Bad input a user may try gets a clear error, not a made-up success. */
import { existsSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/program.js';
import { InputTimeoutError } from '../../src/errors.js';
import { encodeImage } from '../../src/stream/image-codec.js';
import { openLive } from '../../src/stream/live-source.js';
import { cli, makeClip, patternFrame, tempDir } from '../helpers.js';

const dir = tempDir('promotion-bad-input-');

/** Bytes no decoder reads, from a fixed seed. */
function garbage(length: number, seed = 1): Buffer {
  let s = seed;
  return Buffer.from(Array.from({ length }, () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 24)));
}

describe('bad single files', () => {
  it('probe of a garbage image exits 3 (not 0 with size 0x0), naming the file and the fix', async () => {
    for (const [name, codec] of [['garbage.png', 'png'], ['garbage.jpg', 'mjpeg']] as const) {
      const path = join(dir, name);
      writeFileSync(path, garbage(300));
      const r = await cli(['probe', path]);
      expect(r.code, r.out).toBe(3);
      expect(r.err).toBe(`promotion: Cannot read ${path}: ffprobe found a ${codec} stream without a picture size (0x0), so the file is damaged or not the image or video its name says. Re-copy or re-encode it.\n`);
      expect(r.out).toBe('');
    }
  });
});

describe('messages and warnings a user can act on', () => {
  const frames = join(dir, 'frames');
  const clip = join(dir, 'clip25.mp4');
  beforeAll(async () => {
    makeClip(clip, { width: 64, height: 48, frames: 3, fps: 25 });
    mkdirSync(frames);
    for (let k = 0; k < 3; k++) writeFileSync(join(frames, `f${k}.png`), await encodeImage(patternFrame(64, 48, k), 'png'));
  });

  it('name the flags the user typed, not the API options', async () => {
    const exposure = await cli(['synth', frames, '-o', join(dir, 's1'), '--exposure-frames', '200']);
    expect(exposure).toMatchObject({ code: 2, err: 'promotion: Expected integer between 1 and 128 for --exposure-frames but received 200 of type number\n' });
    const rate = await cli(['synth', clip, '-o', join(dir, 's2')]);
    expect(rate.err).toBe('promotion: Expected --virtual-fps to be a whole multiple of the input rate 25 fps but received 1920 (ratio 76.800); try 1925.\n');
    const codec = await cli(['convert', clip, '-o', join(dir, 'out.txt'), '--to', 'video']);
    expect(codec.err).toBe(`promotion: Cannot tell the container of ${join(dir, 'out.txt')} from its extension; use one of .mp4, .mov, .m4v, .mkv, .avi, .webm, or pass --codec.\n`);
    const evalExposure = await cli(['eval', frames, '--report', join(dir, 'r1'), '--exposure-frames', '200']);
    expect(evalExposure).toMatchObject({ code: 2, err: 'promotion: Expected integer between 1 and 128 for --exposure-frames but received 200 of type number\n' });
  });

  it('eval refuses a --crop-border too large for the frames before any synthesis or deblurring', async () => {
    const report = join(dir, 'r2');
    const r = await cli(['eval', frames, '--report', report, '--crop-border', '30']);
    expect(r).toMatchObject({ code: 2, err: 'promotion: Expected integer between 0 and 18 for --crop-border but received 30 of type number\n' });
    expect(existsSync(join(`${report}.work`, 'synth'))).toBe(false);
  });

  it('--lenient says how many frames it kept of a damaged video', async () => {
    const truncated = join(dir, 'truncated.mp4');
    makeClip(truncated, { frames: 60, width: 160, height: 120, args: ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-movflags', '+faststart'] });
    truncateSync(truncated, Math.floor(readFileSync(truncated).length * 0.5));
    const r = await cli(['convert', truncated, '-o', join(dir, 'kept.jsonl'), '--lenient', '--json']);
    expect(r.code, r.err).toBe(0);
    const kept = (JSON.parse(r.out) as { frames: number }).frames;
    expect(kept).toBeLessThan(60);
    expect(r.err).toMatch(new RegExp(`^promotion: warning: Video ${truncated} is damaged: kept ${kept} of 60 frames, skipping what did not decode \\(ffmpeg: .+\\)\\.$`, 'm'));
  });

  it('synth prints each sequence’s line when it is done, so a Ctrl-C keeps them', async () => {
    const second = join(dir, 'frames2');
    mkdirSync(second);
    for (let k = 0; k < 3; k++) writeFileSync(join(second, `f${k}.png`), await encodeImage(patternFrame(64, 48, k + 5), 'png'));
    const controller = new AbortController();
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (c: Buffer) => {
      out += c.toString();
      controller.abort(); // Ctrl-C as soon as the first sequence is reported
    });
    const code = await runCli(['synth', frames, second, '-o', join(dir, 'lines'), '--threads', '1'], { stdout, stderr: new PassThrough(), signal: controller.signal });
    expect(code).toBe(130);
    expect(out).toMatch(/^wrote {3}frames: 3 frames, \d+ ms\/frame -> /);
  });

  it('a zero-byte image is called empty, not a video or an unsupported format', async () => {
    const empty = join(dir, 'empty.png');
    writeFileSync(empty, '');
    const single = await cli(['probe', empty]);
    expect(single).toMatchObject({ code: 3, err: `promotion: Input ${empty} is empty (0 bytes): there is nothing to read. Re-copy it.\n` });
    const folder = join(dir, 'with-empty');
    mkdirSync(folder);
    writeFileSync(join(folder, 'a.png'), await encodeImage(patternFrame(8, 8), 'png'));
    writeFileSync(join(folder, 'b.png'), '');
    const inFolder = await cli(['probe', folder]);
    expect(inFolder).toMatchObject({ code: 3, err: `promotion: Image ${join(folder, 'b.png')} is empty (0 bytes); replace or remove it.\n` });
  });

  it('--bit-depth 16 to a codec that keeps 10 bits is refused before any work', async () => {
    const out = join(dir, 'deep.mp4');
    const r = await cli(['convert', frames, '-o', out, '--bit-depth', '16']);
    expect(r).toMatchObject({ code: 2, err: `promotion: --bit-depth 16 cannot be kept in ${out}: libx264 stores at most 10 bits. Write .mkv or .avi (FFV1, 16-bit) or an image folder, or pass --bit-depth 8.\n` });
    expect((await cli(['convert', frames, '-o', join(dir, 'deep.mkv'), '--bit-depth', '16'])).code).toBe(0);
  });

  it('an unreachable udp:// source times out as before, saying what was tried and what to check', async () => {
    const error = await openLive('udp://127.0.0.1:9', { idleTimeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputTimeoutError);
    expect((error as Error).message).toMatch(
      /^Cannot open live input udp:\/\/127\.0\.0\.1:9: ffprobe listened for 5\.1 s and received no video( \(.*\))?\. Check that a sender is streaming to this machine at that address and port, that no firewall drops the packets, and the format \(e\.g\. mpegts\)\.$/,
    );
  }, 30_000);
});
