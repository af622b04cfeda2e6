/**
 * Self-checks the page can run on demand (and the browser test does): does onnxruntime-web get
 * the WebGPU execution provider here, and does it compute the same numbers as plain JavaScript?
 */
import { GraphBuilder } from '../src/inference/onnx-builder.js';
import { createSession, ort, type Backend } from '../src/inference/runtime.js';

export interface InferenceProbe {
  backend: Backend;
  /** Largest |onnx - reference| over the output. */
  maxAbsError: number;
  milliseconds: number;
}

const ROWS = 8;
const COLS = 64;

/** y = relu(x W + b): a MatMul, an Add and a Relu, enough to exercise a real kernel per op type. */
function buildProbeGraph(weights: Float32Array, bias: Float32Array): Uint8Array {
  const graph = new GraphBuilder();
  const x = graph.input('x', [ROWS, COLS]);
  const w = graph.constantFloat('w', [COLS, COLS], weights);
  const b = graph.constantFloat('b', [COLS], bias);
  const [product] = graph.node('MatMul', [x, w]);
  const [shifted] = graph.node('Add', [product, b]);
  graph.node('Relu', [shifted], ['y']);
  graph.output('y', [ROWS, COLS]);
  return graph.build('probe');
}

function referenceForward(x: Float32Array, weights: Float32Array, bias: Float32Array): Float32Array {
  const y = new Float32Array(ROWS * COLS);
  for (let r = 0; r < ROWS; r++) {
    for (let c = 0; c < COLS; c++) {
      let sum = bias[c];
      for (let k = 0; k < COLS; k++) sum += x[r * COLS + k] * weights[k * COLS + c];
      y[r * COLS + c] = Math.max(0, sum);
    }
  }
  return y;
}

/** Deterministic values in [-1, 1) so runs compare. */
function pseudoRandom(count: number, seed: number): Float32Array {
  const values = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = state / 2 ** 31 - 1;
  }
  return values;
}

export async function probeInference(backend: 'auto' | Backend = 'auto'): Promise<InferenceProbe> {
  const weights = pseudoRandom(COLS * COLS, 1);
  const bias = pseudoRandom(COLS, 2);
  const x = pseudoRandom(ROWS * COLS, 3);
  const start = performance.now();
  const loaded = await createSession(buildProbeGraph(weights, bias), { backend });
  try {
    const outputs = await loaded.session.run({ x: new ort.Tensor('float32', x, [ROWS, COLS]) });
    const y = outputs.y.data as Float32Array;
    const expected = referenceForward(x, weights, bias);
    let maxAbsError = 0;
    for (let i = 0; i < expected.length; i++) maxAbsError = Math.max(maxAbsError, Math.abs(y[i] - expected[i]));
    return { backend: loaded.backend, maxAbsError, milliseconds: performance.now() - start };
  } finally {
    await loaded.session.release();
  }
}
