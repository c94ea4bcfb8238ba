/**
 * The evaluation's per-sequence stages after synthesis: deblur the blurred frames, estimate hands on each version of
 * the frames, and score them (PSNR, SSIM, joint errors). Each stage stores its output in the work folder
 * (work-folder.ts) with the key it was made from and reuses what is complete.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { concatMap, lastValueFrom } from 'rxjs';
import type { SynthJob } from '../blur-synthesis/dataset-writer.js';
import { deblur, type DeblurOptions } from '../deblur/deblur.js';
import type { DeblurModel } from '../deblur/model.js';
import { InvalidOptionError } from '../errors.js';
import type { HandPose, HandPoseEstimator } from '../handpose/estimator.js';
import type { FrameVersion } from '../metrics/comparison.js';
import { capPsnr, type GroundTruthKind, metricNames, pckMetricName } from '../metrics/definitions.js';
import { fphaJoints, type JointFrameInput, type JointMetricsSummary, scoreJointSequence, type SequenceJointMetrics } from '../metrics/joints.js';
import type { PixelChannel } from '../metrics/pixel-conventions.js';
import { psnr } from '../metrics/psnr.js';
import { ssim } from '../metrics/ssim.js';
import { AbortedError } from '../stream/abort.js';
import { missingOutputEntries, pendingFolder, writingOutput } from '../stream/atomic.js';
import { type CameraModel, skeletonJointsPx } from '../stream/fpha-source.js';
import { decodeImage, encodeImage } from '../stream/image-codec.js';
import { listImageFiles, openImageSequence } from '../stream/image-sequence-source.js';
import { pipeSource } from '../stream/pipe-source.js';
import { recoveredRecord } from './recovered.js';
import { type FrameRecord, type JointRecord, type MetricRow, type MetricSummary, metricRow, type SequenceReport } from './report-schema.js';
import { readJsonOrUndefined, sameKey, type StageKey, writeJsonAtomically } from './work-folder.js';

/** The versions of each frame, in the order the stages handle them. */
export const FRAME_VERSIONS: readonly FrameVersion[] = ['sharp', 'blurred', 'deblurred'];

/** A progress event of `evaluate()`: frames done of a sequence in one stage. */
export interface EvaluateProgress {
  readonly stage: 'synthesis' | 'deblur' | 'handpose' | 'metrics';
  readonly sequence: string;
  readonly done: number;
  readonly total: number | undefined;
}

/** What the stages need of the run: its stop signal and its progress callback. */
export interface StageContext {
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((event: EvaluateProgress) => void) | undefined;
}

/** One sequence of the run: its synthesis job, and for FPHA the camera that projects its skeleton. */
export interface SequencePlan {
  readonly job: SynthJob;
  readonly groundTruth: GroundTruthKind;
  /** FPHA: the camera projecting the skeleton, and where it came from. */
  readonly camera: CameraModel | undefined;
  readonly cameraSource: string | undefined;
}

/** The hands found in one frame, as the pose stage stores them. */
export interface StoredFrame {
  readonly file: string;
  readonly hands: readonly HandPose[];
}

/** Throws an {@link AbortedError} once the run's signal is aborted. */
export function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError();
}

/**
 * Deblurs `<seq>/blur/` into `outDir` unless already done with the same key. Returns when the stored frames were
 * made (an ISO time in done.json; '' for a folder from before it was recorded): the pose stage keys on it, so frames
 * made again are estimated again even with the same key.
 */
