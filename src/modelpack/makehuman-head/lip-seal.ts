/**
 * Brings the inner lips together: at rest (sealLips) and over the opened jaw (mouthCloseField).
 * The canonical face's inner lips are about 6 mm apart, so the neutral avatar shows its teeth
 * through a slit; at rest each upper inner-lip MediaPipe vertex and its lower partner meet at their
 * midpoint, the mouth corners stay put, and the change is spread over the lips by the face warp's
 * exact Gaussian RBF with a radius that leaves nose and chin alone.
 */
import { warpToCanonicalProportions } from './face-proportions.js';

/** Upper and lower inner-lip MediaPipe points, facing each other across the mouth slit. */
export const INNER_LIP_PAIRS: ReadonlyArray<readonly [number, number]> = [
  [191, 95], [80, 88], [81, 178], [82, 87], [13, 14], [312, 317], [311, 402], [310, 318], [415, 324],
];
const MOUTH_CORNERS = [78, 308];
const LIP_SIGMA = 0.006;
/**
 * mouthClose: the share of the jaw-opened lip gap's height that the upper lip closes by coming
 * down; the lower lip rises by the rest. The reference head's corrective split its gap 0.4 / 0.6;
 * MakeHuman's jaw opens the inner lips 38 mm, and 0.4 of that stretched the upper lip visibly long.
 */
const UPPER_LIP_SHARE = 0.3;
/** mouthClose's RBF radius (metres): the lower lip's correction fades out before the chin. */
const CLOSE_SIGMA = 0.009;
/** Points that stay where jawOpen puts them under mouthClose: the chin (152 ... 200) and the nose's base (2, 98, 327). */
const CLOSE_ANCHORS = [152, 175, 199, 200, 2, 98, 327];

/** The rest shape with the inner lips meeting (same layout as `positions`). */
export function sealLips(positions: Float32Array, landmarks468: Uint32Array): Float32Array {
  const controls: number[] = [], targets: number[] = [];
  const at = (v: number) => [positions[3 * v], positions[3 * v + 1], positions[3 * v + 2]];
  for (const [upper, lower] of INNER_LIP_PAIRS) {
    const u = at(landmarks468[upper]), l = at(landmarks468[lower]);
    const mid = u.map((x, a) => (x + l[a]) / 2);
    controls.push(landmarks468[upper], landmarks468[lower]);
    targets.push(...mid, ...mid);
  }
  for (const c of MOUTH_CORNERS) { controls.push(landmarks468[c]); targets.push(...at(landmarks468[c])); }
  return warpToCanonicalProportions(positions, controls, Float32Array.from(targets), LIP_SIGMA);
}

/**
 * ARKit's mouthClose as a corrective on `jawOpen` (both vertexCount * 3 fields; lips closed, jaw
 * dropped): on the opened mouth each inner-lip pair meets UPPER_LIP_SHARE of the way down the gap,
 * at the upper lip's depth, so the upper lip only comes down (never back into the upper teeth, with
 * or without jawOpen) and the lower lip rises and comes forward in front of the dropped lower teeth.
 * Chin and nose base stay where jawOpen puts them. The correction is spread from those controls by
 * the face warp's Gaussian RBF on the opened shape, where the lips are apart (on the sealed rest
 * shape upper and lower lip vertices nearly coincide and could not be moved apart smoothly).
 */
export function mouthCloseField(positions: Float32Array, jawOpen: Float32Array, landmarks468: Uint32Array): Float32Array {
  const open = new Float32Array(positions.length);
  for (let i = 0; i < open.length; i++) open[i] = positions[i] + jawOpen[i];
  const at = (v: number) => [open[3 * v], open[3 * v + 1], open[3 * v + 2]];
  const controls: number[] = [], targets: number[] = [];
  for (const [upper, lower] of INNER_LIP_PAIRS) {
    const u = at(landmarks468[upper]), l = at(landmarks468[lower]);
    const meet = [(u[0] + l[0]) / 2, u[1] + UPPER_LIP_SHARE * (l[1] - u[1]), u[2]];
    controls.push(landmarks468[upper], landmarks468[lower]);
    targets.push(...meet, ...meet);
  }
  for (const a of CLOSE_ANCHORS) { controls.push(landmarks468[a]); targets.push(...at(landmarks468[a])); }
  const closed = warpToCanonicalProportions(open, controls, Float32Array.from(targets), CLOSE_SIGMA);
  const field = new Float32Array(open.length);
  for (let i = 0; i < field.length; i++) field[i] = closed[i] - open[i];
  return field;
}
