/**
 * The motion map: the deblur model's motion prior and the training loss weight (paper, Sec. 3.1 and 3.4),
 * defined once here and used by synthesis, training data and the runtime alike.
 *
 * For frame t, computed on the frames as the model sees them (blurred):
 * - `magnitude` (default): the mean of |F(t->t+1)| and |F(t->t-1)| per pixel (only the one that exists at the
 *   first and last frames), divided by its maximum over the frame, or by 1 px where that maximum is below 1 px.
 * - `colour` (the paper's reading of "flow map"): F(t->t+1) coded as HSV, hue = direction (0 = pointing right,
 *   increasing towards +y, i.e. clockwise on screen), saturation 1, value = |F| normalized as above; then grey
 *   with BT.601 weights. At the last frame, where there is no t+1, -F(t->t-1) stands in.
 * Both are in [0, 1] with 0 = no motion. Stored as 16-bit grey PNG.
 *
 * The flow input (`flowInput`, contract version 3: a network with the directional motion prior) is the same two
 * flows as vectors in pixels per frame, which the maps above reduce to one value: planar [4, H, W], (u, v) of
 * F(t->t+1), then (u, v) of F(t->t-1); at the first and last frames the negation of the flow that exists stands in
 * for the other (motion at a constant velocity). training/promotion/flow_torch.py (`motion_input`) computes the same.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { InvalidOptionError } from '../errors.js';
import { expectBoolean, expectFunction, expectKnownKeys, expectOneOf } from '../options.js';
import type { Frame } from '../stream/frame.js';
import { checkDisOptions, type DisOptions, type DisPyramid, disFlowBetween, disPyramid } from './dis.js';
import { BT601, type FlowField, type GreyImage, toGrey } from './field.js';

/** The two definitions of the motion map. */
export type MotionMapKind = 'magnitude' | 'colour';

/**
 * Flow used for motion maps everywhere (dataset building, training, inference): full-resolution DIS with its
 * defaults. Fixed, so a model sees the same prior in training and at run time.
 */
export const MOTION_MAP_FLOW: DisOptions = {};

/** Default motion map kind. */
export const DEFAULT_MOTION_MAP_KIND: MotionMapKind = 'magnitude';

/** Below this maximum motion (pixels) the map is divided by this instead, so near-still frames stay near 0. */
export const MOTION_NORMALIZATION_FLOOR_PX = 1;

function magnitudes(flow: FlowField): Float32Array {
  const out = new Float32Array(flow.width * flow.height);
  const d = flow.data;
  for (let i = 0; i < out.length; i++) {
    const x = d[2 * i]!;
    const y = d[2 * i + 1]!;
    out[i] = Math.sqrt(x * x + y * y); // Math.hypot's overflow guard costs 10 ms per 640x480 map, and flows are small
  }
  return out;
}

