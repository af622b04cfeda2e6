/**
 * Model-pack size, load time and decode accuracy for HiFi3D++-sized bases: 20,792 vertices
 * (20,481 after welding UV seams), 532 identity and 45 expression modes, at fp32/fp16 and with the
 * identity basis truncated to K = 532/200/80 modes. The bases are synthetic (HiFi3D++ itself may
 * not be redistributed): random entries with a PCA-like spectrum, identity mode k moving vertices
 * by 5 mm * (k+1)^-0.73 RMS at 1 sd (about 0.05 mm at k = 531), expression mode j by
 * 3 mm * (j+1)^-0.5. Truncation losses depend on that assumed spectrum; fp16 losses do not much.
 *
 * Node: readPack on bytes already in memory (CRC of every section, fp16 expansion, index checks).
 * Browser: headless Chromium (when /usr/bin/chromium and playwright-core are there) fetching the
 * pack from a loopback server and running readPack; the fetch is loopback, so it measures the
 * browser's copy and decode cost, not a network.
 *   npx tsx bench/pack-sizes.ts [--no-browser]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readPack, writePack } from '../src/modelpack/format.js';
import type { HeadModel } from '../src/modelpack/head-model.js';
import { seededRandom as random } from '../test/helpers/random.js';

const VERTICES = 20792;
const TRIANGLES = 40832;
const IDENTITY = 532;
const EXPRESSION = 45;
const FACES = 8;
const REPEATS = 5;


const identitySd = (k: number) => 0.005 * (k + 1) ** -0.73;
const expressionSd = (j: number) => 0.003 * (j + 1) ** -0.5;

/** Random basis: mode k's entries have RMS sd(k) (uniform noise scaled to unit variance). */
function basis(modes: number, n3: number, sd: (k: number) => number, rand: () => number): Float32Array {
  const out = new Float32Array(modes * n3);
  for (let k = 0; k < modes; k++) {
    const scale = sd(k) * Math.sqrt(12);
    for (let i = 0; i < n3; i++) out[k * n3 + i] = (rand() - 0.5) * scale;
  }
  return out;
}

function syntheticHifiSizedModel(): HeadModel {
  const rand = random(2024);
  const n = VERTICES, n3 = n * 3;
  return {
    id: 'bench-hifi-sized', name: 'HiFi3D++-sized synthetic bases', licence: 'CC0-1.0', provenance: 'bench/pack-sizes.ts',
    vertexCount: n,
    positions: Float32Array.from({ length: n3 }, () => (rand() - 0.5) * 0.2),
    uvs: Float32Array.from({ length: n * 2 }, () => rand()),
    indices: Uint32Array.from({ length: TRIANGLES * 3 }, () => Math.floor(rand() * n)),
    weldGroup: Uint32Array.from({ length: n }, (_, i) => (i >= 20481 ? i - 311 : i)),
    identityCount: IDENTITY,
    identityBasis: basis(IDENTITY, n3, identitySd, rand),
    identityStd: new Float32Array(IDENTITY).fill(1),
    expressionNames: Array.from({ length: EXPRESSION }, (_, j) => `exp${String(j).padStart(2, '0')}`),
    expressionBasis: basis(EXPRESSION, n3, expressionSd, rand),
    expressionStd: new Float32Array(EXPRESSION).fill(1),
    landmarks68: Uint32Array.from({ length: 68 }, () => Math.floor(rand() * n)),
    jawContour: Uint32Array.from({ length: 120 }, () => Math.floor(rand() * n)),
    mirrorVertex: Uint32Array.from({ length: n }, (_, i) => i),
    skinWeight: new Float32Array(n).fill(1),
    parts: [],
  };
}

/** mean + identity * id + expression * ex (the same decode as head-model.ts, in doubles). */
function decode(model: HeadModel, id: Float64Array, ex: Float64Array): Float64Array {
  const n3 = model.vertexCount * 3;
  const out = Float64Array.from(model.positions);
  for (let k = 0; k < model.identityCount; k++) {
    const c = id[k];
    for (let i = 0; i < n3; i++) out[i] += c * model.identityBasis[k * n3 + i];
  }
  for (let j = 0; j < model.expressionNames.length; j++) {
    const c = ex[j];
    for (let i = 0; i < n3; i++) out[i] += c * model.expressionBasis[j * n3 + i];
  }
  return out;
}

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** Per-vertex distance between two decodes: RMS and max over vertices and faces, in mm. */
function vertexErrors(a: Float64Array[], b: Float64Array[]): { rms: number; max: number } {
  let sum = 0, count = 0, max = 0;
  for (let f = 0; f < a.length; f++) {
    for (let i = 0; i < a[f].length; i += 3) {
      const d = Math.hypot(a[f][i] - b[f][i], a[f][i + 1] - b[f][i + 1], a[f][i + 2] - b[f][i + 2]);
      sum += d * d; count++; max = Math.max(max, d);
    }
  }
  return { rms: Math.sqrt(sum / count) * 1000, max: max * 1000 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)];
}

