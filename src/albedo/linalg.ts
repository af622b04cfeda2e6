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
 * Eigen-decomposition of a symmetric matrix: Householder reduction to tridiagonal form, then the
 * implicit QL algorithm (tred2/tql2 as in EISPACK/JAMA), O(n³) with a small constant — a few ms for
 * the ~200 rows the builder sees, where cyclic Jacobi took half a second. Returns eigenvalues in
 * descending order and the matching eigenvectors as the columns of `vectors` (n × n, row-major).
 */
export function symmetricEigen(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const V = Float64Array.from(matrix.subarray(0, n * n));
  const d = new Float64Array(n), e = new Float64Array(n);
  tridiagonalize(V, d, e, n);
  tridiagonalQl(V, d, e, n);
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[j] - d[i]);
  const values = new Float64Array(n);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = d[src];
    for (let k = 0; k < n; k++) vectors[k * n + dst] = V[k * n + src];
  });
  return { values, vectors };
}

function tridiagonalize(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) d[j] = V[(n - 1) * n + j];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0, h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[j * n + i] = f;
        g = e[j] + V[j * n + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j] * d[k];
          e[k] += V[k * n + j] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) V[k * n + j] -= f * e[k] + g * d[k];
        d[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i];
    V[i * n + i] = 1;
    const h = d[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[k * n + i + 1] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1] * V[k * n + j];
        for (let k = 0; k <= i; k++) V[k * n + j] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[(n - 1) * n + j];
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

function tridiagonalQl(V: Float64Array, d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0, tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      for (let iter = 0; iter < 100; iter++) {
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1, c2 = c, c3 = c;
        const el1 = e[l + 1];
        let s = 0, s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          for (let k = 0; k < n; k++) {
            h = V[k * n + i + 1];
            V[k * n + i + 1] = s * V[k * n + i] + c * h;
            V[k * n + i] = c * V[k * n + i] - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
        if (Math.abs(e[l]) <= eps * tst1) break;
      }
    }
    d[l] += f;
    e[l] = 0;
  }
}
