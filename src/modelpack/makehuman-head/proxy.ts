/**
 * MakeHuman proxies (eyes, teeth, tongue, eyebrows, eyelashes, hair) fitted to the hm08 base mesh.
 *
 * The mhclo rule places proxy vertex i at sum_k w_ik * base[ref_ik] + offset_i, but this export
 * lacks the per-axis offset scales, so the rule alone is off by up to 0.03-0.12 base units
 * (MAKEHUMAN.md). The stored vertices are exact up to one per-proxy translation (the exporter
 * re-centred each proxy), so we take the stored vertices and remove that translation, estimated as
 * the mean difference between stored and rule positions (the rule's errors average out).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodePng, type DecodedPng } from '../../image/png-codec.js';
import { chamferDistance } from '../../image/chamfer-distance.js';
import { downscaleArea } from '../../image/resize.js';
import { createRasterTarget, rasterizeTriangles, uvScreenPositions } from '../../render/rasterize.js';
import { decodeThreeJsonFaces, HM08_UNITS_TO_METRES, makehumanDataDir } from './hm08-source.js';

/** Authors the CC0 grant covers (MAKEHUMAN.md: only MakeHuman team items ship; Mindfront's CC BY items and community items do not). */
const MAKEHUMAN_TEAM = /bastioni|hauquier|larsson|makehuman team/i;

export function checkMakeHumanTeam(proxy: ProxyMesh): void {
  if (!MAKEHUMAN_TEAM.test(proxy.author)) throw new Error(`${proxy.name}: author "${proxy.author}" is not covered by the MakeHuman CC0 grant`);
}

/**
 * A proxy's RGBA strand texture (hair, brows, lashes) as sRGB luminance + alpha, size x size.
 * Transparent texels are black in these PNGs: they get the strands' mean colour first, so that
 * averaging (and later bilinear sampling) does not darken the strands' edges.
 */
export function strandTexture(kind: string, name: string, size: number): Uint8Array {
  const png = proxyDiffuse(kind, name);
  const mean = [0, 0, 0];
  let opaque = 0;
  for (let p = 3; p < png.data.length; p += 4) if (png.data[p] >= 128) { for (let c = 0; c < 3; c++) mean[c] += png.data[p - 3 + c]; opaque++; }
  const filled = Uint8Array.from(png.data);
  for (let p = 3; p < filled.length; p += 4) if (filled[p] < 128) for (let c = 0; c < 3; c++) filled[p - 3 + c] = Math.round(mean[c] / Math.max(1, opaque));
  const small = downscaleArea({ width: png.width, height: png.height, data: filled }, size, size);
  const out = new Uint8Array(size * size * 2);
  for (let p = 0; p < size * size; p++) {
    const r = small.data[4 * p], g = small.data[4 * p + 1], b = small.data[4 * p + 2];
    out[2 * p] = Math.round(0.2126 * r + 0.7152 * g + 0.0722 * b);
    out[2 * p + 1] = small.data[4 * p + 3];
  }
  return out;
}

/**
 * `luminanceAlpha` (strandTexture's layout) with its alpha faded to 0 over `fadeTexels` towards the
 * outline of the cards' UV triangles. MakeHuman's brow cards hug their brows, so the strands run on
 * past the cards' edges: cut by the polygon, the strands' alpha stopped there in an edge the shape
 * of the triangles (the lashes' outline held 0.17 alpha against 0.31 inside). Faded, the outline is
 * the strands' own.
 */
export function fadeAtCardOutline(luminanceAlpha: Uint8Array, size: number, uvs: Float32Array, indices: Uint32Array, fadeTexels: number): Uint8Array {
  const target = createRasterTarget(size, size);
  rasterizeTriangles(target, uvScreenPositions(uvs, size), indices);
  const inside = new Float32Array(size * size);
  for (let p = 0; p < size * size; p++) inside[p] = target.triangle[p] >= 0 ? Infinity : 0;
  const distance = chamferDistance(inside, size);
  const out = Uint8Array.from(luminanceAlpha);
  for (let p = 0; p < size * size; p++) out[2 * p + 1] = Math.round(luminanceAlpha[2 * p + 1] * Math.min(1, distance[p] / fadeTexels));
  return out;
}

