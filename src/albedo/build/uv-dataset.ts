/**
 * UV albedo maps from photos, for model packs that have no UV dataset (the default head): per face,
 * analysis (detection, landmarks, skin and face masks) -> fit -> unwrap and de-light with the SH
 * light estimate (../albedo.ts delightView) -> mirror completion -> an sRGB UV map in the
 * pack's layout plus a confidence map that keeps only texels observed confidently, on the face's
 * own side or through the mirror. The UVAPM builder treats the rest as missing data.
 * Browser-safe: photos come in as bytes; ../cli/uvapm-commands.ts writes the files.
 */
import { PhotoAvatarError, throwIfAborted } from '../../errors.js';
import type { FaceAnalysisResult, Mask, RgbaImage } from '../../types.js';
import type { HeadModel } from '../../modelpack/head-model.js';
import type { Backend } from '../../inference/runtime.js';
import type { FaceAnalyzer } from '../../inference/face/analyzer.js';
import { selectFace } from '../../inference/face/analyzer.js';
import { getFaceAnalyzer } from '../../pipeline.js';
import { fitFace } from '../../fitting/fit-face.js';
import { delightView } from '../albedo.js';
import { completeAlbedo, getMirrorMap } from '../completion.js';
import { linearTextureToSrgbImage } from '../../image/srgb.js';
import { decodeImage } from '../../image/decode.js';

export interface UvDatasetOptions {
  /** The pack whose UV layout the maps use. */
  model: HeadModel;
  /** Map side in texels (default 256). */
  size?: number;
  /** Every face large enough, not only the largest (default false). */
  allFaces?: boolean;
  /** Faces whose detector box side is below this many pixels are skipped (default 64). */
  minFaceSize?: number;
  /** Texels whose observed-or-mirrored confidence is below this (0..1) are dropped (default 0.5). */
  minConfidence?: number;
  backend?: 'auto' | Backend;
  signal?: AbortSignal;
}

export interface UvDatasetMap {
  /** Index of the face in the photo (largest first). */
  faceIndex: number;
  /**
   * De-lit albedo, sRGB, size × size, top row first. Completed everywhere (mirror, skin fill) so it
   * reads as a texture, but only the texels the confidence keeps are data.
   */
  albedo: RgbaImage;
  /** 0 = missing, else the confidence × 255 (at least minConfidence × 255). */
  confidence: Mask;
  /** Fraction of the model's face-skin texels (skin weight > 0.5) kept. */
  coverage: number;
  yawDeg: number;
  /** Mean landmark error of the fit / outer-eye-corner distance. */
  landmarkError: number;
}

export interface UvDatasetPhotoResult {
  faceCount: number;
  maps: UvDatasetMap[];
  /** Faces found but not used, with the reason. */
  skipped: { faceIndex: number; reason: string }[];
}

/**
 * All usable faces of one decoded photo (or the largest only) -> UV maps. A photo with no usable
 * face throws (NO_FACE, FACE_TOO_SMALL, EXTREME_POSE, ...) naming the problem.
 */
export async function uvMapsFromImage(image: RgbaImage, options: UvDatasetOptions, analyzer?: FaceAnalyzer): Promise<UvDatasetPhotoResult> {
  const size = options.size ?? 256;
  const minFaceSize = options.minFaceSize ?? 64;
  const faceAnalyzer = analyzer ?? await getFaceAnalyzer(options.backend ?? 'auto');
  throwIfAborted(options.signal);
  const analysis = await faceAnalyzer.analyze(image, { maxFaces: options.allFaces ? 50 : 10 });
  const indices = options.allFaces ? analysis.faces.map((_, i) => i) : [0];
  const result: UvDatasetPhotoResult = { faceCount: analysis.faces.length, maps: [], skipped: [] };
  let firstError: unknown = null;
  for (const faceIndex of indices) {
    throwIfAborted(options.signal);
    try {
      result.maps.push(await uvMapFromFace(image, analysis, faceIndex, faceAnalyzer, { ...options, size, minFaceSize }));
    } catch (error) {
      if (!(error instanceof PhotoAvatarError) || error.code === 'ABORTED') throw error;
      firstError ??= error;
      result.skipped.push({ faceIndex, reason: error.message });
    }
  }
  if (result.maps.length === 0) {
    if (!firstError) throw new PhotoAvatarError('NO_FACE', `No face was found in the ${image.width}x${image.height} photo.`);
    if (result.skipped.length === 1) throw firstError;
    throw new PhotoAvatarError((firstError as PhotoAvatarError).code, `None of the ${analysis.faces.length} faces is usable: ${result.skipped.map((s) => `face ${s.faceIndex}: ${s.reason}`).join('; ')}`);
  }
  return result;
}

