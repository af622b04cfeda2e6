/**
 * The `.avatar` file: everything that makes one person's avatar, without the shared model pack.
 * A default-head avatar at a 1024² albedo is ~100-250 KB (the JPEG is almost all of it), against
 * megabytes for a GLB, because geometry is rebuilt from the pack the reader already has.
 *
 * Layout (all integers little-endian):
 *
 *   offset  size  field
 *   0       8     magic 'PAVATAR\0'
 *   8       4     u32 container version (AVATAR_FILE_VERSION)
 *   12      4     u32 header length H (UTF-8 JSON, AvatarFileHeader)
 *   16      4     u32 albedo length A (JPEG bytes)
 *   20      H     header JSON
 *   20+H    A     albedo image (baseline JPEG, RGB; alpha is not stored and reads back as 255)
 *   20+H+A  4     u32 CRC-32 (zlib polynomial) of bytes [0, 20+H+A)
 *
 * Float32 arrays (coefficients, landmarks) are stored as base64 of their little-endian bytes, so
 * they read back bit-exact; float64 camera values are JSON numbers (also exact).
 *
 * `neutralVertices` is not stored: the reader recomputes it as decodeShape(pack, identity, null),
 * the same linear combination the fitting evaluates (on onnxruntime, in float32), so the rebuilt
 * vertices match the originals to float32 rounding (checked < 1e-4 m in the tests). The header
 * records the pack's vertex, identity and expression counts so a different pack under the same id
 * is refused instead of silently producing a wrong face.
 */
import { PhotoAvatarError } from '../errors.js';
import { decodeImage } from '../image/decode.js';
import { encodeJpeg } from '../image/encode.js';
import { crc32 } from '../math/crc32.js';
import { decodeShape, type HeadModel } from '../modelpack/head-model.js';
import { retiredHeadError } from '../modelpack/head-ids.js';
import type { AvatarData, FaceObservation } from '../types.js';
import { checkAvatarCoefficients, checkAvatarRanges } from './ranges.js';
import { hairMeshFor, isHairStyle, type HairStyle } from '../hair/index.js';
import { MAX_HAIRLINE_TURN } from '../hair/fit-hair.js';
import { MAX_HAIR_VOLUME } from '../hair/volume.js';

export const AVATAR_FILE_MAGIC = 'PAVATAR\0';
export const AVATAR_FILE_VERSION = 1;
const PREAMBLE_BYTES = 20;
const CRC_BYTES = 4;
/** Bounds that keep a hostile header from asking for absurd allocations. */
const MAX_HEADER_BYTES = 4 * 1024 * 1024;
const MAX_ALBEDO_SIDE = 8192;

/** Skin material settings that are not part of AvatarData (see build-avatar.ts for the defaults). */
export interface AvatarMaterialParameters {
  roughness: number;
  metallic: number;
  indexOfRefraction: number;
  /** 0 when translucency is off. */
  translucencyIntensity: number;
}

export interface WriteAvatarFileOptions {
  /** Albedo encoding. Only 'jpeg' (default) is written: it is the one codec decodable everywhere without a canvas. */
  albedoFormat?: 'jpeg';
  /** JPEG quality 1-100 (default 85: ~150 KB at 1024² for the default head). */
  quality?: number;
  /** Material settings to store with the avatar (the loader applies them after building). */
  material?: AvatarMaterialParameters;
}

