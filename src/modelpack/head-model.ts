/**
 * The in-memory form of a "model pack": a morphable head that the fitting, the albedo stage and the
 * Babylon plugin all use through this one interface. Packs on disk (format.ts) decode to this.
 *
 * Shape of the head for coefficients (id, ex):
 *   positions + sum_k id[k] * identityBasis[k] + sum_j ex[j] * expressionBasis[j]
 * Bases are mode-major: mode k occupies [k * vertexCount * 3, (k + 1) * vertexCount * 3).
 * Identity coefficients are in units of standard deviations' scale: the prior is id[k] ~ N(0, identityStd[k]^2).
 * Expression coefficients are blendshape weights: 0 = neutral, 1 = the full named expression.
 *
 * UV seams are handled by splitting vertices: every vertex has one UV. `weldGroup` maps each
 * vertex to the lowest-index vertex at the same position, so normals and fitting can treat split
 * copies as one point. All coordinate conventions are in ../types.ts.
 */

import { PerModelCache, PerShapeCache } from './per-model-cache.js';
import { hypot3 } from '../math/hypot.js';

export interface SubMesh {
  /** For example 'eyeLeft', 'eyeRight', 'teeth'. */
  name: string;
  positions: Float32Array;
  indices: Uint32Array;
  uvs: Float32Array;
  /** Rotation centre (for eyes: the eyeball centre), model space. */
  pivot: Float32Array;
  /** Which material the renderer should use. */
  material: 'eye' | 'skin' | 'teeth' | 'hair' | 'lashes' | 'brows';
  /**
   * Optional blendshapes of a part that moves with some expressions (the lower teeth and tongue on
   * jawOpen): `displacements` is names.length x vertexCount*3 (metres at weight 1), mode-major.
   * Expressions not named leave the part still.
   */
  morphs?: { names: string[]; displacements: Float32Array };
  /**
   * Optional, for cards glued to the skin (lashes, brows): vertex i sits at the weighted sum of
   * head vertices vertices[3i..3i+2] (weights alike) plus a fixed offset (its rest position minus
   * that sum on the mean head), MakeHuman's proxy rule. Such a part follows the fitted shape vertex
   * by vertex instead of moving rigidly.
   */
  attachment?: { vertices: Uint32Array; weights: Float32Array };
  /** Optional strand texture of a card part: size x size texels, 2 bytes each (sRGB luminance, alpha = strand coverage). */
  texture?: { size: number; luminanceAlpha: Uint8Array };
  /**
   * Optional per-vertex albedo (linear RGB, 3 per vertex) of an untextured part (the default head's
   * teeth and tongue: their CC0 textures and the mouth's occlusion baked in, ./makehuman-head/mouth-parts-albedo.ts).
   * Renderers multiply the part material's colour (white for such parts) by it.
   */
  vertexColours?: Float32Array;
}

/** Part positions under expression `weights` (in `expressionNames` order): rest plus its named morphs. */
export function partPositionsForExpression(part: SubMesh, expressionNames: readonly string[], weights: ArrayLike<number>): Float32Array {
  const positions = Float32Array.from(part.positions);
  if (!part.morphs) return positions;
  const size = positions.length;
  part.morphs.names.forEach((name, k) => {
    const w = weights[expressionNames.indexOf(name)] ?? 0;
    if (w === 0) return;
    for (let i = 0; i < size; i++) positions[i] += w * part.morphs!.displacements[k * size + i];
  });
  return positions;
}

export interface HeadModel {
  /** Stable identifier, e.g. 'makehuman-head@2' (the default head) or 'hifi3dpp'. Stored in .avatar files. */
  id: string;
  name: string;
  /** SPDX identifier or short licence text of the geometry. */
  licence: string;
  /** Where the geometry comes from (human-readable). */
  provenance: string;

  vertexCount: number;
  /** Mean (neutral) shape, xyz interleaved, metres. */
  positions: Float32Array;
  /** Per-vertex UV, uv interleaved (v up). */
  uvs: Float32Array;
  /** Triangles, CCW from outside. */
  indices: Uint32Array;
  /** Vertex -> representative vertex at the same position (identity where there is no seam). */
  weldGroup: Uint32Array;

