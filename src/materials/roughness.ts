/**
 * Skin roughness map in the model's UV layout, for the PBR material's metallic-roughness texture
 * (glTF packing: roughness in G, metallic in B = 0, A unused = 255), which also carries the ambient
 * occlusion in R (glTF's occlusion texture may share it): 255 but where `occlusion` says less
 * light reaches (the mouth's pocket).
 *
 * Two sources:
 * - a per-region skin default placed with the pack's iBUG-68 landmarks: the oily T-zone (forehead
 *   centre and nose) is glossier than the cheeks, the lips and above all the brows (hair) rougher;
 * - the albedo's specular cues: bright local spots (highlights the de-lighting left behind, i.e.
 *   oily skin) lower the roughness; dark fine detail (stubble, brow hairs, pores) raises it. Both
 *   come from a luminance high-pass over the covered texels, so the skin's overall tone and slow
 *   shading gradients do not count.
 *
 * Everything is pure arithmetic on typed arrays.
 */
import type { HeadModel } from '../modelpack/head-model.js';
import type { RgbaImage } from '../types.js';
import { boxBlur } from '../albedo/texture-filters.js';
import { getUvRaster, vertexScalarAtTexels, type UvRaster } from '../albedo/unwrap.js';
import { blurredIslandCoverage, FEATHER_PASSES } from '../albedo/completion.js';
import { hypot3 } from '../math/hypot.js';

/** Typical roughness per region (GGX roughness as glTF and Babylon use it). */
export const SKIN_ROUGHNESS = { skin: 0.55, tZone: 0.42, lips: 0.62, brows: 0.78 } as const;
/** Bounds that keep the albedo cues from producing mirror-like or chalky skin. */
export const MIN_SKIN_ROUGHNESS = 0.3;
export const MAX_SKIN_ROUGHNESS = 0.9;
/** High-pass luminance (0..1) at which a cue has its full effect. */
const CUE_FULL_SCALE = 0.08;
const HIGHLIGHT_EFFECT = 0.15;
const DETAIL_EFFECT = 0.12;

export interface RoughnessRegions {
  /** Per vertex 0..1. */
  tZone: Float32Array;
  lips: Float32Array;
  brows: Float32Array;
}

const BROW_RIGHT = [17, 18, 19, 20, 21];
const BROW_LEFT = [22, 23, 24, 25, 26];
const OUTER_LIPS = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59];
const NOSE_BRIDGE = 27, NOSE_TIP = 30, NOSE_BASE = 33;
const EYE_OUTER_RIGHT = 36, EYE_OUTER_LEFT = 45;

type Vec3 = [number, number, number];

function point(vertices: Float32Array, index: number): Vec3 {
  return [vertices[3 * index], vertices[3 * index + 1], vertices[3 * index + 2]];
}

/** The fitted points of landmarks `ks` (indices into `lm`). */
function landmarkPoints(vertices: Float32Array, lm: ArrayLike<number>, ks: readonly number[]): Vec3[] {
  const points: Vec3[] = [];
  for (const k of ks) points.push(point(vertices, lm[k]));
  return points;
}

/** Whether every value of `values` is below `n`. */
function allBelow(values: ArrayLike<number>, n: number): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] >= n) return false;
  return true;
}

/** Per segment of a polyline: its start (x, y, z), its direction b - a and that's squared length (1 when zero). */
const SEGMENT_STRIDE = 7;

/**
 * The segments of polylines as one flat table, for distanceToSegments: the per-vertex loop of
 * roughnessRegions then allocates nothing (a 3-array per vertex and segment cost more than the
 * arithmetic). The values are the same doubles the 3-array form computed.
 */
function segmentTable(polylines: readonly { points: Vec3[]; closed: boolean }[]): Float64Array {
  const segments = polylines.flatMap(({ points, closed }) => Array.from({ length: closed ? points.length : points.length - 1 }, (_, i) => [points[i], points[(i + 1) % points.length]]));
  const table = new Float64Array(SEGMENT_STRIDE * segments.length);
  segments.forEach(([a, b], s) => {
    const abx = b[0] - a[0], aby = b[1] - a[1], abz = b[2] - a[2];
    table.set([a[0], a[1], a[2], abx, aby, abz, abx * abx + aby * aby + abz * abz || 1], SEGMENT_STRIDE * s);
  });
  return table;
}

