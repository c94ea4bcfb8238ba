/**
 * Worker-thread entry for the deconvolution's steps (deconvolve.ts): one half of a Richardson-Lucy step on a band
 * of rows. The region's flow lines, the blurred frame, the estimate and the ratio live in one shared WebAssembly
 * memory (steps-kernel.ts), so nothing large is copied; the calling thread waits for every band of one half before it starts the next.
 */
import { correctStepRows, reblurRatioRows, type StepBuffers } from './deconvolve.js';

/** A task: which half of the step, on which rows. */
export interface DeconvolveTask {
  readonly half: 'reblur' | 'correct';
  readonly buffers: StepBuffers;
  readonly y0: number;
  readonly y1: number;
}

export default function run(task: DeconvolveTask): null {
  if (task.half === 'reblur') reblurRatioRows(task.buffers, task.y0, task.y1);
  else correctStepRows(task.buffers, task.y0, task.y1);
  return null;
}
