/**
 * The paper's local-blur experiment (Table 5) end to end: for every sequence of the inputs, synthesize blur from
 * its sharp frames, deblur the blurred frames, estimate hand pose on the sharp, blurred and deblurred frames, and
 * score restoration (PSNR, SSIM against the sharp frame) and hand pose (joint errors, PCK, detection rate against
 * the ground truth). The result is an {@link EvalReport} (report-schema.ts), written as report.json + index.html.
 *
 * Ground truth: FPHA skeletons projected into the colour frames (with the dataset's camera.json when it has one)
 * for FPHA inputs; for other inputs the estimator's joints on the sharp frames (pseudo ground truth, labelled so).
 * A run mixing both kinds is refused: their pose rows would not mean the same thing.
 *
 * Every stage keeps its output in a work folder (default `<report>.work`, beside the report) and skips what is
 * already complete, so an interrupted run resumes. A stage is reused only when its key (options, and the
 * fingerprint of the input files or the stage it was made from) is the same and none of its files is missing:
 *
 *   <work>/synth/...                     `promotion synth` output (FPHA layout kept), one folder per sequence
 *   <work>/deblurred/<sequence>/         the deblurred frames (PNG, the blurred frames' bit depth), done.json last
 *   <work>/pose/<sequence>/<version>.json the hands found per frame (MediaPipe order, pixels)
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import { concatMap, lastValueFrom } from 'rxjs';
import { runSynthJob, type SynthJob } from '../blur-synthesis/dataset.js';
import { planSynthJobs } from '../blur-synthesis/plan.js';
import { synthesisParameters, type SynthesisOptions } from '../blur-synthesis/synthesize.js';
import { DEFAULT_CLAMP_RADIUS, DEFAULT_TILE_SIZE, deblur, defaultTileOverlap, type DeblurOptions } from '../deblur/deblur.js';
import type { DeblurModel } from '../deblur/model.js';
import { loadDeblurModel, type LoadedDeblurModel } from '../deblur/onnx-session.js';
import { InvalidOptionError } from '../errors.js';
import type { HandPose, HandPoseEstimator } from '../handpose/estimator.js';
import type { HandModelVariant } from '../handpose/model-asset.js';
import { createHandLandmarker, TASKS_VISION_VERSION } from '../handpose/mediapipe-hand-landmarker.js';
import { drawHands } from '../handpose/overlay.js';
import type { GroundTruthKind } from '../metrics/definitions.js';
import { fphaJoints, type JointFrameInput, scoreJointSequence, type SequenceJointMetrics, aggregateJointMetrics, DEFAULT_PCK_THRESHOLDS, type JointMetricsSummary } from '../metrics/joints.js';
import { psnr } from '../metrics/psnr.js';
import { SSIM_WINDOW_SIZE, ssim } from '../metrics/ssim.js';
import { expectBoolean, expectInteger, expectKnownKeys, expectOneOf, expectString, invalidOption } from '../options.js';
import { AbortedError } from '../stream/abort.js';
import { checkOutputLocation, checkOutputNotInput, checkOutputPath, missingOutputEntries, pendingFile, pendingFolder, writingOutput } from '../stream/atomic.js';
import { FPHA_COLOR_CAMERA, type CameraModel, type FphaSelection, type Joints2D, frameNumberOf, parseSkeleton, projectJoints, readCameraFile } from '../stream/fpha-source.js';
import { decodeImage, encodeImage } from '../stream/image-codec.js';
import { listImageFiles, openImageSequence } from '../stream/image-sequence-source.js';
import { openSource } from '../stream/open-source.js';
import { pipeSource } from '../stream/pipe-source.js';
import { VERSION } from '../version.js';
import { openReportFolder } from './report-files.js';
import { type EvalReport, type FrameRecord, type JointRecord, type MetricRow, type MetricSummary, metricRow, type PanelRecord, type SequenceReport } from './report-schema.js';
import { capPsnr, metricNames, pckMetricName } from '../metrics/definitions.js';

/** Default panels per sequence in the HTML report (the frame where deblurring helped pose most, and the middle one). */
export const DEFAULT_PANELS_PER_SEQUENCE = 2;

