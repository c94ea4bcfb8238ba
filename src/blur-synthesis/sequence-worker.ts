/** Worker-thread entry for `promotion synth --workers N`: runs one sequence job (see dataset-writer.ts). */
import { runSynthJob, type SynthJob, type SynthJobResult } from './dataset-writer.js';

export default function synthWorker(job: SynthJob): Promise<SynthJobResult> {
  return runSynthJob(job);
}