/** A proxy's diffuse texture (the PNG its JSON's first material names), decoded to RGBA. */
export function proxyDiffuse(kind: string, name: string): DecodedPng {
  const dir = path.join(makehumanDataDir(), 'proxies', kind, name);
  const json = JSON.parse(readFileSync(path.join(dir, `${name}.json`), 'utf8')) as { materials: { mapDiffuse: string }[] };
  return decodePng(new Uint8Array(readFileSync(path.join(dir, json.materials[0].mapDiffuse))));
}

export interface ProxyMesh {
  name: string;
  /** Metres, hm08 frame. */
  positions: Float32Array;
  uvs: Float32Array;
  indices: Uint32Array;
  /** Translation removed from the stored vertices (hm08 units), for the provenance log. */
  recentring: [number, number, number];
  author: string;
  /** Per output vertex, the mhclo rule's three hm08 vertices and weights (the proxy's own fit). */
  ref: { vertices: Uint32Array; weights: Float32Array };
}

interface ProxyJson {
  vertices: number[];
  uvs: number[][];
  faces: number[];
  ref_vIdxs: number[][];
  weights: number[][];
  offsets: number[][];
  metadata: { license?: { author?: string } };
}

export function loadProxy(kind: string, name: string, basePositions: Float32Array): ProxyMesh {
  const file = path.join(makehumanDataDir(), 'proxies', kind, name, `${name}.json`);
  const json = JSON.parse(readFileSync(file, 'utf8')) as ProxyJson;
  const count = json.vertices.length / 3;
  const shift: [number, number, number] = [0, 0, 0];
  for (let i = 0; i < count; i++) {
    for (let a = 0; a < 3; a++) {
      let rule = json.offsets[i][a];
      for (let k = 0; k < 3; k++) rule += json.weights[i][k] * basePositions[3 * json.ref_vIdxs[i][k] + a];
      shift[a] += (json.vertices[3 * i + a] - rule) / count;
    }
  }
  // Split vertices at UV seams, as the head does.
  const polygons = decodeThreeJsonFaces(json.faces, json.uvs.length);
  const sourceUvs = json.uvs[0];
  const outputOf = new Map<string, number>();
  const positions: number[] = [];
  const uvs: number[] = [];
  const indices: number[] = [];
  const refVertices: number[] = [], refWeights: number[] = [];
  const vertex = (v: number, t: number) => {
    const key = `${v}/${t}`;
    let out = outputOf.get(key);
    if (out === undefined) {
      out = positions.length / 3;
      outputOf.set(key, out);
      for (let a = 0; a < 3; a++) positions.push((json.vertices[3 * v + a] - shift[a]) * HM08_UNITS_TO_METRES);
      uvs.push(sourceUvs[2 * t] ?? 0, sourceUvs[2 * t + 1] ?? 0);
      refVertices.push(...json.ref_vIdxs[v]);
      refWeights.push(...json.weights[v]);
    }
    return out;
  };
  for (const polygon of polygons) {
    const corners = polygon.vertices.map((v, i) => vertex(v, polygon.uvs[i] ?? v));
    for (let k = 1; k + 1 < corners.length; k++) indices.push(corners[0], corners[k], corners[k + 1]);
  }
  return {
    name,
    positions: Float32Array.from(positions),
    uvs: Float32Array.from(uvs),
    indices: Uint32Array.from(indices),
    recentring: shift,
    author: json.metadata.license?.author ?? 'unknown',
    ref: { vertices: Uint32Array.from(refVertices), weights: Float32Array.from(refWeights) },
  };
}
