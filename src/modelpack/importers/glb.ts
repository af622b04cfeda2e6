/**
 * Importer for one binary glTF (.glb) holding a rigged head: the mesh with the most morph targets
 * (or the one named by `meshName`) becomes the head; its primitives' triangles are merged, each
 * morph target becomes an expression mode named from `mesh.extras.targetNames` (the de-facto
 * convention of Blender, three.js and Babylon; `target00..` otherwise). ARKit names work directly
 * with the retarget map (retarget.ts).
 *
 * What is read: POSITION, TEXCOORD_0 (float or normalised integers) and the indices of triangle
 * primitives, morph-target POSITION deltas, dense or sparse accessors with any byteStride. Node
 * transforms, skins and animations are ignored: positions are taken in the mesh's own space, which
 * must be metres (or cm/mm, guessed from the eye corners as for OBJ sets), +Y up, face towards +Z.
 * Vertices glTF split for UV seams are welded back by exact position.
 *
 * The 68 iBUG landmarks (vertex indices into the merged vertex list, primitives in order) come
 * from, in this order: `options.landmarks68`, `mesh.extras.landmarks68`, the root
 * `extras.landmarks68`. The CLI also reads a sidecar `<file>.landmarks68.json`. Without them the
 * import fails: fitting needs them.
 */
import { PhotoAvatarError } from '../../errors.js';
import type { HeadModel } from '../head-model.js';
import { guessUnitScale } from './obj-set.js';
import { faceSkinWeights, jawContourPath, mirrorVertices } from './topology.js';

export interface GlbImportOptions {
  /** Which mesh is the head (default: the one with the most morph targets, then the most vertices). */
  meshName?: string;
  /** 68 vertex indices (iBUG order) into the merged vertex list of the head mesh. */
  landmarks68?: ArrayLike<number>;
  /** Model units -> metres; guessed from the eye corners when omitted. */
  scale?: number;
  id?: string;
  name?: string;
  licence?: string;
  source?: string;
}

const GLB_MAGIC = 0x46546c67;
const CHUNK_JSON = 0x4e4f534a;
const CHUNK_BIN = 0x004e4942;
const TRIANGLES = 4;
/** More vertices than any head has; guards allocations against a damaged count. */
const MAX_ELEMENTS = 1 << 22;

type Json = Record<string, unknown>;

const COMPONENT_BYTES: Record<number, number> = { 5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4 };
const TYPE_SIZE: Record<string, number> = { SCALAR: 1, VEC2: 2, VEC3: 3, VEC4: 4 };

class GlbReader {
  constructor(readonly source: string, readonly gltf: Json, readonly bin: Uint8Array | undefined) {}

  bad(message: string): PhotoAvatarError {
    return new PhotoAvatarError('CORRUPT_INPUT_FILE', `GLB ${this.source}: ${message}`);
  }

