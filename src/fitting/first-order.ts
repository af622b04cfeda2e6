/**
 * A plain first-order optimiser (Adam) on exactly the objective fitFace minimises, for comparison
 * with its Levenberg-Marquardt solver (bench/fit-vs-adam.ts). Differentiable-rendering fits
 * optimise 3DMM coefficients and pose this way; here the gradient is analytic:
 *   cost = sum_i (sqrtWeight_i * r_i)^2 + sum_k priorPrecision_k * c_k^2
 *   grad = 2 (J^T W r + priorPrecision * c)
 * over the rotation increment w (R <- exp([w]x) R), translation t and the shape coefficients.
 * J^T W r comes from any GradientEvaluator: LM's own LandmarkSystem, the landmark graph pruned of
 * J^T W J (GradientGraph), or a reverse-mode graph that never forms the Jacobian (GradientGraph
 * mode 'reverse'), which is what autodiff in a differentiable-rendering fit would compute.
 *
 * Differences from fitFace, on purpose: Adam starts from fitFace's closed-form pose with the mean
 * shape and fits all columns at once (no pose-only stage: Adam has no use for a separate
 * conditioning stage), and bounded blendshape weights are projected back into [0, 1] after each
 * step (projected Adam) instead of LM's active set. Sliding jaw correspondences, when the problem
 * uses them, are re-chosen every step as LM does every iteration.
 *
 * Adam is run in scaled coordinates u = x / scale (parameterScales, DEFAULT_GROUP_SCALES), so one
 * learning rate serves rotation, translation and coefficients; Adam moves each parameter by about
 * learningRate * scale per step. The learning rate decays exponentially from `learningRate` to
 * `learningRate * finalLearningRateFraction` over `scheduleSteps`. Defaults come from runs on real
 * photos (fewest steps to LM's cost within 1e-3): a constant rate was fastest (decay to 0.01 or
 * 0.001 of it needed 1.5-3x more steps). bench/fit-vs-adam.ts still tunes per photo.
 */
import type { HeadModel } from '../modelpack/head-model.js';
import { PhotoAvatarError, throwIfAborted } from '../errors.js';
import { createSession, ort, type Backend } from '../inference/runtime.js';
import { GraphBuilder, pruneGraph, TensorType } from '../inference/onnx-builder.js';
import { landmarkGraph, landmarkGraphFeeds, type Correspondences, type LandmarkVertexSet, type PoseAndShape } from './landmark-graph.js';
import { axisAngleToMatrix, multiply3x3 } from './camera-math.js';
import { slideJaw, type FitProblem } from './fit-face.js';

/** What a first-order step needs from a graph evaluation. */
export interface GradientEvaluation {
  /** Projected union vertices, xy interleaved (drives sliding jaw correspondences). */
  projected: Float32Array;
  /** Per-residual image position minus target, xy interleaved (unweighted). */
  residual: Float32Array;
  /** J^T W r, M = 6 + P. */
  jtr: Float32Array;
}

/** LandmarkSystem satisfies this; so does GradientGraph. */
export interface GradientEvaluator {
  evaluate(state: PoseAndShape, corr: Correspondences): Promise<GradientEvaluation>;
}

/**
 * The landmark graph (landmark-graph.ts) cut down to some of its outputs: same inputs, same
 * arithmetic, only the nodes those outputs need. ONNX Runtime runs every node of a session
 * whatever the fetches, so a first-order method on the full graph would pay for the J^T W J
 * product it ignores.
 */
