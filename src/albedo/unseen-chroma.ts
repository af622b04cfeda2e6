/**
 * The coarse albedo's colour on face skin no photo saw. The UVAPM is a principal-component model
 * per colour channel, each channel with coefficients of its own, and stage 2 fits them to the seen
 * skin only: over texels no observation (nor its mirror) constrains, each channel's modes
 * extrapolate on their own, and the three need not agree on a colour. On deep3d 015259 a cap hides
 * the forehead, and the default head's fitted modes darkened red and green but not blue along the
 * brows' band: a violet arc (sRGB blue − green 0.066 above the mean's there, 0.010 on the seen
 * cheek; mean texel of the arc, 7 of its 84 model texels seen). So on unseen face skin the fitted
 * albedo keeps its brightness relative to the model's mean and takes the colour offset from the
 * mean that the seen skin has (log linear RGB: the mean's hue pattern with the photo's skin hue),
 * fading into the fitted colour across the edge of what the photos, or the mirror of what they,
 * saw. Off the model's face skin (lips, eyes, brows, ears, scalp) the fit's own colour stands: on
 * the FFHQ-UV truth maps replacing it there too cost 0.16 dB over the head.
 */
import type { UvRaster } from './unwrap.js';
import type { MirrorMap } from './completion.js';
import type { UvapmObservation } from './fit-albedo.js';
import { modelBlocks } from './uvapm-albedo.js';
import { PerModelCache } from '../modelpack/per-model-cache.js';
import { boxBlur } from './texture-filters.js';
import { linearToSrgb, srgbToLinear } from '../image/srgb.js';

/** Linear floor of the log colours (the model's mean and fit stay far above it on skin). */
const LOG_FLOOR = 1e-3;

export interface SeenAtModelSize {
  /** Per model texel (d²): the observations' summed weight, at most 1 (a fully trusted block weighs 1). */
  own: Float32Array;
  /**
   * Per model texel: how much of the fitted colour stands, 0..1. 1 where seen or its mirror is
   * seen (feathered one model texel outwards, so the colour does not step) and off the model's
   * face skin; 0 on unseen face skin.
   */
  keep: Float32Array;
}

/**
 * What seenAtModelSize reads of the model's layout alone, found once per mirror map and model size
 * (the texel loop's divisions and Math.round took about 30 ms of a warm avatar on the 2-core VM):
 * per covered texel its model texel and its mirror point's (−1 where it has none), and per model
 * texel the summed skin weight, the covered texels and the mirror points. Read-only.
 */
interface SeenLayout {
  raster: UvRaster;
  block: Int32Array;
  mirrorBlock: Int32Array;
  skin: Float32Array;
  texels: Float32Array;
  points: Float32Array;
}

const seenLayouts = new PerModelCache<MirrorMap, SeenLayout>();

function seenLayout(raster: UvRaster, mirror: MirrorMap, d: number): SeenLayout {
  const cached = seenLayouts.get(mirror, d, () => computeSeenLayout(raster, mirror, d));
  // A mirror map belongs to one raster (getMirrorMap); another raster is not cached.
  return cached.raster === raster ? cached : computeSeenLayout(raster, mirror, d);
}

function computeSeenLayout(raster: UvRaster, mirror: MirrorMap, d: number): SeenLayout {
  const D = d * d, S = raster.size, count = raster.texel.length;
  const { rowStart, column } = modelBlocks(S, d);
  const blockAt = (x: number, y: number) => rowStart[y] + column[x];
  const block = new Int32Array(count), mirrorBlock = new Int32Array(count);
  const skin = new Float32Array(D), texels = new Float32Array(D), points = new Float32Array(D);
  for (let i = 0; i < count; i++) {
    const p = raster.texel[i], t = blockAt(p % S, Math.floor(p / S));
    block[i] = t;
    skin[t] += raster.skin[i];
    texels[t]++;
    const mx = mirror.position[2 * i], my = mirror.position[2 * i + 1];
    mirrorBlock[i] = -1;
    if (!(mx === mx)) continue;
    mirrorBlock[i] = blockAt(Math.min(S - 1, Math.max(0, Math.round(mx))), Math.min(S - 1, Math.max(0, Math.round(my))));
    points[t]++;
  }
  return { raster, block, mirrorBlock, skin, texels, points };
}

