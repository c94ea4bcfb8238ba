/**
 * Parity of the PyTorch scene renderer (training/promotion/data/gpu_scenes.py `SpecScene`, which renders training
 * and validation sequences on a GPU machine without Node.js) with `promotion scenes`' exact renderer
 * (src/blur-synthesis/scenes.ts `loadScene`, exact.ts `renderExact`): the same scene spec (camera path with sway,
 * rotation, zoom and shake; a foreground disc crossing it) gives the same sharp and blurred frames.
 *
 * The photos are small enough that neither side resizes them (libvips' and PIL's Lanczos differ in the last bits).
 * What remains is the decoding: libvips widens an 8-bit sample v to about 256 v in 16 bits (measured: up to 254
 * sixteen-bit units from 257 v), PIL's v / 255 to 257 v, a difference of up to 1/256 everywhere, which caps the
 * agreement at 56-64 dB (measured: sharp frames 56.4-57.2 dB, blurred 63.8-63.9 dB, max 3.9e-3). A geometric slip of
 * a tenth of a pixel on this noise texture would cost far more, so the bound is 50 dB. On the yardstick's own
 * 640x480 sequences, whose photos are resized too, the PyTorch renders came within 53-58 dB of the committed frames.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { exactPairs, loadScene, type SceneSpec } from '../../src/blur-synthesis/scenes.js';
import { createRgb8Frame } from '../../src/stream/frame.js';
import { encodeImage } from '../../src/stream/image-codec.js';
import { noiseTexture, tempDir } from '../helpers.js';
import { requireTorch, runPython } from './python.js';

async function writePhoto(path: string, width: number, height: number, seed: number): Promise<void> {
  const texture = noiseTexture(width, height, seed);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const v = texture.data[i]!;
    data[3 * i] = Math.round(v);
    data[3 * i + 1] = Math.round(255 - v);
    data[3 * i + 2] = Math.round((v * 7) % 256);
  }
  writeFileSync(path, await encodeImage(createRgb8Frame(data, { width, height }), 'png'));
}

describe('the PyTorch scene renderer against promotion scenes', () => {
  it('renders the same sharp and blurred frames from a spec', async () => {
    requireTorch('torch, PIL');
    const dir = tempDir();
    await writePhoto(join(dir, 'back.png'), 260, 200, 3);
    await writePhoto(join(dir, 'front.png'), 72, 60, 9);
    const trajectory = (x: number, y: number, vx: number, vy: number, angle: number, zoom: number, shake: number) => ({
      start: { x, y },
      velocity: { x: vx, y: vy },
      sway: { amplitudePx: 2.5, periodFrames: 17, phase: 0.7 },
      angularVelocity: angle,
      zoomRate: zoom,
      shake: { amplitudePx: shake, frequency: 0.13, phaseX: 1.1, phaseY: 2.3 },
    });
    const spec: SceneSpec = {
      photo: join(dir, 'back.png'),
      width: 64,
      height: 48,
      frames: 3,
      photoScale: 6, // the 260x200 photo fits inside 384x288: not resized
      camera: trajectory(110, 95, 9.5, -4.2, 0.012, 1.01, 1.3),
      foreground: { photo: join(dir, 'front.png'), sizePx: 24, path: trajectory(20, 30, 11, 3, 0.04, 1, 0) }, // 3 x 24 = 72 px box
    };
    const scene = await loadScene(spec);
    const pairs = await firstValueFrom(exactPairs(scene, spec, { fps: 30, ratio: 64, exposureFrames: 64, gamma: 2.2 }).pipe(toArray()));
    const frames = pairs.map((p) => ({ sharp: Array.from(p.sharp.data as Uint16Array), blurred: Array.from(p.blurred.data as Uint16Array) }));
    writeFileSync(join(dir, 'job.json'), JSON.stringify({ spec, frames }));
    const code = `
import json, sys, math, torch
from promotion.data.gpu_scenes import SpecScene, GAMMA
job = json.load(open(sys.argv[1]))
scene = SpecScene(job['spec'], torch.device('cpu'))
out = []
for k, ref in enumerate(job['frames']):
    sharp, blurred = scene.frame(k)
    for name, img in (('sharp', sharp), ('blurred', blurred)):
        mine = img.clamp(0, 1).pow(1 / GAMMA).permute(1, 2, 0).reshape(-1).double()
        want = torch.tensor(ref[name], dtype=torch.float64) / 65535
        mse = float(((mine - want) ** 2).mean())
        out.append({'frame': k, 'kind': name, 'psnr': 10 * math.log10(1 / max(mse, 1e-20)), 'max': float((mine - want).abs().max())})
json.dump(out, open(sys.argv[2], 'w'))
`;
    const result = runPython(['-c', code, join(dir, 'job.json'), join(dir, 'out.json')], 300_000);
    if (result.status !== 0) throw new Error(`python failed (exit ${result.status}):\n${result.output}`);
    const scores = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as { frame: number; kind: string; psnr: number; max: number }[];
    expect(scores).toHaveLength(6);
    for (const s of scores) {
      expect(s.psnr, `frame ${s.frame} ${s.kind}: ${s.psnr.toFixed(2)} dB, max ${s.max}`).toBeGreaterThan(50);
    }
  }, 320_000);
});
