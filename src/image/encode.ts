/**
 * RGBA image -> file bytes. PNG uses ./png-codec.ts (fflate, browser-safe); JPEG uses jpeg-js in
 * Node and browsers alike (synchronous, same bytes everywhere). jpeg-js's encoder ends with
 * `Buffer.from(byteArray)` whenever it runs as a CommonJS module, which is also how bundlers wrap
 * it; browsers have no Buffer (webpack 5 no longer polyfills it). Where Buffer is missing, a
 * stand-in with just that one method is put on globalThis for the duration of the synchronous
 * encode call and removed afterwards, so nothing else can observe it.
 */
import jpeg from 'jpeg-js';
import { PhotoAvatarError } from '../errors.js';
import type { RgbaImage } from '../types.js';
import { encodePngRgba } from './png-codec.js';

function checkImage(image: RgbaImage): void {
  if (!(image.width > 0 && image.height > 0) || image.data.length < image.width * image.height * 4) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `Cannot encode an image of ${image.width}x${image.height} with ${image.data.length} bytes of RGBA data.`);
  }
}

/** Lossless PNG (RGB when every pixel is opaque, else RGBA). */
export function encodePng(image: RgbaImage): Uint8Array {
  checkImage(image);
  return encodePngRgba(image.width, image.height, image.data);
}

/** Baseline JPEG; quality 1-100 (alpha is dropped). */
export function encodeJpeg(image: RgbaImage, quality = 90): Uint8Array {
  checkImage(image);
  if (!(quality >= 1 && quality <= 100)) throw new PhotoAvatarError('INVALID_ARGUMENT', `JPEG quality must be 1-100, got ${quality}.`);
  const encoded = withBufferFrom(() => jpeg.encode({ width: image.width, height: image.height, data: image.data }, quality));
  const bytes = encoded.data as Uint8Array;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Runs `work` with a minimal `Buffer.from` when the environment has no Buffer (see the file comment). */
function withBufferFrom<T>(work: () => T): T {
  const scope = globalThis as { Buffer?: unknown };
  if (scope.Buffer !== undefined) return work();
  scope.Buffer = { from: (values: ArrayLike<number>) => Uint8Array.from(values) };
  try {
    return work();
  } finally {
    delete scope.Buffer;
  }
}
