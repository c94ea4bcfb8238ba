/** `promotion probe <input>`: what a source holds. */
import { listFphaSequences } from '../../stream/fpha-source.js';
import { openSource, type OpenSourceOptions } from '../../stream/open-source.js';
import type { SourceInfo } from '../../stream/source.js';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { CliIo } from '../io.js';

/** Options the probe command accepts. */
export interface ProbeCommandOptions {
  json?: boolean;
  kind?: OpenSourceOptions['kind'];
  format?: string;
}

/** Human-readable lines for a source. */
export function describeSource(info: SourceInfo): string {
  const rows: Array<[string, string]> = [
    ['input', info.input],
    ['kind', info.kind],
    ['size', `${info.width}x${info.height}`],
    ['fps', String(Number(info.fps.toFixed(3)))],
    ['frames', info.frameCount === undefined ? 'unknown (live)' : String(info.frameCount)],
    ['duration', info.frameCount === undefined ? '-' : `${(info.frameCount / info.fps).toFixed(2)} s`],
    ['samples', `${info.sampleType} (stored: ${info.sourceBitDepth}-bit)`],
    ...Object.entries(info.details).map(([k, v]) => [k, String(v)] as [string, string]),
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

export async function probeCommand(input: string, options: ProbeCommandOptions, io: CliIo): Promise<void> {
  const isFphaRoot = await access(join(input, 'Video_files')).then(() => true, () => false);
  if (isFphaRoot) {
    const notices: string[] = [];
    const sequences = await listFphaSequences(input, {}, (m) => notices.push(m));
    if (options.json) {
      io.stdout.write(`${JSON.stringify({ kind: 'fpha-root', input, sequences: sequences.map((s) => s.id), skipped: notices }, null, 2)}\n`);
    } else {
      io.stdout.write(`${input}: FPHA dataset root with ${sequences.length} sequences\n${sequences.map((s) => `  ${s.id}`).join('\n')}\n`);
      for (const n of notices) io.stderr.write(`${n}\n`);
    }
    return;
  }
  const source = await openSource(input, { kind: options.kind ?? 'auto', ...(options.format ? { live: { format: options.format } } : {}) });
  io.stdout.write(options.json ? `${JSON.stringify(source.info, null, 2)}\n` : `${describeSource(source.info)}\n`);
}
