/**
 * Self-checks the page can run on demand (and the browser tests do): does onnxruntime-web get
 * the WebGPU execution provider here, does it compute the same numbers as plain JavaScript, does
 * the landmark fit reach the same coefficients on WebGPU as on WASM, and what does the attention
 * FaceMesh give (and cost) on each provider?
 */
import { loadAsset } from '../src/assets.js';
import { FaceAnalyzer } from '../src/inference/face/analyzer.js';
import { ATTENTION_MESH } from '../src/inference/tfjs-to-onnx/face-models.js';
import { GraphBuilder } from '../src/inference/onnx-builder.js';
import { createSession, ort, runtimeInfo, type Backend, type RuntimeInfo } from '../src/inference/runtime.js';
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

function fromPortable(observation: PortableFaceObservation): FaceObservation {
  return {
    ...observation,
    landmarks468: Float32Array.from(observation.landmarks468),
    iris: Float32Array.from(observation.iris),
    landmarks68: Float32Array.from(observation.landmarks68),
  };
}

/**
 * Fits the default head to one observation on the WebGPU and on the WASM execution provider and
 * compares the coefficients: the same solver on both must land on the same answer.
 */
export async function probeFitting(observation: PortableFaceObservation, width: number, height: number): Promise<FittingProbe> {
  const face = fromPortable(observation);
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

/** An RGBA image as page.evaluate can carry it: the pixels base64-encoded. */
export interface PortableImage {
  width: number;
  height: number;
  rgbaBase64: string;
}

export interface AttentionMeshProbe {
  /** The provider every face model, the attention mesh included, was created on. */
  backend: Backend;
  runtime: RuntimeInfo;
  /** The 468 mesh points (x, y, image pixels; lips and eyes refined), then the 10 iris points (x, y). */
  points: number[];
  meshScore: number;
  /** Per timed run (after one warm-up): the attention model alone, and the whole trackFace call (crop, model, refinement), ms. */
  modelMs: number[];
  frameMs: number[];
}

/**
 * Creates (never runs: a verbose run dumps every shader) one attention-mesh session on WebGPU with
 * onnxruntime's verbose log, which says on the console which provider each node was placed on.
 * Needs the page's JSEP build, i.e. a WebGPU session created before. ort writes its log as console errors.
 */
export async function logAttentionPlacement(): Promise<void> {
  const bytes = await loadAsset(ATTENTION_MESH.onnxFile, { keep: false });
  const level = ort.env.logLevel;
  ort.env.logLevel = 'verbose';
  try {
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['webgpu'], graphOptimizationLevel: 'all', logSeverityLevel: 0, logVerbosityLevel: 0 });
    await session.release();
  } finally {
    ort.env.logLevel = level;
  }
}

/**
 * The attention FaceMesh on one provider, on the crop FaceAnalyzer.trackFace takes around `previous`
 * (a face observed in Node, so Node and page crop the same pixels). A fresh analyzer: the page's
 * onnxruntime build (plain WASM or JSEP) is picked by its first session, so each provider wants its
 * own page. One warm-up run (WebGPU compiles its shaders then), then `runs` timed runs; the points
 * are the last run's.
 */
export async function probeAttentionMesh(image: PortableImage, previous: PortableFaceObservation, backend: Backend, runs: number): Promise<AttentionMeshProbe> {
  const rgba = { width: image.width, height: image.height, data: Uint8Array.from(atob(image.rgbaBase64), (c) => c.charCodeAt(0)) };
  const face = fromPortable(previous);
  const analyzer = await FaceAnalyzer.create({ backend });
  try {
    await analyzer.loadAttentionMesh();
    const modelMs: number[] = [];
    const frameMs: number[] = [];
    let tracked: FaceObservation | null = null;
    for (let run = 0; run <= runs; run++) {
      const timings = { faceMesh: 0, iris: 0 };
      const start = performance.now();
      tracked = await analyzer.trackFace(rgba, face, timings, 'both', 'attention');
      if (run === 0) continue;
      frameMs.push(performance.now() - start);
      modelMs.push(timings.faceMesh);
    }
    if (!tracked) throw new Error('The attention FaceMesh lost the face.');
    const points: number[] = [];
    for (let i = 0; i < 468; i++) points.push(tracked.landmarks468[3 * i], tracked.landmarks468[3 * i + 1]);
    for (let i = 0; i < 10; i++) points.push(tracked.iris[3 * i], tracked.iris[3 * i + 1]);
    return { backend: analyzer.backend, runtime: runtimeInfo(), points, meshScore: tracked.meshScore, modelMs, frameMs };
  } finally {
    await analyzer.dispose();
  }
}
