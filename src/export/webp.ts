/**
 * WebP encoding of texture images for the compact GLB (EXT_texture_webp), with libwebp compiled
 * to WASM (@jsquash/webp, Apache-2.0, from the Squoosh app). In browsers the codec's glue finds its
 * .wasm next to itself (bundlers emit it); Node has no fetch for files, so the Node entry installs a
 * reader of the WASM bytes through setWebpWasmReader (src/node/webp-wasm.ts). Loaded on first use.
 */
import { PhotoAvatarError } from '../errors.js';
import type { RgbaImage } from '../types.js';

let wasmReader: (() => Promise<Uint8Array>) | null = null;
let encoderReady: Promise<typeof import('@jsquash/webp/encode.js')> | null = null;

/** Node: reads the codec's WASM bytes (webp_enc_simd.wasm). Not public API. */
export function setWebpWasmReader(reader: () => Promise<Uint8Array>): void {
  wasmReader = reader;
  encoderReady = null;
}

function webpEncoder(): Promise<typeof import('@jsquash/webp/encode.js')> {
  encoderReady ??= import('@jsquash/webp/encode.js').then(async (codec) => {
    await codec.init(wasmReader ? { wasmBinary: await wasmReader() } : {});
    return codec;
  });
  return encoderReady;
}

/** Lossy WebP at `quality` (0-100). */
export async function encodeWebp(image: RgbaImage, quality: number): Promise<Uint8Array> {
  const codec = await webpEncoder();
  const data = new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.width * image.height * 4);
  try {
    return new Uint8Array(await codec.default({ data, width: image.width, height: image.height, colorSpace: 'srgb' } as ImageData, { quality }));
  } catch (error) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `WebP encoding of a ${image.width}x${image.height} texture failed: ${(error as Error).message}`, { cause: error });
  }
}
