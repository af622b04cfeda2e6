/**
 * Photo bytes -> upright RGBA image. Format is sniffed from magic bytes (never from file names);
 * JPEG goes through jpeg-js, PNG through ./png-codec.ts (fflate, browser-safe), binary PNM (P5/P6,
 * the format of some landmark datasets) through a tiny reader. JPEG EXIF orientation is applied so
 * the returned pixels are upright. Transparent pixels are composited over white: face models want
 * opaque RGB, and white is what viewers show behind cut-out portraits.
 */
import jpeg from 'jpeg-js';
import { PhotoAvatarError } from '../errors.js';
import type { RgbaImage } from '../types.js';
import { decodePng } from './png-codec.js';
import { checkPixelCap, MAX_IMAGE_PIXELS, readHeaderSize, readPnmHeaderFields } from './header-size.js';
import { downscaleArea } from './resize.js';

export interface DecodeOptions {
  /** Longest side after downscaling images larger than `downscaleAbove` (default 4096). */
  maxSide?: number;
  /** Images with a side above this many pixels are downscaled to `maxSide` (default 8000). */
  downscaleAbove?: number;
  /** Images whose header declares more pixels than this are refused before decoding (default 50 MP). */
  maxPixels?: number;
  /**
   * Decodes a JPEG's pixels instead of jpeg-js, as stored (EXIF orientation not applied), e.g. the
   * CLI's mozjpeg (../node/jpeg-decoder.ts), several times faster. Where it fails, jpeg-js decodes,
   * so a damaged file gets jpeg-js's diagnosis.
   */
  jpegDecoder?: JpegPixelDecoder;
}

/** A JPEG's pixels as stored in the file (RGBA). */
export type JpegPixelDecoder = (bytes: Uint8Array) => RgbaImage;

export interface DecodedImage {
  image: RgbaImage;
  /** Size as stored in the file, before orientation and downscaling. */
  originalWidth: number;
  originalHeight: number;
  /** EXIF orientation 1-8 that was applied (1 = none). */
  orientation: number;
  downscaled: boolean;
  format: ImageFormat;
}

export type ImageFormat = 'jpeg' | 'png' | 'pnm';

/** Signatures of formats we recognise but cannot decode, so the error can name them. */
const OTHER_SIGNATURES: [string, (b: Uint8Array) => boolean][] = [
  ['GIF', (b) => ascii(b, 0, 4) === 'GIF8'],
  ['WebP', (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP'],
  ['BMP', (b) => ascii(b, 0, 2) === 'BM'],
  ['TIFF', (b) => ascii(b, 0, 4) === 'II*\0' || ascii(b, 0, 4) === 'MM\0*'],
  ['HEIC/AVIF', (b) => ascii(b, 4, 4) === 'ftyp'],
  ['PDF', (b) => ascii(b, 0, 5) === '%PDF-'],
  ['ZIP', (b) => ascii(b, 0, 4) === 'PK\x03\x04'],
  ['GZIP', (b) => b[0] === 0x1f && b[1] === 0x8b],
  ['ICO', (b) => b[0] === 0 && b[1] === 0 && b[2] === 1 && b[3] === 0],
  ['glTF binary', (b) => ascii(b, 0, 4) === 'glTF'],
  ['text/HTML/SVG', (b) => /^\s*</.test(ascii(b, 0, 16))],
];

function ascii(bytes: Uint8Array, start: number, length: number): string {
  let s = '';
  for (let i = start; i < Math.min(bytes.length, start + length); i++) s += String.fromCharCode(bytes[i]);
  return s;
}

export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes[0] === 0x89 && ascii(bytes, 1, 3) === 'PNG' && bytes[4] === 0x0d && bytes[5] === 0x0a) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0x50 && (bytes[1] === 0x35 || bytes[1] === 0x36) && /\s/.test(String.fromCharCode(bytes[2]))) return 'pnm';
  return null;
}

