/**
 * The per-iteration heavy part of the landmark fit as one ONNX graph: decode the landmark-restricted
 * vertices from the shape coefficients, project them with a perspective pinhole camera, and return
 * residuals, the analytic Jacobian and the normal equations J^T W J, J^T W r.
 *
 * Parameters (columns of J, in this order): rotation increment w (3; R <- exp([w]x) R, evaluated at
 * w = 0), translation t (3), then the model's identity and expression coefficients (P = K + E).
 * For a residual on vertex v with rotated point q = R v and camera point p = q + t, depth d = -p.z:
 *   d pixel / d p  = (f / d) [[1, 0, p.x / d], [0, -1, -p.y / d]]      (image y down)
 *   d p / d w      = -[q]x,   d p / d t = I,   d p / d c_k = R B_k[v]
 * The graph works on the union of all vertices any residual may use (68 landmarks, the jaw
 * contour, the 468 dense points); a residual's model point is a blend of two of them (a point on a
 * jaw-contour segment), so the sliding jaw only changes the index and blend inputs.
 */
import type { HeadModel } from '../modelpack/head-model.js';
import { GraphBuilder, pruneGraph, TensorType } from '../inference/onnx-builder.js';
import { createSession, ort, type Backend } from '../inference/runtime.js';

/** Vertices that residuals can refer to, with the landmark-restricted mean and bases. */
export interface LandmarkVertexSet {
  /** Model vertex index of each union entry. */
  vertices: Uint32Array;
  /** Model vertex -> union entry (-1 when absent). */
  lookup: Map<number, number>;
  /** Number of shape coefficients (identity then expression; at least 1). */
  coefficientCount: number;
}

/** What a trial step's cost and the fit's results read of an evaluation. */
export interface LandmarkResiduals {
  /** Projected image positions of every union vertex, xy interleaved (unweighted). */
  projected: Float32Array;
  /** Per-residual fitted image position, xy interleaved. */
  fitted: Float32Array;
  /** Per-residual image position minus target, xy interleaved (unweighted). */
  residual: Float32Array;
}

/** The landmark graph's outputs that need no Jacobian (LandmarkResiduals). */
export const RESIDUAL_OUTPUTS = ['projected', 'fitted', 'residual'];

export interface LandmarkEvaluation extends LandmarkResiduals {
  /** J^T W J, row-major M x M (M = 6 + P). */
  jtj: Float32Array;
  /** J^T W r, M. */
  jtr: Float32Array;
  /** sqrt(W) J, row-major (2N) x M; only when requested. */
  jacobian?: Float32Array;
}

export interface PoseAndShape {
  /** Row-major model-to-camera rotation. */
  rotation: ArrayLike<number>;
  translation: ArrayLike<number>;
  focal: number;
  cx: number;
  cy: number;
  /** Identity then expression coefficients (P). */
  coefficients: ArrayLike<number>;
}

/**
 * Residual rows. Row i's model point is (1 - blend[i]) * vertex unionIndex[i] + blend[i] * vertex
 * unionIndexB[i] (union entries, see LandmarkVertexSet.lookup): a point on a contour segment for
 * sliding correspondences, a plain vertex when blend is 0.
 */
export interface Correspondences {
  unionIndex: BigInt64Array;
  unionIndexB: BigInt64Array;
  blend: Float32Array;
  /** Observed image points, xy interleaved. */
  target: Float32Array;
  /** Square root of each residual's weight (applies to both coordinates). */
  sqrtWeight: Float32Array;
}

/** Collects the vertices any landmark residual can use: 68 landmarks, jaw contour and dense points. */
export function landmarkVertexSet(model: HeadModel): LandmarkVertexSet {
  const lookup = new Map<number, number>();
  const list: number[] = [];
  const add = (indices: ArrayLike<number> | undefined) => {
    if (!indices) return;
    for (let i = 0; i < indices.length; i++) {
      const v = indices[i];
      if (!lookup.has(v)) { lookup.set(v, list.length); list.push(v); }
    }
  };
  add(model.landmarks68);
  add(model.jawContour);
  add(model.landmarks468);
  return {
    vertices: Uint32Array.from(list),
    lookup,
    // A model without modes still gets one (zero) coefficient column so every tensor has a size.
    coefficientCount: Math.max(1, model.identityCount + model.expressionNames.length),
  };
}

