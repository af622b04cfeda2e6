/**
 * MATLAB v5 MAT-file reader (the format scipy.io.savemat writes and MATLAB's default before
 * v7.3), in plain TypeScript so it runs in browsers too. Reads numeric and char matrices,
 * miCOMPRESSED (zlib) elements and the small-data-element form; structs, cells and sparse
 * matrices are listed but not decoded. Matrices are column-major: element (r, c) of an
 * [rows, cols] matrix is data[c * rows + r].
 */
import { unzlibSync } from 'fflate';
import { PhotoAvatarError } from '../../errors.js';

export type MatClass =
  | 'double' | 'single' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64'
  | 'char' | 'cell' | 'struct' | 'object' | 'sparse' | 'function' | 'opaque' | 'unknown';

export type MatNumericArray =
  | Float64Array | Float32Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array;

export interface MatVariable {
  name: string;
  className: MatClass;
  /** MATLAB dimensions, e.g. [rows, cols]. */
  dims: number[];
  /** Real part, column-major, in the class's own type (int64/uint64 widen to Float64Array). Absent for non-numeric classes. */
  data?: MatNumericArray;
  /** Imaginary part when the matrix is complex. */
  imag?: MatNumericArray;
  /** Text of a char matrix (column-major order, as stored). */
  text?: string;
  logical: boolean;
}

export interface MatFile {
  /** The 116-byte descriptive text, trimmed. */
  description: string;
  littleEndian: boolean;
  variables: Map<string, MatVariable>;
}

const MI = {
  INT8: 1, UINT8: 2, INT16: 3, UINT16: 4, INT32: 5, UINT32: 6, SINGLE: 7, DOUBLE: 9,
  INT64: 12, UINT64: 13, MATRIX: 14, COMPRESSED: 15, UTF8: 16, UTF16: 17, UTF32: 18,
} as const;

const MI_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 6: 4, 7: 4, 9: 8, 12: 8, 13: 8, 16: 1, 17: 2, 18: 4 };

const CLASS_BY_CODE: Record<number, MatClass> = {
  1: 'cell', 2: 'struct', 3: 'object', 4: 'char', 5: 'sparse', 6: 'double', 7: 'single', 8: 'int8', 9: 'uint8',
  10: 'int16', 11: 'uint16', 12: 'int32', 13: 'uint32', 14: 'int64', 15: 'uint64', 16: 'function', 17: 'opaque',
};

/** Largest inflated element accepted (a zip bomb guard; the real HiFi3D++ bases are ~250 MB). */
const MAX_INFLATED_BYTES = 2 ** 31 - 1;

function corrupt(message: string): PhotoAvatarError {
  return new PhotoAvatarError('CORRUPT_INPUT_FILE', `Corrupt MAT-file: ${message}`);
}

interface Tag {
  type: number;
  byteLength: number;
  dataStart: number;
  /** Where the next element starts. */
  next: number;
}

