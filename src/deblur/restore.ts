/**
 * Restoring one frame from its window: a region of the centre frame is cut into tiles (tiles.ts), each tile runs
 * through the network with its padding, the outputs are blended with feathered weights in a band of rows as tall as
 * one tile row, and finished rows go to a row writer, so memory is bounded by the tile size whatever the frame size.
 * Writers: the whole frame in the input's sample type, or a region blended into a copy of the input with a
 * feathered mask (ROI mode). A model in two parts (contract version 2) gets each window frame's features over the
 * tile's run rectangle from a {@link FeatureCache}, so a frame's features are computed once, not once per window.
 */
import { disFlowBetween, type DisOptions, disPyramid } from '../flow/dis.js';
import { type GreyImage, toGrey } from '../flow/field.js';
import { flowInput, MOTION_MAP_FLOW, type MotionMap, motionMap } from '../flow/motion-map.js';
import { type Frame, SAMPLE_MAX } from '../stream/frame.js';
import type { FeatureCache } from './feature-cache.js';
import type { DeblurFeeds, DeblurModel, FrameFeatures } from './model.js';
import { boxFeather } from './roi.js';
import { toNchwFloat32, toNtchwFloat32, toPlanesFloat32 } from './tensor.js';
import { type Box, clipBox, featherWeights, type TileSpan, tileSpans } from './tiles.js';

/** The motion inputs of a region's run rectangles: the motion map, and the flow vectors for a model that reads them. */
export interface MotionInput {
  readonly motion: (rect: Box) => Float32Array;
  /** Present when the model reads the flow input (`contract.usesFlow`). */
  readonly flow?: (rect: Box) => Float32Array;
}

/** A window's inputs other than the pixels: the per-frame statistics and a way to get the motion input. */
export interface WindowInputs {
  /** The window's frames, centre at the model's centre index. */
  readonly frames: readonly Frame[];
  /** Eq. 4 over whole frames, one per window frame. */
  readonly blurWeights: Float32Array;
  /** Max of Eq. 1 over each whole frame. */
  readonly contrastScale: Float32Array;
  /**
   * The motion input for run rectangles inside `bounds` (the union of the region's run rectangles, clipped to the
   * frame): called once per region, before its tiles run.
   */
  readonly motionFor: (bounds: Box) => MotionInput;
}

/** How a region is cut and run. */
export interface RestoreSettings {
  readonly model: DeblurModel;
  /** Largest tile side (already a multiple of the model's padding multiple). */
  readonly tileSize: number;
  /** Least overlap between neighbouring tiles. */
  readonly overlap: number;
  /** Checked before every tile (and every feature-graph run): true stops the region early (the stream was unsubscribed). */
  readonly cancelled: () => boolean;
  /** With a two-part model (`model.parts`): where the window frames' features come from. Without it, `model.run`. */
  readonly features?: FeatureCache;
  /**
   * A stream's network input buffer, reused from call to call while the model leaves it in place (a model that
   * moves it to a worker thread, `owned`, leaves it empty, and the next call makes a new one). A 640x480 window's
   * input is 18 MB; reusing it kept peak RSS 20-35 MB lower in the deblur bench, with no time difference the
   * machine's noise let one see (docs/deblur-model.md). `band`: the blending band of the last region (a whole
   * 640x480 frame's is 3.7 MB, whose first writes as a fresh array cost milliseconds: docs/deblur-model.md, session
   * 27), taken again by the next region of at most its size. Regions of one stream are restored one at a time.
   */
  readonly scratch?: { frames?: Float32Array; band?: Float32Array };
}

/** Receives the restored rows of a region in order: RGB interleaved, gamma-encoded, not clamped. Consume at once. */
export type RowWriter = (y: number, values: Float32Array) => void;

/** A tile of a region and the network input that restores it. */
export interface TilePlan {
  readonly tile: Box;
  readonly run: Box;
}

