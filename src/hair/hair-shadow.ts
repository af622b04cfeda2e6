/**
 * The hair's shadow on the head: per head vertex, the share of the light the hair mesh leaves it.
 * Hair cards float on a head whose skin was lit evenly up to their edge, so the hair looked pasted
 * on: a hard line across the forehead, and a long style's sides framing a face as bright as under
 * open sky. Games bake this occlusion; here it is computed per avatar from the fitted hair mesh and
 * multiplied into the head's vertex colours (COLOR_0, beside the mouth pocket's tint:
 * ../export/head-colours.ts), so every glTF viewer and the Babylon plugin show it alike.
 *
 * Occlusion at a vertex is the cosine-weighted solid angle the hair covers in its upper hemisphere,
 * from the hair within SHADOW_REACH (its triangles merged per VOXEL voxel into points of their area
 * at their area-weighted centroid, each fading linearly to nothing at the reach, so the shadow ends
 * softly), clamped at 1 and smoothed over the head's one rings (point samples alone left blotches
 * under long01's large cards).
 * The vertex keeps 1 − SHADOW_STRENGTH × occlusion of its colour. Tried in the sample scene's
 * close-ups (hrn 00437 short04, deep3d vd034 long01): at strength 0.45 without smoothing the
 * temples came out in grey patches; as the skin's ambient occlusion (the roughness map's red
 * channel, which dims only the environment's light) at 0.7, the outer eye corners looked bruised;
 * 0.35 in the vertex colours, smoothed, gave a soft shade along the hairline and under the sides.
 */
import { fittedNormals, type HeadModel } from '../modelpack/head-model.js';
import { headTopology } from '../modelpack/mesh-utils.js';
import { hypot3 } from '../math/hypot.js';
import type { HairMesh } from './hair-mesh.js';

/** Metres from a vertex within which hair shades it. */
export const SHADOW_REACH = 0.03;
/** The colour share full occlusion takes. */
export const SHADOW_STRENGTH = 0.35;
/** Passes of one-ring averaging (each: half the vertex's own value, half its ring's mean). */
const SMOOTHING_PASSES = 3;
/** Hair in directions within this cosine of the vertex's tangent plane casts nothing (the scalp cap lies along the skin). */
const MIN_COSINE = 0.05;

/** Metres a side of the voxels the hair's triangles are merged in: the shadow is blurred far wider than this. */
const VOXEL = 0.005;
/** Grid cells a side per SHADOW_REACH: cells beyond the reach of a point are skipped whole. */
const CELLS_PER_REACH = 2;
const CELL = SHADOW_REACH / CELLS_PER_REACH;

/**
 * Empty cells round the grid, CELLS_PER_REACH deep: every neighbour of a cell of the grid then lies
 * inside it, one index step away per offset (HairPoints.cellSteps), with no test per axis.
 */
const PAD = CELLS_PER_REACH;

/**
 * The hair as weighted points: its triangles' areas summed per VOXEL voxel at their area-weighted
 * centroid (10-15 k triangles become a few thousand points), on a grid of CELL cells padded by PAD
 * (CSR: each cell's run of points, stored in cell order so a run is read straight through).
 */
interface HairPoints {
  x: Float32Array; y: Float32Array; z: Float32Array; area: Float32Array;
  origin: [number, number, number];
  dims: [number, number, number];
  /** Per padded cell, where its run starts (one more entry: the end). */
  cellStart: Uint32Array;
  /** Per NEAREST_CELLS offset, the padded cell index step it makes. */
  cellSteps: Int32Array;
  /**
   * Per padded cell, MASK_WORDS words with a bit per NEAREST_CELLS offset, set where that
   * neighbour holds points: a search visits those alone, in the same order (a cell near hair has
   * about 100 neighbours, most of them empty), and a cell without any is out of every point's reach.
   * The sample photo's shadow: 17.9 -> 13.5-14.0 ms CPU, medians of 40 alternating, two runs.
   */
  neighbourMasks: Int32Array;
}

