/**
 * Writes `datasets/eval-photos.json`: every photo the evaluation samples are made from (datasets/fpha-sample and
 * datasets/fpha-hard), with its SHA-256, in the manifest format training data builders check against
 * (`python3 -m promotion.data.holdout --manifest datasets/eval-photos.json PHOTO...`, training/promotion/data/holdout.py):
 * no photo listed here, nor a copy, crop or rescale of one, may reach training.
 *
 *   npm run build:eval-photos
 *
 * Besides the photos the samples use, it lists their siblings: other shots of the same hand in the same session
 * (the holdout check catches the same picture, not another shot of it; docs/training.md).
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../src/util/package-root.js';
import { FPHA_HARD_DEFINITION } from './build-fpha-hard.js';
import { FPHA_SAMPLE_DEFINITION, formatJson, type SampleDefinition, WALLPAPERS } from './build-fpha-sample.js';

/** Other shots of a listed hand, from the same session: listed so that training cannot use them either. */
export const SIBLING_PHOTOS: ReadonlyArray<{ path: string; why: string }> = [
  { path: 'test/fixtures/hands/Back_Projection_Theory0.jpg', why: 'the same open palm as Back_Projection_Theory2.jpg (OpenCV documentation)' },
];

/** The manifest's path. */
export const EVAL_PHOTOS_MANIFEST = join(packageRoot(), 'datasets', 'eval-photos.json');

interface Entry {
  path: string;
  sha256: string;
  usedBy: string[];
  licence: string;
}

/** The photos of the samples (and their siblings), with SHA-256; a photo that is missing is an error naming it. */
export function evalPhotoEntries(samples: ReadonlyArray<{ name: string; def: SampleDefinition }> = [
  { name: 'datasets/fpha-sample', def: FPHA_SAMPLE_DEFINITION },
  { name: 'datasets/fpha-hard', def: FPHA_HARD_DEFINITION },
]): Entry[] {
  const entries = new Map<string, Entry>();
  const add = (path: string, usedBy: string, licence: string) => {
    const file = isAbsolute(path) ? path : join(packageRoot(), path);
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (cause) {
      throw new Error(`Evaluation photo ${file} is missing: ${path.startsWith(WALLPAPERS) ? "install Debian's lomiri-wallpapers-16.04" : 'restore it from git'} and run again`, { cause });
    }
    const entry = entries.get(path) ?? { path, sha256: createHash('sha256').update(bytes).digest('hex'), usedBy: [], licence };
    if (!entry.usedBy.includes(usedBy)) entry.usedBy.push(usedBy);
    entries.set(path, entry);
  };
  for (const { name, def } of samples) {
    for (const s of def.sequences) {
      add(s.photo.path, name, s.photo.credit);
      if (s.background) add(join(WALLPAPERS, s.background.file), name, s.background.credit);
    }
  }
  for (const s of SIBLING_PHOTOS) add(s.path, `sibling: ${s.why}`, 'Debian opencv-doc 4.6.0, OpenCV documentation image, Apache-2.0 AND BSD-3-Clause');
  return [...entries.values()].sort((a, b) => a.path.localeCompare(b.path));
}

// Run when executed, not when imported.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const photos = evalPhotoEntries();
  writeFileSync(
    EVAL_PHOTOS_MANIFEST,
    formatJson({
      description: 'Every photo the evaluation samples (datasets/fpha-sample, datasets/fpha-hard) are made from, and other shots of the same hands: none may reach training. Written by datasets/eval-photos.ts (npm run build:eval-photos); checked by python3 -m promotion.data.holdout --manifest datasets/eval-photos.json.',
      photos,
    }),
  );
  console.log(`Wrote ${EVAL_PHOTOS_MANIFEST}: ${photos.length} photos`);
}
