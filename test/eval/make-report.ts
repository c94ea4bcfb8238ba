/**
 * Generated evaluation reports with realistic numbers (seeded): per frame a motion strength drives the blurred
 * frame's PSNR down and its joint error up; deblurring recovers most of it, with a few frames where it hurts. The
 * summaries follow the evaluation's conventions (README, "Metrics: definitions"): RMSE, ABSE and EPE over the frames
 * where every version scored found a hand, RMSE pooled as a root mean square; PCK and detection rate over the frames
 * with ground truth, as fractions. Also small panel images: a generated scene, a blurred and a partly restored copy,
 * with a hand skeleton drawn.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { HandPose, Point3 } from '../../src/handpose/estimator.js';
import { drawHands } from '../../src/handpose/overlay.js';
import { createRgb8Frame, type Rgb8Frame } from '../../src/stream/frame.js';
import { encodeImage } from '../../src/stream/image-codec.js';
import { createRng, type Rng } from '../../src/util/rng.js';
import { recoveredRecord } from '../../src/eval/recovered.js';
import { comparisonRecord, type ModelResult } from '../../src/eval/model-comparison.js';
import { type EvalReport, type EvalReportV1, type EvalReportV2, type FrameRecord, type JointRecord, type MetricSummary, metricRow } from '../../src/eval/report-schema.js';
import { type GroundTruthKind, capPsnr, metricNames, pckMetricName } from '../../src/metrics/definitions.js';

export interface MakeReportOptions {
  seed?: number;
  sequences?: number;
  frames?: number;
  groundTruth?: GroundTruthKind;
  pckThresholds?: number[];
  /** Panels to list (sequence 0, these frame indices). */
  panelFrames?: number[];
  /** Scales the deblurring gain: 1 is realistic, negative makes deblurring hurt. */
  gainScale?: number;
}

/** Per-frame PCK hits (fraction of the 21 joints within each threshold), kept beside the records (the schema has PCK in summaries only). */
type Pck = Record<'blurred' | 'deblurred' | 'sharp', number[]>;