function hairPoints(positions: Float32Array, indices: Uint32Array): HairPoints {
  const voxelOf = new Map<number, number>();
  // Per point (at most one a triangle): its area and area-weighted centroid's sums.
  const sums = new Float64Array(indices.length / 3 * 4);
  let count = 0;
  for (let t = 0; t < indices.length; t += 3) {
    const a = 3 * indices[t], b = 3 * indices[t + 1], c = 3 * indices[t + 2];
    const cx = (positions[a] + positions[b] + positions[c]) / 3, cy = (positions[a + 1] + positions[b + 1] + positions[c + 1]) / 3, cz = (positions[a + 2] + positions[b + 2] + positions[c + 2]) / 3;
    const ux = positions[b] - positions[a], uy = positions[b + 1] - positions[a + 1], uz = positions[b + 2] - positions[a + 2];
    const vx = positions[c] - positions[a], vy = positions[c + 1] - positions[a + 1], vz = positions[c + 2] - positions[a + 2];
    const area = 0.5 * hypot3(uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx);
    // Voxel keys over a 10 m cube around the origin: far beyond any head.
    const key = (Math.floor(cx / VOXEL) + 1000) * 4000000 + (Math.floor(cy / VOXEL) + 1000) * 2000 + (Math.floor(cz / VOXEL) + 1000);
    let point = voxelOf.get(key);
    if (point === undefined) voxelOf.set(key, (point = count++));
    sums[4 * point] += area; sums[4 * point + 1] += area * cx; sums[4 * point + 2] += area * cy; sums[4 * point + 3] += area * cz;
  }
  const px = new Float32Array(count), py = new Float32Array(count), pz = new Float32Array(count);
  const low = [Infinity, Infinity, Infinity], high = [-Infinity, -Infinity, -Infinity];
  for (let p = 0; p < count; p++) {
    // A voxel of degenerate triangles only (no area) casts nothing wherever it sits.
    const w = sums[4 * p], inverse = w > 0 ? 1 / w : 0;
    px[p] = sums[4 * p + 1] * inverse; py[p] = sums[4 * p + 2] * inverse; pz[p] = sums[4 * p + 3] * inverse;
    low[0] = Math.min(low[0], px[p]); low[1] = Math.min(low[1], py[p]); low[2] = Math.min(low[2], pz[p]);
    high[0] = Math.max(high[0], px[p]); high[1] = Math.max(high[1], py[p]); high[2] = Math.max(high[2], pz[p]);
  }
  const origin = low.map((v) => v - SHADOW_REACH) as [number, number, number];
  const dims = high.map((v, k) => Math.max(1, Math.ceil((v + SHADOW_REACH - origin[k]) / CELL))) as [number, number, number];
  const padded = [dims[0] + 2 * PAD, dims[1] + 2 * PAD, dims[2] + 2 * PAD];
  const cellOf = new Uint32Array(count), cellStart = new Uint32Array(padded[0] * padded[1] * padded[2] + 1);
  for (let p = 0; p < count; p++) {
    const i = Math.floor((px[p] - origin[0]) / CELL), j = Math.floor((py[p] - origin[1]) / CELL), k = Math.floor((pz[p] - origin[2]) / CELL);
    cellOf[p] = ((k + PAD) * padded[1] + j + PAD) * padded[0] + i + PAD;
    cellStart[cellOf[p] + 1]++;
  }
  for (let c = 0; c + 1 < cellStart.length; c++) cellStart[c + 1] += cellStart[c];
  // Each cell's points in their order (a counting sort is stable), so a cell's sum adds them as before.
  const fill = cellStart.slice(0, -1);
  const x = new Float32Array(count), y = new Float32Array(count), z = new Float32Array(count), area = new Float32Array(count);
  for (let p = 0; p < count; p++) {
    const s = fill[cellOf[p]]++;
    x[s] = px[p]; y[s] = py[p]; z[s] = pz[p]; area[s] = sums[4 * p];
  }
  const cellSteps = new Int32Array(NEAREST_CELLS.length / 3);
  for (let o = 0; o < cellSteps.length; o++) cellSteps[o] = (NEAREST_CELLS[3 * o + 2] * padded[1] + NEAREST_CELLS[3 * o + 1]) * padded[0] + NEAREST_CELLS[3 * o];
  // An occupied cell sets its bit in each centre it is a neighbour of (inside the padding: the points lie PAD cells in).
  const neighbourMasks = new Int32Array((cellStart.length - 1) * MASK_WORDS);
  for (let cell = 0; cell + 1 < cellStart.length; cell++) {
    if (cellStart[cell] === cellStart[cell + 1]) continue;
    for (let o = 0; o < cellSteps.length; o++) neighbourMasks[(cell - cellSteps[o]) * MASK_WORDS + (o >> 5)] |= 1 << (o & 31);
  }
  return { x, y, z, area, origin, dims, cellStart, cellSteps, neighbourMasks };
}

/** Distance from coordinate v to the cell [index, index + 1) x CELL from o along one axis (0 inside). */
function gapTo(v: number, o: number, index: number): number {
  const from = o + index * CELL;
  return v < from ? from - v : Math.max(0, v - from - CELL);
}

/** Cell offsets within CELLS_PER_REACH on each axis, nearest first (x, y, z per offset). */
const NEAREST_CELLS: Int8Array = (() => {
  const offsets: number[][] = [];
  for (let k = -CELLS_PER_REACH; k <= CELLS_PER_REACH; k++) for (let j = -CELLS_PER_REACH; j <= CELLS_PER_REACH; j++) for (let i = -CELLS_PER_REACH; i <= CELLS_PER_REACH; i++) offsets.push([i, j, k]);
  offsets.sort((a, b) => a[0] ** 2 + a[1] ** 2 + a[2] ** 2 - (b[0] ** 2 + b[1] ** 2 + b[2] ** 2));
  return Int8Array.from(offsets.flat());
})();

/** 32-bit words of a cell's neighbour mask (HairPoints.neighbourMasks): a bit per NEAREST_CELLS offset. */
const MASK_WORDS = Math.ceil(NEAREST_CELLS.length / 3 / 32);

