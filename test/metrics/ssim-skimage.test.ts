/**
 * PSNR and SSIM against scikit-image (Debian's python3-skimage) on generated frames: structural_similarity with
 * gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=peak, channel_axis=-1 (or the luma plane),
 * and peak_signal_noise_ratio. scikit-image filters with reflected borders and then drops the 5-pixel strip they reach,
 * which leaves the same windows as BasicSR's 'valid' filtering, so the numbers agree to rounding (measured: within
 * 2e-14). Missing scikit-image
 * fails the test with the install step.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { psnr } from '../../src/metrics/psnr.js';
import { ssim } from '../../src/metrics/ssim.js';
import { createRgb16Frame, createRgb8Frame, createRgbFloatFrame, type Frame, SAMPLE_MAX } from '../../src/stream/frame.js';
import { createRng } from '../../src/util/rng.js';
import { tempDir } from '../helpers.js';
import { REFERENCE_SCRIPT, requireSkimage, runPython3, SKIMAGE_INSTALL_HINT } from './skimage.js';

/** A smooth scene (gradients and a soft disc) plus seeded noise, in [0, 1]; `shift` moves the scene right. */
function scene(width: number, height: number, seed: number, shift = 0, noise = 0.08): Float64Array {
  const rng = createRng(seed);
  const out = new Float64Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = (x - shift) / width;
      const v = y / height;
      const disc = Math.exp(-(((u - 0.5) ** 2 + (v - 0.5) ** 2) / 0.05));
      const base = [0.2 + 0.5 * u * v + 0.3 * disc, 0.6 - 0.4 * v + 0.2 * Math.sin(9 * u), 0.3 + 0.4 * disc * (1 - u)];
      for (let c = 0; c < 3; c++) {
        const value = base[c]! + noise * (rng() - 0.5);
        out[(y * width + x) * 3 + c] = Math.min(1, Math.max(0, value));
      }
    }
  }
  return out;
}

function frameOf(values: Float64Array, width: number, height: number, type: Frame['sampleType']): Frame {
  if (type === 'float32') return createRgbFloatFrame(Float32Array.from(values), { width, height });
  const max = SAMPLE_MAX[type];
  const scaled = Array.from(values, (v) => Math.round(v * max));
  return type === 'uint8' ? createRgb8Frame(Uint8Array.from(scaled), { width, height }) : createRgb16Frame(Uint16Array.from(scaled), { width, height });
}

interface Case {
  name: string;
  a: Frame;
  b: Frame;
  channel: 'rgb' | 'y';
  cropBorder: number;
}

