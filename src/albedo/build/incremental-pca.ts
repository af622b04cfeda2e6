/**
 * Streaming per-channel PCA (incremental PCA, Ross et al. 2008, as in scikit-learn's
 * IncrementalPCA): the state after n maps is, per channel, the mean, the top-k right singular
 * vectors of the centred data and their singular values. A batch of B maps is folded in by one SVD
 * of the stacked (k + B + 1) × D matrix [diag(s)·V; X_b − mean_b; √(nB/(n+B))·(mean − mean_b)],
 * done as the eigen-decomposition of its Gram matrix (the heavy product) plus one left
 * multiplication.
 *
 * Memory is independent of the number of maps: per channel mean (8·D bytes) + components (4·K·D)
 * + a spare components buffer (4·K·D), plus one shared stacked matrix (4·(K+B+1)·D) and the batch
 * itself (3·4·B·D). With D = 256² = 65,536, K = 100, B = 100: 3·(0.5+26+26) + 53 + 79 ≈ 290 MB of
 * state; bench/uvapm.ts measures a peak of ~430 MB heap+ArrayBuffers and ~650 MB RSS with the ONNX
 * backend (its WASM heap holds copies of the stacked matrix and the product), flat in the map count.
 *
 * The result depends only on the sequence of batches, so a build resumed from a checkpoint taken at
 * a batch boundary gives a bit-identical model.
 */
import { PhotoAvatarError } from '../../errors.js';
import type { GemmBackend } from '../gemm.js';
import { symmetricEigen } from '../linalg.js';
import { choleskySolve } from '../../fitting/cholesky.js';
import { projectionSystem } from '../project.js';

export const UVAPM_CHANNELS = 3;

export interface ChannelState {
  /** Per-texel mean (D values). */
  mean: Float64Array;
  /** Current component count k (≤ K). */
  count: number;
  /** Components, row-major k × D (buffer sized K × D). */
  components: Float32Array;
  /** Singular values of the centred data, descending (K values, first `count` valid). */
  singularValues: Float64Array;
  /** Sum of squared deviations from the mean over all maps and texels (for explained variance). */
  totalSquares: number;
}

export interface PcaState {
  dimension: number;
  maxComponents: number;
  /** Maps folded in so far. */
  mapCount: number;
  channels: ChannelState[];
}

export function createPcaState(dimension: number, maxComponents: number): PcaState {
  if (!Number.isInteger(dimension) || dimension <= 0) throw new PhotoAvatarError('INVALID_ARGUMENT', `PCA dimension must be a positive integer, got ${dimension}.`);
  if (!Number.isInteger(maxComponents) || maxComponents <= 0) throw new PhotoAvatarError('INVALID_ARGUMENT', `Component count must be a positive integer, got ${maxComponents}.`);
  const channels = Array.from({ length: UVAPM_CHANNELS }, (): ChannelState => ({
    mean: new Float64Array(dimension),
    count: 0,
    components: new Float32Array(maxComponents * dimension),
    singularValues: new Float64Array(maxComponents),
    totalSquares: 0,
  }));
  return { dimension, maxComponents, mapCount: 0, channels };
}

/** Reusable work buffers of one build, sized once for the largest batch. */
export class PcaWorkspace {
  readonly stacked: Float32Array;
  /** Swapped with a channel's components after each fold. */
  spare: Float32Array;
  readonly batchMean: Float64Array;

  constructor(readonly dimension: number, readonly maxComponents: number, readonly maxBatch: number) {
    this.stacked = new Float32Array((maxComponents + maxBatch + 1) * dimension);
    this.spare = new Float32Array(maxComponents * dimension);
    this.batchMean = new Float64Array(dimension);
  }
}

/**
 * Folds a batch into the state. `batch` holds B maps as planar channels: map b, channel c starts at
 * (b·3 + c)·D. Values are used as given (the builder feeds sRGB in 0..1).
 */
