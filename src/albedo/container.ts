/**
 * The binary container of the model-pack family, shared by the UVAPM file and its build checkpoint:
 * an 8-byte magic, u32 version, u32 header length, a UTF-8 JSON header (padded with spaces) whose
 * `sections` table gives each section's name, dtype, shape, 16-aligned absolute offset, byte length
 * and CRC-32 (../modelpack/checksum.ts), then the sections. Same layout as ../modelpack/format.ts;
 * only the magic differs, so a reader never mistakes one kind of file for another. Pure TS
 * (browser-safe). Readers check every offset, length and checksum before reading an element.
 */
import { PhotoAvatarError } from '../errors.js';
import { crc32 } from '../math/crc32.js';
import { decodeHalfArray, encodeHalfArray } from '../math/half.js';

export type ContainerDType = 'f64' | 'f32' | 'f16' | 'u8';
export type ContainerArray = Float64Array | Float32Array | Uint8Array;

const DTYPE_BYTES: Record<ContainerDType, number> = { f64: 8, f32: 4, f16: 2, u8: 1 };
const PREAMBLE = 16;
const ALIGN = 16;
const MAX_HEADER = 16 * 1024 * 1024;

export interface ContainerSection {
  name: string;
  dtype: ContainerDType;
  shape: number[];
  offset: number;
  byteLength: number;
  crc32: number;
}

export interface SectionInput {
  name: string;
  /** Stored dtype; Float32Array data written as 'f16' is converted to IEEE half. */
  dtype: ContainerDType;
  shape: number[];
  data: ContainerArray;
}

const align = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

function sectionBytes(input: SectionInput): Uint8Array {
  const expected = input.shape.reduce((a, b) => a * b, 1);
  if (input.data.length !== expected) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `Section ${input.name} has ${input.data.length} values, its shape [${input.shape}] needs ${expected}.`);
  }
  if (input.dtype === 'f16') {
    if (!(input.data instanceof Float32Array)) throw new PhotoAvatarError('INVALID_ARGUMENT', `Section ${input.name}: f16 is written from float32 data.`);
    const half = encodeHalfArray(input.data);
    return new Uint8Array(half.buffer, half.byteOffset, half.byteLength);
  }
  const want = input.dtype === 'f64' ? Float64Array : input.dtype === 'f32' ? Float32Array : Uint8Array;
  const data = input.data instanceof want ? input.data : (want.from(input.data as ArrayLike<number>) as ContainerArray);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Serialises a header object (any JSON; `sections` is filled in) and its sections. */
export function writeContainer(magic: string, version: number, header: Record<string, unknown>, inputs: SectionInput[]): Uint8Array {
  if (magic.length !== 8) throw new Error('container magic must be 8 characters');
  const bytes = inputs.map(sectionBytes);
  const encoder = new TextEncoder();
  let dataStart = align(PREAMBLE + 1024);
  let json: Uint8Array;
  let sections: ContainerSection[];
  for (;;) {
    let cursor = dataStart;
    sections = inputs.map((input, i) => {
      const section = { name: input.name, dtype: input.dtype, shape: input.shape, offset: cursor, byteLength: bytes[i].length, crc32: crc32(bytes[i]) };
      cursor = align(cursor + bytes[i].length);
      return section;
    });
    json = encoder.encode(JSON.stringify({ ...header, sections }));
    const needed = align(PREAMBLE + json.length);
    if (needed <= dataStart) break;
    dataStart = needed;
  }
  const last = sections[sections.length - 1];
  const out = new Uint8Array(last ? last.offset + last.byteLength : dataStart);
  for (let i = 0; i < 8; i++) out[i] = magic.charCodeAt(i);
  const view = new DataView(out.buffer);
  view.setUint32(8, version, true);
  view.setUint32(12, dataStart - PREAMBLE, true);
  out.set(json, PREAMBLE);
  out.fill(0x20, PREAMBLE + json.length, dataStart);
  bytes.forEach((b, i) => out.set(b, sections[i].offset));
  return out;
}

