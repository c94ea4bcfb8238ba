/**
 * Loading a model (onnx-session.ts, the one file that loads onnxruntime-node) checks it against its card and the
 * contract (models/README.md): wrong names, shapes, versions, a truncated file, a missing card each give a
 * ModelContractError that names the file and the fix. And CUDA falls back to the CPU with one warning.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { deblur } from '../../src/deblur/deblur.js';
import { loadDeblurModel, missingCudaProvider, openDeblurModel, resolveLoadOptions } from '../../src/deblur/onnx-session.js';
import { InputNotFoundError, ModelContractError } from '../../src/errors.js';
import { tempDir } from '../helpers.js';
import { movingSquare } from './fake-model.js';
import { runPython } from '../training/python.js';
import { editGraph, exportTinyModel, type TinyModel, writeVariant } from './tiny-model.js';

const dir = tempDir('promotion-deblur-contract-');
let tiny: TinyModel;
let edvr: TinyModel;

beforeAll(() => {
  tiny = exportTinyModel(dir);
  edvr = exportTinyModel(dir, 'tiny-edvr', 3, 'edvr-s');
}, 600_000);

/** The ModelContractError a load fails with. */
async function contractError(model: string): Promise<ModelContractError> {
  const error = await loadDeblurModel({ model }).then(
    (m) => m.close().then(() => undefined),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelContractError);
  expect((error as ModelContractError).code).toBe('MODEL_CONTRACT');
  return error as ModelContractError;
}

const FIX = 'export the model and its card together with `python3 -m promotion.export` (training/), or copy both files as they were written.';

