// Session 26: per thread of a `node --cpu-prof --cpu-prof-dir=DIR ...` run, the functions with the most self time.
// node training/results/deconvolve/probes/profile_summary.mjs DIR [count, default 14]
import { readFileSync, readdirSync } from 'node:fs';
const dir = process.argv[2];
for (const f of readdirSync(dir)) {
  const p = JSON.parse(readFileSync(`${dir}/${f}`));
  const self = new Map();
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const dt = p.timeDeltas; const counts = new Map();
  p.samples.forEach((id, k) => counts.set(id, (counts.get(id) ?? 0) + (dt[k] ?? 0)));
  for (const [id, t] of counts) { const n = byId.get(id); const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').slice(-1)[0]}:${n.callFrame.lineNumber}`; self.set(key, (self.get(key) ?? 0) + t); }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log(`== ${f} total ${(total / 1e3).toFixed(0)} ms`);
  [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, +(process.argv[3] ?? 14)).forEach(([k, t]) => console.log(`${(t / 1e3).toFixed(0).padStart(7)} ms  ${k}`));
}
