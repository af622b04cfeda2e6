/**
 * The hair asset (`makehuman-hair.bin`): the CC0 MakeHuman hair meshes, converted at build time
 * (../modelpack/makehuman-head/hair-asset.ts) into the MakeHuman head's model space, each with its
 * strand texture reduced to two channels (luminance, alpha): the colour comes from the photo, times
 * the style's tintGain.
 *
 * Layout: 8-byte magic, then one zlib stream holding a u32 JSON length, the JSON header (padded to
 * 4 bytes) and the arrays it points at (byte offsets from the start of the array block).
 * Browser-safe: fflate, or the platform's native inflate (decodeHairAsset).
 */
import { unzlibSync, zlibSync } from 'fflate';
import { PhotoAvatarError } from '../errors.js';
import { platformInflater } from '../assets.js';

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
  /**
   * Multiplier of the hair colour for this style, so that a colour looks as light on every style
   * (../modelpack/makehuman-head/hair-asset.ts styleTintGains); absent: 1.
   */
  tintGain?: number;
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
  styles: { name: string; author: string; vertexCount: number; indexCount: number; textureSize: number; offsets: [number, number, number, number]; tintGain?: number }[];
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
      ...(s.tintGain !== undefined ? { tintGain: s.tintGain } : {}),
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
  return parseHairBody(inflated(packedBody(bytes), unzlibSync));
}

/**
 * readHairAsset, inflating with the platform's zlib where it has one (Node; off the main thread),
 * else with the browser's DecompressionStream, else fflate: fflate's JS inflate took about 100 ms
 * of a cold `create`'s main thread.
 */
export async function decodeHairAsset(bytes: Uint8Array): Promise<HairAsset> {
  const packed = packedBody(bytes);
  const inflate = platformInflater() ?? (typeof DecompressionStream === 'function' ? inflateStream : null);
  let body: Uint8Array;
  try {
    body = inflate ? await inflate(packed) : unzlibSync(packed);
  } catch (error) {
    throw corrupt(error instanceof Error ? error.message : String(error));
  }
  return parseHairBody(body);
}

/** The zlib stream after the magic. */
function packedBody(bytes: Uint8Array): Uint8Array {
  if (new TextDecoder().decode(bytes.subarray(0, MAGIC.length)) !== MAGIC) throw corrupt('bad magic');
  return bytes.subarray(MAGIC.length);
}

function inflated(packed: Uint8Array, inflate: (packed: Uint8Array) => Uint8Array): Uint8Array {
  try {
    return inflate(packed);
  } catch (error) {
    throw corrupt(error instanceof Error ? error.message : String(error));
  }
}

/** A zlib stream inflated by the browser's DecompressionStream (native, off the main thread). */
async function inflateStream(packed: Uint8Array): Promise<Uint8Array> {
  const source = new ReadableStream<BufferSource>({ start(controller) { controller.enqueue(packed as Uint8Array<ArrayBuffer>); controller.close(); } });
  const reader = source.pipeThrough(new DecompressionStream('deflate')).getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    chunks.push(chunk.value);
    length += chunk.value.length;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) { out.set(chunk, at); at += chunk.length; }
  return out;
}

function parseHairBody(body: Uint8Array): HairAsset {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const jsonLength = view.getUint32(0, true);
  if (4 + jsonLength > body.length) throw corrupt('header runs past the end');
  const header = JSON.parse(new TextDecoder().decode(body.subarray(4, 4 + jsonLength))) as Header;
  const base = 4 + jsonLength;
  // The arrays are views into the body where they are aligned (the writer pads every block to 4
  // bytes), copied out where the body's own offset is not.
  const block = (at: number, byteLength: number): { buffer: ArrayBuffer; byteOffset: number } => {
    if (base + at + byteLength > body.length) throw corrupt('an array runs past the end');
    const byteOffset = body.byteOffset + base + at;
    if (byteOffset % 4 === 0) return { buffer: body.buffer as ArrayBuffer, byteOffset };
    return { buffer: body.slice(base + at, base + at + byteLength).buffer, byteOffset: 0 };
  };
  const floats = (at: number, count: number): Float32Array => { const b = block(at, count * 4); return new Float32Array(b.buffer, b.byteOffset, count); };
  return {
    source: header.source,
    licence: header.licence,
    styles: header.styles.map((s) => {
      const indices = block(s.offsets[2], s.indexCount * 4);
      const texture = block(s.offsets[3], s.textureSize * s.textureSize * 2);
      return {
        name: s.name,
        author: s.author,
        positions: floats(s.offsets[0], s.vertexCount * 3),
        uvs: floats(s.offsets[1], s.vertexCount * 2),
        indices: new Uint32Array(indices.buffer, indices.byteOffset, s.indexCount),
        textureSize: s.textureSize,
        texture: new Uint8Array(texture.buffer, texture.byteOffset, s.textureSize * s.textureSize * 2),
        ...(s.tintGain !== undefined ? { tintGain: s.tintGain } : {}),
      };
    }),
  };
}
