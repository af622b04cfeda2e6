/**
 * A hair style on a fitted head: the asset's mesh fitted by ./fit-hair.ts, its strand texture
 * tinted to the hair colour (strand alpha kept), and an opaque scalp cap under it, darkened towards
 * the root tone, which shows between the strands as deeper hair does. Browser-safe.
 *
 * The cap: MakeHuman hair is cards with alpha, and the inner layer that lies on the scalp has gaps,
 * so the bald skin albedo showed through as light specks. The cap is the head's own scalp surface
 * where the hair's inner layer lies on it, lifted just under the strands and textured from an
 * opaque region of the strand texture, darkened towards the root tone. (Darkening strands near the scalp instead
 * turned tight styles, whose outer strands lie on the scalp too, the root colour all over.) It is part of the hair mesh, so it goes
 * wherever the hair goes (Babylon, GLB, LODs) and leaves with it (setHair(null)), and the skin
 * albedo under it stays skin.
 */
import { computeVertexNormals, type HeadModel, type SubMesh } from '../modelpack/head-model.js';
import type { RgbaImage } from '../types.js';
import { linearToSrgb8, SRGB_TO_LINEAR } from '../image/srgb.js';
import type { HairStyleMesh } from './asset-format.js';
import { fitHair, pushOutOfSkin, skinProbe, SKIN_GAP, type FittedHair } from './fit-hair.js';
import { vertexNeighbours } from '../modelpack/mesh-utils.js';
import { RadialProfile } from './radial-profile.js';
import type { HairStyle } from './styles.js';

/** Hair triangles whose corners all lie this close to the skin cover the scalp under them (metres); hair hanging further out (a ponytail, long ends) does not. */
const ON_SCALP = 0.03;
/** Passes of neighbour averaging of the cap's coverage before its rim is cut at the half-way contour. */
const CAP_RIM_SMOOTHING = 2;
/** Metres the cap lies off the skin: under the strands (SKIN_GAP), clear of the skin's depth. */
const CAP_GAP = 0.6 * SKIN_GAP;
/** Metres above the brows below which the face is never capped (a fringe lies on the forehead, not on a scalp). */
const CAP_ABOVE_BROWS = 0.02;

export interface HairMesh {
  /** Model-space mesh on the fitted head (material 'hair'), pivot at its centre: the scalp cap's triangles first (drawn under the strands' blended edges), then the strands. */
  part: SubMesh;
  /** Linear RGB multipliers per vertex (towards root / base on the cap, 1 on the strands). */
  vertexColours: Float32Array;
  /** Tinted strand texture, sRGB RGBA, alpha = strand coverage. */
  texture: RgbaImage;
  /** Deepest vertex inside the fitted skin before it was pushed out (mm). */
  penetrationMm: number;
}

/** Linear RGB colour of the hair: base, and the darker tone at the roots. */
export interface HairTone {
  base: [number, number, number];
  root: [number, number, number];
}

/**
 * The strand texture tinted: colour = base x sqrt(luminance / mean luminance of the texels the
 * alpha test keeps), alpha kept. The square root halves the texture's contrast: its painted dark
 * and light regions (darker caps, lighter ends) then keep any view near the photo's colour.
 */
export function tintStrandTexture(style: Pick<HairStyleMesh, 'textureSize' | 'texture'>, base: readonly number[]): RgbaImage {
  const size = style.textureSize, src = style.texture;
  let sum = 0, weight = 0;
  for (let p = 0; p < size * size; p++) {
    if (src[2 * p + 1] < 128) continue;
    sum += SRGB_TO_LINEAR[src[2 * p]];
    weight++;
  }
  const mean = weight > 0 ? sum / weight : 1;
  const data = new Uint8ClampedArray(size * size * 4);
  for (let p = 0; p < size * size; p++) {
    const relative = Math.sqrt(SRGB_TO_LINEAR[src[2 * p]] / mean);
    for (let c = 0; c < 3; c++) data[4 * p + c] = linearToSrgb8(base[c] * relative);
    data[4 * p + 3] = src[2 * p + 1];
  }
  return { width: size, height: size, data };
}

/** Side of the opaque square (texels) the cap samples at: opaque at every mip level a head on screen uses. */
const CAP_SQUARE = 16;

