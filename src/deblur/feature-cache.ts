/**
 * Per-frame features of a model in two parts (contract version 2, models/README.md), computed once and reused.
 *
 * A frame's features depend on that frame and on the run rectangle it was cut to (the whole padded frame, a tile,
 * or a region's tile) and on nothing else, so the 5 windows that hold a frame can share them. Entries are keyed by
 * the frame object (`slidingWindow` hands the same object to every window that holds the frame, the edge frame it
 * repeats at the ends of a sequence included) and the run rectangle. Keying by object rather than by `index` means
 * a stream whose indices repeat or restart can never be given another frame's features.
 *
 * Memory: after each window, {@link FeatureCache.endWindow} drops every entry that window did not use, and those of
 * its first frame unless the window repeats it. The next window holds this one's frames but the first, plus one
 * (or, across a gap with `gapPolicy: 'split'`, none of them), and with the same regions the same rectangles, so
 * nothing it could reuse is dropped. What stays between windows is at most 4 frames times the window's run
 * rectangles, and 5 times while a window runs.
 */
import type { Frame } from '../stream/frame.js';
import type { DeblurModelParts, FrameFeatures } from './model.js';
import { toNtchwFloat32 } from './tensor.js';
import type { Box } from './tiles.js';

interface Entry {
  readonly features: FrameFeatures;
  used: boolean;
}

const rectKey = (r: Box) => `${r.x},${r.y},${r.width}x${r.height}`;

/** Features of frames over run rectangles, reused across windows (see the module comment). Not for concurrent use. */
export class FeatureCache {
  private readonly entries = new Map<Frame, Map<string, Entry>>();
  private closed = false;
  /** Feature-graph runs so far (cache misses). */
  runs = 0;

  constructor(private readonly parts: DeblurModelParts) {}

  /** The features of `frame` over `rect` (edge-replicated where it leaves the frame): cached, or run now. */
  async features(frame: Frame, rect: Box): Promise<FrameFeatures> {
    const key = rectKey(rect);
    const hit = this.entries.get(frame)?.get(key);
    if (hit) {
      hit.used = true;
      return hit.features;
    }
    // The feature graph takes one frame [1, 3, H, W]: toNtchwFloat32 of one frame is [1, 1, 3, H, W], the same layout.
    const features = await this.parts.extractFeatures({ width: rect.width, height: rect.height, frame: toNtchwFloat32([frame], rect) });
    this.runs++;
    if (!this.closed) {
      let byRect = this.entries.get(frame);
      if (!byRect) this.entries.set(frame, (byRect = new Map()));
      byRect.set(key, { features, used: true });
    }
    return features;
  }

  /**
   * Ends a window (`frames`, in window order): drops the entries it did not use and those of frames it holds only
   * in its first place (no later window can use them; see the module comment).
   */
  endWindow(frames: readonly Frame[]): void {
    const next = new Set(frames.slice(1));
    for (const [frame, byRect] of this.entries) {
      for (const [key, entry] of byRect) {
        if (entry.used && next.has(frame)) entry.used = false;
        else byRect.delete(key);
      }
      if (byRect.size === 0) this.entries.delete(frame);
    }
  }

  /** Entries held (frames times rectangles). */
  get size(): number {
    let n = 0;
    for (const byRect of this.entries.values()) n += byRect.size;
    return n;
  }

  /** Drops everything; a run still in flight when this is called is not stored. */
  clear(): void {
    this.closed = true;
    this.entries.clear();
  }
}
