/**
 * Per-model face-analysis timings on onnxruntime-web (wasm in Node): `npx tsx bench/face-analysis.ts [photo]`.
 * Reports the median of several warm runs (the first run pays for WASM compilation).
 */
// Node asset loader (assets/generated): benches import the sources, not the package's node entry.
import '../src/node/asset-files.js';
import { readFileSync } from 'node:fs';
import { decodeImage } from '../src/image/decode.js';
import { FaceAnalyzer } from '../src/inference/face/analyzer.js';

const file = process.argv[2] ?? '../shared/data/photos/3ddfa_v2/trump_hillary.jpg';
const started = performance.now();
const decoded = decodeImage(readFileSync(file));
const decodeMs = performance.now() - started;
const analyzer = await FaceAnalyzer.create();
const runs: Record<string, number>[] = [];
for (let i = 0; i < 6; i++) {
  const result = await analyzer.analyze(decoded.image);
  const t = performance.now();
  await analyzer.skinMask(decoded.image, result.faces[0]);
  runs.push({ ...result.timings, faces: result.faces.length, 'selfie+skinMask': performance.now() - t });
  // A new image object each time so the cached person mask is recomputed.
  decoded.image = { ...decoded.image };
}
const median = (values: number[]) => values.sort((a, b) => a - b)[values.length >> 1];
console.log(`${file}: ${decoded.image.width}x${decoded.image.height}, decode ${decodeMs.toFixed(0)} ms, backend ${analyzer.backend}`);
for (const key of Object.keys(runs[0])) console.log(`  ${key}: median ${median(runs.slice(1).map((r) => r[key])).toFixed(1)}`);
await analyzer.dispose();
