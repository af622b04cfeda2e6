/**
 * The albedo stage, in the paper's order. `estimateAlbedo` (albedo.ts) runs it:
 *  1. unwrap: photo -> UV texels with visibility and normals (unwrap.ts);
 *  2. light: SH light per view (sh-light.ts), its exposure and tint set by the skin-colour prior and the photo's white point
 *     (light-gain.ts, skin-colour.ts);
 *  3. coarse model fit: UVAPM coefficients under that light (fit-albedo.ts; project.ts, gemm.ts,
 *     linalg.ts; first-order-albedo.ts is the Adam baseline on the same objective);
 *  4. detail: the photo's HSV value detail and the learned generator D(α) (detail.ts,
 *     detail-model.ts, fused at texture size by uvapm-albedo.ts);
 *  5. completion: mirror and skin-tone fill of what no view saw (completion.ts, texture-filters.ts);
 *  6. encode: linear -> sRGB texture (../image/srgb.ts).
 * The model's file format is uvapm-format.ts (container.ts); build/ makes models and datasets and
 * evaluates them (builder, leave-one-out, UV datasets from photos, masked PSNR/SSIM).
 * Source API, not the package entry.
 */
export { getUvRaster, unwrapPhoto } from './unwrap.js';
export { estimateShLight, evaluateShading, shShadingBasis, SH_COUNT } from './sh-light.js';
export { lightGainsFromSkinPrior } from './light-gain.js';
export { fitUvapmAlbedo, fitUvapmUnderLight, upsamplePlanes } from './fit-albedo.js';
export type { UvapmAlbedo, UvapmAlbedoOptions, UvapmObservation, PhotometricFit, PhotometricFitOptions } from './fit-albedo.js';
export { projectUvMap } from './project.js';
export type { Projection, ProjectOptions } from './project.js';
export { createGemmBackend } from './gemm.js';
export type { GemmBackend, GemmBackendName } from './gemm.js';
export { fuseDetail, rgbToHsv, hsvToRgb, applyValueDetail, planesToHsv, boundedHighPass, DETAIL_LIMIT } from './detail.js';
export { buildDetailModel, generateDetail } from './detail-model.js';
export type { DetailModel } from './detail-model.js';
export { completeAlbedo, getMirrorMap } from './completion.js';
export { estimateAlbedo, delightView } from './albedo.js';
export type { AlbedoInput, AlbedoOptions, AlbedoResult } from './albedo.js';
export { readUvapm, writeUvapm, UVAPM_MAGIC, UVAPM_FORMAT_VERSION } from './uvapm-format.js';
export type { UvapmModel, UvapmProvenance, WriteUvapmOptions } from './uvapm-format.js';

export { buildUvapm, encodeCheckpoint, decodeCheckpoint, finishModel } from './build/builder.js';
export type { BuildUvapmOptions, BuildUvapmResult, BuildProgress, CheckpointStore, SkippedMap, UvMapInput, UvMapSource } from './build/builder.js';
export { evaluateUvapm, EVALUATION_DESCRIPTION } from './build/evaluate.js';
export type { UvapmEvaluation } from './build/evaluate.js';
export { maskedQuality, maskedMse, maskedSsim, psnrFromMse } from './build/metrics.js';
export { uvMapToPlanes, planesToImage, maskFromImage, uvFaceMaskFromModel } from './build/uv-maps.js';
export { uvMapsFromImage, uvMapsFromPhotoBytes, uvMapsFromPhotos, keptConfidence, maskToGreyImage, uvMapStem } from './build/uv-dataset.js';
export type { UvDatasetOptions, UvDatasetMap, UvDatasetPhotoResult, PhotoProgress } from './build/uv-dataset.js';
export { confidenceToTexels, confidenceFileName, isConfidenceFile, CONFIDENCE_SUFFIX } from './build/uv-maps.js';
