/**
 * Richardson-Lucy deconvolution along the optical flow: the blur model blur synthesis renders, inverted.
 *
 * A frame exposed over a full frame interval, centred on its time (`promotion synth`, Eq. 8), is the average in
 * linear light of the sharp frame's content along the path each pixel's content travels during the exposure. With
 * the flows the runtime already computes for the motion input (from the centre frame to the next, F+, and to the
 * previous, F-; `flowInput` in src/flow/motion-map.ts), that path is two straight half-segments, and
 *
 *   A(I)(x) = 1/2 mean over s in (0, 1/2] of I(x - s F+(x))  +  1/2 mean over s in (0, 1/2] of I(x - s F-(x))
 *
 * re-blurs a sharp estimate I (each half, |F|/2 long, sampled at n points at most 5 px apart, and no fewer than spacing
 * them 2 px apart would give up to three; bilinear, the region's border replicated). Richardson-Lucy iterates
 * I <- I * A'(B / A(I)) on the blurred frame B, with A' the same lines walked the other way (the adjoint of A where the
 * flow is locally smooth; the walks run in WebAssembly, steps-kernel.ts). Each step keeps I non-negative and moves A(I)
 * towards B; a few steps sharpen, many amplify noise and ring, so the count is the regularization. Each step after the
 * second starts from the last estimate pushed along the last change ({@link Momentum}, Biggs and Andrews'
 * acceleration), so a step does the work of about two plain ones. Where the flow is zero, A is the identity and the
 * frame stays as it is.
 *
 * In deblur() (`deconvolve` in the model card, `deblur({ deconvolve })`, `--deconvolve`), the iterations start from
 * the network's clamped output rather than from B: the network is the prior, the blur model the data term.
 * Where the linear-flow model is wrong (occlusion edges, a foreground moving over another motion) the steps fade out
 * ({@link flowConsistency}), where the input is not blurred along its flow ({@link blurEvidence}, two cues: a sharp
 * frame that moves), and where the neighbouring frames show the content staying where it is ({@link motionEvidence}: the
 * still background a moving hand's flow spreads over); a region where no pixel is left is not deconvolved at all, and
 * one the blur test finds sharp while it moves keeps its input, the network's output included
 * ({@link SHARP_MOTION_LAG_SHARE}). After the steps, where their result re-blurred along the flow does not come close to
 * the input ({@link stepsFit}), the blur model did not hold and the steps are dropped: sharp content the blur test took
 * for blurred.
 * The model assumes a full exposure; a shorter shutter blurs less than the motion and the steps over-sharpen it.
 * `models/promotion-c-deconv` runs 10 steps; the default card runs none: with them 60 frames of 640x480 camera pans
 * take 1.64 times the default's time, the steps of each frame in a worker beside the next frame's network
 * ({@link Deconvolver}), the walks and the tests' per-pixel loops in WebAssembly (docs/deblur-model.md, sessions
 * 19-29).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BT601, toGrey } from '../flow/field.js';
import type { FlowInput } from '../flow/motion-map.js';
import { DEFAULT_GAMMA, type Frame, frameTiming, SAMPLE_MAX } from '../stream/frame.js';
import { createWorkerPool, type WorkerPool } from '../stream/worker-pool.js';
import { EVIDENCE_WASM_BASE64 } from './evidence-wasm.js';
import { correctRows, DECONVOLVE_MAX_FLOW_PX, extrapolate, flowLength, type FlowLines, flowLines, flowLinesOf, flowRows, type FlowRows, KernelArena, type LinearRgb, ratioRows, walkRows, type WalkBuffers, wasmKernel } from './steps-kernel.js';
import type { Box } from './tiles.js';

/** Most Richardson-Lucy iterations deblur() accepts. */
export const MAX_DECONVOLVE_ITERATIONS = 50;
/**
 * Where the two flows disagree with a constant velocity (|F+ + F-| against 2 px + 10% of the motion, the weight
 * falling from 1 to 0 between that and twice it), the steps are faded out: occlusion edges and accelerating
 * foregrounds, where the straight-line model is wrong and deconvolving along it rings. A camera's shake and sway
 * change its velocity by a few pixels from one frame to the next, a bend the two half-segments (one along each
 * flow) model, so it is let through. Session 19 chose 1 px + 5% on the lines validation set, before the blur,
 * stillness and fit tests; in session 30 that kept the steps off most mid-sequence frames of val's shaking camera
 * pans (a mean weight of 0.04-0.12 on some, 1.00 at a sequence's ends), and doubling it, with the fit test's ramp
 * lowered ({@link FIT_RATIO_LOW}), took val from +3.534 to +3.743 dB and lines from +2.194 to +2.221
 * (docs/deblur-model.md, session 30).
 */
export const DECONVOLVE_CONSISTENCY_PX = 2;
const DECONVOLVE_CONSISTENCY_SHARE = 0.1;
/**
 * The blur test (`blurEvidence`) re-blurs the input along a quarter of its flow and across it (the flow turned by 90
 * degrees, a quarter as long) and compares the changes: content smeared along the flow barely changes when smeared a
 * little further along it, sharp content changes about as much either way. Where the change along is at most
 * `BLUR_RATIO_LOW` times the change across, the input is taken as blurred along its flow and the steps act in full;
 * from `BLUR_RATIO_HIGH` on, as sharp, and they do not act. On whole frames (session 20, a quarter of the flow, before
 * the filter and the floor below): the held-out clip's blurred frames 0.34-0.41, its sharp frames 1.03-1.10, the sharp
 * hand pan 1.07-1.08, the FPHA sample's sharp hands 0.82-1.08. Session 19's test compared re-blurs along the whole
 * flow (blurred 0.62-1.00, sharp 0.91-1.40): a long re-blur changes blurred content too, so the two overlapped, and
 * the steps either ruined sharp frames that move or left blurred ones alone. The constants here were chosen on the
 * two validation sets and the sharp-input guards (docs/deblur-model.md, session 20).
 */
export const BLUR_TEST_SCALE = 0.25;
export const BLUR_RATIO_LOW = 0.55;
export const BLUR_RATIO_HIGH = 0.75;
/**
 * The shortest re-blur the test makes, in pixels of flow: a quarter of a flow of 8 px is too short a re-blur to tell
 * a short blur from detail (session 20: a disc crossing at about 8 px per frame).
 */
export const BLUR_TEST_MIN_PX = 4;
/**
 * Short blurs: how far the per-pixel ramp moves up where the floor makes the re-blur the whole flow rather than
 * {@link BLUR_TEST_SCALE} of it (linearly in between), in a region surely blurred as a whole (its ratio at most
 * {@link REGION_SURE_RATIO_LOW}, none of the move from {@link REGION_SURE_RATIO_HIGH}). Blurred content changes more
 * when re-blurred along most of its blur than along a quarter of it, so a short blur scores higher than a long one:
 * session 21's case was a camera zooming 0.7% per frame, which blurs a still background by 1-3 px, where a third of
 * the moving pixels scored under 0.75 over frames whose whole ratio was 0.63-0.66. Where the region is not surely
 * blurred the ramp stays where it is: the FPHA sample's sharp waving hand (6 px per frame, whole frames 0.84-0.88)
 * fell from 46.1 to 39.8 dB with the ramp moved regardless. Chosen on the validation sets and the sharp-input
 * guards (docs/deblur-model.md, session 21).
 */
