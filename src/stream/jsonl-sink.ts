/**
 * JSON Lines: one JSON value per item, one item per line, for per-frame results. Written atomically.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { MonoTypeOperatorFunction } from 'rxjs';
import { expectBoolean, expectFunction, expectKnownKeys, expectString } from '../options.js';
import { checkOutputPath, outputWriteError, pendingFile, writingOutput } from './atomic.js';
import { sinkOperator } from './sink.js';

/** Options of {@link writeJsonLines}. */
export interface JsonLinesSinkOptions<T> {
  /** What to write for an item (default: the item). Typed arrays are written as plain arrays. */
  toJson?: (item: T) => unknown;
  /** Replace an existing file (default false). */
  overwrite?: boolean;
}

function replacer(_key: string, value: unknown): unknown {
  return ArrayBuffer.isView(value) && !(value instanceof DataView) ? Array.from(value as unknown as ArrayLike<number>) : value;
}

/** A pass-through operator that writes each item as a line of JSON to `path`. An empty stream writes an empty file. */
export function writeJsonLines<T>(path: string, options: JsonLinesSinkOptions<T> = {}): MonoTypeOperatorFunction<T> {
  expectString('path', path);
  expectKnownKeys('writeJsonLines options', options, ['toJson', 'overwrite']);
  const toJson = options.toJson === undefined ? (item: T) => item : expectFunction<(item: T) => unknown>('toJson', options.toJson);
  const overwrite = expectBoolean('overwrite', options.overwrite ?? false);
  checkOutputPath(path, overwrite, 'file');
  return sinkOperator<T>(async () => {
    const output = await pendingFile(path, overwrite);
    const stream = createWriteStream(output.tempPath, { flags: 'wx' });
    // Kept for the whole life of the stream: a write error (disk full) surfaces at the next write or at finish.
    let failure: Error | undefined;
    stream.on('error', (error) => (failure ??= error));
    try {
      await once(stream, 'open');
    } catch (cause) {
      await output.abort();
      throw outputWriteError(path, cause);
    }
    const check = () => {
      if (failure) throw outputWriteError(path, failure);
    };
    return {
      async write(item) {
        check();
        const line = `${JSON.stringify(toJson(item), replacer)}\n`;
        if (!stream.write(line)) await writingOutput(path, () => Promise.race([once(stream, 'drain'), once(stream, 'close')]));
        check();
      },
      async finish() {
        check();
        stream.end();
        await writingOutput(path, () => once(stream, 'close'));
        check();
        await output.commit();
      },
      async abort() {
        stream.destroy();
        await output.abort();
      },
    };
  });
}
