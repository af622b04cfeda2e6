/**
 * The skin-colour manifold a UVAPM's maps span, as a prior for de-lighting: per map the mean
 * face-skin albedo in linear RGB, and over the maps the mean and covariance of its logarithm.
 * Skin colours vary along a narrow, correlated path (melanin, haemoglobin); a light's tint and
 * exposure multiply the channels in ways that mostly leave it. With this prior the light, not the
 * albedo, takes up exposure and coloured light (./light-gain.ts).
 */
import { SRGB_TO_LINEAR } from '../image/srgb.js';

export interface SkinColourStatistics {
  /** Mean over maps of log(mean face-skin albedo), linear RGB. */
  logMean: number[];
  /** 3 × 3 covariance of that log colour over maps, row-major. */
  logCovariance: number[];
  maps: number;
}

export interface SkinColourAccumulator {
  sum: Float64Array;
  products: Float64Array;
  maps: number;
}

export function createSkinColourAccumulator(): SkinColourAccumulator {
  return { sum: new Float64Array(3), products: new Float64Array(9), maps: 0 };
}

/** Mean linear colour of planar sRGB 0..1 texels inside `region` (null when the region is empty). */
export function meanSkinColour(planes: Float32Array, region: Uint8Array): Float64Array | null {
  const D = region.length, mean = new Float64Array(3);
  let n = 0;
  for (let t = 0; t < D; t++) {
    if (!region[t]) continue;
    for (let c = 0; c < 3; c++) mean[c] += SRGB_TO_LINEAR[Math.max(0, Math.min(255, Math.round(planes[c * D + t] * 255)))];
    n++;
  }
  if (n === 0) return null;
  for (let c = 0; c < 3; c++) mean[c] /= n;
  return mean;
}

export function addSkinColour(acc: SkinColourAccumulator, colour: Float64Array): void {
  const log = Array.from(colour, (v) => Math.log(Math.max(v, 1e-4)));
  for (let i = 0; i < 3; i++) {
    acc.sum[i] += log[i];
    for (let j = 0; j < 3; j++) acc.products[3 * i + j] += log[i] * log[j];
  }
  acc.maps++;
}

export function finishSkinColour(acc: SkinColourAccumulator): SkinColourStatistics | undefined {
  if (acc.maps < 2) return undefined;
  const n = acc.maps, mean = Array.from(acc.sum, (s) => s / n);
  const covariance = new Array(9).fill(0).map((_, k) => (acc.products[k] - n * mean[Math.floor(k / 3)] * mean[k % 3]) / (n - 1));
  return { logMean: mean, logCovariance: covariance, maps: n };
}

export function skinColourOfMaps(planes: readonly Float32Array[], region: Uint8Array): SkinColourStatistics | undefined {
  const acc = createSkinColourAccumulator();
  for (const p of planes) {
    const colour = meanSkinColour(p, region);
    if (colour) addSkinColour(acc, colour);
  }
  return finishSkinColour(acc);
}
