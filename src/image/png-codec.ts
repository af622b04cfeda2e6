/**
 * PNG decoding and encoding on fflate's zlib, so the same code runs in Node and in browser bundles
 * (pngjs needs Node's zlib and streams). Every PNG variant is read: grey, grey+alpha, RGB, RGBA,
 * palette, bit depths 1-16, tRNS transparency and Adam7 interlacing.
 */
import { unzlibSync, zlibSync } from 'fflate';
import { PhotoAvatarError } from '../errors.js';
import { crc32 } from '../math/crc32.js';
import { checkPixelCap } from './header-size.js';

/** A decoded PNG as straight (non-premultiplied) RGBA8 plus whether any pixel is not opaque. */
export interface DecodedPng {
  width: number;
  height: number;
  data: Uint8Array;
  hasAlpha: boolean;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ADAM7 = [
  [0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2],
] as const;

function corrupt(reason: string): PhotoAvatarError {
  return new PhotoAvatarError('CORRUPT_IMAGE', `The PNG image is corrupt or truncated: ${reason}.`);
}

function readU32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlaced: boolean;
}

export function decodePng(bytes: Uint8Array): DecodedPng {
  for (let i = 0; i < 8; i++) if (bytes[i] !== SIGNATURE[i]) throw corrupt('bad signature');
  let header: PngHeader | null = null;
  let palette: Uint8Array | null = null;
  let transparency: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let idatLength = 0;
  let ended = false;
  let at = 8;
  while (at + 8 <= bytes.length) {
    const length = readU32(bytes, at);
    const type = String.fromCharCode(bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]);
    const start = at + 8;
    if (start + length + 4 > bytes.length) throw corrupt(`chunk ${type} runs past the end of the file`);
    const body = bytes.subarray(start, start + length);
    if (type === 'IHDR') {
      if (length < 13) throw corrupt('short IHDR');
      header = {
        width: readU32(body, 0),
        height: readU32(body, 4),
        bitDepth: body[8],
        colorType: body[9],
        interlaced: body[12] === 1,
      };
    } else if (type === 'PLTE') palette = body;
    else if (type === 'tRNS') transparency = body;
    else if (type === 'IDAT') {
      idat.push(body);
      idatLength += length;
    } else if (type === 'IEND') {
      ended = true;
      break;
    }
    at = start + length + 4;
  }
  if (!header) throw corrupt('no IHDR chunk');
  const { width, height, bitDepth, colorType } = header;
  const channels = CHANNELS[colorType];
  if (!channels || ![1, 2, 4, 8, 16].includes(bitDepth) || width === 0 || height === 0) {
    throw corrupt(`unsupported header (colour type ${colorType}, bit depth ${bitDepth}, ${width}x${height})`);
  }
  checkPixelCap({ width, height }, 'png');
  if (colorType === 3 && !palette) throw corrupt('palette image without PLTE chunk');
  if (!ended) throw corrupt('missing IEND chunk (file truncated)');
  if (idatLength === 0) throw corrupt('no image data');

  const compressed = new Uint8Array(idatLength);
  let offset = 0;
  for (const part of idat) {
    compressed.set(part, offset);
    offset += part.length;
  }
  let raw: Uint8Array;
  try {
    // Inflating into a buffer of exactly the size the header implies bounds memory even when the
    // compressed data would expand far beyond it (a zlib bomb): fflate does not grow a given buffer.
    raw = unzlibSync(compressed, { out: new Uint8Array(expectedRawLength(header, channels)) });
  } catch (error) {
    throw new PhotoAvatarError('CORRUPT_IMAGE', `The PNG image is corrupt or truncated: image data does not inflate (${(error as Error).message}).`, { cause: error });
  }

  const out = new Uint8Array(width * height * 4);
  const bitsPerPixel = channels * bitDepth;
  const filterStride = Math.max(1, bitsPerPixel >> 3);
  const passes = header.interlaced ? ADAM7 : ([[0, 0, 1, 1]] as const);
  const reader = createPixelReader(header, channels, palette, transparency);
  let pos = 0;
  let previous: Uint8Array = new Uint8Array(0);
  for (const [x0, y0, dx, dy] of passes) {
    const passWidth = Math.ceil((width - x0) / dx);
    const passHeight = Math.ceil((height - y0) / dy);
    if (passWidth <= 0 || passHeight <= 0) continue;
    const rowBytes = Math.ceil((passWidth * bitsPerPixel) / 8);
    previous = new Uint8Array(rowBytes);
    for (let row = 0; row < passHeight; row++) {
      if (pos + 1 + rowBytes > raw.length) throw corrupt('image data ends early');
      const filter = raw[pos];
      const line = raw.subarray(pos + 1, pos + 1 + rowBytes);
      unfilterRow(filter, line, previous, filterStride);
      reader(line, passWidth, out, ((y0 + row * dy) * width + x0) * 4, dx * 4);
      previous = line;
      pos += 1 + rowBytes;
    }
  }
  let hasAlpha = false;
  for (let i = 3; i < out.length; i += 4) {
    if (out[i] !== 255) {
      hasAlpha = true;
      break;
    }
  }
  return { width, height, data: out, hasAlpha };
}

