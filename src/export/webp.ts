/**
 * WebP encoding of texture images for the compact GLB (EXT_texture_webp), with libwebp compiled
 * to WASM (@jsquash/webp, Apache-2.0, from the Squoosh app). In browsers the codec's glue finds its
 * .wasm next to itself (bundlers emit it); Node has no fetch for files, so there the WASM bytes come
 * from the asset loader like the models (ASSET_FILES.webpEncoder). Loaded on first use.
 */
import { ASSET_FILES, loadAsset } from '../assets.js';
import { PhotoAvatarError } from '../errors.js';
import { isNode } from '../platform.js';
import type { RgbaImage } from '../types.js';

let encoderReady: Promise<typeof import('@jsquash/webp/encode.js')> | null = null;

function webpEncoder(): Promise<typeof import('@jsquash/webp/encode.js')> {
  encoderReady ??= import('@jsquash/webp/encode.js').then(async (codec) => {
    await codec.init(isNode ? { wasmBinary: await loadAsset(ASSET_FILES.webpEncoder) } : {});
    return codec;
  });
  encoderReady.catch(() => { encoderReady = null; });
  return encoderReady;
}

/**
 * Starts loading the encoder (its glue's import, its WASM's read and compile) ahead of the first
 * encodeWebp: a cold CLI run does it while it waits on the face models, not at export. A failure
 * is left for that encode to report.
 */
export function prepareWebpEncoder(): void {
  webpEncoder().catch(() => {});
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
