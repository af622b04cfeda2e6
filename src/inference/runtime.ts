/**
 * One place that creates onnxruntime-web sessions. Everything else in the project asks this module
 * for sessions, so the backend choice, the threading setup and the failure handling live here only.
 *
 * onnxruntime-web is not a dependency of the package: scripts/vendor-ort.mjs copies the few files
 * the product runs into assets/generated/, and `#ort` (package.json "imports") picks ort's browser
 * or Node API. Its WASM builds are assets like the models, loaded through the asset loader (browsers:
 * from setAssetBaseUrl): the binary gunzipped here and handed to ort, the glue imported by URL. So
 * no bundler emits or inlines ort's files, and ort's thread workers start from the served glue.
 *
 * Which WASM build, chosen once before the first session (ort starts one per page or process):
 * the plain one (the 'wasm' provider) in Node and in browsers that will not use WebGPU; the JSEP
 * one (adds 'webgpu', twice the size) only where a session may run on WebGPU. JSEP's CPU path is far
 * slower: a cold CLI create took 50 s and 2.5 GB on it, against 8 s and 0.7 GB on the plain build.
 *
 * Backend ('auto'): WebGPU only on a hardware adapter (a software adapter such as SwiftShader was
 * 4x slower than WASM in our measurements), else WASM; Node always uses WASM.
 *
 * Threads: min(4, cores) in Node and on cross-origin isolated pages (COOP/COEP), else 1;
 * `runtimeInfo().threadNote` says why.
 *
 * No silent hangs: session creation is raced against a timeout and against worker errors, runs
 * against worker errors, and any failure rejects with PhotoAvatarError('RUNTIME_FAILURE') naming
 * the cause.
 */
import * as ort from '#ort';
import { ASSET_FILES, assetUrl, gzipTrailerSize, loadAsset, MAX_GUNZIPPED_BYTES, platformGunzipper } from '../assets.js';
import { PhotoAvatarError } from '../errors.js';
import { isNode } from '../platform.js';

export type Backend = 'webgpu' | 'wasm';

export interface RuntimeOptions {
  /** 'auto' (default): WebGPU on a hardware adapter, else WASM. 'wasm' or 'webgpu' forces one. */
  backend?: 'auto' | Backend;
  /**
   * WASM threads. Node and cross-origin isolated pages: min(4, cores); other pages: 1 (threads
   * need SharedArrayBuffer). Set it to force a count.
   */
  numThreads?: number;
  /** Milliseconds one session creation may take before it fails (default 120000). */
  sessionTimeoutMs?: number;
}

/** What the runtime actually uses, for reports and diagnostics. */
export interface RuntimeInfo {
  threads: number;
  /** ort's WASM build: 'plain' (the 'wasm' provider) or 'jsep' (adds 'webgpu'); undefined before the first session. */
  wasmBuild?: WasmBuild;
  /** Why threads are what they are (e.g. "1 thread: page not cross-origin isolated"). */
  threadNote: string;
}

let configured = false;
let preferred: 'auto' | Backend = 'auto';
let sessionTimeoutMs = 120_000;
let info: RuntimeInfo = { threads: 1, threadNote: 'not configured yet' };
/** What configureRuntime was first given: the avatar worker repeats it in its own runtime. */
let firstOptions: RuntimeOptions = {};
/** Set after the first WASM session: ort's thread workers are up. */
let threadedWasmStarted = false;

/** Threads for the WASM backend, and why: a small pure rule (tested). */
export function chooseThreads(options: { isNode: boolean; crossOriginIsolated: boolean; cores: number; numThreads?: number }): { threads: number; note: string } {
  const most = Math.max(1, Math.min(4, options.cores));
  if (options.numThreads !== undefined) return { threads: Math.max(1, Math.floor(options.numThreads)), note: 'numThreads set by the application' };
  if (options.isNode) return { threads: most, note: 'Node: min(4, cores)' };
  if (!options.crossOriginIsolated) return { threads: 1, note: '1 thread: the page is not cross-origin isolated (serve it with COOP/COEP headers for threads)' };
  return { threads: most, note: `${most} threads: cross-origin isolated page` };
}