/**
 * The (u, v) the cap samples: the centre of an opaque CAP_SQUARE-texel square whose centre texel's
 * grey is nearest the mean grey of the texels the alpha test keeps, so the cap takes the tone its
 * vertex colours give it, not a dark or light streak's.
 */
export function opaqueTexel(style: HairStyleMesh): [number, number] {
  const size = style.textureSize, texture = style.texture;
  let sum = 0, kept = 0;
  for (let p = 0; p < size * size; p++) if (texture[2 * p + 1] >= 128) { sum += texture[2 * p]; kept++; }
  const meanGrey = kept ? sum / kept : 128;
  // side[p]: the largest all-opaque square with its lower-right corner at p.
  const side = new Uint16Array(size * size);
  let best = -1, bestGap = Infinity, largest = 0, largestAt = 0;
  const half = CAP_SQUARE >> 1;
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const p = y * size + x;
    if (texture[2 * p + 1] < 250) continue;
    side[p] = x && y ? 1 + Math.min(side[p - size], side[p - 1], side[p - size - 1]) : 1;
    if (side[p] > largest) { largest = side[p]; largestAt = p; }
    if (side[p] < CAP_SQUARE) continue;
    const centre = (y - half) * size + (x - half);
    const gap = Math.abs(texture[2 * centre] - meanGrey);
    if (gap < bestGap) { bestGap = gap; best = p; }
  }
  // No square that large: the largest there is.
  const corner = best >= 0 ? best : largestAt, extent = best >= 0 ? CAP_SQUARE : largest;
  const cx = (corner % size) + 1 - extent / 2, cy = Math.floor(corner / size) + 1 - extent / 2;
  // Rows run top-down in the texture, v runs up.
  return [cx / size, 1 - cy / size];
}

/**
 * Directions (bins of the fitted head's radial profile) that hair lying on the scalp covers: each
 * such hair triangle is sampled finely enough to mark every bin it crosses.
 */
function coveredDirections(profile: RadialProfile, hairPositions: Float32Array, hairIndices: Uint32Array, skinDistance: Float32Array): Uint8Array {
  const covered = new Uint8Array(RadialProfile.BINS);
  const binSize = RadialProfile.BIN_ANGLE * 0.07; // metres across a bin at a scalp's radius, about
  for (let t = 0; t < hairIndices.length; t += 3) {
    const a = hairIndices[t], b = hairIndices[t + 1], c = hairIndices[t + 2];
    if (skinDistance[a] > ON_SCALP || skinDistance[b] > ON_SCALP || skinDistance[c] > ON_SCALP) continue;
    const edge = Math.max(distance3(hairPositions, a, b), distance3(hairPositions, b, c), distance3(hairPositions, c, a));
    const steps = Math.max(1, Math.ceil((2 * edge) / binSize));
    for (let i = 0; i <= steps; i++) for (let j = 0; i + j <= steps; j++) {
      const u = i / steps, v = j / steps, w = 1 - u - v;
      const point = (k: number) => w * hairPositions[3 * a + k] + u * hairPositions[3 * b + k] + v * hairPositions[3 * c + k];
      covered[profile.locate(point(0), point(1), point(2)).bin] = 1;
    }
  }
  return covered;
}

function distance3(positions: Float32Array, a: number, b: number): number {
  return Math.hypot(positions[3 * a] - positions[3 * b], positions[3 * a + 1] - positions[3 * b + 1], positions[3 * a + 2] - positions[3 * b + 2]);
}

/**
 * Per head vertex, the share of cap around it: 1 where hair on the scalp covers it, averaged with
 * its neighbours `passes` times, 0 where the cap may not go (the face). Cutting the cap at the
 * half-way contour of this field gives a rim that runs across the head's triangles instead of in
 * steps along them (the jagged hairline), and fills notches a vertex wide.
 */
