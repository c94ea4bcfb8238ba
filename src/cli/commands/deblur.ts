/** `promotion deblur <input> -o <output>`: restore any source with a deblurring model into a video or image folder. */
import { count, lastValueFrom, pipe } from 'rxjs';
import { clampMotionFor, clampRadiusFor, deadbandFlatFor, deadbandFor, deblur, deconvolveFor, DEFAULT_CLAMP_RADIUS, DEFAULT_TILE_OVERLAP, DEFAULT_TILE_SIZE, defaultTileOverlap, type DeblurFrameInfo, MIN_DEBLUR_FRAME_SIZE } from '../../deblur/deblur.js';
import { DEFAULT_DEBLUR_MODEL } from '../../deblur/model-card.js';
import { MAX_DECONVOLVE_ITERATIONS } from '../../deblur/deconvolve.js';
import { DEFAULT_DEBLUR_DEVICE, loadDeblurModel } from '../../deblur/onnx-session.js';
import type { DeblurRoi } from '../../deblur/roi.js';
import { FrameMismatchError, InvalidOptionError } from '../../errors.js';
import { expectInteger, expectNumber, expectOneOf, withFlagNames } from '../../options.js';
import { checkOutputNotInput, checkOutputPath } from '../../stream/atomic.js';
import type { Frame } from '../../stream/frame.js';
import { openSink, outputKind } from '../../stream/open-sink.js';
import { pipeSource } from '../../stream/pipe-source.js';
import { progress } from '../../stream/progress.js';
import { addFrameOutputFlags, addInputFlags, checkSinkFlags, type InputFlags, openInput, parseInputFlags, SINK_FLAGS, type SinkFlags, sinkOptions } from '../frame-io.js';
import { commandInput, type CliIo, type RunTask } from '../io.js';
import { progressBar } from '../progress-bar.js';
import { num } from '../args.js';
import { addModelFlags, MODEL_FLAG_NAMES, type ModelFlags, plainOptionsFromFlags } from '../model-flags.js';
import type { Command } from 'commander';

/** Options the deblur command accepts (CLI strings as commander passes them). */
export interface DeblurCommandOptions extends Omit<InputFlags, 'lenient'>, SinkFlags, ModelFlags {
  model?: string;
  device?: string;
  threads?: string;
  tile?: string;
  overlap?: string;
  clampRadius?: string;
  deadband?: string;
  deadbandFlat?: string;
  deconvolve?: string;
  roi?: string;
  gate?: boolean;
  motionScope?: string;
  overwrite?: boolean;
  progress?: boolean;
  json?: boolean;
}


export async function deblurCommand(input: string, options: DeblurCommandOptions, io: CliIo): Promise<void> {
  return withFlagNames({ ...SINK_FLAGS, ...MODEL_FLAG_NAMES, tileSize: '--tile', overlap: '--overlap', clampRadius: '--clamp-radius', deadband: '--deadband', deadbandFlat: '--deadband-flat', deconvolve: '--deconvolve', threads: '--threads', device: '--device' }, () => deblurRun(input, options, io));
}

