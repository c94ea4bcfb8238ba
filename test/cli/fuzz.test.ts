/**
 * Property-based fuzzing (fast-check, fixed seeds so CI is repeatable; a failure prints its seed and the shrunk
 * case): corrupt, truncated and random files fed to the sources, and random options and outputs fed to the CLI,
 * end in success or a typed error (a PromotionError; exit codes other than 1), never in a crash, and leave no
 * partial output behind. Kept to a few seconds: small frames, a few dozen runs.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { PromotionError } from '../../src/errors.js';
import { openSource } from '../../src/stream/open-source.js';
import { sourceFrames$ } from '../../src/stream/pipe-source.js';
import { encodeImage } from '../../src/stream/image-codec.js';
import { cli, makeClip, patternFrame, tempDir } from '../helpers.js';

const dir = tempDir('promotion-fuzz-');
const clip = join(dir, 'clip.mp4');
makeClip(clip, { width: 32, height: 24, frames: 3 });
const clipBytes = readFileSync(clip);
const pngBytes = await encodeImage(patternFrame(32, 24), 'png');
const jpegBytes = await encodeImage(patternFrame(32, 24), 'jpeg');
const frames = join(dir, 'frames');
mkdirSync(frames);
for (let k = 0; k < 3; k++) writeFileSync(join(frames, `f${k}.png`), await encodeImage(patternFrame(32, 24, k), 'png'));

/** Names that show a partial output left behind. */
const leftovers = (folder: string): string[] => (existsSync(folder) ? readdirSync(folder, { recursive: true }).map(String).filter((f) => f.includes('.partial-') || f.includes('.replaced-')) : []);

let case_ = 0;
const fresh = () => {
  const d = join(dir, `case-${case_++}`);
  mkdirSync(d);
  return d;
};

/** File contents: random bytes, a real file truncated, a real file with bytes flipped, or nothing. */
const contents = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 400 }).map((b) => Buffer.from(b)),
  fc.tuple(fc.constantFrom(clipBytes, pngBytes, jpegBytes), fc.double({ min: 0, max: 1, noNaN: true })).map(([b, f]) => b.subarray(0, Math.floor(b.length * f))),
  fc.tuple(fc.constantFrom(clipBytes, pngBytes, jpegBytes), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 })).map(([b, flips]) => {
    const copy = Buffer.from(b);
    for (const [at, value] of flips) copy[at % copy.length] = value;
    return copy;
  }),
);

describe('fuzz', () => {
  it('sources: a corrupt, truncated or random file or image folder yields frames or a typed error', async () => {
    await fc.assert(
      fc.asyncProperty(contents, fc.constantFrom('x.mp4', 'x.mkv', 'x.png', 'x.jpg', 'x'), fc.boolean(), async (bytes, name, asFolder) => {
        const d = fresh();
        const input = asFolder ? join(d, 'images') : join(d, name);
        if (asFolder) {
          mkdirSync(input);
          writeFileSync(join(input, 'a.png'), pngBytes);
          writeFileSync(join(input, name.includes('.') ? `b${name.slice(1)}` : 'b.png'), bytes);
        } else {
          writeFileSync(input, bytes);
        }
        try {
          const source = await openSource(input, { maxFrames: 4 });
          const read = await lastValueFrom(sourceFrames$(source).pipe(toArray()));
          for (const f of read) expect(f.width * f.height * f.channels).toBe(f.data.length);
        } catch (error) {
          if (!(error instanceof PromotionError)) throw error;
        }
      }),
      { numRuns: 40, seed: 16 },
    );
  });

  it('convert: random inputs, options and outputs exit with a documented code (never 1) and leave no partial output', async () => {
    // Each option is left out three times in four, and its value is mostly sensible, so most runs get to work.
    const option = (flag: string, values: fc.Arbitrary<string>) => fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: values.map((v) => [flag, v]), weight: 1 });
    const number = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 40 }).map(String), weight: 3 }, { arbitrary: fc.integer({ min: -5, max: 70 }).map(String), weight: 1 }, { arbitrary: fc.constantFrom('abc', '', '1e3', '0.5', 'NaN', '-0'), weight: 1 });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constant('clip'), fc.constant('frames'), fc.constant('missing'), contents),
        fc.constantFrom('out.mkv', 'out.mp4', 'out.webm', 'out.jsonl', 'out', 'out.txt', 'out.mp4/', 'sub/out.mkv'),
        fc.tuple(
          option('--max-frames', number),
          option('--fps', number),
          option('--bit-depth', fc.constantFrom('8', '16', '16', '12')),
          option('--image-format', fc.constantFrom('png', 'jpeg', 'gif')),
          option('--quality', number),
          option('--crf', number),
          option('--to', fc.constantFrom('auto', 'video', 'images', 'jsonl')),
        ),
        fc.boolean(),
        async (input, output, options, lenient) => {
          const d = fresh();
          let path = input === 'clip' ? clip : input === 'frames' ? frames : join(d, 'missing.mp4');
          if (typeof input !== 'string') {
            path = join(d, 'in.mp4');
            writeFileSync(path, input);
          }
          const args = ['convert', path, '-o', join(d, output), '--no-progress', ...options.flatMap((o) => o ?? []), ...(lenient ? ['--lenient'] : [])];
          const r = await cli(args);
          expect([0, 2, 3, 5, 6, 7], `${args.join(' ')}\n${r.err}`).toContain(r.code);
          expect(r.err).not.toContain('unexpected error');
          expect(leftovers(d)).toEqual([]);
          if (r.code !== 0) expect(existsSync(join(d, output.replace(/\/$/, '')))).toBe(false);
          rmSync(d, { recursive: true, force: true });
        },
      ),
      { numRuns: 60, seed: 1616 },
    );
  }, 120_000);

  it('synth: random options exit with a documented code and leave no partial sequence', async () => {
    const value = fc.oneof(fc.integer({ min: -3, max: 300 }).map(String), fc.constantFrom('abc', '0.5', '', '1920', '2.2', '64', '2', '3'));
    const option = (flag: string, values: fc.Arbitrary<string>) => fc.oneof({ arbitrary: fc.constant(undefined), weight: 2 }, { arbitrary: values.map((v) => [flag, v]), weight: 1 });
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(
          option('--gamma', value),
          option('--exposure-frames', value),
          option('--virtual-fps', value),
          option('--max-frames', value),
          option('--method', fc.constantFrom('path', 'explicit', 'x')),
        ),
        async (options) => {
          const d = fresh();
          const args = ['synth', frames, '-o', join(d, 'data'), '--no-progress', '--threads', '1', ...options.flatMap((o) => o ?? [])];
          const r = await cli(args);
          expect([0, 2, 3], `${args.join(' ')}\n${r.err}`).toContain(r.code);
          expect(leftovers(d)).toEqual([]);
          if (r.code !== 0) expect(existsSync(join(d, 'data', 'frames'))).toBe(false);
          rmSync(d, { recursive: true, force: true });
        },
      ),
      { numRuns: 15, seed: 2016 },
    );
  }, 120_000);
});
