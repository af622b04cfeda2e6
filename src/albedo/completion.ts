/**
 * Completes a partially observed albedo texture: (a) mirrored from the other side of the face
 * through the model's vertex symmetry, (b) a smooth skin-tone fill (push-pull) for what neither
 * side saw, (c) feathered transitions and a fill past UV island borders so mip-maps never pick up
 * background.
 */
import type { HeadModel } from '../modelpack/head-model.js';
import type { UvRaster } from './unwrap.js';
import { bilinearOutside, boxBlur, maskedMinFilter, nonZeroBounds, pushPullFill, sampleWeighted } from './texture-filters.js';
import { PerModelCache } from '../modelpack/per-model-cache.js';
import { giveBackFloat32, takeFloat32, takeFloat32Copy } from '../math/scratch-arrays.js';

/** Per covered texel: where its mirror point lies in the texture, in texel coordinates (NaN when unknown). */
export interface MirrorMap {
  size: number;
  /** x, y interleaved (column, row; texel centres at integers). */
  position: Float32Array;
}

const mirrorMaps = new PerModelCache<HeadModel, MirrorMap>();

/**
 * The mirror of a surface point with barycentrics (b0, b1, b2) in triangle (a, b, c) is the point
 * with the same barycentrics in (mirror(a), mirror(b), mirror(c)); its UV is interpolated the same way.
 * Where the mirrored corners are split seam copies on different UV islands the interpolated UV is
 * meaningless: such texels (mirror triangle much larger in UV than the original) get NaN.
 */
export function getMirrorMap(model: HeadModel, raster: UvRaster): MirrorMap {
  return mirrorMaps.get(model, raster.size, () => mirrorMap(model, raster));
}

function mirrorMap(model: HeadModel, raster: UvRaster): MirrorMap {
  const size = raster.size;
  const { indices, uvs, mirrorVertex } = model;
  const count = raster.texel.length;
  const position = new Float32Array(count * 2);
  const split = splitMirrorTriangles(indices, uvs, mirrorVertex, size);
  for (let i = 0; i < count; i++) {
    const t = raster.triangle[i];
    if (split[t]) {
      position[2 * i] = NaN;
      position[2 * i + 1] = NaN;
      continue;
    }
    const b1 = raster.bary[2 * i], b2 = raster.bary[2 * i + 1], b0 = 1 - b1 - b2;
    const ma = mirrorVertex[indices[3 * t]], mb = mirrorVertex[indices[3 * t + 1]], mc = mirrorVertex[indices[3 * t + 2]];
    const u = b0 * uvs[2 * ma] + b1 * uvs[2 * mb] + b2 * uvs[2 * mc];
    const v = b0 * uvs[2 * ma + 1] + b1 * uvs[2 * mb + 1] + b2 * uvs[2 * mc + 1];
    position[2 * i] = u * size - 0.5;
    position[2 * i + 1] = (1 - v) * size - 0.5;
  }
  return { size, position };
}

/**
 * Per triangle, 1 where its mirror triangle is much larger in UV than itself (split seam copies on
 * different UV islands: see getMirrorMap). It depends on the triangle alone, so it is judged once
 * per triangle, not once per texel (about 30 texels per triangle at 1024²).
 */
function splitMirrorTriangles(indices: Uint32Array, uvs: Float32Array, mirrorVertex: Uint32Array, size: number): Uint8Array {
  const triangles = indices.length / 3, split = new Uint8Array(triangles);
  for (let t = 0; t < triangles; t++) {
    const a = indices[3 * t], b = indices[3 * t + 1], c = indices[3 * t + 2];
    const originalExtent = uvExtent(uvs, a, b, c), mirrorExtent = uvExtent(uvs, mirrorVertex[a], mirrorVertex[b], mirrorVertex[c]);
    if (mirrorExtent > 4 * originalExtent + 2 / size) split[t] = 1;
  }
  return split;
}

function uvExtent(uvs: Float32Array, a: number, b: number, c: number): number {
  const du1 = Math.abs(uvs[2 * a] - uvs[2 * b]), dv1 = Math.abs(uvs[2 * a + 1] - uvs[2 * b + 1]);
  const du2 = Math.abs(uvs[2 * a] - uvs[2 * c]), dv2 = Math.abs(uvs[2 * a + 1] - uvs[2 * c + 1]);
  const du3 = Math.abs(uvs[2 * b] - uvs[2 * c]), dv3 = Math.abs(uvs[2 * b + 1] - uvs[2 * c + 1]);
  return Math.max(du1, dv1, du2, dv2, du3, dv3);
}

