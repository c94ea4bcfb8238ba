/**
 * Worker-thread entry for the deconvolution (deconvolve.ts): one half of a Richardson-Lucy step on a band of rows, or
 * one of the blur test's two cues on a whole region. The steps' flow lines, the blurred frame, the estimate and the
 * ratio live in SharedArrayBuffers, so nothing large is copied; the calling thread waits for every band of one half
 * before it starts the next. A blur test's region and flow are copied in, its verdict copied out.
 */
import type { FlowInput } from '../flow/motion-map.js';
import { blurTest, correctRows, type LinearRgb, reblurRatioRows, type StepBuffers } from './deconvolve.js';
import type { Box } from './tiles.js';

/** Half a step, on some rows. */
export interface StepTask {
  readonly half: 'reblur' | 'correct';
  readonly buffers: StepBuffers;
  readonly y0: number;
  readonly y1: number;
}

/** One cue of the blur test, on the region after its 3x3 filter. */
export interface BlurTestTask {
  readonly test: 'across' | 'lag';
  readonly quiet: LinearRgb;
  readonly flow: FlowInput;
  readonly box: Box;
}

export type DeconvolveTask = StepTask | BlurTestTask;

export default function run(task: DeconvolveTask): Float32Array | null {
  if ('test' in task) return blurTest(task.test, task.quiet, task.flow, task.box);
  if (task.half === 'reblur') reblurRatioRows(task.buffers, task.y0, task.y1);
  else correctRows(task.buffers, task.y0, task.y1);
  return null;
}
