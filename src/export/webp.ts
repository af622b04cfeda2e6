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
import { sameValues } from '../modelpack/per-model-cache.js';

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

/**
 * Per small image object: its last encoding, the quality and a copy of the RGBA it was made from.
 * The lashes' texture is one object shared by every avatar of a model (../hair/face-cards.ts), so
 * each export after the first reuses its bytes (about 10 ms of a warm compact export); an image
 * refilled in place misses (the copy differs). Images over REUSABLE_TEXELS (the albedo, the
 * roughness map) are new objects per avatar: their copy would cost megabytes for no reuse.
 */
const lastEncoding = new WeakMap<RgbaImage, { quality: number; lossless: boolean; rgba: Uint8Array; bytes: Uint8Array }>();
const REUSABLE_TEXELS = 256 * 256;

/**
 * libwebp's effort (0 fastest to 6 smallest; its default is 4). At 2 the avatar's six textures
 * encode in 95-136 ms against 210-220 ms at 4, and take 2.5 KB more (sample photo 87,262 ->
 * 89,746 bytes, hrn 00016 76,042 -> 78,532; same quality setting, warm encoder, this 2-core machine).
 */
const WEBP_METHOD = 2;

/** Lossy WebP at `quality` (0-100), or lossless (the values kept exactly: data such as OCCLUSION_RAMP's, not pictures). */
export async function encodeWebp(image: RgbaImage, quality: number, lossless = false): Promise<Uint8Array> {
  const rgba = new Uint8Array(image.data.buffer, image.data.byteOffset, image.width * image.height * 4);
  const cached = lastEncoding.get(image);
  if (cached && cached.quality === quality && cached.lossless === lossless && sameValues(cached.rgba, rgba)) return cached.bytes.slice();
  const codec = await webpEncoder();
  try {
    // The pixels go in as a Uint8Array, not the Uint8ClampedArray of an ImageData: the codec's glue
    // copies them into its memory a byte at a time in JS, which V8 runs faster from a Uint8Array
    // (a 1024² albedo: 17 -> 11 ms of the copy, same bytes encoded).
    const bytes = new Uint8Array(await codec.default({ data: rgba, width: image.width, height: image.height, colorSpace: 'srgb' } as unknown as ImageData, { quality, method: WEBP_METHOD, lossless: lossless ? 1 : 0, exact: lossless ? 1 : 0 }));
    if (image.width * image.height <= REUSABLE_TEXELS) lastEncoding.set(image, { quality, lossless, rgba: rgba.slice(), bytes: bytes.slice() });
    return bytes;
  } catch (error) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `WebP encoding of a ${image.width}x${image.height} texture failed: ${(error as Error).message}`, { cause: error });
  }
}
