/**
 * Builds the hard FPHA-layout sample `datasets/fpha-hard/`: the sample where blur breaks the hand-pose estimator,
 * so that an evaluation on it tells whether deblurring helps (the demo sample, datasets/fpha-sample, tells whether
 * it harms). 640x480 at 30 fps, hands moving 29-43 px per frame on average (5-65 px in single frames): fast waves, reaches (towards the camera and back)
 * and a whipping camera (the background moves with the hand), left and right hands over two backgrounds.
 *
 *   npm run build:fpha-hard
 *   node dist/datasets/build-fpha-hard.js [--out <dir>] [--backgrounds <dir>] [--plan]
 *
 * Rendering, ground truth and the read-back check are datasets/build-fpha-sample.ts's. After writing, it measures
 * the property the sample exists for, exactly as `promotion eval` would see it: the evaluation's blur synthesis
 * (default options) on every sequence, MediaPipe (IMAGE mode, full model, 2 hands, as the evaluation runs it) on the
 * sharp and the blurred frames, scored by metrics/joints.ts against the skeletons. It records the numbers in
 * sample.json (`blurGap`) and exits 1 when the sample misses a requirement ({@link HARD_SAMPLE_REQUIREMENTS}).
 *
 * Inputs: the hand photos of test/fixtures/hands (fingerpose, MIT; OpenCV documentation, Apache-2.0/BSD-3-Clause),
 * the two photos of Debian's lomiri-wallpapers-16.04 that no training set uses. All of them are listed, with their
 * SHA-256, in datasets/eval-photos.json, the manifest training data builders check against.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runSynthJob } from '../src/blur-synthesis/dataset-writer.js';
import { planSynthJobs } from '../src/blur-synthesis/plan.js';
import { synthesisParameters } from '../src/blur-synthesis/synthesize.js';
import { createHandLandmarker, TASKS_VISION_VERSION } from '../src/handpose/mediapipe-hand-landmarker.js';
import { aggregateJointMetrics, DEFAULT_PCK_THRESHOLDS, fphaJoints, scoreJointSequence, type SequenceJointMetrics } from '../src/metrics/joints.js';
import { FPHA_FPS } from '../src/stream/fpha-source.js';
import { decodeImage } from '../src/stream/image-codec.js';
import { listImageFiles } from '../src/stream/image-sequence-source.js';
import { packageRoot } from '../src/util/package-root.js';
import {
  buildFphaLayoutSample,
  FINGERPOSE,
  FINGERPOSE_MATTE,
  OPENCV_DOC,
  type SampleDefinition,
  type SampleGeometry,
  type SequenceSpec,
  type WrittenSequence,
} from './build-fpha-sample.js';
import { pinholeCamera } from './fpha-sample-motion.js';

/** Frame geometry, timing and encoding of the hard sample. */
export const FPHA_HARD: SampleGeometry = {
  width: 640,
  height: 480,
  frames: 25,
  fps: FPHA_FPS,
  jpegQuality: 65,
  supersampling: 3,
  gamma: 2.2,
  seed: 20261204,
  subject: 'Subject_1',
};

/** What the hard sample must show (issue 15): blur must cost the estimator detections and joint accuracy. */
export const HARD_SAMPLE_REQUIREMENTS = {
  /** MediaPipe finds the hand in at least this share of the sharp frames. */
  sharpDetectionMin: 0.95,
  /** ... and in at most this share of the blurred frames. */
  blurredDetectionMax: 0.85,
  /** Blurred joint RMSE at least this many times the sharp frames'. */
  rmseRatioMin: 2,
} as const;

/** A pinhole with fx = fy = 800 px at 640x480 (the demo sample's field of view), identity extrinsics. */
const CAMERA = pinholeCamera(800, 800, FPHA_HARD.width / 2, FPHA_HARD.height / 2);
/** At 800 mm one pixel is 1 mm, as in the demo sample. */
const DEPTH_MM = 800;

