/**
 * The deconvolution's tests in WebAssembly (src/deblur/assembly/evidence.ts) against their plain definitions: the
 * JavaScript they replaced in session 29, kept here as it was, per pixel in 64-bit floats. The verdicts must be the
 * same to the bit, at sizes that reach the regions' edges, with a region lying inside a larger frame's flow, blurred
 * and sharp content, long, short and zero flows.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  acrossEvidence,
  BLUR_RATIO_HIGH,
  BLUR_RATIO_LOW,
  BLUR_RATIO_SHIFT,
  BLUR_TEST_MIN_PX,
  BLUR_TEST_RADIUS,
  BLUR_TEST_SCALE,
  BLUR_TEST_STRIDE,
  FIT_RATIO_HIGH,
  FIT_RATIO_LOW,
  LAG_ACROSS_CORRELATED,
  LAG_ACROSS_FREE,
  LAG_CORRELATION_BLURRED,
  LAG_CORRELATION_SHARP,
  lagEvidence,
  motionEvidence,
  REGION_BLUR_RATIO_HIGH,
  REGION_BLUR_RATIO_LOW,
  REGION_SURE_RATIO_HIGH,
  REGION_SURE_RATIO_LOW,
  STILL_RATIO_HIGH,
  STILL_RATIO_LOW,
  STILL_TEST_RADIUS,
  stepsFit,
} from '../../src/deblur/deconvolve.js';
import { blurAlongFlow, flowLength, flowLines, KernelArena, type LinearRgb, walkRows } from '../../src/deblur/steps-kernel.js';
import type { Box } from '../../src/deblur/tiles.js';
import { BT601, toGrey } from '../../src/flow/field.js';
import type { FlowInput } from '../../src/flow/motion-map.js';
import { createRgb16Frame, type Frame } from '../../src/stream/frame.js';
import { createRng } from '../../src/util/rng.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const GRID_SHARE = 1 / (BLUR_TEST_STRIDE * BLUR_TEST_STRIDE);

// ---- The plain definitions (src/deblur/deconvolve.ts before session 29). ----

function boxMeanPlain(v: Float64Array, w: number, h: number, r: number): Float64Array {
  const sat = new Float64Array((w + 1) * (h + 1));
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += v[y * w + x]!;
      sat[(y + 1) * (w + 1) + x + 1] = sat[y * (w + 1) + x + 1]! + row;
    }
  }
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - r);
    const y1 = Math.min(h, y + r + 1);
    for (let x = 0; x < w; x++) {
      const x0 = Math.max(0, x - r);
      const x1 = Math.min(w, x + r + 1);
      const sum = sat[y1 * (w + 1) + x1]! - sat[y0 * (w + 1) + x1]! - sat[y1 * (w + 1) + x0]! + sat[y0 * (w + 1) + x0]!;
      out[y * w + x] = sum / ((y1 - y0) * (x1 - x0));
    }
  }
  return out;
}

function bilinearAt(plane: Float32Array, w: number, h: number, x: number, y: number): number {
  x = x < 0 ? 0 : x > w - 1 ? w - 1 : x;
  y = y < 0 ? 0 : y > h - 1 ? h - 1 : y;
  const x0 = x | 0;
  const y0 = y | 0;
  const x1 = x0 < w - 1 ? x0 + 1 : x0;
  const y1 = y0 < h - 1 ? y0 + 1 : y0;
  const ax = x - x0;
  const ay = y - y0;
  return (1 - ay) * ((1 - ax) * plane[y0 * w + x0]! + ax * plane[y0 * w + x1]!) + ay * ((1 - ax) * plane[y1 * w + x0]! + ax * plane[y1 * w + x1]!);
}

function binomial3(rgb: LinearRgb): LinearRgb {
  const { width: w, height: h, data } = rgb;
  const rows = new Float32Array(data.length);
  const out = new Float32Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const l = 3 * (y * w + (x > 0 ? x - 1 : 0));
      const m = 3 * (y * w + x);
      const r = 3 * (y * w + (x < w - 1 ? x + 1 : x));
      for (let c = 0; c < 3; c++) rows[m + c] = 0.25 * data[l + c]! + 0.5 * data[m + c]! + 0.25 * data[r + c]!;
    }
  }
  for (let y = 0; y < h; y++) {
    const up = 3 * w * (y > 0 ? y - 1 : 0);
    const mid = 3 * w * y;
    const down = 3 * w * (y < h - 1 ? y + 1 : y);
    for (let k = 0; k < 3 * w; k++) out[mid + k] = 0.25 * rows[up + k]! + 0.5 * rows[mid + k]! + 0.25 * rows[down + k]!;
  }
  return { width: w, height: h, data: out };
}

function testGrid(w: number, h: number): Uint8Array {
  const grid = new Uint8Array(w * h);
  for (let y = 0; y < h; y += BLUR_TEST_STRIDE) for (let x = 0; x < w; x += BLUR_TEST_STRIDE) grid[y * w + x] = 1;
  return grid;
}

function changeOnGrid(changed: Float32Array, b: Float32Array, grid: Uint8Array): Float64Array {
  const out = new Float64Array(grid.length);
  for (let i = 0; i < grid.length; i++) {
    if (grid[i] === 0) continue;
    out[i] = Math.abs(changed[3 * i]! - b[3 * i]!) + Math.abs(changed[3 * i + 1]! - b[3 * i + 1]!) + Math.abs(changed[3 * i + 2]! - b[3 * i + 2]!);
  }
  return out;
}

/** A walk along `flow` (region-sized) on the grid, through the steps kernel (not under test here). */
function walkOnGrid(src: Float32Array, flow: FlowInput, box: Box, grid: Uint8Array): Float32Array {
  const n = box.width * box.height;
  const arena = KernelArena.take(KernelArena.size(3 * n, 2) + KernelArena.size(n, 4, 2) + KernelArena.size(flow.width * box.height, 4));
  const b = arena.floats(3 * n, src);
  const out = arena.floats(3 * n);
  walkRows({ memory: arena.memory, lines: flowLines(arena, flow, box), active: arena.bytes(n, grid) }, b, out, 1, 0, box.height);
  const copy = out.slice();
  arena.release();
  return copy;
}