function gauss(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

function joints(rng: Rng, found: boolean, rmse: number, withErrors: boolean): JointRecord {
  if (!found || !withErrors) return { found, rmse: null, abse: null, epe: null };
  const r = Math.max(0.5, rmse);
  return { found, rmse: r, abse: r * (0.78 + 0.04 * rng()), epe: r * (1.25 + 0.06 * rng()) };
}

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Summary rows from per-frame records, by the evaluation's conventions. */
export function summarize(frames: readonly FrameRecord[], pck: readonly Pck[], thresholds: readonly number[], groundTruth: GroundTruthKind): MetricSummary {
  const pseudo = groundTruth === 'pseudo';
  const versions = pseudo ? (['blurred', 'deblurred'] as const) : (['blurred', 'deblurred', 'sharp'] as const);
  // Ground truth: FPHA annotates every frame; pseudo ground truth exists where the sharp frame has a hand.
  const withTruth = frames.map((f, i) => ({ f, i })).filter(({ f }) => !pseudo || f.joints.sharp.found);
  const compared = withTruth.filter(({ f }) => versions.every((v) => f.joints[v].rmse !== null));
  const sharpOr = (value: () => number | null) => (pseudo ? null : value());
  const summary: Partial<MetricSummary> = {};
  for (const metric of ['psnr', 'ssim'] as const) {
    summary[metric] = metricRow(metric, { blurred: mean(frames.map((f) => f[metric].blurred)), deblurred: mean(frames.map((f) => f[metric].deblurred)), sharp: null, frames: frames.length });
  }
  const rms = (v: 'blurred' | 'deblurred' | 'sharp') => {
    const m = mean(compared.map(({ f }) => f.joints[v].rmse! ** 2));
    return m === null ? null : Math.sqrt(m);
  };
  summary.rmse = metricRow('rmse', { blurred: rms('blurred'), deblurred: rms('deblurred'), sharp: sharpOr(() => rms('sharp')), frames: compared.length });
  for (const metric of ['abse', 'epe'] as const) {
    const pick = (v: 'blurred' | 'deblurred' | 'sharp') => mean(compared.map(({ f }) => f.joints[v][metric]!));
    summary[metric] = metricRow(metric, { blurred: pick('blurred'), deblurred: pick('deblurred'), sharp: sharpOr(() => pick('sharp')), frames: compared.length });
  }
  thresholds.forEach((t, k) => {
    const pick = (v: 'blurred' | 'deblurred' | 'sharp') => mean(withTruth.map(({ f, i }) => (f.joints[v].found ? pck[i]![v][k]! : 0)));
    summary[pckMetricName(t)] = metricRow(pckMetricName(t), { blurred: pick('blurred'), deblurred: pick('deblurred'), sharp: sharpOr(() => pick('sharp')), frames: withTruth.length });
  });
  const rate = (v: 'blurred' | 'deblurred' | 'sharp') => mean(withTruth.map(({ f }) => (f.joints[v].found ? 1 : 0)));
  summary.detectionRate = metricRow('detectionRate', { blurred: rate('blurred'), deblurred: rate('deblurred'), sharp: sharpOr(() => rate('sharp')), frames: withTruth.length });
  return summary as MetricSummary;
}

/** A valid schema-v1 report with realistic numbers. */
export function makeReport(options: MakeReportOptions = {}): EvalReport {
  const { seed = 7, sequences = 2, frames = 90, groundTruth = 'fpha-skeleton', pckThresholds = [0.05, 0.1, 0.2], panelFrames = [12, 40], gainScale = 1 } = options;
  const rng = createRng(seed);
  const allFrames: FrameRecord[] = [];
  const allPck: Pck[] = [];
  const sequenceReports = [];
  const pseudo = groundTruth === 'pseudo';
  for (let s = 0; s < sequences; s++) {
    const records: FrameRecord[] = [];
    const pck: Pck[] = [];
    const phase = rng() * 6;
    for (let i = 0; i < frames; i++) {
      const motion = Math.max(0, 0.55 + 0.45 * Math.sin(i / 9 + phase) + 0.1 * gauss(rng)); // 0 (still) .. ~1 (fast)
      const psnrBlurred = capPsnr(37 - 11 * motion + 0.6 * gauss(rng));
      const psnrDeblurred = capPsnr(psnrBlurred + gainScale * (5.6 * motion + 0.4 + 0.9 * gauss(rng)));
      const ssimBlurred = Math.min(1, 0.955 - 0.07 * motion + 0.006 * gauss(rng));
      const ssimDeblurred = Math.min(1, ssimBlurred + gainScale * (0.028 * motion + 0.004 * gauss(rng)));
      const sharpError = 5.5 + 1.2 * Math.abs(gauss(rng));
      const blurredError = sharpError + 9 * motion + 1.5 * gauss(rng);
      const deblurredError = Math.max(sharpError * 0.9, blurredError - gainScale * (6 * motion + 1.2 * gauss(rng)));
      const sharpFound = rng() > 0.01;
      const blurredFound = rng() > 0.02 + 0.16 * motion * motion;
      const deblurredFound = rng() > 0.02 + 0.06 * motion * motion;
      const withGt = !pseudo || sharpFound;
      records.push({
        index: i,
        psnr: { blurred: psnrBlurred, deblurred: psnrDeblurred },
        ssim: { blurred: ssimBlurred, deblurred: ssimDeblurred },
        joints: {
          blurred: joints(rng, blurredFound, blurredError, withGt),
          deblurred: joints(rng, deblurredFound, deblurredError, withGt),
          sharp: joints(rng, sharpFound, sharpError, !pseudo),
        },
      });
      // Share of joints within t x S of the truth, S about 110 px (the hand's box), for a frame with this RMSE.
      const frac = (error: number, t: number) => Math.max(0, Math.min(1, 1 - Math.exp(-(((t * 110) / Math.max(error, 0.5)) ** 2))));
      pck.push({
        blurred: pckThresholds.map((t) => frac(blurredError, t)),
        deblurred: pckThresholds.map((t) => frac(deblurredError, t)),
        sharp: pckThresholds.map((t) => frac(sharpError, t)),
      });
    }
    allFrames.push(...records);
    allPck.push(...pck);
    const summary = summarize(records, pck, pckThresholds, groundTruth);
    sequenceReports.push({ id: `Subject_${s + 1}/open_juice_bottle/${s + 1}`, frames, summary, recovered: recoveredRecord(summary, [{ perFrame: records }], groundTruth), perFrame: records });
  }
  const firstId = sequenceReports[0]!.id;
  const summary = summarize(allFrames, allPck, pckThresholds, groundTruth);
  const model = { name: 'promotion-s', preset: 'promotion-s', sha256: 'a3f1c2'.padEnd(64, '0'), device: 'cpu' };
  const models: ModelResult[] = [{ model, summary, recovered: recoveredRecord(summary, sequenceReports, groundTruth), sequences: sequenceReports }];
  return {
    schemaVersion: 3,
    createdAt: '2025-11-25T10:31:00.000Z',
    tool: { name: 'promotion-handpose', version: '0.1.0' },
    versions: { node: 'v20.19.5', onnxruntime: '1.30.0', mediapipeTasksVision: '0.10.35', vega: '6.4.0' },
    config: {
      inputs: ['/data/FPHA'],
      groundTruth,
      groundTruthNote: pseudo
        ? 'MediaPipe hand landmarks (full model, IMAGE mode) on the sharp frames, in FPHA joint order.'
        : 'FPHA skeleton.txt joints projected with the colour camera intrinsics; MediaPipe landmarks reordered to FPHA order.',
      model,
      synthesis: { virtualFps: 1920, exposureFrames: 64, gamma: 2.2, method: 'path', flowScale: 0.5 },
      handpose: { model: 'full', mode: 'video', numHands: 1, minHandDetectionConfidence: 0.5 },
      deblur: { tileSize: 512, overlap: 32, roi: 'off', threads: 2, executionProvider: 'cpu' },
      metrics: { channel: 'y', cropBorder: 4, pckThresholds, pckNormalization: 'bbox' },
    },
    summary,
    recovered: recoveredRecord(summary, sequenceReports, groundTruth),
    sequences: sequenceReports,
    panels: panelFrames.map((index) => ({
      sequence: firstId,
      index,
      blurred: `panels/${String(index).padStart(4, '0')}-blurred.png`,
      deblurred: `panels/${String(index).padStart(4, '0')}-deblurred.png`,
      sharp: `panels/${String(index).padStart(4, '0')}-sharp.png`,
    })),
    models,
    comparison: comparisonRecord(models, groundTruth),
    timing: { totalMs: 183_400, stages: { synthesis: 61_200, deblur: 97_800, handpose: 21_900, metrics: 2_500 } },
  };
}

/** The same report as schema version 2 wrote it: no `models`, no `comparison`. */
export function makeReportV2(options: MakeReportOptions = {}): EvalReportV2 {
  const { models: _models, comparison: _comparison, ...rest } = makeReport(options);
  return { ...rest, schemaVersion: 2 };
}

/** The same report as schema version 1 wrote it: no `recovered`. */
export function makeReportV1(options: MakeReportOptions = {}): EvalReportV1 {
  const { recovered: _recovered, sequences, ...rest } = makeReportV2(options);
  return { ...rest, schemaVersion: 1, sequences: sequences.map(({ recovered: _r, ...s }) => s) };
}

/** The summary keys such a report holds. */
export function expectedMetricNames(report: EvalReport): string[] {
  return metricNames(report.config.metrics.pckThresholds);
}

/** A hand skeleton (21 landmarks) centred at (cx, cy), open palm, fingers up. */
function handAt(cx: number, cy: number, scale: number): HandPose {
  const points: Point3[] = [[cx, cy + 30 * scale, 0]];
  const bases = [-22, -10, 0, 10, 20];
  bases.forEach((bx, finger) => {
    const length = finger === 0 ? 8 : 11;
    for (let j = 1; j <= 4; j++) {
      const x = finger === 0 ? cx + (bx - 6 * j) * scale : cx + bx * scale;
      points.push([x, cy + (10 - j * length) * scale + (finger === 0 ? 12 * scale : 0), 0]);
    }
  });
  return {
    handedness: 'right',
    handednessScore: 0.98,
    landmarksPx: points,
    landmarksNormalized: points.map(([x, y, z]) => [x / 160, y / 120, z / 160] as Point3),
    worldLandmarksM: points.map(([x, y]) => [(x - cx) / 1000, (y - cy) / 1000, 0] as Point3),
  };
}

function scene(width: number, height: number): Rgb8Frame {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      const check = ((x >> 4) + (y >> 4)) & 1;
      const hand = (x - 80) ** 2 / 900 + (y - 62) ** 2 / 1600 < 1;
      data[o] = hand ? 214 : 70 + 40 * check;
      data[o + 1] = hand ? 168 : 90 + 40 * check;
      data[o + 2] = hand ? 140 : 120 + 30 * check;
    }
  }
  return createRgb8Frame(data, { width, height });
}

