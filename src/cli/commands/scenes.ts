/**
 * `promotion scenes <photos...> -o <dir>`: training sequences with exact blur, rendered from still photos under
 * seeded random camera trajectories (and foreground discs for local blur). Same layout as `synth`.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { isSynthesized, writeSequence } from '../../blur-synthesis/dataset-writer.js';
import { DEFAULT_TRAJECTORY_RANGES } from '../../blur-synthesis/exact.js';
import { DEFAULT_SYNTHESIS_GAMMA } from '../../blur-synthesis/exposure-context.js';
import { DEFAULT_FOREGROUND_SPEED_PX, exactPairs, loadScene, SCENE_PHOTO_SCALE, sampleSceneSpec } from '../../blur-synthesis/scenes.js';
import { DEFAULT_VIRTUAL_FPS, synthesisParameters } from '../../blur-synthesis/synthesize.js';
import { DEFAULT_MOTION_MAP_KIND } from '../../flow/motion-map.js';
import { InputNotFoundError } from '../../errors.js';
import { expectInteger, expectNumber, expectOneOf, invalidOption } from '../../options.js';
import { IMAGE_EXTENSIONS } from '../../stream/image-sequence-source.js';
import { readImageMeta } from '../../stream/image-codec.js';
import { createRng } from '../../util/rng.js';
import { AbortedError, untilAborted } from '../../stream/abort.js';
import type { CliIo, RunTask } from '../io.js';
import { list, num } from '../args.js';
import type { Command } from 'commander';

/** A `min[,max]` range option: one number gives a range of one value. */
function range(flag: string, value: string, min: number, max: number): [number, number] {
  const parts = list(value) ?? [];
  if (parts.length < 1 || parts.length > 2) invalidOption(flag, 'min[,max]', value);
  const lo = expectNumber(flag, num(parts[0]), min, max);
  const hi = expectNumber(flag, num(parts[1] ?? parts[0]), lo, max);
  return [lo, hi];
}

export interface ScenesCommandOptions {
  output: string;
  count?: string;
  frames?: string;
  size?: string;
  seed?: string;
  fps?: string;
  virtualFps?: string;
  exposureFrames?: string;
  gamma?: string;
  foreground?: string;
  maxSpeed?: string;
  minSpeed?: string;
  photoScale?: string;
  detail?: string;
  foregroundSpeed?: string;
  motionKind?: string;
  json?: boolean;
}


function collectPhotos(inputs: readonly string[]): string[] {
  const out: string[] = [];
  for (const input of inputs) {
    let st;
    try {
      st = statSync(input);
    } catch (cause) {
      throw new InputNotFoundError(input, `Photo or folder ${input} does not exist.`, { cause });
    }
    if (st.isDirectory()) {
      for (const f of readdirSync(input).sort()) if (IMAGE_EXTENSIONS.includes(extname(f).toLowerCase())) out.push(join(input, f));
    } else out.push(input);
  }
  if (out.length === 0) throw new InputNotFoundError(inputs.join(', '), `No photos (${IMAGE_EXTENSIONS.join(', ')}) in ${inputs.join(', ')}.`);
  return out;
}

/** `--count`, `--frames`, `--size`, `--seed`, `--fps` and `--foreground` when not given. */
export const SCENES_DEFAULTS = { count: 8, frames: 12, size: '256x256', seed: 1, fps: 30, foreground: 0.5 } as const;
const [DEFAULT_MIN_SPEED_PX, DEFAULT_MAX_SPEED_PX] = DEFAULT_TRAJECTORY_RANGES.speedPx;

