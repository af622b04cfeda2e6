/** `photo-avatar create`: photo -> GLB (+ preview PNG, + JSON report). */
import path from 'node:path';
import { PhotoAvatarError } from '../errors.js';
import type { AvatarData, ProgressEvent } from '../types.js';
import { decodePhotoFile } from './photo.js';
import type { DecodedImage } from '../image/decode.js';
import { checkOutputs, defaultSamplePhoto, readInputFile, writeOutputSet } from './files.js';
import type { PlannedOutput } from '../node/output-set.js';
import { intFlag, parseArgs, stringFlag, type FlagSpec } from './args.js';
import { createAvatarData, getFaceAnalyzer, loadDefaultHead } from '../pipeline.js';
import { readPack } from '../modelpack/format.js';
import { readUvapm } from '../albedo/uvapm-format.js';
import { shapeFromObj } from '../modelpack/given-shape.js';
import { computeFitMetrics, renderOverlay, type FitQualityMetrics } from '../metrics/report.js';
import { writeGlb } from '../export/glb.js';
// Static: a dynamic import under tsx made a second export/webp.ts instance without the Node WASM loader.
import { writeCompactGlb } from '../export/compact-glb.js';
import { prepareWebpEncoder } from '../export/webp.js';
import { writeAvatarFile } from '../avatar-file/format.js';
import { renderPreview } from '../render/preview.js';
import { encodePng } from '../image/encode.js';
import { checkHairOption, HAIR_STYLES } from '../hair/index.js';
import { describeFaces } from '../inference/face/face-choice.js';
import { setScratchPoolLimit } from '../math/scratch-arrays.js';
import { releaseJpegDecoder } from '../node/jpeg-decoder.js';

export const CREATE_FLAGS: Record<string, FlagSpec> = {
  out: { value: true, alias: 'o' },
  preview: { value: true },
  report: { value: true },
  overlay: { value: true },
  model: { value: true },
  face: { value: true },
  'texture-size': { value: true },
  backend: { value: true },
  compress: { value: true },
  uvapm: { value: true },
  shape: { value: true },
  hair: { value: true },
  'shape-expression': { value: false },
  force: { value: false, alias: 'f' },
  quiet: { value: false, alias: 'q' },
};

export const CREATE_HELP = `photo-avatar create [photo ...] [options]
  Fits the head model to the photo's main face (the best of size, frontalness and detection score;
  --face picks another) and writes a rigged, textured GLB, or a compact .avatar (coefficients +
  JPEG albedo, rebuilt from the model pack at load time).
  Several photos of the same person fit one shared head and texture (pose, expression and light
  per photo; the avatar takes the first photo's expression).
  With no photo, uses the sample photo shipped in @vladmandic/face-api (demo/sample1.jpg).
  -o, --out FILE         output .glb or .avatar (default: avatar.glb)
      --preview FILE     also write a PNG preview (front and three-quarter views)
      --report FILE      also write a JSON report (timings, landmark error, photometric and
                         identity metrics, coefficients)
      --overlay FILE     also write the photo with the fitted avatar rendered over it (PNG)
      --model PACK       head model pack (default: the embedded open head)
      --face N           which face when the photo has several, as \`photo-avatar landmarks\` numbers
                         them (0 = largest); default: the main face
      --hair STYLE       auto (default: the style the photo's hair silhouette suggests, none when
                         bald), none, or a CC0 MakeHuman style: ${HAIR_STYLES.join(', ')}.
                         Hair meshes fit MakeHuman-built heads (the default head); with
                         other heads auto gives none. The photo's hair never enters the skin texture.
      --texture-size N   albedo size in texels, 256-4096 (default 1024)
      --backend NAME     auto | wasm (default auto: WASM in Node)
      --compress KIND    .glb encoding: meshopt (default: quantized meshopt geometry and morph
                         targets, WebP textures, 3 levels of detail; needs EXT_meshopt_compression,
                         KHR_mesh_quantization and EXT_texture_webp) or none (plain glTF 2.0)
      --uvapm FILE       UV albedo model (.uvapm, from build-uvapm) in the model's UV layout: the
                         albedo is fitted as its coefficients under the photo's light plus the
                         photo's fine detail. 'embedded': the default head's built-in
                         model. Default: the pack's own model when it carries one
                         (import --uvapm, pack add-albedo), else none; 'none' turns it off
      --shape OBJ        texture this head mesh (e.g. a scan in the model's topology and
                         vertex order, metres) instead of fitting a shape; .glb output only
      --shape-expression with --shape, also fit expression weights (default: pose only)
  -f, --force            replace existing output files
  -q, --quiet            no progress output`;

