/**
 * Build step (run by `npm run build`, hence by `npm install`): creates assets/generated/ from
 * node_modules only, with no downloads:
 *   - the MediaPipe face models converted from TFJS graph format to ONNX (Apache-2.0), and the
 *     HSE FaceRes embedding used only for the report's identity metric,
 *   - the embedded default head model pack (built procedurally from the MediaPipe canonical face mesh).
 * Deterministic: the same node_modules give the same bytes.
 */
import { mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '../src/node/write-atomic.js';
import path from 'node:path';
import { nodeAssetDir, ASSET_FILES } from '../src/assets.js';
import { convertFaceModels } from '../src/inference/tfjs-to-onnx/convert-face-models.js';
import { buildDefaultHead } from '../src/modelpack/default-head/index.js';
import { writePack } from '../src/modelpack/format.js';

async function main(): Promise<void> {
  const outDir = await nodeAssetDir();
  await mkdir(outDir, { recursive: true });
  const started = performance.now();

  for (const result of await convertFaceModels(outDir)) {
    console.log(`  ${path.basename(result.file)}: ${(result.bytes / 1024).toFixed(0)} KiB in ${result.ms.toFixed(0)} ms`);
  }

  const headStart = performance.now();
  // fp16 bases halve the download for browsers; the decode error is a few micrometres (bench/pack-sizes.ts).
  const pack = writePack(buildDefaultHead(), { precision: 'fp16' });
  const packFile = path.join(outDir, ASSET_FILES.defaultHead);
  await writeFileAtomic(packFile, pack);
  console.log(`  ${ASSET_FILES.defaultHead}: ${(pack.length / 1024).toFixed(0)} KiB in ${(performance.now() - headStart).toFixed(0)} ms`);
  console.log(`assets built in ${(performance.now() - started).toFixed(0)} ms -> ${outDir}`);
}

await main();