/** Configures onnxruntime-web once; later calls only change the preferred backend and the timeout. */
export function configureRuntime(options: RuntimeOptions = {}): void {
  preferred = options.backend ?? preferred;
  if (options.sessionTimeoutMs !== undefined) sessionTimeoutMs = options.sessionTimeoutMs;
  if (configured) return;
  configured = true;
  firstOptions = { ...options };
  const cores = typeof navigator !== 'undefined' && navigator.hardwareConcurrency ? navigator.hardwareConcurrency : 2;
  const crossOriginIsolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const { threads, note } = chooseThreads({ isNode, crossOriginIsolated, cores, numThreads: options.numThreads });
  ort.env.wasm.numThreads = threads;
  ort.env.logLevel = 'error';
  info = { threads, threadNote: note };
}

type WasmBuild = 'plain' | 'jsep';

const WASM_BUILDS: Record<WasmBuild, { glue: string; binary: string }> = {
  plain: { glue: ASSET_FILES.ortGlue, binary: ASSET_FILES.ortBinary },
  jsep: { glue: ASSET_FILES.ortWebgpuGlue, binary: ASSET_FILES.ortWebgpuBinary },
};

let wasmReady: Promise<void> | undefined;

/**
 * Gunzips with the browser's native DecompressionStream (off the main thread) straight into one
 * buffer of the size the gzip trailer gives, so the binary never exists twice. Node uses zlib
 * (src/node/asset-files.ts installs it).
 */
export async function gunzip(packed: Uint8Array): Promise<Uint8Array> {
  const size = gzipTrailerSize(packed);
  if (size > MAX_GUNZIPPED_BYTES) throw new Error(`its gzip trailer announces ${size} bytes`);
  const out = new Uint8Array(size);
  let filled = 0;
  const source = new ReadableStream<BufferSource>({ start(controller) { controller.enqueue(packed as Uint8Array<ArrayBuffer>); controller.close(); } });
  const reader = source.pipeThrough(new DecompressionStream('gzip')).getReader();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    if (filled + chunk.value.length > size) throw new Error(`it inflates to more than the ${size} bytes its trailer announces`);
    out.set(chunk.value, filled);
    filled += chunk.value.length;
  }
  if (filled !== size) throw new Error(`it inflates to ${filled} bytes, not the ${size} its trailer announces`);
  return out;
}

/**
 * Before the first session: the chosen build's binary from the asset loader, gunzipped and handed
 * to ort, and the URL of its glue. Once per page or process: later sessions share that build.
 */
function prepareWasm(build: WasmBuild): Promise<void> {
  wasmReady ??= (async () => {
    const { glue, binary: packedName } = WASM_BUILDS[build];
    let binary: Uint8Array;
    try {
      binary = await (platformGunzipper() ?? gunzip)(await loadAsset(packedName, { keep: false }));
    } catch (error) {
      if (error instanceof PhotoAvatarError) throw error;
      throw new PhotoAvatarError('MISSING_ASSET', `${packedName} is not ort's gzipped binary (${error instanceof Error ? error.message : String(error)}): serve the package's copy unchanged.`, { cause: error });
    }
    // ort's glue views an ArrayBuffer but copies a Uint8Array: hand it the buffer when the bytes fill it.
    ort.env.wasm.wasmBinary = binary.byteOffset === 0 && binary.byteLength === binary.buffer.byteLength ? binary.buffer : binary;
    ort.env.wasm.wasmPaths = { mjs: assetUrl(glue) };
    info = { ...info, wasmBuild: build };
  })();
  wasmReady.catch(() => { wasmReady = undefined; });
  return wasmReady;
}

/**
 * Once ort has compiled its binary (at the first session), the bytes are dead weight: thread workers
 * get the compiled module. But ort's glue keeps a reference to what it was handed, so 14 MB (28 MB
 * for JSEP) would stay resident for the life of the process. Detaching the buffer (transferring it
 * into a clone that is dropped) frees them whoever still refers to it.
 */
function releaseWasmBinary(): void {
  const binary = ort.env.wasm.wasmBinary;
  ort.env.wasm.wasmBinary = undefined;
  const buffer = binary instanceof Uint8Array ? binary.buffer : binary;
  // Only a buffer of its own: a view into a shared pool must stay intact.
  const whole = buffer instanceof ArrayBuffer && buffer.byteLength > 0 && (!(binary instanceof Uint8Array) || binary.byteLength === buffer.byteLength);
  if (whole) structuredClone(buffer, { transfer: [buffer] });
}

/**
 * JSEP only in a browser with WebGPU where this call or the page's preference forces it, or 'auto'
 * (of either) finds a hardware adapter; the plain build everywhere else.
 */
