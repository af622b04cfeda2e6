/**
 * Full-mesh decode on onnxruntime: vertices = mean + [identity | expression] bases x coefficients,
 * one MatMul [1, P] x [P, 3V] (the model's bases are mode-major, so their concatenation is already
 * that matrix). Same result as decodeShape() in head-model.ts, on WebGPU or WASM.
 */
import type { HeadModel } from '../modelpack/head-model.js';
import { GraphBuilder } from '../inference/onnx-builder.js';
import { createSession, ort, type Backend } from '../inference/runtime.js';
import { PhotoAvatarError } from '../errors.js';

export function buildDecodeGraph(model: HeadModel): Uint8Array {
  const g = new GraphBuilder();
  const n3 = model.vertexCount * 3;
  const K = model.identityCount, E = model.expressionNames.length;
  // A model without modes still decodes (to its mean) through one zero mode.
  const P = Math.max(1, K + E);
  const basis = new Float32Array(P * n3);
  basis.set(model.identityBasis.subarray(0, K * n3), 0);
  basis.set(model.expressionBasis.subarray(0, E * n3), K * n3);
  const coeffs = g.input('coefficients', [1, P]);
  const basisT = g.constantFloat('basis', [P, n3], basis);
  const mean = g.constantFloat('mean', [1, n3], model.positions);
  const [offsets] = g.node('MatMul', [coeffs, basisT]);
  g.node('Add', [offsets, mean], ['vertices']);
  g.output('vertices', [1, n3]);
  return g.build('decode_mesh');
}

/** Decodes full meshes of one model on onnxruntime. */
export class MeshDecoder {
  private constructor(
    private readonly model: HeadModel,
    private readonly session: ort.InferenceSession,
    readonly backend: Backend,
  ) {}

  static async create(model: HeadModel, options: { backend?: 'auto' | Backend } = {}): Promise<MeshDecoder> {
    const { session, backend } = await createSession(buildDecodeGraph(model), options);
    return new MeshDecoder(model, session, backend);
  }

  /** mean + identityBasis x identity + expressionBasis x expression (null = zeros); xyz interleaved. */
  async decodeMesh(identity: ArrayLike<number> | null, expression: ArrayLike<number> | null): Promise<Float32Array> {
    const K = this.model.identityCount, E = this.model.expressionNames.length;
    if ((identity && identity.length !== K) || (expression && expression.length !== E)) {
      throw new PhotoAvatarError('INVALID_ARGUMENT', `decodeMesh expects ${K} identity and ${E} expression coefficients.`);
    }
    const coeffs = new Float32Array(Math.max(1, K + E));
    if (identity) coeffs.set(Array.from(identity), 0);
    if (expression) coeffs.set(Array.from(expression), K);
    const out = await this.session.run({ coefficients: new ort.Tensor('float32', coeffs, [1, coeffs.length]) });
    return out.vertices.data as Float32Array;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

const decoders = new WeakMap<HeadModel, Map<string, Promise<MeshDecoder>>>();

/** The cached decoder of a model (one session per model and backend per process/page). */
export function getMeshDecoder(model: HeadModel, backend: 'auto' | Backend = 'auto'): Promise<MeshDecoder> {
  let byBackend = decoders.get(model);
  if (!byBackend) decoders.set(model, (byBackend = new Map()));
  let decoder = byBackend.get(backend);
  if (!decoder) {
    decoder = MeshDecoder.create(model, { backend });
    byBackend.set(backend, decoder);
    decoder.catch(() => byBackend.delete(backend));
  }
  return decoder;
}

/** Full-mesh decode of `model` for the given coefficients on onnxruntime. */
export async function decodeMesh(model: HeadModel, identity: ArrayLike<number> | null, expression: ArrayLike<number> | null): Promise<Float32Array> {
  return (await getMeshDecoder(model)).decodeMesh(identity, expression);
}
