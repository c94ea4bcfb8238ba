/**
 * `--tile` below 128 works without `--overlap`: the default overlap follows the tile (a quarter of it), in the CLI,
 * in eval and in the API; an overlap the user gives must still fit the tile.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deblur, defaultTileOverlap } from '../../src/deblur/deblur.js';
import { cli, makeClip, tempDir } from '../helpers.js';
import { FakeDeblurModel } from '../deblur/fake-model.js';

const dir = tempDir('promotion-tile-');
const clip = join(dir, 'clip.mp4');
makeClip(clip, { width: 128, height: 96, frames: 2 });

describe('the default tile overlap', () => {
  it('is 32, or a quarter of a tile smaller than 128', () => {
    expect([64, 100, 127, 128, 512].map(defaultTileOverlap)).toEqual([16, 25, 31, 32, 32]);
    expect(() => deblur({ model: new FakeDeblurModel(), tileSize: 100 })).not.toThrow();
    expect(() => deblur({ model: new FakeDeblurModel(), tileSize: 100, overlap: 32 })).toThrow('Expected integer between 0 and 25 for overlap but received 32 of type number');
  });

  it('deblur --tile 100 runs without --overlap (overlap 25); a too-large --overlap is still refused', async () => {
    const r = await cli(['deblur', clip, '-o', join(dir, 'out.mkv'), '--tile', '100', '--threads', '1', '--json', '--no-progress']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ tileSize: 100, overlap: 25, frames: 2 });
    const bad = await cli(['deblur', clip, '-o', join(dir, 'bad.mkv'), '--tile', '100', '--overlap', '32']);
    expect(bad.code).toBe(2);
    expect(bad.err).toBe('promotion: Expected integer between 0 and 25 for --overlap but received 32 of type number\n');
  });

  it('eval --tile 100 is not refused for an overlap the user never set', async () => {
    const r = await cli(['eval', clip, '--report', join(dir, 'report'), '--tile', '100', '--model', join(dir, 'missing.onnx')]);
    expect(r.err).not.toContain('overlap');
    expect(r.code).toBe(3); // the missing model, found next
  });
});
