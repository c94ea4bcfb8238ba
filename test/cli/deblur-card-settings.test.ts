/**
 * `promotion deblur` runs a model as `deblur()` does with its defaults: the card's clamp, following the motion where
 * the card asks (`clampMotion`), the card's residual deadband and its deconvolution steps. Until session 18 the command passed the card's
 * radius on as if the user had given it, which turned the card's motion-following clamp off: the shipped default
 * ran with a fixed radius of 2 from the CLI and with its growing clamp everywhere else.
 *
 * A card beside a copy of the shipped network asks for settings that change the output on the committed clip (a clamp
 * that grows fast with the motion, a deadband of 1.5 levels where the input spans at most 40, 3 Richardson-Lucy steps);
 * the command's frames must equal the API's, and differ from the API's with the radius given (which is what the
 * command did before), with no deadband, with the deadband everywhere and without the steps, so the test can fail.
 */
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { deblur } from '../../src/deblur/deblur.js';
import { DEFAULT_DEBLUR_MODEL, modelsDir } from '../../src/deblur/model-card.js';
import type { Frame } from '../../src/stream/frame.js';
import { decodeImage } from '../../src/stream/image-codec.js';
import { cli, tempDir } from '../helpers.js';

const CLIP = join(import.meta.dirname, '..', 'fixtures', 'deblur-clip', 'blur');
const dir = tempDir('promotion-card-settings-');

async function readFolder(folder: string): Promise<Frame[]> {
  const files = readdirSync(folder).filter((f) => f.endsWith('.png')).sort();
  return Promise.all(files.map((f, k) => decodeImage(join(folder, f), 'uint8', k, (k * 1000) / 30)));
}

const differing = (a: readonly Frame[], b: readonly Frame[]) => a.filter((f, k) => Buffer.compare(Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength), Buffer.from(b[k]!.data.buffer, b[k]!.data.byteOffset, b[k]!.data.byteLength)) !== 0).length;

describe('promotion deblur and the model card', () => {
  it("runs the card's motion-following clamp and deadband as deblur() does", async () => {
    const card = JSON.parse(readFileSync(join(modelsDir(), `${DEFAULT_DEBLUR_MODEL}.json`), 'utf8')) as Record<string, unknown>;
    copyFileSync(join(modelsDir(), String(card.file)), join(dir, String(card.file)));
    const path = join(dir, 'card-settings.json');
    writeFileSync(path, JSON.stringify({ ...card, name: 'card-settings', clampRadius: 1, clampMotion: { scale: 2, maxRadius: 16 }, deadband: 1.5, deadbandFlat: 40, deconvolve: 3 }));

    const out = join(dir, 'out');
    const r = await cli(['deblur', CLIP, '-o', out, '--model', path, '--threads', '1', '--json', '--no-progress']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ clampRadius: 1, clampMotion: { scale: 2, maxRadius: 16 }, deadband: 1.5, deadbandFlat: 40, deconvolve: 3, frames: 9 });

    const input = await readFolder(CLIP);
    const api = await lastValueFrom(from(input).pipe(deblur({ model: path, threads: 1 }), toArray()));
    const fixedRadius = await lastValueFrom(from(input).pipe(deblur({ model: path, threads: 1, clampRadius: 1 }), toArray()));
    const noDeadband = await lastValueFrom(from(input).pipe(deblur({ model: path, threads: 1, deadband: 0 }), toArray()));
    const everywhere = await lastValueFrom(from(input).pipe(deblur({ model: path, threads: 1, deadbandFlat: 255 }), toArray()));
    const noDeconvolution = await lastValueFrom(from(input).pipe(deblur({ model: path, threads: 1, deconvolve: 0 }), toArray()));
    const command = await readFolder(out);
    expect(differing(command, api)).toBe(0);
    expect(differing(fixedRadius, api)).toBeGreaterThan(0);
    expect(differing(noDeadband, api)).toBeGreaterThan(0);
    expect(differing(everywhere, api)).toBeGreaterThan(0);
    expect(differing(noDeconvolution, api)).toBeGreaterThan(0);
  }, 120_000);

  it('refuses a deadband outside 0-16 levels and a flatness bound without one, in the card and on the command line', async () => {
    const card = JSON.parse(readFileSync(join(modelsDir(), `${DEFAULT_DEBLUR_MODEL}.json`), 'utf8')) as Record<string, unknown>;
    const path = join(dir, 'bad-deadband.json');
    writeFileSync(path, JSON.stringify({ ...card, deadband: -1 }));
    const bad = await cli(['deblur', CLIP, '-o', join(dir, 'bad'), '--model', path]);
    expect(bad.code).toBe(3);
    expect(bad.err).toContain('has deadband -1; expected a number of 8-bit grey levels from 0 to 16, or no deadband');
    const flag = await cli(['deblur', CLIP, '-o', join(dir, 'bad2'), '--deadband', '20']);
    expect(flag.code).toBe(2);
    expect(flag.err).toBe('promotion: Expected number at least 0 and at most 16 for --deadband but received 20 of type number\n');
    writeFileSync(path, JSON.stringify({ ...card, deadband: undefined, deadbandFlat: 12 }));
    const alone = await cli(['deblur', CLIP, '-o', join(dir, 'bad3'), '--model', path]);
    expect(alone.code).toBe(3);
    expect(alone.err).toContain('has deadbandFlat 12; expected a number of grey levels from 0 to 255 beside a deadband, or no deadbandFlat');
  });

  it('refuses a deconvolution count that is not a whole number from 0 to 50, in the card and on the command line', async () => {
    const card = JSON.parse(readFileSync(join(modelsDir(), `${DEFAULT_DEBLUR_MODEL}.json`), 'utf8')) as Record<string, unknown>;
    const path = join(dir, 'bad-deconvolve.json');
    writeFileSync(path, JSON.stringify({ ...card, deconvolve: 2.5 }));
    const bad = await cli(['deblur', CLIP, '-o', join(dir, 'bad4'), '--model', path]);
    expect(bad.code).toBe(3);
    expect(bad.err).toContain('has deconvolve 2.5; expected a whole number of Richardson-Lucy steps from 0 to 50, or no deconvolve');
    const flag = await cli(['deblur', CLIP, '-o', join(dir, 'bad5'), '--deconvolve', '60']);
    expect(flag.code).toBe(2);
    expect(flag.err).toContain('--deconvolve');
    const evalFlag = await cli(['eval', CLIP, '--report', join(dir, 'bad6'), '--deconvolve', 'x']);
    expect(evalFlag.code).toBe(2);
    expect(evalFlag.err).toContain('--deconvolve');
  });
});
