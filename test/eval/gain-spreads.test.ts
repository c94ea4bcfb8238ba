/** The spread of a report's summary gains, read from its per-frame records. */
import { describe, expect, it } from 'vitest';
import { hasSpread, reportGainSpread, SPREAD_METRICS } from '../../src/eval/gain-spreads.js';
import { renderReportHtml } from '../../src/eval/report-html.js';
import { makeReport } from './make-report.js';

describe('reportGainSpread', () => {
  for (const groundTruth of ['fpha-skeleton', 'pseudo'] as const) {
    it(`gives the summary's own gain from the per-frame records, over the same frames (${groundTruth})`, () => {
      const report = makeReport({ sequences: 3, frames: 20, panelFrames: [], groundTruth });
      for (const name of SPREAD_METRICS) {
        const spread = reportGainSpread(report, name)!;
        const row = report.summary[name];
        expect(spread.frames).toBe(row.frames);
        expect(spread.gain).toBeCloseTo(row.gain!, 10);
        expect(spread.better + spread.worse).toBeLessThanOrEqual(spread.frames);
        expect(spread.interval95[0]).toBeLessThanOrEqual(spread.interval95[1]);
      }
    });
  }

  it('exists for the metrics with a value per frame only', () => {
    expect(['psnr', 'ssim', 'rmse', 'abse', 'epe'].every((n) => hasSpread(n as never))).toBe(true);
    expect(hasSpread('pck@0.2')).toBe(false);
    expect(hasSpread('detectionRate')).toBe(false);
  });

  it("appears in the HTML report's metrics table, an interval holding 0 marked", async () => {
    const report = makeReport({ sequences: 2, frames: 12, panelFrames: [] });
    const html = await renderReportHtml(report);
    const table = html.slice(html.indexOf('<table class="metrics">'), html.indexOf('</table>', html.indexOf('<table class="metrics">')));
    expect(table).toContain('<th>95% interval</th><th>Better/worse</th>');
    const psnr = reportGainSpread(report, 'psnr')!;
    expect(table).toContain(`<td>${psnr.better}/${psnr.worse}</td>`);
    const holdsZero = SPREAD_METRICS.map((n) => reportGainSpread(report, n)!).filter((s) => s.interval95[0] <= 0 && s.interval95[1] >= 0).length;
    expect(table.match(/title="holds 0"/g)?.length ?? 0).toBe(holdsZero);
  });
});
