/**
 * Which albedo stage moves under eval-relight's relightings, per photo (default head, its embedded
 * albedo model): the skin mask the fit gives (IoU with the original photo's), the saturated share
 * of the skin (per channel), the SH light's mean level per channel (relit / original: a correct
 * de-lighting puts the whole relighting here), the coarse model albedo (RMS change, linear, model
 * grid) and the final texture (RMS change, linear, face region: what eval-relight prints).
 * To tell a wrong light level from a wrong light shape: `photo` is the relighting's own mean gain
 * on the skin (relit / original photo, unclipped skin pixels, per channel), `albedo` the final
 * texture's mean ratio on the face (a correct de-lighting gives 1), and the final change splits
 * into `global` (what one gain per channel explains) and `rest` (the spatial part).
 * `--no-white-point`: the de-lighting leaves the photo's white point out (LightGainOptions.whitePoint).
 * Prints figures; asserts nothing.
 *   npx tsx bench/relight-stages.ts <photos...> [--texture-size 256] [--no-white-point]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
// The Node asset loader (face models from assets/generated).
import '../src/node/asset-files.js';
import { decodeImage } from '../src/image/decode.js';
import { SRGB_TO_LINEAR, srgbDecode } from '../src/image/srgb.js';
import { albedoChangeUnderRelighting } from '../src/metrics/albedo-evaluation.js';
import { uvEvaluationRegions } from '../src/metrics/albedo-truth.js';
import { loadDefaultHeadAlbedoModel } from '../src/pipeline.js';
import { SH_COUNT } from '../src/albedo/sh-light.js';
import { CLIPPED } from '../src/albedo/albedo.js';
import { skinLevelSums } from './skin-gain.js';
import type { UvapmModel } from '../src/albedo/uvapm-format.js';
import type { AvatarData, Mask, RgbaImage } from '../src/types.js';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : undefined;
};
const textureSize = flag('--texture-size') ?? 256;
const lightGain = args.includes('--no-white-point') ? { whitePoint: false } : undefined;
const photos = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--texture-size');
function maskIoU(a: Mask, b: Mask): number {
  let both = 0, either = 0;
  for (let p = 0; p < a.data.length; p++) {
    const x = a.data[p] > 127, y = b.data[p] > 127;
    if (x && y) both++;
    if (x || y) either++;
  }
  return both / Math.max(either, 1);
}

/** Share of the skin mask's pixels saturated in each channel. */
function saturatedShare(image: RgbaImage, mask: Mask): number[] {
  const count = [0, 0, 0];
  let n = 0;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      if (mask.data[Math.floor((y * mask.height) / image.height) * mask.width + Math.floor((x * mask.width) / image.width)] < 128) continue;
      n++;
      for (let c = 0; c < 3; c++) if (SRGB_TO_LINEAR[image.data[4 * (y * image.width + x) + c]] > CLIPPED) count[c]++;
    }
  }
  return count.map((k) => k / Math.max(n, 1));
}

/** The model's albedo with the avatar's coefficients, linear, planar, on the model's grid. */
function coarseAlbedo(model: UvapmModel, coefficients: Float32Array): Float32Array {
  const D = model.size * model.size, K = model.componentCount, out = new Float32Array(3 * D);
  for (let c = 0; c < 3; c++) {
    for (let t = 0; t < D; t++) {
      let a = model.means[c][t];
      for (let k = 0; k < K; k++) a += coefficients[c * K + k] * model.components[c][k * D + t];
      out[c * D + t] = srgbDecode(a);
    }
  }
  return out;
}

function coarseChange(model: UvapmModel, a: AvatarData, b: AvatarData): number {
  if (!a.albedoCoefficients || !b.albedoCoefficients) return NaN;
  const x = coarseAlbedo(model, a.albedoCoefficients), y = coarseAlbedo(model, b.albedoCoefficients);
  const D = model.size * model.size;
  let sum = 0, n = 0;
  for (let t = 0; t < D; t++) {
    if (!model.mask[t]) continue;
    for (let c = 0; c < 3; c++) sum += (x[c * D + t] - y[c * D + t]) ** 2;
    n += 3;
  }
  return Math.sqrt(sum / Math.max(n, 1));
}

/** Mean relit / original linear ratio per channel over the skin pixels unclipped in both. */
function photoGain(original: RgbaImage, relit: RgbaImage, mask: Mask): number[] {
  const sums = skinLevelSums(original, relit, mask);
  return sums.relit.map((v, c) => v / Math.max(sums.original[c], 1e-9));
}

/** The final texture's change on the face: mean ratio per channel, and the RMS change split into that gain's part and the rest. */
function splitChange(a: RgbaImage, b: RgbaImage, region: Uint8Array): { ratio: number[]; global: number; rest: number } {
  const sa = [0, 0, 0], sb = [0, 0, 0];
  for (let p = 0; p < region.length; p++) {
    if (!region[p]) continue;
    for (let c = 0; c < 3; c++) { sa[c] += SRGB_TO_LINEAR[a.data[4 * p + c]]; sb[c] += SRGB_TO_LINEAR[b.data[4 * p + c]]; }
  }
  const ratio = sb.map((v, c) => v / Math.max(sa[c], 1e-9));
  let global = 0, rest = 0, n = 0;
  for (let p = 0; p < region.length; p++) {
    if (!region[p]) continue;
    for (let c = 0; c < 3; c++) {
      const x = SRGB_TO_LINEAR[a.data[4 * p + c]], y = SRGB_TO_LINEAR[b.data[4 * p + c]];
      global += (x * (ratio[c] - 1)) ** 2;
      rest += (y - x * ratio[c]) ** 2;
    }
    n += 3;
  }
  return { ratio, global: Math.sqrt(global / n), rest: Math.sqrt(rest / n) };
}

const lightLevel = (light: Float32Array) => [0, 1, 2].map((c) => light[c * SH_COUNT]);
const fixed = (values: number[], digits = 2) => values.map((v) => v.toFixed(digits)).join('/');

const albedoModel = await loadDefaultHeadAlbedoModel();
if (!albedoModel) throw new Error('The default head carries no albedo model: run npm run build.');
console.log(`texture ${textureSize}²; light = relit / original mean level per channel (r/g/b); saturated = share of skin pixels per channel`);
for (const file of photos) {
  const image = decodeImage(new Uint8Array(readFileSync(file))).image;
  const { original, changes, relit } = await albedoChangeUnderRelighting(image, { textureSize, albedoModel: 'embedded', ...(lightGain ? { lightGain } : {}) });
  const skin = original.skinMask!;
  const face = uvEvaluationRegions(original.model, textureSize).face;
  console.log(`${path.basename(file)}  original: saturated ${fixed(saturatedShare(image, skin))}`);
  for (const [i, { relighting, photo, data }] of relit.entries()) {
    const own = lightLevel(original.light), now = lightLevel(data.light);
    console.log(`  ${relighting.padEnd(12)} skin IoU ${maskIoU(skin, data.skinMask!).toFixed(3)}  saturated ${fixed(saturatedShare(photo, data.skinMask!))}`
      + `  light ${fixed(now.map((v, c) => v / own[c]), 3)}  coarse ${coarseChange(albedoModel, original, data).toFixed(4)}  final ${changes[i].face.toFixed(4)}`);
    const split = splitChange(original.albedo as RgbaImage, data.albedo as RgbaImage, face);
    console.log(`  ${''.padEnd(12)} photo ${fixed(photoGain(image, photo, skin), 3)}  albedo ${fixed(split.ratio, 3)}  final = global ${split.global.toFixed(4)} + rest ${split.rest.toFixed(4)}`);
  }
}
