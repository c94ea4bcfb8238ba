/**
 * Two whole commands timed against each other: A and B run in turn (A B A B ...), each started `--runs` times after
 * `--warmup` runs that are not counted, and each run measured from outside by GNU time (`/usr/bin/time`, Debian's
 * package `time`): wall seconds, user and system CPU seconds, and the peak resident memory of the largest process.
 * Printed as min, median and max per command, with the ratio A/B taken run by run (pairing keeps the ratio meaningful
 * when the machine's speed drifts); quote the medians. This is how the speed figures of `promotion deblur` in
 * docs/deblur-model.md are measured (whole processes, start-up included).
 *
 *   npm run build && node dist/bench/ab.js [--runs 3] [--warmup 1] [--out FILE.json] -- 'COMMAND A' 'COMMAND B'
 *
 * Each command is one string run by `sh -c`, in the current folder, its output thrown away. A command that exits
 * with a failure stops the benchmark (its exit code and the last of its output are printed): a failing run is not a
 * time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const TIME = '/usr/bin/time';
const USAGE = "node dist/bench/ab.js [--runs 3] [--warmup 1] [--out FILE.json] -- 'COMMAND A' 'COMMAND B'";

/** One run's figures. */
interface Run {
  readonly wallS: number;
  readonly userS: number;
  readonly sysS: number;
  readonly peakMiB: number;
}

const FIGURES = [
  ['wall s', (r: Run) => r.wallS],
  ['cpu s', (r: Run) => r.userS + r.sysS],
  ['user s', (r: Run) => r.userS],
  ['peak MiB', (r: Run) => r.peakMiB],
] as const;

function fail(message: string): never {
  process.stderr.write(`ab: ${message}\n`);
  process.exit(2);
}

function timeOnce(command: string, scratch: string): Run {
  const report = join(scratch, 'time.txt');
  const result = spawnSync(TIME, ['-f', '%e %U %S %M', '-o', report, 'sh', '-c', command], { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 * 2 ** 20 });
  if (result.error) fail(`cannot run ${TIME}: ${result.error.message}`);
  if (result.status !== 0) fail(`the command exited with ${result.status ?? result.signal}: ${command}\n${String(result.stderr).slice(-2000)}`);
  const fields = readFileSync(report, 'utf8').trim().split(/\s+/).slice(-4).map(Number);
  if (fields.length !== 4 || fields.some((v) => !Number.isFinite(v))) fail(`cannot read GNU time's report for: ${command}`);
  const [wallS, userS, sysS, peakKiB] = fields as [number, number, number, number];
  return { wallS, userS, sysS, peakMiB: peakKiB / 1024 };
}

function stats(values: readonly number[]): { min: number; median: number; max: number } {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return { min: s[0]!, median: s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2, max: s[s.length - 1]! };
}

function main(): void {
  const { values, positionals } = parseArgs({ options: { runs: { type: 'string' }, warmup: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  if (values.help) {
    console.log(`usage: ${USAGE}`);
    return;
  }
  const runs = Number(values.runs ?? 3);
  const warmup = Number(values.warmup ?? 1);
  if (!Number.isInteger(runs) || runs < 1 || runs > 100) fail(`--runs must be a whole number from 1 to 100, not ${values.runs}`);
  if (!Number.isInteger(warmup) || warmup < 0 || warmup > 10) fail(`--warmup must be a whole number from 0 to 10, not ${values.warmup}`);
  if (positionals.length !== 2) fail(`give two commands, each one quoted string (got ${positionals.length}); usage: ${USAGE}`);
  if (!existsSync(TIME)) fail(`${TIME} (GNU time) is missing; install it (apt-get install time)`);
  const [a, b] = positionals as [string, string];
  const scratch = mkdtempSync(join(tmpdir(), 'ab-'));
  const timed: { A: Run[]; B: Run[] } = { A: [], B: [] };
  try {
    for (let k = 0; k < warmup + runs; k++) {
      const ra = timeOnce(a, scratch);
      const rb = timeOnce(b, scratch);
      if (k >= warmup) {
        timed.A.push(ra);
        timed.B.push(rb);
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const rows: string[] = [`A = ${a}`, `B = ${b}`, `${runs} runs each, in turn, after ${warmup} warm-up run${warmup === 1 ? '' : 's'} each`, '', '| figure | min | median | max |', '| --- | ---: | ---: | ---: |'];
  const summary: Record<string, unknown> = { commandA: a, commandB: b, runs, warmup, at: new Date().toISOString() };
  const row = (label: string, values: readonly number[], digits: number) => {
    // A ratio of two zeros (a command that takes no CPU time) is no figure.
    const v = values.filter((x) => Number.isFinite(x));
    if (v.length === 0) {
      rows.push(`| ${label} | n/a | n/a | n/a |`);
      return null;
    }
    const s = stats(v);
    rows.push(`| ${label} | ${s.min.toFixed(digits)} | ${s.median.toFixed(digits)} | ${s.max.toFixed(digits)} |`);
    return s;
  };
  for (const side of ['A', 'B'] as const) for (const [label, pick] of FIGURES) summary[`${side} ${label}`] = row(`${side} ${label}`, timed[side].map(pick), 3);
  for (const [label, pick] of FIGURES) summary[`A/B ${label}`] = row(`A/B ${label}`, timed.A.map((r, i) => pick(r) / pick(timed.B[i]!)), 4);
  summary.runsA = timed.A;
  summary.runsB = timed.B;
  console.log(rows.join('\n'));
  if (values.out) {
    mkdirSync(dirname(values.out), { recursive: true });
    writeFileSync(values.out, `${JSON.stringify(summary, null, 2)}\n`);
  }
}

main();
