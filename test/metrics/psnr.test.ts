import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bt601Luma } from '../../src/metrics/pixel-conventions.js';
import { psnr, meanSquaredError } from '../../src/metrics/psnr.js';
import { createRgb16Frame, createRgb8Frame, createRgbFloatFrame, toFloatFrame, toIntegerFrame } from '../../src/stream/frame.js';
import { createRng } from '../../src/util/rng.js';
import { VERSION } from '../../src/version.js';
import { pattern16Frame, patternFrame } from '../helpers.js';

function grey8(width: number, height: number, value: number) {
  return createRgb8Frame(new Uint8Array(width * height * 3).fill(value), { width, height });
}

describe('psnr', () => {
  it('identical frames give Infinity', () => {
    const f = patternFrame(8, 8);
    expect(psnr(f, f)).toBe(Infinity);
  });
  it('a constant offset d on [0, 1] data gives 10 log10(1 / d^2)', () => {
    const a = createRgbFloatFrame(new Float32Array(12).fill(0.25), { width: 2, height: 2 });
    const b = createRgbFloatFrame(new Float32Array(12).fill(0.35), { width: 2, height: 2 });
    expect(psnr(a, b)).toBeCloseTo(10 * Math.log10(1 / 0.01), 4);
  });
  it('uses the peak of the sample type', () => {
    const a8 = createRgb8Frame(new Uint8Array(3).fill(100), { width: 1, height: 1 });
    const b8 = createRgb8Frame(new Uint8Array(3).fill(110), { width: 1, height: 1 });
    expect(psnr(a8, b8)).toBeCloseTo(10 * Math.log10((255 * 255) / 100), 10);
    const a16 = createRgb16Frame(new Uint16Array(3).fill(1000), { width: 1, height: 1 });
    const b16 = createRgb16Frame(new Uint16Array(3).fill(1257), { width: 1, height: 1 });
    expect(psnr(a16, b16)).toBeCloseTo(10 * Math.log10((65535 * 65535) / (257 * 257)), 10);
    expect(meanSquaredError(a8, b8)).toBe(100);
  });
  it('cropBorder ignores the border', () => {
    const a = createRgb8Frame(new Uint8Array(5 * 5 * 3).fill(50), { width: 5, height: 5 });
    const bData = new Uint8Array(5 * 5 * 3).fill(50);
    bData[0] = 200; // a corner pixel differs
    const b = createRgb8Frame(bData, { width: 5, height: 5 });
    expect(psnr(a, b)).toBeLessThan(40);
    expect(psnr(a, b, { cropBorder: 1 })).toBe(Infinity);
    expect(() => psnr(a, b, { cropBorder: 3 })).toThrow('Expected integer between 0 and 2 for cropBorder but received 3 of type number');
  });

  it('refuses frames that do not match', () => {
    expect(() => psnr(patternFrame(4, 4), patternFrame(4, 5))).toThrow('psnr: expected 4x4 but got 4x5');
    expect(() => meanSquaredError(patternFrame(4, 4), patternFrame(4, 5))).toThrow('meanSquaredError: expected 4x4 but got 4x5');
  });

  it("channel 'y' compares BT.601 studio-swing luma: a grey offset d becomes 219 d / 255", () => {
    const dy = (10 * 219) / 255;
    expect(psnr(grey8(3, 2, 100), grey8(3, 2, 110), { channel: 'y' })).toBeCloseTo(10 * Math.log10((255 * 255) / (dy * dy)), 10);
    // As BasicSR: the mean over pixels of (Y_a - Y_b)^2, Y from R, G, B in 0..255.
    const a = patternFrame(9, 7);
    const b = patternFrame(9, 7, 3);
    let sum = 0;
    for (let i = 0; i < a.data.length; i += 3) {
      const ya = bt601Luma(a.data[i]!, a.data[i + 1]!, a.data[i + 2]!, 255);
      const yb = bt601Luma(b.data[i]!, b.data[i + 1]!, b.data[i + 2]!, 255);
      sum += (ya - yb) ** 2;
    }
    expect(meanSquaredError(a, b, { channel: 'y' })).toBeCloseTo(sum / (9 * 7), 9);
    // A colour change that nearly keeps Y (65.481 dR + 24.966 dB = 2.847) barely shows in Y but does in RGB.
    const c = createRgb8Frame(Uint8Array.from([100, 100, 100]), { width: 1, height: 1 });
    const d = createRgb8Frame(Uint8Array.from([105, 100, 87]), { width: 1, height: 1 });
    expect(psnr(c, d, { channel: 'y' })).toBeCloseTo(20 * Math.log10(255 / (2.847 / 255)), 8);
    expect(psnr(c, d)).toBeCloseTo(10 * Math.log10((255 * 255) / ((25 + 169) / 3)), 10);
  });

  it('gives the same value at 8 and 16 bits, RGB and Y, and bitDepth rounds before comparing', () => {
    const a = patternFrame(16, 9);
    const b = patternFrame(16, 9, 2);
    for (const channel of ['rgb', 'y'] as const) {
      expect(psnr(toIntegerFrame(a, 'uint16'), toIntegerFrame(b, 'uint16'), { channel })).toBeCloseTo(psnr(a, b, { channel }), 10);
      expect(psnr(toFloatFrame(a), toFloatFrame(b), { channel })).toBeCloseTo(psnr(a, b, { channel }), 5);
      expect(psnr(toFloatFrame(a), toFloatFrame(b), { channel, bitDepth: 8 })).toBe(psnr(a, b, { channel }));
    }
    // Float frames that differ by less than half an 8-bit step are identical at 8 bits, not at their own depth.
    const rng = createRng(3);
    const base = Float32Array.from({ length: 16 * 9 * 3 }, () => Math.round(rng() * 255) / 255);
    const near = base.map((v) => v + (rng() - 0.5) * 0.9 / 255);
    const fa = createRgbFloatFrame(base, { width: 16, height: 9 });
    const fb = createRgbFloatFrame(near, { width: 16, height: 9 });
    expect(psnr(fa, fb)).toBeLessThan(Infinity);
    expect(psnr(fa, fb, { bitDepth: 8 })).toBe(Infinity);
    // bitDepth lets frames of different sample types be compared.
    expect(psnr(a, pattern16Frame(16, 9), { bitDepth: 16 })).toBeCloseTo(psnr(toIntegerFrame(a, 'uint16'), pattern16Frame(16, 9)), 12);
  });

  it('validates its options when called', () => {
    const f = patternFrame(8, 8);
    expect(() => psnr(f, f, { channel: 'luma' as 'y' })).toThrow(`Expected one of 'rgb', 'y' for channel but received "luma" of type string`);
    expect(() => psnr(f, f, { bitDepth: 10 as 8 })).toThrow('Expected one of 8, 16 for bitDepth but received 10 of type number');
    expect(() => psnr(f, f, { cropBorder: 1.5 })).toThrow('Expected integer between 0 and 3 for cropBorder but received 1.5 of type number');
    expect(() => psnr(f, f, { test_y_channel: true } as object)).toThrow('Unknown option test_y_channel in options; known options: cropBorder, channel, bitDepth');
    expect(() => psnr(f, pattern16Frame(8, 8))).toThrow('psnr: sample types differ (uint8 vs uint16); pass bitDepth: 8 or 16 to compare them at one depth');
  });
});

describe('package', () => {
  it('VERSION matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});
