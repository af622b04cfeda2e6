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
import { PhotoAvatarError } from '../errors.js';
import type { GemmBackend } from './gemm.js';
import { symmetricEigen } from './linalg.js';

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
