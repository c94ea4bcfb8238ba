/** `promotion pose`: hand landmarks for every frame of any input, JSON Lines out, optional overlay video. */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { HandsResult } from '../../src/handpose/estimator.js';
import { sourceFrames$ } from '../../src/stream/pipe-source.js';
import { openVideo } from '../../src/stream/video-source.js';
import { cli, tempDir } from '../helpers.js';
import { photoPath } from './photos.js';

const dir = tempDir('promotion-pose-');
// Six frames of a real hand under a camera pan: the photo at half size, a 200x280 window moving (4, 3) px a frame.
const clip = join(dir, 'hand.mp4');
execFileSync('ffmpeg', ['-v', 'error', '-loop', '1', '-i', photoPath('nocurl'), '-vf', "scale=240:320,crop=200:280:x='4*n':y='3*n'", '-frames:v', '6', '-r', '30', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-y', clip]);


const readJsonl = (path: string) => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as HandsResult);

describe('promotion pose', () => {
  it('writes one JSON line per frame of a video and an overlay video with the hand drawn', async () => {
    const output = join(dir, 'hand.jsonl');
    const overlay = join(dir, 'overlay.mkv');
    const r = await cli(['pose', clip, '-o', output, '--overlay', overlay, '--model', 'lite', '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out) as Record<string, unknown>;
    expect(summary).toMatchObject({ frames: 6, framesWithHands: 6, hands: 6, mode: 'video', model: 'lite', numHands: 1, width: 200, height: 280, overlay });
    expect(summary.estimator).toBe('mediapipe-tasks-vision@0.10.35 hand_landmarker lite');
    const lines = readJsonl(output);
    expect(lines.map((l) => l.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(lines[3]!.timestampMs).toBeCloseTo(100, 6);
    for (const line of lines) {
      expect(line.hands[0]!.landmarksPx).toHaveLength(21);
      expect(Object.keys(line.hands[0]!).sort()).toEqual(['handedness', 'handednessScore', 'landmarksNormalized', 'landmarksPx', 'worldLandmarksM']);
    }

    // The overlay (FFV1, lossless): the same frames with dots drawn where the landmarks are.
    const frames = await lastValueFrom(sourceFrames$(await openVideo(overlay)).pipe(toArray()));
    expect(frames).toHaveLength(6);
    expect(frames[0]).toMatchObject({ width: 200, height: 280 });
    const f = frames[2]!;
    const dotColours = new Set(['230,40,40', '40,110,255']);
    const [x, y] = lines[2]!.hands[0]!.landmarksPx[0]!.map(Math.round) as [number, number];
    const o = (y * f.width + x) * 3;
    expect(dotColours.has(Array.from(f.data.subarray(o, o + 3)).join())).toBe(true);
  });

  it('reads an image folder in image mode, and refuses to overwrite unless asked', async () => {
    const folder = join(dir, 'photos');
    mkdirSync(folder);
    for (const name of ['nocurl', 'halfcurl', 'fullcurl'] as const) copyFileSync(photoPath(name), join(folder, `${name}.jpg`));
    const output = join(dir, 'photos.jsonl');
    const r = await cli(['pose', folder, '-o', output, '--mode', 'image', '--model', 'lite', '--num-hands', '2']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Found hands in 3 of 3 frames \(3 hands; image mode, lite model, [\d.]+ ms per frame\)\. Wrote .*photos\.jsonl in [\d.]+ s\.\n$/);
    expect(readJsonl(output).map((l) => [l.width, l.height, l.hands.length])).toEqual([
      [480, 640, 1],
      [480, 640, 1],
      [480, 640, 1],
    ]);
    const again = await cli(['pose', folder, '-o', output]);
    expect(again.code).toBe(5);
    expect(again.err).toBe(`promotion: Output ${output} already exists; pass overwrite: true (CLI: --overwrite) to replace it, or choose another path.\n`);
  });

  it('rejects bad options with exit code 2 and the standard message, before loading anything', async () => {
    const output = join(dir, 'never.jsonl');
    const mode = await cli(['pose', clip, '-o', output, '--mode', 'fast']);
    expect(mode).toMatchObject({ code: 2, err: `promotion: Expected one of 'video', 'image' for --mode but received "fast" of type string\n` });
    const model = await cli(['pose', clip, '-o', output, '--model', 'heavy']);
    expect(model.err).toBe(`promotion: Expected one of 'full', 'lite' for --model but received "heavy" of type string\n`);
    const hands = await cli(['pose', clip, '-o', output, '--num-hands', 'two']);
    expect(hands.err).toBe('promotion: Expected integer between 1 and 16 for --num-hands but received "two" of type string\n');
    const missing = await cli(['pose', clip]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("required option '-o, --output <path>' not specified");
    writeFileSync(join(dir, 'taken.mkv'), 'x');
    const taken = await cli(['pose', clip, '-o', output, '--overlay', join(dir, 'taken.mkv')]);
    expect(taken.code).toBe(5);
    const help = await cli(['--help']);
    expect(help.out).toMatch(/^ {2}pose \[options\] <input> +Find hand landmarks/m);
  });

  it('refuses equal outputs, a -o that is not .jsonl and an --overlay that is not a video, before any work', async () => {
    const same = join(dir, 'same.mp4');
    const both = await cli(['pose', clip, '-o', same, '--overlay', same]);
    expect(both).toMatchObject({ code: 2, err: `promotion: pose writes its per-frame results as JSON Lines: name a .jsonl file for --output, not ${same}.\n` });
    const jsonl = join(dir, 'same.jsonl');
    const equal = await cli(['pose', clip, '-o', jsonl, '--overlay', jsonl]);
    expect(equal).toMatchObject({ code: 2, err: `promotion: --output and --overlay are both ${jsonl}; give each its own file.\n` });
    const overlay = await cli(['pose', clip, '-o', jsonl, '--overlay', join(dir, 'overlay.txt')]);
    expect(overlay).toMatchObject({ code: 2, err: `promotion: --overlay ${join(dir, 'overlay.txt')} is not a video file name; use one of .mp4, .mov, .m4v, .mkv, .avi, .webm.\n` });
    expect(existsSync(same) || existsSync(jsonl)).toBe(false);
  });
});
