/**
 * Several models side by side (report.json schema v3, model-comparison.ts), as text for the terminal and as rows the
 * HTML report renders: per metric the blurred value, each model's value with its gain over blurred and the gain's
 * 95% interval, and the sharp value; then each pair's paired difference with its interval; then the joint errors over
 * the frames common to all.
 */
import { type MetricInfo, metricInfo } from '../metrics/definitions.js';
import { reportGainSpread, SPREAD_METRICS, type SpreadMetric } from './gain-spreads.js';
import { COMMON_METRICS } from './model-comparison.js';
import { displayed, formatNumber, labelWithUnit } from './report-format.js';
import type { EvalReport } from './report-schema.js';

/** One model's cell of a metric row. */
export interface ComparisonCell {
  readonly value: number | null;
  /** Gain over blurred (better positive), and its 95% interval; null where no frame counts. */
  readonly gain: number | null;
  readonly interval95: readonly [number, number] | null;
  readonly frames: number;
}

/** One metric across the models. */
export interface ComparisonRow {
  readonly metric: SpreadMetric;
  readonly info: MetricInfo;
  readonly blurred: number | null;
  readonly models: readonly ComparisonCell[];
  readonly sharp: number | null;
}

/**
 * The metric rows: blurred is the first model's row's (each model's joint errors average the frames where the hand
 * is found in blurred, that model and, with skeletons, sharp, so blurred and sharp differ a little between models;
 * the common-frames table has one set of frames).
 */
export function comparisonRows(report: EvalReport): ComparisonRow[] {
  const groundTruth = report.config.groundTruth;
  return SPREAD_METRICS.map((metric) => {
    const info = metricInfo(metric);
    const first = report.models[0]!.summary[metric];
    const models = report.models.map((m) => {
      const row = m.summary[metric];
      const spread = reportGainSpread({ config: { groundTruth }, sequences: m.sequences }, metric);
      return { value: row.deblurred, gain: row.gain, interval95: spread ? spread.interval95 : null, frames: row.frames };
    });
    return { metric, info, blurred: first.blurred, models, sharp: info.kind === 'image' ? null : first.sharp };
  });
}

const signed = (info: MetricInfo, v: number | null) => (v === null ? '-' : formatNumber(displayed(info, v)!, info.decimals, { signed: true, minus: '-' }));
const plain = (info: MetricInfo, v: number | null) => (v === null ? '-' : formatNumber(v * info.displayFactor, info.decimals, { minus: '-' }));

/** A gain and its interval as text: `+0.63 [+0.45, +0.79]`. */
export function gainWithInterval(info: MetricInfo, gain: number | null, interval: readonly [number, number] | null): string {
  return `${signed(info, gain)}${interval ? ` [${signed(info, interval[0])}, ${signed(info, interval[1])}]` : ''}`;
}

function align(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd());
}

/**
 * The comparison as aligned text (lines joined by `\n`), or the empty string for a report of one model: the metric
 * rows, the paired differences, and the joint errors over the common frames.
 */
export function formatComparisonTable(report: EvalReport): string {
  if (report.models.length < 2) return '';
  const names = report.models.map((m) => m.model.name);
  const pseudo = report.config.groundTruth === 'pseudo';
  const rows = comparisonRows(report);
  const table = align([
    ['metric', '', 'blurred', ...names.map((n) => `${n}: value, gain [95% interval]`), 'sharp'],
    ...rows.map((r) => [
      labelWithUnit(r.metric),
      r.info.better === 'higher' ? '\u2191' : '\u2193',
      plain(r.info, r.blurred),
      ...r.models.map((m) => `${plain(r.info, m.value)}  ${gainWithInterval(r.info, m.gain, m.interval95)}`),
      r.info.kind === 'image' ? 'reference' : pseudo ? 'n/a' : plain(r.info, r.sharp),
    ]),
  ]);
  const differences = align([
    ['difference (b - a, better positive)', ...SPREAD_METRICS.map((m) => labelWithUnit(m))],
    ...report.comparison.differences.map((d) => [
      `${d.b} - ${d.a}`,
      ...SPREAD_METRICS.map((m) => {
        const v = d.metrics[m];
        return v ? gainWithInterval(metricInfo(m), v.difference, v.interval95) : '-';
      }),
    ]),
  ]);
  const common = report.comparison.commonFrames;
  const commonTable = align([
    ['metric', 'blurred', ...names, 'sharp'],
    ...COMMON_METRICS.map((m) => {
      const info = metricInfo(m);
      const v = common.metrics[m];
      return [labelWithUnit(m), plain(info, v.blurred), ...v.models.map((x) => plain(info, x)), pseudo ? 'n/a' : plain(info, v.sharp)];
    }),
  ]);
  return [
    `Models compared on the same blur: ${names.join(', ')}`,
    ...table,
    'gain: over blurred, better positive; joint errors of each model over the frames where the hand is found in blurred, that model' + (pseudo ? '' : ' and sharp') + '.',
    '',
    ...differences,
    'difference: paired by frame (the frames both models count on), 95% interval from the same block bootstrap; an interval holding 0 cannot tell the two apart.',
    '',
    `Joint errors over the ${common.frames} frames where the hand is found in blurred, by every model${pseudo ? '' : ' and in sharp'}:`,
    ...commonTable,
  ].join('\n');
}
