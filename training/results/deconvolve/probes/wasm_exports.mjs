// Session 29: which function index of a kernel module (src/deblur/*-wasm.ts) each export is, to read a CPU profile's wasm-function[N].
// node training/results/deconvolve/probes/wasm_exports.mjs src/deblur/steps-wasm.ts
import { readFileSync } from 'node:fs';
const text = readFileSync(process.argv[2], 'utf8');
const b = Buffer.from(text.match(/'([A-Za-z0-9+/=]+)'/)[1], 'base64');
let p = 8;
const leb = () => { let r = 0, s = 0, x; do { x = b[p++]; r |= (x & 0x7f) << s; s += 7; } while (x & 0x80); return r; };
let imports = 0;
while (p < b.length) {
  const id = b[p++]; const size = leb(); const end = p + size;
  if (id === 2) { const n = leb(); for (let i = 0; i < n; i++) { const l1 = leb(); p += l1; const l2 = leb(); p += l2; const kind = b[p++]; if (kind === 0) { leb(); imports++; } else if (kind === 2) { const f = b[p++]; leb(); if (f & 1) leb(); } else if (kind === 1) { p++; const f = b[p++]; leb(); if (f & 1) leb(); } else { p += 2; } } }
  if (id === 7) { const n = leb(); for (let i = 0; i < n; i++) { const l = leb(); const name = b.subarray(p, p + l).toString(); p += l; const kind = b[p++]; const idx = leb(); console.log(name, kind === 0 ? `function[${idx - imports}]` : kind); } }
  p = end;
}
