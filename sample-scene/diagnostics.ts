/**
 * Self-checks the page can run on demand (and the browser tests do): does onnxruntime-web get
 * the WebGPU execution provider here, does it compute the same numbers as plain JavaScript, and does
 * the landmark fit reach the same coefficients on WebGPU as on WASM?
 */
import { GraphBuilder } from '../src/inference/onnx-builder.js';
import { createSession, ort, type Backend } from '../src/inference/runtime.js';
import { fitFace } from '../src/fitting/fit-face.js';
import { loadDefaultHead } from '../src/pipeline.js';
import type { HeadModel } from '../src/modelpack/head-model.js';
import type { FaceObservation } from '../src/types.js';

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

/** A FaceObservation whose point arrays may be plain arrays (as page.evaluate delivers them). */
export interface PortableFaceObservation extends Omit<FaceObservation, 'landmarks468' | 'iris' | 'landmarks68'> {
  landmarks468: ArrayLike<number>;
  iris: ArrayLike<number>;
  landmarks68: ArrayLike<number>;
}

/** One backend's fit, in plain arrays so it survives structured cloning out of the page. */
export interface FittedCoefficients {
  backend: Backend;
  identity: number[];
  expression: number[];
  /** Row-major 3x3. */
  rotation: number[];
  translation: number[];
  camera: { focal: number; cx: number; cy: number };
  iterations: number;
  milliseconds: number;
  /** fitFace's own stage timings (ms). */
  timings: Record<string, number>;
}

export interface FittingProbe {
  webgpu: FittedCoefficients;
  wasm: FittedCoefficients;
  /** Largest |webgpu - wasm| per coefficient group. */
  maxAbsDifference: { identity: number; expression: number; rotation: number; translation: number; camera: number };
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let largest = 0;
  for (let i = 0; i < a.length; i++) largest = Math.max(largest, Math.abs(a[i] - b[i]));
  return largest;
}

async function fitWith(model: HeadModel, observation: FaceObservation, width: number, height: number, backend: Backend): Promise<FittedCoefficients> {
  const start = performance.now();
  const fit = await fitFace(model, observation, { imageWidth: width, imageHeight: height, backend });
  return {
    backend: fit.backend,
    identity: Array.from(fit.identity),
    expression: Array.from(fit.expression),
    rotation: Array.from(fit.camera.rotation),
    translation: Array.from(fit.camera.translation),
    camera: { focal: fit.camera.focal, cx: fit.camera.cx, cy: fit.camera.cy },
    iterations: fit.iterations,
    milliseconds: performance.now() - start,
    timings: { ...fit.timings },
  };
}

/**
 * Fits the default head to one observation on the WebGPU and on the WASM execution provider and
 * compares the coefficients: the same solver on both must land on the same answer.
 */
export async function probeFitting(observation: PortableFaceObservation, width: number, height: number): Promise<FittingProbe> {
  const face: FaceObservation = {
    ...observation,
    landmarks468: Float32Array.from(observation.landmarks468),
    iris: Float32Array.from(observation.iris),
    landmarks68: Float32Array.from(observation.landmarks68),
  };
  const model = await loadDefaultHead();
  // One after the other: both providers compete for the same CPU under SwiftShader.
  const webgpu = await fitWith(model, face, width, height, 'webgpu');
  const wasm = await fitWith(model, face, width, height, 'wasm');
  const cameraOf = (fit: FittedCoefficients) => [fit.camera.focal, fit.camera.cx, fit.camera.cy];
  return {
    webgpu,
    wasm,
    maxAbsDifference: {
      identity: maxAbsDifference(webgpu.identity, wasm.identity),
      expression: maxAbsDifference(webgpu.expression, wasm.expression),
      rotation: maxAbsDifference(webgpu.rotation, wasm.rotation),
      translation: maxAbsDifference(webgpu.translation, wasm.translation),
      camera: maxAbsDifference(cameraOf(webgpu), cameraOf(wasm)),
    },
  };
}
