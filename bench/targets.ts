/**
 * The campaign's speed targets (issue 14, docs/deblur-model.md) and the deblur benchmark's verdict on each result:
 * a 640x480 full frame in at most 200 ms, a 256x256 hand region at 25 fps or more (40 ms), both with the motion
 * input. A miss says by how much, what the frame's time was made of, and how much faster the network alone would have
 * to be to close it.
 */

/** A 640x480 full frame's target, ms. */
export const TARGET_FULL_MS = 200;
/** A 256x256 region's target, ms (25 fps). */
export const TARGET_REGION_MS = 40;

/** What a verdict needs of one benchmark result. */
export interface TimedRun {
  readonly modelName: string;
  readonly width: number;
  readonly height: number;
  readonly mode: 'full' | 'roi' | 'region';
  /** How the mode reads in a sentence ("full frame"). */
  readonly label: string;
  readonly threads: number;
  readonly worker: boolean;
  /** Median time between outputs. */
  readonly msPerFrame: number;
  /** The model's calls per frame (median). */
  readonly modelMsPerFrame: number;
  /** The motion map's two flows, timed apart (full frames). */
  readonly motionMapMs: number | undefined;
}

/** One sentence per 640x480 full-frame or region result. */
export function targetVerdicts(runs: readonly TimedRun[]): string[] {
  return runs
    .filter((r) => r.width === 640 && r.height === 480 && (r.mode === 'full' || r.mode === 'region'))
    .map((r) => {
      const target = r.mode === 'full' ? TARGET_FULL_MS : TARGET_REGION_MS;
      const what = `${r.modelName} ${r.label}, ${r.threads} thread(s)${r.worker ? ', network in a worker' : ''}: ${r.msPerFrame.toFixed(0)} ms a frame (${(1000 / r.msPerFrame).toFixed(1)} fps)`;
      const model = r.modelMsPerFrame;
      const rest = Math.max(0, r.msPerFrame - model);
      const made = `the model's calls ${model.toFixed(0)} ms, the rest ${rest.toFixed(0)} ms${r.motionMapMs !== undefined ? ` (the motion map's two flows, timed apart: ${r.motionMapMs.toFixed(0)} ms)` : ''}`;
      if (r.msPerFrame <= target) return `${what}: met (target ${target} ms; ${made}).`;
      const over = r.msPerFrame - target;
      const close =
        over < model
          ? `a network ${over.toFixed(0)} ms faster (${((model - over) / model).toFixed(2)} of its calls' time) would close it alone`
          : `the network alone cannot close it: the rest of the frame's work is ${rest.toFixed(0)} ms against a target of ${target}`;
      return `${what}: missed by ${over.toFixed(0)} ms (target ${target} ms; ${made}); ${close}.`;
    });
}