class Cursor {
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array, readonly littleEndian: boolean) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Reads the element tag at `pos`, checking the element fits before `end`. */
  tag(pos: number, end: number, what: string): Tag {
    if (pos + 8 > end) throw corrupt(`${what}: element tag at byte ${pos} runs past the end (${end})`);
    const first = this.view.getUint32(pos, this.littleEndian);
    const small = first >>> 16;
    if (small !== 0) {
      // Small data element: type and length share the first word, data sits in the next four bytes.
      const type = first & 0xffff;
      if (small > 4) throw corrupt(`${what}: small element at byte ${pos} claims ${small} bytes`);
      return { type, byteLength: small, dataStart: pos + 4, next: pos + 8 };
    }
    const byteLength = this.view.getUint32(pos + 4, this.littleEndian);
    const dataStart = pos + 8;
    if (dataStart + byteLength > end) {
      throw corrupt(`${what}: element at byte ${pos} (type ${first}) claims ${byteLength} bytes but only ${end - dataStart} remain`);
    }
    // Compressed elements are not padded; everything else is padded to 8 bytes.
    const padded = first === MI.COMPRESSED ? byteLength : Math.ceil(byteLength / 8) * 8;
    return { type: first, byteLength, dataStart, next: Math.min(dataStart + padded, end) };
  }

  /** Decodes a numeric element's payload into a typed array of its stored type. */
  numbers(tag: Tag, what: string): MatNumericArray | Float64Array {
    const size = MI_SIZE[tag.type];
    if (!size || tag.type === MI.UTF8 || tag.type === MI.UTF16 || tag.type === MI.UTF32) {
      throw corrupt(`${what}: data type ${tag.type} is not numeric`);
    }
    if (tag.byteLength % size !== 0) throw corrupt(`${what}: ${tag.byteLength} bytes is not a whole number of ${size}-byte values`);
    const count = tag.byteLength / size;
    const { view, littleEndian } = this;
    const p = tag.dataStart;
    const hostLittle = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
    // Same byte order: copy the bytes as they are (a copy also fixes alignment).
    const copy = () => this.bytes.slice(p, p + tag.byteLength).buffer;
    const direct = hostLittle === littleEndian;
    switch (tag.type) {
      case MI.INT8: return new Int8Array(copy());
      case MI.UINT8: return new Uint8Array(copy());
      case MI.INT16: if (direct) return new Int16Array(copy()); return Int16Array.from({ length: count }, (_, i) => view.getInt16(p + 2 * i, littleEndian));
      case MI.UINT16: if (direct) return new Uint16Array(copy()); return Uint16Array.from({ length: count }, (_, i) => view.getUint16(p + 2 * i, littleEndian));
      case MI.INT32: if (direct) return new Int32Array(copy()); return Int32Array.from({ length: count }, (_, i) => view.getInt32(p + 4 * i, littleEndian));
      case MI.UINT32: if (direct) return new Uint32Array(copy()); return Uint32Array.from({ length: count }, (_, i) => view.getUint32(p + 4 * i, littleEndian));
      case MI.SINGLE: if (direct) return new Float32Array(copy()); return Float32Array.from({ length: count }, (_, i) => view.getFloat32(p + 4 * i, littleEndian));
      case MI.DOUBLE: if (direct) return new Float64Array(copy()); return Float64Array.from({ length: count }, (_, i) => view.getFloat64(p + 8 * i, littleEndian));
      case MI.INT64: {
        const out = new Float64Array(count);
        for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(p + 8 * i, littleEndian));
        return out;
      }
      case MI.UINT64: {
        const out = new Float64Array(count);
        for (let i = 0; i < count; i++) out[i] = Number(view.getBigUint64(p + 8 * i, littleEndian));
        return out;
      }
    }
    throw corrupt(`${what}: data type ${tag.type} is not numeric`);
  }

  text(tag: Tag): string {
    const raw = this.bytes.subarray(tag.dataStart, tag.dataStart + tag.byteLength);
    if (tag.type === MI.UTF8 || tag.type === MI.INT8 || tag.type === MI.UINT8) return new TextDecoder('utf-8').decode(raw);
    const codes = this.numbers({ ...tag, type: tag.type === MI.UTF32 || tag.type === MI.INT32 || tag.type === MI.UINT32 ? MI.UINT32 : MI.UINT16 }, 'char data');
    let s = '';
    for (let i = 0; i < codes.length; i++) s += String.fromCodePoint(Math.min(codes[i], 0x10ffff));
    return s;
  }
}

