/**
 * The model-pack file (".pavpack"): one HeadModel in a single binary file that browsers can fetch
 * lazily with HTTP Range requests.
 *
 * Layout (all integers little-endian):
 *   0   8 bytes  magic "PAVPACK\0"
 *   8   u32      container version (PACK_FORMAT_VERSION)
 *   12  u32      header length H in bytes (JSON text, padded with spaces)
 *   16  H bytes  UTF-8 JSON header (PackHeader): model id/name/licence/provenance, counts,
 *                expression names, parts, and the section table
 *   ... sections, each starting on a 16-byte boundary; a section-table entry gives its name,
 *                dtype (f32/f16/u32/u16/u8), shape, absolute byte offset, byte length and CRC-32.
 *
 * Readers trust nothing: every header field is checked against the file and against the other
 * fields before a single element is read, so a damaged or hostile file ends in a PhotoAvatarError
 * (CORRUPT_MODEL_PACK / UNSUPPORTED_MODEL_PACK), never an out-of-bounds read.
 */
import { PhotoAvatarError } from '../errors.js';
import type { HeadModel, SubMesh } from './head-model.js';
import { crc32 } from '../math/crc32.js';
import { decodeHalfArray, encodeHalfArray } from '../math/half.js';
import { runSteps, type Steps } from '../steps.js';

export const PACK_MAGIC = 'PAVPACK\0';
export const PACK_FORMAT_VERSION = 1;
/** Magic + version + header length. */
export const PACK_PREAMBLE_BYTES = 16;
const ALIGN = 16;
/** A header bigger than this is not a header (guards the lazy loader's first fetch too). */
const MAX_HEADER_BYTES = 64 * 1024 * 1024;

export type SectionDType = 'f32' | 'f16' | 'u32' | 'u16' | 'u8';

const DTYPE_BYTES: Record<SectionDType, number> = { f32: 4, f16: 2, u32: 4, u16: 2, u8: 1 };

export interface PackSection {
  name: string;
  dtype: SectionDType;
  shape: number[];
  /** Absolute offset of the first byte in the file, a multiple of 16. */
  offset: number;
  byteLength: number;
  crc32: number;
}

export interface PackPartInfo {
  name: string;
  material: SubMesh['material'];
  vertexCount: number;
  triangleCount: number;
  /** Optional (added after version 1 shipped; older readers ignore it): names of the part's morphs, section "parts.<p>.morphs". */
  morphs?: string[];
  /** Optional (added after version 1 shipped): the part is glued to the skin, sections "parts.<p>.attachment.vertices" and ".weights" ([vertexCount, 3]). */
  attached?: boolean;
  /** Optional (added after version 1 shipped): side of the part's strand texture, section "parts.<p>.texture" (u8 [size, size, 2]). */
  textureSize?: number;
  /** Optional (added after version 1 shipped): the part has per-vertex albedo, section "parts.<p>.vertexColours" (f32 [vertexCount, 3], linear RGB). */
  coloured?: boolean;
}

export interface PackHeader {
  formatVersion: number;
  generator: string;
  model: { id: string; name: string; licence: string; provenance: string };
  counts: {
    vertexCount: number;
    triangleCount: number;
    identityCount: number;
    expressionCount: number;
    jawContourCount: number;
    hasLandmarks468: boolean;
  };
  /** Precision of the basis sections. */
  basisPrecision: 'fp32' | 'fp16';
  /** Identity modes in the source before truncation (equal to counts.identityCount when none). */
  sourceIdentityCount: number;
  expressionNames: string[];
  parts: PackPartInfo[];
  sections: PackSection[];
  /**
   * Optional (added after version 1 shipped; older readers ignore it): rows and method of the
   * ARKit retarget map stored in section "arkitRetarget" (f32, rows x expressionCount).
   */
  arkitRetarget?: { names: string[]; method: RetargetMethod };
  /**
   * Optional (added after version 1 shipped; older readers ignore it): total vertex count of the 17
   * jaw march lines stored in sections "jawMarchLines.offsets" (18 entries) and "jawMarchLines.vertices".
   */
  jawMarchLines?: { vertexCount: number };
  /** Optional (added after version 1 shipped; older readers ignore it): byte length of the UV albedo model (.uvapm bytes) in section "albedoModel" (u8). */
  albedoModel?: { byteLength: number };
}

const PART_MATERIALS: readonly SubMesh['material'][] = ['eye', 'skin', 'teeth', 'lashes', 'brows'];
const RETARGET_METHODS: readonly RetargetMethod[] = ['names', 'vertices', 'landmarks', 'none'];
type RetargetMethod = NonNullable<HeadModel['arkitRetarget']>['method'];

export interface WritePackOptions {
  /** 'fp16' stores the identity and expression bases as IEEE half floats (about half the size). */
  precision?: 'fp32' | 'fp16';
  /** Keep only the first K identity modes (PCA modes are ordered by variance). */
  identityModes?: number;
}

type SectionArray = Float32Array | Uint32Array | Uint16Array | Uint8Array;

function corrupt(message: string): PhotoAvatarError {
  return new PhotoAvatarError('CORRUPT_MODEL_PACK', `Corrupt model pack: ${message}`);
}

