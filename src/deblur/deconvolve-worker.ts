/**
 * Worker-thread entry for deblur()'s deconvolution (deconvolve.ts, `Deconvolver`): one frame's `DeconvolveJob`, the
 * blur tests, the steps and the fit test on this thread, while the calling thread goes on with the next frame's
 * network. The restored samples are moved back.
 */
import type { Frame } from '../stream/frame.js';
import { deconvolveFrame, type DeconvolveJob } from './deconvolve.js';

export default function run(job: DeconvolveJob): Frame['data'] {
  return deconvolveFrame(job);
}
