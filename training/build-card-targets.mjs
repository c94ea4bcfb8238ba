// Restores every frame of the training sequences under each ROOT with a model card through the runtime (deblur(), as
// `promotion deblur` runs it) and writes the restored frames beside each sequence's blur/, as 16-bit PNGs of the same
// names: the stored teacher of train.py's `teacher: {frames: <folder>, weight}`. For a teacher with no PyTorch twin:
// the card `promotion-c-deconv`, whose Richardson-Lucy steps along the flow restore most of what it restores
// (docs/deblur-model.md, session 29). Needs `npm run build`.
//
//   node training/build-card-targets.mjs [--model promotion-c-deconv] [--folder card] ROOT [ROOT ...]
//
// A ROOT is a training set (.train-data/v2/mixed, ...): folders holding blur/ and synthesis.json. Each sequence's
// frames are written into <folder>.partial/ and renamed to <folder>/ once all are there, with <folder>/teacher.json
// naming the model and its checksum; a sequence whose folder was written for the same model is skipped, so a run
// resumes. A folder written for another model, or not by this script, is left alone and reported.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { deblur } from '../dist/src/deblur/deblur.js';
import { readModelCard, resolveModelFiles } from '../dist/src/deblur/model-card.js';
import { decodeImage, encodeImage } from '../dist/src/stream/image-codec.js';

function usage(message) {
  console.error(`build-card-targets: ${message}\nusage: node training/build-card-targets.mjs [--model NAME|PATH] [--folder NAME] ROOT [ROOT ...]`);
  process.exit(2);
}

const args = process.argv.slice(2);
let model = 'promotion-c-deconv';
let folder = 'card';
const roots = [];
for (let k = 0; k < args.length; k++) {
  if (args[k] === '--model') model = args[++k] ?? usage('--model needs a value');
  else if (args[k] === '--folder') folder = args[++k] ?? usage('--folder needs a value');
  else if (args[k].startsWith('--')) usage(`unknown option ${args[k]}`);
  else roots.push(args[k]);
}
if (roots.length === 0) usage('name at least one ROOT (a training set: folders holding blur/ and synthesis.json)');
if (!/^[A-Za-z0-9._-]+$/.test(folder) || ['.', '..', 'blur', 'sharp', 'motion', 'hands'].includes(folder)) {
  usage(`--folder ${JSON.stringify(folder)} must be a plain folder name of its own (not blur, sharp, motion or hands)`);
}
for (const root of roots) if (!existsSync(root) || !statSync(root).isDirectory()) usage(`${root} is not a folder`);

let files;
let card;
try {
  files = resolveModelFiles(model);
  card = readModelCard(files.cardPath);
} catch (error) {
  usage(`--model ${model}: ${error.message}`);
}
const identity = {
  model,
  card: files.cardPath,
  sha256: createHash('sha256').update(readFileSync(files.cardPath)).update(card.sha256).digest('hex'),
  command: `node training/build-card-targets.mjs --model ${model} --folder ${folder} ...`,
};

const sequences = roots.flatMap((root) =>
  readdirSync(root)
    .sort()
    .map((name) => join(root, name))
    .filter((dir) => existsSync(join(dir, 'blur')) && existsSync(join(dir, 'synthesis.json'))),
);
if (sequences.length === 0) usage(`no sequence (a folder with blur/ and synthesis.json) under ${roots.join(', ')}`);

let written = 0;
let skipped = 0;
const refused = [];
const started = Date.now();
for (const dir of sequences) {
  const names = readdirSync(join(dir, 'blur')).filter((n) => n.endsWith('.png')).sort();
  const target = join(dir, folder);
  if (existsSync(target)) {
    const stamp = join(target, 'teacher.json');
    const ours = existsSync(stamp) ? JSON.parse(readFileSync(stamp, 'utf8')) : undefined;
    if (ours?.sha256 === identity.sha256 && names.every((n) => existsSync(join(target, n)))) {
      skipped++;
      continue;
    }
    refused.push(`${target}: ${ours ? `written for ${ours.model} (checksum ${ours.sha256.slice(0, 12)}), not ${model}` : 'not written by this script'}; move it away or choose another --folder`);
    continue;
  }
  // An interrupted run's frames: replaced, unless the folder holds anything this script would not have written.
  const partial = `${target}.partial`;
  if (existsSync(partial)) {
    const foreign = readdirSync(partial).filter((n) => !(names.includes(n) || n === 'teacher.json'));
    if (foreign.length > 0) {
      refused.push(`${partial}: holds ${foreign.slice(0, 3).join(', ')}, which this script does not write; move it away`);
      continue;
    }
    rmSync(partial, { recursive: true });
  }
  const frames = await Promise.all(names.map((n, k) => decodeImage(join(dir, 'blur', n), 'uint16', k, (k * 1000) / 30)));
  const restored = await lastValueFrom(from(frames).pipe(deblur({ model }), toArray()));
  mkdirSync(partial);
  for (let k = 0; k < names.length; k++) writeFileSync(join(partial, names[k]), await encodeImage(restored[k], 'png', { bitDepth: 16 }));
  writeFileSync(join(partial, 'teacher.json'), `${JSON.stringify({ ...identity, frames: names.length }, null, 2)}\n`);
  renameSync(partial, target);
  written++;
  if (written % 20 === 0) console.log(`build-card-targets: ${written + skipped} of ${sequences.length} sequences (${((Date.now() - started) / 1000).toFixed(0)} s)`);
}
console.log(`build-card-targets: ${written} sequences written, ${skipped} already there, ${refused.length} refused, with ${model} into ${folder}/ (${((Date.now() - started) / 1000).toFixed(0)} s)`);
for (const r of refused) console.error(`build-card-targets: ${r}`);
process.exit(refused.length > 0 ? 1 : 0);
