/**
 * What every frame source is: pull-based (an async iterator of frames; a consumer that stops pulling pauses the
 * decoder) and described by a {@link SourceInfo}. Turn one into an Observable with `pipeSource` (backpressure) or
 * `sourceFrames$` (none; for sources that are fast or already bounded).
 */
import type { Frame } from './frame.js';

/** The kinds of source the toolkit reads. */
export type SourceKind = 'video' | 'image-sequence' | 'fpha' | 'live';

/** What a source holds. */
export interface SourceInfo {
  readonly kind: SourceKind;
  /** The input as the caller named it (path or URL). */
  readonly input: string;
  readonly width: number;
  readonly height: number;
  /** Frames per second (for image sequences, the rate the caller gave; default 30). */
  readonly fps: number;
  /** Number of frames, when known before reading (undefined for live input). */
  readonly frameCount: number | undefined;
  /** Sample type of the frames `frames()` yields. */
  readonly sampleType: 'uint8' | 'uint16';
  /** Bits per component stored in the input (8, 10, 12, 16...). */
  readonly sourceBitDepth: number;
  /** Extra facts particular to the kind (codec, pixel format, file names, skeleton path...). */
  readonly details: Readonly<Record<string, string | number | boolean>>;
}

/** Options of {@link FrameSource.frames}. */
export interface FrameReadOptions {
  /** Stops reading (and the decoder) when aborted. */
  signal?: AbortSignal;
}

/** A pull-based source of frames. */
export interface FrameSource<F extends Frame = Frame> {
  readonly info: SourceInfo;
  /**
   * Starts reading from the beginning and yields frames in order. Returning early (`break`, `return()`) stops the
   * decoder and frees its resources; so does aborting `signal`, at once, even while a frame is awaited (a live
   * source may wait seconds for its next frame). An aborted read ends quietly, without an error.
   */
  frames(options?: FrameReadOptions): AsyncIterableIterator<F>;
}
