/** Test-only MATLAB v5 writer (the subset scipy.io.savemat produces), for building fixtures in tests. */
import { zlibSync } from 'fflate';

export type MatWriteClass = 'double' | 'single' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64';

export interface MatWriteVariable {
  name: string;
  className: MatWriteClass;
  /** [rows, cols]. */
  dims: number[];
  /** Column-major values. */
  data: ArrayLike<number>;
}

const CLASS_CODE: Record<MatWriteClass, number> = { double: 6, single: 7, int8: 8, uint8: 9, int16: 10, uint16: 11, int32: 12, uint32: 13, int64: 14, uint64: 15 };
const MI_TYPE: Record<MatWriteClass, [number, number]> = {
  double: [9, 8], single: [7, 4], int8: [1, 1], uint8: [2, 1], int16: [3, 2], uint16: [4, 2], int32: [5, 4], uint32: [6, 4], int64: [12, 8], uint64: [13, 8],
};

class Writer {
  chunks: Uint8Array[] = [];
  length = 0;
  push(bytes: Uint8Array): void { this.chunks.push(bytes); this.length += bytes.length; }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let p = 0;
    for (const c of this.chunks) { out.set(c, p); p += c.length; }
    return out;
  }
}

/** One data element; payloads of 1..4 bytes use the small data element format. */
function element(type: number, payload: Uint8Array, allowSmall = true): Uint8Array {
  if (allowSmall && payload.length > 0 && payload.length <= 4) {
    const out = new Uint8Array(8);
    new DataView(out.buffer).setUint32(0, (payload.length << 16) | type, true);
    out.set(payload, 4);
    return out;
  }
  const padded = Math.ceil(payload.length / 8) * 8;
  const out = new Uint8Array(8 + padded);
  const view = new DataView(out.buffer);
  view.setUint32(0, type, true);
  view.setUint32(4, payload.length, true);
  out.set(payload, 8);
  return out;
}

function encode(className: MatWriteClass, data: ArrayLike<number>): Uint8Array {
  const [, size] = MI_TYPE[className];
  const out = new Uint8Array(data.length * size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    const v = data[i], p = i * size;
    switch (className) {
      case 'double': view.setFloat64(p, v, true); break;
      case 'single': view.setFloat32(p, v, true); break;
      case 'int8': view.setInt8(p, v); break;
      case 'uint8': view.setUint8(p, v); break;
      case 'int16': view.setInt16(p, v, true); break;
      case 'uint16': view.setUint16(p, v, true); break;
      case 'int32': view.setInt32(p, v, true); break;
      case 'uint32': view.setUint32(p, v, true); break;
      case 'int64': view.setBigInt64(p, BigInt(v), true); break;
      case 'uint64': view.setBigUint64(p, BigInt(v), true); break;
    }
  }
  return out;
}

function matrix(variable: MatWriteVariable): Uint8Array {
  const body = new Writer();
  const flags = new Uint8Array(8);
  new DataView(flags.buffer).setUint32(0, CLASS_CODE[variable.className], true);
  body.push(element(6, flags, false));
  const dims = new Uint8Array(variable.dims.length * 4);
  variable.dims.forEach((d, i) => new DataView(dims.buffer).setInt32(i * 4, d, true));
  body.push(element(5, dims));
  body.push(element(1, new TextEncoder().encode(variable.name)));
  body.push(element(MI_TYPE[variable.className][0], encode(variable.className, variable.data)));
  return element(14, body.concat(), false);
}

export function writeMat(variables: MatWriteVariable[], options: { compress?: boolean } = {}): Uint8Array {
  const out = new Writer();
  const header = new Uint8Array(128).fill(0x20);
  header.set(new TextEncoder().encode('MATLAB 5.0 MAT-file, written by test/modelpack/mat-writer.ts'));
  new DataView(header.buffer).setUint16(124, 0x0100, true);
  header[126] = 'I'.charCodeAt(0); header[127] = 'M'.charCodeAt(0);
  out.push(header);
  for (const v of variables) {
    const m = matrix(v);
    if (!options.compress) { out.push(m); continue; }
    const z = zlibSync(m);
    const tag = new Uint8Array(8);
    new DataView(tag.buffer).setUint32(0, 15, true);
    new DataView(tag.buffer).setUint32(4, z.length, true);
    out.push(tag); out.push(z);
  }
  return out.concat();
}
