/**
 * Puts a hair mesh (rest pose, the MakeHuman head's model space) on a fitted head.
 *
 * Follow: every hair vertex takes the displacement (fitted - rest) of the nearest rest head vertex,
 * the proxy rule with one reference vertex, then that displacement is smoothed along the hair mesh
 * so strands do not kink where the nearest vertex changes. Clear of the skin: MakeHuman hair has
 * inner layers under the scalp (MakeHuman deletes the scalp under it), so every hair vertex is
 * checked against the fitted head's radial profile (its outermost surface per direction from the
 * cranium's centre, ./radial-profile.ts) and one closer than SKIN_GAP is pushed out along its ray:
 * the inner layers become a cap on the scalp, so no scalp shows between strands. Browser-safe.
 */
import { PhotoAvatarError } from '../errors.js';
import { fittedNormals, type HeadModel } from '../modelpack/head-model.js';
import { VertexGrid } from '../modelpack/makehuman-head/nearest.js';
import { smoothstep, vertexNeighbours } from '../modelpack/mesh-utils.js';
import { PerModelCache, PerShapeCache } from '../modelpack/per-model-cache.js';
import { RadialProfile } from './radial-profile.js';

/** Metres the hair keeps from the skin (strand cards lie this far out at least). */
export const SKIN_GAP = 0.0015;
/** Hair vertices further than this from the surface need no push test (metres). */
const NEAR_SKIN = 0.03;
/** A pack is in the MakeHuman frame when a twentieth of a style's vertices lie this close to its rest surface. */
const FRAME_CHECK_DISTANCE = 0.015;
const SMOOTHING_PASSES = 4;
/** Deeper than this under the nearest vertex's tangent plane, the probe is read as a wrong neighbour (the open neck ring), not skin. */
const PROBE_REACH = 0.012;

export interface FittedHair {
  positions: Float32Array;
  /** Signed distance of each fitted hair vertex to the skin after the push (metres, >= SKIN_GAP near the head). */
  skinDistance: Float32Array;
  /** Deepest hair vertex under the fitted skin before the push, millimetres (the inner layers: by design). */
  penetrationMm: number;
  /** The fitted head's radial profile the push used (the scalp cap reads its direction bins). */
  profile: RadialProfile;
}

/** Hair ships fitted to MakeHuman-built heads only: their provenance names MakeHuman. */
export function supportsHair(model: HeadModel): boolean {
  return /makehuman/i.test(`${model.id} ${model.provenance}`);
}

function hairUnavailable(model: HeadModel, why: string): PhotoAvatarError {
  return new PhotoAvatarError('UNSUPPORTED_MODEL_PACK', `Hair is unavailable for head model "${model.id}": ${why}. Hair meshes fit MakeHuman-built heads (the default head is one).`);
}

/** Nearest vertex from the grid, or by a full scan for the few hair ends far below the head (long hair). */
function nearestOrFar(grid: VertexGrid, positions: Float32Array, include: (v: number) => boolean, x: number, y: number, z: number): number {
  const v = grid.nearest(x, y, z, undefined, 8);
  if (v >= 0) return v;
  let best = -1, bestD = Infinity;
  for (let w = 0; w < positions.length / 3; w++) {
    if (!include(w)) continue;
    const d = (positions[3 * w] - x) ** 2 + (positions[3 * w + 1] - y) ** 2 + (positions[3 * w + 2] - z) ** 2;
    if (d < bestD) { bestD = d; best = w; }
  }
  return best;
}

/** Per hair vertex, the nearest rest head vertex (a weld representative), and how far the hair lies from the rest head. */
interface RestAnchors {
  vertex: Int32Array;
  /** Metres from the rest head within which the closest twentieth of the style's vertices lie (the frame check). */
  frameDistance: number;
}

/**
 * Per head model and hair style (its rest positions): the style's anchors on the rest head, which
 * depend on the two meshes alone (neither is mutated), so they are found once, not for every avatar
 * and every setHair (a grid search per hair vertex: about 130 ms per avatar on the default head).
 */
const restAnchors = new WeakMap<HeadModel, WeakMap<Float32Array, RestAnchors>>();
/** Per style (its indices): the hair mesh's one rings. */
const hairRings = new PerModelCache<Uint32Array, ReturnType<typeof vertexNeighbours>>();
/** Per head model: the grid of its rest shape's weld representatives, which every style's anchors search. */
const restGrids = new PerModelCache<HeadModel, VertexGrid>();

