/**
 * Photo -> AvatarData: the engine-independent pipeline shared by the Babylon plugin, the CLI and the
 * sample scene. Stages: load (model pack, face models) -> detect + landmarks -> fit -> albedo.
 * Each stage reports progress, honours the AbortSignal, and records its time in `timings` (ms).
 */
import type { AvatarData, ProgressCallback, RgbaImage, StageName } from './types.js';
import type { HeadModel } from './modelpack/head-model.js';
import { throwIfAborted } from './errors.js';
import { ASSET_FILES, loadAsset } from './assets.js';
import { readPack } from './modelpack/format.js';
import { FaceAnalyzer, selectFace } from './inference/face/analyzer.js';
import { fitFace } from './fitting/fit-face.js';
import { estimateAlbedo } from './materials/albedo.js';
import type { Backend } from './inference/runtime.js';

export interface CreateAvatarOptions {
  /** Head model: a decoded pack, or the bytes of a .pack file. Default: the embedded open head. */
  model?: HeadModel | Uint8Array;
  /** Which face to use when the photo has several (0 = largest, the default). */
  faceIndex?: number;
  /** Faces smaller than this (box side, pixels) are rejected. Default 64. */
  minFaceSize?: number;
  /** Albedo texture size in texels. Default 1024. */
  textureSize?: number;
  /** Inference backend: 'auto' (WebGPU when available, else WASM), 'webgpu' or 'wasm'. */
  backend?: 'auto' | Backend;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}

let defaultModel: Promise<HeadModel> | null = null;
const analyzers = new Map<string, Promise<FaceAnalyzer>>();

/** The embedded default head, decoded once per process/page. */
export function loadDefaultHead(): Promise<HeadModel> {
  if (!defaultModel) {
    defaultModel = loadAsset(ASSET_FILES.defaultHead).then((bytes) => readPack(bytes));
    defaultModel.catch(() => { defaultModel = null; });
  }
  return defaultModel;
}

/** A shared face analyzer per backend preference: sessions are expensive to create, cheap to reuse. */
export function getFaceAnalyzer(backend: 'auto' | Backend = 'auto'): Promise<FaceAnalyzer> {
  let analyzer = analyzers.get(backend);
  if (!analyzer) {
    analyzer = FaceAnalyzer.create({ backend });
    analyzers.set(backend, analyzer);
    analyzer.catch(() => analyzers.delete(backend));
  }
  return analyzer;
}

/** Runs a stage, timing it and reporting its start and end. */
async function stage<T>(
  name: StageName,
  timings: Record<string, number>,
  options: CreateAvatarOptions,
  work: () => Promise<T>,
): Promise<T> {
  throwIfAborted(options.signal);
  options.onProgress?.({ stage: name, progress: 0 });
  const start = performance.now();
  const result = await work();
  timings[name] = (timings[name] ?? 0) + (performance.now() - start);
  options.onProgress?.({ stage: name, progress: 1 });
  return result;
}

/** Builds everything an avatar needs from one photo. */
export async function createAvatarData(image: RgbaImage, options: CreateAvatarOptions = {}): Promise<AvatarData> {
  const timings: Record<string, number> = {};
  const totalStart = performance.now();

  const [model, analyzer] = await stage('load', timings, options, () => Promise.all([
    options.model instanceof Uint8Array ? Promise.resolve(readPack(options.model))
      : options.model ? Promise.resolve(options.model) : loadDefaultHead(),
    getFaceAnalyzer(options.backend ?? 'auto'),
  ]));

  const analysis = await stage('detect', timings, options, () => analyzer.analyze(image));
  for (const [key, ms] of Object.entries(analysis.timings)) timings[`detect.${key}`] = ms;
  const face = selectFace(analysis, { faceIndex: options.faceIndex, minFaceSize: options.minFaceSize });

  const [skinMask, faceMask] = await stage('landmarks', timings, options, () => Promise.all([
    analyzer.skinMask(image, face),
    analyzer.faceMask(image, face),
  ]));

  const fit = await stage('fit', timings, options, () => fitFace(model, face, {
    imageWidth: image.width,
    imageHeight: image.height,
    backend: options.backend,
    signal: options.signal,
  }));

  const albedo = await stage('albedo', timings, options, () => estimateAlbedo(
    { image, model, vertices: fit.vertices, camera: fit.camera, skinMask, faceMask },
    { size: options.textureSize ?? 1024, signal: options.signal },
  ));
  for (const [key, ms] of Object.entries(albedo.timings)) timings[`albedo.${key}`] = ms;

  timings.total = performance.now() - totalStart;
  return {
    model,
    identity: fit.identity,
    expression: fit.expression,
    neutralVertices: fit.neutralVertices,
    albedo: albedo.albedo,
    light: albedo.light,
    camera: fit.camera,
    face,
    skinMask,
    fittedLandmarks68: fit.landmarks68,
    pose: { yawDeg: fit.yawDeg, pitchDeg: fit.pitchDeg, rollDeg: fit.rollDeg },
    metrics: {
      landmarkErrorPx: fit.landmarkErrorPx,
      landmarkErrorNormalized: fit.landmarkErrorNormalized,
      coverage: albedo.coverage,
    },
    timings,
    backend: analysis.backend,
  };
}
