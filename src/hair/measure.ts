/**
 * Hair measurements for benches and tests: the rendered hair's colour under neutral light (also
 * the build's per-style tint gains), and how much hair colour the skin albedo kept under the
 * photo's hair mask.
 */
import type { AvatarData, Mask, PinholeCamera, RgbaImage } from '../types.js';
import type { HairMesh } from './hair-mesh.js';
import { expressedVertices } from '../export/avatar-rig.js';
import { unwrapPhoto } from '../albedo/unwrap.js';
import { SRGB_TO_LINEAR } from '../image/srgb.js';
import { projectToImage } from '../render/project.js';
import { createRasterTarget, rasterizeTriangles } from '../render/rasterize.js';
import { buildPreviewScene, renderView, sampleLinear, SUPERSAMPLING, textureAlpha, type PreviewView } from '../render/preview.js';
import { createEyeTexture } from '../materials/eye-texture.js';
import { deltaE76 } from './colour-space.js';
import { depthInClosing } from '../image/chamfer-distance.js';
import { VertexGrid } from '../modelpack/makehuman-head/nearest.js';
import { headTopology } from '../modelpack/mesh-utils.js';
import { EAR_CLEARANCE, earCover, earVertices } from './ears.js';

/** The renderers' alpha test on the hair mesh's triangles (texture alpha at 0.5, bilinear), as a rasterizer `accept`. */
function hairAlphaTest(mesh: HairMesh): (t: number, b1: number, b2: number) => boolean {
  const { indices, uvs } = mesh.part;
  return (t, b1, b2) => {
    const a = 2 * indices[3 * t], b = 2 * indices[3 * t + 1], c = 2 * indices[3 * t + 2], b0 = 1 - b1 - b2;
    return textureAlpha(mesh.texture, b0 * uvs[a] + b1 * uvs[b] + b2 * uvs[c], b0 * uvs[a + 1] + b1 * uvs[b + 1] + b2 * uvs[c + 1]) >= 0.5;
  };
}

/**
 * The hair rendered from the photo's camera under unit white light (texture x root tone,
 * alpha-tested at 0.5): its mean linear colour over the pixels the photo's hair mask covers.
 */
export function hairRenderStats(data: AvatarData): { meanColour: [number, number, number]; pixels: number } {
  const mask = data.hair!.detected!.mask!;
  return renderedHairColour(data.hair!.mesh!, data.camera, mask.width, mask.height, mask);
}

/**
 * The hair mesh rendered from `camera` into a width x height image under unit white light
 * (texture x vertex colours, alpha-tested at 0.5): its mean linear colour over the pixels it
 * covers, or over those of them that `mask` also covers.
 */
export function renderedHairColour(mesh: HairMesh, camera: PinholeCamera, width: number, height: number, mask?: Mask): { meanColour: [number, number, number]; pixels: number } {
  const { positions, indices, uvs } = mesh.part;
  const screen = projectToImage(positions, camera);
  const corner = (t: number, b1: number, b2: number, values: Float32Array, stride: number, k: number) =>
    (1 - b1 - b2) * values[stride * indices[3 * t] + k] + b1 * values[stride * indices[3 * t + 1] + k] + b2 * values[stride * indices[3 * t + 2] + k];
  const target = createRasterTarget(width, height);
  rasterizeTriangles(target, screen, indices, { accept: hairAlphaTest(mesh) });
  const sum = [0, 0, 0], colour = new Float32Array(3);
  let pixels = 0;
  for (let p = 0; p < target.triangle.length; p++) {
    const t = target.triangle[p];
    if (t < 0 || (mask && !mask.data[p])) continue;
    const b1 = target.bary[2 * p], b2 = target.bary[2 * p + 1];
    sampleLinear(mesh.texture, corner(t, b1, b2, uvs, 2, 0), corner(t, b1, b2, uvs, 2, 1), colour);
    for (let c = 0; c < 3; c++) sum[c] += colour[c] * corner(t, b1, b2, mesh.vertexColours, 3, c);
    pixels++;
  }
  return { meanColour: sum.map((s) => s / Math.max(1, pixels)) as [number, number, number], pixels };
}