/** Decodes a JPEG, PNG or binary PNM photo into an upright, opaque RGBA image. */
export function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): DecodedImage {
  const maxSide = options.maxSide ?? 4096;
  const downscaleAbove = options.downscaleAbove ?? 8000;
  const format = sniffImageFormat(bytes);
  if (!format) {
    if (bytes.length === 0) throw new PhotoAvatarError('NOT_AN_IMAGE', 'The input is empty (0 bytes), not an image.');
    const other = OTHER_SIGNATURES.find(([, test]) => test(bytes));
    const what = other ? `a ${other[0]} file` : `of unknown type (first bytes ${hexHead(bytes)})`;
    throw new PhotoAvatarError('NOT_AN_IMAGE', `Not an image we can read: the input is ${what}; only JPEG and PNG photos are supported.`);
  }
  const maxPixels = options.maxPixels ?? MAX_IMAGE_PIXELS;
  checkPixelCap(readHeaderSize(bytes, format), format, maxPixels);
  let image: RgbaImage;
  let orientation = 1;
  try {
    if (format === 'jpeg') {
      orientation = readJpegOrientation(bytes);
      image = decodeJpeg(bytes, maxPixels, options.jpegDecoder);
    } else if (format === 'png') {
      const png = decodePng(bytes);
      image = { width: png.width, height: png.height, data: png.data };
      if (png.hasAlpha) compositeOverWhite(image.data);
    } else image = decodePnm(bytes);
  } catch (error) {
    if (error instanceof PhotoAvatarError) throw error;
    // Decoder internals ("Cannot read properties of undefined", "Invalid typed array length") mean
    // nothing to the user: what they can act on is that this file is damaged.
    throw new PhotoAvatarError('CORRUPT_IMAGE', `The ${format.toUpperCase()} image is corrupt: its data cannot be decoded.`, { cause: error });
  }
  const originalWidth = image.width;
  const originalHeight = image.height;
  if (orientation !== 1) image = applyOrientation(image, orientation);
  let downscaled = false;
  if (Math.max(image.width, image.height) > downscaleAbove) {
    const scale = maxSide / Math.max(image.width, image.height);
    image = downscaleArea(image, Math.max(1, Math.round(image.width * scale)), Math.max(1, Math.round(image.height * scale)));
    downscaled = true;
  }
  return { image, originalWidth, originalHeight, orientation, downscaled, format };
}

function hexHead(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
}

function decodeJpeg(bytes: Uint8Array, maxPixels: number, pixelDecoder?: JpegPixelDecoder): RgbaImage {
  // jpeg-js fills blocks missing from a truncated scan with grey instead of failing: the absence of
  // an end-of-image marker is the reliable sign of truncation.
  if (!hasJpegEnd(bytes)) throw new PhotoAvatarError('CORRUPT_IMAGE', 'The JPEG image is truncated (no end-of-image marker).');
  if (pixelDecoder) {
    try {
      const image = pixelDecoder(bytes);
      if (image.width > 0 && image.height > 0) return image;
    } catch {
      // jpeg-js below says what is wrong with the file, or decodes what this decoder could not.
    }
  }
  try {
    const decoded = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: maxPixels / 1e6, maxMemoryUsageInMB: 1024 });
    if (!decoded.width || !decoded.height) throw new Error('zero-sized image');
    return { width: decoded.width, height: decoded.height, data: decoded.data };
  } catch (error) {
    throw new PhotoAvatarError('CORRUPT_IMAGE', `The JPEG image is corrupt: ${jpegReason(error, maxPixels)}.`, { cause: error });
  }
}

/**
 * jpeg-js throws plain strings and Errors with its own wording ("SOI not found", "marker was not
 * found") for damage it detects, and JavaScript TypeErrors/RangeErrors for damage it does not:
 * only the former say something about the file.
 */
function jpegReason(error: unknown, maxPixels: number): string {
  if (error instanceof TypeError || error instanceof RangeError) return 'its data cannot be decoded';
  const text = error instanceof Error ? error.message : String(error);
  if (/maxMemoryUsageInMB|maxResolutionInMP|exceeded/i.test(text)) return `it is too large to decode (${maxPixels / 1e6} MP limit)`;
  return text.replace(/\.$/, '') || 'its data cannot be decoded';
}

function hasJpegEnd(bytes: Uint8Array): boolean {
  // Cameras and editors sometimes append padding or trailers after EOI; look in the last 64 KiB.
  const stop = Math.max(2, bytes.length - 65536);
  for (let i = bytes.length - 2; i >= stop; i--) if (bytes[i] === 0xff && bytes[i + 1] === 0xd9) return true;
  return false;
}

/** Reads the EXIF orientation (1-8) from a JPEG's APP1 segment; 1 when absent or unreadable. */
export function readJpegOrientation(bytes: Uint8Array): number {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return 1;
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at++;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return 1; // start of scan / end: no EXIF before pixels
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    if (marker === 0xe1 && length >= 8 && ascii(bytes, at + 4, 6) === 'Exif\0\0') {
      const orientation = readTiffOrientation(bytes.subarray(at + 10, Math.min(bytes.length, at + 2 + length)));
      if (orientation) return orientation;
    }
    at += 2 + length;
  }
  return 1;
}