/** A plain Uint8Array view (Node Buffer's slice() shares memory, which the decoders must not see). */
function plainBytes(bytes: Uint8Array): Uint8Array {
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

// ---------------------------------------------------------------------------------------------
// Writing

interface PendingSection {
  name: string;
  dtype: SectionDType;
  shape: number[];
  bytes: Uint8Array;
}

function bytesOf(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function indexSection(name: string, values: Uint32Array, shape: number[], maxIndex: number): PendingSection {
  if (maxIndex <= 0xffff) return { name, dtype: 'u16', shape, bytes: bytesOf(Uint16Array.from(values)) };
  return { name, dtype: 'u32', shape, bytes: bytesOf(values) };
}

function invalid(message: string): PhotoAvatarError {
  return new PhotoAvatarError('INVALID_ARGUMENT', `Cannot write model pack: ${message}`);
}

function checkLength(field: string, actual: number, expected: number): void {
  if (actual !== expected) throw invalid(`${field} has ${actual} values, expected ${expected}`);
}

function checkIndices(field: string, values: Uint32Array, limit: number): void {
  for (let i = 0; i < values.length; i++) {
    if (values[i] >= limit) throw invalid(`${field}[${i}] = ${values[i]} is not below ${limit}`);
  }
}

function checkFinite(field: string, values: Float32Array): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw invalid(`${field}[${i}] is not a finite number`);
  }
}

/** Checks a HeadModel's internal consistency (the same rules the reader applies). */
function validateModelForWrite(model: HeadModel): void {
  const n = model.vertexCount;
  if (!Number.isInteger(n) || n <= 0) throw invalid(`vertexCount ${n} is not a positive integer`);
  checkLength('positions', model.positions.length, n * 3);
  checkLength('uvs', model.uvs.length, n * 2);
  if (model.indices.length % 3 !== 0) throw invalid(`indices length ${model.indices.length} is not a multiple of 3`);
  checkLength('weldGroup', model.weldGroup.length, n);
  checkLength('identityBasis', model.identityBasis.length, model.identityCount * n * 3);
  checkLength('identityStd', model.identityStd.length, model.identityCount);
  const e = model.expressionNames.length;
  checkLength('expressionBasis', model.expressionBasis.length, e * n * 3);
  checkLength('expressionStd', model.expressionStd.length, e);
  checkLength('landmarks68', model.landmarks68.length, 68);
  if (model.landmarks468) checkLength('landmarks468', model.landmarks468.length, 468);
  checkLength('mirrorVertex', model.mirrorVertex.length, n);
  checkLength('skinWeight', model.skinWeight.length, n);
  checkIndices('indices', model.indices, n);
  checkIndices('weldGroup', model.weldGroup, n);
  checkIndices('landmarks68', model.landmarks68, n);
  checkIndices('jawContour', model.jawContour, n);
  if (model.landmarks468) checkIndices('landmarks468', model.landmarks468, n);
  checkIndices('mirrorVertex', model.mirrorVertex, n);
  if (model.jawMarchLines) {
    const { offsets, vertices } = model.jawMarchLines;
    const problem = marchLineProblem(offsets, vertices.length);
    if (problem) throw invalid(`jawMarchLines: ${problem}`);
    checkIndices('jawMarchLines.vertices', vertices, n);
  }
  checkFinite('positions', model.positions);
  checkFinite('uvs', model.uvs);
  checkFinite('identityBasis', model.identityBasis);
  checkFinite('expressionBasis', model.expressionBasis);
  checkFinite('identityStd', model.identityStd);
  checkFinite('expressionStd', model.expressionStd);
  checkFinite('skinWeight', model.skinWeight);
  if (model.arkitRetarget) {
    checkLength('arkitRetarget.matrix', model.arkitRetarget.matrix.length, model.arkitRetarget.names.length * e);
    checkFinite('arkitRetarget.matrix', model.arkitRetarget.matrix);
    if (!RETARGET_METHODS.includes(model.arkitRetarget.method)) throw invalid(`arkitRetarget.method "${model.arkitRetarget.method}" is unknown`);
  }
  model.parts.forEach((part, p) => {
    const pv = part.positions.length / 3;
    if (!Number.isInteger(pv)) throw invalid(`part ${part.name} positions length is not a multiple of 3`);
    checkLength(`part ${part.name} uvs`, part.uvs.length, pv * 2);
    checkLength(`part ${part.name} pivot`, part.pivot.length, 3);
    if (part.indices.length % 3 !== 0) throw invalid(`part ${p} indices length is not a multiple of 3`);
    checkIndices(`part ${part.name} indices`, part.indices, pv);
    checkFinite(`part ${part.name} positions`, part.positions);
    checkFinite(`part ${part.name} uvs`, part.uvs);
    checkFinite(`part ${part.name} pivot`, part.pivot);
    if (part.morphs) {
      checkLength(`part ${part.name} morphs`, part.morphs.displacements.length, part.morphs.names.length * pv * 3);
      checkFinite(`part ${part.name} morphs`, part.morphs.displacements);
    }
    if (part.attachment) {
      checkLength(`part ${part.name} attachment.vertices`, part.attachment.vertices.length, pv * 3);
      checkLength(`part ${part.name} attachment.weights`, part.attachment.weights.length, pv * 3);
      checkIndices(`part ${part.name} attachment.vertices`, part.attachment.vertices, n);
      checkFinite(`part ${part.name} attachment.weights`, part.attachment.weights);
    }
    if (part.texture) checkLength(`part ${part.name} texture`, part.texture.luminanceAlpha.length, part.texture.size * part.texture.size * 2);
    if (part.vertexColours) {
      checkLength(`part ${part.name} vertexColours`, part.vertexColours.length, pv * 3);
      checkFinite(`part ${part.name} vertexColours`, part.vertexColours);
    }
  });
}

