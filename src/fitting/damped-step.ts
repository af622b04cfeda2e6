/**
 * Levenberg-Marquardt's inner loop, shared by the single- and multi-photo solvers: solve the
 * Marquardt-damped normal equations (H + λ diag H) δ = -g over the free columns, try the step, and
 * raise λ until the cost drops.
 */
import { choleskySolve } from './cholesky.js';

/** Normal equations of `size` unknowns plus the scratch to solve them on any subset of columns. */
export class DampedNormalEquations {
  /** JᵀWJ plus priors, row-major size x size; the solvers fill it before each step. */
  readonly H: Float64Array;
  /** JᵀWr plus priors (the gradient of half the cost). */
  readonly g: Float64Array;
  /** After a solve: x[r] is the step of column active[r]. */
  readonly x: Float64Array;
  private readonly A: Float64Array;
  private readonly b: Float64Array;
  private readonly work: Float64Array;

  constructor(readonly size: number) {
    this.H = new Float64Array(size * size);
    this.g = new Float64Array(size);
    this.x = new Float64Array(size);
    this.A = new Float64Array(size * size);
    this.b = new Float64Array(size);
    this.work = new Float64Array(size * size);
  }

  /** Solves the damped system restricted to `active`; false when it is not positive definite. */
  solve(active: readonly number[], lambda: number): boolean {
    const { H, g, A, b, size } = this;
    const n = active.length;
    for (let r = 0; r < n; r++) {
      const row = active[r];
      for (let c = 0; c < n; c++) A[r * n + c] = H[row * size + active[c]];
      A[r * n + r] += lambda * Math.max(H[row * size + row], 1e-9);
      b[r] = -g[row];
    }
    return choleskySolve(A, b, n, this.x, this.work);
  }

  /**
   * Tries steps at growing damping until one lowers `currentCost` (at most 10 tries). `tryStep`
   * applies `x` and evaluates; `undo` restores the state before it. Returns the accepted
   * evaluation with the damping for the next step, or null when no damping gives a decrease.
   */
  async step<T extends { cost: number }>(
    active: readonly number[],
    lambda: number,
    currentCost: number,
    tryStep: () => Promise<T>,
    undo: () => void,
  ): Promise<{ next: T; lambda: number } | null> {
    for (let attempt = 0; attempt < 10; attempt++) {
      if (!this.solve(active, lambda)) {
        lambda *= 10;
        continue;
      }
      const next = await tryStep();
      if (next.cost < currentCost) return { next, lambda: Math.max(lambda / 3, 1e-9) };
      undo();
      lambda *= 4;
    }
    return null;
  }
}
