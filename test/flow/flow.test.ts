import { describe, expect, it } from 'vitest';
import { disFlow, disFlowBetween, disPyramid, downsample, upsampleFlow } from '../../src/flow/dis.js';
import { constantFlow, type FlowField, type GreyImage, meanEndPointError, sampleBilinear, toGrey } from '../../src/flow/field.js';
import { motionMap, motionMaps, motionMapToUint16 } from '../../src/flow/motion-map.js';
import { lastValueFrom, from, toArray } from 'rxjs';
import { createRgb8Frame } from '../../src/stream/frame.js';
import { noiseTexture } from '../helpers.js';

const texture = noiseTexture(520, 420);

/** A view of the texture: i(x) = texture(x + origin - shift). So view(0) (x) = view(shift)(x + shift). */
function view(w: number, h: number, sx: number, sy: number, ox = 100, oy = 90): GreyImage {
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[y * w + x] = sampleBilinear(texture.data, texture.width, texture.height, x + ox - sx, y + oy - sy);
  return { width: w, height: h, data };
}

describe('DIS optical flow', () => {
  it.each([
    [3.25, -1.5],
    [17.6, 9.3],
    [-31.2, 22.7],
  ])('recovers a translation of (%f, %f) px to well under a pixel', (sx, sy) => {
    const flow = disFlow(view(256, 192, 0, 0), view(256, 192, sx, sy));
    expect(meanEndPointError(flow, constantFlow(256, 192, sx, sy), { border: 40 })).toBeLessThan(0.25);
  });

  it('finds no motion between identical frames, and none in a flat image', () => {
    const a = view(128, 96, 0, 0);
    expect(meanEndPointError(disFlow(a, a), constantFlow(128, 96, 0, 0))).toBeLessThan(0.01);
    const flat: GreyImage = { width: 64, height: 48, data: new Float32Array(64 * 48).fill(100) };
    expect(meanEndPointError(disFlow(flat, flat), constantFlow(64, 48, 0, 0))).toBe(0);
  });

  it('an object moving over a static background: both motions recovered away from the object boundary', () => {
    const w = 256;
    const h = 192;
    const bg = view(w, h, 0, 0);
    const object = noiseTexture(60, 60, 99);
    const paste = (ox: number, oy: number): GreyImage => {
      const data = Float32Array.from(bg.data);
      for (let y = 0; y < 60; y++) for (let x = 0; x < 60; x++) data[(oy + y) * w + ox + x] = 255 - object.data[y * 60 + x]!;
      return { width: w, height: h, data };
    };
    const flow = disFlow(paste(60, 60), paste(72, 66));
    const inside = new Uint8Array(w * h);
    const outside = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (x >= 70 && x < 110 && y >= 70 && y < 110) inside[y * w + x] = 1;
        if ((x < 40 || x >= 150 || y < 40 || y >= 150) && x > 8 && y > 8 && x < w - 8 && y < h - 8) outside[y * w + x] = 1;
      }
    }
    expect(meanEndPointError(flow, constantFlow(w, h, 12, 6), { mask: inside })).toBeLessThan(0.5);
    expect(meanEndPointError(flow, constantFlow(w, h, 0, 0), { mask: outside })).toBeLessThan(0.2);
  });

  it('downsample halves the size and keeps a constant image constant', () => {
    const img: GreyImage = { width: 9, height: 5, data: new Float32Array(45).fill(42) };
    const half = downsample(img);
    expect([half.width, half.height]).toEqual([5, 3]);
    expect(Array.from(half.data).every((v) => Math.abs(v - 42) < 1e-4)).toBe(true);
  });

  it('between pyramids built once: the same flow to the bit, for the options it was built with only', () => {
    const a = view(160, 120, 0, 0);
    const b = view(160, 120, 7.3, -4.1);
    for (const options of [{}, { finestLevel: 2 }]) {
      const pa = disPyramid(a, options);
      const pb = disPyramid(b, options);
      expect(disFlowBetween(pa, pb).data).toEqual(disFlow(a, b, options).data);
      expect(disFlowBetween(pb, pa).data).toEqual(disFlow(b, a, options).data);
    }
    expect(() => disFlowBetween(disPyramid(a), disPyramid(b, { finestLevel: 1 }))).toThrow('built with different options');
    expect(() => disFlowBetween(disPyramid(a), disPyramid(view(96, 64, 0, 0)))).toThrow('images differ in size (160x120 vs 96x64)');
  });

  it('upsampleFlow is clamped bilinear sampling of each component at x / factor, times factor, to the bit', () => {
    for (const [w, h, factor] of [[13, 9, 2], [20, 15, 4], [7, 1, 4], [1, 6, 2]] as const) {
      const flow: FlowField = { width: w, height: h, data: Float32Array.from({ length: 2 * w * h }, (_, i) => Math.sin(i * 12.9898) * 43.7) };
      const u = flow.data.filter((_, i) => i % 2 === 0);
      const v = flow.data.filter((_, i) => i % 2 === 1);
      const fw = w * factor - (factor - 1);
      const fh = h * factor + 3; // rows past the last coarse row clamp to it
      const got = upsampleFlow(flow, fw, fh, factor);
      const want = new Float32Array(2 * fw * fh);
      for (let y = 0; y < fh; y++) {
        for (let x = 0; x < fw; x++) {
          want[2 * (y * fw + x)] = factor * sampleBilinear(u, w, h, x / factor, y / factor);
          want[2 * (y * fw + x) + 1] = factor * sampleBilinear(v, w, h, x / factor, y / factor);
        }
      }
      expect(got.data, `${w}x${h} x${factor}`).toEqual(want);
    }
  });

  it('validates its options', () => {
    const a = view(64, 48, 0, 0);
    expect(() => disFlow(a, a, { patchSize: 2 })).toThrow('Expected integer between 4 and 32 for patchSize but received 2 of type number');
  });
});