export async function foldBatch(state: PcaState, batch: Float32Array, batchSize: number, gemm: GemmBackend, work: PcaWorkspace): Promise<void> {
  const D = state.dimension;
  if (batchSize <= 0) return;
  if (batchSize > work.maxBatch) throw new PhotoAvatarError('INVALID_ARGUMENT', `Batch of ${batchSize} maps exceeds the workspace's ${work.maxBatch}.`);
  const n = state.mapCount;
  const total = n + batchSize;
  for (let c = 0; c < UVAPM_CHANNELS; c++) {
    const ch = state.channels[c];
    const mb = work.batchMean;
    mb.fill(0);
    for (let b = 0; b < batchSize; b++) {
      const base = (b * UVAPM_CHANNELS + c) * D;
      for (let t = 0; t < D; t++) mb[t] += batch[base + t];
    }
    for (let t = 0; t < D; t++) mb[t] /= batchSize;

    const M = work.stacked;
    let rows = 0;
    for (let i = 0; i < ch.count; i++, rows++) {
      const s = ch.singularValues[i];
      const src = i * D, dst = rows * D;
      for (let t = 0; t < D; t++) M[dst + t] = s * ch.components[src + t];
    }
    let batchSquares = 0;
    for (let b = 0; b < batchSize; b++, rows++) {
      const base = (b * UVAPM_CHANNELS + c) * D, dst = rows * D;
      for (let t = 0; t < D; t++) {
        const v = batch[base + t] - mb[t];
        M[dst + t] = v;
        batchSquares += v * v;
      }
    }
    let shiftSquares = 0;
    if (n > 0) {
      const w = Math.sqrt((n * batchSize) / total);
      const dst = rows * D;
      for (let t = 0; t < D; t++) {
        const v = w * (ch.mean[t] - mb[t]);
        M[dst + t] = v;
        shiftSquares += v * v;
      }
      rows++;
    }
    for (let t = 0; t < D; t++) ch.mean[t] = (n * ch.mean[t] + batchSize * mb[t]) / total;
    ch.totalSquares += batchSquares + shiftSquares;

    const G = await gemm.gram(M, rows, D);
    const { values, vectors } = symmetricEigen(G, rows);
    // Modes below fp32 resolution of the Gram matrix are noise, not data.
    const floor = Math.max(values[0], 0) * 1e-10;
    let keep = 0;
    while (keep < Math.min(state.maxComponents, rows) && values[keep] > floor && values[keep] > 0) keep++;
    const A = new Float32Array(keep * rows);
    for (let r = 0; r < keep; r++) {
      const s = Math.sqrt(values[r]);
      ch.singularValues[r] = s;
      for (let j = 0; j < rows; j++) A[r * rows + j] = vectors[j * rows + r] / s;
    }
    ch.singularValues.fill(0, keep);
    await gemm.leftMultiply(A, keep, rows, M, D, work.spare);
    // Swap buffers: the spare becomes the components, the old components the next spare.
    const old = ch.components;
    ch.components = work.spare;
    work.spare = old;
    ch.count = keep;
  }
  state.mapCount = total;
}

export interface PcaSummary {
  /** Components kept in the model: min(K, maps − 1, numerical rank), equal across channels. */
  componentCount: number;
  variances: Float64Array[];
  explainedVarianceRatio: Float64Array[];
}

/** Final component count and per-channel variances (s² / (n − 1)) of the state. */
export function summarizePca(state: PcaState): PcaSummary {
  const n = state.mapCount;
  let k = Math.min(state.maxComponents, Math.max(0, n - 1));
  for (const ch of state.channels) k = Math.min(k, ch.count);
  const variances = state.channels.map((ch) => Float64Array.from(ch.singularValues.subarray(0, k), (s) => (s * s) / Math.max(1, n - 1)));
  const explainedVarianceRatio = state.channels.map((ch, c) => {
    const total = ch.totalSquares / Math.max(1, n - 1);
    return Float64Array.from(variances[c], (v) => (total > 0 ? v / total : 0));
  });
  return { componentCount: k, variances, explainedVarianceRatio };
}

/**
 * Missing data (texels a map did not observe, e.g. the unseen side of a face unwrapped from a
 * photo) is handled EM-PCA style (hard EM, as in SVDimpute): before a map is folded in, its missing
 * texels are replaced by the current model's prediction from its observed texels, the MAP estimate
 * mean + U·a with a = argmin Σ_obs w (x − mean − U a)² + λ Σ a_k² / variance_k. Averaging missing
 * texels in as zeros (or any constant) would pull the mean towards that constant and spend the
 * first components on the holes' outlines.
 */