/** The tiles of `region` (frame coordinates) and their run rectangles, row by row. */
export function planRegion(region: Box, frameWidth: number, frameHeight: number, model: DeblurModel, tileSize: number, overlap: number): { rows: TilePlan[][]; xs: TileSpan[]; ys: TileSpan[] } {
  const { paddingMultiple: m, minSize } = model.contract;
  const xs = tileSpans(region.x, region.x + region.width, frameWidth, tileSize, overlap, m, minSize);
  const ys = tileSpans(region.y, region.y + region.height, frameHeight, tileSize, overlap, m, minSize);
  const rows = ys.map((ty) =>
    xs.map((tx) => ({
      tile: { x: tx.span.start, y: ty.span.start, width: tx.span.end - tx.span.start, height: ty.span.end - ty.span.start },
      run: { x: tx.run.start, y: ty.run.start, width: tx.run.end - tx.run.start, height: ty.run.end - ty.run.start },
    })),
  );
  return { rows, xs, ys };
}

/**
 * Restores `region` of the window's centre frame and writes its rows, in order, to `write`. Resolves to the
 * number of network calls, or to -1 when cancelled.
 */
export async function restoreRegion(settings: RestoreSettings, inputs: WindowInputs, region: Box, write: RowWriter): Promise<number> {
  const { model, tileSize, overlap } = settings;
  const centre = inputs.frames[model.contract.centreIndex]!;
  const { rows, xs, ys } = planRegion(region, centre.width, centre.height, model, tileSize, overlap);
  const wx = featherWeights(xs.map((t) => t.span));
  const wy = featherWeights(ys.map((t) => t.span));
  let bx0 = Infinity;
  let by0 = Infinity;
  let bx1 = -Infinity;
  let by1 = -Infinity;
  for (const { run } of rows.flat()) {
    bx0 = Math.min(bx0, run.x);
    by0 = Math.min(by0, run.y);
    bx1 = Math.max(bx1, run.x + run.width);
    by1 = Math.max(by1, run.y + run.height);
  }
  const motion = inputs.motionFor(clipBox({ x: bx0, y: by0, width: bx1 - bx0, height: by1 - by0 }, centre.width, centre.height));

  const rowLength = region.width * 3;
  const only = rows.length === 1 && rows[0]!.length === 1 ? rows[0]![0]!.tile : undefined;
  // One tile over the whole region (a 640x480 frame at the card's tile): its weights are 1, so its rows go to the
  // writer as they come, without the band (the same values: 0 + 1 x v is v).
  const single = only !== undefined && only.x === region.x && only.y === region.y && only.width === region.width && only.height === region.height;
  const bandHeight = single ? 1 : Math.max(...ys.map((t) => t.span.end - t.span.start));
  const kept = settings.scratch?.band;
  const band = kept !== undefined && kept.length >= bandHeight * rowLength ? kept.subarray(0, bandHeight * rowLength).fill(0) : new Float32Array(bandHeight * rowLength);
  if (settings.scratch !== undefined && band.buffer !== kept?.buffer) settings.scratch.band = band;
  let bandStart = 0; // region row held in the band's first row
  let calls = 0;
  for (let j = 0; j < rows.length; j++) {
    const sy = ys[j]!.span;
    for (let i = 0; i < xs.length; i++) {
      if (settings.cancelled()) return -1;
      const { tile, run } = rows[j]![i]!;
      const feeds: DeblurFeeds = {
        width: run.width,
        height: run.height,
        frames: toNtchwFloat32(inputs.frames, run, settings.scratch?.frames),
        motion: motion.motion(run),
        ...(motion.flow ? { flow: motion.flow(run) } : {}),
        blurWeights: inputs.blurWeights,
        contrastScale: inputs.contrastScale,
        // Made for this call alone (an 18 MB copy into ONNX Runtime's worker thread saved at 640x480).
        owned: true,
      };
      let out: Float32Array;
      if (settings.features && model.parts) {
        const features: FrameFeatures[] = [];
        for (const frame of inputs.frames) {
          if (settings.cancelled()) return -1;
          features.push(await settings.features.features(frame, run));
        }
        // Stopped while the last feature run was in flight: start nothing more.
        if (settings.cancelled()) return -1;
        out = await model.parts.restore(features, feeds);
      } else {
        out = await model.run(feeds);
      }
      // Still ours (not moved to another thread): the next call writes its input here.
      if (settings.scratch !== undefined && feeds.frames.byteLength > 0) settings.scratch.frames = feeds.frames;
      calls++;
      const plane = run.width * run.height;
      if (single) {
        for (let r = 0; r < region.height; r++) {
          const source = (region.y + r - run.y) * run.width + (region.x - run.x);
          for (let c = 0, t = 0; c < region.width; c++, t += 3) {
            band[t] = out[source + c]!;
            band[t + 1] = out[plane + source + c]!;
            band[t + 2] = out[2 * plane + source + c]!;
          }
          write(region.y + r, band);
        }
        return calls;
      }
      const weightX = wx[i]!;
      const weightY = wy[j]!;
      const column0 = (tile.x - region.x) * 3;
      for (let r = 0; r < tile.height; r++) {
        const wyr = weightY[r]!;
        const source = (tile.y + r - run.y) * run.width + (tile.x - run.x);
        const target = (tile.y - region.y + r - bandStart) * rowLength + column0;
        for (let c = 0; c < tile.width; c++) {
          const w = wyr * weightX[c]!;
          const s = source + c;
          const t = target + 3 * c;
          band[t] = band[t]! + w * out[s]!;
          band[t + 1] = band[t + 1]! + w * out[plane + s]!;
          band[t + 2] = band[t + 2]! + w * out[2 * plane + s]!;
        }
      }
    }
    // Rows above the next tile row's start are final.
    const done = (ys[j + 1]?.span.start ?? sy.end) - region.y - bandStart;
    for (let r = 0; r < done; r++) write(region.y + bandStart + r, band.subarray(r * rowLength, (r + 1) * rowLength));
    band.copyWithin(0, done * rowLength);
    band.fill(0, band.length - done * rowLength);
    bandStart += done;
  }
  return calls;
}

