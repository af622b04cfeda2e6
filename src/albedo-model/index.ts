/** UV albedo parametric model (UVAPM): streaming builder, file format, projection, detail stage, evaluation. */
export { buildUvapm, encodeCheckpoint, decodeCheckpoint, finishModel } from './builder.js';
export type { BuildUvapmOptions, BuildUvapmResult, BuildProgress, CheckpointStore, SkippedMap, UvMapInput, UvMapSource } from './builder.js';
export { readUvapm, writeUvapm, UVAPM_MAGIC, UVAPM_FORMAT_VERSION } from './uvapm-format.js';
export type { UvapmModel, UvapmProvenance, WriteUvapmOptions } from './uvapm-format.js';
export { projectUvMap } from './project.js';
export type { Projection, ProjectOptions } from './project.js';
export { fuseDetail, rgbToHsv, hsvToRgb, applyValueDetail, planesToHsv } from './detail.js';
export { evaluateUvapm, EVALUATION_DESCRIPTION } from './evaluate.js';
export type { UvapmEvaluation } from './evaluate.js';
export { maskedQuality, maskedMse, maskedSsim, psnrFromMse } from './metrics.js';
export { uvMapToPlanes, planesToImage, maskFromImage, uvFaceMaskFromModel } from './uv-maps.js';
export { createGemmBackend } from './gemm.js';
export type { GemmBackend, GemmBackendName } from './gemm.js';
export { fitUvapmAlbedo, fitUvapmUnderLight, upsamplePlanes } from './fit-albedo.js';
export type { UvapmAlbedo, UvapmAlbedoOptions, UvapmObservation, PhotometricFit, PhotometricFitOptions } from './fit-albedo.js';
export { uvMapsFromImage, uvMapsFromPhotoBytes, uvMapsFromPhotos, keptConfidence, maskToGreyImage, uvMapStem } from './uv-dataset.js';
export type { UvDatasetOptions, UvDatasetMap, UvDatasetPhotoResult, PhotoProgress } from './uv-dataset.js';
export { confidenceToTexels, confidenceFileName, isConfidenceFile, CONFIDENCE_SUFFIX } from './uv-maps.js';
