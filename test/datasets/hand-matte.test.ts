/** The skin matte of the FPHA sample builder (datasets/hand-matte.ts) on generated images with known coverage. */
import { describe, expect, it } from 'vitest';
import { handMatte } from '../../datasets/hand-matte.js';
import { createRgb8Frame, toFloatFrame } from '../../src/stream/frame.js';

const WALL = [200, 190, 180] as const; // skin score 0.1
const SKIN = [200, 140, 110] as const; // skin score 0.45

/** A 40x40 wall with a skin disc of radius 12 at (20, 20); `hole` leaves a 2x2 wall patch at its centre. */
function disc(hole = false, speck = false) {
  const width = 40;
  const height = 40;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inDisc = Math.hypot(x + 0.5 - 20, y + 0.5 - 20) <= 12;
      const inHole = hole && x >= 19 && x <= 20 && y >= 19 && y <= 20;
      const inSpeck = speck && x === 3 && y === 3;
      const c = (inDisc && !inHole) || inSpeck ? SKIN : WALL;
      data.set(c, 3 * (y * width + x));
    }
  }
  const frame = createRgb8Frame(data, { width, height });
  const linear = toFloatFrame(frame, { light: 'linear', gamma: 2.2 });
  return { frame, linear: { width, height, data: linear.data } };
}

const options = { skinLow: 0.25, skinHigh: 0.35 };

describe('hand matte', () => {
  it('is opaque inside the hand, transparent away from it, and keeps only the largest region', () => {
    const { frame, linear } = disc(false, true);
    const m = handMatte(frame, linear, options);
    expect(m.alpha[20 * 40 + 20]).toBe(1);
    expect(m.alpha[20 * 40 + 1]).toBe(0);
    expect(m.alpha[3 * 40 + 3]).toBe(0); // the lone skin speck is not the hand
    // Inside, the premultiplied colour is the skin colour in linear light.
    expect(m.premultiplied[3 * (20 * 40 + 20)]).toBeCloseTo(Math.pow(SKIN[0] / 255, 2.2), 6);
    // The outline is feathered: partial coverage only right at the edge.
    const row = Array.from({ length: 40 }, (_, x) => m.alpha[20 * 40 + x]!);
    const partial = row.filter((a) => a > 0 && a < 1).length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThanOrEqual(6);
  });

  it('fills small enclosed holes (a crease scored like the wall)', () => {
    const { frame, linear } = disc(true);
    // The 2x2 hole is 0.25% of the image.
    expect(handMatte(frame, linear, { ...options, maxHoleFraction: 0.003 }).alpha[19 * 40 + 19]).toBe(1);
    // Not filled: only the feather (7/16 of its 3x3 neighbourhood is skin) covers it.
    expect(handMatte(frame, linear, { ...options, maxHoleFraction: 0.002 }).alpha[19 * 40 + 19]).toBe(7 / 16);
  });

  it('takes the wall colour out of the outline (C = a F + (1 - a) B), so no pale fringe is composited', () => {
    const { frame, linear } = disc();
    const m = handMatte(frame, linear, options);
    const wall = Math.pow(WALL[0] / 255, 2.2);
    for (let i = 0; i < 40 * 40; i++) {
      const a = m.alpha[i]!;
      if (a === 0 || a === 1) continue;
      // Whatever the coverage, the premultiplied colour plus the wall's share gives back the photo's pixel.
      const photo = linear.data[3 * i]!;
      expect(m.premultiplied[3 * i]! + (1 - a) * wall).toBeCloseTo(Math.min(photo, photo), 1);
      expect(m.premultiplied[3 * i]!).toBeLessThanOrEqual(a);
    }
  });

  it('fades out at photo edges that are not cut edges', () => {
    const width = 20;
    const height = 20;
    const data = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) data.set(i % width < 10 ? SKIN : WALL, 3 * i);
    const frame = createRgb8Frame(data, { width, height });
    const linear = { width, height, data: toFloatFrame(frame, { light: 'linear' }).data };
    const faded = handMatte(frame, linear, options);
    const kept = handMatte(frame, linear, { ...options, cutEdges: ['left', 'top', 'bottom'] });
    expect(faded.alpha[10 * width]!).toBeLessThan(0.5);
    expect(kept.alpha[10 * width]!).toBe(1);
  });
});
