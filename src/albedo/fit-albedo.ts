/**
 * UVAPM albedo from a partial observation (the fitting engine's stage 2 + 3 building block): the
 * de-lit albedo unwrapped from a photo, with a per-texel confidence, at the texture size S (a
 * multiple of the model size d). Stage 2: confidence-weighted box-downsampling to d and the
 * closed-form projection (./project.ts) give the coarse albedo everywhere, unseen texels included.
 * Stage 3: the coarse map is upsampled to S and the photo's value-channel high frequencies are fused
 * in HSV (./detail.ts) where the observation is confident.
 */
import { PhotoAvatarError, throwIfAborted } from '../errors.js';
import { choleskySolve, solveSymmetric } from '../fitting/cholesky.js';
import { shShadingBasis } from './sh-light.js';
import { srgbDecode, srgbDecodeSlope } from '../image/srgb.js';
import { createGemmBackend, createTsGemm, type GemmBackend } from './gemm.js';
import { fuseDetail, type DetailOptions } from './detail.js';
import { projectUvMap, type ProjectOptions } from './project.js';
import type { UvapmModel } from './uvapm-format.js';
import { takeFloat32 } from '../math/scratch-arrays.js';

export interface UvapmAlbedoOptions extends ProjectOptions, DetailOptions {
  /** Texels with confidence at least this receive detail (default 0.3). */
  detailConfidence?: number;
}

export interface UvapmAlbedo {
  /** Per channel, componentCount coefficients. */
  coefficients: Float32Array[];
  /** Coarse albedo at the model size d (planar r, g, b, sRGB 0..1). */
  coarseAtModelSize: Float32Array;
  /** Coarse albedo upsampled to S. */
  coarse: Float32Array;
  /** Coarse + detail at S. */
  fused: Float32Array;
}

/**
 * Bilinear upsampling of planar channels (texel centres aligned), into planar channels or, with
 * `interleaved`, interleaved texels (the same values).
 */
export function upsamplePlanes(planes: Float32Array, from: number, to: number, channels = 3, interleaved = false): Float32Array {
  // From the reused scratch (../math/scratch-arrays.ts): the albedo stage gives its texture back.
  const out = takeFloat32(channels * to * to);
  // Where channel c of texel t goes: c * channelStep + t * texelStep.
  const channelStep = interleaved ? 1 : to * to, texelStep = interleaved ? channels : 1;
  const scale = from / to;
  // The horizontal taps depend on the column alone: computed once, not per row and channel.
  const left = new Int32Array(to), right = new Int32Array(to), across = new Float64Array(to);
  for (let x = 0; x < to; x++) {
    const sx = Math.min(from - 1, Math.max(0, (x + 0.5) * scale - 0.5));
    const x0 = Math.floor(sx);
    left[x] = x0; right[x] = Math.min(from - 1, x0 + 1); across[x] = sx - x0;
  }
  // Each source row's horizontal interpolation serves several output rows (to / from of them):
  // computed once per source row into `upper` / `lower` (the same doubles as inline), not per output texel.
  let upper = new Float64Array(to), lower = new Float64Array(to);
  for (let c = 0, plane = 0; c < channels; c++, plane += from * from) {
    let upperRow = -1, lowerRow = -1;
    for (let y = 0; y < to; y++) {
      const sy = Math.min(from - 1, Math.max(0, (y + 0.5) * scale - 0.5));
      const y0 = Math.floor(sy), y1 = Math.min(from - 1, y0 + 1), fy = sy - y0;
      if (y0 !== upperRow) {
        // Rows only move down: the old lower row is often the new upper one.
        if (y0 === lowerRow) {
          const swap = upper;
          upper = lower; lower = swap; lowerRow = -1;
        } else interpolateRow(planes, plane + y0 * from, left, right, across, upper);
        upperRow = y0;
      }
      if (y1 !== lowerRow) {
        interpolateRow(planes, plane + y1 * from, left, right, across, lower);
        lowerRow = y1;
      }
      const row = c * channelStep + y * to * texelStep;
      for (let x = 0; x < to; x++) out[row + x * texelStep] = upper[x] * (1 - fy) + lower[x] * fy;
    }
  }
  return out;
}

/** One source row (from `start`) interpolated at the output columns' taps into `out`. */
function interpolateRow(planes: Float32Array, start: number, left: Int32Array, right: Int32Array, across: Float64Array, out: Float64Array): void {
  for (let x = 0; x < out.length; x++) {
    const fx = across[x];
    out[x] = planes[start + left[x]] * (1 - fx) + planes[start + right[x]] * fx;
  }
}