/** Box passes of the feathering blur (completion here, the detail weight in uvapm-albedo.ts). */
export const FEATHER_PASSES = 2;

const coverages = new PerModelCache<UvRaster, Float32Array>();

/**
 * The raster's island indicator (1 on covered texels, 0 elsewhere) box-blurred like the feathered
 * confidences (`radius`, FEATHER_PASSES): what they are normalised by. It depends on the model's UV
 * layout alone, so it is computed once per raster and radius (4 MiB at 1024²) and shared by every
 * avatar; read-only.
 */
export function blurredIslandCoverage(raster: UvRaster, radius: number): Float32Array {
  return coverages.get(raster, radius, () => {
    const coverage = new Float32Array(raster.size * raster.size);
    for (let i = 0; i < raster.texel.length; i++) coverage[raster.texel[i]] = 1;
    boxBlur(coverage, raster.size, 1, radius, FEATHER_PASSES);
    return coverage;
  });
}

export interface CompletionInput {
  raster: UvRaster;
  mirror: MirrorMap;
  /** De-lit albedo per covered texel, linear RGB interleaved. */
  albedo: Float32Array;
  /** Confidence per covered texel, 0..1 (0 = not observed). */
  confidence: Float32Array;
  /** Colour the fill tends to far from any observation (median skin albedo, linear RGB). */
  skinTone: ArrayLike<number>;
}

export interface CompletionResult {
  /** Full texture (size * size), linear RGB interleaved, top row first. */
  texture: Float32Array;
  /** Per covered texel: the confidence after mirroring (observed or mirrored), 0..1. */
  confidence: Float32Array;
  /** Per covered texel: the share of the colour taken from the mirror side, 0..1. */
  mirrorShare: Float32Array;
  /**
   * The input confidence on the grid (size * size, 0 off the islands), eroded (maskedMinFilter by
   * the feather radius): the start of the feathering here and of the detail fusion's own-detail
   * weight (./uvapm-albedo.ts), which erodes a monotone function of it by the same radius.
   */
  erodedConfidence: Float32Array;
}

/**
 * Fills every texel of the texture; see the module comment for the three steps.
 * The per-texel loops live in small functions of typed arrays and numbers: run once per avatar
 * inside this long function, each loop started in the interpreter and waited for its own
 * on-stack replacement, and the optimized code was thrown away again on the next loop's
 * unseen types; as functions of their own they stay optimized from one avatar to the next.
 * Its planes come from the reused scratch (../math/scratch-arrays.ts); the caller may give the
 * result's arrays back there once it is done with them.
 */
export function completeAlbedo(input: CompletionInput): CompletionResult {
  const { raster, mirror, albedo, skinTone } = input;
  const size = raster.size, texelCount = size * size, count = raster.texel.length;
  const feather = Math.max(1, Math.round(size / 128));

  // Feathered confidence on the grid: erode (so silhouette texels, which mix in background, drop
  // out) then blur (so observed/unobserved transitions are ramps, not edges).
  const erodedConfidence = takeFloat32(texelCount);
  scatterToGrid(input.confidence, raster.texel, 1, erodedConfidence);
  maskedMinFilter(erodedConfidence, raster.slot, size, feather);
  const gridConfidence = takeFloat32Copy(erodedConfidence);
  boxBlur(gridConfidence, size, 1, feather, FEATHER_PASSES);
  // Normalised by the covered share so island borders (where nothing lies outside) do not fade.
  normaliseByCoverage(gridConfidence, blurredIslandCoverage(raster, feather), raster.slot);

  const gridAlbedo = takeFloat32(texelCount * 3);
  scatterToGrid(albedo, raster.texel, 3, gridAlbedo);

  // (a) Observed + mirrored: the mirror fills what the texel itself lacks, in proportion to how
  // well the mirror side was seen.
  const combined = takeFloat32(count * 3);
  const combinedConfidence = takeFloat32(count);
  const mirrorShare = takeFloat32(count);
  combineWithMirror(raster.texel, mirror.position, gridAlbedo, gridConfidence, size, combined, combinedConfidence, mirrorShare);

  // (b) Skin-tone fill from confident skin, tending to the median skin tone far away. Its inputs
  // reuse the grid albedo and confidence (12 + 4 MiB at 1024², dead after (a)): every covered
  // texel is rewritten below, and both are zero elsewhere; so does its output.
  const fillColour = gridAlbedo;
  const fillWeight = gridConfidence;
  scatterToGrid(combined, raster.texel, 3, fillColour);
  scatterProductToGrid(combinedConfidence, raster.skin, raster.texel, fillWeight);
  // Filled in place (push-pull reads each texel's own colour before writing it).
  const fill = pushPullFill(fillColour, fillWeight, size, skinTone, undefined, fillColour);

  // (c) Blend by confidence (already feathered), then extend the islands into the empty texels.
  // The blend is written over the fill itself and the islands' weight over the fill's weight: the
  // loop rewrites every covered texel, the weight is zero elsewhere, and a texel of zero weight
  // contributes nothing to push-pull whatever its colour. The extension is filled in place.
  const islandColour = fill;
  const islandWeight = fillWeight;
  blendOverFill(combined, combinedConfidence, raster.texel, islandColour, islandWeight);
  const texture = pushPullFill(islandColour, islandWeight, size, skinTone, undefined, islandColour);
  giveBackFloat32(combined, islandWeight);
  return { texture, confidence: combinedConfidence, mirrorShare, erodedConfidence };
}

