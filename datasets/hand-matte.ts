/**
 * A soft matte of a hand photographed in front of a plain, unsaturated background (a painted wall, a ceiling), and
 * the hand's colours with that background taken out, ready to composite over another picture.
 *
 * Skin is red-shifted in every light: its "skin score" (R - B) / R (on the stored 8-bit values) is 0.45-0.8 on the
 * photos used here, the walls behind them 0.05-0.3, and the score does not depend on shading, so a dark crease
 * between two fingers scores like the finger. The hand is the largest connected region scoring above the middle
 * of [`skinLow`, `skinHigh`], with small enclosed holes filled; it is opaque from 2 px inside its outline, follows
 * the score's ramp between `skinLow` and `skinHigh` within 2 px of the outline, and is feathered by a 3x3 binomial blur.
 *
 * Pixels along the hand's outline mix skin and wall. The compositing equation C = a F + (1 - a) B, with B the wall
 * colour around the hand (a blur of the pixels outside the matte, normalized by their weight), gives the
 * premultiplied foreground a F = C - (1 - a) B; compositing a F over a new background then replaces the wall's
 * share of those pixels instead of leaving a pale fringe. Everything colour-related is in linear light.
 */
import type { LinearImage } from '../src/blur-synthesis/integrate.js';
import type { Rgb8Frame } from '../src/stream/frame.js';

/** Options of {@link handMatte}. */
export interface HandMatteOptions {
  /** Skin score at and below which a pixel is background (alpha 0). */
  skinLow: number;
  /** Skin score at and above which a pixel is skin (alpha 1). */
  skinHigh: number;
  /** Enclosed background regions smaller than this fraction of the image are filled (default 0.002). */
  maxHoleFraction?: number;
  /** Radius in pixels of the box blur that estimates the background colour behind the outline (default 8). */
  backgroundRadiusPx?: number;
  /**
   * Photo edges that cut the arm (kept opaque: the caller keeps them out of the frame). The matte fades out within
   * 3 px of every other edge, so a fingertip the photo cuts does not end in a straight line.
   */
  cutEdges?: ReadonlyArray<'top' | 'bottom' | 'left' | 'right'>;
}

/** A hand cut out of its photo. */
export interface HandMatte {
  readonly width: number;
  readonly height: number;
  /** Coverage in [0, 1], one per pixel. */
  readonly alpha: Float32Array;
  /** The hand's colour times alpha (premultiplied), linear light, interleaved RGB. */
  readonly premultiplied: Float32Array;
}

/** The skin score (R - B) / R of an 8-bit pixel; 0 for black. */
export function skinScore(r: number, b: number): number {
  return r > 0 ? (r - b) / r : 0;
}

/** Labels the 4-connected regions where `inside` holds; returns the label image (0 = outside) and region sizes. */
function regions(width: number, height: number, inside: (i: number) => boolean): { labels: Int32Array; sizes: number[]; touchesBorder: boolean[] } {
  const labels = new Int32Array(width * height);
  const sizes = [0];
  const touchesBorder = [false];
  const stack: number[] = [];
  for (let start = 0; start < labels.length; start++) {
    if (labels[start] !== 0 || !inside(start)) continue;
    const label = sizes.length;
    sizes.push(0);
    touchesBorder.push(false);
    labels[start] = label;
    stack.push(start);
    while (stack.length > 0) {
      const i = stack.pop()!;
      sizes[label]!++;
      const x = i % width;
      const y = (i - x) / width;
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1) touchesBorder[label] = true;
      const visit = (j: number) => {
        if (labels[j] === 0 && inside(j)) {
          labels[j] = label;
          stack.push(j);
        }
      };
      if (x > 0) visit(i - 1);
      if (x < width - 1) visit(i + 1);
      if (y > 0) visit(i - width);
      if (y < height - 1) visit(i + width);
    }
  }
  return { labels, sizes, touchesBorder };
}

/** Separable box blur of `channels`-interleaved data with edge clamping. */
function boxBlur(data: Float32Array, width: number, height: number, channels: number, radius: number): Float32Array {
  const pass = (src: Float32Array, horizontal: boolean): Float32Array => {
    const out = new Float32Array(src.length);
    const n = horizontal ? width : height;
    const lines = horizontal ? height : width;
    const at = (line: number, k: number) => (horizontal ? line * width + k : k * width + line);
    for (let line = 0; line < lines; line++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let k = -radius; k <= radius; k++) sum += src[at(line, Math.min(n - 1, Math.max(0, k))) * channels + c]!;
        for (let k = 0; k < n; k++) {
          out[at(line, k) * channels + c] = sum / (2 * radius + 1);
          sum += src[at(line, Math.min(n - 1, k + radius + 1)) * channels + c]! - src[at(line, Math.max(0, k - radius)) * channels + c]!;
        }
      }
    }
    return out;
  };
  return pass(pass(data, true), false);
}