export const BLUR_RATIO_SHIFT = 0.35;
export const REGION_SURE_RATIO_LOW = 0.7;
export const REGION_SURE_RATIO_HIGH = 0.8;
/**
 * The region's own verdict: the same ratio over the whole region (the changes summed over every pixel). The exposure is
 * the same for every pixel of a frame, so where the region as a whole is not blurred along its flow, no pixel is taken
 * as blurred: the steps act in full where this ratio is at most `REGION_BLUR_RATIO_LOW` and not at all from
 * `REGION_BLUR_RATIO_HIGH`. Whole frames scored 0.34-0.51 on the held-out clip's blurred frames, 1.04-1.18 on its
 * sharp frames, 0.90-1.52 on the hand pan and 0.74-1.24 on the FPHA sample's sharp hands (session 20).
 */
export const REGION_BLUR_RATIO_LOW = 0.85;
export const REGION_BLUR_RATIO_HIGH = 1.0;
/**
 * The lag test ({@link lagEvidence}), the blur test's second cue: a box blur of length L along a direction d makes the
 * input's derivative along d the difference of the sharp content L apart, D(x) = (S(x + L/2 d) - S(x - L/2 d)) / L,
 * so D(x) and D(x + L d) share S(x + L/2 d) with opposite signs and correlate at about -1/2 whatever the content;
 * sharp content shows no such correlation at the flow's lag, smooth content a positive one (periodic content any: a
 * wave of frequency w correlates at cos(w L), so periodic texture stays the across test's). Where the correlation over
 * a box of radius {@link BLUR_TEST_RADIUS} is at most `LAG_CORRELATION_BLURRED` the input counts as blurred along its
 * flow, from `LAG_CORRELATION_SHARP` on it does not. The across test misses blur across long thin structure (grass
 * stems at right angles to a camera pan: blurred, each stem is a band the across re-blur does not change, so the frame
 * scored 1.07-1.09, as sharp frames do), which this test finds: in session 22's probe
 * (training/results/deconvolve/probes/lag_corr.mjs) 59-70% of such a frame's moving pixels correlate at -0.3 or less,
 * and at most 2% of any committed sharp sequence's, none at -0.4. -0.25 and -0.4 restored 0.03-0.04 dB more on the
 * validation sets and kept the held-out clip's sharp frames at 56.5 dB instead of 57.8 (docs/deblur-model.md, session
 * 22). Flows shorter than {@link BLUR_TEST_MIN_PX} are left to the across test.
 */
export const LAG_CORRELATION_SHARP = -0.3;
export const LAG_CORRELATION_BLURRED = -0.45;
/**
 * The lag test's veto across the flow: the same correlation with the flow turned by 90 degrees. A motion blur smears
 * along the flow only, so across it the content correlates at about 0; content that correlates at the lag across the
 * flow too is not blurred along it (an image upscaled by linear interpolation as many times as it moves pixels per
 * frame, such as the deblur benchmark's value noise in 4 px cells panning 4 px per frame). The lag test's verdict is
 * kept in full where the correlation across is at least `LAG_ACROSS_FREE` and dropped where it is at most
 * `LAG_ACROSS_CORRELATED`. Set once from session 22's probe, not swept: on the benchmark's frames only 4 of the
 * 46-48% of moving pixels the lag test passes correlate at -0.15 or more across, on the validation sets' blurred
 * frames most (Dune 46-48 of 59-62). It brought the benchmark's sharp frames from 42.0-42.2 dB back to 46.1-46.9 (the
 * default 48.5-50.3) and cost val 0.05 dB and lines 0.02, within their noise (docs/deblur-model.md, session 22).
 */
export const LAG_ACROSS_FREE = -0.15;
export const LAG_ACROSS_CORRELATED = -0.3;
/**
 * The stillness test ({@link motionEvidence}): the steps act in full where the neighbouring frames differ from the
 * centre frame without the flow at least as much as along it (the ratio of the two at least `STILL_RATIO_HIGH`), and
 * not at all where they differ half as much or less (`STILL_RATIO_LOW`): there staying explains the neighbours better
 * than the flow does. Set once from that reading, not swept; measured on the validation sets and the guards
 * (docs/deblur-model.md, session 21).
 */
export const STILL_RATIO_LOW = 0.5;
export const STILL_RATIO_HIGH = 1.0;
/** Radius in pixels of the box the stillness test averages over (the width of the flow DIS spreads past an edge). */
export const STILL_TEST_RADIUS = 8;
/** Radius in pixels of the box the blur test averages over. */
export const BLUR_TEST_RADIUS = 16;
/**
 * The blur test measures every `BLUR_TEST_STRIDE`-th pixel of every `BLUR_TEST_STRIDE`-th row (its grid) and
 * averages those over each pixel's box: its verdicts are ratios of sums over a box of radius
 * {@link BLUR_TEST_RADIUS}, which a quarter of the box's pixels estimate as well. Session 23: val +3.483 dB against
 * +3.484 on every pixel, lines +1.932 against +1.935, the sharp-input guards within 0.23 dB, and the test 90-128 ms
 * of a 640x480 frame against 164-176 (docs/deblur-model.md).
 */
export const BLUR_TEST_STRIDE = 2;
/** The share of a box's pixels on the blur test's grid: its sums, and the floors they are held to, scale by it. */
const GRID_SHARE = 1 / (BLUR_TEST_STRIDE * BLUR_TEST_STRIDE);

/**
 * The tests' per-pixel loops in WebAssembly (src/deblur/assembly/evidence.ts), in 64-bit floats in the order the
 * JavaScript before them used: the same verdicts to the bit, in about a third of the time (docs/deblur-model.md,
 * session 29). Every pointer is a byte offset in the memory the kernel is made for (a {@link KernelArena}'s).
 */
interface EvidenceKernel {
  binomial3(src: number, rows: number, dst: number, w: number, h: number): void;
  grey(rgb: number, grey: number, n: number, kr: number, kg: number, kb: number): void;
  lagSums(grey: number, w: number, h: number, flow: number, fw: number, plane: number, bx: number, stride: number, minPx: number, sums: number): void;
  lagVerdict(sums: number, w: number, h: number, r: number, sat: number, out: number, floor: number, blurred: number, sharp: number, free: number, correlated: number): void;
  acrossFlows(flow: number, fw: number, plane: number, bx: number, w: number, h: number, scaled: number, turned: number, share: number, scale: number, minPx: number): void;
  changeOnGrid(changed: number, b: number, grid: number, n: number, out: number): number;
  acrossVerdict(along: number, across: number, share: number, w: number, h: number, r: number, sat: number, out: number, floor: number, region: number, shift: number, scale: number, low: number, high: number): void;
  fitVerdict(before: number, after: number, w: number, h: number, r: number, sat: number, out: number, floor: number, low: number, high: number): void;
  blend(result: number, start: number, weight: number, fit: number, n: number): void;
  stillSums(centre: number, neighbour: number, fw: number, fh: number, flow: number, plane: number, bx: number, by: number, w: number, h: number, still: number, along: number, add: number): void;
  stillVerdict(still: number, along: number, w: number, h: number, r: number, sat: number, out: number, e: number, low: number, high: number): void;
}

