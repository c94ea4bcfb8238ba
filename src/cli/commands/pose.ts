/** `promotion pose <input> -o <out.jsonl>`: hand landmarks for every frame, optionally drawn into a video. */
import { extname, resolve } from 'node:path';
import { concatMap, count, lastValueFrom, map, pipe, type OperatorFunction } from 'rxjs';
import { InvalidOptionError } from '../../errors.js';
import { expectInteger, expectOneOf } from '../../options.js';
import type { HandsResult } from '../../handpose/estimator.js';
import { HAND_MODEL_VARIANTS } from '../../handpose/mediapipe/model-asset.js';
import { DEFAULT_HAND_MODEL, DEFAULT_HAND_POSE_MODE, DEFAULT_NUM_HANDS, MAX_NUM_HANDS } from '../../handpose/landmarker-options.js';
import { createHandLandmarker } from '../../handpose/mediapipe-hand-landmarker.js';
import { drawHands } from '../../handpose/overlay.js';
import { checkOutputNotInput, checkOutputPath } from '../../stream/atomic.js';
import type { Frame } from '../../stream/frame.js';
import { writeJsonLines } from '../../stream/jsonl-sink.js';
import { pipeSource } from '../../stream/pipe-source.js';
import { progress } from '../../stream/progress.js';
import { VIDEO_EXTENSIONS, writeVideo } from '../../stream/video-sink.js';
import { addInputFlags, type InputFlags, openInput, parseInputFlags } from '../frame-io.js';
import { commandInput, type CliIo, type RunTask } from '../io.js';
import { progressBar } from '../progress-bar.js';
import { num } from '../args.js';
import type { Command } from 'commander';

/** Options the pose command accepts (CLI strings as commander passes them). */
export interface PoseCommandOptions extends Omit<InputFlags, 'bitDepth' | 'lenient'> {
  output: string;
  overlay?: string;
  mode?: string;
  model?: string;
  numHands?: string;
  overwrite?: boolean;
  progress?: boolean;
  json?: boolean;
}


interface Tally {
  frames: number;
  framesWithHands: number;
  hands: number;
  estimateMs: number;
}

