/**
 * promotion-handpose: hand-pose preprocessing of blurry video.
 *
 * The public API is what the README and docs/ use, the options and result types of those, their documented
 * defaults, and the typed errors. Everything else under src/ is internal and may change without notice.
 * @packageDocumentation
 */

// Errors: every failure the library reports on purpose is one of these, with a stable `code`.
export * from './errors.js';

// Frames: plain data, units and layouts in the names.
export {
  SAMPLE_MAX,
  DEFAULT_GAMMA,
  BYTES_PER_SAMPLE,
  createRgb8Frame,
  createRgb16Frame,
  createRgbFloatFrame,
  frameByteLength,
  toFloatFrame,
  toIntegerFrame,
  type SampleType,
  type Rgb8Frame,
  type Rgb16Frame,
  type RgbFloatFrame,
  type Frame,
  type SampleArrays,
  type FrameInit,
} from './stream/frame.js';

// Sources, the pipeline, operators and sinks.
export type { FrameSource, FrameReadOptions, SourceInfo, SourceKind } from './stream/source.js';
export { openVideo, type VideoSourceOptions } from './stream/video-source.js';
export { openImageSequence, IMAGE_EXTENSIONS, DEFAULT_SEQUENCE_FPS, DEFAULT_READ_AHEAD, type ImageSequenceOptions } from './stream/image-sequence-source.js';
export {
  FPHA_JOINT_COUNT,
  FPHA_JOINT_NAMES,
  FPHA_FPS,
  FPHA_COLOR_CAMERA,
  FPHA_BROKEN_SEQUENCES,
  projectJoints,
  listFphaSequences,
  openFphaSequence,
  type CameraModel,
  type Joints2D,
  type Joints3D,
  type FphaAnnotation,
  type FphaFrame,
  type FphaSequenceRef,
  type FphaSelection,
  type FphaSequenceOptions,
} from './stream/fpha-source.js';
export { openLive, isLiveInput, DEFAULT_LIVE_MAX_QUEUE, DEFAULT_LIVE_IDLE_TIMEOUT_MS, LIVE_ANALYZE_DURATION_MS, LIVE_START_ALLOWANCE_MS, type LiveSource, type LiveSourceOptions, type LiveStats } from './stream/live-source.js';
export { openSource, type OpenSourceOptions } from './stream/open-source.js';
export { pipeSource, sourceFrames$, DEFAULT_HIGH_WATER_MARK, DEFAULT_STALL_TIMEOUT_MS, PipelineStallError, type PipeSourceOptions } from './stream/pipe-source.js';
export { slidingWindow, DEFAULT_WINDOW_SIZE, type FrameWindow, type SlidingWindowOptions } from './stream/window.js';
export { mapInWorkers, defaultWorkerConcurrency, WorkerTaskError, type WorkerMapOptions } from './stream/worker-map.js';
export { progress, type Progress, type ProgressOptions } from './stream/progress.js';
export { untilAborted, AbortedError } from './stream/abort.js';
export { writeVideo, VIDEO_EXTENSIONS, DEFAULT_CRF, type VideoSinkOptions } from './stream/video-sink.js';
export { writeImageSequence, type ImageSequenceSinkOptions } from './stream/image-sequence-sink.js';
export { writeJsonLines, type JsonLinesSinkOptions } from './stream/jsonl-sink.js';
export { decodeImage, encodeImage, type ImageFormat } from './stream/image-codec.js';
export { createRng, type Rng } from './util/rng.js';

// Optical flow and the motion map.
export { type FlowField, type GreyImage, toGrey, meanEndPointError } from './flow/field.js';
export { disFlow, type DisOptions } from './flow/dis.js';
export {
  motionMap,
  motionMaps,
  flowInput,
  type FlowInput,
  MOTION_MAP_FLOW,
  DEFAULT_MOTION_MAP_KIND,
  MOTION_NORMALIZATION_FLOOR_PX,
  type MotionMap,
  type MotionMapKind,
  type MotionMapsOptions,
  type WithMotion,
} from './flow/motion-map.js';

