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
 * The skin's metallic-roughness texture is the roughness map (../materials/roughness.ts); the head's
 * COLOR_0 darkens the mouth pocket into an oral cavity (mouth-interior.ts).
 * Materials are core metallic-roughness PBR only (no KHR_materials_* extensions, so every viewer
 * shows the same thing).
 */
import { computeVertexNormals } from '../modelpack/head-model.js';
import type { SubMesh } from '../modelpack/head-model.js';
import { PhotoAvatarError } from '../errors.js';
import { encodeJpeg, encodePng } from '../image/encode.js';
import { createEyeTexture, eyeProjectionUvs } from '../materials/eye-texture.js';
import type { AvatarData, RgbaImage } from '../types.js';
import { computeAvatarRig, type AvatarRig, type JointName } from './avatar-rig.js';
import { computeRoughnessMap } from '../materials/roughness.js';
import { mouthInteriorTintFor } from './mouth-interior.js';
import { computeSkinWeights } from './skin-weights.js';

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

const GLB_MAGIC = 0x46546c67;
const CHUNK_JSON = 0x4e4f534a;
const CHUNK_BIN = 0x004e4942;

type Json = Record<string, unknown>;

/** Accumulates the binary chunk and the JSON arrays that index into it. */
class GltfBuilder {
  readonly chunks: Uint8Array[] = [];
  byteLength = 0;
  readonly bufferViews: Json[] = [];
  readonly accessors: Json[] = [];

  addBufferView(bytes: Uint8Array, target?: number): number {
    const padding = (4 - (this.byteLength % 4)) % 4;
    if (padding) {
      this.chunks.push(new Uint8Array(padding));
      this.byteLength += padding;
    }
    const view: Json = { buffer: 0, byteOffset: this.byteLength, byteLength: bytes.byteLength };
    if (target !== undefined) view.target = target;
    this.chunks.push(bytes);
    this.byteLength += bytes.byteLength;
    this.bufferViews.push(view);
    return this.bufferViews.length - 1;
  }

  /** Float vector accessor (VEC2/VEC3); min/max written when asked (POSITION requires them). */
  addFloatAccessor(values: Float32Array, components: 2 | 3, withBounds: boolean): number {
    const view = this.addBufferView(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), GL_ARRAY_BUFFER);
    const accessor: Json = { bufferView: view, componentType: GL_FLOAT, count: values.length / components, type: components === 2 ? 'VEC2' : 'VEC3' };
    if (withBounds) Object.assign(accessor, vectorBounds(values, components));
    this.accessors.push(accessor);
    return this.accessors.length - 1;
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

  /** Any accessor over raw bytes (JOINTS_0, WEIGHTS_0, inverse bind matrices). */
  addRawAccessor(bytes: Uint8Array, componentType: number, type: 'VEC4' | 'MAT4', count: number, target?: number): number {
    this.accessors.push({ bufferView: this.addBufferView(bytes, target), componentType, count, type });
    return this.accessors.length - 1;
  }

  addIndexAccessor(indices: Uint32Array, vertexCount: number): number {
    const small = vertexCount <= 65535;
    const typed = small ? Uint16Array.from(indices) : indices;
    const view = this.addBufferView(new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength), GL_ELEMENT_ARRAY_BUFFER);
    this.accessors.push({ bufferView: view, componentType: small ? GL_UNSIGNED_SHORT : GL_UNSIGNED_INT, count: indices.length, type: 'SCALAR' });
    return this.accessors.length - 1;
  }

  binary(): Uint8Array {
    const total = this.byteLength + ((4 - (this.byteLength % 4)) % 4);
    const out = new Uint8Array(total);
    let offset = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, offset);
      offset += chunk.byteLength;
    }
    return out;
  }
}

function vectorBounds(values: Float32Array, components: number): { min: number[]; max: number[] } {
  const min = new Array<number>(components).fill(Infinity);
  const max = new Array<number>(components).fill(-Infinity);
  for (let i = 0; i < values.length; i += components) {
    for (let k = 0; k < components; k++) {
      const v = values[i + k];
      if (v < min[k]) min[k] = v;
      if (v > max[k]) max[k] = v;
    }
  }
  // Empty data still needs finite bounds.
  return { min: min.map((v) => (Number.isFinite(v) ? v : 0)), max: max.map((v) => (Number.isFinite(v) ? v : 0)) };
}