export async function scenesCommand(inputs: string[], options: ScenesCommandOptions, io: CliIo): Promise<void> {
  const count = expectInteger('--count', num(options.count ?? String(SCENES_DEFAULTS.count)), 1, 100_000);
  const frames = expectInteger('--frames', num(options.frames ?? String(SCENES_DEFAULTS.frames)), 2, 10_000);
  const [w, h] = (options.size ?? SCENES_DEFAULTS.size).split('x').map(Number);
  if (!Number.isInteger(w) || !Number.isInteger(h) || w! < 16 || h! < 16) invalidOption('--size', 'WIDTHxHEIGHT, each at least 16', options.size);
  const seed = expectInteger('--seed', num(options.seed ?? String(SCENES_DEFAULTS.seed)), 0, 2 ** 31 - 1);
  const fps = expectNumber('--fps', num(options.fps ?? String(SCENES_DEFAULTS.fps)), 0, 1000, true);
  const params = synthesisParameters({
    inputFps: fps,
    ...(options.virtualFps !== undefined ? { virtualFps: num(options.virtualFps) as number } : {}),
    ...(options.exposureFrames !== undefined ? { exposureFrames: num(options.exposureFrames) as number } : {}),
    ...(options.gamma !== undefined ? { gamma: num(options.gamma) as number } : {}),
  });
  const foregroundChance = expectNumber('--foreground', num(options.foreground ?? String(SCENES_DEFAULTS.foreground)), 0, 1);
  const maxSpeedPx = expectNumber('--max-speed', num(options.maxSpeed ?? String(DEFAULT_MAX_SPEED_PX)), 0, 1000, true);
  const minSpeedPx = expectNumber('--min-speed', num(options.minSpeed ?? String(Math.min(DEFAULT_MIN_SPEED_PX, maxSpeedPx))), 0, maxSpeedPx);
  const photoScale = options.photoScale === undefined ? undefined : expectNumber('--photo-scale', num(options.photoScale), 1, 20);
  if (photoScale !== undefined && options.detail !== undefined) invalidOption('--detail', 'no --photo-scale beside it (both set the photo scale)', options.detail);
  const detail = options.detail === undefined ? undefined : range('--detail', options.detail, 0.05, 1);
  const foregroundSpeedPx = options.foregroundSpeed === undefined ? undefined : range('--foreground-speed', options.foregroundSpeed, 0, 1000);
  const motionKind = expectOneOf('--motion-kind', options.motionKind ?? DEFAULT_MOTION_MAP_KIND, ['magnitude', 'colour'] as const);
  const photoPaths = collectPhotos(inputs);
  const photos = await Promise.all(photoPaths.map(async (path) => ({ path, ...(await readImageMeta(path)) })));

  const started = performance.now();
  const results: Array<{ id: string; status: 'done' | 'skipped'; frames: number }> = [];
  // Scenes whose camera moves slower than --min-speed asks: their photo leaves the view too little room (scenes.ts caps
  // the speed so the path stays inside the photo). Said, not silently delivered.
  const belowMinSpeed: Array<{ id: string; photo: string; speedPx: number }> = [];
  for (let i = 0; i < count; i++) {
    if (io.signal.aborted) throw new AbortedError();
    const id = `scene_${String(i).padStart(5, '0')}`;
    const outDir = join(options.output, id);
    if (isSynthesized(outDir)) {
      results.push({ id, status: 'skipped', frames: 0 });
      continue;
    }
    // Each scene has its own generator, so scene i is the same whether or not the others are rendered.
    const sceneSeed = (Math.imul(seed, 1000003) + i) >>> 0;
    const spec = sampleSceneSpec(createRng(sceneSeed), photos, { width: w!, height: h!, frames, foregroundChance, maxSpeedPx, minSpeedPx, ...(photoScale !== undefined ? { photoScale } : {}), ...(detail ? { detail } : {}), ...(foregroundSpeedPx ? { foregroundSpeedPx } : {}) });
    const speedPx = Math.hypot(spec.camera.velocity.x, spec.camera.velocity.y);
    if (speedPx < minSpeedPx - 1e-6) belowMinSpeed.push({ id, photo: basename(spec.photo), speedPx: Math.round(speedPx * 100) / 100 });
    const scene = await loadScene(spec, params.gamma);
    const written = await writeSequence(
      outDir,
      { prefix: 'frame_', digits: 6 },
      motionKind,
      (stages) => exactPairs(scene, spec, { fps, ratio: params.ratio, exposureFrames: params.exposureFrames, gamma: params.gamma }).pipe(untilAborted(io.signal, 'error'), stages),
      () => ({
        mode: 'exact',
        sequence: id,
        seed,
        sceneSeed,
        scene: spec,
        width: w,
        height: h,
        sampleType: 'uint16',
        // Exact renders: no interpolation, so no method or flow; these are the settings that made the blur.
        parameters: { inputFps: fps, virtualFps: params.virtualFps, ratio: params.ratio, exposureFrames: params.exposureFrames, exposureIntervals: params.exposureIntervals, gamma: params.gamma },
      }),
      () => undefined,
    );
    results.push({ id, status: 'done', frames: written });
    if (!options.json) io.stderr.write(`\rscenes ${i + 1}/${count}`);
  }
  if (!options.json) io.stderr.write('\n');
  if (belowMinSpeed.length > 0) {
    const listed = belowMinSpeed.map((b) => `${b.id} (${b.photo}): ${b.speedPx} px`).join(', ');
    io.stderr.write(
      `warning: ${belowMinSpeed.length} of ${results.filter((r) => r.status === 'done').length} scenes rendered move slower than --min-speed ${minSpeedPx} px per frame (${listed}): ` +
        `their photos leave a ${w}x${h} view too little room for ${frames} frames at this scale. ` +
        'Use larger photos, a higher --detail or --photo-scale, fewer --frames or a smaller --size.\n',
    );
  }
  const summary = { output: options.output, scenes: results, belowMinSpeed, framesWritten: results.reduce((a, r) => a + r.frames, 0), elapsedMs: Math.round(performance.now() - started) };
  io.stdout.write(options.json ? `${JSON.stringify(summary, null, 2)}\n` : `${summary.framesWritten} frames in ${results.filter((r) => r.status === 'done').length} scenes (${results.filter((r) => r.status === 'skipped').length} already complete) in ${(summary.elapsedMs / 1000).toFixed(1)} s -> ${options.output}\n`);
}

