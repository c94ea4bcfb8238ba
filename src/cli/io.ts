import { type MonoTypeOperatorFunction, pipe, take } from 'rxjs';
import { untilAborted } from '../stream/abort.js';
import { openStaging } from '../stream/atomic.js';

/** What a CLI command needs from the outside world; tests pass their own. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Aborted on Ctrl-C: commands stop and remove partial outputs (live recordings are finished and kept instead). */
  signal: AbortSignal;
}

/** How a command's action is run: `runCli` collects the task and awaits it after parsing. */
export type RunTask = (task: () => Promise<void>) => void;

/**
 * How a command reads its input frames: Ctrl-C abandons a file run (the caller removes the partial output) but
 * finishes a live one (kept), and `--max-frames` ends a live run.
 */
export function commandInput<T>(io: CliIo, live: boolean, maxFrames: number | undefined): MonoTypeOperatorFunction<T> {
  return pipe(untilAborted<T>(io.signal, live ? 'complete' : 'error'), live && maxFrames !== undefined ? take(maxFrames) : (s) => s);
}

/**
 * What the CLI says when a second Ctrl-C makes it leave at once, without removing its partial outputs: which ones it
 * leaves (the next run writing the same output removes them).
 */
export function leavingAtOnceMessage(): string {
  const left = openStaging().map((s) => s.tempPath);
  if (left.length === 0) return 'Interrupted again: stopped at once.\n';
  return `Interrupted again: stopped at once, leaving ${left.join(', ')}; the next run writing the same output removes ${left.length === 1 ? 'it' : 'them'}.\n`;
}