export interface ReadContainer {
  header: Record<string, unknown>;
  sections: Map<string, { info: ContainerSection; data: ContainerArray }>;
}

/** Parses and verifies a container; f16 sections come back as Float32Array. */
export function readContainer(input: Uint8Array, magic: string, version: number | readonly number[], what: string): ReadContainer {
  const versions = typeof version === 'number' ? [version] : version;
  const corrupt = (message: string): PhotoAvatarError => new PhotoAvatarError('CORRUPT_MODEL_PACK', `Corrupt ${what}: ${message}`);
  if (input.length < PREAMBLE) throw corrupt(`file is ${input.length} bytes, too short`);
  for (let i = 0; i < 8; i++) {
    if (input[i] !== magic.charCodeAt(i)) throw new PhotoAvatarError('UNSUPPORTED_MODEL_PACK', `Not a ${what}: the file does not start with "${magic.replace('\0', '\\0')}".`);
  }
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  const fileVersion = view.getUint32(8, true);
  if (!versions.includes(fileVersion)) throw new PhotoAvatarError('UNSUPPORTED_MODEL_PACK', `${what} version ${fileVersion} is not supported (this reader supports ${versions.join(', ')}).`);
  const headerLength = view.getUint32(12, true);
  if (headerLength === 0 || headerLength > MAX_HEADER || PREAMBLE + headerLength > input.length) throw corrupt(`header length ${headerLength} is out of range`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(input.subarray(PREAMBLE, PREAMBLE + headerLength)));
  } catch (error) {
    throw corrupt(`header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw corrupt('header is not a JSON object');
  const table = (header as Record<string, unknown>).sections;
  if (!Array.isArray(table)) throw corrupt('header has no section table');
  const sections = new Map<string, { info: ContainerSection; data: ContainerArray }>();
  const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  for (const raw of table as unknown[]) {
    const s = raw as Partial<ContainerSection>;
    if (typeof s !== 'object' || s === null || typeof s.name !== 'string') throw corrupt('a section entry has no name');
    const name = s.name;
    if (sections.has(name)) throw corrupt(`section ${name} appears twice`);
    if (typeof s.dtype !== 'string' || !(s.dtype in DTYPE_BYTES)) throw corrupt(`section ${name} has unknown dtype ${String(s.dtype)}`);
    if (!Array.isArray(s.shape) || !s.shape.every(isCount)) throw corrupt(`section ${name} shape is not a list of counts`);
    if (!isCount(s.offset) || !isCount(s.byteLength) || !isCount(s.crc32)) throw corrupt(`section ${name} has a bad offset, length or checksum field`);
    const elements = s.shape.reduce((a, b) => a * b, 1);
    if (elements * DTYPE_BYTES[s.dtype] !== s.byteLength) throw corrupt(`section ${name} is ${s.byteLength} bytes, its shape needs ${elements * DTYPE_BYTES[s.dtype]}`);
    if (s.offset % ALIGN !== 0 || s.offset < PREAMBLE + headerLength || s.offset + s.byteLength > input.length) throw corrupt(`section ${name} lies outside the file (truncated?)`);
    if (crc32(input, s.offset, s.offset + s.byteLength) !== s.crc32) throw corrupt(`section ${name} fails its CRC-32 check`);
    // Copy into an own aligned buffer: the file's bytes may sit at any offset of a Node Buffer, whose
    // slice() would share (and expose) the whole pool.
    const bytes = new Uint8Array(s.byteLength);
    bytes.set(input.subarray(s.offset, s.offset + s.byteLength));
    const data: ContainerArray = s.dtype === 'f64' ? new Float64Array(bytes.buffer)
      : s.dtype === 'f32' ? new Float32Array(bytes.buffer)
      : s.dtype === 'f16' ? decodeHalfArray(new Uint16Array(bytes.buffer))
      : new Uint8Array(bytes.buffer);
    sections.set(name, { info: s as ContainerSection, data });
  }
  return { header: header as Record<string, unknown>, sections };
}
