/** The terminal summary: Table 5 as aligned plain text with units, signs and the pseudo-ground-truth note. */
import { describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import { type EvalReport, type MetricSummary, metricRow, validateReport } from '../../src/eval/report-schema.js';
import { reportGainSpread } from '../../src/eval/gain-spreads.js';
import { recoveredRecord } from '../../src/eval/recovered.js';
import { formatSummaryTable } from '../../src/eval/summary-table.js';
import { makeReport } from './make-report.js';

/**
 * A generated report whose summary holds round, known numbers (its per-frame records, which the intervals come from,
 * are the generator's and do not add up to them).
 */
function knownReport(groundTruth: 'fpha-skeleton' | 'pseudo' = 'fpha-skeleton'): EvalReport {
  const report = makeReport({ sequences: 1, frames: 30, panelFrames: [], groundTruth, pckThresholds: [0.1, 0.2] });
  const pseudo = groundTruth === 'pseudo';
  const summary: MetricSummary = {
    psnr: metricRow('psnr', { blurred: 28.4123, deblurred: 34.4294, sharp: null, frames: 30 }),
    ssim: metricRow('ssim', { blurred: 0.8712, deblurred: 0.8999, sharp: null, frames: 30 }),
    rmse: metricRow('rmse', { blurred: 14.2, deblurred: 11.3, sharp: pseudo ? null : 8.1, frames: 27 }),
    abse: metricRow('abse', { blurred: 10.1, deblurred: 10.6, sharp: pseudo ? null : 6, frames: 27 }),
    epe: metricRow('epe', { blurred: 18, deblurred: 15.25, sharp: pseudo ? null : 10, frames: 27 }),
    'pck@0.1': metricRow('pck@0.1', { blurred: 0.612, deblurred: 0.703, sharp: pseudo ? null : 0.82, frames: 30 }),
    'pck@0.2': metricRow('pck@0.2', { blurred: 0.9, deblurred: 0.955, sharp: pseudo ? null : 0.99, frames: 30 }),
    detectionRate: metricRow('detectionRate', { blurred: 0.9, deblurred: 0.9, sharp: pseudo ? null : 1, frames: 30 }),
  };
  report.summary = summary;
  report.recovered = recoveredRecord(summary, report.sequences, groundTruth);
  return validateReport(report);
}

describe('formatSummaryTable', () => {
  it('prints rows of metrics and columns blurred / deblurred / sharp / gain, aligned, with units and signed gains', () => {
    const report = knownReport();
    // The interval and better/worse columns of the metrics with per-frame values, from the report's frames.
    const spread = (name: 'psnr' | 'ssim' | 'rmse' | 'abse' | 'epe' | 'detectionRate', decimals: number, factor = 1) => {
      const s = reportGainSpread(report, name)!;
      // signed as the table signs gains: an exact 0 has no sign
      const signed = (v: number) => (v === 0 ? (0).toFixed(decimals) : `${v * factor > 0 ? '+' : '-'}${Math.abs(v * factor).toFixed(decimals)}`);
      return [`[${signed(s.interval95[0])}, ${signed(s.interval95[1])}]`, `${s.better}/${s.worse}`];
    };
    const rows = [
      ['metric', '', 'blurred', 'deblurred', 'sharp', 'gain', '95% interval', 'better/worse', 'frames'],
      ['PSNR (dB)', '\u2191', '28.41', '34.43', 'reference', '+6.02', ...spread('psnr', 2), '30'],
      ['SSIM', '\u2191', '0.8712', '0.8999', 'reference', '+0.0287', ...spread('ssim', 4), '30'],
      ['RMSE (px)', '\u2193', '14.20', '11.30', '8.10', '+2.90', ...spread('rmse', 2), '27'],
      ['ABSE (px)', '\u2193', '10.10', '10.60', '6.00', '-0.50', ...spread('abse', 2), '27'],
      ['EPE (px)', '\u2193', '18.00', '15.25', '10.00', '+2.75', ...spread('epe', 2), '27'],
      ['PCK@0.1 (%)', '\u2191', '61.2', '70.3', '82.0', '+9.1', '', '', '30'],
      ['PCK@0.2 (%)', '\u2191', '90.0', '95.5', '99.0', '+5.5', '', '', '30'],
      ['Detection rate (%)', '\u2191', '90.0', '90.0', '100.0', '0.0', ...spread('detectionRate', 1, 100), '30'],
    ];
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
    const text = formatSummaryTable(report).split('\n');
    expect(text[0]).toBe('Hand pose after deblurring: 1 sequence, 30 frames; ground truth: FPHA skeleton annotations');
    expect(text.slice(1, 10)).toEqual(rows.map(line));
    expect(text.slice(10)).toEqual([
      // RMSE: (11.3 - 14.2) / (8.1 - 14.2); the detection rate did not move: 0% of its 10-point gap.
      'blur gap recovered, (deblurred - blurred) / (sharp - blurred): detection rate 0.0%; RMSE 47.5%',
      'gain: positive means deblurring helped (deblurred - blurred where higher is better, blurred - deblurred where lower is better); gains of % rows are percentage points.',
      '95% interval: of the gain, from a bootstrap over blocks of 5 consecutive frames (an interval holding 0 means the data cannot tell a gain from a loss); better/worse: frames on which deblurring helped / hurt.',
    ]);
    expect(text[2]).toMatch(/^PSNR \(dB\) +\u2191 +28\.41 +34\.43 +reference +\+6\.02 +\[[+-]\d+\.\d\d, [+-]\d+\.\d\d\] +\d+\/\d+ +30$/);
  });

  it('marks the sharp pose column n/a under pseudo ground truth and says why', () => {
    const text = formatSummaryTable(knownReport('pseudo'));
    expect(text.split('\n')[0]).toBe('Hand pose after deblurring: 1 sequence, 30 frames; ground truth: pseudo (MediaPipe on the sharp frames)');
    expect(text).toContain('RMSE (px)           \u2193    14.20      11.30        n/a    +2.90  ');
    expect(text).toMatch(/Detection rate \(%\) {2}\u2191 {5}90\.0 {7}90\.0 {8}n\/a {6}0\.0 +\[[+-]?\d+\.\d, [+-]?\d+\.\d\] +\d+\/\d+ +30\n/);
    // No sharp value under pseudo ground truth: no gap to measure recovery against.
    expect(text).toContain('blur gap recovered, (deblurred - blurred) / (sharp - blurred): detection rate n/a; RMSE n/a');
    expect(text.split('\n').at(-1)).toMatch(/^n\/a: Pseudo ground truth: .* by construction\.$/);
  });

  it('colours gains green when deblurring helped and red when it hurt, keeping the alignment', () => {
    const plain = formatSummaryTable(knownReport()).split('\n');
    const colored = formatSummaryTable(knownReport(), { color: true }).split('\n');
    // The escape wraps the padded cell, so the columns stay where they are.
    expect(colored[2]).toBe(plain[2]!.replace('  +6.02', '\u001b[32m  +6.02\u001b[0m'));
    expect(colored[5]).toBe(plain[5]!.replace('  -0.50', '\u001b[31m  -0.50\u001b[0m'));
    expect(colored[9]).toBe(plain[9]); // no change: no colour
    const rows = plain.slice(1, 10);
    expect(new Set(rows.map((r) => r.length)).size).toBe(1);
    expect(plain.join('')).not.toContain('\u001b');
  });

  it('validates its options', () => {
    expect(() => formatSummaryTable(knownReport(), { colour: true } as never)).toThrow(InvalidOptionError);
    expect(() => formatSummaryTable(knownReport(), { color: 'yes' } as never)).toThrow('Expected boolean for color but received "yes" of type string');
  });
});
