/**
 * Fits one HeadModel to several photos of the same person: one identity shared by every view, and
 * per view its own camera pose and expression. One Levenberg-Marquardt over
 *   [identity (K) | view 0: rotation increment, translation (6), expression (E) | view 1: ... ]
 * with the same residuals, weights and priors as fitFace (fit-face.ts). Each view's landmark graph
 * gives its JᵀWJ and JᵀWr over [pose | identity | expression]; they scatter into the global
 * normal equations, whose identity block sums every view and couples to each view's block, while
 * different views' blocks are zero. The global system stays small (K + V (6 + E), a few hundred
 * unknowns for a handful of photos), so it is solved densely; a Schur complement on the identity
 * would only pay off for tens of views. The identity prior counts once, not once per view.
 */
import type { FaceObservation, PinholeCamera } from '../types.js';
import { decodeExpressionOn, decodeShape, type HeadModel } from '../modelpack/head-model.js';
import { PhotoAvatarError, throwIfAborted } from '../errors.js';
import type { Backend } from '../inference/runtime.js';
import type { Correspondences, LandmarkEvaluation, LandmarkSystem } from './landmark-graph.js';
import { axisAngleToMatrix, multiply3x3, rotationToEulerDegrees } from './camera-math.js';
import { DampedNormalEquations } from './damped-step.js';
import {
  CONVERGED_DECREASE, NOISE_FRACTION, POSE_ONLY_ITERATIONS,
  buildCorrespondences, expressionIsBounded, fittedLandmarks, getLandmarkSystem, meanShapeInitialPose,
  rejectExtremePose, slideJaw, validateInputs, photoIntrinsics, photoFocal, outerEyeDistance, fillPriorPrecision,
  type FitOptions, type FitResult,
} from './fit-face.js';

/** One photo's observation and image geometry. */
export interface ViewObservation {
  observation: FaceObservation;
  imageWidth: number;
  imageHeight: number;
  /** Focal length in pixels; default 1.2 * max(imageWidth, imageHeight). */
  focal?: number;
  /** Names the photo in error messages (e.g. its file name); default "photo i of n". */
  label?: string;
}

export type MultiViewFitOptions = Omit<FitOptions, 'imageWidth' | 'imageHeight' | 'focal' | 'onProblem' | 'onCost'>;

export interface MultiViewFitResult {
  /** The shared identity coefficients. */
  identity: Float32Array;
  /** Shared identity, neutral expression. */
  neutralVertices: Float32Array;
  /** Per view, in input order: its pose, expression, mesh and landmark error (identity fields are the shared ones). */
  views: FitResult[];
  /** Levenberg-Marquardt iterations taken (all stages). */
  iterations: number;
  backend: Backend;
  timings: Record<string, number>;
}

interface ViewState {
  rotation: Float64Array;
  translation: Float64Array;
  focal: number;
  cx: number;
  cy: number;
  /** [identity | expression] as the landmark graph takes them; identity mirrors the shared one. */
  coefficients: Float64Array;
}

interface ViewProblem {
  label: string;
  obs68: Float32Array;
  eyeDistance: number;
  corr: Correspondences;
  state: ViewState;
  /** Global parameter index of this view's first column (rotation x). */
  offset: number;
  /** Local graph column -> global parameter index, -1 for the placeholder column of a mode-less model. */
  columnMap: Int32Array;
}

interface Evaluated {
  evaluations: LandmarkEvaluation[];
  cost: number;
}

export function viewLabel(index: number, count: number, label?: string): string {
  return label ?? `photo ${index + 1} of ${count}`;
}

