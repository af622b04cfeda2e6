/**
 * The two heavy products of the streaming PCA behind one interface, so the builder can run them in
 * plain TypeScript or as ONNX MatMul graphs on onnxruntime-web (MLAS kernels, SIMD and threads in
 * WASM; WebGPU in browsers). bench/uvapm.ts measures both; 'onnx' is the default because it is the
 * faster one: at 256², K 100, batch 100 on the 2-core dev machine the products ran at 3.4 GFLOP/s
 * (ONNX WASM) vs 0.7 GFLOP/s (TS), and a 500-map build at 12.7 vs 3.7 maps/s.
 */
import { GraphBuilder } from '../inference/onnx-builder.js';
import { createSession, ort, type LoadedSession } from '../inference/runtime.js';
import { gramTs, leftMultiplyTs } from './linalg.js';

export type GemmBackendName = 'onnx' | 'ts';

export interface GemmBackend {
  readonly name: GemmBackendName;
  /** X Xᵀ for X (m × D); float64 result (m × m). */
  gram(X: Float32Array, m: number, D: number): Promise<Float64Array>;
  /** A (k × m) · X (m × D) written into out (k × D). */
  leftMultiply(A: Float32Array, k: number, m: number, X: Float32Array, D: number, out: Float32Array): Promise<void>;
  dispose(): Promise<void>;
}

export function createTsGemm(): GemmBackend {
  return {
    name: 'ts',
    gram: async (X, m, D) => gramTs(X, m, D),
    leftMultiply: async (A, k, m, X, D, out) => { leftMultiplyTs(A, k, m, X, D, out); },
    dispose: async () => {},
  };
}

function gramGraph(): Uint8Array {
  const g = new GraphBuilder();
  const x = g.input('X', ['m', 'D']);
  const [xt] = g.node('Transpose', [x], 1, { perm: [1, 0] });
  g.node('MatMul', [x, xt], ['G']);
  g.output('G', ['m', 'm']);
  return g.build('uvapm_gram');
}

function leftMultiplyGraph(): Uint8Array {
  const g = new GraphBuilder();
  const a = g.input('A', ['k', 'm']);
  const x = g.input('X', ['m', 'D']);
  g.node('MatMul', [a, x], ['Y']);
  g.output('Y', ['k', 'D']);
  return g.build('uvapm_left_multiply');
}

/** ONNX backend: two sessions with symbolic shapes, created once per build. */
export async function createOnnxGemm(): Promise<GemmBackend> {
  const gram: LoadedSession = await createSession(gramGraph(), { backend: 'wasm' });
  const left: LoadedSession = await createSession(leftMultiplyGraph(), { backend: 'wasm' });
  return {
    name: 'onnx',
    async gram(X, m, D) {
      const input = new ort.Tensor('float32', X.subarray(0, m * D), [m, D]);
      const result = await gram.session.run({ X: input });
      const G = result.G.data as Float32Array;
      const out = Float64Array.from(G);
      result.G.dispose();
      // MatMul's fp32 rounding differs between (i,j) and (j,i); the eigensolver wants exact symmetry.
      for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) out[i * m + j] = out[j * m + i] = 0.5 * (out[i * m + j] + out[j * m + i]);
      return out;
    },
    async leftMultiply(A, k, m, X, D, out) {
      const result = await left.session.run({
        A: new ort.Tensor('float32', A.subarray(0, k * m), [k, m]),
        X: new ort.Tensor('float32', X.subarray(0, m * D), [m, D]),
      });
      out.set((result.Y.data as Float32Array).subarray(0, k * D));
      result.Y.dispose();
    },
    async dispose() {
      await gram.session.release();
      await left.session.release();
    },
  };
}

export async function createGemmBackend(name: GemmBackendName = 'onnx'): Promise<GemmBackend> {
  return name === 'ts' ? createTsGemm() : createOnnxGemm();
}