async function deblurRun(input: string, options: DeblurCommandOptions, io: CliIo): Promise<void> {
  const kind = outputKind(options.output);
  if (kind === 'jsonl') throw new InvalidOptionError(`deblur writes frames: name a video file (.mp4 .mkv ...) or an image folder for --output, not ${options.output}.`);
  const device = expectOneOf('--device', options.device ?? DEFAULT_DEBLUR_DEVICE, ['cpu', 'cuda', 'auto'] as const);
  const threads = options.threads === undefined ? undefined : expectInteger('--threads', num(options.threads), 1, 256);
  // The default tile is the model's (its card's tileSize, else DEFAULT_TILE_SIZE): known once the model is loaded.
  const givenTile = options.tile === undefined ? undefined : expectInteger('--tile', num(options.tile), 64, 16384);
  // The default overlap follows the tile (a quarter of a tile smaller than 128); one given must fit it.
  const givenOverlap = options.overlap === undefined ? undefined : expectInteger('--overlap', num(options.overlap), 0, Math.floor((givenTile ?? DEFAULT_TILE_SIZE) / 4));
  // The default clamp is the model's (its card's clampRadius, else DEFAULT_CLAMP_RADIUS): known once the model is loaded.
  const givenClamp = options.clampRadius === undefined ? undefined : expectInteger('--clamp-radius', num(options.clampRadius), 0, 64);
  const givenDeadband = options.deadband === undefined ? undefined : expectNumber('--deadband', num(options.deadband), 0, 16);
  const givenDeadbandFlat = options.deadbandFlat === undefined ? undefined : expectNumber('--deadband-flat', num(options.deadbandFlat), 0, 255);
  const givenDeconvolve = options.deconvolve === undefined ? undefined : expectInteger('--deconvolve', num(options.deconvolve), 0, MAX_DECONVOLVE_ITERATIONS);
  const roiMode = expectOneOf('--roi', options.roi ?? 'off', ['off', 'motion', 'hands'] as const);
  const motionScope = expectOneOf('--motion-scope', options.motionScope ?? 'frame', ['frame', 'regions'] as const);
  if (motionScope === 'regions' && roiMode !== 'hands') throw new InvalidOptionError(`--motion-scope regions needs --roi hands (the whole frame's motion map is needed with --roi ${roiMode}).`);
  const parsed = parseInputFlags(options);
  const { maxFrames, fps: fpsOverride, bitDepth } = parsed;
  const overwrite = options.overwrite ?? false;
  checkSinkFlags(kind, options, bitDepth);
  // A taken output, or one that is or holds the input, fails now, before the model is loaded or the input decoded.
  checkOutputNotInput(options.output, [input]);
  checkOutputPath(options.output, overwrite, kind === 'images' ? 'folder' : 'file');

  const warnings: string[] = [];
  const plain = plainOptionsFromFlags(options);
  const model = await loadDeblurModel({
    model: options.model ?? DEFAULT_DEBLUR_MODEL,
    device,
    ...(plain !== undefined ? { plain } : {}),
    ...(threads !== undefined ? { threads } : {}),
    ...(givenDeconvolve !== undefined ? { deconvolve: givenDeconvolve } : {}),
    onWarning: (message) => {
      warnings.push(message);
      io.stderr.write(`promotion: warning: ${message}\n`);
    },
  });
  try {
    const tileSize = givenTile ?? model.contract.tileSize ?? DEFAULT_TILE_SIZE;
    const overlap = givenOverlap === undefined ? defaultTileOverlap(tileSize) : Math.min(givenOverlap, Math.floor(tileSize / 4));
    // As deblur() resolves them (reported below): a radius given holds everywhere; else the card's, following the
    // motion where its card asks (clampMotion). Passing the resolved radius on would turn the card's clampMotion off.
    const clampRadius = clampRadiusFor(model, givenClamp);
    const clampMotion = clampMotionFor(model, givenClamp);
    const deadband = deadbandFor(model, givenDeadband);
    const deadbandFlat = deadbandFlatFor(model, givenDeadbandFlat);
    const deconvolve = deconvolveFor(model, givenDeconvolve);
    const source = await openInput(input, options, parsed, io);
    const info = source.info;
    if (info.width < MIN_DEBLUR_FRAME_SIZE || info.height < MIN_DEBLUR_FRAME_SIZE) {
      throw new FrameMismatchError(`${input} holds ${info.width}x${info.height} frames, smaller than the ${MIN_DEBLUR_FRAME_SIZE}x${MIN_DEBLUR_FRAME_SIZE} deblurring needs; scale it up first (e.g. ffmpeg -vf scale).`);
    }
    const live = info.kind === 'live';
    const roi: DeblurRoi | undefined = roiMode === 'off' ? undefined : roiMode === 'motion' ? { kind: 'motion' } : { kind: 'hands' };
    const sink = openSink(options.output, sinkOptions(kind, options, overwrite, fpsOverride ?? info.fps, bitDepth));

    let restoreMs = 0;
    let regions = 0;
    let passedThrough = 0;
    const started = performance.now();
    const written = await lastValueFrom(
      pipeSource(
        source,
        pipe(
          commandInput<Frame>(io, live, maxFrames),
          deblur<Frame>({
            model,
            tileSize,
            overlap,
            ...(givenClamp !== undefined ? { clampRadius: givenClamp } : {}),
            ...(givenDeadband !== undefined ? { deadband: givenDeadband } : {}),
            ...(givenDeadbandFlat !== undefined ? { deadbandFlat: givenDeadbandFlat } : {}),
            ...(givenDeconvolve !== undefined ? { deconvolve: givenDeconvolve } : {}),
            ...(roi ? { roi, motionScope } : {}),
            ...(options.gate ? { gate: true } : {}),
            // Live sources drop frames: a window does not reach across a gap (the model assumes adjacent frames).
            gapPolicy: live ? 'split' : 'bridge',
            onFrameInfo: (frameInfo: DeblurFrameInfo) => {
              restoreMs += frameInfo.restoreMs;
              regions += frameInfo.regions.length;
              if (frameInfo.gated) passedThrough++;
            },
          }),
          progress<Frame>({ ...(info.frameCount !== undefined ? { total: info.frameCount } : {}), onProgress: progressBar('deblur', io.stderr as NodeJS.WriteStream, options.progress !== false && !options.json) }),
          sink,
        ),
      ).pipe(count()),
    );
    const elapsedMs = performance.now() - started;
    const summary = {
      input,
      output: options.output,
      outputKind: kind,
      model: model.name,
      modelFile: model.files?.onnxPath ?? null,
      modelKind: model.identity.kind,
      device,
      executionProvider: model.executionProvider,
      threads: model.threads,
      stepThreads: model.stepThreads,
      frames: written,
      width: info.width,
      height: info.height,
      sampleType: info.sampleType,
      roi: roiMode,
      ...(roiMode !== 'off' ? { motionScope, regionsRestored: regions } : {}),
      ...(options.gate ? { gate: true, framesPassedThrough: passedThrough } : {}),
      tileSize,
      overlap,
      clampRadius,
      ...(clampMotion && motionScope === 'frame' ? { clampMotion } : {}),
      deadband,
      ...(deadband > 0 && deadbandFlat !== undefined ? { deadbandFlat } : {}),
      deconvolve,
      restoreMsPerFrame: written > 0 ? Number((restoreMs / written).toFixed(1)) : 0,
      elapsedMs: Math.round(elapsedMs),
      framesPerSecond: Number(((written * 1000) / elapsedMs).toFixed(3)),
      warnings,
    };
    io.stdout.write(
      options.json
        ? `${JSON.stringify(summary, null, 2)}\n`
        : `Restored ${written} frames (${info.width}x${info.height}, ${info.sampleType}) with ${model.name} on ${model.executionProvider} (${model.threads} thread${model.threads === 1 ? '' : 's'}${model.stepThreads > 0 ? ` and ${model.stepThreads} for the steps` : ''}` +
            `${roiMode !== 'off' ? `, ROI ${roiMode}: ${regions} regions` : ''}) to ${options.output} in ${(elapsedMs / 1000).toFixed(2)} s (${summary.framesPerSecond} fps).\n`,
    );
  } finally {
    await model.close();
  }
}