/** Adds `promotion scenes` to the program: its flags, their help and defaults, and the action. */
export function defineScenesCommand(program: Command, io: CliIo, run: RunTask): void {
  program
    .command('scenes')
    .description('Render training sequences with exact blur from still photos: seeded random camera paths (pan, rotation, zoom, shake) and foreground discs for local blur. Same layout as synth.')
    .argument('<photos...>', 'photos or folders of photos')
    .requiredOption('-o, --output <dir>', 'output dataset folder')
    .option('--count <n>', `number of scenes (default ${SCENES_DEFAULTS.count})`)
    .option('--frames <n>', `frames per scene (default ${SCENES_DEFAULTS.frames})`)
    .option('--size <WxH>', `frame size (default ${SCENES_DEFAULTS.size})`)
    .option('--seed <n>', `random seed (default ${SCENES_DEFAULTS.seed}); scene i depends only on the seed and i`)
    .option('--fps <n>', `frame rate of the scenes (default ${SCENES_DEFAULTS.fps})`)
    .option('--virtual-fps <n>', `virtual frame rate (default ${DEFAULT_VIRTUAL_FPS})`)
    .option('--exposure-frames <n>', 'virtual frames averaged per frame (default one interval)')
    .option('--gamma <g>', `gamma (default ${DEFAULT_SYNTHESIS_GAMMA})`)
    .option('--foreground <p>', `probability of a moving foreground disc (default ${SCENES_DEFAULTS.foreground})`)
    .option('--max-speed <px>', `fastest camera speed in px per frame (default ${DEFAULT_MAX_SPEED_PX}; capped by the room the photo leaves)`)
    .option('--min-speed <px>', `slowest camera speed in px per frame (default ${DEFAULT_MIN_SPEED_PX}); a scene whose photo leaves less room is rendered slower, and the run warns (JSON: belowMinSpeed)`)
    .option('--photo-scale <n>', `the photo is fitted inside n x the frame size; larger leaves room for faster camera paths (default ${SCENE_PHOTO_SCALE})`)
    .option('--detail <min[,max]>', "instead of --photo-scale: the photo's detail per frame pixel as a share of its native resolution, drawn per scene (1 = native)")
    .option('--foreground-speed <min[,max]>', `speed of the foreground disc in px per frame (default ${DEFAULT_FOREGROUND_SPEED_PX.join(',')})`)
    .option('--motion-kind <magnitude|colour>', `motion map definition (default ${DEFAULT_MOTION_MAP_KIND})`)
    .option('--json', 'print a JSON summary')
    .action((photos: string[], options: ScenesCommandOptions) => run(() => scenesCommand(photos, options, io)));
}
