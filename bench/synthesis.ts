/**
 * Blur synthesis benchmark: speed per output frame against ffmpeg's REDS-style reference graph (minterpolate to
 * 1920 fps, linear-light averaging of 64 virtual frames), fidelity against the exact render of the same motion,
 * and path integration against explicit virtual frames.
 *
 *   npm run build && node dist/bench/synthesis.js [--sizes 640x480,1280x720] [--ffmpeg-frames 4] [--our-frames 12] [--skip-ffmpeg]
 *     [--speed-only]   (ours against ffmpeg only, into bench/results/synthesis-speed.json)
 *
 * Scenes are rendered from a high-resolution photo (Debian's lomiri-wallpapers-16.04, CC-BY-SA; install with
 * `apt-get install -y lomiri-wallpapers-16.04`), scaled to twice the output size with Lanczos so the exact render
 * has no aliasing. Writes bench/results/synthesis.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { lastValueFrom, from, tap, toArray } from 'rxjs';
import { buildInterval } from '../src/blur-synthesis/exposure-context.js';
import { type ForegroundLayer, renderExact, renderScene, type Scene, trajectoryFromParameters, steadyTrajectory } from '../src/blur-synthesis/exact.js';
import { blurByPathIntegration, blurExplicit, type LinearImage } from '../src/blur-synthesis/integrate.js';
import { synthesizeBlur } from '../src/blur-synthesis/synthesize.js';
import { toGrey } from '../src/flow/field.js';
import { psnr } from '../src/metrics/psnr.js';
import { type Frame, toFloatFrame, toIntegerFrame } from '../src/stream/frame.js';
import { decodeImageFit, encodeImage } from '../src/stream/image-codec.js';
import { openImageSequence } from '../src/stream/image-sequence-source.js';
import { openVideo } from '../src/stream/video-source.js';
import { sourceFrames$ } from '../src/stream/pipe-source.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '640x480,1280x720' },
    'ffmpeg-frames': { type: 'string', default: '4' },
    'our-frames': { type: 'string', default: '12' },
    'skip-ffmpeg': { type: 'boolean', default: false },
    // Speed only (ours against ffmpeg), for a run on a machine kept quiet for it: writes synthesis-speed.json.
    'speed-only': { type: 'boolean', default: false },
    photo: { type: 'string', default: '/usr/share/backgrounds/life_by_Aitzol_Berasategi.jpg' },
    foreground: { type: 'string', default: '/usr/share/backgrounds/Picture_1A_by_freespace.jpg' },
    'flow-finest-level': { type: 'string', default: '1' },
    real: { type: 'string', default: '/usr/share/doc/opencv-doc/examples/data/vtest.avi,/usr/share/doc/opencv-doc/examples/data/tree.avi' },
  },
});
const sizes = values.sizes.split(',').map((s) => s.split('x').map(Number) as [number, number]);
const ffmpegFrames = Number(values['ffmpeg-frames']);
const ourFrames = Number(values['our-frames']);
const flow = { finestLevel: Number(values['flow-finest-level']) };
for (const p of [values.photo, values.foreground]) {
  if (!existsSync(p)) {
    console.error(`Missing ${p}: install the photos with \`apt-get install -y lomiri-wallpapers-16.04\` or pass --photo/--foreground.`);
    process.exit(2);
  }
}


const asFrame = (img: LinearImage, k: number): Frame =>
  toIntegerFrame({ width: img.width, height: img.height, channels: 3, index: k, timestampMs: (k * 1000) / 30, sampleType: 'float32', light: 'linear', data: img.data }, 'uint16');

async function scenesFor(w: number, h: number): Promise<Array<{ name: string; scene: Scene; cropPx: number }>> {
  const photo = toFloatFrame(await decodeImageFit(values.photo, 'uint16', 2 * w, 2 * h), { light: 'linear' });
  const background: LinearImage = { width: photo.width, height: photo.height, data: photo.data };
  const centre = { x: photo.width / 2, y: photo.height / 2 };
  // Foreground: a disc cut from another photo, with a feathered edge, crossing at 20 px per frame.
  const fgSize = Math.round(h / 3);
  const fgPhoto = toFloatFrame(await decodeImageFit(values.foreground, 'uint16', fgSize * 3, fgSize * 3), { light: 'linear' });
  const fgData = new Float32Array(fgSize * fgSize * 3);
  const alpha = new Float32Array(fgSize * fgSize);
  const ox = Math.floor((fgPhoto.width - fgSize) / 2);
  const oy = Math.floor((fgPhoto.height - fgSize) / 2);
  for (let y = 0; y < fgSize; y++) {
    for (let x = 0; x < fgSize; x++) {
      for (let c = 0; c < 3; c++) fgData[3 * (y * fgSize + x) + c] = fgPhoto.data[3 * ((oy + y) * fgPhoto.width + ox + x) + c]!;
      const r = Math.hypot(x - (fgSize - 1) / 2, y - (fgSize - 1) / 2) / (fgSize / 2);
      alpha[y * fgSize + x] = Math.min(1, Math.max(0, (1 - r) * 8));
    }
  }
  const layer: ForegroundLayer = {
    image: { width: fgSize, height: fgSize, data: fgData },
    alpha,
    trajectory: trajectoryFromParameters(steadyTrajectory({ start: { x: w / 2 - 20, y: h / 2 }, velocity: { x: 20, y: 4 } })),
  };
  return [
    { name: 'pan 12 px/frame', scene: { background, width: w, height: h, camera: trajectoryFromParameters(steadyTrajectory({ start: centre, velocity: { x: 12, y: 0 } })) }, cropPx: 12 },
    { name: 'rotation 1 deg/frame + pan 6 px', scene: { background, width: w, height: h, camera: trajectoryFromParameters(steadyTrajectory({ start: centre, velocity: { x: 6, y: 2 }, angularVelocity: Math.PI / 180 })) }, cropPx: 12 },
    { name: 'zoom 1.5 %/frame', scene: { background, width: w, height: h, camera: trajectoryFromParameters(steadyTrajectory({ start: centre, zoomRate: 1.015 })) }, cropPx: 12 },
    { name: 'foreground 20 px/frame over a still background', scene: { background, width: w, height: h, camera: trajectoryFromParameters(steadyTrajectory({ start: centre })), foreground: [layer] }, cropPx: 12 },
  ];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Row {
  size: string;
  scene: string;
  psnrPathVsExactDb: number;
  psnrPathVsExactFullFrameDb: number;
  psnrExplicitVsExactDb: number;
  psnrPathVsExplicitDb: number;
  psnrSharpVsExactBlurDb: number;
  /** Path integration with one sample per 1.5 or 2 px of travel instead of one per px, against the exact render. */
  psnrByMaxStepPx: Record<string, number>;
  flowMsPerFrame: number;
  integrateMsPerFrame: number;
  explicitMsPerFrame: number;
}

