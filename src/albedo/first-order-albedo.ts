/**
 * A plain first-order optimiser (Adam) on exactly the objective stage 2 minimises
 * (fitUvapmUnderLight in ./fit-albedo.ts), for comparison with its closed-form light solves and
 * joint Gauss-Newton steps (bench/fit-albedo-vs-adam.ts). The paper's differentiable-rendering fit
 * optimises albedo-model coefficients and SH light this way. Per channel,
 *   E = Σ_(v,t) w (o − L(a_t) s_vt)² + Σ_k p_k c_k² + Σ_v μ_v |γ_v − ref_v|²
 * with a = mean + U c (sRGB), L = srgbDecode, s_vt = Σ_j γ_vj H_j(n_vt), p_k = λ / variance_k
 * (1e12 where variance_k ≤ 0, as in the solver) and μ_v per channel fixed before the fit exactly as
 * the solver fixes it (strength × the mean diagonal of view v's light system: with a reference
 * light at the colour de-lit by it, lightPriorWeights; without one at the model's mean albedo).
 * So E is the number fitUvapmUnderLight reports per round (PhotometricFit.objective), and
 *   ∂E/∂a_t  = Σ_v −2 w e ℓ' s,  e = o − ℓ s, ℓ = L(a)
 *   ∂E/∂c_k  = Σ_t U_kt ∂E/∂a_t + 2 p_k c_k
 *   ∂E/∂γ_vj = Σ_t −2 w e ℓ H_j(n_vt) + 2 μ_v (γ_vj − ref_vj)
 * Texels are those the solver uses: inside the model's mask and seen by some view.
 */
import { PhotoAvatarError, throwIfAborted } from '../errors.js';
import { shShadingBasis } from './sh-light.js';
import { solveSymmetric } from '../fitting/cholesky.js';
import { channelWeight, DEFAULT_REGULARIZATION, lightPriorWeights, type PhotometricFitOptions, type UvapmObservation } from './fit-albedo.js';
import { srgbDecode } from '../image/srgb.js';
import type { UvapmModel } from './uvapm-format.js';

const SH = 9;

export type PhotometricPriorOptions = Pick<PhotometricFitOptions, 'regularization' | 'lightRidge' | 'lightReference' | 'lightReferenceStrength'>;

/** The objective's data, compacted once (what every evaluation reads). */
export interface PhotometricProblem {
  K: number;
  V: number;
  /** Used texels. */
  N: number;
  /** Per channel, the components at the used texels, K × N row-major, and the mean there (N). */
  components: Float64Array[];
  means: Float64Array[];
  /** Per channel, λ / variance_k (K). */
  priorPrecision: Float64Array[];
  variances: Float64Array[];
  /** Per view: weight per channel (N × 3, fit-albedo's channelWeight), colour (N × 3), shading basis (N × 9). */
  weight: Float64Array[];
  colour: Float64Array[];
  basis: Float64Array[];
  /** Per view, μ per channel (3), fixed as the solver fixes it. */
  lightPriorWeight: Float64Array[];
  /** Per view, 27. */
  lightReference: Float64Array[];
  /** Reused by every evaluation: dE/da per texel and L(a), L'(a). */
  scratch: { gradA: Float64Array; level: Float64Array; slope: Float64Array };
}

/** Parameters of the flat layout: per channel [K coefficients, V × 9 light], channel after channel. */
export function parameterCount(problem: PhotometricProblem): number {
  return 3 * (problem.K + SH * problem.V);
}

