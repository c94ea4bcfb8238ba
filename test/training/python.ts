/** Running the Python training package from tests: Debian's /usr/bin/python3 (torch, torchvision, onnx from apt), cwd training/. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Debian's interpreter, which carries python3-torch and python3-onnx (the pyenv python3 on PATH does not). */
export const PYTHON = '/usr/bin/python3';
export const TRAINING_DIR = join(import.meta.dirname, '..', '..', 'training');
export const INSTALL_HINT = 'apt-get install -y python3-torch python3-onnx python3-torchvision';

export interface PythonResult {
  readonly status: number | null;
  readonly output: string;
}

/** Runs `/usr/bin/python3 <args>` in training/ and returns its exit status and combined output. */
export function runPython(args: readonly string[], timeoutMs = 120_000): PythonResult {
  const result = spawnSync(PYTHON, args, {
    cwd: TRAINING_DIR,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONHASHSEED: '0' },
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? `\n${String(result.error)}` : ''}`;
  return { status: result.status, output };
}

/**
 * Throws (so the test fails, never skips) with the install step when /usr/bin/python3 or its torch/onnx modules
 * are missing.
 */
export function requireTorch(modules = 'torch, onnx'): void {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: install Python 3 and its packages (${INSTALL_HINT}).`);
  const probe = runPython(['-c', `import ${modules}`], 60_000);
  if (probe.status !== 0) {
    throw new Error(`${PYTHON} cannot import ${modules}; install them with \`${INSTALL_HINT}\`.\n${probe.output}`);
  }
}
