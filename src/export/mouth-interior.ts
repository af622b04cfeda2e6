/**
 * The oral cavity look. Packs close the mouth with a pocket of faces behind the lips (the default
 * head does; so do most game heads), but the photo's albedo has nothing for it: its UVs land on
 * whatever the photo showed around the lips, so an opened mouth shows skin. This finds the pocket
 * geometrically, for any pack with iBUG-68 landmarks, and tints it dark red through vertex
 * colours, darker the deeper it sits behind the lips.
 *
 * The pocket: vertices connected to the seed through vertices that all lie behind the lip line
 * (at least MIN_DEPTH of the mouth width) and between the inner mouth corners, within MAX_DEPTH
 * mouth widths of them. The seed is where a ray straight back from the mouth centre first meets
 * the surface behind the lips: what an opened mouth shows. (The deepest vertex there would do for
 * a small pocket, but the MakeHuman head's cavity is a tube into the throat with few vertices,
 * and behind the mouth centre the first vertices are in the back of the neck.) The lips
 * themselves are in front, so the fill never leaks onto chin or cheeks; a pack whose mouth has no
 * pocket (no surface behind the lips where the ray looks) gets no fill.
 */
import type { HeadModel } from '../modelpack/head-model.js';
import { headTopology } from '../modelpack/mesh-utils.js';

/** Depths as fractions of the mouth width (corner to corner, iBUG 48-54). */
const MIN_DEPTH = 0.08;
const DARK_DEPTH = 0.2;
/** An island of fewer vertices than this share of the head's is a separate cavity mesh, not the head. */
const ISLAND_SHARE = 0.25;
/** The pocket stays within two mouth widths of the lips (the back of the head is far deeper). */
const MAX_DEPTH = 2.0;
const MAX_HEIGHT = 0.6;
/** Albedo multipliers (linear light): mucosa just behind the lips (lip colour, darker and redder), the dark throat. */
export const MOUTH_MUCOSA_TINT: [number, number, number] = [0.5, 0.22, 0.22];
export const MOUTH_THROAT_TINT: [number, number, number] = [0.05, 0.018, 0.02];
/**
 * The cheek walls (the pocket's sides, from CHEEK_START of the inner lips' half width out) sit in
 * the cheeks' shadow as the back teeth do: light enters only through the lips, and without this the
 * near wall, facing a three-quarter view's light, showed as a lit red strip beside the opening.
 */
const CHEEK_START = 0.5;
const CHEEK_SHADE = 0.35;

export interface MouthInterior {
  /** Per vertex: depth behind the lip line in metres, or -1 outside the pocket. */
  depth: Float32Array;
  /** Triangles (index into indices / 3) whose three corners are in the pocket. */
  triangles: Uint32Array;
  /** Mouth width used for the depth scale (metres). */
  mouthWidth: number;
  /** Per vertex: distance from the mouth's centre line over the inner lips' half width (1 at the inner corners), -1 outside the pocket. */
  side: Float32Array;
}

const INNER_LIPS = [60, 61, 62, 63, 64, 65, 66, 67];

/** Vertices connected to `start` through triangle edges. */
function islandOf(start: number, offsets: Uint32Array, list: Uint32Array, n: number): number[] {
  const seen = new Uint8Array(n);
  const island = [start];
  seen[start] = 1;
  for (let i = 0; i < island.length; i++) {
    for (let k = offsets[island[i]]; k < offsets[island[i] + 1]; k++) {
      if (!seen[list[k]]) { seen[list[k]] = 1; island.push(list[k]); }
    }
  }
  return island;
}

/**
 * The vertex (of those behind the lips by at least `minBehind`) of the first triangle that a ray
 * from (x, y, zStart) along -z meets; -1 when it meets none.
 */
function firstHitBehind(indices: Uint32Array, vertices: Float32Array, x: number, y: number, zStart: number, behind: Float32Array, minBehind: number): number {
  let bestZ = -Infinity, seed = -1;
  for (let t = 0; t < indices.length; t += 3) {
    const a = 3 * indices[t], b = 3 * indices[t + 1], c = 3 * indices[t + 2];
    const d = (vertices[b + 1] - vertices[c + 1]) * (vertices[a] - vertices[c]) + (vertices[c] - vertices[b]) * (vertices[a + 1] - vertices[c + 1]);
    if (d === 0) continue;
    const wa = ((vertices[b + 1] - vertices[c + 1]) * (x - vertices[c]) + (vertices[c] - vertices[b]) * (y - vertices[c + 1])) / d;
    const wb = ((vertices[c + 1] - vertices[a + 1]) * (x - vertices[c]) + (vertices[a] - vertices[c]) * (y - vertices[c + 1])) / d;
    const wc = 1 - wa - wb;
    if (wa < 0 || wb < 0 || wc < 0) continue;
    const z = wa * vertices[a + 2] + wb * vertices[b + 2] + wc * vertices[c + 2];
    if (z > zStart || z <= bestZ) continue;
    const corners = [indices[t], indices[t + 1], indices[t + 2]].filter((v) => behind[v] >= minBehind);
    if (corners.length === 0) continue;
    bestZ = z;
    seed = corners[0];
  }
  return seed;
}

