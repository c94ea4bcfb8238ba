/**
 * Export parity: a tiny randomly initialised PROMOTION network exported by `python3 -m promotion.export` runs in
 * onnxruntime-node and matches PyTorch (max abs difference <= 1e-4) at two frame sizes, and its model card follows
 * the contract (models/README.md).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';
import { requireTorch, runPython } from './python.js';

interface TensorFile {
  readonly file: string;
  readonly shape: number[];
}
interface ParityCase {
  readonly size: string;
  readonly tensors: Record<'frames' | 'motion' | 'blurWeights' | 'contrastScale' | 'restored', TensorFile>;
}

const dir = tempDir('promotion-export-');
const parityDir = join(dir, 'parity');

function readTensor(t: TensorFile): ort.Tensor {
  const bytes = readFileSync(join(parityDir, t.file));
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  expect(data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
  return new ort.Tensor('float32', data, t.shape);
}

describe('ONNX export (python3 -m promotion.export)', () => {
  beforeAll(() => {
    requireTorch();
    const args = ['-m', 'promotion.export', '--preset', 'promotion-s', '--random-init', '--seed', '3'];
    args.push('--set', 'num_feat=16', '--set', 'num_extract_block=1', '--set', 'num_reconstruct_block=2');
    args.push('--name', 'tiny', '--out-dir', dir, '--parity-dir', parityDir, '--parity-sizes', '32x32,48x64');
    const result = runPython(args);
    if (result.status !== 0) throw new Error(`export failed (exit ${result.status}):\n${result.output}`);
  }, 180_000);

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

  it('matches PyTorch in onnxruntime-node at two frame sizes (max abs diff <= 1e-4)', async () => {
    const session = await ort.InferenceSession.create(join(dir, 'tiny.onnx'), { intraOpNumThreads: 1 });
    try {
      expect(session.inputNames).toEqual(['frames', 'motion', 'blurWeights', 'contrastScale']);
      expect(session.outputNames).toEqual(['restored']);
      const { cases } = JSON.parse(readFileSync(join(parityDir, 'parity.json'), 'utf8')) as { cases: ParityCase[] };
      expect(cases.map((c) => c.size)).toEqual(['32x32', '48x64']);
      for (const c of cases) {
        const feeds = {
          frames: readTensor(c.tensors.frames),
          motion: readTensor(c.tensors.motion),
          blurWeights: readTensor(c.tensors.blurWeights),
          contrastScale: readTensor(c.tensors.contrastScale),
        };
        const out = (await session.run(feeds)).restored!;
        const expected = readTensor(c.tensors.restored);
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
});
