/**
 * Queued synthesis end to end on a real Redis (Debian's redis-server on a loopback port): the planner, two worker
 * processes, one killed mid-sequence; every sequence ends complete, once, with nothing half-written, byte for byte
 * what a single-machine run makes; a rerun of the plan enqueues nothing. Bad input: an unreachable queue, a queue of
 * another job format, an input or output a worker cannot see.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderScene, steadyTrajectory, trajectoryFromParameters } from '../../src/blur-synthesis/exact.js';
import { connectQueue, parseQueueUrl } from '../../src/queue/redis-queue.js';
import { queueRecordKey, SYNTH_JOB_FORMAT } from '../../src/queue/synth-queue.js';
import { toIntegerFrame } from '../../src/stream/frame.js';
import { encodeImage } from '../../src/stream/image-codec.js';
import { cli, noiseLinearImage, tempDir } from '../helpers.js';
import { REDIS_INSTALL_LINE, startRedis, type TestRedis } from './redis-server.js';

const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const dir = tempDir('promotion-queue-');
let redis: TestRedis;

beforeAll(async () => {
  redis = await startRedis();
}, 20_000);
afterAll(async () => {
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A textured pan (`step` px per frame) of `frames` PNGs in `folder`. */
async function panFolder(folder: string, frames: number, step: number, w = 256, h = 192): Promise<void> {
  mkdirSync(folder, { recursive: true });
  const scene = { background: noiseLinearImage(w + 20 * frames, h + 40, step), width: w, height: h, camera: trajectoryFromParameters(steadyTrajectory({ start: { x: w / 2 + 10, y: h / 2 + 20 }, velocity: { x: step, y: 1 } })) };
  for (let k = 0; k < frames; k++) {
    const img = renderScene(scene, k);
    const frame = toIntegerFrame({ width: w, height: h, channels: 3, index: k, timestampMs: 0, sampleType: 'float32', light: 'linear', data: img.data }, 'uint8');
    writeFileSync(join(folder, `f${String(k).padStart(2, '0')}.png`), await encodeImage(frame, 'png'));
  }
}

interface WorkerProcess {
  readonly child: ChildProcess;
  readonly events: Array<Record<string, unknown>>;
  readonly exited: Promise<number | null>;
}

