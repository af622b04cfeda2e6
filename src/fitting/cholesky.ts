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
