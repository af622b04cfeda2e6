/**
 * Mesh helpers shared by the importers: UV-seam vertex splitting, mirror partners, the jaw
 * contour path and face-skin weights.
 */

export interface SeamSplit {
  /** Source vertex of each output vertex. Output vertex i < sourceVertexCount is source vertex i. */
  sourceVertex: Uint32Array;
  /** uv per output vertex. */
  uvs: Float32Array;
  /** Triangle corners in output vertices. */
  indices: Uint32Array;
  /** Output vertex -> lowest output vertex with the same source vertex. */
  weldGroup: Uint32Array;
}

/**
 * Gives every (position, uv) pair its own vertex. Source vertices keep their index (with the first
 * uv seen for them) so landmark indices stay valid; extra seam copies are appended.
 * `uvOf(t)` returns the uv index of triangle corner t, or -1; `fallbackUv(v)` gives a uv to vertices
 * no corner assigns one.
 */
export function splitSeams(
  triangles: Uint32Array,
  cornerUv: ArrayLike<number>,
  sourceVertexCount: number,
  texcoords: Float32Array,
  fallbackUv?: (vertex: number, out: Float32Array, offset: number) => void,
): SeamSplit {
  const firstUv = new Int32Array(sourceVertexCount).fill(-1);
  for (let c = 0; c < triangles.length; c++) {
    const v = triangles[c];
    if (firstUv[v] === -1 && cornerUv[c] >= 0) firstUv[v] = cornerUv[c];
  }
  // Key (vertex, uv index) -> output vertex for the copies.
  const copies = new Map<number, number>();
  const extraSource: number[] = [];
  const extraUv: number[] = [];
  const indices = new Uint32Array(triangles.length);
  for (let c = 0; c < triangles.length; c++) {
    const v = triangles[c];
    const t = cornerUv[c];
    if (t < 0 || t === firstUv[v]) { indices[c] = v; continue; }
    const key = v * 4294967296 + t;
    let out = copies.get(key);
    if (out === undefined) {
      out = sourceVertexCount + extraSource.length;
      copies.set(key, out);
      extraSource.push(v);
      extraUv.push(t);
    }
    indices[c] = out;
  }
  const total = sourceVertexCount + extraSource.length;
  const sourceVertex = new Uint32Array(total);
  const uvs = new Float32Array(total * 2);
  for (let v = 0; v < sourceVertexCount; v++) {
    sourceVertex[v] = v;
    const t = firstUv[v];
    if (t >= 0) { uvs[2 * v] = texcoords[2 * t]; uvs[2 * v + 1] = texcoords[2 * t + 1]; } else fallbackUv?.(v, uvs, 2 * v);
  }
  for (let k = 0; k < extraSource.length; k++) {
    const out = sourceVertexCount + k;
    sourceVertex[out] = extraSource[k];
    uvs[2 * out] = texcoords[2 * extraUv[k]];
    uvs[2 * out + 1] = texcoords[2 * extraUv[k] + 1];
  }
  return { sourceVertex, uvs, indices, weldGroup: sourceVertex.slice() };
}

/** Gathers per-vertex data (stride values each) for split vertices. */
export function gatherVertices(values: ArrayLike<number>, sourceVertex: Uint32Array, stride: number, scale = 1): Float32Array {
  const out = new Float32Array(sourceVertex.length * stride);
  for (let v = 0; v < sourceVertex.length; v++) {
    const from = sourceVertex[v] * stride;
    for (let k = 0; k < stride; k++) out[v * stride + k] = values[from + k] * scale;
  }
  return out;
}

/**
 * Gathers a basis into split vertices, scaling values. 'mode-major': mode m's coordinate i at
 * m * 3n + i (also a column-major [3n, modes] MAT matrix); 'vertex-major': at i * modes + m
 * (a column-major [modes, 3n] MAT matrix, REALY's rows).
 */
export function gatherBasis(
  basis: ArrayLike<number>, modes: number, sourceVertexCount: number, sourceVertex: Uint32Array, scale: number,
  layout: 'mode-major' | 'vertex-major' = 'mode-major',
): Float32Array {
  const n3 = sourceVertex.length * 3;
  const s3 = sourceVertexCount * 3;
  const out = new Float32Array(modes * n3);
  for (let m = 0; m < modes; m++) {
    for (let v = 0; v < sourceVertex.length; v++) {
      const src = sourceVertex[v] * 3;
      for (let k = 0; k < 3; k++) {
        const index = layout === 'mode-major' ? m * s3 + src + k : (src + k) * modes + m;
        out[m * n3 + v * 3 + k] = basis[index] * scale;
      }
    }
  }
  return out;
}