function anchorsOnRest(hairRest: Float32Array, model: HeadModel): RestAnchors {
  let byStyle = restAnchors.get(model);
  if (!byStyle) restAnchors.set(model, (byStyle = new WeakMap()));
  let anchors = byStyle.get(hairRest);
  if (anchors) return anchors;
  const rest = model.positions;
  const n = hairRest.length / 3;
  const isRepresentative = (v: number) => model.weldGroup[v] === v;
  const restGrid = restGrids.get(model, 0, () => new VertexGrid(rest, 0.01, isRepresentative));
  const vertex = new Int32Array(n);
  const restDistance = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = hairRest[3 * i], y = hairRest[3 * i + 1], z = hairRest[3 * i + 2];
    const v = (vertex[i] = nearestOrFar(restGrid, rest, isRepresentative, x, y, z));
    restDistance[i] = Math.hypot(rest[3 * v] - x, rest[3 * v + 1] - y, rest[3 * v + 2] - z);
  }
  anchors = { vertex, frameDistance: restDistance.sort()[Math.floor(n / 20)] };
  byStyle.set(hairRest, anchors);
  return anchors;
}

/**
 * The hair's rest vertices moved with the fitted head (the proxy rule with one reference vertex,
 * smoothed along the hair mesh), not yet pushed clear of the skin: fitHair's first step, and all
 * that a coarse look at a style on a head needs (./style-match.ts).
 */
export function hairFollowingHead(hairRest: Float32Array, hairIndices: Uint32Array, model: HeadModel, fittedVertices: Float32Array): Float32Array {
  if (!supportsHair(model)) throw hairUnavailable(model, 'it is not built from the MakeHuman base mesh');
  const rest = model.positions;
  const n = hairRest.length / 3;
  const anchors = anchorsOnRest(hairRest, model);
  if (anchors.frameDistance > FRAME_CHECK_DISTANCE) throw hairUnavailable(model, 'its rest shape does not lie under the hair (another frame or scale)');
  const displacement = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const v = anchors.vertex[i];
    for (let a = 0; a < 3; a++) displacement[3 * i + a] = fittedVertices[3 * v + a] - rest[3 * v + a];
  }

  // Smooth the displacement along the hair mesh (Jacobi averaging with each vertex's neighbours).
  const { offsets, neighbours } = hairRings.get(hairIndices, n, () => vertexNeighbours(n, hairIndices));
  let field = displacement, next = new Float32Array(n * 3);
  for (let pass = 0; pass < SMOOTHING_PASSES; pass++) {
    for (let i = 0; i < n; i++) {
      const from = offsets[i], to = offsets[i + 1];
      for (let a = 0; a < 3; a++) {
        let sum = field[3 * i + a];
        for (let k = from; k < to; k++) sum += field[3 * neighbours[k] + a];
        next[3 * i + a] = sum / (1 + to - from);
      }
    }
    [field, next] = [next, field];
  }
  const positions = new Float32Array(n * 3);
  for (let i = 0; i < n * 3; i++) positions[i] = hairRest[i] + field[i];
  return positions;
}

/**
 * How much of the hairline's turn a hair vertex takes, by its direction from the cranium's centre:
 * its elevation (radians from straight up towards the face) and its metres to the side. None over
 * the crown and behind it, all over the forehead and brow, none again down at the sideburns; and
 * none beside the temples, so the hair over and in front of the ears, which the ears' cut and the
 * sideburns' cap follow (./ears.ts, ./hair-mesh.ts), stays where the style put it.
 */
function turnShare(elevation: number, side: number): number {
  return smoothstep(0.15, 0.75, elevation) * (1 - smoothstep(1.75, 2.3, elevation)) * (1 - smoothstep(0.045, 0.075, side));
}

/**
 * Largest hairline turn either way (radians): under it the elevations keep their order (no strand
 * folds over another; turnShare's steepest ramp changes by 2.7 per radian). `.avatar` files hold
 * turns within it (the fit's own range, ./hairline.ts, is narrower and may change).
 */
export const MAX_HAIRLINE_TURN = 0.35;