/** Default hand-pose mode of the evaluation: each frame on its own, so blur cannot hide behind the tracker. */
export const DEFAULT_EVAL_POSE_MODE = 'image';

/** The three versions of each frame. */
export type FrameVersionName = 'sharp' | 'blurred' | 'deblurred';
const VERSIONS: readonly FrameVersionName[] = ['sharp', 'blurred', 'deblurred'];

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** FPHA roots, FPHA sequence folders, image folders or videos (as `promotion synth` takes them). */
  readonly inputs: readonly string[];
  /** The report folder (written atomically: report.json, index.html, panels/). */
  readonly report: string;
  /** Work folder for the stages' outputs (default `<report>.work`); keep it to resume. */
  readonly work?: string;
  /** Replace an existing report folder (once the new one is complete). Default false. */
  readonly overwrite?: boolean;
  /** FPHA roots: which subjects, actions and sequences. */
  readonly selection?: FphaSelection;
  /** Frames per sequence at most (default: all). */
  readonly maxFrames?: number;
  /** Blur-synthesis options (exposure, virtual rate, gamma...). */
  readonly synthesis?: Omit<SynthesisOptions, 'inputFps'>;
  /** Deblurring options (model, device, threads, tiles, ROI, the clamp to the input's local range). */
  readonly deblur?: Pick<DeblurOptions, 'model' | 'device' | 'threads' | 'tileSize' | 'overlap' | 'roi' | 'clampRadius' | 'onWarning'> & { model?: string };
  /** Hand pose: 'image' (default, every frame alone) or 'video' (tracking); MediaPipe's 'full' (default) or 'lite' model. */
  readonly handpose?: { readonly mode?: 'image' | 'video'; readonly model?: HandModelVariant };
  /** Metric conventions: channel (default 'rgb'), crop border (default 0), PCK thresholds (default 0.05, 0.1, 0.2 of the box). */
  readonly metrics?: { readonly channel?: 'rgb' | 'y'; readonly cropBorder?: number; readonly pckThresholds?: readonly number[] };
  /** Image panels per sequence in the HTML report (default {@link DEFAULT_PANELS_PER_SEQUENCE}). */
  readonly panelsPerSequence?: number;
  /** Progress of each stage: frames done of a sequence. */
  readonly onProgress?: (event: EvaluateProgress) => void;
  /** Notices (skipped broken FPHA sequences, resumed stages). */
  readonly onNotice?: (message: string) => void;
  /** Stops the run between frames; what is complete stays in the work folder. */
  readonly signal?: AbortSignal;
}

/** A progress event. */
export interface EvaluateProgress {
  readonly stage: 'synthesis' | 'deblur' | 'handpose' | 'metrics';
  readonly sequence: string;
  readonly done: number;
  readonly total: number | undefined;
}

const KEYS = ['inputs', 'report', 'work', 'overwrite', 'selection', 'maxFrames', 'synthesis', 'deblur', 'handpose', 'metrics', 'panelsPerSequence', 'onProgress', 'onNotice', 'signal'] as const;

/** The hands found in one frame, as the pose stage stores them. */
interface StoredFrame {
  readonly file: string;
  readonly hands: readonly HandPose[];
}

interface SequencePlan {
  readonly job: SynthJob;
  readonly groundTruth: GroundTruthKind;
  /** FPHA: the camera projecting the skeleton, and where it came from. */
  readonly camera: CameraModel | undefined;
  readonly cameraSource: string | undefined;
}

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError();
}

async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  await writingOutput(path, () => mkdir(dirname(path), { recursive: true }));
  const out = await pendingFile(path, true);
  try {
    await writingOutput(path, () => writeFile(out.tempPath, `${JSON.stringify(value)}\n`));
    await out.commit();
  } catch (error) {
    await out.abort();
    throw error;
  }
}

/** What a finished stage was made from: a stage is reused only when its key is the same as the run's. */
type StageKey = Record<string, unknown>;

const sameKey = (a: unknown, b: StageKey): boolean => JSON.stringify(a) === JSON.stringify(b);

