/**
 * The reference rows (reference-models.ts): an unsharp mask leaves a flat frame flat and sharpens an edge; Wiener
 * deconvolution with the flow's line kernel restores frames blurred along a known motion (PSNR up), leaves still
 * frames alone; both run through deblur() and loadDeblurModel by name. The FFT against a direct DFT.
 */
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { deblur } from '../../src/deblur/deblur.js';
import { fft } from '../../src/deblur/fft.js';
import { loadDeblurModel } from '../../src/deblur/onnx-session.js';
import { createReferenceModel, lineKernel, tileDisplacement } from '../../src/deblur/reference-models.js';
import { InputNotFoundError } from '../../src/errors.js';
import { psnr } from '../../src/metrics/psnr.js';
import { createRgb8Frame, type Frame } from '../../src/stream/frame.js';
import { crop, movingFrame as movingTextureFrame, smoothTexture } from './moving-texture.js';

/** Frame k of the smooth texture moving `speed` px per frame, blurred over 48 instants. */
const movingFrame = (width: number, height: number, k: number, speed: number, blurred: boolean): Frame => movingTextureFrame(width, height, k, speed, blurred, smoothTexture, 48);

describe('reference:unsharp', () => {
  it('leaves a flat frame flat and steepens an edge', async () => {
    const flat = createRgb8Frame(new Uint8Array(40 * 40 * 3).fill(117), { width: 40, height: 40, index: 0, timestampMs: 0 });
    const [out] = await lastValueFrom(from([flat]).pipe(deblur({ model: 'reference:unsharp', clampRadius: 0 }), toArray()));
    expect(out!.data).toEqual(flat.data);
    const edge = createRgb8Frame(Uint8Array.from({ length: 40 * 40 * 3 }, (_, i) => (Math.floor(i / 3) % 40 < 20 ? 80 : 160)), { width: 40, height: 40, index: 0, timestampMs: 0 });
    const [sharpened] = await lastValueFrom(from([edge]).pipe(deblur({ model: 'reference:unsharp', clampRadius: 0 }), toArray()));
    // Either side of the edge overshoots: darker below it, brighter above it.
    expect(sharpened!.data[(10 * 40 + 19) * 3]).toBeLessThan(80);
    expect(sharpened!.data[(10 * 40 + 20) * 3]).toBeGreaterThan(160);
  });
});

describe('reference:wiener', () => {
  it('finds the motion per tile and restores content blurred along it: PSNR up by more than 5 dB (measured +8.4 and +8.9)', async () => {
    const speed = 9;
    const blurred = [0, 1, 2, 3].map((k) => movingFrame(128, 96, k, speed, true));
    const sharp = [0, 1, 2, 3].map((k) => movingFrame(128, 96, k, speed, false));
    const d = tileDisplacement(wienerWindow(blurred.slice(0, 3)), 128, 96);
    expect(d.u).toBeGreaterThan(speed - 1.5);
    expect(d.u).toBeLessThan(speed + 1.5);
    expect(Math.abs(d.v)).toBeLessThan(1);
    const out = await lastValueFrom(from(blurred).pipe(deblur({ model: 'reference:wiener', clampRadius: 0 }), toArray()));
    for (const k of [1, 2]) {
      const before = psnr(crop(blurred[k]!, 12), crop(sharp[k]!, 12));
      const after = psnr(crop(out[k]!, 12), crop(sharp[k]!, 12));
      expect(after - before, `frame ${k}: ${before.toFixed(2)} -> ${after.toFixed(2)} dB`).toBeGreaterThan(5);
    }
  });

  it('leaves still frames as they are (no motion, no kernel)', async () => {
    const still = [0, 0, 0].map((k, i) => ({ ...movingFrame(64, 48, k, 0, false), index: i }));
    const out = await lastValueFrom(from(still).pipe(deblur({ model: 'reference:wiener', clampRadius: 0 }), toArray()));
    out.forEach((f, i) => expect(f.data).toEqual(still[i]!.data));
  });

  it('a line kernel sums to 1 and lies along its direction', () => {
    const k = lineKernel(8, 1, 0, 32, 32);
    expect(k.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    for (let y = 1; y < 31; y++) for (let x = 0; x < 32; x++) expect(k[y * 32 + x]).toBe(0);
  });
});

describe('loading reference models', () => {
  it('by name, with an identity for reports and caches; an unknown one lists the known', async () => {
    const model = await loadDeblurModel({ model: 'reference:wiener' });
    expect(model.identity).toEqual({ kind: 'reference', name: 'reference:wiener', preset: 'wiener', sha256: undefined, key: { reference: 'wiener', version: 1, params: { exposure: 1, noiseToSignal: 0.01, flow: {} } } });
    expect(model.contract).toMatchObject({ windowSize: 3, centreIndex: 1, usesMotion: false, tileSize: 128 });
    await model.close();
    expect(() => deblur({ model: 'reference:richardson' })).toThrow(InputNotFoundError);
    expect(() => deblur({ model: 'reference:richardson' })).toThrow('Model reference:richardson is no reference model; the reference models are reference:unsharp, reference:wiener.');
    expect(() => createReferenceModel('unsharp', { sigma: 0 })).toThrow('Expected number at least 0.1 and at most 20 for sigma but received 0 of type number');
  });
});

describe('fft', () => {
  it('matches a direct DFT and inverts', () => {
    const n = 16;
    const x = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 1.3) + (i % 3));
    const re = x.slice();
    const im = new Float64Array(n);
    fft(re, im);
    for (let k = 0; k < n; k++) {
      let sr = 0;
      let si = 0;
      for (let t = 0; t < n; t++) {
        sr += x[t]! * Math.cos((-2 * Math.PI * k * t) / n);
        si += x[t]! * Math.sin((-2 * Math.PI * k * t) / n);
      }
      expect(re[k]).toBeCloseTo(sr, 9);
      expect(im[k]).toBeCloseTo(si, 9);
    }
    fft(re, im, true);
    x.forEach((v, i) => expect(re[i]).toBeCloseTo(v, 12));
  });
});

/** Three frames as the [3, 3, h, w] window tensor in [0, 1]. */
function wienerWindow(frames: readonly Frame[]): Float32Array {
  const { width: w, height: h } = frames[0]!;
  const plane = w * h;
  const out = new Float32Array(frames.length * 3 * plane);
  frames.forEach((f, t) => {
    for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[t * 3 * plane + c * plane + i] = f.data[3 * i + c]! / 255;
  });
  return out;
}
