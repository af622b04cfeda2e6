/**
 * jawOpen from MakeHuman's own jaw drop: the CC0 expression unit `mouth-open`, which opens the lips
 * and turns the mandible's skin, the mouth cavity's floor and the lower-teeth helper together. The
 * head takes the unit's displacement as it is; the parts that ride on the mandible (lower teeth,
 * tongue) turn rigidly about the jaw joint by the angle that best reproduces the helper's motion,
 * so teeth, tongue, lips and cavity stay together. (Retargeted from the procedural reference head,
 * the cavity took its neighbours' lip motion and folded over the tongue: the open mouth showed the
 * skin's inside over 24 % as many pixels as its teeth and tongue.)
 */
import type { SubMesh } from '../head-model.js';
import type { HeadCut } from './head-cut.js';
import { HM08_UNITS_TO_METRES, type Hm08Mesh } from './hm08-source.js';
import { readTargets } from './targets.js';

const MOUTH_OPEN_TARGET = 'data/targets/expression/units/caucasian/mouth-open.target';
/** hm08's fitting helper that the Teeth_Base proxy's lower teeth follow. */
const LOWER_TEETH_HELPER = 'helper-lower-teeth';

/**
 * Angle (radians, positive opens) of the turn about the x axis through `pivot` that best matches
 * `displacement` at `vertices`, by least squares on the small-angle motion (one unknown).
 */
export function jawOpenAngle(positions: Float32Array, displacement: Float32Array, vertices: ArrayLike<number>, pivot: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < vertices.length; i++) {
    const v = vertices[i];
    const ry = positions[3 * v + 1] - pivot[1], rz = positions[3 * v + 2] - pivot[2];
    // Opening turns a point below and in front of the hinge down and back: d/dθ (y, z) = (-rz, ry).
    num += -rz * displacement[3 * v + 1] + ry * displacement[3 * v + 2];
    den += rz * rz + ry * ry;
  }
  return den > 0 ? num / den : 0;
}

/** A displacement of hm08's vertices (hm08 units) on the cut head, in metres: each cut vertex averages its sources. */
function cutDisplacement(cut: HeadCut, displacement: Float32Array): Float32Array {
  const n = cut.sourceOffsets.length - 1;
  const out = new Float32Array(3 * n);
  for (let v = 0; v < n; v++) {
    const from = cut.sourceOffsets[v], to = cut.sourceOffsets[v + 1];
    const scale = HM08_UNITS_TO_METRES / (to - from);
    for (let k = from; k < to; k++) {
      const s = cut.sourceVertices[k];
      for (let a = 0; a < 3; a++) out[3 * v + a] += displacement[3 * s + a] * scale;
    }
  }
  return out;
}

/** The head's jawOpen displacement (metres, cut order) and the mandible's turn (radians) under MakeHuman's mouth-open unit. */
export function makehumanJawOpen(hm08: Hm08Mesh, cut: HeadCut): { head: Float32Array; angle: number } {
  const count = hm08.positions.length / 3;
  const [unit] = readTargets([MOUTH_OPEN_TARGET], count);
  const helper = hm08.materialNames.indexOf(LOWER_TEETH_HELPER);
  const teeth = new Set<number>();
  for (const polygon of hm08.polygons) if (polygon.material === helper) for (const v of polygon.vertices) teeth.add(v);
  const joint = hm08.jointVertices['jaw____head'];
  const pivot = [0, 1, 2].map((a) => joint.reduce((sum, v) => sum + hm08.positions[3 * v + a], 0) / joint.length);
  // The angle is scale-free, so hm08 units serve for positions and displacement alike.
  return { head: cutDisplacement(cut, unit), angle: jawOpenAngle(hm08.positions, unit, [...teeth], pivot) };
}

/** The part with a 'jawOpen' morph: its vertices turned by `angle` about the x axis through `pivot`. */
export function withJawOpenMorph(part: SubMesh, angle: number, pivot: ArrayLike<number>): SubMesh {
  const c = Math.cos(angle), s = Math.sin(angle);
  const displacement = new Float32Array(part.positions.length);
  for (let i = 0; i < part.positions.length; i += 3) {
    const ry = part.positions[i + 1] - pivot[1], rz = part.positions[i + 2] - pivot[2];
    displacement[i + 1] = ry * c - rz * s - ry;
    displacement[i + 2] = ry * s + rz * c - rz;
  }
  return { ...part, morphs: { names: ['jawOpen'], displacements: displacement } };
}