export async function runCreateCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, CREATE_FLAGS);
  const photoFiles = args.positional.length > 0 ? args.positional : [defaultSamplePhoto()];
  const photoFile = photoFiles[0];
  const outFile = stringFlag(args, 'out') ?? 'avatar.glb';
  const outputKind = path.extname(outFile).toLowerCase();
  if (outputKind !== '.glb' && outputKind !== '.avatar') {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `Unsupported output type "${outputKind || outFile}": use a .glb or .avatar file name.`);
  }
  const previewFile = stringFlag(args, 'preview');
  const reportFile = stringFlag(args, 'report');
  const overlayFile = stringFlag(args, 'overlay');
  const modelFile = stringFlag(args, 'model');
  const uvapmFile = stringFlag(args, 'uvapm');
  const backend = stringFlag(args, 'backend') ?? 'auto';
  if (backend !== 'auto' && backend !== 'wasm' && backend !== 'webgpu') throw new PhotoAvatarError('INVALID_ARGUMENT', `--backend must be auto, wasm or webgpu, got "${backend}".`);
  const compress = stringFlag(args, 'compress') ?? 'meshopt';
  if (compress !== 'meshopt' && compress !== 'none') throw new PhotoAvatarError('INVALID_ARGUMENT', `--compress must be meshopt or none, got "${compress}".`);
  if (stringFlag(args, 'compress') && outputKind === '.avatar') throw new PhotoAvatarError('INVALID_ARGUMENT', '--compress applies to .glb output only (an .avatar file is always compact).');
  const shapeFile = stringFlag(args, 'shape');
  if (shapeFile && outputKind === '.avatar') {
    throw new PhotoAvatarError('INVALID_ARGUMENT', '--shape needs a .glb output: an .avatar file stores only coefficients of the model pack, not a given mesh.');
  }
  if (args.flags.has('shape-expression') && !shapeFile) throw new PhotoAvatarError('INVALID_ARGUMENT', '--shape-expression only applies together with --shape.');
  requireExtension('--preview', previewFile, '.png');
  requireExtension('--overlay', overlayFile, '.png');
  requireExtension('--report', reportFile, '.json');
  const faceIndex = intFlag(args, 'face', 0, 1000);
  const textureSize = intFlag(args, 'texture-size', 256, 4096);
  const hair = checkHairOption(stringFlag(args, 'hair') ?? 'auto');
  const outputs = [outFile, previewFile, reportFile, overlayFile].filter((f): f is string => !!f);
  const inputs = [...photoFiles, modelFile, shapeFile, uvapmFile === 'embedded' || uvapmFile === 'none' ? undefined : uvapmFile].filter((f): f is string => !!f);
  checkOutputs(outputs, inputs, args.flags.has('force'));

  const quiet = args.flags.has('quiet');
  const log = (line: string) => { if (!quiet) process.stderr.write(`${line}\n`); };
  // Cold start: ort's binary and the default head's pack are read (ort's also inflated and
  // compiled) off the main thread while the photos decode on it; createAvatarData takes the same
  // shared analyzer and head, and a failure surfaces there.
  void getFaceAnalyzer(backend as 'auto' | 'wasm' | 'webgpu');
  if (!modelFile) void loadDefaultHead();
  const photos: DecodedImage[] = [];
  for (const file of photoFiles) {
    const decoded = await decodePhotoFile(file);
    if (decoded.downscaled) log(`note: ${file} is ${decoded.originalWidth}x${decoded.originalHeight}; downscaled to ${decoded.image.width}x${decoded.image.height}`);
    photos.push(decoded);
  }
  // The photos are decoded: the JPEG decoder's WASM heap (16 MiB) need not stay resident through the avatar's stages.
  releaseJpegDecoder();
  if (outputKind !== '.avatar' && compress !== 'none') prepareWebpEncoder();
  const photo = photos[0];
  const modelBytes = modelFile ? await readInputFile(modelFile, 'model pack') : undefined;
  const albedoModel = uvapmFile === 'embedded' ? 'embedded' as const
    : uvapmFile === 'none' ? false as const
    : uvapmFile ? readUvapm(await readInputFile(uvapmFile, 'UV albedo model')) : undefined;
  // The given shape is checked against the pack before any photo work.
  const model = shapeFile ? (modelBytes ? readPack(modelBytes) : await loadDefaultHead()) : undefined;
  const shape = shapeFile && model ? shapeFromObj(await readInputFile(shapeFile, 'shape OBJ'), model, shapeFile) : undefined;

  // One avatar per process: no next avatar would reuse the albedo stage's dead planes, so they are
  // not held for one (they would raise the peak memory, which falls after that stage).
  setScratchPoolLimit(0);
  const data = await namingThePhoto(photoFiles, () => createAvatarData(photos.map((p) => p.image), {
    model: modelBytes ? model ?? modelBytes : undefined,
    shape,
    fitExpression: shapeFile ? args.flags.has('shape-expression') : undefined,
    photoNames: photoFiles,
    faceIndex,
    textureSize,
    hair,
    backend: backend as 'auto' | 'wasm' | 'webgpu',
    // One avatar per process: the face models' onnxruntime memory goes to the later sessions (the fit's, the report's identity model).
    releaseFaceModels: true,
    ...(albedoModel !== undefined ? { albedoModel } : {}),
    onProgress: (event: ProgressEvent) => { if (event.progress === 0) log(`[${event.stage}]`); },
  }));

  // Every output is made in memory first and written as one all-or-nothing set (node/output-set.ts).
  const planned: PlannedOutput[] = [];
  const exportStart = performance.now();
  const asset = outputKind === '.avatar' ? writeAvatarFile(data)
    : compress === 'none' ? writeGlb(data)
    : await writeCompactGlb(data);
  planned.push({ file: outFile, bytes: asset });
  data.timings.export = performance.now() - exportStart;
  if (previewFile) {
    const start = performance.now();
    planned.push({ file: previewFile, bytes: encodePng(renderPreview(data)) });
    data.timings.preview = performance.now() - start;
  }
  if (overlayFile) {
    const start = performance.now();
    planned.push({ file: overlayFile, bytes: encodePng(renderOverlay(photo.image, data)) });
    data.timings.overlay = performance.now() - start;
  }
  let metrics: FitQualityMetrics | null = null;
  if (reportFile) {
    const start = performance.now();
    metrics = await computeFitMetrics(photo.image, data, data.skinMask ?? await (await getFaceAnalyzer()).skinMask(photo.image, data.face));
    data.timings.metrics = performance.now() - start;
  }
  const perPhoto = (data.views ?? []).map((view, i) => `${path.basename(photoFiles[i])} ${(100 * view.landmarkErrorNormalized).toFixed(1)}%`).join(', ');
  const hairLine = data.hair ? `; hair ${data.hair.style ?? 'none'}${data.hair.detected ? ` (photo: ${data.hair.detected.hairClass})` : ''}${data.hair.unavailable ? `, mesh unavailable: ${data.hair.unavailable}` : ''}` : '';
  const summary = `landmark error ${data.metrics.landmarkErrorPx.toFixed(2)} px (${(100 * data.metrics.landmarkErrorNormalized).toFixed(1)}% of eye-corner distance)` +
    `${perPhoto ? `; per photo ${perPhoto}` : ''}${hairLine}, ${data.backend}, ${data.timings.total.toFixed(0)} ms`;
  if (reportFile) planned.push({ file: reportFile, bytes: `${JSON.stringify(buildReport(data, photoFile, photo, outFile, metrics, photoFiles), null, 2)}\n` });
  await writeOutputSet(planned, { replace: args.flags.has('force') });
  log(`wrote ${outFile} (${(asset.length / 1024).toFixed(0)} KiB)`);
  for (const { file } of planned.slice(1)) log(`wrote ${file}`);
  log(summary);
  const otherFaces = otherFacesNote(data);
  if (otherFaces) log(otherFaces);
  return 0;
}

