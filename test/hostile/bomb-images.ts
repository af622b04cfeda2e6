/** Generated hostile images: tiny files whose headers or compressed data declare huge images. */
import { deflateSync } from 'node:zlib';
import { crc32 } from '../../src/math/crc32.js';

function chunk(type: string, body: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'latin1');
  out.set(body, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}

function ihdr(width: number, height: number, bitDepth: number, colorType: number): Buffer {
  const body = Buffer.alloc(13);
  body.writeUInt32BE(width, 0);
  body.writeUInt32BE(height, 4);
  body[8] = bitDepth;
  body[9] = colorType;
  return chunk('IHDR', body);
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * A 1-bit grey PNG of side x side pixels whose rows are all zero: the compressed data is about
 * side^2 / 8 / 1000 bytes, the decoded RGBA side^2 * 4 bytes (30000^2: ~110 KB on disk, 3.6 GB decoded).
 */
export function blackBilevelPngBomb(side: number): Buffer {
  const rowBytes = 1 + Math.ceil(side / 8);
  const raw = Buffer.alloc(rowBytes * side);
  return Buffer.concat([SIGNATURE, ihdr(side, side, 1, 0), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', new Uint8Array(0))]);
}

/** A PNG whose header alone declares width x height: the image data is a few bytes. */
export function headerOnlyPngBomb(width: number, height: number): Buffer {
  return Buffer.concat([SIGNATURE, ihdr(width, height, 8, 2), chunk('IDAT', deflateSync(Buffer.alloc(16))), chunk('IEND', new Uint8Array(0))]);
}

/**
 * A PNG within the pixel cap whose IDAT inflates to far more than the header implies (a zlib bomb
 * hidden behind an honest-looking header).
 */
export function overlongIdatPng(side: number, inflatedBytes: number): Buffer {
  return Buffer.concat([SIGNATURE, ihdr(side, side, 8, 2), chunk('IDAT', deflateSync(Buffer.alloc(inflatedBytes), { level: 9 })), chunk('IEND', new Uint8Array(0))]);
}
