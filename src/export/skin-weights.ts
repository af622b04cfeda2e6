/**
 * Skin weights of the head mesh for the avatar rig (avatar-rig.ts), derived geometrically from any
 * pack's neutral shape and iBUG-68 landmarks, so the Babylon skeleton and the GLB skin agree.
 *
 * - jaw: everything below the mouth line (the inner lips, continued from each mouth corner towards
 *   the jaw hinge), in front of the hinge and above the lower border of the mandible (the line from
 *   the chin to the hinge, seen from the side). The lips split sharply; the cheeks blend over a band
 *   that widens away from the mouth corners, and the skin under the chin fades out towards the neck.
 * - neck: below that mandible line, blending in with decreasing height down to the neck joint.
 * - head: the rest. The eyes are not skinned (eyeballs hang rigidly under their eye joints).
 *
 * Weights are four influences per vertex in rig joint order (JOINT_* below), summing to 1.
 */
import type { HeadModel } from '../modelpack/head-model.js';
import { jointPosition, positionBounds, type AvatarRig } from './avatar-rig.js';

/** Indices of the joints in AvatarRig.joints (and in the Babylon skeleton and the GLB skin). */
export const JOINT_NECK = 0;
export const JOINT_HEAD = 1;
export const JOINT_JAW = 2;

export interface SkinWeights {
  /** Four joint indices per vertex. */
  joints: Uint8Array;
  /** Four weights per vertex, summing to 1 (unused slots 0). */
  weights: Float32Array;
}

/** iBUG-68 points used here. */
const CHIN = 8;
const INNER_UPPER_LIP = [60, 61, 62, 63, 64];
const INNER_LOWER_LIP = [60, 67, 66, 65, 64];
/** Half the lip-line blend band at the lips (metres): the lips part cleanly. */
const LIP_BAND = 0.0004;
/** Growth of the blend band per metre sideways beyond a mouth corner. */
const CHEEK_BAND_SLOPE = 0.35;

export function smoothstep(edge0: number, edge1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - edge0) / (edge1 - edge0)));
  return t * t * (3 - 2 * t);
}

/** y of a polyline (points sorted by x) at x, linear between points and clamped at the ends. */
function polylineY(xs: Float64Array, ys: Float64Array, x: number): number {
  const last = xs.length - 1;
  if (x <= xs[0]) return ys[0];
  if (x >= xs[last]) return ys[last];
  let i = 1;
  while (xs[i] < x) i++;
  const t = (x - xs[i - 1]) / (xs[i] - xs[i - 1] || 1);
  return ys[i - 1] + t * (ys[i] - ys[i - 1]);
}

/** The lip line through the given landmarks, extended from both corners to the jaw hinge. */
function mouthLine(vertices: Float32Array, landmarks: ArrayLike<number>, lipPoints: number[], hinge: [number, number, number], hingeHalfWidth: number) {
  const points: [number, number][] = lipPoints.map((p) => [vertices[3 * landmarks[p]], vertices[3 * landmarks[p] + 1]]);
  points.push([-hingeHalfWidth, hinge[1]], [hingeHalfWidth, hinge[1]]);
  points.sort((a, b) => a[0] - b[0]);
  return { xs: Float64Array.from(points, (p) => p[0]), ys: Float64Array.from(points, (p) => p[1]) };
}

function hasLandmarks(model: HeadModel): boolean {
  const lm = model.landmarks68;
  if (!lm || lm.length < 68) return false;
  for (const p of [0, 16, CHIN, ...INNER_UPPER_LIP, ...INNER_LOWER_LIP]) if (lm[p] >= model.vertexCount) return false;
  return true;
}

/** Per-vertex neck / head / jaw weights for the fitted neutral vertices. */
export function computeSkinWeights(model: HeadModel, neutralVertices: Float32Array, rig: AvatarRig): SkinWeights {
  const n = neutralVertices.length / 3;
  const joints = new Uint8Array(n * 4);
  const weights = new Float32Array(n * 4);
  const neck = jointPosition(rig, 'neck');
  const head = jointPosition(rig, 'head');
  const hinge = jointPosition(rig, 'jaw');
  const { min, max } = positionBounds(neutralVertices);
  const depth = max[2] - min[2];
  const withLandmarks = hasLandmarks(model);
  const lm = model.landmarks68;

  let jawFactor: (x: number, y: number, z: number) => number = () => 0;
  // Without landmarks the chin is guessed at the front bottom of the face.
  let chin: [number, number] = [min[1] + 0.2 * (max[1] - min[1]), max[2] - 0.15 * depth];
  if (withLandmarks) {
    chin = [neutralVertices[3 * lm[CHIN] + 1], neutralVertices[3 * lm[CHIN] + 2]];
    const hingeHalfWidth = Math.max(Math.abs(neutralVertices[3 * lm[0]]), Math.abs(neutralVertices[3 * lm[16]]));
    const upper = mouthLine(neutralVertices, lm, INNER_UPPER_LIP, hinge, hingeHalfWidth);
    const lower = mouthLine(neutralVertices, lm, INNER_LOWER_LIP, hinge, hingeHalfWidth);
    const cornerX = [neutralVertices[3 * lm[60]], neutralVertices[3 * lm[64]]].sort((a, b) => a - b);
    const hingeBand = 0.15 * depth;
    jawFactor = (x, y, z) => {
      const top = polylineY(upper.xs, upper.ys, x);
      const bottom = polylineY(lower.xs, lower.ys, x);
      const middle = (top + bottom) / 2;
      const beyondCorner = Math.max(0, cornerX[0] - x, x - cornerX[1]);
      const band = Math.max(0, (top - bottom) / 2) + LIP_BAND + CHEEK_BAND_SLOPE * beyondCorner;
      const belowMouth = smoothstep(middle + band, middle - band, y);
      const inFrontOfHinge = smoothstep(hinge[2] - hingeBand, hinge[2] + hingeBand, z);
      return belowMouth * inFrontOfHinge;
    };
  }

  // The lower border of the mandible seen from the side: chin to hinge in the y-z plane.
  let uz = hinge[2] - chin[1], uy = hinge[1] - chin[0];
  const length = Math.hypot(uz, uy) || 1;
  uz /= length; uy /= length;
  const underJawBand = 0.5 * length;
  const neckTop = hinge[1];
  const neckFull = neck[1] + 0.35 * (head[1] - neck[1]);

  for (let v = 0; v < n; v++) {
    const x = neutralVertices[3 * v], y = neutralVertices[3 * v + 1], z = neutralVertices[3 * v + 2];
    // Positive below (and behind) the mandible line.
    const belowJawLine = uz * (y - chin[0]) - uy * (z - chin[1]);
    const underJaw = smoothstep(0, underJawBand, belowJawLine);
    const neckWeight = underJaw * smoothstep(neckTop, neckFull, y);
    const jawWeight = (1 - neckWeight) * jawFactor(x, y, z) * (1 - underJaw);
    const o = 4 * v;
    joints[o] = JOINT_NECK; joints[o + 1] = JOINT_HEAD; joints[o + 2] = JOINT_JAW; joints[o + 3] = 0;
    weights[o] = neckWeight;
    weights[o + 2] = jawWeight;
    weights[o + 1] = 1 - neckWeight - jawWeight;
  }
  return { joints, weights };
}