function smoothedCoverage(capped: Uint8Array, eligible: Uint8Array, indices: Uint32Array, passes: number): Float32Array {
  const { offsets, neighbours } = vertexNeighbours(capped.length, indices);
  let field = Float32Array.from(capped), next = new Float32Array(capped.length);
  for (let pass = 0; pass < passes; pass++) {
    for (let v = 0; v < capped.length; v++) {
      let sum = field[v];
      for (let k = offsets[v]; k < offsets[v + 1]; k++) sum += field[neighbours[k]];
      next[v] = eligible[v] ? sum / (1 + offsets[v + 1] - offsets[v]) : 0;
    }
    [field, next] = [next, field];
  }
  return field;
}

/**
 * The scalp under the hair: fitted head triangles whose three vertices lie in directions (from the
 * cranium's centre) that hair on the scalp covers, away from the face, cut along the half-way contour of the smoothed coverage (smoothedCoverage), lifted
 * CAP_GAP along the normals.
 */
export function scalpCap(model: HeadModel, fittedVertices: Float32Array, fitted: FittedHair, hairIndices: Uint32Array): { positions: Float32Array; indices: Uint32Array } {
  const { profile, positions: hairPositions, skinDistance } = fitted;
  const covered = coveredDirections(profile, hairPositions, hairIndices, skinDistance);
  let browY = 0, browZ = 0;
  for (let k = 17; k <= 26; k++) { browY += fittedVertices[3 * model.landmarks68[k] + 1] / 10; browZ += fittedVertices[3 * model.landmarks68[k] + 2] / 10; }
  const n = model.vertexCount, capped = new Uint8Array(n), eligible = new Uint8Array(n);
  for (let v = 0; v < n; v++) {
    if (model.weldGroup[v] !== v || model.skinWeight[v] > 0.5) continue;
    const x = fittedVertices[3 * v], y = fittedVertices[3 * v + 1], z = fittedVertices[3 * v + 2];
    // The face's front (ahead of the ears' plane, roughly) is capped only well above the brows.
    if (y < browY + CAP_ABOVE_BROWS && z > browZ - 0.06) continue;
    eligible[v] = 1;
    capped[v] = covered[profile.locate(x, y, z).bin];
  }
  const welded = Uint32Array.from(model.indices, (v) => model.weldGroup[v]);
  const coverage = smoothedCoverage(capped, eligible, welded, CAP_RIM_SMOOTHING);
  const normals = computeVertexNormals(fittedVertices, model.indices, model.weldGroup);
  const positions: number[] = [];
  const indices: number[] = [];
  // One cap vertex per head vertex inside the contour and per head edge the contour crosses.
  const vertexIndex = new Int32Array(n).fill(-1);
  const edgeIndex = new Map<number, number>();
  const lifted = (v: number, k: number) => fittedVertices[3 * v + k] + CAP_GAP * normals[3 * v + k];
  const probe = skinProbe(model, fittedVertices);
  const inside = (v: number): number => {
    if (vertexIndex[v] < 0) {
      vertexIndex[v] = positions.length / 3;
      for (let k = 0; k < 3; k++) positions.push(lifted(v, k));
    }
    return vertexIndex[v];
  };
  const crossing = (a: number, b: number): number => {
    const key = Math.min(a, b) * n + Math.max(a, b);
    let index = edgeIndex.get(key);
    if (index === undefined) {
      index = positions.length / 3;
      edgeIndex.set(key, index);
      const t = (0.5 - coverage[a]) / (coverage[b] - coverage[a]);
      const point = [0, 1, 2].map((k) => (1 - t) * lifted(a, k) + t * lifted(b, k));
      // On the chord between two lifted vertices, the point may lie under the curved skin: lift it clear.
      const hit = probe(point[0], point[1], point[2]);
      if (hit && hit.distance < CAP_GAP) for (let k = 0; k < 3; k++) point[k] += (CAP_GAP - hit.distance) * hit.normal[k];
      positions.push(...point);
    }
    return index;
  };
  for (let t = 0; t < welded.length; t += 3) {
    const corners = [welded[t], welded[t + 1], welded[t + 2]];
    const isIn = corners.map((v) => coverage[v] >= 0.5);
    const count = isIn.filter(Boolean).length;
    if (count === 0) continue;
    if (count === 3) { indices.push(...corners.map(inside)); continue; }
    // Rotate so the corner alone on its side of the contour comes first (winding kept).
    const lone = count === 1 ? isIn.indexOf(true) : isIn.indexOf(false);
    const [a, b, c] = [corners[lone], corners[(lone + 1) % 3], corners[(lone + 2) % 3]];
    const ab = crossing(a, b), ac = crossing(a, c);
    if (count === 1) indices.push(inside(a), ab, ac);
    else indices.push(ab, inside(b), inside(c), ab, inside(c), ac);
  }
  return { positions: Float32Array.from(positions), indices: Uint32Array.from(indices) };
}