const rows: Row[] = [];
const speed: Array<{ size: string; oursMsPerFrame: number; oursTwoThreadsMsPerFrame: number; ffmpegMsPerFrame: number | null; ratio: number | null; ratioTwoThreads: number | null; oursCpuMsPerFrame: number; oursTwoThreadsCpuMsPerFrame: number; ffmpegPsnrVsExactDb: number | null; ffmpegBestOutputIndex: number | null; ffmpegPsnrVsSharpDb: number | null; loadAverageBefore: number[]; loadAverageAfter: number[] }> = [];

for (const [w, h] of sizes) {
  const size = `${w}x${h}`;
  const scenes = await scenesFor(w, h);
  for (const { name, scene, cropPx } of values['speed-only'] ? [] : scenes) {
    const frames = [0, 1, 2].map((k) => renderScene(scene, k));
    const prep = (img: LinearImage) => ({ linear: img, grey: toGrey(asFrame(img, 0)) });
    const t0 = performance.now();
    const before = buildInterval(prep(frames[0]!), prep(frames[1]!), flow);
    const after = buildInterval(prep(frames[1]!), prep(frames[2]!), flow);
    const t1 = performance.now();
    const ctx = { frame: frames[1]!, before, after };
    const path = blurByPathIntegration(ctx, { exposureFrames: 64, ratio: 64 });
    const t2 = performance.now();
    const explicit = blurExplicit(ctx, { exposureFrames: 64, ratio: 64 });
    const t3 = performance.now();
    const exact = renderExact(scene, 1);
    const wrap = (d: Float32Array) => asFrame({ width: w, height: h, data: d }, 1);
    // The cheaper path that was tried: fewer samples per pixel of travel (one per 1.5 or 2 px instead of one per px).
    const psnrByMaxStepPx = Object.fromEntries([1.5, 2].map((step) => [step, psnr(wrap(blurByPathIntegration(ctx, { exposureFrames: 64, ratio: 64 }, step)), wrap(exact.blurred.data), { cropBorder: cropPx })]));
    const row: Row = {
      size,
      scene: name,
      psnrPathVsExactDb: psnr(wrap(path), wrap(exact.blurred.data), { cropBorder: cropPx }),
      psnrPathVsExactFullFrameDb: psnr(wrap(path), wrap(exact.blurred.data)),
      psnrExplicitVsExactDb: psnr(wrap(explicit), wrap(exact.blurred.data), { cropBorder: cropPx }),
      psnrPathVsExplicitDb: psnr(wrap(path), wrap(explicit)),
      psnrSharpVsExactBlurDb: psnr(wrap(exact.sharp.data), wrap(exact.blurred.data), { cropBorder: cropPx }),
      psnrByMaxStepPx,
      // Two flows per interval, one new interval per output frame in a stream.
      flowMsPerFrame: (t1 - t0) / 2,
      integrateMsPerFrame: t2 - t1,
      explicitMsPerFrame: t3 - t2,
    };
    rows.push(row);
    console.error(`${size} ${name}: path ${row.psnrPathVsExactDb.toFixed(2)} dB, flow ${row.flowMsPerFrame.toFixed(0)} ms, integrate ${row.integrateMsPerFrame.toFixed(0)} ms`);
  }

  // Speed: the streaming operator over a pan sequence, against the ffmpeg graph on the same frames.
  const pan = scenes[0]!.scene;
  const n = ffmpegFrames + 2;
  const sharpFrames = Array.from({ length: n }, (_, k) => asFrame(renderScene(pan, k), k));
  // Ours: the mean time per output over a sequence of ourFrames frames, from the first output to the last (each
  // output costs one new interval's flows and one integral; the first output, which also pays for the first
  // interval and the worker start-up, is where the clock starts). A mean, not a median of the gaps: the operator
  // pipelines frames, so outputs can come in bursts.
  const ourSequence = Array.from({ length: ourFrames }, (_, k) => asFrame(renderScene(pan, k), k));
  // CPU time (every thread of the process, worker start-up included) per output over the whole sequence tells a
  // machine busy with other work (where wall time depends on the share the scheduler gives) from a slower engine.
  const cpu: Record<number, number> = {};
  const timeOutputs = async (threads: number) => {
    const emitted: number[] = [];
    const before = process.cpuUsage();
    await lastValueFrom(from(ourSequence).pipe(synthesizeBlur({ inputFps: 30, flow, threads }), tap(() => emitted.push(performance.now())), toArray()));
    const used = process.cpuUsage(before);
    cpu[threads] = (used.user + used.system) / 1000 / emitted.length;
    return (emitted.at(-1)! - emitted[0]!) / (emitted.length - 1);
  };
  const loadBefore = loadavg();
  const oursMs = await timeOutputs(1);
  const oursThreadsMs = await timeOutputs(2);
  let ffmpegMs: number | null = null;
  let ffmpegPsnr: number | null = null;
  let ffmpegAlignment: number | null = null;
  let ffmpegVsSharp: number | null = null;
  if (!values['skip-ffmpeg']) {
    const work = mkdtempSync(join(tmpdir(), 'synth-bench-'));
    try {
      for (const f of sharpFrames) writeFileSync(join(work, `in_${String(f.index).padStart(4, '0')}.png`), await encodeImage(f, 'png', { bitDepth: 16 }));
      mkdirSync(join(work, 'out'));
      // REDS-style reference (REDS made its blur the same way): 1920 fps by motion-compensated interpolation, to linear light, average 64
      // virtual frames centred on each input frame (32 cloned before the first), back to gamma 2.2.
      const average = Array(6).fill('tblend=all_mode=average,framestep=2').join(',');
      // minterpolate works on 8-bit planar RGB here; zscale needs the (RGB) matrix and primaries spelled out.
      const rgb = 'pin=709:p=709:min=gbr:m=gbr';
      const graph = `format=gbrp,tpad=stop=2:stop_mode=clone,minterpolate=fps=1920:mi_mode=mci:mc_mode=aobmc:me_mode=bidir,tpad=start=32:start_mode=clone,format=gbrp,zscale=tin=bt470m:t=linear:${rgb},format=gbrpf32le,${average},zscale=tin=linear:t=bt470m:${rgb},format=rgb48be`;
      const t = performance.now();
      const r = spawnSync('ffmpeg', ['-v', 'error', '-framerate', '30', '-i', join(work, 'in_%04d.png'), '-vf', graph, '-frames:v', String(n), join(work, 'out', 'o_%04d.png')], { encoding: 'utf8' });
      const elapsed = performance.now() - t;
      if (r.status !== 0) throw new Error(`ffmpeg reference failed: ${r.stderr}`);
      const produced = readdirSync(join(work, 'out')).length;
      ffmpegMs = elapsed / produced;
      const ref = await lastValueFrom(sourceFrames$(await openImageSequence(join(work, 'out'))).pipe(toArray()));
      const exact = asFrame(renderExact(pan, 1).blurred, 1);
      // Which ffmpeg output is frame 1's exposure depends on how its filters pad and drop frames: score every
      // output against it and keep the best, so alignment cannot count against the reference.
      const scores = ref.map((f) => psnr(toIntegerFrame(f, 'uint16'), exact, { cropBorder: 12 }));
      ffmpegPsnr = Math.max(...scores);
      ffmpegAlignment = scores.indexOf(ffmpegPsnr);
      ffmpegVsSharp = psnr(toIntegerFrame(ref[ffmpegAlignment]!, 'uint16'), sharpFrames[1]!, { cropBorder: 12 });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  speed.push({ size, oursMsPerFrame: oursMs, oursTwoThreadsMsPerFrame: oursThreadsMs, ffmpegMsPerFrame: ffmpegMs, ratio: ffmpegMs === null ? null : ffmpegMs / oursMs, ratioTwoThreads: ffmpegMs === null ? null : ffmpegMs / oursThreadsMs, oursCpuMsPerFrame: cpu[1]!, oursTwoThreadsCpuMsPerFrame: cpu[2]!, ffmpegPsnrVsExactDb: ffmpegPsnr, ffmpegBestOutputIndex: ffmpegAlignment, ffmpegPsnrVsSharpDb: ffmpegVsSharp, loadAverageBefore: loadBefore, loadAverageAfter: loadavg() });
  console.error(`${size}: ours ${oursMs.toFixed(0)} ms/frame, ffmpeg ${ffmpegMs?.toFixed(0) ?? '-'} ms/frame`);
}

// Real footage: no exact render exists, so path integration is compared with explicit virtual frames on the same
// flows (how much the per-pixel sample count loses), and the sharp frame with the result (how much blur it made).
const real: Array<{ video: string; size: string; psnrPathVsExplicitDb: number; psnrSharpVsBlurDb: number; integrateMs: number; explicitMs: number }> = [];
for (const video of values['speed-only'] ? [] : values.real.split(',').filter((v) => v.length > 0)) {
  if (!existsSync(video)) {
    console.error(`Skipping real footage ${video} (missing; Debian's opencv-doc package has it).`);
    continue;
  }
  const frames = await lastValueFrom(sourceFrames$(await openVideo(video, { maxFrames: 13 })).pipe(toArray()));
  const [a, b, c] = frames.slice(10, 13).map((f) => ({ linear: { width: f.width, height: f.height, data: toFloatFrame(f, { light: 'linear' }).data }, grey: toGrey(f) }));
  const before = buildInterval(a!, b!, flow);
  const after = buildInterval(b!, c!, flow);
  const ctx = { frame: b!.linear, before, after };
  const t0 = performance.now();
  const path = blurByPathIntegration(ctx, { exposureFrames: 64, ratio: 64 });
  const t1 = performance.now();
  const explicit = blurExplicit(ctx, { exposureFrames: 64, ratio: 64 });
  const t2 = performance.now();
  const wrap = (d: Float32Array) => asFrame({ width: b!.linear.width, height: b!.linear.height, data: d }, 11);
  real.push({
    video: video.split('/').pop()!,
    size: `${b!.linear.width}x${b!.linear.height}`,
    psnrPathVsExplicitDb: psnr(wrap(path), wrap(explicit)),
    psnrSharpVsBlurDb: psnr(wrap(b!.linear.data), wrap(path)),
    integrateMs: t1 - t0,
    explicitMs: t2 - t1,
  });
}

const f2 = (v: number | null) => (v === null ? '-' : Number.isFinite(v) ? v.toFixed(2) : 'inf');
console.log('\n## Fidelity against the exact render (PSNR dB, 16-bit, 12 px border cropped; full frame in brackets)\n');
console.log('| size | motion | path vs exact | explicit vs exact | path vs explicit | sharp vs exact blur (how blurred) | path, 1 sample per 1.5 / 2 px | flow ms/frame | integrate ms/frame | explicit ms/frame |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.size} | ${r.scene} | ${f2(r.psnrPathVsExactDb)} (${f2(r.psnrPathVsExactFullFrameDb)}) | ${f2(r.psnrExplicitVsExactDb)} | ${f2(r.psnrPathVsExplicitDb)} | ${f2(r.psnrSharpVsExactBlurDb)} | ${f2(r.psnrByMaxStepPx['1.5']!)} / ${f2(r.psnrByMaxStepPx['2']!)} | ${r.flowMsPerFrame.toFixed(0)} | ${r.integrateMsPerFrame.toFixed(0)} | ${r.explicitMsPerFrame.toFixed(0)} |`);
}
console.log('\n## Speed per output frame (pan, synthesizeBlur end to end vs the ffmpeg reference graph)\n');
console.log('| size | ours, 1 thread (ms/frame) | ours, 2 threads | CPU ms per frame, 1 / 2 threads | ffmpeg minterpolate + average (ms/frame) | speed-up 1 / 2 threads | ffmpeg vs exact (dB) | ffmpeg vs sharp (dB) | load average (1 min) before / after |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---|');
for (const s of speed) {
  const up = (ms: number) => (s.ffmpegMsPerFrame === null ? '-' : `${(s.ffmpegMsPerFrame / ms).toFixed(1)}x`);
  console.log(`| ${s.size} | ${s.oursMsPerFrame.toFixed(0)} | ${s.oursTwoThreadsMsPerFrame.toFixed(0)} | ${s.oursCpuMsPerFrame.toFixed(0)} / ${s.oursTwoThreadsCpuMsPerFrame.toFixed(0)} | ${s.ffmpegMsPerFrame?.toFixed(0) ?? '-'} | ${up(s.oursMsPerFrame)} / ${up(s.oursTwoThreadsMsPerFrame)} | ${f2(s.ffmpegPsnrVsExactDb)} | ${f2(s.ffmpegPsnrVsSharpDb)} | ${s.loadAverageBefore[0]!.toFixed(2)} / ${s.loadAverageAfter[0]!.toFixed(2)} |`);
}
console.log('\n## Real footage: path integration against explicit virtual frames (same flows)\n');
console.log('| video | size | path vs explicit (dB) | sharp vs synthesized blur (dB) | path ms | explicit ms |');
console.log('|---|---|---:|---:|---:|---:|');
for (const r of real) console.log(`| ${r.video} | ${r.size} | ${f2(r.psnrPathVsExplicitDb)} | ${f2(r.psnrSharpVsBlurDb)} | ${r.integrateMs.toFixed(0)} | ${r.explicitMs.toFixed(0)} |`);
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  `bench/results/${values['speed-only'] ? 'synthesis-speed' : 'synthesis'}.json`,
  `${JSON.stringify({ benchmark: 'synthesis', date: new Date().toISOString(), flow, cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, photo: values.photo, fidelity: rows, speed, real, medianOursMs: median(speed.map((s) => s.oursMsPerFrame)) }, null, 2)}\n`,
);
console.log(`\nwrote bench/results/${values['speed-only'] ? 'synthesis-speed' : 'synthesis'}.json`);
