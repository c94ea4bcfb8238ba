/**
 * Bring your own model (plain-model.ts): tiny ONNX graphs without this project's contract, generated here with
 * Debian's PyTorch, run through deblur() as the project's own models are (tiles, clamp, padding), described by a
 * minimal card or options; graphs that do not match their description give a ModelContractError naming the file,
 * the tensor and what was expected.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { from, lastValueFrom, toArray } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { deblur, type DeblurFrameInfo } from '../../src/deblur/deblur.js';
import { loadDeblurModel } from '../../src/deblur/onnx-session.js';
import { fromPlainOutput, type PlainModelOptions, toPlainInput } from '../../src/deblur/plain-model.js';
import { InvalidOptionError, ModelContractError } from '../../src/errors.js';
import type { Frame } from '../../src/stream/frame.js';
import { requireTorch, runPython } from '../training/python.js';
import { cli, tempDir } from '../helpers.js';
import { movingSquare } from './fake-model.js';

const dir = tempDir('promotion-plain-model-');

/** The graphs: each a tiny torch module exported with dynamic batch, height and width (unless the test needs otherwise). */
const SCRIPT = `
import sys, torch
out = sys.argv[1]
class Offset(torch.nn.Module):          # [B,3,H,W] -> x + 0.1
    def forward(self, x): return x + 0.1
class KillFirst(torch.nn.Module):       # [B,3,H,W] -> channel 0 zeroed, 25.5 added to channel 2
    def forward(self, x):
        m = torch.tensor([0.0, 1.0, 1.0]).view(1, 3, 1, 1)
        a = torch.tensor([0.0, 0.0, 25.5]).view(1, 3, 1, 1)
        return x * m + a
class MeanT(torch.nn.Module):           # [B,5,3,H,W] -> mean over T
    def forward(self, x): return x.mean(dim=1)
class Blocky(torch.nn.Module):          # [B,3,H,W], H and W multiples of 8 -> 8x8 block means
    def forward(self, x): return torch.nn.functional.interpolate(torch.nn.functional.avg_pool2d(x, 8), scale_factor=8.0, mode='nearest')
class TwoInputs(torch.nn.Module):
    def forward(self, a, b): return a + b
dyn4 = {0: 'B', 2: 'H', 3: 'W'}
def export(module, example, name, inputs=('image',), dynamic=True):
    axes = {}
    if dynamic:
        for i, t in zip(inputs, example if isinstance(example, tuple) else (example,)):
            axes[i] = {0: 'B', t.dim() - 2: 'H', t.dim() - 1: 'W'}
        axes['restored'] = dyn4
    torch.onnx.export(module, example, f'{out}/{name}.onnx', input_names=list(inputs), output_names=['restored'], dynamic_axes=axes, opset_version=16)
x4 = torch.rand(1, 3, 32, 32)
export(Offset(), x4, 'offset')
export(KillFirst(), x4, 'kill-first')
export(MeanT(), torch.rand(1, 5, 3, 32, 32), 'mean-t')
export(Blocky(), x4, 'blocky')
export(Offset(), torch.rand(3, 32, 32), 'rank3')
export(Offset(), x4, 'fixed-size', dynamic=False)
export(TwoInputs(), (x4, x4), 'two-inputs', inputs=('image', 'prior'))
export(TwoInputs(), (torch.rand(1, 5, 3, 32, 32), torch.rand(1, 5, 3, 32, 32)), 'lost-card', inputs=('frames', 'motion'))
`;

const model = (name: string) => join(dir, `${name}.onnx`);

beforeAll(() => {
  requireTorch();
  const result = runPython(['-c', SCRIPT, dir], 300_000);
  if (result.status !== 0) throw new Error(`generating the test graphs failed:\n${result.output}`);
}, 300_000);

const run = async (frames: Frame[], options: Parameters<typeof deblur>[0], infos: DeblurFrameInfo[] = []) =>
  lastValueFrom(from(frames).pipe(deblur({ threads: 1, clampRadius: 0, ...options, onFrameInfo: (i) => infos.push(i) }), toArray()));

/** Largest |out - expected(in)| over a frame's samples, per channel, in [0, 1] units. */
function maxError(out: Frame, input: Frame, expected: (v: number, channel: number) => number): number {
  let worst = 0;
  for (let i = 0; i < out.data.length; i++) worst = Math.max(worst, Math.abs(out.data[i]! / 255 - expected(input.data[i]! / 255, i % 3)));
  return worst;
}

