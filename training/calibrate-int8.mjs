// The ONNX Runtime half of int8 quantization (training/promotion/quantize.py says the whole procedure). Two steps,
// run from the repository root after `npm run build`:
//
//   node training/calibrate-int8.mjs fold --model models/promotion-c.onnx --out folded.onnx
//     The float graph with its in-graph weights folded to initializers (ONNX Runtime at 'basic' optimization, written
//     back as plain ONNX), checked to give the same output as the model on one window.
//
//   node training/calibrate-int8.mjs calibrate --model models/promotion-c.onnx --augmented calib.onnx
//       [--set val] [--sequences 12] [--windows 2] --out stats.json
//     Runs deblur() with the model over the yardstick's validation sequences (.yardstick/val/{camera,local}/scene_*,
//     whole frames, the runtime's defaults) and, for `--windows` network calls of each sequence (spread over it), runs
//     the augmented graph (`python3 -m promotion.quantize augment`) on the very feeds the runtime built, recording
//     each output's minimum and maximum per window. The test set is refused: it never picks anything.
//
// A Node script rather than Python: Debian's Python has no ONNX Runtime, and the feeds (motion map, statistics,
// tensors) are then exactly the runtime's, with no second implementation of them.
import { readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { from, lastValueFrom, toArray } from 'rxjs';
import * as ort from 'onnxruntime-node';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const lib = await import(join(root, 'dist', 'src', 'index.js'));
const { openImageSequence } = await import(join(root, 'dist', 'src', 'stream', 'image-sequence-source.js'));

function arg(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0) {
    if (fallback === undefined) throw new Error(`Expected --${name} <value> but received none.`);
    return fallback;
  }
  const v = process.argv[at + 1];
  if (v === undefined) throw new Error(`Expected a value after --${name} but received none.`);
  return v;
}

function positiveInteger(name, fallback) {
  const v = Number(arg(name, String(fallback)));
  if (!Number.isInteger(v) || v < 1) throw new Error(`Expected a positive integer for --${name} but received ${arg(name, '')}.`);
  return v;
}

const sessionOptions = (level, extra = {}) => ({
  executionProviders: ['cpu'],
  intraOpNumThreads: positiveInteger('threads', 2),
  interOpNumThreads: 1,
  graphOptimizationLevel: level,
  extra: { session: { intra_op: { allow_spinning: '0' } } },
  ...extra,
});

/** The ORT tensors of one call's feeds (DeblurFeeds, contract version 1). */
function tensors(feeds, windowSize) {
  const { width: w, height: h } = feeds;
  return {
    frames: new ort.Tensor('float32', feeds.frames, [1, windowSize, 3, h, w]),
    motion: new ort.Tensor('float32', feeds.motion, [1, 1, h, w]),
    blurWeights: new ort.Tensor('float32', feeds.blurWeights, [1, windowSize]),
    contrastScale: new ort.Tensor('float32', feeds.contrastScale, [1, windowSize]),
  };
}

function extremes(data) {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** The frames of an image folder, 8-bit. */
async function readFrames(dir) {
  const seq = await openImageSequence(dir, { sampleType: 'uint8' });
  return lastValueFrom(from(seq.frames()).pipe(toArray()));
}

/** A model for deblur() that is `loaded` with its calls going through `run` (which sees the runtime's own feeds). */
function probeModel(loaded, run) {
  return { name: loaded.name, contract: loaded.contract, executionProvider: loaded.executionProvider, close: () => loaded.close(), run };
}

async function fold() {
  const model = arg('model');
  const out = arg('out');
  await ort.InferenceSession.create(model, sessionOptions('basic', { optimizedModelFilePath: out }));
  const loaded = await lib.loadDeblurModel({ model, device: 'cpu', threads: positiveInteger('threads', 2) });
  const folded = await ort.InferenceSession.create(out, sessionOptions('all'));
  // One window of the first validation sequence, the model's own call against the folded graph's.
  const frames = await readFrames(join(root, '.yardstick', 'val', 'camera', 'scene_00000', 'blur'));
  let worst;
  const probe = probeModel(loaded, async (feeds) => {
    const copy = { ...feeds, frames: feeds.frames.slice(), motion: feeds.motion.slice(), owned: false };
    const a = await loaded.run(copy);
    if (worst === undefined) {
      const b = (await folded.run(tensors(copy, loaded.contract.windowSize))).restored.data;
      worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    }
    return a;
  });
  await lastValueFrom(from(frames.slice(0, loaded.contract.windowSize)).pipe(lib.deblur({ model: probe }), toArray()));
  console.log(`fold: ${out}; largest difference from ${model} on one window: ${worst}`);
  if (!(worst <= 1e-4)) throw new Error(`The folded graph differs from the model by ${worst} (more than 1e-4).`);
}

async function calibrate() {
  const model = arg('model');
  const set = arg('set', 'val');
  if (set !== 'val') throw new Error(`Expected --set val but received ${set}: the test set never picks anything (docs/deblur-model.md).`);
  const yardstick = resolve(arg('root', join(root, '.yardstick')));
  const sequences = positiveInteger('sequences', 12);
  const perSequence = positiveInteger('windows', 2);
  const augmented = await ort.InferenceSession.create(arg('augmented'), sessionOptions('all'));
  const loaded = await lib.loadDeblurModel({ model, device: 'cpu', threads: positiveInteger('threads', 2) });
  const names = augmented.outputNames;
  const ranges = Object.fromEntries(names.map((n) => [n, { min: [], max: [] }]));
  const dirs = ['camera', 'local'].flatMap((kind) =>
    readdirSync(join(yardstick, set, kind)).filter((d) => d.startsWith('scene_')).sort().map((d) => join(yardstick, set, kind, d)),
  );
  // Alternate camera and local blur, so fewer sequences still see both.
  const half = Math.ceil(dirs.length / 2);
  const order = dirs.slice(0, half).flatMap((d, i) => [d, dirs[half + i]]).filter((d) => d !== undefined).slice(0, sequences);
  let windows = 0;
  for (const dir of order) {
    const frames = await readFrames(join(dir, 'blur'));
    const picks = new Set(Array.from({ length: perSequence }, (_, i) => Math.floor(((i + 0.5) * frames.length) / perSequence)));
    let call = 0;
    const probe = probeModel(loaded, async (feeds) => {
      const k = call++;
      if (!picks.has(k)) return loaded.run(feeds);
      const t = tensors({ ...feeds, frames: feeds.frames.slice(), motion: feeds.motion.slice() }, loaded.contract.windowSize);
      const out = await augmented.run(t);
      for (const n of names) {
        const [lo, hi] = extremes(out[n].data);
        ranges[n].min.push(lo);
        ranges[n].max.push(hi);
      }
      windows++;
      return loaded.run(feeds);
    });
    await lastValueFrom(from(frames).pipe(lib.deblur({ model: probe }), toArray()));
    console.log(`calibrate: ${dir} (${windows} windows so far)`);
  }
  await loaded.close();
  const out = arg('out');
  writeFileSync(out, `${JSON.stringify({ model, augmented: arg('augmented'), set, sequences: order.map((d) => d.slice(yardstick.length + 1)), windows, tensors: ranges })}\n`);
  console.log(`calibrate: ${names.length} tensors over ${windows} windows -> ${out}`);
}

const command = process.argv[2];
if (command === 'fold') await fold();
else if (command === 'calibrate') await calibrate();
else throw new Error(`Expected a command fold or calibrate but received ${command ?? 'none'}.`);
