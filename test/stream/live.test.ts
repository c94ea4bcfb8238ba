import { concatMap, delay, lastValueFrom, map, of, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { InputNotFoundError, InputTimeoutError } from '../../src/errors.js';
import { isLiveInput, openLive } from '../../src/stream/live-source.js';
import { pipeSource } from '../../src/stream/pipe-source.js';
import { slidingWindow } from '../../src/stream/window.js';
import { childFfmpegPids, eventually } from '../helpers.js';

// A live stand-in: ffmpeg's test pattern paced in real time (-re) at 60 fps.
const LIVE = 'testsrc2=size=160x120:rate=60';
const liveOptions = { format: 'lavfi', inputOptions: ['-re'] } as const;

describe('live source', () => {
  it('recognises live inputs', () => {
    expect(isLiveInput('rtsp://camera.local/stream')).toBe(true);
    expect(isLiveInput('udp://0.0.0.0:1234')).toBe(true);
    expect(isLiveInput('/dev/video0')).toBe(true);
    expect(isLiveInput('clip.mp4')).toBe(false);
  });

  it('a slow consumer gets fresh frames: stale ones are dropped and counted, latency stays bounded', async () => {
    const source = await openLive(LIVE, liveOptions);
    expect(source.info).toMatchObject({ kind: 'live', width: 160, height: 120, fps: 60, frameCount: undefined });
    const lags: number[] = [];
    const done: number[] = [];
    const got = await lastValueFrom(
      pipeSource(
        source,
        concatMap((f) =>
          of(f).pipe(
            delay(50), // a consumer at 20 fps against a 60 fps source
            map((frame) => {
              lags.push(source.stats().received - 1 - frame.index);
              done.push(performance.now());
              return frame;
            }),
          ),
        ),
        { highWaterMark: 1 },
      ).pipe(take(12), toArray()),
    );
    const stats = source.stats();
    expect(stats.dropped).toBeGreaterThan(10);
    expect(stats.delivered).toBeGreaterThanOrEqual(12);
    const steps = got.slice(1).map((f, i) => f.index - got[i]!.index);
    expect(Math.max(...steps)).toBeGreaterThan(1); // gaps in the indices...
    expect(got[5]!.timestampMs).toBeCloseTo((got[5]!.index * 1000) / 60, 6); // ...and in the timestamps
    // By the time the consumer finishes a frame it is at most one consumer step (50 ms at 60 fps = 3 frames, longer
    // on a loaded machine: measured here) plus a few frames stale. A queue that kept every frame would fall behind
    // by two more frames each step (over 20 by the 12th).
    const longestStepMs = Math.max(...done.slice(1).map((t, i) => t - done[i]!));
    expect(Math.max(...lags)).toBeLessThanOrEqual(Math.ceil((longestStepMs * 60) / 1000) + 3);
    expect(Math.max(...lags)).toBeLessThan(20);
    expect(await eventually(() => childFfmpegPids().length === 0)).toBe(true);
  });

  it('windows see the gaps (split policy keeps windows from reaching across them)', async () => {
    const source = await openLive(LIVE, { ...liveOptions, maxQueue: 1 });
    const windows = await lastValueFrom(
      pipeSource(source, (frames$) => frames$.pipe(concatMap((f) => of(f).pipe(delay(60))), slidingWindow(3, { gapPolicy: 'split' })), { highWaterMark: 2 }).pipe(
        take(10),
        toArray(),
      ),
    );
    const centers = windows.map((w) => w.center.index);
    expect(Math.max(...centers.slice(1).map((c, i) => c - centers[i]!))).toBeGreaterThan(1); // frames were dropped
    for (const w of windows) {
      const steps = w.frames.slice(1).map((f, i) => f.index - w.frames[i]!.index);
      expect(steps.every((s) => s === 0 || s === 1)).toBe(true);
    }
  });

  it('reads a real network stream (MPEG-TS over UDP) and times out when it stops', async () => {
    const port = 20000 + (process.pid % 20000);
    const url = `udp://127.0.0.1:${port}`;
    // A sender streaming H.264 in real time, as a camera or encoder on the network would.
    const sender = spawn('ffmpeg', ['-v', 'error', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=30', '-t', '60', '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-g', '10', '-f', 'mpegts', url], { stdio: 'ignore' });
    try {
      const source = await openLive(url, { idleTimeoutMs: 1500 });
      expect(source.info).toMatchObject({ width: 160, height: 120, fps: 30 });
      const frames = await lastValueFrom(pipeSource(source, map((f) => f)).pipe(take(10), toArray()));
      expect(frames).toHaveLength(10);
      expect(frames[0]!.data.length).toBe(160 * 120 * 3);
      // Read again and stop the sender after a few frames: UDP never says "end", the idle timeout does.
      let seen = 0;
      const error = await lastValueFrom(
        pipeSource(source, map((f) => {
          if (++seen === 3) sender.kill('SIGKILL');
          return f;
        })).pipe(toArray()),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InputTimeoutError);
      expect((error as Error).message).toMatch(new RegExp(`^Live input ${url} sent no frame for 1\\.5 s \\(received \\d+ before\\)\\. Check that it is still streaming, or raise idleTimeoutMs\\.$`));
    } finally {
      sender.kill('SIGKILL');
    }
  });

  it('unsubscribing stops ffmpeg at once, even while a frame is awaited', async () => {
    // One frame per second: after the first, the reader waits ~1 s for the next.
    const source = await openLive('testsrc2=size=64x48:rate=1', liveOptions);
    await lastValueFrom(pipeSource(source, map((f) => f.index)).pipe(take(1)));
    const stopped = performance.now();
    expect(await eventually(() => childFfmpegPids().length === 0, 3000)).toBe(true);
    expect(performance.now() - stopped).toBeLessThan(500);
  });

  it('an input that cannot be opened names it and the fix', async () => {
    const error = await openLive('udp://127.0.0.1:9', { inputOptions: ['-timeout', '300000'] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputNotFoundError);
    expect((error as Error).message).toMatch(/^Cannot open live input udp:\/\/127\.0\.0\.1:9: .*Check the URL or device \(and format, e\.g\. format: 'v4l2' for a camera\)\.$/);
  });
});
