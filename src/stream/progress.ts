/**
 * Progress reporting as a pass-through operator: counts items, measures rate, estimates time left.
 */
import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { expectFunction, expectInteger, expectKnownKeys, expectNumber } from '../options.js';

/** A progress report. */
export interface Progress {
  /** Items through so far. */
  readonly done: number;
  /** Items expected in all, when known. */
  readonly total: number | undefined;
  /** Milliseconds since the first subscription. */
  readonly elapsedMs: number;
  /** Items per second so far. */
  readonly ratePerSecond: number;
  /** Estimated milliseconds left, when `total` is known. */
  readonly etaMs: number | undefined;
  /** True on the last report (source completed). */
  readonly complete: boolean;
}

/** Options of {@link progress}. */
export interface ProgressOptions {
  /** Called with each report. */
  onProgress: (progress: Progress) => void;
  /** Items expected, for percentages and ETA. */
  total?: number;
  /** Least time between reports in ms (default 100); the final report always comes. */
  intervalMs?: number;
}

/** Reports progress through `onProgress` as items pass; passes every item on unchanged. */
export function progress<T>(options: ProgressOptions): MonoTypeOperatorFunction<T> {
  expectKnownKeys('progress options', options, ['onProgress', 'total', 'intervalMs']);
  const onProgress = expectFunction<(p: Progress) => void>('onProgress', options.onProgress);
  const total = options.total === undefined ? undefined : expectInteger('total', options.total, 0);
  const intervalMs = expectNumber('intervalMs', options.intervalMs ?? 100, 0);
  return (source) =>
    new Observable<T>((subscriber) => {
      const started = performance.now();
      let done = 0;
      let lastReport = -Infinity;
      const report = (complete: boolean) => {
        const now = performance.now();
        if (!complete && now - lastReport < intervalMs) return;
        lastReport = now;
        const elapsedMs = now - started;
        const ratePerSecond = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
        const etaMs = total !== undefined && ratePerSecond > 0 ? (Math.max(0, total - done) * 1000) / ratePerSecond : undefined;
        onProgress({ done, total, elapsedMs, ratePerSecond, etaMs, complete });
      };
      // A throwing callback ends the stream with its error instead of escaping as an uncaught exception.
      const safeReport = (complete: boolean): boolean => {
        try {
          report(complete);
          return true;
        } catch (error) {
          subscriber.error(error);
          return false;
        }
      };
      return source.subscribe({
        next(value) {
          done++;
          subscriber.next(value);
          safeReport(false);
        },
        error: (error: unknown) => subscriber.error(error),
        complete() {
          if (safeReport(true)) subscriber.complete();
        },
      });
    });
}
