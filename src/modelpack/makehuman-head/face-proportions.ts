/**
 * Moves the hm08 face towards the proportions of default-head@1's face, the MediaPipe canonical
 * mesh: an average face that the identity modes and the jaw march lines were designed and tuned
 * around. The registration maps every old vertex onto hm08; the inverse of that pull, carried to
 * the new vertices and smoothed, is applied with full weight on the face (near the MediaPipe points)
 * and fading to none over FADE metres, so ears, cranium and neck keep hm08's shape while the face's
 * proportions become the canonical mean and hm08 keeps its detail (nostrils, lips, lids).
 */
import { smoothstep } from '../default-head/mesh-utils.js';
import { VertexGrid } from './nearest.js';
import { smoothModes } from './transfer.js';

const FULL = 0.006;
const FADE = 0.035;
const SMOOTHING_PASSES = 6;

export function warpToCanonicalProportions(
  positions: Float32Array,
  indices: Uint32Array,
  weldGroup: Uint32Array,
  from: Uint32Array,
  oldPositions: Float32Array,
  registered: Float32Array,
  landmarkVertices: Uint32Array,
): Float32Array {
  const n = positions.length / 3;
  const field = new Float32Array(n * 3);
  for (let v = 0; v < n; v++) {
    const o = from[v];
    for (let a = 0; a < 3; a++) field[3 * v + a] = oldPositions[3 * o + a] - registered[3 * o + a];
  }
  const smooth = smoothModes(field, indices, weldGroup, SMOOTHING_PASSES);
  const landmarks = new Float32Array(landmarkVertices.length * 3);
  landmarkVertices.forEach((v, i) => landmarks.set(positions.subarray(3 * v, 3 * v + 3), 3 * i));
  const grid = new VertexGrid(landmarks, 0.01);
  const out = new Float32Array(positions.length);
  for (let v = 0; v < n; v++) {
    const x = positions[3 * v], y = positions[3 * v + 1], z = positions[3 * v + 2];
    const l = grid.nearest(x, y, z, undefined, 8);
    const distance = l < 0 ? Infinity : Math.hypot(landmarks[3 * l] - x, landmarks[3 * l + 1] - y, landmarks[3 * l + 2] - z);
    const w = 1 - smoothstep(FULL, FADE, distance);
    for (let a = 0; a < 3; a++) out[3 * v + a] = positions[3 * v + a] + w * smooth[3 * v + a];
  }
  return out;
}

/** Mean displacement of the `count` vertices nearest `point`: how far a rigid part must follow. */
export function localDisplacement(before: Float32Array, after: Float32Array, point: ArrayLike<number>, count = 24): [number, number, number] {
  const n = before.length / 3;
  const order = Array.from({ length: n }, (_, v) => v);
  const d = (v: number) => (before[3 * v] - point[0]) ** 2 + (before[3 * v + 1] - point[1]) ** 2 + (before[3 * v + 2] - point[2]) ** 2;
  order.sort((a, b) => d(a) - d(b) || a - b);
  const result: [number, number, number] = [0, 0, 0];
  for (const v of order.slice(0, count)) for (let a = 0; a < 3; a++) result[a] += (after[3 * v + a] - before[3 * v + a]) / count;
  return result;
}
