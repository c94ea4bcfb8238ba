/** Planning a synthesis run: which sequences the inputs hold and where each one's output goes. */
import { existsSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { InvalidOptionError } from '../errors.js';
import { type FphaSelection, listFphaSequences, resolveFphaSequence } from '../stream/fpha-source.js';
import { detectSourceKind } from '../stream/open-source.js';
import { copyCameraFile, type SynthJob } from './dataset-writer.js';

/**
 * Expands inputs (videos, image folders, FPHA sequence folders, FPHA roots) into one synthesis job per sequence,
 * writing under `out`: FPHA keeps its layout (and camera.json is copied), other inputs get a folder named after
 * them. `selection` picks subjects, actions and sequences of FPHA roots; `onNotice` hears about skipped sequences.
 */
export async function planSynthJobs(
  inputs: readonly string[],
  base: Omit<SynthJob, 'input' | 'kind' | 'id' | 'outDir' | 'naming' | 'skeleton'>,
  out: string,
  selection: FphaSelection = {},
  onNotice: (notice: string) => void = () => undefined,
): Promise<SynthJob[]> {
  const jobs: SynthJob[] = [];
  const fphaNaming = { prefix: 'color_', digits: 4 };
  for (const input of inputs) {
    if (existsSync(join(input, 'Video_files'))) {
      const refs = await listFphaSequences(input, selection, onNotice);
      for (const ref of refs) {
        jobs.push({
          ...base,
          input: ref.videoDir,
          kind: 'fpha',
          id: ref.id,
          outDir: join(out, 'Video_files', ...ref.id.split('/')),
          naming: fphaNaming,
          skeleton: { from: ref.skeletonPath, to: join(out, 'Hand_pose_annotation_v1', ...ref.id.split('/'), 'skeleton.txt') },
        });
      }
      await copyCameraFile(input, out);
      continue;
    }
    const kind = await detectSourceKind(input);
    if (kind === 'fpha') {
      const ref = await resolveFphaSequence(input);
      const inLayout = ref.root !== undefined;
      jobs.push({
        ...base,
        input,
        kind,
        id: ref.id,
        outDir: inLayout ? join(out, 'Video_files', ...ref.id.split('/')) : join(out, basename(input)),
        naming: fphaNaming,
        skeleton: {
          from: ref.skeletonPath,
          to: inLayout ? join(out, 'Hand_pose_annotation_v1', ...ref.id.split('/'), 'skeleton.txt') : join(out, basename(input), 'skeleton.txt'),
        },
      });
      if (ref.root !== undefined) await copyCameraFile(ref.root, out);
      continue;
    }
    const name = basename(input, kind === 'video' ? extname(input) : '');
    jobs.push({ ...base, input, kind, id: name, outDir: join(out, name), naming: { prefix: 'frame_', digits: 6 } });
  }
  const ids = new Set<string>();
  for (const job of jobs) {
    if (ids.has(job.outDir)) throw new InvalidOptionError(`Two inputs would write the same folder ${job.outDir}; rename one of them.`);
    ids.add(job.outDir);
  }
  return jobs;
}

