import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Subject, concatMap, delay, from, lastValueFrom, of, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { AbortedError, untilAborted } from '../../src/stream/abort.js';
import { writeJsonLines } from '../../src/stream/jsonl-sink.js';
import { type Progress, progress } from '../../src/stream/progress.js';
import { renderProgress } from '../../src/cli/progress-bar.js';
import { eventually, tempDir } from '../helpers.js';

const dir = tempDir();

describe('JSON Lines sink', () => {
  it('writes one line per item, typed arrays as arrays', async () => {
    const out = join(dir, 'a.jsonl');
    const items = [{ i: 0, v: Float32Array.from([0.5, 1]) }, { i: 1, v: Float32Array.from([2]) }];
    const passed = await lastValueFrom(from(items).pipe(writeJsonLines(out), toArray()));
    expect(passed).toEqual(items);
    expect(readFileSync(out, 'utf8')).toBe('{"i":0,"v":[0.5,1]}\n{"i":1,"v":[2]}\n');
  });

  it('an empty stream writes an empty file; toJson selects what is written', async () => {
    const empty = join(dir, 'empty.jsonl');
    await lastValueFrom(from([] as number[]).pipe(writeJsonLines(empty), toArray()));
    expect(readFileSync(empty, 'utf8')).toBe('');
    const picked = join(dir, 'picked.jsonl');
    await lastValueFrom(from([{ a: 1, big: 'x' }]).pipe(writeJsonLines(picked, { toJson: (o) => ({ a: o.a }) })));
    expect(readFileSync(picked, 'utf8')).toBe('{"a":1}\n');
  });

  it('an interrupted run leaves the previous file untouched and no temporary file', async () => {
    const out = join(dir, 'kept.jsonl');
    writeFileSync(out, 'previous\n');
    const input = new Subject<number>();
    const seen: number[] = [];
    const sub = input.pipe(writeJsonLines(out, { overwrite: true })).subscribe((v) => seen.push(v));
    input.next(1);
    await eventually(() => seen.length === 1);
    sub.unsubscribe();
    await eventually(() => readdirSync(dir).every((f) => !f.includes('partial')));
    expect(readFileSync(out, 'utf8')).toBe('previous\n');
    expect(readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
  });
});

describe('progress', () => {
  it('reports counts, total and a final report', async () => {
    const reports: Progress[] = [];
    await lastValueFrom(from([1, 2, 3, 4]).pipe(progress({ total: 4, intervalMs: 0, onProgress: (p) => reports.push(p) }), toArray()));
    expect(reports.map((r) => r.done)).toEqual([1, 2, 3, 4, 4]);
    expect(reports.at(-1)).toMatchObject({ done: 4, total: 4, complete: true });
    expect(reports.at(-1)!.etaMs).toBe(0);
  });

  it('throttles reports to intervalMs', async () => {
    const reports: Progress[] = [];
    await lastValueFrom(from(Array.from({ length: 1000 }, (_, i) => i)).pipe(progress({ intervalMs: 10_000, onProgress: (p) => reports.push(p) }), toArray()));
    expect(reports.map((r) => r.done)).toEqual([1, 1000]);
  });

  it('a callback that throws ends the stream with its error', async () => {
    const run = lastValueFrom(from([1, 2, 3]).pipe(progress({ intervalMs: 0, onProgress: () => { throw new Error('bar broke'); } }), toArray()));
    await expect(run).rejects.toThrow('bar broke');
  });

  it('renders a bar', () => {
    const line = renderProgress('convert', { done: 50, total: 200, elapsedMs: 2000, ratePerSecond: 25, etaMs: 6000, complete: false }, 'frames', 8);
    expect(line).toBe('convert [##------] 25% 50/200 frames 25.0 fps ETA 6s');
  });
});

describe('untilAborted', () => {
  it("'error' mode ends with AbortedError, 'complete' mode completes", async () => {
    const a = new AbortController();
    const errored = lastValueFrom(from([1, 2, 3]).pipe(concatMap((v) => of(v).pipe(delay(30))), untilAborted(a.signal, 'error'), toArray()));
    setTimeout(() => a.abort(), 40);
    await expect(errored).rejects.toThrow(AbortedError);
    const b = new AbortController();
    const completed = lastValueFrom(from([1, 2, 3]).pipe(concatMap((v) => of(v).pipe(delay(30))), untilAborted(b.signal, 'complete'), toArray()));
    setTimeout(() => b.abort(), 45);
    expect(await completed).toEqual([1]);
  });
});