/** Landmark-restricted mean [V,3] and bases [3V, P] (row v*3+c, column k: identity modes, then expression). */
function restrictedBases(model: HeadModel, set: LandmarkVertexSet): { mean: Float32Array; basis: Float32Array } {
  const vCount = set.vertices.length;
  const K = model.identityCount, E = model.expressionNames.length, P = set.coefficientCount;
  const n3 = model.vertexCount * 3;
  const mean = new Float32Array(vCount * 3);
  const basis = new Float32Array(vCount * 3 * P);
  for (let u = 0; u < vCount; u++) {
    const v = set.vertices[u];
    for (let c = 0; c < 3; c++) {
      const row = u * 3 + c;
      mean[row] = model.positions[v * 3 + c];
      for (let k = 0; k < K + E; k++) {
        basis[row * P + k] = k < K
          ? model.identityBasis[k * n3 + v * 3 + c]
          : model.expressionBasis[(k - K) * n3 + v * 3 + c];
      }
    }
  }
  return { mean, basis };
}

/** Builds the ONNX model bytes of the landmark normal-equation graph. */
export function buildLandmarkGraph(model: HeadModel, set: LandmarkVertexSet): Uint8Array {
  return landmarkGraph(model, set).build('landmark_normal_equations');
}

/** The landmark normal-equation graph, before serialisation (first-order.ts prunes and reuses it). */
export function landmarkGraph(model: HeadModel, set: LandmarkVertexSet): GraphBuilder {
  const g = new GraphBuilder();
  const vCount = set.vertices.length;
  const P = set.coefficientCount;
  const M = 6 + P;
  const { mean, basis } = restrictedBases(model, set);

  const coeffs = g.input('coefficients', [P, 1]);
  const rotationT = g.input('rotationT', [3, 3]);
  const translation = g.input('translation', [1, 3]);
  const focal = g.input('focal', [1]);
  const principal = g.input('principal', [1, 2]);
  const vertexIndex = g.input('vertexIndex', ['N'], TensorType.INT64);
  const vertexIndexB = g.input('vertexIndexB', ['N'], TensorType.INT64);
  const blend = g.input('blend', ['N', 1]);
  const target = g.input('target', ['N', 2]);
  const sqrtWeight = g.input('sqrtWeight', ['N', 1]);

  const basisFlat = g.constantFloat('basisFlat', [vCount * 3, P], basis);
  const meanV = g.constantFloat('mean', [vCount, 3], mean);
  const shapeV3 = g.constantInt64('shapeV3', [2], [vCount, 3]);
  const shapeN23 = g.constantInt64('shapeN23', [3], [-1, 2, 3]);
  const shapeN33 = g.constantInt64('shapeN33', [3], [-1, 3, 3]);
  const shapeRowsM = g.constantInt64('shapeRowsM', [2], [-1, M]);
  const shapeCol = g.constantInt64('shapeCol', [2], [-1, 1]);
  const shapeN11 = g.constantInt64('shapeN11', [3], [-1, 1, 1]);
  const shapeV3P = g.constantInt64('shapeV3P', [3], [vCount, 3, P]);
  const sliceStart = g.constantInt64('sliceStart', [1], [2]);
  const sliceEnd = g.constantInt64('sliceEnd', [1], [3]);
  const sliceAxis = g.constantInt64('sliceAxis', [1], [1]);
  // Normalised camera point pn = p / d = [X, Y, -1] maps to pixels through [[1, 0], [0, -1], [0, 0]].
  const toPixels = g.constantFloat('toPixels', [3, 2], [1, 0, 0, -1, 0, 0]);
  // [X, Y, -1] @ projectionPattern = [[1, 0, X], [0, -1, -Y]] flattened.
  const projectionPattern = g.constantFloat('projectionPattern', [3, 6], [
    0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, -1,
    -1, 0, 0, 0, 1, 0,
  ]);
  // q @ negSkew = -[q]x flattened (the derivative of exp([w]x) q at w = 0 is -[q]x).
  const negSkew = g.constantFloat('negSkew', [3, 9], [
    0, 0, 0, 0, 0, 1, 0, -1, 0,
    0, 0, -1, 0, 0, 0, 1, 0, 0,
    0, 1, 0, -1, 0, 0, 0, 0, 0,
  ]);

  /** Emits the pinhole projection of camera points [X,3]; returns pixels [X,2], 1/depth [X,1], p/depth [X,3]. */
  const project = (cameraPoints: string, pixelsName?: string) => {
    const [z] = g.node('Slice', [cameraPoints, sliceStart, sliceEnd, sliceAxis]);
    const [invZ] = g.node('Reciprocal', [z]);
    const [invDepth] = g.node('Neg', [invZ]);
    const [normalised] = g.node('Mul', [cameraPoints, invDepth]);
    const [pixelsUnit] = g.node('MatMul', [normalised, toPixels]);
    const [pixelsScaled] = g.node('Mul', [pixelsUnit, focal]);
    const [pixels] = g.node('Add', [pixelsScaled, principal], pixelsName ? [pixelsName] : 1);
    return { pixels, invDepth, normalised };
  };
  /** Per-residual rows of a [V, ...] tensor, blended between the two vertices of each correspondence. */
  const gatherBlend = (source: string, blendShape: string) => {
    const [a] = g.node('Gather', [source, vertexIndex], 1, { axis: 0 });
    const [b] = g.node('Gather', [source, vertexIndexB], 1, { axis: 0 });
    const [diff] = g.node('Sub', [b, a]);
    const [scaled] = g.node('Mul', [diff, blendShape]);
    return g.node('Add', [a, scaled])[0];
  };

  const [basisByVertex] = g.node('Reshape', [basisFlat, shapeV3P]);

  // Decode and project every union vertex (the projections drive the sliding correspondences).
  const [offsets] = g.node('MatMul', [basisFlat, coeffs]);
  const [offsetsV] = g.node('Reshape', [offsets, shapeV3]);
  const [vertices] = g.node('Add', [offsetsV, meanV]);
  const [rotated] = g.node('MatMul', [vertices, rotationT]);
  const [cameraPoints] = g.node('Add', [rotated, translation]);
  project(cameraPoints, 'projected');

  // Per-residual points: (1 - blend) * vertex A + blend * vertex B, in 3D before projection.
  const [blend3] = g.node('Reshape', [blend, shapeN11]);
  const rotatedS = gatherBlend(rotated, blend);
  const basisS = gatherBlend(basisByVertex, blend3);
  const [cameraS] = g.node('Add', [rotatedS, translation]);
  const { pixels: projS, invDepth: invDepthS, normalised: normS } = project(cameraS, 'fitted');
  g.node('Sub', [projS, target], ['residual']);
  const [weightedResidual] = g.node('Mul', ['residual', sqrtWeight]);

  const [patternFlat] = g.node('MatMul', [normS, projectionPattern]);
  const [pattern] = g.node('Reshape', [patternFlat, shapeN23]);
  const [fOverD] = g.node('Mul', [invDepthS, focal]);
  const [rowScale] = g.node('Mul', [fOverD, sqrtWeight]);
  const [rowScale3] = g.node('Reshape', [rowScale, shapeN11]);
  const [jPoint] = g.node('Mul', [pattern, rowScale3]); // sqrt(w) d pixel / d p, [N,2,3]
  const [negSkewFlat] = g.node('MatMul', [rotatedS, negSkew]);
  const [negSkewQ] = g.node('Reshape', [negSkewFlat, shapeN33]);
  const [jRotation] = g.node('MatMul', [jPoint, negSkewQ]);
  // d pixel / d c = (d pixel / d p) R B[v]: multiply the small [2,3] rows by R first, then the bases.
  const [rotation] = g.node('Transpose', [rotationT], 1, { perm: [1, 0] });
  const [jPointR] = g.node('MatMul', [jPoint, rotation]);
  const [jShape] = g.node('MatMul', [jPointR, basisS]);
  const [jacobian3] = g.node('Concat', [jRotation, jPoint, jShape], 1, { axis: 2 });
  g.node('Reshape', [jacobian3, shapeRowsM], ['jacobian']);
  const [rColumn] = g.node('Reshape', [weightedResidual, shapeCol]);
  g.node('Gemm', ['jacobian', 'jacobian'], ['jtj'], { transA: 1 });
  g.node('Gemm', ['jacobian', rColumn], ['jtr'], { transA: 1 });

  g.output('projected', [vCount, 2]);
  g.output('fitted', ['N', 2]);
  g.output('residual', ['N', 2]);
  g.output('jacobian', ['R', M]);
  g.output('jtj', [M, M]);
  g.output('jtr', [M, 1]);
  return g;
}

