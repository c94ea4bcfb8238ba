/**
 * The CLI's exit codes. Scripts can rely on them.
 *
 * | code | meaning |
 * |---|---|
 * | 0 | success |
 * | 1 | unexpected internal error (a bug: please report it) |
 * | 2 | invalid usage or option |
 * | 3 | bad input: missing, corrupt, mismatched or malformed (a deblurring model that breaks its contract included) |
 * | 4 | a native dependency (ffmpeg, sharp) is missing, or a model asset is damaged |
 * | 5 | the output exists (pass --overwrite), holds the input, or is a folder promotion did not write |
 * | 7 | the output cannot be written: a folder on its path is a file, the disk is read-only or full, access denied |
 * | 6 | ffmpeg failed |
 * | 8 | the job queue cannot be used: unreachable, or made by a version with another job format |
 * | 9 | some queued sequences failed after their retries (each is listed with its error) |
 * | 130 | interrupted (Ctrl-C); partial outputs were removed |
 */
import { PromotionError, type ErrorCode } from '../errors.js';

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_USAGE = 2;
export const EXIT_INPUT = 3;
export const EXIT_DEPENDENCY = 4;
export const EXIT_OUTPUT_EXISTS = 5;
export const EXIT_FFMPEG = 6;
export const EXIT_OUTPUT_NOT_WRITABLE = 7;
export const EXIT_QUEUE = 8;
export const EXIT_SEQUENCES_FAILED = 9;
export const EXIT_INTERRUPTED = 130;

const BY_CODE: Record<ErrorCode, number> = {
  INVALID_OPTION: EXIT_USAGE,
  INPUT_NOT_FOUND: EXIT_INPUT,
  CORRUPT_INPUT: EXIT_INPUT,
  FRAME_MISMATCH: EXIT_INPUT,
  DATASET_FORMAT: EXIT_INPUT,
  NATIVE_DEPENDENCY: EXIT_DEPENDENCY,
  OUTPUT_EXISTS: EXIT_OUTPUT_EXISTS,
  OUTPUT_NOT_WRITABLE: EXIT_OUTPUT_NOT_WRITABLE,
  FFMPEG_EXIT: EXIT_FFMPEG,
  WORKER_FAILED: EXIT_INTERNAL,
  ABORTED: EXIT_INTERRUPTED,
  PIPELINE_STALL: EXIT_INTERNAL,
  INPUT_TIMEOUT: EXIT_INPUT,
  EMPTY_INPUT: EXIT_INPUT,
  MODEL_ASSET: EXIT_DEPENDENCY,
  MODEL_CONTRACT: EXIT_INPUT,
  QUEUE_UNREACHABLE: EXIT_QUEUE,
  QUEUE_INCOMPATIBLE: EXIT_QUEUE,
  PATH_NOT_SHARED: EXIT_INPUT,
  SEQUENCES_FAILED: EXIT_SEQUENCES_FAILED,
};

/** Exit code for an error. */
export function exitCodeFor(error: unknown): number {
  return error instanceof PromotionError ? BY_CODE[error.code] : EXIT_INTERNAL;
}