/** Serialises a HeadModel. In fp32 every field reads back bit-exact. */
export function writePack(model: HeadModel, options: WritePackOptions = {}): Uint8Array {
  validateModelForWrite(model);
  const precision = options.precision ?? 'fp32';
  if (precision !== 'fp32' && precision !== 'fp16') throw invalid(`unknown precision ${String(precision)}`);
  const n = model.vertexCount;
  const n3 = n * 3;
  let identityCount = model.identityCount;
  if (options.identityModes !== undefined) {
    const k = options.identityModes;
    if (!Number.isInteger(k) || k < 0) throw invalid(`identityModes must be a non-negative integer, got ${k}`);
    identityCount = Math.min(k, model.identityCount);
  }
  const identityBasis = model.identityBasis.subarray(0, identityCount * n3);
  const expressionCount = model.expressionNames.length;

  const basis = (name: string, values: Float32Array, modes: number): PendingSection =>
    precision === 'fp16'
      ? { name, dtype: 'f16', shape: [modes, n3], bytes: bytesOf(encodeHalfArray(values)) }
      : { name, dtype: 'f32', shape: [modes, n3], bytes: bytesOf(values) };
  const f32 = (name: string, values: Float32Array, shape: number[]): PendingSection =>
    ({ name, dtype: 'f32', shape, bytes: bytesOf(values) });

  const pending: PendingSection[] = [
    f32('positions', model.positions, [n, 3]),
    f32('uvs', model.uvs, [n, 2]),
    indexSection('indices', model.indices, [model.indices.length / 3, 3], n - 1),
    indexSection('weldGroup', model.weldGroup, [n], n - 1),
    basis('identityBasis', identityBasis, identityCount),
    f32('identityStd', model.identityStd.subarray(0, identityCount), [identityCount]),
    basis('expressionBasis', model.expressionBasis, expressionCount),
    f32('expressionStd', model.expressionStd, [expressionCount]),
    indexSection('landmarks68', model.landmarks68, [68], n - 1),
    indexSection('jawContour', model.jawContour, [model.jawContour.length], n - 1),
    indexSection('mirrorVertex', model.mirrorVertex, [n], n - 1),
    f32('skinWeight', model.skinWeight, [n]),
  ];
  if (model.landmarks468) pending.push(indexSection('landmarks468', model.landmarks468, [468], n - 1));
  if (model.arkitRetarget) pending.push(f32('arkitRetarget', model.arkitRetarget.matrix, [model.arkitRetarget.names.length, expressionCount]));
  if (model.jawMarchLines) {
    const { offsets, vertices } = model.jawMarchLines;
    pending.push(
      { name: 'jawMarchLines.offsets', dtype: 'u32', shape: [JAW_MARCH_LINES + 1], bytes: bytesOf(offsets) },
      indexSection('jawMarchLines.vertices', vertices, [vertices.length], n - 1),
    );
  }
  if (model.albedoModel) pending.push({ name: 'albedoModel', dtype: 'u8', shape: [model.albedoModel.length], bytes: model.albedoModel });
  model.parts.forEach((part, p) => {
    const pv = part.positions.length / 3;
    pending.push(
      f32(`parts.${p}.positions`, part.positions, [pv, 3]),
      f32(`parts.${p}.uvs`, part.uvs, [pv, 2]),
      indexSection(`parts.${p}.indices`, part.indices, [part.indices.length / 3, 3], pv - 1),
      f32(`parts.${p}.pivot`, part.pivot, [3]),
    );
    if (part.morphs) pending.push(f32(`parts.${p}.morphs`, part.morphs.displacements, [part.morphs.names.length, pv * 3]));
    if (part.attachment) {
      pending.push(
        indexSection(`parts.${p}.attachment.vertices`, part.attachment.vertices, [pv, 3], n - 1),
        f32(`parts.${p}.attachment.weights`, part.attachment.weights, [pv, 3]),
      );
    }
    if (part.texture) pending.push({ name: `parts.${p}.texture`, dtype: 'u8', shape: [part.texture.size, part.texture.size, 2], bytes: part.texture.luminanceAlpha });
    if (part.vertexColours) pending.push(f32(`parts.${p}.vertexColours`, part.vertexColours, [pv, 3]));
  });

  const header: PackHeader = {
    formatVersion: PACK_FORMAT_VERSION,
    generator: 'babylon-photo-avatar',
    model: { id: model.id, name: model.name, licence: model.licence, provenance: model.provenance },
    counts: {
      vertexCount: n,
      triangleCount: model.indices.length / 3,
      identityCount,
      expressionCount,
      jawContourCount: model.jawContour.length,
      hasLandmarks468: model.landmarks468 !== undefined,
    },
    basisPrecision: precision,
    sourceIdentityCount: model.identityCount,
    expressionNames: [...model.expressionNames],
    parts: model.parts.map((part) => ({
      name: part.name,
      material: part.material,
      vertexCount: part.positions.length / 3,
      triangleCount: part.indices.length / 3,
      ...(part.morphs ? { morphs: [...part.morphs.names] } : {}),
      ...(part.attachment ? { attached: true } : {}),
      ...(part.texture ? { textureSize: part.texture.size } : {}),
      ...(part.vertexColours ? { coloured: true } : {}),
    })),
    sections: [],
  };
  if (model.arkitRetarget) header.arkitRetarget = { names: [...model.arkitRetarget.names], method: model.arkitRetarget.method };
  if (model.jawMarchLines) header.jawMarchLines = { vertexCount: model.jawMarchLines.vertices.length };
  if (model.albedoModel) header.albedoModel = { byteLength: model.albedoModel.length };

  // Offsets depend on the header's length, which depends on the offsets' digits: grow the data
  // start until the JSON fits, then pad the JSON with spaces up to it.
  const encoder = new TextEncoder();
  let dataStart = align(PACK_PREAMBLE_BYTES + 1024);
  let json: Uint8Array;
  for (;;) {
    let cursor = dataStart;
    header.sections = pending.map((s) => {
      const section: PackSection = {
        name: s.name, dtype: s.dtype, shape: s.shape, offset: cursor, byteLength: s.bytes.length, crc32: crc32(s.bytes),
      };
      cursor = align(cursor + s.bytes.length);
      return section;
    });
    json = encoder.encode(JSON.stringify(header));
    const needed = align(PACK_PREAMBLE_BYTES + json.length);
    if (needed <= dataStart) break;
    dataStart = needed;
  }
  const last = header.sections[header.sections.length - 1];
  const total = last.offset + last.byteLength;
  const out = new Uint8Array(total);
  for (let i = 0; i < 8; i++) out[i] = PACK_MAGIC.charCodeAt(i);
  const view = new DataView(out.buffer);
  view.setUint32(8, PACK_FORMAT_VERSION, true);
  view.setUint32(12, dataStart - PACK_PREAMBLE_BYTES, true);
  out.set(json, PACK_PREAMBLE_BYTES);
  out.fill(0x20, PACK_PREAMBLE_BYTES + json.length, dataStart);
  pending.forEach((s, i) => out.set(s.bytes, header.sections[i].offset));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Reading: header

/** Parses the 16-byte preamble; returns the header length. */
function parsePreamble(bytes: Uint8Array): number {
  if (bytes.length < PACK_PREAMBLE_BYTES) throw corrupt(`file is ${bytes.length} bytes, too short for the ${PACK_PREAMBLE_BYTES}-byte preamble`);
  for (let i = 0; i < 8; i++) {
    if (bytes[i] !== PACK_MAGIC.charCodeAt(i)) {
      throw new PhotoAvatarError('UNSUPPORTED_MODEL_PACK', 'Not a model pack: the file does not start with the magic "PAVPACK\\0".');
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, PACK_PREAMBLE_BYTES);
  const version = view.getUint32(8, true);
  if (version !== PACK_FORMAT_VERSION) {
    throw new PhotoAvatarError('UNSUPPORTED_MODEL_PACK', `Model pack container version ${version} is not supported (this reader supports ${PACK_FORMAT_VERSION}).`);
  }
  const headerLength = view.getUint32(12, true);
  if (headerLength === 0 || headerLength > MAX_HEADER_BYTES) throw corrupt(`header length ${headerLength} is out of range`);
  return headerLength;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field<T>(obj: Record<string, unknown>, key: string, where: string, check: (v: unknown) => v is T, what: string): T {
  const value = obj[key];
  if (!check(value)) throw corrupt(`header field ${where}.${key} is missing or not ${what}`);
  return value;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isObject = isRecord;
const isArray = (v: unknown): v is unknown[] => Array.isArray(v);

function parseHeaderJson(text: Uint8Array): PackHeader {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(text));
  } catch (error) {
    throw corrupt(`header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (!isRecord(raw)) throw corrupt('header is not a JSON object');
  const formatVersion = field(raw, 'formatVersion', 'header', isCount, 'an integer');
  if (formatVersion !== PACK_FORMAT_VERSION) {
    throw new PhotoAvatarError('UNSUPPORTED_MODEL_PACK', `Model pack header version ${formatVersion} is not supported (this reader supports ${PACK_FORMAT_VERSION}).`);
  }
  const model = field(raw, 'model', 'header', isObject, 'an object');
  const counts = field(raw, 'counts', 'header', isObject, 'an object');
  const basisPrecision = field(raw, 'basisPrecision', 'header', isString, 'a string');
  if (basisPrecision !== 'fp32' && basisPrecision !== 'fp16') throw corrupt(`header.basisPrecision "${basisPrecision}" is unknown`);
  const expressionNames = field(raw, 'expressionNames', 'header', isArray, 'an array');
  expressionNames.forEach((name, i) => { if (!isString(name)) throw corrupt(`header.expressionNames[${i}] is not a string`); });
  const parts = field(raw, 'parts', 'header', isArray, 'an array').map((part, i): PackPartInfo => {
    if (!isRecord(part)) throw corrupt(`header.parts[${i}] is not an object`);
    const material = field(part, 'material', `parts[${i}]`, isString, 'a string');
    if (!PART_MATERIALS.includes(material as SubMesh['material'])) throw corrupt(`header.parts[${i}].material "${material}" is unknown`);
    return {
      name: field(part, 'name', `parts[${i}]`, isString, 'a string'),
      material: material as SubMesh['material'],
      vertexCount: field(part, 'vertexCount', `parts[${i}]`, isCount, 'a count'),
      triangleCount: field(part, 'triangleCount', `parts[${i}]`, isCount, 'a count'),
      ...(part.morphs === undefined ? {} : { morphs: stringList(part.morphs, `parts[${i}].morphs`) }),
      ...(part.attached === undefined ? {} : { attached: field(part, 'attached', `parts[${i}]`, isBool, 'a boolean') }),
      ...(part.textureSize === undefined ? {} : { textureSize: field(part, 'textureSize', `parts[${i}]`, isCount, 'a count') }),
      ...(part.coloured === undefined ? {} : { coloured: field(part, 'coloured', `parts[${i}]`, isBool, 'a boolean') }),
    };
  });
  const names = new Set<string>();
  const sections = field(raw, 'sections', 'header', isArray, 'an array').map((s, i): PackSection => {
    if (!isRecord(s)) throw corrupt(`header.sections[${i}] is not an object`);
    const name = field(s, 'name', `sections[${i}]`, isString, 'a string');
    if (names.has(name)) throw corrupt(`section "${name}" appears twice`);
    names.add(name);
    const dtype = field(s, 'dtype', `sections[${i}]`, isString, 'a string');
    if (!(dtype in DTYPE_BYTES)) throw corrupt(`section "${name}" has unknown dtype "${dtype}"`);
    const shape = field(s, 'shape', `sections[${i}]`, isArray, 'an array');
    if (!shape.every(isCount)) throw corrupt(`section "${name}" shape is not a list of counts`);
    return {
      name,
      dtype: dtype as SectionDType,
      shape: shape as number[],
      offset: field(s, 'offset', `sections[${i}]`, isCount, 'a byte offset'),
      byteLength: field(s, 'byteLength', `sections[${i}]`, isCount, 'a byte length'),
      crc32: field(s, 'crc32', `sections[${i}]`, isCount, 'a CRC-32'),
    };
  });
  const vertexCount = field(counts, 'vertexCount', 'counts', isCount, 'a count');
  if (vertexCount === 0) throw corrupt('counts.vertexCount is 0');
  const header: PackHeader = {
    formatVersion,
    generator: typeof raw.generator === 'string' ? raw.generator : '',
    model: {
      id: field(model, 'id', 'model', isString, 'a string'),
      name: field(model, 'name', 'model', isString, 'a string'),
      licence: field(model, 'licence', 'model', isString, 'a string'),
      provenance: field(model, 'provenance', 'model', isString, 'a string'),
    },
    counts: {
      vertexCount,
      triangleCount: field(counts, 'triangleCount', 'counts', isCount, 'a count'),
      identityCount: field(counts, 'identityCount', 'counts', isCount, 'a count'),
      expressionCount: field(counts, 'expressionCount', 'counts', isCount, 'a count'),
      jawContourCount: field(counts, 'jawContourCount', 'counts', isCount, 'a count'),
      hasLandmarks468: field(counts, 'hasLandmarks468', 'counts', isBool, 'a boolean'),
    },
    basisPrecision,
    sourceIdentityCount: isCount(raw.sourceIdentityCount) ? raw.sourceIdentityCount : 0,
    expressionNames: expressionNames as string[],
    parts,
    sections,
  };
  if (raw.arkitRetarget !== undefined) header.arkitRetarget = parseRetargetHeader(raw.arkitRetarget);
  if (raw.jawMarchLines !== undefined) {
    if (!isRecord(raw.jawMarchLines)) throw corrupt('header.jawMarchLines is not an object');
    header.jawMarchLines = { vertexCount: field(raw.jawMarchLines, 'vertexCount', 'jawMarchLines', isCount, 'a count') };
  }
  if (raw.albedoModel !== undefined) {
    if (!isRecord(raw.albedoModel)) throw corrupt('header.albedoModel is not an object');
    header.albedoModel = { byteLength: field(raw.albedoModel, 'byteLength', 'albedoModel', isCount, 'a count') };
  }
  if (header.expressionNames.length !== header.counts.expressionCount) {
    throw corrupt(`counts.expressionCount is ${header.counts.expressionCount} but expressionNames has ${header.expressionNames.length} names`);
  }
  checkSectionTable(header);
  return header;
}

const JAW_MARCH_LINES = 17;

/** Offsets of the 17 jaw march lines must start at 0, never decrease and end at the vertex count. */
function marchLineProblem(offsets: ArrayLike<number>, vertexCount: number): string | null {
  if (offsets.length !== JAW_MARCH_LINES + 1) return `${offsets.length} offsets, expected ${JAW_MARCH_LINES + 1}`;
  if (offsets[0] !== 0) return `offsets start at ${offsets[0]}, not 0`;
  for (let i = 1; i <= JAW_MARCH_LINES; i++) {
    if (offsets[i] < offsets[i - 1]) return `offsets decrease at line ${i}`;
  }
  if (offsets[JAW_MARCH_LINES] !== vertexCount) return `offsets end at ${offsets[JAW_MARCH_LINES]}, but there are ${vertexCount} vertices`;
  return null;
}

function parseRetargetHeader(raw: unknown): NonNullable<PackHeader['arkitRetarget']> {
  if (!isRecord(raw)) throw corrupt('header.arkitRetarget is not an object');
  const names = field(raw, 'names', 'arkitRetarget', isArray, 'an array');
  names.forEach((name, i) => { if (!isString(name)) throw corrupt(`header.arkitRetarget.names[${i}] is not a string`); });
  const method = field(raw, 'method', 'arkitRetarget', isString, 'a string');
  if (!(RETARGET_METHODS as readonly string[]).includes(method)) throw corrupt(`header.arkitRetarget.method "${method}" is unknown`);
  return { names: names as string[], method: method as RetargetMethod };
}

interface ExpectedSection {
  name: string;
  dtypes: SectionDType[];
  shape: number[];
}

function expectedSections(header: PackHeader): ExpectedSection[] {
  const { vertexCount: n, triangleCount, identityCount, expressionCount, jawContourCount } = header.counts;
  const basis: SectionDType[] = header.basisPrecision === 'fp16' ? ['f16'] : ['f32'];
  const index: SectionDType[] = ['u32', 'u16'];
  const list: ExpectedSection[] = [
    { name: 'positions', dtypes: ['f32'], shape: [n, 3] },
    { name: 'uvs', dtypes: ['f32'], shape: [n, 2] },
    { name: 'indices', dtypes: index, shape: [triangleCount, 3] },
    { name: 'weldGroup', dtypes: index, shape: [n] },
    { name: 'identityBasis', dtypes: basis, shape: [identityCount, n * 3] },
    { name: 'identityStd', dtypes: ['f32'], shape: [identityCount] },
    { name: 'expressionBasis', dtypes: basis, shape: [expressionCount, n * 3] },
    { name: 'expressionStd', dtypes: ['f32'], shape: [expressionCount] },
    { name: 'landmarks68', dtypes: index, shape: [68] },
    { name: 'jawContour', dtypes: index, shape: [jawContourCount] },
    { name: 'mirrorVertex', dtypes: index, shape: [n] },
    { name: 'skinWeight', dtypes: ['f32'], shape: [n] },
  ];
  if (header.counts.hasLandmarks468) list.push({ name: 'landmarks468', dtypes: index, shape: [468] });
  if (header.arkitRetarget) list.push({ name: 'arkitRetarget', dtypes: ['f32'], shape: [header.arkitRetarget.names.length, expressionCount] });
  if (header.jawMarchLines) {
    list.push(
      { name: 'jawMarchLines.offsets', dtypes: ['u32'], shape: [JAW_MARCH_LINES + 1] },
      { name: 'jawMarchLines.vertices', dtypes: index, shape: [header.jawMarchLines.vertexCount] },
    );
  }
  if (header.albedoModel) list.push({ name: 'albedoModel', dtypes: ['u8'], shape: [header.albedoModel.byteLength] });
  header.parts.forEach((part, p) => {
    list.push(
      { name: `parts.${p}.positions`, dtypes: ['f32'], shape: [part.vertexCount, 3] },
      { name: `parts.${p}.uvs`, dtypes: ['f32'], shape: [part.vertexCount, 2] },
      { name: `parts.${p}.indices`, dtypes: index, shape: [part.triangleCount, 3] },
      { name: `parts.${p}.pivot`, dtypes: ['f32'], shape: [3] },
    );
    if (part.morphs) list.push({ name: `parts.${p}.morphs`, dtypes: ['f32'], shape: [part.morphs.length, part.vertexCount * 3] });
    if (part.attached) {
      list.push(
        { name: `parts.${p}.attachment.vertices`, dtypes: index, shape: [part.vertexCount, 3] },
        { name: `parts.${p}.attachment.weights`, dtypes: ['f32'], shape: [part.vertexCount, 3] },
      );
    }
    if (part.textureSize !== undefined) list.push({ name: `parts.${p}.texture`, dtypes: ['u8'], shape: [part.textureSize, part.textureSize, 2] });
    if (part.coloured) list.push({ name: `parts.${p}.vertexColours`, dtypes: ['f32'], shape: [part.vertexCount, 3] });
  });
  return list;
}

/** Shapes, dtypes and byte lengths agree with the counts; nothing is read yet. */
function checkSectionTable(header: PackHeader): void {
  for (const s of header.sections) {
    let elements = 1;
    for (const d of s.shape) elements *= d;
    if (!Number.isSafeInteger(elements) || elements * DTYPE_BYTES[s.dtype] !== s.byteLength) {
      throw corrupt(`section "${s.name}" byteLength ${s.byteLength} does not match dtype ${s.dtype} x shape [${s.shape.join(', ')}]`);
    }
    if (s.offset % ALIGN !== 0) throw corrupt(`section "${s.name}" offset ${s.offset} is not 16-byte aligned`);
  }
  const byName = new Map(header.sections.map((s) => [s.name, s]));
  for (const want of expectedSections(header)) {
    const s = byName.get(want.name);
    if (!s) throw corrupt(`section "${want.name}" is missing`);
    if (!want.dtypes.includes(s.dtype)) throw corrupt(`section "${want.name}" has dtype ${s.dtype}, expected ${want.dtypes.join(' or ')}`);
    if (s.shape.length !== want.shape.length || s.shape.some((d, i) => d !== want.shape[i])) {
      throw corrupt(`section "${want.name}" has shape [${s.shape.join(', ')}], expected [${want.shape.join(', ')}] from the header counts`);
    }
  }
}

/** Section byte ranges lie inside a file of `fileLength` bytes and after the header. */
function checkSectionBounds(header: PackHeader, dataStart: number, fileLength: number): void {
  for (const s of header.sections) {
    if (s.offset < dataStart || s.offset + s.byteLength > fileLength) {
      throw corrupt(`section "${s.name}" (bytes ${s.offset}..${s.offset + s.byteLength}) lies outside the data area ${dataStart}..${fileLength}`);
    }
  }
}

/** Reads and validates the header only (cheap: no section is decoded or checksummed). */
export function readPackHeader(input: Uint8Array): PackHeader {
  const bytes = plainBytes(input);
  const headerLength = parsePreamble(bytes);
  const dataStart = PACK_PREAMBLE_BYTES + headerLength;
  if (dataStart > bytes.length) throw corrupt(`header (${headerLength} bytes) runs past the end of the ${bytes.length}-byte file`);
  const header = parseHeaderJson(bytes.subarray(PACK_PREAMBLE_BYTES, dataStart));
  checkSectionBounds(header, dataStart, bytes.length);
  return header;
}

// ---------------------------------------------------------------------------------------------
// Reading: sections

/**
 * Decodes one section's bytes (exactly section.byteLength of them) after checking its CRC.
 * Aligned f32/u32/u16 data is viewed in place (zero copy); f16 is expanded to Float32Array.
 */
export function decodeSection(section: PackSection, input: Uint8Array, options: ReadPackOptions = {}): SectionArray {
  const raw = plainBytes(input);
  if (raw.length !== section.byteLength) throw corrupt(`section "${section.name}" has ${raw.length} bytes, expected ${section.byteLength}`);
  const actual = crc32(raw);
  if (actual !== section.crc32) {
    throw corrupt(`section "${section.name}" CRC-32 is ${actual.toString(16)}, the header says ${section.crc32.toString(16)}`);
  }
  const size = DTYPE_BYTES[section.dtype];
  const count = raw.length / size;
  const data = (raw.byteOffset % size === 0 && !(options.ownBuffers && section.dtype !== 'f16')) ? raw : raw.slice();
  switch (section.dtype) {
    case 'f32': return new Float32Array(data.buffer, data.byteOffset, count);
    case 'u32': return new Uint32Array(data.buffer, data.byteOffset, count);
    case 'u16': return new Uint16Array(data.buffer, data.byteOffset, count);
    case 'u8': return data;
    case 'f16': return decodeHalfArray(new Uint16Array(data.buffer, data.byteOffset, count));
  }
}

function asFloat(name: string, array: SectionArray): Float32Array {
  if (!(array instanceof Float32Array)) throw corrupt(`section "${name}" is not floating point`);
  return array;
}

function asIndices(name: string, array: SectionArray, limit: number): Uint32Array {
  const out = array instanceof Uint32Array ? array : Uint32Array.from(array);
  for (let i = 0; i < out.length; i++) {
    if (out[i] >= limit) throw corrupt(`section "${name}" entry ${i} is ${out[i]}, not below ${limit}`);
  }
  return out;
}

function requireFinite(name: string, values: Float32Array): Float32Array {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw corrupt(`section "${name}" entry ${i} is not a finite number`);
  }
  return values;
}

/** Builds a HeadModel from decoded sections, checking every index and value. */
export function assembleModel(header: PackHeader, sections: Map<string, SectionArray>): HeadModel {
  const get = (name: string): SectionArray => {
    const array = sections.get(name);
    if (!array) throw corrupt(`section "${name}" is missing`);
    return array;
  };
  const n = header.counts.vertexCount;
  const float = (name: string) => requireFinite(name, asFloat(name, get(name)));
  const index = (name: string, limit = n) => asIndices(name, get(name), limit);
  return {
    id: header.model.id,
    name: header.model.name,
    licence: header.model.licence,
    provenance: header.model.provenance,
    vertexCount: n,
    positions: float('positions'),
    uvs: float('uvs'),
    indices: index('indices'),
    weldGroup: index('weldGroup'),
    identityCount: header.counts.identityCount,
    identityBasis: float('identityBasis'),
    identityStd: float('identityStd'),
    expressionNames: [...header.expressionNames],
    expressionBasis: float('expressionBasis'),
    expressionStd: float('expressionStd'),
    landmarks68: index('landmarks68'),
    jawContour: index('jawContour'),
    landmarks468: header.counts.hasLandmarks468 ? index('landmarks468') : undefined,
    ...(header.arkitRetarget
      ? { arkitRetarget: { names: [...header.arkitRetarget.names], matrix: float('arkitRetarget'), method: header.arkitRetarget.method } }
      : {}),
    ...(header.jawMarchLines ? { jawMarchLines: marchLines(index('jawMarchLines.vertices'), get('jawMarchLines.offsets')) } : {}),
    ...(header.albedoModel ? { albedoModel: albedoModelBytes(get('albedoModel')) } : {}),
    mirrorVertex: index('mirrorVertex'),
    skinWeight: float('skinWeight'),
    parts: header.parts.map((part, p): SubMesh => ({
      name: part.name,
      material: part.material,
      positions: float(`parts.${p}.positions`),
      uvs: float(`parts.${p}.uvs`),
      indices: index(`parts.${p}.indices`, part.vertexCount),
      pivot: float(`parts.${p}.pivot`),
      ...(part.morphs ? { morphs: { names: [...part.morphs], displacements: float(`parts.${p}.morphs`) } } : {}),
      ...(part.attached ? { attachment: { vertices: index(`parts.${p}.attachment.vertices`), weights: float(`parts.${p}.attachment.weights`) } } : {}),
      ...(part.textureSize !== undefined ? { texture: { size: part.textureSize, luminanceAlpha: get(`parts.${p}.texture`) as Uint8Array } } : {}),
      ...(part.coloured ? { vertexColours: float(`parts.${p}.vertexColours`) } : {}),
    })),
  };
}

function stringList(value: unknown, where: string): string[] {
  if (!isArray(value)) throw corrupt(`header.${where} is not an array`);
  value.forEach((name, i) => { if (!isString(name)) throw corrupt(`header.${where}[${i}] is not a string`); });
  return value as string[];
}

function albedoModelBytes(section: SectionArray): Uint8Array {
  if (!(section instanceof Uint8Array)) throw corrupt('section "albedoModel" is not u8');
  return section;
}

function marchLines(vertices: Uint32Array, offsetSection: SectionArray): NonNullable<HeadModel['jawMarchLines']> {
  const offsets = offsetSection instanceof Uint32Array ? offsetSection : Uint32Array.from(offsetSection);
  const problem = marchLineProblem(offsets, vertices.length);
  if (problem) throw corrupt(`section "jawMarchLines.offsets": ${problem}`);
  return { offsets, vertices };
}

/** Sections the HeadModel needs (unknown extra sections are ignored but still bounds-checked). */
function neededSections(header: PackHeader): PackSection[] {
  const wanted = new Set(expectedSections(header).map((s) => s.name));
  return header.sections.filter((s) => wanted.has(s.name));
}

export interface ReadPackOptions {
  /**
   * Copy every section out of `bytes`, so the file's bytes can be freed once decoded (the default
   * head: its 15 MiB file is dropped and 3.5 MiB of sections copied, the fp16 bases being expanded anyway).
   */
  ownBuffers?: boolean;
}

/**
 * Decodes a whole pack. Aligned fp32 sections are views into `bytes` (no copy) unless
 * `ownBuffers`, so keep `bytes` unchanged while the model is in use.
 */
export function readPack(input: Uint8Array, options: ReadPackOptions = {}): HeadModel {
  return runSteps(readPackSteps(input, options));
}

/**
 * readPack as steps, one section each (see ../steps.ts): a cold start runs them in slices,
 * so that what waits on the main thread meanwhile (onnxruntime's WASM compile is started from it)
 * is not held up by the whole decode.
 */
export function* readPackSteps(input: Uint8Array, options: ReadPackOptions = {}): Steps<HeadModel> {
  const bytes = plainBytes(input);
  const header = readPackHeader(bytes);
  const sections = new Map<string, SectionArray>();
  for (const s of neededSections(header)) {
    sections.set(s.name, decodeSection(s, bytes.subarray(s.offset, s.offset + s.byteLength), options));
    yield s.name;
  }
  return assembleModel(header, sections);
}

// ---------------------------------------------------------------------------------------------
// Lazy loading over HTTP

export interface RemotePack {
  url: string;
  header: PackHeader;
  /** Total file size when the server reported it, else undefined. */
  fileLength: number | undefined;
  /** Fetches (once) and decodes one section by name. */
  section(name: string): Promise<SectionArray>;
  /** Fetches every section the HeadModel needs, in one request when possible. */
  loadModel(): Promise<HeadModel>;
}

export interface OpenPackOptions {
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Bytes asked for in the first request; the header is fetched again in full when longer. */
  initialBytes?: number;
}

async function fetchRange(
  fetchImpl: typeof fetch, url: string, start: number, length: number, signal: AbortSignal | undefined,
): Promise<{ bytes: Uint8Array; partial: boolean; total: number | undefined }> {
  let response: Response;
  try {
    response = await fetchImpl(url, { headers: { Range: `bytes=${start}-${start + length - 1}` }, signal });
  } catch (error) {
    if (signal?.aborted) throw new PhotoAvatarError('ABORTED', 'Model pack download was cancelled.');
    throw new PhotoAvatarError('MISSING_ASSET', `Cannot fetch model pack ${url}: ${(error as Error).message}`, { cause: error });
  }
  if (response.status === 416) {
    throw corrupt(`the server says bytes ${start}..${start + length} are past the end of ${url}`);
  }
  if (!response.ok) throw new PhotoAvatarError('MISSING_ASSET', `Cannot fetch model pack ${url}: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (response.status !== 206) return { bytes, partial: false, total: bytes.length };
  const range = /bytes\s+(\d+)-(\d+)\/(\d+|\*)/i.exec(response.headers.get('content-range') ?? '');
  if (range && Number(range[1]) !== start) throw corrupt(`the server answered a range starting at ${range[1]} instead of ${start}`);
  const total = range && range[3] !== '*' ? Number(range[3]) : undefined;
  return { bytes, partial: true, total };
}

/**
 * Opens a pack over HTTP without downloading it: the header comes with a Range request and each
 * section is fetched when first asked for. Servers that ignore Range get the whole file once.
 */
export async function openPackFromUrl(url: string, options: OpenPackOptions = {}): Promise<RemotePack> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const signal = options.signal;
  const first = await fetchRange(fetchImpl, url, 0, Math.max(PACK_PREAMBLE_BYTES, options.initialBytes ?? 64 * 1024), signal);
  let whole: Uint8Array | undefined = first.partial ? undefined : first.bytes;
  const headerLength = parsePreamble(first.bytes);
  const dataStart = PACK_PREAMBLE_BYTES + headerLength;
  let headerBytes: Uint8Array;
  if (first.bytes.length >= dataStart) {
    headerBytes = first.bytes.subarray(PACK_PREAMBLE_BYTES, dataStart);
  } else if (first.partial && (first.total === undefined || dataStart <= first.total)) {
    const rest = await fetchRange(fetchImpl, url, 0, dataStart, signal);
    if (!rest.partial) whole = rest.bytes;
    if (rest.bytes.length < dataStart) throw corrupt(`header (${headerLength} bytes) runs past the end of the file`);
    headerBytes = rest.bytes.subarray(PACK_PREAMBLE_BYTES, dataStart);
  } else {
    throw corrupt(`header (${headerLength} bytes) runs past the end of the file`);
  }
  const header = parseHeaderJson(headerBytes);
  const fileLength = whole ? whole.length : first.total;
  if (fileLength !== undefined) checkSectionBounds(header, dataStart, fileLength);
  else checkSectionBounds(header, dataStart, Number.MAX_SAFE_INTEGER);

  const cache = new Map<string, Promise<SectionArray>>();
  const byName = new Map(header.sections.map((s) => [s.name, s]));
  const fetchSection = async (s: PackSection): Promise<SectionArray> => {
    if (whole) return decodeSection(s, whole.subarray(s.offset, s.offset + s.byteLength));
    if (s.byteLength === 0) return decodeSection(s, new Uint8Array(0));
    const got = await fetchRange(fetchImpl, url, s.offset, s.byteLength, signal);
    const raw = got.partial ? got.bytes : got.bytes.subarray(s.offset, s.offset + s.byteLength);
    return decodeSection(s, raw);
  };
  const section = (name: string): Promise<SectionArray> => {
    const s = byName.get(name);
    if (!s) return Promise.reject(corrupt(`section "${name}" is not in the pack`));
    let pending = cache.get(name);
    if (!pending) {
      pending = fetchSection(s);
      cache.set(name, pending);
      pending.catch(() => cache.delete(name));
    }
    return pending;
  };
  const loadModel = async (): Promise<HeadModel> => {
    const needed = neededSections(header);
    const missing = needed.filter((s) => !cache.has(s.name));
    if (!whole && missing.length > 1) {
      // One request for the span covering everything not fetched yet.
      const start = Math.min(...missing.map((s) => s.offset));
      const end = Math.max(...missing.map((s) => s.offset + s.byteLength));
      const got = await fetchRange(fetchImpl, url, start, end - start, signal);
      const span = got.partial ? got.bytes : got.bytes.subarray(start, end);
      for (const s of missing) {
        const from = s.offset - start;
        if (from + s.byteLength > span.length) throw corrupt(`section "${s.name}" lies past the end of the downloaded data`);
        cache.set(s.name, Promise.resolve(decodeSection(s, span.subarray(from, from + s.byteLength))));
      }
    }
    const arrays = new Map<string, SectionArray>();
    for (const s of needed) arrays.set(s.name, await section(s.name));
    return assembleModel(header, arrays);
  };
  return { url, header, fileLength, section, loadModel };
}