/**
 * Skin showing where the photo shows hair: from the photo's camera, the share of the pixels that
 * the photo's hair mask and the fitted head both cover in which the skin is seen, not the hair
 * (alpha-tested at 0.5). Gaps between strand cards and a hairline lower in the photo than on the
 * style both count. Only the head above the chin (iBUG-68 8) counts: below it lies the neck, where
 * long hair hanging over a shoulder in the photo says which style fits, not whether the scalp shows.
 */
export function scalpShowThrough(data: AvatarData): { share: number; pixels: number } {
  const mesh = data.hair?.mesh, mask = data.hair?.detected?.mask;
  if (!mesh || !mask) return { share: 0, pixels: 0 };
  const { model, neutralVertices: V } = data;
  const chinY = V[3 * model.landmarks68[8] + 1];
  const target = createRasterTarget(mask.width, mask.height);
  rasterizeTriangles(target, projectToImage(expressedVertices(data), data.camera), model.indices, {
    cull: 'back',
    accept: (t) => V[3 * model.indices[3 * t] + 1] + V[3 * model.indices[3 * t + 1] + 1] + V[3 * model.indices[3 * t + 2] + 1] > 3 * chinY,
  });
  const head = target.triangle.slice();
  target.triangle.fill(-1);
  const { positions, indices } = mesh.part;
  rasterizeTriangles(target, projectToImage(positions, data.camera), indices, { accept: hairAlphaTest(mesh) });
  let pixels = 0, skin = 0;
  for (let p = 0; p < head.length; p++) {
    if (head[p] < 0 || !mask.data[p]) continue;
    pixels++;
    if (target.triangle[p] < 0) skin++;
  }
  return { share: pixels ? skin / pixels : 0, pixels };
}

/** Surface each texel of a triangle stands for: the triangle's rest-shape area over its UV area. */
function surfacePerTexel(model: AvatarData['model'], t: number): number {
  const { positions: P, uvs, indices } = model;
  const a = indices[3 * t], b = indices[3 * t + 1], c = indices[3 * t + 2];
  const e1x = P[3 * b] - P[3 * a], e1y = P[3 * b + 1] - P[3 * a + 1], e1z = P[3 * b + 2] - P[3 * a + 2];
  const e2x = P[3 * c] - P[3 * a], e2y = P[3 * c + 1] - P[3 * a + 1], e2z = P[3 * c + 2] - P[3 * a + 2];
  const area = Math.hypot(e1y * e2z - e1z * e2y, e1z * e2x - e1x * e2z, e1x * e2y - e1y * e2x);
  const uvArea = Math.abs((uvs[2 * b] - uvs[2 * a]) * (uvs[2 * c + 1] - uvs[2 * a + 1]) - (uvs[2 * c] - uvs[2 * a]) * (uvs[2 * b + 1] - uvs[2 * a + 1]));
  return uvArea > 0 ? area / uvArea : 0;
}

/**
 * Share of the head's forehead and scalp skin surface (above the brows, iBUG 17-26) that the photo
 * shows under its hair mask (visible, facing the camera) and whose albedo kept hair colour: nearer
 * the hair's base colour than the skin albedo's median (CIE76). The target is under 2 %. Each
 * texel counts with the surface it stands for, so the share does not depend on how many texels
 * the UV layout gives the forehead against the scalp (the face-magnifying layout gives the forehead
 * several times the scalp's). `texels`: how many texels were measured.
 */
