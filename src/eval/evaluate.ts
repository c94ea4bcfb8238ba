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
 * Every stage keeps its output in a work folder (default `<report>.work`, beside the report) with the key it was made
 * from, and skips what is already complete, so an interrupted run resumes (work-folder.ts). This file plans the run
 * and assembles the report; the stages are in stages.ts, the panels in panels.ts.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { runSynthJob } from '../blur-synthesis/dataset-writer.js';
import { planSynthJobs } from '../blur-synthesis/plan.js';
import { synthesisParameters, type SynthesisOptions } from '../blur-synthesis/synthesize.js';
import { clampRadiusFor, DEFAULT_TILE_SIZE, defaultTileOverlap, type DeblurOptions, resolveDeblurOptions } from '../deblur/deblur.js';
import { loadDeblurModel, type LoadedDeblurModel } from '../deblur/onnx-session.js';
import { InvalidOptionError } from '../errors.js';
import type { HandPoseEstimator } from '../handpose/estimator.js';
import type { HandModelVariant } from '../handpose/mediapipe/model-asset.js';
import { createHandLandmarker, TASKS_VISION_VERSION } from '../handpose/mediapipe-hand-landmarker.js';
import type { FrameVersion } from '../metrics/comparison.js';
import type { GroundTruthKind } from '../metrics/definitions.js';
import { aggregateJointMetrics, DEFAULT_PCK_THRESHOLDS, type SequenceJointMetrics } from '../metrics/joints.js';
import { SSIM_WINDOW_SIZE } from '../metrics/ssim.js';
import { expectBoolean, expectInteger, expectKnownKeys, expectOneOf, expectString, invalidOption } from '../options.js';
import { checkOutputLocation, checkOutputNotInput, checkOutputPath } from '../stream/atomic.js';
import { type FphaSelection, fphaCameraOf, resolveFphaSequence } from '../stream/fpha-source.js';
import { openSource } from '../stream/open-source.js';
import { VERSION } from '../version.js';
import { pickPanels, writePanels } from './panels.js';
import { openReportFolder } from './report-files.js';
import { recoveredRecord } from './recovered.js';
import { type EvalReport, type ModelRecord, type PanelRecord, REPORT_SCHEMA_VERSION, type SequenceReport } from './report-schema.js';
import { comparisonRecord, type ModelResult } from './model-comparison.js';
import { DEFAULT_DEBLUR_MODEL } from '../deblur/model-card.js';
import { checkAborted, deblurSequence, type EvaluateProgress, poseSequence, scoreSequence, type SequencePlan, type StoredFrame, summarize } from './stages.js';
import { deblurredDir, poseFile, type StageKey, synthRoot } from './work-folder.js';

/** Default panels per sequence in the HTML report (the frame where deblurring helped pose most, and the middle one). */
export const DEFAULT_PANELS_PER_SEQUENCE = 2;

/** Default hand-pose mode of the evaluation: each frame on its own, so blur cannot hide behind the tracker. */
export const DEFAULT_EVAL_POSE_MODE = 'image';

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
  readonly deblur?: Pick<DeblurOptions, 'device' | 'threads' | 'tileSize' | 'overlap' | 'roi' | 'clampRadius' | 'deadband' | 'deadbandFlat' | 'deconvolve' | 'gate' | 'onWarning' | 'plain'> & {
    /**
     * The model, or several to compare on the same blur and pose settings (default the shipped model): names, paths
     * (a plain ONNX model too) or `reference:unsharp` / `reference:wiener`. The first is the report's own model.
     */
    model?: string | readonly string[];
  };
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

