/**
 * The hard FPHA-layout sample (datasets/fpha-hard, built by datasets/build-fpha-hard.ts), frozen: every file is the
 * one its manifest's checksum names, the FPHA reader opens it and its skeletons come back to the moved joints, the
 * motion is as fast as the sample promises, the blur gap recorded when it was built meets the requirements, and
 * every photo either sample uses is in the evaluation-photo manifest training data builders check.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HARD_SAMPLE_REQUIREMENTS } from '../../datasets/build-fpha-hard.js';
import { listFphaSequences, openFphaSequence } from '../../src/stream/fpha-source.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const ROOT = join(REPO, 'datasets', 'fpha-hard');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

interface Gap {
  frames: number;
  detection: { sharp: number; blurred: number };
  rmsePx: { sharp: number; blurred: number };
}
interface Manifest {
  width: number;
  height: number;
  frames: number;
  sequences: Array<{
    id: string;
    photo: { path: string };
    background?: { file: string };
    stillJointsPx: Array<[number, number]>;
    perFrame: Array<{ affine: [[number, number, number], [number, number, number]]; speedPx: number }>;
    speedPx: { min: number; mean: number; max: number };
    files: { skeleton: { file: string; sha256: string }; color: Array<{ file: string; bytes: number; sha256: string }> };
  }>;
  blurGap: { requirements: typeof HARD_SAMPLE_REQUIREMENTS; all: Gap & { rmseRatio: number }; sequences: Array<Gap & { id: string }>; met: boolean };
}
const manifest = JSON.parse(readFileSync(join(ROOT, 'sample.json'), 'utf8')) as Manifest;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

describe('hard FPHA sample', () => {
  it('is frozen: every frame and skeleton has the checksum sample.json recorded, and nothing else is there', () => {
    const listed = new Set<string>();
    for (const s of manifest.sequences) {
      for (const f of [...s.files.color, s.files.skeleton]) {
        const bytes = readFileSync(join(ROOT, f.file));
        expect(sha256(bytes), f.file).toBe(f.sha256);
        listed.add(f.file);
      }
    }
    const data = filesUnder(ROOT).map((f) => relative(ROOT, f)).filter((f) => f.startsWith('Video_files') || f.startsWith('Hand_pose_annotation_v1'));
    expect(data.sort()).toEqual([...listed].sort());
    // Lean: a few MB of JPEG frames.
    const bytes = filesUnder(ROOT).reduce((a, f) => a + statSync(f).size, 0);
    expect(bytes).toBeLessThan(10 * 1024 * 1024);
  });

  it('holds hundreds of 640x480 frames of hands moving at least 15 px per frame on average, in several sequences', async () => {
    expect([manifest.width, manifest.height]).toEqual([640, 480]);
    const total = manifest.sequences.reduce((a, s) => a + s.perFrame.length, 0);
    expect(total).toBeGreaterThanOrEqual(200);
    expect(new Set(manifest.sequences.map((s) => s.photo.path)).size).toBeGreaterThanOrEqual(4);
    expect(new Set(manifest.sequences.map((s) => s.background?.file)).size).toBeGreaterThanOrEqual(2);
    for (const s of manifest.sequences) {
      expect(s.speedPx.mean, s.id).toBeGreaterThanOrEqual(15);
      expect(s.speedPx.max, s.id).toBeLessThanOrEqual(70);
    }
    const refs = await listFphaSequences(ROOT);
    expect(refs.map((r) => r.id).sort()).toEqual(manifest.sequences.map((s) => s.id).sort());
  });

  it("skeleton.txt projects back to the moved joints of the still (first and last frames of each sequence)", async () => {
    for (const s of manifest.sequences) {
      const source = await openFphaSequence(join(ROOT, 'Video_files', ...s.id.split('/')));
      let k = 0;
      for await (const frame of source.frames()) {
        if (k === 0 || k === manifest.frames - 1) {
          const [[a, b, c], [d, e, f]] = s.perFrame[k]!.affine;
          frame.annotation.jointsPx.forEach(([u, v], j) => {
            const [x, y] = s.stillJointsPx[j]!;
            expect(Math.hypot(u - (a * x + b * y + c), v - (d * x + e * y + f))).toBeLessThan(0.01);
          });
        }
        k++;
      }
      expect(k).toBe(manifest.frames);
    }
  });

  it('breaks the estimator under blur, as recorded when built: detection >= 95% sharp, <= 85% blurred, RMSE x2', () => {
    const { requirements, all, sequences, met } = manifest.blurGap;
    expect(requirements).toEqual(HARD_SAMPLE_REQUIREMENTS);
    expect(all.frames).toBe(manifest.sequences.length * manifest.frames);
    expect(all.detection.sharp).toBeGreaterThanOrEqual(HARD_SAMPLE_REQUIREMENTS.sharpDetectionMin);
    expect(all.detection.blurred).toBeLessThanOrEqual(HARD_SAMPLE_REQUIREMENTS.blurredDetectionMax);
    expect(all.rmsePx.blurred / all.rmsePx.sharp).toBeGreaterThanOrEqual(HARD_SAMPLE_REQUIREMENTS.rmseRatioMin);
    expect(all.rmseRatio).toBeCloseTo(all.rmsePx.blurred / all.rmsePx.sharp, 2);
    expect(met).toBe(true);
    // The pooled numbers are the frame-weighted sequences' (detection).
    const pooled = sequences.reduce((a, s) => a + s.detection.blurred * s.frames, 0) / all.frames;
    expect(pooled).toBeCloseTo(all.detection.blurred, 3);
  });

  it('lists every photo either sample uses, with its SHA-256, in datasets/eval-photos.json', () => {
    const photos = (JSON.parse(readFileSync(join(REPO, 'datasets', 'eval-photos.json'), 'utf8')) as { photos: Array<{ path: string; sha256: string }> }).photos;
    const byPath = new Map(photos.map((p) => [p.path, p.sha256]));
    const easy = JSON.parse(readFileSync(join(REPO, 'datasets', 'fpha-sample', 'sample.json'), 'utf8')) as Manifest;
    for (const s of [...easy.sequences, ...manifest.sequences]) {
      const used = [s.photo.path, ...(s.background ? [join('/usr/share/backgrounds', s.background.file)] : [])];
      for (const path of used) expect(byPath.has(path), path).toBe(true);
    }
    for (const p of photos) {
      expect(p.sha256).toMatch(/^[0-9a-f]{64}$/);
      const file = isAbsolute(p.path) ? p.path : join(REPO, p.path);
      // The hand photos are in the repository; the wallpapers where Debian's package is installed.
      if (!isAbsolute(p.path) || existsSync(file)) expect(sha256(readFileSync(file)), p.path).toBe(p.sha256);
    }
  });
});
