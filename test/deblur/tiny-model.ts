/**
 * A tiny randomly initialised PROMOTION network exported by `python3 -m promotion.export` (nf 16, one extraction and
 * two reconstruction blocks: 0.29M parameters), for tests of the runtime. About 20-40 s; do it once per test file.
 * The same seed gives the same weights in either contract version (one graph, or two parts).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTorch, runPython } from '../training/python.js';

export interface TinyModel {
  readonly onnx: string;
  readonly card: string;
  /** Contract version 2: the feature graph. */
  readonly features?: string;
}

/**
 * Exports the tiny model (of `preset`, default promotion-s) as `<dir>/<name>.onnx` and `<dir>/<name>.json`; with
 * `contract` 2, in two parts (plus `<dir>/<name>.features.onnx`).
 */
export function exportTinyModel(dir: string, name = 'tiny', seed = 3, preset: 'promotion-s' | 'edvr-s' = 'promotion-s', contract: 1 | 2 = 1): TinyModel {
  requireTorch();
  const args = ['-m', 'promotion.export', '--preset', preset, '--random-init', '--seed', String(seed), '--contract', String(contract)];
  args.push('--set', 'num_feat=16', '--set', 'num_extract_block=1', '--set', 'num_reconstruct_block=2');
  args.push('--name', name, '--out-dir', dir, '--threads', '1');
  const result = runPython(args, 300_000);
  if (result.status !== 0) throw new Error(`export of the tiny test model failed (exit ${result.status}):\n${result.output}`);
  return { onnx: join(dir, `${name}.onnx`), card: join(dir, `${name}.json`), ...(contract === 2 ? { features: join(dir, `${name}.features.onnx`) } : {}) };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * Writes a variant of a model as `<dir>/<name>.onnx` + `.json` (+ `<name>.features.onnx` for a two-part model):
 * the ONNX bytes and the card as `edit` returns them (the card's file names follow the new name; its checksums are
 * recomputed unless `keepSha`).
 */
export function writeVariant(
  model: TinyModel,
  dir: string,
  name: string,
  edit: { onnx?: (bytes: Buffer) => Buffer; features?: (bytes: Buffer) => Buffer; card?: (card: Record<string, unknown>) => void; keepSha?: boolean },
): TinyModel {
  const bytes = (edit.onnx ?? ((b) => b))(readFileSync(model.onnx));
  const card = JSON.parse(readFileSync(model.card, 'utf8')) as Record<string, unknown>;
  card.file = `${name}.onnx`;
  if (!edit.keepSha) card.sha256 = sha256(bytes);
  const out: TinyModel = { onnx: join(dir, `${name}.onnx`), card: join(dir, `${name}.json`), ...(model.features ? { features: join(dir, `${name}.features.onnx`) } : {}) };
  if (model.features && out.features) {
    const featureBytes = (edit.features ?? ((b) => b))(readFileSync(model.features));
    const features = card.features as Record<string, unknown>;
    features.file = `${name}.features.onnx`;
    if (!edit.keepSha) features.sha256 = sha256(featureBytes);
    writeFileSync(out.features, featureBytes);
  }
  edit.card?.(card);
  writeFileSync(out.onnx, bytes);
  writeFileSync(out.card, JSON.stringify(card, null, 2));
  return out;
}

/** An ONNX file with graph input `from` renamed `to` (python3-onnx). */
export function renameGraphInput(onnxPath: string, from: string, to: string): Buffer {
  const out = `${onnxPath}.rename-${from}.onnx`;
  const script = [
    'import sys, onnx',
    'src, dst, old, new = sys.argv[1:5]',
    'm = onnx.load(src)',
    'for i in m.graph.input:',
    '    if i.name == old: i.name = new',
    'for n in m.graph.node:',
    '    for k, v in enumerate(n.input):',
    '        if v == old: n.input[k] = new',
    'onnx.save(m, dst)',
  ].join('\n');
  const result = runPython(['-c', script, onnxPath, out, from, to]);
  if (result.status !== 0) throw new Error(`editing the test model failed:\n${result.output}`);
  return readFileSync(out);
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
