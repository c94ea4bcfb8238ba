/**
 * Several models in one evaluation (report.json schema v3): a reference row, a plain ONNX graph without the
 * project's card and the Wiener row on the same synthesized blur; synthesis and the blurred and sharp poses computed
 * once and shared, each model's frames and poses in their own work folders and reused on a rerun; the report
 * compares them (every pair, paired intervals, common frames) in report.json, the HTML and the terminal.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from '../../src/eval/evaluate.js';
import { validateReport } from '../../src/eval/report-schema.js';
import { InvalidOptionError } from '../../src/errors.js';
import { cli, tempDir } from '../helpers.js';
import { requireTorch, runPython } from '../training/python.js';

const sample = fileURLToPath(new URL('../../datasets/fpha-sample', import.meta.url));
const dir = tempDir('promotion-compare-');
const plain = join(dir, 'offset.onnx');
const selection = { actions: ['hand_wave'], sequences: ['2'] };

beforeAll(() => {
  requireTorch();
  const script = [
    'import sys, torch',
    'class Offset(torch.nn.Module):',
    '    def forward(self, x): return x * 0.98 + 0.01',
    "torch.onnx.export(Offset(), torch.rand(1, 3, 32, 32), sys.argv[1], input_names=['input'], output_names=['output'], dynamic_axes={'input': {0: 'B', 2: 'H', 3: 'W'}, 'output': {0: 'B', 2: 'H', 3: 'W'}}, opset_version=16)",
  ].join('\n');
  const result = runPython(['-c', script, plain]);
  if (result.status !== 0) throw new Error(result.output);
}, 120_000);

describe('evaluate() with several models', () => {
  it('runs each on the same blur, shares synthesis and the blurred and sharp poses, and compares them', async () => {
    const report = join(dir, 'report');
    const notices: string[] = [];
    const models = ['reference:unsharp', plain, 'reference:wiener'];
    const result = await evaluate({ inputs: [sample], report, selection, maxFrames: 5, deblur: { model: models, threads: 1 }, onNotice: (m) => notices.push(m) });
    expect(validateReport(JSON.parse(readFileSync(join(report, 'report.json'), 'utf8')))).toEqual(result);
    expect(result.schemaVersion).toBe(3);
    expect(result.models.map((m) => [m.model.name, m.model.preset])).toEqual([
      ['reference:unsharp', 'unsharp'],
      ['offset', 'plain-nchw'],
      ['reference:wiener', 'wiener'],
    ]);
    expect(result.config.model).toEqual(result.models[0]!.model);
    expect(result.config.model.sha256).toBeNull();
    // Each model's clamp as it ran (none of these cards gives one: the default).
    expect(result.models.map((m) => m.model.clampRadius)).toEqual([3, 3, 3]);
    expect(result.models[1]!.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    // The same blurred frames under every model: the blurred PSNR is the same in each.
    const blurredPsnr = result.models.map((m) => m.summary.psnr.blurred);
    expect(new Set(blurredPsnr).size).toBe(1);
    expect(result.comparison.differences.map((d) => [d.a, d.b])).toEqual([
      ['reference:unsharp', 'offset'],
      ['reference:unsharp', 'reference:wiener'],
      ['offset', 'reference:wiener'],
    ]);
    const d = result.comparison.differences[0]!.metrics.psnr!;
    expect(d.frames).toBe(5);
    expect(d.difference).toBeCloseTo(result.models[1]!.summary.psnr.deblurred! - result.models[0]!.summary.psnr.deblurred!, 9);
    expect(d.interval95[0]).toBeLessThanOrEqual(d.difference);
    expect(d.interval95[1]).toBeGreaterThanOrEqual(d.difference);
    expect(result.comparison.commonFrames.frames).toBeLessThanOrEqual(5);
    expect(result.comparison.commonFrames.metrics.rmse.models).toHaveLength(3);
    // Work folders: one per model after the first; the blurred and sharp poses once.
    const work = `${report}.work`;
    expect(existsSync(join(work, 'deblurred', 'Subject_1', 'hand_wave', '2', 'done.json'))).toBe(true);
    expect(existsSync(join(work, 'deblurred@offset', 'Subject_1', 'hand_wave', '2', 'done.json'))).toBe(true);
    expect(existsSync(join(work, 'deblurred@reference-wiener', 'Subject_1', 'hand_wave', '2', 'done.json'))).toBe(true);
    expect(existsSync(join(work, 'pose', 'Subject_1', 'hand_wave', '2', 'deblurred@reference-wiener.json'))).toBe(true);
    const html = readFileSync(join(report, 'index.html'), 'utf8');
    expect(html).toContain('Models compared on the same blur');
    for (const name of ['reference:unsharp', 'offset', 'reference:wiener']) expect(html).toContain(name);

    // A rerun reuses every model's frames.
    notices.length = 0;
    const again = await evaluate({ inputs: [sample], report, overwrite: true, selection, maxFrames: 5, deblur: { model: models, threads: 1 }, onNotice: (m) => notices.push(m) });
    expect(notices.filter((n) => n.startsWith('deblur Subject_1/hand_wave/2: already complete'))).toHaveLength(3);
    expect(again.models.map((m) => m.summary)).toEqual(result.models.map((m) => m.summary));
  }, 600_000);

  it('refuses a model given twice, before any work', async () => {
    await expect(evaluate({ inputs: [sample], report: join(dir, 'twice'), deblur: { model: ['reference:unsharp', 'reference:unsharp'] } })).rejects.toThrow(
      new InvalidOptionError('Expected a model not listed before for deblur.model[1] but received "reference:unsharp" of type string'),
    );
    expect(existsSync(join(dir, 'twice'))).toBe(false);
  });

  it('promotion eval --model a --model b prints the comparison', async () => {
    const r = await cli(['eval', sample, '--report', join(dir, 'cli'), '--work', `${join(dir, 'report')}.work`, '--actions', 'hand_wave', '--sequences', '2', '--max-frames', '5', '--model', 'reference:unsharp', '--model', 'reference:wiener', '--no-progress']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('Models compared on the same blur: reference:unsharp, reference:wiener');
    expect(r.out).toMatch(/reference:wiener - reference:unsharp/);
    expect(r.out).toMatch(/Joint errors over the \d+ frames where the hand is found in blurred, by every model and in sharp:/);
  }, 600_000);
});
