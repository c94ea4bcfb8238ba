/**
 * The Table-5 evaluation end to end on a short slice of the embedded FPHA sample (a real hand, skeleton ground
 * truth) with a tiny randomly initialised model: the report follows the schema, the hand is detected, errors are
 * finite, the gains are signed as the schema says, a rerun resumes from the work folder, and plain image folders
 * get pseudo ground truth.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from '../../src/eval/evaluate.js';
import { VERSION } from '../../src/version.js';
import { pickPanels } from '../../src/eval/panels.js';
import { validateReport, type FrameRecord } from '../../src/eval/report-schema.js';
import { cli, tempDir } from '../helpers.js';
import { exportTinyModel, type TinyModel } from '../deblur/tiny-model.js';

const sample = fileURLToPath(new URL('../../datasets/fpha-sample', import.meta.url));
const dir = tempDir('promotion-eval-');
let model: TinyModel;

describe('promotion eval', () => {
  beforeAll(() => {
    model = exportTinyModel(dir, 'tiny-eval');
  }, 300_000);

  it('runs the experiment on an FPHA sequence and writes a valid report with the hand found', async () => {
    const report = join(dir, 'fpha-report');
    const notices: string[] = [];
    const result = await evaluate({ inputs: [sample], report, selection: { actions: ['hand_wave'], sequences: ['2'] }, maxFrames: 5, deblur: { model: model.onnx, threads: 1 }, onNotice: (m) => notices.push(m) });
    expect(validateReport(JSON.parse(readFileSync(join(report, 'report.json'), 'utf8')))).toEqual(result);
    expect(result.config.groundTruth).toBe('fpha-skeleton');
    expect(result.sequences.map((s) => [s.id, s.frames])).toEqual([['Subject_1/hand_wave/2', 5]]);
    const s = result.summary;
    expect(s.detectionRate.sharp).toBeGreaterThan(0);
    expect(s.detectionRate.blurred).toBeGreaterThan(0);
    for (const name of ['rmse', 'abse', 'epe'] as const) {
      for (const v of [s[name].blurred, s[name].deblurred, s[name].sharp]) expect(Number.isFinite(v)).toBe(true);
      expect(s[name].gain).toBeCloseTo(s[name].blurred! - s[name].deblurred!, 12);
    }
    expect(s.psnr.gain).toBeCloseTo(s.psnr.deblurred! - s.psnr.blurred!, 12);
    expect(s.psnr.sharp).toBeNull();
    // Synthesized blur is real blur: the blurred frames are well below the cap.
    expect(s.psnr.blurred).toBeGreaterThan(15);
    expect(s.psnr.blurred).toBeLessThan(45);
    // Skeleton ground truth sits on the hand MediaPipe finds in the sharp frames (a few px, not tens).
    expect(s.rmse.sharp).toBeLessThan(15);
    expect(result.panels.length).toBeGreaterThan(0);
    for (const p of result.panels) for (const v of ['blurred', 'deblurred', 'sharp'] as const) expect(existsSync(join(report, p[v]))).toBe(true);
    const html = readFileSync(join(report, 'index.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('RMSE');

    // A rerun resumes: every stage is reused, and the numbers are the same.
    const again = await evaluate({ inputs: [sample], report, overwrite: true, selection: { actions: ['hand_wave'], sequences: ['2'] }, maxFrames: 5, deblur: { model: model.onnx, threads: 1 }, onNotice: (m) => notices.push(m) });
    expect(notices.some((n) => n.startsWith('synthesis Subject_1/hand_wave/2: already complete'))).toBe(true);
    expect(notices.some((n) => n.startsWith('deblur Subject_1/hand_wave/2: already complete'))).toBe(true);
    expect(again.summary).toEqual(result.summary);
    // Deblurred frames made again with the same key (their folder deleted; or another build of the runtime): their
    // poses are estimated again, not read back from before.
    const work = `${report}.work`;
    const poseOf = () => JSON.parse(readFileSync(join(work, 'pose', 'Subject_1', 'hand_wave', '2', 'deblurred.json'), 'utf8')) as { key: { source: { made: string } } };
    const madeBefore = poseOf().key.source.made;
    expect(madeBefore).toMatch(/^\d{4}-\d\d-\d\dT/);
    rmSync(join(work, 'deblurred', 'Subject_1', 'hand_wave', '2'), { recursive: true });
    notices.length = 0;
    const remade = await evaluate({ inputs: [sample], report, overwrite: true, selection: { actions: ['hand_wave'], sequences: ['2'] }, maxFrames: 5, deblur: { model: model.onnx, threads: 1 }, onNotice: (m) => notices.push(m) });
    expect(notices.some((n) => n.startsWith('deblur Subject_1/hand_wave/2'))).toBe(false);
    const made = JSON.parse(readFileSync(join(work, 'deblurred', 'Subject_1', 'hand_wave', '2', 'done.json'), 'utf8')) as { createdAt: string };
    expect(poseOf().key.source.made).toBe(made.createdAt);
    expect(made.createdAt).not.toBe(madeBefore);
    expect(remade.summary).toEqual(result.summary);
    // Frames another release made (the tool's version in their key) are not reused: deblur() may have changed.
    const donePath = join(work, 'deblurred', 'Subject_1', 'hand_wave', '2', 'done.json');
    const done = JSON.parse(readFileSync(donePath, 'utf8')) as { key: Record<string, unknown> };
    expect(done.key.tool).toBe(VERSION);
    writeFileSync(donePath, JSON.stringify({ ...done, key: { ...done.key, tool: '0.0.0-older' } }));
    notices.length = 0;
    await evaluate({ inputs: [sample], report, overwrite: true, selection: { actions: ['hand_wave'], sequences: ['2'] }, maxFrames: 5, deblur: { model: model.onnx, threads: 1 }, onNotice: (m) => notices.push(m) });
    expect(notices).toContain('deblur Subject_1/hand_wave/2: the stored frames were made with other settings or inputs; deblurring again');
    // Other deblurring settings: the stored deblurred frames (and their poses) are not reused.
    notices.length = 0;
    const retiled = await evaluate({ inputs: [sample], report, overwrite: true, selection: { actions: ['hand_wave'], sequences: ['2'] }, maxFrames: 5, deblur: { model: model.onnx, threads: 1, tileSize: 128 }, onNotice: (m) => notices.push(m) });
    expect(notices).toContain('deblur Subject_1/hand_wave/2: the stored frames were made with other settings or inputs; deblurring again');
    expect(retiled.config.deblur).toMatchObject({ tileSize: 128, roi: 'off', executionProvider: 'cpu' });
    // Another frame count: synthesis is redone, not reused.
    notices.length = 0;
    const longer = await evaluate({ inputs: [sample], report, overwrite: true, selection: { actions: ['hand_wave'], sequences: ['2'] }, maxFrames: 6, deblur: { model: model.onnx, threads: 1 }, onNotice: (m) => notices.push(m) });
    expect(notices).toContain('synthesis Subject_1/hand_wave/2: synthesized again: it was made with other options (maxFrames 5 then, 6 now)');
    expect(longer.sequences[0]!.frames).toBe(6);
    // The same weights with another motion input on the card: deblurred again, not reused.
    notices.length = 0;
    const card = JSON.parse(readFileSync(model.card, 'utf8')) as { motionMap: Record<string, unknown> };
    writeFileSync(model.card, JSON.stringify({ ...card, motionMap: { ...card.motionMap, flow: { finestLevel: 1 } } }));
    try {
      await evaluate({ inputs: [sample], report, overwrite: true, selection: { actions: ['hand_wave'], sequences: ['2'] }, maxFrames: 6, deblur: { model: model.onnx, threads: 1 }, onNotice: (m) => notices.push(m) });
      expect(notices).toContain('deblur Subject_1/hand_wave/2: the stored frames were made with other settings or inputs; deblurring again');
    } finally {
      writeFileSync(model.card, JSON.stringify(card));
    }
  }, 300_000);

  it('labels plain image folders as pseudo ground truth (the sharp row measures nothing)', async () => {
    const folder = join(dir, 'plain-hand');
    mkdirSync(folder, { recursive: true });
    const colour = join(sample, 'Video_files', 'Subject_1', 'hand_wave', '1', 'color');
    for (const f of readdirSync(colour).sort().slice(0, 4)) copyFileSync(join(colour, f), join(folder, f));
    const r = await cli(['eval', folder, '--report', join(dir, 'plain-report'), '--model', model.onnx, '--threads', '1', '--json', '--no-progress']);
    expect(r.code, r.err).toBe(0);
    const out = JSON.parse(r.out) as { groundTruth: string; summary: Record<string, { sharp: number | null; blurred: number | null }> };
    expect(out.groundTruth).toBe('pseudo');
    expect(out.summary.rmse!.sharp).toBeNull();
    expect(out.summary.detectionRate!.sharp).toBeNull();
    expect(out.summary.detectionRate!.blurred).toBeGreaterThan(0);
    const html = readFileSync(join(dir, 'plain-report', 'index.html'), 'utf8');
    expect(html.toLowerCase()).toContain('pseudo');
    // An input frame changed: every stage is made again, none reused.
    const frames = readdirSync(folder).sort();
    copyFileSync(join(folder, frames[0]!), join(folder, frames[1]!));
    const again = await cli(['eval', folder, '--report', join(dir, 'plain-report'), '--overwrite', '--model', model.onnx, '--threads', '1', '--json', '--no-progress']);
    expect(again.code, again.err).toBe(0);
    expect(again.err).toMatch(/^synthesis plain-hand: synthesized again: its input changed \(4 files, \d+ bytes then; 4 files, \d+ bytes now\)$/m);
    expect(again.err).not.toContain('already complete');
  }, 300_000);

  it('fails before any work on a missing model, a taken report folder or mixed ground truths', async () => {
    const missing = await cli(['eval', sample, '--report', join(dir, 'never'), '--model', join(dir, 'nope.onnx')]);
    expect(missing.code).toBe(3);
    expect(missing.err).toContain('nope');
    expect(existsSync(join(dir, 'never.work'))).toBe(false);
    const taken = await cli(['eval', sample, '--report', join(dir, 'fpha-report'), '--model', model.onnx]);
    expect(taken.code).toBe(5);
    const mixed = await cli(['eval', sample, join(dir, 'plain-hand'), '--report', join(dir, 'mixed'), '--model', model.onnx]);
    expect(mixed.code).toBe(2);
    expect(mixed.err).toContain('mix FPHA sequences');
    const badPck = await cli(['eval', sample, '--report', join(dir, 'x'), '--pck', '0.1,abc']);
    expect(badPck.code).toBe(2);
    expect(badPck.err).toContain('--pck');
  });

  it('picks panel frames: the largest pose gain first, then spread', () => {
    const frame = (index: number, b: number | null, d: number | null): FrameRecord => ({
      index,
      psnr: { blurred: 30, deblurred: 31 },
      ssim: { blurred: 0.9, deblurred: 0.91 },
      joints: { blurred: { found: b !== null, rmse: b, abse: b, epe: b }, deblurred: { found: d !== null, rmse: d, abse: d, epe: d }, sharp: { found: true, rmse: 1, abse: 1, epe: 1 } },
    });
    const frames = [frame(0, 5, 4), frame(1, 9, 2), frame(2, null, 3), frame(3, 4, 4), frame(4, 6, 6)];
    expect(pickPanels(frames, 1)).toEqual([1]);
    expect(pickPanels(frames, 2)).toHaveLength(2);
    expect(pickPanels(frames, 2)).toContain(1);
    expect(pickPanels(frames, 0)).toEqual([]);
    expect(pickPanels(frames, 10)).toHaveLength(5);
  });
});
