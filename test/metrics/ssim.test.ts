import { describe, expect, it } from 'vitest';
import { bt601Luma } from '../../src/metrics/pixel-conventions.js';
import { SSIM_GAUSSIAN, SSIM_K1, SSIM_K2, ssim } from '../../src/metrics/ssim.js';
import { createRgb16Frame, createRgb8Frame, createRgbFloatFrame, type Rgb8Frame, toFloatFrame, toIntegerFrame } from '../../src/stream/frame.js';
import { createRng } from '../../src/util/rng.js';
import { pattern16Frame, patternFrame } from '../helpers.js';

function constant8(width: number, height: number, rgb: readonly [number, number, number]): Rgb8Frame {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = rgb[i % 3]!;
  return createRgb8Frame(data, { width, height });
}

function noise8(width: number, height: number, seed: number): Rgb8Frame {
  const rng = createRng(seed);
  return createRgb8Frame(Uint8Array.from({ length: width * height * 3 }, () => Math.floor(rng() * 256)), { width, height });
}

/** SSIM of two constant images: variances and covariance vanish, only the luminance term is left. */
function luminanceTerm(mu1: number, mu2: number, peak: number): number {
  const c1 = (SSIM_K1 * peak) ** 2;
  return (2 * mu1 * mu2 + c1) / (mu1 * mu1 + mu2 * mu2 + c1);
}

