/**
 * Node-only: copies the files a browser app must serve into the app's public folder, so that a
 * webpack or Vite build needs no copy plugin. Runtime assets go to `<dir>/`, and with `ort`
 * onnxruntime-web's threaded WASM glue and binary (from the app's own onnxruntime-web, so the
 * versions always match) go to `<dir>/ort/` for `configureRuntime({ wasmPaths })`.
 */
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { RUNTIME_ASSET_FILES } from '../assets.js';
import { PhotoAvatarError } from '../errors.js';
import { nodeAssetDir } from './asset-files.js';

/** onnxruntime-web files its threaded WASM backend (with the WebGPU/JSEP build) loads at run time. */
export const ORT_RUNTIME_FILES = ['ort-wasm-simd-threaded.jsep.mjs', 'ort-wasm-simd-threaded.jsep.wasm'] as const;

export interface CopiedFile {
  file: string;
  bytes: number;
}

export async function copyRuntimeAssets(outDir: string, options: { ort?: boolean } = {}): Promise<CopiedFile[]> {
  const copies: [string, string][] = RUNTIME_ASSET_FILES.map((name) => [path.join(nodeAssetDir(), name), path.join(outDir, name)]);
  if (options.ort) {
    const require = createRequire(import.meta.url);
    for (const name of ORT_RUNTIME_FILES) copies.push([require.resolve(`onnxruntime-web/${name}`), path.join(outDir, 'ort', name)]);
  }
  const copied: CopiedFile[] = [];
  for (const [from, to] of copies) {
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
