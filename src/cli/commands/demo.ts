/**
 * `promotion demo`: the main job on the embedded sample. It runs the paper's Table-5 experiment on the FPHA-layout
 * sample (datasets/fpha-sample: real hands under known camera shake and hand motion, with skeletons): blur
 * synthesis, deblurring with the shipped model, hand pose on the sharp, blurred and deblurred frames, and the
 * metrics; it prints the Table-5-style summary and writes the HTML report. A second run reuses the work folder.
 */
import { join, resolve } from 'node:path';
import { packageRoot } from '../../util/package-root.js';
import type { CliIo } from '../io.js';
import { evalCommand } from './eval.js';

/** The sample the demo runs on. */
export function sampleDatasetPath(): string {
  return join(packageRoot(), 'datasets', 'fpha-sample');
}

/** Options of the demo command. */
export interface DemoCommandOptions {
  output: string;
  model?: string;
  threads?: string;
  json?: boolean;
  progress?: boolean;
}

export async function demoCommand(options: DemoCommandOptions, io: CliIo): Promise<void> {
  const out = resolve(options.output);
  const input = sampleDatasetPath();
  if (!options.json) io.stdout.write(`Sample: ${input} (FPHA layout, 4 sequences of real hands, skeleton ground truth)\nOutput: ${out}\n\n`);
  await evalCommand(
    [input],
    {
      report: join(out, 'report'),
      work: join(out, 'work'),
      overwrite: true,
      ...(options.model !== undefined ? { model: options.model } : {}),
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      ...(options.json ? { json: true } : {}),
      ...(options.progress === false ? { progress: false } : {}),
    },
    io,
  );
}
