/** Geometry of deblurring: padding to the model's multiple, run spans on the 16-px grid, tiles, feathered weights, boxes. */
import { describe, expect, it } from 'vitest';
import { HandBoxTracker, boxFeather, handBox, motionBoxes } from '../../src/deblur/roi.js';
import { clipBox, featherWeights, mergeBoxes, paddedLength, runSpan, tileSpans } from '../../src/deblur/tiles.js';

describe('padding and run spans', () => {
  it('pads to the next multiple of 16, at least 32', () => {
    expect([1, 16, 17, 32, 33, 250, 256].map((n) => paddedLength(n, 16, 32))).toEqual([32, 32, 32, 32, 48, 256, 256]);
  });

  it('a whole frame runs from 0, padded past its end (edge replication there), as the contract says', () => {
    expect(runSpan(0, 250, 250, 16, 32)).toEqual({ start: 0, end: 256 });
    expect(runSpan(0, 20, 20, 16, 32)).toEqual({ start: 0, end: 32 });
  });

  it('a part of a frame gets real context, starts on the 16-px grid and stays inside the padded frame', () => {
    // 20 px at x = 100 of a 640 px axis: 32 px centred on it, snapped to the grid.
    const s = runSpan(100, 20, 640, 16, 32);
    expect(s.end - s.start).toBe(32);
    expect(s.start % 16).toBe(0);
    expect(s.start).toBeLessThanOrEqual(100);
    expect(s.end).toBeGreaterThanOrEqual(120);
    // Near the end of a 250 px axis (padded frame 256): pushed inside.
    expect(runSpan(240, 10, 250, 16, 32)).toEqual({ start: 224, end: 256 });
    // Near the start: from 0.
    expect(runSpan(3, 10, 250, 16, 32)).toEqual({ start: 0, end: 32 });
    // A span that crosses a grid line is held whole.
    const crossing = runSpan(30, 20, 640, 16, 32);
    expect(crossing.start).toBeLessThanOrEqual(30);
    expect(crossing.end).toBeGreaterThanOrEqual(50);
  });

  it('every run span holds its span, for many positions and sizes', () => {
    for (const frame of [33, 100, 250, 640]) {
      for (let start = 0; start < frame; start += 7) {
        for (const length of [1, 15, 16, 31, 64, 200]) {
          if (start + length > frame) continue;
          const s = runSpan(start, length, frame, 16, 32);
          expect(s.start % 16, `${start}+${length} of ${frame}`).toBe(0);
          expect(s.start).toBeGreaterThanOrEqual(0);
          expect(s.start).toBeLessThanOrEqual(start);
          expect(s.end).toBeGreaterThanOrEqual(start + length);
          expect((s.end - s.start) % 16).toBe(0);
          expect(s.end - s.start).toBeGreaterThanOrEqual(32);
        }
      }
    }
  });
});

describe('tiles', () => {
  it('one tile when the padded span fits', () => {
    expect(tileSpans(0, 500, 500, 512, 32, 16, 32)).toEqual([{ span: { start: 0, end: 500 }, run: { start: 0, end: 512 } }]);
  });

  it('cuts a long span into equal tiles on the grid, at most tileSize, overlapping by at least the overlap, covering it exactly', () => {
    for (const [length, tile, overlap] of [
      [1920, 512, 32],
      [1080, 512, 32],
      [3840, 512, 64],
      [640, 256, 16],
      [150, 64, 16],
      [1000, 128, 32],
    ] as const) {
      const tiles = tileSpans(0, length, length, tile, overlap, 16, 32);
      expect(tiles.length).toBeGreaterThan(1);
      expect(tiles[0]!.span.start).toBe(0);
      expect(tiles.at(-1)!.span.end).toBe(length);
      for (const [i, t] of tiles.entries()) {
        expect(t.run.start % 16).toBe(0);
        expect(t.run.end - t.run.start).toBeLessThanOrEqual(tile);
        expect(t.run.end - t.run.start).toBe(tiles[0]!.run.end - tiles[0]!.run.start); // equal tiles
        expect(t.span.start).toBeGreaterThanOrEqual(t.run.start);
        expect(t.span.end).toBeLessThanOrEqual(t.run.end);
        if (i > 0) expect(tiles[i - 1]!.span.end - t.span.start, `${length}/${tile}/${overlap} tile ${i}`).toBeGreaterThanOrEqual(overlap);
      }
    }
  });

  it('tiles a region inside a frame on the frame grid', () => {
    const tiles = tileSpans(37, 37 + 300, 640, 128, 16, 16, 32);
    expect(tiles[0]!.span.start).toBe(37);
    expect(tiles.at(-1)!.span.end).toBe(337);
    for (const t of tiles) expect(t.run.start % 16).toBe(0);
  });

  it('feathered weights are linear ramps across overlaps and sum to 1 everywhere', () => {
    for (const [length, tile, overlap] of [
      [1920, 512, 32],
      [150, 64, 16],
      [1000, 128, 32],
      [333, 128, 0],
    ] as const) {
      const spans = tileSpans(0, length, length, tile, overlap, 16, 32).map((t) => t.span);
      const weights = featherWeights(spans);
      const sum = new Float64Array(length);
      spans.forEach((s, i) => weights[i]!.forEach((w, p) => (sum[s.start + p] = sum[s.start + p]! + w)));
      for (let p = 0; p < length; p++) expect(sum[p], `${length} at ${p}`).toBeCloseTo(1, 6);
      // The left tile falls and the right one rises across an overlap, linearly.
      if (spans.length > 1 && overlap > 0) {
        const o = spans[0]!.end - spans[1]!.start;
        const w1 = weights[1]!;
        for (let p = 0; p < o; p++) expect(w1[p]).toBeCloseTo((p + 0.5) / o, 6);
        expect(weights[0]![0]).toBe(1);
      }
    }
  });
});