export function fitUvapmAlbedo(model: UvapmModel, observed: Float32Array, confidence: Float32Array, size: number, options: UvapmAlbedoOptions = {}): UvapmAlbedo {
  const d = model.size;
  if (size % d !== 0) throw new PhotoAvatarError('INVALID_ARGUMENT', `Texture size ${size} is not a multiple of the UVAPM size ${d}.`);
  if (observed.length !== 3 * size * size || confidence.length !== size * size) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `Observation must be 3×${size}² values with ${size}² confidences.`);
  }
  const f = size / d, S2 = size * size, D = d * d;
  const data = new Float32Array(3 * D), weight = new Float32Array(D);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const s = y * size + x, w = confidence[s];
      if (!(w > 0)) continue;
      const t = Math.floor(y / f) * d + Math.floor(x / f);
      weight[t] += w;
      for (let c = 0; c < 3; c++) data[c * D + t] += w * observed[c * S2 + s];
    }
  }
  for (let t = 0; t < D; t++) {
    if (weight[t] > 0) for (let c = 0; c < 3; c++) data[c * D + t] /= weight[t];
    weight[t] /= f * f;
  }
  const { coefficients, reconstruction } = projectUvMap(model, data, model.mask, { ...options, weights: weight });
  const coarse = size === d ? Float32Array.from(reconstruction) : upsamplePlanes(reconstruction, d, size);
  const threshold = options.detailConfidence ?? 0.3;
  const detailMask = new Uint8Array(S2);
  for (let s = 0; s < S2; s++) detailMask[s] = confidence[s] >= threshold ? 1 : 0;
  const fused = fuseDetail(coarse, observed, detailMask, size, options);
  return { coefficients, coarseAtModelSize: reconstruction, coarse, fused };
}

/**
 * One photo's observation of the albedo at the UVAPM's resolution d (one entry per model texel,
 * row-first, top row first), in the photometric form stage 2 fits: colour ≈ L(a) ⊙ Σ_k γ_k H_k(n)
 * with a the sRGB albedo the model spans and L the sRGB decoding.
 */
export interface UvapmObservation {
  /** Linear RGB seen by the camera per model texel, interleaved (d² × 3). */
  colour: Float32Array;
  /** Unit model-space normal per model texel, interleaved (d² × 3). */
  normal: Float32Array;
  /** Least-squares weight per model texel (0 = not observed). */
  weight: Float32Array;
  /**
   * Per channel (d² × 3, interleaved), where it differs from `weight`: a channel saturated in the
   * photo is censored (the truth is at least what the camera recorded) and carries no weight there.
   */
  channelWeight?: Float32Array;
}

/** The least-squares weight of channel c at model texel t. */
export function channelWeight(o: UvapmObservation, t: number, c: number): number {
  return o.channelWeight ? o.channelWeight[3 * t + c] : o.weight[t];
}

export interface PhotometricFitOptions {
  /** Rounds of (light | albedo) then (albedo | light); default 4. */
  rounds?: number;
  /**
   * The albedo step also updates the lights (one Gauss-Newton step on both, whose albedo block is
   * the albedo | light system), default true. Plain alternation crawls where smooth albedo modes
   * and the light explain the same shading; the joint step converges in a few rounds there too.
   */
  joint?: boolean;
  /**
   * Noise variance λ of the photometric data term in linear RGB units² per unit weight: the prior
   * term is λ Σ_k c_k² / variance_k (the MAP estimate). Default 0.1. The channels' coefficients are
   * independent, so a weak prior mixes one face's red with another's green: at 3e-3 the fitted
   * brows and eyelids came out in rainbow fringes on the shared FFHQ photos. Measured there
   * (eval-albedo / eval-relight, leave-one-out UVAPM 64², K 5): 0.1 scores 19.25 dB face / SSIM
   * 0.788 against the FFHQ-UV truth (3e-3: 19.22 / 0.776) and moves under relighting by at most
   * RMS 0.042 (3e-3: 0.059), without the fringes.
   */
  regularization?: number;
  /** Ridge on each 9×9 light system relative to its mean diagonal; default 1e-5. */
  lightRidge?: number;
  /**
   * A light per observation (27 each) to stay near, e.g. the photo-only estimate. Per-channel
   * albedo modes and per-channel light explain the same brightness, so with a small albedo model
   * the free solve can trade one for the other into physically absurd lights (a negative red
   * ambient term under a blue one). The prior pulls each light towards its reference instead of 0.
   */
  lightReference?: readonly Float32Array[];
  /** Weight of that pull relative to each light system's mean diagonal; default 1 (at 0.1 the default head's
   * embedded model still pushed the blue ambient term to 2.4x the photo-only estimate on deep3d/000002). */
  lightReferenceStrength?: number;
  /**
   * Gram products (rows² × texels) above this run as an ONNX MatMul (gemm.ts); default 1e5. Measured
   * on the loaded 2-core dev machine: 110 rows × 26,000 texels (K 100 at 256²) 96 ms ONNX WASM vs
   * 755 ms TS; 16 × 3,000 (K 5 at 64²) 1.3 vs 20 ms.
   */
  onnxAbove?: number;
  signal?: AbortSignal;
}