/** A row writer that puts a full-width region's rows into `out` (the input's sample type), clamped to [0, 1]. */
export function frameRowWriter(frame: Frame, out: Frame['data'], region: Box): RowWriter {
  const max = SAMPLE_MAX[frame.sampleType];
  const round = frame.sampleType !== 'float32';
  return (y, values) => {
    const base = (y * frame.width + region.x) * 3;
    for (let k = 0; k < values.length; k++) {
      const v = values[k]!;
      const c = v > 0 ? (v < 1 ? v : 1) : 0;
      out[base + k] = round ? Math.round(c * max) : c;
    }
  };
}

/**
 * A row writer that blends a region into `out` (a copy of the input frame) with a feathered mask: out = in + m
 * (restored - in), m ramping over `feather` pixels at the region's edges inside the frame.
 */
export function blendRowWriter(frame: Frame, out: Frame['data'], region: Box, feather: number): RowWriter {
  const max = SAMPLE_MAX[frame.sampleType];
  const round = frame.sampleType !== 'float32';
  const mx = boxFeather(region.x, region.width, frame.width, feather);
  const my = boxFeather(region.y, region.height, frame.height, feather);
  const input = frame.data;
  return (y, values) => {
    const wy = my[y - region.y]!;
    const base = (y * frame.width + region.x) * 3;
    for (let c = 0; c < region.width; c++) {
      const m = wy * mx[c]!;
      for (let ch = 0; ch < 3; ch++) {
        const k = 3 * c + ch;
        const v = values[k]!;
        const restored = (v > 0 ? (v < 1 ? v : 1) : 0) * max;
        const original = input[base + k]!;
        const blended = original + m * (restored - original);
        out[base + k] = round ? Math.round(blended) : blended;
      }
    }
  };
}