/** Coordinate `axis` (0 x, 1 y, 2 z) of iBUG-68 landmark `i`. */
function landmarkAxis(vertices: Float32Array, landmarks68: Uint32Array, i: number, axis: number): number {
  return vertices[3 * landmarks68[i] + axis];
}

/**
 * The lip line's z at `dx` from the mouth centre: piecewise linear through `lipPoints` (x from the
 * mouth centre, z; sorted by x), the end points' z beyond them. A module function taking plain
 * arrays, not a closure made per call (nor a class, whose instances' map dies with them): V8 inlined
 * the closure by identity into findMouthInterior's optimized loop and dropped that code once the
 * closure was collected ("weak objects"), running the loop unoptimized again for the next avatar.
 */
function lipZ(lipPoints: readonly (readonly [number, number])[], dx: number): number {
  if (dx <= lipPoints[0][0]) return lipPoints[0][1];
  for (let k = 1; k < lipPoints.length; k++) {
    if (dx <= lipPoints[k][0]) {
      const t = (dx - lipPoints[k - 1][0]) / (lipPoints[k][0] - lipPoints[k - 1][0] || 1);
      return lipPoints[k - 1][1] + t * (lipPoints[k][1] - lipPoints[k - 1][1]);
    }
  }
  return lipPoints[lipPoints.length - 1][1];
}

/** Finds the mouth pocket of `model` on the given (neutral, fitted) vertices. */
export function findMouthInterior(model: HeadModel, vertices: Float32Array): MouthInterior {
  const n = model.vertexCount;
  const depth = new Float32Array(n).fill(-1);
  const side = new Float32Array(n).fill(-1);
  const none: MouthInterior = { depth, triangles: new Uint32Array(0), mouthWidth: 0, side };
  const lm = model.landmarks68;
  if (!lm || lm.length < 68 || Array.from(lm).some((v) => v >= n)) return none;
  // Landmark coordinates through a module function, not closures made per call: the callbacks
  // below called those, and V8 inlined them by identity, dropping the code with them ("weak objects").
  const mouthWidth = Math.abs(landmarkAxis(vertices, lm, 54, 0) - landmarkAxis(vertices, lm, 48, 0));
  if (!(mouthWidth > 0)) return none;
  const centreX = INNER_LIPS.reduce((s, i) => s + landmarkAxis(vertices, lm, i, 0), 0) / INNER_LIPS.length;
  const centreY = INNER_LIPS.reduce((s, i) => s + landmarkAxis(vertices, lm, i, 1), 0) / INNER_LIPS.length;
  const innerHalfWidth = Math.abs(landmarkAxis(vertices, lm, 64, 0) - landmarkAxis(vertices, lm, 60, 0)) / 2;
  // The lip line's depth across the mouth: the front of the lips at the centre falls back towards the corners.
  // Pushed, not mapped: the array map() made differed between V8's tiers, and the sort's lookup
  // on it threw the optimized code out ("wrong map").
  const lipPoints: (readonly [number, number])[] = [];
  for (const i of INNER_LIPS) lipPoints.push([landmarkAxis(vertices, lm, i, 0) - centreX, landmarkAxis(vertices, lm, i, 2)]);
  lipPoints.sort((a, b) => a[0] - b[0]);
  const behind = new Float32Array(n);
  for (let v = 0; v < n; v++) {
    const dx = vertices[3 * v] - centreX;
    const inBox = Math.abs(dx) < innerHalfWidth && Math.abs(vertices[3 * v + 1] - centreY) < MAX_HEIGHT * mouthWidth;
    behind[v] = inBox ? lipZ(lipPoints, dx) - vertices[3 * v + 2] : -1;
    if (behind[v] > MAX_DEPTH * mouthWidth) behind[v] = -1;
  }
  const seed = firstHitBehind(model.indices, vertices, centreX, centreY, lipZ(lipPoints, 0) - MIN_DEPTH * mouthWidth, behind, MIN_DEPTH * mouthWidth);
  if (seed < 0) return none;
  const { offsets, neighbours: list } = headTopology(model, false);
  // A cavity modelled as its own mesh island (split from the face at UV seams, as the MakeHuman
  // head's is) cannot leak onto the face, so all of it behind the lip line counts, even where it
  // widens past the mouth corners.
  const island = islandOf(seed, offsets, list, n);
  if (island.length < ISLAND_SHARE * n) {
    for (const v of island) {
      behind[v] = lipZ(lipPoints, vertices[3 * v] - centreX) - vertices[3 * v + 2];
      if (behind[v] > MAX_DEPTH * mouthWidth) behind[v] = -1;
    }
  }
  const stack = [seed];
  depth[seed] = behind[seed];
  while (stack.length) {
    const v = stack.pop()!;
    for (let k = offsets[v]; k < offsets[v + 1]; k++) {
      const w = list[k];
      if (depth[w] >= 0 || behind[w] < MIN_DEPTH * mouthWidth) continue;
      depth[w] = behind[w];
      stack.push(w);
    }
  }
  for (let v = 0; v < n; v++) if (depth[v] >= 0) side[v] = Math.abs(vertices[3 * v] - centreX) / innerHalfWidth;
  const triangles: number[] = [];
  const { indices } = model;
  for (let t = 0; t < indices.length; t += 3) {
    if (depth[indices[t]] >= 0 && depth[indices[t + 1]] >= 0 && depth[indices[t + 2]] >= 0) triangles.push(t / 3);
  }
  return { depth, triangles: Uint32Array.from(triangles), mouthWidth, side };
}

