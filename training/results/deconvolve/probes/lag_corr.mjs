// Session 22: the lag test's probe. For frames 1..N-2 of each folder, with the flows deblur() computes for promotion-c
// (DIS to the finest level 2, the flow input), the correlation of the grey input's derivative along each flow (F+ and
// F-, at least MINFLOW px, default 4) at the pixel and at the pixel the flow carries it to (LAG=1: the flow's whole
// length). A box blur of length L along d makes D(x) = (S(x + L/2 d) - S(x - L/2 d)) / L, so D(x) and D(x + L d)
// correlate at about -1/2 whatever the content; sharp content at about 0. Printed per frame: [the share of the moving
// pixels whose correlation over a box of radius R (default 16) is at most -0.2 / -0.3 / -0.4], the whole frame's
// correlation, the longest flow and the share of pixels moving. Since the end of session 22 also, after "across", the
// share of the moving pixels at -0.3 or less whose correlation across the flow (the flow turned by 90 degrees, the
// derivative across it) is at least -0.15 / -0.2: motion blur correlates along the flow only, linearly interpolated
// content in every direction.
//   node training/results/deconvolve/probes/lag_corr.mjs <folder> [<folder> ...]   (N=5 frames; after npm run build)
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { linearRgb } from '../../../../dist/src/deblur/deconvolve.js';
import { motionMaps } from '../../../../dist/src/flow/motion-map.js';
import { decodeImage } from '../../../../dist/src/stream/image-codec.js';
const N = Number(process.env.N ?? 5);
const MIN = Number(process.env.MINFLOW ?? 4);
const SCALE = Number(process.env.LAG ?? 1);
function bil(g, w, h, x, y) {
  x = x < 0 ? 0 : x > w - 1 ? w - 1 : x; y = y < 0 ? 0 : y > h - 1 ? h - 1 : y;
  const x0 = x | 0, y0 = y | 0, x1 = x0 < w - 1 ? x0 + 1 : x0, y1 = y0 < h - 1 ? y0 + 1 : y0, ax = x - x0, ay = y - y0;
  return (1 - ay) * ((1 - ax) * g[y0 * w + x0] + ax * g[y0 * w + x1]) + ay * ((1 - ax) * g[y1 * w + x0] + ax * g[y1 * w + x1]);
}
for (const dir of process.argv.slice(2)) {
  const files = readdirSync(dir).filter((f) => /\.(png|jpe?g)$/.test(f)).sort().slice(0, N);
  const frames = await Promise.all(files.map((f, k) => decodeImage(join(dir, f), 'uint8', k, k * 33)));
  const maps = await lastValueFrom(from(frames).pipe(motionMaps({ flow: { finestLevel: 2 }, flowInput: true }), toArray()));
  const cells = [];
  for (const { item: fr, motion } of maps.slice(1, -1)) {
    const w = fr.width, h = fr.height, n = w * h, box = { x: 0, y: 0, width: w, height: h };
    const L = linearRgb(fr, fr.data, box).data;
    // grey, binomial-smoothed
    const g0 = new Float32Array(n); for (let i = 0; i < n; i++) g0[i] = 0.299 * L[3 * i] + 0.587 * L[3 * i + 1] + 0.114 * L[3 * i + 2];
    const g = new Float32Array(n);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) { let s = 0; for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) { const yy = Math.min(h - 1, Math.max(0, y + dy)), xx = Math.min(w - 1, Math.max(0, x + dx)); s += (dx ? 1 : 2) * (dy ? 1 : 2) * g0[yy * w + xx]; } g[y * w + x] = s / 16; }
    const d = motion.flow.data;
    let sxy = 0, sxx = 0, syy = 0, cnt = 0; const pxy = new Float64Array(n), pxx = new Float64Array(n), pyy = new Float64Array(n), mov = new Uint8Array(n); const qxy = new Float64Array(n), qxx = new Float64Array(n), qyy = new Float64Array(n);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
      const i = y * w + x;
      for (const [u, v] of [[d[i], d[n + i]], [d[2 * n + i], d[3 * n + i]]]) {
        const m = Math.hypot(u, v); if (m < MIN) continue;
        const ux = u / m, uy = v / m;
        const D0 = bil(g, w, h, x + ux / 2, y + uy / 2) - bil(g, w, h, x - ux / 2, y - uy / 2);
        const X = x + SCALE * u, Y = y + SCALE * v;
        const D1 = bil(g, w, h, X + ux / 2, Y + uy / 2) - bil(g, w, h, X - ux / 2, Y - uy / 2);
        sxy += D0 * D1; sxx += D0 * D0; syy += D1 * D1; cnt++; pxy[i] += D0 * D1; pxx[i] += D0 * D0; pyy[i] += D1 * D1; mov[i] = 1;
        { const vx = -uy, vy = ux; const E0 = bil(g, w, h, x + vx / 2, y + vy / 2) - bil(g, w, h, x - vx / 2, y - vy / 2); const XX = x - SCALE * v, YY = y + SCALE * u; const E1 = bil(g, w, h, XX + vx / 2, YY + vy / 2) - bil(g, w, h, XX - vx / 2, YY - vy / 2); qxy[i] += E0 * E1; qxx[i] += E0 * E0; qyy[i] += E1 * E1; }
      }
    }
    const R = Number(process.env.R ?? 16);
    const bm = (v) => { const sat = new Float64Array((w + 1) * (h + 1)); for (let y = 0; y < h; y++) { let row = 0; for (let x = 0; x < w; x++) { row += v[y * w + x]; sat[(y + 1) * (w + 1) + x + 1] = sat[y * (w + 1) + x + 1] + row; } } const o = new Float64Array(n); for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) { const y0 = Math.max(0, y - R), y1 = Math.min(h, y + R + 1), x0 = Math.max(0, x - R), x1 = Math.min(w, x + R + 1); o[y * w + x] = sat[y1 * (w + 1) + x1] - sat[y0 * (w + 1) + x1] - sat[y1 * (w + 1) + x0] + sat[y0 * (w + 1) + x0]; } return o; };
    const bxy = bm(pxy), bxx = bm(pxx), byy = bm(pyy);
    const cxy = bm(qxy), cxx = bm(qxx), cyy = bm(qyy);
    let m = 0, t2 = 0, t3 = 0, t4 = 0, k3 = 0, k3b = 0;
    for (let i = 0; i < n; i++) { if (!mov[i]) continue; m++; const r = bxy[i] / Math.sqrt(bxx[i] * byy[i] + 1e-12); const q = cxy[i] / Math.sqrt(cxx[i] * cyy[i] + 1e-12); if (r <= -0.2) t2++; if (r <= -0.3) { t3++; if (q >= -0.15) k3++; if (q >= -0.2) k3b++; } if (r <= -0.4) t4++; }
    cells.push(`[${(100*t2/m).toFixed(0)}/${(100*t3/m).toFixed(0)}/${(100*t4/m).toFixed(0)}] across>=-.15 ${(100*k3/m).toFixed(0)} >=-.2 ${(100*k3b/m).toFixed(0)} ` + `${(sxy / Math.sqrt(sxx * syy)).toFixed(2)} @${motion.maxMotionPx.toFixed(0)} ${(50 * cnt / n).toFixed(0)}%`);
  }
  console.log(dir.replace('/work/main/', '').padEnd(60), cells.join(' | '));
}