function acrossTestPlain(quiet: LinearRgb, flow: FlowInput, box: Box): Float32Array {
  const { width: w, height: h } = quiet;
  const n = w * h;
  const plane = flow.width * flow.height;
  const d = flow.data;
  const scaled = new Float32Array(4 * n);
  const turned = new Float32Array(4 * n);
  const share = new Float32Array(n);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (box.y + y) * flow.width + box.x + x;
      const i = y * w + x;
      const fu = d[s]!;
      const fv = d[plane + s]!;
      const bu = d[2 * plane + s]!;
      const bv = d[3 * plane + s]!;
      const longest = Math.max(flowLength(fu, fv), flowLength(bu, bv));
      const k = longest > 0 ? Math.min(1, Math.max(BLUR_TEST_SCALE, BLUR_TEST_MIN_PX / longest)) : BLUR_TEST_SCALE;
      share[i] = k;
      scaled[i] = k * fu;
      scaled[n + i] = k * fv;
      scaled[2 * n + i] = k * bu;
      scaled[3 * n + i] = k * bv;
      turned[i] = -k * fv;
      turned[n + i] = k * fu;
      turned[2 * n + i] = -k * bv;
      turned[3 * n + i] = k * bu;
    }
  }
  const whole = { x: 0, y: 0, width: w, height: h };
  const grid = testGrid(w, h);
  const along = walkOnGrid(quiet.data, { width: w, height: h, data: scaled }, whole, grid);
  const across = walkOnGrid(quiet.data, { width: w, height: h, data: turned }, whole, grid);
  const dAlong = changeOnGrid(along, quiet.data, grid);
  const dAcross = changeOnGrid(across, quiet.data, grid);
  let sa = 0;
  let sc = 0;
  for (let i = 0; i < n; i++) {
    sa += dAlong[i]!;
    sc += dAcross[i]!;
  }
  const ratio = sc > 0 ? sa / sc : Infinity;
  const region = ratio <= REGION_BLUR_RATIO_LOW ? 1 : ratio >= REGION_BLUR_RATIO_HIGH ? 0 : (REGION_BLUR_RATIO_HIGH - ratio) / (REGION_BLUR_RATIO_HIGH - REGION_BLUR_RATIO_LOW);
  const out = new Float32Array(n);
  if (region === 0) return out;
  const a = boxMeanPlain(dAlong, w, h, BLUR_TEST_RADIUS);
  const c = boxMeanPlain(dAcross, w, h, BLUR_TEST_RADIUS);
  const sure = ratio <= REGION_SURE_RATIO_LOW ? 1 : ratio >= REGION_SURE_RATIO_HIGH ? 0 : (REGION_SURE_RATIO_HIGH - ratio) / (REGION_SURE_RATIO_HIGH - REGION_SURE_RATIO_LOW);
  const shift = (sure * BLUR_RATIO_SHIFT) / (1 - BLUR_TEST_SCALE);
  for (let i = 0; i < n; i++) {
    if (!(c[i]! > 1e-7 * GRID_SHARE)) continue;
    const q = a[i]! / c[i]! - shift * (share[i]! - BLUR_TEST_SCALE);
    out[i] = region * (q <= BLUR_RATIO_LOW ? 1 : q >= BLUR_RATIO_HIGH ? 0 : (BLUR_RATIO_HIGH - q) / (BLUR_RATIO_HIGH - BLUR_RATIO_LOW));
  }
  return out;
}