/**
 * Per-vertex linear RGB multipliers of the albedo (glTF COLOR_0, Babylon vertex colours): 1 outside
 * the pocket, mucosa red just behind the lips fading to throat-dark deeper in, darker on the cheek walls. Colours rather
 * than texels because packs squeeze the pocket's UVs onto the lip line (the default head's pocket
 * covers less than a texel row), and interpolating across the boundary triangles gives a soft
 * edge at the lips. Null when the pack has no pocket.
 */
export function mouthInteriorTint(interior: MouthInterior): Float32Array | null {
  if (interior.triangles.length === 0) return null;
  const { depth, mouthWidth, side } = interior;
  const n = depth.length;
  const tint = new Float32Array(n * 3).fill(1);
  for (let v = 0; v < n; v++) {
    if (depth[v] < 0) continue;
    const s = Math.min(1, Math.max(0, (depth[v] / mouthWidth - MIN_DEPTH) / (DARK_DEPTH - MIN_DEPTH)));
    const k = s * s * (3 - 2 * s);
    const w = Math.min(1, Math.max(0, (side[v] - CHEEK_START) / (1 - CHEEK_START)));
    const shade = 1 - (1 - CHEEK_SHADE) * w * w * (3 - 2 * w);
    for (let c = 0; c < 3; c++) tint[3 * v + c] = shade * (MOUTH_MUCOSA_TINT[c] + k * (MOUTH_THROAT_TINT[c] - MOUTH_MUCOSA_TINT[c]));
  }
  return tint;
}

/** Tints already found, per vertex array: the GLB's images and its head mesh both ask for one. */
const tints = new WeakMap<Float32Array, { model: HeadModel; tint: Float32Array | null }>();

/** findMouthInterior + mouthInteriorTint, once per model and vertex array. */
export function mouthInteriorTintFor(model: HeadModel, vertices: Float32Array): Float32Array | null {
  const known = tints.get(vertices);
  if (known?.model === model) return known.tint;
  const tint = mouthInteriorTint(findMouthInterior(model, vertices));
  tints.set(vertices, { model, tint });
  return tint;
}

/**
 * Per vertex, the share of the surroundings' light that reaches the skin (the roughness map's
 * occlusion channel): 1 outside the pocket, the tint's strongest channel inside. Light enters the
 * mouth only through the lips, but image-based lighting has no notion of that: without it the
 * pocket's glossy walls mirrored the environment, and an open mouth looked pale grey in Babylon.
 */
export function mouthOcclusion(tint: Float32Array): Float32Array {
  const occlusion = new Float32Array(tint.length / 3);
  for (let v = 0; v < occlusion.length; v++) occlusion[v] = Math.max(tint[3 * v], tint[3 * v + 1], tint[3 * v + 2]);
  return occlusion;
}