/**
 * Cuts the hand out of `photo` (8-bit, gamma-encoded as stored); `linear` is the same photo in linear light.
 */
export function handMatte(photo: Rgb8Frame, linear: LinearImage, options: HandMatteOptions): HandMatte {
  const { width, height } = photo;
  const { skinLow, skinHigh } = options;
  const maxHole = (options.maxHoleFraction ?? 0.002) * width * height;
  const radius = options.backgroundRadiusPx ?? 8;
  const n = width * height;
  const ramp = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const s = skinScore(photo.data[3 * i]!, photo.data[3 * i + 2]!);
    ramp[i] = Math.min(1, Math.max(0, (s - skinLow) / (skinHigh - skinLow)));
  }
  // Keep the largest skin region (the hand and its arm); fill small background regions enclosed by it.
  const skin = regions(width, height, (i) => ramp[i]! >= 0.5);
  let largest = 1;
  skin.sizes.forEach((size, label) => {
    if (label > 0 && size > skin.sizes[largest]!) largest = label;
  });
  const holes = regions(width, height, (i) => skin.labels[i] !== largest);
  const solid = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const h = holes.labels[i]!;
    solid[i] = skin.labels[i] === largest || (h > 0 && !holes.touchesBorder[h] && holes.sizes[h]! < maxHole) ? 1 : 0;
  }
  // Opaque inside (2 px in from the outline), the ramp in a band 2 px either side of it, transparent beyond.
  let inner: Uint8Array = solid;
  let outer: Uint8Array = solid;
  for (let pass = 0; pass < 2; pass++) {
    inner = morph3x3(inner, width, height, 'erode');
    outer = morph3x3(outer, width, height, 'dilate');
  }
  const cut = new Set(options.cutEdges ?? []);
  const hard = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let a = inner[i] ? 1 : outer[i] ? ramp[i]! : 0;
    if (a > 0) {
      // Fade out within 3 px of a photo edge that is not a cut edge (where the photo cuts a fingertip, say).
      const x = i % width;
      const y = (i - x) / width;
      const d = Math.min(cut.has('left') ? Infinity : x, cut.has('right') ? Infinity : width - 1 - x, cut.has('top') ? Infinity : y, cut.has('bottom') ? Infinity : height - 1 - y);
      a *= Math.min(1, (d + 0.5) / 3);
    }
    hard[i] = a;
  }
  // Feather: 3x3 binomial.
  const alpha = new Float32Array(n);
  const w = [1, 2, 1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const xx = Math.min(width - 1, Math.max(0, x + dx));
          const yy = Math.min(height - 1, Math.max(0, y + dy));
          sum += w[dx + 1]! * w[dy + 1]! * hard[yy * width + xx]!;
        }
      }
      alpha[y * width + x] = sum / 16;
    }
  }
  // Background colour behind the outline: normalized box blur of the pixels the matte leaves out.
  const weight = new Float32Array(n);
  const weighted = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    const b = alpha[i]! === 0 ? 1 : 0;
    weight[i] = b;
    for (let c = 0; c < 3; c++) weighted[3 * i + c] = b * linear.data[3 * i + c]!;
  }
  const blurredWeight = boxBlur(weight, width, height, 1, radius);
  const blurredColour = boxBlur(weighted, width, height, 3, radius);
  const premultiplied = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    const a = alpha[i]!;
    if (a === 0) continue;
    const bw = blurredWeight[i]!;
    for (let c = 0; c < 3; c++) {
      const colour = linear.data[3 * i + c]!;
      // Where no background pixel is near (inside the hand), nothing is taken out.
      const background = bw > 1e-3 ? blurredColour[3 * i + c]! / bw : colour;
      premultiplied[3 * i + c] = Math.min(a, Math.max(0, colour - (1 - a) * background));
    }
  }
  return { width, height, alpha, premultiplied };
}

function morph3x3(mask: Uint8Array, width: number, height: number, op: 'erode' | 'dilate'): Uint8Array {
  const out = new Uint8Array(mask.length);
  const want = op === 'dilate' ? 1 : 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let hit = false;
      for (let dy = -1; dy <= 1 && !hit; dy++) {
        for (let dx = -1; dx <= 1 && !hit; dx++) {
          const xx = Math.min(width - 1, Math.max(0, x + dx));
          const yy = Math.min(height - 1, Math.max(0, y + dy));
          hit = mask[yy * width + xx] === want;
        }
      }
      out[y * width + x] = hit ? want : 1 - want;
    }
  }
  return out;
}
