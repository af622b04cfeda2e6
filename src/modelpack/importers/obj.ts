/**
 * Wavefront OBJ reader for model import: v / vt / vn / f (triangles, quads, n-gons, negative
 * indices), g / o / usemtl groups. Normal indices are ignored when the file has no `vn` lines. Polygons are fan-split: a quad a,b,c,d becomes a,b,c + a,c,d.
 * Errors name the line.
 */
import { PhotoAvatarError } from '../../errors.js';

export interface ObjGroup {
  /** The latest `usemtl` name, or the `g`/`o` name when there is no material. */
  material: string;
  group: string;
  triangleStart: number;
  triangleCount: number;
}

export interface ObjMesh {
  /** xyz per `v` line. */
  positions: Float32Array;
  /** uv per `vt` line (a third component is ignored). */
  texcoords: Float32Array;
  /** xyz per `vn` line. */
  normals: Float32Array;
  /** 0-based `v` index per triangle corner. */
  triangles: Uint32Array;
  /** 0-based `vt` index per triangle corner, -1 where the face gave none. */
  triangleTexcoords: Int32Array;
  /** 0-based `vn` index per triangle corner, -1 where the face gave none. */
  triangleNormals: Int32Array;
  /** Polygons as written, before splitting. */
  polygonCount: number;
  groups: ObjGroup[];
}

export interface ParseObjOptions {
  /** Name used in error messages. */
  source?: string;
  /** Skip faces and texture coordinates (blendshape files only need positions). */
  positionsOnly?: boolean;
}

function fail(source: string, line: number, message: string): PhotoAvatarError {
  return new PhotoAvatarError('CORRUPT_INPUT_FILE', `${source} line ${line}: ${message}`);
}

class FloatList {
  data = new Float32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  take(): Float32Array { return this.data.slice(0, this.length); }
}

class IntList {
  data = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 13;
}

function parseNumber(token: string | undefined, source: string, line: number, what: string): number {
  if (token === undefined) throw fail(source, line, `missing ${what}`);
  const value = Number(token);
  // Number() also takes hex, binary and '' (0): only decimal floats are OBJ numbers.
  if (!Number.isFinite(value) || token.length === 0 || (!NUMBER.test(token))) {
    if (/^[+-]?(nan|inf)/i.test(token)) throw fail(source, line, `${what} "${token}" is not a finite number`);
    throw fail(source, line, `${what} "${token}" is not a number`);
  }
  return value;
}

/** Resolves a 1-based or negative (relative) OBJ index to 0-based, checking it exists. */
function resolveIndex(token: string, count: number, source: string, line: number, what: string): number {
  if (!/^-?\d+$/.test(token)) throw fail(source, line, `${what} index "${token}" is not an integer`);
  const raw = Number(token);
  const index = raw < 0 ? count + raw : raw - 1;
  if (raw === 0 || index < 0 || index >= count) {
    throw fail(source, line, `${what} index ${raw} is out of range (${count} defined so far)`);
  }
  return index;
}