describe('motion map', () => {
  const f = (u: number, v: number): FlowField => constantFlow(4, 3, u, v);

  it('magnitude: mean of forward and backward magnitudes over the frame maximum', () => {
    const m = motionMap(f(3, 4), f(-6, -8)); // |F| = 5 and 10 -> 7.5 everywhere -> normalized 1
    expect(Array.from(m.data)).toEqual(Array(12).fill(1));
    const varying: FlowField = { width: 2, height: 1, data: Float32Array.from([2, 0, 4, 0]) };
    expect(Array.from(motionMap(varying, undefined).data)).toEqual([0.5, 1]);
  });

  it('magnitude: below 1 px of motion the map is divided by 1 px, so near-still frames stay near 0', () => {
    expect(Array.from(motionMap(f(0.3, 0.4), undefined).data).every((v) => Math.abs(v - 0.5) < 1e-6)).toBe(true);
    expect(Array.from(motionMap(f(0, 0), f(0, 0)).data)).toEqual(Array(12).fill(0));
  });

  it('colour: hue from the direction, value from the magnitude, then BT.601 grey', () => {
    // right (+x): red -> 0.299; down (+y): hue 90 deg -> (0.5, 1, 0) -> 0.299 * 0.5 + 0.587
    expect(motionMap(f(2, 0), undefined, 'colour').data[0]).toBeCloseTo(0.299, 6);
    expect(motionMap(f(0, 2), undefined, 'colour').data[0]).toBeCloseTo(0.299 * 0.5 + 0.587, 6);
    // left (-x): hue 180 deg -> cyan (0, 1, 1) -> 0.701
    expect(motionMap(f(-2, 0), undefined, 'colour').data[0]).toBeCloseTo(0.587 + 0.114, 6);
    // at the last frame -F(t->t-1) stands in: backward (-2, 0) means moving right -> red
    expect(motionMap(undefined, f(-2, 0), 'colour').data[0]).toBeCloseTo(0.299, 6);
    expect(motionMap(f(0, 0), undefined, 'colour').data[0]).toBe(0);
  });

  it('stores as 16-bit, clamped', () => {
    expect(Array.from(motionMapToUint16({ width: 3, height: 1, data: Float32Array.from([0, 0.5, 1.2]) }))).toEqual([0, 32768, 65535]);
  });

  it('needs at least one flow', () => {
    expect(() => motionMap(undefined, undefined)).toThrow('motionMap needs at least one of forward and backward flow');
  });
});

describe('motionMaps', () => {
  /** Frames of the texture panning 3 px per frame, as RGB. */
  const frames = Array.from({ length: 5 }, (_, k) => {
    const g = view(96, 64, 3 * k, 0);
    const data = new Uint8Array(96 * 64 * 3);
    for (let i = 0; i < g.data.length; i++) data[3 * i] = data[3 * i + 1] = data[3 * i + 2] = Math.round(g.data[i]!);
    return createRgb8Frame(data, { width: 96, height: 64, index: k });
  });
  const maps = (input: typeof frames, options: Parameters<typeof motionMaps<(typeof frames)[number]>>[0] = {}) =>
    lastValueFrom(from(input).pipe(motionMaps(options), toArray()));

  it('each map is made of the two flows disFlow gives between the frame and its neighbours', async () => {
    const got = await maps(frames, { flow: { finestLevel: 1 } });
    const grey = frames.map((f) => toGrey(f));
    got.forEach((m, k) => {
      const forward = k + 1 < frames.length ? disFlow(grey[k]!, grey[k + 1]!, { finestLevel: 1 }) : undefined;
      const backward = k > 0 ? disFlow(grey[k]!, grey[k - 1]!, { finestLevel: 1 }) : undefined;
      expect(m.motion.data).toEqual(motionMap(forward, backward).data);
    });
  });

  it('`continues` ends a sequence between two frames: each side gets the maps it would get alone', async () => {
    const split = await maps(frames, { continues: (a, b) => b.index !== 2 });
    const alone = [...(await maps(frames.slice(0, 2))), ...(await maps(frames.slice(2)))];
    expect(split.map((m) => m.item.index)).toEqual([0, 1, 2, 3, 4]);
    split.forEach((m, k) => expect(m.motion.data).toEqual(alone[k]!.motion.data));
    const joined = await maps(frames);
    expect(joined[1]!.motion.data).not.toEqual(split[1]!.motion.data);
    // A one-frame sequence has no motion.
    const single = await maps(frames, { continues: (a, b) => b.index !== 4 && b.index !== 3 });
    expect(Math.max(...single[3]!.motion.data)).toBe(0);
    expect(() => motionMaps({ continues: 'no' as never })).toThrow('Expected function for continues but received "no" of type string');
  });
});