// Blur synthesis.
export { synthesizeBlur, DEFAULT_VIRTUAL_FPS, DEFAULT_SYNTHESIS_FLOW, type SynthesisOptions, type BlurPair } from './blur-synthesis/synthesize.js';
export {
  renderExact,
  sampleTrajectory,
  trajectoryFromParameters,
  steadyTrajectory,
  DEFAULT_TRAJECTORY_RANGES,
  type Pose,
  type Trajectory,
  type TrajectoryParameters,
  type TrajectoryRanges,
  type ForegroundLayer,
  type Scene,
  type ExactRenderOptions,
} from './blur-synthesis/exact.js';
export type { LinearImage } from './blur-synthesis/integrate.js';
export { sampleSceneSpec, loadScene, exactPairs, SCENE_PHOTO_SCALE, DEFAULT_FOREGROUND_SPEED_PX, type SceneSpec, type SceneSampling } from './blur-synthesis/scenes.js';

// Hand pose.
export * from './handpose/estimator.js';
export { estimateHands, type EstimateHandsOptions } from './handpose/estimate-hands.js';
export { createHandLandmarker, TASKS_VISION_HANDEDNESS, TASKS_VISION_VERSION } from './handpose/mediapipe-hand-landmarker.js';
export {
  DEFAULT_HAND_POSE_MODE,
  DEFAULT_HAND_MODEL,
  DEFAULT_NUM_HANDS,
  DEFAULT_MIN_HAND_DETECTION_CONFIDENCE,
  DEFAULT_MIN_HAND_PRESENCE_CONFIDENCE,
  DEFAULT_MIN_TRACKING_CONFIDENCE,
  MAX_NUM_HANDS,
  type HandLandmarkerOptions,
} from './handpose/landmarker-options.js';
export { type HandModelVariant } from './handpose/mediapipe/model-asset.js';
export { MEDIAPIPE_TO_FPHA, FPHA_TO_MEDIAPIPE, toFphaOrder, handToFpha, type FphaHandJoints } from './handpose/fpha-order.js';
export { drawHands, DEFAULT_OVERLAY_COLORS, type DrawHandsOptions, type Rgb } from './handpose/overlay.js';

// Deblurring.
export { windowStatistics, type WindowStatistics } from './deblur/statistics.js';
export { deblur, DEFAULT_CLAMP_RADIUS, DEFAULT_TILE_SIZE, DEFAULT_TILE_OVERLAP, MIN_DEBLUR_FRAME_SIZE, type DeblurOptions, type DeblurFrameInfo } from './deblur/deblur.js';
export type { DeblurModel, DeblurModelContract, DeblurModelIdentity, DeblurFeeds, DeblurDevice, DeblurModelParts, FrameFeeds, FrameFeatures, FeatureLevel } from './deblur/model.js';
export {
  checkPlainModelOptions,
  parsePlainCard,
  describePlainGraph,
  PLAIN_CARD_KIND,
  PLAIN_VALUE_RANGES,
  DEFAULT_PLAIN_VALUE_RANGE,
  DEFAULT_PLAIN_COLOUR_ORDER,
  DEFAULT_PLAIN_PADDING_MULTIPLE,
  type PlainModelOptions,
  type PlainModelSpec,
  type PlainModelDescription,
  type PlainModelLayout,
  type PlainValueRange,
  type PlainColourOrder,
  type GraphInfo,
  type GraphTensorInfo,
} from './deblur/plain-model.js';
export {
  createReferenceModel,
  REFERENCE_METHODS,
  REFERENCE_MODEL_PREFIX,
  REFERENCE_TILE_SIZE,
  DEFAULT_UNSHARP_SIGMA,
  DEFAULT_UNSHARP_AMOUNT,
  DEFAULT_WIENER_EXPOSURE,
  DEFAULT_WIENER_NOISE_TO_SIGNAL,
  type ReferenceMethod,
  type ReferenceModel,
  type ReferenceModelOptions,
} from './deblur/reference-models.js';
export { loadDeblurModel, defaultDeblurThreads, DEFAULT_DEBLUR_DEVICE, type LoadDeblurModelOptions, type LoadedDeblurModel } from './deblur/onnx-session.js';
export {
  readModelCard,
  parseModelCard,
  DEFAULT_DEBLUR_MODEL,
  SUPPORTED_CONTRACT_VERSIONS,
  FLOW_INPUT_NAME,
  type ModelCard,
  type ModelCardFeatures,
  type ModelCardTensor,
  type ModelFiles,
} from './deblur/model-card.js';
export type { ClampMotion } from './deblur/local-range.js';
export {
  DEFAULT_ROI_FEATHER,
  DEFAULT_MOTION_THRESHOLD,
  DEFAULT_MOTION_CELL,
  DEFAULT_MOTION_MARGIN,
  DEFAULT_HAND_MARGIN,
  DEFAULT_HAND_HOLD_FRAMES,
  DEFAULT_ROI_HAND_MODEL,
  DEFAULT_ROI_NUM_HANDS,
  type DeblurRoi,
  type BoxesRoi,
  type MotionRoi,
  type HandsRoi,
} from './deblur/roi.js';
export type { Box } from './deblur/tiles.js';
export {
  DEFAULT_GATE_MIN_MOTION_PX,
  DEFAULT_GATE_SHARP_WEIGHT,
  DEFAULT_GATE_CELL,
  DEFAULT_GATE_MARGIN,
  DEFAULT_GATE_FEATHER,
  type BlurGateOptions,
} from './deblur/gate.js';

