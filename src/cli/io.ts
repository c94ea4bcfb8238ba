import { type MonoTypeOperatorFunction, pipe, take } from 'rxjs';
import { untilAborted } from '../stream/abort.js';

/** What a CLI command needs from the outside world; tests pass their own. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Aborted on Ctrl-C: commands stop and remove partial outputs (live recordings are finished and kept instead). */
  signal: AbortSignal;
}

/**
 * How a command reads its input frames: Ctrl-C abandons a file run (the caller removes the partial output) but
 * finishes a live one (kept), and `--max-frames` ends a live run.
 */
export function commandInput<T>(io: CliIo, live: boolean, maxFrames: number | undefined): MonoTypeOperatorFunction<T> {
  return pipe(untilAborted<T>(io.signal, live ? 'complete' : 'error'), live && maxFrames !== undefined ? take(maxFrames) : (s) => s);
}