const evidenceKernel = wasmKernel<EvidenceKernel>(EVIDENCE_WASM_BASE64);

/** Room for a summed-area table over a w x h region (the box means'), in `arena`: its byte offset. */
function satSpace(arena: KernelArena, w: number, h: number): number {
  return arena.space(8 * (w + 1) * (h + 1));
}

/** The blur test's grid over a w x h region: 1 on its pixels, 0 elsewhere. */
function testGrid(w: number, h: number): Uint8Array {
  const grid = new Uint8Array(w * h);
  for (let y = 0; y < h; y += BLUR_TEST_STRIDE) for (let x = 0; x < w; x += BLUR_TEST_STRIDE) grid[y * w + x] = 1;
  return grid;
}
/**
 * How far around the pixels that keep the steps they run, in half-segments of the longest flow among those pixels
 * ({@link deconvolveRegion}): one step's re-blur and its adjoint reach two, and a wider margin lets what happens at its
 * edge reach a kept pixel only after several steps.
 */
export const STEPS_REACH = 4;
/** Floor of the re-blurred estimate in the ratio B / A(I) (linear light, 0..1). */
const RATIO_FLOOR = 1e-4;

/** The longer of a pixel's two flows (F+ and F-), in pixels; `s` is the pixel's index in the flow input's planes. */
function longestFlowPx(flow: FlowInput, s: number): number {
  const plane = flow.width * flow.height;
  const d = flow.data;
  return Math.max(flowLength(d[s]!, d[plane + s]!), flowLength(d[2 * plane + s]!, d[3 * plane + s]!));
}

/**
 * `iterations` Richardson-Lucy steps on `blurred` (a region in linear light) along `flow` (whole-frame flow input;
 * `box` is where the region lies in it), from `start` (default: the blurred region), on the pixels of `active`
 * (default: all). Returns a new region.
 */
export function deconvolveAlongFlow(blurred: LinearRgb, flow: FlowInput, box: Box, iterations: number, start?: LinearRgb, active?: Uint8Array): LinearRgb {
  const steps = stepBuffers(blurred, flow, box, start, active);
  try {
    runSteps(steps, iterations);
    return { width: steps.buffers.w, height: steps.buffers.h, data: steps.buffers.estimate.slice() };
  } finally {
    steps.arena.release();
  }
}

/** The steps on {@link stepBuffers}' buffers: `iterations` of them, the estimate left in `buffers.estimate`. */
function runSteps({ buffers: t, momentum, rows }: ReturnType<typeof stepBuffers>, iterations: number): void {
  const [top, bottom] = rows;
  for (let it = 0; it < iterations; it++) {
    ratioRows(t, t.estimate, t.blurred, t.ratio, RATIO_FLOOR, top, bottom);
    correctRows(t, t.ratio, t.estimate, top, bottom);
    if (it < iterations - 1) momentum.extrapolate(t.estimate);
  }
}

/**
 * deconvolveRegion's steps, fit test and blend in one arena: the steps from `start` on the pixels of `active`, then
 * where the result does not explain `blurred` under the blur model ({@link stepsFit}, on the steps' own flow lines)
 * their change is dropped, and elsewhere kept as `weight` says: start + weight x fit x (result - start). Returns the
 * blended region.
 */
function stepsFitted(blurred: LinearRgb, flow: FlowInput, box: Box, iterations: number, start: LinearRgb, active: Uint8Array | undefined, weight: Float32Array): LinearRgb {
  const steps = stepBuffers(blurred, flow, box, start, active);
  const { arena, buffers: t } = steps;
  try {
    runSteps(steps, iterations);
    const { w, h } = t;
    const n = w * h;
    const fit = fitIn(arena, t.lines, t.blurred, t.estimate, w, h);
    const k = evidenceKernel(arena.memory);
    k.blend(t.estimate.byteOffset, arena.floats(3 * n, start.data).byteOffset, arena.floats(n, weight).byteOffset, fit.byteOffset, n);
    return { width: w, height: h, data: t.estimate.slice() };
  } finally {
    arena.release();
  }
}

/**
 * The largest step {@link Momentum} takes along the last change, as a share of that change. 1, Biggs and Andrews'
 * bound; 0.8 with 12 steps scored no better on the lines validation set than 1 with 10 (session 23: +1.903 against
 * +1.935 dB).
 */
export const DECONVOLVE_MAX_MOMENTUM = 1;

/**
 * Biggs and Andrews' acceleration of Richardson-Lucy (Appl. Opt. 36(8), 1997), which every step here takes: each step
 * starts from the last estimate pushed further along the last change, y = x_k + a (x_k - x_{k-1}), clamped to 0..1,
 * where a = sum(g_k g_{k-1}) / sum(g_{k-1}^2), within 0..{@link DECONVOLVE_MAX_MOMENTUM}, measures how alike the last
 * two steps' own changes g (what a step made of its start) were: steady progress in one direction is taken further, a
 * change of course is not. The first two steps are plain. Accelerated, 10 steps restored more on the first validation
 * set than 20 plain ones (+3.484 against +3.279 dB) and as much on the lines set (+1.935 against +1.994, within its
 * noise), at half the steps' cost (docs/deblur-model.md, session 23). The sums run over the whole region, in the
 * kernel (steps-kernel.ts) on the calling thread, so the workers' result is the calling thread's to the bit.
 */
class Momentum {
  private readonly memory: WebAssembly.Memory;
  private readonly previous: Float32Array;
  private readonly start: Float32Array;
  /** The last step's change and the one before it, which the next step's change overwrites. */
  private changes: [Float32Array, Float32Array];
  private steps = 0;

  /** In `arena`, for the steps on `estimate` (a buffer of the same arena). */
  constructor(arena: KernelArena, estimate: Float32Array) {
    const n = estimate.length;
    this.memory = arena.memory;
    this.previous = arena.floats(n, estimate);
    this.start = arena.floats(n, estimate);
    this.changes = [arena.floats(n), arena.floats(n)];
  }

  /** After a step that took `estimate` from the last start to x_k: sets `estimate` to the next step's start y. */
  extrapolate(estimate: Float32Array): void {
    const [last, change] = this.changes;
    extrapolate(this.memory, estimate, this.previous, this.start, change, this.steps > 0 ? last : undefined, DECONVOLVE_MAX_MOMENTUM);
    this.changes = [change, last];
    this.steps++;
  }
}

/** What a Richardson-Lucy step reads and writes: all in one {@link KernelArena}. */
interface StepBuffers extends WalkBuffers {
  readonly w: number;
  readonly h: number;
  readonly blurred: Float32Array;
  readonly estimate: Float32Array;
  readonly ratio: Float32Array;
  /**
   * Where the steps run (1) and where the estimate stays as it started (0), per pixel; every pixel when absent. Outside
   * it the ratio B / A(I) is taken as 1: the frozen estimate is taken to agree with the blurred frame there.
   */
  readonly active?: Uint8Array;
}

/**
 * The buffers of the steps on `blurred` from `start` (default: `blurred`), their {@link Momentum}, in an arena taken
 * for them (released once the result is copied out), and the rows the steps run on (those with an active pixel).
 */