/**
 * Turns hair vertices about the x axis through `centre` by `angle` x turnShare, in place (positive:
 * the front goes up and back). The share is read before the turn (MAX_HAIRLINE_TURN).
 */
export function turnHairline(positions: Float32Array, centre: readonly number[], angle: number): void {
  if (angle === 0) return;
  const [cx, cy, cz] = centre;
  for (let i = 0; i < positions.length; i += 3) {
    const y = positions[i + 1] - cy, z = positions[i + 2] - cz;
    const turn = angle * turnShare(Math.atan2(z, y), Math.abs(positions[i] - cx));
    if (turn === 0) continue;
    const c = Math.cos(turn), s = Math.sin(turn);
    positions[i + 1] = cy + c * y + s * z;
    positions[i + 2] = cz - s * y + c * z;
  }
}

/**
 * Moves every hair vertex closer than SKIN_GAP to the fitted head's radial profile, or under it,
 * out along its ray from the cranium's centre, in place. Returns each vertex's distance to the skin
 * (at least SKIN_GAP) and the deepest vertex's depth under it before the push (metres).
 */
export function pushOutAlongRays(positions: Float32Array, profile: RadialProfile): { skinDistance: Float32Array; deepest: number } {
  const n = positions.length / 3;
  const skinDistance = new Float32Array(n);
  let deepest = 0;
  for (let i = 0; i < n; i++) {
    const depth = profile.depthBelowSurface(positions[3 * i], positions[3 * i + 1], positions[3 * i + 2]);
    deepest = Math.max(deepest, depth);
    if (depth > -SKIN_GAP) profile.moveOut(positions, i, depth + SKIN_GAP);
    skinDistance[i] = Math.max(-depth, SKIN_GAP);
  }
  return { skinDistance, deepest };
}

const profiles = new PerShapeCache<HeadModel, RadialProfile>();

/** The fitted head's radial profile, built once per shape: the style match and the chosen style's fit both push along it. */
export function radialProfileOf(model: HeadModel, fittedVertices: Float32Array): RadialProfile {
  return profiles.get(model, fittedVertices, () => new RadialProfile(fittedVertices, model.weldGroup));
}

/**
 * Scales each hair vertex's height over the skin by `volume`, along its ray from the cranium's
 * centre, in place: the layers next to the scalp stay on it and the outer ones stand further off.
 */
export function puffOut(positions: Float32Array, skinDistance: Float32Array, profile: RadialProfile, volume: number): void {
  for (let i = 0; i < skinDistance.length; i++) {
    const lift = (volume - 1) * skinDistance[i];
    profile.moveOut(positions, i, lift);
    skinDistance[i] += lift;
  }
}

/** What the photo fitted of a style's placement (AvatarHair carries both): absent, the style as MakeHuman drew it. */
export interface HairShapeFit {
  /** turnHairline's angle, fitted to the photo's hairline (./hairline.ts). */
  hairlineTurn?: number;
  /** puffOut's scale, fitted to the photo's hair silhouette (./volume.ts). */
  volume?: number;
}

/** The style's strands moved with the fitted head, their hairline turned and pushed out of the skin, then scaled off it (`fit`). */
export function placeStrands(hairRest: Float32Array, hairIndices: Uint32Array, model: HeadModel, fittedVertices: Float32Array, fit: HairShapeFit): { positions: Float32Array; skinDistance: Float32Array; deepest: number; profile: RadialProfile } {
  const positions = hairFollowingHead(hairRest, hairIndices, model, fittedVertices);
  const profile = radialProfileOf(model, fittedVertices);
  turnHairline(positions, profile.centre, fit.hairlineTurn ?? 0);
  const { skinDistance, deepest } = pushOutAlongRays(positions, profile);
  const volume = fit.volume ?? 1;
  if (volume !== 1) puffOut(positions, skinDistance, profile, volume);
  return { positions, skinDistance, deepest, profile };
}

export function fitHair(hairRest: Float32Array, hairIndices: Uint32Array, model: HeadModel, fittedVertices: Float32Array, fit: HairShapeFit = {}): FittedHair {
  const { positions, skinDistance, deepest, profile } = placeStrands(hairRest, hairIndices, model, fittedVertices, fit);
  // Under the jaw and at the nape the head is not star-shaped about the cranium: there the nearest
  // surface vertex's normal decides (two rounds, as a push can bring a vertex near another vertex).
  pushOutOfSkin(positions, skinDistance, skinProbe(model, fittedVertices));
  return { positions, skinDistance, penetrationMm: deepest * 1000, profile };
}

