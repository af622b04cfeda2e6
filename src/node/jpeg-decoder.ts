/**
 * Node only: the CLI's JPEG decoder, mozjpeg compiled to WASM (@jsquash/jpeg, Apache-2.0, from the
 * Squoosh app; mozjpeg under the IJG, BSD-3-Clause and zlib licences). It decodes the CLI's 1920x1280
 * sample photo in about 0.1 s where jpeg-js takes 0.3-1.2 s (its first call runs before V8 has
 * optimised it), a share of a cold `photo-avatar create`. The photo decode (../image/decode.ts)
 * takes it through DecodeOptions.jpegDecoder and keeps jpeg-js as the fallback and for damaged
 * files. Browsers decode photos with createImageBitmap, and never load this module.
 */
import moduleFactory, { type MozJPEGModule } from '@jsquash/jpeg/codec/dec/mozjpeg_dec.js';
import { ASSET_FILES, loadAsset } from '../assets.js';
import type { JpegPixelDecoder } from '../image/decode.js';

let decoderReady: Promise<JpegPixelDecoder> | null = null;

/** The decoder, its WASM instantiated on the first call. */
export function nodeJpegDecoder(): Promise<JpegPixelDecoder> {
  decoderReady ??= loadAsset(ASSET_FILES.jpegDecoder).then(async (wasmBinary) => {
    installPlainImageData();
    const codec: MozJPEGModule = await moduleFactory({ noInitialRun: true, wasmBinary } as Parameters<typeof moduleFactory>[0]);
    return (bytes) => {
      // false: the pixels as stored; decodeImage applies the EXIF orientation itself.
      const decoded = codec.decode(bytes as Uint8Array<ArrayBuffer>, false);
      if (!decoded) throw new Error('mozjpeg could not decode the JPEG');
      return { width: decoded.width, height: decoded.height, data: new Uint8ClampedArray(decoded.data.buffer, decoded.data.byteOffset, decoded.data.byteLength) };
    };
  });
  decoderReady.catch(() => { decoderReady = null; });
  return decoderReady;
}

/**
 * Lets the decoder go (its WASM heap holds 16 MiB after a 1920x1280 photo, resident for good while
 * the module lives); the next nodeJpegDecoder call instantiates it again. For a caller done with
 * JPEG photos, such as `create` once its photos are decoded.
 */
export function releaseJpegDecoder(): void {
  decoderReady = null;
}

/**
 * mozjpeg's Emscripten glue installs a global ImageData class where Node has none, declared inside
 * its module factory: that class closes over the factory's scope, heap views included, so it kept
 * the decoder's whole WASM heap alive after every reference to the module was gone. A plain class
 * of the same shape, installed first, leaves the glue nothing to install.
 */
function installPlainImageData(): void {
  const scope = globalThis as { ImageData?: unknown };
  scope.ImageData ??= class ImageData {
    constructor(readonly data: Uint8ClampedArray, readonly width: number, readonly height: number) {}
  };
}
