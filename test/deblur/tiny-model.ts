/**
 * A tiny randomly initialised PROMOTION network exported by `python3 -m promotion.export` (nf 16, one extraction and
 * two reconstruction blocks: 0.29M parameters), for tests of the runtime. About 20-40 s; do it once per test file.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTorch, runPython } from '../training/python.js';

export interface TinyModel {
  readonly onnx: string;
  readonly card: string;
}

/** Exports the tiny model (of `preset`, default promotion-s) as `<dir>/<name>.onnx` and `<dir>/<name>.json`. */
export function exportTinyModel(dir: string, name = 'tiny', seed = 3, preset: 'promotion-s' | 'edvr-s' = 'promotion-s'): TinyModel {
  requireTorch();
  const args = ['-m', 'promotion.export', '--preset', preset, '--random-init', '--seed', String(seed)];
  args.push('--set', 'num_feat=16', '--set', 'num_extract_block=1', '--set', 'num_reconstruct_block=2');
  args.push('--name', name, '--out-dir', dir, '--threads', '1');
  const result = runPython(args, 300_000);
  if (result.status !== 0) throw new Error(`export of the tiny test model failed (exit ${result.status}):\n${result.output}`);
  return { onnx: join(dir, `${name}.onnx`), card: join(dir, `${name}.json`) };
}

/**
 * Writes a variant of a model as `<dir>/<name>.onnx` + `.json`: the ONNX bytes and the card as `edit` returns them
 * (the card's `file` follows the new name; its `sha256` is recomputed unless `keepSha`).
 */
export function writeVariant(
  model: TinyModel,
  dir: string,
  name: string,
  edit: { onnx?: (bytes: Buffer) => Buffer; card?: (card: Record<string, unknown>) => void; keepSha?: boolean },
): TinyModel {
  const bytes = (edit.onnx ?? ((b) => b))(readFileSync(model.onnx));
  const card = JSON.parse(readFileSync(model.card, 'utf8')) as Record<string, unknown>;
  card.file = `${name}.onnx`;
  if (!edit.keepSha) card.sha256 = createHash('sha256').update(bytes).digest('hex');
  edit.card?.(card);
  const out = { onnx: join(dir, `${name}.onnx`), card: join(dir, `${name}.json`) };
  writeFileSync(out.onnx, bytes);
  writeFileSync(out.card, JSON.stringify(card, null, 2));
  return out;
}

/** Edits the ONNX graph with python3-onnx: 'rename-motion' (input motion -> flow), 'fixed-height' (frames H = 64). */
export function editGraph(model: TinyModel, mode: 'rename-motion' | 'fixed-height'): Buffer {
  const out = `${model.onnx}.${mode}.onnx`;
  const script = [
    'import sys, onnx',
    'src, dst, mode = sys.argv[1:4]',
    'm = onnx.load(src)',
    "if mode == 'rename-motion':",
    "    for i in m.graph.input:",
    "        if i.name == 'motion': i.name = 'flow'",
    '    for n in m.graph.node:',
    '        for k, v in enumerate(n.input):',
    "            if v == 'motion': n.input[k] = 'flow'",
    'else:',
    "    d = [i for i in m.graph.input if i.name == 'frames'][0].type.tensor_type.shape.dim[3]",
    '    d.dim_value = 64',
    'onnx.save(m, dst)',
  ].join('\n');
  const result = runPython(['-c', script, model.onnx, out, mode]);
  if (result.status !== 0) throw new Error(`editing the test model failed:\n${result.output}`);
  return readFileSync(out);
}