export async function deblurSequence(
  plan: SequencePlan,
  outDir: string,
  model: DeblurModel,
  settings: Pick<DeblurOptions, 'tileSize' | 'overlap' | 'roi' | 'clampRadius' | 'deadband' | 'deadbandFlat' | 'deconvolve' | 'gate'>,
  key: StageKey,
  context: StageContext,
  notice: (m: string) => void,
): Promise<string> {
  const done = await readJsonOrUndefined(join(outDir, 'done.json'));
  // Reused only with the same key and none of its frames missing.
  if (done && sameKey(done.key, key) && missingOutputEntries(outDir)?.length === 0) {
    notice(`deblur ${plan.job.id}: already complete, reusing ${outDir}`);
    return typeof done.createdAt === 'string' ? done.createdAt : '';
  }
  if (done) notice(`deblur ${plan.job.id}: the stored frames were made with other settings or inputs; deblurring again`);
  const blurDir = join(plan.job.outDir, 'blur');
  const files = (await listImageFiles(blurDir)).map((f) => basename(f));
  const source = await openImageSequence(blurDir);
  await writingOutput(outDir, () => mkdir(dirname(outDir), { recursive: true }));
  const pending = await pendingFolder(outDir, true);
  try {
    let count = 0;
    await lastValueFrom(
      pipeSource(
        source,
        (frames$) =>
          frames$.pipe(
            deblur({ model, ...settings }),
            concatMap(async (frame) => {
              checkAborted(context.signal);
              const name = files[frame.index]!.replace(/\.[^.]+$/, '.png');
              const png = await encodeImage(frame, 'png');
              await writingOutput(outDir, () => writeFile(join(pending.tempPath, name), png));
              context.onProgress?.({ stage: 'deblur', sequence: plan.job.id, done: ++count, total: files.length });
              return frame.index;
            }),
          ),
        // A large frame on a small machine may take minutes: no stall watchdog here.
        { highWaterMark: 8, stallTimeoutMs: Number.POSITIVE_INFINITY },
      ),
      { defaultValue: -1 },
    );
    const createdAt = new Date().toISOString();
    await writingOutput(outDir, () => writeFile(join(pending.tempPath, 'done.json'), `${JSON.stringify({ frames: count, key, createdAt })}\n`));
    await pending.commit();
    return createdAt;
  } catch (error) {
    await pending.abort();
    throw error;
  }
}

/** Estimates hands on one version's frames unless stored already with the same key (and the same files). */
export async function poseSequence(
  plan: SequencePlan,
  version: FrameVersion,
  dir: string,
  outFile: string,
  estimator: () => Promise<HandPoseEstimator>,
  key: StageKey,
  context: StageContext,
): Promise<StoredFrame[]> {
  const files = (await listImageFiles(dir)).map((f) => basename(f));
  const stored = (await readJsonOrUndefined(outFile)) as { key?: unknown; frames?: StoredFrame[] } | undefined;
  if (stored?.frames && sameKey(stored.key, key) && stored.frames.map((f) => f.file).join('/') === files.join('/')) return stored.frames;
  const est = await estimator();
  const frames: StoredFrame[] = [];
  for (const [i, file] of files.entries()) {
    checkAborted(context.signal);
    const frame = await decodeImage(join(dir, file), 'uint8', i, (i * 1000) / 30);
    const result = await est.estimate(frame);
    frames.push({ file, hands: result.hands });
    context.onProgress?.({ stage: 'handpose', sequence: `${plan.job.id} (${version})`, done: i + 1, total: files.length });
  }
  await writeJsonAtomically(outFile, { version, estimator: est.name, key, frames });
  return frames;
}

/** The metric conventions of a run. */
export interface ScoreSettings {
  readonly channel: PixelChannel;
  readonly cropBorder: number;
  readonly pckThresholds: readonly number[];
}

/**
 * Scores a sequence: PSNR and SSIM of the blurred and deblurred frames against the sharp ones, and the joints found
 * in each version against the ground truth (the FPHA skeleton, or the estimate on the sharp frames).
 */
