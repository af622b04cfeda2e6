/**
 * The UV albedo parametric model (UVAPM) and its file (".uvapm", magic "PAVUVAPM"): per colour
 * channel of a size × size sRGB UV map (values 0..1, unfolded row-first, top row first) a mean and
 * the top-K principal components, with singular values, variances and explained-variance ratios,
 * plus the UV face mask and build provenance, and (version 2) optionally the detail generator
 * D(α_d) (./detail-model.ts) at its own size. Readable in browsers (pure TS).
 */
import { PhotoAvatarError } from '../errors.js';
import { readContainer, writeContainer, type SectionInput } from './container.js';
import type { SkinColourStatistics } from './skin-colour.js';
import type { DetailModel } from './detail-model.js';

export const UVAPM_MAGIC = 'PAVUVAPM';
/** 2 added the optional detail model; version 1 files (no detail model) still read. */
export const UVAPM_FORMAT_VERSION = 2;
const READABLE_VERSIONS = [1, 2] as const;
export const UVAPM_CHANNEL_NAMES = ['r', 'g', 'b'] as const;

export interface UvapmProvenance {
  generator: string;
  createdAt: string;
  /** Maps folded into the model and the ones skipped (name: reason). */
  mapCount: number;
  skipped: { name: string; reason: string }[];
  inputSize: number | null;
  source: string;
  maskSource: string;
  /** Maps with per-texel confidence (build-uv-dataset output): how their missing texels were treated. */
  missingData?: { mapsWithMissingTexels: number; meanMissingFraction: number; minConfidence: number; passes: number; method: string };
  /** Where the source photos came from (UV maps made from photos): package, licence, files. */
  photos?: { package?: string; licence?: string; files: string[]; note?: string };
  /** SHA-256 of everything a reproducible build read (build-time assets: skip the rebuild when unchanged). */
  inputsSha256?: string;
}

export interface UvapmModel {
  size: number;
  componentCount: number;
  /** Per channel (r, g, b): mean (size²). */
  means: Float32Array[];
  /** Per channel: components, row-major componentCount × size². */
  components: Float32Array[];
  singularValues: Float32Array[];
  /** s² / (maps − 1): the prior variance of each coefficient. */
  variances: Float32Array[];
  explainedVarianceRatio: Float32Array[];
  /** size² texels, 1 inside the UV face mask, 0 outside. */
  mask: Uint8Array;
  provenance: UvapmProvenance;
  /** The maps' face-skin colours (log mean and covariance): the de-lighting's skin-colour prior. Absent in older files. */
  skinColour?: SkinColourStatistics;
  /** The value-detail generator D(α_d) (./detail-model.ts), at its own size (a multiple of this model's). Absent in version-1 files. */
  detail?: DetailModel;
}

export interface WriteUvapmOptions {
  precision?: 'fp32' | 'fp16';
}

export function writeUvapm(model: UvapmModel, options: WriteUvapmOptions = {}): Uint8Array {
  const precision = options.precision ?? 'fp32';
  const D = model.size * model.size;
  const K = model.componentCount;
  const sections: SectionInput[] = [{ name: 'mask', dtype: 'u8', shape: [model.size, model.size], data: model.mask }];
  UVAPM_CHANNEL_NAMES.forEach((c, i) => {
    sections.push(
      { name: `mean.${c}`, dtype: 'f32', shape: [D], data: model.means[i] },
      { name: `components.${c}`, dtype: precision === 'fp16' ? 'f16' : 'f32', shape: [K, D], data: model.components[i].subarray(0, K * D) },
      { name: `singularValues.${c}`, dtype: 'f32', shape: [K], data: model.singularValues[i] },
      { name: `variance.${c}`, dtype: 'f32', shape: [K], data: model.variances[i] },
      { name: `explainedVarianceRatio.${c}`, dtype: 'f32', shape: [K], data: model.explainedVarianceRatio[i] },
    );
  });
  const detail = model.detail;
  if (detail) {
    const detailTexels = detail.size * detail.size;
    sections.push(
      { name: 'detail.mean', dtype: 'f32', shape: [detailTexels], data: detail.mean },
      { name: 'detail.components', dtype: precision === 'fp16' ? 'f16' : 'f32', shape: [detail.componentCount, detailTexels], data: detail.components },
    );
  }
  const header = {
    formatVersion: UVAPM_FORMAT_VERSION,
    kind: 'uv-albedo-parametric-model',
    size: model.size,
    channels: [...UVAPM_CHANNEL_NAMES],
    componentCount: K,
    values: 'sRGB 0..1, channel vectors unfolded row-first (top row first)',
    precision,
    provenance: model.provenance,
    ...(model.skinColour ? { skinColour: model.skinColour } : {}),
    ...(detail ? { detail: { size: detail.size, componentCount: detail.componentCount, variances: Array.from(detail.variances), residualVariance: detail.residualVariance } } : {}),
  };
  return writeContainer(UVAPM_MAGIC, UVAPM_FORMAT_VERSION, header, sections);
}