// Metrics.
export { psnr, type PixelMetricOptions } from './metrics/psnr.js';
export { ssim } from './metrics/ssim.js';
export { DEFAULT_PIXEL_CHANNEL, bt601Luma, BT601_STUDIO_Y, type PixelChannel } from './metrics/pixel-conventions.js';
export {
  METRICS,
  FIXED_METRICS,
  PCK_BETTER,
  PSNR_CAP_DB,
  GROUND_TRUTH_KINDS,
  capPsnr,
  metricInfo,
  metricNames,
  pckMetricName,
  type Better,
  type GroundTruthKind,
  type MetricInfo,
  type MetricName,
  type PckMetricName,
} from './metrics/definitions.js';
export { gain, compareVersions, type FrameVersion, type VersionComparison } from './metrics/comparison.js';
export {
  DEFAULT_PCK_THRESHOLDS,
  fphaJoints,
  scoreJointFrame,
  scoreJointSequence,
  aggregateJointMetrics,
  type JointErrors,
  type JointFrameInput,
  type JointMetricOptions,
  type VersionFrameScore,
  type FrameJointScores,
  type PckComparison,
  type JointMetricsSummary,
  type SequenceJointMetrics,
} from './metrics/joints.js';
export * from './metrics/gain-spread.js';

// Evaluation and its report.
export { evaluate, DEFAULT_PANELS_PER_SEQUENCE, DEFAULT_EVAL_POSE_MODE, type EvaluateOptions } from './eval/evaluate.js';
export type { EvaluateProgress } from './eval/stages.js';
export {
  REPORT_SCHEMA_VERSION,
  OLDEST_READ_SCHEMA_VERSION,
  validateReport,
  ReportSchemaError,
  type EvalReport,
  type ReportConfig,
  type ModelRecord,
  type MetricsConfig,
  type TimingRecord,
  type MetricRow,
  type MetricSummary,
  type FrameRecord,
  type JointRecord,
  type PanelRecord,
  type SequenceReport,
  type RecoveredRecord,
  type RecoveryRecord,
  type EvalReportV1,
  type EvalReportV2,
} from './eval/report-schema.js';
export { blurGapRecovery, type BlurGapRecovery, type RecoveryStatus } from './metrics/recovery.js';
export {
  writeReport,
  readReport,
  openReportFolder,
  REPORT_JSON,
  REPORT_HTML,
  type ReportFolder,
  type ReportFolderOptions,
  type WriteReportOptions,
} from './eval/report-files.js';
export { renderReportHtml, DEFAULT_REPORT_TITLE, DEFAULT_MAX_SEQUENCE_CHARTS, type RenderReportOptions } from './eval/report-html.js';
export { formatRecovered, formatSummaryTable, type SummaryTableOptions } from './eval/summary-table.js';
export {
  comparisonRecord,
  commonFramesRecord,
  modelDifference,
  COMMON_METRICS,
  type ModelResult,
  type ComparisonRecord,
  type DifferenceRecord,
  type DifferenceValue,
  type CommonFramesRecord,
  type CommonValues,
  type CommonMetric,
} from './eval/model-comparison.js';
export { formatComparisonTable, comparisonRows, type ComparisonRow, type ComparisonCell } from './eval/comparison-table.js';
export { reportGainSpread, type SpreadMetric, type SpreadSource } from './eval/gain-spreads.js';
export type { PerFrameMetric } from './eval/report-charts.js';