const LIFE = { file: 'life_by_Aitzol_Berasategi.jpg', credit: 'life by Aitzol Berasategi (2018), CC BY 4.0, from Debian lomiri-wallpapers-16.04' };
const BRIDGE = { file: 'Bridge_by_Sander_Klootwijk.jpg', credit: 'Bridge by Sander Klootwijk (2018), CC BY-SA 4.0, from Debian lomiri-wallpapers-16.04' };
const PALM_MATTE = { skinLow: 0.3, skinHigh: 0.4, cutEdges: ['bottom' as const] };

const fingerpose = (name: 'nocurl' | 'halfcurl' | 'fullcurl', mirrored: boolean) => ({ path: `test/fixtures/hands/${name}.jpg`, orientation: mirrored ? ('mirrored' as const) : ('upright' as const), credit: FINGERPOSE });
const palm = { path: 'test/fixtures/hands/Back_Projection_Theory2.jpg', orientation: 'upright' as const, credit: OPENCV_DOC };

/** Defaults of every sequence: the hand turns about its wrist, the arm leaves at the bottom. */
const base = { kind: 'local' as const, armEdge: 'bottom' as const, pivot: 'wrist' as const, jointMarginPx: 8, silhouetteMarginPx: 4, driftPxPerFrame: { x: 0, y: 0 } };
const still = { amplitude: 0, periodFrames: 1 };

