/**
 * RGBA image -> file bytes. PNG uses ./png-codec.ts (fflate, browser-safe); JPEG uses jpeg-js,
 * whose encoder returns a Node Buffer when bundled as CommonJS, so it is wrapped as a plain
 * Uint8Array here.
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
  const encoded = jpeg.encode({ width: image.width, height: image.height, data: image.data }, quality);
  const bytes = encoded.data as Uint8Array;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
