/** The queued planner's progress display: one line per finished sequence, and a bar with the ETA on a terminal. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progressPrinter, reportFailures } from '../../src/cli/commands/synth-queued.js';
import type { QueueProgress } from '../../src/queue/synth-queue.js';

function io(tty: boolean) {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: tty });
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  return { io: { stdout, stderr, signal: new AbortController().signal }, out: () => out, err: () => err };
}

const result = (id: string) => ({ id, outDir: `/o/${id}`, status: 'done' as const, frames: 10, elapsedMs: 2000 });
const progress = (completed: string[], active: number, done: number): QueueProgress => ({ total: 4, completed: completed.length, failed: [], active, waiting: 4 - completed.length - active, done, results: completed.map(result) });

describe('queued synthesis progress', () => {
  it('prints each finished sequence once and draws a bar with the rate per hour and the ETA on a terminal', async () => {
    const t = io(true);
    const printer = progressPrinter(t.io, 'synth', true, false);
    printer.update(progress([], 2, 0));
    await new Promise((r) => setTimeout(r, 50));
    printer.update(progress(['a'], 2, 1.5));
    printer.update(progress(['a', 'b'], 2, 2.5));
    printer.end();
    expect(t.out()).toBe('wrote   a: 10 frames, 200 ms/frame -> /o/a\nwrote   b: 10 frames, 200 ms/frame -> /o/b\n');
    const lastBar = t.err().split('\r\x1b[2K').filter((s) => s.startsWith('synth')).at(-1)!;
    expect(lastBar).toMatch(/^synth \[#{12}-{12}\] 50% 2\/4 sequences [\d.]+ sequences\/h ETA \d+s \(2 running\)\n$/);
  });

  it('draws nothing off a terminal, and lists failures with their errors, then throws', () => {
    const t = io(false);
    const printer = progressPrinter(t.io, 'synth', true, false);
    printer.update(progress(['a'], 0, 1));
    expect(t.err()).toBe('');
    expect(() => reportFailures([{ id: 'x', sequence: 'Subject_1/pour/2', reason: 'Input /d/x is not visible on m1.', attempts: 3 }], t.io, false)).toThrow(
      '1 sequence failed after their retries (Subject_1/pour/2); fix the cause and run the same command again: complete sequences are skipped.',
    );
    expect(t.out()).toContain('failed  Subject_1/pour/2 after 3 attempts: Input /d/x is not visible on m1.\n');
  });
});