/** Distance from (x, y, z) to the nearest segment of a segmentTable. */
function distanceToSegments(x: number, y: number, z: number, table: Float64Array): number {
  let best = Infinity;
  for (let s = 0; s < table.length; s += SEGMENT_STRIDE) {
    const ax = table[s], ay = table[s + 1], az = table[s + 2], abx = table[s + 3], aby = table[s + 4], abz = table[s + 5];
    const t = Math.max(0, Math.min(1, ((x - ax) * abx + (y - ay) * aby + (z - az) * abz) / table[s + 6]));
    best = Math.min(best, hypot3(x - ax - t * abx, y - ay - t * aby, z - az - t * abz));
  }
  return best;
}

/** The box (least x, y, z, then greatest) of a segmentTable's segments. */
function segmentBox(table: Float64Array): Float64Array {
  const box = Float64Array.of(Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity);
  for (let s = 0; s < table.length; s += SEGMENT_STRIDE) {
    for (let k = 0; k < 3; k++) {
      const a = table[s + k], b = a + table[s + 3 + k];
      box[k] = Math.min(box[k], a, b); box[3 + k] = Math.max(box[3 + k], a, b);
    }
  }
  return box;
}

/** Distance from (x, y, z) to a segmentBox, over the axes below `axes` (2: x and y alone): no more than the distance to any of its segments. */
function gapToBox(box: Float64Array, axes: 2 | 3, x: number, y: number, z: number): number {
  const gx = Math.max(0, box[0] - x, x - box[3]), gy = Math.max(0, box[1] - y, y - box[4]), gz = axes === 3 ? Math.max(0, box[2] - z, z - box[5]) : 0;
  return Math.sqrt(gx * gx + gy * gy + gz * gz);
}

/**
 * Sigmas from the brows beyond which their weight exp(-(d / sigma)²) is 0 in its Float32Array:
 * e^-144 lies far under float32's least subnormal (e^-103.3). A vertex that far from the brows' box
 * needs no distance to their eight segments.
 */
const GAUSSIAN_ZERO_SIGMAS = 12;

/** Even-odd test of (x, y) against a polygon's xy projection (the face looks down +Z). */
function insideXy(x: number, y: number, polygon: Vec3[]): boolean {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const ax = polygon[j][0], ay = polygon[j][1], bx = polygon[i][0], by = polygon[i][1];
    if ((by > y) !== (ay > y) && x < ((ax - bx) * (y - by)) / (ay - by) + bx) inside = !inside;
  }
  return inside;
}

/**
 * Region memberships per vertex from the landmarks on the (fitted) vertices. Sizes scale with the
 * outer-eye-corner distance, so any pack in metres works. Packs without iBUG-68 landmarks get
 * plain skin everywhere.
 */