describe('ssim', () => {
  it('uses an 11-tap Gaussian window of sigma 1.5 that sums to 1 (OpenCV getGaussianKernel(11, 1.5))', () => {
    expect(SSIM_GAUSSIAN).toHaveLength(11);
    expect(SSIM_GAUSSIAN.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 15);
    expect(SSIM_GAUSSIAN[5]).toBeCloseTo(0.26601172486179436, 15);
    expect(SSIM_GAUSSIAN[0]).toBeCloseTo(0.00102838008447911, 15);
    for (let i = 0; i < 11; i++) expect(SSIM_GAUSSIAN[i]).toBe(SSIM_GAUSSIAN[10 - i]);
    expect([SSIM_K1, SSIM_K2]).toEqual([0.01, 0.03]);
  });

  it('identical frames give exactly 1, whatever the sample type and channel', () => {
    const f8 = patternFrame(40, 30);
    expect(ssim(f8, f8)).toBe(1);
    expect(ssim(f8, f8, { channel: 'y' })).toBe(1);
    expect(ssim(noise8(23, 17, 1), noise8(23, 17, 1))).toBe(1);
    const f16 = pattern16Frame(20, 20);
    expect(ssim(f16, f16)).toBe(1);
    const ff = toFloatFrame(f8);
    expect(ssim(ff, ff, { cropBorder: 3 })).toBe(1);
  });

  it('constant frames give the luminance term (2 mu1 mu2 + C1) / (mu1^2 + mu2^2 + C1), channels averaged', () => {
    const a = constant8(16, 12, [100, 30, 200]);
    const b = constant8(16, 12, [150, 30, 90]);
    const expected = (luminanceTerm(100, 150, 255) + 1 + luminanceTerm(200, 90, 255)) / 3;
    expect(ssim(a, b)).toBeCloseTo(expected, 12);
    // The same at 16 bits (values x 257) and in float ([0, 1]): C1 scales with the peak.
    expect(ssim(toIntegerFrame(a, 'uint16'), toIntegerFrame(b, 'uint16'))).toBeCloseTo(expected, 12);
    const af = createRgbFloatFrame(new Float32Array(16 * 12 * 3).fill(0.25), { width: 16, height: 12 });
    const bf = createRgbFloatFrame(new Float32Array(16 * 12 * 3).fill(0.75), { width: 16, height: 12 });
    expect(ssim(af, bf)).toBeCloseTo(luminanceTerm(0.25, 0.75, 1), 12);
  });

  it('with channel y compares BT.601 studio-swing luma (16 + 65.481 R + 128.553 G + 24.966 B on [0, 1], over 255)', () => {
    const a = constant8(12, 12, [100, 30, 200]);
    const b = constant8(12, 12, [150, 30, 90]);
    const ya = 16 + (65.481 * 100 + 128.553 * 30 + 24.966 * 200) / 255;
    const yb = 16 + (65.481 * 150 + 128.553 * 30 + 24.966 * 90) / 255;
    expect(ssim(a, b, { channel: 'y' })).toBeCloseTo(luminanceTerm(ya, yb, 255), 12);
    // Black and white at the ends of studio swing (16 and 235), at every depth.
    expect(bt601Luma(0, 0, 0, 255)).toBeCloseTo(16, 12);
    expect(bt601Luma(255, 255, 255, 255)).toBeCloseTo(235, 12);
    expect(bt601Luma(255, 0, 0, 255)).toBeCloseTo(16 + 65.481, 12);
    expect(bt601Luma(0, 65535, 0, 65535)).toBeCloseTo((16 + 128.553) * 257, 9);
    expect(bt601Luma(0, 0, 1, 1)).toBeCloseTo((16 + 24.966) / 255, 15);
    // Blue weighs least in Y (24.966 / 255 per step), so a blue change costs less in Y than over RGB.
    const grey = constant8(12, 12, [128, 128, 128]);
    expect(ssim(grey, constant8(12, 12, [128, 128, 140]), { channel: 'y' })).toBeGreaterThan(ssim(grey, constant8(12, 12, [128, 128, 140])));
  });

  it('is symmetric and below 1 for different frames', () => {
    const a = noise8(30, 20, 2);
    const b = noise8(30, 20, 3);
    expect(ssim(a, b)).toBe(ssim(b, a));
    expect(ssim(a, b)).toBeLessThan(0.1);
    expect(ssim(a, b)).toBeGreaterThan(-1);
  });

  it('cropBorder ignores the border, and leaves at least one 11x11 window', () => {
    const a = noise8(21, 21, 4);
    const data = Uint8Array.from(a.data);
    data[0] = data[0]! ^ 0xff; // the top-left pixel differs
    const b = createRgb8Frame(data, { width: 21, height: 21 });
    expect(ssim(a, b)).toBeLessThan(1);
    expect(ssim(a, b, { cropBorder: 1 })).toBe(1);
    expect(ssim(a, b, { cropBorder: 5 })).toBe(1);
    expect(() => ssim(a, b, { cropBorder: 6 })).toThrow('Expected integer between 0 and 5 for cropBorder but received 6 of type number');
    expect(() => ssim(patternFrame(10, 30), patternFrame(10, 30))).toThrow('ssim: needs frames of at least 11x11 pixels but received 10x30');
  });

  it('gives the same value at 8 and 16 bits, and bitDepth converts before comparing', () => {
    const a = noise8(32, 24, 5);
    const b = patternFrame(32, 24);
    const a16 = toIntegerFrame(a, 'uint16');
    const b16 = toIntegerFrame(b, 'uint16');
    for (const channel of ['rgb', 'y'] as const) {
      expect(ssim(a16, b16, { channel })).toBeCloseTo(ssim(a, b, { channel }), 12);
      expect(ssim(toFloatFrame(a), toFloatFrame(b), { channel })).toBeCloseTo(ssim(a, b, { channel }), 6);
      expect(ssim(a16, b16, { channel, bitDepth: 8 })).toBe(ssim(a, b, { channel }));
      expect(ssim(a, b16, { channel, bitDepth: 8 })).toBe(ssim(a, b, { channel }));
    }
    // 16 bits hold detail that rounding to 8 loses.
    const fine = createRgb16Frame(Uint16Array.from(a16.data, (v, i) => Math.min(65535, Math.max(0, v + (i % 7) * 18 - 54))), { width: 32, height: 24 });
    expect(ssim(a16, fine)).toBeLessThan(1);
    expect(ssim(a16, fine, { bitDepth: 8 })).toBe(1);
  });

  it('validates its options when called', () => {
    const f = patternFrame(16, 16);
    expect(() => ssim(f, f, { channel: 'Y' as 'y' })).toThrow(`Expected one of 'rgb', 'y' for channel but received "Y" of type string`);
    expect(() => ssim(f, f, { bitDepth: 12 as 8 })).toThrow('Expected one of 8, 16 for bitDepth but received 12 of type number');
    expect(() => ssim(f, f, { crop_border: 4 } as object)).toThrow('Unknown option crop_border in options; known options: cropBorder, channel, bitDepth');
    expect(() => ssim(f, pattern16Frame(16, 16))).toThrow('ssim: sample types differ (uint8 vs uint16); pass bitDepth: 8 or 16 to compare them at one depth');
    expect(() => ssim(f, patternFrame(16, 17))).toThrow('ssim: expected 16x16 but got 16x17');
    expect(() => ssim(toFloatFrame(f), toFloatFrame(f, { light: 'linear' }))).toThrow('ssim: one frame is gamma-encoded and the other linear light');
  });
});