/** A compiled landmark graph for one model. */
/** The landmark graph's inputs (the graphs derived from it, e.g. first-order.ts's, take the same). */
export function landmarkGraphFeeds(state: PoseAndShape, corr: Correspondences, coefficientCount: number): Record<string, ort.Tensor> {
  const n = corr.unionIndex.length;
  const R = state.rotation;
  return {
    coefficients: new ort.Tensor('float32', Float32Array.from(state.coefficients), [coefficientCount, 1]),
    rotationT: new ort.Tensor('float32', Float32Array.from([R[0], R[3], R[6], R[1], R[4], R[7], R[2], R[5], R[8]]), [3, 3]),
    translation: new ort.Tensor('float32', Float32Array.from(state.translation), [1, 3]),
    focal: new ort.Tensor('float32', Float32Array.of(state.focal), [1]),
    principal: new ort.Tensor('float32', Float32Array.of(state.cx, state.cy), [1, 2]),
    vertexIndex: new ort.Tensor('int64', corr.unionIndex, [n]),
    vertexIndexB: new ort.Tensor('int64', corr.unionIndexB, [n]),
    blend: new ort.Tensor('float32', corr.blend, [n, 1]),
    target: new ort.Tensor('float32', corr.target, [n, 2]),
    sqrtWeight: new ort.Tensor('float32', corr.sqrtWeight, [n, 1]),
  };
}

