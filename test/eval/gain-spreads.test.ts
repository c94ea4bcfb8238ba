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

  it('exists for the metrics with a value per frame and for the detection rate (a detection or a miss per frame)', () => {
    expect(['psnr', 'ssim', 'rmse', 'abse', 'epe', 'detectionRate'].every((n) => hasSpread(n as never))).toBe(true);
    expect(hasSpread('pck@0.2')).toBe(false);
  });

  it('bootstraps the detection-rate gain in blocks that keep runs of misses together', () => {
    const report = makeReport({ sequences: 2, frames: 40, panelFrames: [] });
    // Both sequences: deblurring finds the hand in 10 more frames, in one run of 10 consecutive frames.
    for (const s of report.sequences) {
      s.perFrame.forEach((f, i) => {
        f.joints.blurred = { found: i >= 10, rmse: i >= 10 ? 5 : null, abse: i >= 10 ? 4 : null, epe: i >= 10 ? 5 : null };
        f.joints.deblurred = { found: true, rmse: 5, abse: 4, epe: 5 };
        f.joints.sharp = { found: true, rmse: 3, abse: 2, epe: 3 };
      });
    }
    const spread = reportGainSpread(report, 'detectionRate')!;
    expect(spread.frames).toBe(80);
    expect(spread.gain).toBeCloseTo(0.25, 12);
    expect([spread.better, spread.worse]).toEqual([20, 0]);
    // Resampled blocks hold 0 to 10 of the 20 helped frames per 40: the interval is wide but above 0.
    expect(spread.interval95[0]).toBeGreaterThan(0);
    expect(spread.interval95[0]).toBeLessThan(0.25);
    expect(spread.interval95[1]).toBeGreaterThan(0.25);
    // Single-frame resampling would call the same data far surer.
    const single = reportGainSpread(report, 'detectionRate', { blockLength: 1 })!;
    expect(single.interval95[1] - single.interval95[0]).toBeLessThan(spread.interval95[1] - spread.interval95[0]);
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
