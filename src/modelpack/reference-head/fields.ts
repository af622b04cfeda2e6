/** Smooth displacement fields over the head's vertices (Float64Array, xyz interleaved). */
import { centroid } from '../mesh-utils.js';

export type Vec3 = [number, number, number];

export function landmarkCentre(positions: Float32Array, landmarks: number | number[]): Vec3 {
  return centroid(positions, typeof landmarks === 'number' ? [landmarks] : landmarks);
}

/** Anisotropic Gaussian weight of every vertex around `centre`. */
export function gaussianWeights(positions: Float32Array, centre: Vec3, sigma: Vec3): Float64Array {
  const n = positions.length / 3;
  const w = new Float64Array(n);
  for (let v = 0; v < n; v++) {
    const dx = (positions[3 * v] - centre[0]) / sigma[0];
    const dy = (positions[3 * v + 1] - centre[1]) / sigma[1];
    const dz = (positions[3 * v + 2] - centre[2]) / sigma[2];
    w[v] = Math.exp(-0.5 * (dx * dx + dy * dy + dz * dz));
  }
  return w;
}

/** weights[v] * d at every vertex, added into `out`. */
export function addWeighted(out: Float64Array, weights: ArrayLike<number>, d: Vec3, scale = 1): void {
  for (let v = 0; v < weights.length; v++) {
    const w = weights[v] * scale;
    if (w === 0) continue;
    out[3 * v] += w * d[0];
    out[3 * v + 1] += w * d[1];
    out[3 * v + 2] += w * d[2];
  }
}

export function mirrorPoint(p: Vec3): Vec3 {
  return [-p[0], p[1], p[2]];
}

/** Largest per-vertex displacement length of a field. */
export function maxDisplacement(field: ArrayLike<number>): number {
  let best = 0;
  for (let i = 0; i < field.length; i += 3) {
    const d2 = field[i] * field[i] + field[i + 1] * field[i + 1] + field[i + 2] * field[i + 2];
    if (d2 > best) best = d2;
  }
  return Math.sqrt(best);
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Symmetric eigen-decomposition (cyclic Jacobi) of an n x n row-major matrix: eigenvalues descending with column eigenvectors. */
export function symmetricEigen(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p], akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k], aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p], vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => a[y * n + y] - a[x * n + x]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = a[src * n + src];
    for (let k = 0; k < n; k++) vectors[k * n + dst] = v[k * n + src];
  });
  return { values, vectors };
}