describe('loading a model', () => {
  it('loads an exported model by its .onnx path or its card, checks it, and runs it on the CPU', async () => {
    for (const reference of [tiny.onnx, tiny.card]) {
      const model = await loadDeblurModel({ model: reference, threads: 1 });
      try {
        expect(model.name).toBe('tiny');
        expect(model.contract).toEqual({ windowSize: 5, centreIndex: 2, paddingMultiple: 16, minSize: 32, motionMapKind: 'magnitude' });
        expect(model.executionProvider).toBe('cpu');
        expect(model.threads).toBe(1);
        expect(model.files).toEqual({ reference, onnxPath: tiny.onnx, cardPath: tiny.card });
        const frames = new Float32Array(5 * 3 * 32 * 48).map((_, i) => (i % 97) / 97);
        const out = await model.run({ width: 48, height: 32, frames, motion: new Float32Array(32 * 48), blurWeights: new Float32Array(5).fill(1), contrastScale: new Float32Array(5).fill(0.05) });
        expect(out).toHaveLength(3 * 32 * 48);
        expect(out.every(Number.isFinite)).toBe(true);
      } finally {
        await model.close();
      }
      await model.close(); // a second close does nothing
      await expect(model.run({ width: 32, height: 32, frames: new Float32Array(5 * 3 * 32 * 32), motion: new Float32Array(1024), blurWeights: new Float32Array(5), contrastScale: new Float32Array(5) })).rejects.toThrow(/is closed/);
    }
  });

  it('runs a model with the directional motion prior (contract version 3): it reads the flow vectors, which deblur() computes and feeds; the export writes the clamp radius asked for', async () => {
    const result = runPython(['-m', 'promotion.export', '--preset', 'promotion-c', '--random-init', '--seed', '5', '--set', 'num_feat=8', '--set', 'middle_blocks=1', '--set', 'directional_motion=true', '--clamp-radius', '2', '--clamp-motion', '0.25,8', '--name', 'tiny-c3', '--out-dir', dir, '--threads', '1'], 300_000);
    if (result.status !== 0) throw new Error(`export failed (exit ${result.status}):\n${result.output}`);
    const model = await loadDeblurModel({ model: join(dir, 'tiny-c3.onnx'), threads: 1 });
    try {
      expect(model.card!.contractVersion).toBe(3);
      expect(model.contract.usesFlow).toBe(true);
      // The export's --clamp-radius and --clamp-motion are the card's clampRadius and clampMotion, which deblur() defaults to.
      expect(model.contract.clampRadius).toBe(2);
      expect(model.contract.clampMotion).toEqual({ scale: 0.25, maxRadius: 8 });
      const feeds = { width: 48, height: 32, frames: new Float32Array(5 * 3 * 32 * 48).map((_, i) => (i % 97) / 97), motion: new Float32Array(32 * 48), blurWeights: new Float32Array(5).fill(1), contrastScale: new Float32Array(5).fill(0.05) };
      await expect(model.run(feeds)).rejects.toThrow(/reads the flow vectors \(contract version 3\) but was called without feeds.flow/);
      const still = await model.run({ ...feeds, flow: new Float32Array(4 * 32 * 48) });
      const moving = await model.run({ ...feeds, flow: new Float32Array(4 * 32 * 48).fill(6) });
      expect(moving.some((v, i) => Math.abs(v - still[i]!) > 1e-4)).toBe(true);
      const frames = Array.from({ length: 3 }, (_, k) => movingSquare(64, 48, k, { speed: 6 }));
      const out = await lastValueFrom(from(frames).pipe(deblur({ model }), toArray()));
      expect(out.map((f) => [f.width, f.height])).toEqual([[64, 48], [64, 48], [64, 48]]);
    } finally {
      await model.close();
    }
  }, 300_000);

  it('defaults to at most 2 threads', async () => {
    const model = await loadDeblurModel({ model: tiny.onnx });
    expect(model.threads).toBe(Math.min(2, (await import('node:os')).availableParallelism()));
    await model.close();
  });

  it('refuses a card of a contract version it does not know', async () => {
    const v = writeVariant(tiny, dir, 'version5', { card: (c) => (c.contractVersion = 5) });
    const error = await contractError(v.onnx);
    expect(error.path).toBe(v.card);
    expect(error.message).toBe(
      `Model card ${v.card} has contractVersion 5, but this runtime implements contract versions 1, 2, 3, 4 (models/README.md). Use a model exported for that version, or a version of promotion-handpose that knows this one.`,
    );
    // A version 1 card that claims version 4 lacks its prior maps; one that lists them at another size is refused.
    const claims4 = writeVariant(tiny, dir, 'claims-version4', { card: (c) => (c.contractVersion = 4) });
    expect((await contractError(claims4.onnx)).message).toBe(
      `Model card ${claims4.card} lists inputs [frames, motion, blurWeights, contrastScale], but contract version 4 has [frames, motion, blurWeights, priors]; ${FIX}`,
    );
    const priorsAtFull = writeVariant(tiny, dir, 'priors-full-size', {
      card: (c) => {
        c.contractVersion = 4;
        const inputs = c.inputs as { name: string; shape: string[] }[];
        inputs[3] = { ...inputs[3]!, name: 'priors', shape: ['B, 15, H, W'] };
      },
    });
    expect((await contractError(priorsAtFull.onnx)).message).toBe(
      `Model card ${priorsAtFull.card} gives input priors the shape [B, 15, H, W], but the prior maps of a window of 5 frames at half resolution are [B, 15, H/2, W/2]; ${FIX}`,
    );
    // A version 1 card that claims version 3 lacks its flow input.
    const claims3 = writeVariant(tiny, dir, 'claims-version3', { card: (c) => (c.contractVersion = 3) });
    expect((await contractError(claims3.onnx)).message).toBe(
      `Model card ${claims3.card} lists inputs [frames, motion, blurWeights, contrastScale], but contract version 3 has [frames, motion, blurWeights, contrastScale, flow]; ${FIX}`,
    );
    // A one-graph model's card that claims version 2 lacks what version 2 has (the features and their inputs).
    const claims2 = writeVariant(tiny, dir, 'claims-version2', { card: (c) => (c.contractVersion = 2) });
    expect((await contractError(claims2.onnx)).message).toBe(
      `Model card ${claims2.card} lists inputs [frames, motion, blurWeights, contrastScale], but contract version 2 has [featL1, featL2, featL3, frames, motion, blurWeights, contrastScale]; ${FIX}`,
    );
  });

  it("reads the card's tileSize and motionMap.flow, and refuses a tileSize below minSize or flow options DIS does not know", async () => {
    const v = writeVariant(tiny, dir, 'tile-640', { card: (c) => (c.tileSize = 640) });
    const model = await loadDeblurModel({ model: v.onnx, threads: 1 });
    expect(model.contract.tileSize).toBe(640);
    await model.close();
    const half = writeVariant(tiny, dir, 'flow-half', { card: (c) => ((c.motionMap as Record<string, unknown>).flow = { finestLevel: 1 }) });
    const halfModel = await loadDeblurModel({ model: half.onnx, threads: 1 });
    expect(halfModel.contract.motionFlow).toEqual({ finestLevel: 1 });
    await halfModel.close();
    const badFlow = writeVariant(tiny, dir, 'flow-bad', { card: (c) => ((c.motionMap as Record<string, unknown>).flow = { finest: 1 }) });
    expect((await contractError(badFlow.onnx)).message).toMatch(new RegExp(`^Model card ${badFlow.card.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} has motionMap.flow \\{"finest":1\\}, which the optical flow refuses \\(.*finest.*\\); `));
    const bad = writeVariant(tiny, dir, 'tile-16', { card: (c) => (c.tileSize = 16) });
    expect((await contractError(bad.onnx)).message).toBe(`Model card ${bad.card} has tileSize 16; expected an integer of at least minSize (32), or no tileSize; ${FIX}`);
  });

  it("reads the card's clampRadius into the contract and the output's identity, and refuses one that is not an integer from 0 to 64", async () => {
    const plain = await loadDeblurModel({ model: tiny.onnx, threads: 1 });
    expect(plain.contract.clampRadius).toBeUndefined();
    const v = writeVariant(tiny, dir, 'clamp-1', { card: (c) => (c.clampRadius = 1) });
    const model = await loadDeblurModel({ model: v.onnx, threads: 1 });
    expect(model.contract.clampRadius).toBe(1);
    // Stored deblurred frames of the same weights under another clamp are not reused.
    expect(model.identity.key).not.toEqual(plain.identity.key);
    await model.close();
    await plain.close();
    const off = writeVariant(tiny, dir, 'clamp-0', { card: (c) => (c.clampRadius = 0) });
    const offModel = await loadDeblurModel({ model: off.onnx, threads: 1 });
    expect(offModel.contract.clampRadius).toBe(0);
    await offModel.close();
    for (const [slug, value] of [['clamp-neg', -1], ['clamp-frac', 2.5], ['clamp-str', '3'], ['clamp-big', 65]] as const) {
      const bad = writeVariant(tiny, dir, slug, { card: (c) => (c.clampRadius = value) });
      expect((await contractError(bad.onnx)).message).toBe(`Model card ${bad.card} has clampRadius ${JSON.stringify(value)}; expected an integer from 0 to 64, or no clampRadius; ${FIX}`);
    }
  });

  it("reads the card's clampMotion into the contract and the output's identity, and refuses one it cannot follow", async () => {
    const fixed = writeVariant(tiny, dir, 'clamp-2', { card: (c) => (c.clampRadius = 2) });
    const v = writeVariant(tiny, dir, 'clamp-motion', { card: (c) => ((c.clampRadius = 2), (c.clampMotion = { scale: 0.25, maxRadius: 8 })) });
    const fixedModel = await loadDeblurModel({ model: fixed.onnx, threads: 1 });
    const model = await loadDeblurModel({ model: v.onnx, threads: 1 });
    expect(model.contract.clampMotion).toEqual({ scale: 0.25, maxRadius: 8 });
    expect(fixedModel.contract.clampMotion).toBeUndefined();
    expect(model.identity.key).not.toEqual(fixedModel.identity.key);
    await model.close();
    await fixedModel.close();
    const expected = 'expected { "scale": a number >= 0, "maxRadius": an integer from clampRadius (which it needs, at least 1) to 64 }, or no clampMotion';
    for (const [slug, radius, value] of [
      ['cm-no-radius', undefined, { scale: 0.25, maxRadius: 8 }],
      ['cm-radius-0', 0, { scale: 0.25, maxRadius: 8 }],
      ['cm-below', 4, { scale: 0.25, maxRadius: 3 }],
      ['cm-neg', 2, { scale: -1, maxRadius: 8 }],
      ['cm-big', 2, { scale: 0.25, maxRadius: 65 }],
      ['cm-extra', 2, { scale: 0.25, maxRadius: 8, minRadius: 1 }],
      ['cm-list', 2, [0.25, 8]],
    ] as const) {
      const bad = writeVariant(tiny, dir, slug, { card: (c) => ((c.clampRadius = radius), (c.clampMotion = value)) });
      expect((await contractError(bad.onnx)).message).toBe(`Model card ${bad.card} has clampMotion ${JSON.stringify(value)}; ${expected}; ${FIX}`);
    }
    const colour = writeVariant(tiny, dir, 'cm-colour', {
      card: (c) => ((c.clampRadius = 2), (c.clampMotion = { scale: 0.25, maxRadius: 8 }), ((c.motionMap as { kind: string }).kind = 'colour')),
    });
    expect((await contractError(colour.onnx)).message).toBe(`Model card ${colour.card} has clampMotion with a colour motion map; the clamp reads the motion in pixels from the magnitude map; ${FIX}`);
  });

  it('refuses a card whose inputs are not the contract names', async () => {
    const v = writeVariant(tiny, dir, 'card-names', {
      card: (c) => ((c.inputs as { name: string }[])[1]!.name = 'flow'),
    });
    expect((await contractError(v.onnx)).message).toBe(`Model card ${v.card} lists inputs [frames, flow, blurWeights, contrastScale], but contract version 1 has [frames, motion, blurWeights, contrastScale]; ${FIX}`);
  });

  it('refuses a model whose inputs differ from its card (wrong names in the ONNX graph)', async () => {
    const v = writeVariant(tiny, dir, 'graph-names', { onnx: () => editGraph(tiny, 'rename-motion') });
    const error = await contractError(v.onnx);
    expect(error.path).toBe(v.onnx);
    expect(error.message).toBe(
      `Model ${v.onnx} does not match its card ${v.card}: the model's inputs are [frames, flow, blurWeights, contrastScale] but the card lists [frames, motion, blurWeights, contrastScale]. ` +
        'The two files do not belong together; export them again with `python3 -m promotion.export`.',
    );
  });

  it('takes an EDVR baseline whose graph lost the inputs its architecture does not use, and feeds it only what it has', async () => {
    const model = await loadDeblurModel({ model: edvr.onnx, threads: 1 });
    try {
      const out = await model.run({ width: 32, height: 32, frames: new Float32Array(5 * 3 * 32 * 32).fill(0.5), motion: new Float32Array(1024), blurWeights: new Float32Array(5).fill(1), contrastScale: new Float32Array(5).fill(0.1) });
      expect(out).toHaveLength(3 * 32 * 32);
    } finally {
      await model.close();
    }
    // The same graph with a card whose architecture uses the priors is refused: its inputs are missing.
    const lying = writeVariant(edvr, dir, 'edvr-priors', { card: (c) => ((c.architecture as Record<string, unknown>).use_priors = true) });
    const error = await contractError(lying.onnx);
    expect(error.message).toMatch(/: the model has no input (motion|contrastScale), which its card lists and its architecture uses \(the model's inputs are \[frames(, blurWeights)?\]\)/);
  });

  it('refuses wrong shapes: a card window other than the tensor it describes, a card and graph that disagree, a fixed frame size', async () => {
    const window3 = writeVariant(tiny, dir, 'window3', {
      card: (c) => {
        c.windowSize = 3;
        c.centreIndex = 1;
      },
    });
    expect((await contractError(window3.onnx)).message).toBe(`Model card ${window3.card} gives input frames the shape [B, 5, 3, H, W], but a window of 3 RGB frames is [B, 3, 3, H, W]; ${FIX}`);
    const window7 = writeVariant(tiny, dir, 'window7', {
      card: (c) => {
        c.windowSize = 7;
        c.centreIndex = 3;
        for (const input of c.inputs as { name: string; shape: string[] }[]) input.shape = input.shape.map((s) => s.replace('5', '7'));
      },
    });
    expect((await contractError(window7.onnx)).message).toMatch(/does not match its card .*: input frames has dimension 1 = 5 but the card says 7 \(\[B, 7, 3, H, W\]\)/);
    const fixed = writeVariant(tiny, dir, 'fixed-height', { onnx: () => editGraph(tiny, 'fixed-height') });
    expect((await contractError(fixed.onnx)).message).toMatch(/input frames has a fixed height of 64, but the runtime needs dynamic height and width/);
    const centre = writeVariant(tiny, dir, 'centre', { card: (c) => (c.centreIndex = 0) });
    expect((await contractError(centre.onnx)).message).toBe(`Model card ${centre.card} has centreIndex 0; with windowSize 5 the centre is 2; ${FIX}`);
  });

  it('refuses a truncated file: by its checksum, and when the card was made to match, by ONNX Runtime', async () => {
    const half = (b: Buffer) => b.subarray(0, Math.floor(b.length / 2));
    const stale = writeVariant(tiny, dir, 'truncated', { onnx: half, keepSha: true });
    const card = JSON.parse(readFileSync(tiny.card, 'utf8')) as { sha256: string };
    const error = await contractError(stale.onnx);
    expect(error.message).toMatch(new RegExp(`^Model ${stale.onnx} has SHA-256 [0-9a-f]{64} but its card ${stale.card} says ${card.sha256}: the file was changed, truncated or replaced after export\\.`));
    const resealed = writeVariant(tiny, dir, 'truncated-resealed', { onnx: half });
    const broken = await contractError(resealed.onnx);
    expect(broken.message).toMatch(new RegExp(`^Model ${resealed.onnx} cannot be loaded by ONNX Runtime \\(.+\\): it is damaged or not an ONNX model\\. Export it again`));
    expect(broken.cause).toBeInstanceOf(Error);
    const garbage = writeVariant(tiny, dir, 'garbage', { onnx: () => Buffer.from('not a model at all') });
    expect((await contractError(garbage.onnx)).message).toMatch(/cannot be loaded by ONNX Runtime/);
  });

  it('refuses a model without its card, and a card that is not JSON; a missing model is InputNotFoundError', async () => {
    const lonely = writeVariant(tiny, dir, 'lonely', {});
    rmSync(lonely.card);
    // A card-less .onnx may be a plain model (plain-model.ts); its contract inputs tell it lost its card, when it loads.
    expect((await contractError(lonely.onnx)).message).toBe(
      `Model ${lonely.onnx} has no model card: ${lonely.card} does not exist, and its inputs [frames, motion, blurWeights, contrastScale] are this project's contract's, not one image. ` +
        `The runtime needs the card beside the model; ${FIX}`,
    );
    const notJson = writeVariant(tiny, dir, 'not-json', {});
    const { writeFileSync } = await import('node:fs');
    writeFileSync(notJson.card, '{ "contractVersion": 1,');
    expect((await contractError(notJson.onnx)).message).toMatch(new RegExp(`^Model card ${notJson.card} is not valid JSON \\(`));
    const missing = join(dir, 'nowhere.onnx');
    expect(() => resolveLoadOptions({ model: missing })).toThrow(InputNotFoundError);
    expect(() => resolveLoadOptions({ model: missing })).toThrow(`Model file ${missing} does not exist.`);
  });
});

describe('devices', () => {
  it('cuda falls back to the CPU with one warning that says why and how to fix it', async () => {
    const warnings: string[] = [];
    const model = await loadDeblurModel({ model: tiny.onnx, device: 'cuda', onWarning: (m) => warnings.push(m) });
    await model.close();
    const provider = missingCudaProvider();
    if (provider !== undefined) {
      // This machine has no CUDA provider (the project's .npmrc skips its download): the fallback, for real.
      expect(model.executionProvider).toBe('cpu');
      expect(warnings).toEqual([
        `CUDA was requested for model tiny but cannot be used (onnxruntime-node's CUDA provider is not installed: ${provider} is missing); running on the CPU instead. ` +
          'To use the GPU, install the CUDA 12 and cuDNN 9 runtime libraries and let onnxruntime-node download its CUDA provider (remove `onnxruntime-node-install=skip` from .npmrc, then `npm ci`); pass device cpu to silence this.',
      ]);
    } else {
      // A machine with the provider: either CUDA runs, or ONNX Runtime refused it and the fallback said so.
      expect(warnings).toHaveLength(model.executionProvider === 'cuda' ? 0 : 1);
    }
  });

  it('when ONNX Runtime itself cannot create the CUDA session, the model still loads on the CPU with one warning', async () => {
    const warnings: string[] = [];
    const model = await openDeblurModel(resolveLoadOptions({ model: tiny.onnx, device: 'cuda', onWarning: (m) => warnings.push(m) }), { cudaProviderCheck: false });
    await model.close();
    if (model.executionProvider === 'cpu') {
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^CUDA was requested for model tiny but cannot be used \(.+\); running on the CPU instead\. To use the GPU/);
    } else {
      expect(warnings).toEqual([]);
    }
  });

  it("'auto' takes the CPU quietly but for one note; deblur() with device cuda warns once for a whole stream", async () => {
    const notes: string[] = [];
    const auto = await loadDeblurModel({ model: tiny.onnx, device: 'auto', onWarning: (m) => notes.push(m) });
    await auto.close();
    expect(notes).toHaveLength(auto.executionProvider === 'cpu' ? 1 : 0);
    if (auto.executionProvider === 'cpu') expect(notes[0]).toMatch(/^CUDA is not available for model tiny \(.+\); running on the CPU\.$/);

    const warnings: string[] = [];
    const frames = [0, 1, 2].map((k) => movingSquare(48, 32, k));
    const out = await lastValueFrom(from(frames).pipe(deblur({ model: tiny.onnx, device: 'cuda', threads: 1, onWarning: (m) => warnings.push(m) }), toArray()));
    expect(out).toHaveLength(3);
    expect(warnings.length).toBeLessThanOrEqual(1);
    if (missingCudaProvider() !== undefined) expect(warnings).toHaveLength(1);
  });
});
