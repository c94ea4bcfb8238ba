/**
 * The charting adapter: the only file that imports Vega and Vega-Lite. Charts are declared as Vega-Lite specs
 * with their data inline, compiled to Vega and rendered headless to SVG (`renderer: 'none'`, no browser, no canvas).
 * Both libraries load on the first chart, so importing the SDK stays cheap. Nothing is fetched: the view gets a
 * loader that refuses every URL and file, so a spec that names external data fails instead of reaching out.
 */
import type * as Vega from 'vega';
import type { Loader } from 'vega';
import type * as VegaLite from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import { NativeDependencyError } from '../errors.js';
import { expectFunction, expectKnownKeys, expectString, invalidOption } from '../options.js';

/** A chart: a Vega-Lite spec whose data are inline `values`. */
export type ChartSpec = TopLevelSpec;

interface ChartLibraries {
  vega: typeof Vega;
  vegaLite: typeof VegaLite;
}

let libraries: Promise<ChartLibraries> | undefined;

/**
 * Advance widths of printable ASCII (32 to 126) in a Helvetica-like sans-serif, in thousandths of an em (the
 * metrics of the standard Helvetica AFM). Used to lay out text without a canvas.
 */
// prettier-ignore
const SANS_WIDTHS = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space ! " # $ % & ' ( ) * + , - . /
  556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0-9 : ; < = > ?
  1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @ A-O
  667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P-Z [ \ ] ^ _
  333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // ` a-o
  556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p-z { | } ~
];

/** Slack over Helvetica's metrics for the wider sans-serifs a page may use instead (DejaVu Sans, Segoe UI). */
const WIDTH_SLACK = 1.12;

/**
 * Estimated width in px of `text` set in a sans-serif at `fontSize` px; bold (weight 600 and up) is 8% wider.
 * Vega without a canvas guesses 0.8 em per character, which makes every label and title far too wide (charts get
 * wide margins and drop axis labels they think overlap); this is within a few percent for Latin text.
 */
export function estimateTextWidth(text: string, fontSize: number, fontWeight?: string | number): number {
  let em = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    em += code >= 32 && code <= 126 ? SANS_WIDTHS[code - 32]! : code >= 0x2000 && code <= 0x206f ? 600 : code >= 0x2190 ? 900 : 600;
  }
  const weight = fontWeight === 'bold' || fontWeight === 'bolder' || (typeof fontWeight === 'number' && fontWeight >= 600) || (typeof fontWeight === 'string' && Number(fontWeight) >= 600);
  return (em / 1000) * fontSize * WIDTH_SLACK * (weight ? 1.08 : 1);
}

interface TextItem {
  fontSize?: number | string;
  fontWeight?: string | number;
}

async function loadChartLibraries(): Promise<ChartLibraries> {
  libraries ??= Promise.all([import('vega'), import('vega-lite')]).then(
    ([vega, vegaLite]) => {
      // Vega's documented hook for a text measure of one's own (vl-convert uses it too); this process draws no
      // other Vega charts, so setting it here, once, affects only ours.
      // (Not in vega's typings; vega-scenegraph exports it.)
      const metrics = (vega as unknown as { textMetrics?: { width: (item: TextItem, text: unknown) => number } }).textMetrics;
      if (metrics) {
        metrics.width = (item, text) => {
          const size = item.fontSize == null ? 11 : Number(item.fontSize) || 0;
          const value = text == null ? '' : String(text).trim();
          return estimateTextWidth(value, size, item.fontWeight);
        };
      }
      return { vega, vegaLite };
    },
    (cause: unknown) => {
      libraries = undefined;
      throw new NativeDependencyError('The Vega charting libraries (vega, vega-lite) could not be loaded.', 'Reinstall dependencies with `npm ci`.', { cause });
    },
  );
  return libraries;
}

/**
 * Vega's loader, replaced: charts are rendered from inline data only. Vega only warns when a load fails and draws
 * the chart empty, so each refusal is also recorded in `refused`, which fails the render.
 */
