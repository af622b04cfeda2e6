/**
 * The ears of a fitted head, found from its shape alone, and how much of them a hair mesh hides.
 * Browser-safe.
 *
 * An ear is a flap that stands off the side of the head: a ray from an ear vertex in towards the
 * head's mid-plane leaves the flap and crosses air before it meets the skull, while a ray from the
 * skull's own side meets nothing more on that side. So the head is rasterized from each side
 * (orthographically along x, every layer kept), and a vertex behind the jaw's top is ear when a
 * surface on its side lies more than EAR_AIR deeper along its ray. The ear's root, where the flap
 * meets the skull without air between, is not found this way: what uses the ears keeps a margin.
 */
import { fittedNormals, type HeadModel } from '../modelpack/head-model.js';
import { clipPolygon, GrowingFloats, headTopology, type PolygonClipper } from '../modelpack/mesh-utils.js';
import { VertexGrid } from '../modelpack/makehuman-head/nearest.js';
import { PerShapeCache } from '../modelpack/per-model-cache.js';
import { pushOutOfSkin, skinProbe } from './fit-hair.js';
import type { Strands } from './hair-mesh.js';
import { createRasterTarget, rasterizeTriangles } from '../render/rasterize.js';
import { hypot3 } from '../math/hypot.js';

/** Metres of the side raster's cells. */
const EAR_CELL = 0.001;
/** A surface this many metres deeper along the lateral ray than a vertex puts it on a flap (the ear's back or the skull behind it). */
const EAR_AIR = 0.002;
/** Least |normal . lateral axis| of an ear vertex: surfaces the lateral ray grazes (the crown's, the nape's) vary too much within a cell to tell layers apart. */
const EAR_FACING = 0.5;
/** Metres above the brows' mean height that ears never reach. */
const EAR_TOP_ABOVE_BROWS = 0.02;
/** Metres beyond the skull's side (behind the rim) from which a vertex connected to the rim is ear. */
const EAR_STANDOFF = 0.002;
/** Metres ahead of the rim's rearmost point that an ear may reach (an ear is about 3 cm wide), and below the rim's lowest seed (the lobe, attached without air behind it). */
const EAR_WIDTH = 0.035;
const EAR_LOBE = 0.012;
/** Layers kept per cell of the side raster (ear front, ear back, skull, and a fold or two). */
const MAX_LAYERS = 8;

/** The fitted head's mid-plane (x) and the jaw's top (iBUG 0 and 16), behind which ears lie. */
function earFrame(model: HeadModel, vertices: Float32Array): { midX: number; jawZ: number; chinY: number; topY: number; jawHalfWidth: number } {
  const at = (k: number, axis: number) => vertices[3 * model.landmarks68[k] + axis];
  let browY = 0;
  for (let k = 17; k <= 26; k++) browY += at(k, 1) / 10;
  return { midX: (at(0, 0) + at(16, 0)) / 2, jawZ: Math.max(at(0, 2), at(16, 2)), chinY: at(8, 1), topY: browY + EAR_TOP_ABOVE_BROWS, jawHalfWidth: Math.abs(at(16, 0) - at(0, 0)) / 2 };
}

const earsOfShapes = new PerShapeCache<HeadModel, Uint8Array>();

/**
 * Per head vertex, 1 where it lies on an ear (see the module comment); seams share their
 * representative's answer. Found once per fitted shape (a hair change on the same avatar, or a
 * measurement, asks again): read-only.
 */
export function earVertices(model: HeadModel, vertices: Float32Array): Uint8Array {
  return earsOfShapes.get(model, vertices, () => findEarVertices(model, vertices));
}