/**
 * Mirror partner across x = 0: the vertex nearest the mirrored position; among equally near
 * seam copies, the one whose uv is nearest the mirrored uv (u -> 1 - u).
 */
export function mirrorVertices(positions: Float32Array, uvs?: Float32Array): Uint32Array {
  const n = positions.length / 3;
  let minX = Infinity, minY = Infinity, minZ = Infinity, maxX = -Infinity, maxY = -Infinity, maxZ = -Infinity;
  for (let v = 0; v < n; v++) {
    const x = positions[3 * v], y = positions[3 * v + 1], z = positions[3 * v + 2];
    minX = Math.min(minX, x, -x); maxX = Math.max(maxX, x, -x);
    minY = Math.min(minY, y); maxY = Math.max(maxY, y);
    minZ = Math.min(minZ, z); maxZ = Math.max(maxZ, z);
  }
  const extent = Math.max(maxX - minX, maxY - minY, maxZ - minZ) || 1;
  const cells = Math.max(1, Math.round(Math.cbrt(n / 2)));
  const size = extent / cells + 1e-12;
  const cellOf = (x: number, y: number, z: number) => [
    Math.min(cells - 1, Math.floor((x - minX) / size)),
    Math.min(cells - 1, Math.floor((y - minY) / size)),
    Math.min(cells - 1, Math.floor((z - minZ) / size)),
  ];
  const grid = new Map<number, number[]>();
  const key = (i: number, j: number, k: number) => (i * cells + j) * cells + k;
  for (let v = 0; v < n; v++) {
    const [i, j, k] = cellOf(positions[3 * v], positions[3 * v + 1], positions[3 * v + 2]);
    const list = grid.get(key(i, j, k));
    if (list) list.push(v); else grid.set(key(i, j, k), [v]);
  }
  const uvWeight = (extent * 1e-4) ** 2;
  const out = new Uint32Array(n);
  for (let v = 0; v < n; v++) {
    const x = -positions[3 * v], y = positions[3 * v + 1], z = positions[3 * v + 2];
    const [ci, cj, ck] = cellOf(x, y, z);
    let best = v, bestScore = Infinity;
    // Search growing shells until a candidate is found and the shell is farther than it.
    for (let r = 0; r <= cells; r++) {
      for (let i = ci - r; i <= ci + r; i++) for (let j = cj - r; j <= cj + r; j++) for (let k = ck - r; k <= ck + r; k++) {
        if (Math.max(Math.abs(i - ci), Math.abs(j - cj), Math.abs(k - ck)) !== r) continue;
        const list = grid.get(key(i, j, k));
        if (!list || i < 0 || j < 0 || k < 0 || i >= cells || j >= cells || k >= cells) continue;
        for (const w of list) {
          const dx = positions[3 * w] - x, dy = positions[3 * w + 1] - y, dz = positions[3 * w + 2] - z;
          let score = dx * dx + dy * dy + dz * dz;
          if (uvs) {
            const du = uvs[2 * w] - (1 - uvs[2 * v]), dv = uvs[2 * w + 1] - uvs[2 * v + 1];
            score += uvWeight * (du * du + dv * dv);
          }
          if (score < bestScore) { bestScore = score; best = w; }
        }
      }
      if (bestScore < Infinity && Math.sqrt(bestScore) < r * size) break;
    }
    out[v] = best;
  }
  return out;
}

/** Edge adjacency over weld representatives. */
function weldedAdjacency(indices: Uint32Array, weldGroup: Uint32Array): Map<number, Set<number>> {
  const adjacency = new Map<number, Set<number>>();
  const link = (a: number, b: number) => {
    let set = adjacency.get(a);
    if (!set) adjacency.set(a, (set = new Set()));
    set.add(b);
  };
  for (let t = 0; t < indices.length; t += 3) {
    for (let e = 0; e < 3; e++) {
      const a = weldGroup[indices[t + e]], b = weldGroup[indices[t + ((e + 1) % 3)]];
      if (a !== b) { link(a, b); link(b, a); }
    }
  }
  return adjacency;
}