/** Metres around the neck's lowest vertex that count as its cut ring. */
const NECK_RING = 0.01;

/**
 * The strand triangles without those hanging below the head's neck cut within the neck's width:
 * there the neck of a body would hide them, and a head alone shows them under the chin, like a
 * beard (a ponytail's tail, the back layer of long hair). Hair beside the neck (over the
 * shoulders) stays.
 */
export function withoutHairBelowNeck(positions: Float32Array, indices: Uint32Array, fittedVertices: Float32Array): Uint32Array {
  let bottom = Infinity;
  for (let i = 1; i < fittedVertices.length; i += 3) bottom = Math.min(bottom, fittedVertices[i]);
  let left = Infinity, right = -Infinity;
  for (let i = 0; i < fittedVertices.length; i += 3) {
    if (fittedVertices[i + 1] > bottom + NECK_RING) continue;
    left = Math.min(left, fittedVertices[i]);
    right = Math.max(right, fittedVertices[i]);
  }
  const hidden = (v: number) => positions[3 * v + 1] < bottom && positions[3 * v] > left && positions[3 * v] < right;
  const kept: number[] = [];
  for (let t = 0; t < indices.length; t += 3) {
    if (hidden(indices[t]) && hidden(indices[t + 1]) && hidden(indices[t + 2])) continue;
    kept.push(indices[t], indices[t + 1], indices[t + 2]);
  }
  return Uint32Array.from(kept);
}

/** Metres above the brows' highest point where a fringe in front of the eyes is cut. */
const FRINGE_ABOVE_BROWS = 0.003;
/** Metres beside the outer eye corners that the fringe cut still spans. */
const FRINGE_SPAN_MARGIN = 0.008;
/** Metres behind the outer eye corners from which hair counts as in front of the face. */
const FRINGE_DEPTH = 0.01;

/** Strand geometry: fitted positions, texture coordinates and distance to the skin per vertex, and triangles. */
export interface Strands {
  positions: Float32Array;
  uvs: Float32Array;
  skinDistance: Float32Array;
  indices: Uint32Array;
}

/** The half-space `sign * (p[axis] - offset) >= 0`. */
interface HalfSpace { axis: number; sign: 1 | -1; offset: number }

/**
 * The box in front of the eyes where no strand may hang: below the brows' top, between the outer
 * eye corners, ahead of the face's sides. As the four disjoint convex pieces of the space outside
 * it (each an intersection of half-spaces): above the cut; beside it on either side; behind it.
 */
function outsideFringeBox(model: HeadModel, fittedVertices: Float32Array): HalfSpace[][] {
  const point = (k: number, axis: number) => fittedVertices[3 * model.landmarks68[k] + axis];
  let browTop = -Infinity;
  for (let k = 17; k <= 26; k++) browTop = Math.max(browTop, point(k, 1));
  // iBUG-68 36 and 45: the outer eye corners.
  const left = Math.min(point(36, 0), point(45, 0)) - FRINGE_SPAN_MARGIN, right = Math.max(point(36, 0), point(45, 0)) + FRINGE_SPAN_MARGIN;
  const front = Math.min(point(36, 2), point(45, 2)) - FRINGE_DEPTH, cut = browTop + FRINGE_ABOVE_BROWS;
  const below: HalfSpace = { axis: 1, sign: -1, offset: cut };
  return [
    [{ axis: 1, sign: 1, offset: cut }],
    [below, { axis: 0, sign: -1, offset: left }],
    [below, { axis: 0, sign: 1, offset: right }],
    [below, { axis: 0, sign: 1, offset: left }, { axis: 0, sign: -1, offset: right }, { axis: 2, sign: -1, offset: front }],
  ];
}