const KEYS = ['inputs', 'report', 'work', 'overwrite', 'selection', 'maxFrames', 'synthesis', 'deblur', 'handpose', 'metrics', 'panelsPerSequence', 'onProgress', 'onNotice', 'signal'] as const;

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
  const { model: modelOption, device, threads, onWarning, plain, ...settings } = options.deblur ?? {};
  const modelRefs: string[] = modelOption === undefined ? [DEFAULT_DEBLUR_MODEL] : typeof modelOption === 'string' ? [modelOption] : [...modelOption];
  if (modelRefs.length === 0) invalidOption('deblur.model', 'a model, or a non-empty list of models', modelOption);
  modelRefs.forEach((ref, i) => {
    if (modelRefs.indexOf(ref) !== i) invalidOption(`deblur.model[${i}]`, 'a model not listed before', ref);
  });
  // Checks tileSize, overlap, roi and every model's files now, before hours of synthesis.
  for (const ref of modelRefs) resolveDeblurOptions({ ...settings, model: ref, ...(plain !== undefined ? { plain } : {}) });
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
  const jobs = await planSynthJobs(options.inputs, { synthesis: options.synthesis ?? {}, motionKind: 'magnitude', overwrite: false, ...(maxFrames !== undefined ? { maxFrames } : {}) }, synthRoot(work), options.selection ?? {}, notice);
  if (jobs.length === 0) throw new InvalidOptionError(`No sequences to evaluate in ${options.inputs.join(', ')} (with the given selection)`);
  const kinds = new Set(jobs.map((j) => (j.skeleton ? 'fpha-skeleton' : 'pseudo')));
  if (kinds.size > 1) throw new InvalidOptionError('The inputs mix FPHA sequences (skeleton ground truth) and plain sequences (pseudo ground truth); evaluate them in separate runs so each report measures one thing.');
  const groundTruth = [...kinds][0] as GroundTruthKind;
  const plans: SequencePlan[] = [];
  for (const job of jobs) {
    const cam = groundTruth === 'fpha-skeleton' ? await fphaCameraOf(await resolveFphaSequence(job.input)) : undefined;
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
  const models: LoadedDeblurModel[] = [];
  try {
    // One session per model for the whole run; a missing or wrong model fails here, before any synthesis.
    for (const ref of modelRefs) {
      models.push(await loadDeblurModel({ model: ref, ...(plain !== undefined ? { plain } : {}), ...(device !== undefined ? { device } : {}), ...(threads !== undefined ? { threads } : {}), ...(onWarning !== undefined ? { onWarning } : {}) }));
    }
    const names = models.map((m) => m.identity.name);
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i) throw new InvalidOptionError(`Models ${modelRefs[names.indexOf(name)]} and ${modelRefs[i]} are both named ${name}; a comparison needs distinct names (give a plain model its own name in its card, or pass each model once).`);
    });
    // Per model, the clamp radius as resolved (given, the card's, else the default), so that a change of its default redoes the deblurred frames.
    // A deadband given here (the card's is in the model's identity key).
    const deblurSettings = (model: LoadedDeblurModel) => ({ tileSize: settings.tileSize, overlap: settings.overlap, roi: settings.roi?.kind ?? 'off', clampRadius: clampRadiusFor(model, settings.clampRadius), ...(settings.deadband !== undefined ? { deadband: settings.deadband } : {}), ...(settings.deadbandFlat !== undefined ? { deadbandFlat: settings.deadbandFlat } : {}), ...(settings.deconvolve !== undefined ? { deconvolve: settings.deconvolve } : {}), ...(settings.gate ? { gate: settings.gate } : {}) });
    let landmarker: Promise<HandPoseEstimator & AsyncDisposable> | undefined;
    const estimator = () => (landmarker ??= createHandLandmarker({ mode: poseMode, model: handModel, numHands: 2 }));
    // Per model: its sequences' records and joint metrics.
    const perModel = models.map(() => ({ sequences: [] as SequenceReport[], joints: [] as SequenceJointMetrics[] }));
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

        // A plain (non-FPHA) job may estimate with video mode: one estimator per version keeps the tracker's state apart.
        const pose = (version: FrameVersion, dir: string, file: string, poseKey: StageKey) =>
          timed('handpose', async () => {
            if (poseMode === 'video') {
              // Video mode tracks across frames: a fresh estimator per version and sequence, made only if needed.
              let own: Promise<HandPoseEstimator & AsyncDisposable> | undefined;
              try {
                return await poseSequence(plan, version, dir, file, () => (own ??= createHandLandmarker({ mode: 'video', model: handModel, numHands: 2 })), poseKey, options);
              } finally {
                if (own) await (await own).close().catch(() => undefined);
              }
            }
            return poseSequence(plan, version, dir, file, estimator, poseKey, options);
          });
        // The blurred and sharp frames' pose is shared by every model.
        const sharpDir = join(plan.job.outDir, 'sharp');
        const blurredDir = join(plan.job.outDir, 'blur');
        const sharpPose = await pose('sharp', sharpDir, poseFile(work, id, 'sharp'), { mode: poseMode, model: handModel, numHands: 2, source: synthesisMade });
        const blurredPose = await pose('blurred', blurredDir, poseFile(work, id, 'blurred'), { mode: poseMode, model: handModel, numHands: 2, source: synthesisMade });

        for (const [k, model] of models.entries()) {
          // The first model keeps the one-model layout (deblurred/<seq>, pose/<seq>/deblurred.json); the others have their own.
          const slug = k === 0 ? undefined : modelSlug(model.identity.name);
          const deblurred = deblurredDir(work, id, slug);
          // The model's digests and the description the runtime reads (identity.key: a two-part model's feature graph can
          // change while the other does not; the card's motion flow and tile change the output with the same weights),
          // and the tool's version: a release may change what deblur() does with the same model and settings.
          const deblurKey: StageKey = { ...model.identity.key, settings: deblurSettings(model), synthesis: synthesisMade, tool: VERSION };
          const deblurMade = await timed('deblur', () => deblurSequence(plan, deblurred, model, { ...settings }, deblurKey, options, notice));
          const dirs: Record<FrameVersion, string> = { sharp: sharpDir, blurred: blurredDir, deblurred };
          const poses: Record<FrameVersion, StoredFrame[]> = {
            sharp: sharpPose,
            blurred: blurredPose,
            // Keyed on when the frames were made, too: frames deblurred again with the same key (their folder deleted
            // or replaced) are estimated again.
            deblurred: await pose('deblurred', deblurred, poseFile(work, id, 'deblurred', slug), { mode: poseMode, model: handModel, numHands: 2, source: { ...deblurKey, made: deblurMade } }),
          };
          const { record, joints } = await timed('metrics', () => scoreSequence(plan, dirs, poses, { channel, cropBorder, pckThresholds: thresholds }, work, options));
          perModel[k]!.joints.push(joints);
          perModel[k]!.sequences.push(record);
          // Panels (of the first model): the frame where deblurring lowered the pose error most, and the middle frame.
          if (k === 0) panels.push(...(await writePanels(report, folder.stagingPath, id, pickPanels(record.perFrame, panelsPerSequence), dirs, poses)));
        }
      }
    } finally {
      if (landmarker) await (await landmarker).close().catch(() => undefined);
    }

    const modelRecord = (m: LoadedDeblurModel): ModelRecord => ({ name: m.identity.name, preset: m.identity.preset, sha256: m.identity.sha256 ?? null, device: m.executionProvider, clampRadius: clampRadiusFor(m, settings.clampRadius) });
    const results: ModelResult[] = models.map((m, k) => {
      const { sequences: own, joints } = perModel[k]!;
      const summary = summarize(
        own.flatMap((s) => s.perFrame),
        aggregateJointMetrics(joints),
        thresholds,
      );
      return { model: modelRecord(m), summary, recovered: recoveredRecord(summary, own, groundTruth), sequences: own };
    });
    const first = results[0]!;
    const model = models[0]!;
    const sequences = first.sequences;
    const summary = first.summary;
    const onnxruntime = await packageVersion('onnxruntime-node');
    const result: EvalReport = {
      schemaVersion: REPORT_SCHEMA_VERSION,
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
        model: first.model,
        synthesis: synthesisRecord,
        handpose: { estimator: `mediapipe-tasks-vision@${TASKS_VISION_VERSION}`, mode: poseMode, model: handModel, numHands: 2 },
        deblur: { tileSize: settings.tileSize ?? model.contract.tileSize ?? DEFAULT_TILE_SIZE, overlap: settings.overlap ?? defaultTileOverlap(settings.tileSize ?? model.contract.tileSize ?? DEFAULT_TILE_SIZE), roi: settings.roi?.kind ?? 'off', clampRadius: clampRadiusFor(model, settings.clampRadius), gate: settings.gate ?? false, threads: model.threads, executionProvider: model.executionProvider },
        metrics: { channel, cropBorder, pckThresholds: thresholds, pckNormalization: 'bbox' },
      },
      summary,
      recovered: recoveredRecord(summary, sequences, groundTruth),
      sequences,
      panels,
      models: results,
      comparison: comparisonRecord(results, groundTruth),
      timing: { totalMs: Math.round(performance.now() - started), stages: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, Math.round(v)])) },
    };
    await folder.commit(result);
    return result;
  } catch (error) {
    await folder.abort();
    throw error;
  } finally {
    await Promise.all(models.map((m) => m.close()));
  }
}

/** A model's name as a work-folder name part (`reference:wiener` -> `reference-wiener`). */
export function modelSlug(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-');
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