function readTiffOrientation(tiff: Uint8Array): number {
  if (tiff.length < 8) return 0;
  const little = tiff[0] === 0x49 && tiff[1] === 0x49;
  if (!little && !(tiff[0] === 0x4d && tiff[1] === 0x4d)) return 0;
  const u16 = (at: number) => (little ? tiff[at] | (tiff[at + 1] << 8) : (tiff[at] << 8) | tiff[at + 1]);
  const u32 = (at: number) => (little ? (u16(at) | (u16(at + 2) << 16)) >>> 0 : ((u16(at) << 16) | u16(at + 2)) >>> 0);
  if (u16(2) !== 42) return 0;
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return 0;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return 0;
    if (u16(entry) === 0x0112) {
      const value = u16(entry + 8);
      return value >= 1 && value <= 8 ? value : 0;
    }
  }
  return 0;
}

/**
 * Rotates/flips pixels so that EXIF orientation `orientation` becomes 1. Each output pixel (x, y)
 * reads source (ax*x + bx*y + cx, ay*x + by*y + cy).
 */
export function applyOrientation(image: RgbaImage, orientation: number): RgbaImage {
  const { width: w, height: h } = image;
  const swap = orientation >= 5;
  const outW = swap ? h : w;
  const outH = swap ? w : h;
  // [ax, bx, cx, ay, by, cy] per orientation.
  const maps: Record<number, number[]> = {
    2: [-1, 0, w - 1, 0, 1, 0],
    3: [-1, 0, w - 1, 0, -1, h - 1],
    4: [1, 0, 0, 0, -1, h - 1],
    5: [0, 1, 0, 1, 0, 0],
    6: [0, 1, 0, -1, 0, h - 1],
    7: [0, -1, w - 1, -1, 0, h - 1],
    8: [0, -1, w - 1, 1, 0, 0],
  };
  const m = maps[orientation];
  if (!m) return image;
  const [ax, bx, cx, ay, by, cy] = m;
  const aligned = image.data.byteOffset % 4 === 0 ? image.data : Uint8Array.from(image.data);
  const src = new Uint32Array(aligned.buffer, aligned.byteOffset, w * h);
  const outData = new Uint8Array(outW * outH * 4);
  const dst = new Uint32Array(outData.buffer);
  for (let y = 0; y < outH; y++) {
    let sx = bx * y + cx;
    let sy = by * y + cy;
    const row = y * outW;
    for (let x = 0; x < outW; x++, sx += ax, sy += ay) dst[row + x] = src[sy * w + sx];
  }
  return { width: outW, height: outH, data: outData };
}

function compositeOverWhite(data: Uint8Array | Uint8ClampedArray): void {
  for (let i = 0; i < data.length; i += 4) {
    const a = data[i + 3];
    if (a === 255) continue;
    const keep = a / 255;
    const white = 255 * (1 - keep);
    data[i] = data[i] * keep + white + 0.5;
    data[i + 1] = data[i + 1] * keep + white + 0.5;
    data[i + 2] = data[i + 2] * keep + white + 0.5;
    data[i + 3] = 255;
  }
}

/** Binary PGM (P5) / PPM (P6), 8 or 16 bits. */
function decodePnm(bytes: Uint8Array): RgbaImage {
  const kind = bytes[1] === 0x35 ? 'P5' : 'P6';
  const header = readPnmHeaderFields(bytes, 3);
  const fields = header.fields;
  const at = header.at + 1; // the single whitespace byte after maxval
  const [width, height, maxValue] = fields;
  if (fields.length < 3 || !width || !height || !maxValue || maxValue > 65535) {
    throw new PhotoAvatarError('CORRUPT_IMAGE', `The ${kind} (PNM) image has a bad header.`);
  }
  const channels = kind === 'P5' ? 1 : 3;
  const sampleBytes = maxValue > 255 ? 2 : 1;
  if (at + width * height * channels * sampleBytes > bytes.length) {
    throw new PhotoAvatarError('CORRUPT_IMAGE', `The ${kind} (PNM) image is truncated.`);
  }
  const out = new Uint8Array(width * height * 4);
  const scale = 255 / maxValue;
  for (let i = 0, o = 0, p = at; i < width * height; i++, o += 4) {
    for (let c = 0; c < 3; c++) {
      const s = p + (channels === 1 ? 0 : c * sampleBytes);
      const v = sampleBytes === 2 ? (bytes[s] << 8) | bytes[s + 1] : bytes[s];
      out[o + c] = Math.round(v * scale);
    }
    out[o + 3] = 255;
    p += channels * sampleBytes;
  }
  return { width, height, data: out };
}
