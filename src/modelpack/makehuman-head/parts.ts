/**
 * The head's separate meshes from the CC0 MakeHuman proxies: HighPolyEyes split into the two
 * eyeballs (pivot = the hm08 eye joint), Teeth_Base split into upper and lower teeth, and tongue01
 * (pivot = the hm08 jaw joint). Positions in model space.
 */
import type { SubMesh } from '../head-model.js';
import { HM08_UNITS_TO_METRES, type Hm08Mesh } from './hm08-source.js';
import { translate } from './frame.js';
import { loadProxy, type ProxyMesh } from './proxy.js';
import { TONGUE_SHADE, TOOTH_IVORY, type MouthPartTexture } from './mouth-parts-albedo.js';

export const PART_SOURCES = [
  { kind: 'eyes', name: 'HighPolyEyes' },
  { kind: 'teeth', name: 'Teeth_Base' },
  { kind: 'tongue', name: 'tongue01' },
] as const;

/** The proxy whose diffuse texture colours each mouth part, and its tint (./mouth-parts-albedo.ts). */
export const MOUTH_PART_TEXTURES: Record<string, MouthPartTexture> = {
  upperTeeth: { kind: 'teeth', name: 'Teeth_Base', tint: TOOTH_IVORY, teeth: true },
  lowerTeeth: { kind: 'teeth', name: 'Teeth_Base', tint: TOOTH_IVORY, teeth: true },
  tongue: { kind: 'tongue', name: 'tongue01', tint: TONGUE_SHADE, teeth: false },
};

/** The triangles of `proxy` that `keep` accepts, compacted and moved by `t`. */
function subset(proxy: ProxyMesh, keep: (a: number, b: number, c: number) => boolean, t: readonly number[]): { positions: Float32Array; uvs: Float32Array; indices: Uint32Array } {
  const P = proxy.positions;
  const remap = new Int32Array(P.length / 3).fill(-1);
  const positions: number[] = [], uvs: number[] = [], indices: number[] = [];
  for (let i = 0; i < proxy.indices.length; i += 3) {
    const a = proxy.indices[i], b = proxy.indices[i + 1], c = proxy.indices[i + 2];
    if (!keep(a, b, c)) continue;
    for (const v of [a, b, c]) {
      if (remap[v] < 0) {
        remap[v] = positions.length / 3;
        positions.push(P[3 * v] + t[0], P[3 * v + 1] + t[1], P[3 * v + 2] + t[2]);
        uvs.push(proxy.uvs[2 * v], proxy.uvs[2 * v + 1]);
      }
      indices.push(remap[v]);
    }
  }
  return { positions: Float32Array.from(positions), uvs: Float32Array.from(uvs), indices: Uint32Array.from(indices) };
}

/** Triangles whose centre lies on the given side of x = 0. */
function sideOf(proxy: ProxyMesh, sign: 1 | -1, t: readonly number[]) {
  const P = proxy.positions;
  return subset(proxy, (a, b, c) => Math.sign(P[3 * a] + P[3 * b] + P[3 * c]) === sign, t);
}

/**
 * Per vertex: true on the lower teeth and gums. Teeth_Base is one connected piece per tooth and
 * gum; a piece is lower when its centre lies below the occlusal plane, the line y = a + b z fitted
 * through all pieces' centres (upper and lower pieces balance each other about it).
 */
function lowerJawPieces(proxy: ProxyMesh): Uint8Array {
  const P = proxy.positions, n = P.length / 3;
  const root = Int32Array.from({ length: n }, (_, i) => i);
  const find = (v: number): number => { while (root[v] !== v) v = root[v] = root[root[v]]; return v; };
  for (let i = 0; i < proxy.indices.length; i += 3) {
    const a = find(proxy.indices[i]);
    root[find(proxy.indices[i + 1])] = a;
    root[find(proxy.indices[i + 2])] = a;
  }
  const sums = new Map<number, [number, number, number]>();
  for (let v = 0; v < n; v++) {
    const s = sums.get(find(v)) ?? [0, 0, 0];
    s[0] += P[3 * v + 1]; s[1] += P[3 * v + 2]; s[2] += 1;
    sums.set(find(v), s);
  }
  // Least-squares line through the piece centres (one point per piece).
  let sz = 0, sy = 0, szz = 0, szy = 0;
  for (const [y, z, count] of sums.values()) { const cy = y / count, cz = z / count; sz += cz; sy += cy; szz += cz * cz; szy += cz * cy; }
  const k = sums.size, slope = (k * szy - sz * sy) / (k * szz - sz * sz), intercept = (sy - slope * sz) / k;
  return Uint8Array.from({ length: n }, (_, v) => {
    const [y, z, count] = sums.get(find(v))!;
    return y / count < intercept + (slope * z) / count ? 1 : 0;
  });
}

function jointPoint(mesh: Hm08Mesh, joint: string, t: readonly number[]): Float32Array {
  const vertices = mesh.jointVertices[joint];
  const c = [0, 0, 0];
  for (const v of vertices) for (let a = 0; a < 3; a++) c[a] += (mesh.positions[3 * v + a] * HM08_UNITS_TO_METRES) / vertices.length;
  return Float32Array.from(c, (x, a) => x + t[a]);
}

export function buildParts(mesh: Hm08Mesh, t: readonly number[]): { parts: SubMesh[]; proxies: ProxyMesh[] } {
  const [eyes, teeth, tongue] = PART_SOURCES.map((s) => loadProxy(s.kind, s.name, mesh.positions));
  const lower = lowerJawPieces(teeth);
  const jaw = jointPoint(mesh, 'jaw____head', t);
  // ARKit/glTF naming: eyeLeft is the subject's left eye, at +X. The lower teeth and tongue get
  // their jawOpen morph in ./jaw-parts.ts.
  const parts: SubMesh[] = [
    { name: 'eyeLeft', ...sideOf(eyes, 1, t), pivot: jointPoint(mesh, 'eye.L____head', t), material: 'eye' },
    { name: 'eyeRight', ...sideOf(eyes, -1, t), pivot: jointPoint(mesh, 'eye.R____head', t), material: 'eye' },
    { name: 'upperTeeth', ...subset(teeth, (a) => lower[a] === 0, t), pivot: Float32Array.from(jaw), material: 'teeth' },
    { name: 'lowerTeeth', ...subset(teeth, (a) => lower[a] === 1, t), pivot: Float32Array.from(jaw), material: 'teeth' },
    { name: 'tongue', positions: translate(tongue.positions, t), uvs: tongue.uvs, indices: tongue.indices, pivot: Float32Array.from(jaw), material: 'teeth' },
  ];
  return { parts, proxies: [eyes, teeth, tongue] };
}
