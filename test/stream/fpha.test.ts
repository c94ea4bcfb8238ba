import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { DatasetFormatError, InputNotFoundError } from '../../src/errors.js';
import {
  type CameraModel,
  FPHA_COLOR_CAMERA,
  fphaCameraOf,
  frameNumberOf,
  listFphaSequences,
  openFphaSequence,
  parseSkeleton,
  projectJoints,
  resolveFphaSequence,
  skeletonJointsPx,
} from '../../src/stream/fpha-source.js';
import { encodeImage } from '../../src/stream/image-codec.js';
import { openSource } from '../../src/stream/open-source.js';
import { sourceFrames$ } from '../../src/stream/pipe-source.js';
import { patternFrame, tempDir } from '../helpers.js';

const root = tempDir();

/** World coordinates that the camera projects to pixel (u, v) at depth zMm: X_w = R^-1 (X_c - t). */
function unproject(u: number, v: number, zMm: number, c: CameraModel): [number, number, number] {
  const b = [((u - c.u0) * zMm) / c.fx - c.translationMm[0], ((v - c.v0) * zMm) / c.fy - c.translationMm[1], zMm - c.translationMm[2]] as const;
  // Cramer's rule: the stored R is orthonormal only to ~1e-12, so R^T is not quite its inverse.
  const [r0, r1, r2] = c.rotation;
  const det = (m: ReadonlyArray<readonly number[]>) =>
    m[0]![0]! * (m[1]![1]! * m[2]![2]! - m[1]![2]! * m[2]![1]!) - m[0]![1]! * (m[1]![0]! * m[2]![2]! - m[1]![2]! * m[2]![0]!) + m[0]![2]! * (m[1]![0]! * m[2]![1]! - m[1]![1]! * m[2]![0]!);
  const d = det([r0, r1, r2]);
  const column = (k: number) => det([r0, r1, r2].map((row, i) => row.map((v, j) => (j === k ? b[i]! : v))));
  return [column(0) / d, column(1) / d, column(2) / d];
}

/** Known joints for frame t: a hand-like fan of 21 points moving 3 px right per frame. */
function knownPixels(t: number): Array<[number, number]> {
  return Array.from({ length: 21 }, (_, j) => [100 + 10 * (j % 5) + 3 * t, 80 + 8 * Math.floor(j / 5) + 0.25 * j] as [number, number]);
}

function skeletonText(frames: number, camera: CameraModel): string {
  return Array.from({ length: frames }, (_, t) => [t, ...knownPixels(t).flatMap(([u, v]) => unproject(u, v, 450, camera))].join(' ')).join('\n');
}

async function makeSequence(subject: string, action: string, seq: string, frames: number, camera = FPHA_COLOR_CAMERA, skeleton?: string): Promise<string> {
  const video = join(root, 'Video_files', subject, action, seq);
  mkdirSync(join(video, 'color'), { recursive: true });
  for (let t = 0; t < frames; t++) writeFileSync(join(video, 'color', `color_${String(t).padStart(4, '0')}.jpeg`), await encodeImage(patternFrame(320, 180, t), 'jpeg'));
  const ann = join(root, 'Hand_pose_annotation_v1', subject, action, seq);
  mkdirSync(ann, { recursive: true });
  writeFileSync(join(ann, 'skeleton.txt'), skeleton ?? `${skeletonText(frames, camera)}\n`);
  return video;
}