export function roughnessRegions(model: HeadModel, vertices: Float32Array): RoughnessRegions {
  const n = model.vertexCount;
  const regions: RoughnessRegions = { tZone: new Float32Array(n), lips: new Float32Array(n), brows: new Float32Array(n) };
  const lm = model.landmarks68;
  if (!lm || lm.length < 68 || !allBelow(lm, n)) return regions;
  // Landmark points through module functions, not closures made per call: V8 inlined those (and
  // the map callbacks) into the per-vertex loop's optimized code by identity and dropped it once
  // they were collected ("weak objects"), compiling roughnessRegions again for every avatar.
  const outerRight = point(vertices, lm[EYE_OUTER_RIGHT]), outerLeft = point(vertices, lm[EYE_OUTER_LEFT]);
  const eyeSpan = Math.hypot(outerRight[0] - outerLeft[0], outerRight[1] - outerLeft[1], outerRight[2] - outerLeft[2]) || 0.09;
  const brow21 = point(vertices, lm[21]), brow22 = point(vertices, lm[22]);
  const browMiddle: Vec3 = [(brow21[0] + brow22[0]) / 2, (brow21[1] + brow22[1]) / 2, (brow21[2] + brow22[2]) / 2];
  // Forehead centre: a vertical band from just above the brows up by about one eye span.
  const foreheadLow: Vec3 = [browMiddle[0], browMiddle[1] + 0.12 * eyeSpan, browMiddle[2]];
  const foreheadHigh: Vec3 = [browMiddle[0], browMiddle[1] + 0.75 * eyeSpan, browMiddle[2] - 0.1 * eyeSpan];
  const noseSigma = 0.14 * eyeSpan, foreheadSigma = 0.22 * eyeSpan, browSigma = 0.07 * eyeSpan, lipFade = 0.03 * eyeSpan;
  const browLines = segmentTable([{ points: landmarkPoints(vertices, lm, BROW_RIGHT), closed: false }, { points: landmarkPoints(vertices, lm, BROW_LEFT), closed: false }]);
  const lipPolygon = landmarkPoints(vertices, lm, OUTER_LIPS);
  const lipOutline = segmentTable([{ points: lipPolygon, closed: true }]);
  const lipFrontZ = Math.min(point(vertices, lm[48])[2], point(vertices, lm[54])[2]) - 0.1 * eyeSpan;
  const noseLine = segmentTable([{ points: landmarkPoints(vertices, lm, [NOSE_BRIDGE, NOSE_TIP, NOSE_BASE]), closed: false }]);
  const foreheadLine = segmentTable([{ points: [foreheadLow, foreheadHigh], closed: false }]);
  // Vertices far from the brows and lips (most of the head's) keep the zeros the arrays hold: their
  // brow weight would round to 0 (GAUSSIAN_ZERO_SIGMAS), and outside the lips' box in xy by twice
  // lipFade, a vertex is outside their polygon and its fade is 0 (a NaN vertex is computed as before;
  // roughnessRegions on the sample photo 6.2 -> 4.1 ms, min of 40).
  const browBox = segmentBox(browLines), lipBox = segmentBox(lipOutline);
  for (let v = 0; v < n; v++) {
    const x = vertices[3 * v], y = vertices[3 * v + 1], z = vertices[3 * v + 2];
    const nose = distanceToSegments(x, y, z, noseLine);
    const forehead = distanceToSegments(x, y, z, foreheadLine);
    regions.tZone[v] = Math.max(Math.exp(-((nose / noseSigma) ** 2)), Math.exp(-((forehead / foreheadSigma) ** 2)));
    if (!(gapToBox(browBox, 3, x, y, z) >= GAUSSIAN_ZERO_SIGMAS * browSigma)) {
      const brow = distanceToSegments(x, y, z, browLines);
      regions.brows[v] = Math.exp(-((brow / browSigma) ** 2));
    }
    if (z > lipFrontZ && !(gapToBox(lipBox, 2, x, y, z) >= 2 * lipFade)) {
      const edge = distanceToSegments(x, y, z, lipOutline);
      regions.lips[v] = insideXy(x, y, lipPolygon) ? 1 : Math.max(0, 1 - edge / lipFade);
    }
  }
  return regions;
}

/** Per-vertex roughness from the regions (later regions win where they overlap: brows over the T-zone). */
export function vertexRoughness(regions: RoughnessRegions): Float32Array {
  const n = regions.tZone.length;
  const out = new Float32Array(n);
  for (let v = 0; v < n; v++) {
    let r: number = SKIN_ROUGHNESS.skin;
    r += (SKIN_ROUGHNESS.tZone - r) * regions.tZone[v];
    r += (SKIN_ROUGHNESS.lips - r) * regions.lips[v];
    r += (SKIN_ROUGHNESS.brows - r) * regions.brows[v];
    out[v] = r;
  }
  return out;
}

/** Relative luminance 0..1 of an sRGB texel (perceptual, not linear: cues are judged like an artist would). */
function luminanceAt(image: RgbaImage, u: number, v: number): number {
  const x = Math.min(image.width - 1, Math.max(0, Math.floor(u * image.width)));
  const y = Math.min(image.height - 1, Math.max(0, Math.floor((1 - v) * image.height)));
  const o = 4 * (y * image.width + x);
  return (0.2126 * image.data[o] + 0.7152 * image.data[o + 1] + 0.0722 * image.data[o + 2]) / 255;
}