async function readJsonOrUndefined(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** Deblurs `<seq>/blur/` into `<work>/deblurred/<id>/` unless already done with the same key. */
async function deblurSequence(plan: SequencePlan, outDir: string, model: DeblurModel, settings: Pick<DeblurOptions, 'tileSize' | 'overlap' | 'roi' | 'clampRadius'>, key: StageKey, options: EvaluateOptions, notice: (m: string) => void): Promise<void> {
  const done = await readJsonOrUndefined(join(outDir, 'done.json'));
  // Reused only with the same key and none of its frames missing.
  if (done && sameKey(done.key, key) && missingOutputEntries(outDir)?.length === 0) {
    notice(`deblur ${plan.job.id}: already complete, reusing ${outDir}`);
    return;
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
              checkAborted(options.signal);
              const name = files[frame.index]!.replace(/\.[^.]+$/, '.png');
              const png = await encodeImage(frame, 'png');
              await writingOutput(outDir, () => writeFile(join(pending.tempPath, name), png));
              options.onProgress?.({ stage: 'deblur', sequence: plan.job.id, done: ++count, total: files.length });
              return frame.index;
            }),
          ),
        // A large frame on a small machine may take minutes: no stall watchdog here.
        { highWaterMark: 8, stallTimeoutMs: Number.POSITIVE_INFINITY },
      ),
      { defaultValue: -1 },
    );
    await writingOutput(outDir, () => writeFile(join(pending.tempPath, 'done.json'), `${JSON.stringify({ frames: count, key })}\n`));
    await pending.commit();
  } catch (error) {
    await pending.abort();
    throw error;
  }
}

/** Estimates hands on one version's frames unless stored already with the same key (and the same files). */
async function poseSequence(
  plan: SequencePlan,
  version: FrameVersionName,
  dir: string,
  outFile: string,
  estimator: () => Promise<HandPoseEstimator>,
  key: StageKey,
  options: EvaluateOptions,
): Promise<StoredFrame[]> {
  const files = (await listImageFiles(dir)).map((f) => basename(f));
  const stored = (await readJsonOrUndefined(outFile)) as { key?: unknown; frames?: StoredFrame[] } | undefined;
  if (stored?.frames && sameKey(stored.key, key) && stored.frames.map((f) => f.file).join('/') === files.join('/')) return stored.frames;
  const est = await estimator();
  const frames: StoredFrame[] = [];
  for (const [i, file] of files.entries()) {
    checkAborted(options.signal);
    const frame = await decodeImage(join(dir, file), 'uint8', i, (i * 1000) / 30);
    const result = await est.estimate(frame);
    frames.push({ file, hands: result.hands });
    options.onProgress?.({ stage: 'handpose', sequence: `${plan.job.id} (${version})`, done: i + 1, total: files.length });
  }
  await writeJsonAtomically(outFile, { version, estimator: est.name, key, frames });
  return frames;
}

/** The camera of an FPHA sequence: the dataset's camera.json (root of the layout, or beside a loose sequence), else FPHA's. */
async function cameraFor(job: SynthJob): Promise<{ camera: CameraModel; source: string }> {
  const candidates: string[] = [];
  const marker = `${sep}Hand_pose_annotation_v1${sep}`;
  const at = job.skeleton?.from.lastIndexOf(marker) ?? -1;
  if (job.skeleton && at >= 0) candidates.push(join(job.skeleton.from.slice(0, at), 'camera.json'));
  candidates.push(join(dirname(job.input), 'camera.json'));
  for (const path of candidates) if (existsSync(path)) return { camera: await readCameraFile(path), source: path };
  return { camera: FPHA_COLOR_CAMERA, source: 'FPHA colour camera' };
}

