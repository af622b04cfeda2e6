/**
 * How the filled scalp matches the seen face in an avatar's albedo texture (for benches and tests):
 * the step across the edge of what the photo showed, above the brows (the hairline, the cap's brim,
 * the temples), between a seen band just inside that edge and a filled band just outside it; and
 * the tone of the crown's fill against the seen face skin. What the photo showed is the albedo's
 * face mask (the photo's face region, hair taken out) unwrapped onto the fitted head; the seen face
 * skin is the avatar's skin mask.
 */
import type { AvatarData } from '../types.js';
import type { AlbedoInput } from '../albedo/albedo.js';
import { unwrapPhoto, vertexScalarAtTexels } from '../albedo/unwrap.js';
import { linearToLab } from '../hair/colour-space.js';
import { LUMINANCE_WEIGHTS, SRGB_TO_LINEAR } from '../image/srgb.js';

export interface ScalpTone {
  /** Mean over the head's columns of the CIE76 ΔE between the filled band outside the seen edge and the seen band inside it. */
  edgeDeltaE: number;
  /** The largest column's ΔE. */
  edgeDeltaEMax: number;
  /** The columns' mean L* step, filled band minus seen band (positive: the fill is lighter). */
  edgeDeltaL: number;
  /** CIE76 ΔE between the mean seen face skin (below the brows) and the mean crown fill. */
  faceToCrownDeltaE: number;
  /** L*a*b* of the mean seen face skin and of the mean crown fill. */
  faceLab: number[];
  crownLab: number[];
  /**
   * The crown fill's texel-to-texel contrast: the mean over neighbouring crown texels (left and
   * right) of their linear luminances' difference over their mean. Near 0 for smooth paint, however
   * its tone drifts across the head.
   */
  crownGrain: number;
  /** Columns with both bands populated. */
  columns: number;
  /** Per albedo texel: 1 seen band, 2 filled band, 3 seen face, 4 crown, 0 elsewhere (a picture of where it measured). */
  regions: Uint8Array;
}

/** Columns across the head (by model x, between the jaw's ends, iBUG 0 and 16) that the edge is split into. */
const COLUMNS = 10;
/** The bands lie between these shares of the texture's side from the seen edge, on either side: past the blend, still near. */
const BAND_FROM = 0.01, BAND_TO = 0.04;
/** A texel counts as seen from this unwrap weight (visible × cosine × face mask) on, as unseen at 0. */
const SEEN = 0.5;
/** The crown: unseen texels this share of the brows-to-chin height above the highest seen texel. */
const CROWN_ABOVE = 0.15;

function meanLab(sum: Float64Array, n: number): number[] {
  return Array.from(linearToLab(sum[0] / n, sum[1] / n, sum[2] / n));
}

/**
 * Chamfer distance (texels, 3-4 weights / 3) from every texel to the nearest texel where `inside`
 * differs from its own value: the distance to the edge, on both sides of it.
 */
function edgeDistance(inside: Uint8Array, size: number): Float32Array {
  const distance = new Float32Array(size * size).fill(Infinity);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const p = y * size + x;
      if ((x > 0 && inside[p - 1] !== inside[p]) || (x < size - 1 && inside[p + 1] !== inside[p])
        || (y > 0 && inside[p - size] !== inside[p]) || (y < size - 1 && inside[p + size] !== inside[p])) distance[p] = 0;
    }
  }
  const step = (p: number, q: number, cost: number) => { if (distance[q] + cost < distance[p]) distance[p] = distance[q] + cost; };
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const p = y * size + x;
      if (x > 0) step(p, p - 1, 3);
      if (y > 0) { step(p, p - size, 3); if (x > 0) step(p, p - size - 1, 4); if (x < size - 1) step(p, p - size + 1, 4); }
    }
  }
  for (let y = size - 1; y >= 0; y--) {
    for (let x = size - 1; x >= 0; x--) {
      const p = y * size + x;
      if (x < size - 1) step(p, p + 1, 3);
      if (y < size - 1) { step(p, p + size, 3); if (x < size - 1) step(p, p + size + 1, 4); if (x > 0) step(p, p + size - 1, 4); }
    }
  }
  for (let p = 0; p < distance.length; p++) distance[p] /= 3;
  return distance;
}

