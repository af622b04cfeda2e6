/**
 * One place that creates onnxruntime-web sessions. Browsers try the WebGPU execution provider and
 * fall back to WASM automatically; Node always uses WASM. Everything else in the project asks this
 * module for sessions, so the backend choice and the threading setup live here only.
 */
import * as ort from 'onnxruntime-web';

export type Backend = 'webgpu' | 'wasm';

export interface RuntimeOptions {
  /** 'auto' (default): WebGPU when the page has it, else WASM. */
  backend?: 'auto' | Backend;
  /** WASM threads; defaults to min(4, hardwareConcurrency). Browsers need COOP/COEP headers for >1. */
  numThreads?: number;
  /** Where the browser finds ort-wasm-*.wasm/.mjs when the bundler does not emit them. */
  wasmPaths?: string;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;
let configured = false;
let preferred: 'auto' | Backend = 'auto';

/** Configures onnxruntime-web once; later calls only change the preferred backend. */
export function configureRuntime(options: RuntimeOptions = {}): void {
  preferred = options.backend ?? preferred;
  if (configured) return;
  configured = true;
  const cores = typeof navigator !== 'undefined' && navigator.hardwareConcurrency ? navigator.hardwareConcurrency : 2;
  const crossOriginIsolatedPage = isNode || (typeof globalThis !== 'undefined' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true);
  ort.env.wasm.numThreads = options.numThreads ?? (crossOriginIsolatedPage ? Math.min(4, cores) : 1);
  if (options.wasmPaths) ort.env.wasm.wasmPaths = options.wasmPaths;
  ort.env.logLevel = 'error';
}

function webgpuAvailable(): boolean {
  return !isNode && typeof navigator !== 'undefined' && 'gpu' in navigator && !!(navigator as { gpu?: unknown }).gpu;
}

export interface LoadedSession {
  session: ort.InferenceSession;
  backend: Backend;
}

/**
 * Creates a session from model bytes, on WebGPU when preferred and available, falling back to WASM
 * when the adapter is missing or the graph has an op the WebGPU provider cannot run.
 */
export async function createSession(model: Uint8Array, options: { backend?: 'auto' | Backend } = {}): Promise<LoadedSession> {
  configureRuntime();
  const want = options.backend ?? preferred;
  if (want !== 'wasm' && webgpuAvailable()) {
    try {
      const session = await ort.InferenceSession.create(model, { executionProviders: ['webgpu'], graphOptimizationLevel: 'all' });
      return { session, backend: 'webgpu' };
    } catch (error) {
      if (want === 'webgpu') throw error;
      // Fall through to WASM: no adapter, or an op without a WebGPU kernel.
    }
  }
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  return { session, backend: 'wasm' };
}

export { ort };
