import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { frameRecord, openSink, outputKind } from '../../src/stream/open-sink.js';
import { patternFrame, tempDir } from '../helpers.js';

describe('openSink', () => {
  it('takes the kind from the output name', () => {
    expect(['a.mp4', 'a.MKV', 'a.webm', 'a.jsonl', 'frames', 'frames.d'].map(outputKind)).toEqual(['video', 'video', 'video', 'jsonl', 'images', 'images']);
  });

  it('writes JSON Lines of frame records (no pixels) and image folders, passing the frames on', async () => {
    const dir = tempDir();
    const frames = [patternFrame(32, 24, 0), patternFrame(32, 24, 1)];
    const jsonl = join(dir, 'frames.jsonl');
    const passed = await lastValueFrom(from(frames).pipe(openSink(jsonl, { fps: 30 }), toArray()));
    expect(passed).toEqual(frames);
    expect(readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(frames.map((f) => JSON.parse(JSON.stringify(frameRecord(f))) as unknown));
    expect(frameRecord(frames[0]!)).not.toHaveProperty('data');
    const folder = join(dir, 'images');
    await lastValueFrom(from(frames).pipe(openSink(folder, { fps: 30, imageFormat: 'jpeg', quality: 80 }), toArray()));
    expect(readdirSync(folder).filter((f) => f.endsWith('.jpg') || f.endsWith('.jpeg'))).toHaveLength(2);
    expect(existsSync(join(folder, '.promotion-output.json'))).toBe(true);
  });

  it('validates the image format when the sink is made', () => {
    expect(() => openSink('out', { fps: 30, imageFormat: 'gif' as 'png' })).toThrow("Expected one of 'png', 'jpeg' for imageFormat");
  });
});
