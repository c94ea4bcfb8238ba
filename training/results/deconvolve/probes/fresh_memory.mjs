// Session 27: what the first write to fresh memory costs on this machine, against memory written before. Per round,
// a 640x480 RGB float range (3.7 MB) is copied out of a WebAssembly memory into a new Float32Array (as the clamp's
// ranges were before session 27), and into one array kept from round to round (as deblur()'s RangeBuffers do).
// Medians and every round after two, in ms.
//   node training/results/deconvolve/probes/fresh_memory.mjs
const memory = new WebAssembly.Memory({ initial: 400, maximum: 65536, shared: true });
const n = 640 * 480 * 3;
const view = new Float32Array(memory.buffer, 0, n);
const kept = new Float32Array(n);
const times = { fresh: [], kept: [] };
for (let r = 0; r < 22; r++) {
  let s = performance.now();
  const fresh = new Float32Array(n);
  fresh.set(view);
  times.fresh.push(performance.now() - s);
  s = performance.now();
  kept.set(view);
  times.kept.push(performance.now() - s);
}
for (const [k, v] of Object.entries(times)) {
  const x = v.slice(2).sort((a, b) => a - b);
  console.log(`${k}: median ${((x[9] + x[10]) / 2).toFixed(2)} ms; ${x.map((y) => y.toFixed(1)).join(' ')}`);
}