function lagTestPlain(quiet: LinearRgb, flow: FlowInput, box: Box): Float32Array {
  const { width: w, height: h, data } = quiet;
  const n = w * h;
  const grey = new Float32Array(n);
  const [kr, kg, kb] = BT601;
  for (let i = 0; i < n; i++) grey[i] = kr * data[3 * i]! + kg * data[3 * i + 1]! + kb * data[3 * i + 2]!;
  const at = (x: number, y: number): number => bilinearAt(grey, w, h, x, y);
  const plane = flow.width * flow.height;
  const d = flow.data;
  const [xy, xx, yy, xyAcross, xxAcross, yyAcross] = Array.from({ length: 6 }, () => new Float64Array(n)) as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  for (let y = 0; y < h; y += BLUR_TEST_STRIDE) {
    for (let x = 0; x < w; x += BLUR_TEST_STRIDE) {
      const s = (box.y + y) * flow.width + box.x + x;
      const i = y * w + x;
      for (let p = 0; p < 4; p += 2) {
        const u = d[p * plane + s]!;
        const v = d[(p + 1) * plane + s]!;
        const m = flowLength(u, v);
        if (!(m >= BLUR_TEST_MIN_PX)) continue;
        const hx = (0.5 * u) / m;
        const hy = (0.5 * v) / m;
        let d0 = at(x + hx, y + hy) - at(x - hx, y - hy);
        let d1 = at(x + u + hx, y + v + hy) - at(x + u - hx, y + v - hy);
        xy[i] = xy[i]! + d0 * d1;
        xx[i] = xx[i]! + d0 * d0;
        yy[i] = yy[i]! + d1 * d1;
        d0 = at(x - hy, y + hx) - at(x + hy, y - hx);
        d1 = at(x - v - hy, y + u + hx) - at(x - v + hy, y + u - hx);
        xyAcross[i] = xyAcross[i]! + d0 * d1;
        xxAcross[i] = xxAcross[i]! + d0 * d0;
        yyAcross[i] = yyAcross[i]! + d1 * d1;
      }
    }
  }
  const [a, b, c, aAcross, bAcross, cAcross] = [xy, xx, yy, xyAcross, xxAcross, yyAcross].map((v) => boxMeanPlain(v, w, h, BLUR_TEST_RADIUS)) as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const energy = Math.sqrt(b[i]! * c[i]!);
    if (!(energy > 1e-12 * GRID_SHARE)) continue;
    const r = a[i]! / energy;
    const along = r <= LAG_CORRELATION_BLURRED ? 1 : r >= LAG_CORRELATION_SHARP ? 0 : (LAG_CORRELATION_SHARP - r) / (LAG_CORRELATION_SHARP - LAG_CORRELATION_BLURRED);
    if (along === 0) continue;
    const energyAcross = Math.sqrt(bAcross[i]! * cAcross[i]!);
    const q = energyAcross > 1e-12 * GRID_SHARE ? aAcross[i]! / energyAcross : 0;
    const veto = q >= LAG_ACROSS_FREE ? 0 : q <= LAG_ACROSS_CORRELATED ? 1 : (LAG_ACROSS_FREE - q) / (LAG_ACROSS_FREE - LAG_ACROSS_CORRELATED);
    out[i] = along * (1 - veto);
  }
  return out;
}

