/**
 * Cuts the head and neck out of the hm08 base mesh: the skin (`body` group) polygons above the
 * neck cut, with ears, nostrils, eye sockets and the mouth cavity as hm08 models them. Quads are
 * split into triangles; a vertex is duplicated where its polygons use different UVs (seams), so
 * every output vertex has one UV. Output is in metres, still in hm08's frame (see ./frame.ts).
 */
import { HM08_UNITS_TO_METRES, type Hm08Mesh } from './hm08-source.js';
import { packHeadUvIslands } from './uv-layout.js';

/**
 * The neck cut, in hm08 units (decimetres): a plane through the neck below the jaw and above the
 * shoulders, lower at the throat than at the nape (y = NECK_CUT_Y + NECK_CUT_SLOPE * (z - 0.3)),
 * like a shirt collar. Polygons whose centre lies above it are kept, and their corners below it
 * are moved up onto it, so the bottom is one clean planar ring that sits on a body.
 */
export const NECK_CUT_Y = 6.0;
const NECK_CUT_SLOPE = -0.35;

function neckCutHeight(z: number, neckCutY: number): number {
  return neckCutY + NECK_CUT_SLOPE * (z - 0.3);
}

export interface HeadCut {
  /** Metres, hm08 frame. */
  positions: Float32Array;
  uvs: Float32Array;
  indices: Uint32Array;
  /** hm08 vertex of each output vertex (seam copies share one). */
  sourceVertex: Uint32Array;
  /** UV island of each output vertex: 0 = head and face, others = mouth cavity, eye sockets, neck strip. */
  island: Uint8Array;
  /** Output vertex of each hm08 vertex (the first copy), or -1 when cut away. */
  vertexOfSource: Int32Array;
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
  const island: number[] = [];

  const outputOf = new Map<string, number>();
  const sourceVertex: number[] = [];
  const uvs: number[] = [];
  const vertexOfSource = new Int32Array(P.length / 3).fill(-1);
  const outputVertex = (v: number, uvIndex: number): number => {
    const key = `${v}/${uvIndex}`;
    let out = outputOf.get(key);
    if (out === undefined) {
      out = sourceVertex.length;
      outputOf.set(key, out);
      sourceVertex.push(v);
      const [u, w] = layout.uv.get(uvIndex)!;
      island.push(layout.island.get(uvIndex)!);
      uvs.push(u, w);
      if (vertexOfSource[v] < 0) vertexOfSource[v] = out;
    }
    return out;
  };
  const indices: number[] = [];
  for (const polygon of polygons) {
    const corners = polygon.vertices.map((v, i) => outputVertex(v, polygon.uvs[i]));
    for (let k = 1; k + 1 < corners.length; k++) indices.push(corners[0], corners[k], corners[k + 1]);
  }
  const positions = new Float32Array(sourceVertex.length * 3);
  sourceVertex.forEach((v, i) => {
    const y = Math.max(P[3 * v + 1], neckCutHeight(P[3 * v + 2], neckCutY));
    positions[3 * i] = P[3 * v] * HM08_UNITS_TO_METRES;
    positions[3 * i + 1] = y * HM08_UNITS_TO_METRES;
    positions[3 * i + 2] = P[3 * v + 2] * HM08_UNITS_TO_METRES;
  });
  return { positions, uvs: Float32Array.from(uvs), indices: Uint32Array.from(indices), island: Uint8Array.from(island), sourceVertex: Uint32Array.from(sourceVertex), vertexOfSource };
}