/** For one group photo: which of its faces the avatar is, and the --face that makes each other one. */
function otherFacesNote(data: AvatarData): string | null {
  if (data.views || !data.facesInPhoto || data.facesInPhoto.boxes.length < 2) return null;
  const faces = describeFaces(data.facesInPhoto);
  const chosen = faces.find((face) => face.chosen)!;
  const others = faces.filter((face) => !face.chosen).map((face) => `--face ${face.index} (${face.label})`);
  const choices = others.length > 1 ? `${others.slice(0, -1).join(', ')} or ${others[others.length - 1]}` : others[0];
  return `the photo has ${faces.length} faces; this avatar is face ${chosen.index} (${chosen.label}); ${choices} makes another`;
}

/** Output files must carry the extension of the format written: x.jpg holding PNG bytes misleads every viewer. */
function requireExtension(option: string, file: string | undefined, extension: string): void {
  if (file !== undefined && path.extname(file).toLowerCase() !== extension) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `${option} writes ${extension.slice(1).toUpperCase()}: give a file name ending in ${extension}, not "${file}".`);
  }
}

/**
 * With one photo the pipeline's errors ("No face was found") do not say which file they are about;
 * the user may have typed several commands, so the message names it. (With several photos the
 * pipeline already prefixes each error with its photo's name.)
 */