/**
 * The landmark graph's session, and a second one on the graph pruned to RESIDUAL_OUTPUTS: the same
 * nodes for those outputs (the same bits), without the basis gathers and the J^T W J product that
 * make up most of an evaluation. A Levenberg-Marquardt trial step needs only its cost; the normal
 * equations are wanted only at the states a step starts from (DampedSolver). On the sample photo
 * the fit evaluated the full graph 20 times (7-10 ms each, cold, Liftoff), 8 of them rejected
 * trials and one the converged end.
 */
export class LandmarkSystem {
  private constructor(
    readonly set: LandmarkVertexSet,
    private readonly session: ort.InferenceSession,
    private readonly residualSession: ort.InferenceSession,
    readonly backend: Backend,
  ) {}

  static async create(model: HeadModel, options: { backend?: 'auto' | Backend } = {}): Promise<LandmarkSystem> {
    const set = landmarkVertexSet(model);
    const graph = landmarkGraph(model, set);
    const full = graph.build('landmark_normal_equations');
    const residuals = pruneGraph(graph, RESIDUAL_OUTPUTS).build('landmark_residuals');
    const { session, backend } = await createSession(full, options);
    const residualSession = (await createSession(residuals, { backend })).session;
    return new LandmarkSystem(set, session, residualSession, backend);
  }

  get parameterCount(): number {
    return 6 + this.set.coefficientCount;
  }

  async evaluate(state: PoseAndShape, corr: Correspondences, withJacobian = false): Promise<LandmarkEvaluation> {
    const feeds = landmarkGraphFeeds(state, corr, this.set.coefficientCount);
    const fetches = withJacobian
      ? ['projected', 'fitted', 'residual', 'jtj', 'jtr', 'jacobian']
      : ['projected', 'fitted', 'residual', 'jtj', 'jtr'];
    const out = await this.session.run(feeds, fetches);
    return {
      projected: out.projected.data as Float32Array,
      fitted: out.fitted.data as Float32Array,
      residual: out.residual.data as Float32Array,
      jtj: out.jtj.data as Float32Array,
      jtr: out.jtr.data as Float32Array,
      jacobian: withJacobian ? (out.jacobian.data as Float32Array) : undefined,
    };
  }

  /** The residuals alone (RESIDUAL_OUTPUTS), bit for bit those of evaluate. */
  async residuals(state: PoseAndShape, corr: Correspondences): Promise<LandmarkResiduals> {
    const out = await this.residualSession.run(landmarkGraphFeeds(state, corr, this.set.coefficientCount), RESIDUAL_OUTPUTS);
    return {
      projected: out.projected.data as Float32Array,
      fitted: out.fitted.data as Float32Array,
      residual: out.residual.data as Float32Array,
    };
  }

  async release(): Promise<void> {
    await Promise.all([this.session.release(), this.residualSession.release()]);
  }
}
