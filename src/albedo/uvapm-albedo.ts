/**
 * The UV-space pieces of the albedo stage with a UV albedo parametric model (UVAPM, see
 * ../albedo-model): photo observations resampled to the model's resolution for stage 2 (coarse
 * albedo and SH light), and stage 3, the paper's HSV fusion of the photo's fine detail into the
 * coarse albedo at the texture's resolution.
 *
 * Resolutions: the texture (size S) and the model (size d) share the UV convention of unwrap.ts
 * (texel centres at (column + 0.5) / size, top row first), so a texture texel (x, y) falls in model
 * texel (⌊x d / S⌋, ⌊y d / S⌋); when S is a multiple of d these are exact blocks whose centres
 * coincide with the model texel's, and bilinear upsampling (upsamplePlanes) inverts the layout.
 */
import { upsamplePlanes, type UvapmObservation } from './fit-albedo.js';
import { boundedHighPass, DETAIL_LIMIT, valueDetailAtInterleaved } from './detail.js';
import { generateDetail, type DetailModel } from './detail-model.js';
import { blurredIslandCoverage, FEATHER_PASSES, type MirrorMap } from './completion.js';
import type { UvRaster } from './unwrap.js';
import { largestLinearToSrgb, srgbToLinear } from '../image/srgb.js';
import { PhotoAvatarError } from '../errors.js';
import { bilinearOutside, boxBlur, nonZeroBounds, sampleWeighted } from './texture-filters.js';
import { giveBackFloat32, takeFloat32, takeFloat32Copy } from '../math/scratch-arrays.js';
import { hypot3 } from '../math/hypot.js';

/** One view's per-covered-texel photo data at the texture's resolution. */
export interface TexelObservation {
  raster: UvRaster;
  /** Photo colour, linear RGB interleaved. */
  colour: Float32Array;
  /** Unit model-space normal, interleaved. */
  normal: Float32Array;
  /** Photometric least-squares weight (0 = unusable). */
  weight: Float32Array;
  /** Per texel, bit c set where channel c is saturated (censored: it gets no weight in that channel). */
  saturated?: Uint8Array;
}

/** The d × d model grid's block under each texture texel (size S): per texture row, the block row's first index; per column, the block column. Tabulated: texel loops would divide twice per texel. */
export interface ModelBlocks { rowStart: Int32Array; column: Int32Array }

export function modelBlocks(textureSize: number, modelSize: number): ModelBlocks {
  const S = textureSize, d = modelSize;
  const rowStart = new Int32Array(S), column = new Int32Array(S);
  for (let y = 0; y < S; y++) rowStart[y] = Math.floor(((y + 0.5) * d) / S) * d;
  for (let x = 0; x < S; x++) column[x] = Math.floor(((x + 0.5) * d) / S);
  return { rowStart, column };
}

/**
 * Weighted box-average of a view's texels into the d × d model grid: colour and normal are
 * weight-averaged (normals renormalised), and the weight is the block's total divided by the block
 * area, so a fully trusted block weighs 1 whatever S / d is. Saturated channels are averaged and
 * weighed without their texels (UvapmObservation.channelWeight).
 */
export function observeAtModelSize(view: TexelObservation, modelSize: number): UvapmObservation {
  const { raster } = view;
  const S = raster.size, d = modelSize, D = d * d;
  const colour = new Float32Array(3 * D), normal = new Float32Array(3 * D), weight = new Float32Array(D);
  const channelWeight = new Float32Array(3 * D);
  const saturated = view.saturated;
  const { rowStart, column } = modelBlocks(S, d);
  for (let i = 0; i < raster.texel.length; i++) {
    const w = view.weight[i];
    if (!(w > 0)) continue;
    const p = raster.texel[i];
    const t = rowStart[Math.floor(p / S)] + column[p % S];
    weight[t] += w;
    for (let c = 0; c < 3; c++) {
      const wc = saturated && saturated[i] & (1 << c) ? 0 : w;
      channelWeight[3 * t + c] += wc;
      colour[3 * t + c] += wc * view.colour[3 * i + c];
      normal[3 * t + c] += w * view.normal[3 * i + c];
    }
  }
  const area = Math.max(1, (S / d) * (S / d));
  for (let t = 0; t < D; t++) {
    const w = weight[t];
    if (!(w > 0)) continue;
    const length = hypot3(normal[3 * t], normal[3 * t + 1], normal[3 * t + 2]);
    if (!(length > 0)) { weight[t] = 0; channelWeight.fill(0, 3 * t, 3 * t + 3); continue; }
    for (let c = 0; c < 3; c++) {
      const wc = channelWeight[3 * t + c];
      colour[3 * t + c] = wc > 0 ? colour[3 * t + c] / wc : 0;
      channelWeight[3 * t + c] = wc / area;
      normal[3 * t + c] /= length;
    }
    weight[t] = w / area;
  }
  return { colour, normal, weight, ...(saturated ? { channelWeight } : {}) };
}

