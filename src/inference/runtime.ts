/**
 * One place that creates onnxruntime-web sessions. Everything else in the project asks this module
 * for sessions, so the backend choice, the threading setup and the failure handling live here only.
 *
 * Backend ('auto'): WebGPU only on a hardware adapter (a software adapter such as SwiftShader was
 * 4x slower than WASM in our measurements), else WASM; Node always uses WASM.
 *
 * Threads: Node uses min(4, cores). In browsers threads need a cross-origin isolated page, and the
 * ort thread workers must be able to load ort's `.mjs` glue: that works when the bundler keeps ort
 * in its own file (webpack) or when `wasmPaths` points at served copies of ort's files (any
 * bundler; Vite needs it, as its production build inlines ort into the app chunk, which then fails
 * in the worker). So browsers get threads when the page is isolated AND `wasmPaths` or `numThreads`
 * is given; otherwise one thread, and `runtimeInfo().threadNote` says why.
 *
 * No silent hangs: session creation is raced against a timeout and against worker errors, and any
 * failure rejects with PhotoAvatarError('RUNTIME_FAILURE') naming the cause.
 */
import * as ort from 'onnxruntime-web';
import { PhotoAvatarError } from '../errors.js';
import { isNode } from '../platform.js';

export type Backend = 'webgpu' | 'wasm';

export interface RuntimeOptions {
  /** 'auto' (default): WebGPU on a hardware adapter, else WASM. 'wasm' or 'webgpu' forces one. */
  backend?: 'auto' | Backend;
  /**
   * WASM threads. Node: min(4, cores). Browsers: min(4, cores) on a cross-origin isolated page
   * when `wasmPaths` is set, else 1 (see the module comment). Set it to force a count.
   */
  numThreads?: number;
  /**
   * URL folder (ending in '/') serving onnxruntime-web's `ort-wasm-simd-threaded.jsep.mjs` and
   * `.wasm` (from node_modules/onnxruntime-web/dist; `photo-avatar copy-assets <dir> --ort` copies
   * them). Needed for threads under Vite.
   */
  wasmPaths?: string;
  /** Milliseconds one session creation may take before it fails (default 120000). */
  sessionTimeoutMs?: number;
}

/** What the runtime actually uses, for reports and diagnostics. */
export interface RuntimeInfo {
  threads: number;
  /** Why threads are what they are (e.g. "1 thread: page not cross-origin isolated"). */
  threadNote: string;
  wasmPaths: string | null;
}

let configured = false;
let preferred: 'auto' | Backend = 'auto';
let sessionTimeoutMs = 120_000;
let info: RuntimeInfo = { threads: 1, threadNote: 'not configured yet', wasmPaths: null };
/** What configureRuntime was first given: the avatar worker repeats it in its own runtime. */
let firstOptions: RuntimeOptions = {};
/** Set after the first WASM session: ort's thread workers are up. */
let threadedWasmStarted = false;

/** Threads for the WASM backend, and why: a small pure rule (tested). */
export function chooseThreads(options: { isNode: boolean; crossOriginIsolated: boolean; cores: number; numThreads?: number; wasmPaths?: string }): { threads: number; note: string } {
  const most = Math.max(1, Math.min(4, options.cores));
  if (options.numThreads !== undefined) return { threads: Math.max(1, Math.floor(options.numThreads)), note: 'numThreads set by the application' };
  if (options.isNode) return { threads: most, note: 'Node: min(4, cores)' };
  if (!options.crossOriginIsolated) return { threads: 1, note: '1 thread: the page is not cross-origin isolated (serve it with COOP/COEP headers for threads)' };
  if (!options.wasmPaths) return { threads: 1, note: '1 thread: no wasmPaths (serve onnxruntime-web\'s .mjs/.wasm and call configureRuntime({ wasmPaths }) for threads)' };
  return { threads: most, note: `${most} threads: cross-origin isolated page, ort files from ${options.wasmPaths}` };
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
  const { threads, note } = chooseThreads({ isNode, crossOriginIsolated, cores, numThreads: options.numThreads, wasmPaths: options.wasmPaths });
  ort.env.wasm.numThreads = threads;
  if (options.wasmPaths) ort.env.wasm.wasmPaths = options.wasmPaths;
  ort.env.logLevel = 'error';
  info = { threads, threadNote: note, wasmPaths: options.wasmPaths ?? null };
}