export async function fitFaces(model: HeadModel, observations: readonly ViewObservation[], options: MultiViewFitOptions = {}): Promise<MultiViewFitResult> {
  const totalStart = performance.now();
  const timings: Record<string, number> = {};
  if (observations.length === 0) throw new PhotoAvatarError('INVALID_ARGUMENT', 'fitFaces needs at least one face observation.');
  const labels = observations.map((view, i) => viewLabel(i, observations.length, view.label));
  observations.forEach((view, i) => {
    try {
      validateInputs(model, view.observation, { ...options, imageWidth: view.imageWidth, imageHeight: view.imageHeight, focal: view.focal });
    } catch (error) {
      throw relabel(error, labels[i]);
    }
  });
  const fitExpression = options.fitExpression ?? true;
  const priorWeight = options.priorWeight ?? 1;
  const maxYawDeg = options.maxYawDeg ?? 60;
  const slidingJaw = options.slidingJaw ?? !model.landmarks468;

  let start = performance.now();
  const backend = options.backend ?? 'auto';
  const system = await getLandmarkSystem(model, backend);
  timings.sessions = performance.now() - start;
  throwIfAborted(options.signal);

  start = performance.now();
  const K = model.identityCount, E = model.expressionNames.length;
  const P = system.set.coefficientCount;
  const viewColumns = 6 + E;
  const unknowns = K + observations.length * viewColumns;
  const views: ViewProblem[] = observations.map((view, i) => {
    const obs68 = view.observation.landmarks68;
    const intrinsics = photoIntrinsics(view.imageWidth, view.imageHeight, view.focal ?? photoFocal(view.imageWidth, view.imageHeight, obs68));
    const init = meanShapeInitialPose(model, obs68, intrinsics);
    const eyeDistance = outerEyeDistance(obs68);
    const offset = K + i * viewColumns;
    return {
      label: labels[i],
      obs68,
      eyeDistance,
      corr: buildCorrespondences(model, view.observation, system, 1 / Math.max(1e-6, NOISE_FRACTION * eyeDistance)),
      state: { ...intrinsics, rotation: init.rotation, translation: init.translation, coefficients: new Float64Array(P) },
      offset,
      columnMap: graphToGlobalColumns(K, E, P, offset),
    };
  });
  const priorPrecision = new Float64Array(unknowns);
  fillPriorPrecision(model.identityStd, priorWeight, priorPrecision, 0);
  for (const view of views) {
    fillPriorPrecision(model.expressionStd, priorWeight, priorPrecision, view.offset + 6);
  }
  const boundedExpression = fitExpression && expressionIsBounded(model);
  timings.init = performance.now() - start;

  start = performance.now();
  const solver = new MultiViewSolver(system, views, K, E, priorPrecision, boundedExpression);
  const poseColumns: number[] = [];
  const jointColumns: number[] = [];
  for (let k = 0; k < K; k++) jointColumns.push(k);
  for (const view of views) {
    for (let c = 0; c < 6; c++) { poseColumns.push(view.offset + c); jointColumns.push(view.offset + c); }
    if (fitExpression) for (let j = 0; j < E; j++) jointColumns.push(view.offset + 6 + j);
  }
  const maxIterations = options.iterations ?? 30;
  const stages = [
    { columns: poseColumns, iterations: Math.min(POSE_ONLY_ITERATIONS, maxIterations) },
    { columns: jointColumns, iterations: maxIterations },
  ];
  const totalBudget = stages.reduce((sum, s) => sum + s.iterations, 0);
  let current = await solver.evaluate();
  let iterations = 0;
  for (const stage of stages) {
    if (stage.columns === jointColumns) for (const view of views) rejectExtremePose(view.state.rotation, maxYawDeg, view.label);
    let lambda = 1e-3;
    for (let it = 0; it < stage.iterations; it++) {
      throwIfAborted(options.signal);
      if (slidingJaw) {
        let changed = false;
        views.forEach((view, v) => { if (slideJaw(current.evaluations[v].projected, view.corr, model, system)) changed = true; });
        if (changed) current = await solver.evaluate();
      }
      const step = await solver.step(current, stage.columns, lambda);
      iterations++;
      options.onProgress?.({ stage: 'fit', progress: Math.min(1, iterations / totalBudget) });
      if (!step) break;
      lambda = step.lambda;
      const decrease = current.cost - step.next.cost;
      current = step.next;
      if (decrease < CONVERGED_DECREASE * step.next.cost) break;
    }
  }
  timings.solve = performance.now() - start;

  start = performance.now();
  const identity = Float32Array.from(solver.identity);
  // Plain TS decode (see fit-face.ts): no session holding the bases in WASM memory.
  const neutralVertices = decodeShape(model, identity, null);
  const results: FitResult[] = [];
  for (let v = 0; v < views.length; v++) {
    const view = views[v];
    const expression = Float32Array.from(view.state.coefficients.subarray(K, K + E));
    const vertices = decodeExpressionOn(model, neutralVertices, expression);
    const camera: PinholeCamera = {
      focal: view.state.focal, cx: view.state.cx, cy: view.state.cy,
      rotation: Float64Array.from(view.state.rotation), translation: Float64Array.from(view.state.translation),
    };
    const { landmarks68, landmarkErrorPx } = fittedLandmarks(model, vertices, camera, current.evaluations[v].fitted, view.obs68);
    results.push({
      identity,
      expression,
      camera,
      vertices,
      neutralVertices,
      landmarks68,
      landmarkErrorPx,
      landmarkErrorNormalized: landmarkErrorPx / view.eyeDistance,
      ...rotationToEulerDegrees(view.state.rotation),
      iterations,
      backend: system.backend,
      timings,
    });
  }
  timings.decode = performance.now() - start;
  timings.total = performance.now() - totalStart;
  return { identity, neutralVertices, views: results, iterations, backend: system.backend, timings };
}