export function photometricProblem(model: UvapmModel, observations: readonly UvapmObservation[], options: PhotometricPriorOptions = {}): PhotometricProblem {
  const d = model.size, D = d * d, K = model.componentCount, V = observations.length;
  if (V === 0) throw new PhotoAvatarError('INVALID_ARGUMENT', 'The photometric objective needs at least one observation.');
  for (const o of observations) {
    if (o.colour.length !== 3 * D || o.normal.length !== 3 * D || o.weight.length !== D) {
      throw new PhotoAvatarError('INVALID_ARGUMENT', `Observations must hold ${D} texels (the UVAPM is ${d}×${d}).`);
    }
  }
  const lambda = options.regularization ?? DEFAULT_REGULARIZATION;
  const reference = options.lightReference;
  if (reference && (reference.length !== V || reference.some((light) => light.length !== 3 * SH))) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `lightReference needs ${V} lights of ${3 * SH} coefficients.`);
  }
  // Same defaults as fitUvapmUnderLight: without a reference the prior is the ridge towards 0.
  const lightPriorStrength = reference ? options.lightReferenceStrength ?? 1 : options.lightRidge ?? 1e-5;
  const lightReference = observations.map((_, v) => (reference ? Float64Array.from(reference[v]) : new Float64Array(3 * SH)));

  const used: number[] = [];
  for (let t = 0; t < D; t++) {
    if (!model.mask[t]) continue;
    for (let v = 0; v < V; v++) if (observations[v].weight[t] > 0) { used.push(t); break; }
  }
  const N = used.length;
  if (N === 0) throw new PhotoAvatarError('INVALID_ARGUMENT', 'No observed texels inside the UVAPM mask.');

  const components: Float64Array[] = [], means: Float64Array[] = [], priorPrecision: Float64Array[] = [], variances: Float64Array[] = [];
  for (let c = 0; c < 3; c++) {
    const U = model.components[c], compact = new Float64Array(K * N), mean = new Float64Array(N);
    for (let k = 0; k < K; k++) for (let i = 0; i < N; i++) compact[k * N + i] = U[k * D + used[i]];
    for (let i = 0; i < N; i++) mean[i] = model.means[c][used[i]];
    components.push(compact);
    means.push(mean);
    variances.push(Float64Array.from(model.variances[c]));
    priorPrecision.push(Float64Array.from(model.variances[c], (s) => (s > 0 ? lambda / s : 1e12)));
  }
  const weight: Float64Array[] = [], colour: Float64Array[] = [], basis: Float64Array[] = [], lightPriorWeight: Float64Array[] = [];
  const texel = Int32Array.from(used);
  observations.forEach((o, v) => {
    const w = new Float64Array(3 * N), col = new Float64Array(3 * N), h = new Float64Array(N * SH);
    for (let i = 0; i < N; i++) {
      const t = used[i];
      for (let c = 0; c < 3; c++) {
        const wc = channelWeight(o, t, c);
        w[3 * i + c] = wc > 0 ? wc : 0;
        col[3 * i + c] = o.colour[3 * t + c];
      }
      shShadingBasis(o.normal[3 * t], o.normal[3 * t + 1], o.normal[3 * t + 2], h, i * SH);
    }
    weight.push(w); colour.push(col); basis.push(h);
    lightPriorWeight.push(reference ? lightPriorWeights(o, texel, h, reference[v], lightPriorStrength) : meanAlbedoLightWeights(w, h, means, lightPriorStrength));
  });
  return {
    K, V, N, components, means, priorPrecision, variances, weight, colour, basis, lightPriorWeight, lightReference,
    scratch: { gradA: new Float64Array(N), level: new Float64Array(N), slope: new Float64Array(N) },
  };
}

/** Without a reference light the solver fixes μ at its first light solve, under the model's mean albedo. */
function meanAlbedoLightWeights(weight: Float64Array, basis: Float64Array, means: readonly Float64Array[], strength: number): Float64Array {
  const weights = new Float64Array(3);
  for (let c = 0; c < 3; c++) {
    let trace = 0;
    for (let i = 0; i < weight.length / 3; i++) {
      const w = weight[3 * i + c];
      if (!(w > 0)) continue;
      const l = srgbDecode(means[c][i]);
      for (let j = 0; j < SH; j++) trace += w * l * l * basis[i * SH + j] ** 2;
    }
    weights[c] = strength * (trace / SH);
  }
  return weights;
}

/** Packs per-channel coefficients and per-view lights (the solver's output) into the flat layout. */
export function packParameters(problem: PhotometricProblem, coefficients: readonly ArrayLike<number>[], lights: readonly ArrayLike<number>[], out = new Float64Array(parameterCount(problem))): Float64Array {
  const { K, V } = problem, stride = K + SH * V;
  for (let c = 0; c < 3; c++) {
    for (let k = 0; k < K; k++) out[c * stride + k] = coefficients[c][k];
    for (let v = 0; v < V; v++) for (let j = 0; j < SH; j++) out[c * stride + K + v * SH + j] = lights[v][c * SH + j];
  }
  return out;
}

export function unpackParameters(problem: PhotometricProblem, x: Float64Array): { coefficients: Float32Array[]; lights: Float32Array[] } {
  const { K, V } = problem, stride = K + SH * V;
  const coefficients = [0, 1, 2].map((c) => Float32Array.from(x.subarray(c * stride, c * stride + K)));
  const lights = Array.from({ length: V }, (_, v) => {
    const light = new Float32Array(3 * SH);
    for (let c = 0; c < 3; c++) for (let j = 0; j < SH; j++) light[c * SH + j] = x[c * stride + K + v * SH + j];
    return light;
  });
  return { coefficients, lights };
}