export function hairInSkinShare(data: AvatarData, image: RgbaImage): { share: number; texels: number; hairMask: Mask } {
  const hairMask = data.hair!.detected!.mask!;
  const { albedo, model } = data;
  const unwrap = unwrapPhoto({ image, model, vertices: expressedVertices(data), camera: data.camera, skinMask: hairMask, faceMask: hairMask }, albedo.width);
  const { raster } = unwrap;
  const vertices = expressedVertices(data);
  let browY = 0;
  for (let k = 17; k <= 26; k++) browY += vertices[3 * model.landmarks68[k] + 1] / 10;
  const { indices } = model;
  const texelY = (i: number): number => {
    const t = raster.triangle[i], b1 = raster.bary[2 * i], b2 = raster.bary[2 * i + 1];
    return (1 - b1 - b2) * vertices[3 * indices[3 * t] + 1] + b1 * vertices[3 * indices[3 * t + 1] + 1] + b2 * vertices[3 * indices[3 * t + 2] + 1];
  };
  const texelColour = (i: number): number[] => [0, 1, 2].map((c) => SRGB_TO_LINEAR[albedo.data[4 * raster.texel[i] + c]]);
  const skin: number[][] = [[], [], []];
  for (let i = 0; i < raster.texel.length; i++) if (raster.skin[i] > 0.5) texelColour(i).forEach((v, c) => skin[c].push(v));
  const skinMedian = skin.map((values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0);
  let texels = 0, surface = 0, hairySurface = 0;
  for (let i = 0; i < raster.texel.length; i++) {
    if (unwrap.weight[i] <= 0 || texelY(i) < browY) continue;
    texels++;
    const weight = surfacePerTexel(model, raster.triangle[i]);
    surface += weight;
    const colour = texelColour(i);
    if (deltaE76(colour, data.hair!.base) < deltaE76(colour, skinMedian)) hairySurface += weight;
  }
  return { share: surface > 0 ? hairySurface / surface : 0, texels, hairMask };
}

/** Views of the crown: from straight above, and from behind and 45 degrees above. */
export const CROWN_VIEWS: readonly PreviewView[] = [{ yawRad: 0, elevationRad: Math.PI / 2 }, { yawRad: Math.PI, elevationRad: Math.PI / 4 }];
/** A hair pixel counts as a dark blotch below this share of the median strand luminance of its tile. */
export const BLOTCH_BELOW = 0.7;
/** Side of the tiles (pixels of the supersampled view) whose strand median a pixel is compared with. */
const BLOTCH_TILE = 24;

export interface CrownTone {
  /** Mean rendered linear luminance of the scalp cap's visible pixels over that of the strands' (1: the cap reads as the strands do). */
  capToStrand: number;
  /** Share of the hair pixels darker than BLOTCH_BELOW x the median strand luminance of their tile. */
  darkShare: number;
  /** Share of the hair pixels where the cap shows between the strands. */
  capShare: number;
  /** Hair pixels measured (supersampled). */
  pixels: number;
}

/**
 * How the scalp cap reads between the strands on the crown, in the preview renderer (its studio
 * light, alpha test at 0.5) from CROWN_VIEWS at `size` pixels a side: the cap's rendered tone
 * against the strands', and the share of hair pixels that are dark blotches against the strands
 * around them (tiles of BLOTCH_TILE pixels).
 */
export function crownCapTone(data: AvatarData, size = 256): CrownTone {
  const mesh = data.hair?.mesh;
  if (!mesh) return { capToStrand: 1, darkShare: 0, capShare: 0, pixels: 0 };
  const scene = buildPreviewScene(data, data.expression, { hair: true });
  const firstHair = (scene.indices.length - mesh.part.indices.length) / 3, firstStrand = firstHair + mesh.capTriangles;
  const eyeTexture = createEyeTexture({ irisColor: data.irisColor });
  const side = size * SUPERSAMPLING, background = new Float32Array(3);
  let capSum = 0, capPixels = 0, strandSum = 0, strandPixels = 0, dark = 0, pixels = 0;
  for (const view of CROWN_VIEWS) {
    const target = createRasterTarget(side, side);
    const accum = new Float32Array(side * side * 3);
    renderView(scene, view, target, data.albedo, eyeTexture, background, accum);
    const luminance = (p: number) => 0.2126 * accum[3 * p] + 0.7152 * accum[3 * p + 1] + 0.0722 * accum[3 * p + 2];
    const tiles = Math.ceil(side / BLOTCH_TILE);
    const strandsInTile: number[][] = Array.from({ length: tiles * tiles }, () => []);
    const tileOf = (p: number) => Math.floor((p / side) / BLOTCH_TILE) * tiles + Math.floor((p % side) / BLOTCH_TILE);
    for (let p = 0; p < side * side; p++) {
      const t = target.triangle[p];
      if (t < firstHair) continue;
      const y = luminance(p);
      if (t < firstStrand) { capSum += y; capPixels++; }
      else { strandSum += y; strandPixels++; strandsInTile[tileOf(p)].push(y); }
    }
    const median = strandsInTile.map((values) => (values.length ? values.sort((a, b) => a - b)[values.length >> 1] : 0));
    for (let p = 0; p < side * side; p++) {
      if (target.triangle[p] < firstHair) continue;
      pixels++;
      if (luminance(p) < BLOTCH_BELOW * median[tileOf(p)]) dark++;
    }
  }
  const strandMean = strandSum / Math.max(1, strandPixels);
  return {
    capToStrand: capPixels && strandMean > 0 ? capSum / capPixels / strandMean : 1,
    darkShare: pixels ? dark / pixels : 0,
    capShare: pixels ? capPixels / pixels : 0,
    pixels,
  };
}

/** Views the hair's holes are counted from: front, three-quarter, profile, and front from 35 degrees above. */
export const HOLE_VIEWS: readonly PreviewView[] = [
  { yawRad: 0 },
  { yawRad: (35 * Math.PI) / 180 },
  { yawRad: Math.PI / 2 },
  { yawRad: 0, elevationRad: (35 * Math.PI) / 180 },
];
/** Radius of the closing that fills the hair silhouette's holes, as a share of the view's side: gaps up to about twice this wide count. */
export const HOLE_CLOSING_RADIUS = 0.012;
/**
 * Depth inside the closing's outline (a share of the view's side, 3 supersampled pixels at 256)
 * from which a skin pixel counts: the outline's own staircase (the alpha test's) and the shallow
 * notches between a fringe's tips do not.
 */
const HOLE_MIN_DEPTH = 0.006;

export interface HairHoles {
  /** Head-skin pixels above the brows inside the closed hair silhouette but not hair, over the hair pixels (all views). */
  share: number;
  /** Such skin pixels, and the hair pixels, summed over the views (supersampled). */
  holes: number;
  hairPixels: number;
  /** Per view (HOLE_VIEWS order), its holes over its hair pixels. */
  perView: number[];
  /**
   * Scalp cap pixels outside the strands' own closed silhouette (the same closing), over the hair
   * pixels: the cap showing as a rim past the strands, which would read as a helmet.
   */
  capBeyondStrands: number;
  /** Per view, the supersampled render (linear RGB) and 1 where a hole pixel is: for looking at them. */
  renders?: { side: number; accum: Float32Array; hole: Uint8Array }[];
}

/**
 * Views the sideburns' holes are counted from: three-quarter, half-profile and profile, from either
 * side (the sideburns in front of the ears face sideways; the front view sees them edge-on).
 */
export const SIDEBURN_VIEWS: readonly PreviewView[] = [35, -35, 60, -60, 90, -90].map((deg) => ({ yawRad: (deg * Math.PI) / 180 }));
/**
 * Metres from an ear vertex within which skin below the brows does not count as a hole: the ears
 * a short crop is cut round (EAR_CLEARANCE) show whole by design, and so does the strip of skin
 * between the cut and the ear, which the silhouette's closing takes in.
 */
const EAR_MARGIN = EAR_CLEARANCE + 0.002;

/** Where on the head skin pixels count as holes: above the brows (the scalp), or below them off the ears (the sideburns). */
export type HoleRegion = 'scalp' | 'sideburns';

/**
 * Skin seen through holes in the hair, in the preview renderer (alpha test at 0.5) from `views`
 * (default HOLE_VIEWS) at `size` pixels a side: the hair silhouette (cap and strands) is closed (a
 * disc of radius HOLE_CLOSING_RADIUS x the side), and the head's skin pixels that the closing
 * covers are holes: streaks and specks between strands, gaps that the cap leaves under them. Skin
 * outside the hair's outline (the forehead under the fringe's cut, the face) is not in the closing.
 * `region` 'scalp' (default) counts skin above the brows (the iBUG 17-26 mean height); 'sideburns'
 * counts skin below them, off the ears (EAR_MARGIN), as the side views (SIDEBURN_VIEWS) see it
 * between the sideburn strands in front of the ears, where the scalp cap used not to go. The share
 * is of the hair pixels.
 */
export function hairHoles(data: AvatarData, options: { size?: number; keepRenders?: boolean; views?: readonly PreviewView[]; region?: HoleRegion } = {}): HairHoles {
  const mesh = data.hair?.mesh;
  const size = options.size ?? 256, views = options.views ?? HOLE_VIEWS, region = options.region ?? 'scalp';
  if (!mesh) return { share: 0, holes: 0, hairPixels: 0, perView: views.map(() => 0), capBeyondStrands: 0 };
  const scene = buildPreviewScene(data, data.expression, { hair: true });
  const firstHair = (scene.indices.length - mesh.part.indices.length) / 3, firstStrand = firstHair + mesh.capTriangles, headTriangles = data.model.indices.length / 3;
  const { positions, indices } = scene;
  let browY = 0;
  for (let k = 17; k <= 26; k++) browY += positions[3 * data.model.landmarks68[k] + 1] / 10;
  const ear = earVertices(data.model, positions.subarray(0, 3 * data.model.vertexCount));
  const nearEar = new VertexGrid(positions, 0.01, (v) => v < data.model.vertexCount && ear[v] === 1);
  const offEar = (x: number, y: number, z: number): boolean => {
    const e = nearEar.nearest(x, y, z, undefined, 2);
    return e < 0 || Math.hypot(positions[3 * e] - x, positions[3 * e + 1] - y, positions[3 * e + 2] - z) > EAR_MARGIN;
  };
  const counts = region === 'scalp' ? (_x: number, y: number) => y >= browY : (x: number, y: number, z: number) => y < browY && offEar(x, y, z);
  const eyeTexture = createEyeTexture({ irisColor: data.irisColor });
  const side = size * SUPERSAMPLING, background = new Float32Array(3);
  const radius = Math.max(1, Math.round(HOLE_CLOSING_RADIUS * side)), minDepth = HOLE_MIN_DEPTH * side;
  let holes = 0, hairPixels = 0, capBeyond = 0;
  const perView: number[] = [], renders: NonNullable<HairHoles['renders']> = [];
  for (const view of views) {
    const target = createRasterTarget(side, side);
    const accum = new Float32Array(side * side * 3);
    renderView(scene, view, target, data.albedo, eyeTexture, background, accum);
    const hair = new Uint8Array(side * side);
    let viewHair = 0;
    for (let p = 0; p < side * side; p++) if (target.triangle[p] >= firstHair) { hair[p] = 1; viewHair++; }
    const closed = depthInClosing(hair, side, side, radius);
    const strandsClosed = depthInClosing(Uint8Array.from(target.triangle, (t) => (t >= firstStrand ? 1 : 0)), side, side, radius);
    for (let p = 0; p < side * side; p++) if (target.triangle[p] >= firstHair && target.triangle[p] < firstStrand && strandsClosed[p] <= 0) capBeyond++;
    const hole = new Uint8Array(side * side);
    let viewHoles = 0;
    for (let p = 0; p < side * side; p++) {
      const t = target.triangle[p];
      if (closed[p] <= minDepth || t < 0 || t >= headTriangles) continue;
      const b1 = target.bary[2 * p], b2 = target.bary[2 * p + 1];
      const at = (k: number) => (1 - b1 - b2) * positions[3 * indices[3 * t] + k] + b1 * positions[3 * indices[3 * t + 1] + k] + b2 * positions[3 * indices[3 * t + 2] + k];
      if (!counts(at(0), at(1), at(2))) continue;
      hole[p] = 1;
      viewHoles++;
    }
    holes += viewHoles;
    hairPixels += viewHair;
    perView.push(viewHair ? viewHoles / viewHair : 0);
    if (options.keepRenders) renders.push({ side, accum, hole });
  }
  return { share: hairPixels ? holes / hairPixels : 0, holes, hairPixels, perView, capBeyondStrands: hairPixels ? capBeyond / hairPixels : 0, ...(options.keepRenders ? { renders } : {}) };
}

/** Metres per cell of the grid that pairs edges with the triangles they may cross. */
const CROSSING_CELL = 0.01;

/** Triangles per grid cell their bounding boxes touch (keys: packed cell coordinates). */
function triangleCells(positions: Float32Array, indices: Uint32Array): Map<number, number[]> {
  const cells = new Map<number, number[]>();
  const cellOf = (value: number) => Math.floor(value / CROSSING_CELL) + 512;
  for (let t = 0; t < indices.length / 3; t++) {
    const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
    for (let k = 0; k < 3; k++) for (let a = 0; a < 3; a++) {
      const value = positions[3 * indices[3 * t + k] + a];
      lo[a] = Math.min(lo[a], value); hi[a] = Math.max(hi[a], value);
    }
    for (let x = cellOf(lo[0]); x <= cellOf(hi[0]); x++) for (let y = cellOf(lo[1]); y <= cellOf(hi[1]); y++) for (let z = cellOf(lo[2]); z <= cellOf(hi[2]); z++) {
      const key = (x * 1024 + y) * 1024 + z;
      let list = cells.get(key);
      if (!list) cells.set(key, (list = []));
      list.push(t);
    }
  }
  return cells;
}

/** Whether segment p -> p + d crosses triangle t (Moller-Trumbore, ends included). */
function segmentCrosses(px: number, py: number, pz: number, dx: number, dy: number, dz: number, P: Float32Array, I: Uint32Array, t: number): boolean {
  const a = 3 * I[3 * t], b = 3 * I[3 * t + 1], c = 3 * I[3 * t + 2];
  const e1x = P[b] - P[a], e1y = P[b + 1] - P[a + 1], e1z = P[b + 2] - P[a + 2];
  const e2x = P[c] - P[a], e2y = P[c + 1] - P[a + 1], e2z = P[c + 2] - P[a + 2];
  const qx = dy * e2z - dz * e2y, qy = dz * e2x - dx * e2z, qz = dx * e2y - dy * e2x;
  const det = e1x * qx + e1y * qy + e1z * qz;
  if (Math.abs(det) < 1e-14) return false;
  const sx = px - P[a], sy = py - P[a + 1], sz = pz - P[a + 2];
  const u = (sx * qx + sy * qy + sz * qz) / det;
  if (u < 0 || u > 1) return false;
  const rx = sy * e1z - sz * e1y, ry = sz * e1x - sx * e1z, rz = sx * e1y - sy * e1x;
  const v = (dx * rx + dy * ry + dz * rz) / det;
  if (v < 0 || u + v > 1) return false;
  const along = (e2x * rx + e2y * ry + e2z * rz) / det;
  return along >= 0 && along <= 1;
}

/**
 * Edges of mesh A crossing triangles of mesh B: per crossing, the A edge's first corner is
 * reported to `hit`. Segments are paired with the triangles in the grid cells they pass (sampled
 * every half cell).
 */
function edgeCrossings(A: Float32Array, AI: Uint32Array, B: Float32Array, BI: Uint32Array, hit: (corner: number) => void): void {
  const cells = triangleCells(B, BI);
  const cellOf = (value: number) => Math.floor(value / CROSSING_CELL) + 512;
  const seen = new Set<number>(), done = new Set<number>();
  for (let t = 0; t < AI.length / 3; t++) for (let k = 0; k < 3; k++) {
    const i = AI[3 * t + k], j = AI[3 * t + ((k + 1) % 3)];
    const key = Math.min(i, j) * 4194304 + Math.max(i, j);
    if (done.has(key)) continue;
    done.add(key);
    const px = A[3 * i], py = A[3 * i + 1], pz = A[3 * i + 2], dx = A[3 * j] - px, dy = A[3 * j + 1] - py, dz = A[3 * j + 2] - pz;
    seen.clear();
    const steps = Math.ceil(Math.hypot(dx, dy, dz) / (CROSSING_CELL / 2));
    for (let step = 0; step <= steps; step++) {
      const f = step / steps;
      const list = cells.get((cellOf(px + f * dx) * 1024 + cellOf(py + f * dy)) * 1024 + cellOf(pz + f * dz));
      if (list) for (const s of list) seen.add(s);
    }
    for (const s of seen) if (segmentCrosses(px, py, pz, dx, dy, dz, B, BI, s)) hit(i);
  }
}

/**
 * Where the hair intersects the skin: crossings of the head's edges through the hair's triangles
 * and of the hair's edges through the head's (the fitted neutral head, cap and strands alike), in
 * all and on the ears (./ears.ts: a head edge from an ear vertex, or a hair edge whose first corner
 * lies within `earReach` metres of one).
 */
export function hairSkinCrossings(data: AvatarData, earReach = 0.01): { crossings: number; onEars: number } {
  const mesh = data.hair?.mesh;
  if (!mesh) return { crossings: 0, onEars: 0 };
  const { model } = data, head = data.neutralVertices;
  const welded = headTopology(model, true).indices;
  const ear = earVertices(model, head);
  const near = new VertexGrid(head, 0.01, (v) => ear[v] === 1);
  const { positions, indices } = mesh.part;
  let crossings = 0, onEars = 0;
  edgeCrossings(head, welded, positions, indices, (v) => { crossings++; if (ear[v]) onEars++; });
  edgeCrossings(positions, indices, head, welded, (v) => {
    crossings++;
    const e = near.nearest(positions[3 * v], positions[3 * v + 1], positions[3 * v + 2], undefined, 2);
    if (e >= 0 && Math.hypot(head[3 * e] - positions[3 * v], head[3 * e + 1] - positions[3 * v + 1], head[3 * e + 2] - positions[3 * v + 2]) < earReach) onEars++;
  });
  return { crossings, onEars };
}

/**
 * Per side of the head (-x, +x), the share of the ear seen from that side that the hair (cap and
 * strands, alpha-tested at 0.5) hides (./ears.ts earCover).
 */
export function earsHidden(data: AvatarData): [number, number] {
  const mesh = data.hair?.mesh;
  if (!mesh) return [0, 0];
  const { positions, indices } = mesh.part;
  return earCover(data.model, data.neutralVertices, earVertices(data.model, data.neutralVertices), { positions, indices },
    hairAlphaTest(mesh));
}

/** Metres of hairline over which its smooth course is averaged (hairlineRoughness): wider than the alpha test's staircase steps were (about 5 mm). */
const HAIRLINE_SMOOTHING = 0.008;
/** Metres a hairline column may sit off its smooth course, beyond its neighbour's offset, before it counts as a step. */
const HAIRLINE_STEP = 0.001;

export interface HairlineRoughness {
  /** RMS of the hairline's height about its moving average over HAIRLINE_SMOOTHING (metres). */
  rms: number;
  /** Neighbouring columns whose offsets from that average differ by more than HAIRLINE_STEP: the staircase's risers. */
  steps: number;
  /** Columns measured, and the metres of forehead across them. */
  columns: number;
  width: number;
}

/**
 * How ragged the hairline across the forehead is, seen from the front in the preview renderer
 * (alpha test at 0.5) at `size` pixels a side: per column between the outer eye corners, going up
 * from the brows, the first hair pixel (cap or strands) is the hairline, its height the model-space
 * y of the surface seen there. Its offset from its own moving average over HAIRLINE_SMOOTHING is
 * what a staircase or notches add to a smooth edge: `rms` and the count of jumps over HAIRLINE_STEP
 * between neighbouring columns. Columns with no hair within 8 cm above the brows do not count.
 */
export function hairlineRoughness(data: AvatarData, size = 512): HairlineRoughness {
  const mesh = data.hair?.mesh;
  const none = { rms: 0, steps: 0, columns: 0, width: 0 };
  if (!mesh) return none;
  const scene = buildPreviewScene(data, data.expression, { hair: true });
  const firstHair = (scene.indices.length - mesh.part.indices.length) / 3;
  const { positions, indices } = scene;
  const side = size * SUPERSAMPLING;
  const target = createRasterTarget(side, side);
  renderView(scene, { yawRad: 0 }, target, data.albedo, createEyeTexture({ irisColor: data.irisColor }), new Float32Array(3), new Float32Array(side * side * 3));
  const surface = (p: number, k: number) => {
    const t = target.triangle[p], b1 = target.bary[2 * p], b2 = target.bary[2 * p + 1];
    return (1 - b1 - b2) * positions[3 * indices[3 * t] + k] + b1 * positions[3 * indices[3 * t + 1] + k] + b2 * positions[3 * indices[3 * t + 2] + k];
  };
  const landmark = (k: number, axis: number) => positions[3 * data.model.landmarks68[k] + axis];
  let browY = 0;
  for (let k = 17; k <= 26; k++) browY += landmark(k, 1) / 10;
  const left = Math.min(landmark(36, 0), landmark(45, 0)), right = Math.max(landmark(36, 0), landmark(45, 0));
  // Per column: the model x and the hairline's y, found from the row where the head seen there is at the brows' height.
  const xs: number[] = [], heights: number[] = [];
  for (let x = 0; x < side; x++) {
    let start = -1;
    for (let y = side - 1; y >= 0; y--) {
      const p = y * side + x;
      if (target.triangle[p] < 0 || target.triangle[p] >= firstHair) continue;
      if (surface(p, 1) >= browY) { start = y; break; }
    }
    if (start < 0) continue;
    const px = surface(start * side + x, 0);
    if (px < left || px > right) continue;
    for (let y = start; y >= 0; y--) {
      const p = y * side + x, t = target.triangle[p];
      if (t < 0) break;
      if (t < firstHair) continue;
      const height = surface(p, 1);
      if (height - browY <= 0.08) { xs.push(px); heights.push(height); }
      break;
    }
  }
  const n = heights.length;
  if (n < 2) return none;
  const width = Math.abs(xs[n - 1] - xs[0]), window = Math.max(1, Math.round((HAIRLINE_SMOOTHING / Math.max(1e-6, width / n)) / 2));
  const offsets = new Float64Array(n);
  let sumSquares = 0;
  for (let i = 0; i < n; i++) {
    let sum = 0, count = 0;
    for (let j = Math.max(0, i - window); j <= Math.min(n - 1, i + window); j++) { sum += heights[j]; count++; }
    offsets[i] = heights[i] - sum / count;
    sumSquares += offsets[i] ** 2;
  }
  let steps = 0;
  for (let i = 1; i < n; i++) if (Math.abs(offsets[i] - offsets[i - 1]) > HAIRLINE_STEP) steps++;
  return { rms: Math.sqrt(sumSquares / n), steps, columns: n, width };
}

export interface HairlineAgainstPhoto {
  /** Per forehead column, the avatar's hairline below the photo's (negative: above), as shares of the brow-to-chin height: the quartiles. */
  lowerQuartile: number;
  median: number;
  upperQuartile: number;
  /** Columns where both show a hairline. */
  columns: number;
}

/**
 * Where the avatar's hairline lies against the photo's, seen from the photo's camera: per image
 * column between the brows' tops (iBUG-68 19 and 24), going up from the brows' mean height, the
 * first pixel of the photo's hair mask and the first where the hair mesh (cap and strands,
 * alpha-tested at 0.5) lies nearer than the fitted head. Null without a hair mesh and mask, or
 * where no column shows both.
 */
export function hairlineAgainstPhoto(data: AvatarData): HairlineAgainstPhoto | null {
  const mesh = data.hair?.mesh, mask = data.hair?.detected?.mask;
  if (!mesh || !mask) return null;
  const { model, neutralVertices, camera } = data;
  const W = mask.width, H = mask.height;
  const landmarkPositions = new Float32Array(3 * model.landmarks68.length);
  model.landmarks68.forEach((v, k) => landmarkPositions.set(neutralVertices.subarray(3 * v, 3 * v + 3), 3 * k));
  const landmarks = projectToImage(landmarkPositions, camera);
  let browY = 0;
  for (let k = 17; k <= 26; k++) browY += landmarks[3 * k + 1] / 10;
  const span = landmarks[3 * 8 + 1] - browY;
  const target = createRasterTarget(W, H);
  rasterizeTriangles(target, projectToImage(neutralVertices, camera), model.indices, { cull: 'back' });
  const headDepth = target.depth.slice();
  const { positions, indices } = mesh.part;
  rasterizeTriangles(target, projectToImage(positions, camera), indices, { accept: hairAlphaTest(mesh) });
  const offsets: number[] = [];
  const from = Math.max(0, Math.round(Math.min(landmarks[3 * 19], landmarks[3 * 24]))), to = Math.min(W - 1, Math.round(Math.max(landmarks[3 * 19], landmarks[3 * 24])));
  for (let x = from; x <= to; x++) {
    let photo = -1, avatar = -1;
    for (let y = Math.min(H - 1, Math.round(browY)); y >= 0 && (photo < 0 || avatar < 0); y--) {
      const p = y * W + x;
      if (photo < 0 && mask.data[p]) photo = y;
      if (avatar < 0 && target.depth[p] < headDepth[p]) avatar = y;
    }
    if (photo >= 0 && avatar >= 0) offsets.push((avatar - photo) / span);
  }
  if (!offsets.length) return null;
  offsets.sort((a, b) => a - b);
  const at = (q: number) => offsets[Math.floor(q * offsets.length)];
  return { lowerQuartile: at(0.25), median: at(0.5), upperQuartile: at(0.75), columns: offsets.length };
}
