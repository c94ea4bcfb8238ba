/**
 * Typed errors. Every error the toolkit raises on purpose is a {@link PromotionError} with a stable `code`,
 * a message that names the input and the fix, and the native error (if any) as `cause`.
 */

/** Stable machine-readable error codes. The CLI maps them to exit codes (see `src/cli/exit-codes.ts`). */
export type ErrorCode =
  | 'INVALID_OPTION'
  | 'INPUT_NOT_FOUND'
  | 'CORRUPT_INPUT'
  | 'FRAME_MISMATCH'
  | 'DATASET_FORMAT'
  | 'FFMPEG_EXIT'
  | 'NATIVE_DEPENDENCY'
  | 'OUTPUT_EXISTS'
  | 'OUTPUT_NOT_WRITABLE'
  | 'WORKER_FAILED'
  | 'ABORTED'
  | 'PIPELINE_STALL'
  | 'INPUT_TIMEOUT'
  | 'EMPTY_INPUT'
  | 'MODEL_ASSET'
  | 'MODEL_CONTRACT'
  | 'QUEUE_UNREACHABLE'
  | 'QUEUE_INCOMPATIBLE'
  | 'PATH_NOT_SHARED'
  | 'SEQUENCES_FAILED';

/** Base class of every error the toolkit raises on purpose. */
export class PromotionError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An option has a value outside what it accepts. The message names the option, what was expected and what came. */
export class InvalidOptionError extends PromotionError {
  constructor(message: string) {
    super('INVALID_OPTION', message);
  }
}

/** A path the caller named does not exist (or is not the kind of thing expected there). */
export class InputNotFoundError extends PromotionError {
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('INPUT_NOT_FOUND', message, options);
    this.path = path;
  }
}

/** An input exists but cannot be decoded: a corrupt image, a truncated video. */
export class CorruptInputError extends PromotionError {
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('CORRUPT_INPUT', message, options);
    this.path = path;
  }
}

/** A source that holds no frames where frames are needed (an empty stream into a video or image sink). */
export class EmptyInputError extends PromotionError {
  constructor(message: string) {
    super('EMPTY_INPUT', message);
  }
}

/** Live input stopped delivering frames for longer than the caller allows. */
export class InputTimeoutError extends PromotionError {
  readonly input: string;
  constructor(input: string, message: string) {
    super('INPUT_TIMEOUT', message);
    this.input = input;
  }
}

/** Frames that must agree (size, channels, sample type) do not. */
export class FrameMismatchError extends PromotionError {
  constructor(message: string) {
    super('FRAME_MISMATCH', message);
  }
}

/** A dataset file does not follow its format (e.g. an FPHA `skeleton.txt` with the wrong column count). */
export class DatasetFormatError extends PromotionError {
  readonly path: string;
  readonly line: number | undefined;
  constructor(path: string, message: string, line?: number) {
    super('DATASET_FORMAT', message);
    this.path = path;
    this.line = line;
  }
}

/** ffmpeg (or ffprobe) exited with an error. Carries its exit code and the last lines it wrote to stderr. */
export class FfmpegExitError extends PromotionError {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stderrTail: readonly string[];
  constructor(message: string, exitCode: number | null, signal: string | null, stderrTail: readonly string[]) {
    const tail = stderrTail.length > 0 ? `\nffmpeg's last output:\n  ${stderrTail.join('\n  ')}` : '';
    super('FFMPEG_EXIT', message + tail);
    this.exitCode = exitCode;
    this.signal = signal;
    this.stderrTail = stderrTail;
  }
}

/** A native program or module the toolkit needs is missing or broken. `installHint` says how to fix it. */
export class NativeDependencyError extends PromotionError {
  readonly installHint: string;
  constructor(message: string, installHint: string, options?: { cause?: unknown }) {
    super('NATIVE_DEPENDENCY', `${message} ${installHint}`, options);
    this.installHint = installHint;
  }
}

/** The output already exists and the caller did not ask to overwrite it. Nothing was written. */
export class OutputExistsError extends PromotionError {
  readonly path: string;
  constructor(path: string, message?: string) {
    super('OUTPUT_EXISTS', message ?? `Output ${path} already exists; pass overwrite: true (CLI: --overwrite) to replace it, or choose another path.`);
    this.path = path;
  }
}

/** Why an output cannot be written, as the file system said it. */
export type OutputFault = 'not-a-folder' | 'read-only' | 'permission-denied' | 'disk-full';

/**
 * The output cannot be written: a folder on its path is a file, the file system is read-only, access is denied, or
 * the disk is full. Raised before any work where it can be told then, else when a write fails; either way nothing
 * half-written is left. `fault` says which, the native error is the `cause`.
 */
export class OutputNotWritableError extends PromotionError {
  readonly path: string;
  readonly fault: OutputFault;
  constructor(path: string, fault: OutputFault, message: string, options?: { cause?: unknown }) {
    super('OUTPUT_NOT_WRITABLE', message, options);
    this.path = path;
    this.fault = fault;
  }
}

/**
 * A model file the toolkit assembles or loads is missing, damaged or not the one expected (its SHA-256 differs).
 * The message names the file, both checksums where known, and the fix.
 */
export class ModelAssetError extends PromotionError {
  readonly path: string | undefined;
  constructor(message: string, path?: string, options?: { cause?: unknown }) {
    super('MODEL_ASSET', message, options);
    this.path = path;
  }
}

/**
 * A deblurring model (an ONNX file and its model card, models/README.md) does not follow the runtime contract: a
 * missing, unreadable or unknown-version card, a file whose SHA-256 differs from its card, a truncated or non-ONNX
 * file, or inputs and outputs that differ from what the card and the contract say. The message names the file and
 * the fix.
 */
export class ModelContractError extends PromotionError {
  readonly path: string;
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('MODEL_CONTRACT', message, options);
    this.path = path;
  }
}

/**
 * The job queue (a Redis server named by a `redis://host:port[/db]` URL) cannot be reached or refused the
 * connection. Nothing was written. The message names the URL and how to start or reach a Redis server.
 */
export class QueueUnreachableError extends PromotionError {
  readonly url: string;
  constructor(url: string, message: string, options?: { cause?: unknown }) {
    super('QUEUE_UNREACHABLE', message, options);
    this.url = url;
  }
}

/**
 * The queue was made by a version of the toolkit whose job format differs from this one's (or by something other
 * than the toolkit). Nothing was written or taken. The message names both versions and formats and the fix.
 */
export class QueueIncompatibleError extends PromotionError {
  readonly url: string;
  constructor(url: string, message: string) {
    super('QUEUE_INCOMPATIBLE', message);
    this.url = url;
  }
}

/**
 * A path that a queued job names (an input, or the output folder the planner prepared) is not visible on the
 * machine running the job: inputs and outputs of a queued run must live on paths every worker sees (a network
 * mount at the same place). Nothing was written.
 */
export class PathNotSharedError extends PromotionError {
  readonly path: string;
  constructor(path: string, message: string) {
    super('PATH_NOT_SHARED', message);
    this.path = path;
  }
}

/** Some sequences of a queued synthesis failed after their retries; `failures` lists each one with its error. */
export class SequencesFailedError extends PromotionError {
  readonly failures: ReadonlyArray<{ readonly id: string; readonly reason: string; readonly attempts: number }>;
  constructor(message: string, failures: ReadonlyArray<{ readonly id: string; readonly reason: string; readonly attempts: number }>) {
    super('SEQUENCES_FAILED', message);
    this.failures = failures;
  }
}