/** Decodes the photo (naming the problem when it is not one) and makes its UV maps. */
export async function uvMapsFromPhotoBytes(bytes: Uint8Array, options: UvDatasetOptions, analyzer?: FaceAnalyzer): Promise<UvDatasetPhotoResult> {
  return uvMapsFromImage(decodeImage(bytes).image, options, analyzer);
}

async function uvMapFromFace(
  image: RgbaImage,
  analysis: FaceAnalysisResult,
  faceIndex: number,
  analyzer: FaceAnalyzer,
  options: UvDatasetOptions & { size: number; minFaceSize: number },
): Promise<UvDatasetMap> {
  const { model, size } = options;
  const face = selectFace(analysis, { faceIndex, minFaceSize: options.minFaceSize });
  const [skinMask, faceMask] = await Promise.all([analyzer.skinMask(image, face), analyzer.faceMask(image, face)]);
  const fit = await fitFace(model, face, { imageWidth: image.width, imageHeight: image.height, backend: options.backend, signal: options.signal });
  const view = await delightView({ image, model, vertices: fit.vertices, camera: fit.camera, skinMask, faceMask }, size, options.signal);
  const completed = completeAlbedo({
    raster: view.raster,
    mirror: getMirrorMap(model, view.raster),
    albedo: view.albedo,
    confidence: view.confidence,
    skinTone: view.skinTone,
  });
  const confidence = keptConfidence(view.raster.texel, completed.confidence, size, options.minConfidence ?? 0.5);
  return {
    faceIndex,
    albedo: linearTextureToSrgbImage(completed.texture, size),
    confidence,
    coverage: skinCoverage(view.raster.texel, view.raster.skin, confidence.data),
    yawDeg: fit.yawDeg,
    landmarkError: fit.landmarkErrorNormalized,
  };
}

/** Per covered texel confidence -> a size² mask: 0 below `minConfidence`, else confidence × 255. */
export function keptConfidence(texel: Int32Array, confidence: Float32Array, size: number, minConfidence: number): Mask {
  const data = new Uint8Array(size * size);
  for (let i = 0; i < texel.length; i++) {
    const c = confidence[i];
    if (c >= minConfidence) data[texel[i]] = Math.max(1, Math.round(Math.min(1, c) * 255));
  }
  return { width: size, height: size, data };
}

function skinCoverage(texel: Int32Array, skin: Float32Array, confidence: Uint8Array): number {
  let kept = 0, total = 0;
  for (let i = 0; i < texel.length; i++) {
    if (skin[i] <= 0.5) continue;
    total++;
    if (confidence[texel[i]] > 0) kept++;
  }
  return total > 0 ? kept / total : 0;
}

/** A one-channel mask as an opaque grey RGBA image (for PNG files). */
export function maskToGreyImage(mask: Mask): RgbaImage {
  const data = new Uint8Array(mask.width * mask.height * 4);
  for (let p = 0; p < mask.data.length; p++) {
    const v = mask.data[p];
    data[4 * p] = v; data[4 * p + 1] = v; data[4 * p + 2] = v; data[4 * p + 3] = 255;
  }
  return { width: mask.width, height: mask.height, data };
}

/** File stem of a map: `<photo stem>` for the largest face, `<photo stem>-face<k>` with all faces. */
export function uvMapStem(photoStem: string, faceIndex: number, allFaces: boolean): string {
  return allFaces ? `${photoStem}-face${faceIndex}` : photoStem;
}

export interface PhotoProgress {
  /** Photos done (used or skipped), of total. */
  done: number;
  total: number;
  name: string;
  /** The photo's result, or why it was skipped. */
  result: UvDatasetPhotoResult | null;
  error: string | null;
  seconds: number;
  etaSeconds: number;
}

/**
 * Runs uvMapsFromPhotoBytes over photos in order, reusing one analyzer (its sessions) and the
 * model's fitting graphs throughout; unusable photos are reported and skipped.
 */
export async function* uvMapsFromPhotos(
  photos: { name: string; load(): Promise<Uint8Array> }[],
  options: UvDatasetOptions,
): AsyncGenerator<PhotoProgress> {
  const analyzer = await getFaceAnalyzer(options.backend ?? 'auto');
  const started = performance.now();
  for (let i = 0; i < photos.length; i++) {
    throwIfAborted(options.signal);
    let result: UvDatasetPhotoResult | null = null;
    let error: string | null = null;
    try {
      result = await uvMapsFromPhotoBytes(await photos[i].load(), options, analyzer);
    } catch (caught) {
      if (!(caught instanceof PhotoAvatarError) || caught.code === 'ABORTED') throw caught;
      error = caught.message;
    }
    const seconds = (performance.now() - started) / 1000;
    yield { done: i + 1, total: photos.length, name: photos[i].name, result, error, seconds, etaSeconds: (seconds / (i + 1)) * (photos.length - i - 1) };
  }
}