  identityCount: number;
  /** identityCount x vertexCount*3, mode-major. */
  identityBasis: Float32Array;
  /** Prior standard deviation of each identity coefficient. */
  identityStd: Float32Array;

  /** Names of the expression modes, e.g. ARKit 'jawOpen' or PCA 'exp00'. */
  expressionNames: string[];
  /** expressionNames.length x vertexCount*3, mode-major. */
  expressionBasis: Float32Array;
  /** Prior standard deviation of each expression coefficient in fitting (weights around 0..1 for blendshapes). */
  expressionStd: Float32Array;

  /** iBUG-68 landmark vertices (one vertex per point). Jaw points 0..16 are defaults; fitting may slide them along `jawContour`. */
  landmarks68: Uint32Array;
  /** Candidate vertices for sliding jaw-line (silhouette) correspondences, ordered from the subject's right ear to the left. */
  jawContour: Uint32Array;
  /** Vertex for each of the 468 MediaPipe points, or undefined when the pack has no such correspondence. */
  landmarks468?: Uint32Array;
  /**
   * Optional iBUG jaw "march lines" (landmark marching, as in 3DDFA/HPEN): for each jaw point 0..16,
   * candidate vertices from landmarks68[i] on the face contour back along the mandible towards the
   * ear. Line i is vertices[offsets[i] .. offsets[i + 1]) (offsets has 18 entries, first vertex =
   * landmarks68[i]). After fitting, the reported jaw point on the side turned towards the camera is
   * the line's vertex furthest out in the image (iBUG annotates the visible jaw silhouette there).
   */
  jawMarchLines?: { offsets: Uint32Array; vertices: Uint32Array };
  /**
   * Optional UV albedo model (the bytes of a .uvapm file, ../albedo/uvapm-format.ts) in this
   * model's UV layout: stage 2 (coarse albedo under the light) then runs by default.
   */
  albedoModel?: Uint8Array;

  /** Mirror partner of each vertex across the model's x = 0 plane (for left/right texture completion). */
  mirrorVertex: Uint32Array;
  /** Per-vertex face-skin weight 0..1 (1 on facial skin, 0 on eyes, brows, lips, hair/cranium, neck). */
  skinWeight: Float32Array;

  /**
   * Optional ARKit-52 -> expression-coefficient map (see retarget.ts): `matrix` is
   * names.length x expressionNames.length, row-major; coefficients = weights x matrix.
   */
  arkitRetarget?: { names: string[]; matrix: Float32Array; method: 'names' | 'vertices' | 'landmarks' | 'none' };

  /** Separate meshes that are not deformed by the bases (eyeballs, teeth). */
  parts: SubMesh[];
}

/** Shape for given coefficients; writes into `out` (allocated if omitted). Plain TS reference decode. */
export function decodeShape(
  model: HeadModel,
  identity: ArrayLike<number> | null,
  expression: ArrayLike<number> | null,
  out?: Float32Array,
): Float32Array {
  const result = out ?? new Float32Array(model.vertexCount * 3);
  result.set(model.positions);
  addModes(result, model.identityBasis, identity, model.vertexCount * 3);
  addModes(result, model.expressionBasis, expression, model.vertexCount * 3);
  return result;
}

/**
 * decodeShape(model, identity, expression) from `neutral` = decodeShape(model, identity, null):
 * the same additions in the same order (the same bits), without adding the identity modes again.
 */
export function decodeExpressionOn(model: HeadModel, neutral: Float32Array, expression: ArrayLike<number> | null): Float32Array {
  const result = Float32Array.from(neutral);
  addModes(result, model.expressionBasis, expression, model.vertexCount * 3);
  return result;
}

/** result += sum_k coeffs[k] * basis[k], mode by mode (each sum rounded to float32 as it goes). */
function addModes(result: Float32Array, basis: Float32Array, coeffs: ArrayLike<number> | null, n3: number): void {
  if (!coeffs) return;
  for (let k = 0; k < coeffs.length; k++) {
    const c = coeffs[k];
    if (c !== 0) addScaledMode(result, basis, k * n3, c, n3);
  }
}