describe('FPHA source', () => {
  it('projects skeleton.txt joints to the colour pixels they came from', async () => {
    const video = await makeSequence('Subject_1', 'open_juice_bottle', '1', 4);
    const source = await openFphaSequence(video);
    expect(source.info).toMatchObject({ kind: 'fpha', width: 320, height: 180, fps: 30, frameCount: 4 });
    expect(source.info.details.sequence).toBe('Subject_1/open_juice_bottle/1');
    const frames = await lastValueFrom(sourceFrames$(source).pipe(toArray()));
    for (const [t, frame] of frames.entries()) {
      const expected = knownPixels(t);
      frame.annotation.jointsPx.forEach(([x, y], j) => {
        expect(x).toBeCloseTo(expected[j]![0], 6);
        expect(y).toBeCloseTo(expected[j]![1], 6);
      });
    }
    // openSource detects the kind
    expect((await openSource(video)).info.kind).toBe('fpha');
  });

  it('the FPHA camera: a point on the optical axis lands on the principal point', () => {
    const [[x, y]] = projectJoints([unproject(FPHA_COLOR_CAMERA.u0, FPHA_COLOR_CAMERA.v0, 600, FPHA_COLOR_CAMERA)]) as [[number, number]];
    expect(x).toBeCloseTo(935.732544, 6);
    expect(y).toBeCloseTo(540.68103, 6);
  });

  it('uses <root>/camera.json when present', async () => {
    const other = join(root, 'with-camera');
    const camera: CameraModel = { ...FPHA_COLOR_CAMERA, fx: 300, fy: 300, u0: 160, v0: 90 };
    mkdirSync(join(other, 'Video_files', 'Subject_1', 'a', '1', 'color'), { recursive: true });
    writeFileSync(join(other, 'camera.json'), JSON.stringify(camera));
    writeFileSync(join(other, 'Video_files', 'Subject_1', 'a', '1', 'color', 'color_0000.jpeg'), await encodeImage(patternFrame(320, 180), 'jpeg'));
    mkdirSync(join(other, 'Hand_pose_annotation_v1', 'Subject_1', 'a', '1'), { recursive: true });
    writeFileSync(join(other, 'Hand_pose_annotation_v1', 'Subject_1', 'a', '1', 'skeleton.txt'), skeletonText(1, camera));
    const source = await openFphaSequence(join(other, 'Video_files', 'Subject_1', 'a', '1'));
    const [frame] = await lastValueFrom(sourceFrames$(source).pipe(toArray()));
    expect(frame!.annotation.jointsPx[0]![0]).toBeCloseTo(100, 6);
    expect(source.info.details.camera).toBe(join(other, 'camera.json'));
  });

  it('fphaCameraOf and skeletonJointsPx give the evaluation the camera and ground truth the source uses', async () => {
    const other = join(root, 'with-camera');
    const ref = await resolveFphaSequence(join(other, 'Video_files', 'Subject_1', 'a', '1'));
    const found = await fphaCameraOf(ref);
    expect(found.source).toBe(join(other, 'camera.json'));
    expect(await fphaCameraOf(await resolveFphaSequence(await makeSequence('Subject_6', 'plain', '1', 2)))).toEqual({ camera: FPHA_COLOR_CAMERA, source: 'FPHA colour camera' });
    const [joints, missing] = await skeletonJointsPx(ref.skeletonPath, ['color_0000.jpeg', 'color_0007.png'], found.camera);
    expect(joints![0]![0]).toBeCloseTo(100, 6);
    expect(missing).toBeNull();
  });

  it('takes frame numbers from file names, so a missing image does not shift the joints of later frames', async () => {
    const video = await makeSequence('Subject_5', 'gap', '1', 4);
    rmSync(join(video, 'color', 'color_0001.jpeg'));
    const frames = await lastValueFrom(sourceFrames$(await openFphaSequence(video)).pipe(toArray()));
    expect(frames.map((f) => f.index)).toEqual([0, 2, 3]);
    expect(frames[1]!.annotation.jointsPx[0]![0]).toBeCloseTo(knownPixels(2)[0]![0], 6);
    expect(frameNumberOf('/x/color_0042.jpeg')).toBe(42);
    expect(frameNumberOf('/x/still.png')).toBeUndefined();
  });

  it('a skeleton line with the wrong column count names the file, the line and the format', () => {
    const path = '/data/skeleton.txt';
    const good = `0 ${Array(63).fill(1).join(' ')}`;
    expect(() => parseSkeleton(`${good}\n1 2 3\n`, path)).toThrow(
      new DatasetFormatError(path, `${path} line 2 has 3 columns, expected 64 (frame number, then x y z for each of 21 joints). Is this an FPHA skeleton.txt?`, 2),
    );
    expect(() => parseSkeleton(`0 ${Array(62).fill(1).join(' ')} abc`, path)).toThrow(`${path} line 1 column 64 is "abc", not a number.`);
    expect(() => parseSkeleton('\n\n', path)).toThrow(`${path} holds no skeleton rows.`);
  });

  it('a skeleton without a row for a frame is an error before any frame is read', async () => {
    const video = await makeSequence('Subject_3', 'pour_milk', '1', 3, FPHA_COLOR_CAMERA, skeletonText(2, FPHA_COLOR_CAMERA));
    const skeleton = join(root, 'Hand_pose_annotation_v1', 'Subject_3', 'pour_milk', '1', 'skeleton.txt');
    await expect(openFphaSequence(video)).rejects.toThrow(`${skeleton} has no row for frame 2 (color/color_0002.jpeg); it holds 2 rows for 3 colour frames.`);
  });

  it('a sequence without skeleton names where it looked', async () => {
    const video = join(root, 'Video_files', 'Subject_9', 'x', '1');
    mkdirSync(join(video, 'color'), { recursive: true });
    const expected = join(root, 'Hand_pose_annotation_v1', 'Subject_9', 'x', '1', 'skeleton.txt');
    await expect(openFphaSequence(video)).rejects.toThrow(new InputNotFoundError(expected, `FPHA sequence Subject_9/x/1 has no skeleton: expected ${expected}.`));
  });

  it('lists sequences with a selection, skipping the known broken ones with a notice', async () => {
    await makeSequence('Subject_2', 'close_milk', '4', 1);
    await makeSequence('Subject_2', 'close_milk', '10', 1);
    await makeSequence('Subject_2', 'close_milk', '2', 1);
    const notices: string[] = [];
    const refs = await listFphaSequences(root, { subjects: ['Subject_2'] }, (m) => notices.push(m));
    expect(refs.map((r) => r.id)).toEqual(['Subject_2/close_milk/2', 'Subject_2/close_milk/10']);
    expect(notices).toEqual(['Skipping FPHA sequence Subject_2/close_milk/4: its annotations are known to be broken.']);
    await expect(openSource(root)).rejects.toThrow(/is an FPHA dataset root; name one sequence folder/);
  });
});