export interface PhotometricFit {
  /** Per channel, componentCount coefficients. */
  coefficients: Float32Array[];
  /** 27 SH coefficients per observation (R, then G, then B), the convention of sh-light.ts. */
  lights: Float32Array[];
  /** Coarse albedo at the model size d: planar r, g, b, sRGB 0..1 (the model's own space). */
  albedo: Float32Array;
  /** Weighted RMSE of colour − L(a) ⊙ shading in linear RGB after each round. */
  residuals: number[];
  /**
   * The objective after each round: weighted squared data residual + λ Σ c² / variance + the
   * light prior. It never rises (light: exact minimum; joint step: halved until it falls); the data
   * term alone may give a little back once the priors bind.
   */
  objective: number[];
}

const SH = 9;
/** PhotometricFitOptions.regularization's default (measured there). */
export const DEFAULT_REGULARIZATION = 0.1;

let onnxGemm: Promise<GemmBackend> | undefined;
const tsGemm = createTsGemm();

function gemmFor(work: number, threshold: number): Promise<GemmBackend> {
  if (work <= threshold) return Promise.resolve(tsGemm);
  onnxGemm ??= createGemmBackend('onnx');
  onnxGemm.catch(() => { onnxGemm = undefined; });
  return onnxGemm;
}

/**
 * Stage 2 of the fitting engine: the UVAPM coefficients (shared by all observations) and one SH
 * light per observation, by alternating closed-form solves. Light | albedo is a per-channel 9×9
 * weighted least squares. Albedo | light is one Gauss-Newton step through the sRGB decoding: per
 * channel a Tikhonov-regularised weighted projection onto the components (the system of
 * project.ts with photometric weights); by default (options.joint) the lights join that step.
 */
