/**
 * `promotion eval <inputs...> --report <dir>`: the Table-5 experiment (synthesis, deblurring, hand pose on the
 * sharp, blurred and deblurred frames, metrics) and its report (report.json + index.html). Resumes from the work
 * folder. Prints the Table-5-style summary.
 */
import { DEFAULT_CLAMP_RADIUS, DEFAULT_TILE_SIZE } from '../../deblur/deblur.js';
import { MAX_DECONVOLVE_ITERATIONS } from '../../deblur/deconvolve.js';
import type { DeblurRoi } from '../../deblur/roi.js';
import { DEFAULT_EVAL_POSE_MODE, DEFAULT_PANELS_PER_SEQUENCE, evaluate, type EvaluateOptions } from '../../eval/evaluate.js';
import { DEFAULT_HAND_MODEL } from '../../handpose/landmarker-options.js';
import { HAND_MODEL_VARIANTS } from '../../handpose/mediapipe/model-asset.js';
import { DEFAULT_PCK_THRESHOLDS } from '../../metrics/joints.js';
import { DEFAULT_PIXEL_CHANNEL } from '../../metrics/pixel-conventions.js';
import { DEFAULT_DEBLUR_MODEL } from '../../deblur/model-card.js';
import type { EvaluateProgress } from '../../eval/stages.js';
import { reportGainSpread, SPREAD_METRICS } from '../../eval/gain-spreads.js';
import type { EvalReport } from '../../eval/report-schema.js';
import { formatSummaryTable } from '../../eval/summary-table.js';
import { formatComparisonTable } from '../../eval/comparison-table.js';
import { expectInteger, expectNumber, expectOneOf, invalidOption, withFlagNames } from '../../options.js';
import type { CliIo, RunTask } from '../io.js';
import { num, list } from '../args.js';
import { addModelFlags, MODEL_FLAG_NAMES, type ModelFlags, plainOptionsFromFlags } from '../model-flags.js';
import { type Command, Option } from 'commander';

/** Options of the eval command (strings from commander). */
export interface EvalCommandOptions extends ModelFlags {
  report: string;
  work?: string;
  /** Every --model given, in order. */
  model?: string[];
  device?: string;
  threads?: string;
  tile?: string;
  clampRadius?: string;
  deadband?: string;
  deadbandFlat?: string;
  deconvolve?: string;
  roi?: string;
  gate?: boolean;
  subjects?: string;
  actions?: string;
  sequences?: string;
  maxFrames?: string;
  exposureFrames?: string;
  poseMode?: string;
  handModel?: string;
  channel?: string;
  cropBorder?: string;
  pck?: string;
  panels?: string;
  overwrite?: boolean;
  progress?: boolean;
  json?: boolean;
}


