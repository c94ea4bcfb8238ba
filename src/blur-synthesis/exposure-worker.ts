/**
 * Worker-thread entry for `synthesizeBlur({ threads })`: one optical flow, or one band of rows of the exposure
 * integral. Images and flows arrive in SharedArrayBuffers, so nothing large is copied.
 */
import { type DisOptions, disFlow } from '../flow/dis.js';
import type { FlowField, GreyImage } from '../flow/field.js';
import { blurByPathIntegration, type ExposureContext, type ExposureSpec } from './integrate.js';

/** A task for the synthesis worker. */
export type SynthesisTask =
  | { kind: 'flow'; from: GreyImage; to: GreyImage; options: DisOptions }
  | { kind: 'integrate'; ctx: ExposureContext; spec: ExposureSpec; rows: { start: number; end: number } };

export default function synthesisWorker(task: SynthesisTask): FlowField | Float32Array {
  if (task.kind === 'flow') return disFlow(task.from, task.to, task.options);
  const band = blurByPathIntegration(task.ctx, task.spec, 1, task.rows);
  // Only the band's rows travel back.
  return band.slice(3 * task.ctx.frame.width * task.rows.start, 3 * task.ctx.frame.width * task.rows.end);
}