/**
 * E at x (flat layout); with `gradient`, ∂E/∂x written there. Both solvers are compared on this
 * number: it is the objective fitUvapmUnderLight's rounds decrease.
 */
export function photometricObjective(problem: PhotometricProblem, x: Float64Array, gradient?: Float64Array): number {
  const { K, V, N, scratch } = problem, stride = K + SH * V;
  const { gradA, level, slope } = scratch;
  let total = 0;
  for (let c = 0; c < 3; c++) {
    const base = c * stride, U = problem.components[c], p = problem.priorPrecision[c];
    // a = mean + U c at the used texels.
    level.set(problem.means[c]);
    for (let k = 0; k < K; k++) {
      const ck = x[base + k];
      if (ck === 0) continue;
      const row = k * N;
      for (let i = 0; i < N; i++) level[i] += ck * U[row + i];
    }
    // srgbDecode and its slope from one pow: L'(a) = 2.4 L(a) / (a + 0.055) on the power branch.
    for (let i = 0; i < N; i++) {
      const a = level[i];
      if (a <= 0.04045) {
        level[i] = a / 12.92;
        slope[i] = 1 / 12.92;
      } else {
        const l = Math.pow((a + 0.055) / 1.055, 2.4);
        level[i] = l;
        slope[i] = (2.4 * l) / (a + 0.055);
      }
    }
    if (gradient) gradA.fill(0);
    for (let v = 0; v < V; v++) {
      const g0 = base + K + v * SH, ref = problem.lightReference[v];
      let distance = 0;
      for (let j = 0; j < SH; j++) { const o = x[g0 + j] - ref[c * SH + j]; distance += o * o; }
      const w = problem.weight[v], col = problem.colour[v], H = problem.basis[v];
      let data = 0;
      if (gradient) for (let j = 0; j < SH; j++) gradient[g0 + j] = 0;
      for (let i = 0; i < N; i++) {
        const wi = w[3 * i + c];
        if (!(wi > 0)) continue;
        const h = i * SH;
        let s = 0;
        for (let j = 0; j < SH; j++) s += x[g0 + j] * H[h + j];
        const l = level[i], e = col[3 * i + c] - l * s;
        data += wi * e * e;
        if (!gradient) continue;
        gradA[i] -= 2 * wi * slope[i] * e * s;
        const q = -2 * wi * e * l;
        for (let j = 0; j < SH; j++) gradient[g0 + j] += q * H[h + j];
      }
      const mu = problem.lightPriorWeight[v][c];
      total += data + mu * distance;
      if (gradient) for (let j = 0; j < SH; j++) gradient[g0 + j] += 2 * mu * (x[g0 + j] - ref[c * SH + j]);
    }
    for (let k = 0; k < K; k++) {
      const ck = x[base + k];
      total += p[k] * ck * ck;
      if (!gradient) continue;
      let g = 2 * p[k] * ck;
      const row = k * N;
      for (let i = 0; i < N; i++) g += U[row + i] * gradA[i];
      gradient[base + k] = g;
    }
  }
  return total;
}

/**
 * The start both solvers share: coefficients 0 (the mean albedo) and each light the closed-form
 * solve under it, which is fitUvapmUnderLight's first step.
 */
export function initialParameters(problem: PhotometricProblem): Float64Array {
  const { K, V, N } = problem, stride = K + SH * V;
  const x = new Float64Array(parameterCount(problem));
  const M = new Float64Array(SH * SH), r = new Float64Array(SH);
  for (let c = 0; c < 3; c++) {
    const mean = problem.means[c];
    for (let v = 0; v < V; v++) {
      const w = problem.weight[v], col = problem.colour[v], H = problem.basis[v], ref = problem.lightReference[v];
      M.fill(0);
      r.fill(0);
      for (let i = 0; i < N; i++) {
        const wi = w[3 * i + c];
        if (!(wi > 0)) continue;
        const l = srgbDecode(mean[i]), h = i * SH;
        for (let j = 0; j < SH; j++) {
          const wj = wi * l * H[h + j];
          r[j] += wj * col[3 * i + c];
          for (let q = 0; q < SH; q++) M[j * SH + q] += wj * l * H[h + q];
        }
      }
      const mu = problem.lightPriorWeight[v][c];
      for (let j = 0; j < SH; j++) r[j] += mu * ref[c * SH + j];
      const gamma = solveSymmetric(M, r, SH, mu);
      for (let j = 0; j < SH; j++) x[c * stride + K + v * SH + j] = gamma[j];
    }
  }
  return x;
}

