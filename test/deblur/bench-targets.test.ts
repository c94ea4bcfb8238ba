/** The deblur benchmark's verdicts on the speed targets (bench/targets.ts). */
import { describe, expect, it } from 'vitest';
import { targetVerdicts, type TimedRun } from '../../bench/targets.js';

const run = (over: Partial<TimedRun>): TimedRun => ({ modelName: 'm', width: 640, height: 480, mode: 'full', label: 'full frame', threads: 2, worker: false, msPerFrame: 150, modelMsPerFrame: 80, motionMapMs: 25, ...over });

describe('targetVerdicts', () => {
  it('says met, or missed by how much, what the frame was made of and what the network alone would have to gain', () => {
    expect(targetVerdicts([run({})])).toEqual(["m full frame, 2 thread(s): 150 ms a frame (6.7 fps): met (target 200 ms; the model's calls 80 ms, the rest 70 ms (the motion map's two flows, timed apart: 25 ms))."]);
    expect(targetVerdicts([run({ msPerFrame: 250, modelMsPerFrame: 160 })])[0]).toBe(
      "m full frame, 2 thread(s): 250 ms a frame (4.0 fps): missed by 50 ms (target 200 ms; the model's calls 160 ms, the rest 90 ms (the motion map's two flows, timed apart: 25 ms)); a network 50 ms faster (0.69 of its calls' time) would close it alone.",
    );
    expect(targetVerdicts([run({ mode: 'region', label: 'given 256x256 region', msPerFrame: 60, modelMsPerFrame: 15, motionMapMs: undefined, worker: true })])[0]).toBe(
      "m given 256x256 region, 2 thread(s), network in a worker: 60 ms a frame (16.7 fps): missed by 20 ms (target 40 ms; the model's calls 15 ms, the rest 45 ms); the network alone cannot close it: the rest of the frame's work is 45 ms against a target of 40.",
    );
  });

  it('judges only 640x480 full frames and regions', () => {
    expect(targetVerdicts([run({ width: 1280, height: 720 }), run({ mode: 'roi', label: 'hand ROI' })])).toEqual([]);
  });
});
