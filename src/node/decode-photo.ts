/**
 * A photo's bytes as an image, for Node programs (the node entry's `decodePhoto`, the CLI): JPEGs
 * through mozjpeg (./jpeg-decoder.ts), several times faster than the portable `decodeImage`'s
 * jpeg-js (the 1920x1280 sample photo: about 0.1 s against 0.3-1.2 s cold, and about 50 against
 * 200 ms once warm); PNG and PNM as `decodeImage` reads them. Browsers decode with
 * createImageBitmap and never load this module.
 */
import { decodeImage, sniffImageFormat, type DecodedImage, type DecodeOptions } from '../image/decode.js';
import { nodeJpegDecoder } from './jpeg-decoder.js';

export async function decodePhoto(bytes: Uint8Array, options: Omit<DecodeOptions, 'jpegDecoder'> = {}): Promise<DecodedImage> {
  const jpegDecoder = sniffImageFormat(bytes) === 'jpeg' ? await nodeJpegDecoder() : undefined;
  return decodeImage(bytes, { ...options, jpegDecoder });
}