  list(key: string): Json[] {
    const value = this.gltf[key];
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every(isRecord)) throw this.bad(`"${key}" is not a list of objects`);
    return value;
  }

  item(key: string, index: unknown, what: string): Json {
    const items = this.list(key);
    if (!isIndex(index) || index >= items.length) throw this.bad(`${what} refers to ${key}[${String(index)}], which does not exist`);
    return items[index];
  }

  /** Bytes of a buffer view (only the GLB's own BIN chunk is supported: no external files). */
  view(index: unknown, what: string): { bytes: Uint8Array; stride: number } {
    const view = this.item('bufferViews', index, what);
    const buffer = view.buffer ?? 0;
    if (buffer !== 0) throw this.bad(`${what} uses buffer ${String(buffer)}; only the GLB's embedded buffer is supported`);
    const buffers = this.list('buffers');
    if (buffers.length === 0 || buffers[0].uri !== undefined || !this.bin) throw this.bad(`${what} needs the embedded BIN chunk, which is missing`);
    const offset = view.byteOffset ?? 0, length = view.byteLength, stride = view.byteStride ?? 0;
    if (!isIndex(offset) || !isIndex(length) || !isIndex(stride)) throw this.bad(`bufferViews[${String(index)}] has a bad offset, length or stride`);
    if (offset + length > this.bin.length) throw this.bad(`bufferViews[${String(index)}] (bytes ${offset}..${offset + length}) runs past the ${this.bin.length}-byte BIN chunk`);
    return { bytes: this.bin.subarray(offset, offset + length), stride };
  }

  /** Reads elements of packed `size`-byte components at `count` positions from a view; returns doubles. */
  private readElements(
    index: unknown, byteOffset: unknown, componentType: number, components: number, count: number, normalized: boolean, what: string,
  ): Float64Array {
    const { bytes, stride } = this.view(index, what);
    const size = COMPONENT_BYTES[componentType];
    if (!size) throw this.bad(`${what} has unsupported componentType ${componentType}`);
    if (!isIndex(byteOffset)) throw this.bad(`${what} has a bad byteOffset`);
    const elementBytes = size * components;
    const step = stride || elementBytes;
    if (stride && stride < elementBytes) throw this.bad(`${what} byteStride ${stride} is smaller than an element (${elementBytes} bytes)`);
    if (count > 0 && byteOffset + (count - 1) * step + elementBytes > bytes.length) throw this.bad(`${what} (${count} elements) runs past its buffer view`);
    const data = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const out = new Float64Array(count * components);
    for (let i = 0; i < count; i++) {
      for (let k = 0; k < components; k++) {
        const at = byteOffset + i * step + k * size;
        let value: number;
        switch (componentType) {
          case 5126: value = data.getFloat32(at, true); break;
          case 5125: value = data.getUint32(at, true); break;
          case 5123: value = data.getUint16(at, true); if (normalized) value /= 65535; break;
          case 5122: value = data.getInt16(at, true); if (normalized) value = Math.max(value / 32767, -1); break;
          case 5121: value = data.getUint8(at); if (normalized) value /= 255; break;
          default: value = data.getInt8(at); if (normalized) value = Math.max(value / 127, -1); break;
        }
        out[i * components + k] = value;
      }
    }
    return out;
  }

  /** Accessor values as doubles (count x components), sparse substitution applied. */
  accessor(index: unknown, what: string, expectType?: string): { values: Float64Array; count: number; components: number } {
    const accessor = this.item('accessors', index, what);
    const type = accessor.type;
    if (typeof type !== 'string' || !(type in TYPE_SIZE)) throw this.bad(`${what} accessor has unsupported type ${String(type)}`);
    if (expectType && type !== expectType) throw this.bad(`${what} accessor is ${type}, expected ${expectType}`);
    const components = TYPE_SIZE[type];
    const count = accessor.count;
    const componentType = accessor.componentType;
    if (!isIndex(count) || count === 0 || count > MAX_ELEMENTS * (type === 'SCALAR' ? 8 : 1)) throw this.bad(`${what} accessor has a bad count ${String(count)}`);
    if (typeof componentType !== 'number' || !COMPONENT_BYTES[componentType]) throw this.bad(`${what} accessor has unsupported componentType ${String(componentType)}`);
    const normalized = accessor.normalized === true;
    const values = accessor.bufferView === undefined
      ? new Float64Array(count * components)
      : this.readElements(accessor.bufferView, accessor.byteOffset ?? 0, componentType, components, count, normalized, what);
    const sparse = accessor.sparse;
    if (sparse !== undefined) {
      if (!isRecord(sparse) || !isIndex(sparse.count) || sparse.count > count || !isRecord(sparse.indices) || !isRecord(sparse.values)) throw this.bad(`${what} has a malformed sparse block`);
      const n = sparse.count;
      const indexType = sparse.indices.componentType;
      if (indexType !== 5121 && indexType !== 5123 && indexType !== 5125) throw this.bad(`${what} sparse indices have componentType ${String(indexType)}`);
      const at = this.readElements(sparse.indices.bufferView, sparse.indices.byteOffset ?? 0, indexType, 1, n, false, `${what} sparse indices`);
      const replacement = this.readElements(sparse.values.bufferView, sparse.values.byteOffset ?? 0, componentType, components, n, normalized, `${what} sparse values`);
      for (let i = 0; i < n; i++) {
        const target = at[i];
        if (target >= count) throw this.bad(`${what} sparse index ${target} is not below the count ${count}`);
        for (let k = 0; k < components; k++) values[target * components + k] = replacement[i * components + k];
      }
    }
    return { values, count, components };
  }
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Splits a GLB container into its JSON and BIN chunks. */
export function parseGlbContainer(bytes: Uint8Array, source = 'input'): { gltf: Json; bin: Uint8Array | undefined } {
  const bad = (message: string) => new PhotoAvatarError('CORRUPT_INPUT_FILE', `GLB ${source}: ${message}`);
  if (bytes.length < 20) throw bad(`${bytes.length} bytes is too short for a GLB`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== GLB_MAGIC) throw bad('not a binary glTF (the file does not start with "glTF")');
  if (view.getUint32(4, true) !== 2) throw bad(`glTF container version ${view.getUint32(4, true)} is not 2`);
  const total = Math.min(view.getUint32(8, true), bytes.length);
  let gltf: Json | undefined;
  let bin: Uint8Array | undefined;
  for (let at = 12; at + 8 <= total;) {
    const length = view.getUint32(at, true);
    const type = view.getUint32(at + 4, true);
    const start = at + 8;
    if (start + length > total) throw bad(`a chunk of ${length} bytes at ${at} runs past the end of the file`);
    if (type === CHUNK_JSON && !gltf) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(start, start + length)));
      } catch (error) {
        throw bad(`the JSON chunk is not valid JSON (${(error as Error).message})`);
      }
      if (!isRecord(parsed)) throw bad('the JSON chunk is not an object');
      gltf = parsed;
    } else if (type === CHUNK_BIN && !bin) {
      bin = bytes.subarray(start, start + length);
    }
    at = start + length + ((4 - (length % 4)) % 4);
  }
  if (!gltf) throw bad('there is no JSON chunk');
  return { gltf, bin };
}

