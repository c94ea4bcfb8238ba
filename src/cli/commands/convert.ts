/** `promotion convert <input> -o <output>`: any source to any sink. */
import { count, lastValueFrom, pipe } from 'rxjs';
import { expectOneOf, withFlagNames } from '../../options.js';
import { checkOutputNotInput, checkOutputPath } from '../../stream/atomic.js';
import type { Frame } from '../../stream/frame.js';
import { openSink, outputKind } from '../../stream/open-sink.js';
import { pipeSource } from '../../stream/pipe-source.js';
import { progress } from '../../stream/progress.js';
import { addFrameOutputFlags, addInputFlags, checkSinkFlags, type InputFlags, openInput, parseInputFlags, SINK_FLAGS, type SinkFlags, sinkOptions } from '../frame-io.js';
import { commandInput, type CliIo, type RunTask } from '../io.js';
import { progressBar } from '../progress-bar.js';
import { type Command, Option } from 'commander';

/** Options the convert command accepts (CLI strings already split by commander). */
export interface ConvertCommandOptions extends InputFlags, SinkFlags {
  to?: string;
  overwrite?: boolean;
  json?: boolean;
  progress?: boolean;
}


export async function convertCommand(input: string, options: ConvertCommandOptions, io: CliIo): Promise<void> {
  return withFlagNames(SINK_FLAGS, () => convert(input, options, io));
}

async function convert(input: string, options: ConvertCommandOptions, io: CliIo): Promise<void> {
  const to = expectOneOf('--to', options.to ?? 'auto', ['auto', 'video', 'images', 'jsonl'] as const);
  const kind = to === 'auto' ? outputKind(options.output) : to;
  const parsed = parseInputFlags(options);
  const { maxFrames, fps: fpsOverride, bitDepth } = parsed;
  const overwrite = options.overwrite ?? false;
  checkSinkFlags(kind, options, bitDepth);
  // A taken output, or one that is or holds the input, fails now, before the input is probed or decoded.
  checkOutputNotInput(options.output, [input]);
  checkOutputPath(options.output, overwrite, kind === 'images' ? 'folder' : 'file');
  const source = await openInput(input, options, parsed, io);
  const info = source.info;
  const sink = openSink(options.output, sinkOptions(kind, options, overwrite, fpsOverride ?? info.fps, bitDepth));

  const total = info.frameCount;
  const started = performance.now();
  const live = info.kind === 'live';
  // Ctrl-C: a file conversion is abandoned (partial output removed first); a live recording is finished and kept.
  const written = await lastValueFrom(
    pipeSource(
      source,
      pipe(
        commandInput<Frame>(io, live, maxFrames),
        progress<Frame>({ ...(total !== undefined ? { total } : {}), onProgress: progressBar('convert', io.stderr as NodeJS.WriteStream, options.progress !== false && !options.json) }),
        sink,
      ),
    ).pipe(count()),
  );
  const elapsedMs = performance.now() - started;
  const summary = { input, output: options.output, outputKind: kind, frames: written, width: info.width, height: info.height, elapsedMs: Math.round(elapsedMs), framesPerSecond: Number(((written * 1000) / elapsedMs).toFixed(2)) };
  io.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : `Wrote ${written} frames (${info.width}x${info.height}) to ${options.output} in ${(elapsedMs / 1000).toFixed(2)} s (${summary.framesPerSecond} fps).\n`);
}

/** Adds `promotion convert` to the program: its flags, their help and defaults, and the action. */
export function defineConvertCommand(program: Command, io: CliIo, run: RunTask): void {
  const cmd = program
    .command('convert')
    .description('Convert any input to a video file (.mp4 .mov .mkv .avi .webm), an image folder, or per-frame JSON Lines (.jsonl).')
    .argument('<input>', 'video file, image folder, FPHA sequence folder, camera device or stream URL')
    .requiredOption('-o, --output <path>', 'output: a video file, a .jsonl file, or a folder of images')
    .addOption(new Option('--to <kind>', 'output kind (default: from the extension)').choices(['auto', 'video', 'images', 'jsonl']).default('auto'));
  addInputFlags(cmd, 'of the output video');
  addFrameOutputFlags(cmd)
    .option('--overwrite', 'replace an existing output (it is replaced only once the new one is complete)')
    .option('--lenient', 'keep the frames that decode from a damaged video instead of failing')
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print a JSON summary')
    .action((input: string, options: ConvertCommandOptions) => run(() => convertCommand(input, options, io)));
}