export function readUvapm(bytes: Uint8Array): UvapmModel {
  const { header, sections } = readContainer(bytes, UVAPM_MAGIC, READABLE_VERSIONS, 'UVAPM file');
  const corrupt = (m: string): PhotoAvatarError => new PhotoAvatarError('CORRUPT_MODEL_PACK', `Corrupt UVAPM file: ${m}`);
  const size = header.size, K = header.componentCount;
  if (typeof size !== 'number' || !Number.isInteger(size) || size <= 0 || size > 4096) throw corrupt(`size ${String(size)} is out of range`);
  if (typeof K !== 'number' || !Number.isInteger(K) || K < 0) throw corrupt(`componentCount ${String(K)} is invalid`);
  const D = size * size;
  const get = (name: string, length: number, type: 'float' | 'u8'): Float32Array | Uint8Array => {
    const s = sections.get(name);
    if (!s) throw corrupt(`section ${name} is missing`);
    if (s.data.length !== length) throw corrupt(`section ${name} has ${s.data.length} values, expected ${length}`);
    if (type === 'u8') {
      if (!(s.data instanceof Uint8Array)) throw corrupt(`section ${name} must be u8`);
      return s.data;
    }
    if (s.data instanceof Float32Array) return s.data;
    return Float32Array.from(s.data);
  };
  const perChannel = (prefix: string, length: number): Float32Array[] => UVAPM_CHANNEL_NAMES.map((c) => get(`${prefix}.${c}`, length, 'float') as Float32Array);
  const provenance = (typeof header.provenance === 'object' && header.provenance !== null ? header.provenance : {}) as UvapmProvenance;
  return {
    size,
    componentCount: K,
    mask: get('mask', D, 'u8') as Uint8Array,
    means: perChannel('mean', D),
    components: perChannel('components', K * D),
    singularValues: perChannel('singularValues', K),
    variances: perChannel('variance', K),
    explainedVarianceRatio: perChannel('explainedVarianceRatio', K),
    provenance,
    ...(isSkinColour(header.skinColour) ? { skinColour: header.skinColour } : {}),
    ...(header.detail !== undefined ? { detail: readDetail(header.detail, get, size) } : {}),
  };
}

/** The detail model's header fields and sections, checked (sizes, counts, positive variances). */
function readDetail(info: unknown, get: (name: string, length: number, type: 'float') => Float32Array | Uint8Array, modelSize: number): DetailModel {
  const corrupt = (m: string): PhotoAvatarError => new PhotoAvatarError('CORRUPT_MODEL_PACK', `Corrupt UVAPM file: detail model ${m}`);
  const d = info as { size?: unknown; componentCount?: unknown; variances?: unknown; residualVariance?: unknown };
  const size = d?.size, K = d?.componentCount;
  if (typeof size !== 'number' || !Number.isInteger(size) || size <= 0 || size > 4096 || size % modelSize !== 0) throw corrupt(`size ${String(size)} is not a multiple of the model's ${modelSize}`);
  if (typeof K !== 'number' || !Number.isInteger(K) || K < 0) throw corrupt(`componentCount ${String(K)} is invalid`);
  const variances = Array.isArray(d.variances) ? d.variances : [];
  if (variances.length !== K || !variances.every((v) => typeof v === 'number' && v > 0)) throw corrupt(`needs ${K} positive variances`);
  if (typeof d.residualVariance !== 'number' || !(d.residualVariance >= 0)) throw corrupt('has no residual variance');
  const texels = size * size;
  return {
    size, componentCount: K,
    mean: get('detail.mean', texels, 'float') as Float32Array,
    components: get('detail.components', K * texels, 'float') as Float32Array,
    variances: Float64Array.from(variances as number[]),
    residualVariance: d.residualVariance,
  };
}

function isSkinColour(value: unknown): value is SkinColourStatistics {
  const v = value as SkinColourStatistics | undefined;
  return !!v && Array.isArray(v.logMean) && v.logMean.length === 3 && Array.isArray(v.logCovariance) && v.logCovariance.length === 9
    && [...v.logMean, ...v.logCovariance].every(Number.isFinite);
}