/** glTF requires unit normals; vertices no triangle uses (or only degenerate ones) get +Z. */
function unitNormals(normals: Float32Array): Float32Array {
  for (let i = 0; i < normals.length; i += 3) {
    const length = Math.hypot(normals[i], normals[i + 1], normals[i + 2]);
    if (Math.abs(length - 1) > 1e-3) {
      if (length > 1e-12) {
        normals[i] /= length; normals[i + 1] /= length; normals[i + 2] /= length;
      } else {
        normals[i] = 0; normals[i + 1] = 0; normals[i + 2] = 1;
      }
    }
  }
  return normals;
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

function encodeImage(image: RgbaImage, format: 'png' | 'jpeg', quality: number): { bytes: Uint8Array; mimeType: string } {
  return format === 'jpeg'
    ? { bytes: encodeJpeg(image, quality), mimeType: 'image/jpeg' }
    : { bytes: encodePng(image), mimeType: 'image/png' };
}

function subtract(a: [number, number, number], b: [number, number, number]): number[] {
  return [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
}

function negate(a: [number, number, number]): number[] {
  return [-a[0], -a[1], -a[2]];
}

/** Writes the avatar as a self-contained .glb (textures embedded). */
export function writeGlb(data: AvatarData, options: GlbOptions = {}): Uint8Array {
  checkData(data);
  const { model } = data;
  const textureFormat = options.textureFormat ?? 'png';
  const morphNormals = options.morphNormals ?? true;
  const builder = new GltfBuilder();
  const rig: AvatarRig = computeAvatarRig(model, data.neutralVertices);

  // Images, textures, samplers, materials.
  const images: Json[] = [];
  const addImage = (image: RgbaImage, format: 'png' | 'jpeg', name: string): number => {
    const encoded = encodeImage(image, format, options.jpegQuality ?? 90);
    images.push({ name, bufferView: builder.addBufferView(encoded.bytes), mimeType: encoded.mimeType });
    return images.length - 1;
  };
  const samplers: Json[] = [{ magFilter: GL_LINEAR, minFilter: GL_LINEAR_MIPMAP_LINEAR, wrapS: GL_CLAMP_TO_EDGE, wrapT: GL_CLAMP_TO_EDGE }];
  const textures: Json[] = [{ name: 'albedo', sampler: 0, source: addImage(data.albedo, textureFormat, 'albedo') }];
  const skinPbr: Json = { baseColorTexture: { index: 0 }, metallicFactor: 0, roughnessFactor: 0.55 };
  if (options.roughnessMap !== false) {
    const roughness = computeRoughnessMap(model, data.neutralVertices, data.albedo).image;
    textures.push({ name: 'roughness', sampler: 0, source: addImage(roughness, 'png', 'roughness') });
    skinPbr.metallicRoughnessTexture = { index: textures.length - 1 };
    skinPbr.roughnessFactor = 1;
  }
  const materials: Json[] = [{ name: 'skin', pbrMetallicRoughness: skinPbr }];
  const hasEyes = rig.eyeLeft !== null || rig.eyeRight !== null;
  let eyeMaterial = -1;
  if (hasEyes) {
    textures.push({ name: 'eye', sampler: 0, source: addImage(createEyeTexture(), 'png', 'eye') });
    materials.push({
      name: 'eye',
      pbrMetallicRoughness: { baseColorTexture: { index: textures.length - 1 }, metallicFactor: 0, roughnessFactor: 0.2 },
    });
    eyeMaterial = materials.length - 1;
  }
  let teethMaterial = -1;
  const materialFor = (part: SubMesh): number => {
    if (part.material === 'eye' && eyeMaterial >= 0) return eyeMaterial;
    if (part.material === 'skin') return 0;
    if (teethMaterial < 0) {
      materials.push({ name: 'teeth', pbrMetallicRoughness: { baseColorFactor: [0.85, 0.82, 0.74, 1], metallicFactor: 0, roughnessFactor: 0.35 } });
      teethMaterial = materials.length - 1;
    }
    return teethMaterial;
  };

  // Head mesh with morph targets.
  const meshes: Json[] = [];
  const neutralNormals = unitNormals(computeVertexNormals(data.neutralVertices, model.indices, model.weldGroup));
  const targets: Json[] = [];
  const n3 = model.vertexCount * 3;
  const target = new Float32Array(n3);
  const targetNormals = new Float32Array(n3);
  for (let k = 0; k < model.expressionNames.length; k++) {
    const delta = model.expressionBasis.subarray(k * n3, (k + 1) * n3);
    const entry: Json = { POSITION: builder.addDeltaAccessor(delta.slice(), true, 0) };
    if (morphNormals) {
      for (let i = 0; i < n3; i++) target[i] = data.neutralVertices[i] + delta[i];
      unitNormals(computeVertexNormals(target, model.indices, model.weldGroup, targetNormals));
      const normalDelta = new Float32Array(n3);
      for (let i = 0; i < n3; i++) normalDelta[i] = targetNormals[i] - neutralNormals[i];
      entry.NORMAL = builder.addDeltaAccessor(normalDelta, false, NORMAL_DELTA_THRESHOLD);
    }
    targets.push(entry);
  }
  const headPrimitive: Json = {
    attributes: {
      POSITION: builder.addFloatAccessor(data.neutralVertices.slice(), 3, true),
      NORMAL: builder.addFloatAccessor(neutralNormals, 3, false),
      TEXCOORD_0: builder.addFloatAccessor(flipV(model.uvs), 2, false),
    },
    indices: builder.addIndexAccessor(model.indices, model.vertexCount),
    material: 0,
    mode: 4,
  };
  const skin = computeSkinWeights(model, data.neutralVertices, rig);
  const attributes = headPrimitive.attributes as Json;
  attributes.JOINTS_0 = builder.addRawAccessor(skin.joints, GL_UNSIGNED_BYTE, 'VEC4', model.vertexCount, GL_ARRAY_BUFFER);
  attributes.WEIGHTS_0 = builder.addRawAccessor(new Uint8Array(skin.weights.buffer), GL_FLOAT, 'VEC4', model.vertexCount, GL_ARRAY_BUFFER);
  const mouthTint = options.mouthInterior === false ? null : mouthInteriorTintFor(model, data.neutralVertices);
  if (mouthTint) attributes.COLOR_0 = builder.addFloatAccessor(mouthTint, 3, false);
  if (targets.length) headPrimitive.targets = targets;
  const headMesh: Json = { name: 'head', primitives: [headPrimitive] };
  if (targets.length) {
    headMesh.weights = Array.from(data.expression);
    headMesh.extras = { targetNames: model.expressionNames.slice() };
  }
  meshes.push(headMesh);

  const addPartMesh = (part: SubMesh, uvs: Float32Array): number => {
    const vertexCount = part.positions.length / 3;
    meshes.push({
      name: part.name,
      primitives: [{
        attributes: {
          POSITION: builder.addFloatAccessor(part.positions.slice(), 3, true),
          NORMAL: builder.addFloatAccessor(unitNormals(computeVertexNormals(part.positions, part.indices)), 3, false),
          TEXCOORD_0: builder.addFloatAccessor(flipV(uvs), 2, false),
        },
        indices: builder.addIndexAccessor(part.indices, vertexCount),
        material: materialFor(part),
        mode: 4,
      }],
    });
    return meshes.length - 1;
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

  const binary = builder.binary();
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
    buffers: [{ byteLength: binary.byteLength }],
    extras: { headModel: model.id, expressionNames: model.expressionNames.slice() },
  };
  return packGlb(gltf, binary);
}

/** GLB container: 12-byte header, JSON chunk padded with spaces, BIN chunk padded with zeros. */
export function packGlb(gltf: Json, binary: Uint8Array): Uint8Array {
  const jsonBytes = new TextEncoder().encode(JSON.stringify(gltf));
  const jsonLength = jsonBytes.byteLength + ((4 - (jsonBytes.byteLength % 4)) % 4);
  const binLength = binary.byteLength;
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
  out.set(binary, binStart + 8);
  return out;
}
