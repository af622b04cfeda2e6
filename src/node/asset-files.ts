/**
 * Node-only: reads the generated assets from the installed package's `assets/generated/` and
 * installs itself as the asset loader when imported. The node entry (src/index.node.ts), the CLI
 * and the build scripts import it; the browser entry never does, so bundlers see no `node:` module.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { ASSET_FILES, gzipTrailerSize, MAX_GUNZIPPED_BYTES, setPlatformAssetLoader } from '../assets.js';
import { PhotoAvatarError } from '../errors.js';
import { setPlatformCrc32 } from '../math/crc32.js';

/**
 * Assets read from a dependency rather than assets/generated: the bytes the browser build gets
 * from its bundler, without a second copy in the package.
 */
const DEPENDENCY_ASSETS: Readonly<Record<string, string>> = {
  // Node 20 always has WASM SIMD, so the codec picks its SIMD build, whose WASM this is.
  [ASSET_FILES.webpEncoder]: '@jsquash/webp/codec/enc/webp_enc_simd.wasm',
  [ASSET_FILES.jpegDecoder]: '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm',
};

/** Absolute folder of generated assets (the package's assets/generated), from src/ (tsx) or dist/src/. */
export function nodeAssetDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5 && !existsSync(path.join(dir, 'package.json')); i++) dir = path.dirname(dir);
  return path.join(dir, 'assets', 'generated');
}

function assetPath(fileName: string): string {
  const dependencyFile = DEPENDENCY_ASSETS[fileName];
  if (dependencyFile === undefined) return path.join(nodeAssetDir(), fileName);
  try {
    return createRequire(import.meta.url).resolve(dependencyFile);
  } catch (error) {
    throw new PhotoAvatarError('MISSING_ASSET', `Missing ${dependencyFile}: install the package's dependencies (npm install).`, { cause: error });
  }
}

/**
 * A plain Uint8Array over a Buffer's own bytes: `new Uint8Array(buffer)` would copy them (15 MiB
 * for the pack, 11 MiB for ort's gunzipped WASM, each fresh pages to fault in on a cold start).
 */
function plainView(bytes: Buffer): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export async function readGeneratedAsset(fileName: string): Promise<Uint8Array> {
  const file = assetPath(fileName);
  try {
    return plainView(await readFile(file));
  } catch (error) {
    throw new PhotoAvatarError(
      'MISSING_ASSET',
      `Missing generated asset ${file}. A published package ships it; in a clone of the repository run \`npm run build\`.`,
      { cause: error },
    );
  }
}

const zlibGunzip = promisify(zlib.gunzip);

/** The smallest and largest output chunk asked of zlib (its own default is 16 KiB). */
const MIN_GUNZIP_CHUNK = 64 * 1024;
const MAX_GUNZIP_CHUNK = 64 * 1024 * 1024;

/**
 * Inflates on libuv's thread pool into one chunk of the size the gzip trailer announces: in 16 KiB
 * chunks, ort's 14 MB binary took about 870 round trips through the main thread and a final copy
 * (160-180 ms against 70, cold). zlib checks the trailer too: a file whose trailer lies is refused.
 */
async function gunzipWhole(packed: Uint8Array): Promise<Uint8Array> {
  const chunkSize = Math.min(MAX_GUNZIP_CHUNK, Math.max(MIN_GUNZIP_CHUNK, gzipTrailerSize(packed)));
  return plainView(await zlibGunzip(packed, { maxOutputLength: MAX_GUNZIPPED_BYTES, chunkSize }));
}

const zlibInflate = promisify(zlib.inflate);

/**
 * Inflates a zlib stream on libuv's thread pool, in 1 MiB output chunks: the hair asset (1 MB
 * packed, 2.3 MB inflated) took about 100 ms of the main thread in fflate's JS inflate, 16 ms here.
 */
async function inflateWhole(packed: Uint8Array): Promise<Uint8Array> {
  return plainView(await zlibInflate(packed, { maxOutputLength: MAX_GUNZIPPED_BYTES, chunkSize: 1024 * 1024 }));
}

setPlatformAssetLoader(readGeneratedAsset, (fileName) => pathToFileURL(assetPath(fileName)).href, gunzipWhole, inflateWhole);
// zlib.crc32 came in Node 20.15; before it the portable one stays.
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
if (typeof nativeCrc32 === 'function') setPlatformCrc32((bytes) => nativeCrc32(bytes));
