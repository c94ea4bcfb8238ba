/**
 * Image sequences: one PNG (8 or 16-bit) or JPEG per frame, named `<prefix><number>.<ext>` with a running number
 * from `startNumber`. The folder is staged and renamed into place on completion (see atomic.ts).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MonoTypeOperatorFunction } from 'rxjs';
import { EmptyInputError, FrameMismatchError, InvalidOptionError } from '../errors.js';
import { expectBoolean, expectInteger, expectKnownKeys, expectOneOf, expectString } from '../options.js';
import { checkOutputPath, pendingFolder, writingOutput } from './atomic.js';
import type { Frame } from './frame.js';
import { encodeImage, type ImageFormat } from './image-codec.js';
import { sinkOperator } from './sink.js';

/** Options of {@link writeImageSequence}. */
export interface ImageSequenceSinkOptions {
  /** 'png' (default) or 'jpeg'. */
  format?: ImageFormat;
  /** PNG bits per sample; default: 16 for 16-bit and float frames, 8 for 8-bit ones. JPEG is always 8. */
  bitDepth?: 8 | 16;
  /** JPEG quality 1-100 (default 95). */
  quality?: number;
  /** File name prefix (default 'frame_'). */
  prefix?: string;
  /** Digits of the running number, zero-padded (default 6). */
  digits?: number;
  /** First number (default 0). */
  startNumber?: number;
  /** Replace an existing non-empty folder (default false). */
  overwrite?: boolean;
}

/** Default image format of an image-folder output. */
export const DEFAULT_IMAGE_FORMAT = 'png';

/** Default JPEG quality (1-100). */
export const DEFAULT_JPEG_QUALITY = 95;

const KEYS = ['format', 'bitDepth', 'quality', 'prefix', 'digits', 'startNumber', 'overwrite'] as const;

/** A pass-through operator that writes every frame as an image into the folder `dir`. */
export function writeImageSequence<F extends Frame>(dir: string, options: ImageSequenceSinkOptions = {}): MonoTypeOperatorFunction<F> {
  expectString('dir', dir);
  expectKnownKeys('writeImageSequence options', options, KEYS);
  const format = expectOneOf('format', options.format ?? DEFAULT_IMAGE_FORMAT, ['png', 'jpeg'] as const);
  const bitDepth = options.bitDepth === undefined ? undefined : expectOneOf('bitDepth', options.bitDepth, [8, 16] as const);
  if (format === 'jpeg' && bitDepth === 16) throw new InvalidOptionError('Expected bitDepth 8 for format jpeg (JPEG has no 16-bit mode) but received 16 of type number');
  const quality = expectInteger('quality', options.quality ?? DEFAULT_JPEG_QUALITY, 1, 100);
  const prefix = options.prefix === undefined ? 'frame_' : expectString('prefix', options.prefix);
  if (/[/\\]/.test(prefix)) throw new InvalidOptionError(`Expected a file name prefix without slashes for prefix but received ${JSON.stringify(prefix)} of type string`);
  const digits = expectInteger('digits', options.digits ?? 6, 1, 12);
  const startNumber = expectInteger('startNumber', options.startNumber ?? 0, 0);
  const overwrite = expectBoolean('overwrite', options.overwrite ?? false);
  const ext = format === 'png' ? 'png' : 'jpg';
  checkOutputPath(dir, overwrite, 'folder');

  return sinkOperator<F>(async (first) => {
    if (first === undefined) throw new EmptyInputError(`No frames to write to ${dir}: the source was empty.`);
    const output = await pendingFolder(dir, overwrite);
    let n = startNumber;
    return {
      async write(frame) {
        if (frame.width !== first.width || frame.height !== first.height) {
          throw new FrameMismatchError(`Frame ${frame.index} is ${frame.width}x${frame.height} but ${dir} is being written at ${first.width}x${first.height} (from the first frame).`);
        }
        const bytes = await encodeImage(frame, format, { ...(bitDepth ? { bitDepth } : {}), quality });
        const file = join(output.tempPath, `${prefix}${String(n++).padStart(digits, '0')}.${ext}`);
        await writingOutput(dir, () => writeFile(file, bytes));
      },
      finish: () => output.commit(),
      abort: () => output.abort(),
    };
  });
}
