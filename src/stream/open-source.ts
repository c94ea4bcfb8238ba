/**
 * One entry point for every input: picks the source kind from what the input is.
 *   - a URL with a streaming scheme (rtsp://, udp://, http://...) or /dev/video*: live input;
 *   - a folder with a color/ folder: an FPHA sequence;
 *   - any other folder: an image sequence;
 *   - a file: a video.
 */
import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InputNotFoundError } from '../errors.js';
import { expectKnownKeys, expectOneOf } from '../options.js';
import { openFphaSequence } from './fpha-source.js';
import type { Frame } from './frame.js';
import { openImageSequence } from './image-sequence-source.js';
import { isLiveInput, openLive, type LiveSourceOptions } from './live-source.js';
import type { FrameSource, SourceKind } from './source.js';
import { openVideo } from './video-source.js';

/** Options of {@link openSource}: the kind, plus options common to the kinds. */
export interface OpenSourceOptions {
  /** Force a kind instead of detecting it (default 'auto'). */
  kind?: SourceKind | 'auto';
  /** Sample type (default 'auto': 16-bit when the input stores more than 8 bits; live: 8-bit). */
  sampleType?: 'auto' | 'uint8' | 'uint16';
  /** Stop after this many frames (not for live input). */
  maxFrames?: number;
  /** Frame rate for image sequences and FPHA (videos and live input report their own). */
  fps?: number;
  /** Live input only: ffmpeg input format, extra input options and queue length. */
  live?: Pick<LiveSourceOptions, 'format' | 'inputOptions' | 'maxQueue' | 'lowLatency' | 'idleTimeoutMs'>;
  /** Video only: false keeps the frames that decode from a damaged file (default true). */
  strict?: boolean;
  /** Video only, with `strict: false`: hears how many frames were kept (default: a Node process warning). */
  onWarning?: (message: string) => void;
}

const isDir = (p: string) => access(p).then(() => stat(p).then((s) => s.isDirectory()), () => false);

/** Detects the kind of an input without opening it. */
export async function detectSourceKind(input: string): Promise<SourceKind> {
  if (isLiveInput(input)) return 'live';
  const s = await stat(input).catch((cause: unknown) => {
    throw new InputNotFoundError(input, `Input ${input} does not exist. Check the path (relative paths start at ${process.cwd()}).`, { cause });
  });
  if (!s.isDirectory()) return 'video';
  if (await isDir(join(input, 'color'))) return 'fpha';
  if (await isDir(join(input, 'Video_files'))) {
    throw new InputNotFoundError(
      input,
      `${input} is an FPHA dataset root; name one sequence folder (e.g. ${join(input, 'Video_files', 'Subject_1', '<action>', '1')}) or list them with listFphaSequences().`,
    );
  }
  return 'image-sequence';
}

/** Opens any input as a frame source (see the module comment for how the kind is chosen). */
export async function openSource(input: string, options: OpenSourceOptions = {}): Promise<FrameSource<Frame>> {
  expectKnownKeys('openSource options', options, ['kind', 'sampleType', 'maxFrames', 'fps', 'live', 'strict', 'onWarning']);
  const requested = expectOneOf('kind', options.kind ?? 'auto', ['auto', 'video', 'image-sequence', 'fpha', 'live'] as const);
  const kind = requested === 'auto' ? await detectSourceKind(input) : requested;
  const { sampleType, maxFrames } = options;
  const common = { ...(sampleType !== undefined ? { sampleType } : {}), ...(maxFrames !== undefined ? { maxFrames } : {}) };
  switch (kind) {
    case 'video':
      return openVideo(input, { ...common, ...(options.strict !== undefined ? { strict: options.strict } : {}), ...(options.onWarning !== undefined ? { onWarning: options.onWarning } : {}) });
    case 'image-sequence':
      return openImageSequence(input, { ...common, ...(options.fps !== undefined ? { fps: options.fps } : {}) });
    case 'fpha':
      return openFphaSequence(input, { ...common, ...(options.fps !== undefined ? { fps: options.fps } : {}) });
    case 'live': {
      const st = sampleType === 'auto' || sampleType === undefined ? 'uint8' : sampleType;
      return openLive(input, { ...(options.live ?? {}), sampleType: st });
    }
  }
}
