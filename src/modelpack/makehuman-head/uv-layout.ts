/**
 * The new head's UV layout, from hm08's own UVs: the cut polygons fall into a few UV islands of the
 * whole-body atlas (the head and face, the mouth cavity, two eye sockets, a strip of neck). The
 * largest island (head and face) is scaled uniformly to the full texture height on the left; the
 * others, inner surfaces the photo never sees, sit at a lower density in the top-right and
 * bottom-right corners. The free width right of the head island is for the face (./face-magnifier.ts).
 */
import type { Hm08Polygon } from './hm08-source.js';

/** Gap around every island, in UV units (texture filtering must not bleed across islands). */
export const ISLAND_MARGIN = 0.01;
const MARGIN = ISLAND_MARGIN;
/** Texel density of the inner islands relative to the head island's before the face warp. */
const INNER_ISLAND_SCALE = 0.6;

interface Island {
  uvIndices: Set<number>;
  polygons: number;
  u0: number; u1: number; v0: number; v1: number;
}

function findIslands(uvs: Float32Array, polygons: Hm08Polygon[]): Island[] {
  const parent = new Map<number, number>();
  const find = (a: number): number => {
    let root = a;
    while (parent.get(root) !== root) root = parent.get(root)!;
    parent.set(a, root);
    return root;
  };
  for (const p of polygons) for (const t of p.uvs) if (!parent.has(t)) parent.set(t, t);
  for (const p of polygons) {
    for (let i = 1; i < p.uvs.length; i++) {
      const a = find(p.uvs[0]), b = find(p.uvs[i]);
      if (a !== b) parent.set(a, b);
    }
  }
  const byRoot = new Map<number, Island>();
  for (const p of polygons) {
    const root = find(p.uvs[0]);
    let island = byRoot.get(root);
    if (!island) byRoot.set(root, (island = { uvIndices: new Set(), polygons: 0, u0: Infinity, u1: -Infinity, v0: Infinity, v1: -Infinity }));
    island.polygons++;
    for (const t of p.uvs) {
      island.uvIndices.add(t);
      island.u0 = Math.min(island.u0, uvs[2 * t]); island.u1 = Math.max(island.u1, uvs[2 * t]);
      island.v0 = Math.min(island.v0, uvs[2 * t + 1]); island.v1 = Math.max(island.v1, uvs[2 * t + 1]);
    }
  }
  // Largest first; ties broken by position so the layout is deterministic.
  return [...byRoot.values()].sort((a, b) => b.polygons - a.polygons || a.u0 - b.u0 || a.v0 - b.v0);
}

/**
 * New UV of every hm08 UV index the polygons use, and its island (0 = head and face, the largest;
 * the others are inner surfaces: mouth cavity, eye sockets, and a strip of neck).
 */
export function packHeadUvIslands(uvs: Float32Array, polygons: Hm08Polygon[]): { uv: Map<number, [number, number]>; island: Map<number, number> } {
  const islands = findIslands(uvs, polygons);
  const [head, ...rest] = islands;
  const scale = (1 - 2 * MARGIN) / (head.v1 - head.v0);
  const result = new Map<number, [number, number]>();
  const islandOf = new Map<number, number>();
  islands.forEach((island, i) => { for (const t of island.uvIndices) islandOf.set(t, i); });
  const place = (island: Island, u: number, v: number, s: number) => {
    for (const t of island.uvIndices) result.set(t, [u + (uvs[2 * t] - island.u0) * s, v + (uvs[2 * t + 1] - island.v0) * s]);
  };
  place(head, MARGIN, MARGIN, scale);
  // The small islands go in the top-right and bottom-right corners, right-aligned, alternating
  // between the two by size: there they sit beside the back of the head and the ears, not beside
  // the face, whose rows the face fill widens to the right edge (./face-magnifier.ts fillRows).
  const innerScale = scale * INNER_ISLAND_SCALE;
  const cursor = [1 - MARGIN, 1 - MARGIN];
  rest.forEach((island, i) => {
    const corner = i % 2, w = (island.u1 - island.u0) * innerScale, h = (island.v1 - island.v0) * innerScale;
    cursor[corner] -= w;
    place(island, cursor[corner], corner === 0 ? 1 - MARGIN - h : MARGIN, innerScale);
    cursor[corner] -= 2 * MARGIN;
  });
  return { uv: result, island: islandOf };
}
