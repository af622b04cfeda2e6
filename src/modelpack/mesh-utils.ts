/** Small topology and geometry helpers on indexed triangle meshes (typed arrays, xyz interleaved). */
import { PerModelCache } from './per-model-cache.js';
import type { HeadModel } from './head-model.js';

export function edgeKey(a: number, b: number): number {
  return a < b ? a * 0x100000 + b : b * 0x100000 + a;
}

/** Directed boundary edges (a -> b as they appear in their only triangle), keyed by their start vertex. */
export function boundaryEdges(indices: ArrayLike<number>): Map<number, number> {
  const count = new Map<number, number>();
  for (let t = 0; t < indices.length; t += 3) {
    for (let e = 0; e < 3; e++) {
      const key = edgeKey(indices[t + e], indices[t + ((e + 1) % 3)]);
      count.set(key, (count.get(key) ?? 0) + 1);
    }
  }
  const next = new Map<number, number>();
  for (let t = 0; t < indices.length; t += 3) {
    for (let e = 0; e < 3; e++) {
      const a = indices[t + e], b = indices[t + ((e + 1) % 3)];
      if (count.get(edgeKey(a, b)) === 1) next.set(a, b);
    }
  }
  return next;
}

/**
 * Boundary loops, each in the direction its edges run inside their triangles (so for a CCW-from-outside
 * surface, walking a loop keeps the surface on the left when seen from outside).
 */
export function boundaryLoops(indices: ArrayLike<number>): number[][] {
  const next = boundaryEdges(indices);
  const seen = new Set<number>();
  const loops: number[][] = [];
  for (const start of [...next.keys()].sort((a, b) => a - b)) {
    if (seen.has(start)) continue;
    const loop: number[] = [];
    let v = start;
    while (!seen.has(v)) {
      seen.add(v);
      loop.push(v);
      const n = next.get(v);
      if (n === undefined) break;
      v = n;
    }
    loops.push(loop);
  }
  return loops;
}

/** Number of triangles on each undirected edge above 2, and edges used twice in the same direction. */
export function manifoldProblems(indices: ArrayLike<number>): { nonManifoldEdges: number; flippedEdges: number } {
  const directed = new Set<number>();
  const count = new Map<number, number>();
  let flippedEdges = 0;
  for (let t = 0; t < indices.length; t += 3) {
    for (let e = 0; e < 3; e++) {
      const a = indices[t + e], b = indices[t + ((e + 1) % 3)];
      const key = a * 0x100000 + b;
      if (directed.has(key)) flippedEdges++;
      directed.add(key);
      const u = edgeKey(a, b);
      count.set(u, (count.get(u) ?? 0) + 1);
    }
  }
  let nonManifoldEdges = 0;
  for (const c of count.values()) if (c > 2) nonManifoldEdges++;
  return { nonManifoldEdges, flippedEdges };
}

/**
 * Vertex neighbours (one ring) as CSR arrays, each vertex's ascending and without repeats. Every
 * triangle lists each corner's two others in a typed array, then each vertex's run is sorted and
 * deduplicated in place: a Set per vertex took ~45 ms per build of the default head's rings, cold.
 */
export function vertexNeighbours(vertexCount: number, indices: ArrayLike<number>): { offsets: Uint32Array; neighbours: Uint32Array } {
  // Runs with repeats: two entries per triangle corner.
  const start = new Uint32Array(vertexCount + 1);
  for (let k = 0; k < indices.length; k++) start[indices[k] + 1] += 2;
  for (let v = 0; v < vertexCount; v++) start[v + 1] += start[v];
  const fill = start.slice(0, vertexCount);
  const listed = new Uint32Array(start[vertexCount]);
  for (let t = 0; t < indices.length; t += 3) {
    const a = indices[t], b = indices[t + 1], c = indices[t + 2];
    listed[fill[a]++] = b; listed[fill[a]++] = c;
    listed[fill[b]++] = a; listed[fill[b]++] = c;
    listed[fill[c]++] = a; listed[fill[c]++] = b;
  }
  // Each run sorted (insertion sort: a run is a dozen entries) and its repeats dropped, compacted to the front.
  const offsets = new Uint32Array(vertexCount + 1);
  let kept = 0;
  for (let v = 0; v < vertexCount; v++) {
    const from = start[v], to = start[v + 1];
    for (let i = from + 1; i < to; i++) {
      const value = listed[i];
      let j = i - 1;
      while (j >= from && listed[j] > value) { listed[j + 1] = listed[j]; j--; }
      listed[j + 1] = value;
    }
    for (let i = from; i < to; i++) if (i === from || listed[i] !== listed[i - 1]) listed[kept++] = listed[i];
    offsets[v + 1] = kept;
  }
  return { offsets, neighbours: listed.slice(0, kept) };
}

/** A head model's triangles and their vertices' one rings (CSR, as vertexNeighbours). */
export interface HeadTopology {
  indices: Uint32Array;
  offsets: Uint32Array;
  neighbours: Uint32Array;
}