function stepBuffers(blurred: LinearRgb, flow: FlowInput, box: Box, start: LinearRgb | undefined, active?: Uint8Array): { arena: KernelArena; buffers: StepBuffers; momentum: Momentum; rows: [number, number] } {
  const n = blurred.data.length;
  const { width: w, height: h } = blurred;
  const pixels = w * h;
  if (active && active.length !== pixels) throw new RangeError(`deconvolve: the active mask has ${active.length} pixels but the region ${pixels}`);
  // Three RGB buffers of the steps and four of the momentum; the flow lines (4 floats and a byte a pixel); the mask.
  const arena = KernelArena.take(KernelArena.size(n, 7) + KernelArena.size(pixels, 4, 2));
  const ratio = arena.floats(n);
  if (active) ratio.fill(1);
  const buffers: StepBuffers = {
    memory: arena.memory,
    w,
    h,
    lines: flowLines(arena, flow, box),
    blurred: arena.floats(n, blurred.data),
    estimate: arena.floats(n, (start ?? blurred).data),
    ratio,
    ...(active ? { active: arena.bytes(active.length, active) } : {}),
  };
  // Rows with no active pixel keep their estimate and a ratio of 1 whatever the walks do: they are not walked.
  return { arena, buffers, momentum: new Momentum(arena, buffers.estimate), rows: activeRows(active, w, h) };
}

/** The rows of a w x h region with a pixel of `active` (every row without a mask): from `[0]` to before `[1]`. */
function activeRows(active: Uint8Array | undefined, w: number, h: number): [number, number] {
  let top = 0;
  let bottom = h;
  if (active) {
    const rowActive = (y: number) => active.subarray(y * w, (y + 1) * w).includes(1);
    while (top < h && !rowActive(top)) top++;
    while (bottom > top && !rowActive(bottom - 1)) bottom--;
  }
  return [top, bottom];
}

/**
 * A frame's deconvolution, as deblur() hands it over once the network has restored the frame: what a worker receives
 * (deconvolve-worker.ts), plain data.
 */
export interface DeconvolveJob {
  /** The blurred centre frame: the steps' data term. */
  readonly input: Frame;
  /** The restored samples, laid out like `input.data`: the steps start from them and write into them. */
  readonly out: Frame['data'];
  /** The regions to deconvolve, disjoint (the frame's restored regions). */
  readonly regions: readonly Box[];
  /** The centre frame's whole-frame flow input. */
  readonly flow: FlowInput;
  readonly iterations: number;
  /** The centre frame's neighbours, for the stillness test ({@link motionEvidence}). */
  readonly neighbours?: Neighbours | undefined;
}

/** Runs a {@link DeconvolveJob} on the calling thread: {@link deconvolveRegion} on each region; returns `job.out`. */
export function deconvolveFrame(job: DeconvolveJob): Frame['data'] {
  for (const box of job.regions) deconvolveRegion(job.input, job.out, box, job.flow, job.iterations, { neighbours: job.neighbours });
  return job.out;
}

/** The compiled worker the jobs run in (dist/src/deblur/deconvolve-worker.js beside this module). */
export function deconvolveWorkerPath(): string {
  return fileURLToPath(new URL('./deconvolve-worker.js', import.meta.url));
}

/**
 * Runs deblur()'s {@link DeconvolveJob}s, one frame per worker thread, so a frame's tests and steps run beside the next
 * frame's network instead of after it (onnxruntime-node's `run` holds the calling thread). deblur() gives it the
 * model's step threads (onnx-session.ts, `stepThreadsFor`: one beside two network threads). Each job runs on one thread,
 * the same arithmetic as on the calling thread, so the same samples to the bit. Without workers, or where the compiled
 * worker is missing (running from the TypeScript sources), the jobs run on the calling thread when they are handed over.
 */
export class Deconvolver {
  private readonly pool: WorkerPool | undefined;
  /** The jobs in the workers, as promises that settle (never reject) when each is done. */
  private readonly inFlight = new Set<Promise<void>>();

  /** `workers` threads running `worker` (default: the compiled {@link deconvolveWorkerPath}); 0: the calling thread. */
  constructor(
    private readonly workers: number,
    worker = deconvolveWorkerPath(),
  ) {
    this.pool = workers >= 1 && existsSync(worker) ? createWorkerPool(pathToFileURL(worker).href, workers) : undefined;
  }

  /** Whether the jobs run in worker threads. */
  get inWorkers(): boolean {
    return this.pool !== undefined;
  }

  /** Resolves once a worker is free for the next job (at once on the calling thread): the caller's backpressure. */
  async ready(): Promise<void> {
    while (this.pool && this.inFlight.size >= this.workers) await Promise.race(this.inFlight);
  }