export interface DetailFusionInput {
  raster: UvRaster;
  mirror: MirrorMap;
  /** Photo albedo de-lit with the stage-2 light, linear RGB per covered texel. */
  photoAlbedo: Float32Array;
  /**
   * Trust in photoAlbedo (visibility, grazing angle, shading, 0..1) on the texture grid, eroded by
   * the feather radius max(1, round(size / 128)): the completion's erodedConfidence (./completion.ts).
   */
  erodedConfidence: Float32Array;
  /**
   * Coarse albedo at the texture size: interleaved r, g, b, sRGB 0..1 (the UVAPM's space), as
   * coarseAtTextureSize gives it. The fused texture is written over it (DetailFusion.texture).
   */
  coarse: Float32Array;
  /** Gaussian-like σ in texels below which the photo's value residual counts as detail. */
  sigma: number;
  /** Soft bound on the detail's value offset (default DETAIL_LIMIT). */
  limit?: number;
  /** Learned value-detail model (any size; fitted and generated at its own, resampled to the texture's): fills what neither a texel nor its mirror saw (./detail-model.ts). */
  detailModel?: DetailModel;
}

export interface DetailFusion {
  /** The fused albedo, linear RGB interleaved, every texel (S²): the input's `coarse` array, overwritten. */
  texture: Float32Array;
  /** The value offset added to the coarse map per texel (S²): the detail map. */
  detail: Float32Array;
  /** How much of each texel's detail is its own observation (1) or mirrored / faded (0), S². */
  detailWeight: Float32Array;
}


/** Confidence below which a texel gives no detail; full at 2×. Dark or grazing texels carry noise, not detail. */
const DETAIL_CONFIDENCE = 0.25;

/**
 * Stage 3: the coarse albedo's H and S, V = V_coarse + detail, where detail is the high-frequency
 * part of V_photo − V_coarse on confidently seen texels, softly bounded (DETAIL_LIMIT), mirrored
 * into unseen symmetric texels, generated by the detail model (when given) where the mirror saw
 * nothing either, and faded to zero elsewhere (feathered like the completion, so no seams appear).
 */
export function fuseDetailInUv(input: DetailFusionInput): DetailFusion {
  const { raster, mirror, photoAlbedo, erodedConfidence, coarse, sigma } = input;
  const limit = input.limit ?? DETAIL_LIMIT;
  const S = raster.size, texels = S * S;
  const feather = Math.max(1, Math.round(S / 128));
  // The per-texel loops are functions of their own, as in completeAlbedo (./completion.ts): they
  // stay optimized from one avatar to the next instead of waiting for on-stack replacement here.

  // Own-detail weight: confidence ramp, eroded away from observation borders (silhouette texels
  // mix in background), then blurred into a ramp normalised by island coverage.
  // The ramp is monotone, so the ramp of the eroded confidence is the eroded ramp, bit for bit
  // (a minimum picks one of the values either way).
  const own = takeFloat32(texels);
  confidenceRampAtTexels(raster.texel, erodedConfidence, own);
  const ramp = takeFloat32Copy(own); // own is 0 off the islands
  boxBlur(ramp, S, 1, feather, FEATHER_PASSES);
  boundByNormalisedRamp(own, ramp, blurredIslandCoverage(raster, feather), raster.slot);
  giveBackFloat32(ramp);

  // Value residual photo − coarse where seen; its weighted low-pass (the coarse fit's
  // low-frequency error) stays out of the detail. HSV's value is the largest channel: the coarse
  // map's HSV is computed texel by texel where it is needed, not stored (12 MiB at 1024²). It
  // becomes the detail map, from the reused scratch: a caller that does not read it gives it back.
  const residual = takeFloat32(texels);
  valueResidualAtTexels(raster.texel, own, photoAlbedo, coarse, residual);
  const ownDetail = boundedHighPass(residual, own, S, sigma, limit);
  // The learned detail model's best explanation of the seen detail, for what neither the texel nor its mirror saw.
  const generated = input.detailModel ? generateDetailAtSize(input.detailModel, ownDetail, own, S) : undefined;

  // The detail map reuses the residual's array: every covered texel is rewritten, and the
  // residual is 0 off the islands, as the detail is.
  const detail = residual;
  blendDetailAtTexels(raster.texel, mirror.position, own, ownDetail, generated, S, detail);
  giveBackFloat32(ownDetail, generated);

  // applyValueDetail texel by texel, straight to linear, over the coarse map itself (each texel
  // reads only its own coarse colour).
  applyValueDetailToLinear(coarse, detail);
  return { texture: coarse, detail, detailWeight: own };
}