/** The options in force (the first call's, with the latest backend and timeout). */
export function runtimeOptions(): RuntimeOptions {
  return { ...firstOptions, backend: preferred, sessionTimeoutMs };
}

export function runtimeInfo(): RuntimeInfo {
  return { ...info };
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

/**
 * Waits for `creating`, but rejects with RUNTIME_FAILURE after `timeoutMs`, or as soon as the page
 * reports an uncaught worker error (ort's thread workers fail that way, and ort never settles).
 * Exported for tests.
 */
export async function guarded<T>(creating: Promise<T>, backend: Backend, timeoutMs: number): Promise<T> {
  // While threaded WASM starts, a page error is most likely a thread worker that loaded the app's
  // own chunk (Vite): emscripten reports it only as the worker's uncaught error, so any counts.
  const threadStartUp = backend === 'wasm' && info.threads > 1 && !threadedWasmStarted;
  const what = `onnxruntime-web ${backend} session (${info.threads} thread${info.threads === 1 ? '' : 's'})`;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onError: ((event: Event) => void) | undefined;
  const target = typeof globalThis.addEventListener === 'function' && !isNode ? globalThis : undefined;
  const failure = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PhotoAvatarError(
      'RUNTIME_FAILURE',
      `${what} was not ready after ${Math.round(timeoutMs / 1000)} s. With threads, a common cause is a thread worker that cannot load ort's script: ` +
      'serve onnxruntime-web\'s files and call configureRuntime({ wasmPaths }), or configureRuntime({ numThreads: 1 }).',
    )), timeoutMs);
    onError = (event: Event) => {
      // Emscripten rethrows a failed thread worker's ErrorEvent on the page: that is ort failing.
      const thrown = (event as ErrorEvent).error;
      const workerFailure = typeof ErrorEvent !== 'undefined' && thrown instanceof ErrorEvent;
      const message = workerFailure
        ? `a thread worker failed (${thrown.message})`
        : `${(event as ErrorEvent).message ?? String((event as PromiseRejectionEvent).reason ?? '')}${(event as ErrorEvent).filename ? ` (${(event as ErrorEvent).filename})` : ''}`;
      if (!workerFailure && !threadStartUp && !/worker|pthread|wasm|onnx|\bort\b/i.test(message)) return;
      reject(new PhotoAvatarError('RUNTIME_FAILURE', `${what} failed: ${message}. With threads, serve onnxruntime-web's files and call configureRuntime({ wasmPaths }), or configureRuntime({ numThreads: 1 }).`, { cause: event }));
    };
    target?.addEventListener('error', onError);
    target?.addEventListener('unhandledrejection', onError);
  });
  try {
    const created = await Promise.race([creating, failure]);
    if (backend === 'wasm') threadedWasmStarted = true;
    return created;
  } catch (error) {
    if (error instanceof PhotoAvatarError) throw error;
    throw new PhotoAvatarError('RUNTIME_FAILURE', `${what} could not be created: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
    if (onError) {
      target?.removeEventListener('error', onError);
      target?.removeEventListener('unhandledrejection', onError);
    }
  }
}

/**
 * Creates a session from model bytes: WebGPU when forced, or with 'auto' on a hardware adapter;
 * WASM otherwise, and as the fallback when WebGPU cannot run the graph (unless forced).
 */
export async function createSession(model: Uint8Array, options: { backend?: 'auto' | Backend } = {}): Promise<LoadedSession> {
  configureRuntime();
  const want = options.backend ?? preferred;
  const tryWebgpu = want === 'webgpu' ? webgpuPresent() : want === 'auto' && await hardwareWebgpuAvailable();
  if (tryWebgpu) {
    try {
      const session = await guarded(ort.InferenceSession.create(model, { executionProviders: ['webgpu'], graphOptimizationLevel: 'all' }), 'webgpu', sessionTimeoutMs);
      return { session, backend: 'webgpu' };
    } catch (error) {
      if (want === 'webgpu') throw error;
      // Fall through to WASM: an op without a WebGPU kernel, or a device that failed.
    }
  } else if (want === 'webgpu') {
    throw new PhotoAvatarError('RUNTIME_FAILURE', 'backend \'webgpu\' was requested but this environment has no WebGPU (navigator.gpu).');
  }
  const session = await guarded(ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' }), 'wasm', sessionTimeoutMs);
  return { session, backend: 'wasm' };
}

export { ort };