/**
 * The strands with what hangs in front of the eyes cut away (outsideFringeBox), triangles cut
 * exactly along the box so the fringe ends in a straight line above the brows. MakeHuman's bobs
 * sweep a fringe over one eye, down to the cheek; an avatar made from a photo that shows both eyes
 * must show them too (its eyes and lids are that photo's). Hair beside the face keeps its length.
 */
export function withoutFringeOverEyes(strands: Strands, model: HeadModel, fittedVertices: Float32Array): Strands {
  const pieces = outsideFringeBox(model, fittedVertices);
  const positions = Array.from(strands.positions), uvs = Array.from(strands.uvs), skinDistance = Array.from(strands.skinDistance);
  const side = (plane: HalfSpace, v: number) => plane.sign * (positions[3 * v + plane.axis] - plane.offset);
  const inside = (piece: HalfSpace[], v: number) => piece.every((plane) => side(plane, v) >= 0);
  // The point where edge a-b crosses `plane`, as a new vertex.
  const crossing = (plane: HalfSpace, a: number, b: number): number => {
    const t = side(plane, a) / (side(plane, a) - side(plane, b));
    for (let k = 0; k < 3; k++) positions.push(positions[3 * a + k] + t * (positions[3 * b + k] - positions[3 * a + k]));
    for (let k = 0; k < 2; k++) uvs.push(uvs[2 * a + k] + t * (uvs[2 * b + k] - uvs[2 * a + k]));
    skinDistance.push(skinDistance[a] + t * (skinDistance[b] - skinDistance[a]));
    return skinDistance.length - 1;
  };
  const kept: number[] = [];
  for (let t = 0; t < strands.indices.length; t += 3) {
    const corners = [strands.indices[t], strands.indices[t + 1], strands.indices[t + 2]];
    const whole = pieces.find((piece) => corners.every((v) => inside(piece, v)));
    if (whole) { kept.push(...corners); continue; }
    for (const piece of pieces) {
      // Sutherland-Hodgman: the triangle clipped to each half-space of the piece in turn.
      let polygon = corners;
      for (const plane of piece) {
        const clipped: number[] = [];
        polygon.forEach((a, i) => {
          const b = polygon[(i + 1) % polygon.length];
          const inA = side(plane, a) >= 0, inB = side(plane, b) >= 0;
          if (inA) clipped.push(a);
          if (inA !== inB) clipped.push(crossing(plane, a, b));
        });
        polygon = clipped;
        if (polygon.length < 3) break;
      }
      for (let k = 1; k + 1 < polygon.length; k++) kept.push(polygon[0], polygon[k], polygon[k + 1]);
    }
  }
  const out = { positions: Float32Array.from(positions), uvs: Float32Array.from(uvs), skinDistance: Float32Array.from(skinDistance), indices: Uint32Array.from(kept) };
  // A cut's new corners lie on the chords between fitted corners, which may pass under the curved
  // skin. Most styles hang nothing over the eyes and need no probe of the skin built.
  const first = strands.positions.length / 3;
  if (out.positions.length / 3 > first) pushOutOfSkin(out.positions, out.skinDistance, skinProbe(model, fittedVertices), first);
  return out;
}