/** own[texel i] = the detail confidence ramp (DETAIL_CONFIDENCE to twice it) of the eroded confidence there. */
function confidenceRampAtTexels(texel: Int32Array, erodedConfidence: Float32Array, own: Float32Array): void {
  for (let i = 0; i < texel.length; i++) {
    const p = texel[i];
    own[p] = clamp01((erodedConfidence[p] - DETAIL_CONFIDENCE) / DETAIL_CONFIDENCE);
  }
}

/** In place: own bounded by its blurred ramp over the blurred island coverage, 0 off the islands. */
function boundByNormalisedRamp(own: Float32Array, ramp: Float32Array, coverage: Float32Array, slot: Int32Array): void {
  for (let p = 0; p < own.length; p++) own[p] = slot[p] >= 0 ? Math.min(own[p], ramp[p] / Math.max(coverage[p], 1e-6)) : 0;
}

/**
 * residual[texel i] = the photo albedo's HSV value minus the coarse map's, where the texel has own
 * weight. The value is the largest sRGB channel, rounded to float32 as rgbToHsv's output held it.
 */
function valueResidualAtTexels(texel: Int32Array, own: Float32Array, photoAlbedo: Float32Array, coarse: Float32Array, residual: Float32Array): void {
  for (let i = 0; i < texel.length; i++) {
    const p = texel[i];
    if (!(own[p] > 0)) continue;
    const value = Math.fround(largestLinearToSrgb(photoAlbedo[3 * i], photoAlbedo[3 * i + 1], photoAlbedo[3 * i + 2]));
    residual[p] = value - Math.max(coarse[3 * p], coarse[3 * p + 1], coarse[3 * p + 2]);
  }
}

/**
 * detail[texel i]: the texel's own detail by its weight, the mirror point's (weighted bilinear) for
 * what that leaves, the generated detail (when given) for what neither saw.
 */
function blendDetailAtTexels(
  texel: Int32Array, mirrorPosition: Float32Array, own: Float32Array, ownDetail: Float32Array,
  generated: Float32Array | undefined, size: number, detail: Float32Array,
): void {
  const mirroredDetail = new Float32Array(1);
  // Mirror points whose four texels have own weight +0 give weight 0: found without sampling.
  const seen = new Int32Array(4);
  nonZeroBounds(own, size, seen);
  for (let i = 0; i < texel.length; i++) {
    const p = texel[i], w = own[p];
    let value = w * ownDetail[p];
    const mx = mirrorPosition[2 * i], my = mirrorPosition[2 * i + 1];
    let mirroredWeight = 0;
    if (w < 1 && mx === mx && !bilinearOutside(seen, size, mx, my)) {
      mirroredWeight = sampleWeighted(ownDetail, 1, own, size, mx, my, mirroredDetail);
      if (mirroredWeight > 0) value += (1 - w) * mirroredWeight * mirroredDetail[0];
    }
    if (generated && w < 1) value += (1 - w) * (1 - mirroredWeight) * generated[p];
    detail[p] = value;
  }
}

/** In place over the interleaved sRGB coarse map: each texel's value plus its detail (valueDetailAtInterleaved), as linear RGB. */
function applyValueDetailToLinear(coarse: Float32Array, detail: Float32Array): void {
  const hsv = new Float32Array(3), rgb = new Float32Array(3);
  for (let p = 0; p < detail.length; p++) {
    valueDetailAtInterleaved(coarse, p, detail[p], hsv, rgb);
    coarse[3 * p] = srgbToLinear(rgb[0]);
    coarse[3 * p + 1] = srgbToLinear(rgb[1]);
    coarse[3 * p + 2] = srgbToLinear(rgb[2]);
  }
}

