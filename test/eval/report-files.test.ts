/**
 * Writing the report folder: report.json + index.html + panel images, atomically. An existing report is replaced
 * only by a complete one and is left as it was when anything fails; nothing is left beside it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CorruptInputError, InputNotFoundError, OutputExistsError } from '../../src/errors.js';
import { REPORT_HTML, REPORT_JSON, openReportFolder, readReport, serializeReport, writeReport } from '../../src/eval/report-files.js';
import { ReportSchemaError } from '../../src/eval/report-schema.js';
import { OUTPUT_MARKER } from '../../src/stream/atomic.js';
import { tempDir } from '../helpers.js';
import { makeReport, writePanelImages } from './make-report.js';

const root = tempDir('promotion-report-');
let n = 0;
const fresh = () => join(root, `r${n++}`);

/** Every file under `dir` with its bytes, relative paths sorted. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, prefix: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(d, entry.name), `${prefix}${entry.name}/`);
      else out[`${prefix}${entry.name}`] = readFileSync(join(d, entry.name)).toString('base64');
    }
  };
  walk(dir, '');
  return out;
}

/** Names beside `dir` that look like staging folders. */
function leftovers(dir: string): string[] {
  return readdirSync(join(dir, '..')).filter((name) => name.includes('.partial-') || name.includes('.replaced-'));
}

const small = (options: Parameters<typeof makeReport>[0] = {}) => makeReport({ sequences: 1, frames: 40, panelFrames: [12, 30], ...options });

describe('writeReport', () => {
  it('writes report.json, index.html and the panel images into one folder that reads back', async () => {
    const dir = fresh();
    const report = small();
    await writeReport(dir, report, { writeAssets: (staging) => writePanelImages(staging, report), html: { maxSequenceCharts: 1 } });
    expect(readdirSync(dir).sort()).toEqual([OUTPUT_MARKER, REPORT_HTML, 'panels', REPORT_JSON].sort());
    expect(readdirSync(join(dir, 'panels')).sort()).toEqual(['0012-blurred.png', '0012-deblurred.png', '0012-sharp.png', '0030-blurred.png', '0030-deblurred.png', '0030-sharp.png'].sort());
    expect(await readReport(dir)).toEqual(report);
    expect(await readReport(join(dir, REPORT_JSON))).toEqual(report);
    const html = readFileSync(join(dir, REPORT_HTML), 'utf8');
    for (const panel of report.panels) expect(existsSync(join(dir, panel.blurred)) && html.includes(`src="${panel.blurred}"`)).toBe(true);
    expect(leftovers(dir)).toEqual([]);
  });

  it('serializes compactly: short arrays and objects on one line, parsed back exactly', () => {
    const report = small();
    const text = serializeReport(report);
    expect(JSON.parse(text)).toEqual(report);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.length).toBeLessThan(JSON.stringify(report, null, 2).length * 0.85);
    expect(text).toContain('"pckThresholds": [0.05, 0.1, 0.2]');
    const frame = report.sequences[0]!.perFrame[3]!;
    expect(text).toContain(`"psnr": {"blurred": ${frame.psnr.blurred}, "deblurred": ${frame.psnr.deblurred}}`);
    expect(text.match(/"psnr": \{"blurred": [\d.]+, "deblurred": [\d.]+\}/g)).toHaveLength(80); // one line in each frame record, in sequences and again in models[0] (schema v3)
  });

  it('refuses an existing report folder without overwrite, before writing anything', async () => {
    const dir = fresh();
    await writeReport(dir, small({ panelFrames: [] }));
    const before = snapshot(dir);
    let assetsWritten = false;
    await expect(
      writeReport(dir, small({ panelFrames: [] }), {
        writeAssets: async () => {
          assetsWritten = true;
        },
      }),
    ).rejects.toThrow(OutputExistsError);
    expect(assetsWritten).toBe(false);
    expect(snapshot(dir)).toEqual(before);
  });

  it('leaves an existing report as it was when writing the assets fails half-way', async () => {
    const dir = fresh();
    const old = small({ seed: 1 });
    await writeReport(dir, old, { writeAssets: (staging) => writePanelImages(staging, old) });
    const before = snapshot(dir);
    const report = small({ seed: 2 });
    await expect(
      writeReport(dir, report, {
        overwrite: true,
        writeAssets: async (staging) => {
          mkdirSync(join(staging, 'panels'));
          await writeFile(join(staging, 'panels', '0012-blurred.png'), 'half');
          throw new Error('disk full');
        },
      }),
    ).rejects.toThrow('disk full');
    expect(snapshot(dir)).toEqual(before);
    expect(leftovers(dir)).toEqual([]);
  });

  it('leaves an existing report as it was when the new one is invalid or names a panel image it lacks', async () => {
    const dir = fresh();
    const old = small({ seed: 3, panelFrames: [] });
    await writeReport(dir, old);
    const before = snapshot(dir);

    const invalid = small({ seed: 4, panelFrames: [] });
    invalid.sequences[0]!.perFrame[7]!.ssim.deblurred = Number.NaN;
    await expect(writeReport(dir, invalid, { overwrite: true })).rejects.toThrow(ReportSchemaError);

    const missing = small({ seed: 5, panelFrames: [12] });
    const error = await writeReport(dir, missing, { overwrite: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputNotFoundError);
    expect((error as Error).message).toContain('Panel image panels/0012-blurred.png (panels[0].blurred) is not in the report folder');

    expect(snapshot(dir)).toEqual(before);
    expect(leftovers(dir)).toEqual([]);
  });

  it('replaces an existing report with overwrite once the new one is complete', async () => {
    const dir = fresh();
    await writeReport(dir, small({ seed: 6 }), { writeAssets: (staging) => writePanelImages(staging, small({ seed: 6 })) });
    const report = small({ seed: 7, panelFrames: [] });
    // A file the tool did not write there is never deleted: the report is not replaced while it is there.
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    await expect(writeReport(dir, report, { overwrite: true })).rejects.toThrow(`Output ${dir} holds notes.txt, which promotion did not write there; it is left as it is. Move it out, or choose another path.`);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
    rmSync(join(dir, 'notes.txt'));
    await writeReport(dir, report, { overwrite: true });
    expect(readdirSync(dir).sort()).toEqual([OUTPUT_MARKER, REPORT_HTML, REPORT_JSON].sort());
    expect(await readReport(dir)).toEqual(report);
    expect(leftovers(dir)).toEqual([]);
  });
});

