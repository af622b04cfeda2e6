/** UV albedo parametric model (UVAPM): streaming builder, file format, projection, detail stage, evaluation. */
export { buildUvapm, encodeCheckpoint, decodeCheckpoint, finishModel } from './builder.js';
export type { BuildUvapmOptions, BuildUvapmResult, BuildProgress, CheckpointStore, SkippedMap, UvMapInput, UvMapSource } from './builder.js';
export { readUvapm, writeUvapm, UVAPM_MAGIC, UVAPM_FORMAT_VERSION } from './uvapm-format.js';
export type { UvapmModel, UvapmProvenance, WriteUvapmOptions } from './uvapm-format.js';
export { projectUvMap } from './project.js';
export type { Projection, ProjectOptions } from './project.js';
export { fuseDetail, rgbToHsv, hsvToRgb } from './detail.js';
export { evaluateUvapm, EVALUATION_DESCRIPTION } from './evaluate.js';
export type { UvapmEvaluation } from './evaluate.js';
export { maskedQuality, maskedMse, maskedSsim, psnrFromMse } from './metrics.js';
export { uvMapToPlanes, planesToImage, maskFromImage, uvFaceMaskFromModel } from './uv-maps.js';
export { createGemmBackend } from './gemm.js';
export type { GemmBackend, GemmBackendName } from './gemm.js';
export { fitUvapmAlbedo, upsamplePlanes } from './fit-albedo.js';
export type { UvapmAlbedo, UvapmAlbedoOptions } from './fit-albedo.js';