/** The sequences, in build order (the seeded phases are drawn in this order). */
export const HARD_SEQUENCES: readonly SequenceSpec[] = [
  {
    ...base,
    action: 'fast_wave',
    sequence: '1',
    description: 'Right hand, index finger half curled (fingerpose halfcurl.jpg), waving fast from side to side with a turn of the wrist over a forest stream (life); static camera.',
    photo: fingerpose('halfcurl', false),
    background: { ...LIFE, scale: 1, left: 1200, top: 900 },
    matte: FINGERPOSE_MATTE,
    motion: { scale: 0.45, anchorPx: { x: 320, y: 460 }, driftPxPerFrame: base.driftPxPerFrame, orbit: { xPx: 80, yPx: 11, periodFrames: 9 }, rollDeg: { amplitude: 15, periodFrames: 9 }, zoom: still },
  },
  {
    ...base,
    action: 'fast_wave',
    sequence: '2',
    description: 'Open palm (OpenCV documentation Back_Projection_Theory2.jpg) waving fast over a bridge and the sky (Bridge); static camera.',
    photo: palm,
    background: { ...BRIDGE, scale: 0.3, left: 300, top: 120 },
    matte: PALM_MATTE,
    jointMarginPx: 3,
    motion: { scale: 1.9, anchorPx: { x: 320, y: 474 }, driftPxPerFrame: base.driftPxPerFrame, orbit: { xPx: 85, yPx: 3, periodFrames: 10 }, rollDeg: { amplitude: 3, periodFrames: 10 }, zoom: still },
  },
  {
    ...base,
    action: 'fast_wave',
    sequence: '3',
    description: 'Left hand pointing (fingerpose nocurl.jpg, mirrored) waving fast over the bridge (Bridge); static camera.',
    photo: fingerpose('nocurl', true),
    background: { ...BRIDGE, scale: 0.3, left: 560, top: 200 },
    matte: FINGERPOSE_MATTE,
    motion: { scale: 0.45, anchorPx: { x: 330, y: 460 }, driftPxPerFrame: base.driftPxPerFrame, orbit: { xPx: 75, yPx: 11, periodFrames: 8 }, rollDeg: { amplitude: 10, periodFrames: 8 }, zoom: still },
  },
  {
    ...base,
    action: 'reach',
    sequence: '1',
    description: 'Right fist (fingerpose fullcurl.jpg) reaching towards the camera and back while sweeping diagonally over the stream (life); static camera.',
    photo: fingerpose('fullcurl', false),
    background: { ...LIFE, scale: 1, left: 1900, top: 1200 },
    matte: FINGERPOSE_MATTE,
    motion: { scale: 0.45, anchorPx: { x: 320, y: 460 }, driftPxPerFrame: base.driftPxPerFrame, orbit: { xPx: 70, yPx: 11, periodFrames: 11 }, rollDeg: { amplitude: 6, periodFrames: 13 }, zoom: { amplitude: 0.2, periodFrames: 11 } },
  },
  {
    ...base,
    action: 'reach',
    sequence: '2',
    description: 'Left hand, index finger half curled (fingerpose halfcurl.jpg, mirrored), reaching towards the camera and back over the bridge (Bridge); static camera.',
    photo: fingerpose('halfcurl', true),
    background: { ...BRIDGE, scale: 0.3, left: 150, top: 60 },
    matte: FINGERPOSE_MATTE,
    motion: { scale: 0.45, anchorPx: { x: 320, y: 460 }, driftPxPerFrame: base.driftPxPerFrame, orbit: { xPx: 65, yPx: 11, periodFrames: 10 }, rollDeg: { amplitude: 8, periodFrames: 12 }, zoom: { amplitude: 0.2, periodFrames: 10 } },
  },
  {
    ...base,
    action: 'camera_whip',
    sequence: '1',
    description: 'Right hand pointing (fingerpose nocurl.jpg) and the stream behind it (life) under a whipping camera: hand and background swing together.',
    photo: fingerpose('nocurl', false),
    background: { ...LIFE, scale: 1, left: 2300, top: 700, moves: 'orbit' },
    matte: FINGERPOSE_MATTE,
    motion: { scale: 0.45, anchorPx: { x: 320, y: 460 }, driftPxPerFrame: base.driftPxPerFrame, orbit: { xPx: 90, yPx: 11, periodFrames: 10 }, rollDeg: { amplitude: 4, periodFrames: 10 }, zoom: still },
  },
  {
    ...base,
    action: 'camera_whip',
    sequence: '2',
    description: 'Open palm (OpenCV documentation Back_Projection_Theory2.jpg) and the stream behind it (life) under a camera whipped round in circles.',
    photo: palm,
    background: { ...LIFE, scale: 1, left: 800, top: 1500, moves: 'orbit' },
    matte: PALM_MATTE,
    jointMarginPx: 3,
    motion: { scale: 1.9, anchorPx: { x: 320, y: 474 }, driftPxPerFrame: base.driftPxPerFrame, orbit: { xPx: 60, yPx: 3, periodFrames: 8 }, rollDeg: { amplitude: 3, periodFrames: 9 }, zoom: still },
  },
  {
    ...base,
    action: 'camera_whip',
    sequence: '3',
    description: 'Left hand pointing (fingerpose nocurl.jpg, mirrored) and the bridge behind it (Bridge) under a whipping camera.',
    photo: fingerpose('nocurl', true),
    background: { ...BRIDGE, scale: 0.3, left: 400, top: 140, moves: 'orbit' },
    matte: FINGERPOSE_MATTE,
    motion: { scale: 0.45, anchorPx: { x: 320, y: 460 }, driftPxPerFrame: base.driftPxPerFrame, orbit: { xPx: 85, yPx: 11, periodFrames: 9 }, rollDeg: { amplitude: 5, periodFrames: 11 }, zoom: still },
  },
];

