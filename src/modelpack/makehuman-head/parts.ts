/**
 * The head's separate meshes from the CC0 MakeHuman proxies: HighPolyEyes split into the two
 * eyeballs (pivot = the hm08 eye joint), Teeth_Base and tongue01. Positions in model space.
 */
import type { SubMesh } from '../head-model.js';
import { HM08_UNITS_TO_METRES, type Hm08Mesh } from './hm08-source.js';
import { translate } from './frame.js';
import { loadProxy, type ProxyMesh } from './proxy.js';

export const PART_SOURCES = [
  { kind: 'eyes', name: 'HighPolyEyes' },
  { kind: 'teeth', name: 'Teeth_Base' },
  { kind: 'tongue', name: 'tongue01' },
] as const;

/** Triangles of `proxy` whose centre lies on the given side of x = 0, compacted. */
function sideOf(proxy: ProxyMesh, sign: 1 | -1, t: readonly number[]): { positions: Float32Array; uvs: Float32Array; indices: Uint32Array } {
  const P = proxy.positions;
  const remap = new Int32Array(P.length / 3).fill(-1);
  const positions: number[] = [], uvs: number[] = [], indices: number[] = [];
  for (let i = 0; i < proxy.indices.length; i += 3) {
    const a = proxy.indices[i], b = proxy.indices[i + 1], c = proxy.indices[i + 2];
    if (Math.sign(P[3 * a] + P[3 * b] + P[3 * c]) !== sign) continue;
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

function jointPoint(mesh: Hm08Mesh, joint: string, t: readonly number[]): Float32Array {
  const vertices = mesh.jointVertices[joint];
  const c = [0, 0, 0];
  for (const v of vertices) for (let a = 0; a < 3; a++) c[a] += (mesh.positions[3 * v + a] * HM08_UNITS_TO_METRES) / vertices.length;
  return Float32Array.from(c, (x, a) => x + t[a]);
}

export function buildParts(mesh: Hm08Mesh, t: readonly number[]): { parts: SubMesh[]; proxies: ProxyMesh[] } {
  const [eyes, teeth, tongue] = PART_SOURCES.map((s) => loadProxy(s.kind, s.name, mesh.positions));
  // ARKit/glTF naming: eyeLeft is the subject's left eye, at +X.
  const parts: SubMesh[] = [
    { name: 'eyeLeft', ...sideOf(eyes, 1, t), pivot: jointPoint(mesh, 'eye.L____head', t), material: 'eye' },
    { name: 'eyeRight', ...sideOf(eyes, -1, t), pivot: jointPoint(mesh, 'eye.R____head', t), material: 'eye' },
    { name: 'teeth', positions: translate(teeth.positions, t), uvs: teeth.uvs, indices: teeth.indices, pivot: jointPoint(mesh, 'jaw____head', t), material: 'teeth' },
    { name: 'tongue', positions: translate(tongue.positions, t), uvs: tongue.uvs, indices: tongue.indices, pivot: jointPoint(mesh, 'jaw____head', t), material: 'teeth' },
  ];
  return { parts, proxies: [eyes, teeth, tongue] };
}