/** The landmark graph's columns [rotation, translation, identity, expression] in the global vector. */
function graphToGlobalColumns(K: number, E: number, P: number, offset: number): Int32Array {
  const map = new Int32Array(6 + P).fill(-1);
  for (let c = 0; c < 6; c++) map[c] = offset + c;
  for (let k = 0; k < K; k++) map[6 + k] = k;
  for (let j = 0; j < E; j++) map[6 + K + j] = offset + 6 + j;
  return map;
}

function relabel(error: unknown, label: string): unknown {
  if (!(error instanceof PhotoAvatarError)) return error;
  return new PhotoAvatarError(error.code, `${label}: ${error.message}`, { cause: error });
}

/** Damped Gauss-Newton steps on the stacked views; same damping and active-set rules as fitFace's solver. */
class MultiViewSolver {
  readonly identity: Float64Array;
  private readonly n: number;
  private readonly normal: DampedNormalEquations;
  private readonly H: Float64Array;
  private readonly g: Float64Array;
  private readonly x: Float64Array;
  private readonly delta: Float64Array;
  private readonly saved: Float64Array;
  private readonly savedRotations: Float64Array;
  private readonly savedTranslations: Float64Array;
  private readonly increment = new Float64Array(9);
  private readonly trialRotation = new Float64Array(9);

  constructor(
    private readonly system: LandmarkSystem,
    private readonly views: ViewProblem[],
    private readonly K: number,
    private readonly E: number,
    private readonly priorPrecision: Float64Array,
    private readonly boundedExpression: boolean,
  ) {
    const n = (this.n = priorPrecision.length);
    this.identity = new Float64Array(K);
    this.normal = new DampedNormalEquations(n);
    ({ H: this.H, g: this.g, x: this.x } = this.normal);
    this.delta = new Float64Array(n);
    this.saved = new Float64Array(n);
    this.savedRotations = new Float64Array(views.length * 9);
    this.savedTranslations = new Float64Array(views.length * 3);
  }

  /** Global parameter value at `index` (identity or a view's expression; pose columns are increments, 0). */
  private coefficient(index: number): number {
    if (index < this.K) return this.identity[index];
    const view = this.views[Math.floor((index - this.K) / (6 + this.E))];
    const local = index - view.offset;
    return local < 6 ? 0 : view.state.coefficients[this.K + local - 6];
  }

