/**
 * Cuts the head and neck out of the hm08 base mesh: the skin (`body`) polygons above the neck cut,
 * with ears, nostrils, eye sockets and the mouth cavity as hm08 models them. Each quad is split
 * once into four (edge midpoints and centre, on the same bilinear surface), which halves the vertex
 * spacing so the MediaPipe points have vertices close to where they belong (about 2.5 mm apart on
 * the face instead of 5). A vertex is duplicated where its polygons use different UVs (seams), so
 * every output vertex has one UV. Output is in metres, still in hm08's frame (see ./frame.ts).
 */
import { HM08_UNITS_TO_METRES, type Hm08Mesh } from './hm08-source.js';
import { boundaryLoops, weldGroups as weldByPositionTyped } from '../mesh-utils.js';
import { packHeadUvIslands } from './uv-layout.js';

const weldByPosition = (positions: number[]) => weldByPositionTyped(Float32Array.from(positions));

/**
 * The neck cut, in hm08 units (decimetres): a plane through the neck below the jaw and above the
 * shoulders, lower at the throat than at the nape (y = NECK_CUT_Y + NECK_CUT_SLOPE * (z - 0.3)),
 * like a shirt collar. Polygons whose centre lies above it are kept, and their corners below it
 * are moved up onto it, so the bottom is one clean planar ring that sits on a body. At 6.0 (the
 * first build, makehuman-head@1) the throat ended 2.2 cm under the chin: seen from the front, as a
 * portrait or a game's dialogue camera shows a head, no neck showed under the jaw and the head
 * floated like a mask. At 5.5 the cut took in the tops of the shoulders.
 */
export const NECK_CUT_Y = 5.75;
const NECK_CUT_SLOPE = -0.35;

function neckCutHeight(z: number, neckCutY: number): number {
  return neckCutY + NECK_CUT_SLOPE * (z - 0.3);
}

export interface HeadCut {
  /** Metres, hm08 frame. */
  positions: Float32Array;
  uvs: Float32Array;
  indices: Uint32Array;
  /** UV island of each output vertex: 0 = head and face, others = mouth cavity, eye sockets, neck strip. */
  island: Uint8Array;
  /** hm08 vertices each output vertex averages (1 for a corner, 2 for an edge midpoint, 4 for a quad centre): CSR lists. */
  sourceOffsets: Uint32Array;
  sourceVertices: Uint32Array;
  /** UV of each output vertex in hm08's whole-body atlas (v up): where the MakeHuman skins paint it. */
  atlasUvs: Float32Array;
}

export function cutHead(mesh: Hm08Mesh, neckCutY = NECK_CUT_Y): HeadCut {
  const bodyMaterial = mesh.materialNames.indexOf('body');
  const P = mesh.positions;
  const above = (p: { vertices: number[] }) => {
    let y = 0, z = 0;
    for (const v of p.vertices) { y += P[3 * v + 1] / p.vertices.length; z += P[3 * v + 2] / p.vertices.length; }
    return y > neckCutHeight(z, neckCutY);
  };
  const polygons = mesh.polygons.filter((p) => p.material === bodyMaterial && above(p));
  const layout = packHeadUvIslands(mesh.uvs, polygons);
  // Base positions (metres) with the corners below the cut lifted onto it.
  const base = (v: number): [number, number, number] => [
    P[3 * v] * HM08_UNITS_TO_METRES,
    Math.max(P[3 * v + 1], neckCutHeight(P[3 * v + 2], neckCutY)) * HM08_UNITS_TO_METRES,
    P[3 * v + 2] * HM08_UNITS_TO_METRES,
  ];

  const outputOf = new Map<string, number>();
  const positions: number[] = [];
  const uvs: number[] = [];
  const atlasUvs: number[] = [];
  const island: number[] = [];
  const sourceOffsets: number[] = [0];
  const sourceVertices: number[] = [];
  /** One output vertex per (position key, UV key): the mean of the given hm08 vertices and UVs. */
  const vertex = (vertices: number[], uvIndices: number[]): number => {
    const key = `${[...vertices].sort((a, b) => a - b).join(',')}/${[...uvIndices].sort((a, b) => a - b).join(',')}`;
    let out = outputOf.get(key);
    if (out !== undefined) return out;
    out = positions.length / 3;
    outputOf.set(key, out);
    const p = [0, 0, 0], uv = [0, 0], atlas = [0, 0];
    for (const v of vertices) { const b = base(v); for (let a = 0; a < 3; a++) p[a] += b[a] / vertices.length; }
    for (const t of uvIndices) {
      const w = layout.uv.get(t)!;
      uv[0] += w[0] / uvIndices.length; uv[1] += w[1] / uvIndices.length;
      atlas[0] += mesh.uvs[2 * t] / uvIndices.length; atlas[1] += mesh.uvs[2 * t + 1] / uvIndices.length;
    }
    positions.push(...p);
    uvs.push(...uv);
    atlasUvs.push(...atlas);
    island.push(layout.island.get(uvIndices[0])!);
    sourceVertices.push(...vertices);
    sourceOffsets.push(sourceVertices.length);
    return out;
  };
  const indices: number[] = [];
  for (const polygon of polygons) {
    const k = polygon.vertices.length;
    const corner = polygon.vertices.map((v, i) => vertex([v], [polygon.uvs[i]]));
    const mid = polygon.vertices.map((v, i) => vertex([v, polygon.vertices[(i + 1) % k]], [polygon.uvs[i], polygon.uvs[(i + 1) % k]]));
    const centre = vertex(polygon.vertices, polygon.uvs);
    // Quad i: corner i, midpoint of edge i, centre, midpoint of the previous edge (keeps the winding).
    for (let i = 0; i < k; i++) {
      const a = corner[i], b = mid[i], c = centre, d = mid[(i + k - 1) % k];
      indices.push(a, b, c, a, c, d);
    }
  }
  // Boundary corners above the plane (of kept polygons whose lower neighbour was cut) go down onto it too.
  const welded = weldByPosition(positions);
  for (const loop of boundaryLoops(indices.map((v) => welded[v]))) {
    const ring = new Set(loop);
    for (let v = 0; v < welded.length; v++) {
      if (ring.has(welded[v])) positions[3 * v + 1] = neckCutHeight(positions[3 * v + 2] / HM08_UNITS_TO_METRES, neckCutY) * HM08_UNITS_TO_METRES;
    }
  }
  return { positions: Float32Array.from(positions), uvs: Float32Array.from(uvs), indices: Uint32Array.from(indices), island: Uint8Array.from(island), sourceOffsets: Uint32Array.from(sourceOffsets), sourceVertices: Uint32Array.from(sourceVertices), atlasUvs: Float32Array.from(atlasUvs) };
}