export class LandmarkSubgraph {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly coefficientCount: number,
    readonly outputs: readonly string[],
    readonly backend: Backend,
  ) {}

  static async create(model: HeadModel, set: LandmarkVertexSet, outputs: readonly string[], options: { backend?: 'auto' | Backend } = {}): Promise<LandmarkSubgraph> {
    return LandmarkSubgraph.fromBytes(pruneGraph(landmarkGraph(model, set), outputs).build('landmark_normal_equations'), set, outputs, options);
  }

  /** A session on any graph with the landmark graph's inputs. */
  static async fromBytes(bytes: Uint8Array, set: LandmarkVertexSet, outputs: readonly string[], options: { backend?: 'auto' | Backend } = {}): Promise<LandmarkSubgraph> {
    const { session, backend } = await createSession(bytes, options);
    return new LandmarkSubgraph(session, set.coefficientCount, outputs, backend);
  }

  async run(state: PoseAndShape, corr: Correspondences): Promise<Record<string, Float32Array>> {
    const feeds = landmarkGraphFeeds(state, corr, this.coefficientCount);
    const out = await this.session.run(feeds, [...this.outputs]);
    const result: Record<string, Float32Array> = {};
    for (const name of this.outputs) result[name] = out[name].data as Float32Array;
    return result;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

/**
 * Residuals and J^T W r, what Adam needs per step. mode 'pruned' (default): the landmark graph
 * without J^T W J (forms the Jacobian, then J^T W r). mode 'reverse': buildReverseGradientGraph,
 * the gradient in reverse mode as autodiff would compute it, without forming the Jacobian.
 */
export class GradientGraph implements GradientEvaluator {
  private constructor(private readonly subgraph: LandmarkSubgraph) {}

  static async create(model: HeadModel, set: LandmarkVertexSet, options: { backend?: 'auto' | Backend; mode?: 'pruned' | 'reverse' } = {}): Promise<GradientGraph> {
    const subgraph = options.mode === 'reverse'
      ? await LandmarkSubgraph.fromBytes(buildReverseGradientGraph(model, set), set, GRADIENT_OUTPUTS, options)
      : await LandmarkSubgraph.create(model, set, GRADIENT_OUTPUTS, options);
    return new GradientGraph(subgraph);
  }

  get backend(): Backend {
    return this.subgraph.backend;
  }

  async evaluate(state: PoseAndShape, corr: Correspondences): Promise<GradientEvaluation> {
    const { projected, residual, jtr } = await this.subgraph.run(state, corr);
    return { projected, residual, jtr };
  }

  release(): Promise<void> {
    return this.subgraph.release();
  }
}

/**
 * The landmark graph's forward pass (same inputs, same bases) followed by its gradient in reverse
 * mode: per residual the camera-space adjoint d_i = (d pixel / d p)^T w_i r_i, then
 *   J^T W r = [ sum q_i x d_i (rotation increment), sum d_i (translation), B^T U (coefficients) ]
 * where q_i = R x_i and U scatters R^T d_i onto the union vertices with the correspondence blend
 * (ScatterElements with add, opset 16). No [N, 2, M] Jacobian is formed.
 */
export function buildReverseGradientGraph(model: HeadModel, set: LandmarkVertexSet): Uint8Array {
  // The bases and mean come from the landmark graph itself so the two graphs cannot drift apart.
  const g = new GraphBuilder();
  for (const tensor of landmarkGraph(model, set).initializers) {
    if (tensor.name === 'basisFlat' || tensor.name === 'mean') g.initializers.push(tensor);
  }
  const vCount = set.vertices.length;
  const P = set.coefficientCount;
  const M = 6 + P;
  g.input('coefficients', [P, 1]);
  g.input('rotationT', [3, 3]);
  g.input('translation', [1, 3]);
  g.input('focal', [1]);
  g.input('principal', [1, 2]);
  g.input('vertexIndex', ['N'], TensorType.INT64);
  g.input('vertexIndexB', ['N'], TensorType.INT64);
  g.input('blend', ['N', 1]);
  g.input('target', ['N', 2]);
  g.input('sqrtWeight', ['N', 1]);
  const shapeV3 = g.constantInt64('shapeV3', [2], [vCount, 3]);
  const shapeRow = g.constantInt64('shapeRow', [2], [1, -1]);
  const shapeM1 = g.constantInt64('shapeM1', [2], [M, 1]);
  const shapeExpand = g.constantInt64('shapeExpand', [2], [1, 3]);
  const axis0 = g.constantInt64('axis0', [1], [0]);
  const axis1 = g.constantInt64('axis1', [1], [1]);
  const sliceStart = g.constantInt64('sliceStart', [1], [2]);
  const sliceEnd = g.constantInt64('sliceEnd', [1], [3]);
  const toPixels = g.constantFloat('toPixels', [3, 2], [1, 0, 0, -1, 0, 0]);
  // Pixel adjoint (e_x, e_y) -> (e_x, -e_y, 0): the first two rows of (d pixel / d pn)^T e.
  const fromPixels = g.constantFloat('fromPixels', [2, 3], [1, 0, 0, 0, -1, 0]);
  const unitZ = g.constantFloat('unitZ', [1, 3], [0, 0, 1]);
  // G = sum q d^T flattened row-major (rows G00..G22) -> sum q x d = (G12 - G21, G20 - G02, G01 - G10).
  const crossFromOuter = g.constantFloat('crossFromOuter', [9, 3], [
    0, 0, 0, 0, 0, 1, 0, -1, 0,
    0, 0, -1, 0, 0, 0, 1, 0, 0,
    0, 1, 0, -1, 0, 0, 0, 0, 0,
  ]);
  const zerosV3 = g.constantFloat('zerosV3', [vCount, 3], new Float32Array(vCount * 3));
  const one = g.constantFloat('one', [1], [1]);

  const [offsets] = g.node('MatMul', ['basisFlat', 'coefficients']);
  const [offsetsV] = g.node('Reshape', [offsets, shapeV3]);
  const [vertices] = g.node('Add', [offsetsV, 'mean']);
  const [rotated] = g.node('MatMul', [vertices, 'rotationT']);
  const [cameraPoints] = g.node('Add', [rotated, 'translation']);
  const project = (points: string, pixelsName?: string) => {
    const [z] = g.node('Slice', [points, sliceStart, sliceEnd, axis1]);
    const [invZ] = g.node('Reciprocal', [z]);
    const [invDepth] = g.node('Neg', [invZ]);
    const [normalised] = g.node('Mul', [points, invDepth]);
    const [unit] = g.node('MatMul', [normalised, toPixels]);
    const [scaled] = g.node('Mul', [unit, 'focal']);
    const [pixels] = g.node('Add', [scaled, 'principal'], pixelsName ? [pixelsName] : 1);
    return { pixels, invDepth, normalised };
  };
  project(cameraPoints, 'projected');

  const [oneMinusBlend] = g.node('Sub', [one, 'blend']);
  const [rowsA] = g.node('Gather', [rotated, 'vertexIndex'], 1, { axis: 0 });
  const [rowsB] = g.node('Gather', [rotated, 'vertexIndexB'], 1, { axis: 0 });
  const [partA] = g.node('Mul', [rowsA, oneMinusBlend]);
  const [partB] = g.node('Mul', [rowsB, 'blend']);
  const [rotatedS] = g.node('Add', [partA, partB]);
  const [cameraS] = g.node('Add', [rotatedS, 'translation']);
  const { pixels, invDepth, normalised } = project(cameraS);
  g.node('Sub', [pixels, 'target'], ['residual']);

  // Adjoint of the weighted squared residual (halved): e = w r, then d = (f / depth) (e', pn . e' z).
  const [weight] = g.node('Mul', ['sqrtWeight', 'sqrtWeight']);
  const [e] = g.node('Mul', ['residual', weight]);
  const [ePlanar] = g.node('MatMul', [e, fromPixels]);
  const [alongRay] = g.node('Mul', [normalised, ePlanar]);
  const [depthTerm] = g.node('ReduceSum', [alongRay, axis1], 1, { keepdims: 1 });
  const [depthPart] = g.node('MatMul', [depthTerm, unitZ]);
  const [dUnscaled] = g.node('Add', [ePlanar, depthPart]);
  const [fOverD] = g.node('Mul', [invDepth, 'focal']);
  const [d] = g.node('Mul', [dUnscaled, fOverD]);

  const [gradTranslation] = g.node('ReduceSum', [d, axis0], 1, { keepdims: 1 });
  const [outer] = g.node('Gemm', [rotatedS, d], 1, { transA: 1 });
  const [outerRow] = g.node('Reshape', [outer, shapeRow]);
  const [gradRotation] = g.node('MatMul', [outerRow, crossFromOuter]);
  // Model-frame adjoint R^T d_i, as rows: d_i^T R (rotationT holds R^T).
  const [rotation] = g.node('Transpose', ['rotationT'], 1, { perm: [1, 0] });
  const [modelAdjoint] = g.node('MatMul', [d, rotation]);
  const [adjointA] = g.node('Mul', [modelAdjoint, oneMinusBlend]);
  const [adjointB] = g.node('Mul', [modelAdjoint, 'blend']);
  const [indexColumnA] = g.node('Unsqueeze', ['vertexIndex', axis1]);
  const [indexColumnB] = g.node('Unsqueeze', ['vertexIndexB', axis1]);
  const [indexA] = g.node('Expand', [indexColumnA, shapeExpand]);
  const [indexB] = g.node('Expand', [indexColumnB, shapeExpand]);
  const [scatteredA] = g.node('ScatterElements', [zerosV3, indexA, adjointA], 1, { axis: 0, reduction: 'add' });
  const [scattered] = g.node('ScatterElements', [scatteredA, indexB, adjointB], 1, { axis: 0, reduction: 'add' });
  const [scatteredRow] = g.node('Reshape', [scattered, shapeRow]);
  const [gradShape] = g.node('MatMul', [scatteredRow, 'basisFlat']);
  const [gradRow] = g.node('Concat', [gradRotation, gradTranslation, gradShape], 1, { axis: 1 });
  g.node('Reshape', [gradRow, shapeM1], ['jtr']);

  g.output('projected', [vCount, 2]);
  g.output('residual', ['N', 2]);
  g.output('jtr', [M, 1]);
  // ScatterElements' add reduction needs opset 16.
  return g.build('landmark_reverse_gradient', 16);
}

/** The landmark graph's outputs a first-order step reads. */
export const GRADIENT_OUTPUTS = ['projected', 'residual', 'jtr'];

/** The fitFace cost: sum (sqrtWeight * residual)^2 + sum priorPrecision * c^2 (float64 accumulation). */
export function objectiveCost(
  residual: ArrayLike<number>,
  sqrtWeight: ArrayLike<number>,
  coefficients: ArrayLike<number>,
  priorPrecision: ArrayLike<number>,
): number {
  let cost = 0;
  for (let i = 0; i < sqrtWeight.length; i++) {
    const rx = residual[i * 2] * sqrtWeight[i], ry = residual[i * 2 + 1] * sqrtWeight[i];
    cost += rx * rx + ry * ry;
  }
  for (let k = 0; k < coefficients.length; k++) cost += priorPrecision[k] * coefficients[k] * coefficients[k];
  return cost;
}

/**
 * Gradient of objectiveCost over the first `columns` parameters (rotation increment, translation,
 * coefficients), zero beyond: 2 (J^T W r + priorPrecision * c).
 */
export function objectiveGradient(
  jtr: ArrayLike<number>,
  coefficients: ArrayLike<number>,
  priorPrecision: ArrayLike<number>,
  columns: number,
  out: Float64Array,
): Float64Array {
  out.fill(0);
  for (let i = 0; i < columns; i++) out[i] = 2 * jtr[i];
  for (let k = 0; k + 6 < columns; k++) out[6 + k] += 2 * priorPrecision[k] * coefficients[k];
  return out;
}

/** Units of Adam's scaled coordinates per parameter group (see parameterScales). */
export interface GroupScales {
  /** Radians per unit of the rotation increment. */
  rotation: number;
  /** Metres per unit of translation. */
  translation: number;
  /** Prior standard deviations per unit of a shape coefficient. */
  coefficient: number;
}

/**
 * Tuned on real photos (deep3d, hrn) for the fewest steps to LM's cost within 1e-3: with the
 * learning rate 0.03, steps of about 0.03 rad, 1.5 mm and 0.3 prior standard deviations. Equal
 * units (1 rad, 0.2 m, 1 std) needed 2-8x more steps.
 */
export const DEFAULT_GROUP_SCALES: GroupScales = { rotation: 1, translation: 0.05, coefficient: 10 };

/** Per-parameter scale: the group's unit, times the coefficient's prior standard deviation (1 / sqrt(priorPrecision)). */
export function parameterScales(priorPrecision: ArrayLike<number>, groups: GroupScales = DEFAULT_GROUP_SCALES): Float64Array {
  const scales = new Float64Array(6 + priorPrecision.length);
  scales.fill(groups.rotation, 0, 3);
  scales.fill(groups.translation, 3, 6);
  for (let k = 0; k < priorPrecision.length; k++) scales[6 + k] = groups.coefficient / Math.sqrt(Math.max(priorPrecision[k], 1e-12));
  return scales;
}

export interface AdamState {
  /** First and second moment estimates, in scaled coordinates. */
  m: Float64Array;
  v: Float64Array;
  /** Steps taken so far. */
  t: number;
}

export function createAdamState(parameterCount: number): AdamState {
  return { m: new Float64Array(parameterCount), v: new Float64Array(parameterCount), t: 0 };
}

/**
 * One Adam update: reads the gradient in natural units, writes the parameter step (natural units)
 * into `step`. The scaled gradient is gradient * scale; the scaled step maps back times scale.
 */
export function adamStep(
  adam: AdamState,
  gradient: Float64Array,
  scales: Float64Array,
  learningRate: number,
  beta1: number,
  beta2: number,
  epsilon: number,
  step: Float64Array,
): Float64Array {
  adam.t++;
  const correction1 = 1 - beta1 ** adam.t, correction2 = 1 - beta2 ** adam.t;
  const { m, v } = adam;
  for (let i = 0; i < gradient.length; i++) {
    const g = gradient[i] * scales[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    step[i] = (-learningRate * (m[i] / correction1)) / (Math.sqrt(v[i] / correction2) + epsilon) * scales[i];
  }
  return step;
}

/** Two 3x3 work matrices for applyParameterStep. */
export interface RotationScratch {
  increment: Float64Array<ArrayBuffer>;
  product: Float64Array<ArrayBuffer>;
}

export function createRotationScratch(): RotationScratch {
  return { increment: new Float64Array(9), product: new Float64Array(9) };
}

/** Applies a parameter step: R <- exp([dw]x) R, t += dt, c += dc, blendshape weights clamped to [0, 1]. */
export function applyParameterStep(
  state: { rotation: Float64Array; translation: Float64Array; coefficients: Float64Array },
  step: Float64Array,
  bounds: { from: number; to: number } | null,
  scratch: RotationScratch,
): void {
  const { increment, product } = scratch;
  axisAngleToMatrix(step[0], step[1], step[2], increment);
  multiply3x3(increment, state.rotation, product);
  state.rotation.set(product);
  for (let i = 0; i < 3; i++) state.translation[i] += step[3 + i];
  const c = state.coefficients;
  for (let k = 0; k < c.length; k++) {
    let value = c[k] + step[6 + k];
    if (bounds && k >= bounds.from && k < bounds.to) value = Math.min(1, Math.max(0, value));
    c[k] = value;
  }
}

export interface AdamOptions {
  /** Initial learning rate in scaled units (see parameterScales); default 0.03. */
  learningRate?: number;
  /** The rate decays exponentially to learningRate * this at scheduleSteps (default 1: constant). */
  finalLearningRateFraction?: number;
  /** Step budget (default 5000). */
  maxSteps?: number;
  /** Length of the decay schedule (default maxSteps): lets a truncated run follow a longer run's schedule. */
  scheduleSteps?: number;
  /** Wall-clock budget in ms (default: none). */
  maxMs?: number;
  /** Stop as soon as the cost is at or below this (default: never). */
  targetCost?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Per-parameter scales; default parameterScales(problem.priorPrecision). */
  scales?: Float64Array;
  /** Needed when the problem slides jaw correspondences. */
  model?: HeadModel;
  signal?: AbortSignal;
}

export interface AdamResult {
  rotation: Float64Array;
  translation: Float64Array;
  coefficients: Float64Array;
  /** Cost at each evaluated iterate, and ms since the start when that evaluation finished. */
  costs: Float64Array;
  elapsedMs: Float64Array;
  /** Lowest cost seen (Adam is not monotone). */
  bestCost: number;
  steps: number;
  /** The cost became non-finite (the learning rate is too large); the trace ends there. */
  diverged: boolean;
}

/** Minimises a fitFace problem with Adam from problem.start; records the cost trace with timestamps. */
export async function minimiseWithAdam(problem: FitProblem, evaluator: GradientEvaluator, options: AdamOptions = {}): Promise<AdamResult> {
  const learningRate = options.learningRate ?? 0.03;
  const finalFraction = options.finalLearningRateFraction ?? 1;
  const maxSteps = options.maxSteps ?? 5000;
  const scheduleSteps = options.scheduleSteps ?? maxSteps;
  const maxMs = options.maxMs ?? Infinity;
  const targetCost = options.targetCost ?? -Infinity;
  const beta1 = options.beta1 ?? 0.9, beta2 = options.beta2 ?? 0.999, epsilon = options.epsilon ?? 1e-8;
  if (!(learningRate > 0) || !(finalFraction > 0) || !(maxSteps >= 1) || !(scheduleSteps >= 1)) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `Adam needs learningRate > 0, finalLearningRateFraction > 0, maxSteps and scheduleSteps >= 1 (got ${learningRate}, ${finalFraction}, ${maxSteps}, ${scheduleSteps}).`);
  }
  if (problem.slidingJaw && !options.model) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', 'This problem slides jaw correspondences: pass the HeadModel as options.model.');
  }
  const M = 6 + problem.priorPrecision.length;
  const scales = options.scales ?? parameterScales(problem.priorPrecision);
  if (scales.length !== M) throw new PhotoAvatarError('INVALID_ARGUMENT', `scales must have ${M} entries (got ${scales.length}).`);

  const state = {
    ...problem.start,
    rotation: problem.start.rotation.slice(),
    translation: problem.start.translation.slice(),
    coefficients: problem.start.coefficients.slice(),
  };
  const corr: Correspondences = {
    ...problem.correspondences,
    unionIndex: problem.correspondences.unionIndex.slice(),
    unionIndexB: problem.correspondences.unionIndexB.slice(),
    blend: problem.correspondences.blend.slice(),
  };
  const adam = createAdamState(M);
  const gradient = new Float64Array(M);
  const step = new Float64Array(M);
  const scratch = createRotationScratch();
  const costs = new Float64Array(maxSteps + 1);
  const elapsedMs = new Float64Array(maxSteps + 1);
  const decayPerStep = Math.log(finalFraction) / scheduleSteps;
  let bestCost = Infinity;
  let recorded = 0;
  let diverged = false;

  const start = performance.now();
  for (let s = 0; s <= maxSteps; s++) {
    throwIfAborted(options.signal);
    let evaluation = await evaluator.evaluate(state, corr);
    if (problem.slidingJaw && slideJaw(evaluation.projected, corr, options.model!, problem.system)) {
      evaluation = await evaluator.evaluate(state, corr);
    }
    const cost = objectiveCost(evaluation.residual, corr.sqrtWeight, state.coefficients, problem.priorPrecision);
    costs[recorded] = cost;
    elapsedMs[recorded] = performance.now() - start;
    recorded++;
    // A learning rate too large for this problem: stop and say so rather than iterate on NaN.
    if (!Number.isFinite(cost)) { diverged = true; break; }
    bestCost = Math.min(bestCost, cost);
    if (s === maxSteps || cost <= targetCost || elapsedMs[recorded - 1] >= maxMs) break;
    objectiveGradient(evaluation.jtr, state.coefficients, problem.priorPrecision, problem.columns, gradient);
    adamStep(adam, gradient, scales, learningRate * Math.exp(decayPerStep * s), beta1, beta2, epsilon, step);
    applyParameterStep(state, step, problem.bounds, scratch);
  }
  return {
    rotation: state.rotation,
    translation: state.translation,
    coefficients: state.coefficients,
    costs: costs.slice(0, recorded),
    elapsedMs: elapsedMs.slice(0, recorded),
    bestCost,
    steps: recorded - 1,
    diverged,
  };
}