/**
 * result[i] += c * basis[offset + i] for i < n3. A function of its own so that a cold process
 * optimizes it during the first mode and keeps that code: as addModes's inner loop, the code
 * compiled on the stack (OSR) during the first mode had never seen the mode loop's increment and
 * was thrown away when it got there (the cold fit's decode, 6.2 M products: 18-33 ms against ~10 warm).
 */
function addScaledMode(result: Float32Array, basis: Float32Array, offset: number, c: number, n3: number): void {
  for (let i = 0; i < n3; i++) result[i] += c * basis[offset + i];
}

const shapeNormals = new PerShapeCache<HeadModel, Float32Array>();

/**
 * The welded normals (computeVertexNormals) of one fitted shape of the model, computed once per
 * shape: the ears, the hair's skin probe and the scalp cap all ask for them. Read-only.
 */
export function fittedNormals(model: HeadModel, vertices: Float32Array): Float32Array {
  return shapeNormals.get(model, vertices, () => computeVertexNormals(vertices, model.indices, model.weldGroup));
}

/** Area-weighted smooth vertex normals, shared across seam copies through `weldGroup`. */
export function computeVertexNormals(
  positions: Float32Array,
  indices: Uint32Array,
  weldGroup?: Uint32Array,
  out?: Float32Array,
): Float32Array {
  const n = positions.length / 3;
  const normals = out ?? new Float32Array(n * 3);
  normals.fill(0);
  for (let t = 0; t < indices.length / 3; t++) addTriangleNormal(positions, indices, weldGroup, t, normals);
  for (let v = 0; v < n; v++) normaliseVertexNormal(normals, weldGroup, v);
  return normals;
}

/**
 * The region of a shape's welded vertex normals (computeVertexNormals with the model's weld
 * groups) that a displacement of the shape can change: the triangles on a weld representative
 * that some displaced triangle touches, and the vertices that read such a representative, both
 * ascending. Outside it the displaced shape's normals are the undisplaced one's, bit for bit.
 */
export interface NormalFootprint {
  triangles: Uint32Array;
  vertices: Uint32Array;
}

export function normalFootprint(model: HeadModel, displacement: Float32Array): NormalFootprint {
  return footprintOfMoved(model, movedVertices(displacement), footprintScratch(model));
}

/** Room for footprintOfMoved's lists: one more than the model's triangles or vertices (the loops write one past their count). */
const footprintScratch = (model: HeadModel) => new Uint32Array(Math.max(model.indices.length / 3, model.vertexCount) + 1);

/**
 * The vertices (xyz interleaved in `displacement`) with a component other than 0, ascending: what
 * a morph target moves (about a quarter of the default head's 17,642 vertices per target, on average).
 */
export function movedVertices(displacement: Float32Array): Uint32Array {
  const n = displacement.length / 3;
  let count = 0;
  for (let v = 0; v < n; v++) if (displacement[3 * v] !== 0 || displacement[3 * v + 1] !== 0 || displacement[3 * v + 2] !== 0) count++;
  const moved = new Uint32Array(count);
  for (let v = 0, j = 0; j < count; v++) if (displacement[3 * v] !== 0 || displacement[3 * v + 1] !== 0 || displacement[3 * v + 2] !== 0) moved[j++] = v;
  return moved;
}

/**
 * normalFootprint of a displacement that moves `moved` (movedVertices) alone, from flags per vertex
 * (0 or 1: the list loops add them instead of branching on them, writing one past the count) and
 * lists filled in `scratch` and copied out. Before, the triangles' corners read the displacement
 * about six times a vertex and the lists grew as number arrays: the default head's 52 targets took
 * 52-91 ms of a cold start, here 38-61 (min-median of 9, the loaded 2-core VM); warm 31-57 -> 21-26.
 */