/** Converts the stored values to the array type of the MATLAB class (scipy stores ints narrower than their class). */
function toClassArray(values: MatNumericArray | Float64Array, className: MatClass): MatNumericArray {
  switch (className) {
    case 'double': return values instanceof Float64Array ? values : Float64Array.from(values);
    case 'single': return values instanceof Float32Array ? values : Float32Array.from(values);
    case 'int8': return values instanceof Int8Array ? values : Int8Array.from(values);
    case 'uint8': return values instanceof Uint8Array ? values : Uint8Array.from(values);
    case 'int16': return values instanceof Int16Array ? values : Int16Array.from(values);
    case 'uint16': return values instanceof Uint16Array ? values : Uint16Array.from(values);
    case 'int32': return values instanceof Int32Array ? values : Int32Array.from(values);
    case 'uint32': return values instanceof Uint32Array ? values : Uint32Array.from(values);
    default: return values instanceof Float64Array ? values : Float64Array.from(values);
  }
}

function parseMatrix(cursor: Cursor, start: number, end: number, where: string): MatVariable {
  const flagsTag = cursor.tag(start, end, `${where} array flags`);
  if (flagsTag.type !== MI.UINT32 || flagsTag.byteLength !== 8) throw corrupt(`${where}: array flags are not two uint32 values`);
  const flags = cursor.view.getUint32(flagsTag.dataStart, cursor.littleEndian);
  const className = CLASS_BY_CODE[flags & 0xff] ?? 'unknown';
  const complex = (flags & 0x800) !== 0;
  const logical = (flags & 0x200) !== 0;

  const dimsTag = cursor.tag(flagsTag.next, end, `${where} dimensions`);
  if (dimsTag.type !== MI.INT32 || dimsTag.byteLength < 8 || dimsTag.byteLength % 4 !== 0) throw corrupt(`${where}: dimensions are not int32 values`);
  const dims = Array.from(cursor.numbers(dimsTag, `${where} dimensions`));
  if (dims.length > 32) throw corrupt(`${where}: ${dims.length} dimensions`);
  if (dims.some((d) => d < 0)) throw corrupt(`${where}: negative dimension in [${dims.join(', ')}]`);
  const elementCount = dims.reduce((a, b) => a * b, 1);

  const nameTag = cursor.tag(dimsTag.next, end, `${where} name`);
  if (nameTag.type !== MI.INT8 && nameTag.type !== MI.UINT8 && nameTag.type !== MI.UTF8) throw corrupt(`${where}: array name has data type ${nameTag.type}`);
  const name = cursor.text(nameTag);
  const label = name ? `variable "${name}"` : where;
  const variable: MatVariable = { name, className, dims, logical };

  const isNumeric = ['double', 'single', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64'].includes(className);
  if (!isNumeric && className !== 'char') return variable;

  const realTag = cursor.tag(nameTag.next, end, `${label} data`);
  if (className === 'char') {
    variable.text = cursor.text(realTag);
    return variable;
  }
  const real = cursor.numbers(realTag, `${label} data`);
  if (real.length !== elementCount) {
    throw corrupt(`${label}: dimensions [${dims.join(', ')}] need ${elementCount} values but the data holds ${real.length}`);
  }
  variable.data = toClassArray(real, className);
  if (complex) {
    const imagTag = cursor.tag(realTag.next, end, `${label} imaginary part`);
    const imag = cursor.numbers(imagTag, `${label} imaginary part`);
    if (imag.length !== elementCount) throw corrupt(`${label}: imaginary part holds ${imag.length} values, expected ${elementCount}`);
    variable.imag = toClassArray(imag, className);
  }
  return variable;
}

export interface ReadMatOptions {
  /** Decode only these variables (others are skipped; compressed ones still need inflating to learn their names). */
  variables?: string[];
}

/** Parses a MAT-file v5. Throws PhotoAvatarError('CORRUPT_INPUT_FILE') on anything malformed. */
export function readMat(input: Uint8Array, options: ReadMatOptions = {}): MatFile {
  // A plain view: Node Buffers' slice() does not copy, which the decoders rely on.
  const bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (bytes.length < 128) throw corrupt(`file is ${bytes.length} bytes, shorter than the 128-byte MAT header`);
  const description = new TextDecoder('latin1').decode(bytes.subarray(0, 116)).replace(/[\0 ]+$/, '');
  if (description.startsWith('MATLAB 7.3')) {
    throw new PhotoAvatarError('CORRUPT_INPUT_FILE', 'MAT-file v7.3 (HDF5) is not supported: re-save it with scipy.io.savemat or MATLAB "-v7".');
  }
  const endian = String.fromCharCode(bytes[126], bytes[127]);
  if (endian !== 'IM' && endian !== 'MI') throw corrupt(`endian indicator "${endian}" is neither "IM" nor "MI" (not a MAT-file v5?)`);
  const littleEndian = endian === 'IM';
  const cursor = new Cursor(bytes, littleEndian);
  const version = cursor.view.getUint16(124, littleEndian);
  if (version !== 0x0100) throw corrupt(`header version 0x${version.toString(16)} is not 0x0100`);

  const wanted = options.variables ? new Set(options.variables) : undefined;
  const variables = new Map<string, MatVariable>();
  let pos = 128;
  let index = 0;
  while (pos + 8 <= bytes.length) {
    const where = `element ${index} at byte ${pos}`;
    const tag = cursor.tag(pos, bytes.length, where);
    if (tag.type === MI.MATRIX) {
      if (tag.byteLength > 0) {
        const variable = peekOrParse(cursor, tag, where, wanted);
        if (variable) variables.set(variable.name, variable);
      }
    } else if (tag.type === MI.COMPRESSED) {
      let inflated: Uint8Array;
      try {
        inflated = unzlibSync(bytes.subarray(tag.dataStart, tag.dataStart + tag.byteLength));
      } catch (error) {
        throw corrupt(`${where}: zlib data does not inflate (${(error as Error).message})`);
      }
      if (inflated.length > MAX_INFLATED_BYTES) throw corrupt(`${where}: inflates to more than ${MAX_INFLATED_BYTES} bytes`);
      const inner = new Cursor(inflated, littleEndian);
      const innerTag = inner.tag(0, inflated.length, `${where} (inflated)`);
      if (innerTag.type !== MI.MATRIX) throw corrupt(`${where}: compressed element holds data type ${innerTag.type}, not a matrix`);
      if (innerTag.byteLength > 0) {
        const variable = peekOrParse(inner, innerTag, where, wanted);
        if (variable) variables.set(variable.name, variable);
      }
    } else {
      throw corrupt(`${where}: top-level data type ${tag.type} is neither a matrix nor compressed`);
    }
    if (tag.next <= pos) throw corrupt(`${where}: element does not advance`);
    pos = tag.next;
    index++;
  }
  return { description, littleEndian, variables };
}

function peekOrParse(cursor: Cursor, tag: Tag, where: string, wanted: Set<string> | undefined): MatVariable | undefined {
  const end = tag.dataStart + tag.byteLength;
  if (wanted) {
    // Read the name first so unwanted variables cost nothing more.
    const flags = cursor.tag(tag.dataStart, end, `${where} array flags`);
    const dims = cursor.tag(flags.next, end, `${where} dimensions`);
    const name = cursor.tag(dims.next, end, `${where} name`);
    if (!wanted.has(cursor.text(name))) return undefined;
  }
  return parseMatrix(cursor, tag.dataStart, end, where);
}

/** A variable that must exist and be numeric, with a clear error otherwise. */
export function requireNumeric(file: MatFile, name: string, source = 'MAT-file'): MatVariable & { data: MatNumericArray } {
  const variable = file.variables.get(name);
  if (!variable) throw new PhotoAvatarError('CORRUPT_INPUT_FILE', `${source} has no variable "${name}".`);
  if (!variable.data) throw new PhotoAvatarError('CORRUPT_INPUT_FILE', `${source} variable "${name}" is ${variable.className}, not numeric.`);
  if (variable.imag) throw new PhotoAvatarError('CORRUPT_INPUT_FILE', `${source} variable "${name}" is complex.`);
  return variable as MatVariable & { data: MatNumericArray };
}
