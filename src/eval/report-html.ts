/**
 * The HTML report: one self-contained page (`index.html`) beside `report.json`. Headline gains first, then the
 * paper's Table 5 layout, every metric, the per-frame gain distributions, per-sequence tables and curves, the image
 * panels, and what was measured and how. CSS is inline and the charts are inline SVG rendered here in Node
 * (`charts.ts`), so the folder opens offline: the page references nothing but the panel images beside it and
 * `report.json`.
 */
import { expectFunction, expectInteger, expectKnownKeys, expectString } from '../options.js';
import { renderChartSvg } from './charts.js';
import { comparisonRows, gainWithInterval } from './comparison-table.js';
import { COMMON_METRICS } from './model-comparison.js';
import { DEFAULT_GAIN_BLOCK, type GainSpread } from '../metrics/gain-spread.js';
import { hasSpread, reportGainSpread, SPREAD_METRICS } from './gain-spreads.js';
import { EFFECT_COLORS, MAX_SEQUENCE_BARS, VERSION_COLORS, gainDistributionSpec, sequenceCurvesSpec, sequenceGainsSpec } from './report-charts.js';
import {
  GAIN_NOTE,
  PSEUDO_GROUND_TRUTH_NOTE,
  type GainEffect,
  displayed,
  formatNumber,
  gainEffect,
  gainUnit,
  groundTruthLabel,
  labelWithUnit,
  totalFrames,
} from './report-format.js';
import { REPORT_SCHEMA_VERSION, type EvalReport, type EvalReportV1, type FrameRecord, type JointRecord, type MetricRow, type PanelRecord, type RecoveryRecord, summaryRow, validateReport } from './report-schema.js';
import { PSNR_CAP_DB, type MetricInfo, type MetricName, metricInfo, metricNames } from '../metrics/definitions.js';

/** Default of {@link RenderReportOptions.maxSequenceCharts}. */
export const DEFAULT_MAX_SEQUENCE_CHARTS = 12;

/** Default of {@link RenderReportOptions.title}. */
export const DEFAULT_REPORT_TITLE = 'Hand pose after deblurring';

/** Options of {@link renderReportHtml}. */
export interface RenderReportOptions {
  /** The page's heading. Default {@link DEFAULT_REPORT_TITLE}. */
  title?: string;
  /**
   * Per-frame curves are drawn for the first this many sequences, in report order (the sequence table lists all).
   * 0 draws none. Default {@link DEFAULT_MAX_SEQUENCE_CHARTS}.
   */
  maxSequenceCharts?: number;
  /** Receives the charting library's warnings. Default: ignored. */
  onChartWarning?: (message: string) => void;
}

const RENDER_OPTIONS = ['title', 'maxSequenceCharts', 'onChartWarning'];

