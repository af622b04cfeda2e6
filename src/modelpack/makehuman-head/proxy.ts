/**
 * MakeHuman proxies (eyes, teeth, tongue) fitted to the hm08 base mesh.
 *
 * The mhclo rule places proxy vertex i at sum_k w_ik * base[ref_ik] + offset_i, but this export
 * lacks the per-axis offset scales, so the rule alone is off by up to 0.03-0.12 base units
 * (MAKEHUMAN.md). The stored vertices are exact up to one per-proxy translation (the exporter
 * re-centred each proxy), so we take the stored vertices and remove that translation, estimated as
 * the mean difference between stored and rule positions (the rule's errors average out).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeThreeJsonFaces, HM08_UNITS_TO_METRES, makehumanDataDir } from './hm08-source.js';

export interface ProxyMesh {
  name: string;
  /** Metres, hm08 frame. */
  positions: Float32Array;
  uvs: Float32Array;
  indices: Uint32Array;
  /** Translation removed from the stored vertices (hm08 units), for the provenance log. */
  recentring: [number, number, number];
  author: string;
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
  const vertex = (v: number, t: number) => {
    const key = `${v}/${t}`;
    let out = outputOf.get(key);
    if (out === undefined) {
      out = positions.length / 3;
      outputOf.set(key, out);
      for (let a = 0; a < 3; a++) positions.push((json.vertices[3 * v + a] - shift[a]) * HM08_UNITS_TO_METRES);
      uvs.push(sourceUvs[2 * t] ?? 0, sourceUvs[2 * t + 1] ?? 0);
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
  };
}