function findEarVertices(model: HeadModel, vertices: Float32Array): Uint8Array {
  const { midX, jawZ, chinY, topY, jawHalfWidth } = earFrame(model, vertices);
  const normals = fittedNormals(model, vertices);
  const n = vertices.length / 3, ear = new Uint8Array(n);
  const { offsets, neighbours } = headTopology(model, true);
  let low = Infinity, high = -Infinity, back = Infinity;
  for (let v = 0; v < n; v++) {
    low = Math.min(low, vertices[3 * v + 1]); high = Math.max(high, vertices[3 * v + 1]); back = Math.min(back, vertices[3 * v + 2]);
  }
  const width = Math.ceil((jawZ - back) / EAR_CELL) + 1, height = Math.ceil((high - low) / EAR_CELL) + 1;
  // Side raster: columns along z (from the back), rows along y (from the top), depth unused.
  const screen = new Float32Array(3 * n);
  for (let v = 0; v < n; v++) {
    screen[3 * v] = (vertices[3 * v + 2] - back) / EAR_CELL;
    screen[3 * v + 1] = (high - vertices[3 * v + 1]) / EAR_CELL;
  }
  const { indices, weldGroup } = model;
  for (const sign of [-1, 1]) {
    const lateral = (v: number) => sign * (vertices[3 * v] - midX);
    const inZone = (v: number) => lateral(v) > 0 && vertices[3 * v + 2] <= jawZ && vertices[3 * v + 1] >= chinY && vertices[3 * v + 1] <= topY;
    // The cell a seed candidate reads (-1 for a vertex that is none): a representative in the zone
    // facing sideways beside the jaw's top (ears stand beside it, not inside it: the mouth
    // cavity's walls face each other too).
    const readCell = (v: number): number => {
      if (weldGroup[v] !== v || !inZone(v)) return -1;
      if (Math.abs(normals[3 * v]) < EAR_FACING || lateral(v) < jawHalfWidth) return -1;
      const column = Math.round(screen[3 * v]), row = Math.round(screen[3 * v + 1]);
      return column < 0 || column >= width ? -1 : row * width + column;
    };
    const read = new Uint8Array(width * height);
    for (let v = 0; v < n; v++) { const cell = readCell(v); if (cell >= 0) read[cell] = 1; }
    // Only those cells are read, a few hundred of the side's ~40,000 fragments. A fragment's cell is
    // its pixel's (the rasterizer visits pixels of the raster inside the triangle, and the
    // interpolated screen point is the pixel up to rounding): a triangle whose box, a cell wider
    // each way, holds no read cell writes none, and is not rasterized: earVertices 6.5 -> 4.3 ms
    // (min of 200, sample photo). Skipping the rows outside the zone's alone took it from 7.3.
    const readCells = cellPrefixCounts(read, width, height);
    // Every fragment's lateral distance, per cell: the depth test never passes, so accept sees them all.
    const layers = new Float32Array(width * height * MAX_LAYERS), count = new Uint8Array(width * height);
    const target = createRasterTarget(width, height);
    target.depth.fill(Infinity);
    let current = 0;
    const cellOf = (t: number, b1: number, b2: number) => {
      const a = indices[3 * t], b = indices[3 * t + 1], c = indices[3 * t + 2], b0 = 1 - b1 - b2;
      const column = Math.round(b0 * screen[3 * a] + b1 * screen[3 * b] + b2 * screen[3 * c]);
      const row = Math.round(b0 * screen[3 * a + 1] + b1 * screen[3 * b + 1] + b2 * screen[3 * c + 1]);
      return row * width + column;
    };
    rasterizeTriangles(target, screen, indices, {
      include: (t) => {
        current = t;
        const a = indices[3 * t], b = indices[3 * t + 1], c = indices[3 * t + 2];
        return lateral(a) > 0 && lateral(b) > 0 && lateral(c) > 0 && boxHoldsFlagged(readCells, width, height, screen, indices, t);
      },
      accept: (t, b1, b2) => {
        const cell = cellOf(t, b1, b2);
        if (cell < 0 || cell >= count.length || count[cell] >= MAX_LAYERS) return false;
        const a = indices[3 * current], b = indices[3 * current + 1], c = indices[3 * current + 2];
        layers[cell * MAX_LAYERS + count[cell]++] = (1 - b1 - b2) * lateral(a) + b1 * lateral(b) + b2 * lateral(c);
        return false;
      },
    });
    // Seeds: the free rim, with air between it and the skull; the skull's side behind them.
    const seeds: number[] = [], skull: number[] = [], seedY: number[] = [], seedZ: number[] = [];
    for (let v = 0; v < n; v++) {
      const cell = readCell(v);
      if (cell < 0) continue;
      let deepest = Infinity;
      for (let k = 0; k < count[cell]; k++) deepest = Math.min(deepest, layers[cell * MAX_LAYERS + k]);
      if (deepest < lateral(v) - EAR_AIR) { seeds.push(v); skull.push(deepest); seedY.push(vertices[3 * v + 1]); seedZ.push(vertices[3 * v + 2]); }
    }
    if (!seeds.length) continue;
    // The whole ear: what stands out beyond the skull's side (a plane through the skull behind the
    // rim), connected to the rim, within the rim's height and an ear's width ahead of it.
    const skullSide = planeFit(seedY, seedZ, skull);
    let top = -Infinity, bottom = Infinity, rear = Infinity;
    for (const v of seeds) { top = Math.max(top, vertices[3 * v + 1]); bottom = Math.min(bottom, vertices[3 * v + 1]); rear = Math.min(rear, vertices[3 * v + 2]); }
    const standsOut = (v: number) => {
      const y = vertices[3 * v + 1], z = vertices[3 * v + 2];
      return inZone(v) && y <= top + EAR_STANDOFF && y >= bottom - EAR_LOBE && z <= rear + EAR_WIDTH && lateral(v) > skullSide(y, z) + EAR_STANDOFF;
    };
    const queue = seeds.slice();
    for (const v of seeds) ear[v] = 1;
    while (queue.length) {
      const v = queue.pop()!;
      for (let k = offsets[v]; k < offsets[v + 1]; k++) {
        const w = neighbours[k];
        if (!ear[w] && standsOut(w)) { ear[w] = 1; queue.push(w); }
      }
    }
  }
  for (let v = 0; v < n; v++) ear[v] = ear[weldGroup[v]];
  return ear;
}

