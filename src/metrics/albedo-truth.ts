/**
 * Albedo judged by truth, not by re-render: a generated UV albedo compared with a ground-truth UV
 * map of the same face in the same UV layout (e.g. FFHQ-UV maps in the HiFi3D++ layout), over the
 * face region and over the whole head, and the change of an albedo under a relit photo (a correct
 * de-lighting barely moves). Re-render PSNR rewards an albedo that keeps the photo's shadows; these
 * do not.
 */
import type { RgbaImage } from '../types.js';
import type { HeadModel } from '../modelpack/head-model.js';
import { getUvRaster } from '../albedo/unwrap.js';
import { SRGB_TO_LINEAR, linearToSrgb, srgbToLinear } from '../image/srgb.js';
import { maskedQuality, type MaskedQuality } from '../albedo/build/metrics.js';
import { uvMapToPlanes } from '../albedo/build/uv-maps.js';

/** Where the comparison counts, size × size texels (1 inside). */
export interface UvEvaluationRegions {
  size: number;
  /** The model's face skin (rasterized skin weight > 0): what a photo of the face can show. */
  face: Uint8Array;
  /** Every texel a head triangle covers: what the texture must get right, seen or not. */
  head: Uint8Array;
}

export function uvEvaluationRegions(model: HeadModel, size: number): UvEvaluationRegions {
  const raster = getUvRaster(model, size);
  const face = new Uint8Array(size * size), head = new Uint8Array(size * size);
  for (let i = 0; i < raster.texel.length; i++) {
    head[raster.texel[i]] = 1;
    if (raster.skin[i] > 0) face[raster.texel[i]] = 1;
  }
  return { size, face, head };
}

export interface TruthComparison {
  face: MaskedQuality;
  head: MaskedQuality;
  /**
   * The same once one gain per colour channel has brought the estimate's overall colour to the
   * truth's. A photo gives the albedo only up to its exposure and white balance, and a truth map
   * made from a photo keeps both (FFHQ-UV's keep a flash's overexposure and a warm room's cast), so
   * the plain figures mix two errors: the texture's overall colour and everything else (shading
   * left in, the unseen parts, detail). These measure the second alone.
   */
  colourAligned: { gains: [number, number, number]; face: MaskedQuality; head: MaskedQuality };
}

/** Both as planar sRGB 0..1 at regions.size (uvMapToPlanes of the textures). */
export function compareWithTruth(estimate: Float32Array, truth: Float32Array, regions: UvEvaluationRegions): TruthComparison {
  const gains = colourGainsToTruth(estimate, truth, regions.face);
  const aligned = withColourGains(estimate, gains);
  return {
    face: maskedQuality(truth, estimate, regions.face, regions.size),
    head: maskedQuality(truth, estimate, regions.head, regions.size),
    colourAligned: {
      gains,
      face: maskedQuality(truth, aligned, regions.face, regions.size),
      head: maskedQuality(truth, aligned, regions.head, regions.size),
    },
  };
}

/**
 * Per channel, the gain g minimising sum (truth - g * estimate)^2 over the region's texels, in
 * linear light where a change of exposure or white balance is one factor per channel (the
 * scale-invariant error of intrinsic-image evaluation, per channel).
 */
export function colourGainsToTruth(estimate: Float32Array, truth: Float32Array, region: Uint8Array): [number, number, number] {
  const D = region.length;
  const gains: [number, number, number] = [1, 1, 1];
  for (let c = 0; c < 3; c++) {
    let cross = 0, square = 0;
    for (let t = 0; t < D; t++) {
      if (!region[t]) continue;
      const e = srgbToLinear(estimate[c * D + t]);
      cross += e * srgbToLinear(truth[c * D + t]);
      square += e * e;
    }
    if (square > 0) gains[c] = cross / square;
  }
  return gains;
}

/** Planar sRGB 0..1 scaled by a gain per channel in linear light (clipped at 1, as an 8-bit texture would be). */
function withColourGains(planes: Float32Array, gains: readonly number[]): Float32Array {
  const D = planes.length / 3, out = new Float32Array(planes.length);
  for (let c = 0; c < 3; c++) {
    for (let t = 0; t < D; t++) out[c * D + t] = linearToSrgb(srgbToLinear(planes[c * D + t]) * gains[c]);
  }
  return out;
}

/** An 8-bit texture (any square size that is a multiple of, or resamples to, `size`) as planar sRGB 0..1. */
export function textureToPlanes(texture: RgbaImage, size: number): Float32Array {
  return uvMapToPlanes(texture, size);
}

/**
 * RMS difference of two albedo textures of the same size in linear RGB (per channel value) over
 * the region's texels (the region at the textures' size).
 */
export function linearRmsDifference(a: RgbaImage, b: RgbaImage, region: Uint8Array): number {
  if (a.width !== b.width || a.height !== b.height || region.length !== a.width * a.height) {
    throw new Error(`linearRmsDifference: ${a.width}x${a.height} vs ${b.width}x${b.height}, region ${region.length}`);
  }
  let sum = 0, n = 0;
  for (let p = 0; p < region.length; p++) {
    if (!region[p]) continue;
    for (let c = 0; c < 3; c++) {
      const d = SRGB_TO_LINEAR[a.data[4 * p + c]] - SRGB_TO_LINEAR[b.data[4 * p + c]];
      sum += d * d;
    }
    n += 3;
  }
  return n > 0 ? Math.sqrt(sum / n) : 0;
}
