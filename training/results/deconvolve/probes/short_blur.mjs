// Session 21: what the blur test sees on short foreground blurs. For frames 1..N-2 of a folder, with the flows
// deblur() computes for promotion-c (DIS to the finest level 2, the flow input), the blur test's ratio (change
// re-blurring along the flow / across it, after the 3x3 binomial filter) at several re-blur lengths: over the whole
// frame (the region's verdict), over the moving pixels only (longest flow >= MOVING px, default 2), and the share of
// the moving pixels whose box-averaged ratio passes 0.75 (the per-pixel ramp's top) and 0.55 (its foot).
//   node training/results/deconvolve/probes/short_blur.mjs <folder> [N=6]
// VARIANTS="0.25:4 0.25:2 0.5:4 1:0" (scale:floor px) picks the re-blur lengths.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { linearRgb } from '../../../../dist/src/deblur/deconvolve.js';
import { blurAlongFlow } from '../../../../dist/src/deblur/steps-kernel.js';
import { motionMaps } from '../../../../dist/src/flow/motion-map.js';
import { decodeImage } from '../../../../dist/src/stream/image-codec.js';

const dir = process.argv[2];
const files = readdirSync(dir).filter((f) => /\.(png|jpe?g)$/.test(f)).sort().slice(0, Number(process.argv[3] ?? 6));
const frames = await Promise.all(files.map((f, k) => decodeImage(join(dir, f), 'uint8', k, k * 33)));
const maps = await lastValueFrom(from(frames).pipe(motionMaps({ flow: { finestLevel: 2 }, flowInput: true }), toArray()));
const variants = (process.env.VARIANTS ?? '0.25:4 0.25:2 0.5:4 1:0').split(/\s+/).map((v) => v.split(':').map(Number));
const MOVING = Number(process.env.MOVING ?? 2);
const R = 16;

function binomial3(rgb) {
  const { width: w, height: h, data } = rgb;
  const rows = new Float32Array(data.length), out = new Float32Array(data.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) {
    const l = 3 * (y * w + Math.max(0, x - 1)) + c, m = 3 * (y * w + x) + c, r = 3 * (y * w + Math.min(w - 1, x + 1)) + c;
    rows[m] = 0.25 * data[l] + 0.5 * data[m] + 0.25 * data[r];
  }
  for (let y = 0; y < h; y++) for (let k = 0; k < 3 * w; k++) {
    const up = 3 * w * Math.max(0, y - 1), mid = 3 * w * y, down = 3 * w * Math.min(h - 1, y + 1);
    out[mid + k] = 0.25 * rows[up + k] + 0.5 * rows[mid + k] + 0.25 * rows[down + k];
  }
  return { width: w, height: h, data: out };
}
function boxMean(v, w, h, r) {
  const sat = new Float64Array((w + 1) * (h + 1));
  for (let y = 0; y < h; y++) { let row = 0; for (let x = 0; x < w; x++) { row += v[y * w + x]; sat[(y + 1) * (w + 1) + x + 1] = sat[y * (w + 1) + x + 1] + row; } }
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const y0 = Math.max(0, y - r), y1 = Math.min(h, y + r + 1), x0 = Math.max(0, x - r), x1 = Math.min(w, x + r + 1);
    out[y * w + x] = (sat[y1 * (w + 1) + x1] - sat[y0 * (w + 1) + x1] - sat[y1 * (w + 1) + x0] + sat[y0 * (w + 1) + x0]) / ((y1 - y0) * (x1 - x0));
  }
  return out;
}

const lines = [];
for (const { item: fr, motion } of maps.slice(1, -1)) {
  const w = fr.width, h = fr.height, n = w * h, box = { x: 0, y: 0, width: w, height: h };
  const B = binomial3(linearRgb(fr, fr.data, box));
  const d = motion.flow.data;
  const longest = new Float32Array(n);
  let moving = 0, meanMove = 0;
  for (let i = 0; i < n; i++) {
    longest[i] = Math.max(Math.hypot(d[i], d[n + i]), Math.hypot(d[2 * n + i], d[3 * n + i]));
    if (longest[i] >= MOVING) { moving++; meanMove += longest[i]; }
  }
  const cells = [`${(moving / n * 100).toFixed(0)}% moving, ${(meanMove / Math.max(1, moving)).toFixed(1)}px`];
  for (const [scale, floor] of variants) {
    const scaled = new Float32Array(4 * n), turned = new Float32Array(4 * n);
    for (let i = 0; i < n; i++) {
      const L = longest[i];
      const k = L > 0 ? Math.min(1, Math.max(scale, floor / L)) : scale;
      scaled[i] = k * d[i]; scaled[n + i] = k * d[n + i]; scaled[2 * n + i] = k * d[2 * n + i]; scaled[3 * n + i] = k * d[3 * n + i];
      turned[i] = -k * d[n + i]; turned[n + i] = k * d[i]; turned[2 * n + i] = -k * d[3 * n + i]; turned[3 * n + i] = k * d[2 * n + i];
    }
    const along = blurAlongFlow(B, { width: w, height: h, data: scaled }, box).data;
    const across = blurAlongFlow(B, { width: w, height: h, data: turned }, box).data;
    const da = new Float64Array(n), dc = new Float64Array(n);
    let sa = 0, sc = 0, ma = 0, mc = 0;
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) { da[i] += Math.abs(along[3 * i + c] - B.data[3 * i + c]); dc[i] += Math.abs(across[3 * i + c] - B.data[3 * i + c]); }
      sa += da[i]; sc += dc[i];
      if (longest[i] >= MOVING) { ma += da[i]; mc += dc[i]; }
    }
    const a = boxMean(da, w, h, R), c = boxMean(dc, w, h, R);
    let top = 0, foot = 0;
    for (let i = 0; i < n; i++) if (longest[i] >= MOVING && c[i] > 1e-7) { const q = a[i] / c[i]; if (q < 0.75) top++; if (q <= 0.55) foot++; }
    cells.push(`${scale}:${floor} all ${(sa / sc).toFixed(2)} mov ${(ma / mc).toFixed(2)} <.75 ${(top / Math.max(1, moving) * 100).toFixed(0)}% <.55 ${(foot / Math.max(1, moving) * 100).toFixed(0)}%`);
  }
  lines.push(cells.join(' | '));
}
console.log(dir.split('/').slice(-3).join('/'));
for (const l of lines) console.log('  ' + l);