export async function fitUvapmUnderLight(model: UvapmModel, observations: readonly UvapmObservation[], options: PhotometricFitOptions = {}): Promise<PhotometricFit> {
  const d = model.size, D = d * d, K = model.componentCount, V = observations.length;
  if (V === 0) throw new PhotoAvatarError('INVALID_ARGUMENT', 'The photometric UVAPM fit needs at least one observation.');
  for (const o of observations) {
    if (o.colour.length !== 3 * D || o.normal.length !== 3 * D || o.weight.length !== D) {
      throw new PhotoAvatarError('INVALID_ARGUMENT', `Observations must hold ${D} texels (the UVAPM is ${d}×${d}).`);
    }
  }
  const rounds = options.rounds ?? 4;
  const lambda = options.regularization ?? DEFAULT_REGULARIZATION;
  const lightRidge = options.lightRidge ?? 1e-5;
  const reference = options.lightReference;
  if (reference && (reference.length !== V || reference.some((light) => light.length !== 3 * SH))) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `lightReference needs ${V} lights of ${3 * SH} coefficients.`);
  }
  const lightPrior: LightPrior = reference
    ? { strength: options.lightReferenceStrength ?? 1, reference }
    : { strength: lightRidge, reference: observations.map(() => new Float32Array(3 * SH)) };

  // Texels inside the model's mask that some observation sees, compacted once.
  const used: number[] = [];
  for (let t = 0; t < D; t++) {
    if (!model.mask[t]) continue;
    for (let v = 0; v < V; v++) if (observations[v].weight[t] > 0) { used.push(t); break; }
  }
  const N = used.length;
  if (N < SH * 4) throw new PhotoAvatarError('INVALID_ARGUMENT', `Only ${N} observed texels inside the UVAPM mask: too few to fit light and albedo.`);
  const texel = Int32Array.from(used);

  // Shading basis H_k(n) per observation and used texel.
  const basis = observations.map((o) => {
    const h = new Float64Array(N * SH);
    for (let i = 0; i < N; i++) {
      const t = texel[i];
      shShadingBasis(o.normal[3 * t], o.normal[3 * t + 1], o.normal[3 * t + 2], h, i * SH);
    }
    return h;
  });

  const coefficients = Array.from({ length: 3 }, () => new Float32Array(K));
  const lights = observations.map(() => new Float32Array(3 * SH));
  const albedo = new Float32Array(3 * D);
  const shading = observations.map(() => new Float64Array(N * 3));
  const residuals: number[] = [];
  const joint = options.joint ?? true;
  // Workspace of the plain (albedo-only) step.
  const z = new Float32Array(joint ? 0 : (K + 1) * N);
  const A = new Float64Array(K * K), b = new Float64Array(K), x = new Float64Array(K), work = new Float64Array(K * K);

  // The light prior's weight per view and channel is fixed at the first light solve (from the mean
  // albedo): were it re-derived from the current albedo every round, the objective itself would
  // move between rounds and the residual could rise after round 3.
  const lightWeight = observations.map(() => new Float64Array(3).fill(NaN));
  if (reference) {
    // Measured at the albedo the reference light implies (the photo de-lit by it), not at the model's mean.
    for (let v = 0; v < V; v++) lightWeight[v].set(lightPriorWeights(observations[v], texel, basis[v], reference[v], lightPrior.strength));
  }
  const step = joint ? new JointStep(model, observations, texel, basis, lambda, lightPrior, lightWeight, options.onnxAbove ?? 1e5) : null;
  const objective: number[] = [];
  const fit: FitState = { model, observations, texel, albedo, shading, lights, lightWeight, lightReference: lightPrior.reference, coefficients, lambda };
  decodeAlbedo(model, coefficients, albedo);
  for (let round = 0; round < rounds; round++) {
    throwIfAborted(options.signal);
    for (let v = 0; v < V; v++) {
      solveLight(observations[v], texel, basis[v], albedo, D, lightPrior.strength, lightWeight[v], lightPrior.reference[v], lights[v]);
      evaluateBasis(basis[v], lights[v], N, shading[v]);
    }
    if (step) {
      for (let c = 0; c < 3; c++) await step.run(c, coefficients[c], lights, albedo.subarray(c * D, (c + 1) * D));
      decodeAlbedo(model, coefficients, albedo);
      for (let v = 0; v < V; v++) evaluateBasis(basis[v], lights[v], N, shading[v]);
      residuals.push(photometricRmse(observations, texel, shading, albedo, D));
      objective.push(totalObjective(fit));
      continue;
    }
    for (let c = 0; c < 3; c++) {
      const U = model.components[c], mean = model.means[c], variance = model.variances[c];
      // Per texel, the views' linearised normal equations collapse to a weight W and a target y:
      // Σ_v w (o − s L(a0) − s L'(a0) δ)² = W (δ − y + a0)² + const.
      for (let i = 0; i < N; i++) {
        const t = texel[i], a0 = albedo[c * D + t];
        const level = srgbDecode(a0), slope = srgbDecodeSlope(a0);
        let W = 0, B = 0;
        for (let v = 0; v < V; v++) {
          const w = channelWeight(observations[v], t, c);
          if (!(w > 0)) continue;
          const s = shading[v][3 * i + c], g = s * slope;
          W += w * g * g;
          B += w * g * (observations[v].colour[3 * t + c] - s * level);
        }
        const sw = Math.sqrt(W);
        const target = W > 0 ? a0 + B / W - mean[t] : 0;
        for (let k = 0; k < K; k++) z[k * N + i] = sw * U[k * D + t];
        z[K * N + i] = sw * target;
      }
      const gram = await (await gemmFor((K + 1) * (K + 1) * N, options.onnxAbove ?? 1e5)).gram(z, K + 1, N);
      for (let k = 0; k < K; k++) {
        for (let l = 0; l < K; l++) A[k * K + l] = gram[k * (K + 1) + l];
        b[k] = gram[k * (K + 1) + K];
        A[k * K + k] += variance[k] > 0 ? lambda / variance[k] : 1e12;
      }
      if (K > 0 && !choleskySolve(A, b, K, x, work)) throw new PhotoAvatarError('INVALID_ARGUMENT', 'The UVAPM albedo system is singular (model variances are not positive).');
      for (let k = 0; k < K; k++) coefficients[c][k] = x[k];
    }
    decodeAlbedo(model, coefficients, albedo);
    residuals.push(photometricRmse(observations, texel, shading, albedo, D));
    objective.push(totalObjective(fit));
  }
  return { coefficients, lights, albedo, residuals, objective };
}