function offlineLoader(refused: string[]): Loader {
  const refuse = (what: string) => {
    const message = `Report charts load nothing (asked for ${what}); give the data inline as values.`;
    refused.push(message);
    return Promise.reject(new Error(message));
  };
  return { load: refuse, sanitize: refuse, http: refuse, file: refuse };
}

/** Options of {@link renderChartSvg}. */
export interface RenderChartOptions {
  /**
   * Prefix for the ids inside the SVG (clip paths, gradients), so several charts inlined in one page cannot clash.
   * Letters, digits, `-` and `_`. Default: a counter (`chart1-`, `chart2-`...).
   */
  idPrefix?: string;
  /** Receives Vega's and Vega-Lite's warnings (a field that is missing, a scale that cannot be built). Default: ignored. */
  onWarning?: (message: string) => void;
}

let chartCounter = 0;

/** Decimals kept in coordinates of the SVG: a tenth of a CSS pixel is below what a screen shows at 1:1. */
const COORDINATE_DECIMALS = 1;

/**
 * Shrinks Vega's SVG without changing what it shows: rounds coordinates in geometry attributes, drops text that
 * Vega hid for overlapping (opacity 0) and empty background paths, and prefixes ids.
 */
export function compactSvg(svg: string, idPrefix: string): string {
  const round = (m: string) => {
    const v = Number(m);
    const r = Number(v.toFixed(COORDINATE_DECIMALS));
    return Object.is(r, -0) ? '0' : String(r);
  };
  return svg
    .replace(/<text\b[^>]*\bopacity="0"[^>]*>[^<]*<\/text>/g, '')
    .replace(/<path class="background"[^>]*\bd="M0,0h0v0h0Z"[^>]*\/>/g, '')
    .replace(/\b(d|transform|x|y|x1|x2|y1|y2|width|height|points)="([^"]*)"/g, (_all, name: string, value: string) => `${name}="${value.replace(/-?\d*\.\d+(?:e-?\d+)?/g, round)}"`)
    .replace(/\bid="([^"]+)"/g, (_all, id: string) => `id="${idPrefix}${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_all, id: string) => `url(#${idPrefix}${id})`)
    .replace(/\bhref="#([^"]+)"/g, (_all, id: string) => `href="#${idPrefix}${id}"`);
}

/**
 * Renders a Vega-Lite chart to an SVG string (`<svg ...>...</svg>`, with a `viewBox`, so CSS can scale it).
 * Loads Vega and Vega-Lite on first use; throws a {@link NativeDependencyError} when they are not installed, and
 * an `Error` naming Vega's complaint when the chart fails (data that is not inline, an expression that throws).
 */
export async function renderChartSvg(spec: ChartSpec, options: RenderChartOptions = {}): Promise<string> {
  expectKnownKeys('renderChartSvg options', options, ['idPrefix', 'onWarning']);
  const idPrefix = options.idPrefix === undefined ? `chart${++chartCounter}-` : expectString('idPrefix', options.idPrefix);
  if (!/^[A-Za-z][\w-]*$/.test(idPrefix)) invalidOption('idPrefix', 'letters, digits, - and _, starting with a letter', idPrefix);
  const onWarning = options.onWarning === undefined ? undefined : expectFunction<(message: string) => void>('onWarning', options.onWarning);
  const { vega, vegaLite } = await loadChartLibraries();

  const text = (args: unknown[]) => args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ');
  const errors: string[] = [];
  let level: number = vega.Warn;
  const logger = {
    level(next?: number) {
      if (next === undefined) return level;
      level = next;
      return logger;
    },
    error(...args: unknown[]) {
      errors.push(text(args));
      return logger;
    },
    warn(...args: unknown[]) {
      if (level >= vega.Warn) onWarning?.(text(args));
      return logger;
    },
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };

  const compiled = vegaLite.compile(spec, { logger }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader: offlineLoader(errors), logger, logLevel: vega.Warn });
  try {
    const svg = await view.toSVG();
    // Vega logs dataflow errors (a data source that fails to load, an expression that throws) and renders on.
    if (errors.length > 0) throw new Error(`The chart could not be rendered: ${errors.join('; ')}`);
    return compactSvg(svg, idPrefix);
  } finally {
    view.finalize();
  }
}