/**
 * Whether triangle t's box in `screen` (columns and rows, xyz interleaved), a cell wider each way,
 * holds a flagged cell (cellPrefixCounts): the rasterizer writes no cell outside the box.
 */
function boxHoldsFlagged(counts: Int32Array, width: number, height: number, screen: Float32Array, indices: Uint32Array, t: number): boolean {
  const a = 3 * indices[3 * t], b = 3 * indices[3 * t + 1], c = 3 * indices[3 * t + 2];
  return countInBox(counts, width, height,
    Math.floor(Math.min(screen[a], screen[b], screen[c])) - 1, Math.ceil(Math.max(screen[a], screen[b], screen[c])) + 1,
    Math.floor(Math.min(screen[a + 1], screen[b + 1], screen[c + 1])) - 1, Math.ceil(Math.max(screen[a + 1], screen[b + 1], screen[c + 1])) + 1) !== 0;
}

/** Counts of the flagged cells of a width x height raster above and left of each corner: (width + 1) x (height + 1), for countInBox. */
function cellPrefixCounts(flags: Uint8Array, width: number, height: number): Int32Array {
  const counts = new Int32Array((width + 1) * (height + 1));
  for (let y = 0; y < height; y++) {
    let row = 0;
    for (let x = 0; x < width; x++) {
      row += flags[y * width + x];
      counts[(y + 1) * (width + 1) + x + 1] = counts[y * (width + 1) + x + 1] + row;
    }
  }
  return counts;
}

/** Flagged cells (cellPrefixCounts) in columns x0..x1 and rows y0..y1, clamped to the raster. */
function countInBox(counts: Int32Array, width: number, height: number, x0: number, x1: number, y0: number, y1: number): number {
  const left = Math.max(0, x0), right = Math.min(width - 1, x1) + 1, top = Math.max(0, y0), bottom = Math.min(height - 1, y1) + 1;
  if (left >= right || top >= bottom) return 0;
  const w = width + 1;
  return counts[bottom * w + right] - counts[top * w + right] - counts[bottom * w + left] + counts[top * w + left];
}