/** Adds `promotion deblur` to the program: its flags, their help and defaults, and the action. */
export function defineDeblurCommand(program: Command, io: CliIo, run: RunTask): void {
  const cmd = program
    .command('deblur')
    .description('Restore blurry video with a PROMOTION model (ONNX Runtime, CPU by default): any input convert reads, to a video file or an image folder; 16-bit stays 16-bit.')
    .argument('<input>', 'video file, image folder, FPHA sequence folder, camera device or stream URL')
    .requiredOption('-o, --output <path>', 'output: a video file (.mp4 .mov .mkv .avi .webm) or a folder of images')
    .option('--model <name|path>', `a model in models/ by name, or a path to an .onnx file with its .json card beside it, or a plain ONNX model (no card, or a minimal one; see --model-*), or reference:unsharp / reference:wiener (default ${DEFAULT_DEBLUR_MODEL})`)
    .option('--device <cpu|cuda|auto>', `where the network runs (default ${DEFAULT_DEBLUR_DEVICE}); cuda falls back to the CPU with a warning when it cannot be used`)
    .option('--threads <n>', 'ONNX Runtime threads (default: the cores, at most 2); with deconvolution steps, half as many more run them')
    .option('--tile <px>', `largest tile side; larger frames are restored in overlapping tiles (default: the model card's tileSize, else ${DEFAULT_TILE_SIZE})`)
    .option('--overlap <px>', `least overlap between tiles (default ${DEFAULT_TILE_OVERLAP}, or a quarter of a --tile below ${4 * DEFAULT_TILE_OVERLAP})`)
    .option('--clamp-radius <px>', `clamp the output to the input's local range over this radius everywhere, against overshoot at edges; 0: off; unset, a card's clampMotion makes it grow with the motion (default: the model card's clampRadius, else ${DEFAULT_CLAMP_RADIUS})`)
    .option('--deadband <levels>', "drop output changes smaller than this many 8-bit grey levels, and shrink larger ones by as much (the faint patterns a network draws on smooth, unblurred input); 0: off (default: the model card's deadband, else 0)")
    .option('--deadband-flat <levels>', "apply the deadband only where the input spans at most this many grey levels within the clamp's radius (default: the model card's deadbandFlat, else everywhere)")
    .option('--deconvolve <steps>', "Richardson-Lucy steps along the optical flow after the network, 0-50: the restored frame is pulled towards agreeing with the blurred input under the blur model (much more restored, several times slower; default: the model card's deconvolve, else 0)")
    .option('--gate', 'blur gate: frames where nothing moves, frames sharper than their window and still regions pass through untouched, with no network call (default off)')
    .option('--roi <off|motion|hands>', 'restore only regions of interest: where the motion map is high, or around tracked hands (default off: whole frames)')
    .option('--motion-scope <frame|regions>', 'with --roi hands: compute the motion map over the regions only (faster, approximate; default frame)');
  addModelFlags(cmd);
  addInputFlags(cmd, 'of the output video');
  addFrameOutputFlags(cmd)
    .option('--overwrite', 'replace an existing output (it is replaced only once the new one is complete)')
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print a JSON summary')
    .action((input: string, options: DeblurCommandOptions) => run(() => deblurCommand(input, options, io)));
}
