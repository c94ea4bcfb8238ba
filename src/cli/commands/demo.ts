/**
 * `promotion demo`: the main job on the embedded sample. It runs the paper's Table-5 experiment on the FPHA-layout
 * sample (datasets/fpha-sample: real hands under known camera shake and hand motion, with skeletons): blur
 * synthesis, deblurring with the shipped model, hand pose on the sharp, blurred and deblurred frames, and the
 * metrics; it prints the Table-5-style summary and writes the HTML report. A second run reuses the work folder.
 */
import { join, resolve } from 'node:path';
import { DEFAULT_DEBLUR_MODEL } from '../../deblur/model-card.js';
import { packageRoot } from '../../util/package-root.js';
import type { CliIo, RunTask } from '../io.js';
import { evalCommand } from './eval.js';
import type { Command } from 'commander';

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

/** Adds `promotion demo` to the program: its flags, their help and defaults, and the action. */
export function defineDemoCommand(program: Command, io: CliIo, run: RunTask): void {
  program
    .command('demo')
    .description("The main job on the embedded sample: the Table-5 evaluation of the shipped model on datasets/fpha-sample (real hands, skeleton ground truth); prints the summary and writes the HTML report.")
    .option('-o, --output <dir>', 'where to write the report and the work folder', 'runs/demo')
    .option('--model <name|path>', `deblurring model (default ${DEFAULT_DEBLUR_MODEL})`)
    .option('--threads <n>', 'ONNX Runtime threads')
    .option('--no-progress', 'no progress line')
    .option('--json', 'print the summary as JSON')
    .action((options: DemoCommandOptions) => run(() => demoCommand(options, io)));
}