/** The JSON header, as stored. */
export interface AvatarFileHeader {
  format: 'babylon-photo-avatar';
  version: number;
  model: { id: string; vertexCount: number; identityCount: number; expressionCount: number };
  /** base64 float32 little-endian. */
  identity: string;
  expression: string;
  light: string;
  albedo: { mimeType: 'image/jpeg'; width: number; height: number };
  camera: { focal: number; cx: number; cy: number; rotation: number[]; translation: number[] };
  face: {
    box: { x: number; y: number; width: number; height: number };
    score: number;
    meshScore: number;
    roll: number;
    landmarks468: string;
    iris: string;
    landmarks68: string;
  };
  fittedLandmarks68: string;
  pose: { yawDeg: number; pitchDeg: number; rollDeg: number };
  metrics: { landmarkErrorPx: number; landmarkErrorNormalized: number; coverage?: number };
  backend: 'webgpu' | 'wasm';
  material?: AvatarMaterialParameters;
  /** Iris colour read from the photo, sRGB 0..255 (absent in older files: the default eye texture). */
  irisColor?: [number, number, number];
  /** Brow colour, linear RGB 0..1 (absent in older files: read again from the albedo). */
  browColor?: [number, number, number];
  /** Hair style (null: none) and colour (linear RGB); the mesh is rebuilt from the hair asset on load. */
  hair?: { style: string | null; base: number[]; root: number[]; hairlineTurn?: number; volume?: number; stubble?: boolean };
}

export interface AvatarFileContents {
  data: AvatarData;
  material: AvatarMaterialParameters | undefined;
  header: AvatarFileHeader;
}

/** Finds the head model a file names; should throw (or reject) for ids it does not know. */
export type ModelResolver = (modelId: string) => Promise<HeadModel>;

function corrupt(message: string, cause?: unknown): PhotoAvatarError {
  return new PhotoAvatarError('CORRUPT_INPUT_FILE', `Not a valid .avatar file: ${message}.`, cause === undefined ? undefined : { cause });
}

// ---------------------------------------------------------------------------------------------
// base64 of float32 (btoa/atob exist in browsers and Node >= 16)

function floatsToBase64(values: Float32Array): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

function base64ToFloats(text: unknown, field: string, expectedLength?: number): Float32Array {
  if (typeof text !== 'string') throw corrupt(`header field "${field}" is missing`);
  let binary: string;
  try {
    binary = atob(text);
  } catch (error) {
    throw corrupt(`header field "${field}" is not base64`, error);
  }
  if (binary.length % 4 !== 0) throw corrupt(`header field "${field}" is not a float32 array`);
  const count = binary.length / 4;
  if (expectedLength !== undefined && count !== expectedLength) {
    throw corrupt(`header field "${field}" has ${count} values, expected ${expectedLength}`);
  }
  const view = new DataView(new ArrayBuffer(binary.length));
  for (let i = 0; i < binary.length; i++) view.setUint8(i, binary.charCodeAt(i));
  const values = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    values[i] = view.getFloat32(i * 4, true);
    if (!Number.isFinite(values[i])) throw corrupt(`header field "${field}" holds a non-finite value`);
  }
  return values;
}

// ---------------------------------------------------------------------------------------------
// Writing

function checkWritable(data: AvatarData): void {
  const { model } = data;
  if (data.identity.length !== model.identityCount || data.expression.length !== model.expressionNames.length) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `Avatar data has ${data.identity.length} identity and ${data.expression.length} expression coefficients; model '${model.id}' needs ${model.identityCount} and ${model.expressionNames.length}.`);
  }
  if (data.light.length !== 27) throw new PhotoAvatarError('INVALID_ARGUMENT', `Avatar light must have 27 SH coefficients, got ${data.light.length}.`);
  for (const [name, values] of [['identity', data.identity], ['expression', data.expression], ['light', data.light]] as const) {
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) throw new PhotoAvatarError('INVALID_ARGUMENT', `Avatar ${name} coefficient ${i} is not a finite number.`);
    }
  }
}

