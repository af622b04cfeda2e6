/**
 * Fitting a UV map with the UVAPM: per channel, the coefficients c minimise
 *   Σ_visible w_t (x − mean − U c)² + λ Σ_k c_k² / variance_k
 * (least squares on the visible texels with a Tikhonov prior, i.e. the MAP estimate under a
 * Gaussian prior with per-texel noise variance λ), solved in closed form by Cholesky.
 */
import { PhotoAvatarError } from '../errors.js';
import { choleskySolve } from '../fitting/cholesky.js';
import type { UvapmModel } from './uvapm-format.js';

export interface ProjectOptions {
  /** Per-texel noise variance λ of the prior (sRGB 0..1 units²); default 1e-4 (noise σ ≈ 0.01). */
  regularization?: number;
  /**
   * Per-texel confidence (size², 0..1) multiplying the data term, e.g. the photo unwrap's
   * visibility × cos weight; texels outside `mask` are ignored whatever their weight.
   */
  weights?: Float32Array;
}

export interface Projection {
  /** Per channel, componentCount coefficients. */
  coefficients: Float32Array[];
  /** Planar r, g, b reconstruction over the whole map (size² each). */
  reconstruction: Float32Array;
}

/**
 * Projects `uvMap` (planar r, g, b at the model's size, sRGB 0..1) onto the model using only the
 * texels where `mask` is non-zero (default: the model's mask).
 */
export function projectUvMap(model: UvapmModel, uvMap: Float32Array, mask: Uint8Array = model.mask, options: ProjectOptions = {}): Projection {
  const D = model.size * model.size;
  const K = model.componentCount;
  if (uvMap.length !== 3 * D) throw new PhotoAvatarError('INVALID_ARGUMENT', `UV map has ${uvMap.length} values, the model needs 3×${model.size}×${model.size}.`);
  if (mask.length !== D) throw new PhotoAvatarError('INVALID_ARGUMENT', `Mask has ${mask.length} texels, the model needs ${D}.`);
  const lambda = options.regularization ?? 1e-4;
  const weights = options.weights;
  if (weights && weights.length !== D) throw new PhotoAvatarError('INVALID_ARGUMENT', `Weights have ${weights.length} texels, the model needs ${D}.`);
  const visible: number[] = [];
  for (let t = 0; t < D; t++) if (mask[t] && (!weights || weights[t] > 0)) visible.push(t);
  const w = Float64Array.from(visible, (t) => (weights ? weights[t] : 1));
  if (visible.length === 0) throw new PhotoAvatarError('INVALID_ARGUMENT', 'No visible texel to project.');
  const coefficients: Float32Array[] = [];
  const reconstruction = new Float32Array(3 * D);
  const A = new Float64Array(K * K), b = new Float64Array(K), x = new Float64Array(K), work = new Float64Array(K * K);
  const residual = new Float64Array(visible.length);
  for (let c = 0; c < 3; c++) {
    const U = model.components[c], mean = model.means[c];
    for (let i = 0; i < visible.length; i++) residual[i] = uvMap[c * D + visible[i]] - mean[visible[i]];
    projectionSystem(U, D, K, model.variances[c], visible, w, residual, lambda, A, b);
    if (K > 0 && !choleskySolve(A, b, K, x, work)) throw new PhotoAvatarError('INVALID_ARGUMENT', 'The projection system is singular (model variances are not positive).');
    const coeff = Float32Array.from(x.subarray(0, K));
    coefficients.push(coeff);
    const out = reconstruction.subarray(c * D, (c + 1) * D);
    for (let t = 0; t < D; t++) out[t] = mean[t];
    for (let k = 0; k < K; k++) {
      const a = coeff[k], rk = k * D;
      for (let t = 0; t < D; t++) out[t] += a * U[rk + t];
    }
  }
  return { coefficients, reconstruction };
}

/**
 * One channel's coefficient system from some texels: A = Uᵀ W U + λ diag(1 / variance), b = Uᵀ W r
 * with r the texels' residuals from the mean (K × D row-major components). A mode without variance
 * is pinned at zero.
 */
export function projectionSystem(
  U: Float32Array, D: number, K: number, variances: ArrayLike<number>,
  texels: readonly number[], w: Float64Array, residual: Float64Array, lambda: number,
  A: Float64Array, b: Float64Array,
): void {
  for (let k = 0; k < K; k++) {
    const rk = k * D;
    let s = 0;
    for (let i = 0; i < texels.length; i++) s += w[i] * U[rk + texels[i]] * residual[i];
    b[k] = s;
    for (let l = 0; l <= k; l++) {
      const rl = l * D;
      let g = 0;
      for (let i = 0; i < texels.length; i++) { const t = texels[i]; g += w[i] * U[rk + t] * U[rl + t]; }
      A[k * K + l] = A[l * K + k] = g;
    }
    const variance = variances[k];
    A[k * K + k] += variance > 0 ? lambda / variance : 1e12;
  }
}
