/** Locates the toolkit's own files (datasets/, models/) whether running from src/ (tests) or dist/ (installed). */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The folder holding the toolkit's package.json. */
export function packageRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'datasets'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`Cannot find the toolkit's package root above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  cached = dir;
  return dir;
}
