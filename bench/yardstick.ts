/**
 * The frozen yardstick of the deblurring model (datasets/build-yardstick.sh renders it; datasets/yardstick/
 * manifest.json freezes it): what each model gains over the blurred input on 640x480 full frames of photos no
 * training set uses, camera blur and local blur of 5-40 px, through `deblur()` with its defaults (what `promotion
 * deblur` runs: whole frames, the default clamp and tiles). Frames are read as 8-bit, as users' PNG and JPEG
 * frames are; PSNR is over RGB with a peak of 255, averaged over each sequence's frames, and each sequence counts
 * once in the means.
 *
 *   npm run build && datasets/build-yardstick.sh
 *   node dist/bench/yardstick.js [models...] [--set test|val|lines] [--clamp-radius 3 (a list, e.g. 0,3,6: each model
 *     at each radius)] [--root .yardstick] [--out FILE]
 *   node dist/bench/yardstick.js [models...] --input sharp [--set ...]   (the sequences' sharp frames, under the same
 *     motion with no exposure, as the input: how much of sharp input each model keeps, PSNR(output, input), a frame
 *     returned unchanged counting as 100 dB)
 *   node dist/bench/yardstick.js --write-manifest      (once, when the yardstick is made: freezes it)
 *   node dist/bench/yardstick.js --write-manifest --set lines   (adds a set the manifest lacks; changes no record)
 *
 * Models are names in models/ or paths to cards or .onnx files (default: the default model and edvr-s). Before
 * measuring, every sequence of the measured set is checked against the manifest (its PSNR to 0.005 dB), so a
 * rendering that drifted from the frozen one is refused rather than measured. The test set never picks a model: the
 * validation sets (`--set val`, and `--set lines` for long camera blur over thin lines: 320x240 views) do.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { from, lastValueFrom, tap, toArray } from 'rxjs';
import { deblur } from '../src/deblur/deblur.js';
import { DEFAULT_DEBLUR_MODEL } from '../src/deblur/model-card.js';
import { psnr } from '../src/metrics/psnr.js';
import { keptDb } from '../datasets/sharp-sequences.js';
import type { Frame } from '../src/stream/frame.js';
import { openImageSequence } from '../src/stream/image-sequence-source.js';
import { packageRoot } from '../src/util/package-root.js';

const ROOT = packageRoot();
const MANIFEST = join(ROOT, 'datasets', 'yardstick', 'manifest.json');
/**
 * test: measure, never choose. val: choose. lines (session 18): a second validation set, 320x240 views of photos with
 * thin lines and bokeh under long camera motion, and a foreground over a nearly still view of them (what the test
 * set's camera sequences hold and val does not).
 */
const SETS = ['test', 'val', 'lines'] as const;
const KINDS = ['camera', 'local'] as const;
/** How far a rendering's blurred-input PSNR may be from the manifest's before it is refused. */
const TOLERANCE_DB = 0.005;

interface SequenceRecord {
  set: (typeof SETS)[number];
  kind: (typeof KINDS)[number];
  id: string;
  frames: number;
  width: number;
  height: number;
  /** The scene's spec as synthesis.json records it, photos by file name. */
  scene: Record<string, unknown>;
  seed: number;
  /** Mean over the frames of PSNR(blurred, sharp), 8-bit RGB. */
  blurredDb: number;
  /** SHA-256 of the blurred frames' 8-bit samples, in frame order (the same renderer and libvips give the same). */
  blurredSha256: string;
}