/** Shortest edge path (Euclidean edge lengths) from a to b, both ends included. */
function shortestPath(adjacency: Map<number, Set<number>>, positions: Float32Array, a: number, b: number): number[] {
  const dist = new Map<number, number>([[a, 0]]);
  const previous = new Map<number, number>();
  // Binary heap of [distance, vertex].
  const heap: [number, number][] = [[0, a]];
  const pop = (): [number, number] => {
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < heap.length && heap[l][0] < heap[m][0]) m = l;
        if (r < heap.length && heap[r][0] < heap[m][0]) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  };
  const push = (item: [number, number]) => {
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p][0] <= heap[i][0]) break;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  };
  while (heap.length > 0) {
    const [d, v] = pop();
    if (v === b) break;
    if (d > (dist.get(v) ?? Infinity)) continue;
    for (const w of adjacency.get(v) ?? []) {
      const len = Math.hypot(positions[3 * w] - positions[3 * v], positions[3 * w + 1] - positions[3 * v + 1], positions[3 * w + 2] - positions[3 * v + 2]);
      const nd = d + len;
      if (nd < (dist.get(w) ?? Infinity)) { dist.set(w, nd); previous.set(w, v); push([nd, w]); }
    }
  }
  if (!dist.has(b)) return [a, b];
  const path = [b];
  while (path[path.length - 1] !== a) path.push(previous.get(path[path.length - 1])!);
  return path.reverse();
}

/**
 * The jaw line as an ordered vertex chain through the given landmark vertices (iBUG 0..16,
 * subject's right ear to left), following mesh edges.
 */
export function jawContourPath(positions: Float32Array, indices: Uint32Array, weldGroup: Uint32Array, jawLandmarks: ArrayLike<number>): Uint32Array {
  const adjacency = weldedAdjacency(indices, weldGroup);
  const chain: number[] = [];
  for (let i = 0; i + 1 < jawLandmarks.length; i++) {
    const segment = shortestPath(adjacency, positions, weldGroup[jawLandmarks[i]], weldGroup[jawLandmarks[i + 1]]);
    for (let k = chain.length === 0 ? 0 : 1; k < segment.length; k++) chain.push(segment[k]);
  }
  return Uint32Array.from(chain);
}

function smoothstep(edge0: number, edge1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - edge0) / (edge1 - edge0)));
  return t * t * (3 - 2 * t);
}

/** Distance from (px, py) to a 2-D polyline (closed when `closed`), and whether it is inside when closed. */
function polylineDistance(px: number, py: number, xs: number[], ys: number[], closed: boolean): { distance: number; inside: boolean } {
  let best = Infinity;
  let inside = false;
  const count = xs.length;
  const segments = closed ? count : count - 1;
  for (let i = 0; i < segments; i++) {
    const j = (i + 1) % count;
    const ax = xs[i], ay = ys[i], bx = xs[j], by = ys[j];
    const ex = bx - ax, ey = by - ay;
    const t = Math.max(0, Math.min(1, ((px - ax) * ex + (py - ay) * ey) / (ex * ex + ey * ey || 1)));
    best = Math.min(best, Math.hypot(px - ax - t * ex, py - ay - t * ey));
    if (closed && (ay > py) !== (by > py) && px < ax + ((py - ay) * ex) / (ey || 1e-30)) inside = !inside;
  }
  return { distance: best, inside };
}

/**
 * Face-skin weight: 1 inside `facial` (a per-vertex 0/1 mask) on the front of the head, fading to
 * 0 over the eyes, brows and lips (found from the 68 landmark vertices in the frontal xy plane)
 * and at the mask border. Scale comes from the outer-eye-corner distance.
 */
export function faceSkinWeights(positions: Float32Array, landmarks68: ArrayLike<number>, facial: Uint8Array): Float32Array {
  const n = positions.length / 3;
  const lx = (i: number) => positions[3 * landmarks68[i]];
  const ly = (i: number) => positions[3 * landmarks68[i] + 1];
  const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, k) => a + k);
  const eyeSpan = Math.hypot(lx(36) - lx(45), ly(36) - ly(45)) || 1;
  const features: { ids: number[]; closed: boolean; margin: number }[] = [
    { ids: range(36, 41), closed: true, margin: 0.06 },
    { ids: range(42, 47), closed: true, margin: 0.06 },
    { ids: range(17, 21), closed: false, margin: 0.08 },
    { ids: range(22, 26), closed: false, margin: 0.08 },
    { ids: range(48, 59), closed: true, margin: 0.04 },
  ].map((f) => ({ ...f, margin: f.margin * eyeSpan }));
  const polylines = features.map((f) => ({ xs: f.ids.map(lx), ys: f.ids.map(ly), closed: f.closed, margin: f.margin }));
  const out = new Float32Array(n);
  for (let v = 0; v < n; v++) {
    if (!facial[v]) continue;
    const x = positions[3 * v], y = positions[3 * v + 1];
    let weight = 1;
    for (const p of polylines) {
      const { distance, inside } = polylineDistance(x, y, p.xs, p.ys, p.closed);
      if (inside) { weight = 0; break; }
      weight = Math.min(weight, smoothstep(0, p.margin * 2, distance - p.margin * 0.5));
    }
    out[v] = weight;
  }
  return out;
}
