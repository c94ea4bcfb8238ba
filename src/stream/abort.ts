/**
 * Ending a stream from an AbortSignal (Ctrl-C, a timeout, a UI button).
 */
import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { PromotionError } from '../errors.js';

/** The error a stream ends with when aborted in 'error' mode. */
export class AbortedError extends PromotionError {
  constructor() {
    super('ABORTED', 'The run was interrupted; partial outputs were removed.');
  }
}

/**
 * Passes items until `signal` aborts, then either completes (`'complete'`: sinks downstream finish and keep what
 * they wrote, as a live recording should) or errors with {@link AbortedError} (`'error'`: sinks downstream remove
 * their partial output before the error arrives, so awaiting the stream awaits the clean-up).
 */
export function untilAborted<T>(signal: AbortSignal, mode: 'complete' | 'error'): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      const onAbort = () => (mode === 'complete' ? subscriber.complete() : subscriber.error(new AbortedError()));
      if (signal.aborted) {
        onAbort();
        return undefined;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      const subscription = source.subscribe(subscriber);
      return () => {
        signal.removeEventListener('abort', onAbort);
        subscription.unsubscribe();
      };
    });
}