/** AvatarData -> .avatar bytes (see the file comment for the layout). */
export function writeAvatarFile(data: AvatarData, options: WriteAvatarFileOptions = {}): Uint8Array<ArrayBuffer> {
  checkWritable(data);
  const format = options.albedoFormat ?? 'jpeg';
  if (format !== 'jpeg') throw new PhotoAvatarError('INVALID_ARGUMENT', `Unsupported albedo format '${String(format)}'; .avatar files store JPEG.`);
  const albedo = encodeJpeg(data.albedo, options.quality ?? 85);
  const { model, face } = data;
  const header: AvatarFileHeader = {
    format: 'babylon-photo-avatar',
    version: AVATAR_FILE_VERSION,
    model: { id: model.id, vertexCount: model.vertexCount, identityCount: model.identityCount, expressionCount: model.expressionNames.length },
    identity: floatsToBase64(data.identity),
    expression: floatsToBase64(data.expression),
    light: floatsToBase64(data.light),
    albedo: { mimeType: 'image/jpeg', width: data.albedo.width, height: data.albedo.height },
    camera: {
      focal: data.camera.focal, cx: data.camera.cx, cy: data.camera.cy,
      rotation: Array.from(data.camera.rotation), translation: Array.from(data.camera.translation),
    },
    face: {
      box: { x: face.box.x, y: face.box.y, width: face.box.width, height: face.box.height },
      score: face.score,
      meshScore: face.meshScore,
      roll: face.roll,
      landmarks468: floatsToBase64(face.landmarks468),
      iris: floatsToBase64(face.iris),
      landmarks68: floatsToBase64(face.landmarks68),
    },
    fittedLandmarks68: floatsToBase64(data.fittedLandmarks68),
    pose: { ...data.pose },
    metrics: { ...data.metrics },
    backend: data.backend,
  };
  if (options.material) header.material = { ...options.material };
  if (data.irisColor) header.irisColor = [...data.irisColor];
  if (data.browColor) header.browColor = [...data.browColor];
  if (data.hair) header.hair = { style: data.hair.style, base: [...data.hair.base], root: [...data.hair.root], ...(data.hair.hairlineTurn ? { hairlineTurn: data.hair.hairlineTurn } : {}), ...(data.hair.volume ? { volume: data.hair.volume } : {}), ...(data.hair.stubble ? { stubble: true } : {}) };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const total = PREAMBLE_BYTES + json.length + albedo.length + CRC_BYTES;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = AVATAR_FILE_MAGIC.charCodeAt(i);
  view.setUint32(8, AVATAR_FILE_VERSION, true);
  view.setUint32(12, json.length, true);
  view.setUint32(16, albedo.length, true);
  out.set(json, PREAMBLE_BYTES);
  out.set(albedo, PREAMBLE_BYTES + json.length);
  view.setUint32(total - CRC_BYTES, crc32(out, 0, total - CRC_BYTES), true);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading

/** True when the bytes start like an .avatar file (for sniffing; says nothing about validity). */
export function isAvatarFile(bytes: Uint8Array): boolean {
  if (bytes.length < 8) return false;
  for (let i = 0; i < 8; i++) if (bytes[i] !== AVATAR_FILE_MAGIC.charCodeAt(i)) return false;
  return true;
}

function finiteNumber(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw corrupt(`header field "${field}" must be a finite number`);
  return value;
}

function objectField(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw corrupt(`header field "${field}" must be an object`);
  return value as Record<string, unknown>;
}

function numberArray(value: unknown, length: number, field: string): Float64Array {
  if (!Array.isArray(value) || value.length !== length) throw corrupt(`header field "${field}" must be an array of ${length} numbers`);
  return Float64Array.from(value, (v, i) => finiteNumber(v, `${field}[${i}]`));
}

/** Structural checks of the container; returns the header JSON and the albedo bytes. */
function splitContainer(input: Uint8Array): { header: Record<string, unknown>; albedo: Uint8Array } {
  if (!(input instanceof Uint8Array)) throw corrupt('expected bytes (Uint8Array)');
  if (input.length < PREAMBLE_BYTES + CRC_BYTES) throw corrupt(`only ${input.length} bytes, too short for the preamble`);
  if (!isAvatarFile(input)) throw corrupt('wrong magic bytes (expected PAVATAR)');
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const version = view.getUint32(8, true);
  if (version !== AVATAR_FILE_VERSION) {
    throw new PhotoAvatarError('CORRUPT_INPUT_FILE', `Unsupported .avatar version ${version}; this reader understands version ${AVATAR_FILE_VERSION}.`);
  }
  const headerLength = view.getUint32(12, true);
  const albedoLength = view.getUint32(16, true);
  if (headerLength > MAX_HEADER_BYTES) throw corrupt(`header length ${headerLength} is implausible`);
  const expected = PREAMBLE_BYTES + headerLength + albedoLength + CRC_BYTES;
  if (input.length < expected) throw corrupt(`truncated: ${input.length} bytes, the preamble declares ${expected}`);
  if (input.length > expected) throw corrupt(`${input.length - expected} unexpected bytes after the end`);
  const stored = view.getUint32(expected - CRC_BYTES, true);
  const actual = crc32(input, 0, expected - CRC_BYTES);
  if (stored !== actual) throw corrupt(`checksum mismatch (stored ${stored.toString(16)}, computed ${actual.toString(16)}): the file is damaged`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(input.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength)));
  } catch (error) {
    throw corrupt('the header is not valid UTF-8 JSON', error);
  }
  const albedoStart = PREAMBLE_BYTES + headerLength;
  return { header: objectField(header, 'header'), albedo: input.subarray(albedoStart, albedoStart + albedoLength) };
}

