// Run in a fresh process (node --expose-gc --import tsx) by test/face/decode.test.ts: another test
// file in the same mocha process may already hold a decoder, and then what releaseJpegDecoder frees
// cannot be told apart. Prints one JSON line: live ArrayBuffers (MiB) with the decoder and after
// releasing it, and whether a new decoder gives the same pixels.
import { createHash } from 'node:crypto';
import '../../src/node/asset-files.js';
import { decodeImage } from '../../src/image/decode.js';
import { encodeJpeg } from '../../src/image/encode.js';
import { nodeJpegDecoder, releaseJpegDecoder } from '../../src/node/jpeg-decoder.js';

const collect = (globalThis as { gc?: () => void }).gc;
if (!collect) throw new Error('run with --expose-gc');
/**
 * Live ArrayBuffers after collections: several, each after a turn of the event loop, since what
 * holds the decoder's heap is let go over more than one (one collection left all 53 MiB in about
 * one run in five).
 */
const arrayBufferMiB = async () => {
  for (let round = 0; round < 4; round++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    collect();
  }
  return process.memoryUsage().arrayBuffers / 2 ** 20;
};
/** A large photo, which grows the decoder's WASM heap (the process then holds it). */
function largeJpeg(): Uint8Array {
  const width = 4000, height = 3000, data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([i % 251, (i >> 8) % 241, (i >> 16) % 239, 255], 4 * i);
  return encodeJpeg({ width, height, data }, 90);
}
/** The decoded pixels' digest: the pixels themselves would count in the ArrayBuffers measured. */
async function decodedDigest(bytes: Uint8Array): Promise<string> {
  const { data } = decodeImage(bytes, { jpegDecoder: await nodeJpegDecoder() }).image;
  return createHash('sha256').update(data).digest('hex');
}
const bytes = largeJpeg();
const before = await decodedDigest(bytes);
const held = await arrayBufferMiB();
releaseJpegDecoder();
const released = await arrayBufferMiB();
const same = (await decodedDigest(bytes)) === before;
console.log(JSON.stringify({ held, released, same }));