function footprintOfMoved(model: HeadModel, moved: Uint32Array, scratch: Uint32Array): NormalFootprint {
  const { indices, weldGroup, vertexCount: n } = model;
  const isMoved = new Uint8Array(n);
  for (let j = 0; j < moved.length; j++) isMoved[moved[j]] = 1;
  const changed = new Uint8Array(n);
  for (let t = 0; t < indices.length; t += 3) {
    const a = indices[t], b = indices[t + 1], c = indices[t + 2];
    if (isMoved[a] === 0 && isMoved[b] === 0 && isMoved[c] === 0) continue;
    changed[weldGroup[a]] = 1; changed[weldGroup[b]] = 1; changed[weldGroup[c]] = 1;
  }
  // Per vertex whether its representative changed (isMoved's array again: it is read no more).
  const reads = isMoved;
  for (let v = 0; v < n; v++) reads[v] = changed[weldGroup[v]];
  let triangleCount = 0;
  for (let t = 0, k = 0; k < indices.length; t++, k += 3) {
    scratch[triangleCount] = t;
    triangleCount += reads[indices[k]] | reads[indices[k + 1]] | reads[indices[k + 2]];
  }
  const triangles = scratch.slice(0, triangleCount);
  let vertexCount = 0;
  for (let v = 0; v < n; v++) {
    scratch[vertexCount] = v;
    vertexCount += reads[v];
  }
  return { triangles, vertices: scratch.slice(0, vertexCount) };
}

const expressionFootprints = new PerModelCache<HeadModel, NormalFootprint[]>();
const expressionMoves = new PerModelCache<HeadModel, Uint32Array[]>();

/** Per expression mode of the model, movedVertices of its displacement: found once per model (the footprints and the GLB's quantized deltas start from them). */
export function expressionMovedVertices(model: HeadModel): Uint32Array[] {
  const n3 = model.vertexCount * 3;
  return expressionMoves.get(model, 0, () => model.expressionNames.map((_, k) => movedVertices(model.expressionBasis.subarray(k * n3, (k + 1) * n3))));
}

/** Per expression mode of the model, the normalFootprint of its displacement: found once per model (the GLB's morph targets' normals are computed within them). */
export function expressionNormalFootprints(model: HeadModel): NormalFootprint[] {
  return expressionFootprints.get(model, 0, () => {
    const scratch = footprintScratch(model);
    return expressionMovedVertices(model).map((moved) => footprintOfMoved(model, moved, scratch));
  });
}

/**
 * computeVertexNormals(positions, model.indices, model.weldGroup, normals) at `footprint`'s
 * vertices only, the same arithmetic in the same order (the same bits): the rest of `normals` is
 * left as it was, apart from the sums on the footprint's triangles' other corners, which no
 * footprint vertex reads (they are not cleared first: they add onto what was there).
 */
export function vertexNormalsWithin(positions: Float32Array, model: HeadModel, footprint: NormalFootprint, normals: Float32Array): void {
  const { corner, welded } = cornerOffsets.get(model, 0, () => ({
    corner: Int32Array.from(model.indices, (v) => 3 * v),
    welded: Int32Array.from(model.indices, (v) => 3 * model.weldGroup[v]),
  }));
  const { triangles, vertices } = footprint, weldGroup = model.weldGroup;
  // Only the sums the footprint's vertices read start from zero (their representatives'), not
  // every corner of its triangles: a sixth of the writes (the default head's 52 targets: 253,000
  // vertices against 1.5 million corners per avatar; all 52 calls 20.5-22.5 -> 16.3-19.0 ms CPU, medians of 40-80, three runs).
  for (let j = 0; j < vertices.length; j++) { const w = 3 * weldGroup[vertices[j]]; normals[w] = 0; normals[w + 1] = 0; normals[w + 2] = 0; }
  for (let j = 0; j < triangles.length; j++) {
    const k = 3 * triangles[j];
    addNormalAt(positions, corner[k], corner[k + 1], corner[k + 2], welded[k], welded[k + 1], welded[k + 2], normals);
  }
  for (const v of vertices) normaliseVertexNormal(normals, weldGroup, v);
}