export async function poseCommand(input: string, options: PoseCommandOptions, io: CliIo): Promise<void> {
  const mode = expectOneOf('--mode', options.mode ?? DEFAULT_HAND_POSE_MODE, ['video', 'image'] as const);
  const model = expectOneOf('--model', options.model ?? DEFAULT_HAND_MODEL, HAND_MODEL_VARIANTS);
  const numHands = expectInteger('--num-hands', options.numHands === undefined ? DEFAULT_NUM_HANDS : num(options.numHands), 1, MAX_NUM_HANDS);
  const parsed = parseInputFlags(options);
  const { maxFrames, fps: fpsOverride } = parsed;
  const overwrite = options.overwrite ?? false;
  // What the outputs are named, before any work: JSON Lines to -o, a video to --overlay, never the same file.
  if (extname(options.output).toLowerCase() !== '.jsonl') {
    throw new InvalidOptionError(`pose writes its per-frame results as JSON Lines: name a .jsonl file for --output, not ${options.output}.`);
  }
  if (options.overlay !== undefined) {
    if (resolve(options.overlay) === resolve(options.output)) throw new InvalidOptionError(`--output and --overlay are both ${options.output}; give each its own file.`);
    if (!(extname(options.overlay).toLowerCase() in VIDEO_EXTENSIONS)) {
      throw new InvalidOptionError(`--overlay ${options.overlay} is not a video file name; use one of ${Object.keys(VIDEO_EXTENSIONS).join(', ')}.`);
    }
  }
  // Taken outputs, or ones that are or hold the input, fail now, before the input is probed or the model loaded.
  for (const output of [options.output, ...(options.overlay !== undefined ? [options.overlay] : [])]) {
    checkOutputNotInput(output, [input]);
    checkOutputPath(output, overwrite, 'file');
  }

  const source = await openInput(input, options, parsed, io, 'uint8');
  const info = source.info;
  const live = info.kind === 'live';
  const jsonl = writeJsonLines<{ frame: Frame; result: HandsResult }>(options.output, { overwrite, toJson: (p) => p.result });
  const overlay: OperatorFunction<{ frame: Frame; result: HandsResult }, unknown> =
    options.overlay === undefined
      ? map((p) => p)
      : pipe(
          map((p) => drawHands(p.frame, p.result.hands)),
          writeVideo(options.overlay, { fps: fpsOverride ?? info.fps, overwrite }),
        );

  const started = performance.now();
  const estimator = await createHandLandmarker({ mode, model, numHands });
  let tally: Tally;
  try {
    const add = (t: Tally, r: HandsResult, ms: number): Tally => ({
      frames: t.frames + 1,
      framesWithHands: t.framesWithHands + (r.hands.length > 0 ? 1 : 0),
      hands: t.hands + r.hands.length,
      estimateMs: t.estimateMs + ms,
    });
    let current: Tally = { frames: 0, framesWithHands: 0, hands: 0, estimateMs: 0 };
    await lastValueFrom(
      pipeSource(
        source,
        pipe(
          // Ctrl-C: a file run is abandoned (partial outputs removed); a live run is finished and kept.
          commandInput<Frame>(io, live, maxFrames),
          progress<Frame>({
            ...(info.frameCount !== undefined ? { total: info.frameCount } : {}),
            onProgress: progressBar('pose', io.stderr as NodeJS.WriteStream, options.progress !== false && !options.json),
          }),
          concatMap(async (frame) => {
            const t0 = performance.now();
            const result = await estimator.estimate(frame);
            current = add(current, result, performance.now() - t0);
            return { frame, result };
          }),
          jsonl,
          overlay,
        ),
      ).pipe(count()),
    );
    tally = current;
  } finally {
    await estimator.close();
  }

  const elapsedMs = performance.now() - started;
  const msPerFrame = tally.frames > 0 ? tally.estimateMs / tally.frames : 0;
  const summary = {
    input,
    output: options.output,
    overlay: options.overlay ?? null,
    estimator: estimator.name,
    mode,
    model,
    numHands,
    frames: tally.frames,
    framesWithHands: tally.framesWithHands,
    hands: tally.hands,
    width: info.width,
    height: info.height,
    estimateMsPerFrame: Number(msPerFrame.toFixed(2)),
    elapsedMs: Math.round(elapsedMs),
  };
  io.stdout.write(
    options.json
      ? `${JSON.stringify(summary, null, 2)}\n`
      : `Found hands in ${tally.framesWithHands} of ${tally.frames} frames (${tally.hands} hands; ${mode} mode, ${model} model, ${msPerFrame.toFixed(1)} ms per frame). ` +
          `Wrote ${options.output}${options.overlay ? ` and ${options.overlay}` : ''} in ${(elapsedMs / 1000).toFixed(2)} s.\n`,
  );
}

/** Adds `promotion pose` to the program: its flags, their help and defaults, and the action. */
export function definePoseCommand(program: Command, io: CliIo, run: RunTask): void {
  const cmd = program
    .command('pose')
    .description('Find hand landmarks (MediaPipe, offline, CPU) in every frame: JSON Lines out, one line per frame, and optionally an overlay video.')
    .argument('<input>', 'video file, image folder, FPHA sequence folder, camera device or stream URL')
    .requiredOption('-o, --output <path>', 'per-frame results as JSON Lines (.jsonl)')
    .option('--overlay <video>', 'also write a video with the landmarks and skeleton drawn (.mp4 .mkv .webm ...)')
    .option('--mode <video|image>', `video: frames of one stream, tracked; image: every frame on its own (default ${DEFAULT_HAND_POSE_MODE})`)
    .option('--model <full|lite>', `full (more accurate) or lite (faster) (default ${DEFAULT_HAND_MODEL})`)
    .option('--num-hands <n>', `most hands per frame (default ${DEFAULT_NUM_HANDS})`);
  addInputFlags(cmd, 'of the overlay video')
    .option('--overwrite', 'replace existing outputs (each is replaced only once the new one is complete)')
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print a JSON summary')
    .action((input: string, options: PoseCommandOptions) => run(() => poseCommand(input, options, io)));
}
