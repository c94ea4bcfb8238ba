/**
 * Parity of the PyTorch port of DIS optical flow and the magnitude motion map (training/promotion/flow_torch.py)
 * with the TypeScript runtime (src/flow/dis.ts, src/flow/motion-map.ts, toGrey in src/flow/field.ts), so that
 * training data made on a GPU gets the motion input the runtime computes.
 *
 * Inputs, built here deterministically: views of a smooth noise texture with a sub-pixel shift, a small rotation,
 * a shift with a flat (textureless) region, and a larger pair that has several pyramid levels at finest level 2;
 * flows at finest levels 0 and 2 (the definition's default and promotion-c's model card), motion maps of triples
 * (and of a last frame, backward flow only, and a first, forward flow only) with their flow inputs (contract version
 * 3), and the grey of an 8-bit frame.
 *
 * Criterion. With `exact` (float64 arithmetic rounded to float32 where dis.ts stores Float32Arrays) the port
 * differs from dis.ts only in the order of the sums over a patch, at double precision; measured: every flow and map
 * here bit-identical (max |difference| 0; CUDA on an H200 gave the same bits as the CPU). The bound is kept robust
 * anyway, since a patch whose step lands within rounding of the 1e-2 px stop, or whose final error ties its start,
 * could flip and move its pixels by ~1e-2 px: the 99th percentile of |difference| under 1e-4 px, the mean under
 * 1e-4 px and the maximum under 0.05 px. The float32 mode (exact = false) measured a flow max 7.4e-5 px, mean
 * <= 1.8e-6 px, motion map max 2.3e-3, mean <= 7.1e-6; it is held to p99 < 2e-2 px and mean < 2e-3 px for flows and
 * a mean under 1e-3 for maps. Grey: identical.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { disFlow, type DisOptions } from '../../src/flow/dis.js';
import { type GreyImage, sampleBilinear, toGrey } from '../../src/flow/field.js';
import { flowInput, motionMap } from '../../src/flow/motion-map.js';
import { createRgb8Frame } from '../../src/stream/frame.js';
import { noiseTexture, tempDir } from '../helpers.js';
import { requireTorch, runPython } from './python.js';

const texture = noiseTexture(220, 180, 11);

/** i(x) = texture(R (x - c) + c + origin - shift), R the rotation by `degrees`, c the image centre. */
function view(w: number, h: number, sx: number, sy: number, degrees = 0, flatColumns = 0): GreyImage {
  const data = new Float32Array(w * h);
  const cos = Math.cos((degrees * Math.PI) / 180);
  const sin = Math.sin((degrees * Math.PI) / 180);
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const rx = cos * (x - cx) - sin * (y - cy) + cx;
      const ry = sin * (x - cx) + cos * (y - cy) + cy;
      data[y * w + x] = x < flatColumns ? 120 : sampleBilinear(texture.data, texture.width, texture.height, rx + 60 - sx, ry + 50 - sy);
    }
  }
  return { width: w, height: h, data };
}

interface Pair {
  name: string;
  i0: GreyImage;
  i1: GreyImage;
}

const PAIRS: Pair[] = [
  { name: 'sub-pixel shift 64x48', i0: view(64, 48, 0, 0), i1: view(64, 48, 2.3, -1.7) },
  { name: 'rotation 64x48', i0: view(64, 48, 0, 0), i1: view(64, 48, 0.6, 0.4, 4) },
  { name: 'flat region 64x48', i0: view(64, 48, 0, 0, 0, 24), i1: view(64, 48, -1.4, 0.8, 0, 24) },
  { name: 'shift 128x96', i0: view(128, 96, 0, 0), i1: view(128, 96, 5.6, 3.2, 1.5) },
];
const FLOW_OPTIONS: DisOptions[] = [{}, { finestLevel: 2 }];

interface Stats {
  max: number;
  mean: number;
  p99: number;
}

function stats(a: ArrayLike<number>, b: ArrayLike<number>): Stats {
  expect(b.length).toBe(a.length);
  const d = Float64Array.from({ length: a.length }, (_, i) => Math.abs((a[i] ?? NaN) - (b[i] ?? NaN)));
  if (d.some((v) => !Number.isFinite(v))) return { max: Infinity, mean: Infinity, p99: Infinity };
  const sorted = d.slice().sort();
  return { max: sorted[sorted.length - 1]!, mean: d.reduce((s, v) => s + v, 0) / d.length, p99: sorted[Math.floor(0.99 * (sorted.length - 1))]! };
}

const show = (s: Stats) => `max ${s.max.toExponential(2)}, p99 ${s.p99.toExponential(2)}, mean ${s.mean.toExponential(2)}`;