const cases: Case[] = [
  { name: 'uint8 rgb 64x48', a: frameOf(scene(64, 48, 1), 64, 48, 'uint8'), b: frameOf(scene(64, 48, 2, 1.5), 64, 48, 'uint8'), channel: 'rgb', cropBorder: 0 },
  { name: 'uint8 y 64x48', a: frameOf(scene(64, 48, 1), 64, 48, 'uint8'), b: frameOf(scene(64, 48, 2, 1.5), 64, 48, 'uint8'), channel: 'y', cropBorder: 0 },
  { name: 'uint8 rgb crop 4', a: frameOf(scene(64, 48, 3), 64, 48, 'uint8'), b: frameOf(scene(64, 48, 4, 0.5, 0.3), 64, 48, 'uint8'), channel: 'rgb', cropBorder: 4 },
  { name: 'uint8 y crop 3', a: frameOf(scene(50, 41, 5), 50, 41, 'uint8'), b: frameOf(scene(50, 41, 6, 2), 50, 41, 'uint8'), channel: 'y', cropBorder: 3 },
  { name: 'uint16 rgb 40x37', a: frameOf(scene(40, 37, 7), 40, 37, 'uint16'), b: frameOf(scene(40, 37, 8, 1, 0.2), 40, 37, 'uint16'), channel: 'rgb', cropBorder: 0 },
  { name: 'uint16 y 40x37', a: frameOf(scene(40, 37, 7), 40, 37, 'uint16'), b: frameOf(scene(40, 37, 8, 1, 0.2), 40, 37, 'uint16'), channel: 'y', cropBorder: 0 },
  { name: 'float32 rgb 33x29', a: frameOf(scene(33, 29, 9), 33, 29, 'float32'), b: frameOf(scene(33, 29, 10, 3), 33, 29, 'float32'), channel: 'rgb', cropBorder: 0 },
  { name: 'float32 y 33x29 crop 2', a: frameOf(scene(33, 29, 9), 33, 29, 'float32'), b: frameOf(scene(33, 29, 10, 3), 33, 29, 'float32'), channel: 'y', cropBorder: 2 },
  { name: 'uint8 rgb 11x11 (one window)', a: frameOf(scene(11, 11, 11), 11, 11, 'uint8'), b: frameOf(scene(11, 11, 12, 0, 0.5), 11, 11, 'uint8'), channel: 'rgb', cropBorder: 0 },
  { name: 'uint8 rgb close', a: frameOf(scene(64, 48, 15, 0, 0.02), 64, 48, 'uint8'), b: frameOf(scene(64, 48, 16, 0, 0.02), 64, 48, 'uint8'), channel: 'rgb', cropBorder: 0 },
  // Nearly flat and very different: the luminance term dominates, variances are tiny.
  { name: 'uint8 rgb flat', a: frameOf(scene(24, 24, 13, 0, 0.01).map((v) => 0.1 + 0.05 * v), 24, 24, 'uint8'), b: frameOf(scene(24, 24, 14, 0, 0.01).map((v) => 0.8 + 0.05 * v), 24, 24, 'uint8'), channel: 'rgb', cropBorder: 0 },
];

describe('PSNR and SSIM against scikit-image', () => {
  it('agree on 8-bit, 16-bit and float frames, RGB and Y, with and without a crop', () => {
    requireSkimage();
    const dir = tempDir('promotion-skimage-');
    const spec = cases.map((c, i) => {
      writeFileSync(join(dir, `${i}a.raw`), new Uint8Array(c.a.data.buffer, c.a.data.byteOffset, c.a.data.byteLength));
      writeFileSync(join(dir, `${i}b.raw`), new Uint8Array(c.b.data.buffer, c.b.data.byteOffset, c.b.data.byteLength));
      return { name: c.name, a: `${i}a.raw`, b: `${i}b.raw`, dtype: c.a.sampleType, width: c.a.width, height: c.a.height, channel: c.channel, cropBorder: c.cropBorder, peak: SAMPLE_MAX[c.a.sampleType] };
    });
    writeFileSync(join(dir, 'cases.json'), JSON.stringify(spec));
    const run = runPython3([REFERENCE_SCRIPT, dir]);
    if (run.status !== 0) throw new Error(`The scikit-image reference failed (exit ${run.status}):\n${run.output}`);
    const reference = JSON.parse(run.stdout) as Record<string, { ssim: number; psnr: number }>;
    for (const c of cases) {
      const ref = reference[c.name]!;
      const options = { channel: c.channel, cropBorder: c.cropBorder };
      const ours = { ssim: ssim(c.a, c.b, options), psnr: psnr(c.a, c.b, options) };
      expect(Math.abs(ours.ssim - ref.ssim), `${c.name}: SSIM ${ours.ssim} vs scikit-image ${ref.ssim}`).toBeLessThan(1e-12);
      expect(Math.abs(ours.psnr - ref.psnr), `${c.name}: PSNR ${ours.psnr} vs scikit-image ${ref.psnr}`).toBeLessThan(1e-10);
    }
    // The cases span a useful range (not all near 1).
    const values = cases.map((c) => reference[c.name]!.ssim);
    expect(Math.min(...values)).toBeLessThan(0.5);
    expect(Math.max(...values)).toBeGreaterThan(0.8);
  });

  it('fails with the install step when scikit-image cannot be imported', () => {
    expect(() => requireSkimage('skimage.metrics, promotion_no_such_module')).toThrow(SKIMAGE_INSTALL_HINT);
  });
});
