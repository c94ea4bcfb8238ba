/** The blur gate: still frames, frames sharper than their window and still regions pass through with no network call. */
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { deblur, type DeblurFrameInfo, type DeblurOptions, resolveDeblurOptions } from '../../src/deblur/deblur.js';
import { DEFAULT_GATE_MIN_MOTION_PX, DEFAULT_GATE_SHARP_WEIGHT, gateFrame, resolveBlurGate } from '../../src/deblur/gate.js';
import { InvalidOptionError } from '../../src/errors.js';
import type { MotionMap } from '../../src/flow/motion-map.js';
import type { Frame } from '../../src/stream/frame.js';
import { constant, FakeDeblurModel, movingSquare } from './fake-model.js';

const run = <F extends Frame>(frames: readonly F[], options: DeblurOptions): Promise<F[]> => lastValueFrom(from(frames).pipe(deblur<F>(options), toArray()));
const still = (n: number) => Array.from({ length: n }, (_, k) => ({ ...movingSquare(160, 96, 0), index: k, timestampMs: (k * 1000) / 30 }));

/** A motion map of `width` x `height` whose pixels inside `box` move `px` and the rest not at all. */
function motionMap(width: number, height: number, px: number, box: { x: number; y: number; width: number; height: number }): MotionMap {
  const data = new Float32Array(width * height);
  for (let y = box.y; y < box.y + box.height; y++) for (let x = box.x; x < box.x + box.width; x++) data[y * width + x] = px / Math.max(px, 1);
  return { width, height, data, maxMotionPx: px };
}

describe('blur gate', () => {
  it('lets a still sequence through untouched, with no network call', async () => {
    const frames = still(6);
    const model = new FakeDeblurModel(constant(1));
    const infos: DeblurFrameInfo[] = [];
    const out = await run(frames, { model, gate: true, onFrameInfo: (i) => infos.push(i) });
    expect(model.calls).toHaveLength(0);
    out.forEach((f, k) => expect(f.data).toEqual(frames[k]!.data));
    expect(infos.map((i) => i.gated)).toEqual(Array(6).fill('still'));
    // Without the gate the same frames all go through the network.
    const ungated = new FakeDeblurModel(constant(1));
    await run(frames, { model: ungated });
    expect(ungated.calls.length).toBeGreaterThanOrEqual(6);
  });

  it('restores only around what moves; the still rest of the frame passes through', async () => {
    const frames = Array.from({ length: 6 }, (_, k) => movingSquare(320, 96, k, { speed: 6 }));
    const model = new FakeDeblurModel(constant(1));
    const infos: DeblurFrameInfo[] = [];
    const out = await run(frames, { model, gate: { margin: 8 }, onFrameInfo: (i) => infos.push(i) });
    for (const [k, info] of infos.entries()) {
      expect(info.gated).toBe(false);
      expect(info.networkCalls).toBeGreaterThan(0);
      const area = info.regions.reduce((a, r) => a + r.width * r.height, 0);
      expect(area).toBeLessThan(0.5 * 320 * 96);
      // The far right end never moves: untouched.
      const row = 3 * 320;
      for (let y = 0; y < 96; y++) expect(out[k]!.data.slice(y * row + 3 * 280, (y + 1) * row)).toEqual(frames[k]!.data.slice(y * row + 3 * 280, (y + 1) * row));
    }
  });

  it('decides per frame from the motion map and the blur weight (Eq. 4)', () => {
    const gate = resolveBlurGate({});
    expect(gate).toMatchObject({ minMotionPx: DEFAULT_GATE_MIN_MOTION_PX, sharpWeight: DEFAULT_GATE_SHARP_WEIGHT });
    const box = { x: 40, y: 20, width: 10, height: 10 };
    // Moving less than minMotionPx: still.
    expect(gateFrame(gate, 1.3, motionMap(100, 60, 1.5, box), false)).toEqual({ pass: 'still' });
    // Moving, but much sharper than its window (blur weight 0.4 <= 0.6): let through as sharp.
    expect(gateFrame(gate, 0.4, motionMap(100, 60, 12, box), false)).toEqual({ pass: 'sharp' });
    // Moving and as blurred as its neighbours: restore the moving cells, grown by the margin.
    const d = gateFrame(gate, 1.0, motionMap(100, 60, 12, box), false);
    expect(d.pass).toBe(false);
    if (d.pass === false) {
      expect(d.regions).toHaveLength(1);
      const r = d.regions![0]!;
      expect(r.x <= box.x && r.y <= box.y && r.x + r.width >= box.x + box.width && r.y + r.height >= box.y + box.height).toBe(true);
    }
    // With a ROI mode, the ROI chooses the regions; without a motion map, only the blur weight decides.
    expect(gateFrame(gate, 1.0, motionMap(100, 60, 12, box), true)).toEqual({ pass: false, regions: undefined });
    expect(gateFrame(gate, 1.0, undefined, false)).toEqual({ pass: false, regions: undefined });
    expect(gateFrame(gate, 0.5, undefined, false)).toEqual({ pass: 'sharp' });
  });

  it('is off by default and refuses bad options, naming them', () => {
    const model = new FakeDeblurModel();
    expect(resolveDeblurOptions({ model }).gate).toBeUndefined();
    expect(resolveDeblurOptions({ model, gate: true }).gate).toEqual(resolveBlurGate({}));
    expect(() => resolveDeblurOptions({ model, gate: { minMotionPx: -1 } })).toThrow('Expected number at least 0 and at most 1000 for gate.minMotionPx but received -1 of type number');
    expect(() => resolveDeblurOptions({ model, gate: { cells: 8 } as never })).toThrow(InvalidOptionError);
    expect(() => resolveDeblurOptions({ model, gate: 'on' as never })).toThrow(/gate/);
  });
});