/** The fit's state that its objective reads (see fitUvapmUnderLight). */
interface FitState {
  model: UvapmModel;
  observations: readonly UvapmObservation[];
  texel: Int32Array;
  albedo: Float32Array;
  shading: Float64Array[];
  lights: Float32Array[];
  lightWeight: Float64Array[];
  lightReference: readonly Float32Array[];
  coefficients: Float32Array[];
  lambda: number;
}

/**
 * The objective after a round: weighted squared data residual + light prior + λ Σ c² / variance.
 * A function of its own, not a closure made per fit: V8 compiled such a closure again for every avatar.
 */
function totalObjective(fit: FitState): number {
  const { model, observations, texel, albedo, shading, lights, lightWeight, lightReference, coefficients, lambda } = fit;
  const V = observations.length, N = texel.length, D = model.size * model.size, K = model.componentCount;
  let sum = 0;
  for (let v = 0; v < V; v++) {
    const o = observations[v];
    for (let i = 0; i < N; i++) {
      const t = texel[i];
      if (!(o.weight[t] > 0)) continue;
      for (let c = 0; c < 3; c++) { const e = o.colour[3 * t + c] - srgbDecode(albedo[c * D + t]) * shading[v][3 * i + c]; sum += channelWeight(o, t, c) * e * e; }
    }
    for (let c = 0; c < 3; c++) for (let j = 0; j < SH; j++) sum += lightWeight[v][c] * (lights[v][c * SH + j] - lightReference[v][c * SH + j]) ** 2;
  }
  for (let c = 0; c < 3; c++) for (let k = 0; k < K; k++) if (model.variances[c][k] > 0) sum += (lambda * coefficients[c][k] ** 2) / model.variances[c][k];
  return sum;
}

/** albedo (planar, d²) = mean + Σ_k c_k U_k per channel. */
function decodeAlbedo(model: UvapmModel, coefficients: Float32Array[], out: Float32Array): void {
  const D = model.size * model.size;
  for (let c = 0; c < 3; c++) {
    const plane = out.subarray(c * D, (c + 1) * D), U = model.components[c];
    plane.set(model.means[c]);
    for (let k = 0; k < model.componentCount; k++) {
      const a = coefficients[c][k];
      if (a === 0) continue;
      const row = k * D;
      for (let t = 0; t < D; t++) plane[t] += a * U[row + t];
    }
  }
}

/**
 * μ per channel for one view: strength × the mean diagonal of its light system Σ w L(a)² H Hᵀ,
 * with L(a) the colour de-lit by the reference light (fixed for the whole fit).
 */
export function lightPriorWeights(o: UvapmObservation, texel: Int32Array, basis: Float64Array, reference: Float32Array, strength: number): Float64Array {
  const weights = new Float64Array(3);
  for (let c = 0; c < 3; c++) {
    let trace = 0;
    for (let i = 0; i < texel.length; i++) {
      const t = texel[i], w = channelWeight(o, t, c);
      if (!(w > 0)) continue;
      let s = 0, h2 = 0;
      for (let k = 0; k < SH; k++) { const h = basis[i * SH + k]; s += reference[c * SH + k] * h; h2 += h * h; }
      const level = o.colour[3 * t + c] / Math.max(s, 0.05);
      trace += w * level * level * h2;
    }
    weights[c] = strength * (trace / SH);
  }
  return weights;
}

/** Light prior: strength × (mean diagonal of each light system) × |γ − reference|². */
interface LightPrior {
  strength: number;
  reference: readonly Float32Array[];
}

/**
 * Per channel: min Σ w (o − L(a) Σ_k γ_k H_k)² + μ |γ − γ_ref|², written into light (27). μ per
 * channel comes from `weight`, set on the first call (strength × the system's mean diagonal).
 */
