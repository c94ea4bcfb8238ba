/**
 * A sliding window of N frames centred on each frame. Every input frame gets exactly one window, in order; at both
 * ends the missing neighbours are the edge frame repeated (edge replication).
 *
 * Gaps: frames of a live source can be dropped, so two neighbours in a window may be more than one frame interval
 * apart (`frame.index` tells). With `gapPolicy: 'bridge'` (default) a window spans the gap as if it were not there;
 * with `'split'`, a jump in `index` larger than `maxGap` ends the segment: windows on each side replicate their own
 * edge frame instead of reaching across.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { expectInteger, expectKnownKeys, expectOneOf, invalidOption } from '../options.js';

/** The paper's window: 5 frames, the centre at offset 2. */
export const DEFAULT_WINDOW_SIZE = 5;

/** A window of frames around a centre frame. */
export interface FrameWindow<F> {
  /** The frame this window is for. */
  readonly center: F;
  /** `size` frames, the centre at {@link FrameWindow.centerOffset}; edge frames repeated where neighbours are missing. */
  readonly frames: readonly F[];
  /** Position of the centre in `frames`: (size - 1) / 2. */
  readonly centerOffset: number;
}

/** Options of {@link slidingWindow}. */
export interface SlidingWindowOptions {
  /** What a window does across a gap in `index` (see the module comment). Default 'bridge'. */
  gapPolicy?: 'bridge' | 'split';
  /** With 'split': the largest index step still treated as contiguous (default 1). */
  maxGap?: number;
}

/**
 * Emits one {@link FrameWindow} per input, centred on it, `size` frames wide (odd; default
 * {@link DEFAULT_WINDOW_SIZE}). Holds at most `size` frames.
 */
export function slidingWindow<F extends { readonly index: number }>(
  size: number = DEFAULT_WINDOW_SIZE,
  options: SlidingWindowOptions = {},
): OperatorFunction<F, FrameWindow<F>> {
  expectInteger('size', size, 1, 255);
  if (size % 2 === 0) invalidOption('size', 'odd integer (the window is centred)', size);
  expectKnownKeys('slidingWindow options', options, ['gapPolicy', 'maxGap']);
  const gapPolicy = expectOneOf('gapPolicy', options.gapPolicy ?? 'bridge', ['bridge', 'split'] as const);
  const maxGap = expectInteger('maxGap', options.maxGap ?? 1, 1);
  const radius = (size - 1) / 2;

  return (source) =>
    new Observable<FrameWindow<F>>((subscriber) => {
      // The current segment: frames at segment positions [start, start + held.length); centres before `next` are done.
      let held: F[] = [];
      let start = 0;
      let next = 0;
      let count = 0; // frames in the segment so far

      const at = (position: number, last: number): F => held[Math.min(Math.max(position, 0), last) - start]!;
      const emit = (center: number, last: number) => {
        const frames: F[] = [];
        for (let k = center - radius; k <= center + radius; k++) frames.push(at(k, last));
        subscriber.next({ center: at(center, last), frames, centerOffset: radius });
      };
      const trim = () => {
        const keepFrom = Math.max(0, next - radius);
        if (keepFrom > start) {
          held = held.slice(keepFrom - start);
          start = keepFrom;
        }
      };
      const flush = () => {
        while (next < count) emit(next++, count - 1);
        held = [];
        start = 0;
        next = 0;
        count = 0;
      };

      return source.subscribe({
        next(frame) {
          const previous = held.at(-1);
          if (gapPolicy === 'split' && previous !== undefined && frame.index - previous.index > maxGap) flush();
          held.push(frame);
          count++;
          // A centre can go out once `radius` frames after it exist. Earlier positions are clamped to 0 by `at`.
          while (next + radius < count) emit(next++, Number.MAX_SAFE_INTEGER);
          trim();
        },
        error: (error: unknown) => subscriber.error(error),
        complete() {
          flush();
          subscriber.complete();
        },
      });
    });
}
