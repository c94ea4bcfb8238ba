/**
 * The report folder: `report.json`, `index.html` and the panel images, written into a staging folder beside the
 * target and moved into place only when complete (`src/stream/atomic.ts`), so a failed or interrupted run never
 * leaves a half-written report, and an existing one is replaced only by a finished one.
 */
import { access, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptInputError, InputNotFoundError } from '../errors.js';
import { expectBoolean, expectFunction, expectKnownKeys } from '../options.js';
import { type PendingOutput, checkOutputPath, pendingFolder, writingOutput } from '../stream/atomic.js';
import { type RenderReportOptions, checkRenderOptions, renderReportHtml } from './report-html.js';
import { type EvalReport, validateReport } from './report-schema.js';

/** File name of the data. */
export const REPORT_JSON = 'report.json';
/** File name of the page. */
export const REPORT_HTML = 'index.html';

/** JSON of a value on one line, with a space after each `:` and `,` (`{"blurred": 28.1, "deblurred": 34.2}`). */
function inlineJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => inlineJson(v === undefined ? null : v)).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${inlineJson(v)}`).join(', ')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The text of `report.json`: indented by two spaces, but any array or object that fits in `maxLineLength`
 * characters stays on one line (so a per-frame record takes a few lines, not forty). Ends with a newline.
 * `JSON.parse` gives the report back exactly.
 */
export function serializeReport(report: EvalReport, maxLineLength = 120): string {
  const write = (value: unknown, indent: string, prefixLength: number): string => {
    const flat = inlineJson(value);
    if (typeof value !== 'object' || value === null || indent.length + prefixLength + flat.length <= maxLineLength) return flat;
    const inner = `${indent}  `;
    if (Array.isArray(value)) {
      if (value.length === 0) return '[]';
      return `[\n${value.map((v) => inner + write(v, inner, 0)).join(',\n')}\n${indent}]`;
    }
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    return `{\n${entries
      .map(([k, v]) => {
        const key = `${JSON.stringify(k)}: `;
        return inner + key + write(v, inner, key.length);
      })
      .join(',\n')}\n${indent}}`;
  };
  return `${write(report, '', 0)}\n`;
}

/** A report folder being written. Write panel images under `stagingPath`, then `commit(report)` or `abort()`. */
export interface ReportFolder {
  /** Where the report will be. */
  readonly path: string;
  /** The staging folder: write the panel images here, at the relative paths the report's `panels` name. */
  readonly stagingPath: string;
  /**
   * Validates the report, checks that every panel image is in the staging folder, renders `index.html`, writes it
   * and `report.json`, and moves the folder into place. On any failure the staging folder is removed, an existing
   * report is left as it was, and the error is rethrown.
   */
  commit(report: EvalReport, options?: RenderReportOptions): Promise<void>;
  /** Removes the staging folder. Safe to call after commit (does nothing). */
  abort(): Promise<void>;
}

/** Options of {@link openReportFolder} and {@link writeReport}. */
export interface ReportFolderOptions {
  /** Replace an existing non-empty folder at the path (only once the new report is complete). Default false. */
  overwrite?: boolean;
}

/**
 * Starts writing a report folder at `dir`. Throws an `OutputExistsError` before anything is written when `dir`
 * is a file, or a non-empty folder and `overwrite` is false. Removes staging folders a killed run left beside it
 * (see removeStaleStaging).
 */
export async function openReportFolder(dir: string, options: ReportFolderOptions = {}): Promise<ReportFolder> {
  expectKnownKeys('openReportFolder options', options, ['overwrite']);
  const overwrite = options.overwrite === undefined ? false : expectBoolean('overwrite', options.overwrite);
  checkOutputPath(dir, overwrite, 'folder');
  const pending: PendingOutput = await pendingFolder(dir, overwrite);
  return {
    path: dir,
    stagingPath: pending.tempPath,
    async commit(report, renderOptions = {}) {
      try {
        checkRenderOptions(renderOptions);
        validateReport(report);
        for (const [i, panel] of report.panels.entries()) {
          for (const version of ['blurred', 'deblurred', 'sharp'] as const) {
            const file = join(pending.tempPath, ...panel[version].split('/'));
            await access(file).catch((cause: unknown) => {
              throw new InputNotFoundError(
                file,
                `Panel image ${panel[version]} (panels[${i}].${version}) is not in the report folder; write the panel images under the ReportFolder's stagingPath before commit.`,
                { cause },
              );
            });
          }
        }
        const html = await renderReportHtml(report, renderOptions);
        await writingOutput(dir, () => writeFile(join(pending.tempPath, REPORT_JSON), serializeReport(report)));
        await writingOutput(dir, () => writeFile(join(pending.tempPath, REPORT_HTML), html));
        await pending.commit();
      } catch (error) {
        await pending.abort();
        throw error;
      }
    },
    abort: () => pending.abort(),
  };
}

/** Options of {@link writeReport}. */
export interface WriteReportOptions extends ReportFolderOptions {
  /** Options of the HTML page. */
  html?: RenderReportOptions;
  /** Writes the panel images (or other files) into the staging folder it is given, before the report is committed. */
  writeAssets?: (stagingPath: string) => Promise<void>;
}

/**
 * Writes a complete report folder at `dir` in one step: `writeAssets` (the panel images) into a staging folder,
 * then `report.json` and `index.html`, then moves the folder into place. Nothing is left at `dir` (and an existing
 * report there is untouched) if any step fails.
 */
export async function writeReport(dir: string, report: EvalReport, options: WriteReportOptions = {}): Promise<void> {
  expectKnownKeys('writeReport options', options, ['overwrite', 'html', 'writeAssets']);
  const writeAssets = options.writeAssets === undefined ? undefined : expectFunction<(stagingPath: string) => Promise<void>>('writeAssets', options.writeAssets);
  const html = options.html ?? {};
  checkRenderOptions(html);
  validateReport(report);
  const folder = await openReportFolder(dir, options.overwrite === undefined ? {} : { overwrite: options.overwrite });
  try {
    if (writeAssets) await writingOutput(dir, () => writeAssets(folder.stagingPath));
  } catch (error) {
    await folder.abort();
    throw error;
  }
  await folder.commit(report, html);
}

/**
 * Reads and validates a report: `path` is a report folder or its `report.json`. Throws `InputNotFoundError` when
 * it is missing, `CorruptInputError` when it is not JSON, and a `ReportSchemaError` naming the first bad path.
 */
export async function readReport(path: string): Promise<EvalReport> {
  const file = path.endsWith('.json') ? path : join(path, REPORT_JSON);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new InputNotFoundError(file, `Report ${file} does not exist. Give a report folder (holding report.json) or the report.json itself.`, { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new CorruptInputError(file, `Report ${file} is not valid JSON: ${(cause as Error).message}.`, { cause });
  }
  return validateReport(value);
}