/** Least-squares plane value = a + b y + c z through the samples, as a function of (y, z). */
function planeFit(ys: number[], zs: number[], values: number[]): (y: number, z: number) => number {
  const m = values.length;
  let my = 0, mz = 0, mv = 0;
  for (let i = 0; i < m; i++) { my += ys[i] / m; mz += zs[i] / m; mv += values[i] / m; }
  let yy = 0, yz = 0, zz = 0, yv = 0, zv = 0;
  for (let i = 0; i < m; i++) {
    const dy = ys[i] - my, dz = zs[i] - mz, dv = values[i] - mv;
    yy += dy * dy; yz += dy * dz; zz += dz * dz; yv += dy * dv; zv += dz * dv;
  }
  const det = yy * zz - yz * yz;
  // Seeds along a line: the plane is flat across it.
  const b = Math.abs(det) > 1e-12 ? (yv * zz - zv * yz) / det : 0, c = Math.abs(det) > 1e-12 ? (zv * yy - yv * yz) / det : 0;
  return (y, z) => mv + b * (y - my) + c * (z - mz);
}

/** Metres per cell of the side views in which earCover compares ears and hair. */
const COVER_CELL = 0.0005;

/**
 * Per side of the head (-x, +x), the share of the ear seen from that side (orthographically along
 * x) that hair hides: ear pixels (the nearest head triangle has all corners on the ear) where a
 * hair triangle lies nearer, `opaque` deciding per fragment (the alpha test). 1 where no ear is
 * seen.
 */
export function earCover(
  model: HeadModel, vertices: Float32Array, ear: Uint8Array,
  hair: { positions: Float32Array; indices: Uint32Array }, opaque: (triangle: number, b1: number, b2: number) => boolean,
): [number, number] {
  const cached = earViewsOfShapes.get(model, vertices, () => ({ ear, views: earSideViews(model, vertices, ear) }));
  const views = cached.ear === ear ? cached.views : earSideViews(model, vertices, ear);
  if (!views) return [1, 1];
  const { width, height, sides } = views;
  return sides.map(({ sign, pixels, depth }) => {
    const strands = createRasterTarget(width, height);
    rasterizeTriangles(strands, sideProjection(views, hair.positions, sign), hair.indices, { accept: opaque });
    let hidden = 0;
    for (let k = 0; k < pixels.length; k++) if (strands.depth[pixels[k]] < depth[k]) hidden++;
    return pixels.length ? hidden / pixels.length : 1;
  }) as [number, number];
}

/**
 * The ears seen from each side of the head (-x, +x), as earCover compares the strands with them:
 * the raster's frame (the ears' box at COVER_CELL, the head's mid-plane) and per side the ear
 * pixels (the nearest head triangle has all corners on the ear, in front of the mid-plane) in
 * raster order, with the head's depth there. Null when the head has no ear.
 */
interface EarSideViews {
  width: number;
  height: number;
  back: number;
  high: number;
  midX: number;
  sides: { sign: -1 | 1; pixels: Int32Array; depth: Float32Array }[];
}

/** earSideViews per fitted shape (and its ears): a hair change on the same avatar asks again. Read-only. */
const earViewsOfShapes = new PerShapeCache<HeadModel, { ear: Uint8Array; views: EarSideViews | null }>();

function earSideViews(model: HeadModel, vertices: Float32Array, ear: Uint8Array): EarSideViews | null {
  const { midX } = earFrame(model, vertices);
  let low = Infinity, high = -Infinity, back = Infinity, front = -Infinity;
  for (let v = 0; v < vertices.length / 3; v++) {
    if (!ear[v]) continue;
    low = Math.min(low, vertices[3 * v + 1]); high = Math.max(high, vertices[3 * v + 1]);
    back = Math.min(back, vertices[3 * v + 2]); front = Math.max(front, vertices[3 * v + 2]);
  }
  if (low > high) return null;
  const width = Math.ceil((front - back) / COVER_CELL) + 1, height = Math.ceil((high - low) / COVER_CELL) + 1;
  const frame = { width, height, back, high, midX };
  const sides: EarSideViews['sides'] = [];
  for (const sign of [-1, 1] as const) sides.push(earSideView(frame, model.indices, vertices, ear, sign));
  return { ...frame, sides };
}

