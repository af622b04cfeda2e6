/**
 * Dense kernels of the streaming PCA, on typed arrays: the Gram matrix of a row block (the heavy
 * product), a left multiplication that turns eigenvectors of that Gram matrix into components, and
 * a Jacobi eigensolver for the small symmetric (rank + batch)² system.
 */

/** Rows are processed in column chunks so that one chunk of every row stays in cache. */
const COLUMN_CHUNK = 2048;

/** G = X Xᵀ for X (m × D, row-major); returns G (m × m, float64). fp32 products, fp64 chunk sums. */
export function gramTs(X: Float32Array, m: number, D: number, G = new Float64Array(m * m)): Float64Array {
  G.fill(0);
  for (let start = 0; start < D; start += COLUMN_CHUNK) {
    const end = Math.min(D, start + COLUMN_CHUNK);
    for (let i = 0; i < m; i++) {
      const ri = i * D;
      for (let j = 0; j <= i; j++) {
        const rj = j * D;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        let k = start;
        for (; k + 3 < end; k += 4) {
          s0 += X[ri + k] * X[rj + k];
          s1 += X[ri + k + 1] * X[rj + k + 1];
          s2 += X[ri + k + 2] * X[rj + k + 2];
          s3 += X[ri + k + 3] * X[rj + k + 3];
        }
        for (; k < end; k++) s0 += X[ri + k] * X[rj + k];
        G[i * m + j] += s0 + s1 + s2 + s3;
      }
    }
  }
  for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) G[j * m + i] = G[i * m + j];
  return G;
}

/** out (k × D) = A (k × m) · X (m × D), all row-major. */
export function leftMultiplyTs(A: Float32Array, k: number, m: number, X: Float32Array, D: number, out: Float32Array): Float32Array {
  out.fill(0, 0, k * D);
  for (let start = 0; start < D; start += COLUMN_CHUNK) {
    const end = Math.min(D, start + COLUMN_CHUNK);
    for (let r = 0; r < k; r++) {
      const ro = r * D;
      for (let j = 0; j < m; j++) {
        const a = A[r * m + j];
        if (a === 0) continue;
        const rx = j * D;
        for (let c = start; c < end; c++) out[ro + c] += a * X[rx + c];
      }
    }
  }
  return out;
}

/**
 * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations (accurate to working
 * precision, fine for the few hundred rows it sees). Returns eigenvalues in descending order and
 * the matching eigenvectors as the columns of `vectors` (n × n, row-major).
 */
export function symmetricEigen(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix.subarray(0, n * n));
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale += a[i] * a[i];
  const tolerance = 1e-30 * scale;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
    if (off <= tolerance || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const app = a[p * n + p], aqq = a[q * n + q];
        const theta = (aqq - app) / (2 * apq);
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
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j] - a[i * n + i]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = a[src * n + src];
    for (let k = 0; k < n; k++) vectors[k * n + dst] = v[k * n + src];
  });
  return { values, vectors };
}
