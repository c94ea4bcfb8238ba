/**
 * Geometry of deblurring: boxes, padding to the network's multiple, tiles with overlap and their feathered
 * weights. Plain numbers, no pixels.
 *
 * - A network input ("run rectangle") is at least `minSize` and a multiple of `paddingMultiple` on each side, and
 *   starts on a multiple of `paddingMultiple`: the whole frame, padded at the right and bottom by edge replication
 *   as the contract says (models/README.md), is seen on that grid, and a tile on the same grid is sampled alike by
 *   the network's strided layers (measured with a random network: tiles off the grid differed from the whole
 *   frame by 28 dB, on it by far less). It holds real pixels wherever the frame has them. The output is cropped
 *   back to what was asked for.
 * - A span whose input would exceed the tile size is cut into n tiles of equal length (whole multiples), the
 *   first at the start and the last at the end, neighbours overlapping by at least `overlap` pixels.
 * - Feathered weights: across each overlap the left tile's weight falls linearly from 1 to 0 while the right one's
 *   rises, so the weights of every pixel sum to exactly 1 (per axis; the 2-D weight is the product, which also
 *   sums to 1). No tile's edge pixels, where the network sees the least context, carry much weight.
 */

/** An axis-aligned rectangle in pixels: columns x..x+width-1, rows y..y+height-1. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** A span of one axis: [start, end). */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** The smallest network size holding `length` pixels: a multiple of `multiple`, at least `minSize`. */
export function paddedLength(length: number, multiple: number, minSize: number): number {
  return Math.max(minSize, Math.ceil(length / multiple) * multiple);
}

/**
 * The network input along one axis that restores [start, start + length) of an axis of `frameLength` pixels: it
 * starts on a multiple of `multiple` (the grid the whole padded frame is seen on, so that the network's strided
 * layers sample a tile as they sample the whole frame), holds the span, is at least `minSize`, and stays inside
 * the padded frame (`frameLength` rounded up to the multiple) where it fits; only past the frame's own end is it
 * padded, by edge replication.
 */
export function runSpan(start: number, length: number, frameLength: number, multiple: number, minSize: number): Span {
  const end = start + length;
  const paddedFrame = Math.ceil(frameLength / multiple) * multiple;
  let s = Math.floor(start / multiple) * multiple;
  let size = Math.max(minSize, Math.ceil((end - s) / multiple) * multiple);
  s -= Math.floor((size - (end - s)) / 2 / multiple) * multiple; // centre any extra context, on the grid
  s = size >= paddedFrame ? 0 : Math.min(Math.max(s, 0), Math.floor((paddedFrame - size) / multiple) * multiple);
  size = Math.max(size, Math.ceil((end - s) / multiple) * multiple);
  return { start: s, end: s + size };
}

/** A tile: the pixels it restores (`span`) and its network input (`run`, a {@link runSpan}). */
export interface TileSpan {
  readonly span: Span;
  readonly run: Span;
}

/**
 * Cuts [start, end) of an axis of `frameLength` pixels into tiles whose network inputs are at most `tileSize`
 * (a multiple of `multiple`), on the multiple's grid, neighbours overlapping by at least `overlap` (see the
 * module comment). One tile when the span's input fits.
 */
export function tileSpans(start: number, end: number, frameLength: number, tileSize: number, overlap: number, multiple: number, minSize: number): TileSpan[] {
  const single = runSpan(start, end - start, frameLength, multiple, minSize);
  if (single.end - single.start <= tileSize) return [{ span: { start, end }, run: single }];
  const first = Math.floor(start / multiple);
  const units = Math.min(Math.ceil(end / multiple), Math.ceil(frameLength / multiple)) - first;
  const tileUnits = Math.floor(tileSize / multiple);
  const overlapUnits = Math.ceil(overlap / multiple);
  const n = Math.ceil((units - overlapUnits) / (tileUnits - overlapUnits));
  const size = Math.min(tileUnits, Math.ceil((units + (n - 1) * overlapUnits) / n));
  const tiles: TileSpan[] = [];
  for (let i = 0; i < n; i++) {
    const s = (first + Math.round((i * (units - size)) / (n - 1))) * multiple;
    const run = { start: s, end: s + size * multiple };
    tiles.push({ span: { start: Math.max(start, run.start), end: Math.min(end, run.end) }, run });
  }
  return tiles;
}

/**
 * Feathered weights of every tile of `spans` over its own pixels (index 0 = the tile's first pixel): 1 where a
 * tile is alone, linear ramps across the overlaps with its neighbours, normalized so that the weights of every
 * position sum to 1 (they already do wherever at most two tiles overlap).
 */
export function featherWeights(spans: readonly Span[]): Float32Array[] {
  const weights = spans.map(({ start, end }, i) => {
    const previous = spans[i - 1];
    const next = spans[i + 1];
    const rampIn = previous && previous.end > start ? previous.end - start : 0;
    const rampOut = next && next.start < end ? end - next.start : 0;
    const w = new Float32Array(end - start);
    for (let p = 0; p < w.length; p++) {
      let v = 1;
      if (rampIn > 0) v = Math.min(v, (p + 0.5) / rampIn);
      if (rampOut > 0) v = Math.min(v, (w.length - p - 0.5) / rampOut);
      w[p] = v;
    }
    return w;
  });
  const first = spans[0]?.start ?? 0;
  const last = spans.reduce((m, s) => Math.max(m, s.end), first);
  const total = new Float64Array(last - first);
  spans.forEach((s, i) => {
    const w = weights[i]!;
    for (let p = 0; p < w.length; p++) total[s.start - first + p] = total[s.start - first + p]! + w[p]!;
  });
  spans.forEach((s, i) => {
    const w = weights[i]!;
    for (let p = 0; p < w.length; p++) w[p] = w[p]! / total[s.start - first + p]!;
  });
  return weights;
}

/** A box grown by `margin` pixels on every side and clipped to a frame. */
export function expandBox(box: Box, margin: number, frameWidth: number, frameHeight: number): Box {
  return clipBox({ x: box.x - margin, y: box.y - margin, width: box.width + 2 * margin, height: box.height + 2 * margin }, frameWidth, frameHeight);
}

/** A box clipped to a frame, with whole-pixel edges (outwards); empty boxes have width or height 0. */
export function clipBox(box: Box, frameWidth: number, frameHeight: number): Box {
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(frameWidth, Math.ceil(box.x + box.width));
  const y1 = Math.min(frameHeight, Math.ceil(box.y + box.height));
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}

function touches(a: Box, b: Box): boolean {
  return a.x <= b.x + b.width && b.x <= a.x + a.width && a.y <= b.y + b.height && b.y <= a.y + a.height;
}

/** Merges boxes that overlap or touch into their bounding boxes until none do; drops empty boxes. */
export function mergeBoxes(boxes: readonly Box[]): Box[] {
  let out = boxes.filter((b) => b.width > 0 && b.height > 0).map((b) => ({ ...b }));
  let merged = true;
  while (merged) {
    merged = false;
    const next: Box[] = [];
    for (const box of out) {
      const hit = next.findIndex((other) => touches(other, box));
      if (hit < 0) {
        next.push(box);
        continue;
      }
      const o = next[hit]!;
      const x = Math.min(o.x, box.x);
      const y = Math.min(o.y, box.y);
      next[hit] = { x, y, width: Math.max(o.x + o.width, box.x + box.width) - x, height: Math.max(o.y + o.height, box.y + box.height) - y };
      merged = true;
    }
    out = next;
  }
  return out.sort((a, b) => a.y - b.y || a.x - b.x);
}
