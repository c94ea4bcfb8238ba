/**
 * The `promotion` command line. `runCli` parses argv, runs one command and returns its exit code (see
 * exit-codes.ts); it never calls process.exit, so tests run it in-process.
 */
import { Command, CommanderError, Option } from 'commander';
import { PromotionError } from '../errors.js';
import { convertCommand, type ConvertCommandOptions } from './commands/convert.js';
import { deblurCommand, type DeblurCommandOptions } from './commands/deblur.js';
import { DEFAULT_CLAMP_RADIUS, DEFAULT_TILE_SIZE } from '../deblur/deblur.js';
import { demoCommand, type DemoCommandOptions } from './commands/demo.js';
import { evalCommand, type EvalCommandOptions } from './commands/eval.js';
import { poseCommand, type PoseCommandOptions } from './commands/pose.js';
import { scenesCommand, type ScenesCommandOptions } from './commands/scenes.js';
import { synthCommand, type SynthCommandOptions } from './commands/synth.js';
import { probeCommand, type ProbeCommandOptions } from './commands/probe.js';
import { EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, exitCodeFor } from './exit-codes.js';
import type { CliIo } from './io.js';
import { VERSION } from '../version.js';

const KINDS = ['auto', 'video', 'image-sequence', 'fpha', 'live'];

