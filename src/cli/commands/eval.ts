/**
 * `promotion eval <inputs...> --report <dir>`: the Table-5 experiment (synthesis, deblurring, hand pose on the
 * sharp, blurred and deblurred frames, metrics) and its report (report.json + index.html). Resumes from the work
 * folder. Prints the Table-5-style summary.
 */
import type { DeblurRoi } from '../../deblur/roi.js';
import { evaluate, type EvaluateOptions } from '../../eval/evaluate.js';
import type { EvaluateProgress } from '../../eval/stages.js';
import { reportGainSpread, SPREAD_METRICS } from '../../eval/gain-spreads.js';
import type { EvalReport } from '../../eval/report-schema.js';
import { formatSummaryTable } from '../../eval/summary-table.js';
import { expectInteger, expectNumber, expectOneOf, invalidOption, withFlagNames } from '../../options.js';
import type { CliIo } from '../io.js';
import { num, list } from '../args.js';

/** Options of the eval command (strings from commander). */
export interface EvalCommandOptions {
  report: string;
  work?: string;
  model?: string;
  device?: string;
  threads?: string;
  tile?: string;
  clampRadius?: string;
  roi?: string;
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
      ...(options.model !== undefined ? { model: options.model } : {}),
      ...(options.device !== undefined ? { device: expectOneOf('--device', options.device, ['cpu', 'cuda', 'auto'] as const) } : {}),
      ...(options.threads !== undefined ? { threads: expectInteger('--threads', num(options.threads), 1, 256) } : {}),
      ...(options.tile !== undefined ? { tileSize: expectInteger('--tile', num(options.tile), 64, 16384) } : {}),
      ...(options.clampRadius !== undefined ? { clampRadius: expectInteger('--clamp-radius', num(options.clampRadius), 0, 64) } : {}),
      ...(roi ? { roi } : {}),
      onWarning: (message: string) => io.stderr.write(`promotion: ${message}\n`),
    },
    handpose: {
      mode: expectOneOf('--pose-mode', options.poseMode ?? 'image', ['image', 'video'] as const),
      model: expectOneOf('--hand-model', options.handModel ?? 'full', ['full', 'lite'] as const),
    },
    metrics: {
      channel: expectOneOf('--channel', options.channel ?? 'rgb', ['rgb', 'y'] as const),
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
  exposureFrames: '--exposure-frames',
  maxFrames: '--max-frames',
  'metrics.cropBorder': '--crop-border',
  cropBorder: '--crop-border',
  'metrics.channel': '--channel',
  'metrics.pckThresholds': '--pck',
  tileSize: '--tile',
  clampRadius: '--clamp-radius',
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
    io.stdout.write(`${JSON.stringify({ report: options.report, summary: report.summary, gainSpreads, groundTruth: report.config.groundTruth, timing: report.timing }, null, 2)}\n`);
  } else {
    io.stdout.write(`${formatSummaryTable(report, { color: io.stdout.isTTY === true })}\n`);
    io.stdout.write(`Report: ${options.report}/index.html (data: report.json); ${report.sequences.length} sequences, ${report.sequences.reduce((a, s) => a + s.frames, 0)} frames in ${(report.timing.totalMs / 1000).toFixed(1)} s.\n`);
  }
  return report;
}
