/**
 * Dense symmetric positive-definite solves for the small damped normal equations (a few hundred
 * unknowns at most), in float64.
 */

/**
 * Solves A x = b for SPD A (n x n, row-major) by Cholesky, in place in `work` (n*n) and `x` (n).
 * Returns false when A is not numerically positive definite.
 */
export function choleskySolve(A: Float64Array, b: Float64Array, n: number, x: Float64Array, work: Float64Array): boolean {
  const L = work;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = A[i * n + j];
      for (let k = 0; k < j; k++) sum -= L[i * n + k] * L[j * n + k];
      if (i === j) {
        if (!(sum > 0)) return false;
        L[i * n + i] = Math.sqrt(sum);
      } else {
        L[i * n + j] = sum / L[j * n + j];
      }
    }
  }
  for (let i = 0; i < n; i++) {
    let sum = b[i];
    for (let k = 0; k < i; k++) sum -= L[i * n + k] * x[k];
    x[i] = sum / L[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let sum = x[i];
    for (let k = i + 1; k < n; k++) sum -= L[k * n + i] * x[k];
    x[i] = sum / L[i * n + i];
  }
  return true;
}

/**
 * Solves (A + ridge I) x = b for symmetric positive semi-definite A (n x n, row-major), e.g. a
 * light's normal equations; where even the ridged matrix is not positive definite (no samples) x = 0.
 */
export function solveSymmetric(A: Float64Array, b: Float64Array, n: number, ridge: number): Float64Array {
  const ridged = Float64Array.from(A.subarray(0, n * n));
  for (let i = 0; i < n; i++) ridged[i * n + i] += ridge;
  const x = new Float64Array(n);
  if (!choleskySolve(ridged, b, n, x, new Float64Array(n * n))) x.fill(0);
  return x;
}
