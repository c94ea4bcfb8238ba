/**
 * A one-line progress bar on a TTY (stderr). Off the TTY it prints nothing, so logs and --json stay clean.
 */
import type { Progress } from '../stream/progress.js';

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** Renders a progress report as one line, e.g. `convert [########------] 57% 120/210 frames 31.0 fps ETA 3s`. */
export function renderProgress(label: string, p: Progress, unit = 'frames', width = 24): string {
  const rate = `${p.ratePerSecond.toFixed(1)} ${unit === 'frames' ? 'fps' : `${unit}/s`}`;
  if (p.total === undefined || p.total === 0) return `${label} ${p.done} ${unit} ${rate} ${formatDuration(p.elapsedMs)}`;
  const fraction = Math.min(1, p.done / p.total);
  const filled = Math.round(fraction * width);
  const eta = p.complete ? `in ${formatDuration(p.elapsedMs)}` : p.etaMs !== undefined ? `ETA ${formatDuration(p.etaMs)}` : '';
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.round(fraction * 100)}% ${p.done}/${p.total} ${unit} ${rate} ${eta}`.trimEnd();
}

/** Returns an `onProgress` callback drawing a bar on `stream` when it is a TTY and `enabled`. */
export function progressBar(label: string, stream: NodeJS.WriteStream, enabled: boolean): (p: Progress) => void {
  if (!enabled || !stream.isTTY) return () => undefined;
  return (p) => {
    stream.write(`\r\x1b[2K${renderProgress(label, p)}`);
    if (p.complete) stream.write('\n');
  };
}
