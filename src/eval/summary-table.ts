/**
 * The terminal summary: the paper's Table 5 as plain text, one row per metric, columns blurred / deblurred / sharp /
 * gain, aligned, with units, and for the metrics with a value per frame how sure the gain is (gain-spreads.ts: its
 * 95% block-bootstrap interval, and the frames deblurring made better and worse). `promotion demo` and
 * `promotion eval` print it.
 */
import { DEFAULT_GAIN_BLOCK } from '../metrics/gain-spread.js';
import { expectBoolean, expectKnownKeys } from '../options.js';
import { reportGainSpread, hasSpread } from './gain-spreads.js';
import { PSEUDO_GROUND_TRUTH_NOTE, displayed, formatNumber, gainEffect, groundTruthLabel, labelWithUnit, totalFrames } from './report-format.js';
import { type EvalReport, type RecoveryRecord, summaryRow } from './report-schema.js';
import { type MetricName, metricInfo, metricNames } from '../metrics/definitions.js';

/** Options of {@link formatSummaryTable}. */
export interface SummaryTableOptions {
  /** Colour gains with ANSI escapes: green when deblurring helped, red when it hurt. Default false. */
  color?: boolean;
}

const ANSI = { better: '\u001b[32m', worse: '\u001b[31m', reset: '\u001b[0m' } as const;

/**
 * The report's summary as an aligned plain-text table (lines joined by `\n`, no trailing newline):
 *
 * ```
 * Hand pose after deblurring: 2 sequences, 240 frames; ground truth: FPHA skeleton annotations
 * metric                   blurred  deblurred      sharp     gain    95% interval  better/worse  frames
 * PSNR (dB)           ↑      28.41      34.43  reference    +6.02  [+5.80, +6.21]       240/0       240
 * RMSE (px)           ↓      14.20      11.30       8.10    +2.90  [+1.95, +3.70]      170/52       231
 * ```
 *
 * Missing values show as `-`; under pseudo ground truth the sharp pose errors show as `n/a` with a footnote. Signs
 * are ASCII (`+`, `-`), numbers use each metric's decimals. Below the table, the share of the blur gap recovered
 * for the detection rate and for RMSE ({@link formatRecovered}).
 */
export function formatSummaryTable(report: EvalReport, options: SummaryTableOptions = {}): string {
  expectKnownKeys('formatSummaryTable options', options, ['color']);
  const color = options.color === undefined ? false : expectBoolean('color', options.color);
  const norm = report.config.metrics.pckNormalization;
  const pseudo = report.config.groundTruth === 'pseudo';
  const names: MetricName[] = metricNames(report.config.metrics.pckThresholds);

  const header = ['metric', '', 'blurred', 'deblurred', 'sharp', 'gain', '95% interval', 'better/worse', 'frames'];
  const rows = names.map((name) => {
    const row = summaryRow(report.summary, name);
    const info = metricInfo(name, norm);
    const value = (v: number | null) => (v === null ? '-' : formatNumber(v * info.displayFactor, info.decimals, { minus: '-' }));
    let sharp = value(row.sharp);
    if (info.kind === 'image') sharp = 'reference';
    else if (pseudo && row.sharp === null) sharp = 'n/a';
    const gain = displayed(info, row.gain);
    const spread = hasSpread(name) ? reportGainSpread(report, name) : null;
    const signed = (v: number | null) => (v === null ? '-' : formatNumber(v, info.decimals, { signed: true, minus: '-' }));
    const interval = spread ? `[${signed(displayed(info, spread.interval95[0]))}, ${signed(displayed(info, spread.interval95[1]))}]` : '';
    return {
      cells: [
        labelWithUnit(name, norm),
        info.better === 'higher' ? '\u2191' : '\u2193',
        value(row.blurred),
        value(row.deblurred),
        sharp,
        signed(gain),
        interval,
        spread ? `${spread.better}/${spread.worse}` : '',
        String(row.frames),
      ],
      effect: gainEffect(gain, info.decimals),
    };
  });

  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r.cells[c]!.length)));
  const line = (cells: readonly string[], effect?: string) =>
    cells
      .map((cell, c) => {
        const padded = c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!);
        if (c === 5 && color && (effect === 'better' || effect === 'worse')) return `${ANSI[effect]}${padded}${ANSI.reset}`;
        return padded;
      })
      .join('  ')
      .trimEnd();

  const n = report.sequences.length;
  const out = [
    `Hand pose after deblurring: ${n} ${n === 1 ? 'sequence' : 'sequences'}, ${totalFrames(report)} frames; ground truth: ${groundTruthLabel(report)}`,
    line(header),
    ...rows.map((r) => line(r.cells, r.effect)),
    `blur gap recovered, (deblurred - blurred) / (sharp - blurred): ${formatRecovered(report.recovered.detectionRate, 'detection rate')}; ${formatRecovered(report.recovered.rmse, 'RMSE')}`,
    'gain: positive means deblurring helped (deblurred - blurred where higher is better, blurred - deblurred where lower is better); gains of % rows are percentage points.',
    `95% interval: of the gain, from a bootstrap over blocks of ${DEFAULT_GAIN_BLOCK} consecutive frames (an interval holding 0 means the data cannot tell a gain from a loss); better/worse: frames on which deblurring helped / hurt.`,
  ];
  if (pseudo) out.push(`n/a: ${PSEUDO_GROUND_TRUTH_NOTE}`);
  return out.join('\n');
}

/** `detection rate 25.0%`, `RMSE no gap` (blurred equals sharp) or `RMSE n/a` (no sharp value to measure the gap against). */
export function formatRecovered(record: RecoveryRecord, label: string): string {
  if (record.status === 'no-gap') return `${label} no gap`;
  if (record.status === 'unavailable' || record.share === null) return `${label} n/a`;
  return `${label} ${formatNumber(100 * record.share, 1, { minus: '-' })}%`;
}