function chooseMesh(reader: GlbReader, meshName: string | undefined): Json {
  const meshes = reader.list('meshes');
  if (meshes.length === 0) throw reader.bad('there are no meshes');
  if (meshName !== undefined) {
    const found = meshes.find((m) => m.name === meshName);
    if (!found) throw reader.bad(`there is no mesh named "${meshName}" (meshes: ${meshes.map((m) => String(m.name ?? '?')).join(', ')})`);
    return found;
  }
  const score = (mesh: Json): [number, number] => {
    const primitives = Array.isArray(mesh.primitives) ? mesh.primitives.filter(isRecord) : [];
    const targets = Math.max(0, ...primitives.map((p) => (Array.isArray(p.targets) ? p.targets.length : 0)));
    const vertices = primitives.reduce((sum, p) => {
      const position = isRecord(p.attributes) ? p.attributes.POSITION : undefined;
      const accessor = isIndex(position) ? reader.list('accessors')[position] : undefined;
      return sum + (accessor && isIndex(accessor.count) ? accessor.count : 0);
    }, 0);
    return [targets, vertices];
  };
  return meshes.reduce((best, mesh) => {
    const [t, v] = score(mesh), [bt, bv] = score(best);
    return t > bt || (t === bt && v > bv) ? mesh : best;
  });
}

/** Vertex -> lowest vertex with bit-identical position (glTF splits vertices at UV seams). */
function weldByPosition(positions: Float32Array): Uint32Array {
  const n = positions.length / 3;
  const weld = new Uint32Array(n);
  const first = new Map<string, number>();
  for (let v = 0; v < n; v++) {
    const key = `${positions[3 * v]},${positions[3 * v + 1]},${positions[3 * v + 2]}`;
    const seen = first.get(key);
    if (seen === undefined) { first.set(key, v); weld[v] = v; } else weld[v] = seen;
  }
  return weld;
}

