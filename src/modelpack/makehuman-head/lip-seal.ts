/**
 * Brings the inner lips together: at rest (sealLips) and over the opened jaw (mouthCloseField);
 * and lifts the upper lip back off the upper incisors when the jaw opens (upperLipRiseField).
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
/** The nose's base (subnasale and the alar bases). */
const NOSE_BASE = [2, 98, 327];
/** Points that stay where jawOpen puts them under mouthClose: the chin (152 ... 200) and the nose's base. */
const CLOSE_ANCHORS = [152, 175, 199, 200, ...NOSE_BASE];

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

/**
 * A correction of the upper lip on the opened mouth (vertexCount * 3, added to `jawOpen`): each upper
 * inner-lip point rises by `rise[i]` (metres, INNER_LIP_PAIRS order) while the lower inner lip, the
 * mouth corners and the nose's base stay where jawOpen puts them, spread by the face warp's Gaussian
 * RBF on the opened shape (as in mouthCloseField), so the vermilion and the lining behind it rise together.
 */
function upperLipRiseField(positions: Float32Array, jawOpen: Float32Array, landmarks468: Uint32Array, rise: ArrayLike<number>): Float32Array {
  const open = new Float32Array(positions.length);
  for (let i = 0; i < open.length; i++) open[i] = positions[i] + jawOpen[i];
  const at = (v: number) => [open[3 * v], open[3 * v + 1], open[3 * v + 2]];
  const controls: number[] = [], targets: number[] = [];
  INNER_LIP_PAIRS.forEach(([upper, lower], i) => {
    const u = at(landmarks468[upper]);
    controls.push(landmarks468[upper], landmarks468[lower]);
    targets.push(u[0], u[1] + Math.max(0, rise[i]), u[2], ...at(landmarks468[lower]));
  });
  for (const a of [...MOUTH_CORNERS, ...NOSE_BASE]) { controls.push(landmarks468[a]); targets.push(...at(landmarks468[a])); }
  const lifted = warpToCanonicalProportions(open, controls, Float32Array.from(targets), LIP_SIGMA);
  const field = new Float32Array(open.length);
  for (let i = 0; i < field.length; i++) field[i] = lifted[i] - open[i];
  return field;
}

/** The central incisors' columns (metres either side of the midline) where incisalDisplay looks. */
const CENTRAL_INCISORS = [0.0025, 0.0055];
/**
 * The upper incisors' display below the relaxed upper lip (metres): 1.9 mm in men and 3.4 mm in
 * women at rest with the lips apart (Vig and Brundo, "The kinetics of anterior tooth display").
 */
const INCISAL_DISPLAY = 0.0025;

/**
 * How far the central upper incisors' edge shows below the upper lip on a shape with the lips
 * apart (metres; negative when the lip covers it): the upper lip's lowest point in the incisors'
 * columns (skin above the middle of the inner-lip gap and in front of the teeth) minus the teeth's.
 */
export function incisalDisplay(shape: Float32Array, landmarks468: Uint32Array, upperTeeth: Float32Array): number {
  const inColumns = (x: number) => Math.abs(x) >= CENTRAL_INCISORS[0] && Math.abs(x) <= CENTRAL_INCISORS[1];
  let edge = Infinity, front = -Infinity;
  for (let i = 0; i < upperTeeth.length; i += 3) {
    if (!inColumns(upperTeeth[i])) continue;
    edge = Math.min(edge, upperTeeth[i + 1]); front = Math.max(front, upperTeeth[i + 2]);
  }
  const gapMiddle = (shape[3 * landmarks468[13] + 1] + shape[3 * landmarks468[14] + 1]) / 2;
  let lip = Infinity;
  for (let i = 0; i < shape.length; i += 3) {
    if (inColumns(shape[i]) && shape[i + 1] > gapMiddle && shape[i + 2] > front) lip = Math.min(lip, shape[i + 1]);
  }
  return lip - edge;
}

/**
 * jawOpen's upper-lip correction (vertexCount * 3, added to `jawOpen`): in a real jaw drop the lips
 * part passively and the relaxed upper lip shows the upper incisors, but MakeHuman's unit barely
 * moves the upper lip, and the rest seal had brought it down over the teeth' edge (`sealDescent`,
 * metres per upper inner-lip point). The upper lip rises along the seal's descent profile (largest
 * in the middle, none at the corners), scaled so the central incisors show INCISAL_DISPLAY below it.
 * The display is linear in the scale but for which vertex is lowest, hence a few secant steps.
 */
export function upperLipLiftField(positions: Float32Array, jawOpen: Float32Array, landmarks468: Uint32Array, sealDescent: ArrayLike<number>, upperTeeth: Float32Array): Float32Array {
  const unit = upperLipRiseField(positions, jawOpen, landmarks468, sealDescent);
  const displayAt = (scale: number) => {
    const shape = new Float32Array(positions.length);
    for (let i = 0; i < shape.length; i++) shape[i] = positions[i] + jawOpen[i] + scale * unit[i];
    return incisalDisplay(shape, landmarks468, upperTeeth);
  };
  let [a, b] = [0, 1], [da, db] = [displayAt(0), displayAt(1)];
  for (let step = 0; step < 4 && Math.abs(db - INCISAL_DISPLAY) > 1e-5 && db !== da; step++) {
    const next = b + ((INCISAL_DISPLAY - db) * (b - a)) / (db - da);
    [a, da] = [b, db];
    b = next; db = displayAt(b);
  }
  const scale = Math.max(0, b);
  return unit.map((d) => scale * d);
}