describe('plain models through deblur()', () => {
  it('a single-image graph with no card: its layout comes from the graph, [0, 1] RGB by default, tiled like any model', async () => {
    const frames = Array.from({ length: 3 }, (_, k) => movingSquare(96, 72, k));
    const infos: DeblurFrameInfo[] = [];
    const out = await run(frames, { model: model('offset'), tileSize: 64, overlap: 16 }, infos);
    frames.forEach((f, k) => expect(maxError(out[k]!, f, (v) => Math.min(1, v + 0.1))).toBeLessThanOrEqual(0.5 / 255 + 1e-6));
    expect(infos.map((i) => i.networkCalls)).toEqual([4, 4, 4]); // 2 x 2 tiles of at most 64 px
    const loaded = await loadDeblurModel({ model: model('offset'), threads: 1 });
    try {
      expect(loaded.contract).toEqual({ windowSize: 1, centreIndex: 0, paddingMultiple: 16, minSize: 16, motionMapKind: 'magnitude', usesMotion: false });
      expect(loaded.identity).toMatchObject({ kind: 'plain', name: 'offset', preset: 'plain-nchw' });
      expect(loaded.plain).toMatchObject({ layout: 'nchw', windowSize: 1, range: '0,1', colourOrder: 'rgb', input: 'image', output: 'restored', cardPath: undefined });
    } finally {
      await loaded.close();
    }
  });

  it('a minimal card gives the value range and colour order: [0, 255] BGR is converted both ways', async () => {
    writeFileSync(join(dir, 'kill-first.json'), JSON.stringify({ kind: 'plain', layout: 'nchw', range: [0, 255], colourOrder: 'bgr', paddingMultiple: 8 }));
    const frames = [movingSquare(40, 40, 0)];
    // In BGR, channel 0 is blue (zeroed) and channel 2 red (+25.5 of 255 = +0.1).
    const out = await run(frames, { model: model('kill-first') });
    expect(maxError(out[0]!, frames[0]!, (v, c) => (c === 2 ? 0 : c === 0 ? Math.min(1, v + 0.1) : v))).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
    // The same graph described by options instead (they win over the card): RGB, so red is zeroed.
    const rgb = await run(frames, { model: model('kill-first'), plain: { colourOrder: 'rgb' } });
    expect(maxError(rgb[0]!, frames[0]!, (v, c) => (c === 0 ? 0 : c === 2 ? Math.min(1, v + 0.1) : v))).toBeLessThanOrEqual(0.5 / 255 + 1e-6);
    // The card by its own path names the model beside it.
    const byCard = await run(frames, { model: join(dir, 'kill-first.json') });
    expect(byCard[0]!.data).toEqual(out[0]!.data);
  });

  it('a multi-frame graph [B, 5, 3, H, W] restores the centre of each window (edges repeated)', async () => {
    const frames = Array.from({ length: 4 }, (_, k) => movingSquare(48, 40, k, { speed: 3 }));
    const out = await run(frames, { model: model('mean-t') });
    const loaded = await loadDeblurModel({ model: model('mean-t'), threads: 1 });
    expect(loaded.contract.windowSize).toBe(5);
    await loaded.close();
    // Frame 1's window is frames [0, 0, 1, 2, 3].
    const window = [0, 0, 1, 2, 3].map((k) => frames[k]!);
    let worst = 0;
    for (let i = 0; i < out[1]!.data.length; i++) worst = Math.max(worst, Math.abs(out[1]!.data[i]! - window.reduce((a, f) => a + f.data[i]!, 0) / 5));
    expect(worst).toBeLessThanOrEqual(0.5 + 1e-3);
  });

  it('pads by edge replication to the padding multiple and crops back: a graph that needs multiples of 8 runs on a 50x37 frame', async () => {
    const frames = [movingSquare(50, 37, 0)];
    const out = await run(frames, { model: model('blocky'), plain: { paddingMultiple: 8 } });
    expect(out[0]!.width).toBe(50);
    expect(out[0]!.height).toBe(37);
    // With padding multiple 1 the graph returns another size than it was given: a typed error saying so.
    const error = await run(frames, { model: model('blocky'), plain: { paddingMultiple: 1, minSize: 1 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelContractError);
    expect((error as Error).message).toBe(
      `Model ${model('blocky')} returned [1, 3, 32, 48] float32 for input image [1, 3, 37, 50] instead of float32 [1, 3, 37, 50] (or [1, T, 3, 37, 50]). ` +
        'A plain model must restore an image of the size it was given: check its padding multiple (paddingMultiple in the card, --model-padding).',
    );
  });

  it('the blur gate and the clamp apply as to any model', async () => {
    const still = Array.from({ length: 3 }, () => movingSquare(48, 48, 0, { speed: 0 }));
    const infos: DeblurFrameInfo[] = [];
    const out = await run(still, { model: model('offset'), gate: true }, infos);
    expect(infos.map((i) => i.gated)).toEqual(['still', 'still', 'still']);
    expect(out[0]!.data).toEqual(still[0]!.data);
    // Clamped to the input's local range (radius 3): on a flat frame, +0.1 cannot leave it.
    const flat = { ...movingSquare(48, 48, 0), data: new Uint8Array(48 * 48 * 3).fill(100) } as Frame;
    expect((await run([flat], { model: model('offset'), clampRadius: 3 }))[0]!.data).toEqual(flat.data);
    expect((await run([flat], { model: model('offset'), clampRadius: 0 }))[0]!.data.every((v) => v === 126)).toBe(true);
  });
});

/** The ModelContractError loading `name` (with `plain` options) fails with. */
async function loadError(name: string, plain?: PlainModelOptions): Promise<ModelContractError> {
  const error = await loadDeblurModel({ model: model(name), threads: 1, ...(plain ? { plain } : {}) }).then(
    (m) => m.close().then(() => undefined),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelContractError);
  expect((error as ModelContractError).code).toBe('MODEL_CONTRACT');
  expect((error as ModelContractError).path).toBe(model(name));
  return error as ModelContractError;
}

describe('graphs that do not match their description', () => {
  it('a rank-3 input', async () => {
    expect((await loadError('rank3')).message).toBe(
      `Model ${model('rank3')} has input image of rank 3 [B, H, W], but a plain model takes [B, 3, H, W] (one image) or [B, T, 3, H, W] (a window). ` +
        'Describe the model with a minimal card beside it or the --model-* flags (models/README.md, "Bring your own model").',
    );
  });

  it('a single-image graph described as a window', async () => {
    expect((await loadError('offset', { layout: 'ntchw', windowSize: 5 })).message).toBe(
      `Model ${model('offset')} has input image of rank 4 [B, 3, H, W], but layout 'ntchw' is [B, 5, 3, H, W]. Fix the layout (layout in the card, --model-layout), or export the model to take [B, 5, 3, H, W].`,
    );
  });

  it('a window of 5 described as 3', async () => {
    expect((await loadError('mean-t', { windowSize: 3 })).message).toBe(
      `Model ${model('mean-t')} has input image [B, 5, 3, H, W]: a window of 5 frames, but its description says windowSize 3. Fix the window size (windowSize in the card, --model-window), or leave it to the graph.`,
    );
  });

  it('a fixed height and width', async () => {
    expect((await loadError('fixed-size')).message).toBe(
      `Model ${model('fixed-size')} has input image [1, 3, 32, 32] with a fixed height of 32, but the runtime feeds tiles of any size (multiples of the padding multiple). Export the model with dynamic height and width (dynamic axes).`,
    );
  });

  it('two inputs; and a contract model that lost its card', async () => {
    expect((await loadError('two-inputs')).message).toBe(
      `Model ${model('two-inputs')} has inputs [image, prior], but a plain model takes one image input, [B, 3, H, W] or [B, T, 3, H, W]. Name the one to feed (input in the card, --model-input), or export the model with one input.`,
    );
    expect((await loadError('lost-card')).message).toBe(
      `Model ${model('lost-card')} has no model card: ${join(dir, 'lost-card.json')} does not exist, and its inputs [frames, motion] are this project's contract's, not one image. ` +
        'The runtime needs the card beside the model; export the model and its card together with `python3 -m promotion.export` (training/), or copy both files as they were written.',
    );
  });

  it('a broken minimal card names the card and the field', async () => {
    const card = join(dir, 'blocky.json');
    writeFileSync(card, JSON.stringify({ kind: 'plain', range: [0, 100] }));
    const error = await loadDeblurModel({ model: model('blocky') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelContractError);
    expect((error as Error).message).toMatch(/^Model card .*blocky\.json: Expected one of '0,1', '0,255', '-1,1' for card\.range but received "0,100" of type string\. A minimal card is /);
    writeFileSync(card, JSON.stringify({ kind: 'plain' }));
  });

  it('bad options are InvalidOptionErrors naming the option, when deblur() is called', () => {
    expect(() => deblur({ model: model('offset'), plain: { windowSize: 4 } })).toThrow(new InvalidOptionError('Expected odd integer (the centre frame is restored) for plain.windowSize but received 4 of type number'));
    expect(() => deblur({ model: model('offset'), plain: { layout: 'nhwc' as 'nchw' } })).toThrow(new InvalidOptionError("Expected one of 'nchw', 'ntchw' for plain.layout but received \"nhwc\" of type string"));
  });
});

describe('the committed plain model (models/plain/single-s.onnx)', () => {
  it('loads with no card: one image, [0, 1] RGB, multiple 16, and restores a frame of any size', async () => {
    const path = fileURLToPath(new URL('../../models/plain/single-s.onnx', import.meta.url));
    const loaded = await loadDeblurModel({ model: path, threads: 1 });
    try {
      expect(loaded.plain).toMatchObject({ name: 'single-s', layout: 'nchw', windowSize: 1, range: '0,1', colourOrder: 'rgb', paddingMultiple: 16, input: 'image', output: 'restored', cardPath: undefined });
      expect(loaded.identity.sha256).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await loaded.close();
    }
    const [out] = await run([movingSquare(50, 37, 0)], { model: path });
    expect([out!.width, out!.height]).toEqual([50, 37]);
  });
});

describe('promotion deblur with a plain model', () => {
  it('the --model-* flags describe it; a bad one names the flag (exit 2); a graph that does not match is exit 3, the file named', async () => {
    const input = join(dir, 'frames');
    const { mkdirSync } = await import('node:fs');
    const { encodeImage } = await import('../../src/stream/image-codec.js');
    mkdirSync(input, { recursive: true });
    for (let k = 0; k < 3; k++) writeFileSync(join(input, `${k}.png`), await encodeImage(movingSquare(40, 40, k), 'png'));
    const ok = await cli(['deblur', input, '-o', join(dir, 'out'), '--model', model('offset'), '--model-layout', 'nchw', '--model-padding', '8', '--json', '--no-progress']);
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ model: 'offset', modelKind: 'plain', frames: 3 });
    const bad = await cli(['deblur', input, '-o', join(dir, 'out2'), '--model', model('offset'), '--model-range', '0,9']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain(`Expected one of '0,1', '0,255', '-1,1' for --model-range but received "0,9" of type string`);
    const wrong = await cli(['deblur', input, '-o', join(dir, 'out3'), '--model', model('offset'), '--model-layout', 'ntchw', '--model-window', '3']);
    expect(wrong.err).toContain(`Model ${model('offset')} has input image of rank 4 [B, 3, H, W], but layout 'ntchw' is [B, 3, 3, H, W].`);
    expect(wrong.code).toBe(3);
  });
});

describe('tensor conversion', () => {
  it('maps [0, 1] RGB to [-1, 1] BGR and back exactly; the identity case is not copied', () => {
    const plane = 2;
    const frames = Float32Array.from([0, 0.5, 0.25, 1, 1, 0]); // R R G G B B
    const d = { range: '-1,1', colourOrder: 'bgr' } as const;
    const model = toPlainInput(frames, plane, d);
    expect(Array.from(model)).toEqual([1, -1, -0.5, 1, -1, 0]);
    expect(Array.from(fromPlainOutput(model, plane, 1, d))).toEqual(Array.from(frames));
    expect(toPlainInput(frames, plane, { range: '0,1', colourOrder: 'rgb' })).toBe(frames);
    // A [1, 3, 3, H, W] output: the centre frame is taken.
    const three = Float32Array.from([...new Array(6).fill(9), 1, 2, 3, 4, 5, 6, ...new Array(6).fill(9)]);
    expect(Array.from(fromPlainOutput(three, plane, 3, { range: '0,1', colourOrder: 'rgb' }))).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
