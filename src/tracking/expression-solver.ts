/**
 * The per-frame solve of live tracking: head pose and expression weights of one avatar against the
 * 468 observed face-mesh points, with the avatar's identity fixed.
 *
 * It is the photo fitter's Levenberg-Marquardt (../fitting/fit-face.ts: the damped active-set
 * solver, the closed-form initial pose) on a view of the model whose mean is the avatar's neutral
 * shape and which has no identity modes, so each step solves 6 pose + E weight unknowns only; the
 * normal equations come from sparse-landmarks.ts (the landmark graph's maths without its session
 * call). Weights are
 * bounded to 0..1 and carry an L1 cost (few active targets). eyeLook* targets only move the lids
 * with the gaze, so they are left to the gaze solve (gaze.ts) instead of the landmarks. Each frame
 * starts from the previous frame's solution and needs few iterations.
 */
import { DampedSolver, expressionIsBounded, fillPriorPrecision, meanShapeInitialPose, NOISE_FRACTION } from '../fitting/fit-face.js';
import type { Correspondences, PoseAndShape } from '../fitting/landmark-graph.js';
import { LEFT_BROW, LEFT_EYE, LEFT_EYE_CORNERS, LIPS_OUTER, RIGHT_BROW, RIGHT_EYE, RIGHT_EYE_CORNERS } from '../inference/face/mesh-regions.js';
import { INNER_LIP_LOOP } from '../inference/face/mediapipe-regions.js';
import type { HeadModel } from '../modelpack/head-model.js';
import { PhotoAvatarError } from '../errors.js';
import type { AvatarData, FaceObservation } from '../types.js';
import { SparseLandmarkSystem } from './sparse-landmarks.js';

export interface ExpressionSolverOptions {
  /** Levenberg-Marquardt iterations per frame from a warm start (default 4; a cold start takes up to 3x). */
  iterations?: number;
  /**
   * L1 cost per unit weight, in squared noise units (default 100): higher = fewer active targets.
   * Face-mesh points carry systematic offsets of a few pixels that small weights of many subtle
   * targets would otherwise "explain" (on a render with jawOpen 0.8, before the debias stage: at 2,
   * jawOpen 0.37 plus 15 spurious targets; at 100, jawOpen 0.81 and one more).
   */
  sparsity?: number;
  /** Multiplies the model's expression prior (default 0.1: tracking trusts the landmarks more than a photo fit does). */
  priorWeight?: number;
}

/** Per-point weights of the 468 residuals: lids and lips carry the expression; the face oval mostly pose. */
const REGION_WEIGHTS: [ArrayLike<number>, number][] = [
  [RIGHT_EYE, 4], [LEFT_EYE, 4], [RIGHT_BROW, 2], [LEFT_BROW, 2], [LIPS_OUTER, 2], [INNER_LIP_LOOP, 3],
];
const BASE_WEIGHT = 0.5;
const POSE_COLUMNS = [0, 1, 2, 3, 4, 5];
const TRANSLATION_COLUMNS = [3, 4, 5];
const DEBIAS_ITERATIONS = 2;
/**
 * Share of the depth-read pitch correction applied (depthPitchDeg). FaceMesh's relative depths are
 * noisy per frame; on the synthetic bench half the correction cut the pitch error from 1.8-2.5 deg
 * to 1.2 deg, while the full correction left 1.3-1.9 deg.
 */
const DEPTH_PITCH_GAIN = 0.5;
/** Range and steps of the search for the depth-read pitch, degrees. */
const DEPTH_PITCH_RANGE = 10, DEPTH_PITCH_COARSE = 1, DEPTH_PITCH_FINE = 0.1;
/** The head turns about the eye corners' centre for the correction: where the 2D fit pins the face best, and the gaze's reference. */
const PITCH_PIVOT_POINTS = [...RIGHT_EYE_CORNERS, ...LEFT_EYE_CORNERS];
/** Stop when an accepted step lowers the cost by less than this fraction. */
const CONVERGED_DECREASE = 1e-3;

