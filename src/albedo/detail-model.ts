/**
 * The paper's detail generator A_d = D(α_d), linear: a PCA model of the value-channel detail of
 * UV albedo maps (their bounded high-pass, the same separation stage 3 applies to the photo), at
 * the texture's size. Fitted in closed form to the detail a photo shows (ridge least squares on
 * the seen texels, a MAP estimate under the model's variances), it generates detail everywhere,
 * so texels the photo never saw get detail consistent with the seen ones (./uvapm-albedo.ts).
 */
import { PhotoAvatarError } from '../errors.js';
import { choleskySolve } from '../fitting/cholesky.js';
import { boundedHighPass } from './detail.js';
import { gramTs, symmetricEigen } from './linalg.js';

export interface DetailModel {
  /** Texture width = height in texels. */
  size: number;
  componentCount: number;
  /** Mean detail per texel (size², top row first). */
  mean: Float32Array;
  /** K × size², row-major: orthonormal detail modes. */
  components: Float32Array;
  /** Variance of each mode's coefficient over the maps. */
  variances: Float64Array;
  /** Per-texel variance the modes leave unexplained (mean over the region): the fit's noise level. */
  residualVariance: number;
}

/** Value channel (max of r, g, b) of a planar sRGB map. */
function valuePlane(planes: Float32Array, texels: number): Float32Array {
  const v = new Float32Array(texels);
  for (let p = 0; p < texels; p++) v[p] = Math.max(planes[p], planes[texels + p], planes[2 * texels + p]);
  return v;
}

/**
 * From planar sRGB maps at `size` (as uv-maps.ts decodes them): each map's value detail over
 * `region` (σ in texels, as stage 3's), then the mean and the top `components` modes (fewer when
 * fewer maps: at most maps − 1).
 */
export function buildDetailModel(maps: readonly Float32Array[], size: number, region: Uint8Array, sigma: number, components = 20): DetailModel {
  const texels = size * size, n = maps.length;
  if (n < 2) throw new PhotoAvatarError('INVALID_ARGUMENT', `A detail model needs at least 2 UV maps, got ${n}.`);
  if (region.length !== texels) throw new PhotoAvatarError('INVALID_ARGUMENT', `Detail region must be ${size}×${size}.`);
  const weight = Float32Array.from(region, (r) => (r ? 1 : 0));
  const details = new Float32Array(n * texels), mean = new Float32Array(texels);
  maps.forEach((planes, m) => {
    if (planes.length !== 3 * texels) throw new PhotoAvatarError('INVALID_ARGUMENT', `UV map ${m} is not ${size}×${size}×3.`);
    const detail = boundedHighPass(valuePlane(planes, texels), weight, size, sigma);
    details.set(detail, m * texels);
    for (let p = 0; p < texels; p++) mean[p] += detail[p] / n;
  });
  for (let m = 0; m < n; m++) for (let p = 0; p < texels; p++) details[m * texels + p] -= mean[p];
  // PCA through the maps' Gram matrix (n × n): the modes are X^T v / √λ.
  const { values, vectors } = symmetricEigen(gramTs(details, n, texels), n);
  let total = 0;
  for (let m = 0; m < n; m++) total += Math.max(0, values[m]);
  const K = Math.min(components, n - 1);
  const modes = new Float32Array(K * texels), variances = new Float64Array(K);
  let kept = 0;
  for (let k = 0; k < K; k++) {
    const lambda = values[k];
    if (!(lambda > 1e-12)) break;
    const scale = 1 / Math.sqrt(lambda);
    for (let m = 0; m < n; m++) {
      const a = vectors[m * n + k] * scale;
      if (a === 0) continue;
      for (let p = 0; p < texels; p++) modes[k * texels + p] += a * details[m * texels + p];
    }
    variances[k] = lambda / (n - 1);
    kept++;
    total -= lambda;
  }
  let area = 0;
  for (let p = 0; p < texels; p++) area += region[p] ? 1 : 0;
  return {
    size, componentCount: kept, mean, components: modes.subarray(0, kept * texels), variances: variances.subarray(0, kept),
    residualVariance: Math.max(total, 0) / ((n - 1) * Math.max(area, 1)),
  };
}

/**
 * α = argmin Σ_p w_p (observed_p − mean_p − Σ_k α_k U_kp)² + σ² Σ_k α_k² / variance_k (σ² the
 * model's residual variance), then the generated detail mean + Σ α_k U_k over every texel.
 */
export function generateDetail(model: DetailModel, observed: Float32Array, weight: Float32Array): Float32Array {
  const { size, componentCount: K, mean, components } = model, texels = size * size;
  if (observed.length !== texels || weight.length !== texels) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `The detail model is ${size}×${size}; the observed detail has ${observed.length} texels.`);
  }
  const A = new Float64Array(K * K), b = new Float64Array(K);
  for (let p = 0; p < texels; p++) {
    const w = weight[p];
    if (!(w > 0)) continue;
    const r = observed[p] - mean[p];
    for (let k = 0; k < K; k++) {
      const u = w * components[k * texels + p];
      b[k] += u * r;
      for (let l = 0; l <= k; l++) A[k * K + l] += u * components[l * texels + p];
    }
  }
  for (let k = 0; k < K; k++) {
    for (let l = 0; l < k; l++) A[l * K + k] = A[k * K + l];
    A[k * K + k] += model.residualVariance / model.variances[k];
  }
  const alpha = new Float64Array(K);
  if (K > 0 && !choleskySolve(A, b, K, alpha, new Float64Array(K * K))) throw new PhotoAvatarError('INVALID_ARGUMENT', 'The detail model\'s system is singular (variances not positive).');
  const out = Float32Array.from(mean);
  for (let k = 0; k < K; k++) {
    const a = alpha[k];
    for (let p = 0; p < texels; p++) out[p] += a * components[k * texels + p];
  }
  return out;
}
