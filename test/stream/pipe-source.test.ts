import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatMap, lastValueFrom, map, take, toArray, count, delay, of, identity, pipe } from 'rxjs';
import { writeJsonLines } from '../../src/stream/jsonl-sink.js';
import { describe, expect, it } from 'vitest';
import { PipelineStallError, pipeSource, sourceFrames$ } from '../../src/stream/pipe-source.js';
import { slidingWindow } from '../../src/stream/window.js';
import type { FrameSource } from '../../src/stream/source.js';
import type { Frame } from '../../src/stream/frame.js';
import { patternFrame } from '../helpers.js';

/** A source of `n` tiny frames that records how far ahead of the consumer it has been pulled. */
function countingSource(n: number) {
  const state = { pulled: 0, returned: false };
  const source: FrameSource<Frame> = {
    info: { kind: 'image-sequence', input: 'memory', width: 2, height: 2, fps: 30, frameCount: n, sampleType: 'uint8', sourceBitDepth: 8, details: {} },
    async *frames() {
      try {
        for (let i = 0; i < n; i++) {
          state.pulled++;
          yield patternFrame(2, 2, i);
        }
      } finally {
        state.returned = true;
      }
    },
  };
  return { source, state };
}

describe('pipeSource', () => {
  it('pulls at most highWaterMark frames ahead of a slow stage', async () => {
    const { source, state } = countingSource(40);
    let consumed = 0;
    let maxAhead = 0;
    const out = await lastValueFrom(
      pipeSource(
        source,
        concatMap((f: Frame) =>
          of(f.index).pipe(
            delay(2),
            map((i) => {
              consumed++;
              maxAhead = Math.max(maxAhead, state.pulled - consumed);
              return i;
            }),
          ),
        ),
        { highWaterMark: 4 },
      ).pipe(toArray()),
    );
    expect(out).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(maxAhead).toBeLessThanOrEqual(4);
    expect(maxAhead).toBeGreaterThan(0);
  });

  it('without backpressure the same source runs ahead (the contrast)', async () => {
    const { source, state } = countingSource(40);
    let consumed = 0;
    let maxAhead = 0;
    await lastValueFrom(
      sourceFrames$(source).pipe(
        concatMap((f) => of(f).pipe(delay(2))),
        map(() => {
          consumed++;
          maxAhead = Math.max(maxAhead, state.pulled - consumed);
        }),
        count(),
      ),
    );
    expect(maxAhead).toBeGreaterThan(20);
  });

  it('works with a window whose look-ahead fits in the high-water mark', async () => {
    const { source } = countingSource(12);
    const centers = await lastValueFrom(pipeSource(source, slidingWindow<Frame>(5), { highWaterMark: 3 }).pipe(map((w) => w.center.index), toArray()));
    expect(centers).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('unsubscribing stops the source (its finally runs)', async () => {
    const { source, state } = countingSource(1000);
    const got = await lastValueFrom(pipeSource(source, identity).pipe(take(3), toArray()));
    expect(got.map((f) => f.index)).toEqual([0, 1, 2]);
    await new Promise((r) => setTimeout(r, 20));
    expect(state.returned).toBe(true);
    expect(state.pulled).toBeLessThan(20);
  });

  it('turns a pipeline that never emits (toArray inside) into a PipelineStallError', async () => {
    const { source } = countingSource(100);
    const run = lastValueFrom(pipeSource(source, toArray(), { highWaterMark: 4, stallTimeoutMs: 200 }));
    await expect(run).rejects.toThrow(PipelineStallError);
    await expect(run).rejects.toThrow('pipeSource: the pipeline holds 4 frames and has emitted nothing for 0.2 s.');
  });

  it('a stall error reaches the caller only after sinks inside the pipeline removed their partial output', async () => {
    const { source } = countingSource(100);
    const dir = mkdtempSync(join(tmpdir(), 'stall-'));
    try {
      const out = join(dir, 'frames.jsonl');
      const run = lastValueFrom(pipeSource(source, pipe(map((f: Frame) => f.index), writeJsonLines(out), toArray()), { highWaterMark: 4, stallTimeoutMs: 150 }));
      await expect(run).rejects.toThrow(PipelineStallError);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('accepts Infinity as "no stall timeout", and refuses timeouts a timer cannot hold', () => {
    expect(() => pipeSource(countingSource(1).source, identity, { stallTimeoutMs: Infinity })).not.toThrow();
    expect(() => pipeSource(countingSource(1).source, identity, { stallTimeoutMs: 3e9 })).toThrow(
      'Expected number of milliseconds greater than 0 and at most 2147483647, or Infinity for stallTimeoutMs but received 3000000000 of type number',
    );
  });

  it('passes source errors through', async () => {
    const source: FrameSource<Frame> = {
      ...countingSource(0).source,
      // eslint-disable-next-line require-yield
      async *frames() {
        throw new Error('decoder broke');
      },
    };
    await expect(lastValueFrom(pipeSource(source, identity))).rejects.toThrow('decoder broke');
  });

  it('validates its options', () => {
    expect(() => pipeSource(countingSource(1).source, identity, { highWaterMark: 0 })).toThrow('Expected integer between 1 and 1000000 for highWaterMark but received 0 of type number');
  });
});