function parseMaterial(value: unknown): AvatarMaterialParameters | undefined {
  if (value === undefined) return undefined;
  const m = objectField(value, 'material');
  const material = {
    roughness: finiteNumber(m.roughness, 'material.roughness'),
    metallic: finiteNumber(m.metallic, 'material.metallic'),
    indexOfRefraction: finiteNumber(m.indexOfRefraction, 'material.indexOfRefraction'),
    translucencyIntensity: finiteNumber(m.translucencyIntensity, 'material.translucencyIntensity'),
  };
  if (material.roughness < 0 || material.roughness > 1 || material.metallic < 0 || material.metallic > 1
    || material.indexOfRefraction < 1 || material.indexOfRefraction > 3 || material.translucencyIntensity < 0) {
    throw corrupt('material parameters are out of range');
  }
  return material;
}

function parseHair(value: unknown): { style: HairStyle | null; base: [number, number, number]; root: [number, number, number]; hairlineTurn?: number; volume?: number; stubble?: boolean } | undefined {
  if (value === undefined) return undefined;
  const h = objectField(value, 'hair');
  if (h.style !== null && !(typeof h.style === 'string' && isHairStyle(h.style))) throw corrupt(`header field "hair.style" names no hair style (${String(h.style)})`);
  const colour = (field: unknown, name: string) => {
    const c = numberArray(field, 3, name);
    if (c.some((v) => v < 0 || v > 1)) throw corrupt(`header field "${name}" is out of range`);
    return [c[0], c[1], c[2]] as [number, number, number];
  };
  const turn = h.hairlineTurn;
  if (turn !== undefined && !(typeof turn === 'number' && Math.abs(turn) <= MAX_HAIRLINE_TURN)) throw corrupt(`header field "hair.hairlineTurn" is not a turn within ±${MAX_HAIRLINE_TURN} radians (${String(turn)})`);
  const volume = h.volume;
  if (volume !== undefined && !(typeof volume === 'number' && volume >= 1 && volume <= MAX_HAIR_VOLUME)) throw corrupt(`header field "hair.volume" is not a volume within 1-${MAX_HAIR_VOLUME} (${String(volume)})`);
  if (h.stubble !== undefined && typeof h.stubble !== 'boolean') throw corrupt(`header field "hair.stubble" is not true or false (${String(h.stubble)})`);
  return { style: h.style as HairStyle | null, base: colour(h.base, 'hair.base'), root: colour(h.root, 'hair.root'), ...(turn ? { hairlineTurn: turn as number } : {}), ...(volume !== undefined && volume !== 1 ? { volume } : {}), ...(h.stubble ? { stubble: true } : {}) };
}

