/**
 * The hair asset (`makehuman-hair.bin`): the CC0 MakeHuman hair meshes, converted at build time
 * (../modelpack/makehuman-head/hair-asset.ts) into the MakeHuman head's model space, each with its
 * strand texture reduced to two channels (luminance, alpha): the colour comes from the photo.
 *
 * Layout: 8-byte magic, then one zlib stream holding a u32 JSON length, the JSON header (padded to
 * 4 bytes) and the arrays it points at (byte offsets from the start of the array block).
 * Browser-safe (fflate).
 */
import { unzlibSync, zlibSync } from 'fflate';
import { PhotoAvatarError } from '../errors.js';

const MAGIC = 'PAHAIR01';

export interface HairStyleMesh {
  /** MakeHuman proxy name, e.g. 'bob02'. */
  name: string;
  author: string;
  /** Rest positions, metres, the MakeHuman head's model space (xyz interleaved). */
  positions: Float32Array;
  /** UV per vertex (v up). */
  uvs: Float32Array;
  indices: Uint32Array;
  textureSize: number;
  /** textureSize² x (luminance, alpha), top row first. */
  texture: Uint8Array;
}

export interface HairAsset {
  /** Where the meshes come from (human-readable, for provenance). */
  source: string;
  licence: string;
  styles: HairStyleMesh[];
}

interface Header {
  source: string;
  licence: string;
  styles: { name: string; author: string; vertexCount: number; indexCount: number; textureSize: number; offsets: [number, number, number, number] }[];
}

export function writeHairAsset(asset: HairAsset): Uint8Array {
  const blocks: Uint8Array[] = [];
  let offset = 0;
  const add = (array: Float32Array | Uint32Array | Uint8Array): number => {
    const at = offset;
    const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength).slice();
    const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
    padded.set(bytes);
    blocks.push(padded);
    offset += padded.length;
    return at;
  };
  const header: Header = {
    source: asset.source,
    licence: asset.licence,
    styles: asset.styles.map((s) => ({
      name: s.name, author: s.author, vertexCount: s.positions.length / 3, indexCount: s.indices.length, textureSize: s.textureSize,
      offsets: [add(s.positions), add(s.uvs), add(s.indices), add(s.texture)],
    })),
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const jsonPadded = Math.ceil(json.length / 4) * 4;
  const body = new Uint8Array(4 + jsonPadded + offset);
  new DataView(body.buffer).setUint32(0, jsonPadded, true);
  body.fill(0x20, 4, 4 + jsonPadded);
  body.set(json, 4);
  let at = 4 + jsonPadded;
  for (const block of blocks) { body.set(block, at); at += block.length; }
  const packed = zlibSync(body, { level: 9 });
  const out = new Uint8Array(MAGIC.length + packed.length);
  out.set(new TextEncoder().encode(MAGIC));
  out.set(packed, MAGIC.length);
  return out;
}

function corrupt(reason: string): PhotoAvatarError {
  return new PhotoAvatarError('CORRUPT_MODEL_PACK', `The hair asset is corrupt: ${reason}.`);
}

export function readHairAsset(bytes: Uint8Array): HairAsset {
  if (new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) throw corrupt('bad magic');
  let body: Uint8Array;
  try {
    body = unzlibSync(bytes.subarray(MAGIC.length));
  } catch (error) {
    throw corrupt(error instanceof Error ? error.message : String(error));
  }
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const jsonLength = view.getUint32(0, true);
  if (4 + jsonLength > body.length) throw corrupt('header runs past the end');
  const header = JSON.parse(new TextDecoder().decode(body.subarray(4, 4 + jsonLength))) as Header;
  const base = 4 + jsonLength;
  // Copy out so every array is aligned whatever the body's own offset.
  const slice = (at: number, byteLength: number): ArrayBuffer => {
    if (base + at + byteLength > body.length) throw corrupt('an array runs past the end');
    return body.slice(base + at, base + at + byteLength).buffer;
  };
  return {
    source: header.source,
    licence: header.licence,
    styles: header.styles.map((s) => ({
      name: s.name,
      author: s.author,
      positions: new Float32Array(slice(s.offsets[0], s.vertexCount * 12)),
      uvs: new Float32Array(slice(s.offsets[1], s.vertexCount * 8)),
      indices: new Uint32Array(slice(s.offsets[2], s.indexCount * 4)),
      textureSize: s.textureSize,
      texture: new Uint8Array(slice(s.offsets[3], s.textureSize * s.textureSize * 2)),
    })),
  };
}