/** NOTICE.md of the hard sample, from {@link HARD_SEQUENCES}. */
function hardNotice(): string {
  const rows = HARD_SEQUENCES.map((s) => {
    const hand = s.photo.credit === FINGERPOSE ? `\`${basename(s.photo.path)}\` of fingerpose@0.1.0 (MIT, \`LICENSE.fingerpose\`)` : `\`${basename(s.photo.path)}\` of Debian's opencv-doc 4.6.0 (Apache-2.0 AND BSD-3-Clause, \`LICENSE.opencv\`)`;
    const bg = s.background!;
    const bgText = bg.file === BRIDGE.file ? '*Bridge* by Sander Klootwijk (2018), CC BY-SA 4.0: the frames are an adaptation and are licensed [CC BY-SA 4.0](https://creativecommons.org/licenses/by-sa/4.0/)' : '*life* by Aitzol Berasategi (2018), [CC BY 4.0](https://creativecommons.org/licenses/by/4.0/)';
    return `| \`${FPHA_HARD.subject}/${s.action}/${s.sequence}\` | ${hand}${s.photo.orientation === 'mirrored' ? ', mirrored (a left hand)' : ''}, cut out with a skin matte | \`/usr/share/backgrounds/${bg.file}\` of Debian's \`lomiri-wallpapers-16.04\`: ${bgText}; changes: scaled, cropped${bg.moves ? ', moved' : ''}, a hand composited over it |`;
  });
  return `# Hard FPHA-layout sample: sources and licences

Built by \`datasets/build-fpha-hard.ts\` (\`npm run build:fpha-hard\`): ${HARD_SEQUENCES.length} sequences of ${FPHA_HARD.frames} frames at
${FPHA_HARD.width}x${FPHA_HARD.height}, hands moving 29-43 px per frame on average (5-65 px in single frames: a wave slows at its turns). \`sample.json\` records how every frame was made and, under
\`blurGap\`, what MediaPipe finds on the sharp frames and on the frames \`promotion eval\` blurs from them.

| sequence | the hand | the background and the licence of the frames |
|---|---|---|
${rows.join('\n')}

The fingerpose photos: MIT, Copyright (c) 2020 Andreas Schallwig (\`LICENSE.fingerpose\`). The OpenCV photo: Apache-2.0
AND BSD-3-Clause, OpenCV (\`LICENSE.opencv\`). \`skeleton.txt\`, \`camera.json\` and \`sample.json\` are generated by this
project (Apache-2.0, like the code); the joints are MediaPipe's (\`@mediapipe/tasks-vision\`, Apache-2.0) landmarks of
each still, moved by the known motion.

Every photo used here and in \`datasets/fpha-sample\` is listed with its SHA-256 in \`datasets/eval-photos.json\`, which
training data builders check (\`python3 -m promotion.data.holdout\`): the two wallpapers are the ones the deblurring
model holds out of training, and no training set may use these hand photos.
`;
}

/** Blur-gap numbers of a set of frames. */
interface GapNumbers {
  frames: number;
  /** Share of frames whose hand MediaPipe finds, 0-1. */
  detection: { sharp: number; blurred: number };
  /** Joint RMSE (px) over the frames where both versions find the hand. */
  rmsePx: { sharp: number | null; blurred: number | null };
  framesCompared: number;
}

function gapNumbers(m: SequenceJointMetrics['summary']): GapNumbers {
  const r = (v: number | null, d: number) => (v === null ? null : Number(v.toFixed(d)));
  return {
    frames: m.frames,
    detection: { sharp: r(m.detectionRate.sharp, 4)!, blurred: r(m.detectionRate.blurred, 4)! },
    rmsePx: { sharp: r(m.rmsePx.sharp, 3), blurred: r(m.rmsePx.blurred, 3) },
    framesCompared: m.framesCompared,
  };
}

/**
 * Measures the blur gap as `promotion eval` sees it: synthesis with the evaluation's defaults, MediaPipe IMAGE mode
 * (full, 2 hands) on the sharp and blurred frames, joints scored against the skeletons.
 */