function solveLight(
  o: UvapmObservation, texel: Int32Array, basis: Float64Array, albedo: Float32Array, D: number,
  strength: number, weight: Float64Array, reference: Float32Array, light: Float32Array,
): void {
  const N = texel.length;
  const M = new Float64Array(SH * SH), r = new Float64Array(SH), row = new Float64Array(SH);
  for (let c = 0; c < 3; c++) {
    M.fill(0);
    r.fill(0);
    for (let i = 0; i < N; i++) {
      const t = texel[i], w = channelWeight(o, t, c);
      if (!(w > 0)) continue;
      const level = srgbDecode(albedo[c * D + t]);
      for (let k = 0; k < SH; k++) row[k] = level * basis[i * SH + k];
      const target = o.colour[3 * t + c];
      for (let k = 0; k < SH; k++) {
        const wk = w * row[k];
        r[k] += wk * target;
        for (let l = 0; l <= k; l++) M[k * SH + l] += wk * row[l];
      }
    }
    let trace = 0;
    for (let k = 0; k < SH; k++) {
      for (let l = 0; l < k; l++) M[l * SH + k] = M[k * SH + l];
      trace += M[k * SH + k];
    }
    if (!(weight[c] === weight[c])) weight[c] = strength * (trace / SH);
    const mu = weight[c];
    for (let k = 0; k < SH; k++) r[k] += mu * reference[c * SH + k];
    const gamma = solveSymmetric(M, r, SH, mu);
    for (let k = 0; k < SH; k++) light[c * SH + k] = gamma[k];
  }
}

function evaluateBasis(basis: Float64Array, light: Float32Array, N: number, out: Float64Array): void {
  for (let i = 0; i < N; i++) {
    for (let c = 0; c < 3; c++) {
      let s = 0;
      for (let k = 0; k < SH; k++) s += light[c * SH + k] * basis[i * SH + k];
      out[3 * i + c] = s;
    }
  }
}

function photometricRmse(observations: readonly UvapmObservation[], texel: Int32Array, shading: Float64Array[], albedo: Float32Array, D: number): number {
  let sum = 0, weights = 0;
  for (let v = 0; v < observations.length; v++) {
    const o = observations[v];
    for (let i = 0; i < texel.length; i++) {
      const t = texel[i];
      if (!(o.weight[t] > 0)) continue;
      for (let c = 0; c < 3; c++) {
        const w = channelWeight(o, t, c), e = o.colour[3 * t + c] - srgbDecode(albedo[c * D + t]) * shading[v][3 * i + c];
        weights += w;
        sum += w * e * e;
      }
    }
  }
  return Math.sqrt(sum / Math.max(weights, 1e-12));
}

/**
 * One channel's Gauss-Newton step on (coefficients, every view's 9 light coefficients) for
 * Σ_(v,t) w (o − L(a_t) Σ_j γ_vj H_j)² + λ Σ_k c_k² / variance_k + ridge |γ|², with a = mean + U c:
 * the Jacobian rows are s L'(a) U_k (albedo) and L(a) H_j (light, own view only); the normal
 * equations come from one Gram matrix of the weighted rows plus the residual. The step is halved
 * (at most 5 times) until the objective falls, so every round decreases it.
 */
class JointStep {
  private readonly K: number;
  private readonly P: number;
  private readonly pairView: Int32Array;
  private readonly pairIndex: Int32Array;
  private readonly z: Float32Array;
  private readonly gemm: Promise<GemmBackend>;

  constructor(
    private readonly model: UvapmModel,
    private readonly observations: readonly UvapmObservation[],
    private readonly texel: Int32Array,
    private readonly basis: Float64Array[],
    private readonly lambda: number,
    private readonly lightPrior: LightPrior,
    /** μ per view and channel, fixed by the first light solve. */
    private readonly lightWeight: readonly Float64Array[],
    onnxAbove: number,
  ) {
    const V = observations.length;
    this.K = model.componentCount;
    this.P = this.K + SH * V + 1;
    const views: number[] = [], indices: number[] = [];
    for (let v = 0; v < V; v++) {
      for (let i = 0; i < texel.length; i++) if (observations[v].weight[texel[i]] > 0) { views.push(v); indices.push(i); }
    }
    this.pairView = Int32Array.from(views);
    this.pairIndex = Int32Array.from(indices);
    this.z = new Float32Array(this.P * views.length);
    this.gemm = gemmFor(this.P * this.P * views.length, onnxAbove);
  }

