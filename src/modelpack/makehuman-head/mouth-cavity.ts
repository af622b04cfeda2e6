/**
 * The mouth cavity's identity shape follows the teeth. The identity modes come from the reference
 * head's nearest vertices (./transfer.ts), and behind the lips those are lip and chin skin: on a
 * fitted face the cavity floor rose up to 15 mm against the teeth (hrn 00016), which follow the
 * inner lips rigidly (../head-model.ts partsFollowingShape), and with the jaw open it cut through
 * the lower teeth, leaving only their tips showing ("sparse fangs"). Here each mode moves the
 * cavity as it moves the teeth, blending into the skin's own displacement towards the lips, where
 * the cavity's island is welded to the face.
 */
import { vertexNeighbours } from '../mesh-utils.js';

/** Metres behind the lip seam over which the cavity goes from the skin's displacement to the teeth's. */
const CAVITY_BLEND = 0.008;

/** The UV island (not 0, the face) of the head's mouth cavity: the one whose vertex lies nearest `inside` (a point in the mouth). */
export function mouthCavityIsland(positions: Float32Array, island: Uint8Array, inside: ArrayLike<number>): number {
  let best = -1, bestDistance = Infinity;
  for (let v = 0; v < island.length; v++) {
    if (island[v] === 0) continue;
    const d = Math.hypot(positions[3 * v] - inside[0], positions[3 * v + 1] - inside[1], positions[3 * v + 2] - inside[2]);
    if (d < bestDistance) { bestDistance = d; best = island[v]; }
  }
  if (best < 0) throw new Error('mouth cavity: the head has no inner island');
  return best;
}

/**
 * Per vertex, how far it moves with the teeth (0 ... 1): 0 off the cavity and on its seam with the
 * face (vertices welded to a face vertex), rising smoothly to 1 at CAVITY_BLEND from the seam.
 */
export function cavityTeethWeights(positions: Float32Array, island: Uint8Array, weldGroup: Uint32Array, cavity: number): Float32Array {
  const n = island.length;
  const onFace = new Uint8Array(n);
  for (let v = 0; v < n; v++) if (island[v] === 0) onFace[weldGroup[v]] = 1;
  const seam: number[] = [];
  for (let v = 0; v < n; v++) if (island[v] === cavity && onFace[weldGroup[v]]) seam.push(v);
  const weights = new Float32Array(n);
  for (let v = 0; v < n; v++) {
    if (island[v] !== cavity) continue;
    let d = Infinity;
    for (const s of seam) d = Math.min(d, Math.hypot(positions[3 * v] - positions[3 * s], positions[3 * v + 1] - positions[3 * s + 1], positions[3 * v + 2] - positions[3 * s + 2]));
    const t = Math.min(1, d / CAVITY_BLEND);
    weights[v] = t * t * (3 - 2 * t);
  }
  return weights;
}

/**
 * In place: each of the `modeCount` modes (mode-major xyz fields) moves vertex v by (1 - w) of its
 * own displacement plus w of the teeth's, the mean displacement of `innerLips` (as the fitted head
 * moves the teeth), with w = weights[v].
 */
export function cavityModesFollowTeeth(modes: Float32Array, modeCount: number, weights: Float32Array, innerLips: ArrayLike<number>): void {
  const size = modes.length / modeCount;
  for (let k = 0; k < modeCount; k++) {
    const base = k * size;
    const teeth = [0, 0, 0];
    for (let i = 0; i < innerLips.length; i++) for (let a = 0; a < 3; a++) teeth[a] += modes[base + 3 * innerLips[i] + a] / innerLips.length;
    for (let v = 0; v < weights.length; v++) {
      const w = weights[v];
      if (w === 0) continue;
      for (let a = 0; a < 3; a++) modes[base + 3 * v + a] += w * (teeth[a] - modes[base + 3 * v + a]);
    }
  }
}

/** Taubin smoothing steps (shrink, then inflate slightly more) and how many pairs of them. */
const WALL_SHRINK = 0.5;
const WALL_INFLATE = -0.53;
const WALL_PASSES = 12;

/**
 * In place: the cavity's walls smoothed, vertex v moving by weights[v] of each step (0 on the seam
 * with the face). hm08 models the back of the mouth as pleats, adjacent triangle columns turned
 * about ±16° left and right; with the jaw open they face the camera, and under a side light they
 * showed as vertical stripes (luma 27 ... 53 along a row). Taubin's pairs of steps remove the
 * pleats without shrinking the pocket towards the teeth as plain averaging would.
 */
export function smoothCavityWalls(positions: Float32Array, indices: Uint32Array, weldGroup: Uint32Array, weights: Float32Array): void {
  const n = weldGroup.length;
  const { offsets, neighbours } = vertexNeighbours(n, Uint32Array.from(indices, (v) => weldGroup[v]));
  const step = new Float32Array(n * 3);
  for (let pass = 0; pass < 2 * WALL_PASSES; pass++) {
    const factor = pass % 2 === 0 ? WALL_SHRINK : WALL_INFLATE;
    for (let v = 0; v < n; v++) {
      if (weldGroup[v] !== v || weights[v] === 0 || offsets[v + 1] === offsets[v]) continue;
      const count = offsets[v + 1] - offsets[v];
      for (let a = 0; a < 3; a++) {
        let mean = 0;
        for (let e = offsets[v]; e < offsets[v + 1]; e++) mean += positions[3 * neighbours[e] + a];
        step[3 * v + a] = factor * weights[v] * (mean / count - positions[3 * v + a]);
      }
    }
    for (let v = 0; v < n; v++) {
      if (weights[weldGroup[v]] === 0) continue;
      const g = weldGroup[v];
      for (let a = 0; a < 3; a++) positions[3 * v + a] += step[3 * g + a];
    }
  }
}
