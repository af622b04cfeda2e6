/**
 * Build-time generated assets (converted ONNX face models, the default head pack) and how they are
 * found. Browser-safe: no Node module is reachable from here. Browsers fetch them from
 * `setAssetBaseUrl` (default 'assets/'); in Node the package's node entry (`src/node/asset-files.ts`,
 * picked by the `node` condition of package.json `exports`) installs a loader that reads
 * `assets/generated/` of the installed package. `setAssetLoader` overrides both.
 */
import { PhotoAvatarError } from './errors.js';
import { isNode } from './platform.js';

export const ASSET_FILES = {
  faceDetector: 'face-detector.onnx',
  faceMesh: 'face-mesh.onnx',
  iris: 'iris.onnx',
  selfie: 'selfie.onnx',
  /**
   * HSE FaceRes identity embedding: fit-quality metrics only (see METRIC_MODELS). Trained on
   * research data, so it is never in the published package; the metric is skipped without it.
   */
  faceEmbedding: 'face-embedding.onnx',
  defaultHead: 'default-head.pack',
  /** UV albedo model of the default head (optional: built at build time when its photos are there). */
  defaultHeadAlbedoModel: 'default-head.uvapm',
  /** CC0 MakeHuman hair meshes for MakeHuman-built heads (../hair/asset-format.ts), loaded when an avatar gets hair. */
  hair: 'makehuman-hair.bin',
  /** The CLI's sample photo (face-api demo/sample1.jpg, MIT), copied at build time. */
  samplePhoto: 'sample-photo.jpg',
} as const;

/** What the browser needs: every asset but the CLI's sample photo and the metric-only embedding. */
export const RUNTIME_ASSET_FILES = [
  ASSET_FILES.faceDetector, ASSET_FILES.faceMesh, ASSET_FILES.iris, ASSET_FILES.selfie,
  ASSET_FILES.defaultHead, ASSET_FILES.defaultHeadAlbedoModel, ASSET_FILES.hair,
] as const;

export type AssetName = (typeof ASSET_FILES)[keyof typeof ASSET_FILES];

/** Fetches an asset's bytes. Replace with `setAssetLoader` to serve assets from a CDN or a bundle. */
export type AssetLoader = (fileName: string) => Promise<Uint8Array>;

let baseUrl = 'assets/';
let customLoader: AssetLoader | null = null;
let platformLoader: AssetLoader | null = null;
const cache = new Map<string, Promise<Uint8Array>>();

/** Browser: the URL folder holding the generated assets (default 'assets/'). */
export function setAssetBaseUrl(url: string): void {
  baseUrl = url.endsWith('/') ? url : `${url}/`;
  cache.clear();
}

/** The folder URL set by setAssetBaseUrl, resolved against the page (also where ort's files are looked for). */
export function assetBaseUrl(): string {
  return baseUrl;
}

export function setAssetLoader(loader: AssetLoader | null): void {
  customLoader = loader;
  cache.clear();
}

/** Installed by the Node entry: reads the package's own assets/generated. Not public API. */
export function setPlatformAssetLoader(loader: AssetLoader): void {
  platformLoader = loader;
  cache.clear();
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
  if (platformLoader) return platformLoader(fileName);
  if (isNode) {
    throw new PhotoAvatarError(
      'MISSING_ASSET',
      `No asset loader for ${fileName} in Node: import 'babylon-photo-avatar' (its node entry reads the package's assets/generated) or call setAssetLoader.`,
    );
  }
  const url = baseUrl + fileName;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new PhotoAvatarError('MISSING_ASSET', `Could not load asset ${url}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (!response.ok) {
    throw new PhotoAvatarError('MISSING_ASSET', `Could not load asset ${url}: HTTP ${response.status}. Serve the package's assets/generated/ there or call setAssetBaseUrl.`);
  }
  return new Uint8Array(await response.arrayBuffer());
}
