/**
 * Engine-independent layout of an avatar's rig, shared by the GLB writer, the Babylon builder and
 * the preview renderer so that all three agree on joint names, pivots and part placement.
 *
 * Hierarchy: neck > head > (jaw, eyeLeft, eyeRight). The head mesh is skinned to neck, head and
 * jaw (weights in skin-weights.ts; inverse bind matrices are minus each joint's model-space
 * position). Rigid parts hang under a joint (each eyeball under its eye joint, teeth under head),
 * offset by minus the joint's model-space position so that their vertices stay in model space
 * while rotating the joint turns them about its pivot. Model space is glTF's (see ../types.ts).
 */
import { partsFollowingShape, type HeadModel, type SubMesh } from '../modelpack/head-model.js';
import type { AvatarData } from '../types.js';

export type JointName = 'neck' | 'head' | 'jaw' | 'eyeLeft' | 'eyeRight';

export interface RigJoint {
  name: JointName;
  parent: JointName | null;
  /** Model-space pivot, metres. */
  position: [number, number, number];
}

export interface AvatarRig {
  /** Parents before children. */
  joints: RigJoint[];
  /** Eyeball parts: the subject's left eye (+X side) and right eye, when the model has them. */
  eyeLeft: SubMesh | null;
  eyeRight: SubMesh | null;
  /** Parts that are neither eye: rigid under the head joint. */
  otherParts: SubMesh[];
  /** Every part, moved to follow the fitted shape (see partsFollowingShape). */
  parts: SubMesh[];
}

interface Bounds { min: [number, number, number]; max: [number, number, number] }

export function positionBounds(positions: Float32Array): Bounds {
  const min: [number, number, number] = [Infinity, Infinity, Infinity];
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < positions.length; i += 3) {
    for (let k = 0; k < 3; k++) {
      const v = positions[i + k];
      if (v < min[k]) min[k] = v;
      if (v > max[k]) max[k] = v;
    }
  }
  return { min, max };
}

/** Eye parts by name ('left'/'right'), falling back to the side of the pivot (+X = subject's left). */
function splitEyes(parts: SubMesh[]): { left: SubMesh | null; right: SubMesh | null } {
  const eyes = parts.filter((p) => p.material === 'eye');
  let left = eyes.find((p) => /left/i.test(p.name)) ?? null;
  let right = eyes.find((p) => /right/i.test(p.name)) ?? null;
  for (const eye of eyes) {
    if (eye === left || eye === right) continue;
    if (eye.pivot[0] >= 0 && !left) left = eye;
    else if (!right) right = eye;
  }
  return { left, right };
}

function vertexAt(positions: Float32Array, index: number): [number, number, number] {
  return [positions[3 * index], positions[3 * index + 1], positions[3 * index + 2]];
}

/**
 * `fittedParts` (the hair, ../hair/) are already on the fitted shape and hang rigidly under the head.
 * Pivots from the fitted neutral shape: the jaw hinges between the ends of the jaw line (iBUG
 * points 0 and 16, just in front of the ears); the head turns a little below and behind that (the
 * top of the spine); the neck joint sits at the bottom of the mesh.
 */
export function computeAvatarRig(model: HeadModel, neutralVertices: Float32Array, fittedParts: readonly SubMesh[] = []): AvatarRig {
  const { min, max } = positionBounds(neutralVertices);
  const height = max[1] - min[1];
  const depth = max[2] - min[2];
  const centreZ = (min[2] + max[2]) / 2;
  let jaw: [number, number, number];
  const lm = model.landmarks68;
  if (lm && lm.length >= 68 && lm[0] < model.vertexCount && lm[16] < model.vertexCount) {
    const a = vertexAt(neutralVertices, lm[0]);
    const b = vertexAt(neutralVertices, lm[16]);
    jaw = [0, (a[1] + b[1]) / 2, Math.min(a[2], b[2]) - 0.1 * depth];
  } else {
    jaw = [0, min[1] + 0.45 * height, centreZ];
  }
  const head: [number, number, number] = [0, jaw[1] - 0.12 * height, jaw[2] - 0.15 * depth];
  const neck: [number, number, number] = [0, Math.min(min[1], head[1] - 0.05), head[2]];
  // Parts already fitted to this shape (the hair) are not moved again.
  const parts = [...partsFollowingShape(model, neutralVertices), ...fittedParts];
  const { left, right } = splitEyes(parts);
  const eyeFallback = (sign: number): [number, number, number] => [sign * 0.032, jaw[1] + 0.25 * height, max[2] - 0.02];
  const pivot = (part: SubMesh | null, sign: number): [number, number, number] =>
    part ? [part.pivot[0], part.pivot[1], part.pivot[2]] : eyeFallback(sign);
  return {
    joints: [
      { name: 'neck', parent: null, position: neck },
      { name: 'head', parent: 'neck', position: head },
      { name: 'jaw', parent: 'head', position: jaw },
      { name: 'eyeLeft', parent: 'head', position: pivot(left, 1) },
      { name: 'eyeRight', parent: 'head', position: pivot(right, -1) },
    ],
    eyeLeft: left,
    eyeRight: right,
    otherParts: parts.filter((p) => p !== left && p !== right),
    parts,
  };
}

export function jointPosition(rig: AvatarRig, name: JointName): [number, number, number] {
  const joint = rig.joints.find((j) => j.name === name);
  if (!joint) throw new Error(`rig has no joint ${name}`);
  return joint.position;
}

/** Parts an avatar carries beyond its model's own (its hair mesh), already on the fitted shape. */
export function avatarExtraParts(data: AvatarData): SubMesh[] {
  return data.hair?.mesh ? [data.hair.mesh.part] : [];
}

/** Neutral vertices plus the expression basis weighted by `weights` (defaults to the fitted expression). */
export function expressedVertices(data: AvatarData, weights: ArrayLike<number> = data.expression, out?: Float32Array): Float32Array {
  const n3 = data.neutralVertices.length;
  const result = out ?? new Float32Array(n3);
  result.set(data.neutralVertices);
  const basis = data.model.expressionBasis;
  for (let k = 0; k < weights.length; k++) {
    const w = weights[k];
    if (w === 0) continue;
    const offset = k * n3;
    for (let i = 0; i < n3; i++) result[i] += w * basis[offset + i];
  }
  return result;
}
