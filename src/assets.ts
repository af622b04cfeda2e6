/**
 * Build-time generated assets (converted ONNX face models, the default head pack) and how they are
 * found: from `assets/generated/` of the installed package in Node, over HTTP in browsers.
 * `npm run build` (run by `npm install`) creates them from node_modules; nothing is downloaded.
 */

export const ASSET_FILES = {
  faceDetector: 'face-detector.onnx',
  faceMesh: 'face-mesh.onnx',
  iris: 'iris.onnx',
  selfie: 'selfie.onnx',
  /** HSE FaceRes identity embedding: fit-quality metrics only (see METRIC_MODELS). */
  faceEmbedding: 'face-embedding.onnx',
  defaultHead: 'default-head.pack',
  /** UV albedo model of the default head (optional: built at build time when its photos are there). */
  defaultHeadAlbedoModel: 'default-head.uvapm',
} as const;

export type AssetName = (typeof ASSET_FILES)[keyof typeof ASSET_FILES];

/** Fetches an asset's bytes. Replace with `setAssetLoader` to serve assets from a CDN or a bundle. */
export type AssetLoader = (fileName: string) => Promise<Uint8Array>;

const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof window === 'undefined';
let baseUrl = 'assets/';
let customLoader: AssetLoader | null = null;
const cache = new Map<string, Promise<Uint8Array>>();

/** Browser: the URL folder holding the generated assets (default 'assets/'). */
export function setAssetBaseUrl(url: string): void {
  baseUrl = url.endsWith('/') ? url : `${url}/`;
  cache.clear();
}

export function setAssetLoader(loader: AssetLoader | null): void {
  customLoader = loader;
  cache.clear();
}

/** Absolute folder of generated assets in Node (the package's assets/generated). */
export async function nodeAssetDir(): Promise<string> {
  const { fileURLToPath } = await import('node:url');
  const path = await import('node:path');
  const { existsSync } = await import('node:fs');
  // Works from src/ (tsx) and dist/src/ (compiled): walk up to the folder holding package.json.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5 && !existsSync(path.join(dir, 'package.json')); i++) dir = path.dirname(dir);
  return path.join(dir, 'assets', 'generated');
}

export function loadAsset(fileName: string): Promise<Uint8Array> {
  let pending = cache.get(fileName);
  if (!pending) {
    pending = readAsset(fileName);
    cache.set(fileName, pending);
    pending.catch(() => cache.delete(fileName));
  }
  return pending;
}

async function readAsset(fileName: string): Promise<Uint8Array> {
  if (customLoader) return customLoader(fileName);
  if (isNode) {
    const { readFile } = await import('node:fs/promises');
    const path = await import('node:path');
    const file = path.join(await nodeAssetDir(), fileName);
    try {
      return new Uint8Array(await readFile(file));
    } catch {
      throw new Error(`Missing generated asset ${file}. Run \`npm run build\` in the package folder to create it from node_modules.`);
    }
  }
  const response = await fetch(baseUrl + fileName);
  if (!response.ok) throw new Error(`Could not load asset ${baseUrl + fileName}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}