/** Checks render options where they are given (so the stack points at the caller). */
export function checkRenderOptions(options: RenderReportOptions): Required<Omit<RenderReportOptions, 'onChartWarning'>> & Pick<RenderReportOptions, 'onChartWarning'> {
  expectKnownKeys('renderReportHtml options', options, RENDER_OPTIONS);
  return {
    title: options.title === undefined ? DEFAULT_REPORT_TITLE : expectString('title', options.title),
    maxSequenceCharts: options.maxSequenceCharts === undefined ? DEFAULT_MAX_SEQUENCE_CHARTS : expectInteger('maxSequenceCharts', options.maxSequenceCharts, 0),
    onChartWarning: options.onChartWarning === undefined ? undefined : expectFunction<(message: string) => void>('onChartWarning', options.onChartWarning),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Small HTML helpers
// ---------------------------------------------------------------------------------------------------------------

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A relative path as a URL (each segment percent-encoded), for `src` and `href`. */
function relativeUrl(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

function withUnit(text: string, unit: string): string {
  if (unit === '') return text;
  return unit === '%' ? `${text}\u2009%` : `${text}\u2009${unit}`;
}

const EFFECT_WORDS: Record<GainEffect, string> = { better: 'better', worse: 'worse', same: 'no change', none: 'n/a' };

/** A cell of a stored value, shown in the metric's display unit. */
function valueCell(info: MetricInfo, value: number | null, decimals = info.decimals): string {
  const shown = displayed(info, value);
  return shown === null ? '<td class="none">\u2014</td>' : `<td>${formatNumber(shown, decimals)}</td>`;
}

/** A cell of a row's gain, signed and coloured by its effect (as shown: a gain that rounds to 0 is no change). */
function gainCell(name: MetricName, info: MetricInfo, row: MetricRow, decimals = info.decimals): string {
  const gain = displayed(info, row.gain);
  const effect = gainEffect(gain, decimals);
  const text = gain === null ? '\u2014' : formatNumber(gain, decimals, { signed: true });
  return `<td class="gain ${effect}" data-metric="${escapeHtml(name)}" title="${EFFECT_WORDS[effect]}">${text}</td>`;
}

// ---------------------------------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------------------------------

const STYLE = `
:root{--ink:#1f2328;--muted:#5f6368;--faint:#9aa0a6;--rule:#e3e6ea;--wash:#f6f8fa;--better:${EFFECT_COLORS.better};--worse:${EFFECT_COLORS.worse};--same:#5f6368;--blurred:${VERSION_COLORS.blurred};--deblurred:${VERSION_COLORS.deblurred};--sharp:${VERSION_COLORS.sharp}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;color:var(--ink);background:#fff;font:15px/1.6 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:960px;margin:0 auto;padding:48px 28px 96px}
a{color:var(--deblurred)}
.eyebrow{text-transform:uppercase;letter-spacing:.08em;font-size:12px;font-weight:600;color:var(--muted);margin:0 0 6px}
h1{font-size:34px;line-height:1.15;letter-spacing:-.02em;margin:0 0 12px;font-weight:700}
h2{font-size:21px;line-height:1.3;letter-spacing:-.01em;margin:60px 0 6px;font-weight:650}
h3{font-size:15px;margin:28px 0 8px;font-weight:650}
.lede{font-size:17px;color:#3c4043;margin:0;max-width:44em}
.meta{font-size:13px;color:var(--muted);margin:10px 0 0}
nav{margin:22px 0 0;padding:10px 0;border-top:1px solid var(--rule);border-bottom:1px solid var(--rule);font-size:13px;display:flex;flex-wrap:wrap;gap:4px 18px}
nav a{color:var(--muted);text-decoration:none}
nav a:hover{color:var(--ink);text-decoration:underline}
.intro{color:var(--muted);margin:0 0 16px;max-width:46em}
.note{font-size:13px;color:var(--muted);margin:10px 0 0;max-width:52em}
.callout{margin:28px 0 0;padding:12px 16px;border-left:4px solid var(--blurred);background:#fef6ec;border-radius:0 8px 8px 0;max-width:52em}
.callout strong{color:#b35300}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(168px,1fr));gap:12px;margin:18px 0 0}
.card{border:1px solid var(--rule);border-top-width:4px;border-radius:10px;padding:12px 16px 14px}
.card.better{border-top-color:var(--better)}.card.worse{border-top-color:var(--worse)}.card.same,.card.none{border-top-color:var(--faint)}
.card h3{margin:0;font-size:13px;font-weight:600;color:var(--muted)}
.card .value{font-size:30px;font-weight:700;letter-spacing:-.02em;line-height:1.2;margin:4px 0 0;font-variant-numeric:tabular-nums}
.card .value small{font-size:15px;font-weight:600;margin-left:2px}
.card .verdict{font-size:12px;font-weight:650;text-transform:uppercase;letter-spacing:.05em}
.card .detail{font-size:12.5px;color:var(--muted);margin:8px 0 0;font-variant-numeric:tabular-nums;line-height:1.45}
.better{color:var(--better)}.worse{color:var(--worse)}.same,.none{color:var(--same)}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:14px;margin:12px 0 0}
th,td{padding:6px 14px;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left;padding-left:0}
thead th{font-size:12.5px;font-weight:600;color:var(--muted);border-top:2px solid var(--ink);border-bottom:1px solid var(--ink);vertical-align:bottom}
tbody tr:last-child td{border-bottom:2px solid var(--ink)}
tbody td{border-bottom:1px solid var(--rule)}
td.gain{font-weight:650}
tr.delta td{font-weight:700;border-top:1px solid var(--ink)}
.dir{color:var(--faint);font-size:12px;margin-left:4px}
table.kv td:first-child{color:var(--muted);padding-right:24px}
table.kv td{text-align:left;white-space:normal;vertical-align:top;overflow-wrap:anywhere}
table.kv tbody tr:last-child td{border-bottom:1px solid var(--rule)}
table.kv{width:100%}
code{font:12.5px/1.5 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
figure{margin:22px 0 0}
figure svg{display:block;max-width:100%;height:auto}
figure svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
figcaption{font-size:13px;color:var(--muted);margin:6px 0 0;max-width:52em}
.key{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 5px 0 0;vertical-align:-1px}
.panel{margin:26px 0 0}
.panel h3{margin:0 0 8px}
.trio{display:grid;grid-template-columns:repeat(3,1fr);gap:10px}
.trio img{display:block;width:100%;height:auto;border-radius:6px;background:var(--wash)}
.trio figure{margin:0}
.trio figcaption{margin:5px 0 0;font-size:12.5px;color:var(--ink);font-variant-numeric:tabular-nums}
.trio figcaption span{color:var(--muted)}
dl.defs{margin:12px 0 0;max-width:52em}
dl.defs dt{font-weight:650}
dl.defs dd{margin:0 0 12px;color:#3c4043}
ul.plain{margin:8px 0 0;padding-left:20px;max-width:52em}
ul.plain li{margin:0 0 6px}
.columns{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:8px 32px}
footer{margin:72px 0 0;padding:14px 0 0;border-top:1px solid var(--rule);font-size:13px;color:var(--muted)}
@media (max-width:640px){main{padding:28px 16px 64px}h1{font-size:27px}.trio{grid-template-columns:1fr}}
@media print{main{padding:0}h2{break-after:avoid}figure,.panel,.card{break-inside:avoid}nav{display:none}}
`;

function header(report: EvalReport, title: string, pseudo: boolean): string {
  const { model } = report.config;
  const frames = totalFrames(report);
  const n = report.sequences.length;
  const created = report.createdAt.replace('T', ' ').replace(/\.\d+/, '').replace(/Z$/, ' UTC');
  const sections = [
    ['headline', 'Headline'],
    ...(report.models.length > 1 ? [['models', 'Models compared']] : []),
    ['table5', 'Table 5'],
    ['metrics', 'All metrics'],
    ['distributions', 'Per-frame gains'],
    ['sequences', 'Sequences'],
    ...(report.panels.length > 0 ? [['panels', 'Panels']] : []),
    ['method', 'What is measured'],
    ['run', 'Run'],
  ];
  return `<header>
<p class="eyebrow">PROMOTION \u00b7 evaluation report</p>
<h1>${escapeHtml(title)}</h1>
<p class="lede">Hand-pose estimation on blurred frames and on the same frames deblurred by <strong>${escapeHtml(model.name)}</strong>, measured against ${pseudo ? 'pseudo ground truth (MediaPipe on the sharp frames)' : 'FPHA\u2019s annotated joints'}: ${n} ${n === 1 ? 'sequence' : 'sequences'}, ${frames} frames.</p>
<p class="meta">Model ${escapeHtml(model.name)} (preset ${escapeHtml(model.preset)}, on ${escapeHtml(model.device)}) \u00b7 created ${escapeHtml(created)} \u00b7 ${escapeHtml(report.tool.name)} ${escapeHtml(report.tool.version)}</p>
<nav>${sections.map(([id, label]) => `<a href="#${id}">${label}</a>`).join('')}</nav>
</header>`;
}

/** The spread of each summary gain that has one (gain-spreads.ts), computed once per page. */
type Spreads = ReadonlyMap<string, GainSpread | null>;

/** A gain's 95% interval as shown: `[-0.38, +1.08]`. */
function intervalText(info: MetricInfo, spread: GainSpread, decimals = info.decimals): string {
  const end = (v: number) => formatNumber(displayed(info, v)!, decimals, { signed: true });
  return `[${end(spread.interval95[0])}, ${end(spread.interval95[1])}]`;
}

/** Whether a gain's 95% interval holds 0 (the data cannot tell a gain from a loss). */
function undecided(spread: GainSpread): boolean {
  return spread.interval95[0] <= 0 && spread.interval95[1] >= 0;
}

function card(report: EvalReport, spreads: Spreads, name: 'psnr' | 'ssim' | 'rmse' | 'abse' | 'detectionRate'): string {
  const row = summaryRow(report.summary, name);
  const info = metricInfo(name);
  const gain = displayed(info, row.gain);
  const effect = gainEffect(gain, info.decimals);
  const value = gain === null ? '\u2014' : formatNumber(gain, info.decimals, { signed: true });
  const unit = gainUnit(info);
  const fmt = (v: number | null) => {
    const shown = displayed(info, v);
    return shown === null ? '\u2014' : withUnit(formatNumber(shown, info.decimals), info.displayUnit);
  };
  let detail = `${fmt(row.blurred)} \u2192 ${fmt(row.deblurred)}`;
  if (name === 'detectionRate') {
    const found = (v: number | null) => (v === null ? '\u2014' : String(Math.round(v * row.frames)));
    detail += `<br>hand found in ${found(row.blurred)} \u2192 ${found(row.deblurred)} of ${row.frames} frames with ground truth`;
  }
  {
    const spread = spreads.get(name);
    if (spread) {
      if (name !== 'detectionRate') detail += `<br>better on ${spread.better}, worse on ${spread.worse} of ${spread.frames} frames; median per frame ${formatNumber(displayed(info, spread.medianGain)!, info.decimals, { signed: true })}`;
      detail += `<br>95% interval ${intervalText(info, spread)}${undecided(spread) ? ': <strong>holds 0</strong>, the data cannot tell a gain from a loss' : ''}`;
    }
  }
  const direction = info.better === 'higher' ? 'higher is better' : 'lower is better';
  const pseudo = report.config.groundTruth === 'pseudo' && info.kind !== 'image' ? ' <span class="none">vs pseudo GT</span>' : '';
  return `<div class="card ${effect}" data-metric="${name}" title="${info.label}: ${direction}">
<h3>${info.label}${pseudo}</h3>
<div class="value ${effect}">${value}${row.gain !== null && unit ? `<small>${unit}</small>` : ''}</div>
<div class="verdict ${effect}">${EFFECT_WORDS[effect]}</div>
<p class="detail">${detail}</p>
</div>`;
}

/** The share of the blur gap recovered, as a sentence's phrase. */
/** Several models side by side (schema v3, comparison-table.ts); nothing for a report of one model. */
function modelsSection(report: EvalReport): string {
  if (report.models.length < 2) return '';
  const names = report.models.map((m) => m.model.name);
  const pseudo = report.config.groundTruth === 'pseudo';
  const effectOf = (info: MetricInfo, gain: number | null) => gainEffect(displayed(info, gain), info.decimals);
  const rows = comparisonRows(report).map((r) => {
    const cells = r.models.map((m) => `<td>${valueCellText(r.info, m.value)}</td><td class="gain ${effectOf(r.info, m.gain)}">${escapeHtml(gainWithInterval(r.info, m.gain, m.interval95))}</td>`).join('');
    const sharp = r.info.kind === 'image' ? 'reference' : pseudo ? 'n/a' : valueCellText(r.info, r.sharp);
    return `<tr><td>${escapeHtml(labelWithUnit(r.metric))} <span class="dir">${r.info.better === 'higher' ? '\u2191' : '\u2193'}</span></td><td>${valueCellText(r.info, r.blurred)}</td>${cells}<td>${sharp}</td></tr>`;
  });
  const differences = report.comparison.differences.map(
    (d) =>
      `<tr><td>${escapeHtml(d.b)} \u2212 ${escapeHtml(d.a)}</td>${SPREAD_METRICS.map((m) => {
        const v = d.metrics[m];
        const info = metricInfo(m);
        return v ? `<td class="gain ${effectOf(info, v.difference)}">${escapeHtml(gainWithInterval(info, v.difference, v.interval95))}</td>` : '<td class="none">-</td>';
      }).join('')}</tr>`,
  );
  const common = report.comparison.commonFrames;
  const commonRows = COMMON_METRICS.map((m) => {
    const info = metricInfo(m);
    const v = common.metrics[m];
    return `<tr><td>${escapeHtml(labelWithUnit(m))}</td><td>${valueCellText(info, v.blurred)}</td>${v.models.map((x) => `<td>${valueCellText(info, x)}</td>`).join('')}<td>${pseudo ? 'n/a' : valueCellText(info, v.sharp)}</td></tr>`;
  });
  return `<section id="models">
<h2>Models compared on the same blur</h2>
<table class="metrics"><thead><tr><th>metric</th><th>blurred</th>${names.map((n) => `<th>${escapeHtml(n)}</th><th>gain [95% interval]</th>`).join('')}<th>sharp</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>
<p class="note">Gain over blurred, better positive. Each model\u2019s joint errors average the frames where the hand is found in blurred, that model${pseudo ? '' : ' and sharp'}; the blurred and sharp columns are the first model\u2019s frames.</p>
<table class="metrics"><thead><tr><th>difference (b \u2212 a)</th>${SPREAD_METRICS.map((m) => `<th>${escapeHtml(labelWithUnit(m))}</th>`).join('')}</tr></thead>
<tbody>${differences.join('\n')}</tbody></table>
<p class="note">Better positive; paired by frame over the frames both models count on, with the 95% interval of the same block bootstrap as every gain. An interval holding 0 cannot tell the two models apart.</p>
<h3>Joint errors over the ${common.frames} frames where the hand is found in blurred, by every model${pseudo ? '' : ' and in sharp'}</h3>
<table class="metrics"><thead><tr><th>metric</th><th>blurred</th>${names.map((n) => `<th>${escapeHtml(n)}</th>`).join('')}<th>sharp</th></tr></thead>
<tbody>${commonRows.join('\n')}</tbody></table>
</section>`;
}

/** A value as shown in a table cell (no markup), `-` when missing. */
function valueCellText(info: MetricInfo, value: number | null): string {
  return value === null ? '-' : escapeHtml(formatNumber(value * info.displayFactor, info.decimals));
}

function recoveredText(record: RecoveryRecord): string {
  if (record.status === 'no-gap') return 'no gap (blurred equals sharp)';
  if (record.status === 'unavailable' || record.share === null) return 'n/a (no sharp value to measure the gap against)';
  return `${formatNumber(100 * record.share, 1)}%`;
}

function recoveredSection(report: EvalReport): string {
  const rows = report.sequences
    .map((s) => `<tr><td>${escapeHtml(s.id)}</td><td>${recoveredText(s.recovered.detectionRate)}</td><td>${recoveredText(s.recovered.rmse)}</td></tr>`)
    .join('\n');
  return `<section id="recovered">
<h2>Blur gap recovered</h2>
<p class="intro">Blur moves a measure from its value on the sharp frames to its value on the blurred ones; the share of that gap deblurring wins back is (deblurred \u2212 blurred) / (sharp \u2212 blurred): 100% means as good as the sharp frames, 0% no change, negative a wider gap.</p>
<p class="recovered">Over all frames: detection rate <strong>${recoveredText(report.recovered.detectionRate)}</strong>, joint RMSE <strong>${recoveredText(report.recovered.rmse)}</strong>.</p>
<div class="scroll"><table class="recovered">
<thead><tr><th>Sequence</th><th>Detection rate</th><th>RMSE</th></tr></thead>
<tbody>
${rows}
</tbody>
</table></div>
</section>`;
}

function headline(report: EvalReport, spreads: Spreads): string {
  const cards = (['psnr', 'ssim', 'rmse', 'abse', 'detectionRate'] as const).map((name) => card(report, spreads, name)).join('\n');
  return `<section id="headline">
<h2>Headline gains</h2>
<p class="intro">How much deblurring changed each measure over all frames: positive means it helped (green), negative that it hurt (red). Below each gain, the blurred \u2192 deblurred value, on how many frames deblurring helped and hurt, and the gain\u2019s 95% interval (a bootstrap over blocks of ${DEFAULT_GAIN_BLOCK} consecutive frames, never across sequences): a few frames on which the estimator jumps to another hand pose can swing a mean, and an interval that holds 0 says so.</p>
<div class="cards">
${cards}
</div>
</section>`;
}

/** The paper's Table 5 values, shown for orientation only (other data, model and estimator). */
const PAPER_TABLE5 = { psnr: 6.0171, ssim: 0.0287, rmse: 0.311, abse: 0.2653 } as const;

function table5(report: EvalReport): string {
  const columns = ['psnr', 'ssim', 'rmse', 'abse', 'detectionRate'] as const;
  const decimals = 4;
  const head = columns.map((name) => `<th>${escapeHtml(labelWithUnit(name))}</th>`).join('');
  // Four decimals as the paper's table; the detection rate in percent with one.
  const places = (name: (typeof columns)[number]) => (name === 'detectionRate' ? 1 : decimals);
  const row = (label: string, pick: (r: MetricRow) => number | null) =>
    `<tr><td>${label}</td>${columns.map((name) => valueCell(metricInfo(name), pick(report.summary[name]), places(name))).join('')}</tr>`;
  const delta = `<tr class="delta"><td>\u0394 (gain)</td>${columns.map((name) => gainCell(name, metricInfo(name), report.summary[name], places(name))).join('')}</tr>`;
  const paper = `For orientation only: the paper reports \u0394 = ${PAPER_TABLE5.psnr.toFixed(4)} dB, ${PAPER_TABLE5.ssim.toFixed(4)}, ${PAPER_TABLE5.rmse.toFixed(4)} and ${PAPER_TABLE5.abse.toFixed(4)} on its own FPHA local-blur set with another hand-pose estimator; data, model and estimator here differ.`;
  return `<section id="table5">
<h2>Table 5: hand pose after deblurring</h2>
<p class="intro">Laid out as the paper\u2019s Table 5 (improvement after deblurring), with the detection rate added and the values the \u0394 row is taken from.</p>
<div class="scroll"><table class="table5">
<thead><tr><th></th>${head}</tr></thead>
<tbody>
${row('Blurred', (r) => r.blurred)}
${row('Deblurred', (r) => r.deblurred)}
${delta}
</tbody>
</table></div>
<p class="note">\u0394 = deblurred \u2212 blurred where higher is better (PSNR, SSIM, detection rate) and blurred \u2212 deblurred where lower is better (RMSE, ABSE), so a positive \u0394 always means deblurring helped; the detection-rate \u0394 is in percentage points. ${escapeHtml(paper)}</p>
</section>`;
}

function sharpCell(report: EvalReport, info: MetricInfo, row: MetricRow): string {
  if (info.kind === 'image') return '<td class="none" title="the sharp frame is the reference">reference</td>';
  if (row.sharp === null && report.config.groundTruth === 'pseudo') return '<td class="none" title="fixed by construction under pseudo ground truth">n/a*</td>';
  return valueCell(info, row.sharp);
}

function metricsTable(report: EvalReport, spreads: Spreads): string {
  const names = metricNames(report.config.metrics.pckThresholds);
  const norm = report.config.metrics.pckNormalization;
  const rows = names.map((name) => {
    const row = summaryRow(report.summary, name);
    const info = metricInfo(name, norm);
    const spread = hasSpread(name) ? spreads.get(name) : undefined;
    const interval = spread ? `<td${undecided(spread) ? ' class="none" title="holds 0"' : ''}>${intervalText(info, spread)}</td><td>${spread.better}/${spread.worse}</td>` : '<td class="none">\u2014</td><td class="none">\u2014</td>';
    return `<tr><td>${escapeHtml(labelWithUnit(name, norm))} <span class="dir" title="${info.better} is better">${info.better === 'higher' ? '\u2191' : '\u2193'}</span></td>${valueCell(info, row.blurred)}${valueCell(info, row.deblurred)}${sharpCell(report, info, row)}${gainCell(name, info, row)}${interval}<td>${row.frames}</td></tr>`;
  });
  const pseudo = report.config.groundTruth === 'pseudo' ? `<p class="note">* ${escapeHtml(PSEUDO_GROUND_TRUTH_NOTE)}</p>` : '';
  return `<section id="metrics">
<h2>All metrics</h2>
<p class="intro">Every measure on the three versions of each frame. \u2191 higher is better, \u2193 lower is better. RMSE, ABSE and EPE average over the frames where every version compared found a hand (the frames column), so a missed hand cannot lower an error; PCK and the detection rate count every frame with ground truth, a missed hand as a miss.</p>
<div class="scroll"><table class="metrics">
<thead><tr><th>Metric</th><th>Blurred</th><th>Deblurred</th><th>Sharp</th><th>Gain</th><th>95% interval</th><th>Better/worse</th><th>Frames</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table></div>
<p class="note">${escapeHtml(GAIN_NOTE)} Gains of percentages are in percentage points.</p>
${pseudo}
</section>`;
}

function sequenceTable(report: EvalReport): string {
  const columns = ['psnr', 'ssim', 'rmse', 'abse', 'detectionRate'] as const;
  const head = columns.map((name) => {
    const info = metricInfo(name);
    const u = gainUnit(info);
    return `<th>${escapeHtml(info.label)}<br>gain${u ? ` (${u})` : ''}</th>`;
  });
  const rows = report.sequences.map((s) => `<tr><td>${escapeHtml(s.id)}</td><td>${s.frames}</td>${columns.map((name) => gainCell(name, metricInfo(name), s.summary[name])).join('')}</tr>`);
  return `<div class="scroll"><table class="sequences">
<thead><tr><th>Sequence</th><th>Frames</th>${head.join('')}</tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table></div>`;
}

function legendKey(version: keyof typeof VERSION_COLORS, label: string): string {
  return `<span class="key" style="background:${VERSION_COLORS[version]}"></span>${label}`;
}

function panelCaption(frame: FrameRecord | undefined, version: 'blurred' | 'deblurred' | 'sharp', pseudo: boolean): string {
  if (!frame) return '';
  const joints: JointRecord = frame.joints[version];
  const parts: string[] = [];
  if (version === 'sharp') parts.push('reference');
  else parts.push(`PSNR ${formatNumber(frame.psnr[version], 2)} dB`, `SSIM ${formatNumber(frame.ssim[version], 4)}`);
  if (!joints.found) parts.push('<span class="worse">no hand found</span>');
  else if (joints.rmse !== null) parts.push(`RMSE ${formatNumber(joints.rmse, 2)} px`);
  else if (version === 'sharp' && pseudo) parts.push('hand found (the pseudo ground truth)');
  else parts.push('hand found');
  return parts.join(' \u00b7 ');
}

function panels(report: EvalReport): string {
  if (report.panels.length === 0) return '';
  const pseudo = report.config.groundTruth === 'pseudo';
  const frameOf = (p: PanelRecord) => report.sequences.find((s) => s.id === p.sequence)?.perFrame.find((f) => f.index === p.index);
  const items = report.panels.map((p) => {
    const frame = frameOf(p);
    const image = (version: 'blurred' | 'deblurred' | 'sharp', label: string) =>
      `<figure><img src="${escapeHtml(relativeUrl(p[version]))}" alt="${escapeHtml(`${label} frame ${p.index} of ${p.sequence}, estimated landmarks drawn`)}" loading="lazy"><figcaption>${legendKey(version, `<strong>${label}</strong>`)} <span>${panelCaption(frame, version, pseudo)}</span></figcaption></figure>`;
    return `<div class="panel">
<h3>${escapeHtml(p.sequence)} \u00b7 frame ${p.index}</h3>
<div class="trio">
${image('blurred', 'Blurred')}
${image('deblurred', 'Deblurred')}
${image('sharp', 'Sharp')}
</div>
</div>`;
  });
  return `<section id="panels">
<h2>Panels</h2>
<p class="intro">The same frame blurred, deblurred and sharp, each with the landmarks the estimator found on it. Numbers are this frame\u2019s; PSNR and SSIM are against the sharp frame.</p>
${items.join('\n')}
</section>`;
}

function method(report: EvalReport): string {
  const { metrics, groundTruthNote } = report.config;
  const names = metricNames(metrics.pckThresholds);
  const defs = names
    .map((name) => {
      const info = metricInfo(name, metrics.pckNormalization);
      return `<dt>${escapeHtml(labelWithUnit(name, metrics.pckNormalization))} <span class="none">\u00b7 ${info.better} is better</span></dt><dd>${escapeHtml(info.description)}</dd>`;
    })
    .join('\n');
  const channel = metrics.channel === 'y' ? 'luma Y (BT.601)' : 'all RGB samples';
  const pose = report.summary.rmse.frames;
  const withTruth = report.summary.detectionRate.frames;
  const norm = metrics.pckNormalization;
  const conventions = [
    `PSNR and SSIM are computed on ${channel}, ignoring ${metrics.cropBorder} px at each border, against the sharp frame. PSNR is stored capped at ${PSNR_CAP_DB} dB, so a frame identical to the sharp one counts as ${PSNR_CAP_DB} dB instead of infinity.`,
    `Pose errors are in pixels of the frame. RMSE, ABSE and EPE average over the frames with ground truth where every version compared found a hand (${pose} of ${totalFrames(report)} frames overall), so every column and the gain use the same frames. PCK and the detection rate count all ${withTruth} frames with ground truth; there a missed hand counts as 21 missed joints and as a frame without a detection.`,
    metrics.pckThresholds.length > 0
      ? `PCK thresholds: ${metrics.pckThresholds.join(', ')} (${norm === 'px' ? 'pixels' : norm === 'bbox' ? 'fractions of the longer side of the ground-truth joints\u2019 bounding box' : norm}).`
      : 'No PCK thresholds were configured.',
    'Numbers over several sequences pool their frames (a long sequence weighs more than a short one).',
    `Ground truth: ${groundTruthLabel(report)}.${groundTruthNote ? ` ${groundTruthNote}` : ''}`,
    GAIN_NOTE,
  ];
  return `<section id="method">
<h2>What is measured</h2>
<dl class="defs">
${defs}
</dl>
<h3>Conventions</h3>
<ul class="plain">
${conventions.map((c) => `<li>${escapeHtml(c)}</li>`).join('\n')}
</ul>
</section>`;
}

function showValue(value: unknown): string {
  if (typeof value === 'string') return escapeHtml(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (typeof value === 'object' && 'code' in value && typeof value.code === 'string') return `<code>${escapeHtml(value.code)}</code>`;
  const text = JSON.stringify(value) ?? String(value);
  return `<code>${escapeHtml(text.length > 240 ? `${text.slice(0, 237)}...` : text)}</code>`;
}

function kvTable(entries: readonly (readonly [string, unknown])[], caption: string): string {
  if (entries.length === 0) return `<h3>${caption}</h3><p class="note">none recorded</p>`;
  return `<div><h3>${caption}</h3><table class="kv"><tbody>${entries.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${showValue(v)}</td></tr>`).join('')}</tbody></table></div>`;
}

function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

function run(report: EvalReport): string {
  const { config, timing } = report;
  const inputs = config.inputs.slice(0, 20).map((i) => `<li><code>${escapeHtml(i)}</code></li>`);
  if (config.inputs.length > 20) inputs.push(`<li>and ${config.inputs.length - 20} more (see report.json)</li>`);
  const stages = Object.entries(timing.stages).map(
    ([stage, ms]) => [stage, `${formatMs(ms)}${timing.totalMs > 0 ? ` (${Math.round((100 * ms) / timing.totalMs)} %)` : ''}`] as const,
  );
  return `<section id="run">
<h2>Run</h2>
<h3>Inputs</h3>
<ul class="plain">${inputs.join('')}</ul>
<div class="columns">
${kvTable(
  [
    ['name', config.model.name],
    ['preset', config.model.preset],
    ['device', config.model.device],
    ['sha256', config.model.sha256 === null ? 'none (computed, no model file)' : { code: config.model.sha256 }],
  ],
  'Model',
)}
${kvTable(
  [
    ['ground truth', config.groundTruth],
    ['channel', config.metrics.channel],
    ['crop border', `${config.metrics.cropBorder} px`],
    ['PCK thresholds', config.metrics.pckThresholds],
    ['PCK normalization', config.metrics.pckNormalization],
  ],
  'Metrics',
)}
${kvTable(Object.entries(config.synthesis), 'Blur synthesis')}
${kvTable(Object.entries(config.deblur), 'Deblurring')}
${kvTable(Object.entries(config.handpose), 'Hand pose')}
${kvTable(Object.entries(report.versions), 'Versions')}
${kvTable([['total', formatMs(timing.totalMs)], ...stages], 'Time')}
</div>
</section>`;
}

// ---------------------------------------------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------------------------------------------

/**
 * Renders the report as one HTML page (a string; write it as `index.html` beside `report.json` and the panel
 * images). Validates the report first ({@link validateReport}). Charts are rendered here, so this loads the charting
 * library on first use and takes about 0.1 s per chart.
 */
export async function renderReportHtml(given: EvalReport | EvalReportV1, options: RenderReportOptions = {}): Promise<string> {
  const { title, maxSequenceCharts, onChartWarning } = checkRenderOptions(options);
  // A version-1 report comes back upgraded (its recovered shares computed).
  const report = validateReport(given);
  const pseudo = report.config.groundTruth === 'pseudo';
  let chartIndex = 0;
  const chart = (spec: Parameters<typeof renderChartSvg>[0]) => renderChartSvg(spec, { idPrefix: `c${++chartIndex}-`, ...(onChartWarning ? { onWarning: onChartWarning } : {}) });

  const distribution = await chart(gainDistributionSpec(report));
  const n = report.sequences.length;
  const bars = n >= 2 && n <= MAX_SEQUENCE_BARS ? await chart(sequenceGainsSpec(report)) : undefined;
  const curves: string[] = [];
  for (const sequence of report.sequences.slice(0, maxSequenceCharts)) {
    const svg = await chart(sequenceCurvesSpec(sequence, report));
    curves.push(`<figure class="curves">${svg}<figcaption>Per frame: PSNR of the blurred and deblurred frames; joint RMSE on each version${pseudo ? ' (against the pseudo ground truth)' : ''}, the line broken where no hand was found; and which versions found a hand (red: none).</figcaption></figure>`);
  }
  const curvesNote =
    n > maxSequenceCharts
      ? `<p class="note">Curves for the first ${maxSequenceCharts} of ${n} sequences, in report order; the table above lists all of them.</p>`
      : '';

  const spreads: Spreads = new Map(SPREAD_METRICS.map((name) => [name, reportGainSpread(report, name)]));
  const callout = pseudo ? `<p class="callout" id="pseudo-ground-truth"><strong>Pseudo ground truth.</strong> ${escapeHtml(PSEUDO_GROUND_TRUTH_NOTE.replace(/^Pseudo ground truth: t/, 'T'))}</p>` : '';

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="${escapeHtml(`${report.tool.name} ${report.tool.version}`)}">
<title>${escapeHtml(title)} \u2014 evaluation report</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${header(report, title, pseudo)}
${callout}
${headline(report, spreads)}
${recoveredSection(report)}
${modelsSection(report)}
${table5(report)}
${metricsTable(report, spreads)}
<section id="distributions">
<h2>Per-frame gains</h2>
<p class="intro">Each frame\u2019s gain from deblurring, over all sequences. The dashed line is no change; bars right of it are frames deblurring helped.</p>
<figure>${distribution}<figcaption>Histograms of per-frame PSNR gain (every frame) and RMSE gain (the frames the summary\u2019s RMSE averages over: a hand found in every version).</figcaption></figure>
</section>
<section id="sequences">
<h2>Sequences</h2>
<p class="intro">Gains per sequence (positive: deblurring helped), then each sequence frame by frame.</p>
${sequenceTable(report)}
${bars ? `<figure>${bars}<figcaption>PSNR and RMSE gain of each sequence.</figcaption></figure>` : ''}
${curves.join('\n')}
${curvesNote}
</section>
${panels(report)}
${method(report)}
${run(report)}
<footer>Written by ${escapeHtml(report.tool.name)} ${escapeHtml(report.tool.version)} \u00b7 the numbers behind this page: <a href="report.json">report.json</a> (schema v${REPORT_SCHEMA_VERSION}).</footer>
</main>
</body>
</html>
`;
}
