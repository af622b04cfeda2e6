/**
 * The two truth evaluations behind `photo-avatar eval-albedo` and `eval-relight`, one photo at a
 * time, through the same pipeline `create` runs:
 * - versus a ground-truth UV map: the photo-only albedo, and with a UVAPM the model's mean, the
 *   coarse fit (its coefficients under the photo's light) and the final texture (coarse + detail,
 *   completed), each scored over the face region and the whole head (./albedo-truth.ts);
 * - under relit copies of the photo (./relight-photo.ts): how far the albedo moves, in linear RGB.
 */
import type { AvatarData, RgbaImage } from '../types.js';
import type { HeadModel } from '../modelpack/head-model.js';
import type { UvapmModel } from '../albedo/uvapm-format.js';
import type { DetailModel } from '../albedo/detail-model.js';
import type { LightGainOptions } from '../albedo/light-gain.js';
import { upsamplePlanes } from '../albedo/fit-albedo.js';
import { estimateAlbedo, type AlbedoResult } from '../albedo/albedo.js';
import { createAvatarData, createAvatarDataWithAlbedoInput } from '../pipeline.js';
import { compareWithTruth, linearRmsDifference, textureToPlanes, uvEvaluationRegions, type TruthComparison } from './albedo-truth.js';
import { relightPhoto, RELIGHTINGS, type Relighting } from './relight-photo.js';

export const ALBEDO_VARIANTS = ['photo-only', 'model mean', 'coarse', 'final', 'final + D(α)'] as const;
export type AlbedoVariant = (typeof ALBEDO_VARIANTS)[number];

export interface AlbedoEvaluationOptions {
  model: HeadModel;
  /** Texture size the albedo is made at (and compared at). */
  textureSize: number;
  uvapm?: UvapmModel;
  /** With a UVAPM: also the final texture with this learned detail model (at textureSize) filling unseen detail. */
  detailModel?: DetailModel;
  backend?: 'auto' | 'wasm' | 'webgpu';
}

export interface PhotoAlbedos {
  data: AvatarData;
  photoOnly: AlbedoResult['albedo'];
  withModel?: AlbedoResult;
  withDetailModel?: AlbedoResult;
}

/** `create`'s fit and photo-only albedo, then (with a UVAPM) the albedo stage again with the model on the same fit. */
export async function albedosOfPhoto(image: RgbaImage, options: AlbedoEvaluationOptions): Promise<PhotoAlbedos> {
  const { data, albedoInput: input } = await createAvatarDataWithAlbedoInput(image, { model: options.model, textureSize: options.textureSize, backend: options.backend ?? 'wasm', albedoModel: false });
  if (!options.uvapm) return { data, photoOnly: data.albedo };
  const withModel = await estimateAlbedo(input, { size: options.textureSize, albedoModel: options.uvapm });
  const withDetailModel = options.detailModel
    ? await estimateAlbedo(input, { size: options.textureSize, albedoModel: options.uvapm, detailModel: options.detailModel }) : undefined;
  return { data, photoOnly: data.albedo, withModel, ...(withDetailModel ? { withDetailModel } : {}) };
}

/** The model decoded with the given coefficients (null: its mean), planar sRGB at `size`, inside its mask over `fallback`. */
export function uvapmPlanes(model: UvapmModel, coefficients: Float32Array[] | null, size: number, fallback: Float32Array): Float32Array {
  const d = model.size, D = d * d;
  const planes = new Float32Array(3 * D);
  for (let c = 0; c < 3; c++) {
    const mean = model.means[c], components = model.components[c], k = coefficients?.[c];
    for (let t = 0; t < D; t++) {
      let a = mean[t];
      if (k) for (let j = 0; j < model.componentCount; j++) a += k[j] * components[j * D + t];
      planes[c * D + t] = a;
    }
  }
  const region = upsamplePlanes(Float32Array.from(model.mask, (m) => (m ? 1 : 0)), d, size, 1);
  const up = upsamplePlanes(planes, d, size);
  const S = size * size, out = new Float32Array(3 * S);
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < S; p++) out[c * S + p] = region[p] >= 0.5 ? up[c * S + p] : fallback[c * S + p];
  }
  return out;
}

/** Each variant of one photo's albedo against the truth map (planar sRGB at the evaluation size). */
export function scoreAlbedos(albedos: PhotoAlbedos, truth: RgbaImage, options: AlbedoEvaluationOptions, evaluationSize = options.textureSize): Partial<Record<AlbedoVariant, TruthComparison>> {
  const regions = uvEvaluationRegions(options.model, evaluationSize);
  const truthPlanes = textureToPlanes(truth, evaluationSize);
  const photoOnly = textureToPlanes(albedos.photoOnly, evaluationSize);
  const scores: Partial<Record<AlbedoVariant, TruthComparison>> = { 'photo-only': compareWithTruth(photoOnly, truthPlanes, regions) };
  const fit = albedos.withModel;
  if (options.uvapm && fit?.albedoCoefficients) {
    scores['model mean'] = compareWithTruth(uvapmPlanes(options.uvapm, null, evaluationSize, photoOnly), truthPlanes, regions);
    scores.coarse = compareWithTruth(uvapmPlanes(options.uvapm, fit.albedoCoefficients, evaluationSize, photoOnly), truthPlanes, regions);
    scores.final = compareWithTruth(textureToPlanes(fit.albedo, evaluationSize), truthPlanes, regions);
    if (albedos.withDetailModel) scores['final + D(α)'] = compareWithTruth(textureToPlanes(albedos.withDetailModel.albedo, evaluationSize), truthPlanes, regions);
  }
  return scores;
}

export interface RelightChange {
  relighting: Relighting;
  /** RMS albedo change, linear RGB, over the face region's texels. */
  face: number;
  /** The same over every head texel. */
  head: number;
}

export interface RelightOptions {
  model?: HeadModel;
  textureSize: number;
  albedoModel?: UvapmModel | 'embedded';
  /** The de-lighting's exposure and light-colour settings (CreateAvatarOptions.albedoLightGain). */
  lightGain?: LightGainOptions;
  backend?: 'auto' | 'wasm' | 'webgpu';
}

/** The albedo `create` makes from the photo and from each relit copy, and how far it moves. */
export async function albedoChangeUnderRelighting(image: RgbaImage, options: RelightOptions, relightings: readonly Relighting[] = RELIGHTINGS):
  Promise<{ original: AvatarData; changes: RelightChange[]; relit: { relighting: Relighting; photo: RgbaImage; data: AvatarData }[] }> {
  const create = (photo: RgbaImage) => createAvatarData(photo, {
    ...(options.model ? { model: options.model } : {}),
    textureSize: options.textureSize,
    backend: options.backend ?? 'wasm',
    ...(options.albedoModel ? { albedoModel: options.albedoModel } : {}),
    ...(options.lightGain ? { albedoLightGain: options.lightGain } : {}),
  });
  const original = await create(image);
  const regions = uvEvaluationRegions(original.model, options.textureSize);
  const changes: RelightChange[] = [], relit = [];
  for (const relighting of relightings) {
    const photo = relightPhoto(image, relighting, original);
    const data = await create(photo);
    changes.push({
      relighting,
      face: linearRmsDifference(original.albedo as RgbaImage, data.albedo as RgbaImage, regions.face),
      head: linearRmsDifference(original.albedo as RgbaImage, data.albedo as RgbaImage, regions.head),
    });
    relit.push({ relighting, photo, data });
  }
  return { original, changes, relit };
}