export interface SolvedFrame {
  /** Model-to-camera rotation (row-major) and translation (metres). */
  rotation: Float64Array;
  translation: Float64Array;
  /** Expression weights in the model's expressionNames order (eyeLook* stay 0 here). */
  weights: Float64Array;
  /** Projected model points at the solution, one per mesh point (xy interleaved). */
  fitted: Float32Array;
  /** Mean distance between observed and fitted mesh points, pixels. */
  errorPx: number;
  iterations: number;
}

/** The model with the avatar's identity baked into its mean and no identity modes. */
export function fixedIdentityModel(data: AvatarData): HeadModel {
  return { ...data.model, positions: data.neutralVertices, identityCount: 0, identityBasis: new Float32Array(0), identityStd: new Float32Array(0) };
}

/** Weight of each of the 468 mesh points in the tracking residual. */
export function meshPointWeights(): Float32Array {
  const weights = new Float32Array(468).fill(BASE_WEIGHT);
  for (const [indices, weight] of REGION_WEIGHTS) for (let i = 0; i < indices.length; i++) weights[indices[i]] = weight;
  return weights;
}

export class ExpressionSolver {
  readonly model: HeadModel;
  private readonly correspondences: Correspondences;
  private readonly pointWeights = meshPointWeights();
  private readonly solver: DampedSolver;
  /** The same problem without the L1 cost: re-fits the weights the L1 stage selected (a relaxed lasso). */
  private readonly debiasSolver: DampedSolver;
  private readonly debiasColumns: number[] = [];
  private readonly system: SparseLandmarkSystem;
  private readonly jointColumns: number[];
  private readonly eyeLookColumns: number[];
  private readonly maxIterations: number;
  private readonly state: PoseAndShape & { rotation: Float64Array; translation: Float64Array; coefficients: Float64Array };
  private warm = false;
  /** Model-space points at the last solve's weights (scratch for the depth pitch). */
  private readonly modelPoints = new Float64Array(468 * 3);
  /** Depth-read pitch of the calibration frame (the landmark model's own offset), or null without a calibration. */
  private depthPitchReference: number | null = null;

  constructor(data: AvatarData, options: ExpressionSolverOptions = {}) {
    if (!data.model.landmarks468 || data.model.landmarks468.length !== 468) {
      throw new PhotoAvatarError('INVALID_ARGUMENT', `Face tracking needs a model pack with the 468-point face-mesh correspondence; '${data.model.id}' has none.`);
    }
    const model = fixedIdentityModel(data);
    this.model = model;
    const system = new SparseLandmarkSystem(model, model.landmarks468!);
    this.system = system;
    const E = model.expressionNames.length;
    const P = system.parameterCount - 6;
    const unionIndex = BigInt64Array.from({ length: 468 }, (_, i) => BigInt(i));
    this.correspondences = {
      unionIndex,
      unionIndexB: unionIndex.slice(),
      blend: new Float32Array(468),
      target: new Float32Array(468 * 2),
      sqrtWeight: new Float32Array(468),
    };
    const priorPrecision = new Float64Array(P).fill(1);
    fillPriorPrecision(model.expressionStd, options.priorWeight ?? 0.1, priorPrecision, 0);
    const bounds = expressionIsBounded(model) ? { from: 0, to: E } : null;
    this.solver = new DampedSolver(system, this.correspondences, priorPrecision, bounds, bounds ? options.sparsity ?? 100 : 0);
    this.debiasSolver = new DampedSolver(system, this.correspondences, priorPrecision, bounds, 0);
    this.jointColumns = [...POSE_COLUMNS];
    this.eyeLookColumns = [];
    model.expressionNames.forEach((name, k) => {
      if (/^eyeLook/i.test(name)) this.eyeLookColumns.push(k);
      else this.jointColumns.push(6 + k);
    });
    this.maxIterations = options.iterations ?? 4;
    this.state = {
      rotation: new Float64Array(9),
      translation: new Float64Array(3),
      focal: 1,
      cx: 0,
      cy: 0,
      coefficients: new Float64Array(P),
    };
  }