async function resolveModelChecked(resolveModel: ModelResolver, header: Record<string, unknown>): Promise<HeadModel> {
  const info = objectField(header.model, 'model');
  const id = info.id;
  if (typeof id !== 'string' || id.length === 0 || id.length > 256) throw corrupt('header field "model.id" must be a non-empty string');
  let model: HeadModel;
  try {
    model = await resolveModel(id);
  } catch (error) {
    if (error instanceof PhotoAvatarError && error.code !== 'MISSING_ASSET') throw error;
    // A resolver of its own may not know the retired heads: say what to do about them all the same.
    const retired = retiredHeadError(id);
    if (retired) throw retired;
    throw new PhotoAvatarError('UNSUPPORTED_MODEL_PACK', `The avatar needs model pack '${id}', which is not available: ${(error as Error)?.message ?? error}`, { cause: error });
  }
  if (!model) throw new PhotoAvatarError('UNSUPPORTED_MODEL_PACK', `The avatar needs model pack '${id}', which is not available.`);
  const vertexCount = finiteNumber(info.vertexCount, 'model.vertexCount');
  const identityCount = finiteNumber(info.identityCount, 'model.identityCount');
  const expressionCount = finiteNumber(info.expressionCount, 'model.expressionCount');
  if (model.id !== id || model.vertexCount !== vertexCount || model.identityCount !== identityCount || model.expressionNames.length !== expressionCount) {
    throw new PhotoAvatarError('UNSUPPORTED_MODEL_PACK', `The avatar was made with model pack '${id}' (${vertexCount} vertices, ${identityCount} identity and ${expressionCount} expression modes); the pack provided is '${model.id}' (${model.vertexCount}, ${model.identityCount}, ${model.expressionNames.length}).`);
  }
  return model;
}

function parseFace(value: unknown): FaceObservation {
  const face = objectField(value, 'face');
  const box = objectField(face.box, 'face.box');
  return {
    box: { x: finiteNumber(box.x, 'face.box.x'), y: finiteNumber(box.y, 'face.box.y'), width: finiteNumber(box.width, 'face.box.width'), height: finiteNumber(box.height, 'face.box.height') },
    score: finiteNumber(face.score, 'face.score'),
    meshScore: finiteNumber(face.meshScore, 'face.meshScore'),
    roll: finiteNumber(face.roll, 'face.roll'),
    landmarks468: base64ToFloats(face.landmarks468, 'face.landmarks468'),
    iris: base64ToFloats(face.iris, 'face.iris'),
    landmarks68: base64ToFloats(face.landmarks68, 'face.landmarks68'),
  };
}

/**
 * .avatar bytes -> AvatarData plus the stored material settings. Every field is validated: damage
 * gives CORRUPT_INPUT_FILE, a model pack that cannot be resolved (or does not match) gives
 * UNSUPPORTED_MODEL_PACK.
 */