/** The flow input of a frame (see the module comment): planar [4, height, width] float32, pixels per frame. */
export interface FlowInput {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/** A motion map, and the motion in pixels its value 1 stands for. */
export interface MotionMap extends GreyImage {
  /** The frame's largest motion in pixels per frame, before normalization (the map's 1 is max(this, 1 px)). */
  readonly maxMotionPx: number;
  /** The frame's flow input, when asked for (`motionMaps({ flowInput: true })`). */
  readonly flow?: FlowInput;
}

/**
 * The flow input of a frame from its flows to the next frame (`forward`) and to the previous one (`backward`); one
 * of them may be absent at the ends of a sequence, and then the other's negation stands in. Neither: all zeros of
 * `size` (a one-frame sequence).
 */
export function flowInput(forward: FlowField | undefined, backward: FlowField | undefined, size?: { width: number; height: number }): FlowInput {
  const any = forward ?? backward;
  const { width, height } = any ?? size ?? { width: 0, height: 0 };
  if (!any && !size) throw new InvalidOptionError('flowInput needs a flow, or the size of a frame without motion');
  if (forward && backward && (forward.width !== backward.width || forward.height !== backward.height)) {
    throw new InvalidOptionError(`flowInput: forward flow is ${forward.width}x${forward.height} but backward is ${backward.width}x${backward.height}`);
  }
  const n = width * height;
  const data = new Float32Array(4 * n);
  const put = (flow: FlowField, plane: number, sign: number): void => {
    const d = flow.data;
    const u = plane * n;
    const v = u + n;
    for (let i = 0; i < n; i++) {
      // sign * value, written so that -0 never appears (JSON and equality tests see 0)
      data[u + i] = sign === 1 ? d[2 * i]! : 0 - d[2 * i]!;
      data[v + i] = sign === 1 ? d[2 * i + 1]! : 0 - d[2 * i + 1]!;
    }
  };
  if (forward) put(forward, 0, 1);
  else if (backward) put(backward, 0, -1);
  if (backward) put(backward, 2, 1);
  else if (forward) put(forward, 2, -1);
  return { width, height, data };
}

function normalize(values: Float32Array): { data: Float32Array; maxMotionPx: number } {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  const scale = 1 / Math.max(max, MOTION_NORMALIZATION_FLOOR_PX);
  for (let i = 0; i < values.length; i++) values[i] = values[i]! * scale;
  return { data: values, maxMotionPx: max };
}

/** Grey value (BT.601) of the fully saturated, full-value HSV colour of hue `h` in [0, 1). */
function hueGrey(h: number): number {
  const x = h * 6;
  const sector = Math.floor(x) % 6;
  const f = x - Math.floor(x);
  // (r, g, b) of HSV (h, 1, 1)
  const rgb: [number, number, number] =
    sector === 0 ? [1, f, 0] : sector === 1 ? [1 - f, 1, 0] : sector === 2 ? [0, 1, f] : sector === 3 ? [0, 1 - f, 1] : sector === 4 ? [f, 0, 1] : [1, 0, 1 - f];
  return BT601[0] * rgb[0] + BT601[1] * rgb[1] + BT601[2] * rgb[2];
}

/**
 * The motion map of a frame from its flows to the next frame (`forward`, F(t->t+1)) and to the previous one
 * (`backward`, F(t->t-1)); one of them may be absent at the ends of a sequence.
 */
export function motionMap(forward: FlowField | undefined, backward: FlowField | undefined, kind: MotionMapKind = DEFAULT_MOTION_MAP_KIND): MotionMap {
  const any = forward ?? backward;
  if (!any) throw new InvalidOptionError('motionMap needs at least one of forward and backward flow (a sequence of one frame has no motion).');
  const { width, height } = any;
  if (forward && backward && (forward.width !== backward.width || forward.height !== backward.height)) {
    throw new InvalidOptionError(`motionMap: forward flow is ${forward.width}x${forward.height} but backward is ${backward.width}x${backward.height}`);
  }
  if (kind === 'magnitude') {
    const m = forward ? magnitudes(forward) : magnitudes(backward!);
    if (forward && backward) {
      const b = magnitudes(backward);
      for (let i = 0; i < m.length; i++) m[i] = (m[i]! + b[i]!) / 2;
    }
    return { width, height, ...normalize(m) };
  }
  // colour: direction from F(t->t+1), or -F(t->t-1) at the last frame.
  const flow = forward ?? backward!;
  const sign = forward ? 1 : -1;
  const { data: value, maxMotionPx } = normalize(magnitudes(flow));
  const out = new Float32Array(width * height);
  for (let i = 0; i < out.length; i++) {
    if (value[i] === 0) continue;
    const angle = Math.atan2(sign * flow.data[2 * i + 1]!, sign * flow.data[2 * i]!);
    const hue = (angle < 0 ? angle + 2 * Math.PI : angle) / (2 * Math.PI);
    out[i] = value[i]! * hueGrey(hue >= 1 ? 0 : hue);
  }
  return { width, height, data: out, maxMotionPx };
}

/** A motion map as 16-bit grey samples (0..65535), for PNG. */
export function motionMapToUint16(map: GreyImage): Uint16Array {
  const out = new Uint16Array(map.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = map.data[i]!;
    out[i] = Math.round((v <= 0 ? 0 : v >= 1 ? 1 : v) * 65535);
  }
  return out;
}

/** Options of {@link motionMaps}. */
export interface MotionMapsOptions<T> {
  /** Default {@link DEFAULT_MOTION_MAP_KIND}. */
  kind?: MotionMapKind;
  /** Optical flow options (default {@link MOTION_MAP_FLOW}; change only together with the model's training data). */
  flow?: DisOptions;
  /** Which frame of each item to use (default: the item itself is the frame). */
  select?: (item: T) => Frame;
  /** Also give each map its frame's flow input (`MotionMap.flow`, contract version 3). Default false. */
  flowInput?: boolean;
  /**
   * Whether `next` continues the sequence `previous` belongs to (default: always). Where it does not (a live source
   * dropped frames and the windows split there), the sequence ends between them: `previous` gets the map of a last
   * frame (its backward flow only) and `next` that of a first frame (its forward flow only), as at the ends of a
   * stream, and no flow is computed across the gap.
   */
  continues?: (previous: T, next: T) => boolean;
}

/** An item with the motion map of its frame. */
export interface WithMotion<T> {
  readonly item: T;
  readonly motion: MotionMap;
}

/**
 * Computes the motion map of every frame of a sequence (one output per input, in order, one frame of look-ahead).
 * Flows between each pair of neighbours are computed once, in both directions. A one-frame sequence has no motion:
 * its map is all zeros. `continues` splits the stream into sequences.
 */
export function motionMaps<T>(options: MotionMapsOptions<T> = {}): OperatorFunction<T, WithMotion<T>> {
  expectKnownKeys('motionMaps options', options, ['kind', 'flow', 'select', 'continues', 'flowInput']);
  const withFlow = expectBoolean('flowInput', options.flowInput ?? false);
  const kind = expectOneOf('kind', options.kind ?? DEFAULT_MOTION_MAP_KIND, ['magnitude', 'colour'] as const);
  const flowOptions = options.flow ?? MOTION_MAP_FLOW;
  checkDisOptions(flowOptions);
  const select = options.select ?? ((item: T) => item as unknown as Frame);
  const continues = options.continues === undefined ? undefined : expectFunction<(previous: T, next: T) => boolean>('continues', options.continues);
  return (source) =>
    new Observable<WithMotion<T>>((subscriber) => {
      // Each frame's pyramid is built once and used in the four flows the frame is in.
      let current: { item: T; frame: Frame; pyramid: DisPyramid } | undefined;
      let backward: FlowField | undefined; // F(current -> previous)
      // The map of the last frame of a sequence: its backward flow alone, or none in a one-frame sequence.
      const last = (c: { frame: Frame }): MotionMap => {
        const map = backward ? motionMap(undefined, backward, kind) : { width: c.frame.width, height: c.frame.height, data: new Float32Array(c.frame.width * c.frame.height), maxMotionPx: 0 };
        return withFlow ? { ...map, flow: flowInput(undefined, backward, c.frame) } : map;
      };
      return source.subscribe({
        next(item) {
          try {
            const frame = select(item);
            const pyramid = disPyramid(toGrey(frame), flowOptions);
            if (current && continues && !continues(current.item, item)) {
              subscriber.next({ item: current.item, motion: last(current) });
              current = undefined;
              backward = undefined;
            }
            if (current) {
              const forward = disFlowBetween(current.pyramid, pyramid);
              const nextBackward = disFlowBetween(pyramid, current.pyramid);
              const map = motionMap(forward, backward, kind);
              subscriber.next({ item: current.item, motion: withFlow ? { ...map, flow: flowInput(forward, backward) } : map });
              backward = nextBackward;
            }
            current = { item, frame, pyramid };
          } catch (error) {
            subscriber.error(error);
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete() {
          if (current) subscriber.next({ item: current.item, motion: last(current) });
          subscriber.complete();
        },
      });
    });
}