  /** Forget the previous frame: the next solve starts from a closed-form pose and neutral weights. */
  reset(): void {
    this.warm = false;
  }

  /**
   * Solves one frame from the face's mesh points (image pixels; z is ignored) seen through
   * `intrinsics`. Warm-starts from the previous solve unless reset. The eyeLook* weights are not
   * solved: they are taken from `eyeLookWeights` (all weights, model order; e.g. the previous
   * frame's, whose gaze set them), so the lids they move are explained before the other targets.
   */
  async solve(
    face: Pick<FaceObservation, 'landmarks468' | 'landmarks68'>,
    intrinsics: { focal: number; cx: number; cy: number },
    eyeLookWeights?: ArrayLike<number>,
  ): Promise<SolvedFrame> {
    const { state } = this;
    this.setTargets(face.landmarks468, intrinsics);
    const stages: [number[], number][] = [];
    if (!this.warm) {
      this.initialPose(face, intrinsics);
      state.coefficients.fill(0);
      stages.push([POSE_COLUMNS, this.maxIterations], [this.jointColumns, 2 * this.maxIterations]);
    } else {
      stages.push([this.jointColumns, this.maxIterations]);
    }
    for (const k of this.eyeLookColumns) state.coefficients[k] = eyeLookWeights ? eyeLookWeights[k] : 0;
    const result = await this.iterate(stages, true);
    this.warm = true;
    if (this.depthPitchReference !== null) {
      // The 2D fit confuses head pitch with vertical translation (both move the points up or down
      // under perspective); FaceMesh's relative depths tell them apart. Only the reported pose moves:
      // the next frame still warm-starts from the landmark fit.
      this.system.pointsAt(result.weights, this.modelPoints);
      const pitch = depthPitchDeg(this.modelPoints, result.rotation, face.landmarks468) - this.depthPitchReference;
      pitchAboutPoints(DEPTH_PITCH_GAIN * pitch, this.modelPoints, PITCH_PIVOT_POINTS, result.rotation, result.translation);
    }
    return result;
  }

  /**
   * Learns where this face's landmark model disagrees with the avatar's mesh points: the residual
   * left after fitting the pose (weights fixed to `weights`) to a frame whose expression is known
   * (the photo the avatar was made from, or a neutral frame) becomes a per-point correction in
   * model space, applied to every later frame. Without it those person- and model-specific offsets
   * (a few pixels at the lips and lids) would be explained by spurious expression weights. With
   * `heldRotation` the frame's head rotation is taken as given (only the translation is solved), so
   * the correction also takes up the landmark model's rotation bias on this face. `frameRotation`
   * is the rotation the frame's landmarks give, solved before any holding.
   */
  async calibrate(
    face: Pick<FaceObservation, 'landmarks468' | 'landmarks68'>,
    intrinsics: { focal: number; cx: number; cy: number },
    weights: ArrayLike<number>,
    heldRotation?: ArrayLike<number>,
  ): Promise<{ meanCorrectionPx: number; rotation: Float64Array; translation: Float64Array; frameRotation: Float64Array }> {
    const { state, correspondences: corr } = this;
    this.system.setPointOffsets(null);
    this.setTargets(face.landmarks468, intrinsics);
    this.initialPose(face, intrinsics);
    for (let k = 0; k < this.model.expressionNames.length; k++) state.coefficients[k] = weights[k];
    let solved = await this.iterate([[POSE_COLUMNS, 6 * this.maxIterations]]);
    const frameRotation = Float64Array.from(solved.rotation);
    if (heldRotation) {
      // The frame's head rotation is given: what the landmarks disagree with it goes into the
      // per-point correction below, instead of into a rotation offset every later frame inherits.
      state.rotation.set(heldRotation);
      solved = await this.iterate([[TRANSLATION_COLUMNS, 6 * this.maxIterations]]);
    }
    // Back-project each pixel residual onto the plane facing the camera at the face's depth.
    const R = state.rotation, depth = -state.translation[2];
    const offsets = new Float64Array(468 * 3);
    for (let i = 0; i < 468; i++) {
      const dx = ((corr.target[2 * i] - solved.fitted[2 * i]) * depth) / state.focal;
      const dy = (-(corr.target[2 * i + 1] - solved.fitted[2 * i + 1]) * depth) / state.focal;
      offsets[3 * i] = R[0] * dx + R[3] * dy;
      offsets[3 * i + 1] = R[1] * dx + R[4] * dy;
      offsets[3 * i + 2] = R[2] * dx + R[5] * dy;
    }
    this.system.setPointOffsets(offsets);
    this.system.pointsAt(state.coefficients, this.modelPoints);
    this.depthPitchReference = depthPitchDeg(this.modelPoints, state.rotation, face.landmarks468);
    this.warm = false;
    return { meanCorrectionPx: solved.errorPx, rotation: solved.rotation, translation: solved.translation, frameRotation };
  }

