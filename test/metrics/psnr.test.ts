import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { psnr, meanSquaredError } from '../../src/metrics/psnr.js';
import { createRgb16Frame, createRgb8Frame, createRgbFloatFrame } from '../../src/stream/frame.js';
import { VERSION } from '../../src/version.js';
import { patternFrame } from '../helpers.js';

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
    expect(() => psnr(patternFrame(4, 4), patternFrame(4, 5))).toThrow('meanSquaredError: expected 4x4 but got 4x5');
  });
});

describe('package', () => {
  it('VERSION matches package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
});
