import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { slidingWindow } from '../../src/stream/window.js';

const frames = (indices: number[]) => indices.map((index) => ({ index }));
const run = async (indices: number[], size: number, options = {}) =>
  (await lastValueFrom(from(frames(indices)).pipe(slidingWindow(size, options), toArray()))).map((w) => ({
    center: w.center.index,
    frames: w.frames.map((f) => f.index),
    offset: w.centerOffset,
  }));

describe('slidingWindow', () => {
  it('gives every frame exactly one centred window, edges replicated', async () => {
    const windows = await run([0, 1, 2, 3, 4, 5, 6], 5);
    expect(windows.map((w) => w.center)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(windows.map((w) => w.frames)).toEqual([
      [0, 0, 0, 1, 2],
      [0, 0, 1, 2, 3],
      [0, 1, 2, 3, 4],
      [1, 2, 3, 4, 5],
      [2, 3, 4, 5, 6],
      [3, 4, 5, 6, 6],
      [4, 5, 6, 6, 6],
    ]);
    expect(windows.every((w) => w.offset === 2)).toBe(true);
  });

  it('handles sequences shorter than the window', async () => {
    expect((await run([0], 5)).map((w) => w.frames)).toEqual([[0, 0, 0, 0, 0]]);
    expect((await run([0, 1], 5)).map((w) => w.frames)).toEqual([
      [0, 0, 0, 1, 1],
      [0, 0, 1, 1, 1],
    ]);
    expect(await run([], 5)).toEqual([]);
  });

  it('size 1 and size 3', async () => {
    expect((await run([0, 1, 2], 1)).map((w) => w.frames)).toEqual([[0], [1], [2]]);
    expect((await run([0, 1, 2], 3)).map((w) => w.frames)).toEqual([
      [0, 0, 1],
      [0, 1, 2],
      [1, 2, 2],
    ]);
  });

  it("bridges gaps by default, and 'split' replicates each side's edge instead", async () => {
    const indices = [0, 1, 2, 7, 8, 9];
    expect((await run(indices, 5)).map((w) => w.frames)[2]).toEqual([0, 1, 2, 7, 8]);
    const split = await run(indices, 5, { gapPolicy: 'split' });
    expect(split.map((w) => w.center)).toEqual(indices);
    expect(split.map((w) => w.frames)).toEqual([
      [0, 0, 0, 1, 2],
      [0, 0, 1, 2, 2],
      [0, 1, 2, 2, 2],
      [7, 7, 7, 8, 9],
      [7, 7, 8, 9, 9],
      [7, 8, 9, 9, 9],
    ]);
    // a gap within maxGap is contiguous
    expect((await run([0, 2, 4], 3, { gapPolicy: 'split', maxGap: 2 })).map((w) => w.frames)[1]).toEqual([0, 2, 4]);
  });

  it('rejects even or out-of-range sizes when the operator is made', () => {
    expect(() => slidingWindow(4)).toThrow('Expected odd integer (the window is centred) for size but received 4 of type number');
    expect(() => slidingWindow(0)).toThrow('Expected integer between 1 and 255 for size but received 0 of type number');
    expect(() => slidingWindow(5, { gapPolicy: 'skip' as 'split' })).toThrow("Expected one of 'bridge', 'split' for gapPolicy but received \"skip\" of type string");
  });
});
