/** `promotion probe <input>`: what a source holds. */
import { listFphaSequences } from '../../stream/fpha-source.js';
import { openSource, type OpenSourceOptions } from '../../stream/open-source.js';
import type { SourceInfo } from '../../stream/source.js';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import type { CliIo, RunTask } from '../io.js';
import { type Command, Option } from 'commander';
import { KIND_CHOICES } from '../frame-io.js';

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

/** Adds `promotion probe` to the program: its flags, their help and defaults, and the action. */
export function defineProbeCommand(program: Command, io: CliIo, run: RunTask): void {
  program
    .command('probe')
    .description('Show what an input holds: a video file, an image folder, an FPHA sequence or root, or live input.')
    .argument('<input>', 'video file, image folder, FPHA sequence folder or root, camera device or stream URL')
    .addOption(new Option('--kind <kind>', 'read the input as this kind instead of detecting it').choices(KIND_CHOICES).default('auto'))
    .option('--format <format>', 'ffmpeg input format for live input (e.g. v4l2, lavfi)')
    .option('--json', 'print JSON instead of a table')
    .action((input: string, options: ProbeCommandOptions) => run(() => probeCommand(input, options, io)));
}