async function chooseWasmBuild(want: 'auto' | Backend): Promise<WasmBuild> {
  if (!webgpuPresent()) return 'plain';
  if (want === 'webgpu' || preferred === 'webgpu') return 'jsep';
  if (want !== 'auto' && preferred !== 'auto') return 'plain';
  return await hardwareWebgpuAvailable() ? 'jsep' : 'plain';
}

/** The options in force (the first call's, with the latest backend and timeout). */
export function runtimeOptions(): RuntimeOptions {
  return { ...firstOptions, backend: preferred, sessionTimeoutMs };
}

export function runtimeInfo(): RuntimeInfo {
  return { ...info };
}

/**
 * The avatar worker's runtime, as it reported with a result: when the page ran no session of its
 * own, runtimeInfo() then names the WASM build the worker loaded.
 */
export function recordWorkerRuntime(worker: RuntimeInfo): void {
  if (!info.wasmBuild && worker.wasmBuild) info = { ...info, wasmBuild: worker.wasmBuild };
}

interface AdapterLike {
  isFallbackAdapter?: boolean;
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
}

/**
 * A software adapter (SwiftShader, llvmpipe, WARP, or one the browser flags as fallback) runs the
 * models several times slower than WASM: 'auto' must not pick it. Pure, tested.
 */
export function isSoftwareAdapter(adapter: AdapterLike): boolean {
  if (adapter.isFallbackAdapter === true || adapter.info?.isFallbackAdapter === true) return true;
  const text = [adapter.info?.vendor, adapter.info?.architecture, adapter.info?.device, adapter.info?.description].filter(Boolean).join(' ').toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|softpipe|microsoft basic render|warp/.test(text);
}

let hardwareWebgpu: Promise<boolean> | undefined;

/** Whether the page has a hardware WebGPU adapter (asked once). */
function hardwareWebgpuAvailable(): Promise<boolean> {
  if (isNode || typeof navigator === 'undefined') return Promise.resolve(false);
  const gpu = (navigator as { gpu?: { requestAdapter(): Promise<AdapterLike | null> } }).gpu;
  if (!gpu) return Promise.resolve(false);
  hardwareWebgpu ??= gpu.requestAdapter().then((adapter) => !!adapter && !isSoftwareAdapter(adapter), () => false);
  return hardwareWebgpu;
}

function webgpuPresent(): boolean {
  return !isNode && typeof navigator !== 'undefined' && !!(navigator as { gpu?: unknown }).gpu;
}

export interface LoadedSession {
  session: ort.InferenceSession;
  backend: Backend;
}

/** What to do when threaded WASM fails to start or a thread worker dies. */
const THREAD_ADVICE = `With threads, ort's thread workers load ${ASSET_FILES.ortGlue} (${ASSET_FILES.ortWebgpuGlue} with WebGPU): serve it with the other assets (setAssetBaseUrl), or call configureRuntime({ numThreads: 1 }).`;

/**
 * Waits for `work` (a session creation or a run), but rejects with RUNTIME_FAILURE naming the
 * cause when it fails, after `timeoutMs` if given, or as soon as the page reports an uncaught
 * worker error (ort's thread workers fail that way, and ort never settles). Exported for tests.
 */