/**
 * One side of earSideViews: a module function, not a map callback made per call, which V8
 * inlined by identity into earSideViews' optimized code and dropped with it once collected.
 */
function earSideView(
  frame: Pick<EarSideViews, 'width' | 'height' | 'back' | 'high' | 'midX'>, indices: Uint32Array, vertices: Float32Array, ear: Uint8Array, sign: -1 | 1,
): EarSideViews['sides'][number] {
  const { width, height } = frame;
  const head = createRasterTarget(width, height);
  rasterizeTriangles(head, sideProjection(frame, vertices, sign), indices);
  const pixels: number[] = [];
  for (let p = 0; p < width * height; p++) {
    const t = head.triangle[p];
    if (t < 0 || !ear[indices[3 * t]] || !ear[indices[3 * t + 1]] || !ear[indices[3 * t + 2]] || head.depth[p] >= 0) continue;
    pixels.push(p);
  }
  const depth = new Float32Array(pixels.length);
  for (let k = 0; k < pixels.length; k++) depth[k] = head.depth[pixels[k]];
  return { sign, pixels: Int32Array.from(pixels), depth };
}

/** Points P projected onto an ear side view's raster (columns along z, rows along y, depth the distance from the mid-plane towards the viewer, negated). */
function sideProjection(frame: Pick<EarSideViews, 'back' | 'high' | 'midX'>, P: Float32Array, sign: number): Float32Array {
  const { back, high, midX } = frame;
  const screen = new Float32Array(P.length);
  for (let v = 0; v < P.length / 3; v++) {
    screen[3 * v] = (P[3 * v + 2] - back) / COVER_CELL;
    screen[3 * v + 1] = (high - P[3 * v + 1]) / COVER_CELL;
    screen[3 * v + 2] = -sign * (P[3 * v] - midX);
  }
  return screen;
}

/**
 * Metres the hair keeps from an ear it leaves uncovered: a short cut is trimmed around the ear. At
 * 2-3 mm short02's card tips still overlapped the helix's top in a ragged band seen from the side
 * (2.6-6.1 % of hrn 00016's ear hidden; at 2 mm 10 crossings of its ear's root), at 4 mm 0.3 %;
 * ponytail01 then uncovers a little of the hair that deep3d 000002's photo shows pulled back just
 * in front of her ear's top.
 */
export const EAR_CLEARANCE = 0.004;
/** Share of an ear seen from its side that a style's strands must hide to count as covering it (bobs, long hair: 0.98-1; short crops, ponytail01, afro01: 0.0-0.5). */
export const EAR_COVERED = 0.9;
/**
 * Metres: a strand triangle near the cut round an ear is halved until its longest edge is this short
 * or it lies wholly on one side, then clipped, so the hair ends in a smooth curve. Cut once, big
 * cards (ponytail01's) kept corners clear of the ear while it poked through their middle; at 4 mm
 * short02 on 3ddfa_v2 emma gained 940 triangles (its compact GLB is near the 1.5 MiB the browser
 * round trip allows), at 8 mm none against the uncut style (the cards and cap over the ear go).
 */
const EAR_PIECE = 0.008;

/** The ear vertices on the sides of the head (-x, +x) that `sides` marks. */
export function earsOnSides(model: HeadModel, vertices: Float32Array, ear: Uint8Array, sides: readonly [boolean, boolean]): Uint8Array {
  const { midX } = earFrame(model, vertices);
  const onSides = new Uint8Array(ear.length);
  for (let v = 0; v < ear.length; v++) onSides[v] = ear[v] && sides[vertices[3 * v] < midX ? 0 : 1] ? 1 : 0;
  return onSides;
}

/** Metres between the points sampled on the ear's triangles. */
const EAR_SAMPLE = 0.001;