export interface RoughnessMapOptions {
  /** Side of the square map (default: the albedo's width, at most 512: roughness varies slowly, and 1024² costs four times the time). */
  size?: number;
  /** Use the albedo's specular cues (default true); false gives the region defaults only. */
  albedoCues?: boolean;
  /** Per vertex, the share of the surroundings' light that reaches it (0..1), for the R channel; default 1 everywhere. */
  occlusion?: Float32Array | null;
}

/**
 * Roughness per texel (size * size, top row first) and the packed RGBA texture. Texels outside
 * every UV island hold plain skin roughness, so filtering across island borders stays plausible.
 */
export function computeRoughnessMap(model: HeadModel, vertices: Float32Array, albedo: RgbaImage, options: RoughnessMapOptions = {}): { roughness: Float32Array; image: RgbaImage } {
  const size = options.size ?? Math.min(512, albedo.width);
  const raster = getUvRaster(model, size);
  const perVertex = vertexRoughness(roughnessRegions(model, vertices));
  const roughness = new Float32Array(size * size).fill(SKIN_ROUGHNESS.skin);
  const count = raster.texel.length;
  const base = vertexScalarAtTexels(raster, model.indices, perVertex);
  const highPass = options.albedoCues === false ? null : albedoHighPass(raster, albedo);
  for (let i = 0; i < count; i++) {
    let r = base[i];
    if (highPass) {
      const cue = highPass[i] / CUE_FULL_SCALE;
      r -= HIGHLIGHT_EFFECT * Math.min(1, Math.max(0, cue));
      r += DETAIL_EFFECT * Math.min(1, Math.max(0, -cue));
    }
    roughness[raster.texel[i]] = Math.min(MAX_SKIN_ROUGHNESS, Math.max(MIN_SKIN_ROUGHNESS, r));
  }
  const image = packMetallicRoughness(roughness, size);
  if (options.occlusion) {
    const occlusion = vertexScalarAtTexels(raster, model.indices, options.occlusion);
    for (let i = 0; i < count; i++) image.data[4 * raster.texel[i]] = Math.round(Math.min(1, Math.max(0, occlusion[i])) * 255);
  }
  return { roughness, image };
}

/**
 * Luminance minus its local mean (about 1/100 of the map wide) over the raster's covered texels
 * only, so island borders and the empty background do not read as detail. The mean's weight, the
 * covered texels blurred alike, depends on the UV layout alone: the cached blurredIslandCoverage
 * (the same two passes; a channel blurred alone is the same, bit for bit, as blurred interleaved),
 * so only the luminance is blurred per avatar, as one channel, not two.
 */
export function albedoHighPass(raster: UvRaster, albedo: RgbaImage): Float32Array {
  const { size, texel: texels } = raster;
  const radius = Math.max(1, Math.round(size / 100));
  const blurred = new Float32Array(size * size);
  const luminance = new Float32Array(texels.length);
  for (let i = 0; i < texels.length; i++) {
    const p = texels[i];
    const u = ((p % size) + 0.5) / size, v = 1 - (Math.floor(p / size) + 0.5) / size;
    luminance[i] = luminanceAt(albedo, u, v);
    blurred[p] = luminance[i];
  }
  boxBlur(blurred, size, 1, radius, FEATHER_PASSES);
  const coverage = blurredIslandCoverage(raster, radius);
  const out = new Float32Array(texels.length);
  for (let i = 0; i < texels.length; i++) {
    const p = texels[i];
    out[i] = coverage[p] > 1e-6 ? luminance[i] - blurred[p] / coverage[p] : 0;
  }
  return out;
}

/** glTF metallic-roughness packing: G = roughness, B = metallic (0). */
export function packMetallicRoughness(roughness: Float32Array, size: number): RgbaImage {
  const data = new Uint8Array(size * size * 4);
  for (let p = 0; p < size * size; p++) {
    data[4 * p] = 255;
    data[4 * p + 1] = Math.round(Math.min(1, Math.max(0, roughness[p])) * 255);
    data[4 * p + 2] = 0;
    data[4 * p + 3] = 255;
  }
  return { width: size, height: size, data };
}