export function buildHairMesh(style: HairStyleMesh, model: HeadModel, fittedVertices: Float32Array, tone: HairTone): HairMesh {
  const fitted = fitHair(style.positions, style.indices, model, fittedVertices);
  const strands = withoutFringeOverEyes(
    { positions: fitted.positions, uvs: style.uvs, skinDistance: fitted.skinDistance, indices: withoutHairBelowNeck(fitted.positions, style.indices, fittedVertices) },
    model, fittedVertices,
  );
  const cap = scalpCap(model, fittedVertices, { ...fitted, positions: strands.positions, skinDistance: strands.skinDistance }, strands.indices);
  const capCount = cap.positions.length / 3, strandCount = strands.positions.length / 3, n = capCount + strandCount;
  const positions = new Float32Array(n * 3);
  positions.set(cap.positions);
  positions.set(strands.positions, capCount * 3);
  const indices = new Uint32Array(cap.indices.length + strands.indices.length);
  indices.set(cap.indices);
  for (let k = 0; k < strands.indices.length; k++) indices[cap.indices.length + k] = strands.indices[k] + capCount;
  const uvs = new Float32Array(n * 2);
  const [capU, capV] = opaqueTexel(style);
  for (let i = 0; i < capCount; i++) { uvs[2 * i] = capU; uvs[2 * i + 1] = capV; }
  uvs.set(strands.uvs, capCount * 2);
  const vertexColours = new Float32Array(n * 3);
  // A quarter of the way (geometrically) from the base to the root tone: the gaps show deeper,
  // shadowed hair, but MakeHuman's cards leave gaps wider than real hair does, and at half way or
  // more they read as holes.
  const capShade = [0, 1, 2].map((c) => (tone.base[c] > 1e-4 ? Math.min(1, tone.root[c] / tone.base[c]) ** 0.25 : 1));
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) vertexColours[3 * i + c] = i < capCount ? capShade[c] : 1;
  }
  const pivot = new Float32Array(3);
  for (let i = 0; i < strandCount; i++) for (let a = 0; a < 3; a++) pivot[a] += strands.positions[3 * i + a] / strandCount;
  return {
    part: { name: 'hair', positions, indices, uvs, pivot, material: 'hair' },
    vertexColours,
    texture: tintStrandTexture(style, tone.base),
    penetrationMm: fitted.penetrationMm,
  };
}

/**
 * Per-vertex tangents along the strand texture's u (xyz, and handedness w as glTF's TANGENT), for
 * anisotropic highlights that run smoothly along the strands: without them Babylon derives a
 * tangent per triangle from screen-space derivatives and the highlight breaks into facets. The cap
 * samples one texel (no u direction): its tangents are any direction across its normal.
 */
export function strandTangents(positions: Float32Array, indices: Uint32Array, uvs: Float32Array, normals: Float32Array): Float32Array {
  const n = positions.length / 3;
  const tangent = new Float32Array(n * 3), bitangent = new Float32Array(n * 3);
  for (let t = 0; t < indices.length; t += 3) {
    const a = indices[t], b = indices[t + 1], c = indices[t + 2];
    const du1 = uvs[2 * b] - uvs[2 * a], dv1 = uvs[2 * b + 1] - uvs[2 * a + 1];
    const du2 = uvs[2 * c] - uvs[2 * a], dv2 = uvs[2 * c + 1] - uvs[2 * a + 1];
    const det = du1 * dv2 - du2 * dv1;
    if (Math.abs(det) < 1e-12) continue;
    for (let k = 0; k < 3; k++) {
      const e1 = positions[3 * b + k] - positions[3 * a + k], e2 = positions[3 * c + k] - positions[3 * a + k];
      const tk = (e1 * dv2 - e2 * dv1) / det, bk = (e2 * du1 - e1 * du2) / det;
      for (const v of [a, b, c]) { tangent[3 * v + k] += tk; bitangent[3 * v + k] += bk; }
    }
  }
  const out = new Float32Array(n * 4);
  for (let v = 0; v < n; v++) {
    const nx = normals[3 * v], ny = normals[3 * v + 1], nz = normals[3 * v + 2];
    let tx = tangent[3 * v], ty = tangent[3 * v + 1], tz = tangent[3 * v + 2];
    const along = tx * nx + ty * ny + tz * nz;
    tx -= along * nx; ty -= along * ny; tz -= along * nz;
    let length = Math.hypot(tx, ty, tz);
    if (length < 1e-9) {
      // Across the normal: the axis it is least along, made perpendicular.
      const ax = Math.abs(nx) < 0.9 ? 1 : 0, ay = 1 - ax;
      tx = ay * nz; ty = -ax * nz; tz = ax * ny - ay * nx;
      length = Math.hypot(tx, ty, tz) || 1;
    }
    tx /= length; ty /= length; tz /= length;
    // Handedness: whether normal x tangent points along the accumulated bitangent.
    const cx = ny * tz - nz * ty, cy = nz * tx - nx * tz, cz = nx * ty - ny * tx;
    const w = cx * bitangent[3 * v] + cy * bitangent[3 * v + 1] + cz * bitangent[3 * v + 2] < 0 ? -1 : 1;
    out.set([tx, ty, tz, w], 4 * v);
  }
  return out;
}

export type { HairStyle };
