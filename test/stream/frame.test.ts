import { describe, expect, it } from 'vitest';
import { FrameMismatchError } from '../../src/errors.js';
import { createRgb8Frame, createRgbFloatFrame, toFloatFrame, toIntegerFrame } from '../../src/stream/frame.js';
import { pattern16Frame, patternFrame } from '../helpers.js';

describe('Frame', () => {
  it('checks that the data matches the geometry', () => {
    expect(() => createRgb8Frame(new Uint8Array(10), { width: 2, height: 2 })).toThrow(new FrameMismatchError('Frame data holds 10 samples but 2x2 RGB needs 12'));
    expect(() => createRgb8Frame(new Uint8Array(0), { width: 0, height: 2 })).toThrow('Expected positive integer width and height for frame but received 0x2');
    const f = createRgb8Frame(new Uint8Array(12), { width: 2, height: 2, index: 4, timestampMs: 133 });
    expect(f).toMatchObject({ width: 2, height: 2, channels: 3, sampleType: 'uint8', index: 4, timestampMs: 133 });
  });

  it('8 -> 16 -> 8 bits is exact, and 255 maps to 65535', () => {
    const f8 = patternFrame(17, 9, 3);
    const f16 = toIntegerFrame(f8, 'uint16');
    expect(f16.data[0]).toBe(f8.data[0]! * 257);
    expect(toIntegerFrame(createRgb8Frame(new Uint8Array(3).fill(255), { width: 1, height: 1 }), 'uint16').data[0]).toBe(65535);
    expect(Array.from(toIntegerFrame(f16, 'uint8').data)).toEqual(Array.from(f8.data));
    expect(f16.index).toBe(3);
  });

  it('linear light: x -> x^gamma and back is the identity within rounding', () => {
    const f16 = pattern16Frame(8, 8);
    const linear = toFloatFrame(f16, { light: 'linear', gamma: 2.2 });
    expect(linear.light).toBe('linear');
    const i = 5;
    expect(linear.data[i]).toBeCloseTo(Math.pow(f16.data[i]! / 65535, 2.2), 6);
    const back = toIntegerFrame(linear, 'uint16', { gamma: 2.2 });
    let maxErr = 0;
    for (let k = 0; k < back.data.length; k++) maxErr = Math.max(maxErr, Math.abs(back.data[k]! - f16.data[k]!));
    // float32 near 0 loses precision after x^2.2; the error stays within a few 16-bit codes
    expect(maxErr).toBeLessThanOrEqual(4);
    const encoded = toFloatFrame(linear, { light: 'encoded', gamma: 2.2 });
    expect(encoded.data[i]).toBeCloseTo(f16.data[i]! / 65535, 5);
  });

  it('float to integer clamps out-of-range values', () => {
    const f = createRgbFloatFrame(Float32Array.from([-0.5, 0.5, 1.5]), { width: 1, height: 1 });
    expect(Array.from(toIntegerFrame(f, 'uint8').data)).toEqual([0, 128, 255]);
  });
});

describe('gammaEncoder', () => {
  it('matches x^(1/gamma) to a tenth of a 16-bit code, near 0 too', async () => {
    const { gammaEncoder } = await import('../../src/stream/frame.js');
    for (const gamma of [2.2, 1.8, 2.4]) {
      const encode = gammaEncoder(gamma);
      let worst = 0;
      for (let k = 0; k <= 200_000; k++) {
        const x = (k / 200_000) ** 3; // dense near 0, where the curve is steepest
        worst = Math.max(worst, Math.abs(encode(x) - Math.pow(x, 1 / gamma)));
      }
      expect(worst).toBeLessThan(0.1 / 65535);
      expect(encode(0)).toBe(0);
      expect(encode(1)).toBe(1);
      expect(encode(-0.1)).toBe(0);
    }
  });
});