function boxBlurX(frame: Rgb8Frame, radius: number): Rgb8Frame {
  const { width, height } = frame;
  const out = new Uint8Array(frame.data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        let n = 0;
        for (let k = -radius; k <= radius; k++) {
          const xx = Math.min(width - 1, Math.max(0, x + k));
          sum += frame.data[(y * width + xx) * 3 + c]!;
          n++;
        }
        out[(y * width + x) * 3 + c] = Math.round(sum / n);
      }
    }
  }
  return createRgb8Frame(out, { width, height });
}

/** Writes the report's panel images (160x120 PNGs with a skeleton drawn) under `dir`. */
export async function writePanelImages(dir: string, report: EvalReport): Promise<void> {
  const sharp = scene(160, 120);
  const blurred = boxBlurX(sharp, 6);
  const deblurred = boxBlurX(sharp, 1);
  for (const panel of report.panels) {
    const images = [
      [panel.sharp, drawHands(sharp, [handAt(80, 62, 1)])],
      [panel.blurred, drawHands(blurred, [handAt(86, 66, 1)])],
      [panel.deblurred, drawHands(deblurred, [handAt(82, 63, 1)])],
    ] as const;
    for (const [path, frame] of images) {
      const file = join(dir, ...path.split('/'));
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, await encodeImage(frame, 'png'));
    }
  }
}