/** Ground-truth joints per frame file (FPHA order, pixels), from the sequence's skeleton. */
async function skeletonJoints(plan: SequencePlan, files: readonly string[]): Promise<(Joints2D | null)[]> {
  const skeleton = parseSkeleton(await readFile(plan.job.skeleton!.to, 'utf8'), plan.job.skeleton!.to);
  return files.map((f) => {
    const n = frameNumberOf(f);
    const row = n === undefined ? undefined : skeleton.rows.get(n);
    return row ? projectJoints(row, plan.camera ?? FPHA_COLOR_CAMERA) : null;
  });
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
function summarize(frames: readonly FrameRecord[], joints: JointMetricsSummary, thresholds: readonly number[]): MetricSummary {
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

/** Runs the evaluation and writes the report; returns it. */
export async function evaluate(options: EvaluateOptions): Promise<EvalReport> {
  expectKnownKeys('evaluate options', options, KEYS);
  if (!Array.isArray(options.inputs) || options.inputs.length === 0) throw new InvalidOptionError('Expected at least one input (an FPHA root or sequence, an image folder or a video) for inputs but received none');
  const report = expectString('report', options.report);
  const work = options.work === undefined ? `${report.replace(/[/\\]+$/, '')}.work` : expectString('work', options.work);
  const maxFrames = options.maxFrames === undefined ? undefined : expectInteger('maxFrames', options.maxFrames, 2);
  const panelsPerSequence = expectInteger('panelsPerSequence', options.panelsPerSequence ?? DEFAULT_PANELS_PER_SEQUENCE, 0, 100);
  const poseMode = expectOneOf('handpose.mode', options.handpose?.mode ?? DEFAULT_EVAL_POSE_MODE, ['image', 'video'] as const);
  const handModel = expectOneOf('handpose.model', options.handpose?.model ?? 'full', ['full', 'lite'] as const);
  const channel = expectOneOf('metrics.channel', options.metrics?.channel ?? 'rgb', ['rgb', 'y'] as const);
  const cropBorder = expectInteger('metrics.cropBorder', options.metrics?.cropBorder ?? 0, 0, 1000);
  const thresholds = [...(options.metrics?.pckThresholds ?? DEFAULT_PCK_THRESHOLDS)];
  thresholds.forEach((t, i) => {
    if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0) invalidOption(`metrics.pckThresholds[${i}]`, 'number greater than 0', t);
    if (thresholds.indexOf(t) !== i) invalidOption(`metrics.pckThresholds[${i}]`, 'a threshold not listed before', t);
  });
  const notice = options.onNotice ?? (() => undefined);
  // The outputs first: neither the report nor the work folder may be (or hold) an input, a taken or unwritable
  // report fails now, and the work folder must be writable (each is checked again when written).
  const overwrite = expectBoolean('overwrite', options.overwrite ?? false);
  for (const output of [report, work]) checkOutputNotInput(output, options.inputs);
  checkOutputPath(report, overwrite, 'folder');
  checkOutputLocation(work, 'folder');
  const { model: modelRef, device, threads, onWarning, ...settings } = options.deblur ?? {};
  // Checks tileSize, overlap and roi now (deblur validates when called), before hours of synthesis.
  deblur({ ...settings, ...(modelRef !== undefined ? { model: modelRef } : {}) });
  const started = performance.now();
  const stages: Record<string, number> = { synthesis: 0, deblur: 0, handpose: 0, metrics: 0 };
  const timed = async <T>(stage: string, task: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await task();
    } finally {
      stages[stage]! += performance.now() - t0;
    }
  };

  // Plan: one synthesis job per sequence.
  const synthRoot = join(work, 'synth');
  const jobs = await planSynthJobs(options.inputs, { synthesis: options.synthesis ?? {}, motionKind: 'magnitude', overwrite: false, ...(maxFrames !== undefined ? { maxFrames } : {}) }, synthRoot, options.selection ?? {}, notice);
  if (jobs.length === 0) throw new InvalidOptionError(`No sequences to evaluate in ${options.inputs.join(', ')} (with the given selection)`);
  const kinds = new Set(jobs.map((j) => (j.skeleton ? 'fpha-skeleton' : 'pseudo')));
  if (kinds.size > 1) throw new InvalidOptionError('The inputs mix FPHA sequences (skeleton ground truth) and plain sequences (pseudo ground truth); evaluate them in separate runs so each report measures one thing.');
  const groundTruth = [...kinds][0] as GroundTruthKind;
  const plans: SequencePlan[] = [];
  for (const job of jobs) {
    const cam = groundTruth === 'fpha-skeleton' ? await cameraFor(job) : undefined;
    plans.push({ job, groundTruth, camera: cam?.camera, cameraSource: cam?.source });
  }
  // Each sequence's synthesis options against its own frame rate, and the crop border against its frame size, now:
  // either would otherwise fail only when its stage came, after synthesis and deblurring.
  for (const job of jobs) {
    const info = (await openSource(job.input, { kind: job.kind })).info;
    try {
      synthesisParameters({ ...(options.synthesis ?? {}), inputFps: info.fps });
      expectInteger('metrics.cropBorder', cropBorder, 0, Math.max(0, Math.floor((Math.min(info.width, info.height) - SSIM_WINDOW_SIZE) / 2)));
    } catch (error) {
      if (error instanceof InvalidOptionError && jobs.length > 1) throw new InvalidOptionError(`${job.id} (${info.width}x${info.height}, ${info.fps} fps): ${error.message}`);
      throw error;
    }
  }
  const cameraSources = [...new Set(plans.map((p) => p.cameraSource).filter((c): c is string => c !== undefined))];

  // Refuse a taken report folder before any work (checked again when it is written).
  const folder = await openReportFolder(report, { overwrite });
  let model: LoadedDeblurModel | undefined;
  try {
    // One session for the whole run; a missing or wrong model fails here, before any synthesis.
    model = await loadDeblurModel({ ...(modelRef !== undefined ? { model: modelRef } : {}), ...(device !== undefined ? { device } : {}), ...(threads !== undefined ? { threads } : {}), ...(onWarning !== undefined ? { onWarning } : {}) });
    // The clamp radius as resolved, so that a change of its default redoes the deblurred frames.
    const deblurSettings = { tileSize: settings.tileSize, overlap: settings.overlap, roi: settings.roi?.kind ?? 'off', clampRadius: settings.clampRadius ?? DEFAULT_CLAMP_RADIUS };
    let landmarker: Promise<HandPoseEstimator & AsyncDisposable> | undefined;
    const estimator = () => (landmarker ??= createHandLandmarker({ mode: poseMode, model: handModel, numHands: 2 }));
    const sequences: SequenceReport[] = [];
    const jointSequences: SequenceJointMetrics[] = [];
    const panels: PanelRecord[] = [];
    let synthesisRecord: Record<string, unknown> = {};
    try {
      for (const plan of plans) {
        checkAborted(options.signal);
        const id = plan.job.id;
        // A finished synthesis is reused only when it was made from the same options and input files, and lacks none
        // of its files (synthesis.json's resume key, see runSynthJob); the later stages' keys hold its createdAt.
        let frames = 0;
        const result = await timed('synthesis', () => runSynthJob(plan.job, () => options.onProgress?.({ stage: 'synthesis', sequence: id, done: ++frames, total: undefined }), options.signal));
        if (result.status === 'skipped') notice(`synthesis ${id}: already complete, reusing ${plan.job.outDir}`);
        else if (result.note !== undefined) notice(`synthesis ${id}: synthesized again: ${result.note}`);
        const info = JSON.parse(await readFile(join(plan.job.outDir, 'synthesis.json'), 'utf8')) as { parameters?: Record<string, unknown>; createdAt?: string };
        synthesisRecord = info.parameters ?? synthesisRecord;
        const synthesisMade = info.createdAt ?? '';
        const deblurredDir = join(work, 'deblurred', ...id.split('/'));
        // A two-part model (contract version 2) is both files: its feature graph can change while the other does not.
        const deblurKey: StageKey = { model: model.card.sha256, ...(model.card.features ? { features: model.card.features.sha256 } : {}), settings: deblurSettings, synthesis: synthesisMade };
        await timed('deblur', () => deblurSequence(plan, deblurredDir, model!, { ...settings }, deblurKey, options, notice));

        // A plain (non-FPHA) job may estimate with video mode: one estimator per version keeps the tracker's state apart.
        const dirs: Record<FrameVersionName, string> = { sharp: join(plan.job.outDir, 'sharp'), blurred: join(plan.job.outDir, 'blur'), deblurred: deblurredDir };
        const poses = {} as Record<FrameVersionName, StoredFrame[]>;
        for (const version of VERSIONS) {
          const file = join(work, 'pose', ...id.split('/'), `${version}.json`);
          const poseKey: StageKey = { mode: poseMode, model: handModel, numHands: 2, source: version === 'deblurred' ? deblurKey : synthesisMade };
          poses[version] = await timed('handpose', async () => {
            if (poseMode === 'video') {
              // Video mode tracks across frames: a fresh estimator per version and sequence, made only if needed.
              let own: Promise<HandPoseEstimator & AsyncDisposable> | undefined;
              try {
                return await poseSequence(plan, version, dirs[version], file, () => (own ??= createHandLandmarker({ mode: 'video', model: handModel, numHands: 2 })), poseKey, options);
              } finally {
                if (own) await (await own).close().catch(() => undefined);
              }
            }
            return poseSequence(plan, version, dirs[version], file, estimator, poseKey, options);
          });
        }

        const record = await timed('metrics', async () => {
          const files = poses.sharp.map((f) => f.file);
          const n = files.length;
          if (poses.blurred.length !== n || poses.deblurred.length !== n || poses.blurred.some((f, i) => f.file !== files[i]) || poses.deblurred.some((f, i) => f.file !== files[i]?.replace(/\.[^.]+$/, '.png'))) {
            throw new InvalidOptionError(`Sequence ${id}: the sharp, blurred and deblurred versions have ${n}, ${poses.blurred.length} and ${poses.deblurred.length} frames; delete ${work} and run again.`);
          }
          const gt = plan.groundTruth === 'fpha-skeleton' ? await skeletonJoints(plan, files) : poses.sharp.map((f) => fphaJoints(f.hands)[0] ?? null);
          const jointInputs: JointFrameInput[] = files.map((_, i) => ({
            index: i,
            groundTruth: gt[i] ?? null,
            blurred: fphaJoints(poses.blurred[i]!.hands),
            deblurred: fphaJoints(poses.deblurred[i]!.hands),
            ...(plan.groundTruth === 'fpha-skeleton' ? { sharp: fphaJoints(poses.sharp[i]!.hands) } : {}),
          }));
          const joints = scoreJointSequence(id, jointInputs, { groundTruth: plan.groundTruth, pckThresholds: thresholds });
          const perFrame: FrameRecord[] = [];
          for (let i = 0; i < n; i++) {
            checkAborted(options.signal);
            const sharpName = files[i]!;
            const png = sharpName.replace(/\.[^.]+$/, '.png');
            const [sharp, blurred, deblurred] = await Promise.all([join(dirs.sharp, sharpName), join(dirs.blurred, png), join(dirs.deblurred, png)].map((path) => decodeImage(path, 'uint16')));
            const conv = { channel, cropBorder, bitDepth: 8 as const };
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
            options.onProgress?.({ stage: 'metrics', sequence: id, done: i + 1, total: n });
          }
          jointSequences.push(joints);
          return { id, frames: n, summary: summarize(perFrame, joints.summary, thresholds), perFrame } satisfies SequenceReport;
        });
        sequences.push(record);

        // Panels: the frame where deblurring lowered the pose error most, and the middle frame.
        const picks = pickPanels(record.perFrame, panelsPerSequence);
        for (const index of picks) {
          const paths = {} as Record<FrameVersionName, string>;
          await writingOutput(report, () => mkdir(join(folder.stagingPath, 'panels'), { recursive: true }));
          for (const version of VERSIONS) {
            const frame = await decodeImage(join(dirs[version], poses[version][index]!.file), 'uint8');
            const rel = `panels/${id.replace(/[^A-Za-z0-9_-]+/g, '_')}_${String(index).padStart(4, '0')}_${version}.jpg`;
            const jpeg = await encodeImage(drawHands(frame, poses[version][index]!.hands), 'jpeg', { quality: 90 });
            await writingOutput(report, () => writeFile(join(folder.stagingPath, ...rel.split('/')), jpeg));
            paths[version] = rel;
          }
          panels.push({ sequence: id, index, ...paths });
        }
      }
    } finally {
      if (landmarker) await (await landmarker).close().catch(() => undefined);
    }

    const aggregate = aggregateJointMetrics(jointSequences);
    const allFrames = sequences.flatMap((s) => s.perFrame);
    const onnxruntime = await packageVersion('onnxruntime-node');
    const result: EvalReport = {
      schemaVersion: 1,
      createdAt: new Date().toISOString(),
      tool: { name: 'promotion-handpose', version: VERSION },
      versions: { node: process.versions.node, onnxruntime, mediapipeTasksVision: TASKS_VISION_VERSION },
      config: {
        inputs: [...options.inputs],
        groundTruth,
        groundTruthNote:
          groundTruth === 'fpha-skeleton'
            ? `FPHA skeletons projected into the colour frames (camera: ${cameraSources.join(', ')}); MediaPipe's 21 landmarks compared in FPHA joint order.`
            : 'Pseudo ground truth: MediaPipe on the sharp frames. The sharp row measures nothing; only blurred vs deblurred means something.',
        model: { name: model.card.name, preset: model.card.preset ?? model.card.name, sha256: model.card.sha256, device: model.executionProvider },
        synthesis: synthesisRecord,
        handpose: { estimator: `mediapipe-tasks-vision@${TASKS_VISION_VERSION}`, mode: poseMode, model: handModel, numHands: 2 },
        deblur: { tileSize: settings.tileSize ?? model.contract.tileSize ?? DEFAULT_TILE_SIZE, overlap: settings.overlap ?? defaultTileOverlap(settings.tileSize ?? model.contract.tileSize ?? DEFAULT_TILE_SIZE), roi: settings.roi?.kind ?? 'off', clampRadius: deblurSettings.clampRadius, threads: model.threads, executionProvider: model.executionProvider },
        metrics: { channel, cropBorder, pckThresholds: thresholds, pckNormalization: 'bbox' },
      },
      summary: summarize(allFrames, aggregate, thresholds),
      sequences,
      panels,
      timing: { totalMs: Math.round(performance.now() - started), stages: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, Math.round(v)])) },
    };
    await folder.commit(result);
    return result;
  } catch (error) {
    await folder.abort();
    throw error;
  } finally {
    await model?.close();
  }
}

