/**
 * Reads the MediaPipe canonical face mesh (Apache-2.0, npm @mediapipe/face_mesh) out of the
 * solution's packed asset bundle. The bundle is an Emscripten file package: one concatenated data
 * file plus a file table inside the loader script. The mesh lives in
 * geometry_pipeline_metadata_landmarks.binarypb, a GeometryPipelineMetadata protobuf:
 *   GeometryPipelineMetadata { Mesh3d canonical_mesh = 1; ... }
 *   Mesh3d { vertex_type = 1; primitive_type = 2; repeated float vertex_buffer = 3; repeated uint32 index_buffer = 4; }
 * with vertex_buffer = x, y, z (cm, +Y up, +Z towards the viewer), u, v per vertex.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PhotoAvatarError } from '../../errors.js';

const METADATA_FILE = 'geometry_pipeline_metadata_landmarks.binarypb';

export interface CanonicalFaceMesh {
  /** 468 vertices, xyz interleaved, centimetres, as stored. */
  positions: Float32Array;
  /** 468 vertices, uv interleaved (v up, as stored). */
  uvs: Float32Array;
  /** 898 triangles. */
  indices: Uint32Array;
}

/** Locates and reads the packed asset bundle of the installed @mediapipe/face_mesh. */
export function readMediapipePackedAssets(): { data: Uint8Array; loaderSource: string } {
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = path.dirname(require.resolve('@mediapipe/face_mesh/package.json'));
  } catch {
    throw new PhotoAvatarError('MISSING_ASSET', 'npm package @mediapipe/face_mesh is not installed; it provides the canonical face mesh of the default head');
  }
  return {
    data: new Uint8Array(readFileSync(path.join(dir, 'face_mesh_solution_packed_assets.data'))),
    loaderSource: readFileSync(path.join(dir, 'face_mesh_solution_packed_assets_loader.js'), 'utf8'),
  };
}

/** Extracts one file from an Emscripten package using the loader script's file table. */
export function extractPackedFile(data: Uint8Array, loaderSource: string, fileName: string): Uint8Array {
  const pattern = /"filename":\s*"([^"]+)",\s*"start":\s*(\d+),\s*"end":\s*(\d+)/g;
  for (const match of loaderSource.matchAll(pattern)) {
    if (!match[1].endsWith(`/${fileName}`)) continue;
    const start = Number(match[2]);
    const end = Number(match[3]);
    if (end > data.length || start >= end) break;
    return data.subarray(start, end);
  }
  throw new PhotoAvatarError('MISSING_ASSET', `${fileName} not found in the @mediapipe/face_mesh packed assets`);
}

/** Minimal protobuf wire-format reader: just what Mesh3d needs (varints, packed/unpacked repeated fields). */
class ProtoReader {
  pos = 0;
  private readonly view: DataView;
  constructor(readonly bytes: Uint8Array, readonly end = bytes.length) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get done(): boolean {
    return this.pos >= this.end;
  }
  varint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.end) throw new PhotoAvatarError('MISSING_ASSET', 'truncated protobuf varint');
      const byte = this.bytes[this.pos++];
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 128;
    }
  }
  float(): number {
    const value = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return value;
  }
  /** Returns [start, end) of a length-delimited field and skips it. */
  lengthDelimited(): [number, number] {
    const length = this.varint();
    const start = this.pos;
    this.pos += length;
    if (this.pos > this.end) throw new PhotoAvatarError('MISSING_ASSET', 'truncated protobuf field');
    return [start, this.pos];
  }
  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.lengthDelimited();
    else if (wireType === 5) this.pos += 4;
    else throw new PhotoAvatarError('MISSING_ASSET', `unsupported protobuf wire type ${wireType}`);
  }
}

export function parseMesh3d(bytes: Uint8Array): { vertexBuffer: number[]; indexBuffer: number[] } {
  const reader = new ProtoReader(bytes);
  const vertexBuffer: number[] = [];
  const indexBuffer: number[] = [];
  while (!reader.done) {
    const key = reader.varint();
    const field = Math.floor(key / 8);
    const wireType = key & 7;
    if (field === 3 && wireType === 2) {
      const [start, end] = reader.lengthDelimited();
      const packed = new ProtoReader(bytes, end);
      packed.pos = start;
      while (!packed.done) vertexBuffer.push(packed.float());
    } else if (field === 3 && wireType === 5) {
      vertexBuffer.push(reader.float());
    } else if (field === 4 && wireType === 2) {
      const [start, end] = reader.lengthDelimited();
      const packed = new ProtoReader(bytes, end);
      packed.pos = start;
      while (!packed.done) indexBuffer.push(packed.varint());
    } else if (field === 4 && wireType === 0) {
      indexBuffer.push(reader.varint());
    } else {
      reader.skip(wireType);
    }
  }
  return { vertexBuffer, indexBuffer };
}

/** Finds canonical_mesh (field 1) in a GeometryPipelineMetadata message and decodes it. */
export function parseGeometryPipelineMetadata(bytes: Uint8Array): CanonicalFaceMesh {
  const reader = new ProtoReader(bytes);
  while (!reader.done) {
    const key = reader.varint();
    if (key === ((1 << 3) | 2)) {
      const [start, end] = reader.lengthDelimited();
      const { vertexBuffer, indexBuffer } = parseMesh3d(bytes.subarray(start, end));
      const vertexCount = vertexBuffer.length / 5;
      if (!Number.isInteger(vertexCount) || indexBuffer.length % 3 !== 0 || indexBuffer.some((i) => i >= vertexCount)) {
        throw new PhotoAvatarError('MISSING_ASSET', 'canonical face mesh in @mediapipe/face_mesh is malformed');
      }
      const positions = new Float32Array(vertexCount * 3);
      const uvs = new Float32Array(vertexCount * 2);
      for (let v = 0; v < vertexCount; v++) {
        positions.set(vertexBuffer.slice(v * 5, v * 5 + 3), v * 3);
        uvs.set(vertexBuffer.slice(v * 5 + 3, v * 5 + 5), v * 2);
      }
      return { positions, uvs, indices: Uint32Array.from(indexBuffer) };
    }
    reader.skip(key & 7);
  }
  throw new PhotoAvatarError('MISSING_ASSET', 'no canonical_mesh in the face geometry metadata');
}

/** The canonical face mesh from the installed @mediapipe/face_mesh package. */
export function loadCanonicalFaceMesh(): CanonicalFaceMesh {
  const { data, loaderSource } = readMediapipePackedAssets();
  return parseGeometryPipelineMetadata(extractPackedFile(data, loaderSource, METADATA_FILE));
}
