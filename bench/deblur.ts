/**
 * Deblurring speed and memory on the CPU: milliseconds per frame and peak RSS of `deblur()` at 640x480, 1280x720 and
 * 1920x1080, full frame and hand ROI, 1 and 2 ONNX Runtime threads, for the PROMOTION model and the same-size EDVR
 * baseline in the same run.
 *
 * Input: a seeded textured background panning 4 px per frame with a real hand photo (test/fixtures/hands/nocurl.jpg,
 * 200 px tall, about 256x256 once the ROI margin is added) moving 6 px per frame across it; `unique` distinct
 * frames replayed with increasing indices. Each configuration runs in its own process (peak RSS is per process),
 * one after the other. ms/frame is the median time between consecutive outputs after the warm-up outputs: for
 * full frames it includes the whole-frame motion map (two DIS flows per frame), the statistics and the network;
 * `restore ms` is the part `deblur()` reports as restoration (tensors, network calls, blending), `model calls ms` the
 * model's calls alone (the network and what the model computes for it, such as contract version 4's prior maps; the
 * loaded model is handed to deblur() with each call timed), and `motion map ms` the two flows of a whole-frame motion
 * map with the card's flow options, timed apart. With the network on the JavaScript thread (`--worker
 * false`), onnxruntime-node's run blocks it, so the motion map does not overlap the network and ms/frame is about
 * their sum plus the rest; in a worker thread (`--worker true`) the next frame's motion map runs beside the network. Hand ROI is
 * `roi: { kind: 'hands' }` (MediaPipe lite, VIDEO mode, tracked) with `motionScope: 'regions'`, hand detection
 * included in the time. Given region (`--modes region`) is the 256x256 hand region alone: `roi: { kind: 'boxes' }`
 * with a 256x256 box on the hand photo in each frame (as a caller with a tracker of its own, e.g. the hand-pose
 * estimator it runs on the output anyway, would pass it), `motionScope: 'regions'`: what deblurring a hand region
 * costs, without detection. A card with deconvolution steps runs both with `motionScope: 'frame'` (its steps follow
 * the whole frame's flow; deblur() refuses 'regions' for it).
 *
 * Export forms of the same weights: `--variants a.onnx,b.onnx` adds exports of the PROMOTION model in other forms
 * (one graph or two parts, contract versions 1 and 2; native DeformConv or grid_sample deformable convolutions), each
 * timed right after `--model` in the same configurations; the `graph` column says which form a row is (from its
 * card). With `--reference path` (one of them) the `speed-up` column gives the reference's ms/frame over each row's,
 * in the same configuration.
 *
 *   npm run build && npm run bench:deblur -- [--model models/promotion-s.onnx] [--baseline models/edvr-s.onnx]
 *     [--variants a.onnx,b.onnx] [--reference a.onnx]
 *     [--sizes 640x480,1280x720,1920x1080] [--threads 1,2] [--modes full,roi,region] [--frames 6] [--warmup 2]
 *     [--tile px (default: each model's card, else 512)]
 *     [--clamp-radius R (default: each model's card's clampRadius, else 3, as deblur() runs it; a list, e.g. 0,3:
 *      every model at each radius, each timed right after the other)]
 *     [--worker false (a list, e.g. false,true: the network in a worker thread, or on the JavaScript thread, each
 *      timed right after the other)]
 *     [--out bench/results/deblur.json]
 *
 * A model given as '' is left out (e.g. --baseline '' when no baseline is at hand). After the table, each 640x480 full
 * frame and region is judged against the campaign's targets (bench/targets.ts): met, or missed by how much, with what
 * the frame's time was made of and how much faster the network alone would have to be.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { lastValueFrom, tap } from 'rxjs';
import { deblur, type DeblurFrameInfo, DEFAULT_CLAMP_RADIUS } from '../src/deblur/deblur.js';
import { readModelCard, resolveModelFiles } from '../src/deblur/model-card.js';
import type { DeblurModel } from '../src/deblur/model.js';
import { loadDeblurModel } from '../src/deblur/onnx-session.js';
import type { DisOptions } from '../src/flow/dis.js';
import { disFlow } from '../src/flow/dis.js';
import { toGrey } from '../src/flow/field.js';
import { MOTION_MAP_FLOW } from '../src/flow/motion-map.js';
import type { Frame } from '../src/stream/frame.js';
import { pipeSource } from '../src/stream/pipe-source.js';
import { packageRoot } from '../src/util/package-root.js';
import { HAND_HEIGHT, makeFrames, REGION } from './pan-frames.js';
import { TARGET_FULL_MS, TARGET_REGION_MS, targetVerdicts } from './targets.js';

interface Config {
  readonly model: string;
  readonly role: 'promotion' | 'baseline';
  /**
   * The export's form, from its card: 'single' (one graph, contract version 1) or 'two-part' (features per frame,
   * reused: version 2), and 'native DCN' (DeformConv nodes, opset 19) or 'grid DCN' (grid_sample, opset 16).
   */
  readonly graph: string;
  readonly width: number;
  readonly height: number;
  /** 'full': the whole frame; 'roi': hand boxes found by MediaPipe (detection timed too); 'region': a 256x256 box
   * on the hand given by the caller (`roi: { kind: 'boxes' }`, as from a tracker of one's own): deblurring alone. */
  readonly mode: 'full' | 'roi' | 'region';
  readonly threads: number;
  readonly frames: number;
  readonly warmup: number;
  /** deblur()'s tileSize; undefined: the model card's (else the runtime's default). */
  readonly tileSize: number | undefined;
  /** The clamp radius (the clamp to the input's local range; 0: off): the one given, else the card's (for the table). */
  readonly clampRadius: number;
  /**
   * Whether `--clamp-radius` gave it: only then is it passed to deblur(), since a radius given holds everywhere and
   * turns a card's motion-following clamp (`clampMotion`) off. Not given, deblur() runs the card's clamp, as the CLI does.
   */
  readonly clampGiven: boolean;
  /** deblur()'s `worker`: the network in a worker thread (true) or on the JavaScript thread. */
  readonly worker: boolean;
}