interface Row { precision: 'fp32' | 'fp16'; k: number; bytes: number; nodeMs: number; rmsMm: number; maxMm: number; varianceKept: number; browserMs?: number; file?: string }

async function browserLoadTimes(rows: Row[], folder: string): Promise<string | undefined> {
  const { hasChromium, launchSealedChromium, serveStatic } = await import('../test/browser/harness.js');
  if (!hasChromium) return 'no /usr/bin/chromium';
  const { build } = await import('esbuild');
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const entry = path.join(folder, 'entry.ts');
  await writeFile(entry, `import { readPack } from ${JSON.stringify(path.join(root, 'src/modelpack/format.ts'))};
(globalThis as any).benchLoad = async (url: string) => {
  const t0 = performance.now();
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const t1 = performance.now();
  const model = readPack(bytes);
  const t2 = performance.now();
  return { fetchMs: t1 - t0, decodeMs: t2 - t1, vertices: model.vertexCount };
};\n`);
  await build({ entryPoints: [entry], bundle: true, format: 'esm', outfile: path.join(folder, 'bench.js'), platform: 'browser', logLevel: 'silent' });
  await writeFile(path.join(folder, 'index.html'), '<!doctype html><script type="module" src="bench.js"></script>');
  const server = await serveStatic({ '/': folder });
  const browser = await launchSealedChromium();
  try {
    const page = await browser.context.newPage();
    await page.goto(`${server.origin}/index.html`);
    await page.waitForFunction(() => typeof (globalThis as any).benchLoad === 'function');
    for (const row of rows) {
      const times: number[] = [];
      for (let r = 0; r < 3; r++) {
        const result = await page.evaluate(async (url) => (globalThis as any).benchLoad(url), `${server.origin}/${row.file}`);
        times.push(result.fetchMs + result.decodeMs);
      }
      row.browserMs = median(times);
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return undefined;
}

const folder = await mkdtemp(path.join(os.tmpdir(), 'pack-sizes-'));
try {
  const model = syntheticHifiSizedModel();
  const rand = random(7);
  const faces = Array.from({ length: FACES }, () => ({
    id: Float64Array.from({ length: IDENTITY }, () => gaussian(rand)),
    ex: Float64Array.from({ length: EXPRESSION }, () => Math.max(0, gaussian(rand) * 0.5)),
  }));
  const reference = faces.map((f) => decode(model, f.id, f.ex));
  let totalVariance = 0;
  for (let k = 0; k < IDENTITY; k++) totalVariance += identitySd(k) ** 2;
  const rows: Row[] = [];
  for (const precision of ['fp32', 'fp16'] as const) {
    for (const k of [532, 200, 80]) {
      const bytes = writePack(model, { precision, identityModes: k });
      const file = `hifi-${precision}-k${k}.pavpack`;
      await writeFile(path.join(folder, file), bytes);
      const times: number[] = [];
      let loaded: HeadModel | undefined;
      for (let r = 0; r < REPEATS; r++) {
        const start = performance.now();
        loaded = readPack(bytes);
        times.push(performance.now() - start);
      }
      const decoded = faces.map((f) => decode(loaded!, f.id.subarray(0, k), f.ex));
      const { rms, max } = vertexErrors(decoded, reference);
      let kept = 0;
      for (let m = 0; m < k; m++) kept += identitySd(m) ** 2;
      rows.push({ precision, k, bytes: bytes.length, nodeMs: median(times), rmsMm: rms, maxMm: max, varianceKept: kept / totalVariance, file });
    }
  }
  const skipBrowser = process.argv.includes('--no-browser');
  let browserNote = skipBrowser ? 'skipped (--no-browser)' : undefined;
  if (!skipBrowser) {
    try {
      browserNote = await browserLoadTimes(rows, folder);
    } catch (error) {
      browserNote = `failed: ${(error as Error).message.split('\n')[0]}`;
    }
  }
  console.log(`HiFi3D++-sized synthetic pack: ${VERTICES} vertices, ${IDENTITY} identity + ${EXPRESSION} expression modes; ` +
    `errors vs fp32/K=532 over ${FACES} random faces (id ~ N(0,1), assumed spectrum); ${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}`);
  console.log('precision  K    size MiB  Node readPack ms  browser fetch+readPack ms  RMS err mm  max err mm  id variance kept');
  for (const r of rows) {
    console.log(`${r.precision.padEnd(9)}  ${String(r.k).padEnd(3)}  ${(r.bytes / 1048576).toFixed(1).padStart(8)}  ${r.nodeMs.toFixed(0).padStart(16)}  ` +
      `${(r.browserMs === undefined ? '-' : r.browserMs.toFixed(0)).padStart(25)}  ${r.rmsMm.toExponential(2).padStart(10)}  ${r.maxMm.toExponential(2).padStart(10)}  ${(100 * r.varianceKept).toFixed(1).padStart(15)}%`);
  }
  if (browserNote) console.log(`browser: ${browserNote}`);
} finally {
  await rm(folder, { recursive: true, force: true });
}
