/**
 * Training scenes (src/blur-synthesis/scenes.ts): photos at a chosen share of their native detail (`detail`), the
 * foreground's speed range, and loading only the part of the photo the camera can see (the same pixels as the whole).
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trajectoryFromParameters } from '../../src/blur-synthesis/exact.js';
import { renderExact } from '../../src/blur-synthesis/exact.js';
import { cameraRegion, loadScene, sampleSceneSpec } from '../../src/blur-synthesis/scenes.js';
import { toFloatFrame } from '../../src/stream/frame.js';
import { decodeImageFit, readImageMeta } from '../../src/stream/image-codec.js';
import { createRng } from '../../src/util/rng.js';
import { cli, tempDir } from '../helpers.js';

const PHOTO = fileURLToPath(new URL('../../test/fixtures/hands/nocurl.jpg', import.meta.url));

describe('training scenes', () => {
  it('detail draws the photo scale from a share of the native resolution and records it', async () => {
    const meta = await readImageMeta(PHOTO);
    const photos = [{ path: PHOTO, ...meta }];
    for (let seed = 0; seed < 20; seed++) {
      const spec = sampleSceneSpec(createRng(seed), photos, { width: 48, height: 32, frames: 4, detail: [0.4, 0.9] });
      const fitted = Math.min((spec.photoScale! * 48) / meta.width, (spec.photoScale! * 32) / meta.height);
      expect(fitted).toBeGreaterThanOrEqual(0.4 - 1e-9);
      expect(fitted).toBeLessThanOrEqual(0.9 + 1e-9);
    }
    // Without detail or photoScale nothing is recorded (old specs load at the default scale).
    expect(sampleSceneSpec(createRng(1), photos, { width: 48, height: 32, frames: 4 }).photoScale).toBeUndefined();
  });

  it('the foreground moves within the given speed range', async () => {
    const photos = [{ path: PHOTO, ...(await readImageMeta(PHOTO)) }];
    for (let seed = 0; seed < 20; seed++) {
      const spec = sampleSceneSpec(createRng(seed), photos, { width: 64, height: 64, frames: 4, foregroundChance: 1, foregroundSpeedPx: [12, 13] });
      const v = spec.foreground!.path.velocity;
      expect(Math.hypot(v.x, v.y)).toBeGreaterThanOrEqual(12);
      expect(Math.hypot(v.x, v.y)).toBeLessThanOrEqual(13);
    }
  });

  it('loading the camera region renders what the whole photo renders', async () => {
    const meta = await readImageMeta(PHOTO);
    const photos = [{ path: PHOTO, ...meta }];
    for (const seed of [3, 4]) {
      const spec = sampleSceneSpec(createRng(seed), photos, { width: 40, height: 32, frames: 3, foregroundChance: 0, detail: [0.8, 1], maxSpeedPx: 12 });
      const scene = await loadScene(spec);
      const box = { width: Math.round(spec.photoScale! * 40), height: Math.round(spec.photoScale! * 32) };
      const whole = toFloatFrame(await decodeImageFit(PHOTO, 'uint16', box.width, box.height), { light: 'linear', gamma: 2.2 });
      expect(scene.background.width * scene.background.height).toBeLessThan(whole.width * whole.height);
      const region = cameraRegion(spec, whole);
      expect(scene.background.width).toBe(region.width);
      const full = { ...scene, background: { width: whole.width, height: whole.height, data: whole.data }, camera: trajectoryFromParameters(spec.camera) };
      for (let k = 0; k < spec.frames; k++) {
        const a = renderExact(scene, k, { ratio: 8 });
        const b = renderExact(full, k, { ratio: 8 });
        let worst = 0;
        for (let i = 0; i < a.blurred.data.length; i++) worst = Math.max(worst, Math.abs(a.blurred.data[i]! - b.blurred.data[i]!), Math.abs(a.sharp.data[i]! - b.sharp.data[i]!));
        expect(worst).toBeLessThan(1e-6);
      }
    }
  });

  it('scenes --detail and --foreground-speed: ranges checked, exclusive with --photo-scale', async () => {
    const dir = tempDir('promotion-scenes-');
    const photos = fileURLToPath(new URL('../../test/fixtures/hands', import.meta.url));
    const out = join(dir, 's');
    const r = await cli(['scenes', photos, '-o', out, '--count', '1', '--frames', '2', '--size', '48x32', '--detail', '0.5,1', '--foreground', '1', '--foreground-speed', '3,4', '--json']);
    expect(r.code).toBe(0);
    expect((await cli(['scenes', photos, '-o', out, '--detail', '0.5', '--photo-scale', '3'])).err).toBe('promotion: Expected no --photo-scale beside it (both set the photo scale) for --detail but received "0.5" of type string\n');
    expect((await cli(['scenes', photos, '-o', out, '--detail', '2'])).err).toBe('promotion: Expected number at least 0.05 and at most 1 for --detail but received 2 of type number\n');
    expect((await cli(['scenes', photos, '-o', out, '--foreground-speed', '5,2'])).err).toBe('promotion: Expected number at least 5 and at most 1000 for --foreground-speed but received 2 of type number\n');
    expect((await cli(['scenes', photos, '-o', out, '--detail', '0.1,0.2,0.3'])).code).toBe(2);
  });
});
