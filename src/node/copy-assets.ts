/**
 * Node-only: copies the files a browser app must serve (the face models, the default head and
 * onnxruntime-web's WASM glue and binary) into the app's public folder, so that a webpack or Vite
 * build needs no copy plugin.
 */
import { copyFile, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { RUNTIME_ASSET_FILES } from '../assets.js';
import { PhotoAvatarError } from '../errors.js';
import { nodeAssetDir } from './asset-files.js';

export interface CopiedFile {
  file: string;
  bytes: number;
}

export async function copyRuntimeAssets(outDir: string): Promise<CopiedFile[]> {
  const copied: CopiedFile[] = [];
  for (const name of RUNTIME_ASSET_FILES) {
    const [from, to] = [path.join(nodeAssetDir(), name), path.join(outDir, name)];
    try {
      await mkdir(path.dirname(to), { recursive: true });
      await copyFile(from, to);
    } catch (error) {
      throw new PhotoAvatarError('MISSING_ASSET', `Could not copy ${from} to ${to}: ${(error as Error).message}`, { cause: error });
    }
    copied.push({ file: to, bytes: (await stat(to)).size });
  }
  return copied;
}