/**
 * Points on the ear's surface (triangles with every corner on the ear), EAR_SAMPLE apart: the ear's root has long triangles fanning out from it, whose corners alone are
 * too far apart to measure a clearance from.
 */
function earSurfacePoints(model: HeadModel, vertices: Float32Array, ear: Uint8Array): Float32Array {
  const { indices } = model;
  const edge = (p: number, q: number) => hypot3(vertices[3 * p] - vertices[3 * q], vertices[3 * p + 1] - vertices[3 * q + 1], vertices[3 * p + 2] - vertices[3 * q + 2]);
  // Per triangle, its subdivisions (0 off the ear), so the points fill one array sized up front.
  const steps = new Int32Array(indices.length / 3);
  let count = 0;
  for (let t = 0; t < indices.length; t += 3) {
    const a = indices[t], b = indices[t + 1], c = indices[t + 2];
    if (!ear[a] || !ear[b] || !ear[c]) continue;
    const s = (steps[t / 3] = Math.max(1, Math.ceil(Math.max(edge(a, b), edge(b, c), edge(c, a)) / EAR_SAMPLE)));
    count += ((s + 1) * (s + 2)) / 2;
  }
  const points = new Float32Array(3 * count);
  let o = 0;
  for (let t = 0; t < indices.length; t += 3) {
    const a = indices[t], b = indices[t + 1], c = indices[t + 2], s = steps[t / 3];
    if (s === 0) continue;
    for (let i = 0; i <= s; i++) for (let j = 0; i + j <= s; j++) {
      const u = i / s, v = j / s, w = 1 - u - v;
      for (let k = 0; k < 3; k++) points[o++] = w * vertices[3 * a + k] + u * vertices[3 * b + k] + v * vertices[3 * c + k];
    }
  }
  return points;
}

/** The points on the ears of the sides `cut` marks (earSurfacePoints), their grid and their boxes (surfaceBoxes). */
interface EarSurface {
  surface: Float32Array;
  grid: VertexGrid;
  boxes: Float64Array;
}

/**
 * Two boxes (least x, y, z, then greatest x, y, z each) that hold every point of `surface`: the
 * points either side of its mid-x, one ear each when both are cut. An empty box's least values
 * are Infinity, its greatest -Infinity (no point lies near it).
 */
function surfaceBoxes(surface: Float32Array): Float64Array {
  let lowX = Infinity, highX = -Infinity;
  for (let i = 0; i < surface.length; i += 3) { lowX = Math.min(lowX, surface[i]); highX = Math.max(highX, surface[i]); }
  const midX = (lowX + highX) / 2, boxes = new Float64Array(12);
  for (let b = 0; b < 2; b++) for (let k = 0; k < 3; k++) { boxes[6 * b + k] = Infinity; boxes[6 * b + 3 + k] = -Infinity; }
  for (let i = 0; i < surface.length; i += 3) {
    const o = surface[i] < midX ? 0 : 6;
    for (let k = 0; k < 3; k++) { boxes[o + k] = Math.min(boxes[o + k], surface[i + k]); boxes[o + 3 + k] = Math.max(boxes[o + 3 + k], surface[i + k]); }
  }
  return boxes;
}

/**
 * A lower bound of the distance from (x, y, z) to any point in `boxes` (surfaceBoxes): the
 * distance to the nearer box, less a billionth of it, so that hypot3's rounding of a point's own
 * distance never falls under it.
 */
function distanceToBoxes(boxes: Float64Array, x: number, y: number, z: number): number {
  let least = Infinity;
  for (let o = 0; o < 12; o += 6) {
    const gx = Math.max(0, boxes[o] - x, x - boxes[o + 3]), gy = Math.max(0, boxes[o + 1] - y, y - boxes[o + 4]), gz = Math.max(0, boxes[o + 2] - z, z - boxes[o + 5]);
    least = Math.min(least, Math.sqrt(gx * gx + gy * gy + gz * gz));
  }
  return least * (1 - 1e-9);
}

