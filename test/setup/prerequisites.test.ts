/**
 * scripts/check-prerequisites.sh, which `npm test` runs first: on a machine without ffmpeg or the Python packages
 * it stops at once with the one install command (not root), or installs them with apt-get (root, as on CI).
 * Everything it calls is faked in a folder that is the whole PATH: `id` (the user), `apt-get` (records its
 * arguments and "installs" by creating the programs), ffmpeg, ffprobe and the Python interpreter.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const SCRIPT = join(import.meta.dirname, '..', '..', 'scripts', 'check-prerequisites.sh');
const ALL = 'ffmpeg redis-server python3-torch python3-torchvision python3-onnx python3-yaml python3-pil python3-skimage';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function executable(path: string, body: string): void {
  writeFileSync(path, `#!/bin/bash\n${body}\n`);
  chmodSync(path, 0o755);
}

/** A PATH folder with a fake `id`, optionally a fake apt-get and ffmpeg, and a fake python3 beside it. */
function machine(options: { uid: number; aptGet: boolean; ffmpeg: boolean; pythonModules: boolean; redis?: boolean }) {
  dir = mkdtempSync(join(tmpdir(), 'prereq-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  const marker = join(dir, 'python-modules-installed');
  const log = join(dir, 'apt-get.log');
  const python = join(dir, 'python3');
  executable(join(bin, 'id'), `echo ${options.uid}`);
  const fakeFfmpeg = (name: string) => `printf '#!/bin/bash\\n' > ${join(bin, name)}; /bin/chmod +x ${join(bin, name)}`;
  if (options.ffmpeg) {
    executable(join(bin, 'ffmpeg'), '');
    executable(join(bin, 'ffprobe'), '');
  }
  if (options.redis ?? options.ffmpeg) executable(join(bin, 'redis-server'), '');
  if (options.pythonModules) writeFileSync(marker, '');
  // Prints every package as missing until apt-get has "installed" them.
  executable(python, `[ -e ${marker} ] || printf 'python3-torch\\npython3-torchvision\\npython3-onnx\\npython3-yaml\\npython3-pil\\npython3-skimage\\n'`);
  if (options.aptGet) {
    executable(join(bin, 'apt-get'), `echo "$*" >> ${log}\n[ "$1" != update ] && { ${fakeFfmpeg('ffmpeg')}; ${fakeFfmpeg('ffprobe')}; ${fakeFfmpeg('redis-server')}; : > ${marker}; }\nexit 0`);
  }
  const run = () => {
    const started = performance.now();
    const result = spawnSync('/bin/bash', [SCRIPT], {
      encoding: 'utf8',
      env: { PATH: bin, PROMOTION_PREREQ_PYTHON: python, HOME: dir },
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, ms: performance.now() - started };
  };
  return { run, aptGetCalls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []) };
}

describe('check-prerequisites.sh (npm test runs it first)', () => {
  it('passes silently when ffmpeg and the Python packages are there', () => {
    const m = machine({ uid: 1000, aptGet: true, ffmpeg: true, pythonModules: true });
    expect(m.run()).toMatchObject({ status: 0, stdout: '', stderr: '' });
    expect(m.aptGetCalls()).toEqual([]);
  });

  it('without root, stops at once with the one install command and installs nothing', () => {
    const m = machine({ uid: 1000, aptGet: true, ffmpeg: false, pythonModules: false });
    const result = m.run();
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(`The tests need system packages that are missing: ${ALL}`);
    expect(result.stderr).toContain(`\n  sudo apt-get install -y ${ALL}\n`);
    expect(result.ms).toBeLessThan(5000);
    expect(m.aptGetCalls()).toEqual([]);
  });

  it('names only what is missing', () => {
    const m = machine({ uid: 1000, aptGet: true, ffmpeg: true, pythonModules: false });
    expect(m.run().stderr).toContain('\n  sudo apt-get install -y python3-torch python3-torchvision python3-onnx python3-yaml python3-pil python3-skimage\n');
  });

  it('names redis-server (the queue tests start it) when only it is missing: the tests fail without it, they do not skip', () => {
    const m = machine({ uid: 1000, aptGet: true, ffmpeg: true, pythonModules: true, redis: false });
    const result = m.run();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('\n  sudo apt-get install -y redis-server\n');
  });

  it('as root with apt-get, installs what is missing and says so', () => {
    const m = machine({ uid: 0, aptGet: true, ffmpeg: false, pythonModules: false });
    const result = m.run();
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`Installing the test prerequisites that are missing: ${ALL} (apt-get, running as root)\nInstalled: ${ALL}\n`);
    expect(m.aptGetCalls()).toEqual(['update -qq', `install -y -qq --no-install-recommends ${ALL}`]);
  });

  it('as root without apt-get, stops with the install command and what to install instead', () => {
    const m = machine({ uid: 0, aptGet: false, ffmpeg: false, pythonModules: true });
    const result = m.run();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('\n  apt-get install -y ffmpeg redis-server\n');
    expect(result.stderr).toContain('No apt-get here');
  });
});
