/** Synthetic motion blur for deblurring tests: textured content panning along x, sharp or blurred as synthesis blurs it. */
import { createRgb8Frame, type Frame } from '../../src/stream/frame.js';

/** A texture in linear light at (x, y), channel c. */
export type Texture = (x: number, y: number, c: number) => number;

/** A smooth texture: a sum of sinusoids, so shifts by any amount are exact. */
export const smoothTexture: Texture = (x, y, c) =>
  0.35 + 0.2 * Math.sin(x * 0.21 + c) * Math.cos(y * 0.17) + 0.15 * Math.sin((x + 2 * y) * 0.09 + 2 * c) + 0.1 * Math.cos(x * 0.6 - y * 0.05);

/** Sixteen waves in every direction, 0.17-1.05 radians per pixel: detail at every scale and angle, as in photos. */
const WAVES = Array.from({ length: 16 }, (_, k) => ({ fx: 1.1 * Math.cos(k * 2.39996) * (0.15 + (k % 5) * 0.2), fy: 1.1 * Math.sin(k * 2.39996) * (0.15 + (k % 5) * 0.2), phase: k * 1.7 }));
/** A broadband texture of those waves. */
export const broadbandTexture: Texture = (x, y, c) => {
  let v = 0.4;
  for (const w of WAVES) v += 0.0375 * Math.sin(w.fx * x + w.fy * y + w.phase + 0.7 * c);
  return Math.min(1, Math.max(0, v));
};

/**
 * Frame k of `texture` moving `speed` px per frame along x: sharp (t = k) or blurred over a full interval centred on
 * k, averaged in linear light over `samples` instants (gamma 2.2, as synthesis blurs).
 */
export function movingFrame(width: number, height: number, k: number, speed: number, blurred: boolean, texture: Texture, samples: number): Frame {
  const n = blurred ? samples : 1;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let s = 0; s < n; s++) sum += texture(x - speed * (k + (blurred ? (s + 0.5) / n - 0.5 : 0)), y, c);
        data[(y * width + x) * 3 + c] = Math.round(255 * Math.pow(sum / n, 1 / 2.2));
      }
    }
  }
  return createRgb8Frame(data, { width, height, index: k, timestampMs: (k * 1000) / 30 });
}

/** `f` without a border of `border` pixels (PSNR away from the edges, where the content enters the frame). */
export function crop(f: Frame, border: number): Frame {
  const w = f.width - 2 * border;
  const h = f.height - 2 * border;
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) data.set(f.data.subarray(((y + border) * f.width + border) * 3, ((y + border) * f.width + border + w) * 3), y * w * 3);
  return createRgb8Frame(data, { width: w, height: h, index: f.index, timestampMs: f.timestampMs });
}