  /** Observed points as residual targets, weighted in units of the landmark noise (which scales with the face). */
  private setTargets(landmarks468: Float32Array, intrinsics: { focal: number; cx: number; cy: number }): void {
    const { state, correspondences: corr } = this;
    state.focal = intrinsics.focal;
    state.cx = intrinsics.cx;
    state.cy = intrinsics.cy;
    const target = corr.target;
    for (let i = 0; i < 468; i++) {
      target[2 * i] = landmarks468[3 * i];
      target[2 * i + 1] = landmarks468[3 * i + 1];
    }
    const eyeDistance = Math.hypot(target[2 * 263] - target[2 * 33], target[2 * 263 + 1] - target[2 * 33 + 1]);
    const invNoise = 1 / Math.max(1e-6, NOISE_FRACTION * eyeDistance);
    for (let i = 0; i < 468; i++) corr.sqrtWeight[i] = Math.sqrt(this.pointWeights[i]) * invNoise;
  }

  private initialPose(face: Pick<FaceObservation, 'landmarks68'>, intrinsics: { focal: number; cx: number; cy: number }): void {
    const init = meanShapeInitialPose(this.model, face.landmarks68, intrinsics);
    this.state.rotation.set(init.rotation);
    this.state.translation.set(init.translation);
  }

  /**
   * Levenberg-Marquardt stages (columns, iteration budget) from the current state; with `debias`,
   * then DEBIAS_ITERATIONS without the L1 cost over the pose and the weights the stages left
   * active, so that the L1 chooses the targets but does not shrink their weights.
   */
  private async iterate(stages: [number[], number][], debias = false): Promise<SolvedFrame> {
    const { state } = this;
    let iterations = 0;
    let current = await this.solver.evaluate(state);
    const run = async (solver: DampedSolver, columns: number[], count: number) => {
      let lambda = 1e-3;
      for (let it = 0; it < count; it++) {
        const step = await solver.step(state, current, columns, lambda);
        iterations++;
        if (!step) {
          // Rejected trials reused the evaluation buffers (sparse-landmarks.ts): evaluate the kept state again.
          current = await solver.evaluate(state);
          return;
        }
        lambda = step.lambda;
        const decrease = current.cost - step.next.cost;
        current = step.next;
        if (decrease < CONVERGED_DECREASE * current.cost) return;
      }
    };
    for (const [columns, count] of stages) await run(this.solver, columns, count);
    if (debias) {
      const columns = this.debiasColumns;
      columns.length = 0;
      for (const column of this.jointColumns) if (column < 6 || state.coefficients[column - 6] > 0) columns.push(column);
      current = await this.debiasSolver.evaluate(state);
      await run(this.debiasSolver, columns, DEBIAS_ITERATIONS);
    }
    const fitted = current.evaluation.fitted;
    const target = this.correspondences.target;
    let error = 0;
    for (let i = 0; i < 468; i++) error += Math.hypot(fitted[2 * i] - target[2 * i], fitted[2 * i + 1] - target[2 * i + 1]);
    return {
      rotation: state.rotation.slice(),
      translation: state.translation.slice(),
      weights: state.coefficients.slice(0, this.model.expressionNames.length),
      fitted,
      errorPx: error / 468,
      iterations,
    };
  }

}

