/**
 * Export parity: a tiny randomly initialised PROMOTION network exported by `python3 -m promotion.export` runs in
 * onnxruntime-node and matches PyTorch (max abs difference <= 1e-4) at two frame sizes, and its model card follows
 * the contract (models/README.md). The same weights exported in two parts (`--contract 2`): each part matches
 * PyTorch's, and the two ONNX graphs composed match PyTorch's full model and the one-graph export. The deformable
 * convolutions are exported as native ONNX DeformConv nodes (opset 19) by default and as grid_sample arithmetic
 * (opset 16) with `--deform-conv grid`; both forms match PyTorch. A promotion-c network exported with its prior
 * maps computed by the runtime (`--contract 4`): the runtime's maps (src/deblur/priors.ts) match PyTorch's, and the
 * graph fed them, directly and through loadDeblurModel, matches PyTorch's full network.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDeblurModel } from '../../src/deblur/onnx-session.js';
import { pooledPriorLength, pooledPriorMaps } from '../../src/deblur/priors.js';
import { tempDir } from '../helpers.js';
import { requireTorch, runPython } from './python.js';

interface TensorFile {
  readonly file: string;
  readonly shape: number[];
}
interface ParityCase {
  readonly size: string;
  readonly tensors: Record<'frames' | 'motion' | 'blurWeights' | 'contrastScale' | 'restored', TensorFile> & Partial<Record<'featL1' | 'featL2' | 'featL3' | 'flow' | 'priors', TensorFile>>;
}

const dir = tempDir('promotion-export-');
const parityDir = join(dir, 'parity');
const parity2Dir = join(dir, 'parity2');
const parityGridDir = join(dir, 'parity-grid');
const parityCDir = join(dir, 'parity-c');
const parityC3Dir = join(dir, 'parity-c3');
const parityC4Dir = join(dir, 'parity-c4');
const FEATURES = ['featL1', 'featL2', 'featL3'] as const;

function readTensor(t: TensorFile, folder = parityDir): ort.Tensor {
  const bytes = readFileSync(join(folder, t.file));
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  expect(data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
  return new ort.Tensor('float32', data, t.shape);
}

describe('ONNX export (python3 -m promotion.export)', () => {
  beforeAll(() => {
    requireTorch();
    const args = ['-m', 'promotion.export', '--preset', 'promotion-s', '--random-init', '--seed', '3'];
    args.push('--set', 'num_feat=16', '--set', 'num_extract_block=1', '--set', 'num_reconstruct_block=2');
    const result = runPython([...args, '--name', 'tiny', '--out-dir', dir, '--parity-dir', parityDir, '--parity-sizes', '32x32,48x64']);
    if (result.status !== 0) throw new Error(`export failed (exit ${result.status}):\n${result.output}`);
    const two = runPython([...args, '--contract', '2', '--name', 'tiny2', '--out-dir', dir, '--parity-dir', parity2Dir, '--parity-sizes', '32x32,48x64']);
    if (two.status !== 0) throw new Error(`two-part export failed (exit ${two.status}):\n${two.output}`);
    expect(two.output).toMatch(/two parts composed \(.+\) vs the full model: max abs difference /);
    const grid = runPython([...args, '--deform-conv', 'grid', '--name', 'tiny-grid', '--out-dir', dir, '--parity-dir', parityGridDir, '--parity-sizes', '32x32,48x64']);
    if (grid.status !== 0) throw new Error(`grid export failed (exit ${grid.status}):\n${grid.output}`);
    // The CPU-shaped encoder-decoder (promotion-c): one graph, no deformable convolution.
    const c = runPython(['-m', 'promotion.export', '--preset', 'promotion-c', '--random-init', '--seed', '3', '--set', 'num_feat=8', '--set', 'middle_blocks=1', '--name', 'tiny-c', '--out-dir', dir, '--parity-dir', parityCDir, '--parity-sizes', '32x32,48x64']);
    if (c.status !== 0) throw new Error(`promotion-c export failed (exit ${c.status}):\n${c.output}`);
    // With the directional motion prior: contract version 3, the flow vectors as a fifth input.
    const c3 = runPython(['-m', 'promotion.export', '--preset', 'promotion-c', '--random-init', '--seed', '4', '--set', 'num_feat=8', '--set', 'middle_blocks=1', '--set', 'directional_motion=true', '--name', 'tiny-c3', '--out-dir', dir, '--parity-dir', parityC3Dir, '--parity-sizes', '32x32,48x64']);
    if (c3.status !== 0) throw new Error(`directional promotion-c export failed (exit ${c3.status}):\n${c3.output}`);
    // The prior maps computed by the runtime: contract version 4, for the prior branch at stride 2 only.
    const c4 = runPython(['-m', 'promotion.export', '--preset', 'promotion-c', '--random-init', '--seed', '5', '--set', 'num_feat=8', '--set', 'middle_blocks=1', '--set', 'prior_stride=2', '--contract', '4', '--name', 'tiny-c4', '--out-dir', dir, '--parity-dir', parityC4Dir, '--parity-sizes', '32x32,48x64']);
    if (c4.status !== 0) throw new Error(`contract-4 promotion-c export failed (exit ${c4.status}):\n${c4.output}`);
    const c4s1 = runPython(['-m', 'promotion.export', '--preset', 'promotion-c', '--random-init', '--contract', '4', '--name', 'tiny-c4s1', '--out-dir', dir]);
    expect(c4s1.status).toBe(2);
    expect(c4s1.output).toContain('contract version 4 (the prior maps computed by the runtime, at half resolution) is for a promotion-c network with the prior branch at stride 2');
    const c2 = runPython(['-m', 'promotion.export', '--preset', 'promotion-c', '--random-init', '--contract', '2', '--name', 'tiny-c2', '--out-dir', dir]);
    expect(c2.status).toBe(2);
    expect(c2.output).toContain('error: promotion-c has no per-frame feature stage to export apart: use --contract 1');
  }, 300_000);

  it('writes a model card that follows the contract', () => {
    const card = JSON.parse(readFileSync(join(dir, 'tiny.json'), 'utf8')) as Record<string, unknown>;
    expect(card.contractVersion).toBe(1);
    expect(card.windowSize).toBe(5);
    expect(card.centreIndex).toBe(2);
    expect(card.paddingMultiple).toBe(16);
    expect(card.motionMap).toMatchObject({ kind: 'magnitude' });
    const inputs = card.inputs as { name: string; layout: string }[];
    expect(inputs.map((i) => i.name)).toEqual(['frames', 'motion', 'blurWeights', 'contrastScale']);
    expect((card.outputs as { name: string }[]).map((o) => o.name)).toEqual(['restored']);
    expect(card.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each([
    ['native DeformConv, opset 19', 'tiny', parityDir, 19],
    ['--deform-conv grid, opset 16', 'tiny-grid', parityGridDir, 16],
    ['promotion-c (encoder-decoder), opset 16', 'tiny-c', parityCDir, 16],
  ] as const)('matches PyTorch in onnxruntime-node at two frame sizes (max abs diff <= 1e-4): %s', async (_label, name, folder, opset) => {
    const card = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as { format: { onnx: { opset: number } } };
    expect(card.format.onnx.opset).toBe(opset);
    const graph = readFileSync(join(dir, `${name}.onnx`));
    expect(graph.includes('DeformConv'), 'a DeformConv node in the graph').toBe(opset === 19);
    const session = await ort.InferenceSession.create(join(dir, `${name}.onnx`), { intraOpNumThreads: 1 });
    try {
      expect(session.inputNames).toEqual(['frames', 'motion', 'blurWeights', 'contrastScale']);
      expect(session.outputNames).toEqual(['restored']);
      const { cases } = JSON.parse(readFileSync(join(folder, 'parity.json'), 'utf8')) as { cases: ParityCase[] };
      expect(cases.map((c) => c.size)).toEqual(['32x32', '48x64']);
      for (const c of cases) {
        const feeds = {
          frames: readTensor(c.tensors.frames, folder),
          motion: readTensor(c.tensors.motion, folder),
          blurWeights: readTensor(c.tensors.blurWeights, folder),
          contrastScale: readTensor(c.tensors.contrastScale, folder),
        };
        const out = (await session.run(feeds)).restored!;
        const expected = readTensor(c.tensors.restored, folder);
        expect(out.dims).toEqual(expected.dims);
        const a = out.data as Float32Array;
        const b = expected.data as Float32Array;
        let maxDiff = 0;
        for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
        expect(maxDiff, `size ${c.size}`).toBeLessThanOrEqual(1e-4);
        // The network is not the identity: the restored frame differs from the centre input frame.
        const frames = feeds.frames.data as Float32Array;
        const plane = a.length;
        let moved = 0;
        for (let i = 0; i < plane; i++) moved = Math.max(moved, Math.abs(a[i]! - frames[2 * plane + i]!));
        expect(moved).toBeGreaterThan(1e-3);
      }
    } finally {
      await session.release();
    }
  });

  it('with the directional motion prior (contract version 3): the card lists the flow input, and the graph matches PyTorch (<= 1e-4) and reads the flow', async () => {
    const card = JSON.parse(readFileSync(join(dir, 'tiny-c3.json'), 'utf8')) as { contractVersion: number; inputs: { name: string; shape: string[] }[]; architecture: Record<string, unknown> };
    expect(card.contractVersion).toBe(3);
    expect(card.inputs.map((i) => i.name)).toEqual(['frames', 'motion', 'blurWeights', 'contrastScale', 'flow']);
    expect(card.inputs[4]!.shape).toEqual(['B, 4, H, W']);
    expect(card.architecture.directional_motion).toBe(true);
    const session = await ort.InferenceSession.create(join(dir, 'tiny-c3.onnx'), { intraOpNumThreads: 1 });
    try {
      expect(session.inputNames).toEqual(['frames', 'motion', 'blurWeights', 'contrastScale', 'flow']);
      const parity = JSON.parse(readFileSync(join(parityC3Dir, 'parity.json'), 'utf8')) as { contractVersion: number; cases: ParityCase[] };
      expect(parity.contractVersion).toBe(3);
      for (const c of parity.cases) {
        const feeds: Record<string, ort.Tensor> = {};
        for (const n of ['frames', 'motion', 'blurWeights', 'contrastScale', 'flow'] as const) feeds[n] = readTensor(c.tensors[n]!, parityC3Dir);
        const out = (await session.run(feeds)).restored!.data as Float32Array;
        const expected = readTensor(c.tensors.restored, parityC3Dir).data as Float32Array;
        let maxDiff = 0;
        for (let i = 0; i < out.length; i++) maxDiff = Math.max(maxDiff, Math.abs(out[i]! - expected[i]!));
        expect(maxDiff, `size ${c.size}`).toBeLessThanOrEqual(1e-4);
        // The flow input changes the output (its weights were perturbed from their zero start).
        const flow = feeds.flow!;
        const zero = new ort.Tensor('float32', new Float32Array(flow.data.length), flow.dims);
        const without = (await session.run({ ...feeds, flow: zero })).restored!.data as Float32Array;
        let moved = 0;
        for (let i = 0; i < out.length; i++) moved = Math.max(moved, Math.abs(out[i]! - without[i]!));
        expect(moved).toBeGreaterThan(1e-3);
      }
    } finally {
      await session.release();
    }
  });

  it('with the prior maps computed by the runtime (contract version 4): its maps match PyTorch\'s, and the graph fed them matches PyTorch\'s full network (<= 1e-4), directly and through loadDeblurModel', async () => {
    const card = JSON.parse(readFileSync(join(dir, 'tiny-c4.json'), 'utf8')) as { contractVersion: number; inputs: { name: string; shape: string[] }[] };
    expect(card.contractVersion).toBe(4);
    expect(card.inputs.map((i) => i.name)).toEqual(['frames', 'motion', 'blurWeights', 'priors']);
    expect(card.inputs[3]!.shape).toEqual(['B, 15, H/2, W/2']);
    const parity = JSON.parse(readFileSync(join(parityC4Dir, 'parity.json'), 'utf8')) as { contractVersion: number; cases: ParityCase[] };
    expect(parity.contractVersion).toBe(4);
    const session = await ort.InferenceSession.create(join(dir, 'tiny-c4.onnx'), { intraOpNumThreads: 1 });
    const model = await loadDeblurModel({ model: join(dir, 'tiny-c4.json'), threads: 1 });
    try {
      expect(session.inputNames).toEqual(['frames', 'motion', 'blurWeights', 'priors']);
      for (const c of parity.cases) {
        const t = (n: keyof ParityCase['tensors']) => readTensor(c.tensors[n]!, parityC4Dir);
        const [, win, , h, w] = t('frames').dims as number[];
        const frames = t('frames').data as Float32Array;
        const motion = t('motion').data as Float32Array;
        const contrastScale = t('contrastScale').data as Float32Array;
        const ours = pooledPriorMaps(frames, motion, contrastScale, w!, h!, new Float32Array(pooledPriorLength(win!, w!, h!)));
        const theirs = t('priors').data as Float32Array;
        expect(ours.length).toBe(theirs.length);
        let worst = 0;
        for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - theirs[i]!) / Math.max(1, Math.abs(theirs[i]!)));
        expect(worst, `${c.size} prior maps`).toBeLessThanOrEqual(2e-6);
        const expected = t('restored').data as Float32Array;
        const direct = (await session.run({ frames: t('frames'), motion: t('motion'), blurWeights: t('blurWeights'), priors: new ort.Tensor('float32', ours, [1, 3 * win!, h! / 2, w! / 2]) })).restored!.data as Float32Array;
        const loaded = await model.run({ width: w!, height: h!, frames, motion, blurWeights: t('blurWeights').data as Float32Array, contrastScale });
        for (const [label, out] of [['direct', direct], ['loadDeblurModel', loaded]] as const) {
          let maxDiff = 0;
          for (let i = 0; i < out.length; i++) maxDiff = Math.max(maxDiff, Math.abs(out[i]! - expected[i]!));
          expect(maxDiff, `${c.size} ${label}`).toBeLessThanOrEqual(1e-4);
        }
        // The maps matter: without them (zeros) the output moves.
        const zero = (await session.run({ frames: t('frames'), motion: t('motion'), blurWeights: t('blurWeights'), priors: new ort.Tensor('float32', new Float32Array(ours.length), [1, 3 * win!, h! / 2, w! / 2]) })).restored!.data as Float32Array;
        let moved = 0;
        for (let i = 0; i < zero.length; i++) moved = Math.max(moved, Math.abs(zero[i]! - direct[i]!));
        expect(moved).toBeGreaterThan(1e-4);
      }
    } finally {
      await session.release();
      await model.close();
    }
  });

  it('in two parts (--contract 2): each part matches PyTorch, and the two graphs composed match PyTorch and the one-graph export (<= 1e-4)', async () => {
    const card = JSON.parse(readFileSync(join(dir, 'tiny2.json'), 'utf8')) as Record<string, unknown>;
    expect(card.contractVersion).toBe(2);
    expect(card.features).toMatchObject({ file: 'tiny2.features.onnx' });
    const [features, restore, single] = await Promise.all(
      ['tiny2.features.onnx', 'tiny2.onnx', 'tiny.onnx'].map((f) => ort.InferenceSession.create(join(dir, f), { intraOpNumThreads: 1 })),
    );
    try {
      expect(features!.inputNames).toEqual(['frame']);
      expect(features!.outputNames).toEqual([...FEATURES]);
      expect(restore!.inputNames).toEqual([...FEATURES, 'frames', 'motion', 'blurWeights', 'contrastScale']);
      const parity = JSON.parse(readFileSync(join(parity2Dir, 'parity.json'), 'utf8')) as { contractVersion: number; cases: ParityCase[] };
      expect(parity.contractVersion).toBe(2);
      const diff = (a: ort.Tensor, b: ort.Tensor) => {
        expect(a.data.length).toBe(b.data.length);
        let d = 0;
        for (let i = 0; i < a.data.length; i++) d = Math.max(d, Math.abs((a.data as Float32Array)[i]! - (b.data as Float32Array)[i]!));
        return d;
      };
      for (const c of parity.cases) {
        const t = (n: keyof ParityCase['tensors']) => readTensor(c.tensors[n]!, parity2Dir);
        const frames = t('frames');
        const [, win, ch, h, w] = frames.dims as number[];
        // The feature graph on the window's frames as a batch of single frames.
        const levels = await features!.run({ frame: new ort.Tensor('float32', frames.data as Float32Array, [win!, ch!, h!, w!]) });
        const stacked: Record<string, ort.Tensor> = {};
        for (const n of FEATURES) {
          const expected = t(n);
          const level = levels[n]!;
          expect([1, ...level.dims]).toEqual(expected.dims);
          stacked[n] = new ort.Tensor('float32', level.data as Float32Array, expected.dims);
          expect(diff(stacked[n], expected), `${c.size} ${n}`).toBeLessThanOrEqual(1e-4);
        }
        const window = { frames, motion: t('motion'), blurWeights: t('blurWeights'), contrastScale: t('contrastScale') };
        const fromParity = (await restore!.run({ ...window, featL1: t('featL1'), featL2: t('featL2'), featL3: t('featL3') })).restored!;
        const composed = (await restore!.run({ ...window, ...stacked })).restored!;
        const oneGraph = (await single!.run(window)).restored!;
        expect(diff(fromParity, t('restored')), `${c.size} restore part`).toBeLessThanOrEqual(1e-4);
        expect(diff(composed, t('restored')), `${c.size} composed vs PyTorch`).toBeLessThanOrEqual(1e-4);
        expect(diff(composed, oneGraph), `${c.size} composed vs one graph`).toBeLessThanOrEqual(1e-4);
      }
    } finally {
      await Promise.all([features!.release(), restore!.release(), single!.release()]);
    }
  });
});