/** EarSurface per fitted shape (and its ears) and sides cut: a hair change on the same avatar asks again. Read-only. */
const earSurfacesOfShapes = new PerShapeCache<HeadModel, { ear: Uint8Array; bySides: Map<number, EarSurface> }>();

function earSurface(model: HeadModel, vertices: Float32Array, ear: Uint8Array, cut: readonly [boolean, boolean]): EarSurface {
  const make = (): EarSurface => {
    const surface = earSurfacePoints(model, vertices, earsOnSides(model, vertices, ear, cut));
    return { surface, grid: new VertexGrid(surface, 0.01), boxes: surfaceBoxes(surface) };
  };
  const cached = earSurfacesOfShapes.get(model, vertices, () => ({ ear, bySides: new Map() }));
  if (cached.ear !== ear) return make();
  const sides = (cut[0] ? 1 : 0) + (cut[1] ? 2 : 0);
  let surface = cached.bySides.get(sides);
  if (!surface) cached.bySides.set(sides, (surface = make()));
  return surface;
}

/**
 * withoutHairOverEars' cut of one strand mesh, as methods of one object rather than closures made
 * anew for each mesh: V8 inlined those into each other by their identity, so every new mesh's
 * closures (and any optimized code that had inlined the last mesh's, once they were collected) were
 * compiled again, and ran unoptimized meanwhile. The arithmetic is the closures', in their order.
 * The sample photo's short01, 20 meshes each on fresh copies of one head, old and new alternating
 * in one process (CPU profile): withoutHairOverEars 28.3 -> 18.3 ms a mesh.
 */
class EarTrim implements PolygonClipper {
  readonly positions: GrowingFloats;
  readonly uvs: GrowingFloats;
  readonly skinDistance: GrowingFloats;
  /** The triangles kept, as corner indices. */
  readonly kept: number[] = [];
  /**
   * Per vertex, the clearance field (NaN until asked): found with a nearest-point search, which
   * only the vertices of triangles near an ear need (fieldAtLeast).
   */
  private readonly field: number[] = [];
  /**
   * New points on an edge, shared by the triangles on either side of it. Keyed by the edge's ends
   * as one number (kind in the lowest bit): string keys cost more than the rest of the lookup.
   */
  private readonly points = new Map<number, number>();

  constructor(strands: Strands, private readonly ears: EarSurface) {
    this.positions = new GrowingFloats(strands.positions);
    this.uvs = new GrowingFloats(strands.uvs);
    this.skinDistance = new GrowingFloats(strands.skinDistance);
  }

  /** The clearance field at vertex v: its distance to the ears' surface less EAR_CLEARANCE (Infinity with no surface point near). */
  side(v: number): number {
    const field = this.field;
    while (field.length <= v) field.push(NaN);
    let value = field[v];
    if (value !== value) {
      const { positions } = this, { surface, grid } = this.ears;
      const x = positions.get(3 * v), y = positions.get(3 * v + 1), z = positions.get(3 * v + 2);
      const e = grid.nearest(x, y, z, undefined, 2);
      field[v] = value = e < 0 ? Infinity : hypot3(surface[3 * e] - x, surface[3 * e + 1] - y, surface[3 * e + 2] - z) - EAR_CLEARANCE;
    }
    return value;
  }

  /**
   * A lower bound of side(v) from the ears' boxes: most strand triangles lie so far from both ears
   * that it keeps them whole without a nearest-point search per corner: withoutHairOverEars on the
   * sample photo's head 17.5 -> 10.6 ms for short02 (min of 26; short01 10.8 either way).
   */
  fieldAtLeast(v: number): number {
    const { positions } = this;
    return distanceToBoxes(this.ears.boxes, positions.get(3 * v), positions.get(3 * v + 1), positions.get(3 * v + 2)) - EAR_CLEARANCE;
  }

