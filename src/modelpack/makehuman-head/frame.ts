/**
 * Where the new head sits in model space. hm08 already uses the project's axes (+Y up, +Z out of
 * the face, +X the subject's left; ../../types.ts); it only needs metres and an origin. The origin
 * puts the midpoint of the two eyeball centres where the reference head has it, so everything the
 * fitter assumes about a head in model space (camera distance, the head's centre) carries over.
 */
import { HM08_UNITS_TO_METRES, type Hm08Mesh } from './hm08-source.js';

/** Midpoint of the reference head's eyeball centres (metres). */
export const EYE_MIDPOINT: readonly [number, number, number] = [0, 0.0264, 0.0235];

function jointCentre(mesh: Hm08Mesh, joint: string): [number, number, number] {
  const vertices = mesh.jointVertices[joint];
  if (!vertices?.length) throw new Error(`hm08 has no joint ${joint}`);
  const c: [number, number, number] = [0, 0, 0];
  for (const v of vertices) for (let a = 0; a < 3; a++) c[a] += mesh.positions[3 * v + a] / vertices.length;
  return c;
}

/** Translation (metres) that takes hm08 positions, already scaled to metres, into model space. */
export function modelTranslation(mesh: Hm08Mesh): [number, number, number] {
  const left = jointCentre(mesh, 'eye.L____head'), right = jointCentre(mesh, 'eye.R____head');
  return [0, 1, 2].map((a) => EYE_MIDPOINT[a] - ((left[a] + right[a]) / 2) * HM08_UNITS_TO_METRES) as [number, number, number];
}

export function translate(positions: Float32Array, t: readonly number[]): Float32Array {
  const out = new Float32Array(positions.length);
  for (let i = 0; i < positions.length; i += 3) {
    out[i] = positions[i] + t[0];
    out[i + 1] = positions[i + 1] + t[1];
    out[i + 2] = positions[i + 2] + t[2];
  }
  return out;
}
