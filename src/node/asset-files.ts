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
import { gunzip } from 'node:zlib';
import { ASSET_FILES, MAX_GUNZIPPED_BYTES, setPlatformAssetLoader } from '../assets.js';
import { PhotoAvatarError } from '../errors.js';

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

export async function readGeneratedAsset(fileName: string): Promise<Uint8Array> {
  const file = assetPath(fileName);
  try {
    // A plain view of readFile's own buffer: `new Uint8Array(buffer)` would copy it (15 MiB for the pack).
    const bytes = await readFile(file);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } catch (error) {
    throw new PhotoAvatarError(
      'MISSING_ASSET',
      `Missing generated asset ${file}. A published package ships it; in a clone of the repository run \`npm run build\`.`,
      { cause: error },
    );
  }
}

const zlibGunzip = promisify(gunzip);

setPlatformAssetLoader(
  readGeneratedAsset,
  (fileName) => pathToFileURL(assetPath(fileName)).href,
  async (packed) => new Uint8Array(await zlibGunzip(packed, { maxOutputLength: MAX_GUNZIPPED_BYTES })),
);