export async function guarded<T>(work: Promise<T>, backend: Backend, timeoutMs?: number, doing: 'session' | 'run' = 'session'): Promise<T> {
  // While threaded WASM starts, a page error is most likely a thread worker that could not load
  // its script: emscripten reports it only as the worker's uncaught error, so any counts.
  const threadStartUp = backend === 'wasm' && info.threads > 1 && !threadedWasmStarted;
  const what = `onnxruntime-web ${backend} ${doing} (${info.threads} thread${info.threads === 1 ? '' : 's'})`;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onError: ((event: Event) => void) | undefined;
  const target = typeof globalThis.addEventListener === 'function' && !isNode ? globalThis : undefined;
  const failure = new Promise<never>((_, reject) => {
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => reject(new PhotoAvatarError('RUNTIME_FAILURE', `${what} was not ready after ${Math.round(timeoutMs / 1000)} s. ${THREAD_ADVICE}`)), timeoutMs);
    }
    onError = (event: Event) => {
      // Emscripten rethrows a failed thread worker's ErrorEvent on the page: that is ort failing.
      const thrown = (event as ErrorEvent).error;
      const workerFailure = typeof ErrorEvent !== 'undefined' && thrown instanceof ErrorEvent;
      const message = workerFailure
        ? `a thread worker failed (${thrown.message})`
        : `${(event as ErrorEvent).message ?? String((event as PromiseRejectionEvent).reason ?? '')}${(event as ErrorEvent).filename ? ` (${(event as ErrorEvent).filename})` : ''}`;
      if (!workerFailure && !threadStartUp && !/worker|pthread|wasm|onnx|\bort\b/i.test(message)) return;
      reject(new PhotoAvatarError('RUNTIME_FAILURE', `${what} failed: ${message}. ${THREAD_ADVICE}`, { cause: event }));
    };
    target?.addEventListener('error', onError);
    target?.addEventListener('unhandledrejection', onError);
  });
  try {
    const done = await Promise.race([work, failure]);
    if (backend === 'wasm') threadedWasmStarted = true;
    return done;
  } catch (error) {
    if (error instanceof PhotoAvatarError) throw error;
    throw new PhotoAvatarError('RUNTIME_FAILURE', `${what} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
    if (onError) {
      target?.removeEventListener('error', onError);
      target?.removeEventListener('unhandledrejection', onError);
    }
  }
}

/**
 * Every caller's `session.run` goes through guarded(): ort rejects runs with a plain Error (bad
 * input shapes, out of memory) or, when a thread worker dies, never settles.
 */
function guardRuns(session: ort.InferenceSession, backend: Backend): ort.InferenceSession {
  const run = session.run.bind(session) as (...args: unknown[]) => Promise<ort.InferenceSession.OnnxValueMapType>;
  session.run = ((...args: unknown[]) => guarded(run(...args), backend, undefined, 'run')) as typeof session.run;
  return session;
}

function created(session: ort.InferenceSession, backend: Backend): LoadedSession {
  releaseWasmBinary();
  return { session: guardRuns(session, backend), backend };
}

/**
 * Sessions log errors only, as ort.env does (configureRuntime): at ort's default (warnings) every
 * WebGPU session of a graph with shape arithmetic, such as the attention FaceMesh, printed a
 * console error that ort places those nodes on the CPU, which it does by design.
 */
const SESSION_OPTIONS = { graphOptimizationLevel: 'all', logSeverityLevel: 3 } as const;

/**
 * Configures the runtime and brings its WASM build's binary in (read and inflated once; see
 * prepareWasm); resolves to the backend wanted. createSession does this first: calling it earlier
 * starts the binary's read while the models' bytes are read.
 */
export async function prepareRuntime(backend?: 'auto' | Backend): Promise<'auto' | Backend> {
  configureRuntime();
  const want = backend ?? preferred;
  await prepareWasm(info.wasmBuild ?? await chooseWasmBuild(want));
  return want;
}

/**
 * Creates a session from model bytes: WebGPU when forced, or with 'auto' on a hardware adapter;
 * WASM otherwise, and as the fallback when WebGPU cannot run the graph (unless forced).
 */
export async function createSession(model: Uint8Array, options: { backend?: 'auto' | Backend } = {}): Promise<LoadedSession> {
  const want = await prepareRuntime(options.backend);
  const tryWebgpu = want === 'webgpu' ? webgpuPresent() : want === 'auto' && await hardwareWebgpuAvailable();
  if (tryWebgpu && info.wasmBuild === 'jsep') {
    try {
      const session = await guarded(ort.InferenceSession.create(model, { executionProviders: ['webgpu'], ...SESSION_OPTIONS }), 'webgpu', sessionTimeoutMs);
      return created(session, 'webgpu');
    } catch (error) {
      if (want === 'webgpu') throw error;
      // Fall through to WASM: an op without a WebGPU kernel, or a device that failed.
    }
  } else if (want === 'webgpu') {
    throw new PhotoAvatarError('RUNTIME_FAILURE', tryWebgpu
      ? 'backend \'webgpu\' was requested after onnxruntime-web had started its WASM-only build: call configureRuntime({ backend: \'webgpu\' }) before the first avatar.'
      : 'backend \'webgpu\' was requested but this environment has no WebGPU (navigator.gpu).');
  }
  const session = await guarded(ort.InferenceSession.create(model, { executionProviders: ['wasm'], ...SESSION_OPTIONS }), 'wasm', sessionTimeoutMs);
  return created(session, 'wasm');
}

export { ort };