/** Scratch for the per-frame pitch search and turn (no allocation per frame). */
const scratchRotation = new Float64Array(9);

/** `rotation` turned by `deg` about the camera's x axis (left-multiplied), into `out`. */
function pitchedRotation(deg: number, rotation: ArrayLike<number>, out: Float64Array): Float64Array {
  const c = Math.cos((deg * Math.PI) / 180), s = Math.sin((deg * Math.PI) / 180);
  for (let k = 0; k < 3; k++) {
    out[k] = rotation[k];
    out[3 + k] = c * rotation[3 + k] - s * rotation[6 + k];
    out[6 + k] = s * rotation[3 + k] + c * rotation[6 + k];
  }
  return out;
}

/**
 * Sum of squared residuals of the best affine fit of the observed relative depths (FaceMesh's z,
 * pixels) to the camera-space depths of the model `points` turned by `rotation`: scale and offset
 * are free, so only the depth pattern across the face counts.
 */
function depthMisfit(points: Float64Array, rotation: ArrayLike<number>, observed: ArrayLike<number>): number {
  const n = points.length / 3;
  let sumModel = 0, sumSeen = 0, sumModelSq = 0, sumSeenSq = 0, sumCross = 0;
  for (let i = 0; i < n; i++) {
    const depth = rotation[6] * points[3 * i] + rotation[7] * points[3 * i + 1] + rotation[8] * points[3 * i + 2];
    const seen = observed[3 * i + 2];
    sumModel += depth; sumSeen += seen; sumModelSq += depth * depth; sumSeenSq += seen * seen; sumCross += depth * seen;
  }
  const varModel = sumModelSq - (sumModel * sumModel) / n, varSeen = sumSeenSq - (sumSeen * sumSeen) / n;
  const cross = sumCross - (sumModel * sumSeen) / n;
  return varSeen - (cross * cross) / Math.max(1e-30, varModel);
}

/** The pitch (degrees about the camera's x axis) of the head that best explains the observed relative depths. */
export function depthPitchDeg(points: Float64Array, rotation: ArrayLike<number>, observed: ArrayLike<number>): number {
  const trial = scratchRotation;
  const search = (from: number, to: number, step: number) => {
    let best = from, bestMisfit = Infinity;
    for (let deg = from; deg <= to + 1e-9; deg += step) {
      const misfit = depthMisfit(points, pitchedRotation(deg, rotation, trial), observed);
      if (misfit < bestMisfit) { bestMisfit = misfit; best = deg; }
    }
    return best;
  };
  const coarse = search(-DEPTH_PITCH_RANGE, DEPTH_PITCH_RANGE, DEPTH_PITCH_COARSE);
  return search(coarse - DEPTH_PITCH_COARSE, coarse + DEPTH_PITCH_COARSE, DEPTH_PITCH_FINE);
}

/** Turns the pose (in place) by `deg` about the camera's x axis through the centre of the model points `pivot`, which stays put. */
function pitchAboutPoints(deg: number, points: Float64Array, pivot: readonly number[], rotation: Float64Array, translation: Float64Array): void {
  let cx = 0, cy = 0, cz = 0;
  for (const i of pivot) { cx += points[3 * i]; cy += points[3 * i + 1]; cz += points[3 * i + 2]; }
  cx /= pivot.length; cy /= pivot.length; cz /= pivot.length;
  // The pivot in camera space before the turn; the translation then puts it back there.
  for (let r = 0; r < 3; r++) translation[r] += rotation[3 * r] * cx + rotation[3 * r + 1] * cy + rotation[3 * r + 2] * cz;
  rotation.set(pitchedRotation(deg, rotation, scratchRotation));
  for (let r = 0; r < 3; r++) translation[r] -= rotation[3 * r] * cx + rotation[3 * r + 1] * cy + rotation[3 * r + 2] * cz;
}