function landmarksFrom(value: unknown): number[] | undefined {
  return Array.isArray(value) ? (value as number[]) : undefined;
}

export function importGlb(bytes: Uint8Array, options: GlbImportOptions = {}): HeadModel {
  const source = options.source ?? 'input';
  const { gltf, bin } = parseGlbContainer(bytes, source);
  const reader = new GlbReader(source, gltf, bin);
  const mesh = chooseMesh(reader, options.meshName);
  const meshLabel = `mesh "${String(mesh.name ?? '?')}"`;
  const primitives = (Array.isArray(mesh.primitives) ? mesh.primitives : []).filter(isRecord)
    .filter((p) => (p.mode ?? TRIANGLES) === TRIANGLES);
  if (primitives.length === 0) throw reader.bad(`${meshLabel} has no triangle primitives`);
  const targetCount = Array.isArray(primitives[0].targets) ? primitives[0].targets.length : 0;
  if (primitives.some((p) => (Array.isArray(p.targets) ? p.targets.length : 0) !== targetCount)) {
    throw reader.bad(`the primitives of ${meshLabel} have different numbers of morph targets`);
  }

  // Merge the primitives: vertices in order, indices offset.
  const positionParts: Float64Array[] = [], uvParts: Float64Array[] = [], indexParts: Uint32Array[] = [];
  const deltaParts: Float64Array[][] = Array.from({ length: targetCount }, () => []);
  let vertexCount = 0;
  let hasUv = false;
  primitives.forEach((p, pi) => {
    const where = `${meshLabel} primitive ${pi}`;
    if (!isRecord(p.attributes)) throw reader.bad(`${where} has no attributes`);
    const position = reader.accessor(p.attributes.POSITION, `${where} POSITION`, 'VEC3');
    const count = position.count;
    positionParts.push(position.values);
    if (p.attributes.TEXCOORD_0 !== undefined) {
      const uv = reader.accessor(p.attributes.TEXCOORD_0, `${where} TEXCOORD_0`, 'VEC2');
      if (uv.count !== count) throw reader.bad(`${where} TEXCOORD_0 has ${uv.count} entries for ${count} vertices`);
      uvParts.push(uv.values);
      hasUv = true;
    } else {
      uvParts.push(new Float64Array(count * 2));
    }
    let indices: Uint32Array;
    if (p.indices === undefined) {
      indices = Uint32Array.from({ length: count - (count % 3) }, (_, i) => i);
    } else {
      const raw = reader.accessor(p.indices, `${where} indices`, 'SCALAR');
      indices = new Uint32Array(raw.count - (raw.count % 3));
      for (let i = 0; i < indices.length; i++) {
        if (raw.values[i] >= count) throw reader.bad(`${where} index ${raw.values[i]} is not below its ${count} vertices`);
        indices[i] = raw.values[i] + vertexCount;
      }
    }
    indexParts.push(indices);
    const targets: unknown[] = Array.isArray(p.targets) ? p.targets : [];
    targets.forEach((t, ti) => {
      if (!isRecord(t) || t.POSITION === undefined) {
        deltaParts[ti].push(new Float64Array(count * 3));
        return;
      }
      const delta = reader.accessor(t.POSITION, `${where} target ${ti} POSITION`, 'VEC3');
      if (delta.count !== count) throw reader.bad(`${where} target ${ti} has ${delta.count} deltas for ${count} vertices`);
      deltaParts[ti].push(delta.values);
    });
    vertexCount += count;
  });
  const concat = (parts: Float64Array[], length: number, scale = 1): Float32Array => {
    const out = new Float32Array(length);
    let at = 0;
    for (const part of parts) { for (let i = 0; i < part.length; i++) out[at + i] = part[i] * scale; at += part.length; }
    return out;
  };
  const n = vertexCount;
  const rawPositions = concat(positionParts, n * 3);
  const indices = new Uint32Array(indexParts.reduce((s, p) => s + p.length, 0));
  indexParts.reduce((at, part) => { indices.set(part, at); return at + part.length; }, 0);
  if (indices.length === 0) throw reader.bad(`${meshLabel} has no triangles`);

  const landmarkList = options.landmarks68 !== undefined ? Array.from(options.landmarks68)
    : landmarksFrom(isRecord(mesh.extras) ? mesh.extras.landmarks68 : undefined)
      ?? landmarksFrom(isRecord(gltf.extras) ? gltf.extras.landmarks68 : undefined);
  if (!landmarkList) {
    throw new PhotoAvatarError('CORRUPT_INPUT_FILE',
      `GLB ${source}: no iBUG-68 landmarks for ${meshLabel}. Give 68 vertex indices as mesh.extras.landmarks68 or extras.landmarks68 in the GLB, or in a sidecar ${source.replace(/\.glb$/i, '')}.landmarks68.json.`);
  }
  if (landmarkList.length !== 68 || !landmarkList.every((v) => Number.isInteger(v) && v >= 0 && v < n)) {
    throw new PhotoAvatarError('CORRUPT_INPUT_FILE', `GLB ${source}: landmarks68 must be 68 vertex indices below ${n} (the merged vertex count of ${meshLabel}).`);
  }
  const landmarks68 = Uint32Array.from(landmarkList);
  const p = rawPositions;
  const a = landmarks68[36] * 3, b = landmarks68[45] * 3;
  const eye = Math.hypot(p[a] - p[b], p[a + 1] - p[b + 1], p[a + 2] - p[b + 2]);
  const scale = options.scale ?? guessUnitScale(eye || 1);
  const positions = scale === 1 ? rawPositions : concat(positionParts, n * 3, scale);

  const uvs = concat(uvParts, n * 2);
  for (let i = 1; i < uvs.length; i += 2) uvs[i] = 1 - uvs[i]; // glTF v runs down
  const expressionBasis = new Float32Array(targetCount * n * 3);
  deltaParts.forEach((parts, t) => expressionBasis.set(concat(parts, n * 3, scale), t * n * 3));
  const extras = isRecord(mesh.extras) ? mesh.extras : {};
  const names = Array.isArray(extras.targetNames) && extras.targetNames.length === targetCount && extras.targetNames.every((s) => typeof s === 'string')
    ? (extras.targetNames as string[])
    : Array.from({ length: targetCount }, (_, t) => `target${String(t).padStart(2, '0')}`);
  if (new Set(names).size !== names.length) throw reader.bad(`${meshLabel} has duplicate morph-target names`);
  for (let i = 0; i < positions.length; i++) if (!Number.isFinite(positions[i])) throw reader.bad(`${meshLabel} has a non-finite position`);
  for (let i = 0; i < expressionBasis.length; i++) if (!Number.isFinite(expressionBasis[i])) throw reader.bad(`${meshLabel} has a non-finite morph-target delta`);
  const weldGroup = weldByPosition(positions);
  const facial = new Uint8Array(n).fill(1);
  return {
    id: options.id ?? 'glb',
    name: options.name ?? (typeof mesh.name === 'string' && mesh.name ? `Imported GLB head (${mesh.name})` : 'Imported GLB head'),
    licence: options.licence ?? 'unknown (supplied by the user)',
    provenance: `Imported from ${source}: ${meshLabel}, ${primitives.length} primitive(s), ${n} vertices${hasUv ? '' : ', no UVs'}, ${targetCount} morph targets, unit scale ${scale}.`,
    vertexCount: n,
    positions,
    uvs,
    indices,
    weldGroup,
    identityCount: 0,
    identityBasis: new Float32Array(0),
    identityStd: new Float32Array(0),
    expressionNames: [...names],
    expressionBasis,
    expressionStd: new Float32Array(targetCount).fill(0.5),
    landmarks68,
    jawContour: jawContourPath(positions, indices, weldGroup, landmarks68.subarray(0, 17)),
    mirrorVertex: mirrorVertices(positions, hasUv ? uvs : undefined),
    skinWeight: faceSkinWeights(positions, landmarks68, facial),
    parts: [],
  };
}
