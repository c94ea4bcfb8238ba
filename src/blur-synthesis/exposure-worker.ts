/**
 * Worker-thread entry for `synthesizeBlur({ threads })`: every per-pixel step of synthesis runs here, so the calling
 * thread only schedules. A task prepares a sharp frame (linear light and grey), computes one optical flow, one
 * side's consistency weights, or one band of rows of the exposure integral, gamma-encoded into the output frame.
 * Images, flows and weights live in SharedArrayBuffers (allocated here for what a task makes), so nothing large is
 * copied between threads.
 */
import { type DisOptions, disFlow } from '../flow/dis.js';
import { type FlowField, type GreyImage, toGrey } from '../flow/field.js';
import { type Frame, toFloatFrame } from '../stream/frame.js';
import { encodeBlurred, type PreparedFrame } from './exposure-context.js';
import { blurRowsByPathIntegration, consistencyWeights, type ExposureContext, type ExposureSpec } from './integrate.js';
import type { SynthesisParameters } from './synthesize.js';

/** A sharp frame's samples as the worker receives them (in a SharedArrayBuffer). */
export type SharedFrame = Pick<Frame, 'width' | 'height' | 'channels' | 'sampleType' | 'data'> & { readonly light?: 'encoded' | 'linear' };

/** A task for the synthesis worker. */
export type SynthesisTask =
  | { kind: 'prepare'; frame: SharedFrame; gamma: number }
  | { kind: 'flow'; from: GreyImage; to: GreyImage; options: DisOptions }
  | { kind: 'weights'; forward: FlowField; backward: FlowField }
  | {
      kind: 'integrate';
      ctx: ExposureContext;
      spec: ExposureSpec;
      rows: { start: number; end: number };
      /** Where the band goes, encoded like `like` (its sample type) with the parameters' gamma and output type. */
      out: Uint8Array | Uint16Array | Float32Array;
      like: Pick<Frame, 'sampleType'>;
      params: SynthesisParameters;
    };

function shared(data: Float32Array): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer(data.byteLength));
  out.set(data);
  return out;
}

export default function synthesisWorker(task: SynthesisTask): PreparedFrame | FlowField | Float32Array | null {
  switch (task.kind) {
    case 'prepare': {
      const frame = { ...task.frame, index: 0, timestampMs: 0 } as Frame;
      const linear = toFloatFrame(frame, { light: 'linear', gamma: task.gamma });
      const grey = toGrey(frame);
      return { linear: { width: frame.width, height: frame.height, data: shared(linear.data) }, grey: { ...grey, data: shared(grey.data) } };
    }
    case 'flow': {
      const flow = disFlow(task.from, task.to, task.options);
      return { ...flow, data: shared(flow.data) };
    }
    case 'weights':
      return shared(consistencyWeights(task.forward, task.backward));
    case 'integrate': {
      const { width } = task.ctx.frame;
      const rows = task.rows.end - task.rows.start;
      const linear = blurRowsByPathIntegration(task.ctx, task.spec, task.rows);
      const band = encodeBlurred(linear, { ...task.like, width, height: rows, channels: 3, index: 0, timestampMs: 0 } as Frame, task.params);
      task.out.set(band.data, 3 * width * task.rows.start);
      return null;
    }
  }
}