const headTopologies = new PerModelCache<HeadModel, HeadTopology>();

/**
 * The model's triangles (with every seam copy replaced by its representative, `weldGroup`, when
 * `welded`) and their one rings: topology alone, built once per model and shared, read-only, by
 * every avatar. Built per call, the rings cost the ears, the scalp cap and the mouth pocket about
 * 30 ms each per avatar on the default head.
 */
export function headTopology(model: HeadModel, welded: boolean): HeadTopology {
  return headTopologies.get(model, welded ? 1 : 0, () => {
    const indices = welded ? Uint32Array.from(model.indices, (v) => model.weldGroup[v]) : model.indices;
    return { indices, ...vertexNeighbours(model.vertexCount, indices) };
  });
}

export function smoothstep(edge0: number, edge1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - edge0) / (edge1 - edge0)));
  return t * t * (3 - 2 * t);
}

export function centroid(positions: Float32Array, vertices: ArrayLike<number>): [number, number, number] {
  let x = 0, y = 0, z = 0;
  for (let i = 0; i < vertices.length; i++) {
    const v = vertices[i] * 3;
    x += positions[v]; y += positions[v + 1]; z += positions[v + 2];
  }
  const n = vertices.length || 1;
  return [x / n, y / n, z / n];
}

export function vertexPosition(positions: Float32Array, v: number): [number, number, number] {
  return [positions[3 * v], positions[3 * v + 1], positions[3 * v + 2]];
}

/** Growable float/uint arrays for mesh construction. */
export class MeshBuilder {
  positions: number[] = [];
  uvs: number[] = [];
  indices: number[] = [];
  get vertexCount(): number {
    return this.positions.length / 3;
  }
  addVertex(x: number, y: number, z: number, u = 0, v = 0): number {
    this.positions.push(x, y, z);
    this.uvs.push(u, v);
    return this.vertexCount - 1;
  }
  addTriangle(a: number, b: number, c: number): void {
    this.indices.push(a, b, c);
  }
}

/**
 * Joins two loops of equal length with quads (as triangle pairs). `inner` is a boundary loop of the
 * existing surface in its boundary direction; the strip continues the surface beyond it.
 */
export function stitchLoops(builder: MeshBuilder, inner: ArrayLike<number>, outer: ArrayLike<number>): void {
  const n = inner.length;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    // The boundary edge inner[i] -> inner[j] is used by the existing triangle, so the strip uses it reversed.
    builder.addTriangle(inner[j], inner[i], outer[i]);
    builder.addTriangle(inner[j], outer[i], outer[j]);
  }
}

/** Each vertex -> lowest-index vertex at exactly the same position. */
export function weldGroups(positions: Float32Array): Uint32Array {
  const n = positions.length / 3;
  const first = new Map<string, number>();
  const group = new Uint32Array(n);
  for (let v = 0; v < n; v++) {
    const key = `${positions[3 * v]},${positions[3 * v + 1]},${positions[3 * v + 2]}`;
    const g = first.get(key);
    if (g === undefined) first.set(key, v);
    group[v] = g ?? v;
  }
  return group;
}

/** Nearest vertex to each vertex's mirror image across x = 0 (uniform grid search). */
export function mirrorVertices(positions: Float32Array, cell = 0.006): Uint32Array {
  const n = positions.length / 3;
  const grid = new Map<number, number[]>();
  const cellKey = (gx: number, gy: number, gz: number) => (gx + 512) * 1048576 + (gy + 512) * 1024 + (gz + 512);
  const key = (x: number, y: number, z: number) => cellKey(Math.floor(x / cell), Math.floor(y / cell), Math.floor(z / cell));
  for (let v = 0; v < n; v++) {
    const k = key(positions[3 * v], positions[3 * v + 1], positions[3 * v + 2]);
    let list = grid.get(k);
    if (!list) grid.set(k, (list = []));
    list.push(v);
  }
  const mirror = new Uint32Array(n);
  for (let v = 0; v < n; v++) {
    const x = -positions[3 * v], y = positions[3 * v + 1], z = positions[3 * v + 2];
    let best = -1, bestD = Infinity;
    for (let reach = 1; best < 0; reach++) {
      const gx = Math.floor(x / cell), gy = Math.floor(y / cell), gz = Math.floor(z / cell);
      for (let i = -reach; i <= reach; i++) for (let j = -reach; j <= reach; j++) for (let k = -reach; k <= reach; k++) {
        for (const w of grid.get(cellKey(gx + i, gy + j, gz + k)) ?? []) {
          const d = (positions[3 * w] - x) ** 2 + (positions[3 * w + 1] - y) ** 2 + (positions[3 * w + 2] - z) ** 2;
          if (d < bestD || (d === bestD && w < best)) { bestD = d; best = w; }
        }
      }
      if (reach > 20) break;
    }
    mirror[v] = best;
  }
  return mirror;
}

