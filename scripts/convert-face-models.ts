/** Converts the MediaPipe face models to ONNX: `npx tsx scripts/convert-face-models.ts [outDir]`. */
import path from 'node:path';
import { convertFaceModels } from '../src/inference/tfjs-to-onnx/convert-face-models.js';

const outDir = path.resolve(process.argv[2] ?? 'assets/generated');
for (const { file, bytes, ms } of await convertFaceModels(outDir)) {
  console.log(`${path.relative(process.cwd(), file)}: ${(bytes / 1024).toFixed(0)} KiB in ${ms} ms`);
}
