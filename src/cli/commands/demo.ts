/**
 * `promotion demo`: the main job on the embedded sample (datasets/sample). Today it runs the streaming core end to
 * end: probe, a 5-frame sliding window, conversion to H.264 and lossless FFV1 video and to JSON Lines, reading
 * both videos back to measure them against the source frames; then blur synthesis of the sample (sharp/blurred
 * pairs and motion maps). Deblurring and the Table-5 evaluation join it as they land.
 */
import { join, resolve } from 'node:path';
import { count, lastValueFrom, map, pipe, toArray } from 'rxjs';
import { psnr } from '../../metrics/psnr.js';
import type { Frame } from '../../stream/frame.js';
import { writeJsonLines } from '../../stream/jsonl-sink.js';
import { openSource } from '../../stream/open-source.js';
import { pipeSource, sourceFrames$ } from '../../stream/pipe-source.js';
import { openVideo } from '../../stream/video-source.js';
import { writeVideo } from '../../stream/video-sink.js';
import { slidingWindow } from '../../stream/window.js';
import { runSynthJob } from '../../blur-synthesis/dataset.js';
import { packageRoot } from '../../util/package-root.js';
import type { CliIo } from '../io.js';
import { describeSource } from './probe.js';
import { frameRecord } from './convert.js';

/** The sample the demo runs on. */
export function sampleSequencePath(): string {
  return join(packageRoot(), 'datasets', 'sample', 'hand-pan');
}

export async function demoCommand(options: { output: string; json?: boolean }, io: CliIo): Promise<void> {
  const say = (line: string) => {
    if (!options.json) io.stdout.write(`${line}\n`);
  };
  const input = sampleSequencePath();
  const out = resolve(options.output);
  const source = await openSource(input);
  say(`Sample: ${input}\n${describeSource(source.info)}\n`);
  const started = performance.now();

  // 1. One pass: 5-frame windows (every frame gets exactly one), per-frame records, and both videos.
  const mp4 = join(out, 'hand-pan.mp4');
  const mkv = join(out, 'hand-pan.mkv');
  const jsonl = join(out, 'windows.jsonl');
  const { fps } = source.info;
  const written = await lastValueFrom(
    pipeSource(
      source,
      pipe(
        writeVideo<Frame>(mp4, { fps, overwrite: true }),
        writeVideo<Frame>(mkv, { fps, overwrite: true }),
        slidingWindow<Frame>(5),
        map((w) => ({ ...frameRecord(w.center), windowIndices: w.frames.map((f) => f.index) })),
        writeJsonLines(jsonl, { overwrite: true }),
      ),
    ).pipe(count()),
  );
  const writeMs = performance.now() - started;

  // 2. Read both videos back and compare them with the source, frame by frame.
  const original = await lastValueFrom(sourceFrames$(source).pipe(toArray()));
  const compare = async (path: string) => {
    const decoded = await lastValueFrom(sourceFrames$(await openVideo(path)).pipe(toArray()));
    const values = decoded.map((f, i) => psnr(original[i]!, f));
    const finite = values.filter(Number.isFinite);
    return {
      path,
      frames: decoded.length,
      identicalFrames: values.length - finite.length,
      meanPsnrDb: finite.length === 0 ? null : Number((finite.reduce((a, b) => a + b, 0) / finite.length).toFixed(2)),
    };
  };
  const checks = [await compare(mkv), await compare(mp4)];

  // 3. Blur synthesis on the sample (1920 fps, linear light): sharp/, blur/, motion/ and synthesis.json.
  const synthStarted = performance.now();
  const synthOut = join(out, 'synth');
  const job = await runSynthJob({
    input,
    kind: 'image-sequence',
    id: 'hand-pan',
    outDir: join(synthOut, 'hand-pan'),
    naming: { prefix: 'frame_', digits: 6 },
    synthesis: {},
    motionKind: 'magnitude',
    overwrite: true,
  });
  const sharpFrames = await lastValueFrom(sourceFrames$(await openSource(join(synthOut, 'hand-pan', 'sharp'))).pipe(toArray()));
  const blurFrames = await lastValueFrom(sourceFrames$(await openSource(join(synthOut, 'hand-pan', 'blur'))).pipe(toArray()));
  const blurPsnr = blurFrames.map((f, i) => psnr(sharpFrames[i]!, f));
  const synthesis = {
    output: join(synthOut, 'hand-pan'),
    frames: job.frames,
    msPerFrame: Math.round((performance.now() - synthStarted) / Math.max(1, job.frames)),
    meanPsnrSharpVsBlurredDb: Number((blurPsnr.reduce((a, b) => a + b, 0) / blurPsnr.length).toFixed(2)),
  };
  const totalMs = performance.now() - started;

  const summary = { input, output: out, frames: written, windowsJsonl: jsonl, writeMs: Math.round(writeMs), totalMs: Math.round(totalMs), readBack: checks, synthesis };
  if (options.json) {
    io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  say(`Streamed ${written} frames through a 5-frame window into ${mp4}, ${mkv} and ${jsonl} in ${(writeMs / 1000).toFixed(2)} s.`);
  say('Read back:');
  for (const c of checks) {
    const quality = c.identicalFrames === c.frames ? 'all frames bit-identical (lossless)' : `mean PSNR ${c.meanPsnrDb} dB over ${c.frames - c.identicalFrames} frames${c.identicalFrames > 0 ? `, ${c.identicalFrames} identical` : ''}`;
    say(`  ${c.path}: ${c.frames} frames, ${quality}`);
  }
  say(
    `Synthesized motion blur (1920 fps virtual frames, averaged in linear light) for ${synthesis.frames} frames in ${synthesis.msPerFrame} ms/frame -> ${synthesis.output}` +
      ` (sharp/, blur/, motion/, synthesis.json); the blurred frames are ${synthesis.meanPsnrSharpVsBlurredDb} dB from the sharp ones on average.`,
  );
  say(`Done in ${(totalMs / 1000).toFixed(2)} s. Deblurring and the Table-5 evaluation join this demo as they land.`);
}