export interface ImputationModel {
  dimension: number;
  /** Components per channel used for the prediction (0 = mean only). */
  count: number;
  means: Float64Array[];
  /** Per channel, row-major count × D. */
  components: Float32Array[];
  /** Per channel, the prior variance of each coefficient. */
  variances: Float64Array[];
}

/** The running state as an imputation model (views, no copies: valid until the next fold). */
export function imputationModelOf(state: PcaState): ImputationModel {
  const summary = summarizePca(state);
  return {
    dimension: state.dimension,
    count: summary.componentCount,
    means: state.channels.map((ch) => ch.mean),
    components: state.channels.map((ch) => ch.components),
    variances: summary.variances,
  };
}

/** A copy of the state's model that later folds do not change (the model of the previous EM pass). */
export function snapshotImputationModel(state: PcaState): ImputationModel {
  const view = imputationModelOf(state);
  const D = state.dimension;
  return {
    ...view,
    means: view.means.map((m) => Float64Array.from(m)),
    components: view.components.map((u) => u.slice(0, view.count * D)),
  };
}

/** True when some texel's confidence (0..255) is below `threshold`. */
export function hasMissingTexels(confidence: Uint8Array, threshold: number): boolean {
  for (let t = 0; t < confidence.length; t++) if (confidence[t] < threshold) return true;
  return false;
}

/**
 * Fills the missing texels (confidence below `threshold`, of 255) of one planar map in place with
 * the model's prediction from its observed texels, each weighted by its confidence. With no
 * component or no observed texel the prediction is the mean.
 */
export function imputeMissingTexels(model: ImputationModel, planes: Float32Array, confidence: Uint8Array, threshold: number, regularization = 1e-4): void {
  const D = model.dimension, K = model.count;
  const observed: number[] = [];
  const missing: number[] = [];
  for (let t = 0; t < D; t++) (confidence[t] >= threshold ? observed : missing).push(t);
  if (missing.length === 0) return;
  const weight = Float64Array.from(observed, (t) => confidence[t] / 255);
  const A = new Float64Array(K * K), b = new Float64Array(K), a = new Float64Array(K), work = new Float64Array(K * K);
  const residual = new Float64Array(observed.length);
  for (let c = 0; c < UVAPM_CHANNELS; c++) {
    const mean = model.means[c], U = model.components[c], x = planes.subarray(c * D, (c + 1) * D);
    let solved = false;
    if (K > 0 && observed.length > 0) {
      for (let i = 0; i < observed.length; i++) residual[i] = x[observed[i]] - mean[observed[i]];
      projectionSystem(U, D, K, model.variances[c], observed, weight, residual, regularization, A, b);
      solved = choleskySolve(A, b, K, a, work);
    }
    for (const t of missing) {
      let v = mean[t];
      if (solved) for (let k = 0; k < K; k++) v += a[k] * U[k * D + t];
      x[t] = v;
    }
  }
}

/**
 * The first batch of a build has no model to predict from: its missing texels take the
 * confidence-weighted mean of the maps of the batch that observed them, or, where none did, the
 * batch's mean over all observed texels of the channel.
 */
export function imputeFromBatchMean(batch: Float32Array, confidence: Uint8Array, batchSize: number, D: number, threshold: number): void {
  const texelMean = new Float64Array(D), texelWeight = new Float64Array(D);
  for (let c = 0; c < UVAPM_CHANNELS; c++) {
    texelMean.fill(0);
    texelWeight.fill(0);
    let sum = 0, weightSum = 0;
    for (let m = 0; m < batchSize; m++) {
      const base = (m * UVAPM_CHANNELS + c) * D, q = confidence.subarray(m * D, (m + 1) * D);
      for (let t = 0; t < D; t++) {
        if (q[t] < threshold) continue;
        const w = q[t] / 255, v = batch[base + t];
        texelMean[t] += w * v;
        texelWeight[t] += w;
        sum += w * v;
        weightSum += w;
      }
    }
    const fallback = weightSum > 0 ? sum / weightSum : 0.5;
    for (let m = 0; m < batchSize; m++) {
      const base = (m * UVAPM_CHANNELS + c) * D, q = confidence.subarray(m * D, (m + 1) * D);
      for (let t = 0; t < D; t++) {
        if (q[t] >= threshold) continue;
        batch[base + t] = texelWeight[t] > 0 ? texelMean[t] / texelWeight[t] : fallback;
      }
    }
  }
}