interface Manifest {
  note: string;
  command: string;
  sequences: SequenceRecord[];
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function readFrames(dir: string): Promise<Frame[]> {
  const source = await openImageSequence(dir, { sampleType: 'uint8' });
  return lastValueFrom(from(source.frames()).pipe(toArray()));
}

function folderOf(root: string, r: { set: string; kind: string; id: string }): string {
  return join(root, r.set, r.kind, r.id);
}

/** The rendered sequences of the given sets under root (set/kind/scene_*), as manifest records measured from the files. */
async function measureRendering(root: string, sets: readonly (typeof SETS)[number][]): Promise<SequenceRecord[]> {
  const out: SequenceRecord[] = [];
  for (const set of sets) {
    for (const kind of KINDS) {
      const dir = join(root, set, kind);
      if (!existsSync(dir)) throw new Error(`${dir} is missing: run datasets/build-yardstick.sh`);
      for (const id of readdirSync(dir).filter((n) => n.startsWith('scene_')).sort()) {
        const info = JSON.parse(readFileSync(join(dir, id, 'synthesis.json'), 'utf8')) as Record<string, unknown>;
        const scene = info.scene as Record<string, unknown>;
        const named = { ...scene, photo: basename(String(scene.photo)) } as Record<string, unknown>;
        if (scene.foreground) named.foreground = { ...(scene.foreground as object), photo: basename(String((scene.foreground as { photo: string }).photo)) };
        const [blurred, sharp] = await Promise.all([readFrames(join(dir, id, 'blur')), readFrames(join(dir, id, 'sharp'))]);
        const hash = createHash('sha256');
        for (const f of blurred) hash.update(f.data as Uint8Array);
        out.push({
          set, kind, id, frames: blurred.length, width: blurred[0]!.width, height: blurred[0]!.height, scene: named,
          seed: Number(info.seed), blurredDb: mean(blurred.map((b, k) => psnr(b, sharp[k]!))), blurredSha256: hash.digest('hex'),
        });
      }
    }
  }
  return out;
}

interface SequenceResult {
  set: string;
  kind: string;
  id: string;
  /** With `--input sharp`: the sharp frames' PSNR against themselves is infinite, so it is left out, and the gain. */
  blurredDb?: number;
  /** PSNR(output, sharp): with `--input sharp`, how much of its sharp input the model keeps. */
  restoredDb: number;
  gainDb?: number;
  /**
   * Median ms between restored frames after the first. The frames are all at hand, so deblur() computes their motion
   * maps as they arrive, ahead of the network: this is the network, statistics and clamp per frame, not the whole
   * per-frame cost (bench/deblur.ts measures that, with a paced source).
   */
  msPerFrame: number;
}

interface ModelResult {
  model: string;
  /** Which frames went in: the blurred ones (the default) or the sharp ones (`--input sharp`). */
  input: Input;
  /** deblur()'s clampRadius when given (undefined: the model card's, else deblur()'s default). */
  clampRadius?: number;
  sequences: SequenceResult[];
  /** Mean gain per kind and over all sequences (with `--input sharp`: mean PSNR(output, input)). */
  meanGainDb: Record<string, number>;
  /** The lowest sequence's gain (with `--input sharp`: its PSNR(output, input)). */
  minGainDb: number;
  msPerFrameMedian: number;
}

/** The frames a model is given: the blurred ones, or (`--input sharp`) the sharp ones under the same motion. */
type Input = 'blur' | 'sharp';

async function measureModel(model: string, root: string, records: SequenceRecord[], input: Input, clampRadius?: number): Promise<ModelResult> {
  const sequences: SequenceResult[] = [];
  const times: number[] = [];
  for (const r of records) {
    const dir = folderOf(root, r);
    const [blurred, sharp] = await Promise.all([readFrames(join(dir, 'blur')), readFrames(join(dir, 'sharp'))]);
    const stamps: number[] = [];
    let last = performance.now();
    const restored = await lastValueFrom(
      from(input === 'sharp' ? sharp : blurred).pipe(
        deblur({ model, ...(clampRadius !== undefined ? { clampRadius } : {}) }),
        tap(() => {
          const now = performance.now();
          stamps.push(now - last);
          last = now;
        }),
        toArray(),
      ),
    );
    const steady = stamps.slice(1);
    times.push(...steady);
    // With sharp input an output can equal its input: keptDb counts that frame as 100 dB, not Infinity.
    const restoredDb = mean(restored.map((o, k) => (input === 'sharp' ? keptDb(o, sharp[k]!) : psnr(o, sharp[k]!))));
    const label = `  ${model}${clampRadius !== undefined ? ` (clamp ${clampRadius})` : ''} ${r.set}/${r.kind}/${r.id}`;
    if (input === 'sharp') {
      sequences.push({ set: r.set, kind: r.kind, id: r.id, restoredDb, msPerFrame: median(steady) });
      process.stderr.write(`${label}: sharp input kept at ${restoredDb.toFixed(2)} dB\n`);
    } else {
      const blurredDb = mean(blurred.map((b, k) => psnr(b, sharp[k]!)));
      sequences.push({ set: r.set, kind: r.kind, id: r.id, blurredDb, restoredDb, gainDb: restoredDb - blurredDb, msPerFrame: median(steady) });
      process.stderr.write(`${label}: ${blurredDb.toFixed(2)} -> ${restoredDb.toFixed(2)} dB (${(restoredDb - blurredDb >= 0 ? '+' : '') + (restoredDb - blurredDb).toFixed(3)})\n`);
    }
  }
  // What each sequence scores: its gain, or with sharp input the PSNR its output keeps.
  const score = (q: SequenceResult): number => (input === 'sharp' ? q.restoredDb : q.gainDb!);
  const meanGainDb: Record<string, number> = {};
  for (const kind of KINDS) {
    const of = sequences.filter((q) => q.kind === kind);
    if (of.length > 0) meanGainDb[kind] = mean(of.map(score));
  }
  meanGainDb.all = mean(sequences.map(score));
  return { model, input, ...(clampRadius !== undefined ? { clampRadius } : {}), sequences, meanGainDb, minGainDb: Math.min(...sequences.map(score)), msPerFrameMedian: median(times) };
}

const USAGE = 'node dist/bench/yardstick.js [models...] [--set test|val|lines] [--input blur|sharp] [--clamp-radius R[,R...]] [--root .yardstick] [--out FILE] | --write-manifest [--set NEW]';

async function main(): Promise<void> {
  // Strict: an unknown option (a mistyped flag, or --help) is refused rather than taken for a run that writes results.
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { root: { type: 'string' }, set: { type: 'string' }, input: { type: 'string' }, out: { type: 'string' }, 'clamp-radius': { type: 'string' }, 'write-manifest': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(`usage: ${USAGE}`);
    return;
  }
  const root = values.root ?? join(ROOT, '.yardstick');
  const set = (values.set ?? 'test') as (typeof SETS)[number];
  if (!(SETS as readonly string[]).includes(set)) throw new Error(`Expected --set ${SETS.join(', ')} but received ${set}`);
  const input = (values.input ?? 'blur') as Input;
  if (input !== 'blur' && input !== 'sharp') throw new Error(`Expected --input blur or sharp but received ${values.input}`);
  const outArg = values.out;
  const clampArg = values['clamp-radius'];
  const radii = clampArg === undefined ? [undefined] : clampArg.split(',').map((v) => {
    const r = Number(v);
    if (!Number.isInteger(r) || r < 0) throw new Error(`Expected --clamp-radius as whole numbers >= 0 (e.g. 0,3) but received ${clampArg}`);
    return r;
  });
  const writeManifest = values['write-manifest'] === true;
  const models = positionals;

  if (writeManifest) {
    // Frozen: a new manifest holds every set; an existing one only gains a set it does not hold yet (--set NEW), and
    // no record already in it changes.
    const existing = existsSync(MANIFEST) ? (JSON.parse(readFileSync(MANIFEST, 'utf8')) as Manifest) : undefined;
    if (existing && (values.set === undefined || existing.sequences.some((r) => r.set === set))) {
      throw new Error(`${MANIFEST} exists: the yardstick is frozen (add a set it lacks with --write-manifest --set NAME; remove the file by hand only to make a new one, and say so)`);
    }
    const added = await measureRendering(root, existing ? [set] : SETS);
    const manifest: Manifest = existing ? { ...existing, sequences: [...existing.sequences, ...added] } : {
      note: 'The frozen yardstick of the deblurring model: 640x480 exact-blur sequences of photos no training set uses. Test set: measure, never choose. Validation set: choose.',
      command: 'npm run build && datasets/build-yardstick.sh && node dist/bench/yardstick.js --write-manifest',
      sequences: added,
    };
    mkdirSync(dirname(MANIFEST), { recursive: true });
    writeFileSync(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
    console.log(`wrote ${MANIFEST}: ${added.length} sequences${existing ? ` added (set ${set})` : ''}`);
    return;
  }
  const manifest = JSON.parse(readFileSync(MANIFEST, 'utf8')) as Manifest;
  if (!manifest.sequences.some((r) => r.set === set)) throw new Error(`${MANIFEST} holds no ${set} set: render it (datasets/build-yardstick.sh) and freeze it (--write-manifest --set ${set})`);
  // Only the measured set is checked against the manifest: the others need not be rendered.
  const rendered = await measureRendering(root, [set]);
  for (const want of manifest.sequences.filter((r) => r.set === set)) {
    const got = rendered.find((r) => r.set === want.set && r.kind === want.kind && r.id === want.id);
    if (!got) throw new Error(`${folderOf(root, want)} is missing: run datasets/build-yardstick.sh`);
    if (Math.abs(got.blurredDb - want.blurredDb) > TOLERANCE_DB || got.frames !== want.frames) {
      throw new Error(`${folderOf(root, want)} differs from the frozen yardstick (blurred ${got.blurredDb.toFixed(4)} dB, ${got.frames} frames; manifest ${want.blurredDb.toFixed(4)} dB, ${want.frames} frames): rebuild it with datasets/build-yardstick.sh from a clean folder`);
    }
    if (got.blurredSha256 !== want.blurredSha256) console.warn(`note: ${want.set}/${want.kind}/${want.id}: same PSNR, different samples (another libvips or Node?)`);
  }
  const records = manifest.sequences.filter((r) => r.set === set);
  const chosen = models.length > 0 ? models : [DEFAULT_DEBLUR_MODEL, 'edvr-s'];
  const results: ModelResult[] = [];
  for (const model of chosen) for (const r of radii) results.push(await measureModel(model, root, records, input, r));

  const sharpInput = input === 'sharp';
  const f = (x: number) => (sharpInput ? x.toFixed(2) : `${x >= 0 ? '+' : ''}${x.toFixed(3)}`);
  const what = sharpInput ? 'the sharp frames as input (PSNR of the output against them)' : `blurred input ${mean(records.map((r) => r.blurredDb)).toFixed(2)} dB on average`;
  console.log(`yardstick ${set}: ${records.length} sequences of ${records[0]!.frames} frames at ${records[0]!.width}x${records[0]!.height}; ${what}`);
  console.log(sharpInput ? '| model | camera: sharp kept (dB) | local: sharp kept (dB) | mean (dB) | lowest sequence (dB) | ms per frame without the motion map (median) |' : '| model | camera gain (dB) | local gain (dB) | mean gain (dB) | worst sequence (dB) | ms per frame without the motion map (median) |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(`| ${r.model}${r.clampRadius !== undefined ? ` (clamp ${r.clampRadius})` : ''} | ${f(r.meanGainDb.camera ?? NaN)} | ${f(r.meanGainDb.local ?? NaN)} | ${f(r.meanGainDb.all!)} | ${f(r.minGainDb)} | ${r.msPerFrameMedian.toFixed(0)} |`);
  }
  const out = outArg ?? join('bench', 'results', `yardstick-${set}${sharpInput ? '-sharp' : ''}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ benchmark: 'yardstick', set, input, date: new Date().toISOString(), command: `node dist/bench/yardstick.js ${process.argv.slice(2).join(' ')}`.trim(), results }, null, 2)}\n`);
  console.log(`wrote ${out}`);
}

// A refused input (a set the manifest lacks, a frozen manifest, a rendering that drifted) is a message, not a stack.
await main().catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
});
