/** Bad input a user may try gets a clear error, not a made-up success (issue 16, items 7 and 8). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from '../helpers.js';

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
