/** The real hand photos under test/fixtures/hands (see NOTICE.md there) and frames made from them. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRgb8Frame, type Rgb8Frame } from '../../src/stream/frame.js';
import { decodeImage } from '../../src/stream/image-codec.js';

export const HANDS_DIR = fileURLToPath(new URL('../fixtures/hands/', import.meta.url));

/** Right hands, palm to the camera (fingerpose). */
export const RIGHT_HAND_PHOTOS = ['nocurl', 'halfcurl', 'fullcurl'] as const;
/** Open palms, fingers up (OpenCV documentation). */
export const OPEN_PALM_PHOTOS = ['Back_Projection_Theory0', 'Back_Projection_Theory2'] as const;
export const ALL_PHOTOS = [...RIGHT_HAND_PHOTOS, ...OPEN_PALM_PHOTOS] as const;
export type PhotoName = (typeof ALL_PHOTOS)[number];

export const photoPath = (name: PhotoName) => join(HANDS_DIR, `${name}.jpg`);

/** A photo as an 8-bit frame. */
export async function loadPhoto(name: PhotoName, index = 0, timestampMs = 0): Promise<Rgb8Frame> {
  return (await decodeImage(photoPath(name), 'uint8', index, timestampMs)) as Rgb8Frame;
}

/** The frame flipped left to right (a mirrored camera image). */
export function mirrored(frame: Rgb8Frame): Rgb8Frame {
  const { width, height } = frame;
  const data = new Uint8Array(frame.data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = (y * width + (width - 1 - x)) * 3;
      const to = (y * width + x) * 3;
      data[to] = frame.data[from]!;
      data[to + 1] = frame.data[from + 1]!;
      data[to + 2] = frame.data[from + 2]!;
    }
  }
  return createRgb8Frame(data, { width, height, index: frame.index, timestampMs: frame.timestampMs });
}

/** `count` frames cut from `photo`: a `width`x`height` window moving (dx, dy) pixels per frame (a camera pan). */
export function panFrames(photo: Rgb8Frame, count: number, width: number, height: number, start: [number, number], step: [number, number]): Rgb8Frame[] {
  const frames: Rgb8Frame[] = [];
  for (let i = 0; i < count; i++) {
    const ox = start[0] + i * step[0];
    const oy = start[1] + i * step[1];
    const data = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++) {
      const from = ((y + oy) * photo.width + ox) * 3;
      data.set(photo.data.subarray(from, from + width * 3), y * width * 3);
    }
    frames.push(createRgb8Frame(data, { width, height, index: i, timestampMs: (i * 1000) / 30 }));
  }
  return frames;
}

/** Two frames side by side (same height), as one frame. */
export function sideBySide(a: Rgb8Frame, b: Rgb8Frame): Rgb8Frame {
  const width = a.width + b.width;
  const height = a.height;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    data.set(a.data.subarray(y * a.width * 3, (y + 1) * a.width * 3), y * width * 3);
    data.set(b.data.subarray(y * b.width * 3, (y + 1) * b.width * 3), (y * width + a.width) * 3);
  }
  return createRgb8Frame(data, { width, height });
}
