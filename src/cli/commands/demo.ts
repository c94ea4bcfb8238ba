/**
 * `promotion demo`: the main job on the embedded samples. It runs the paper's Table-5 experiment (blur synthesis,
 * deblurring with the shipped model, hand pose on the sharp, blurred and deblurred frames, the metrics) on two
 * FPHA-layout samples with skeletons, prints the Table-5-style summary of each and writes their HTML reports:
 *   - easy (datasets/fpha-sample): blur costs MediaPipe a little joint accuracy and no detections, so it tells
 *     whether deblurring harms;
 *   - hard (datasets/fpha-hard): hands moving 29-43 px per frame on average at 640x480, where blur costs detections and joint
 *     accuracy, so it tells whether deblurring helps.
 * A second run reuses the work folders.
 */
import { Writable } from 'node:stream';
import { join, resolve } from 'node:path';
import { DEFAULT_DEBLUR_MODEL } from '../../deblur/model-card.js';
import { expectOneOf } from '../../options.js';
import { packageRoot } from '../../util/package-root.js';
import type { CliIo, RunTask } from '../io.js';
import { evalCommand } from './eval.js';
import type { Command } from 'commander';

/** The embedded samples the demo runs on, and what each tells. */
export const DEMO_SAMPLES = {
  easy: { folder: 'fpha-sample', what: 'does deblurring harm? 4 sequences of 24 frames at 320x240, hands MediaPipe finds even when blurred' },
  hard: { folder: 'fpha-hard', what: 'does deblurring help? 8 sequences of 25 frames at 640x480, hands moving 29-43 px per frame on average, where blur costs MediaPipe detections' },
} as const;

/** Which samples `promotion demo` runs by default. */
export const DEFAULT_DEMO_SAMPLES = 'both';

/** The path of an embedded sample (default: the easy one). */
export function sampleDatasetPath(sample: keyof typeof DEMO_SAMPLES = 'easy'): string {
  return join(packageRoot(), 'datasets', DEMO_SAMPLES[sample].folder);
}

/** Options of the demo command. */
export interface DemoCommandOptions {
  output: string;
  sample?: string;
  model?: string;
  threads?: string;
  json?: boolean;
  progress?: boolean;
}

/** An io whose stdout collects what is written (the JSON of one sample's run). */
function collecting(io: CliIo): { io: CliIo; text: () => string } {
  let text = '';
  const stdout = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { io: { ...io, stdout }, text: () => text };
}

export async function demoCommand(options: DemoCommandOptions, io: CliIo): Promise<void> {
  const out = resolve(options.output);
  const which = expectOneOf('--sample', options.sample ?? DEFAULT_DEMO_SAMPLES, ['easy', 'hard', 'both'] as const);
  const samples = which === 'both' ? (['easy', 'hard'] as const) : ([which] as const);
  const json: Record<string, unknown> = {};
  for (const sample of samples) {
    const input = sampleDatasetPath(sample);
    // The easy sample keeps the folders it always had (runs/demo/report); the hard one goes to <output>/hard.
    const dir = sample === 'easy' ? out : join(out, 'hard');
    if (!options.json) io.stdout.write(`${sample === 'hard' && samples.length > 1 ? '\n' : ''}Sample (${sample}): ${input}, ${DEMO_SAMPLES[sample].what}\nOutput: ${dir}\n\n`);
    const target = options.json ? collecting(io) : { io, text: () => '' };
    await evalCommand(
      [input],
      {
        report: join(dir, 'report'),
        work: join(dir, 'work'),
        overwrite: true,
        ...(options.model !== undefined ? { model: [options.model] } : {}),
        ...(options.threads !== undefined ? { threads: options.threads } : {}),
        ...(options.json ? { json: true } : {}),
        ...(options.progress === false ? { progress: false } : {}),
      },
      target.io,
    );
    if (options.json) json[sample] = JSON.parse(target.text()) as unknown;
  }
  // One sample: its summary as `promotion eval --json` prints it; both: { easy: ..., hard: ... }.
  if (options.json) io.stdout.write(`${JSON.stringify(samples.length === 1 ? json[samples[0]] : json, null, 2)}\n`);
}

/** Adds `promotion demo` to the program: its flags, their help and defaults, and the action. */
export function defineDemoCommand(program: Command, io: CliIo, run: RunTask): void {
  program
    .command('demo')
    .description('The main job on the embedded samples: the Table-5 evaluation of the shipped model on datasets/fpha-sample (easy: does deblurring harm?) and datasets/fpha-hard (hard: does it help?), real hands with skeleton ground truth; prints the summaries and writes the HTML reports.')
    .option('-o, --output <dir>', 'where to write the reports and the work folders (the hard sample under <dir>/hard)', 'runs/demo')
    .option('--sample <easy|hard|both>', 'which embedded sample', DEFAULT_DEMO_SAMPLES)
    .option('--model <name|path>', `deblurring model (default ${DEFAULT_DEBLUR_MODEL})`)
    .option('--threads <n>', 'ONNX Runtime threads')
    .option('--no-progress', 'no progress line')
    .option('--json', 'print the summary as JSON')
    .action((options: DemoCommandOptions) => run(() => demoCommand(options, io)));
}
