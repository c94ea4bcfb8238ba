/**
 * Building the exposure context of an output frame from sharp frames: linear light, flows in both directions for
 * each interval (computed once per interval and shared by the two frames that use it), consistency weights; and
 * encoding the integral back into an output frame. Light on imports: the synthesis worker threads load it.
 */
import { type DisOptions, disFlow } from '../flow/dis.js';
import type { GreyImage } from '../flow/field.js';
import { type Frame, type RgbFloatFrame, toFloatFrame, toIntegerFrame } from '../stream/frame.js';
import { consistencyWeights, type Interval, type LinearImage } from './integrate.js';
import type { SynthesisParameters } from './synthesize.js';

/** Default gamma of g(x) = x^(1/gamma) (paper Eq. 8). */
export const DEFAULT_SYNTHESIS_GAMMA = 2.2;

/** A sharp frame prepared for synthesis: linear light for averaging, grey (encoded, 0..255) for flow. */
export interface PreparedFrame {
  readonly linear: LinearImage;
  readonly grey: GreyImage;
}

/** The interval between two prepared frames: both flows and their consistency weights. */
export function buildInterval(a: PreparedFrame, b: PreparedFrame, flowOptions: DisOptions = {}, span = 1): Interval {
  const forward = disFlow(a.grey, b.grey, flowOptions);
  const backward = disFlow(b.grey, a.grey, flowOptions);
  return {
    a: a.linear,
    b: b.linear,
    forward,
    backward,
    forwardWeight: consistencyWeights(forward, backward),
    backwardWeight: consistencyWeights(backward, forward),
    span,
  };
}

/** Wraps linear-light samples as a frame of the requested type (gamma re-applied). */
export function encodeBlurred(linear: Float32Array, like: Frame, params: Pick<SynthesisParameters, 'gamma' | 'outputSampleType'>): Frame {
  const floatFrame: RgbFloatFrame = { width: like.width, height: like.height, channels: 3, index: like.index, timestampMs: like.timestampMs, sampleType: 'float32', light: 'linear', data: linear };
  const target = params.outputSampleType === 'same' ? like.sampleType : params.outputSampleType;
  return target === 'float32' ? toFloatFrame(floatFrame, { light: 'encoded', gamma: params.gamma }) : toIntegerFrame(floatFrame, target, { gamma: params.gamma });
}
