/**
 * The HTML report: the Table-5 table with the right numbers and signs, the charts as inline SVG with their axis
 * titles, the panels' images, the pseudo-ground-truth label, escaping, and nothing that reaches outside the folder.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidOptionError } from '../../src/errors.js';
import { reportGainSpread } from '../../src/eval/gain-spreads.js';
import { renderReportHtml } from '../../src/eval/report-html.js';
import { type EvalReport, ReportSchemaError } from '../../src/eval/report-schema.js';
import { makeReport, makeReportV1 } from './make-report.js';

/** The HTML of the first element `<tag class="cls"...>...</tag>` (tables and sections do not nest here). */
function element(html: string, tag: string, attribute: string): string {
  const start = html.indexOf(`<${tag} ${attribute}`);
  expect(start, `<${tag} ${attribute}>`).toBeGreaterThanOrEqual(0);
  const end = html.indexOf(`</${tag}>`, start);
  return html.slice(start, end + tag.length + 3);
}

/** The text of the gain cell of `metric` in a table: `{ text, effect }`. */
function gainCell(table: string, metric: string): { text: string; effect: string } {
  const match = new RegExp(`<td class="gain (\\w+)" data-metric="${metric.replace(/[@.]/g, (c) => `\\${c}`)}"[^>]*>([^<]*)</td>`).exec(table);
  expect(match, `gain cell of ${metric}`).not.toBeNull();
  return { effect: match![1]!, text: match![2]! };
}

/** A gain as the page shows it: sign (U+2212 for minus), fixed decimals. */
function shown(gain: number, decimals: number): string {
  const text = Math.abs(gain).toFixed(decimals);
  return Number(text) === 0 ? text : `${gain < 0 ? '\u2212' : '+'}${text}`;
}

