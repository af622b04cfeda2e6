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
import { srgbDecode, upsamplePlanes, type UvapmObservation } from '../albedo-model/fit-albedo.js';
import { applyValueDetail, planesToHsv, rgbToHsv } from '../albedo-model/detail.js';
import type { MirrorMap } from './completion.js';
import type { UvRaster } from './unwrap.js';
import { linearToSrgb } from './srgb.js';
import { boxBlur, maskedMinFilter, sampleWeighted } from './texture-filters.js';

/** One view's per-covered-texel photo data at the texture's resolution. */
export interface TexelObservation {
  raster: UvRaster;
  /** Photo colour, linear RGB interleaved. */
  colour: Float32Array;
  /** Unit model-space normal, interleaved. */
  normal: Float32Array;
  /** Photometric least-squares weight (0 = unusable). */
  weight: Float32Array;
}

/**
 * Weighted box-average of a view's texels into the d × d model grid: colour and normal are
 * weight-averaged (normals renormalised), and the weight is the block's total divided by the block
 * area, so a fully trusted block weighs 1 whatever S / d is.
 */
export function observeAtModelSize(view: TexelObservation, modelSize: number): UvapmObservation {
  const { raster } = view;
  const S = raster.size, d = modelSize, D = d * d;
  const colour = new Float32Array(3 * D), normal = new Float32Array(3 * D), weight = new Float32Array(D);
  for (let i = 0; i < raster.texel.length; i++) {
    const w = view.weight[i];
    if (!(w > 0)) continue;
    const p = raster.texel[i];
    const t = Math.floor(((Math.floor(p / S) + 0.5) * d) / S) * d + Math.floor((((p % S) + 0.5) * d) / S);
    weight[t] += w;
    for (let c = 0; c < 3; c++) {
      colour[3 * t + c] += w * view.colour[3 * i + c];
      normal[3 * t + c] += w * view.normal[3 * i + c];
    }
  }
  const area = Math.max(1, (S / d) * (S / d));
  for (let t = 0; t < D; t++) {
    const w = weight[t];
    if (!(w > 0)) continue;
    const length = Math.hypot(normal[3 * t], normal[3 * t + 1], normal[3 * t + 2]);
    if (!(length > 0)) { weight[t] = 0; continue; }
    for (let c = 0; c < 3; c++) {
      colour[3 * t + c] /= w;
      normal[3 * t + c] /= length;
    }
    weight[t] = w / area;
  }
  return { colour, normal, weight };
}

export interface DetailFusionInput {
  raster: UvRaster;
  mirror: MirrorMap;
  /** Photo albedo de-lit with the stage-2 light, linear RGB per covered texel. */
  photoAlbedo: Float32Array;
  /** Trust in photoAlbedo per covered texel (visibility, grazing angle, shading), 0..1. */
  confidence: Float32Array;
  /** Coarse albedo at the texture size: planar r, g, b, sRGB 0..1 (the UVAPM's space). */
  coarse: Float32Array;
  /** Gaussian-like σ in texels below which the photo's value residual counts as detail. */
  sigma: number;
  /** Soft bound on the detail's value offset (default DETAIL_LIMIT). */
  limit?: number;
}

export interface DetailFusion {
  /** The fused albedo, linear RGB interleaved, every texel (S²). */
  texture: Float32Array;
  /** The value offset added to the coarse map per texel (S²): the detail map. */
  detail: Float32Array;
  /** How much of each texel's detail is its own observation (1) or mirrored / faded (0), S². */
  detailWeight: Float32Array;
}

/**
 * Soft bound on the value detail (sRGB 0..1), d → L tanh(d / L). Pores, stubble and fine wrinkles
 * stay well inside it; what goes beyond is mostly not albedo: glasses frames, specular dots,
 * nostril and eyelid-crease shadows, and edges that a pixel of fit jitter moves. Measured on the 6
 * shared FFHQ photos (leave-one-out UVAPM 64², texture 256²): unbounded, photo 00021 (glasses)
 * moved by RMS 0.041 under the ramp relighting (its refit shifts the frames by about 2 px) at 18.70
 * dB mean face PSNR against the FFHQ-UV truth; L 0.06: 0.021 at 19.06 dB; L 0.03: 0.015 at 19.12 dB.
 */
export const DETAIL_LIMIT = 0.03;

/** Confidence below which a texel gives no detail; full at 2×. Dark or grazing texels carry noise, not detail. */
const DETAIL_CONFIDENCE = 0.25;

/**
 * Stage 3: the coarse albedo's H and S, V = V_coarse + detail, where detail is the high-frequency
 * part of V_photo − V_coarse on confidently seen texels, softly bounded (DETAIL_LIMIT), mirrored into unseen symmetric texels and
 * faded to zero elsewhere (feathered like the completion, so no seams appear).
 */
