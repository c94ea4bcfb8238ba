/**
 * The shape every sink shares: a pass-through operator that writes each item before passing it on (so a slow
 * writer slows the pipeline instead of buffering), commits on completion and aborts on error or unsubscribe.
 */
import { Observable, type MonoTypeOperatorFunction } from 'rxjs';

/** What a sink does with the items. */
export interface SinkWriter<T> {
  write(item: T): Promise<void>;
  /** Completes the output (flush, close, rename into place). */
  finish(): Promise<void>;
  /** Discards the output; must be safe to call at any time, also after `finish`. */
  abort(): Promise<void>;
}

/**
 * Builds a sink operator. `open` runs once, on the first item (or on completion when there was none, with
 * `undefined`), so sinks can take their geometry from the first frame.
 */
export function sinkOperator<T>(open: (first: T | undefined) => Promise<SinkWriter<T>>): MonoTypeOperatorFunction<T> {
  return (source) =>
    new Observable<T>((subscriber) => {
      let writer: Promise<SinkWriter<T>> | undefined;
      let chain: Promise<void> = Promise.resolve();
      let stopped = false;
      const getWriter = (first: T | undefined) => (writer ??= open(first));
      const fail = (error: unknown) => {
        if (stopped) return;
        stopped = true;
        void abort().finally(() => subscriber.error(error));
      };
      const abort = async () => {
        await chain.catch(() => undefined);
        if (writer) await (await writer.catch(() => undefined))?.abort().catch(() => undefined);
      };
      const subscription = source.subscribe({
        next(item) {
          chain = chain.then(async () => {
            if (stopped) return;
            const w = await getWriter(item);
            await w.write(item);
            if (!stopped) subscriber.next(item);
          });
          chain.catch(fail);
        },
        error: fail,
        complete() {
          chain = chain.then(async () => {
            if (stopped) return;
            await (await getWriter(undefined)).finish();
            stopped = true;
            subscriber.complete();
          });
          chain.catch(fail);
        },
      });
      return () => {
        subscription.unsubscribe();
        if (!stopped) {
          stopped = true;
          void abort();
        }
      };
    });
}