describe('openReportFolder', () => {
  it('stages panel images written while frames stream, then commits the report', async () => {
    const dir = fresh();
    const report = small();
    const folder = await openReportFolder(dir);
    expect(existsSync(dir)).toBe(false);
    await writePanelImages(folder.stagingPath, report);
    await folder.commit(report, { maxSequenceCharts: 0 });
    expect(existsSync(join(dir, 'panels', '0030-sharp.png'))).toBe(true);
    expect(existsSync(folder.stagingPath)).toBe(false);
    await folder.abort(); // after commit: nothing to do
    expect(existsSync(join(dir, REPORT_JSON))).toBe(true);
  });

  it('abort removes the staging folder and leaves no report', async () => {
    const dir = fresh();
    const folder = await openReportFolder(dir);
    await writeFile(join(folder.stagingPath, 'x.png'), 'x');
    await folder.abort();
    expect(existsSync(dir)).toBe(false);
    expect(leftovers(dir)).toEqual([]);
  });

  it('fails at once on a path that is a file', async () => {
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    await expect(openReportFolder(file, { overwrite: true })).rejects.toThrow(OutputExistsError);
  });
});

describe('readReport', () => {
  it('says what is wrong with a missing, non-JSON or off-schema report', async () => {
    await expect(readReport(join(root, 'nowhere'))).rejects.toThrow(InputNotFoundError);
    const dir = fresh();
    mkdirSync(dir);
    writeFileSync(join(dir, REPORT_JSON), '{"schemaVersion": 1,');
    await expect(readReport(dir)).rejects.toThrow(CorruptInputError);
    writeFileSync(join(dir, REPORT_JSON), JSON.stringify({ ...small(), timing: { totalMs: -5, stages: {} } }));
    await expect(readReport(dir)).rejects.toThrow(/at timing\.totalMs but received -5/);
  });
});
