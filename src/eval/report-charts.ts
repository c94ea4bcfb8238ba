/**
 * The report's charts as Vega-Lite specs with their data inline (rendered by `charts.ts`). Pure data work: the
 * per-frame curves, detection strips and gain histograms are prepared here (binned, run-length coded) so the
 * specs stay small and the SVGs hold few marks.
 */
import type { Config } from 'vega-lite';
import type { Field, PositionDef } from 'vega-lite/types_unstable/channeldef.js';
import type { MarkDef } from 'vega-lite/types_unstable/mark.js';
import type { FacetedUnitSpec } from 'vega-lite/types_unstable/spec/unit.js';
import type { LayerSpec } from 'vega-lite/types_unstable/spec/layer.js';
import type { ChartSpec } from './charts.js';
import type { EvalReport, FrameRecord, SequenceReport } from './report-schema.js';
import type { GroundTruthKind } from '../metrics/definitions.js';

/** Colours of the three versions of a frame, shared by charts and page. */
export const VERSION_COLORS = { blurred: '#e8710a', deblurred: '#1a73e8', sharp: '#80868b' } as const;

/** Colours of a gain's effect. */
export const EFFECT_COLORS = { better: '#188038', worse: '#d93025' } as const;

/**
 * The charts' font as written into the SVG. Kept short: the page's CSS sets the text of inline charts in its own
 * font (CSS overrides SVG presentation attributes), so only a chart opened on its own uses this.
 */
const FONT = 'sans-serif';

/** The charts' look: quiet axes, no frame, legends on top. */
const CONFIG = {
  font: FONT,
  view: { stroke: null },
  axis: {
    labelColor: '#5f6368',
    titleColor: '#3c4043',
    titleFontWeight: 500,
    labelFontSize: 11,
    titleFontSize: 12,
    domainColor: '#bdc1c6',
    tickColor: '#bdc1c6',
    gridColor: '#eceff1',
  },
  legend: { orient: 'top', labelLimit: 240, labelFontSize: 12, titleFontSize: 12, titleFontWeight: 500, labelColor: '#3c4043', titleColor: '#3c4043', symbolStrokeWidth: 2 },
  title: { anchor: 'start', fontSize: 13, fontWeight: 600, color: '#202124', subtitleColor: '#5f6368', subtitleFontSize: 12, offset: 8 },
  concat: { spacing: 18 },
} satisfies Config;

/** Width of the plotting area of full-width charts, in px (the page's column is about 900 px). */
export const CHART_WIDTH = 800;

// ---------------------------------------------------------------------------------------------------------------
// Data preparation
// ---------------------------------------------------------------------------------------------------------------

/** One histogram bin; `start` and `end` are multiples of the bin width, so no bin straddles 0. */
export interface HistogramBin {
  start: number;
  end: number;
  count: number;
}

/** A round bin width (1, 2 or 5 times a power of ten) giving about `targetBins` bins over `span`. */
export function niceBinWidth(span: number, targetBins: number): number {
  const raw = span / Math.max(1, targetBins);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  return step ?? 10 * power;
}

/**
 * Bins `values` into round bins whose edges are multiples of the width (0 is always an edge). A value on an edge
 * goes to the bin above it. Empty input gives no bins; equal values give one bin.
 */
export function histogram(values: readonly number[], targetBins = 30): HistogramBin[] {
  if (values.length === 0) return [];
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min;
  const width = span > 0 ? niceBinWidth(span, targetBins) : niceBinWidth(Math.max(Math.abs(max), 1e-6), 10);
  const first = Math.floor(min / width);
  const last = Math.floor(max / width);
  const counts = new Array<number>(last - first + 1).fill(0);
  for (const v of values) {
    const k = Math.floor(v / width) - first;
    counts[k] = (counts[k] ?? 0) + 1;
  }
  // Edges as k * width, rounded to the width's decimals so 0.30000000000000004 does not reach the chart.
  const decimals = Math.max(0, -Math.floor(Math.log10(width)) + 1);
  const edge = (k: number) => Number((k * width).toFixed(decimals));
  return counts.map((count, i) => ({ start: edge(first + i), end: edge(first + i + 1), count }));
}

