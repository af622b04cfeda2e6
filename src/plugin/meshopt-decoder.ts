/**
 * Babylon's glTF loader decodes EXT_meshopt_compression with a decoder script it fetches from the
 * Babylon CDN by default. useBundledMeshoptDecoder() gives it the decoder of the `meshoptimizer`
 * npm package instead (MIT, WASM inlined in the module, so bundlers need no extra file and nothing
 * is fetched), decoding on the calling thread. Call it once before loading compact GLBs
 * (writeCompactGlb, `photo-avatar create` by default); it works in Node too.
 */
import { MeshoptCompression } from '@babylonjs/core/Meshes/Compression/meshoptCompression.js';
import { MeshoptDecoder } from 'meshoptimizer/decoder';

/** What Babylon's EXT_meshopt_compression loader calls on MeshoptCompression.Default. */
class BundledMeshoptDecoder {
  async decodeGltfBufferAsync(source: Uint8Array, count: number, stride: number, mode: string, filter?: string): Promise<Uint8Array> {
    await MeshoptDecoder.ready;
    const target = new Uint8Array(count * stride);
    MeshoptDecoder.decodeGltfBuffer(target, count, stride, source, mode, filter);
    return target;
  }

  dispose(): void {}
}

/** Points Babylon's meshopt decoding at the bundled decoder (idempotent). */
export function useBundledMeshoptDecoder(): void {
  // Babylon reads the decoder through MeshoptCompression.Default, which it creates on first use from
  // Configuration.decoder.url (the CDN); setting the instance first means that URL is never loaded.
  (MeshoptCompression as unknown as { _Default: unknown })._Default = new BundledMeshoptDecoder();
}
