/** Input fingerprints for resuming: by contents, with the stat digest sparing a second read. */
import { writeFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputNotFoundError } from '../../src/errors.js';
import { fingerprintFiles, fingerprintKey } from '../../src/stream/fingerprint.js';
import { tempDir } from '../helpers.js';

const dir = tempDir('promotion-fingerprint-');

describe('fingerprintFiles', () => {
  it('depends on names, sizes and contents, not on modification times; reuses a stored digest while the stat is unchanged', async () => {
    const files = ['a.png', 'b.png'].map((name) => ({ name, path: join(dir, name) }));
    writeFileSync(files[0]!.path, 'first');
    writeFileSync(files[1]!.path, 'second');
    const one = await fingerprintFiles(files);
    expect(one).toMatchObject({ files: 2, bytes: 11 });
    expect(fingerprintKey(one)).toEqual({ files: 2, bytes: 11, sha256: one.sha256 });
    const later = new Date(Date.now() + 60_000);
    utimesSync(files[0]!.path, later, later);
    const touched = await fingerprintFiles(files);
    expect(touched.sha256).toBe(one.sha256);
    expect(touched.statSha256).not.toBe(one.statSha256);
    // Same stat as stored: the stored digest is taken without reading the files (a stand-in digest shows it).
    expect((await fingerprintFiles(files, { ...touched, sha256: 'stored' })).sha256).toBe('stored');
    // Other contents of the same size, or another name: another fingerprint.
    writeFileSync(files[1]!.path, 'SECOND');
    expect((await fingerprintFiles(files, touched)).sha256).not.toBe(one.sha256);
    expect((await fingerprintFiles([files[0]!, { name: 'c.png', path: files[1]!.path }])).sha256).not.toBe((await fingerprintFiles(files)).sha256);
    await expect(fingerprintFiles([{ name: 'x', path: join(dir, 'missing.png') }])).rejects.toThrow(InputNotFoundError);
  });
});
