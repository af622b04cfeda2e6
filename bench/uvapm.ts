/**
 * UVAPM builder throughput and peak memory at 1024² input, ONNX (onnxruntime-web WASM) vs plain TS.
 *   npx tsx bench/uvapm.ts [--maps 500] [--size 256] [--components 100] [--batch 100] [--backend onnx,ts]
 * 1. The two heavy products at the builder's real shapes (Gram of (K+B+1) × size² rows, and
 *    K × (K+B+1) times (K+B+1) × size²), per backend.
 * 2. PNG decoding of a real 1024² FFHQ-UV map (ms/map; the folder builder pays it on every map).
 * 3. End-to-end builds over N synthetic 1024² RGBA maps generated in memory (box-downscaled to
 *    size, folded in batches): maps/s and peak RSS / heap+ArrayBuffers, per backend.
 * 4. Folder builds from real PNGs (--folder-maps N links to the 7 shared FFHQ-UV maps, cycled),
 *    ONNX backend, decoding on the main thread vs in worker threads (--workers list, default 0,1).
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { folderSource } from '../src/albedo/build/build-folder.js';
import { buildUvapm } from '../src/albedo/build/builder.js';
import { createGemmBackend, type GemmBackendName } from '../src/albedo/gemm.js';
import { decodeImage } from '../src/image/decode.js';
import type { RgbaImage } from '../src/types.js';
import { rng } from '../test/albedo/synthetic-maps.js';
import { sharedPath } from '../test/helpers/shared-data.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const mapCount = Number(arg('maps', '500'));
const size = Number(arg('size', '256'));
const components = Number(arg('components', '100'));
const batch = Number(arg('batch', '100'));
const backends = arg('backend', 'onnx,ts').split(',') as GemmBackendName[];
const input = 1024;
const mb = (n: number): string => (n / 2 ** 20).toFixed(0);

// 1. Products at the builder's shapes.
{
  const D = size * size, m = components + batch + 1;
  const r = rng(1);
  const X = new Float32Array(m * D).map(() => r() - 0.5);
  const A = new Float32Array(components * m).map(() => r() - 0.5);
  const out = new Float32Array(components * D);
  for (const name of backends) {
    const gemm = await createGemmBackend(name);
    await gemm.gram(X, m, D); // warm-up (session init, JIT)
    let t = performance.now();
    await gemm.gram(X, m, D);
    const gramMs = performance.now() - t;
    t = performance.now();
    await gemm.leftMultiply(A, components, m, X, D, out);
    const leftMs = performance.now() - t;
    await gemm.dispose();
    const gflop = (m * m * D + components * m * D) * 2 / 1e9;
    console.log(`${name.padEnd(4)} products at ${size}², m=${m}: gram ${gramMs.toFixed(0)} ms, left-multiply ${leftMs.toFixed(0)} ms (${(gflop / ((gramMs + leftMs) / 1000)).toFixed(1)} GFLOP/s; ×3 channels per batch of ${batch})`);
  }
}

// 2. PNG decode cost of a real map.
const realMap = sharedPath('hifi3d', 'uv_maps', '00012.png');
if (existsSync(realMap)) {
  const bytes = readFileSync(realMap);
  decodeImage(bytes);
  const t = performance.now();
  for (let i = 0; i < 5; i++) decodeImage(bytes);
  console.log(`PNG decode of a 1024² FFHQ-UV map: ${((performance.now() - t) / 5).toFixed(0)} ms/map`);
}

// 3. End-to-end builds on synthetic 1024² maps.
const bases: Uint8Array[] = Array.from({ length: 8 }, (_, b) => {
  const r = rng(100 + b);
  const data = new Uint8Array(input * input * 4);
  const fx = 1 + r() * 3, fy = 1 + r() * 3, tone = [150 + 60 * r(), 100 + 50 * r(), 80 + 40 * r()];
  for (let y = 0; y < input; y++) for (let x = 0; x < input; x++) {
    const p = (y * input + x) * 4, wave = Math.sin((fx * x) / 200) * Math.cos((fy * y) / 170);
    for (let c = 0; c < 3; c++) data[p + c] = Math.max(0, Math.min(255, tone[c] + 30 * wave * (c + 1) / 2 + 8 * (r() - 0.5)));
    data[p + 3] = 255;
  }
  return data;
});
const scratch = new Uint8Array(input * input * 4);
/** Map i: a random blend of two bases with per-channel gains (cheap, varied, deterministic). */
function syntheticMap(i: number): RgbaImage {
  const r = rng(5000 + i);
  const a = bases[i % 8], b = bases[(i * 3 + 1) % 8], w = r(), g = [0.8 + 0.4 * r(), 0.8 + 0.4 * r(), 0.8 + 0.4 * r()];
  for (let p = 0; p < scratch.length; p += 4) {
    scratch[p] = (a[p] * w + b[p] * (1 - w)) * g[0];
    scratch[p + 1] = (a[p + 1] * w + b[p + 1] * (1 - w)) * g[1];
    scratch[p + 2] = (a[p + 2] * w + b[p + 2] * (1 - w)) * g[2];
    scratch[p + 3] = 255;
  }
  return { width: input, height: input, data: scratch };
}
{
  let t = performance.now();
  for (let i = 0; i < 20; i++) syntheticMap(i);
  console.log(`synthetic 1024² map generation: ${((performance.now() - t) / 20).toFixed(0)} ms/map (included in the build figures below)`);
}