interface Result {
  readonly config: Config;
  readonly modelName: string;
  readonly executionProvider: string;
  readonly msPerFrame: number;
  readonly p90MsPerFrame: number;
  /** Time `deblur()` reports per frame as restoration (tensors, network calls, blending; ROI: regions' motion maps). */
  readonly restoreMsPerFrame: number;
  /** Full frame: the whole-frame motion map alone (two DIS flows with the card's flow options), measured apart. */
  readonly motionMapMs: number | undefined;
  /** The model's calls per frame (the network and what its adapter computes for it: tensors, contract 4's prior maps), median. */
  readonly modelMsPerFrame: number;
  readonly networkCallsPerFrame: number;
  /** Feature-graph runs per frame (two-part models; 0 for single graphs). */
  readonly featureCallsPerFrame: number;
  readonly restoredAreaPerFrame: number;
  readonly peakRssMiB: number;
  readonly rssBeforeMiB: number;
  readonly framesTimed: number;
}

const MODE_LABEL = { full: 'full frame', roi: 'hand ROI (detection included)', region: 'given 256x256 region' } as const;
const UNIQUE_FRAMES = 8;

const OPTIONS = ['model', 'baseline', 'variants', 'reference', 'sizes', 'threads', 'modes', 'frames', 'warmup', 'tile', 'clamp-radius', 'worker', 'out'] as const;
const USAGE =
  'node dist/bench/deblur.js [--model A.onnx] [--baseline B.onnx] [--variants a.onnx,b.onnx] [--reference a.onnx] [--sizes 640x480,...] ' +
  '[--threads 1,2] [--modes full,roi,region] [--frames 6] [--warmup 2] [--tile px] [--clamp-radius R[,R...]] [--worker false,true] [--out FILE]';
let given: Partial<Record<(typeof OPTIONS)[number], string>> = {};

function arg(name: (typeof OPTIONS)[number], fallback: string): string {
  return given[name] ?? fallback;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;

/** Median time of the two DIS flows one frame's motion map needs (F(t->t+1) and F(t+1->t)), with `flow`'s options (the card's). */
function motionMapMs(a: Frame, b: Frame, flow: DisOptions): number {
  const ga = toGrey(a);
  const gb = toGrey(b);
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    disFlow(ga, gb, flow);
    disFlow(gb, ga, flow);
    times.push(performance.now() - t0);
  }
  return median(times);
}