/**
 * Per model: each triangle corner's offset in the positions (3 x its vertex) and in the welded
 * sums (3 x its representative), so vertexNormalsWithin reads one array per corner, not the index,
 * then the weld group: it runs over about 509,000 footprint triangles per avatar exported with
 * morph normals (the 52 targets on the default head): 28-31 -> 22-24 ms (min of 15).
 */
const cornerOffsets = new PerModelCache<HeadModel, { corner: Int32Array; welded: Int32Array }>();

/** Adds triangle t's area-weighted normal to its three corners' (welded) sums, corners in order. */
function addTriangleNormal(positions: Float32Array, indices: Uint32Array, weldGroup: Uint32Array | undefined, t: number, normals: Float32Array): void {
  const ia = indices[3 * t], ib = indices[3 * t + 1], ic = indices[3 * t + 2];
  addNormalAt(positions, 3 * ia, 3 * ib, 3 * ic, 3 * (weldGroup ? weldGroup[ia] : ia), 3 * (weldGroup ? weldGroup[ib] : ib), 3 * (weldGroup ? weldGroup[ic] : ic), normals);
}

/**
 * Adds the area-weighted normal of the triangle whose corners lie at offsets a, b, c of
 * `positions` to the sums at offsets wa, wb, wc of `normals`, in that order. The three corners
 * written out: an array per triangle here cost more than the maths (this runs for every morph
 * target of every avatar exported).
 */
function addNormalAt(positions: Float32Array, a: number, b: number, c: number, wa: number, wb: number, wc: number, normals: Float32Array): void {
  const e1x = positions[b] - positions[a], e1y = positions[b + 1] - positions[a + 1], e1z = positions[b + 2] - positions[a + 2];
  const e2x = positions[c] - positions[a], e2y = positions[c + 1] - positions[a + 1], e2z = positions[c + 2] - positions[a + 2];
  const nx = e1y * e2z - e1z * e2y, ny = e1z * e2x - e1x * e2z, nz = e1x * e2y - e1y * e2x;
  normals[wa] += nx; normals[wa + 1] += ny; normals[wa + 2] += nz;
  normals[wb] += nx; normals[wb + 1] += ny; normals[wb + 2] += nz;
  normals[wc] += nx; normals[wc + 1] += ny; normals[wc + 2] += nz;
}

/**
 * Vertex v's normal: its representative's sum, normalised, in place. A representative is the
 * lowest vertex of its group, so later copies read it already normalised (and normalise it again).
 */
function normaliseVertexNormal(normals: Float32Array, weldGroup: Uint32Array | undefined, v: number): void {
  const w = (weldGroup ? weldGroup[v] : v) * 3;
  const x = normals[w], y = normals[w + 1], z = normals[w + 2];
  const len = hypot3(x, y, z) || 1;
  normals[v * 3] = x / len; normals[v * 3 + 1] = y / len; normals[v * 3 + 2] = z / len;
}

/** iBUG-68's inner-lip points (60 ... 67). */
export const INNER_LIP_68 = [60, 61, 62, 63, 64, 65, 66, 67];

/**
 * The rest positions (the mean shape, or a part's own) of a mesh whose triangles are `indices`,
 * where those are the model's own array (its head's or a part's); undefined for other triangles
 * (an avatar's hair). Caches of per-model values key on that array.
 */
export function restPositionsOf(model: HeadModel, indices: Uint32Array): Float32Array | undefined {
  return indices === model.indices ? model.positions : model.parts.find((part) => part.indices === indices)?.positions;
}

/**
 * Parts (eyeballs, teeth) are rigid and not covered by the bases, so after fitting they are moved
 * with the surrounding head: each part is translated by the mean displacement of the `neighbours`
 * head vertices nearest its pivot in the mean shape. Without this, identity modes that move the
 * eye region would leave the eyeballs behind. The mouth's parts (material 'teeth': teeth, tongue)
 * follow the inner lips (iBUG 60 ... 67) instead, all by the same amount so the bite holds: their
 * pivot, the jaw joint, lies deep in the head, and on the default head the identity modes moved its
 * surroundings millimetres against the lips, so the parted lips showed the upper incisors on one face
 * and hid them on another.
 */