/** Connected pieces of a triangle list (union-find), as a root per vertex. */
export function connectedPieces(indices: ArrayLike<number>, vertexCount: number): Int32Array {
  const root = Int32Array.from({ length: vertexCount }, (_, i) => i);
  const find = (v: number): number => { while (root[v] !== v) v = root[v] = root[root[v]]; return v; };
  for (let i = 0; i < indices.length; i += 3) {
    const a = find(indices[i]);
    root[find(indices[i + 1])] = a;
    root[find(indices[i + 2])] = a;
  }
  return Int32Array.from({ length: vertexCount }, (_, v) => find(v));
}

/**
 * What clipPolygon clips by, as an object's methods: a class's are one function for all its
 * objects, where closures made anew per mesh were inlined by identity into V8's optimized callers,
 * which were then dropped with them and compiled again (../hair/hair-mesh.ts CapRim).
 */
export interface PolygonClipper {
  /** Where vertex v lies: kept where >= 0. */
  side(v: number): number;
  /** The vertex where edge a-b crosses side = 0. */
  crossing(a: number, b: number): number;
}

/**
 * The convex polygon `polygon` (vertex indices) clipped to where `clipper.side` >= 0
 * (Sutherland-Hodgman), `clipper.crossing(a, b)` giving the vertex where edge a-b crosses side = 0.
 * Fewer than 3 corners: nothing kept.
 */
export function clipPolygon(polygon: number[], clipper: PolygonClipper): number[] {
  const clipped: number[] = [];
  for (let i = 0; i < polygon.length; i++) {
    const a = polygon[i], b = polygon[(i + 1) % polygon.length];
    const inA = clipper.side(a) >= 0, inB = clipper.side(b) >= 0;
    if (inA) clipped.push(a);
    if (inA !== inB) clipped.push(clipper.crossing(a, b));
  }
  return clipped;
}

/**
 * A growing list of doubles on a Float64Array: what a number[] copy of a mesh's attributes did for
 * the cuts that add vertices, without boxing 10^5 values (Array.from of a Float32Array and back
 * cost tens of milliseconds per avatar). Values pushed keep their double precision until toFloat32.
 */
export class GrowingFloats {
  private data: Float64Array;
  length: number;

  constructor(initial: ArrayLike<number>) {
    this.data = new Float64Array(initial.length + (initial.length >> 2) + 64);
    this.data.set(initial);
    this.length = initial.length;
  }

  get(i: number): number {
    return this.data[i];
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(2 * this.data.length);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }

  toFloat32(): Float32Array {
    return new Float32Array(this.data.subarray(0, this.length));
  }
}

/**
 * The vertices that `indices` use, in order of first use: `kept[k]` is the old index of new vertex
 * k, and `indices` renumbered to match. Meshes cut and clipped leave vertices no triangle uses
 * (the corners of what was cut away), which would still be exported.
 */
export function usedVertices(indices: ArrayLike<number>, vertexCount: number): { kept: Uint32Array; indices: Uint32Array } {
  const renumbered = new Int32Array(vertexCount).fill(-1);
  const kept: number[] = [];
  const out = new Uint32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const v = indices[k];
    if (renumbered[v] < 0) { renumbered[v] = kept.length; kept.push(v); }
    out[k] = renumbered[v];
  }
  return { kept: Uint32Array.from(kept), indices: out };
}

/** Closest point of triangle abc to p: barycentric weights of a, b, c (Ericson's region test). */
export function closestOnTriangle(p: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>, c: ArrayLike<number>): [number, number, number] {
  const sub = (u: ArrayLike<number>, v: ArrayLike<number>) => [u[0] - v[0], u[1] - v[1], u[2] - v[2]];
  const dot = (u: ArrayLike<number>, v: ArrayLike<number>) => u[0] * v[0] + u[1] * v[1] + u[2] * v[2];
  const ab = sub(b, a), ac = sub(c, a), ap = sub(p, a);
  const d1 = dot(ab, ap), d2 = dot(ac, ap);
  if (d1 <= 0 && d2 <= 0) return [1, 0, 0];
  const bp = sub(p, b), d3 = dot(ab, bp), d4 = dot(ac, bp);
  if (d3 >= 0 && d4 <= d3) return [0, 1, 0];
  const vc = d1 * d4 - d3 * d2;
  if (vc <= 0 && d1 >= 0 && d3 <= 0) { const v = d1 / (d1 - d3); return [1 - v, v, 0]; }
  const cp = sub(p, c), d5 = dot(ab, cp), d6 = dot(ac, cp);
  if (d6 >= 0 && d5 <= d6) return [0, 0, 1];
  const vb = d5 * d2 - d1 * d6;
  if (vb <= 0 && d2 >= 0 && d6 <= 0) { const w = d2 / (d2 - d6); return [1 - w, 0, w]; }
  const va = d3 * d6 - d5 * d4;
  if (va <= 0 && d4 - d3 >= 0 && d5 - d6 >= 0) { const w = (d4 - d3) / (d4 - d3 + (d5 - d6)); return [0, 1 - w, w]; }
  const denom = 1 / (va + vb + vc), v = vb * denom, w = vc * denom;
  return [1 - v - w, v, w];
}