/** Runs one configuration in this process and prints its result as JSON. */
async function child(config: Config): Promise<void> {
  const total = config.warmup + config.frames;
  const { frames: unique, boxes } = await makeFrames(config.width, config.height, Math.min(total, UNIQUE_FRAMES));
  // Replay the distinct frames back and forth with increasing indices, so motion stays continuous.
  const period = Math.max(1, 2 * (unique.length - 1));
  const uniqueAt = (k: number) => {
    const i = k % period;
    return i < unique.length ? i : period - i;
  };
  const frames: Frame[] = Array.from({ length: total }, (_, k) => ({ ...unique[uniqueAt(k)]!, index: k, timestampMs: (k * 1000) / 30 }));
  const card = readModelCard(resolveModelFiles(config.model).cardPath);
  // Regions' own flows, except for a card with deconvolution steps: they follow the whole frame's flow.
  const motionScope = (card.deconvolve ?? 0) > 0 ? ('frame' as const) : ('regions' as const);
  const rssBefore = process.memoryUsage().rss;
  const infos: DeblurFrameInfo[] = [];
  const outputTimes: number[] = [];
  // The model's calls timed: deblur() gets the loaded model through a factory (so it owns and closes it), each call
  // wrapped. Per frame: the calls' time since the last frame's info.
  let modelMs = 0;
  let reported = 0;
  const modelMsPerFrame: number[] = [];
  const timedCall =
    <A extends unknown[], R>(f: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      const t0 = performance.now();
      try {
        return await f(...a);
      } finally {
        modelMs += performance.now() - t0;
      }
    };
  const model = async (): Promise<DeblurModel> => {
    const loaded = await loadDeblurModel({ model: config.model, threads: config.threads, worker: config.worker });
    return new Proxy(loaded, {
      get(target, key) {
        const value: unknown = Reflect.get(target, key, target);
        if (key === 'run') return timedCall(target.run.bind(target));
        if (key === 'parts' && target.parts) return { extractFeatures: timedCall(target.parts.extractFeatures), restore: timedCall(target.parts.restore) };
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  };
  async function* source() {
    yield* frames;
  }
  // Pulled as a decoder would be, with the least high-water mark deblur needs (look-ahead 3): in the steady state one
  // frame enters per output, so the time between outputs holds one frame's motion map, statistics and network.
  await lastValueFrom(
    pipeSource(
      source(),
      deblur({
        model,
        ...(config.tileSize !== undefined ? { tileSize: config.tileSize } : {}),
        ...(config.clampGiven ? { clampRadius: config.clampRadius } : {}),
        onFrameInfo: (info) => {
          infos.push(info);
          modelMsPerFrame.push(modelMs - reported);
          reported = modelMs;
        },
        ...(config.mode === 'roi' ? { roi: { kind: 'hands' as const, numHands: 1 }, motionScope } : {}),
        ...(config.mode === 'region' ? { roi: { kind: 'boxes' as const, boxes: (f: Frame) => [boxes[uniqueAt(f.index)]!] }, motionScope } : {}),
      }),
      { highWaterMark: 4, stallTimeoutMs: Number.POSITIVE_INFINITY },
    ).pipe(tap(() => outputTimes.push(performance.now()))),
  );
  const intervals = outputTimes.slice(config.warmup).map((t, i) => t - outputTimes[config.warmup + i - 1]!).filter((x) => Number.isFinite(x));
  const timed = infos.slice(config.warmup);
  const result: Result = {
    config,
    modelName: card.name,
    executionProvider: 'cpu',
    msPerFrame: median(intervals),
    p90MsPerFrame: quantile(intervals, 0.9),
    restoreMsPerFrame: median(timed.map((i) => i.restoreMs)),
    motionMapMs: config.mode === 'full' ? motionMapMs(unique[0]!, unique[1] ?? unique[0]!, card.motionFlow ?? MOTION_MAP_FLOW) : undefined,
    modelMsPerFrame: median(modelMsPerFrame.slice(config.warmup)),
    networkCallsPerFrame: timed.reduce((a, i) => a + i.networkCalls, 0) / timed.length,
    featureCallsPerFrame: timed.reduce((a, i) => a + i.featureCalls, 0) / timed.length,
    restoredAreaPerFrame: timed.reduce((a, i) => a + i.regions.reduce((s, r) => s + r.width * r.height, 0), 0) / timed.length,
    peakRssMiB: (process.resourceUsage().maxRSS * 1024) / 2 ** 20,
    rssBeforeMiB: rssBefore / 2 ** 20,
    framesTimed: intervals.length,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function main(): Promise<void> {
  // Strict: an unknown option (a mistyped flag, or --help) is refused rather than taken for a run that overwrites results.
  const { values } = parseArgs({ options: { ...Object.fromEntries(OPTIONS.map((o) => [o, { type: 'string' as const }])), help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    console.log(`usage: ${USAGE}`);
    return;
  }
  given = values as typeof given;
  const root = packageRoot();
  const model = arg('model', join(root, 'models', 'promotion-s.onnx'));
  const baseline = arg('baseline', join(root, 'models', 'edvr-s.onnx'));
  const variants = arg('variants', '').split(',').filter((v) => v !== '');
  const reference = arg('reference', '');
  const sizes = arg('sizes', '640x480,1280x720,1920x1080').split(',').map((s) => s.split('x').map(Number) as [number, number]);
  const threads = arg('threads', '1,2').split(',').map(Number);
  const modes = arg('modes', 'full,roi').split(',') as Config['mode'][];
  const unknownMode = modes.find((m) => !['full', 'roi', 'region'].includes(m));
  if (unknownMode !== undefined) throw new Error(`Expected --modes from full, roi, region but received ${unknownMode}.`);
  const frames = Number(arg('frames', '6'));
  const warmup = Number(arg('warmup', '2'));
  // Default: each model's own tile (its card's tileSize, else DEFAULT_TILE_SIZE), as deblur() and the CLI run it.
  const tileArg = arg('tile', '');
  const tileSize = tileArg === '' ? undefined : Number(tileArg);
  // Default: each model's own clamp (its card's clampRadius, else DEFAULT_CLAMP_RADIUS), as deblur() and the CLI run it.
  const clampArg = arg('clamp-radius', '');
  const clampRadii = clampArg === '' ? undefined : clampArg.split(',').map(Number);
  const workers = arg('worker', 'false').split(',').map((w) => {
    if (w !== 'true' && w !== 'false') throw new Error(`Expected --worker true, false or true,false but received ${w}.`);
    return w === 'true';
  });
  const out = arg('out', join('bench', 'results', 'deblur.json'));
  const models = [
    { path: model, role: 'promotion' as const, option: 'model' },
    ...variants.map((path) => ({ path, role: 'promotion' as const, option: 'variants' })),
    { path: baseline, role: 'baseline' as const, option: 'baseline' },
  ]
    .filter((m) => m.path !== '')
    .map((m) => {
      if (!existsSync(m.path)) throw new Error(`${m.path} does not exist: pass --${m.option} <path to .onnx> (or '' to leave it out).`);
      const card = readModelCard(resolveModelFiles(m.path).cardPath);
      const opset = Number((card.raw.format as { onnx?: { opset?: unknown } } | undefined)?.onnx?.opset ?? 0);
      const graph = `${card.features === undefined ? 'single' : 'two-part'}, ${opset >= 19 ? 'native' : 'grid'} DCN`;
      return { ...m, graph, clampRadius: card.clampRadius ?? DEFAULT_CLAMP_RADIUS };
    });
  if (reference !== '' && !models.some((m) => m.path === reference)) throw new Error(`--reference ${reference} is not one of --model, --variants, --baseline.`);
  if (warmup < 1 || frames < 2) throw new Error('Expected --warmup >= 1 and --frames >= 2 (ms/frame is measured between outputs).');

  const load = loadavg();
  console.log(`CPU: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}; load average ${load.map((l) => l.toFixed(2)).join(' ')}; ${frames} timed frames after ${warmup} warm-up`);
  const self = fileURLToPath(import.meta.url);
  const results: Result[] = [];
  for (const [width, height] of sizes) {
    for (const mode of modes) {
      for (const t of threads) {
        for (const m of models) {
          for (const [clampRadius, worker] of (clampRadii ?? [m.clampRadius]).flatMap((r) => workers.map((w) => [r, w] as const))) {
            const config: Config = { model: m.path, role: m.role, graph: m.graph, width, height, mode, threads: t, frames, warmup, tileSize, clampRadius, clampGiven: clampRadii !== undefined, worker };
            const stdout = execFileSync(process.execPath, [self, '--child', JSON.stringify(config)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
            const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as Result;
            results.push(result);
            console.log(`${result.modelName} (${m.graph}) ${width}x${height} ${mode} ${t} thread(s), clamp ${clampRadius}, ${worker ? 'worker' : 'caller'} thread: ${result.msPerFrame.toFixed(0)} ms/frame, peak RSS ${result.peakRssMiB.toFixed(0)} MiB`);
          }
        }
      }
    }
  }

  const f0 = (x: number) => x.toFixed(0);
  // The reference export's time in the same configuration over this row's.
  const speedUp = (r: Result) => {
    const c = r.config;
    const ref = results.find((o) => o.config.model === reference && o.config.width === c.width && o.config.height === c.height && o.config.mode === c.mode && o.config.threads === c.threads && (clampRadii === undefined || o.config.clampRadius === c.clampRadius) && o.config.worker === c.worker);
    return reference !== '' && ref ? `${(ref.msPerFrame / r.msPerFrame).toFixed(2)}x` : '';
  };
  const table = [
    '| model | graph | size | mode | threads | clamp | network on | ms/frame (median) | frames/s | speed-up | restore ms | model calls ms | motion map ms | network calls/frame | feature runs/frame | restored px/frame | peak RSS (MiB) |',
    '|---|---|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map((r) => {
      const c = r.config;
      return `| ${r.modelName} | ${c.graph} | ${c.width}x${c.height} | ${MODE_LABEL[c.mode]} | ${c.threads} | ${c.clampRadius} | ${c.worker === false ? 'JS thread' : 'worker'} | ${f0(r.msPerFrame)} | ${(1000 / r.msPerFrame).toFixed(2)} | ${speedUp(r)} | ${f0(r.restoreMsPerFrame)} | ${f0(r.modelMsPerFrame)} | ${r.motionMapMs === undefined ? 'in restore' : f0(r.motionMapMs)} | ${r.networkCallsPerFrame.toFixed(1)} | ${r.featureCallsPerFrame.toFixed(1)} | ${f0(r.restoredAreaPerFrame)} | ${f0(r.peakRssMiB)} |`;
    }),
  ].join('\n');
  console.log(`\n${table}\n`);
  const verdicts = targetVerdicts(results.map((r) => ({ ...r.config, modelName: r.modelName, label: MODE_LABEL[r.config.mode], msPerFrame: r.msPerFrame, modelMsPerFrame: r.modelMsPerFrame, motionMapMs: r.motionMapMs })));
  if (verdicts.length > 0) console.log(`Targets (docs/deblur-model.md): a 640x480 full frame in at most ${TARGET_FULL_MS} ms, a 256x256 region at ${1000 / TARGET_REGION_MS} fps or more.\n${verdicts.map((v) => `- ${v}`).join('\n')}\n`);
  mkdirSync(dirname(out), { recursive: true });
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        benchmark: 'deblur',
        date: new Date().toISOString(),
        commit,
        machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, loadAverageAtStart: load, loadAverageAtEnd: loadavg() },
        parameters: { frames, warmup, tileSize, clampRadii: clampRadii ?? "each model's card, else 3", reference, uniqueFrames: UNIQUE_FRAMES, handHeightPx: HAND_HEIGHT, roi: "{ kind: 'hands', numHands: 1 }, motionScope 'regions' ('frame' for a card with deconvolution steps)", region: `{ kind: 'boxes' }, ${REGION}x${REGION} on the hand, motionScope 'regions' ('frame' for a card with deconvolution steps)` },
        targets: { fullFrameMs: TARGET_FULL_MS, regionMs: TARGET_REGION_MS, verdicts },
        results,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`Wrote ${out}`);
}

const childAt = process.argv.indexOf('--child');
if (childAt >= 0) await child(JSON.parse(process.argv[childAt + 1]!) as Config);
else await main();