describe('renderReportHtml', () => {
  let report: EvalReport;
  let html: string;
  const warnings: string[] = [];

  beforeAll(async () => {
    report = makeReport({ sequences: 3, frames: 80, panelFrames: [12, 40] });
    html = await renderReportHtml(report, { onChartWarning: (m) => warnings.push(m) });
  });

  it('lays out Table 5: PSNR, SSIM, RMSE, ABSE and detection rate, blurred, deblurred and the signed gain', () => {
    const table = element(html, 'table', 'class="table5"');
    expect(table).toMatch(/<th>PSNR \(dB\)<\/th><th>SSIM<\/th><th>RMSE \(px\)<\/th><th>ABSE \(px\)<\/th><th>Detection rate \(%\)<\/th>/);
    const { psnr, ssim, rmse, abse, detectionRate } = report.summary;
    // Gains by hand: deblurred - blurred for PSNR, SSIM and detection rate; blurred - deblurred for the errors.
    expect(gainCell(table, 'psnr')).toEqual({ text: shown(psnr.deblurred! - psnr.blurred!, 4), effect: 'better' });
    expect(gainCell(table, 'ssim')).toEqual({ text: shown(ssim.deblurred! - ssim.blurred!, 4), effect: 'better' });
    expect(gainCell(table, 'rmse')).toEqual({ text: shown(rmse.blurred! - rmse.deblurred!, 4), effect: 'better' });
    expect(gainCell(table, 'abse')).toEqual({ text: shown(abse.blurred! - abse.deblurred!, 4), effect: 'better' });
    // The detection rate is stored as a fraction and shown in percent (its gain in percentage points).
    expect(gainCell(table, 'detectionRate').text).toBe(shown(100 * (detectionRate.deblurred! - detectionRate.blurred!), 1));
    expect(table).toContain(`<td>${(100 * detectionRate.blurred!).toFixed(1)}</td>`);
    expect(gainCell(table, 'psnr').text).toMatch(/^\+\d+\.\d{4}$/);
    expect(table).toContain(`<td>${psnr.blurred!.toFixed(4)}</td>`);
    expect(table).toContain(`<td>${rmse.deblurred!.toFixed(4)}</td>`);
  });

  it('puts the headline gains first, each card saying better or worse', () => {
    expect(html.indexOf('id="headline"')).toBeLessThan(html.indexOf('id="table5"'));
    expect(html.indexOf('id="table5"')).toBeLessThan(html.indexOf('id="distributions"'));
    const start = html.indexOf('<div class="card better" data-metric="rmse"');
    expect(start).toBeGreaterThan(0);
    const card = html.slice(start, html.indexOf('</p>', start));
    expect(card).toContain(`${shown(report.summary.rmse.gain!, 2)}<small>px</small>`);
    const spread = reportGainSpread(report, 'rmse')!;
    expect(card).toContain(`better on ${spread.better}, worse on ${spread.worse} of ${spread.frames} frames`);
    expect(card).toMatch(/95% interval \[[+-]\d+\.\d\d, [+-]\d+\.\d\d\]/);
  });

  it('lists every metric with its unit, direction, sharp column and frame count', () => {
    const table = element(html, 'table', 'class="metrics"');
    for (const label of ['PSNR (dB)', 'SSIM', 'RMSE (px)', 'ABSE (px)', 'EPE (px)', 'PCK@0.05 (%)', 'PCK@0.1 (%)', 'PCK@0.2 (%)', 'Detection rate (%)']) {
      expect(table).toContain(`<td>${label} <span class="dir"`);
    }
    expect(table.match(/>reference</g)).toHaveLength(2); // PSNR and SSIM: the sharp frame is the reference
    expect(table).toContain(`<td>${report.summary.rmse.sharp!.toFixed(2)}</td>`);
    expect(gainCell(table, 'pck@0.1')).toEqual({ text: shown(100 * report.summary['pck@0.1']!.gain!, 1), effect: 'better' });
    expect(table).not.toContain('n/a*');
  });

  it('holds the charts as inline SVG with their axis titles, with ids that do not clash', () => {
    const svgs = html.match(/<svg\b[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(1 + 1 + 3); // gain distributions, gains per sequence, one per sequence
    for (const title of ['PSNR gain (dB)', 'RMSE gain (px)', 'PSNR (dB)', 'RMSE (px)', 'frames', 'frame', 'hand']) expect(html).toContain(`>${title}</text>`);
    expect(html).toContain('>Subject_2/open_juice_bottle/2</text>');
    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(warnings).toEqual([]);
  });

  it('lays out the panels blurred / deblurred / sharp with their relative image paths', () => {
    const panels = element(html, 'section', 'id="panels"');
    for (const panel of report.panels) {
      const order = [panel.blurred, panel.deblurred, panel.sharp].map((src) => panels.indexOf(`<img src="${src}"`));
      expect(order.every((i) => i >= 0)).toBe(true);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
    expect(panels).toContain('Subject_1/open_juice_bottle/1 \u00b7 frame 12');
    const frame = report.sequences[0]!.perFrame[12]!;
    expect(panels).toContain(`PSNR ${frame.psnr.blurred.toFixed(2)} dB`);
  });

  it('opens offline: inline CSS, no scripts, and nothing referenced outside the folder', () => {
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<script|<link\b|@import|<iframe/i);
    const urls = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]!);
    const outside = urls.filter((u) => /^[a-z][a-z0-9+.-]*:|^\/|^\.\./i.test(u));
    expect(outside).toEqual([]);
    expect(urls).toContain('report.json');
    // The only absolute URLs are the SVG namespace names, which nothing fetches.
    const absolute = new Set([...html.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]));
    expect([...absolute].sort()).toEqual(['http://www.w3.org/1999/xlink', 'http://www.w3.org/2000/svg']);
    expect(html).not.toContain('url(http');
  });

  it('says the ground truth is FPHA skeletons, with no pseudo-ground-truth note', () => {
    expect(html).toContain('FPHA\u2019s annotated joints');
    expect(html).not.toContain('Pseudo ground truth');
  });
});

describe('renderReportHtml under pseudo ground truth', () => {
  it('labels the pseudo ground truth and leaves the sharp pose column empty, saying why', async () => {
    const report = makeReport({ groundTruth: 'pseudo', sequences: 1, frames: 30, panelFrames: [3] });
    const html = await renderReportHtml(report);
    expect(element(html, 'p', 'class="callout" id="pseudo-ground-truth"')).toContain('<strong>Pseudo ground truth.</strong> The joints are what MediaPipe finds on the sharp frames');
    const table = element(html, 'table', 'class="metrics"');
    expect(table.match(/>n\/a\*</g)).toHaveLength(7); // RMSE, ABSE, EPE, three PCKs, detection rate
    expect(html).toContain('* Pseudo ground truth:');
    expect(html).toContain('RMSE vs pseudo GT (px)');
    expect(html).toContain('<h3>RMSE <span class="none">vs pseudo GT</span></h3>');
  });
});

