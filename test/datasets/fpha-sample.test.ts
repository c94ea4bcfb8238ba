/**
 * The embedded FPHA-layout sample (datasets/fpha-sample, built by datasets/build-fpha-sample.ts): it loads with the
 * project's FPHA reader, its skeleton comes back to the pixels its manifest says, the manifest matches the files,
 * and MediaPipe finds the hand in its sharp frames.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applySimilarity, type MotionParameters, similarityAt, zoomAt } from '../../datasets/fpha-sample-motion.js';
import type { HandPoseEstimator } from '../../src/handpose/estimator.js';
import { toFphaOrder } from '../../src/handpose/fpha-order.js';
import { createHandLandmarker } from '../../src/handpose/mediapipe-hand-landmarker.js';
import { type FphaFrame, listFphaSequences, openFphaSequence, readCameraFile } from '../../src/stream/fpha-source.js';
import { sourceFrames$ } from '../../src/stream/pipe-source.js';

const ROOT = fileURLToPath(new URL('../../datasets/fpha-sample/', import.meta.url));

type Affine = [[number, number, number], [number, number, number]];
interface ManifestSequence {
  id: string;
  kind: 'camera' | 'local';
  frames: number;
  stillJointsPx: Array<[number, number]>;
  motion: MotionParameters;
  speedPx: { min: number; mean: number; max: number };
  perFrame: Array<{ frame: number; affine: Affine; depthMm: number; speedPx: number; maxJointSpeedPx: number }>;
  files: { skeleton: { file: string; sha256: string }; color: Array<{ file: string; bytes: number; sha256: string }> };
  detection: Record<'video' | 'image', { rate: number; meanErrorPx: number }>;
}
interface Manifest {
  width: number;
  height: number;
  fps: number;
  frames: number;
  camera: unknown;
  depth: { referenceMm: number };
  sequences: ManifestSequence[];
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'sample.json'), 'utf8')) as Manifest;
const videoDir = (id: string) => join(ROOT, 'Video_files', ...id.split('/'));
const expectedPixels = (s: ManifestSequence, k: number) =>
  s.stillJointsPx.map(([x, y]) => {
    const [[a, b, c], [d, e, f]] = s.perFrame[k]!.affine;
    return [a * x + b * y + c, d * x + e * y + f] as const;
  });
const readSequence = async (id: string, maxFrames?: number): Promise<FphaFrame[]> =>
  lastValueFrom(sourceFrames$(await openFphaSequence(videoDir(id), maxFrames === undefined ? {} : { maxFrames })).pipe(toArray()));

describe('embedded FPHA sample', () => {
  it('holds camera-motion and local-motion sequences in the FPHA layout, which the FPHA reader lists and opens', async () => {
    expect(new Set(manifest.sequences.map((s) => s.kind))).toEqual(new Set(['camera', 'local']));
    const refs = await listFphaSequences(ROOT);
    expect(refs.map((r) => r.id)).toEqual(manifest.sequences.map((s) => s.id));
    for (const ref of refs) {
      expect(ref.skeletonPath).toBe(join(ROOT, 'Hand_pose_annotation_v1', ...ref.id.split('/'), 'skeleton.txt'));
      const source = await openFphaSequence(ref.videoDir);
      expect(source.info).toMatchObject({ kind: 'fpha', width: manifest.width, height: manifest.height, fps: 30, frameCount: manifest.frames });
      expect(source.info.details.camera).toBe(join(ROOT, 'camera.json'));
    }
    expect(await readCameraFile(join(ROOT, 'camera.json'))).toEqual(manifest.camera);
    // The reader's selection works on it too.
    expect((await listFphaSequences(ROOT, { actions: ['hand_wave'], sequences: ['2'] })).map((r) => r.id)).toEqual(['Subject_1/hand_wave/2']);
  });

  it('skeleton.txt projects back to the moved joints of the still to within 0.01 px, at the stated depth', async () => {
    for (const s of manifest.sequences) {
      const frames = await readSequence(s.id);
      expect(frames).toHaveLength(s.frames);
      for (const [k, frame] of frames.entries()) {
        const expected = expectedPixels(s, k);
        frame.annotation.jointsPx.forEach(([u, v], j) => {
          expect(Math.hypot(u - expected[j]![0], v - expected[j]![1])).toBeLessThan(0.01);
        });
        // The photos are flat: every joint at the frame's depth.
        for (const [, , z] of frame.annotation.jointsWorldMm) expect(z).toBeCloseTo(s.perFrame[k]!.depthMm, 3);
      }
    }
  });

  it('the manifest motion parameters reproduce every frame transform, depth and speed', () => {
    for (const s of manifest.sequences) {
      for (const f of s.perFrame) {
        const sim = similarityAt(s.motion, f.frame, s.frames);
        const expected = [sim.a, -sim.b, sim.tx, sim.b, sim.a, sim.ty];
        f.affine.flat().forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 7));
        expect(f.depthMm).toBeCloseTo(manifest.depth.referenceMm / zoomAt(s.motion, f.frame), 3);
        const before = similarityAt(s.motion, f.frame - 0.5, s.frames);
        const after = similarityAt(s.motion, f.frame + 0.5, s.frames);
        const travel = s.stillJointsPx.map(([x, y]) => {
          const [x0, y0] = applySimilarity(before, x, y);
          const [x1, y1] = applySimilarity(after, x, y);
          return Math.hypot(x1 - x0, y1 - y0);
        });
        expect(f.speedPx).toBeCloseTo(travel.reduce((p, q) => p + q, 0) / travel.length, 2);
      }
      const speeds = s.perFrame.map((f) => f.speedPx);
      expect(s.speedPx.min).toBe(Math.min(...speeds));
      expect(s.speedPx.max).toBe(Math.max(...speeds));
    }
    // Motion that makes real blur: several px per frame in every sequence, and the set spans slow to fast.
    const all = manifest.sequences.flatMap((s) => s.perFrame.map((f) => f.speedPx));
    expect(Math.min(...manifest.sequences.map((s) => s.speedPx.mean))).toBeGreaterThan(5);
    expect(Math.max(...all)).toBeGreaterThan(20);
  });

  it('the manifest matches the files: every frame and skeleton with its size and hash, nothing else, with the licences beside them', () => {
    const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
    for (const s of manifest.sequences) {
      const color = join(videoDir(s.id), 'color');
      expect(readdirSync(color).sort()).toEqual(s.files.color.map((f) => f.file.split('/').pop()).sort());
      expect(s.files.color).toHaveLength(s.frames);
      s.files.color.forEach((f, k) => {
        expect(f.file).toBe(`Video_files/${s.id}/color/color_${String(k).padStart(4, '0')}.jpeg`);
        expect(readFileSync(join(ROOT, f.file)).length).toBe(f.bytes);
        expect(sha(join(ROOT, f.file))).toBe(f.sha256);
      });
      expect(sha(join(ROOT, s.files.skeleton.file))).toBe(s.files.skeleton.sha256);
    }
    for (const file of ['NOTICE.md', 'LICENSE.fingerpose', 'LICENSE.opencv', 'camera.json']) expect(existsSync(join(ROOT, file))).toBe(true);
    const notice = readFileSync(join(ROOT, 'NOTICE.md'), 'utf8');
    for (const s of manifest.sequences) expect(notice).toContain(s.id);
    const total = (dir: string): number => readdirSync(dir, { withFileTypes: true }).reduce((sum, e) => sum + (e.isDirectory() ? total(join(dir, e.name)) : readFileSync(join(dir, e.name)).length), 0);
    expect(total(ROOT)).toBeLessThan(3 * 1024 * 1024);
  });

  describe('MediaPipe on the sharp frames', () => {
    let estimator: HandPoseEstimator;
    beforeAll(async () => {
      estimator = await createHandLandmarker({ mode: 'image' });
    });
    afterAll(async () => {
      await estimator?.close();
    });

    it('finds the hand in the first frames of every sequence, a few px from the ground truth', async () => {
      for (const s of manifest.sequences) {
        expect(s.detection.video.rate).toBeGreaterThanOrEqual(0.9);
        for (const frame of await readSequence(s.id, 4)) {
          const result = await estimator.estimate(frame);
          expect(result.hands, `${s.id} frame ${frame.index}`).toHaveLength(1);
          const joints = toFphaOrder(result.hands[0]!.landmarksPx);
          const error = joints.reduce((sum, [x, y], j) => sum + Math.hypot(x - frame.annotation.jointsPx[j]![0], y - frame.annotation.jointsPx[j]![1]), 0) / joints.length;
          expect(error, `${s.id} frame ${frame.index}`).toBeLessThan(12);
        }
      }
    });
  });
});