/**
 * Whether a frame's joint errors enter the averages: every version scored has an error (ground truth exists and the
 * hand was found in it). The sharp version is scored under FPHA ground truth, not under pseudo ground truth.
 */
export function isCompared(frame: FrameRecord, groundTruth: GroundTruthKind): boolean {
  const { blurred, deblurred, sharp } = frame.joints;
  return blurred.rmse !== null && deblurred.rmse !== null && (groundTruth === 'pseudo' || sharp.rmse !== null);
}

/** Metrics with a value per frame and version (the rest, PCK and detection rate, are pooled counts). */
export type PerFrameMetric = 'psnr' | 'ssim' | 'rmse' | 'abse' | 'epe';

/**
 * Per-frame values of a metric on the blurred and deblurred versions, paired: every frame for PSNR and SSIM; for joint
 * errors the frames that enter the averages ({@link isCompared}), the same frames the summary's RMSE, ABSE and EPE use.
 */
export function framePairs(frames: readonly FrameRecord[], metric: PerFrameMetric, groundTruth: GroundTruthKind): { blurred: number[]; deblurred: number[] } {
  const blurred: number[] = [];
  const deblurred: number[] = [];
  for (const f of frames) {
    if (metric === 'psnr' || metric === 'ssim') {
      blurred.push(f[metric].blurred);
      deblurred.push(f[metric].deblurred);
    } else if (isCompared(f, groundTruth)) {
      blurred.push(f.joints.blurred[metric]!);
      deblurred.push(f.joints.deblurred[metric]!);
    }
  }
  return { blurred, deblurred };
}

/**
 * Whether a frame has ground truth, as far as its record tells: under pseudo ground truth the sharp frame's hand is
 * it; with FPHA skeletons a frame has it unless a version found a hand and got no error (no skeleton line for it).
 */
export function hasGroundTruth(frame: FrameRecord, groundTruth: GroundTruthKind): boolean {
  const { blurred, deblurred, sharp } = frame.joints;
  if (groundTruth === 'pseudo') return sharp.found;
  return ![blurred, deblurred, sharp].some((v) => v.found && v.rmse === null);
}

/**
 * Per-frame detections (1 found, 0 missed) on the blurred and deblurred versions, paired, over the frames with ground
 * truth: the frames the detection rate counts, so their mean is the summary's detection rate.
 */
export function detectionPairs(frames: readonly FrameRecord[], groundTruth: GroundTruthKind): { blurred: number[]; deblurred: number[] } {
  const blurred: number[] = [];
  const deblurred: number[] = [];
  for (const f of frames) {
    if (!hasGroundTruth(f, groundTruth)) continue;
    blurred.push(f.joints.blurred.found ? 1 : 0);
    deblurred.push(f.joints.deblurred.found ? 1 : 0);
  }
  return { blurred, deblurred };
}

/** Per-frame gains of a metric, better positive, over the frames of {@link framePairs}. */
export function frameGains(frames: readonly FrameRecord[], metric: PerFrameMetric, groundTruth: GroundTruthKind): number[] {
  const { blurred, deblurred } = framePairs(frames, metric, groundTruth);
  return blurred.map((b, i) => (metric === 'psnr' || metric === 'ssim' ? deblurred[i]! - b : b - deblurred[i]!));
}

/** A run of consecutive frames with the same detection outcome: frames `start` to `end - 1`. */
export interface DetectionRun {
  version: 'blurred' | 'deblurred' | 'sharp';
  start: number;
  end: number;
  found: boolean;
}