describe('renderReportHtml, honest signs', () => {
  it('shows a gain that went the wrong way as negative, in the colour that says worse', async () => {
    const report = makeReport({ sequences: 1, frames: 40, panelFrames: [], gainScale: -0.4 });
    expect(report.summary.psnr.gain!).toBeLessThan(0);
    expect(report.summary.rmse.gain!).toBeLessThan(0);
    const html = await renderReportHtml(report, { maxSequenceCharts: 0 });
    const table = element(html, 'table', 'class="table5"');
    expect(gainCell(table, 'psnr')).toEqual({ text: shown(report.summary.psnr.gain!, 4), effect: 'worse' });
    expect(gainCell(table, 'psnr').text.startsWith('\u2212')).toBe(true);
    expect(gainCell(table, 'rmse').effect).toBe('worse');
    expect(html).toContain('<div class="card worse" data-metric="psnr"');
    expect(html).toContain(`.worse{color:var(--worse)}`);
    expect(html).toMatch(/--worse:#d93025/);
    expect(html).not.toContain('id="panels"');
  });
});

describe('renderReportHtml input checks', () => {
  it('escapes every string from the report', async () => {
    const report = makeReport({ sequences: 1, frames: 20, panelFrames: [2] });
    const id = 'clip <script>alert(1)</script> & "quotes"';
    report.sequences[0]!.id = id;
    report.panels[0]!.sequence = id;
    report.config.inputs = ['/data/<b>bold</b>.mp4'];
    const html = await renderReportHtml(report, { maxSequenceCharts: 0 });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>bold</b>');
    expect(html).toContain('clip &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
  });

  it('draws per-frame curves for the first maxSequenceCharts sequences and says how many are left out', async () => {
    const report = makeReport({ sequences: 3, frames: 20, panelFrames: [] });
    const html = await renderReportHtml(report, { maxSequenceCharts: 1 });
    expect(html.match(/<figure class="curves">/g)).toHaveLength(1);
    expect(html).toContain('Curves for the first 1 of 3 sequences, in report order');
  });

  it('rejects an invalid report, naming the path, and unknown options', async () => {
    const report = makeReport({ sequences: 1, frames: 20, panelFrames: [] });
    report.summary.psnr.gain = -1;
    await expect(renderReportHtml(report)).rejects.toThrow(ReportSchemaError);
    await expect(renderReportHtml(report)).rejects.toThrow(/at summary\.psnr\.gain/);
    await expect(renderReportHtml(makeReport({ frames: 20 }), { maxCharts: 2 } as never)).rejects.toThrow(InvalidOptionError);
    await expect(renderReportHtml(makeReport({ frames: 20 }), { maxSequenceCharts: -1 })).rejects.toThrow('Expected integer >= 0 for maxSequenceCharts but received -1 of type number');
  });
});

describe('renderReportHtml: the blur gap recovered', () => {
  it('shows the share recovered over all frames and per sequence, and reads a schema-v1 report', async () => {
    const report = makeReport({ sequences: 2, frames: 20, panelFrames: [] });
    const html = await renderReportHtml(report);
    const section = html.slice(html.indexOf('<section id="recovered">'), html.indexOf('</section>', html.indexOf('<section id="recovered">')));
    const pct = (share: number | null) => `${(100 * share!).toFixed(1)}%`;
    expect(section).toContain(`detection rate <strong>${pct(report.recovered.detectionRate.share)}</strong>, joint RMSE <strong>${pct(report.recovered.rmse.share)}</strong>`);
    for (const s of report.sequences) expect(section).toContain(`<tr><td>${s.id}</td>`);
    const v1 = await renderReportHtml(makeReportV1({ sequences: 2, frames: 20, panelFrames: [] }));
    expect(v1).toContain(`detection rate <strong>${pct(report.recovered.detectionRate.share)}</strong>`);
  });
});
