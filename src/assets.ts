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
  /** MediaPipe's 478-point attention FaceMesh (refined lips, eyes, irises): live tracking's optional mesh model. */
  attentionMesh: 'face-mesh-attention.onnx',
  selfie: 'selfie.onnx',
  /**
   * HSE FaceRes identity embedding: fit-quality metrics only (see METRIC_MODELS). Trained on
   * research data, so it is never in the published package; the metric is skipped without it.
   */
  faceEmbedding: 'face-embedding.onnx',
  defaultHead: 'default-head.pack',
  /** CC0 MakeHuman hair meshes for MakeHuman-built heads (../hair/asset-format.ts), loaded when an avatar gets hair. */
  hair: 'makehuman-hair.bin',
  /** The CLI's sample photo (face-api demo/sample1.jpg, MIT), copied at build time. */
  samplePhoto: 'sample-photo.jpg',
  /**
   * onnxruntime-web's plain WASM build (scripts/vendor-ort.mjs), the 'wasm' provider: its glue,
   * which ort imports by URL (its thread workers too), and its binary, gzipped.
   */
  ortGlue: 'ort-wasm-simd-threaded.mjs',
  ortBinary: 'ort-wasm-simd-threaded.wasm.gz',
  /**
   * ort's JSEP build, which adds the 'webgpu' provider: loaded instead of the plain build only when
   * a session may run on WebGPU (browsers with a hardware adapter, or backend 'webgpu').
   */
  ortWebgpuGlue: 'ort-wasm-simd-threaded.jsep.mjs',
  ortWebgpuBinary: 'ort-wasm-simd-threaded.jsep.wasm.gz',
  /**
   * Node only: libwebp's encoder WASM for the compact GLB, read by the Node loader from the
   * installed @jsquash/webp. In browsers the codec loads it itself, from where the bundler emits it.
   */
  webpEncoder: 'webp_enc_simd.wasm',
  /**
   * Node only: mozjpeg's decoder WASM for the CLI's photos, read by the Node loader from the
   * installed @jsquash/jpeg. Browsers decode photos with createImageBitmap.
   */
  jpegDecoder: 'mozjpeg_dec.wasm',
} as const;

/** What the browser needs: every asset but the CLI's sample photo, the metric-only embedding and the Node-only WebP and JPEG WASM. */
export const RUNTIME_ASSET_FILES = [
  ASSET_FILES.faceDetector, ASSET_FILES.faceMesh, ASSET_FILES.iris, ASSET_FILES.attentionMesh, ASSET_FILES.selfie,
  ASSET_FILES.defaultHead, ASSET_FILES.hair,
  ASSET_FILES.ortGlue, ASSET_FILES.ortBinary, ASSET_FILES.ortWebgpuGlue, ASSET_FILES.ortWebgpuBinary,
] as const;

export type AssetName = (typeof ASSET_FILES)[keyof typeof ASSET_FILES];

/** Fetches an asset's bytes. Replace with `setAssetLoader` to serve assets from a CDN or a bundle. */
export type AssetLoader = (fileName: string) => Promise<Uint8Array>;

let baseUrl = 'assets/';
let customLoader: AssetLoader | null = null;
let platformLoader: AssetLoader | null = null;
let platformUrl: ((fileName: string) => string) | null = null;
let platformGunzip: Gunzip | null = null;
let platformInflate: Inflate | null = null;
const cache = new Map<string, Promise<Uint8Array>>();

/** Browser: the URL folder holding the generated assets (default 'assets/'). */
export function setAssetBaseUrl(url: string): void {
  baseUrl = url.endsWith('/') ? url : `${url}/`;
  cache.clear();
}

/**
 * An absolute URL of an asset, for what is loaded by URL rather than as bytes (ort's WASM glue):
 * in Node the installed file, in browsers the file under setAssetBaseUrl, resolved against the page.
 */
export function assetUrl(fileName: string): string {
  if (platformUrl) return platformUrl(fileName);
  return new URL(baseUrl + fileName, typeof location === 'undefined' ? undefined : location.href).href;
}

export function setAssetLoader(loader: AssetLoader | null): void {
  customLoader = loader;
  cache.clear();
}

/** Whether the application replaced the loader (the avatar worker then asks the page for assets). */
export function hasCustomAssetLoader(): boolean {
  return customLoader !== null;
}

/** Inflates gzip bytes (ort's shipped binaries). */
export type Gunzip = (packed: Uint8Array) => Promise<Uint8Array>;

/** Inflates a zlib stream (RFC 1950: the hair asset's). */
export type Inflate = (packed: Uint8Array) => Promise<Uint8Array>;

/** Largest output a gzipped asset may inflate to (ort's builds are 14 and 28 MB): a wrong file fails fast. */
export const MAX_GUNZIPPED_BYTES = 256 * 1024 * 1024;

/**
 * The inflated size a gzip member's trailer announces (ISIZE, the size mod 2^32), after checking
 * the magic bytes. Not public API.
 */
export function gzipTrailerSize(packed: Uint8Array): number {
  if (packed.length < 18 || packed[0] !== 0x1f || packed[1] !== 0x8b) throw new Error('no gzip header');
  return new DataView(packed.buffer, packed.byteOffset + packed.length - 4, 4).getUint32(0, true);
}

/**
 * Installed by the Node entry: reads the package's own assets/generated, and inflates with zlib
 * (a 12 MB lower peak than DecompressionStream in Node). Not public API.
 */
export function setPlatformAssetLoader(loader: AssetLoader, urlOf: (fileName: string) => string, gunzip?: Gunzip, inflate?: Inflate): void {
  platformLoader = loader;
  platformUrl = urlOf;
  platformGunzip = gunzip ?? null;
  platformInflate = inflate ?? null;
  cache.clear();
}

/** The platform's own gunzip (Node: zlib), or null where the portable one applies. Not public API. */
export function platformGunzipper(): Gunzip | null {
  return platformGunzip;
}

/** The platform's own zlib-stream inflate (Node: zlib), or null where the portable one applies. Not public API. */
export function platformInflater(): Inflate | null {
  return platformInflate;
}

/**
 * An asset's bytes, kept for later calls unless `keep` is false (for what is read once and
 * converted, so that the raw bytes can be freed: ort's gzipped binary).
 */
export function loadAsset(fileName: string, options: { keep?: boolean } = {}): Promise<Uint8Array> {
  if (options.keep === false) return cache.get(fileName) ?? readAsset(fileName);
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