export function fuseDetailInUv(input: DetailFusionInput): DetailFusion {
  const { raster, mirror, photoAlbedo, confidence, coarse, sigma } = input;
  const limit = input.limit ?? DETAIL_LIMIT;
  const S = raster.size, texels = S * S, count = raster.texel.length;
  const feather = Math.max(1, Math.round(S / 128));

  // Own-detail weight: confidence ramp, eroded away from observation borders (silhouette texels
  // mix in background), then blurred into a ramp normalised by island coverage.
  const own = new Float32Array(texels);
  for (let i = 0; i < count; i++) own[raster.texel[i]] = clamp01((confidence[i] - DETAIL_CONFIDENCE) / DETAIL_CONFIDENCE);
  maskedMinFilter(own, raster.slot, S, feather);
  const ramp = new Float32Array(texels * 2);
  for (let i = 0; i < count; i++) {
    const p = raster.texel[i];
    ramp[2 * p] = own[p];
    ramp[2 * p + 1] = 1;
  }
  boxBlur(ramp, S, 2, feather, 2);
  for (let p = 0; p < texels; p++) own[p] = raster.slot[p] >= 0 ? Math.min(own[p], ramp[2 * p] / Math.max(ramp[2 * p + 1], 1e-6)) : 0;

  // Value residual photo − coarse where seen, and its weighted low-pass (the coarse fit's
  // low-frequency error, which stays out of the detail).
  const coarseHsv = planesToHsv(coarse, texels);
  const hsv = new Float32Array(3);
  const lowPass = new Float32Array(texels * 2);
  const residual = new Float32Array(texels);
  for (let i = 0; i < count; i++) {
    const p = raster.texel[i], w = own[p];
    if (!(w > 0)) continue;
    rgbToHsv(linearToSrgb(photoAlbedo[3 * i]), linearToSrgb(photoAlbedo[3 * i + 1]), linearToSrgb(photoAlbedo[3 * i + 2]), hsv, 0);
    residual[p] = hsv[2] - coarseHsv[3 * p + 2];
    lowPass[2 * p] = w * residual[p];
    lowPass[2 * p + 1] = w;
  }
  // Three box passes of radius r approach a Gaussian of σ ≈ √(r (r + 1)).
  const radius = Math.max(1, Math.round(Math.sqrt(sigma * sigma + 0.25) - 0.5));
  boxBlur(lowPass, S, 2, radius, 3);
  const ownDetail = new Float32Array(texels);
  for (let p = 0; p < texels; p++) {
    if (!(own[p] > 0)) continue;
    const low = lowPass[2 * p + 1] > 1e-6 ? lowPass[2 * p] / lowPass[2 * p + 1] : 0;
    ownDetail[p] = limit * Math.tanh((residual[p] - low) / limit);
  }

  const detail = new Float32Array(texels);
  const mirroredDetail = new Float32Array(1);
  for (let i = 0; i < count; i++) {
    const p = raster.texel[i], w = own[p];
    let value = w * ownDetail[p];
    const mx = mirror.position[2 * i], my = mirror.position[2 * i + 1];
    if (w < 1 && mx === mx) {
      const mirroredWeight = sampleWeighted(ownDetail, 1, own, S, mx, my, mirroredDetail);
      if (mirroredWeight > 0) value += (1 - w) * mirroredWeight * mirroredDetail[0];
    }
    detail[p] = value;
  }

  const fusedSrgb = applyValueDetail(coarseHsv, detail, texels, coarse);
  const texture = new Float32Array(texels * 3);
  for (let p = 0; p < texels; p++) {
    for (let c = 0; c < 3; c++) texture[3 * p + c] = srgbToLinear(fusedSrgb[c * texels + p]);
  }
  return { texture, detail, detailWeight: own };
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
 * Planar channels at the model size (d × d) upsampled to the texture size, after extending the
 * values inside the mask two texels outwards (mean of the inside neighbours): the model's texels
 * outside its mask hold no albedo, and bilinear taps at the border would otherwise blend them in.
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
  return size === d ? extended : upsamplePlanes(extended, d, size);
}

/** sRGB -> linear on a 4096-step table (interpolation error below 1e-7): a few million texels per texture. */
const DECODE_STEPS = 4096;
const SRGB_DECODE = Float32Array.from({ length: DECODE_STEPS + 2 }, (_, i) => srgbDecode(Math.min(1, i / DECODE_STEPS)));

/** sRGB 0..1 -> linear, clamped to 0..1 first (the texture is 8-bit sRGB in the end). */
function srgbToLinear(value: number): number {
  if (!(value > 0)) return 0;
  if (value >= 1) return 1;
  const x = value * DECODE_STEPS, i = x | 0, f = x - i;
  return SRGB_DECODE[i] * (1 - f) + SRGB_DECODE[i + 1] * f;
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