describe('DIS flow and motion map in PyTorch against the TypeScript runtime', () => {
  it('gives the same flows, motion maps and grey', () => {
    requireTorch('torch');
    type Job = Record<string, unknown>;
    const jobs: Job[] = [];
    const expected: { kind: 'flow' | 'motion' | 'grey'; label: string; exact: boolean; data: Float32Array; maxMotionPx?: number; flow?: Float32Array }[] = [];
    for (const pair of PAIRS) {
      for (const options of FLOW_OPTIONS) {
        const flow = disFlow(pair.i0, pair.i1, options);
        for (const exact of [true, false]) {
          jobs.push({ op: 'flow', width: pair.i0.width, height: pair.i0.height, i0: Array.from(pair.i0.data), i1: Array.from(pair.i1.data), options, exact });
          expected.push({ kind: 'flow', label: `${pair.name}, finestLevel ${options.finestLevel ?? 0}`, exact, data: flow.data });
        }
      }
    }
    const triples = [
      { name: '64x48', prev: view(64, 48, -1.2, 0.7), centre: view(64, 48, 0, 0), next: view(64, 48, 2.1, -0.4, 1) },
      { name: '128x96', prev: view(128, 96, 3.3, 1.1), centre: view(128, 96, 0, 0), next: view(128, 96, -2.7, -4.2) },
    ];
    for (const t of triples) {
      for (const options of FLOW_OPTIONS) {
        const forward = disFlow(t.centre, t.next, options);
        const backward = disFlow(t.centre, t.prev, options);
        const maps = [
          { label: 'both flows', map: motionMap(forward, backward), flow: flowInput(forward, backward), prev: t.prev, next: t.next },
          { label: 'last frame', map: motionMap(undefined, backward), flow: flowInput(undefined, backward), prev: t.prev, next: undefined },
          { label: 'first frame', map: motionMap(forward, undefined), flow: flowInput(forward, undefined), prev: undefined, next: t.next },
        ];
        for (const m of maps) {
          for (const exact of [true, false]) {
            jobs.push({
              op: 'motion',
              width: t.centre.width,
              height: t.centre.height,
              prev: m.prev ? Array.from(m.prev.data) : null,
              centre: Array.from(t.centre.data),
              next: m.next ? Array.from(m.next.data) : null,
              options,
              exact,
            });
            expected.push({ kind: 'motion', label: `${t.name} ${m.label}, finestLevel ${options.finestLevel ?? 0}`, exact, data: m.map.data, maxMotionPx: m.map.maxMotionPx, flow: m.flow.data });
          }
        }
      }
    }
    const rgb = Uint8Array.from({ length: 16 * 8 * 3 }, (_, i) => (i * 97 + ((i * i) % 31)) % 256);
    jobs.push({ op: 'grey', width: 16, height: 8, rgb: Array.from(rgb) });
    expected.push({ kind: 'grey', label: '8-bit frame', exact: true, data: toGrey(createRgb8Frame(rgb, { width: 16, height: 8 })).data });

    const dir = tempDir('flow-parity-');
    const input = join(dir, 'jobs.json');
    const output = join(dir, 'results.json');
    writeFileSync(input, JSON.stringify(jobs));
    const result = runPython(['-m', 'promotion.flow_torch', '--input', input, '--output', output]);
    if (result.status !== 0) throw new Error(`promotion.flow_torch failed (exit ${result.status}):\n${result.output}`);
    const results = JSON.parse(readFileSync(output, 'utf8')) as { flow?: number[]; map?: number[]; maxMotionPx?: number; flowInput?: number[]; grey?: number[] }[];
    expect(results.length).toBe(expected.length);

    const lines: string[] = [];
    // A flow field (or the flow input made of flows) held to the criterion of the module comment.
    const expectFlowBounds = (s: Stats, exact: boolean) => {
      if (exact) {
        expect(s.p99).toBeLessThan(1e-4);
        expect(s.mean).toBeLessThan(1e-4);
        expect(s.max).toBeLessThan(0.05);
      } else {
        expect(s.p99).toBeLessThan(2e-2);
        expect(s.mean).toBeLessThan(2e-3);
      }
    };
    expected.forEach((e, i) => {
      const r = results[i]!;
      const mode = e.exact ? 'exact' : 'float32';
      if (e.kind === 'flow') {
        const s = stats(r.flow!, e.data);
        lines.push(`flow ${e.label} (${mode}): ${show(s)} px`);
        expectFlowBounds(s, e.exact);
      } else if (e.kind === 'motion') {
        const s = stats(r.map!, e.data);
        const peak = Math.abs(r.maxMotionPx! - e.maxMotionPx!);
        lines.push(`motion map ${e.label} (${mode}): ${show(s)}; max motion ${e.maxMotionPx!.toFixed(3)} px, |difference| ${peak.toExponential(2)}`);
        expect(s.mean).toBeLessThan(e.exact ? 1e-4 : 1e-3);
        expect(peak).toBeLessThan(e.exact ? 1e-3 : 5e-2);
        // The flow input (contract version 3) from the same flows: held to the flows' bounds.
        const f = stats(r.flowInput!, e.flow!);
        lines.push(`flow input ${e.label} (${mode}): ${show(f)} px`);
        expectFlowBounds(f, e.exact);
      } else {
        expect(Array.from(r.grey!)).toEqual(Array.from(e.data));
      }
    });
    console.log(lines.join('\n'));
  }, 120_000);
});