  /** Updates coefficients (this channel's) and lights[v][channel block] in place; `plane` is the channel's current albedo (d²). */
  async run(channel: number, coefficients: Float32Array, lights: Float32Array[], plane: Float32Array): Promise<void> {
    const { K, P, pairView, pairIndex, z, observations, texel, basis, model } = this;
    const M = pairView.length, D = model.size * model.size, U = model.components[channel], variance = model.variances[channel];
    const V = observations.length;
    for (let p = 0; p < M; p++) {
      const v = pairView[p], i = pairIndex[p], t = texel[i];
      const sw = Math.sqrt(channelWeight(observations[v], t, channel));
      const a0 = plane[t], level = srgbDecode(a0);
      let s = 0;
      for (let j = 0; j < SH; j++) s += lights[v][channel * SH + j] * basis[v][i * SH + j];
      const g = sw * s * srgbDecodeSlope(a0);
      for (let k = 0; k < K; k++) z[k * M + p] = g * U[k * D + t];
      for (let u = 0; u < V; u++) {
        for (let j = 0; j < SH; j++) z[(K + u * SH + j) * M + p] = u === v ? sw * level * basis[v][i * SH + j] : 0;
      }
      z[(P - 1) * M + p] = sw * (observations[v].colour[3 * t + channel] - s * level);
    }
    const gram = await (await this.gemm).gram(z, P, M);
    const n = P - 1;
    const A = new Float64Array(n * n), b = new Float64Array(n), x = new Float64Array(n), work = new Float64Array(n * n);
    for (let r = 0; r < n; r++) {
      for (let q = 0; q < n; q++) A[r * n + q] = gram[r * P + q];
      b[r] = gram[r * P + n];
    }
    const prior = new Float64Array(n), current = new Float64Array(n), target = new Float64Array(n);
    for (let k = 0; k < K; k++) {
      prior[k] = variance[k] > 0 ? this.lambda / variance[k] : 1e12;
      current[k] = coefficients[k];
    }
    for (let v = 0; v < V; v++) {
      for (let j = 0; j < SH; j++) {
        prior[K + v * SH + j] = this.lightWeight[v][channel];
        current[K + v * SH + j] = lights[v][channel * SH + j];
        target[K + v * SH + j] = this.lightPrior.reference[v][channel * SH + j];
      }
    }
    for (let r = 0; r < n; r++) {
      A[r * n + r] += prior[r];
      b[r] -= prior[r] * (current[r] - target[r]);
    }
    if (!choleskySolve(A, b, n, x, work)) return;

    const step = { channel, plane, n, x, current, target, prior };
    const before = this.objective(step, 0);
    let scale = 1, after = this.objective(step, scale);
    for (let attempt = 0; attempt < 5 && after > before; attempt++) after = this.objective(step, (scale *= 0.5));
    if (after > before) return;
    for (let k = 0; k < K; k++) coefficients[k] = current[k] + scale * x[k];
    for (let v = 0; v < V; v++) for (let j = 0; j < SH; j++) lights[v][channel * SH + j] = current[K + v * SH + j] + scale * x[K + v * SH + j];
  }

  /**
   * run's objective at `scale` times its step. A method, not a closure made per run: V8 compiled
   * such a closure again for every channel of every avatar (on-stack replacement included).
   */
  private objective(step: { channel: number; plane: Float32Array; n: number; x: Float64Array; current: Float64Array; target: Float64Array; prior: Float64Array }, scale: number): number {
    const { K, pairView, pairIndex, observations, texel, basis, model } = this;
    const { channel, plane, n, x, current, target, prior } = step;
    const M = pairView.length, D = model.size * model.size, U = model.components[channel];
    let sum = 0;
    for (let r = 0; r < n; r++) { const offset = current[r] + scale * x[r] - target[r]; sum += prior[r] * offset * offset; }
    for (let p = 0; p < M; p++) {
      const v = pairView[p], i = pairIndex[p], t = texel[i];
      let a = plane[t], s = 0;
      for (let k = 0; k < K; k++) a += scale * x[k] * U[k * D + t];
      for (let j = 0; j < SH; j++) s += (current[K + v * SH + j] + scale * x[K + v * SH + j]) * basis[v][i * SH + j];
      const e = observations[v].colour[3 * t + channel] - srgbDecode(a) * s;
      sum += channelWeight(observations[v], t, channel) * e * e;
    }
    return sum;
  }
}
