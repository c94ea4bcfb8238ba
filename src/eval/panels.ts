/**
 * The HTML report's image panels: which frames of a sequence to show, and the blurred, deblurred and sharp frame of
 * each with the hands found drawn on it, written as JPEGs into the report's staging folder.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HandPose } from '../handpose/estimator.js';
import { drawHands } from '../handpose/overlay.js';
import type { FrameVersion } from '../metrics/comparison.js';
import { writingOutput } from '../stream/atomic.js';
import { decodeImage, encodeImage } from '../stream/image-codec.js';
import type { FrameRecord, PanelRecord } from './report-schema.js';
import { FRAME_VERSIONS } from './stages.js';

/** Frames for the image panels: the largest RMSE gain first, then the middle frame, then evenly spread. */
export function pickPanels(frames: readonly FrameRecord[], count: number): number[] {
  if (count === 0 || frames.length === 0) return [];
  const picks: number[] = [];
  let best = -1;
  let bestGain = Number.NEGATIVE_INFINITY;
  for (const f of frames) {
    const b = f.joints.blurred.rmse;
    const d = f.joints.deblurred.rmse;
    if (b !== null && d !== null && b - d > bestGain) {
      bestGain = b - d;
      best = f.index;
    }
  }
  if (best >= 0) picks.push(best);
  const want = Math.min(count, frames.length);
  // Then frames spread evenly over the sequence (the middle one first when one more is wanted), then any left.
  const spread = Array.from({ length: want }, (_, k) => frames[Math.floor(((k + 0.5) * frames.length) / want)]!.index);
  for (const index of [...spread, ...frames.map((f) => f.index)]) {
    if (picks.length >= want) break;
    if (!picks.includes(index)) picks.push(index);
  }
  return picks.slice(0, count).sort((a, b) => a - b);
}

/**
 * Writes the panels of frames `picks` of sequence `id` under `<stagingPath>/panels/` (`report` names the output in
 * errors) and returns their records, image paths relative to the report folder.
 */
export async function writePanels(
  report: string,
  stagingPath: string,
  id: string,
  picks: readonly number[],
  dirs: Readonly<Record<FrameVersion, string>>,
  poses: Readonly<Record<FrameVersion, readonly { readonly file: string; readonly hands: readonly HandPose[] }[]>>,
): Promise<PanelRecord[]> {
  const panels: PanelRecord[] = [];
  for (const index of picks) {
    const paths = {} as Record<FrameVersion, string>;
    await writingOutput(report, () => mkdir(join(stagingPath, 'panels'), { recursive: true }));
    for (const version of FRAME_VERSIONS) {
      const frame = await decodeImage(join(dirs[version], poses[version][index]!.file), 'uint8');
      const rel = `panels/${id.replace(/[^A-Za-z0-9_-]+/g, '_')}_${String(index).padStart(4, '0')}_${version}.jpg`;
      const jpeg = await encodeImage(drawHands(frame, poses[version][index]!.hands), 'jpeg', { quality: 90 });
      await writingOutput(report, () => writeFile(join(stagingPath, ...rel.split('/')), jpeg));
      paths[version] = rel;
    }
    panels.push({ sequence: id, index, ...paths });
  }
  return panels;
}
