/**
 * Backpressure between a pull-based source and a push-based RxJS pipeline.
 *
 * RxJS pushes: `from(source.frames())` reads as fast as the decoder runs, and a slow `concatMap` downstream buffers
 * every frame it has not reached yet, so memory grows with the length of the video. {@link pipeSource} instead
 * hands the pipeline at most `highWaterMark` frames that have not yet come out of the other end; each output
 * returns one credit and lets the next frame in. The decoder is never asked for more, so it pauses (ffmpeg blocks
 * on a full pipe) while the consumer lags.
 */
import { Observable, defer, from, type OperatorFunction } from 'rxjs';
import { PromotionError } from '../errors.js';
import { expectInteger, expectKnownKeys, expectTimeout } from '../options.js';
import type { Frame } from './frame.js';
import type { FrameSource } from './source.js';

/** Default number of frames in flight inside a pipeline driven by {@link pipeSource}. */
export const DEFAULT_HIGH_WATER_MARK = 8;

/** Default time a full pipeline may go without emitting before {@link PipelineStallError}: 2 minutes. */
export const DEFAULT_STALL_TIMEOUT_MS = 120_000;

/**
 * The pipeline under {@link pipeSource} held `highWaterMark` frames and emitted nothing for `stallTimeoutMs`. Almost
 * always an operator that does not emit one output per input (toArray, reduce, filter, last) placed inside the
 * pipeline instead of after `pipeSource`; otherwise a stage slower than the timeout.
 */
export class PipelineStallError extends PromotionError {
  constructor(highWaterMark: number, stallTimeoutMs: number) {
    super(
      'PIPELINE_STALL',
      `pipeSource: the pipeline holds ${highWaterMark} frames and has emitted nothing for ${stallTimeoutMs / 1000} s. ` +
        'The pipeline must emit one output per input frame: move aggregating or filtering operators (toArray, reduce, filter, last) after pipeSource(...). ' +
        'If a stage is simply that slow, raise stallTimeoutMs (or pass Infinity).',
    );
  }
}

/** Options of {@link pipeSource}. */
export interface PipeSourceOptions {
  /**
   * Frames inside the pipeline at once (default {@link DEFAULT_HIGH_WATER_MARK}). Must exceed the look-ahead of
   * the pipeline's operators (a centred window of N frames holds (N - 1) / 2 frames back) and its concurrency.
   */
  highWaterMark?: number;
  /**
   * Fail with {@link PipelineStallError} when the pipeline holds `highWaterMark` frames and emits nothing for this
   * long (default {@link DEFAULT_STALL_TIMEOUT_MS}; Infinity never fails). Turns a misplaced `toArray()` from a
   * silent hang into an error that says what to change.
   */
  stallTimeoutMs?: number;
}

/**
 * Streams `source` through `pipeline` with bounded memory. The pipeline must emit one output per input (every
 * frame operator of this toolkit does); outputs are what the returned Observable emits. Unsubscribing stops the
 * source (its ffmpeg process is killed).
 */
export function pipeSource<F extends Frame, R>(
  source: FrameSource<F> | AsyncIterable<F>,
  pipeline: OperatorFunction<F, R>,
  options: PipeSourceOptions = {},
): Observable<R> {
  expectKnownKeys('pipeSource options', options, ['highWaterMark', 'stallTimeoutMs']);
  const highWaterMark = expectInteger('highWaterMark', options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK, 1, 1_000_000);
  const stallTimeoutMs = expectTimeout('stallTimeoutMs', options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS);
  return defer(() => {
    let grant: () => void = () => undefined;
    const input$ = new Observable<F>((subscriber) => {
      // Aborted on teardown: stops the decoder at once, even while a pull waits for a frame (live input).
      const reading = new AbortController();
      const iterator = 'frames' in source ? source.frames({ signal: reading.signal }) : source[Symbol.asyncIterator]();
      let credits = highWaterMark;
      let pulling = false;
      let closed = false;
      // Armed while every credit is out; any output disarms it. Keeps the process alive meanwhile, on purpose.
      // The error enters at the source end, so it flows through the pipeline and its sinks remove their partial
      // outputs before the caller sees it.
      let watchdog: ReturnType<typeof setTimeout> | undefined;
      const arm = () => {
        if (watchdog === undefined && Number.isFinite(stallTimeoutMs) && credits === 0 && !closed) {
          watchdog = setTimeout(() => {
            if (!closed) subscriber.error(new PipelineStallError(highWaterMark, stallTimeoutMs));
          }, stallTimeoutMs);
        }
      };
      const disarm = () => {
        if (watchdog !== undefined) clearTimeout(watchdog);
        watchdog = undefined;
      };
      const pump = async () => {
        if (pulling) return;
        pulling = true;
        try {
          while (credits > 0 && !closed) {
            const result = await iterator.next();
            if (closed) return;
            if (result.done) {
              subscriber.complete();
              return;
            }
            credits--;
            subscriber.next(result.value);
          }
          arm();
        } catch (error) {
          if (!closed) subscriber.error(error);
        } finally {
          pulling = false;
        }
      };
      grant = () => {
        disarm();
        credits++;
        void pump();
      };
      void pump();
      return () => {
        closed = true;
        disarm();
        reading.abort();
        // Ends the generator (runs its finally). If a pull is in flight, return() queues behind it, and the abort
        // above is what makes that pull finish promptly.
        void iterator.return?.(undefined)?.catch(() => undefined);
      };
    });
    return new Observable<R>((subscriber) =>
      input$.pipe(pipeline).subscribe({
        next: (value) => {
          subscriber.next(value);
          grant();
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      }),
    );
  });
}

/**
 * A source as a plain Observable, without backpressure: the decoder runs as fast as it can and anything slower
 * downstream buffers. Fine for short sources or fast pipelines; use {@link pipeSource} for long videos.
 */
export function sourceFrames$<F extends Frame>(source: FrameSource<F>): Observable<F> {
  return new Observable<F>((subscriber) => {
    const reading = new AbortController();
    const subscription = from(source.frames({ signal: reading.signal })).subscribe(subscriber);
    return () => {
      reading.abort();
      subscription.unsubscribe();
    };
  });
}