  /**
   * The job's restored samples: `job.out` deconvolved in place on the calling thread (then `job.out` itself), or a new
   * array from a worker, which receives copies of the samples, the frames and the flow (the caller's stay as they were).
   */
  run(job: DeconvolveJob): Promise<Frame['data']> {
    if (!this.pool) {
      try {
        return Promise.resolve(deconvolveFrame(job));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const transfer: ArrayBuffer[] = [];
    const own = <T extends Frame['data'] | Float32Array>(data: T): T => {
      // A copy of exactly the samples (a view may sit on a larger buffer, which a clone would copy whole), moved over.
      const copy = data.slice() as T;
      transfer.push(copy.buffer as ArrayBuffer);
      return copy;
    };
    const frame = (f: Frame): Frame => ({ ...plainFrame(f), data: own(f.data) }) as Frame;
    const { previous, next } = job.neighbours ?? {};
    const plain: DeconvolveJob = {
      input: frame(job.input),
      out: own(job.out),
      regions: job.regions.map((b) => ({ x: b.x, y: b.y, width: b.width, height: b.height })),
      flow: { width: job.flow.width, height: job.flow.height, data: own(job.flow.data) },
      iterations: job.iterations,
      // A neighbour that is the centre frame repeated (the sequence's ends) is left out: the stillness test skips it.
      neighbours: {
        ...(previous && previous.index !== job.input.index ? { previous: frame(previous) } : {}),
        ...(next && next.index !== job.input.index ? { next: frame(next) } : {}),
      },
    };
    const result = this.pool.run<DeconvolveJob, Frame['data']>(plain, transfer);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
    return result;
  }

  /** Stops the workers; jobs still running reject. */
  async close(): Promise<void> {
    await this.pool?.close();
  }
}

/** A frame's fields without its samples (the samples are copied apart). */
function plainFrame(f: Frame): Omit<Frame, 'data'> {
  return { ...frameTiming(f), sampleType: f.sampleType, ...(f.sampleType === 'float32' ? { light: f.light } : {}) } as Omit<Frame, 'data'>;
}

/**
 * Per pixel of `box`, how far its two flows agree with a constant velocity: 1 where |F+ + F-| is at most
 * {@link DECONVOLVE_CONSISTENCY_PX} + 10% of the mean of |F+| and |F-|, 0 from twice that, linear between.
 */
export function flowConsistency(flow: FlowInput, box: Box): Float32Array {
  const plane = flow.width * flow.height;
  const d = flow.data;
  const out = new Float32Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    for (let x = 0; x < box.width; x++) {
      const s = (box.y + y) * flow.width + box.x + x;
      const fu = d[s]!;
      const fv = d[plane + s]!;
      const bu = d[2 * plane + s]!;
      const bv = d[3 * plane + s]!;
      const t = DECONVOLVE_CONSISTENCY_PX + DECONVOLVE_CONSISTENCY_SHARE * 0.5 * (flowLength(fu, fv) + flowLength(bu, bv));
      const e = flowLength(fu + bu, fv + bv);
      out[y * box.width + x] = e <= t ? 1 : e >= 2 * t ? 0 : (2 * t - e) / t;
    }
  }
  return out;
}

/**
 * Per pixel of the region, how surely the input is blurred along its flow, 0..1: the larger of the two tests' verdicts,
 * the across test's ({@link acrossEvidence}) and the lag test's ({@link lagEvidence}), on the input after a 3x3
 * binomial filter (noise changes the input as much along the flow as across it, and does not correlate at a lag).
 */
export function blurEvidence(blurred: LinearRgb, flow: FlowInput, box: Box): Float32Array {
  return blurCues(blurred, flow, box).evidence;
}

/** The blur test's two cues per pixel, and {@link blurEvidence}, the larger of them. */
interface BlurCues {
  readonly across: Float32Array;
  readonly lag: Float32Array;
  readonly evidence: Float32Array;
}

function blurCues(blurred: LinearRgb, flow: FlowInput, box: Box): BlurCues {
  return withQuiet(blurred, flow, box, (arena, quiet, rows) => {
    const across = acrossTest(arena, quiet, rows, flow.width, box);
    const lag = lagTest(arena, quiet, rows, flow.width, box);
    const evidence = new Float32Array(across.length);
    for (let i = 0; i < evidence.length; i++) evidence[i] = lag[i]! > across[i]! ? lag[i]! : across[i]!;
    return { across, lag, evidence };
  });
}

/**
 * Runs `test` in an arena holding the region after the 3x3 binomial filter ([1 2 1]' [1 2 1] / 16, the border
 * replicated: noise changes the input as much along the flow as across it, and does not correlate at a lag) and the
 * rows of `flow` that `box` covers.
 */
function withQuiet<T>(blurred: LinearRgb, flow: FlowInput, box: Box, test: (arena: KernelArena, quiet: Float32Array, rows: FlowRows) => T): T {
  const { width: w, height: h } = blurred;
  const n = w * h;
  // The input, the filter's rows and its output; the flow's rows; the across test's flows (9 planes), re-blurs (two
  // RGB), lines (two of 17 bytes a pixel) and grid; the lag test's grey, six 64-bit planes and table; the verdicts.
  const arena = KernelArena.take(KernelArena.size(3 * n, 5) + KernelArena.size(flow.width * h, 4) + KernelArena.size(n, 12, 35) + 8 * (8 * n + 2 * (w + 1) * (h + 1)));
  try {
    const src = arena.floats(3 * n, blurred.data);
    const rows = arena.floatsUnset(3 * n);
    const quiet = arena.floatsUnset(3 * n);
    evidenceKernel(arena.memory).binomial3(src.byteOffset, rows.byteOffset, quiet.byteOffset, w, h);
    return test(arena, quiet, flowRows(arena, flow, box));
  } finally {
    arena.release();
  }
}

/**
 * Sharp content under motion: where the across test finds no blur anywhere in a region, the lag test's evidence
 * averages below this share of its pixels, and something in it moves at least {@link BLUR_TEST_MIN_PX} per frame,
 * the region keeps its input, the network's output included: the network takes fast motion for blur and changes sharp
 * frames of a camera pan to 31-33 dB (the yardstick's `--input sharp`, where a frame returned unchanged counts as 100
 * dB). Session 24 on the validation sets: val +3.483 dB as without it, its sharp frames kept at 86.5 dB on average
 * against 45.1; lines +1.912 against +1.933 (local/scene_00003 -0.24, a small blurred foreground over a still view),
 * its sharp frames 64.1 against 47.2 (docs/deblur-model.md). Sharp content the across test takes for blurred (a disc
 * over grass) is not caught: the lowest sequences stay at 33.2 and 24.5 dB.
 */
export const SHARP_MOTION_LAG_SHARE = 0.1;

/** Whether a region is sharp content under motion ({@link SHARP_MOTION_LAG_SHARE}). */
function sharpUnderMotion(cues: BlurCues, flow: FlowInput, box: Box): boolean {
  if (cues.across.some((e) => e > 0)) return false;
  let lag = 0;
  for (const v of cues.lag) lag += v;
  if (!(lag < SHARP_MOTION_LAG_SHARE * cues.lag.length)) return false;
  for (let y = 0; y < box.height; y++) {
    for (let x = 0; x < box.width; x++) if (longestFlowPx(flow, (box.y + y) * flow.width + box.x + x) >= BLUR_TEST_MIN_PX) return true;
  }
  return false;
}

/** The across test's verdict alone (see {@link blurEvidence}), on the unfiltered region. */
export function acrossEvidence(blurred: LinearRgb, flow: FlowInput, box: Box): Float32Array {
  return withQuiet(blurred, flow, box, (arena, quiet, rows) => acrossTest(arena, quiet, rows, flow.width, box));
}

/** The lag test's verdict alone (see {@link blurEvidence}), on the unfiltered region. */
export function lagEvidence(blurred: LinearRgb, flow: FlowInput, box: Box): Float32Array {
  return withQuiet(blurred, flow, box, (arena, quiet, rows) => lagTest(arena, quiet, rows, flow.width, box));
}

/**
 * The across test, on `quiet` (the region after the 3x3 binomial filter): per pixel, 0..1, the change re-blurring the
 * input along {@link BLUR_TEST_SCALE} of its flow (at least {@link BLUR_TEST_MIN_PX}) makes (|A(B) - B|, summed over
 * the channels and averaged over a box of radius {@link BLUR_TEST_RADIUS}) against the
 * change re-blurring it as far across the flow makes (the flow turned by 90 degrees). Content smeared along the flow
 * barely changes when smeared a little further along it; sharp content changes about as much either way. The same
 * ratio over the whole region scales every pixel's evidence ({@link REGION_BLUR_RATIO_LOW}): a sharp region has no
 * blurred pixel. In a region surely blurred as a whole, the ramp moves up where the floor lengthens the re-blur
 * ({@link BLUR_RATIO_SHIFT}): short blurs. Where nothing moves both changes are 0 and the evidence is 0 (the steps leave such pixels alone
 * anyway).
 */
function acrossTest(arena: KernelArena, quiet: Float32Array, rows: FlowRows, fw: number, box: Box): Float32Array {
  const { width: w, height: h } = box;
  const n = w * h;
  const k = evidenceKernel(arena.memory);
  // The short flows along and across, for the region's pixels only (laid out as a flow input of the region's size),
  // and the re-blur's share of each pixel's flow: where the floor makes it longer than BLUR_TEST_SCALE, blurred content
  // changes more along it, and the ramp moves up with it (BLUR_RATIO_SHIFT).
  const scaled = arena.floatsUnset(4 * n);
  const turned = arena.floatsUnset(4 * n);
  const share = arena.floatsUnset(n);
  k.acrossFlows(rows.offset, fw, rows.plane, box.x, w, h, scaled.byteOffset, turned.byteOffset, share.byteOffset, BLUR_TEST_SCALE, BLUR_TEST_MIN_PX);
  // The re-blurs and their changes on the test's grid only (BLUR_TEST_STRIDE): the verdicts are ratios of box sums.
  const grid = arena.bytes(n, testGrid(w, h));
  const along = arena.floatsUnset(3 * n);
  const across = arena.floatsUnset(3 * n);
  walkRows({ memory: arena.memory, lines: flowLinesOf(arena, scaled, w, h), active: grid }, quiet, along, 1, 0, h);
  walkRows({ memory: arena.memory, lines: flowLinesOf(arena, turned, w, h), active: grid }, quiet, across, 1, 0, h);
  const dAlong = arena.doublesUnset(n);
  const dAcross = arena.doublesUnset(n);
  const sa = k.changeOnGrid(along.byteOffset, quiet.byteOffset, grid.byteOffset, n, dAlong.byteOffset);
  const sc = k.changeOnGrid(across.byteOffset, quiet.byteOffset, grid.byteOffset, n, dAcross.byteOffset);
  const ratio = sc > 0 ? sa / sc : Infinity;
  const region = ratio <= REGION_BLUR_RATIO_LOW ? 1 : ratio >= REGION_BLUR_RATIO_HIGH ? 0 : (REGION_BLUR_RATIO_HIGH - ratio) / (REGION_BLUR_RATIO_HIGH - REGION_BLUR_RATIO_LOW);
  if (region === 0) return new Float32Array(n);
  // How surely the region as a whole is blurred: only then does the ramp move up where the re-blur is long.
  const sure = ratio <= REGION_SURE_RATIO_LOW ? 1 : ratio >= REGION_SURE_RATIO_HIGH ? 0 : (REGION_SURE_RATIO_HIGH - ratio) / (REGION_SURE_RATIO_HIGH - REGION_SURE_RATIO_LOW);
  const shift = (sure * BLUR_RATIO_SHIFT) / (1 - BLUR_TEST_SCALE);
  const out = arena.floatsUnset(n);
  k.acrossVerdict(dAlong.byteOffset, dAcross.byteOffset, share.byteOffset, w, h, BLUR_TEST_RADIUS, satSpace(arena, w, h), out.byteOffset, 1e-7 * GRID_SHARE, region, shift, BLUR_TEST_SCALE, BLUR_RATIO_LOW, BLUR_RATIO_HIGH);
  return out.slice();
}

/**
 * The lag test ({@link LAG_CORRELATION_BLURRED}), on `quiet` (the region after the 3x3 binomial filter): per pixel,
 * 0..1, the correlation of the grey input's derivative along each flow (F+ and F-, where at least
 * {@link BLUR_TEST_MIN_PX} long) at the pixel and at the pixel the flow carries it to, over a box of radius
 * {@link BLUR_TEST_RADIUS}, vetoed where the same correlation across the flow is low too ({@link LAG_ACROSS_FREE}).
 * Each pixel's verdict is its own: no region verdict scales it.
 */
function lagTest(arena: KernelArena, quiet: Float32Array, rows: FlowRows, fw: number, box: Box): Float32Array {
  const { width: w, height: h } = box;
  const n = w * h;
  const k = evidenceKernel(arena.memory);
  const grey = arena.floatsUnset(n);
  k.grey(quiet.byteOffset, grey.byteOffset, n, ...BT601);
  // Per pixel, along the flow and across it (the flow turned by 90 degrees): D(x) D(x + F), D(x)^2 and D(x + F)^2,
  // summed over the two flows; then their box means and the verdict.
  const sums = arena.doublesUnset(6 * n);
  k.lagSums(grey.byteOffset, w, h, rows.offset, fw, rows.plane, box.x, BLUR_TEST_STRIDE, BLUR_TEST_MIN_PX, sums.byteOffset);
  const out = arena.floatsUnset(n);
  k.lagVerdict(sums.byteOffset, w, h, BLUR_TEST_RADIUS, satSpace(arena, w, h), out.byteOffset, 1e-12 * GRID_SHARE, LAG_CORRELATION_BLURRED, LAG_CORRELATION_SHARP, LAG_ACROSS_FREE, LAG_ACROSS_CORRELATED);
  return out.slice();
}

/**
 * The fit test ({@link stepsFit}): where the steps' result, re-blurred along the flow, still differs from the input by
 * at least `FIT_RATIO_HIGH` times as much as the input re-blurred along it does, the blur model does not explain the
 * input and the steps are dropped there; where by at most `FIT_RATIO_LOW`, they are kept in full. Richardson-Lucy fits
 * blurred content closely, but no estimate within 0..1 re-blurs into a crisp edge along the flow, so sharp content
 * that the blur test takes for blurred (texture aligned with the motion: the lines set's disc of grass stems moving
 * along them) keeps a large residual. In session 25's probe (10 steps from the input) the moving pixels of such sharp
 * frames scored medians of 0.62-0.80, those of blurred frames 0.20-0.42. Chosen on the validation sets among the ramps
 * 0.4-0.6, 0.45-0.65, 0.5-0.7 and 0.55-0.8: every one restored as much as before or more (val +3.50 to +3.54 dB
 * against +3.48, lines +2.15 to +2.19 against +1.91: the steps' misfits were costing blurred frames too), and the
 * sharp frames' lowest sequence rose from 33.2 and 24.5 dB to 53.1 and 40.2 here (docs/deblur-model.md, session 25).
 * Session 30 lowered it from 0.45-0.65 to 0.4-0.6 with the wider consistency check ({@link DECONVOLVE_CONSISTENCY_PX}):
 * that check alone let the steps onto more of the lines set's sharp leaf veins panning along their length (its
 * lowest sharp sequence 40.06 -> 39.51 dB) and more occlusion edges (its local sequences -0.04 dB); the lower ramp
 * keeps the first at 40.06 dB and most of the second.
 */
export const FIT_RATIO_LOW = 0.4;
export const FIT_RATIO_HIGH = 0.6;

/**
 * Per pixel of the region, 0..1, how well the steps' `result` explains `blurred` under the blur model, against how
 * well `blurred` explains itself ({@link FIT_RATIO_LOW}): |A(result) - B| and |A(B) - B| summed over the channels on
 * the blur test's grid and averaged over a box of radius {@link BLUR_TEST_RADIUS}. 1 where neither changes (flat or
 * still content: the steps barely act there).
 */
export function stepsFit(blurred: LinearRgb, result: LinearRgb, flow: FlowInput, box: Box): Float32Array {
  const { width: w, height: h } = blurred;
  const n = w * h;
  const arena = KernelArena.take(KernelArena.size(3 * n, 4) + KernelArena.size(n, 5, 2) + KernelArena.size(flow.width * h, 4) + 8 * (2 * n + (w + 1) * (h + 1)));
  try {
    return fitIn(arena, flowLines(arena, flow, box), arena.floats(3 * n, blurred.data), arena.floats(3 * n, result.data), w, h).slice();
  } finally {
    arena.release();
  }
}

/** {@link stepsFit} on buffers of `arena` (`b` the blurred region, `r` the result, `lines` their flow lines): a view of `arena`. */
function fitIn(arena: KernelArena, lines: FlowLines, b: Float32Array, r: Float32Array, w: number, h: number): Float32Array {
  const n = w * h;
  const k = evidenceKernel(arena.memory);
  const walk = { memory: arena.memory, lines, active: arena.bytes(n, testGrid(w, h)) };
  const reblurredInput = arena.floatsUnset(3 * n);
  const reblurredResult = arena.floatsUnset(3 * n);
  walkRows(walk, b, reblurredInput, 1, 0, h);
  walkRows(walk, r, reblurredResult, 1, 0, h);
  const before = arena.doublesUnset(n);
  const after = arena.doublesUnset(n);
  k.changeOnGrid(reblurredInput.byteOffset, b.byteOffset, walk.active.byteOffset, n, before.byteOffset);
  k.changeOnGrid(reblurredResult.byteOffset, b.byteOffset, walk.active.byteOffset, n, after.byteOffset);
  const out = arena.floatsUnset(n);
  k.fitVerdict(before.byteOffset, after.byteOffset, w, h, BLUR_TEST_RADIUS, satSpace(arena, w, h), out.byteOffset, 1e-7 * GRID_SHARE, FIT_RATIO_LOW, FIT_RATIO_HIGH);
  return out;
}

/**
 * Where the steps must run for the pixels that keep them (`weight` > 0): those pixels and every pixel within
 * {@link STEPS_REACH} times the longest half-segment of theirs (a square around each), the reach of a step's re-blur and
 * its adjoint together: the mask (undefined where that is the whole region) and how many pixels it holds. Beyond it
 * the estimate stays as it started: a pixel there would change a kept pixel only through two steps or more, and its
 * own change is faded out anyway.
 */
function stepsReach(weight: Float32Array, flow: FlowInput, box: Box): { mask: Uint8Array | undefined; count: number } {
  const { width: w, height: h } = box;
  let half = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!(weight[y * w + x]! > 0)) continue;
      const s = (box.y + y) * flow.width + box.x + x;
      half = Math.max(half, Math.min(longestFlowPx(flow, s), DECONVOLVE_MAX_FLOW_PX) / 2);
    }
  }
  const r = Math.ceil(STEPS_REACH * half) + 2;
  // A square dilation of the kept pixels: along the rows, then along the columns.
  const rows = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    let last = -Infinity;
    for (let x = 0; x < w; x++) {
      if (weight[y * w + x]! > 0) last = x;
      if (x - last <= r) rows[y * w + x] = 1;
    }
    last = Infinity;
    for (let x = w - 1; x >= 0; x--) {
      if (weight[y * w + x]! > 0) last = x;
      if (last - x <= r) rows[y * w + x] = 1;
    }
  }
  const active = new Uint8Array(w * h);
  let count = 0;
  for (let x = 0; x < w; x++) {
    let last = -Infinity;
    for (let y = 0; y < h; y++) {
      if (rows[y * w + x] === 1) last = y;
      if (y - last <= r) active[y * w + x] = 1;
    }
    last = Infinity;
    for (let y = h - 1; y >= 0; y--) {
      if (rows[y * w + x] === 1) last = y;
      if (last - y <= r) active[y * w + x] = 1;
      count += active[y * w + x]!;
    }
  }
  return { mask: count === w * h ? undefined : active, count };
}