/** Run-length codes the per-frame detections of each version (a gap in the frame indices ends a run). */
export function detectionRuns(frames: readonly FrameRecord[]): DetectionRun[] {
  const runs: DetectionRun[] = [];
  for (const version of ['blurred', 'deblurred', 'sharp'] as const) {
    let run: DetectionRun | undefined;
    for (const f of frames) {
      const found = f.joints[version].found;
      if (run && run.found === found && run.end === f.index) {
        run.end = f.index + 1;
      } else {
        run = { version, start: f.index, end: f.index + 1, found };
        runs.push(run);
      }
    }
  }
  return runs;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** `212 of 240 frames better, 25 worse; median +5.81 dB`. */
export function gainSubtitle(gains: readonly number[], unit: string, decimals: number): string {
  if (gains.length === 0) return 'no frame to compare';
  const better = gains.filter((g) => g > 0).length;
  const worse = gains.filter((g) => g < 0).length;
  const m = median(gains);
  const sign = m > 0 ? '+' : m < 0 ? '\u2212' : '';
  return `${better} of ${gains.length} frames better, ${worse} worse; median ${sign}${Math.abs(m).toFixed(decimals)}${unit ? ` ${unit}` : ''}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Specs
// ---------------------------------------------------------------------------------------------------------------

function histogramLayer(title: string, subtitle: string, axisTitle: string, bins: readonly HistogramBin[], width: number): LayerSpec<Field> {
  const values = bins.map((b) => ({ ...b, effect: b.start >= 0 ? 'deblurring helped' : 'deblurring hurt' }));
  return {
    title: { text: title, subtitle },
    width,
    height: 160,
    layer: [
      {
        data: { values },
        mark: { type: 'bar', binSpacing: 1, cornerRadiusEnd: 0 },
        encoding: {
          x: { field: 'start', type: 'quantitative', title: axisTitle, scale: { zero: true } },
          x2: { field: 'end' },
          y: { field: 'count', type: 'quantitative', title: 'frames', axis: { tickMinStep: 1 } },
          y2: { datum: 0 },
          color: {
            field: 'effect',
            type: 'nominal',
            title: null,
            scale: { domain: ['deblurring helped', 'deblurring hurt'], range: [EFFECT_COLORS.better, EFFECT_COLORS.worse] },
          },
        },
      },
      { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', color: '#3c4043', strokeDash: [3, 3] }, encoding: { x: { field: 'zero', type: 'quantitative' } } },
    ],
  };
}

/**
 * Distributions of the per-frame gains of PSNR and RMSE over every frame of the report, coloured by sign, with
 * a dashed line at 0. RMSE gains count the frames that enter the summary's RMSE ({@link isCompared}).
 */
export function gainDistributionSpec(report: EvalReport): ChartSpec {
  const frames = report.sequences.flatMap((s) => s.perFrame);
  const psnr = frameGains(frames, 'psnr', report.config.groundTruth);
  const rmse = frameGains(frames, 'rmse', report.config.groundTruth);
  const panels = [histogramLayer('PSNR gain per frame', gainSubtitle(psnr, 'dB', 2), 'PSNR gain (dB)', histogram(psnr), 360)];
  panels.push(
    histogramLayer(
      'RMSE gain per frame',
      rmse.length > 0 ? gainSubtitle(rmse, 'px', 2) : 'no frame with a hand found in every version',
      'RMSE gain (px)',
      histogram(rmse),
      360,
    ),
  );
  return { config: CONFIG, background: 'transparent', hconcat: panels, resolve: { scale: { color: 'shared' } } };
}

/**
 * Gains per sequence (PSNR and RMSE side by side, one bar each, report order). Meant for up to a few dozen
 * sequences; the page draws it for at most {@link MAX_SEQUENCE_BARS}.
 */
export function sequenceGainsSpec(report: EvalReport): ChartSpec {
  const values = report.sequences.flatMap((s, order) =>
    (['psnr', 'rmse'] as const).map((metric) => {
      const gain = s.summary[metric].gain;
      return { sequence: s.id, order, metric, gain, effect: gain === null ? 'n/a' : gain >= 0 ? 'deblurring helped' : 'deblurring hurt' };
    }),
  );
  const height = Math.max(40, report.sequences.length * 18);
  const panel = (metric: 'psnr' | 'rmse', title: string, showLabels: boolean): FacetedUnitSpec<Field> => ({
    width: 300,
    height,
    transform: [{ filter: `datum.metric === '${metric}'` }],
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'sequence', type: 'nominal', sort: { field: 'order' }, title: null, axis: showLabels ? { labelLimit: 260 } : { labels: false, ticks: false } },
      x: { field: 'gain', type: 'quantitative', title, scale: { zero: true } },
      color: {
        field: 'effect',
        type: 'nominal',
        title: null,
        scale: { domain: ['deblurring helped', 'deblurring hurt'], range: [EFFECT_COLORS.better, EFFECT_COLORS.worse] },
      },
    },
  });
  return {
    config: CONFIG,
    background: 'transparent',
    data: { values },
    hconcat: [panel('psnr', 'PSNR gain (dB)', true), panel('rmse', 'RMSE gain (px)', false)],
  };
}

/** Sequences above this count get no per-sequence bar chart (the table lists them all). */
export const MAX_SEQUENCE_BARS = 40;

/**
 * One sequence, frame by frame: PSNR of the blurred and deblurred frames, RMSE of the joints on each version (the
 * sharp one too under FPHA ground truth; a line breaks where no hand was found), and a strip of which versions
 * found a hand. The three share the frame axis.
 */
export function sequenceCurvesSpec(sequence: SequenceReport, report: EvalReport): ChartSpec {
  const frames = sequence.perFrame;
  const first = frames[0]?.index ?? 0;
  const last = frames[frames.length - 1]?.index ?? 0;
  const x: PositionDef<Field> = { field: 'frame', type: 'quantitative', title: null, scale: { domain: [first - 0.5, last + 0.5], nice: false, zero: false }, axis: { tickMinStep: 1, format: 'd', tickCount: 12, grid: false } };
  const showPoints = frames.length <= 60;
  const pseudo = report.config.groundTruth === 'pseudo';
  const versions = pseudo ? (['blurred', 'deblurred'] as const) : (['blurred', 'deblurred', 'sharp'] as const);
  const colorScale = (shown: readonly ('blurred' | 'deblurred' | 'sharp')[]) => ({ domain: [...shown], range: shown.map((v) => VERSION_COLORS[v]) });
  const psnr = frames.flatMap((f) => (['blurred', 'deblurred'] as const).map((version) => ({ frame: f.index, version, value: f.psnr[version] })));
  const rmse = frames.flatMap((f) => versions.map((version) => ({ frame: f.index, version, value: f.joints[version].rmse })));
  const line: MarkDef = { type: 'line', strokeWidth: 1.5, invalid: 'break-paths-filter-domains', point: showPoints ? { size: 14 } : false };
  const runs = detectionRuns(frames).map((r) => ({ ...r, x0: r.start - 0.5, x1: r.end - 0.5, state: r.found ? 'hand found' : 'no hand' }));
  return {
    config: CONFIG,
    background: 'transparent',
    title: { text: sequence.id, subtitle: `${sequence.frames} frames` },
    vconcat: [
      {
        width: CHART_WIDTH,
        height: 130,
        data: { values: psnr },
        mark: line,
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title: 'PSNR (dB)', scale: { zero: false } },
          color: { field: 'version', type: 'nominal', title: null, scale: colorScale(['blurred', 'deblurred']) },
        },
      },
      {
        width: CHART_WIDTH,
        height: 130,
        data: { values: rmse },
        mark: line,
        encoding: {
          x,
          y: { field: 'value', type: 'quantitative', title: pseudo ? 'RMSE vs pseudo GT (px)' : 'RMSE (px)', scale: { zero: true } },
          color: { field: 'version', type: 'nominal', title: null, scale: colorScale(versions), legend: pseudo ? null : {} },
        },
      },
      {
        width: CHART_WIDTH,
        height: 54,
        data: { values: runs },
        mark: { type: 'rect' },
        encoding: {
          x: { ...x, field: 'x0', title: 'frame' },
          x2: { field: 'x1' },
          y: { field: 'version', type: 'nominal', title: 'hand', sort: ['blurred', 'deblurred', 'sharp'], axis: { labelFontSize: 10 } },
          color: { field: 'state', type: 'nominal', title: null, scale: { domain: ['hand found', 'no hand'], range: ['#c9ced6', EFFECT_COLORS.worse] } },
        },
      },
    ],
    resolve: { scale: { color: 'independent', x: 'shared' }, legend: { color: 'independent' } },
  };
}
