/**
 * jawOpen for the parts that ride on the mandible (lower teeth, tongue): a rigid turn about the
 * jaw joint's left-right axis, by the angle that best reproduces the head's own jawOpen motion of
 * the chin and lower lip, so teeth, tongue and lip move together.
 */
import type { SubMesh } from '../head-model.js';

/** MediaPipe points that ride on the mandible: lower lip (inner and outer middle), chin tip. */
const MANDIBLE_POINTS = [14, 17, 152];

/**
 * Angle (radians, positive opens) whose turn about `pivot` best matches the jawOpen displacement
 * of the mandible points, by least squares on the small-angle motion (one unknown).
 */
export function jawOpenAngle(positions: Float32Array, jawOpen: Float32Array, landmarks468: Uint32Array, pivot: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (const i of MANDIBLE_POINTS) {
    const v = landmarks468[i];
    const ry = positions[3 * v + 1] - pivot[1], rz = positions[3 * v + 2] - pivot[2];
    // Opening turns a point below and in front of the hinge down and back: d/dθ (y, z) = (-rz, ry).
    num += -rz * jawOpen[3 * v + 1] + ry * jawOpen[3 * v + 2];
    den += rz * rz + ry * ry;
  }
  return den > 0 ? num / den : 0;
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
