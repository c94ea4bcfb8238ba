import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keptDb, poolSequencePsnrs, SHARP_KEPT_CAP_DB, SHARP_SEQUENCES } from '../../datasets/sharp-sequences.js';
import { psnr } from '../../src/metrics/psnr.js';
import { createRgb8Frame } from '../../src/stream/frame.js';
import { listImageFiles } from '../../src/stream/image-sequence-source.js';
import { packageRoot } from '../../src/util/package-root.js';

describe('the committed unblurred sequences', () => {
  it('are folders of at least 9 images each, the held-out clip first', async () => {
    expect(SHARP_SEQUENCES[0]).toBe('test/fixtures/deblur-clip/sharp');
    for (const dir of SHARP_SEQUENCES) expect((await listImageFiles(join(packageRoot(), dir))).length).toBeGreaterThanOrEqual(9);
  });
});

describe('poolSequencePsnrs', () => {
  it('gives equal PSNRs back both ways', () => {
    const { meanDb, pooledMseDb } = poolSequencePsnrs([42, 42, 42]);
    expect(meanDb).toBeCloseTo(42, 12);
    expect(pooledMseDb).toBeCloseTo(42, 12);
  });

  it('lets the worst sequence dominate the pooled MSE, not the mean', () => {
    const { meanDb, pooledMseDb } = poolSequencePsnrs([30, 50]);
    expect(meanDb).toBeCloseTo(40, 12);
    expect(pooledMseDb).toBeCloseTo(-10 * Math.log10((1e-3 + 1e-5) / 2), 12);
    expect(pooledMseDb).toBeLessThan(33.1);
  });

  it('rejects an empty list', () => {
    expect(() => poolSequencePsnrs([])).toThrow(RangeError);
  });
});

describe('keptDb', () => {
  it('counts a frame returned unchanged as SHARP_KEPT_CAP_DB, and any other as its PSNR', () => {
    const data = Uint8Array.from({ length: 3 * 8 * 4 }, (_, k) => (k * 37) % 256);
    const input = createRgb8Frame(data, { width: 8, height: 4, index: 0, timestampMs: 0 });
    expect(keptDb(input, input)).toBe(SHARP_KEPT_CAP_DB);
    const changed = createRgb8Frame(Uint8Array.from(data, (v, k) => (k === 5 ? v ^ 1 : v)), { width: 8, height: 4, index: 0, timestampMs: 0 });
    expect(keptDb(changed, input)).toBe(psnr(changed, input));
    expect(keptDb(changed, input)).toBeLessThan(SHARP_KEPT_CAP_DB);
  });
});