function stepsFitPlain(blurred: LinearRgb, result: LinearRgb, flow: FlowInput, box: Box): Float32Array {
  const { width: w, height: h } = blurred;
  const n = w * h;
  const grid = testGrid(w, h);
  const input = changeOnGrid(walkOnGrid(blurred.data, flow, box, grid), blurred.data, grid);
  const steps = changeOnGrid(walkOnGrid(result.data, flow, box, grid), blurred.data, grid);
  const before = boxMeanPlain(input, w, h, BLUR_TEST_RADIUS);
  const after = boxMeanPlain(steps, w, h, BLUR_TEST_RADIUS);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (!(before[i]! > 1e-7 * GRID_SHARE)) {
      out[i] = 1;
      continue;
    }
    const q = after[i]! / before[i]!;
    out[i] = q <= FIT_RATIO_LOW ? 1 : q >= FIT_RATIO_HIGH ? 0 : (FIT_RATIO_HIGH - q) / (FIT_RATIO_HIGH - FIT_RATIO_LOW);
  }
  return out;
}

function motionEvidencePlain(centre: Frame, neighbours: Frame[], flow: FlowInput, box: Box): Float32Array {
  const halves = neighbours.map((frame, k) => ({ frame, plane: 2 * k }));
  const { width: w, height: h } = box;
  const fw = centre.width;
  const fh = centre.height;
  const c = toGrey(centre).data;
  const still = new Float64Array(w * h);
  const along = new Float64Array(w * h);
  const plane = flow.width * flow.height;
  const d = flow.data;
  for (const { frame, plane: p } of halves) {
    const g = toGrey(frame).data;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const fx = box.x + x;
        const fy = box.y + y;
        const s = fy * fw + fx;
        const here = c[s]!;
        still[y * w + x] = still[y * w + x]! + Math.abs(g[s]! - here);
        const v = bilinearAt(g, fw, fh, fx + d[p * plane + s]!, fy + d[(p + 1) * plane + s]!);
        along[y * w + x] = along[y * w + x]! + Math.abs(v - here);
      }
    }
  }
  const a = boxMeanPlain(still, w, h, STILL_TEST_RADIUS);
  const b = boxMeanPlain(along, w, h, STILL_TEST_RADIUS);
  const e = 0.5 * halves.length;
  const out = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const q = (a[i]! + e) / (b[i]! + e);
    out[i] = q >= STILL_RATIO_HIGH ? 1 : q <= STILL_RATIO_LOW ? 0 : (q - STILL_RATIO_LOW) / (STILL_RATIO_HIGH - STILL_RATIO_LOW);
  }
  return out;
}

// ---- Inputs. ----

/**
 * A fw x fh flow input: a pan of (u, v) px per frame with each pixel's vector jittered by up to `jitter` px, F- about
 * its negation; a still band (zero flow) across the middle rows.
 */
function jitteredFlow(fw: number, fh: number, u: number, v: number, jitter: number, seed: number): FlowInput {
  const rng = createRng(seed);
  const n = fw * fh;
  const data = new Float32Array(4 * n);
  for (let i = 0; i < n; i++) {
    const still = Math.abs(Math.floor(i / fw) - fh / 2) < 2;
    const j = () => (still ? 0 : jitter * (2 * rng() - 1));
    data[i] = still ? 0 : u + j();
    data[n + i] = still ? 0 : v + j();
    data[2 * n + i] = still ? 0 : -u + j();
    data[3 * n + i] = still ? 0 : -v + j();
  }
  return { width: fw, height: fh, data };
}

/** Random linear RGB of the region, re-blurred along its flow where `blurred` (so the tests find blur there). */
function content(box: Box, flow: FlowInput, blurred: boolean, seed: number): LinearRgb {
  const rng = createRng(seed);
  // Texture in 4 px cells under as much noise: edges for the across test, broadband content for the lag test.
  const data = new Float32Array(3 * box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    for (let x = 0; x < box.width; x++) {
      const cell = ((x >> 2) * 7 + (y >> 2) * 13) % 5;
      for (let c = 0; c < 3; c++) data[3 * (y * box.width + x) + c] = 0.075 * cell + 0.5 * rng();
    }
  }
  const sharp = { width: box.width, height: box.height, data };
  return blurred ? blurAlongFlow(sharp, flow, box) : sharp;
}

function frame16(rgb: LinearRgb, index: number): Frame {
  return createRgb16Frame(
    Uint16Array.from(rgb.data, (v) => Math.round(Math.min(1, Math.max(0, v)) * 65535)),
    { width: rgb.width, height: rgb.height, index, timestampMs: index * 33 },
  );
}