/** The centre frame's neighbours, for the stillness test; either may be missing (the sequence's ends, a gap). */
export interface Neighbours {
  readonly previous?: Frame | undefined;
  readonly next?: Frame | undefined;
}

/**
 * Per pixel of `box`, how surely its content moves as its flow says, 0..1: the neighbouring frames against the
 * centre frame where the flow carries each pixel (|N(x + F(x)) - C(x)|, F+ into the next frame, F- into the previous)
 * and where it stays (|N(x) - C(x)|), each averaged over a box of radius {@link STILL_TEST_RADIUS}. Where staying
 * explains the neighbours as well as the flow or better, the pixel is still whatever its flow says: DIS at a quarter of
 * the resolution spreads a moving hand's flow over the still background around it, and the steps would smear that
 * sharp background along it. The ratio (still + e) / (along the flow + e), on the frames' grey ({@link toGrey}) with
 * e half a grey level, is 0 on still texture under a wrong flow, large on moving texture under its flow, and about 1
 * on flat content (which the steps barely change). Undefined where neither neighbour is there (a neighbour that is the centre frame repeated does not count).
 */
export function motionEvidence(centre: Frame, neighbours: Neighbours, flow: FlowInput, box: Box): Float32Array | undefined {
  const halves: Array<{ frame: Frame; plane: number }> = [];
  if (neighbours.next && neighbours.next.index !== centre.index) halves.push({ frame: neighbours.next, plane: 0 });
  if (neighbours.previous && neighbours.previous.index !== centre.index) halves.push({ frame: neighbours.previous, plane: 2 });
  if (halves.length === 0) return undefined;
  const { width: w, height: h } = box;
  const n = w * h;
  const fw = centre.width;
  const fh = centre.height;
  const arena = KernelArena.take(KernelArena.size(fw * fh, 2) + KernelArena.size(fw * h, 4) + KernelArena.size(n, 1) + 8 * (2 * n + (w + 1) * (h + 1)));
  try {
    const k = evidenceKernel(arena.memory);
    const c = arena.floats(fw * fh, toGrey(centre).data);
    const rows = flowRows(arena, flow, box);
    const still = arena.doublesUnset(n);
    const along = arena.doublesUnset(n);
    const mark = arena.mark();
    halves.forEach(({ frame, plane: p }, k0) => {
      const g = arena.floats(fw * fh, toGrey(frame).data);
      k.stillSums(c.byteOffset, g.byteOffset, fw, fh, rows.offset + 4 * p * rows.plane, rows.plane, box.x, box.y, w, h, still.byteOffset, along.byteOffset, k0 === 0 ? 0 : 1);
      arena.rewind(mark);
    });
    // Half a grey level (toGrey's 0..255) per neighbour.
    const out = arena.floatsUnset(n);
    k.stillVerdict(still.byteOffset, along.byteOffset, w, h, STILL_TEST_RADIUS, satSpace(arena, w, h), out.byteOffset, 0.5 * halves.length, STILL_RATIO_LOW, STILL_RATIO_HIGH);
    return out.slice();
  } finally {
    arena.release();
  }
}