/** Undoes a PNG row filter in place (the previous row is already unfiltered). */
/** Bytes of filtered scanlines (one filter byte per row, per Adam7 pass) the header implies. */
function expectedRawLength(header: PngHeader, channels: number): number {
  const bitsPerPixel = channels * header.bitDepth;
  const passes = header.interlaced ? ADAM7 : ([[0, 0, 1, 1]] as const);
  let total = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const passWidth = Math.ceil((header.width - x0) / dx);
    const passHeight = Math.ceil((header.height - y0) / dy);
    if (passWidth > 0 && passHeight > 0) total += passHeight * (1 + Math.ceil((passWidth * bitsPerPixel) / 8));
  }
  return total;
}

function unfilterRow(filter: number, line: Uint8Array, previous: Uint8Array, stride: number): void {
  const n = line.length;
  switch (filter) {
    case 0:
      return;
    case 1:
      for (let i = stride; i < n; i++) line[i] = (line[i] + line[i - stride]) & 255;
      return;
    case 2:
      for (let i = 0; i < n; i++) line[i] = (line[i] + previous[i]) & 255;
      return;
    case 3:
      for (let i = 0; i < n; i++) {
        const left = i >= stride ? line[i - stride] : 0;
        line[i] = (line[i] + ((left + previous[i]) >> 1)) & 255;
      }
      return;
    case 4:
      for (let i = 0; i < n; i++) {
        const a = i >= stride ? line[i - stride] : 0;
        const b = previous[i];
        const c = i >= stride ? previous[i - stride] : 0;
        const p = a + b - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        line[i] = (line[i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 255;
      }
      return;
    default:
      throw corrupt(`unknown row filter ${filter}`);
  }
}

type PixelReader = (line: Uint8Array, count: number, out: Uint8Array, outStart: number, outStep: number) => void;

/** Builds the row converter for one colour type / bit depth to RGBA8. */
function createPixelReader(header: PngHeader, channels: number, palette: Uint8Array | null, trns: Uint8Array | null): PixelReader {
  const { bitDepth, colorType } = header;
  if (bitDepth < 8) {
    // Grey or palette with 1, 2 or 4 bits per pixel.
    const mask = (1 << bitDepth) - 1;
    const greyScale = 255 / mask;
    const greyKey = colorType === 0 && trns && trns.length >= 2 ? ((trns[0] << 8) | trns[1]) : -1;
    return (line, count, out, o, step) => {
      for (let i = 0; i < count; i++, o += step) {
        const bit = i * bitDepth;
        const value = (line[bit >> 3] >> (8 - bitDepth - (bit & 7))) & mask;
        if (colorType === 3) writePaletteEntry(palette!, trns, value, out, o);
        else {
          const g = Math.round(value * greyScale);
          out[o] = out[o + 1] = out[o + 2] = g;
          out[o + 3] = value === greyKey ? 0 : 255;
        }
      }
    };
  }
  const bytesPerSample = bitDepth >> 3;
  const pixelBytes = channels * bytesPerSample;
  // 16-bit samples keep their high byte; the colour key compares at full precision.
  const sample = (line: Uint8Array, at: number): number => (bytesPerSample === 2 ? (line[at] << 8) | line[at + 1] : line[at]);
  return (line, count, out, o, step) => {
    for (let i = 0, p = 0; i < count; i++, o += step, p += pixelBytes) {
      switch (colorType) {
        case 0: {
          const g = line[p];
          out[o] = out[o + 1] = out[o + 2] = g;
          out[o + 3] = trns && trns.length >= 2 && sample(line, p) === ((trns[0] << 8) | trns[1]) ? 0 : 255;
          break;
        }
        case 2:
          out[o] = line[p];
          out[o + 1] = line[p + bytesPerSample];
          out[o + 2] = line[p + 2 * bytesPerSample];
          out[o + 3] =
            trns && trns.length >= 6 &&
            sample(line, p) === ((trns[0] << 8) | trns[1]) &&
            sample(line, p + bytesPerSample) === ((trns[2] << 8) | trns[3]) &&
            sample(line, p + 2 * bytesPerSample) === ((trns[4] << 8) | trns[5])
              ? 0
              : 255;
          break;
        case 3:
          writePaletteEntry(palette!, trns, line[p], out, o);
          break;
        case 4:
          out[o] = out[o + 1] = out[o + 2] = line[p];
          out[o + 3] = line[p + bytesPerSample];
          break;
        default:
          out[o] = line[p];
          out[o + 1] = line[p + bytesPerSample];
          out[o + 2] = line[p + 2 * bytesPerSample];
          out[o + 3] = line[p + 3 * bytesPerSample];
      }
    }
  };
}

function writePaletteEntry(palette: Uint8Array, trns: Uint8Array | null, index: number, out: Uint8Array, o: number): void {
  const p = index * 3;
  if (p + 2 >= palette.length) throw corrupt(`palette index ${index} out of range`);
  out[o] = palette[p];
  out[o + 1] = palette[p + 1];
  out[o + 2] = palette[p + 2];
  out[o + 3] = trns && index < trns.length ? trns[index] : 255;
}

/** Encodes RGBA8 (or RGB8 when every pixel is opaque) with the Paeth-free "up" filter, which suits photos. */
export function encodePngRgba(width: number, height: number, rgba: Uint8Array | Uint8ClampedArray, level: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 = 6): Uint8Array {
  let opaque = true;
  for (let i = 3; i < rgba.length; i += 4) {
    if (rgba[i] !== 255) {
      opaque = false;
      break;
    }
  }
  const channels = opaque ? 3 : 4;
  const rowBytes = width * channels;
  const filtered = new Uint8Array(height * (rowBytes + 1));
  for (let y = 0; y < height; y++) {
    const rowStart = y * (rowBytes + 1);
    filtered[rowStart] = y === 0 ? 0 : 2;
    for (let x = 0; x < width; x++) {
      const src = (y * width + x) * 4;
      const above = src - width * 4;
      const dst = rowStart + 1 + x * channels;
      for (let c = 0; c < channels; c++) filtered[dst + c] = y === 0 ? rgba[src + c] : (rgba[src + c] - rgba[above + c]) & 255;
    }
  }
  const idat = zlibSync(filtered, { level });
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr[8] = 8;
  ihdr[9] = opaque ? 2 : 6;
  const chunks: [string, Uint8Array][] = [['IHDR', ihdr], ['IDAT', idat], ['IEND', new Uint8Array(0)]];
  const total = 8 + chunks.reduce((sum, [, body]) => sum + 12 + body.length, 0);
  const out = new Uint8Array(total);
  out.set(SIGNATURE, 0);
  let at = 8;
  const outView = new DataView(out.buffer);
  for (const [type, body] of chunks) {
    outView.setUint32(at, body.length);
    for (let i = 0; i < 4; i++) out[at + 4 + i] = type.charCodeAt(i);
    out.set(body, at + 8);
    outView.setUint32(at + 8 + body.length, crc32(out, at + 4, at + 8 + body.length));
    at += 12 + body.length;
  }
  return out;
}