  /** The point on edge (a, b) where the field crosses 0 (kind 0) or its midpoint (kind 1), made once per edge. */
  pointOn(kind: 0 | 1, a: number, b: number): number {
    const from = Math.min(a, b), to = Math.max(a, b), key = (from * 2 ** 25 + to) * 2 + kind;
    let index = this.points.get(key);
    if (index === undefined) {
      const { positions, uvs, skinDistance } = this;
      const t = kind === 0 ? this.side(from) / (this.side(from) - this.side(to)) : 0.5;
      for (let k = 0; k < 3; k++) positions.push(positions.get(3 * from + k) + t * (positions.get(3 * to + k) - positions.get(3 * from + k)));
      for (let k = 0; k < 2; k++) uvs.push(uvs.get(2 * from + k) + t * (uvs.get(2 * to + k) - uvs.get(2 * from + k)));
      skinDistance.push(skinDistance.get(from) + t * (skinDistance.get(to) - skinDistance.get(from)));
      index = skinDistance.length - 1;
      this.points.set(key, index);
    }
    return index;
  }

  /** Where the field crosses 0 on edge (a, b) (clipPolygon's PolygonClipper). */
  crossing(a: number, b: number): number {
    return this.pointOn(0, a, b);
  }

  edge(a: number, b: number): number {
    const { positions } = this;
    return hypot3(positions.get(3 * a) - positions.get(3 * b), positions.get(3 * a + 1) - positions.get(3 * b + 1), positions.get(3 * a + 2) - positions.get(3 * b + 2));
  }

  /**
   * Triangle (a, b, c) kept, dropped, or halved and clipped. The field changes by at most a metre
   * per metre, and no point of a triangle lies further than its longest edge / sqrt(3) from its
   * nearest corner: corners all further out (in) than that put the whole triangle outside (inside)
   * the clearance.
   */
  refine(a: number, b: number, c: number): void {
    const reach = Math.max(this.edge(a, b), this.edge(b, c), this.edge(c, a)) / Math.sqrt(3);
    if (Math.min(this.fieldAtLeast(a), this.fieldAtLeast(b), this.fieldAtLeast(c)) >= reach) { this.kept.push(a, b, c); return; }
    const least = Math.min(this.side(a), this.side(b), this.side(c)), most = Math.max(this.side(a), this.side(b), this.side(c));
    if (least >= reach) { this.kept.push(a, b, c); return; }
    if (most <= -reach) return;
    if (reach * Math.sqrt(3) <= EAR_PIECE) {
      const polygon = clipPolygon([a, b, c], this);
      for (let k = 1; k + 1 < polygon.length; k++) this.kept.push(polygon[0], polygon[k], polygon[k + 1]);
      return;
    }
    const ab = this.pointOn(1, a, b), bc = this.pointOn(1, b, c), ca = this.pointOn(1, c, a);
    this.refine(a, ab, ca); this.refine(ab, b, bc); this.refine(ca, bc, c); this.refine(ab, bc, ca);
  }
}

/**
 * The strands trimmed around the ears on the sides `cut` (-x, +x) says: every point closer than
 * EAR_CLEARANCE to the ear's surface goes, triangles near the cut halved down to EAR_PIECE and
 * clipped along it, so the hair ends in a curve around the ear. MakeHuman's short crops and
 * ponytail end over the ear's top: fitted to a head, the ear poked through them, and the radial
 * push out of the skin lifted the cards crossing it into a tent over half the ear.
 */
export function withoutHairOverEars(strands: Strands, model: HeadModel, vertices: Float32Array, ear: Uint8Array, cut: readonly [boolean, boolean]): Strands {
  const trim = new EarTrim(strands, earSurface(model, vertices, ear, cut));
  for (let t = 0; t < strands.indices.length; t += 3) trim.refine(strands.indices[t], strands.indices[t + 1], strands.indices[t + 2]);
  const { positions, uvs, skinDistance, kept } = trim;
  const out = { positions: positions.toFloat32(), uvs: uvs.toFloat32(), skinDistance: skinDistance.toFloat32(), indices: Uint32Array.from(kept) };
  // New corners lie on chords between fitted corners, which may pass under the curved skin.
  const first = strands.positions.length / 3;
  if (out.positions.length / 3 > first) pushOutOfSkin(out.positions, out.skinDistance, skinProbe(model, vertices), first);
  return out;
}