/** The installed version of a dependency (from its package.json), or 'unknown'. */
async function packageVersion(name: string): Promise<string> {
  try {
    let dir = dirname(createRequire(import.meta.url).resolve(name));
    for (let i = 0; i < 6; i++, dir = dirname(dir)) {
      const file = join(dir, 'package.json');
      if (existsSync(file)) {
        const pkg = JSON.parse(await readFile(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name && pkg.version) return pkg.version;
      }
    }
  } catch {
    // fall through
  }
  return 'unknown';
}

/** Frames for the image panels: the largest RMSE gain first, then the middle frame, then evenly spread. */
export function pickPanels(frames: readonly FrameRecord[], count: number): number[] {
  if (count === 0 || frames.length === 0) return [];
  const picks: number[] = [];
  let best = -1;
  let bestGain = Number.NEGATIVE_INFINITY;
  for (const f of frames) {
    const b = f.joints.blurred.rmse;
    const d = f.joints.deblurred.rmse;
    if (b !== null && d !== null && b - d > bestGain) {
      bestGain = b - d;
      best = f.index;
    }
  }
  if (best >= 0) picks.push(best);
  const want = Math.min(count, frames.length);
  // Then frames spread evenly over the sequence (the middle one first when one more is wanted), then any left.
  const spread = Array.from({ length: want }, (_, k) => frames[Math.floor(((k + 0.5) * frames.length) / want)]!.index);
  for (const index of [...spread, ...frames.map((f) => f.index)]) {
    if (picks.length >= want) break;
    if (!picks.includes(index)) picks.push(index);
  }
  return picks.slice(0, count).sort((a, b) => a - b);
}
