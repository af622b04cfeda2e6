/**
 * Image dimensions read from the file header alone, so a decompression bomb (a tiny file whose
 * header declares billions of pixels) is refused before any pixel buffer is allocated.
 */
import { PhotoAvatarError } from '../errors.js';
import type { ImageFormat } from './decode.js';

/**
 * Largest image decoded, in pixels (50 megapixels: a 8660x5773 photo). Its RGBA buffer is 200 MB;
 * every photo a phone or DSLR takes today is below it. Stated in the README's CLI section.
 */
export const MAX_IMAGE_PIXELS = 50_000_000;

export interface HeaderSize {
  width: number;
  height: number;
}

/** Reads width and height from the header; null when the header has no readable size. */
export function readHeaderSize(bytes: Uint8Array, format: ImageFormat): HeaderSize | null {
  if (format === 'png') return readPngSize(bytes);
  if (format === 'jpeg') return readJpegSize(bytes);
  return readPnmSize(bytes);
}

/** Throws a CORRUPT_IMAGE error naming the declared size when it exceeds the pixel cap. */
export function checkPixelCap(size: HeaderSize | null, format: ImageFormat, maxPixels = MAX_IMAGE_PIXELS): void {
  if (!size) return;
  const pixels = size.width * size.height;
  if (pixels > maxPixels) {
    throw new PhotoAvatarError('CORRUPT_IMAGE',
      `The ${format.toUpperCase()} image declares ${size.width}x${size.height} pixels (${(pixels / 1e6).toFixed(1)} MP), ` +
      `more than the ${maxPixels / 1e6} MP limit; scale the photo down before using it.`);
  }
}

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

function readPngSize(bytes: Uint8Array): HeaderSize | null {
  // The IHDR chunk must come first: signature (8), length (4), "IHDR" (4), width, height.
  if (bytes.length < 24 || String.fromCharCode(bytes[12], bytes[13], bytes[14], bytes[15]) !== 'IHDR') return null;
  return { width: u32(bytes, 16), height: u32(bytes, 20) };
}

function readJpegSize(bytes: Uint8Array): HeaderSize | null {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return null;
    const marker = bytes[at + 1];
    if (marker === 0xff) { at++; continue; }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { at += 2; continue; }
    if (marker === 0xda || marker === 0xd9) return null;
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    // SOF0-SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame && at + 9 <= bytes.length) {
      return { height: (bytes[at + 5] << 8) | bytes[at + 6], width: (bytes[at + 7] << 8) | bytes[at + 8] };
    }
    if (length < 2) return null;
    at += 2 + length;
  }
  return null;
}

function readPnmSize(bytes: Uint8Array): HeaderSize | null {
  const { fields } = readPnmHeaderFields(bytes, 2, 4096);
  return fields.length === 2 ? { width: fields[0], height: fields[1] } : null;
}

/**
 * The first `count` decimal fields of a PNM header (width, height, maxval), skipping comments;
 * `at` is the index just past the last field read. Scans at most `maxScan` bytes.
 */
export function readPnmHeaderFields(bytes: Uint8Array, count: number, maxScan = bytes.length): { fields: number[]; at: number } {
  const fields: number[] = [];
  const end = Math.min(bytes.length, maxScan);
  let at = 2;
  while (fields.length < count && at < end) {
    const c = bytes[at];
    if (c === 0x23) {
      while (at < bytes.length && bytes[at] !== 0x0a) at++;
    } else if (c >= 0x30 && c <= 0x39) {
      let value = 0;
      while (at < bytes.length && bytes[at] >= 0x30 && bytes[at] <= 0x39) value = value * 10 + bytes[at++] - 0x30;
      fields.push(value);
      continue;
    }
    at++;
  }
  return { fields, at };
}
