/**
 * Makes eyeBlink_L / eyeBlink_R close the lids fully. The blendshapes carried over from
 * the reference head leave a slit of about a millimetre between hm08's lid margins, and the eyeball shows
 * through it. After the carried-over blink, each upper-lid MediaPipe vertex is pulled onto its
 * lower-lid partner (plus a small overlap), the lower lid and the eye corners stay put, and the
 * correction is spread over the lid by the same exact Gaussian RBF as the face warp, with a radius
 * small enough to leave the brow alone. Skin that the closure leaves inside the eyeball is pushed out
 * radially to clear it.
 */
import { warpToCanonicalProportions } from './face-proportions.js';

/** Upper-lid MediaPipe points and their lower-lid partners, subject's right eye; the left mirrors them. */
const RIGHT_PAIRS: ReadonlyArray<readonly [number, number]> = [[246, 7], [161, 163], [160, 144], [159, 145], [158, 153], [157, 154], [173, 155]];
const LEFT_PAIRS: ReadonlyArray<readonly [number, number]> = [[466, 249], [388, 390], [387, 373], [386, 374], [385, 380], [384, 381], [398, 382]];
const CORNERS = { right: [33, 133], left: [263, 362] };
/** The upper margin goes this far past the lower one (metres), so the lids meet with no gap. */
const OVERLAP = 0.0008;
const LID_SIGMA = 0.005;
/** Only skin this close to the lid margins (at rest) is pushed out of the eyeball (metres). */
const LID_REACH = 0.009;
/** Skin thickness kept between the closed lid and the eyeball (metres). */
const CLEARANCE = 0.001;

/** Returns the corrected blink field (vertexCount * 3) for one eye. */
export function closeBlink(
  mean: Float32Array,
  blink: Float32Array,
  landmarks468: Uint32Array,
  side: 'left' | 'right',
  eyeball: { centre: ArrayLike<number>; radius: number },
  outerSkin: Uint8Array,
): Float32Array {
  const n = mean.length / 3;
  const shaped = new Float32Array(n * 3);
  for (let i = 0; i < n * 3; i++) shaped[i] = mean[i] + blink[i];
  const controls: number[] = [], targets: number[] = [];
  for (const [upper, lower] of side === 'right' ? RIGHT_PAIRS : LEFT_PAIRS) {
    const u = landmarks468[upper], l = landmarks468[lower];
    controls.push(u);
    targets.push(shaped[3 * l], shaped[3 * l + 1] - OVERLAP, shaped[3 * l + 2]);
    controls.push(l);
    targets.push(shaped[3 * l], shaped[3 * l + 1], shaped[3 * l + 2]);
  }
  for (const c of CORNERS[side]) {
    controls.push(landmarks468[c]);
    targets.push(shaped[3 * landmarks468[c]], shaped[3 * landmarks468[c] + 1], shaped[3 * landmarks468[c] + 2]);
  }
  const closed = warpToCanonicalProportions(shaped, controls, Float32Array.from(targets), LID_SIGMA);
  // Closed lids are drawn over the cornea's bulge: skin that would sit inside the eyeball goes out to just clear it.
  const [cx, cy, cz] = [eyeball.centre[0], eyeball.centre[1], eyeball.centre[2]];
  const clear = eyeball.radius + CLEARANCE;
  const lidMargin = (side === 'right' ? RIGHT_PAIRS : LEFT_PAIRS).flat().map((i) => landmarks468[i]);
  const nearLidMargin = (v: number) => lidMargin.some((l) => Math.hypot(mean[3 * v] - mean[3 * l], mean[3 * v + 1] - mean[3 * l + 1], mean[3 * v + 2] - mean[3 * l + 2]) < LID_REACH);
  for (let v = 0; v < n; v++) {
    if (!outerSkin[v] || !nearLidMargin(v)) continue;
    const dx = closed[3 * v] - cx, dy = closed[3 * v + 1] - cy, dz = closed[3 * v + 2] - cz;
    const d = Math.hypot(dx, dy, dz);
    if (d >= clear || d === 0 || dz <= 0) continue;
    closed[3 * v] = cx + (dx * clear) / d; closed[3 * v + 1] = cy + (dy * clear) / d; closed[3 * v + 2] = cz + (dz * clear) / d;
  }
  const field = new Float32Array(n * 3);
  for (let i = 0; i < n * 3; i++) field[i] = closed[i] - mean[i];
  return field;
}
