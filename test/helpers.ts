/** Shared test helpers: temporary folders, generated frames and clips (all made in code, nothing downloaded). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll } from 'vitest';
import { runCli } from '../src/cli/program.js';
import { createRgb16Frame, createRgb8Frame, type Rgb16Frame, type Rgb8Frame } from '../src/stream/frame.js';

/** A fresh temporary folder, removed after the test file. */
export function tempDir(label = 'promotion-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), label));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** An 8-bit frame whose pixel (x, y) is a known function of x, y and the index. */
export function patternFrame(width: number, height: number, index = 0): Rgb8Frame {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      data[o] = (x * 7 + index * 13) & 255;
      data[o + 1] = (y * 5 + index * 3) & 255;
      data[o + 2] = ((x ^ y) + index * 29) & 255;
    }
  }
  return createRgb8Frame(data, { width, height, index, timestampMs: (index * 1000) / 30 });
}

/** A 16-bit frame using the full 16-bit range (values no 8-bit image can hold). */
export function pattern16Frame(width: number, height: number, index = 0): Rgb16Frame {
  const data = new Uint16Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761 + index * 40503) % 65536;
  return createRgb16Frame(data, { width, height, index, timestampMs: (index * 1000) / 30 });
}

/** Writes a test clip with ffmpeg's testsrc2 pattern. */
export function makeClip(path: string, options: { width?: number; height?: number; frames?: number; fps?: number; args?: string[] } = {}): void {
  const { width = 64, height = 48, frames = 30, fps = 30, args = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'] } = options;
  execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`, '-frames:v', String(frames), ...args, '-y', path]);
}

/** PIDs of running ffmpeg processes whose parent is this process. */
export function childFfmpegPids(): number[] {
  const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)]).toString();
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, comm]) => comm === 'ffmpeg')
    .map(([pid]) => Number(pid));
}

/** Waits until `check` holds or `timeoutMs` passes. */
export async function eventually(check: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

/** A seeded multi-scale value-noise texture (grey, 0..255), rich enough for optical flow at any scale. */
export function noiseTexture(width: number, height: number, seed = 7): { width: number; height: number; data: Float32Array } {
  let s = seed >>> 0;
  const rnd = () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  const out = new Float32Array(width * height);
  for (const cell of [48, 12, 3]) {
    const gw = Math.ceil(width / cell) + 2;
    const gh = Math.ceil(height / cell) + 2;
    const g = Float32Array.from({ length: gw * gh }, () => rnd());
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const fx = x / cell;
        const fy = y / cell;
        const x0 = Math.floor(fx);
        const y0 = Math.floor(fy);
        const tx = fx - x0;
        const ty = fy - y0;
        const v = (1 - ty) * ((1 - tx) * g[y0 * gw + x0]! + tx * g[y0 * gw + x0 + 1]!) + ty * ((1 - tx) * g[(y0 + 1) * gw + x0]! + tx * g[(y0 + 1) * gw + x0 + 1]!);
        out[y * width + x] = out[y * width + x]! + 85 * v;
      }
    }
  }
  return { width, height, data: out };
}

/** The same texture as an RGB linear-light image (channels slightly different so colour matters). */
export function noiseLinearImage(width: number, height: number, seed = 7): { width: number; height: number; data: Float32Array } {
  const grey = noiseTexture(width, height, seed);
  const data = new Float32Array(width * height * 3);
  for (let i = 0; i < grey.data.length; i++) {
    const v = grey.data[i]! / 255;
    data[3 * i] = Math.pow(v, 2.2);
    data[3 * i + 1] = Math.pow(0.8 * v + 0.1, 2.2);
    data[3 * i + 2] = Math.pow(1 - 0.9 * v, 2.2);
  }
  return { width, height, data };
}

/** Runs the CLI in-process and returns its exit code and what it wrote. */
export async function cli(args: string[], signal: AbortSignal = new AbortController().signal): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const code = await runCli(args, { stdout, stderr, signal });
  return { code, out, err };
}
