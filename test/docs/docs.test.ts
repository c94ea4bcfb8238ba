/**
 * The README and docs/ as a reader meets them: every relative link leads to a file (and a heading, for
 * `#fragment`s), and every name their code imports from 'promotion-handpose' is exported by src/index.ts, which
 * exports nothing the docs call internal. (The API reference itself is checked by `npm run docs:api`.)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as sdk from '../../src/index.js';

const ROOT = join(import.meta.dirname, '..', '..');
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchors(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1] ?? '')));
}

describe('README.md and docs/', () => {
  it('the README stays a page a newcomer reads in five minutes (under 250 lines)', () => {
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n').length).toBeLessThan(250);
  });

  it.each(DOCS)('%s: every relative link resolves', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8').replace(/```[\s\S]*?```/g, '');
    const broken: string[] = [];
    for (const [, target = ''] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target)) continue;
      const [path = '', fragment] = target.split('#');
      const resolved = path === '' ? join(ROOT, file) : resolve(ROOT, dirname(file), path);
      if (!existsSync(resolved)) {
        broken.push(`${target} (no such file)`);
        continue;
      }
      if (fragment !== undefined && resolved.endsWith('.md') && !anchors(readFileSync(resolved, 'utf8')).has(fragment)) {
        broken.push(`${target} (no heading #${fragment})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('every name the docs import from promotion-handpose is exported', () => {
    const missing: string[] = [];
    for (const file of DOCS) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const [, names = ''] of text.matchAll(/import \{([^}]*)\} from 'promotion-handpose'/g)) {
        for (const raw of names.split(',')) {
          const name = raw.trim().replace(/^type /, '');
          if (name !== '' && !raw.trim().startsWith('type ') && !(name in sdk)) missing.push(`${file}: ${name}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('internals are not exported', () => {
    for (const name of ['tileSpans', 'featherWeights', 'SSIM_K1', 'assembleHandLandmarkerTask', 'runSynthJob', 'resolveHandLandmarkerOptions', 'blurByPathIntegration']) {
      expect(name in sdk, name).toBe(false);
    }
  });
});