/** A frame's part `rect` (inside it) as a grey image on the 0..255 scale of `toGrey`. */
function greyCrop(frame: Frame, rect: Box): GreyImage {
  const data = new (frame.data.constructor as new (n: number) => Frame['data'])(rect.width * rect.height * 3);
  for (let r = 0; r < rect.height; r++) {
    const s = ((rect.y + r) * frame.width + rect.x) * 3;
    data.set(frame.data.subarray(s, s + rect.width * 3), r * rect.width * 3);
  }
  return toGrey({ ...frame, width: rect.width, height: rect.height, data } as Frame);
}

/**
 * The motion map of the window's centre frame over `rect` only (the flows of that part of the frame to the same
 * part of its neighbours, normalized over it): ROI mode's cheaper stand-in for the whole-frame map. A neighbour
 * the window repeats (at the ends of a sequence) counts as absent, as in `motionMaps`.
 */
export function regionMotionMap(frames: readonly Frame[], centreIndex: number, rect: Box, kind: 'magnitude' | 'colour', flow: DisOptions = MOTION_MAP_FLOW, withFlow = false): GreyImage & Pick<MotionMap, 'flow'> {
  const centre = frames[centreIndex]!;
  const previous = frames[centreIndex - 1];
  const next = frames[centreIndex + 1];
  // The centre's pyramid built once for both flows (disFlowBetween: the same flows as disFlow).
  const g = disPyramid(greyCrop(centre, rect), flow);
  const forward = next && next.index !== centre.index ? disFlowBetween(g, disPyramid(greyCrop(next, rect), flow)) : undefined;
  const backward = previous && previous.index !== centre.index ? disFlowBetween(g, disPyramid(greyCrop(previous, rect), flow)) : undefined;
  const vectors = withFlow ? { flow: flowInput(forward, backward, rect) } : {};
  if (!forward && !backward) return { width: rect.width, height: rect.height, data: new Float32Array(rect.width * rect.height), ...vectors };
  return { ...motionMap(forward, backward, kind), ...vectors };
}

/** Motion input from a whole-frame motion map (and its flow input, when the map has one: `motionMaps({ flowInput })`). */
export function frameMotion(map: MotionMap): WindowInputs['motionFor'] {
  const input: MotionInput = {
    motion: (rect) => toNchwFloat32(map, rect),
    ...(map.flow ? { flow: (rect: Box) => toPlanesFloat32(map.flow!, 4, rect) } : {}),
  };
  return () => input;
}

/** Motion input for a model that does not read it (`contract.usesMotion` false): zeros. */
export const noMotion: WindowInputs['motionFor'] = () => ({ motion: (rect) => new Float32Array(rect.width * rect.height) });

/** Margin in pixels around a region's run rectangles over which ROI-mode motion maps are computed. */
export const REGION_MOTION_MARGIN = 16;

/** Motion input computed per region (see {@link regionMotionMap}); `withFlow`: the flow input too, over the same area. */
export function regionMotion(frames: readonly Frame[], centreIndex: number, kind: 'magnitude' | 'colour', flow?: DisOptions, withFlow = false): WindowInputs['motionFor'] {
  return (bounds) => {
    const centre = frames[centreIndex]!;
    const area = clipBox(
      { x: bounds.x - REGION_MOTION_MARGIN, y: bounds.y - REGION_MOTION_MARGIN, width: bounds.width + 2 * REGION_MOTION_MARGIN, height: bounds.height + 2 * REGION_MOTION_MARGIN },
      centre.width,
      centre.height,
    );
    const map = regionMotionMap(frames, centreIndex, area, kind, flow, withFlow);
    return {
      motion: (rect) => toNchwFloat32(map, rect, area),
      ...(map.flow ? { flow: (rect: Box) => toPlanesFloat32(map.flow!, 4, rect, area) } : {}),
    };
  };
}
