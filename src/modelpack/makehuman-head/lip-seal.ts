/**
 * Closes the lips of the rest shape. The canonical face's inner lips are about 6 mm apart, so the
 * neutral avatar shows its teeth through a slit; here each upper inner-lip MediaPipe vertex and its
 * lower partner meet at their midpoint, the mouth corners stay put, and the change is spread over
 * the lips by the face warp's exact Gaussian RBF with a radius that leaves nose and chin alone.
 */
import { warpToCanonicalProportions } from './face-proportions.js';

/** Upper and lower inner-lip MediaPipe points, facing each other across the mouth slit. */
const INNER_LIP_PAIRS: ReadonlyArray<readonly [number, number]> = [
  [191, 95], [80, 88], [81, 178], [82, 87], [13, 14], [312, 317], [311, 402], [310, 318], [415, 324],
];
const MOUTH_CORNERS = [78, 308];
const LIP_SIGMA = 0.006;

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