export interface PhotometricAdamOptions {
  /** Learning rate in scaled units; default 0.03. */
  learningRate?: number;
  /** Coefficient k moves in units of coefficientScale × √variance_k (default 1). */
  coefficientScale?: number;
  /** Light coefficients move in units of this (default 0.1, linear RGB irradiance). */
  lightScale?: number;
  /** The rate decays exponentially to learningRate × this at maxSteps (default 1: constant). */
  finalLearningRateFraction?: number;
  maxSteps?: number;
  maxMs?: number;
  /** Stop as soon as the objective is at or below this. */
  targetCost?: number;
  /** Start (flat layout); default initialParameters(problem). */
  start?: Float64Array;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  signal?: AbortSignal;
}

export interface PhotometricAdamResult {
  /** Final iterate, flat layout (unpackParameters splits it). */
  parameters: Float64Array;
  /** Objective at each evaluated iterate, and ms since the start when that evaluation finished. */
  costs: Float64Array;
  elapsedMs: Float64Array;
  bestCost: number;
  steps: number;
  /** The objective became non-finite (learning rate too large); the trace ends there. */
  diverged: boolean;
}

/** Per-parameter step units: Adam moves each parameter by about learningRate × scale per step. */
export function adamScales(problem: PhotometricProblem, coefficientScale = 1, lightScale = 0.1): Float64Array {
  const { K, V } = problem, stride = K + SH * V;
  const scales = new Float64Array(parameterCount(problem));
  for (let c = 0; c < 3; c++) {
    for (let k = 0; k < K; k++) {
      const s = problem.variances[c][k];
      scales[c * stride + k] = s > 0 ? coefficientScale * Math.sqrt(s) : 0;
    }
    scales.fill(lightScale, c * stride + K, (c + 1) * stride);
  }
  return scales;
}

export function minimisePhotometricWithAdam(problem: PhotometricProblem, options: PhotometricAdamOptions = {}): PhotometricAdamResult {
  const learningRate = options.learningRate ?? 0.03;
  const finalFraction = options.finalLearningRateFraction ?? 1;
  const maxSteps = options.maxSteps ?? 5000;
  const maxMs = options.maxMs ?? Infinity;
  const targetCost = options.targetCost ?? -Infinity;
  const beta1 = options.beta1 ?? 0.9, beta2 = options.beta2 ?? 0.999, epsilon = options.epsilon ?? 1e-8;
  if (!(learningRate > 0) || !(finalFraction > 0) || !(maxSteps >= 1)) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `Adam needs learningRate > 0, finalLearningRateFraction > 0 and maxSteps >= 1 (got ${learningRate}, ${finalFraction}, ${maxSteps}).`);
  }
  const P = parameterCount(problem);
  const x = options.start ? Float64Array.from(options.start) : initialParameters(problem);
  if (x.length !== P) throw new PhotoAvatarError('INVALID_ARGUMENT', `start must have ${P} entries (got ${x.length}).`);
  const scales = adamScales(problem, options.coefficientScale, options.lightScale);
  const gradient = new Float64Array(P), m = new Float64Array(P), v = new Float64Array(P);
  const costs = new Float64Array(maxSteps + 1), elapsedMs = new Float64Array(maxSteps + 1);
  const decayPerStep = Math.log(finalFraction) / maxSteps;
  let bestCost = Infinity, recorded = 0, diverged = false;
  let power1 = 1, power2 = 1;

  const start = performance.now();
  for (let s = 0; s <= maxSteps; s++) {
    if ((s & 63) === 0) throwIfAborted(options.signal);
    const cost = photometricObjective(problem, x, gradient);
    costs[recorded] = cost;
    elapsedMs[recorded] = performance.now() - start;
    recorded++;
    if (!Number.isFinite(cost)) { diverged = true; break; }
    bestCost = Math.min(bestCost, cost);
    if (s === maxSteps || cost <= targetCost || elapsedMs[recorded - 1] >= maxMs) break;
    // Adam in scaled coordinates u = x / scale: the gradient in u is scale × ∂E/∂x.
    power1 *= beta1;
    power2 *= beta2;
    const rate = learningRate * Math.exp(decayPerStep * s);
    for (let p = 0; p < P; p++) {
      const g = gradient[p] * scales[p];
      m[p] = beta1 * m[p] + (1 - beta1) * g;
      v[p] = beta2 * v[p] + (1 - beta2) * g * g;
      const mHat = m[p] / (1 - power1), vHat = v[p] / (1 - power2);
      x[p] -= scales[p] * rate * mHat / (Math.sqrt(vHat) + epsilon);
    }
  }
  return { parameters: x, costs: costs.slice(0, recorded), elapsedMs: elapsedMs.slice(0, recorded), bestCost, steps: recorded - 1, diverged };
}