describe('boxes', () => {
  it('clips, merges overlapping or touching boxes and drops empty ones', () => {
    expect(clipBox({ x: -5.5, y: 10.2, width: 20, height: 300 }, 100, 80)).toEqual({ x: 0, y: 10, width: 15, height: 70 });
    expect(
      mergeBoxes([
        { x: 0, y: 0, width: 10, height: 10 },
        { x: 10, y: 5, width: 10, height: 10 },
        { x: 50, y: 50, width: 5, height: 5 },
        { x: 70, y: 70, width: 0, height: 5 },
      ]),
    ).toEqual([
      { x: 0, y: 0, width: 20, height: 15 },
      { x: 50, y: 50, width: 5, height: 5 },
    ]);
  });

  it('motion boxes cover the cells at or above the threshold, grown by the margin', () => {
    const width = 128;
    const height = 96;
    const data = new Float32Array(width * height);
    for (let y = 40; y < 50; y++) for (let x = 70; x < 80; x++) data[y * width + x] = 1;
    data[5] = 0.1; // below the threshold
    const boxes = motionBoxes({ width, height, data }, 0.25, 16, 8);
    expect(boxes).toEqual([{ x: 56, y: 24, width: 32, height: 48 }]); // cells (64..80) x (32..64), grown by 8
    expect(motionBoxes({ width, height, data: new Float32Array(width * height) }, 0.25, 16, 8)).toEqual([]);
  });

  it('the ROI feather ramps only at edges inside the frame', () => {
    const inside = boxFeather(10, 20, 100, 4);
    expect(Array.from(inside.slice(0, 4))).toEqual([0.125, 0.375, 0.625, 0.875]);
    expect(inside[10]).toBe(1);
    expect(Array.from(inside.slice(16))).toEqual([0.875, 0.625, 0.375, 0.125]);
    const atBorder = boxFeather(0, 20, 20, 4);
    expect(Array.from(atBorder)).toEqual(new Array(20).fill(1));
  });

  it('hand boxes: landmarks grown by the margin; a lost hand keeps its box for holdFrames frames, moving with its velocity', () => {
    const hand = (cx: number, cy: number) => ({
      handedness: 'right' as const,
      handednessScore: 0.9,
      landmarksPx: Array.from({ length: 21 }, (_, i) => [cx - 20 + (i % 5) * 10, cy - 20 + Math.floor(i / 5) * 10, 0] as [number, number, number]),
      landmarksNormalized: [],
      worldLandmarksM: [],
    });
    expect(handBox(hand(100, 100).landmarksPx, 0.25)).toEqual({ x: 70, y: 70, width: 60, height: 60 });
    const tracker = new HandBoxTracker(0.25, 2);
    const result = (hands: ReturnType<typeof hand>[]) => ({ index: 0, timestampMs: 0, width: 640, height: 480, hands });
    expect(tracker.update(result([hand(100, 100)]))).toEqual([{ x: 70, y: 70, width: 60, height: 60 }]);
    expect(tracker.update(result([hand(110, 100)]))).toEqual([{ x: 80, y: 70, width: 60, height: 60 }]);
    // Lost: moved by the velocity (10 px/frame) and grown by it on each side.
    expect(tracker.update(result([]))).toEqual([{ x: 80, y: 60, width: 80, height: 80 }]);
    expect(tracker.update(result([]))).toEqual([{ x: 80, y: 50, width: 100, height: 100 }]);
    expect(tracker.update(result([]))).toEqual([]); // held for 2 frames only
  });
});