/** Turns the command's options into {@link EvaluateOptions} (validating each, naming the flag). */
export function evaluateOptionsFrom(inputs: readonly string[], options: EvalCommandOptions, io: CliIo): EvaluateOptions {
  const roiKind = expectOneOf('--roi', options.roi ?? 'off', ['off', 'motion', 'hands'] as const);
  const roi: DeblurRoi | undefined = roiKind === 'off' ? undefined : { kind: roiKind };
  const plain = plainOptionsFromFlags(options);
  const pck = list(options.pck)?.map((t) => expectNumber('--pck', num(t), 0, 10, true));
  if (pck !== undefined && new Set(pck).size !== pck.length) invalidOption('--pck', 'distinct thresholds', options.pck);
  const selection = {
    ...(options.subjects ? { subjects: list(options.subjects)! } : {}),
    ...(options.actions ? { actions: list(options.actions)! } : {}),
    ...(options.sequences ? { sequences: list(options.sequences)! } : {}),
  };
  return {
    inputs,
    report: options.report,
    ...(options.work !== undefined ? { work: options.work } : {}),
    overwrite: options.overwrite ?? false,
    selection,
    ...(options.maxFrames !== undefined ? { maxFrames: expectInteger('--max-frames', num(options.maxFrames), 2) } : {}),
    synthesis: options.exposureFrames !== undefined ? { exposureFrames: expectInteger('--exposure-frames', num(options.exposureFrames), 1) } : {},
    deblur: {
      ...(options.model !== undefined && options.model.length > 0 ? { model: options.model.length === 1 ? options.model[0]! : options.model } : {}),
      ...(options.device !== undefined ? { device: expectOneOf('--device', options.device, ['cpu', 'cuda', 'auto'] as const) } : {}),
      ...(options.threads !== undefined ? { threads: expectInteger('--threads', num(options.threads), 1, 256) } : {}),
      ...(options.tile !== undefined ? { tileSize: expectInteger('--tile', num(options.tile), 64, 16384) } : {}),
      ...(options.clampRadius !== undefined ? { clampRadius: expectInteger('--clamp-radius', num(options.clampRadius), 0, 64) } : {}),
      ...(options.deadband !== undefined ? { deadband: expectNumber('--deadband', num(options.deadband), 0, 16) } : {}),
      ...(options.deadbandFlat !== undefined ? { deadbandFlat: expectNumber('--deadband-flat', num(options.deadbandFlat), 0, 255) } : {}),
      ...(options.deconvolve !== undefined ? { deconvolve: expectInteger('--deconvolve', num(options.deconvolve), 0, MAX_DECONVOLVE_ITERATIONS) } : {}),
      ...(roi ? { roi } : {}),
      ...(options.gate ? { gate: true } : {}),
      ...(plain !== undefined ? { plain } : {}),
      onWarning: (message: string) => io.stderr.write(`promotion: ${message}\n`),
    },
    handpose: {
      mode: expectOneOf('--pose-mode', options.poseMode ?? DEFAULT_EVAL_POSE_MODE, ['image', 'video'] as const),
      model: expectOneOf('--hand-model', options.handModel ?? DEFAULT_HAND_MODEL, HAND_MODEL_VARIANTS),
    },
    metrics: {
      channel: expectOneOf('--channel', options.channel ?? DEFAULT_PIXEL_CHANNEL, ['rgb', 'y'] as const),
      cropBorder: expectInteger('--crop-border', num(options.cropBorder ?? '0'), 0, 1000),
      ...(pck !== undefined ? { pckThresholds: pck } : {}),
    },
    ...(options.panels !== undefined ? { panelsPerSequence: expectInteger('--panels', num(options.panels), 0, 100) } : {}),
    signal: io.signal,
  };
}

/** A one-line progress display on a terminal (nothing otherwise). */
function progressLine(io: CliIo, enabled: boolean): ((e: EvaluateProgress) => void) & { end(): void } {
  let shown = false;
  const f = ((e: EvaluateProgress) => {
    if (!enabled) return;
    const count = e.total === undefined ? '' : ` ${e.done}/${e.total}`;
    io.stderr.write(`\r\x1b[2K${e.stage} ${e.sequence}${count}`);
    shown = true;
  }) as ((e: EvaluateProgress) => void) & { end(): void };
  f.end = () => {
    if (shown) io.stderr.write('\r\x1b[2K');
  };
  return f;
}

/** The flags that set evaluate()'s options, for messages (see withFlagNames). */
const EVAL_FLAGS = {
  ...MODEL_FLAG_NAMES,
  exposureFrames: '--exposure-frames',
  maxFrames: '--max-frames',
  'metrics.cropBorder': '--crop-border',
  cropBorder: '--crop-border',
  'metrics.channel': '--channel',
  'metrics.pckThresholds': '--pck',
  tileSize: '--tile',
  clampRadius: '--clamp-radius',
  deadband: '--deadband',
  deadbandFlat: '--deadband-flat',
  deconvolve: '--deconvolve',
  threads: '--threads',
  'handpose.mode': '--pose-mode',
  'handpose.model': '--hand-model',
  panelsPerSequence: '--panels',
  work: '--work',
  report: '--report',
};

/** Runs the evaluation and prints the summary. Returns the report. */
export async function evalCommand(inputs: string[], options: EvalCommandOptions, io: CliIo): Promise<EvalReport> {
  const showProgress = options.progress !== false && !options.json && io.stderr.isTTY === true;
  const progress = progressLine(io, showProgress);
  const evalOptions = evaluateOptionsFrom(inputs, options, io);
  let report: EvalReport;
  try {
    report = await withFlagNames(EVAL_FLAGS, () => evaluate({ ...evalOptions, onProgress: progress, onNotice: (m) => io.stderr.write(`${showProgress ? '\r\x1b[2K' : ''}${m}\n`) }));
  } finally {
    progress.end();
  }
  if (options.json) {
    const gainSpreads = Object.fromEntries(SPREAD_METRICS.map((name) => [name, reportGainSpread(report, name)]));
    const models = report.models.map((m) => ({ model: m.model, summary: m.summary, recovered: m.recovered }));
    io.stdout.write(`${JSON.stringify({ report: options.report, summary: report.summary, gainSpreads, recovered: report.recovered, models, comparison: report.comparison, groundTruth: report.config.groundTruth, timing: report.timing }, null, 2)}\n`);
  } else {
    io.stdout.write(`${formatSummaryTable(report, { color: io.stdout.isTTY === true })}\n`);
    if (report.models.length > 1) io.stdout.write(`\n${formatComparisonTable(report)}\n\n`);
    io.stdout.write(`Report: ${options.report}/index.html (data: report.json); ${report.sequences.length} sequences, ${report.sequences.reduce((a, s) => a + s.frames, 0)} frames in ${(report.timing.totalMs / 1000).toFixed(1)} s.\n`);
  }
  return report;
}