export function parseObj(input: string | Uint8Array, options: ParseObjOptions = {}): ObjMesh {
  const source = options.source ?? 'OBJ';
  const text = typeof input === 'string' ? input : new TextDecoder('utf-8').decode(input);
  if (text.indexOf('\0') !== -1) throw new PhotoAvatarError('CORRUPT_INPUT_FILE', `${source} contains NUL bytes: not a text OBJ file`);
  const positions = new FloatList();
  const texcoords = new FloatList();
  const normals = new FloatList();
  const triV = new IntList();
  const triT = new IntList();
  const triN = new IntList();
  const groups: ObjGroup[] = [];
  let polygonCount = 0;
  let material = '';
  let group = '';
  const cornerV: number[] = [];
  const cornerT: number[] = [];
  const cornerN: number[] = [];

  const switchGroup = () => {
    const last = groups[groups.length - 1];
    if (last && last.triangleCount === 0) {
      last.material = material; last.group = group;
    } else {
      groups.push({ material, group, triangleStart: triV.length / 3, triangleCount: 0 });
    }
  };

  let lineNumber = 0;
  let start = 0;
  const length = text.length;
  while (start <= length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = length;
    lineNumber++;
    const lineStart = start;
    start = end + 1;
    // Fast path for "v x y z" lines (most of every file), scanned without allocating tokens.
    if (text.charCodeAt(lineStart) === 118 /* v */ && isSpace(text.charCodeAt(lineStart + 1))) {
      let p = lineStart + 2;
      for (let k = 0; k < 3; k++) {
        while (p < end && isSpace(text.charCodeAt(p))) p++;
        let q = p;
        while (q < end && !isSpace(text.charCodeAt(q)) && text.charCodeAt(q) !== 35 /* # */) q++;
        if (q === p) throw fail(source, lineNumber, '"v" needs x y z');
        positions.push(parseNumber(text.slice(p, q), source, lineNumber, 'xyz'[k]));
        p = q;
      }
      continue;
    }
    if (options.positionsOnly) continue;
    let line = text.slice(lineStart, end);
    const hash = line.indexOf('#');
    if (hash !== -1) line = line.slice(0, hash);
    line = line.trim();
    if (line.length === 0) continue;
    const tokens = line.split(/\s+/);
    const keyword = tokens[0];
    if (keyword === 'v') {
      if (tokens.length < 4) throw fail(source, lineNumber, '"v" needs x y z');
      positions.push(parseNumber(tokens[1], source, lineNumber, 'x'));
      positions.push(parseNumber(tokens[2], source, lineNumber, 'y'));
      positions.push(parseNumber(tokens[3], source, lineNumber, 'z'));
    } else if (keyword === 'vt') {
      if (tokens.length < 2) throw fail(source, lineNumber, '"vt" needs u [v]');
      texcoords.push(parseNumber(tokens[1], source, lineNumber, 'u'));
      texcoords.push(tokens.length > 2 ? parseNumber(tokens[2], source, lineNumber, 'v') : 0);
    } else if (keyword === 'vn') {
      if (tokens.length < 4) throw fail(source, lineNumber, '"vn" needs x y z');
      for (let k = 1; k <= 3; k++) normals.push(parseNumber(tokens[k], source, lineNumber, 'normal'));
    } else if (keyword === 'f') {
      if (tokens.length < 4) throw fail(source, lineNumber, `a face needs at least 3 corners, got ${tokens.length - 1}`);
      if (groups.length === 0) switchGroup();
      cornerV.length = 0; cornerT.length = 0; cornerN.length = 0;
      for (let k = 1; k < tokens.length; k++) {
        const parts = tokens[k].split('/');
        if (parts.length > 3) throw fail(source, lineNumber, `face corner "${tokens[k]}" has more than 3 parts`);
        cornerV.push(resolveIndex(parts[0], positions.length / 3, source, lineNumber, 'vertex'));
        cornerT.push(parts.length > 1 && parts[1] !== '' ? resolveIndex(parts[1], texcoords.length / 2, source, lineNumber, 'texture') : -1);
        // Exporters often reference normals they never wrote (HIFI3D.obj does): normals are advisory, so those read as -1.
        cornerN.push(parts.length > 2 && parts[2] !== '' && normals.length > 0 ? resolveIndex(parts[2], normals.length / 3, source, lineNumber, 'normal') : -1);
      }
      polygonCount++;
      for (let k = 1; k + 1 < cornerV.length; k++) {
        for (const c of [0, k, k + 1]) {
          triV.push(cornerV[c]); triT.push(cornerT[c]); triN.push(cornerN[c]);
        }
        groups[groups.length - 1].triangleCount++;
      }
    } else if (keyword === 'usemtl') {
      material = tokens.slice(1).join(' ');
      switchGroup();
    } else if (keyword === 'g' || keyword === 'o') {
      group = tokens.slice(1).join(' ');
      switchGroup();
    }
    // Other statements (mtllib, s, l, p, ...) do not affect the mesh.
  }
  if (positions.length === 0) throw new PhotoAvatarError('CORRUPT_INPUT_FILE', `${source} has no vertices ("v" lines)`);
  return {
    positions: positions.take(),
    texcoords: texcoords.take(),
    normals: normals.take(),
    triangles: new Uint32Array(triV.data.subarray(0, triV.length)),
    triangleTexcoords: triT.data.slice(0, triT.length),
    triangleNormals: triN.data.slice(0, triN.length),
    polygonCount,
    groups: groups.filter((g) => g.triangleCount > 0),
  };
}