export function partsFollowingShape(model: HeadModel, shapedVertices: Float32Array, neighbours = 24): SubMesh[] {
  const mean = model.positions;
  const innerLips = model.landmarks68?.length === 68 ? INNER_LIP_68.map((i) => model.landmarks68[i]) : null;
  return model.parts.map((part) => {
    if (part.attachment) return attachedPartFollowing(part, part.attachment, mean, shapedVertices);
    const nearest = part.material === 'teeth' && innerLips ? innerLips : nearestVertices(mean, part.pivot, neighbours);
    let dx = 0, dy = 0, dz = 0;
    for (const v of nearest) {
      dx += shapedVertices[3 * v] - mean[3 * v];
      dy += shapedVertices[3 * v + 1] - mean[3 * v + 1];
      dz += shapedVertices[3 * v + 2] - mean[3 * v + 2];
    }
    const count = nearest.length || 1;
    dx /= count; dy /= count; dz /= count;
    const positions = new Float32Array(part.positions.length);
    for (let i = 0; i < positions.length; i += 3) {
      positions[i] = part.positions[i] + dx;
      positions[i + 1] = part.positions[i + 1] + dy;
      positions[i + 2] = part.positions[i + 2] + dz;
    }
    const pivot = Float32Array.from([part.pivot[0] + dx, part.pivot[1] + dy, part.pivot[2] + dz]);
    return { ...part, positions, pivot };
  });
}

/** A glued part (SubMesh.attachment) on a shaped head: each vertex moves by the weighted displacement of its head vertices. */
function attachedPartFollowing(part: SubMesh, attachment: NonNullable<SubMesh['attachment']>, mean: Float32Array, shaped: Float32Array): SubMesh {
  const positions = Float32Array.from(part.positions);
  const pivot = new Float32Array(3);
  const n = positions.length / 3;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) {
      const v = attachment.vertices[3 * i + k], w = attachment.weights[3 * i + k];
      for (let a = 0; a < 3; a++) positions[3 * i + a] += w * (shaped[3 * v + a] - mean[3 * v + a]);
    }
    for (let a = 0; a < 3; a++) pivot[a] += positions[3 * i + a] / n;
  }
  return { ...part, positions, pivot };
}

/** Indices of the `count` vertices nearest `point` (simple selection; vertex counts here are ~10^4). */
interface NearestEntry { x: number; y: number; z: number; count: number; nearest: readonly number[] }

/**
 * Per mean shape and pivot: the pivot's nearest vertices, which depend on the model alone (models
 * are not mutated; the pivot's values are checked all the same). Sorting every vertex by distance
 * cost about 30 ms per part on each avatar.
 */
const nearestCache = new WeakMap<Float32Array, WeakMap<Float32Array, NearestEntry>>();

function nearestVertices(positions: Float32Array, point: Float32Array, count: number): readonly number[] {
  let byPoint = nearestCache.get(positions);
  if (!byPoint) nearestCache.set(positions, (byPoint = new WeakMap()));
  const cached = byPoint.get(point);
  if (cached && cached.count === count && cached.x === point[0] && cached.y === point[1] && cached.z === point[2]) return cached.nearest;
  const nearest = sortedNearestVertices(positions, point, count);
  byPoint.set(point, { x: point[0], y: point[1], z: point[2], count, nearest });
  return nearest;
}

function sortedNearestVertices(positions: Float32Array, point: ArrayLike<number>, count: number): number[] {
  const n = positions.length / 3;
  const distances = new Float64Array(n);
  for (let v = 0; v < n; v++) {
    const x = positions[3 * v] - point[0], y = positions[3 * v + 1] - point[1], z = positions[3 * v + 2] - point[2];
    distances[v] = x * x + y * y + z * z;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => distances[a] - distances[b]);
  return order.slice(0, Math.min(count, n));
}
