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
export { decodeImage, decodeImageFit, encodeImage, encodeGrey16Png, decodeGrey16, readImageMeta, type ImageFormat, type ImageMeta } from './stream/image-codec.js';
export { untilAborted, AbortedError } from './stream/abort.js';
export { psnr, meanSquaredError, type PixelMetricOptions } from './metrics/psnr.js';
export { type FlowField, type GreyImage, BT601, toGrey, constantFlow, meanEndPointError, sampleBilinear } from './flow/field.js';
export { disFlow, checkDisOptions, disParameters, type DisOptions, type DisParameters } from './flow/dis.js';
export {
  motionMap,
  motionMaps,
  motionMapToUint16,
  MOTION_MAP_FLOW,
  DEFAULT_MOTION_MAP_KIND,
  MOTION_NORMALIZATION_FLOOR_PX,
  type MotionMapKind,
  type MotionMapsOptions,
  type WithMotion,
} from './flow/motion-map.js';
export {
  synthesizeBlur,
  synthesisParameters,
  DEFAULT_VIRTUAL_FPS,
  DEFAULT_SYNTHESIS_FLOW,
  type SynthesisOptions,
  type SynthesisParameters,
  type BlurPair,
} from './blur-synthesis/synthesize.js';
export { blurByPathIntegration, blurExplicit, virtualFrame, virtualTimes, consistencyWeights, type LinearImage, type Interval, type ExposureContext, type ExposureSpec } from './blur-synthesis/integrate.js';
export * from './blur-synthesis/exact.js';
export { sampleSceneSpec, loadScene, exactPairs, SCENE_PHOTO_SCALE, type SceneSpec } from './blur-synthesis/scenes.js';
export { runSynthJob, writeSequence, isSynthesized, type SynthJob, type SynthJobResult, type FrameNaming } from './blur-synthesis/dataset.js';
export { createRng, uniform, type Rng } from './util/rng.js';
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
export {
  deblurGrey,
  contrastScale,
  laplacianVariance,
  blurWeights,
  blurWeightsFromVariances,
  windowStatistics,
  VARIANCE_FLOOR,
  type UnitGreyImage,
  type WindowStatistics,
} from './deblur/statistics.js';
export { deblur, DEFAULT_CLAMP_RADIUS, DEFAULT_TILE_SIZE, DEFAULT_TILE_OVERLAP, MIN_DEBLUR_FRAME_SIZE, type DeblurOptions, type DeblurFrameInfo } from './deblur/deblur.js';
export { clampToLocalRange, localExtreme } from './deblur/local-range.js';
export type { DeblurModel, DeblurModelContract, DeblurFeeds, DeblurDevice, DeblurModelParts, FrameFeeds, FrameFeatures, FeatureLevel } from './deblur/model.js';
export {
  loadDeblurModel,
  defaultDeblurThreads,
  DEFAULT_DEBLUR_DEVICE,
  type LoadDeblurModelOptions,
  type LoadedDeblurModel,
} from './deblur/onnx-session.js';
export {
  readModelCard,
  parseModelCard,
  resolveModelFiles,
  modelsDir,
  DEFAULT_DEBLUR_MODEL,
  SUPPORTED_CONTRACT_VERSIONS,
  CONTRACT_INPUT_NAMES,
  CONTRACT_OUTPUT_NAME,
  FEATURE_INPUT_NAME,
  FEATURE_NAMES,
  contractInputNames,
  type ModelCard,
  type ModelCardFeatures,
  type ModelCardTensor,
  type ModelFiles,
} from './deblur/model-card.js';
export {
  DEFAULT_ROI_FEATHER,
  DEFAULT_MOTION_THRESHOLD,
  DEFAULT_MOTION_CELL,
  DEFAULT_MOTION_MARGIN,
  DEFAULT_HAND_MARGIN,
  DEFAULT_HAND_HOLD_FRAMES,
  DEFAULT_ROI_HAND_MODEL,
  DEFAULT_ROI_NUM_HANDS,
  HandBoxTracker,
  handBox,
  motionBoxes,
  type DeblurRoi,
  type BoxesRoi,
  type MotionRoi,
  type HandsRoi,
} from './deblur/roi.js';
export { paddedLength, runSpan, tileSpans, featherWeights, mergeBoxes, clipBox, type Box, type Span, type TileSpan } from './deblur/tiles.js';
export { toNtchwFloat32, toNchwFloat32 } from './deblur/tensor.js';
export { ssim, SSIM_WINDOW_SIZE, SSIM_SIGMA, SSIM_K1, SSIM_K2, SSIM_GAUSSIAN } from './metrics/ssim.js';
export { bt601Luma, BT601_STUDIO_Y, DEFAULT_PIXEL_CHANNEL, type PixelChannel } from './metrics/pixel-conventions.js';
export * from './metrics/comparison.js';
export * from './metrics/joints.js';
export * from './metrics/gain-spread.js';
export { evaluate, pickPanels, DEFAULT_PANELS_PER_SEQUENCE, DEFAULT_EVAL_POSE_MODE, type EvaluateOptions, type EvaluateProgress } from './eval/evaluate.js';
export {
  REPORT_SCHEMA_VERSION,
  PSNR_CAP_DB,
  validateReport,
  ReportSchemaError,
  metricNames,
  metricInfo,
  type EvalReport,
  type MetricRow,
  type MetricSummary,
  type FrameRecord,
  type JointRecord,
  type PanelRecord,
  type SequenceReport,
} from './eval/report-schema.js';
export { writeReport, readReport, openReportFolder, REPORT_JSON, REPORT_HTML } from './eval/report-files.js';
export { renderReportHtml } from './eval/report-html.js';
export { formatSummaryTable } from './eval/summary-table.js';
export { reportGainSpread, hasSpread, SPREAD_METRICS } from './eval/gain-spreads.js';