const luts = new Map<string, Float32Array>();
/** (v / max)^gamma for every integer sample v, made once per sample type and gamma. */
function linearLut(max: number, gamma: number): Float32Array {
  const key = `${max}:${gamma}`;
  let lut = luts.get(key);
  if (!lut) luts.set(key, (lut = Float32Array.from({ length: max + 1 }, (_, v) => Math.pow(v / max, gamma))));
  return lut;
}

/** The linear-light RGB of `box` in interleaved, gamma-encoded samples laid out like `frame`'s data. */
export function linearRgb(frame: Frame, data: Frame['data'], box: Box, gamma = DEFAULT_GAMMA): LinearRgb {
  const max = SAMPLE_MAX[frame.sampleType];
  const lut = frame.sampleType === 'float32' ? undefined : linearLut(max, gamma);
  const { width: w, height: h } = box;
  const out = new Float32Array(3 * w * h);
  const stride = frame.width * 3;
  for (let y = 0; y < h; y++) {
    const row = (box.y + y) * stride + box.x * 3;
    for (let k = 0; k < 3 * w; k++) {
      const v = data[row + k]!;
      out[3 * y * w + k] = lut ? lut[v]! : Math.pow(v < 0 ? 0 : v > 1 ? 1 : v, gamma);
    }
  }
  return { width: w, height: h, data: out };
}