/** Writes `channels` interleaved values per covered texel to their texels of the grid `out` (others untouched). */
export function scatterToGrid(values: Float32Array, texel: Int32Array, channels: number, out: Float32Array): void {
  const count = texel.length;
  if (channels === 1) {
    for (let i = 0; i < count; i++) out[texel[i]] = values[i];
    return;
  }
  if (channels === 3) {
    // RGB written out, not looped over (the completion scatters 877,595 sample-photo texels twice an
    // avatar): 7.3-10.7 -> 3.6-5.4 ms a scatter, min of 40 in one process, three runs.
    for (let i = 0, q = 0; i < count; i++, q += 3) {
      const p = 3 * texel[i];
      out[p] = values[q]; out[p + 1] = values[q + 1]; out[p + 2] = values[q + 2];
    }
    return;
  }
  for (let i = 0; i < count; i++) {
    const p = channels * texel[i], q = channels * i;
    for (let c = 0; c < channels; c++) out[p + c] = values[q + c];
  }
}

/** out[texel i] = a[i] · b[i] per covered texel. */
function scatterProductToGrid(a: Float32Array, b: Float32Array, texel: Int32Array, out: Float32Array): void {
  for (let i = 0; i < texel.length; i++) out[texel[i]] = a[i] * b[i];
}

/** In place: the blurred confidence over the blurred island coverage, at most 1, and 0 off the islands. */
function normaliseByCoverage(confidence: Float32Array, coverage: Float32Array, slot: Int32Array): void {
  for (let p = 0; p < confidence.length; p++) confidence[p] = slot[p] >= 0 ? Math.min(1, confidence[p] / Math.max(coverage[p], 1e-6)) : 0;
}

/**
 * Step (a) per covered texel: its own colour by its grid confidence, the mirror point's
 * (confidence-weighted bilinear) colour for what that leaves, by how well the mirror side was seen.
 */
function combineWithMirror(
  texel: Int32Array, mirrorPosition: Float32Array, gridAlbedo: Float32Array, gridConfidence: Float32Array, size: number,
  combined: Float32Array, combinedConfidence: Float32Array, mirrorShare: Float32Array,
): void {
  const sample = new Float32Array(4);
  // Mirror points whose four texels have confidence +0 give weight 0: found without sampling.
  const seen = new Int32Array(4);
  nonZeroBounds(gridConfidence, size, seen);
  for (let i = 0; i < texel.length; i++) {
    const p = texel[i];
    const co = gridConfidence[p];
    let cm = 0;
    const mx = mirrorPosition[2 * i], my = mirrorPosition[2 * i + 1];
    if (co < 1 && mx === mx && !bilinearOutside(seen, size, mx, my)) cm = sampleWeighted(gridAlbedo, 3, gridConfidence, size, mx, my, sample);
    const share = (1 - co) * cm;
    const total = co + share;
    combinedConfidence[i] = total;
    mirrorShare[i] = share;
    if (total > 0) {
      combined[3 * i] = (co * gridAlbedo[3 * p] + share * sample[0]) / total;
      combined[3 * i + 1] = (co * gridAlbedo[3 * p + 1] + share * sample[1]) / total;
      combined[3 * i + 2] = (co * gridAlbedo[3 * p + 2] + share * sample[2]) / total;
    }
  }
}

/** Step (c)'s blend: each covered texel's colour by its confidence over the fill, written over the fill; weight 1 there. */
function blendOverFill(combined: Float32Array, confidence: Float32Array, texel: Int32Array, fill: Float32Array, weight: Float32Array): void {
  for (let i = 0; i < texel.length; i++) {
    const p = texel[i];
    const w = confidence[i];
    for (let c = 0; c < 3; c++) fill[3 * p + c] = w * combined[3 * i + c] + (1 - w) * fill[3 * p + c];
    weight[p] = 1;
  }
}