  async evaluate(): Promise<Evaluated> {
    const evaluations: LandmarkEvaluation[] = [];
    let cost = 0;
    for (const view of this.views) {
      view.state.coefficients.set(this.identity, 0);
      const evaluation = await this.system.evaluate(view.state, view.corr);
      const { residual } = evaluation;
      const w = view.corr.sqrtWeight;
      for (let i = 0; i < w.length; i++) {
        const rx = residual[i * 2] * w[i], ry = residual[i * 2 + 1] * w[i];
        cost += rx * rx + ry * ry;
      }
      evaluations.push(evaluation);
    }
    for (let i = 0; i < this.n; i++) {
      const c = this.coefficient(i);
      cost += this.priorPrecision[i] * c * c;
    }
    return { evaluations, cost };
  }

  private assemble(current: Evaluated): void {
    const { n, H, g } = this;
    H.fill(0);
    g.fill(0);
    const m = this.system.parameterCount;
    for (let v = 0; v < this.views.length; v++) {
      const map = this.views[v].columnMap;
      const { jtj, jtr } = current.evaluations[v];
      for (let r = 0; r < m; r++) {
        const gr = map[r];
        if (gr < 0) continue;
        g[gr] += jtr[r];
        const rowH = gr * n, rowJ = r * m;
        for (let c = 0; c < m; c++) {
          const gc = map[c];
          if (gc >= 0) H[rowH + gc] += jtj[rowJ + c];
        }
      }
    }
    for (let i = 0; i < n; i++) {
      H[i * n + i] += this.priorPrecision[i];
      g[i] += this.priorPrecision[i] * this.coefficient(i);
    }
  }

  private isExpressionColumn(index: number): boolean {
    return index >= this.K && (index - this.K) % (6 + this.E) >= 6;
  }

  /** One accepted step over `columns`, raising the damping until the cost drops; null when none does. */
  async step(current: Evaluated, columns: number[], lambda: number): Promise<{ next: Evaluated; lambda: number } | null> {
    this.assemble(current);
    const { g } = this;
    // Active set: blendshape weights pinned at a bound with the gradient pushing outwards stay put.
    const active = columns.filter((col) => {
      if (!this.boundedExpression || !this.isExpressionColumn(col)) return true;
      const value = this.coefficient(col);
      return !((value <= 0 && g[col] > 0) || (value >= 1 && g[col] < 0));
    });
    this.saveState();
    return this.normal.step(active, lambda, current.cost, () => {
      this.applyStep(active);
      return this.evaluate();
    }, () => this.restoreState());
  }

  private saveState(): void {
    for (let i = 0; i < this.n; i++) this.saved[i] = this.coefficient(i);
    this.views.forEach((view, v) => {
      this.savedRotations.set(view.state.rotation, v * 9);
      this.savedTranslations.set(view.state.translation, v * 3);
    });
  }

  private restoreState(): void {
    this.delta.fill(0);
    this.writeParameters();
  }

  private applyStep(active: number[]): void {
    this.delta.fill(0);
    for (let i = 0; i < active.length; i++) this.delta[active[i]] = this.x[i];
    this.writeParameters();
  }

  /** Parameters = saved + delta (rotations by left-multiplied increments; weights clamped when bounded). */
  private writeParameters(): void {
    const { K, E, delta, saved } = this;
    for (let k = 0; k < K; k++) this.identity[k] = saved[k] + delta[k];
    this.views.forEach((view, v) => {
      const o = view.offset;
      axisAngleToMatrix(delta[o], delta[o + 1], delta[o + 2], this.increment);
      multiply3x3(this.increment, this.savedRotations.subarray(v * 9, v * 9 + 9), this.trialRotation);
      view.state.rotation.set(this.trialRotation);
      for (let c = 0; c < 3; c++) view.state.translation[c] = this.savedTranslations[v * 3 + c] + delta[o + 3 + c];
      for (let j = 0; j < E; j++) {
        let value = saved[o + 6 + j] + delta[o + 6 + j];
        if (this.boundedExpression) value = Math.min(1, Math.max(0, value));
        view.state.coefficients[K + j] = value;
      }
      view.state.coefficients.set(this.identity, 0);
    });
  }
}
