/**
 * promotion-handpose: hand-pose preprocessing of blurry video.
 * The streaming core: frames, sources, sinks and operators; hand-pose estimation.
 */
export * from './errors.js';
export * from './stream/frame.js';
export type { FrameSource, SourceInfo, SourceKind } from './stream/source.js';
export { openVideo, type VideoSourceOptions } from './stream/video-source.js';
export { openImageSequence, listImageFiles, IMAGE_EXTENSIONS, DEFAULT_SEQUENCE_FPS, DEFAULT_READ_AHEAD, type ImageSequenceOptions } from './stream/image-sequence-source.js';
export * from './stream/fpha-source.js';
export { openLive, isLiveInput, DEFAULT_LIVE_MAX_QUEUE, DEFAULT_LIVE_IDLE_TIMEOUT_MS, type LiveSource, type LiveSourceOptions, type LiveStats } from './stream/live-source.js';
export { openSource, detectSourceKind, type OpenSourceOptions } from './stream/open-source.js';
export { pipeSource, sourceFrames$, DEFAULT_HIGH_WATER_MARK, DEFAULT_STALL_TIMEOUT_MS, PipelineStallError, type PipeSourceOptions } from './stream/pipe-source.js';
export { slidingWindow, DEFAULT_WINDOW_SIZE, type FrameWindow, type SlidingWindowOptions } from './stream/window.js';
export { mapInWorkers, defaultWorkerConcurrency, WorkerTaskError, type WorkerMapOptions } from './stream/worker-map.js';
export { progress, type Progress, type ProgressOptions } from './stream/progress.js';
export { writeVideo, VIDEO_EXTENSIONS, DEFAULT_CRF, type VideoSinkOptions } from './stream/video-sink.js';
export { writeImageSequence, type ImageSequenceSinkOptions } from './stream/image-sequence-sink.js';
export { writeJsonLines, type JsonLinesSinkOptions } from './stream/jsonl-sink.js';
export { decodeImage, encodeImage, readImageMeta, type ImageFormat, type ImageMeta } from './stream/image-codec.js';
export * from './handpose/estimator.js';
export { estimateHands, type EstimateHandsOptions } from './handpose/estimate-hands.js';
export { createHandLandmarker, convertTasksVisionResult, TASKS_VISION_VERSION, TASKS_VISION_HANDEDNESS } from './handpose/mediapipe-hand-landmarker.js';
export * from './handpose/landmarker-options.js';
export {
  loadHandLandmarkerModel,
  assembleHandLandmarkerTask,
  defaultModelCacheDir,
  HAND_MODEL_VARIANTS,
  HAND_LANDMARKER_TASK_SHA256,
  MEDIAPIPE_HANDS_VERSION,
  CACHE_DIR_ENV,
  type HandModelVariant,
  type HandModelAsset,
  type HandModelAssetOptions,
} from './handpose/model-asset.js';
export { MEDIAPIPE_TO_FPHA, FPHA_TO_MEDIAPIPE, toFphaOrder, handToFpha, type FphaHandJoints } from './handpose/fpha-order.js';
export { drawHands, DEFAULT_OVERLAY_COLORS, type DrawHandsOptions, type Rgb } from './handpose/overlay.js';
