/**
 * Node-only: reads the generated assets from the installed package's `assets/generated/` and
 * installs itself as the asset loader when imported. The node entry (src/index.node.ts), the CLI
 * and the build scripts import it; the browser entry never does, so bundlers see no `node:` module.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setPlatformAssetLoader } from '../assets.js';
import { PhotoAvatarError } from '../errors.js';

/** Absolute folder of generated assets (the package's assets/generated), from src/ (tsx) or dist/src/. */
export function nodeAssetDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5 && !existsSync(path.join(dir, 'package.json')); i++) dir = path.dirname(dir);
  return path.join(dir, 'assets', 'generated');
}

export async function readGeneratedAsset(fileName: string): Promise<Uint8Array> {
  const file = path.join(nodeAssetDir(), fileName);
  try {
    return new Uint8Array(await readFile(file));
  } catch (error) {
    throw new PhotoAvatarError(
      'MISSING_ASSET',
      `Missing generated asset ${file}. A published package ships it; in a clone of the repository run \`npm run build\`.`,
      { cause: error },
    );
  }
}

setPlatformAssetLoader(readGeneratedAsset, (fileName) => pathToFileURL(path.join(nodeAssetDir(), fileName)).href);