export async function scoreSequence(
  plan: SequencePlan,
  dirs: Readonly<Record<FrameVersion, string>>,
  poses: Readonly<Record<FrameVersion, readonly StoredFrame[]>>,
  settings: ScoreSettings,
  work: string,
  context: StageContext,
): Promise<{ readonly record: SequenceReport; readonly joints: SequenceJointMetrics }> {
  const id = plan.job.id;
  const files = poses.sharp.map((f) => f.file);
  const n = files.length;
  if (poses.blurred.length !== n || poses.deblurred.length !== n || poses.blurred.some((f, i) => f.file !== files[i]) || poses.deblurred.some((f, i) => f.file !== files[i]?.replace(/\.[^.]+$/, '.png'))) {
    throw new InvalidOptionError(`Sequence ${id}: the sharp, blurred and deblurred versions have ${n}, ${poses.blurred.length} and ${poses.deblurred.length} frames; delete ${work} and run again.`);
  }
  const gt = plan.groundTruth === 'fpha-skeleton' ? await skeletonJointsPx(plan.job.skeleton!.to, files, plan.camera) : poses.sharp.map((f) => fphaJoints(f.hands)[0] ?? null);
  const jointInputs: JointFrameInput[] = files.map((_, i) => ({
    index: i,
    groundTruth: gt[i] ?? null,
    blurred: fphaJoints(poses.blurred[i]!.hands),
    deblurred: fphaJoints(poses.deblurred[i]!.hands),
    ...(plan.groundTruth === 'fpha-skeleton' ? { sharp: fphaJoints(poses.sharp[i]!.hands) } : {}),
  }));
  const joints = scoreJointSequence(id, jointInputs, { groundTruth: plan.groundTruth, pckThresholds: settings.pckThresholds });
  const perFrame: FrameRecord[] = [];
  const conv = { channel: settings.channel, cropBorder: settings.cropBorder, bitDepth: 8 as const };
  for (let i = 0; i < n; i++) {
    checkAborted(context.signal);
    const sharpName = files[i]!;
    const png = sharpName.replace(/\.[^.]+$/, '.png');
    const [sharp, blurred, deblurred] = await Promise.all([join(dirs.sharp, sharpName), join(dirs.blurred, png), join(dirs.deblurred, png)].map((path) => decodeImage(path, 'uint16')));
    const s = joints.frames[i]!;
    perFrame.push({
      index: i,
      psnr: { blurred: capPsnr(psnr(blurred!, sharp!, conv)), deblurred: capPsnr(psnr(deblurred!, sharp!, conv)) },
      ssim: { blurred: ssim(blurred!, sharp!, conv), deblurred: ssim(deblurred!, sharp!, conv) },
      joints: {
        blurred: jointRecord(s.blurred, s.hasGroundTruth),
        deblurred: jointRecord(s.deblurred, s.hasGroundTruth),
        sharp: plan.groundTruth === 'pseudo' ? { found: s.hasGroundTruth, rmse: null, abse: null, epe: null } : jointRecord(s.sharp, s.hasGroundTruth),
      },
    });
    context.onProgress?.({ stage: 'metrics', sequence: id, done: i + 1, total: n });
  }
  const summary = summarize(perFrame, joints.summary, settings.pckThresholds);
  return { record: { id, frames: n, summary, recovered: recoveredRecord(summary, [{ perFrame }], plan.groundTruth), perFrame }, joints };
}

function jointRecord(score: { found: boolean; errors: { rmsePx: number; absePx: number; epePx: number } | null } | null, hasGroundTruth: boolean): JointRecord {
  const found = score?.found ?? false;
  const e = hasGroundTruth ? (score?.errors ?? null) : null;
  return { found, rmse: e?.rmsePx ?? null, abse: e?.absePx ?? null, epe: e?.epePx ?? null };
}

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

/** Summary rows of a set of frames: PSNR/SSIM means and the joint metrics' comparisons. */
export function summarize(frames: readonly FrameRecord[], joints: JointMetricsSummary, thresholds: readonly number[]): MetricSummary {
  const rows: Partial<Record<string, MetricRow>> = {};
  for (const name of ['psnr', 'ssim'] as const) {
    rows[name] = metricRow(name, { blurred: mean(frames.map((f) => f[name].blurred)), deblurred: mean(frames.map((f) => f[name].deblurred)), sharp: null, frames: frames.length });
  }
  const pose = [
    ['rmse', joints.rmsePx],
    ['abse', joints.absePx],
    ['epe', joints.epePx],
  ] as const;
  for (const [name, c] of pose) rows[name] = metricRow(name, { blurred: c.blurred, deblurred: c.deblurred, sharp: c.sharp, frames: joints.framesCompared });
  rows.detectionRate = metricRow('detectionRate', { blurred: joints.detectionRate.blurred, deblurred: joints.detectionRate.deblurred, sharp: joints.detectionRate.sharp, frames: joints.framesWithGroundTruth });
  for (const t of thresholds) {
    const c = joints.pck.find((p) => p.threshold === t)!;
    rows[pckMetricName(t)] = metricRow(pckMetricName(t), { blurred: c.blurred, deblurred: c.deblurred, sharp: c.sharp, frames: joints.framesWithGroundTruth }, 'bbox');
  }
  const out = {} as MetricSummary;
  for (const name of metricNames(thresholds)) out[name] = rows[name]!;
  return out;
}
