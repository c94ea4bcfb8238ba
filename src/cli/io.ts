/** What a CLI command needs from the outside world; tests pass their own. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  /** Aborted on Ctrl-C: commands stop and remove partial outputs (live recordings are finished and kept instead). */
  signal: AbortSignal;
}