for (const name of mapCount > 0 ? backends : []) {
  const base = process.memoryUsage();
  let peakRss = base.rss, peakData = 0;
  const sample = (): void => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakData = Math.max(peakData, m.heapUsed + m.arrayBuffers);
  };
  const timer = setInterval(sample, 50);
  const names = Array.from({ length: mapCount }, (_, i) => `synthetic-${i}`);
  let lastLine = '';
  const { model, seconds } = await buildUvapm({ names, load: async (i) => syntheticMap(i) }, {
    size, components, batchSize: batch, backend: name,
    onProgress: (p) => { sample(); lastLine = `${p.processed}/${p.total} ${p.mapsPerSecond.toFixed(1)} maps/s ETA ${p.etaSeconds?.toFixed(0)} s`; process.stderr.write(`\r${name}: ${lastLine}   `); },
  });
  clearInterval(timer);
  sample();
  process.stderr.write('\n');
  console.log(`${name.padEnd(4)} build: ${mapCount} maps 1024² -> ${size}², K=${model.componentCount}, batch ${batch}: ${seconds.toFixed(1)} s, ${(mapCount / seconds).toFixed(2)} maps/s; peak RSS ${mb(peakRss)} MB (start ${mb(base.rss)}), peak heap+ArrayBuffers ${mb(peakData)} MB`);
}

const folderMaps = Number(arg('folder-maps', '100'));
const sharedMaps = sharedPath('hifi3d', 'uv_maps');
if (folderMaps > 0 && existsSync(sharedMaps)) {
  const real = readdirSync(sharedMaps).filter((n) => n.endsWith('.png')).sort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'uvapm-bench-'));
  for (let i = 0; i < folderMaps; i++) symlinkSync(path.join(sharedMaps, real[i % real.length]), path.join(dir, `map-${String(i).padStart(5, '0')}.png`));
  try {
    for (const workers of arg('workers', '0,1').split(',').map(Number)) {
      const source = await folderSource(dir, { workers, size });
      const { seconds } = await buildUvapm(source, { size, components, batchSize: batch, backend: 'onnx' });
      console.log(`onnx folder build: ${folderMaps} real 1024² PNG maps -> ${size}², decode workers ${workers}: ${seconds.toFixed(1)} s, ${(folderMaps / seconds).toFixed(2)} maps/s`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