/** @param input what the avatar's albedo stage read (createAvatarDataWithAlbedoInput's) */
export function scalpTone(data: AvatarData, input: AlbedoInput): ScalpTone {
  const { albedo, model } = data;
  const size = albedo.width;
  const { vertices } = input;
  const unwrap = unwrapPhoto(input, size);
  const { raster } = unwrap;
  const axis = (k: number) => vertexScalarAtTexels(raster, model.indices, Float32Array.from({ length: vertices.length / 3 }, (_, v) => vertices[3 * v + k]));
  const x = axis(0), y = axis(1);
  const landmark = (k: number, c: number) => vertices[3 * model.landmarks68[k] + c];
  let browY = 0;
  for (let k = 17; k <= 26; k++) browY += landmark(k, 1) / 10;
  const left = Math.min(landmark(0, 0), landmark(16, 0)), right = Math.max(landmark(0, 0), landmark(16, 0));
  const column = (i: number) => Math.floor(((x[i] - left) / (right - left)) * COLUMNS);
  const colour = (i: number, out: Float64Array) => { for (let c = 0; c < 3; c++) out[c] += SRGB_TO_LINEAR[albedo.data[4 * raster.texel[i] + c]]; };

  const seen = new Uint8Array(size * size);
  let top = -Infinity;
  for (let i = 0; i < raster.texel.length; i++) {
    if (unwrap.weight[i] < SEEN) continue;
    seen[raster.texel[i]] = 1;
    top = Math.max(top, y[i]);
  }
  const distance = edgeDistance(seen, size);
  const from = BAND_FROM * size, to = BAND_TO * size, crownFrom = top + CROWN_ABOVE * (browY - landmark(8, 1));
  const seenSum = Array.from({ length: COLUMNS }, () => new Float64Array(3)), fillSum = Array.from({ length: COLUMNS }, () => new Float64Array(3));
  const seenCount = new Int32Array(COLUMNS), fillCount = new Int32Array(COLUMNS);
  const face = new Float64Array(3), crown = new Float64Array(3);
  let faceCount = 0, crownCount = 0;
  const regions = new Uint8Array(size * size);
  for (let i = 0; i < raster.texel.length; i++) {
    const p = raster.texel[i], w = unwrap.weight[i];
    if (unwrap.skinWeight[i] >= SEEN && raster.skin[i] > 0.5 && y[i] < browY) { colour(i, face); faceCount++; regions[p] = 3; }
    if (w === 0 && y[i] > crownFrom) { colour(i, crown); crownCount++; regions[p] = 4; }
    const k = column(i);
    if (k < 0 || k >= COLUMNS || y[i] < browY || distance[p] < from || distance[p] > to) continue;
    if (w >= SEEN) { colour(i, seenSum[k]); seenCount[k]++; regions[p] = 1; }
    if (w === 0) { colour(i, fillSum[k]); fillCount[k]++; regions[p] = 2; }
  }
  let deltaE = 0, deltaEMax = 0, deltaL = 0, columns = 0;
  for (let k = 0; k < COLUMNS; k++) {
    if (!seenCount[k] || !fillCount[k]) continue;
    const inside = meanLab(seenSum[k], seenCount[k]), outside = meanLab(fillSum[k], fillCount[k]);
    const step = Math.hypot(outside[0] - inside[0], outside[1] - inside[1], outside[2] - inside[2]);
    deltaE += step;
    deltaEMax = Math.max(deltaEMax, step);
    deltaL += outside[0] - inside[0];
    columns++;
  }
  const faceLab = meanLab(face, Math.max(1, faceCount)), crownLab = meanLab(crown, Math.max(1, crownCount));
  const crownGrain = neighbourContrast(albedo, regions, 4);
  return {
    edgeDeltaE: columns ? deltaE / columns : NaN,
    edgeDeltaEMax: deltaEMax,
    edgeDeltaL: columns ? deltaL / columns : NaN,
    faceToCrownDeltaE: Math.hypot(faceLab[0] - crownLab[0], faceLab[1] - crownLab[1], faceLab[2] - crownLab[2]),
    faceLab, crownLab, crownGrain, columns, regions,
  };
}

/** Mean over horizontally neighbouring texels both in `region` of |ΔY| / mean Y (linear luminance Y). */
function neighbourContrast(albedo: AvatarData['albedo'], regions: Uint8Array, region: number): number {
  const size = albedo.width, data = albedo.data;
  const [wr, wg, wb] = LUMINANCE_WEIGHTS;
  const luminance = (p: number) => wr * SRGB_TO_LINEAR[data[4 * p]] + wg * SRGB_TO_LINEAR[data[4 * p + 1]] + wb * SRGB_TO_LINEAR[data[4 * p + 2]];
  let sum = 0, pairs = 0;
  for (let p = 0; p < size * size; p++) {
    if (regions[p] !== region || (p + 1) % size === 0 || regions[p + 1] !== region) continue;
    const a = luminance(p), b = luminance(p + 1);
    if (a + b > 0) { sum += (2 * Math.abs(a - b)) / (a + b); pairs++; }
  }
  return pairs ? sum / pairs : 0;
}