/**
 * The hair's occlusion (0..1) at a point with unit normal n: see the module comment. Cells are read
 * nearest first and those wholly beyond the reach skipped; full occlusion ends the search (the
 * scalp under the strands reaches it in its own cell or the next).
 */
function occlusionAt(points: HairPoints, px: number, py: number, pz: number, nx: number, ny: number, nz: number): number {
  const { origin, dims, cellStart, cellSteps, neighbourMasks } = points;
  const ci = Math.floor((px - origin[0]) / CELL), cj = Math.floor((py - origin[1]) / CELL), ck = Math.floor((pz - origin[2]) / CELL);
  if (ci < 0 || cj < 0 || ck < 0 || ci >= dims[0] || cj >= dims[1] || ck >= dims[2]) return 0;
  const reach2 = SHADOW_REACH * SHADOW_REACH;
  const centre = ((ck + PAD) * (dims[1] + 2 * PAD) + cj + PAD) * (dims[0] + 2 * PAD) + ci + PAD;
  let sum = 0;
  for (let word = 0; word < MASK_WORDS; word++) {
    // The occupied neighbours' offsets, lowest bit (nearest) first.
    let bits = neighbourMasks[centre * MASK_WORDS + word];
    while (bits !== 0 && sum < 1) {
      const lowest = bits & -bits;
      bits ^= lowest;
      const o = 32 * word + 31 - Math.clz32(lowest), cell = centre + cellSteps[o];
      const gx = gapTo(px, origin[0], ci + NEAREST_CELLS[3 * o]), gy = gapTo(py, origin[1], cj + NEAREST_CELLS[3 * o + 1]), gz = gapTo(pz, origin[2], ck + NEAREST_CELLS[3 * o + 2]);
      if (gx * gx + gy * gy + gz * gz >= reach2) continue;
      sum += occlusionOfRun(points, cellStart[cell], cellStart[cell + 1], px, py, pz, nx, ny, nz);
    }
  }
  return Math.min(1, sum);
}

/** The occlusion the hair points start..end (one grid cell's) cast on the point. */
function occlusionOfRun(points: HairPoints, start: number, end: number, px: number, py: number, pz: number, nx: number, ny: number, nz: number): number {
  const { x, y, z, area } = points;
  let sum = 0;
  for (let t = start; t < end; t++) {
    const dx = x[t] - px, dy = y[t] - py, dz = z[t] - pz, d2 = dx * dx + dy * dy + dz * dz;
    if (d2 >= SHADOW_REACH * SHADOW_REACH || d2 < 1e-10) continue;
    const d = Math.sqrt(d2), cosine = (dx * nx + dy * ny + dz * nz) / d;
    if (cosine <= MIN_COSINE) continue;
    sum += ((area[t] * cosine) / (Math.PI * d2)) * (1 - d / SHADOW_REACH);
  }
  return sum;
}

const shadows = new WeakMap<Float32Array, { vertices: Float32Array; shade: Float32Array }>();

/**
 * Per vertex of `model` fitted to `vertices`, the colour multiplier the hair's shadow leaves
 * (1 − SHADOW_STRENGTH at full occlusion, 1 out of its reach). Read-only: cached per hair mesh, since
 * the GLB export and the Babylon arrays of one avatar both ask for it.
 */
export function hairShadowOnHead(model: HeadModel, vertices: Float32Array, hair: HairMesh): Float32Array {
  const known = shadows.get(hair.part.positions);
  if (known?.vertices === vertices) return known.shade;
  const n = model.vertexCount, weld = model.weldGroup;
  const points = hairPoints(hair.part.positions, hair.part.indices);
  const normals = fittedNormals(model, vertices);
  let occlusion = new Float32Array(n);
  for (let v = 0; v < n; v++) {
    if (weld[v] !== v) continue;
    occlusion[v] = occlusionAt(points, vertices[3 * v], vertices[3 * v + 1], vertices[3 * v + 2], normals[3 * v], normals[3 * v + 1], normals[3 * v + 2]);
  }
  // Rings over the welded triangles: only each seam's representative has one, and seam copies take its value at the end.
  const { offsets, neighbours } = headTopology(model, true);
  let next = new Float32Array(n);
  for (let pass = 0; pass < SMOOTHING_PASSES; pass++) {
    for (let v = 0; v < n; v++) {
      const ring = offsets[v + 1] - offsets[v];
      if (weld[v] !== v || ring === 0) { next[v] = occlusion[v]; continue; }
      let sum = 0;
      for (let k = offsets[v]; k < offsets[v + 1]; k++) sum += occlusion[neighbours[k]];
      next[v] = 0.5 * occlusion[v] + (0.5 * sum) / ring;
    }
    [occlusion, next] = [next, occlusion];
  }
  const shade = new Float32Array(n);
  for (let v = 0; v < n; v++) shade[v] = 1 - SHADOW_STRENGTH * occlusion[weld[v]];
  shadows.set(hair.part.positions, { vertices, shade });
  return shade;
}