async function namingThePhoto<T>(photoFiles: readonly string[], work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const photoProblem = error instanceof PhotoAvatarError && ['NO_FACE', 'FACE_TOO_SMALL', 'FACE_INDEX_OUT_OF_RANGE', 'EXTREME_POSE'].includes(error.code);
    if (photoFiles.length !== 1 || !photoProblem || error.message.startsWith(photoFiles[0])) throw error;
    throw new PhotoAvatarError(error.code, `${photoFiles[0]}: ${error.message}`, { cause: error });
  }
}

function round(values: ArrayLike<number>, digits = 3): number[] {
  const scale = 10 ** digits;
  return Array.from(values, (v) => Math.round(v * scale) / scale);
}

/** The JSON report. Downstream tools read these keys: keep them stable. */
export function buildReport(
  data: AvatarData,
  photoFile: string,
  photo: Awaited<ReturnType<typeof decodePhotoFile>>,
  outFile: string,
  quality: FitQualityMetrics | null,
  photoFiles: readonly string[] = [photoFile],
) {
  const finite = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? null : value);
  return {
    tool: 'babylon-photo-avatar',
    photo: {
      file: photoFile,
      width: photo.image.width,
      height: photo.image.height,
      originalWidth: photo.originalWidth,
      originalHeight: photo.originalHeight,
      exifOrientation: photo.orientation,
    },
    output: outFile,
    model: { id: data.model.id, name: data.model.name, licence: data.model.licence, vertices: data.model.vertexCount },
    backend: data.backend,
    face: { box: data.face.box, score: data.face.score },
    ...(data.facesInPhoto ? { facesInPhoto: describeFaces(data.facesInPhoto).map((face) => ({ ...face, box: data.facesInPhoto!.boxes[face.index] })) } : {}),
    pose: data.pose,
    landmarks68: round(data.fittedLandmarks68, 2),
    observedLandmarks68: round(data.face.landmarks68, 2),
    metrics: {
      landmarkError: data.metrics.landmarkErrorPx,
      landmarkErrorNormalized: data.metrics.landmarkErrorNormalized,
      coverage: data.metrics.coverage ?? null,
      psnr: finite(quality?.psnr),
      ssim: finite(quality?.ssim),
      identityCosine: finite(quality?.identityCosine),
      identityModel: quality?.identityModel ?? null,
      ...(data.metrics.photometricRmse !== undefined ? { photometricRmse: data.metrics.photometricRmse } : {}),
    },
    timings: Object.fromEntries(Object.entries(data.timings).map(([k, v]) => [k, Math.round(v * 10) / 10])),
    coefficients: {
      identity: round(data.identity, 4),
      expression: Object.fromEntries(data.model.expressionNames.map((name, i) => [name, Math.round(data.expression[i] * 1e4) / 1e4])),
      light: round(data.light, 4),
      ...(data.albedoCoefficients ? { albedo: round(data.albedoCoefficients, 4) } : {}),
    },
    ...(data.hair ? {
      hair: {
        style: data.hair.style,
        base: round(data.hair.base, 4),
        root: round(data.hair.root, 4),
        ...(data.hair.detected ? { photoClass: data.hair.detected.hairClass, crownCoverage: round([data.hair.detected.crownCoverage])[0], hatLike: data.hair.detected.hatLike } : {}),
        ...(data.hair.hairlineTurn ? { hairlineTurn: round([data.hair.hairlineTurn], 3)[0] } : {}),
        ...(data.hair.volume ? { volume: data.hair.volume } : {}),
        ...(data.hair.mesh ? { triangles: data.hair.mesh.part.indices.length / 3 } : {}),
        ...(data.hair.unavailable ? { unavailable: data.hair.unavailable } : {}),
      },
    } : {}),
    ...(data.views ? {
      views: data.views.map((view, i) => ({
        photo: { file: photoFiles[i] ?? null, width: view.imageWidth, height: view.imageHeight },
        face: { box: view.face.box, score: view.face.score },
        pose: view.pose,
        landmarks68: round(view.fittedLandmarks68, 2),
        metrics: { landmarkError: view.landmarkErrorPx, landmarkErrorNormalized: view.landmarkErrorNormalized },
        expression: Object.fromEntries(data.model.expressionNames.map((name, j) => [name, Math.round(view.expression[j] * 1e4) / 1e4])),
        light: round(view.light, 4),
      })),
    } : {}),
    ...(data.givenShape ? { givenShape: true } : {}),
  };
}
