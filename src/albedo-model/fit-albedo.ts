/**
 * UVAPM albedo from a partial observation (the fitting engine's stage 2 + 3 building block): the
 * de-lit albedo unwrapped from a photo, with a per-texel confidence, at the texture size S (a
 * multiple of the model size d). Stage 2: confidence-weighted box-downsampling to d and the
 * closed-form projection (./project.ts) give the coarse albedo everywhere, unseen texels included.
 * Stage 3: the coarse map is upsampled to S and the photo's value-channel high frequencies are fused
 * in HSV (./detail.ts) where the observation is confident.
 */
import { PhotoAvatarError } from '../errors.js';
import { fuseDetail, type DetailOptions } from './detail.js';
import { projectUvMap, type ProjectOptions } from './project.js';
import type { UvapmModel } from './uvapm-format.js';

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

/** Bilinear upsampling of planar channels (texel centres aligned). */
export function upsamplePlanes(planes: Float32Array, from: number, to: number, channels = 3): Float32Array {
  const out = new Float32Array(channels * to * to);
  const scale = from / to;
  for (let y = 0; y < to; y++) {
    const sy = Math.min(from - 1, Math.max(0, (y + 0.5) * scale - 0.5));
    const y0 = Math.floor(sy), y1 = Math.min(from - 1, y0 + 1), fy = sy - y0;
    for (let x = 0; x < to; x++) {
      const sx = Math.min(from - 1, Math.max(0, (x + 0.5) * scale - 0.5));
      const x0 = Math.floor(sx), x1 = Math.min(from - 1, x0 + 1), fx = sx - x0;
      for (let c = 0; c < channels; c++) {
        const p = planes.subarray(c * from * from, (c + 1) * from * from);
        const top = p[y0 * from + x0] * (1 - fx) + p[y0 * from + x1] * fx;
        const bottom = p[y1 * from + x0] * (1 - fx) + p[y1 * from + x1] * fx;
        out[c * to * to + y * to + x] = top * (1 - fy) + bottom * fy;
      }
    }
  }
  return out;
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