/**
 * D(α_d) at the texture size S: the seen detail and its weight box-averaged to the model's size d
 * (S a multiple of d, or d itself), the coefficients fitted there, the generated detail bilinearly
 * upsampled back. The model's size is set by its source textures, not by the requested texture.
 */
export function generateDetailAtSize(model: DetailModel, detail: Float32Array, weight: Float32Array, size: number): Float32Array {
  const d = model.size;
  if (d === size) return generateDetail(model, detail, weight);
  if (size % d !== 0 && d % size !== 0) throw new PhotoAvatarError('INVALID_ARGUMENT', `The detail model is ${d}×${d}; the texture size ${size} is neither a multiple nor a divisor of it.`);
  if (d > size) return downsampleMean(generateDetail(model, upsamplePlanes(detail, size, d, 1), upsamplePlanes(weight, size, d, 1)), d, size);
  const factor = size / d, small = new Float32Array(d * d), smallWeight = new Float32Array(d * d);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const p = y * size + x, w = weight[p];
      if (!(w > 0)) continue;
      const t = Math.floor(y / factor) * d + Math.floor(x / factor);
      small[t] += w * detail[p];
      smallWeight[t] += w;
    }
  }
  for (let t = 0; t < small.length; t++) {
    if (smallWeight[t] > 0) small[t] /= smallWeight[t];
    smallWeight[t] /= factor * factor;
  }
  return upsamplePlanes(generateDetail(model, small, smallWeight), d, size, 1);
}

/** Box mean of a size × size plane down to `to` (size a multiple of it). */
function downsampleMean(values: Float32Array, size: number, to: number): Float32Array {
  const factor = size / to, out = new Float32Array(to * to);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) out[Math.floor(y / factor) * to + Math.floor(x / factor)] += values[y * size + x] / (factor * factor);
  return out;
}

/**
 * The UVAPM's mask (d × d) as a feathered 0..1 weight at the texture size: where the fused albedo
 * replaces the photo-completion texture. 1 on the whole mask, feathered outwards only (one model
 * texel, then bilinear): a ramp inside the mask would mix the photo-only fill, which off the face
 * is one flat skin tone, into the model's hair, ears and neck (measured on the shared FFHQ photo
 * 00012: 2.6x the coarse map's squared error against the truth on those border texels).
 */
export function modelRegionAtTextureSize(mask: Uint8Array, modelSize: number, size: number): Float32Array {
  const d = modelSize;
  const region = Float32Array.from(mask, (m) => (m ? 1 : 0));
  boxBlur(region, d, 1, 1, 1);
  for (let t = 0; t < region.length; t++) if (mask[t]) region[t] = 1;
  return upsamplePlanes(region, d, size, 1);
}

/**
 * Planar channels at the model size (d × d) upsampled to the texture size, interleaved, after
 * extending the values inside the mask two texels outwards (mean of the inside neighbours): the
 * model's texels outside its mask hold no albedo, and bilinear taps at the border would otherwise
 * blend them in.
 */
export function coarseAtTextureSize(planes: Float32Array, mask: Uint8Array, modelSize: number, size: number): Float32Array {
  const d = modelSize, D = d * d;
  const extended = Float32Array.from(planes);
  let known = Uint8Array.from(mask, (m) => (m ? 1 : 0));
  for (let ring = 0; ring < 2; ring++) {
    const next = Uint8Array.from(known);
    for (let y = 0; y < d; y++) {
      for (let x = 0; x < d; x++) {
        const t = y * d + x;
        if (known[t]) continue;
        let n = 0;
        const sum = [0, 0, 0];
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const xx = x + dx, yy = y + dy;
            if (xx < 0 || yy < 0 || xx >= d || yy >= d || !known[yy * d + xx]) continue;
            for (let c = 0; c < 3; c++) sum[c] += extended[c * D + yy * d + xx];
            n++;
          }
        }
        if (n === 0) continue;
        for (let c = 0; c < 3; c++) extended[c * D + t] = sum[c] / n;
        next[t] = 1;
      }
    }
    known = next;
  }
  return upsamplePlanes(extended, d, size, 3, true);
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