/**
 * Moves hair vertices from `first` on that lie closer than SKIN_GAP to the skin (or under it) out
 * along the nearest skin vertex's normal, in place (two rounds, as a push can bring a vertex near
 * another skin vertex), and caps their skinDistance at SKIN_GAP.
 */
export function pushOutOfSkin(positions: Float32Array, skinDistance: Float32Array, probe: SkinProbe, first = 0): void {
  const n = positions.length / 3;
  // The probe depends on the point alone: a vertex the first round left in place would be left in
  // place again, so the second round probes only the ones it moved (most hair lies clear of the skin).
  const moved = new Int32Array(Math.max(0, n - first));
  let movedCount = 0;
  const push = (i: number): boolean => {
    const hit = probe.at(positions[3 * i], positions[3 * i + 1], positions[3 * i + 2]);
    if (!hit || hit.distance >= SKIN_GAP || hit.distance < -PROBE_REACH) return false;
    const lift = SKIN_GAP - hit.distance;
    positions[3 * i] += lift * hit.nx; positions[3 * i + 1] += lift * hit.ny; positions[3 * i + 2] += lift * hit.nz;
    skinDistance[i] = Math.min(skinDistance[i], SKIN_GAP);
    return true;
  };
  for (let i = first; i < n; i++) if (push(i)) moved[movedCount++] = i;
  for (let k = 0; k < movedCount; k++) push(moved[k]);
}

/** Per fitted shape: its weld representatives on a grid (the hair probes one shape's skin several times per avatar). */
const skinGrids = new PerShapeCache<HeadModel, VertexGrid>();

/** A skin probe's answer: the signed distance and the nearest surface vertex's unit normal (scalars: the hair probes the skin tens of thousands of times per avatar). */
export interface SkinHit {
  distance: number;
  nx: number;
  ny: number;
  nz: number;
}

/**
 * Signed distance of a point to the fitted skin along the nearest surface vertex's normal (positive
 * outside), or null beyond NEAR_SKIN.
 */
export function skinProbe(model: HeadModel, fittedVertices: Float32Array): SkinProbe {
  const normals = fittedNormals(model, fittedVertices);
  const grid = skinGrids.get(model, fittedVertices, () => new VertexGrid(fittedVertices, 0.01, (v) => model.weldGroup[v] === v));
  return new SkinProbe(fittedVertices, normals, grid);
}

/**
 * skinProbe's answer, asked with `at`: an object's method rather than a closure made per call,
 * which V8's optimized callers inlined by identity and dropped with it (../hair/hair-mesh.ts CapRim).
 */
export class SkinProbe {
  constructor(private readonly fittedVertices: Float32Array, private readonly normals: Float32Array, private readonly grid: VertexGrid) {}

  at(x: number, y: number, z: number): SkinHit | null {
    const { fittedVertices, normals } = this;
    const v = this.grid.nearest(x, y, z, undefined, Math.ceil(NEAR_SKIN / 0.01));
    if (v < 0) return null;
    const nx = normals[3 * v], ny = normals[3 * v + 1], nz = normals[3 * v + 2];
    return { distance: (x - fittedVertices[3 * v]) * nx + (y - fittedVertices[3 * v + 1]) * ny + (z - fittedVertices[3 * v + 2]) * nz, nx, ny, nz };
  }
}

/**
 * Deepest hair vertex inside the skin (millimetres, 0 when none) by the nearest vertex's tangent
 * plane, for checks. Depths beyond PROBE_REACH are not counted: there the nearest vertex is across
 * the open neck ring (hair hanging below the cut), not skin over the point.
 */
export function hairPenetrationMm(hairPositions: Float32Array, model: HeadModel, fittedVertices: Float32Array): number {
  const probe = skinProbe(model, fittedVertices);
  let deepest = 0;
  for (let i = 0; i < hairPositions.length; i += 3) {
    const hit = probe.at(hairPositions[i], hairPositions[i + 1], hairPositions[i + 2]);
    if (hit && hit.distance < 0 && hit.distance >= -PROBE_REACH) deepest = Math.max(deepest, -hit.distance);
  }
  return deepest * 1000;
}