/**
 * Where the stage-2 observations saw the model's grid. The mirror is read through the
 * texture-size mirror map (per model texel, the mean seen share of its texture texels' mirror
 * points), the model's face skin through the raster's skin weight (mean over the block).
 */
export function seenAtModelSize(observations: readonly UvapmObservation[], raster: UvRaster, mirror: MirrorMap, modelSize: number): SeenAtModelSize {
  const d = modelSize, D = d * d;
  const own = new Float32Array(D);
  for (const o of observations) for (let t = 0; t < D; t++) own[t] += o.weight[t];
  for (let t = 0; t < D; t++) own[t] = Math.min(1, own[t]);
  const { block, mirrorBlock, skin, texels, points } = seenLayout(raster, mirror, d);
  // Per model texel, the seen share at its texels' mirror points, summed in texel order (as before the layout was cached).
  const mirrored = new Float32Array(D);
  for (let i = 0; i < block.length; i++) {
    const m = mirrorBlock[i];
    if (m >= 0) mirrored[block[i]] += own[m];
  }
  const keep = new Float32Array(D);
  for (let t = 0; t < D; t++) keep[t] = Math.max(own[t], points[t] > 0 ? mirrored[t] / points[t] : 0);
  const feathered = Float32Array.from(keep);
  boxBlur(feathered, d, 1, 1, 2);
  for (let t = 0; t < D; t++) {
    const faceSkin = texels[t] > 0 ? skin[t] / texels[t] : 0;
    keep[t] = 1 - (1 - Math.max(keep[t], feathered[t])) * faceSkin;
  }
  return { own, keep };
}

/**
 * In place over the coarse albedo (planar sRGB, d², the model's space): per texel inside the mask,
 * with l = log(albedo) − log(mean) in linear RGB split into its level (the channels' mean) and its
 * colour (the rest), the colour becomes keep × its own + (1 − keep) × the seen skin's (the
 * own-weighted mean colour over the mask); the level stays. Returns that seen colour offset
 * (3 log values summing to 0; zeros when nothing was seen).
 */
export function holdUnseenChroma(albedo: Float32Array, means: readonly Float32Array[], mask: Uint8Array, seen: SeenAtModelSize): Float64Array {
  const { own, keep } = seen;
  const D = mask.length;
  const offset = new Float64Array(3), l = new Float64Array(3);
  let total = 0;
  for (let t = 0; t < D; t++) {
    const w = own[t];
    if (!mask[t] || !(w > 0)) continue;
    logOffset(albedo, means, t, D, l);
    const level = (l[0] + l[1] + l[2]) / 3;
    for (let c = 0; c < 3; c++) offset[c] += w * (l[c] - level);
    total += w;
  }
  if (!(total > 0)) return offset;
  for (let c = 0; c < 3; c++) offset[c] /= total;
  for (let t = 0; t < D; t++) {
    const k = keep[t];
    if (!mask[t] || k >= 1) continue;
    logOffset(albedo, means, t, D, l);
    const level = (l[0] + l[1] + l[2]) / 3;
    for (let c = 0; c < 3; c++) {
      const colour = k * (l[c] - level) + (1 - k) * offset[c];
      albedo[c * D + t] = linearToSrgb(Math.min(1, Math.max(srgbToLinear(means[c][t]), LOG_FLOOR) * Math.exp(level + colour)));
    }
  }
  return offset;
}

/** l[c] = log of the albedo over the mean at texel t, linear RGB. */
function logOffset(albedo: Float32Array, means: readonly Float32Array[], t: number, D: number, l: Float64Array): void {
  for (let c = 0; c < 3; c++) {
    l[c] = Math.log(Math.max(srgbToLinear(albedo[c * D + t]), LOG_FLOOR)) - Math.log(Math.max(srgbToLinear(means[c][t]), LOG_FLOOR));
  }
}