function buildProgram(io: CliIo, run: (task: () => Promise<void>) => void): Command {
  const program = new Command('promotion')
    .description('Hand-pose preprocessing of blurry video: blur synthesis, PROMOTION deblurring, hand landmarks, evaluation.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();

  program
    .command('probe')
    .description('Show what an input holds: a video file, an image folder, an FPHA sequence or root, or live input.')
    .argument('<input>', 'video file, image folder, FPHA sequence folder or root, camera device or stream URL')
    .addOption(new Option('--kind <kind>', 'read the input as this kind instead of detecting it').choices(KINDS).default('auto'))
    .option('--format <format>', 'ffmpeg input format for live input (e.g. v4l2, lavfi)')
    .option('--json', 'print JSON instead of a table')
    .action((input: string, options: ProbeCommandOptions) => run(() => probeCommand(input, options, io)));

  program
    .command('convert')
    .description('Convert any input to a video file (.mp4 .mov .mkv .avi .webm), an image folder, or per-frame JSON Lines (.jsonl).')
    .argument('<input>', 'video file, image folder, FPHA sequence folder, camera device or stream URL')
    .requiredOption('-o, --output <path>', 'output: a video file, a .jsonl file, or a folder of images')
    .addOption(new Option('--to <kind>', 'output kind (default: from the extension)').choices(['auto', 'video', 'images', 'jsonl']).default('auto'))
    .addOption(new Option('--kind <kind>', 'read the input as this kind instead of detecting it').choices(KINDS).default('auto'))
    .option('--format <format>', 'ffmpeg input format for live input (e.g. v4l2)')
    .option('--fps <n>', 'frame rate of image-sequence/FPHA input and of the output video')
    .option('--bit-depth <8|16>', 'read and write with this many bits per sample (default: as stored)')
    .option('--image-format <png|jpeg>', 'image folder output format (default png)')
    .option('--quality <1-100>', 'JPEG quality (default 95)')
    .option('--codec <name>', 'ffmpeg video encoder (default by extension: libx264, ffv1, libvpx-vp9)')
    .option('--crf <n>', 'constant rate factor of lossy video (default 18)')
    .option('--max-frames <n>', 'stop after this many frames')
    .option('--overwrite', 'replace an existing output (it is replaced only once the new one is complete)')
    .option('--lenient', 'keep the frames that decode from a damaged video instead of failing')
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print a JSON summary')
    .action((input: string, options: ConvertCommandOptions) => run(() => convertCommand(input, options, io)));

  program
    .command('synth')
    .description('Synthesize realistic blur (1920 fps interpolation, linear-light averaging) for videos, image folders and FPHA data: writes sharp/, blur/, motion/ and synthesis.json per sequence; resumes.')
    .argument('<inputs...>', 'videos, image folders, FPHA sequence folders or FPHA roots')
    .requiredOption('-o, --output <dir>', 'output dataset folder')
    .option('--virtual-fps <n>', 'virtual frame rate, a multiple of the input rate (default 1920)')
    .option('--exposure-frames <n>', 'virtual frames averaged per output frame (default: one interval, 64 at 30 fps; at most two intervals)')
    .option('--gamma <g>', 'gamma of the signal-space transform (default 2.2)')
    .option('--method <path|explicit>', 'path integration (default) or explicit virtual frames (slow reference)')
    .option('--motion-kind <magnitude|colour>', 'motion map definition (default magnitude)')
    .option('--subjects <list>', 'FPHA roots: comma-separated subjects (e.g. Subject_1,Subject_2)')
    .option('--actions <list>', 'FPHA roots: comma-separated actions')
    .option('--sequences <list>', 'FPHA roots: comma-separated sequence numbers')
    .option('--max-frames <n>', 'frames per sequence at most')
    .option('--workers <n>', 'sequences synthesized in parallel worker threads (default 1)')
    .option('--threads <n>', 'worker threads within each sequence (flows side by side, the integral in bands; default: the cores per worker)')
    .option('--flow-finest-level <n>', 'finest optical-flow pyramid level for the interpolation (default 1: half resolution; 0 = full, slower)')
    .option('--overwrite', 'redo sequences that are already complete')
    .option('--no-progress', 'no progress line')
    .option('--json', 'print a JSON summary')
    .action((inputs: string[], options: SynthCommandOptions) => run(() => synthCommand(inputs, options, io)));

  program
    .command('pose')
    .description('Find hand landmarks (MediaPipe, offline, CPU) in every frame: JSON Lines out, one line per frame, and optionally an overlay video.')
    .argument('<input>', 'video file, image folder, FPHA sequence folder, camera device or stream URL')
    .requiredOption('-o, --output <path>', 'per-frame results as JSON Lines (.jsonl)')
    .option('--overlay <video>', 'also write a video with the landmarks and skeleton drawn (.mp4 .mkv .webm ...)')
    .option('--mode <video|image>', 'video: frames of one stream, tracked (default); image: every frame on its own')
    .option('--model <full|lite>', 'full (default, more accurate) or lite (faster)')
    .option('--num-hands <n>', 'most hands per frame (default 1)')
    .addOption(new Option('--kind <kind>', 'read the input as this kind instead of detecting it').choices(KINDS).default('auto'))
    .option('--format <format>', 'ffmpeg input format for live input (e.g. v4l2)')
    .option('--fps <n>', 'frame rate of image-sequence/FPHA input and of the overlay video')
    .option('--max-frames <n>', 'stop after this many frames')
    .option('--overwrite', 'replace existing outputs (each is replaced only once the new one is complete)')
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print a JSON summary')
    .action((input: string, options: PoseCommandOptions) => run(() => poseCommand(input, options, io)));

  program
    .command('deblur')
    .description('Restore blurry video with a PROMOTION model (ONNX Runtime, CPU by default): any input convert reads, to a video file or an image folder; 16-bit stays 16-bit.')
    .argument('<input>', 'video file, image folder, FPHA sequence folder, camera device or stream URL')
    .requiredOption('-o, --output <path>', 'output: a video file (.mp4 .mov .mkv .avi .webm) or a folder of images')
    .option('--model <name|path>', 'a model in models/ by name, or a path to an .onnx file with its .json card beside it (default promotion-s)')
    .option('--device <cpu|cuda|auto>', 'where the network runs (default cpu); cuda falls back to the CPU with a warning when it cannot be used')
    .option('--threads <n>', 'ONNX Runtime threads (default: the cores, at most 2)')
    .option('--tile <px>', `largest tile side; larger frames are restored in overlapping tiles (default: the model card's tileSize, else ${DEFAULT_TILE_SIZE})`)
    .option('--overlap <px>', 'least overlap between tiles (default 32, or a quarter of a --tile below 128)')
    .option('--clamp-radius <px>', `clamp the output to the input's local range over this radius, against overshoot at edges; 0: off (default ${DEFAULT_CLAMP_RADIUS})`)
    .option('--roi <off|motion|hands>', 'restore only regions of interest: where the motion map is high, or around tracked hands (default off: whole frames)')
    .option('--motion-scope <frame|regions>', 'with --roi hands: compute the motion map over the regions only (faster, approximate; default frame)')
    .option('--bit-depth <8|16>', 'read and write with this many bits per sample (default: as stored)')
    .addOption(new Option('--kind <kind>', 'read the input as this kind instead of detecting it').choices(KINDS).default('auto'))
    .option('--format <format>', 'ffmpeg input format for live input (e.g. v4l2)')
    .option('--fps <n>', 'frame rate of image-sequence/FPHA input and of the output video')
    .option('--max-frames <n>', 'stop after this many frames')
    .option('--image-format <png|jpeg>', 'image folder output format (default png)')
    .option('--quality <1-100>', 'JPEG quality (default 95)')
    .option('--codec <name>', 'ffmpeg video encoder (default by extension: libx264, ffv1, libvpx-vp9)')
    .option('--crf <n>', 'constant rate factor of lossy video (default 18)')
    .option('--overwrite', 'replace an existing output (it is replaced only once the new one is complete)')
    .option('--no-progress', 'no progress bar')
    .option('--json', 'print a JSON summary')
    .action((input: string, options: DeblurCommandOptions) => run(() => deblurCommand(input, options, io)));

  program
    .command('scenes')
    .description('Render training sequences with exact blur from still photos: seeded random camera paths (pan, rotation, zoom, shake) and foreground discs for local blur. Same layout as synth.')
    .argument('<photos...>', 'photos or folders of photos')
    .requiredOption('-o, --output <dir>', 'output dataset folder')
    .option('--count <n>', 'number of scenes (default 8)')
    .option('--frames <n>', 'frames per scene (default 12)')
    .option('--size <WxH>', 'frame size (default 256x256)')
    .option('--seed <n>', 'random seed (default 1); scene i depends only on the seed and i')
    .option('--fps <n>', 'frame rate of the scenes (default 30)')
    .option('--virtual-fps <n>', 'virtual frame rate (default 1920)')
    .option('--exposure-frames <n>', 'virtual frames averaged per frame (default one interval)')
    .option('--gamma <g>', 'gamma (default 2.2)')
    .option('--foreground <p>', 'probability of a moving foreground disc (default 0.5)')
    .option('--max-speed <px>', 'fastest camera speed in px per frame (default 40; capped by the room the photo leaves)')
    .option('--min-speed <px>', 'slowest camera speed in px per frame (default 2)')
    .option('--photo-scale <n>', 'the photo is fitted inside n x the frame size; larger leaves room for faster camera paths (default 5)')
    .option('--detail <min[,max]>', "instead of --photo-scale: the photo's detail per frame pixel as a share of its native resolution, drawn per scene (1 = native)")
    .option('--foreground-speed <min[,max]>', 'speed of the foreground disc in px per frame (default 4,30)')
    .option('--motion-kind <magnitude|colour>', 'motion map definition (default magnitude)')
    .option('--json', 'print a JSON summary')
    .action((photos: string[], options: ScenesCommandOptions) => run(() => scenesCommand(photos, options, io)));

  program
    .command('eval')
    .description("The paper's Table-5 experiment: synthesize blur, deblur, estimate hand pose on the sharp, blurred and deblurred frames, and report PSNR/SSIM and the hand-pose gains (report.json + index.html). Resumes from its work folder.")
    .argument('<inputs...>', 'FPHA roots or sequence folders (skeleton ground truth), or image folders / videos (pseudo ground truth)')
    .requiredOption('--report <dir>', 'report folder (report.json, index.html, panels/)')
    .option('--work <dir>', 'work folder for the stages (default <report>.work); keep it to resume')
    .option('--model <name|path>', 'deblurring model (default promotion-s, the shipped CPU model)')
    .addOption(new Option('--device <device>', 'where the model runs').choices(['cpu', 'cuda', 'auto']))
    .option('--threads <n>', 'ONNX Runtime threads (default: the cores, at most 2)')
    .option('--tile <px>', `largest tile side for deblurring (default: the model card's tileSize, else ${DEFAULT_TILE_SIZE})`)
    .option('--clamp-radius <px>', `deblurring: clamp the output to the input's local range over this radius; 0: off (default ${DEFAULT_CLAMP_RADIUS})`)
    .addOption(new Option('--roi <mode>', 'restore only regions of interest').choices(['off', 'motion', 'hands']).default('off'))
    .option('--subjects <list>', 'FPHA roots: comma-separated subjects')
    .option('--actions <list>', 'FPHA roots: comma-separated actions')
    .option('--sequences <list>', 'FPHA roots: comma-separated sequence numbers')
    .option('--max-frames <n>', 'frames per sequence at most')
    .option('--exposure-frames <n>', 'virtual frames averaged per blurred frame (default one interval)')
    .addOption(new Option('--pose-mode <mode>', 'hand pose on each frame alone (image) or tracked (video)').choices(['image', 'video']).default('image'))
    .addOption(new Option('--hand-model <model>', 'MediaPipe hand model').choices(['full', 'lite']).default('full'))
    .addOption(new Option('--channel <channel>', 'PSNR/SSIM on RGB or on luma Y (BT.601)').choices(['rgb', 'y']).default('rgb'))
    .option('--crop-border <px>', 'pixels ignored at each border by PSNR/SSIM (default 0)')
    .option('--pck <list>', 'PCK thresholds as fractions of the hand box (default 0.05,0.1,0.2)')
    .option('--panels <n>', 'image panels per sequence in the HTML report (default 2)')
    .option('--overwrite', 'replace an existing report (once the new one is complete)')
    .option('--no-progress', 'no progress line')
    .option('--json', 'print the summary as JSON')
    .action((inputs: string[], options: EvalCommandOptions) => run(async () => void (await evalCommand(inputs, options, io))));

  program
    .command('demo')
    .description("The main job on the embedded sample: the Table-5 evaluation of the shipped model on datasets/fpha-sample (real hands, skeleton ground truth); prints the summary and writes the HTML report.")
    .option('-o, --output <dir>', 'where to write the report and the work folder', 'runs/demo')
    .option('--model <name|path>', 'deblurring model (default promotion-s)')
    .option('--threads <n>', 'ONNX Runtime threads')
    .option('--no-progress', 'no progress line')
    .option('--json', 'print the summary as JSON')
    .action((options: DemoCommandOptions) => run(() => demoCommand(options, io)));

  return program;
}

/** Runs the CLI with `argv` (without node and script) and resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let task: (() => Promise<void>) | undefined;
  const program = buildProgram(io, (t) => (task = t));
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT_OK;
      if (error.code === 'commander.executeSubCommandAsync') return EXIT_INTERNAL;
      return EXIT_USAGE;
    }
    throw error;
  }
  if (!task) {
    io.stderr.write(program.helpInformation());
    return EXIT_USAGE;
  }
  try {
    await task();
    return EXIT_OK;
  } catch (error) {
    const code = exitCodeFor(error);
    if (error instanceof PromotionError) io.stderr.write(`promotion: ${error.message}\n`);
    else io.stderr.write(`promotion: unexpected error (please report it): ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return code;
  }
}
