/** Running scikit-image (Debian's python3-skimage under /usr/bin/python3) as the reference for the pixel metrics. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PYTHON } from '../training/python.js';

export const SKIMAGE_INSTALL_HINT = 'apt-get install -y python3-skimage';

/** The reference script: reads cases.json from a folder, prints { name: { ssim, psnr } } as JSON. */
export const REFERENCE_SCRIPT = new URL('./skimage-reference.py', import.meta.url).pathname;

export interface PythonRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly output: string;
}

/** Runs `/usr/bin/python3 <args>` and returns its exit status, stdout, and stdout + stderr. */
export function runPython3(args: readonly string[], timeoutMs = 60_000): PythonRun {
  const result = spawnSync(PYTHON, args, { encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
  const stdout = result.stdout ?? '';
  return { status: result.status, stdout, output: `${stdout}${result.stderr ?? ''}${result.error ? `\n${String(result.error)}` : ''}` };
}

/** Throws (so the test fails, never skips) with the install step when /usr/bin/python3 or the modules are missing. */
export function requireSkimage(modules = 'skimage.metrics, numpy'): void {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: install Python 3 and scikit-image (${SKIMAGE_INSTALL_HINT}).`);
  const probe = runPython3(['-c', `import ${modules}`]);
  if (probe.status !== 0) throw new Error(`${PYTHON} cannot import ${modules}; install it with \`${SKIMAGE_INSTALL_HINT}\`.\n${probe.output}`);
}