/** Adds `promotion eval` to the program: its flags, their help and defaults, and the action. */
export function defineEvalCommand(program: Command, io: CliIo, run: RunTask): void {
  const cmd = program
    .command('eval')
    .description("The paper's Table-5 experiment: synthesize blur, deblur, estimate hand pose on the sharp, blurred and deblurred frames, and report PSNR/SSIM and the hand-pose gains (report.json + index.html). Resumes from its work folder.")
    .argument('<inputs...>', 'FPHA roots or sequence folders (skeleton ground truth), or image folders / videos (pseudo ground truth)')
    .requiredOption('--report <dir>', 'report folder (report.json, index.html, panels/)')
    .option('--work <dir>', 'work folder for the stages (default <report>.work); keep it to resume')
    .option(
      '--model <name|path>',
      `deblurring model; repeat it to compare several on the same blur (a name in models/, an .onnx path, a plain ONNX model, reference:unsharp, reference:wiener; default ${DEFAULT_DEBLUR_MODEL})`,
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    )
    .addOption(new Option('--device <device>', 'where the model runs').choices(['cpu', 'cuda', 'auto']))
    .option('--threads <n>', 'ONNX Runtime threads (default: the cores, at most 2)')
    .option('--tile <px>', `largest tile side for deblurring (default: the model card's tileSize, else ${DEFAULT_TILE_SIZE})`)
    .option('--clamp-radius <px>', `deblurring: clamp the output to the input's local range over this radius; 0: off (default: each model card's clampRadius, else ${DEFAULT_CLAMP_RADIUS})`)
    .option('--deadband <levels>', "deblurring: drop output changes smaller than this many 8-bit grey levels, shrink larger ones by as much; 0: off (default: each model card's deadband, else 0)")
    .option('--deadband-flat <levels>', "deblurring: the deadband only where the input spans at most this many grey levels within the clamp's radius (default: each model card's deadbandFlat, else everywhere)")
    .option('--deconvolve <steps>', "deblurring: Richardson-Lucy steps along the optical flow after the network, 0-50 (default: each model card's deconvolve, else 0)")
    .addOption(new Option('--roi <mode>', 'restore only regions of interest').choices(['off', 'motion', 'hands']).default('off'))
    .option('--gate', 'blur gate: frames where nothing moves, frames sharper than their window and still regions pass through with no network call (docs/deblurring.md)')
    .option('--subjects <list>', 'FPHA roots: comma-separated subjects')
    .option('--actions <list>', 'FPHA roots: comma-separated actions')
    .option('--sequences <list>', 'FPHA roots: comma-separated sequence numbers')
    .option('--max-frames <n>', 'frames per sequence at most')
    .option('--exposure-frames <n>', 'virtual frames averaged per blurred frame (default one interval)')
    .addOption(new Option('--pose-mode <mode>', 'hand pose on each frame alone (image) or tracked (video)').choices(['image', 'video']).default(DEFAULT_EVAL_POSE_MODE))
    .addOption(new Option('--hand-model <model>', 'MediaPipe hand model').choices(HAND_MODEL_VARIANTS).default(DEFAULT_HAND_MODEL))
    .addOption(new Option('--channel <channel>', 'PSNR/SSIM on RGB or on luma Y (BT.601)').choices(['rgb', 'y']).default(DEFAULT_PIXEL_CHANNEL))
    .option('--crop-border <px>', 'pixels ignored at each border by PSNR/SSIM (default 0)')
    .option('--pck <list>', `PCK thresholds as fractions of the hand box (default ${DEFAULT_PCK_THRESHOLDS.join(',')})`)
    .option('--panels <n>', `image panels per sequence in the HTML report (default ${DEFAULT_PANELS_PER_SEQUENCE})`)
    .option('--overwrite', 'replace an existing report (once the new one is complete)')
    .option('--no-progress', 'no progress line')
    .option('--json', 'print the summary as JSON');
  addModelFlags(cmd).action((inputs: string[], options: EvalCommandOptions) => run(async () => void (await evalCommand(inputs, options, io))));
}
