import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { decodeGrey16, encodeImage } from '../../src/stream/image-codec.js';
import { renderScene, steadyTrajectory, trajectoryFromParameters } from '../../src/blur-synthesis/exact.js';
import { toIntegerFrame } from '../../src/stream/frame.js';
import { cli, makeClip, noiseLinearImage, tempDir } from '../helpers.js';

const dir = tempDir();


/** Writes `frames` PNGs of a textured pan (4 px per frame) into `folder`, named with `name(k)`. */
async function panFolder(folder: string, frames: number, name: (k: number) => string, w = 64, h = 48) {
  mkdirSync(folder, { recursive: true });
  const scene = {
    background: noiseLinearImage(200, 150, 11),
    width: w,
    height: h,
    camera: trajectoryFromParameters(steadyTrajectory({ start: { x: 80, y: 70 }, velocity: { x: 4, y: 1 } })),
  };
  for (let k = 0; k < frames; k++) {
    const img = renderScene(scene, k);
    const frame = toIntegerFrame({ width: w, height: h, channels: 3, index: k, timestampMs: 0, sampleType: 'float32', light: 'linear', data: img.data }, 'uint8');
    writeFileSync(join(folder, name(k)), await encodeImage(frame, 'png'));
  }
}

describe('promotion synth', () => {
  it('writes sharp/, blur/, motion/ and synthesis.json, and resumes by skipping finished sequences', async () => {
    const input = join(dir, 'pan');
    await panFolder(input, 5, (k) => `f${k}.png`);
    const out = join(dir, 'out');
    const r = await cli(['synth', input, '-o', out, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ framesWritten: 5, skipped: 0, sequences: [{ id: 'pan', status: 'done', frames: 5 }] });
    for (const sub of ['sharp', 'blur', 'motion']) expect(readdirSync(join(out, 'pan', sub))).toEqual([0, 1, 2, 3, 4].map((k) => `frame_${String(k).padStart(6, '0')}.png`));
    const record = JSON.parse(readFileSync(join(out, 'pan', 'synthesis.json'), 'utf8')) as { parameters: Record<string, unknown>; frames: number; motionMaps: unknown };
    expect(record.parameters).toMatchObject({ inputFps: 30, virtualFps: 1920, exposureFrames: 64, gamma: 2.2, method: 'path', flow: { finestLevel: 1 } });
    expect(record).toMatchObject({ motionMaps: { kind: 'magnitude', computedOn: 'blurred frames' } });
    const motion = await decodeGrey16(join(out, 'pan', 'motion', 'frame_000002.png'));
    expect([motion.width, motion.height]).toEqual([64, 48]);
    expect(Math.max(...motion.data)).toBe(65535); // normalized by its maximum
    const again = await cli(['synth', input, '-o', out, '--json']);
    expect(JSON.parse(again.out)).toMatchObject({ framesWritten: 0, skipped: 1 });
    const redo = await cli(['synth', input, '-o', out, '--json', '--overwrite', '--exposure-frames', '128']);
    expect(JSON.parse(redo.out)).toMatchObject({ framesWritten: 5 });
    expect(JSON.parse(readFileSync(join(out, 'pan', 'synthesis.json'), 'utf8'))).toMatchObject({ parameters: { exposureFrames: 128, exposureIntervals: 2 } });
  });

  it('resumes only what was made from the same options and input files, and lacks no file', async () => {
    const input = join(dir, 's2');
    await panFolder(input, 5, (k) => `f${k}.png`);
    const out = join(dir, 'resume-out');
    const run = async (...args: string[]) => {
      const r = await cli(['synth', input, '-o', out, ...args]);
      expect(r.code, r.err).toBe(0);
      return r.out;
    };
    const record = () => JSON.parse(readFileSync(join(out, 's2', 'synthesis.json'), 'utf8')) as { frames: number; parameters: { gamma: number; exposureFrames: number }; resume: { key: { input: { files: number; sha256: string } } } };
    await run();
    expect(record().resume.key.input.files).toBe(5);
    expect(await run()).toMatch(/^skipped s2: already complete -> /m);
    // Other options: made again, and synthesis.json says the new ones.
    expect(await run('--gamma', '1.5', '--exposure-frames', '8')).toMatch(/^wrote {3}s2: 5 frames, .* \(made again: it was made with other options \(exposureFrames 64 then, 8 now; exposureIntervals 1 then, 0.125 now; gamma 2.2 then, 1.5 now\)\)$/m);
    expect(record().parameters).toMatchObject({ gamma: 1.5, exposureFrames: 8 });
    expect(await run('--gamma', '1.5', '--exposure-frames', '8')).toMatch(/^skipped s2: already complete/m);
    // Another frame limit.
    expect(await run('--gamma', '1.5', '--exposure-frames', '8', '--max-frames', '3')).toContain('(made again: it was made with other options (maxFrames null then, 3 now))');
    expect(record().frames).toBe(3);
    // A frame of the output deleted: the sequence is not complete.
    await run();
    rmSync(join(out, 's2', 'blur', 'frame_000003.png'));
    expect(await run()).toContain('(made again: blur/frame_000003.png is missing from it)');
    expect(existsSync(join(out, 's2', 'blur', 'frame_000003.png'))).toBe(true);
    // An input frame deleted, then one changed in place (same name and size: only its contents differ).
    rmSync(join(input, 'f4.png'));
    expect(await run()).toMatch(/\(made again: its input changed \(5 files, \d+ bytes then; 4 files, \d+ bytes now\)\)/);
    expect(record().frames).toBe(4);
    writeFileSync(join(input, 'f2.png'), readFileSync(join(input, 'f1.png')));
    expect(await run()).toMatch(/\(made again: its input changed \(4 files, \d+ bytes then; 4 files, \d+ bytes now(, other contents)?\)\)/);
    // Touched but the same bytes (a copy to another machine): reused, by contents.
    const sha = record().resume.key.input.sha256;
    const later = new Date(Date.now() + 60_000);
    for (const f of ['f0.png', 'f1.png', 'f2.png', 'f3.png']) utimesSync(join(input, f), later, later);
    expect(await run()).toMatch(/^skipped s2: already complete/m);
    expect(record().resume.key.input.sha256).toBe(sha);
  });

  it('reads video input (and checks options against its own frame rate first)', async () => {
    const clip = join(dir, 'clip25.mp4');
    makeClip(clip, { width: 64, height: 48, frames: 4, fps: 25 });
    const wrongRate = await cli(['synth', clip, '-o', join(dir, 'video-out')]);
    // 1920 is not a multiple of 25: refused before anything is written, with the rate of this input.
    expect(wrongRate.code).toBe(2);
    expect(wrongRate.err).toBe('promotion: Expected --virtual-fps to be a whole multiple of the input rate 25 fps but received 1920 (ratio 76.800); try 1925.\n');
    expect(existsSync(join(dir, 'video-out'))).toBe(false);
    const r = await cli(['synth', clip, '-o', join(dir, 'video-out'), '--virtual-fps', '2000', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ framesWritten: 4, sequences: [{ id: 'clip25', status: 'done' }] });
    expect(JSON.parse(readFileSync(join(dir, 'video-out', 'clip25', 'synthesis.json'), 'utf8'))).toMatchObject({ parameters: { inputFps: 25, virtualFps: 2000, ratio: 80, exposureFrames: 80 } });
  });

  it('keeps the FPHA layout and copies the skeletons; skips known broken sequences', async () => {
    const root = join(dir, 'fpha');
    for (const [s, a, q] of [['Subject_1', 'wave', '1'], ['Subject_2', 'close_milk', '4']] as const) {
      await panFolder(join(root, 'Video_files', s, a, q, 'color'), 3, (k) => `color_${String(k).padStart(4, '0')}.jpeg`);
      mkdirSync(join(root, 'Hand_pose_annotation_v1', s, a, q), { recursive: true });
      writeFileSync(join(root, 'Hand_pose_annotation_v1', s, a, q, 'skeleton.txt'), [0, 1, 2].map((t) => `${t} ${Array(63).fill(100).join(' ')}`).join('\n'));
    }
    const out = join(dir, 'fpha-out');
    const r = await cli(['synth', root, '-o', out, '--json']);
    expect(r.code).toBe(0);
    expect(r.err).toContain('Skipping FPHA sequence Subject_2/close_milk/4');
    expect(readdirSync(join(out, 'Video_files', 'Subject_1', 'wave', '1', 'blur'))).toEqual(['color_0000.png', 'color_0001.png', 'color_0002.png']);
    expect(readFileSync(join(out, 'Hand_pose_annotation_v1', 'Subject_1', 'wave', '1', 'skeleton.txt'), 'utf8')).toContain('0 100 100');
    expect(existsSync(join(out, 'Video_files', 'Subject_2'))).toBe(false);
  });

  it('keeps the skeleton of a single FPHA sequence outside the layout (inside its own output folder)', async () => {
    const seq = join(dir, 'loose-seq');
    await panFolder(join(seq, 'color'), 3, (k) => `color_${String(k).padStart(4, '0')}.jpeg`);
    writeFileSync(join(seq, 'skeleton.txt'), [0, 1, 2].map((t) => `${t} ${Array(63).fill(7).join(' ')}`).join('\n'));
    const out = join(dir, 'loose-out');
    const r = await cli(['synth', seq, '-o', out, '--json']);
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(join(out, 'loose-seq', 'skeleton.txt'), 'utf8')).toContain('0 7 7');
    // A resumed run restores a skeleton lost after the sequence was committed.
    rmSync(join(out, 'loose-seq', 'skeleton.txt'));
    expect((await cli(['synth', seq, '-o', out, '--json'])).code).toBe(0);
    expect(existsSync(join(out, 'loose-seq', 'skeleton.txt'))).toBe(true);
  });

  it('bad options exit 2 before anything is read; a one-frame sequence exits 3 and leaves nothing', async () => {
    const input = join(dir, 'pan');
    const fps = await cli(['synth', input, '-o', join(dir, 'x'), '--virtual-fps', '1000']);
    expect(fps.code).toBe(2);
    expect(fps.err).toBe('promotion: Expected --virtual-fps to be a whole multiple of the input rate 30 fps but received 1000 (ratio 33.333); try 990.\n');
    expect((await cli(['synth', input, '-o', join(dir, 'x'), '--gamma', '0'])).err).toBe('promotion: Expected number greater than 0 and at most 10 for --gamma but received 0 of type number\n');
    expect((await cli(['synth', input, '-o', join(dir, 'x'), '--exposure-frames', '200'])).err).toBe('promotion: Expected integer between 1 and 128 for --exposure-frames but received 200 of type number\n');
    const single = join(dir, 'single');
    await panFolder(single, 1, () => 'only.png');
    const out = join(dir, 'single-out');
    const r = await cli(['synth', single, '-o', out]);
    expect(r.code).toBe(3);
    expect(r.err).toBe('promotion: Blur synthesis needs at least 2 frames (the motion comes from neighbouring frames), but the sequence has 1.\n');
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });

  it('scenes: exact-blur training sequences from photos, deterministic for a seed, resumable', async () => {
    const photos = fileURLToPath(new URL('../../datasets/sample/hand-pan', import.meta.url));
    const out = join(dir, 'scenes');
    const r = await cli(['scenes', photos, '-o', out, '--count', '2', '--frames', '3', '--size', '48x32', '--seed', '5', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ framesWritten: 6, scenes: [{ id: 'scene_00000', status: 'done' }, { id: 'scene_00001', status: 'done' }], belowMinSpeed: [] });
    expect(r.err).not.toContain('warning');
    const record = JSON.parse(readFileSync(join(out, 'scene_00001', 'synthesis.json'), 'utf8')) as { mode: string; seed: number; scene: { camera: { velocity: { x: number } } } };
    expect(record).toMatchObject({ mode: 'exact', seed: 5 });
    // The same seed renders the same bytes; scene 1 does not depend on scene 0 having been rendered.
    const again = join(dir, 'scenes-again');
    rmSync(join(out, 'scene_00000'), { recursive: true });
    expect((await cli(['scenes', photos, '-o', again, '--count', '2', '--frames', '3', '--size', '48x32', '--seed', '5', '--json'])).code).toBe(0);
    expect(readFileSync(join(again, 'scene_00001', 'blur', 'frame_000001.png')).equals(readFileSync(join(out, 'scene_00001', 'blur', 'frame_000001.png')))).toBe(true);
    const resumed = JSON.parse((await cli(['scenes', photos, '-o', out, '--count', '2', '--frames', '3', '--size', '48x32', '--seed', '5', '--json'])).out) as { scenes: Array<{ status: string }> };
    expect(resumed.scenes.map((s) => s.status)).toEqual(['done', 'skipped']);
    // A different seed gives a different scene.
    const other = join(dir, 'scenes-other');
    await cli(['scenes', photos, '-o', other, '--count', '1', '--frames', '2', '--size', '48x32', '--seed', '6', '--json']);
    const otherRecord = JSON.parse(readFileSync(join(other, 'scene_00000', 'synthesis.json'), 'utf8')) as typeof record;
    const firstRecord = JSON.parse(readFileSync(join(again, 'scene_00000', 'synthesis.json'), 'utf8')) as typeof record;
    expect(otherRecord.scene.camera.velocity.x).not.toBe(firstRecord.scene.camera.velocity.x);
  });

  it('scenes: --photo-scale makes room for fast camera paths and --min-speed sets the slowest one', async () => {
    const { sampleSceneSpec } = await import('../../src/blur-synthesis/scenes.js');
    const { createRng } = await import('../../src/util/rng.js');
    const photos = [{ path: 'wide.jpg', width: 2560, height: 1600 }];
    const speeds = (options: { photoScale?: number; minSpeedPx?: number }) =>
      Array.from({ length: 40 }, (_, i) => {
        const spec = sampleSceneSpec(createRng(i), photos, { width: 160, height: 160, frames: 9, foregroundChance: 0, maxSpeedPx: 40, ...options });
        return { speed: Math.hypot(spec.camera.velocity.x, spec.camera.velocity.y), photoScale: spec.photoScale };
      });
    // A 16:10 photo fitted in 5x the frame is 800x500: 9 frames leave room for at most ~18 px per frame.
    const narrow = speeds({});
    expect(Math.max(...narrow.map((s) => s.speed))).toBeLessThan(18.5);
    expect(narrow[0]!.photoScale).toBeUndefined(); // old specs (no photoScale) keep loading at 5x
    const wide = speeds({ photoScale: 8, minSpeedPx: 16 });
    expect(Math.min(...wide.map((s) => s.speed))).toBeGreaterThanOrEqual(16);
    expect(Math.max(...wide.map((s) => s.speed))).toBeGreaterThan(35);
    expect(wide[0]!.photoScale).toBe(8);
    const r = await cli(['scenes', fileURLToPath(new URL('../../datasets/sample/hand-pan', import.meta.url)), '-o', join(dir, 'bad-speed'), '--min-speed', '50', '--max-speed', '40']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--min-speed');
    // A photo too small for the speed asked: the scene is rendered at the speed the photo allows, and the run says so.
    const small = await cli(['scenes', fileURLToPath(new URL('../../datasets/sample/hand-pan', import.meta.url)), '-o', join(dir, 'slow'), '--count', '1', '--frames', '3', '--size', '64x48', '--min-speed', '30', '--json']);
    expect(small.code).toBe(0);
    const slow = JSON.parse(small.out) as { belowMinSpeed: Array<{ id: string; photo: string; speedPx: number }> };
    expect(slow.belowMinSpeed).toHaveLength(1);
    expect(slow.belowMinSpeed[0]).toMatchObject({ id: 'scene_00000' });
    expect(slow.belowMinSpeed[0]!.speedPx).toBeLessThan(30);
    expect(small.err).toMatch(/warning: 1 of 1 scenes rendered move slower than --min-speed 30 px per frame \(scene_00000 \(.+\): [0-9.]+ px\)/);
    expect(small.err).toContain('Use larger photos');
  });

  it('an aborted run leaves no sequence folder and no staging; a later run removes staging a killed run left', async () => {
    const input = join(dir, 'pan');
    const out = join(dir, 'aborted');
    const controller = new AbortController();
    controller.abort();
    const { runSynthJob } = await import('../../src/blur-synthesis/dataset-writer.js');
    const job = { input, kind: 'image-sequence' as const, id: 'pan', outDir: join(out, 'pan'), naming: { prefix: 'frame_', digits: 6 }, synthesis: {}, motionKind: 'magnitude' as const, overwrite: false };
    await expect(runSynthJob(job, () => undefined, controller.signal)).rejects.toThrow('The run was interrupted; partial outputs were removed.');
    expect(existsSync(join(out, 'pan'))).toBe(false);
    expect(readdirSync(out)).toEqual([]);
    // A killed run's staging folder (its pid no longer runs) is cleaned up by the next run.
    mkdirSync(join(out, '.pan.partial-999999-x-0'), { recursive: true });
    await runSynthJob(job);
    expect(readdirSync(out)).toEqual(['pan']);
  });

  it('runs sequences in parallel worker threads, and one sequence on several threads (built CLI)', async () => {
    const bin = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
    const a = join(dir, 'wa');
    const b = join(dir, 'wb');
    await panFolder(a, 3, (k) => `${k}.png`);
    await panFolder(b, 4, (k) => `${k}.png`);
    const out = join(dir, 'workers-out');
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'synth', a, b, '-o', out, '--workers', '2', '--json']);
    expect(JSON.parse(stdout)).toMatchObject({ framesWritten: 7, sequences: [{ id: 'wa', frames: 3 }, { id: 'wb', frames: 4 }] });
    // Threads within one sequence (flows side by side, the integral in bands) give the same bytes as one thread.
    const one = join(dir, 'threads-1');
    const two = join(dir, 'threads-2');
    await promisify(execFile)(process.execPath, [bin, 'synth', a, '-o', one, '--threads', '1', '--json']);
    await promisify(execFile)(process.execPath, [bin, 'synth', a, '-o', two, '--threads', '2', '--json']);
    expect(JSON.parse(readFileSync(join(two, 'wa', 'synthesis.json'), 'utf8'))).toMatchObject({ parameters: { threads: 2 } });
    for (const f of ['frame_000000.png', 'frame_000001.png', 'frame_000002.png']) {
      expect(readFileSync(join(two, 'wa', 'blur', f)).equals(readFileSync(join(one, 'wa', 'blur', f)))).toBe(true);
    }
  });
});
