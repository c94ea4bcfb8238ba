/** A stand-in for the network, for operator tests: records every call and answers with a function of the feeds. */
import type { DeblurFeeds, DeblurModel, DeblurModelContract } from '../../src/deblur/model.js';
import { createRgb16Frame, createRgb8Frame, type Frame } from '../../src/stream/frame.js';

/** The contract of version 1 models. */
export const CONTRACT: DeblurModelContract = { windowSize: 5, centreIndex: 2, paddingMultiple: 16, minSize: 32, motionMapKind: 'magnitude' };

/** The centre frame of the window, unchanged: an identity network. */
export const identity = (f: DeblurFeeds): Float32Array => {
  const plane = 3 * f.width * f.height;
  return f.frames.slice(CONTRACT.centreIndex * plane, (CONTRACT.centreIndex + 1) * plane);
};

/** Every output sample `value`. */
export const constant = (value: number) => (f: DeblurFeeds): Float32Array => new Float32Array(3 * f.width * f.height).fill(value);

export class FakeDeblurModel implements DeblurModel {
  readonly name = 'fake';
  readonly executionProvider = 'fake';
  readonly contract = CONTRACT;
  readonly calls: DeblurFeeds[] = [];
  /** Each call's `frames` buffer itself (the calls hold copies): to see which calls shared one. */
  readonly frameBuffers: Float32Array[] = [];
  /** performance.now() when each call returned, and when close() was called. */
  readonly returnedAt: number[] = [];
  closedAt: number | undefined;
  closeCount = 0;

  constructor(
    private readonly answer: (feeds: DeblurFeeds) => Float32Array = identity,
    private readonly delayMs = 0,
  ) {}

  async run(feeds: DeblurFeeds): Promise<Float32Array> {
    if (this.closedAt !== undefined) throw new Error('run after close');
    // A copy: deblur() reuses the frames buffer for its next call (DeblurFeeds.owned).
    this.calls.push({ ...feeds, frames: feeds.frames.slice() });
    this.frameBuffers.push(feeds.frames);
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    const out = this.answer(feeds);
    this.returnedAt.push(performance.now());
    return out;
  }

  async close(): Promise<void> {
    this.closeCount++;
    this.closedAt ??= performance.now();
  }
}

/** A textured background (fixed) with a bright square moving `speed` px per frame: frame k of `count`. */
export function movingSquare(width: number, height: number, k: number, options: { speed?: number; size?: number; sixteen?: boolean } = {}): Frame {
  const { speed = 4, size = 12, sixteen = false } = options;
  const max = sixteen ? 65535 : 255;
  const data = sixteen ? new Uint16Array(width * height * 3) : new Uint8Array(width * height * 3);
  const sx = 8 + k * speed;
  const sy = Math.floor(height / 2) - size / 2;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      const inSquare = x >= sx && x < sx + size && y >= sy && y < sy + size;
      const t = 0.35 + 0.15 * Math.sin(x * 0.3) * Math.cos(y * 0.23) + 0.1 * Math.sin((x + 2 * y) * 0.07);
      data[o] = Math.round((inSquare ? 0.95 : t) * max);
      data[o + 1] = Math.round((inSquare ? 0.9 : t * 0.8 + 0.1) * max);
      data[o + 2] = Math.round((inSquare ? 0.2 : 1 - t) * max);
    }
  }
  const init = { width, height, index: k, timestampMs: (k * 1000) / 30 };
  return sixteen ? createRgb16Frame(data as Uint16Array, init) : createRgb8Frame(data as Uint8Array, init);
}