function startWorker(name: string, ...extra: string[]): WorkerProcess {
  const child = spawn(process.execPath, [CLI, 'worker', '--queue', redis.url, '--threads', '1', '--stall-timeout', '2', '--name', name, '--json', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Array<Record<string, unknown>> = [];
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) if (line.trim() !== '') events.push(JSON.parse(line) as Record<string, unknown>);
  });
  child.stderr!.resume();
  return { child, events, exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

/** Every path under `root`, relative. */
function walk(root: string, prefix = ''): string[] {
  return readdirSync(join(root, prefix), { withFileTypes: true }).flatMap((e) => {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`;
    return e.isDirectory() ? [rel, ...walk(root, rel)] : [rel];
  });
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('promotion synth --queue and promotion worker (BullMQ on redis-server)', () => {
  it('runs the plan on two workers, one killed mid-sequence: every sequence complete, once, nothing half-written; a rerun enqueues nothing', async () => {
    const names = ['s0', 's1', 's2', 's3'];
    const FRAMES = 10;
    for (const [i, name] of names.entries()) await panFolder(join(dir, 'in', name), FRAMES, 3 + i);
    const out = join(dir, 'out');
    const inputs = names.map((n) => join(dir, 'in', n));
    const planner = cli(['synth', ...inputs, '-o', out, '--queue', redis.url, '--queue-name', 'kill-test', '--json']);
    await until(() => existsSync(join(out, '.promotion-queue.json')), 30_000, 'the planner to enqueue');
    // Worker A first, so that it surely holds a sequence when it dies; B starts while A is mid-sequence.
    const a = startWorker('wA', '--queue-name', 'kill-test');
    const mine = () => (existsSync(out) ? readdirSync(out).find((e) => e.includes(`.partial-${a.child.pid}-`)) : undefined);
    await until(() => mine() !== undefined, 60_000, 'worker A to take a sequence');
    const b = startWorker('wB', '--queue-name', 'kill-test', '--idle-exit', '3');
    // Worker A is mid-sequence once its staging folder holds a written frame.
    let staging = '';
    await until(
      () => {
        const found = mine();
        if (found && existsSync(join(out, found, 'blur')) && readdirSync(join(out, found, 'blur')).length >= 1) staging = found;
        return staging !== '';
      },
      60_000,
      'worker A to write a frame',
    );
    a.child.kill('SIGKILL');
    await a.exited;
    const killedSequence = staging.replace(/^\./, '').replace(/\.partial-.*$/, '');
    expect(readdirSync(join(out, staging, 'blur')).length).toBeLessThan(FRAMES); // it died mid-sequence

    const planned = await planner;
    expect(planned.code, planned.err).toBe(0);
    const summary = JSON.parse(planned.out) as { enqueued: number; completed: number; failed: unknown[]; sequences: Array<{ id: string; status: string; frames: number }> };
    expect(summary).toMatchObject({ enqueued: 4, completed: 4, failed: [] });
    expect(summary.sequences.map((s) => s.id).sort()).toEqual(names);
    expect(summary.sequences.every((s) => s.status === 'done' && s.frames === FRAMES)).toBe(true);
    expect(await b.exited).toBe(0);

    // Once: each sequence was written (committed) by exactly one worker, and the killed one by B after A died.
    const wrote = [...a.events, ...b.events].filter((e) => e.kind === 'completed' && (e.result as { status: string }).status === 'done').map((e) => (e.result as { id: string }).id);
    expect(wrote.sort()).toEqual(names);
    expect(a.events.some((e) => e.kind === 'completed')).toBe(false);
    expect(b.events.filter((e) => e.kind === 'started').map((e) => e.sequence)).toContain(killedSequence);

    // Complete, nothing half-written: every sequence has all its files, and no staging folder is left anywhere.
    const tree = walk(out);
    expect(tree.filter((p) => /\.partial-|\.replaced-/.test(p))).toEqual([]);
    for (const name of names) {
      for (const sub of ['sharp', 'blur', 'motion']) expect(readdirSync(join(out, name, sub))).toHaveLength(FRAMES);
      expect(JSON.parse(readFileSync(join(out, name, 'synthesis.json'), 'utf8'))).toMatchObject({ frames: FRAMES, sequence: name });
    }
    // The retried sequence is byte for byte what one machine makes.
    const local = join(dir, 'local');
    const here = await cli(['synth', join(dir, 'in', killedSequence), '-o', local, '--threads', '1', '--json']);
    expect(here.code, here.err).toBe(0);
    for (const sub of ['blur', 'motion', 'sharp']) {
      for (const file of readdirSync(join(local, killedSequence, sub))) {
        expect(readFileSync(join(out, killedSequence, sub, file)).equals(readFileSync(join(local, killedSequence, sub, file))), `${sub}/${file}`).toBe(true);
      }
    }

    // Idempotent: the same plan again skips every sequence (their fingerprints match) and enqueues nothing.
    const again = await cli(['synth', ...inputs, '-o', out, '--queue', redis.url, '--queue-name', 'kill-test', '--json']);
    expect(again.code, again.err).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ enqueued: 0, skipped: 4, completed: 0, failed: [] });
  }, 240_000);

  it('refuses an unreachable queue and a queue of another job format before writing anything', async () => {
    const input = join(dir, 'in-bad');
    await panFolder(input, 3, 2, 64, 48);
    const out = join(dir, 'out-unreachable');
    const unreachable = await cli(['synth', input, '-o', out, '--queue', 'redis://127.0.0.1:1']);
    expect(unreachable.code).toBe(8);
    expect(unreachable.err).toMatch(/Cannot reach the queue at redis:\/\/127\.0\.0\.1:1 \(.*ECONNREFUSED.*\)\. Start a Redis server there/);
    expect(existsSync(out)).toBe(false);
    const worker = await cli(['worker', '--queue', 'redis://127.0.0.1:1']);
    expect(worker.code).toBe(8);

    const conn = await connectQueue(parseQueueUrl(redis.url, 'old-format'));
    await conn.redis.set(queueRecordKey('old-format'), JSON.stringify({ tool: 'promotion-handpose', version: '0.0.1', jobFormat: SYNTH_JOB_FORMAT - 1, queueId: 'x' }));
    await conn.close();
    const old = await cli(['synth', input, '-o', out, '--queue', redis.url, '--queue-name', 'old-format']);
    expect(old.code).toBe(8);
    expect(old.err).toContain(`was made by promotion-handpose 0.0.1 with job format ${SYNTH_JOB_FORMAT - 1}; this is promotion-handpose`);
    expect(existsSync(out)).toBe(false);
    const oldWorker = await cli(['worker', '--queue', redis.url, '--queue-name', 'old-format']);
    expect(oldWorker.code).toBe(8);
    expect(oldWorker.err).toContain('cannot read its jobs');

    const bad = await cli(['synth', input, '-o', out, '--queue', 'http://127.0.0.1:6379']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('Expected a Redis URL redis://host:port[/db]');
    const mixed = await cli(['synth', input, '-o', out, '--queue', redis.url, '--workers', '2']);
    expect(mixed.code).toBe(2);
    expect(mixed.err).toContain('--workers does not go with --queue');
  }, 60_000);

  it('reports an input or output a worker cannot see, after the retries, and writes nothing', async () => {
    const inputs = ['gone', 'kept'].map((n) => join(dir, 'in-vis', n));
    for (const input of inputs) await panFolder(input, 3, 2, 64, 48);
    const out = join(dir, 'out-vis');
    const planned = await cli(['synth', ...inputs, '-o', out, '--queue', redis.url, '--queue-name', 'visibility', '--attempts', '2', '--detach']);
    expect(planned.code, planned.err).toBe(0);
    expect(planned.out).toContain('Enqueued 2 sequences');
    expect(planned.out).toContain(`promotion progress --queue ${redis.url} --queue-name visibility`);
    // What a worker on a machine without the input's mount sees: the path is not there.
    renameSync(inputs[0]!, `${inputs[0]!}-elsewhere`);
    const worker = startWorker('wV', '--queue-name', 'visibility', '--idle-exit', '1');
    expect(await worker.exited).toBe(0);
    const progress = await cli(['progress', '--queue', redis.url, '--queue-name', 'visibility', '--once']);
    expect(progress.code).toBe(9);
    expect(progress.out).toContain("1 of 2 sequences complete, 0 running, 0 waiting, 1 failed");
    expect(progress.out).toMatch(/failed {2}gone after 2 attempts: Input .*gone of sequence gone is not visible on \S+\. Queued inputs must live on a path every worker sees/);
    expect(existsSync(join(out, 'gone'))).toBe(false);
    expect(readdirSync(out).filter((e) => e.includes('gone'))).toEqual([]);

    // An output folder that is not the planner's (no marker: another machine's local folder of the same name).
    const out2 = join(dir, 'out-vis2');
    const planned2 = await cli(['synth', inputs[1]!, '-o', out2, '--queue', redis.url, '--queue-name', 'visibility2', '--attempts', '1', '--detach']);
    expect(planned2.code, planned2.err).toBe(0);
    rmSync(join(out2, '.promotion-queue.json'));
    const worker2 = startWorker('wV2', '--queue-name', 'visibility2', '--idle-exit', '1');
    expect(await worker2.exited).toBe(0);
    const progress2 = await cli(['progress', '--queue', redis.url, '--queue-name', 'visibility2', '--json']);
    expect(progress2.code).toBe(9);
    expect((JSON.parse(progress2.out) as { failures: Array<{ reason: string }> }).failures[0]!.reason).toMatch(/Output folder .*out-vis2 of sequence kept is not the one the planner prepared, as seen from .* \(it holds no \.promotion-queue\.json\)/);
    expect(readdirSync(out2)).toEqual([]);
  }, 60_000);

  it('fails (it does not skip) with the install line where redis-server is missing', async () => {
    const path = process.env.PATH;
    process.env.PATH = join(dir, 'no-such-bin');
    try {
      await expect(startRedis()).rejects.toThrow(`Install it, then run the tests again:\n\n  ${REDIS_INSTALL_LINE}\n`);
    } finally {
      process.env.PATH = path;
    }
  });

  it('parses queue URLs and names what it expected', () => {
    expect(parseQueueUrl('redis://10.0.0.5:6380/2')).toMatchObject({ host: '10.0.0.5', port: 6380, db: 2, name: 'promotion-synth', tls: false });
    expect(parseQueueUrl('redis://user:secret@host')).toMatchObject({ host: 'host', port: 6379, db: 0, username: 'user', password: 'secret', display: 'redis://user:***@host' });
    expect(() => parseQueueUrl('redis://host/x')).toThrow('the database must be a whole number, not "x"');
    expect(() => parseQueueUrl('localhost:6379')).toThrow('Expected a Redis URL redis://host:port[/db], e.g. redis://127.0.0.1:6379/0 for --queue but received "localhost:6379"');
    expect(() => parseQueueUrl('redis://host', 'a b')).toThrow("Expected letters, digits, '_', '.' or '-' for --queue-name");
  });
});