/**
 * Math.round(Math.pow(v, 1 / gamma) * max) for v in 0..1 without a power per sample (8- and 16-bit samples): the code
 * is the number of thresholds ((k - 0.5) / max)^gamma, k = 1..max, at or below v, counted on from a first guess per
 * bin of sqrt(v) (in which the codes are spread nearly evenly); within a relative 1e-9 of a threshold the power
 * decides, so the code is the formula's.
 */
class SampleEncoder {
  private readonly thresholds: Float64Array;
  private readonly guess: Uint16Array;
  private readonly bins: number;

  constructor(
    private readonly max: number,
    private readonly gamma: number,
  ) {
    const t = (this.thresholds = new Float64Array(max + 2));
    t[0] = -Infinity;
    for (let k = 1; k <= max; k++) t[k] = Math.pow((k - 0.5) / max, gamma);
    t[max + 1] = Infinity;
    this.bins = Math.max(4096, 2 * (max + 1));
    this.guess = new Uint16Array(this.bins + 1);
    let k = 0;
    for (let b = 0; b <= this.bins; b++) {
      const v = (b / this.bins) ** 2;
      while (t[k + 1]! <= v) k++;
      this.guess[b] = k;
    }
  }

  encode(v: number): number {
    if (!(v > 0)) return 0;
    if (v >= 1) return this.max;
    const t = this.thresholds;
    let k = this.guess[(Math.sqrt(v) * this.bins) | 0]!;
    while (v >= t[k + 1]!) k++;
    while (v < t[k]!) k--;
    if (v - t[k]! < 1e-9 * v || t[k + 1]! - v < 1e-9 * v) return Math.round(Math.pow(v, 1 / this.gamma) * this.max);
    return k;
  }
}

const encoders = new Map<string, SampleEncoder>();

/** Writes linear-light RGB back into `box` of interleaved gamma-encoded samples (rounded for integer frames). */
export function writeEncoded(frame: Frame, out: Frame['data'], box: Box, rgb: LinearRgb, gamma = DEFAULT_GAMMA): void {
  const max = SAMPLE_MAX[frame.sampleType];
  const integer = frame.sampleType !== 'float32';
  let encoder: SampleEncoder | undefined;
  if (integer) {
    const key = `${max}:${gamma}`;
    if (!(encoder = encoders.get(key))) encoders.set(key, (encoder = new SampleEncoder(max, gamma)));
  }
  const { width: w, height: h } = box;
  const stride = frame.width * 3;
  const inv = 1 / gamma;
  for (let y = 0; y < h; y++) {
    const row = (box.y + y) * stride + box.x * 3;
    for (let k = 0; k < 3 * w; k++) {
      const lin = rgb.data[3 * y * w + k]!;
      if (encoder) {
        out[row + k] = encoder.encode(lin);
        continue;
      }
      const v = Math.pow(lin, inv) * max;
      out[row + k] = integer ? Math.round(v) : v;
    }
  }
}

/** What {@link deconvolveRegion} compares with. */
export interface DeconvolveRegionOptions {
  /** The centre frame's neighbours for the stillness test ({@link motionEvidence}); without, no stillness test. */
  readonly neighbours?: Neighbours | undefined;
}

/** What {@link deconvolveRegion} did with a region. */
export interface DeconvolveReport {
  /**
   * 'steps': the steps ran; 'none': no pixel kept them (nothing moves, or nothing is blurred along its motion), and
   * the region is as it was; 'sharp': sharp content under motion, which got its input back.
   */
  readonly outcome: 'steps' | 'none' | 'sharp';
  /** The pixels the steps ran on (those within their reach of a kept pixel; {@link STEPS_REACH}); 0 without steps. */
  readonly activePixels: number;
  /** The region's rows the steps walked, from `rows[0]` to before `rows[1]`; [0, 0] without steps. */
  readonly rows: readonly [number, number];
}

/**
 * deblur()'s stage: `iterations` Richardson-Lucy steps on `box` of `out` (the restored samples, laid out like
 * `input`'s data), with `input` (the blurred centre frame) as the data term and `flow` (its whole-frame flow input)
 * as the blur's paths, faded out where the flows disagree ({@link flowConsistency}), where the input is not
 * blurred along them ({@link blurEvidence}) and, given the centre frame's neighbours (deblur() passes its window's),
 * where they show the content still ({@link motionEvidence}), and, after the steps, where their result does not explain
 * the input under the blur model ({@link stepsFit}); the steps run only within reach of the pixels that keep them
 * ({@link STEPS_REACH}), so a hand moving over a still background costs steps around the hand only. A region that is
 * sharp content under motion ({@link SHARP_MOTION_LAG_SHARE}) gets its input back instead. In place, on the calling
 * thread (deblur() runs whole frames in workers: {@link Deconvolver}); 0 iterations leave `out` as it is.
 */
export function deconvolveRegion(input: Frame, out: Frame['data'], box: Box, flow: FlowInput, iterations: number, options: DeconvolveRegionOptions = {}): DeconvolveReport {
  const none: DeconvolveReport = { outcome: 'none', activePixels: 0, rows: [0, 0] };
  if (!(iterations > 0)) return none;
  const { neighbours } = options;
  const blurred = linearRgb(input, input.data, box);
  // Faded out where the flows disagree, where the input is not blurred along them, and where the neighbouring frames
  // say the content is still; a region with no pixel left (a sharp frame, a still one) is not deconvolved at all.
  const weight = flowConsistency(flow, box);
  const cues = blurCues(blurred, flow, box);
  if (sharpUnderMotion(cues, flow, box)) {
    // Sharp content that moves: the input as it came, over whatever the network made of it.
    const stride = 3 * input.width;
    for (let y = box.y; y < box.y + box.height; y++) out.set(input.data.subarray(y * stride + 3 * box.x, y * stride + 3 * (box.x + box.width)), y * stride + 3 * box.x);
    return { ...none, outcome: 'sharp' };
  }
  const evidence = cues.evidence;
  // The stillness test only where the blur test has left something (a sharp frame costs the blur test alone).
  let any = false;
  for (let i = 0; i < weight.length && !any; i++) if (weight[i]! * evidence[i]! > 0) any = true;
  const moving = any && neighbours ? motionEvidence(input, neighbours, flow, box) : undefined;
  any = false;
  for (let i = 0; i < weight.length; i++) {
    weight[i] = weight[i]! * evidence[i]! * (moving ? moving[i]! : 1);
    if (weight[i]! > 0) any = true;
  }
  if (!any) return none;
  const start = linearRgb(input, out, box);
  const { mask: active, count } = stepsReach(weight, flow, box);
  // The steps, dropped where their result does not explain the input under the blur model after all (the fit test).
  const result = stepsFitted(blurred, flow, box, iterations, start, active, weight);
  writeEncoded(input, out, box, result);
  return { outcome: 'steps', activePixels: count, rows: activeRows(active, box.width, box.height) };
}
