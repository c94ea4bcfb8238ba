/**
 * promotion-handpose: hand-pose preprocessing of blurry video.
 * The streaming core: frames, sources, sinks and operators.
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