const cases: Array<[string, number, number, Box, number, number]> = [
  ['a 1x1 region', 6, 5, { x: 2, y: 1, width: 1, height: 1 }, 9, 0],
  ['a 3x2 region at the frame corner', 3, 2, { x: 0, y: 0, width: 3, height: 2 }, 6, 3],
  ['a 17x9 region inside a 30x20 frame', 30, 20, { x: 5, y: 7, width: 17, height: 9 }, 9, 2],
  ['a whole 48x40 frame, a long pan', 48, 40, { x: 0, y: 0, width: 48, height: 40 }, 24, -5],
  ['a 37x29 region of a 64x48 frame', 64, 48, { x: 11, y: 13, width: 37, height: 29 }, 9, 2],
  ['a whole 40x30 frame, a short pan', 40, 30, { x: 0, y: 0, width: 40, height: 30 }, 3, 4],
];

/** Per test, how many verdicts fell strictly between its ramp's ends, over every case. */
const decided = new Map<string, number>();

describe('the deconvolution tests in WebAssembly', () => {
  it('are compiled from their source: the committed module is what scripts/build-wasm.mjs makes of src/deblur/assembly/evidence.ts', () => {
    const built = execFileSync(process.execPath, ['scripts/build-wasm.mjs', '--print', 'evidence'], { cwd: root, encoding: 'utf8' });
    expect(built === readFileSync(`${root}/src/deblur/evidence-wasm.ts`, 'utf8'), 'src/deblur/evidence-wasm.ts is stale: run npm run build:wasm').toBe(true);
  });

  it.each(cases)('give the plain definitions\' verdicts to the bit: %s', (_, fw, fh, box, u, v) => {
    const flow = jitteredFlow(fw, fh, u, v, 1.5, fw * 31 + fh);
    for (const blurred of [true, false]) {
      const b = content(box, flow, blurred, fw + fh);
      const quiet = binomial3(b);
      const checks: Array<[string, Float32Array, Float32Array]> = [
        ['across', acrossEvidence(b, flow, box), acrossTestPlain(quiet, flow, box)],
        ['lag', lagEvidence(b, flow, box), lagTestPlain(quiet, flow, box)],
      ];
      // The fit of a result half way between the sharp content and its re-blur: A(result) - B is half of A(B) - B on
      // blurred content, so the ratio falls between the ramp's ends there.
      const sharp = content(box, flow, false, fw + fh);
      const reblurred = blurAlongFlow(sharp, flow, box);
      const result = { ...b, data: Float32Array.from(sharp.data, (x, i) => 0.5 * (x + reblurred.data[i]!)) };
      checks.push(['fit', stepsFit(b, result, flow, box), stepsFitPlain(b, result, flow, box)]);
      // The stillness test on whole frames: the centre and its neighbours (each shifted by a pixel, so neither is still).
      const whole = { x: 0, y: 0, width: fw, height: fh };
      const frames = [0, 1, 2].map((k) => frame16(content(whole, flow, blurred, fw + fh + k), k));
      checks.push(['still', motionEvidence(frames[1]!, { previous: frames[0], next: frames[2] }, flow, box)!, motionEvidencePlain(frames[1]!, [frames[2]!, frames[0]!], flow, box)]);
      checks.push(['still, one neighbour', motionEvidence(frames[1]!, { next: frames[2] }, flow, box)!, motionEvidencePlain(frames[1]!, [frames[2]!], flow, box)]);
      for (const [name, got, want] of checks) {
        expect(got.length, name).toBe(box.width * box.height);
        const differ = got.findIndex((g, i) => !Object.is(g, want[i]));
        expect(differ, `${name} (${blurred ? 'blurred' : 'sharp'}): pixel ${differ} is ${got[differ]}, the definition says ${want[differ]}`).toBe(-1);
        decided.set(name, (decided.get(name) ?? 0) + got.filter((g) => g > 0 && g < 1).length);
      }
    }
  });

  it('compared more than zeros and ones: every test gave verdicts between its ramp\'s ends in some case', () => {
    expect([...decided.keys()].sort()).toEqual(['across', 'fit', 'lag', 'still', 'still, one neighbour']);
    for (const [name, count] of decided) expect(count, name).toBeGreaterThan(10);
  });
});