async function measureBlurGap(out: string, written: readonly WrittenSequence[]): Promise<Record<string, unknown>> {
  const work = await mkdtemp(join(tmpdir(), 'fpha-hard-'));
  const estimator = await createHandLandmarker({ mode: 'image', model: 'full', numHands: 2 });
  try {
    const jobs = await planSynthJobs([out], { synthesis: {}, motionKind: 'magnitude', overwrite: false }, work);
    const sequences: SequenceJointMetrics[] = [];
    for (const job of jobs) {
      const seq = written.find((w) => w.id === job.id);
      if (!seq) throw new Error(`The synthesis planned ${job.id}, which the builder did not write`);
      await runSynthJob(job);
      const hands = async (dir: string) => {
        const found = [];
        for (const [i, file] of (await listImageFiles(dir)).entries()) found.push(fphaJoints((await estimator.estimate(await decodeImage(file, 'uint8', i, (i * 1000) / FPHA_HARD.fps))).hands));
        return found;
      };
      const sharp = await hands(join(job.outDir, 'sharp'));
      const blurred = await hands(join(job.outDir, 'blur'));
      if (sharp.length !== seq.truth.length || blurred.length !== seq.truth.length) throw new Error(`${job.id}: ${sharp.length} sharp and ${blurred.length} blurred frames for ${seq.truth.length} skeleton lines`);
      // The blurred frames stand in for the deblurred ones too: this measures blur alone.
      const metrics = scoreJointSequence(job.id, seq.truth.map((gt, index) => ({ index, groundTruth: gt, blurred: blurred[index]!, deblurred: blurred[index]!, sharp: sharp[index]! })), { groundTruth: 'fpha-skeleton', pckThresholds: DEFAULT_PCK_THRESHOLDS });
      sequences.push(metrics);
      const g = gapNumbers(metrics.summary);
      console.log(`${job.id}: detection sharp ${(100 * g.detection.sharp).toFixed(1)}%, blurred ${(100 * g.detection.blurred).toFixed(1)}%; RMSE sharp ${g.rmsePx.sharp} px, blurred ${g.rmsePx.blurred} px`);
    }
    const all = gapNumbers(aggregateJointMetrics(sequences));
    const req = HARD_SAMPLE_REQUIREMENTS;
    const ratio = all.rmsePx.sharp && all.rmsePx.blurred !== null ? Number((all.rmsePx.blurred / all.rmsePx.sharp).toFixed(3)) : null;
    const met = all.detection.sharp >= req.sharpDetectionMin && all.detection.blurred <= req.blurredDetectionMax && ratio !== null && ratio >= req.rmseRatioMin;
    console.log(`All ${all.frames} frames: detection sharp ${(100 * all.detection.sharp).toFixed(1)}%, blurred ${(100 * all.detection.blurred).toFixed(1)}%; RMSE sharp ${all.rmsePx.sharp} px, blurred ${all.rmsePx.blurred} px (x${ratio}); requirements ${met ? 'met' : 'NOT MET'}`);
    if (!met) process.exitCode = 1;
    return {
      blurGap: {
        how: `promotion eval's blur synthesis with its defaults, then MediaPipe (mediapipe-tasks-vision@${TASKS_VISION_VERSION}, IMAGE mode, full model, 2 hands) on the sharp and the blurred frames, joints scored against skeleton.txt by src/metrics/joints.ts (RMSE over the frames where both versions find the hand). Recorded by npm run build:fpha-hard.`,
        synthesis: synthesisParameters({ inputFps: FPHA_HARD.fps }),
        requirements: req,
        all: { ...all, rmseRatio: ratio },
        sequences: sequences.map((s) => ({ id: s.sequence, ...gapNumbers(s.summary) })),
        met,
      },
    };
  } finally {
    await estimator.close();
    await rm(work, { recursive: true, force: true });
  }
}

/** The hard sample, datasets/fpha-hard. */
export const FPHA_HARD_DEFINITION: SampleDefinition = {
  geometry: FPHA_HARD,
  camera: CAMERA,
  depthMm: DEPTH_MM,
  sequences: HARD_SEQUENCES,
  description: 'Hard FPHA-layout sample: real hand photos moving 29-43 px per frame on average (5-65 px in single frames) at 640x480 (fast waves, reaches, a whipping camera), 30 fps, with FPHA ground truth, where blur costs MediaPipe detections. Built by datasets/build-fpha-hard.ts.',
  notice: hardNotice,
  licences: ['LICENSE.fingerpose', 'LICENSE.opencv'],
  defaultOut: join(packageRoot(), 'datasets', 'fpha-hard'),
  measure: measureBlurGap,
};

// Run when executed, not when imported.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await buildFphaLayoutSample(FPHA_HARD_DEFINITION);