export async function readAvatarFileContents(bytes: Uint8Array, resolveModel: ModelResolver): Promise<AvatarFileContents> {
  const { header, albedo: albedoBytes } = splitContainer(bytes);
  if (header.format !== 'babylon-photo-avatar') throw corrupt('the header does not name the babylon-photo-avatar format');
  if (header.version !== AVATAR_FILE_VERSION) throw corrupt(`header version ${String(header.version)} disagrees with the container`);
  // Everything that needs no model is checked first, so a damaged file never triggers a pack download.
  const albedoInfo = objectField(header.albedo, 'albedo');
  if (albedoInfo.mimeType !== 'image/jpeg') throw corrupt(`unsupported albedo type ${String(albedoInfo.mimeType)}`);
  const width = finiteNumber(albedoInfo.width, 'albedo.width');
  const height = finiteNumber(albedoInfo.height, 'albedo.height');
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0 && width <= MAX_ALBEDO_SIDE && height <= MAX_ALBEDO_SIDE)) {
    throw corrupt(`albedo size ${width}x${height} is out of range`);
  }
  const light = base64ToFloats(header.light, 'light', 27);
  const cameraField = objectField(header.camera, 'camera');
  const camera = {
    focal: finiteNumber(cameraField.focal, 'camera.focal'),
    cx: finiteNumber(cameraField.cx, 'camera.cx'),
    cy: finiteNumber(cameraField.cy, 'camera.cy'),
    rotation: numberArray(cameraField.rotation, 9, 'camera.rotation'),
    translation: numberArray(cameraField.translation, 3, 'camera.translation'),
  };
  const face = parseFace(header.face);
  const fittedLandmarks68 = base64ToFloats(header.fittedLandmarks68, 'fittedLandmarks68');
  const poseField = objectField(header.pose, 'pose');
  const pose = { yawDeg: finiteNumber(poseField.yawDeg, 'pose.yawDeg'), pitchDeg: finiteNumber(poseField.pitchDeg, 'pose.pitchDeg'), rollDeg: finiteNumber(poseField.rollDeg, 'pose.rollDeg') };
  const metricsField = objectField(header.metrics, 'metrics');
  const metrics = {
    landmarkErrorPx: finiteNumber(metricsField.landmarkErrorPx, 'metrics.landmarkErrorPx'),
    landmarkErrorNormalized: finiteNumber(metricsField.landmarkErrorNormalized, 'metrics.landmarkErrorNormalized'),
    ...(metricsField.coverage === undefined ? {} : { coverage: finiteNumber(metricsField.coverage, 'metrics.coverage') }),
  };
  if (header.backend !== 'webgpu' && header.backend !== 'wasm') throw corrupt('header field "backend" must be webgpu or wasm');
  const material = parseMaterial(header.material);
  const irisColor = header.irisColor === undefined ? undefined : Array.from(numberArray(header.irisColor, 3, 'irisColor')) as [number, number, number];
  if (irisColor && !irisColor.every((c) => c >= 0 && c <= 255)) throw corrupt('header field "irisColor" must hold sRGB values 0..255');
  const browColor = header.browColor === undefined ? undefined : Array.from(numberArray(header.browColor, 3, 'browColor')) as [number, number, number];
  if (browColor && !browColor.every((c) => c >= 0 && c <= 1)) throw corrupt('header field "browColor" must hold linear values 0..1');
  const hair = parseHair(header.hair);
  let decoded;
  try {
    decoded = decodeImage(albedoBytes, { downscaleAbove: MAX_ALBEDO_SIDE + 1 });
  } catch (error) {
    throw corrupt(`the albedo image does not decode (${(error as Error).message})`, error);
  }
  if (decoded.format !== 'jpeg' || decoded.image.width !== width || decoded.image.height !== height) {
    throw corrupt(`the albedo image is ${decoded.image.width}x${decoded.image.height} ${decoded.format}, the header says ${width}x${height} JPEG`);
  }

  const model = await resolveModelChecked(resolveModel, header);
  const identity = base64ToFloats(header.identity, 'identity', model.identityCount);
  const expression = base64ToFloats(header.expression, 'expression', model.expressionNames.length);
  // Checked before decodeShape spends time on coefficients that may be absurd.
  checkAvatarCoefficients(identity, expression, model);
  const data: AvatarData = {
    model,
    identity,
    expression,
    neutralVertices: decodeShape(model, identity, null),
    albedo: decoded.image,
    light,
    camera,
    face,
    fittedLandmarks68,
    pose,
    metrics,
    timings: {},
    backend: header.backend,
    ...(irisColor ? { irisColor } : {}),
    ...(browColor ? { browColor } : {}),
  };
  checkAvatarRanges(data);
  if (hair) {
    // The mesh follows the rebuilt head, as when it was made (hair/index.ts).
    const mesh = hair.style ? await hairMeshFor(hair.style, model, data.neutralVertices, hair, hair) : undefined;
    data.hair = { ...hair, ...(mesh ? { mesh } : {}) };
  }
  return { data, material, header: header as unknown as AvatarFileHeader };
}

/**
 * The model pack a .avatar file names, resolved as readAvatarFileContents would (its container and
 * model errors), without decoding the rest: for a reader that decodes the file elsewhere (the avatar
 * worker) with the model the caller holds.
 */
export async function resolveAvatarFileModel(bytes: Uint8Array, resolveModel: ModelResolver): Promise<HeadModel> {
  return resolveModelChecked(resolveModel, splitContainer(bytes).header);
}

/** .avatar bytes -> AvatarData (see readAvatarFileContents for the errors). */
export async function readAvatarFile(bytes: Uint8Array, resolveModel: ModelResolver): Promise<AvatarData> {
  return (await readAvatarFileContents(bytes, resolveModel)).data;
}
