/**
 * The blur gate (src/deblur/gate.ts) measured: the deblurring time it saves and what it does to the hand-pose
 * metrics, gate off against gate on, with the shipped default model.
 *
 * 1. The demo's evaluations (`promotion eval`, as `promotion demo` runs them) on the easy sample
 *    (datasets/fpha-sample) and the hard one (datasets/fpha-hard), once without and once with `--gate`, in one work
 *    folder per sample: synthesis and the sharp/blurred poses are made once and reused, so the two runs differ in
 *    deblurring (and the deblurred poses) alone. Recorded: the deblur stage's wall time, and the summary rows,
 *    recovered shares and detection/RMSE intervals of both.
 * 2. A mostly sharp video: the easy sample's first sequence (320x240) held still for `--still` frames (the first
 *    frame repeated: a still camera on a still scene), then its 24 moving frames; `deblur()` over it with the gate
 *    off and on. Recorded: the time per frame, the network calls, the frames let through, and the PSNR of the output
 *    against the input on the still frames (Infinity: untouched).
 *
 *   npm run build && node dist/bench/gate.js [--model promotion-c] [--work runs/bench-gate] [--still 72]
 *     [--samples easy,hard] [--out bench/results/gate.json]
 *
 * Timings depend on the machine's load, recorded beside them (loadavg).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { from, lastValueFrom, toArray } from 'rxjs';
import { deblur, type DeblurFrameInfo } from '../src/deblur/deblur.js';
import { DEFAULT_DEBLUR_MODEL } from '../src/deblur/model-card.js';
import { loadDeblurModel } from '../src/deblur/onnx-session.js';
import { evaluate } from '../src/eval/evaluate.js';
import { reportGainSpread } from '../src/eval/gain-spreads.js';
import type { EvalReport } from '../src/eval/report-schema.js';
import { psnr } from '../src/metrics/psnr.js';
import { openFphaSequence } from '../src/stream/fpha-source.js';
import type { Frame } from '../src/stream/frame.js';
import { packageRoot } from '../src/util/package-root.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: DEFAULT_DEBLUR_MODEL },
    work: { type: 'string', default: 'runs/bench-gate' },
    still: { type: 'string', default: '72' },
    samples: { type: 'string', default: 'easy,hard' },
    out: { type: 'string', default: join(packageRoot(), 'bench', 'results', 'gate.json') },
  },
});
const model = values.model!;
const samples = values.samples!.split(',').filter(Boolean);
const folders: Record<string, string> = { easy: 'fpha-sample', hard: 'fpha-hard' };
const round = (v: number | null, d = 4) => (v === null ? null : Number(v.toFixed(d)));

function pose(report: EvalReport) {
  const row = (name: 'rmse' | 'detectionRate' | 'psnr') => {
    const r = report.summary[name];
    const spread = reportGainSpread(report, name);
    return { blurred: round(r.blurred), deblurred: round(r.deblurred), sharp: round(r.sharp), gain: round(r.gain), interval95: spread ? spread.interval95.map((v) => round(v)) : null, frames: r.frames };
  };
  return { psnr: row('psnr'), rmse: row('rmse'), detectionRate: row('detectionRate'), recovered: report.recovered, deblurStageMs: report.timing.stages.deblur ?? null };
}

const evaluations: Record<string, unknown> = {};
for (const sample of samples) {
  const input = join(packageRoot(), 'datasets', folders[sample] ?? sample);
  const work = join(values.work!, sample, 'work');
  const runs: Record<string, unknown> = {};
  for (const gate of [false, true]) {
    const report = await evaluate({ inputs: [input], report: join(values.work!, sample, gate ? 'report-gate' : 'report'), work, overwrite: true, deblur: { model, ...(gate ? { gate: true } : {}) }, onNotice: () => undefined });
    runs[gate ? 'gateOn' : 'gateOff'] = pose(report);
    const p = runs[gate ? 'gateOn' : 'gateOff'] as ReturnType<typeof pose>;
    console.log(`${sample} gate ${gate ? 'on ' : 'off'}: deblur stage ${(p.deblurStageMs! / 1000).toFixed(1)} s; detection ${p.detectionRate.blurred} -> ${p.detectionRate.deblurred} (sharp ${p.detectionRate.sharp}), gain ${p.detectionRate.gain} ${JSON.stringify(p.detectionRate.interval95)}; RMSE ${p.rmse.blurred} -> ${p.rmse.deblurred} (sharp ${p.rmse.sharp}), gain ${p.rmse.gain} ${JSON.stringify(p.rmse.interval95)}; recovered detection ${JSON.stringify(p.recovered.detectionRate.share)}, RMSE ${JSON.stringify(p.recovered.rmse.share)}`);
  }
  evaluations[sample] = runs;
}

// A mostly sharp video: still frames, then the easy sample's first moving sequence.
const source = await openFphaSequence(join(packageRoot(), 'datasets', 'fpha-sample', 'Video_files', 'Subject_1', 'camera_shake', '1'));
const moving: Frame[] = [];
for await (const f of source.frames()) moving.push({ ...f });
const still = Number(values.still);
const video: Frame[] = [...Array.from({ length: still }, () => moving[0]!), ...moving].map((f, k) => ({ ...f, index: k, timestampMs: (k * 1000) / 30 }));
const mostlySharp: Record<string, unknown> = {};
const session = await loadDeblurModel({ model });
try {
  for (const gate of [false, true]) {
    const infos: DeblurFrameInfo[] = [];
    const t0 = performance.now();
    const out = await lastValueFrom(from(video).pipe(deblur({ model: session, ...(gate ? { gate: true } : {}), onFrameInfo: (i) => infos.push(i) }), toArray()));
    const ms = performance.now() - t0;
    const stillPsnr = out.slice(0, still).map((f, k) => psnr(f, video[k]!));
    const finite = stillPsnr.filter(Number.isFinite);
    const entry = {
      frames: video.length,
      stillFrames: still,
      msPerFrame: round(ms / video.length, 1),
      networkCalls: infos.reduce((a, i) => a + i.networkCalls, 0),
      passedThrough: { still: infos.filter((i) => i.gated === 'still').length, sharp: infos.filter((i) => i.gated === 'sharp').length },
      stillFramesUntouched: stillPsnr.filter((v) => v === Infinity).length,
      stillFramesMeanPsnrDb: finite.length ? round(finite.reduce((a, b) => a + b, 0) / finite.length, 2) : 'all untouched',
    };
    mostlySharp[gate ? 'gateOn' : 'gateOff'] = entry;
    console.log(`mostly sharp video (${video.length} frames, ${still} still) gate ${gate ? 'on ' : 'off'}: ${entry.msPerFrame} ms/frame, ${entry.networkCalls} network calls, passed through ${JSON.stringify(entry.passedThrough)}, still frames untouched ${entry.stillFramesUntouched}/${still}`);
  }
} finally {
  await session.close();
}

const result = {
  command: `node dist/bench/gate.js --model ${model} --still ${still} --samples ${samples.join(',')}`,
  createdAt: new Date().toISOString(),
  machine: { cpus: cpus().length, loadavg: loadavg().map((v) => round(v, 2)) },
  model,
  evaluations,
  mostlySharp,
};
mkdirSync(dirname(values.out!), { recursive: true });
writeFileSync(values.out!, `${JSON.stringify(result, null, 2)}\n`);
console.log(`Wrote ${values.out}`);
