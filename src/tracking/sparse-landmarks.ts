/**
 * The landmark normal equations of ../fitting/landmark-graph.ts for the tracker's small problem, in
 * plain typed-array code: the 468 mesh points of a fixed-identity model, pose + expression weights.
 *
 * Same residuals, Jacobian and parameter order as the ONNX graph (rotation increment, translation,
 * coefficients; see that file for the derivation), but exploiting what the graph cannot: each
 * mesh point is moved by only ~17 of the 52 ARKit targets, so each residual row has ~23 non-zero
 * columns and JᵀWJ costs a fraction of the dense product. That, and no session call per
 * evaluation, is what brings a warm-started frame under a few milliseconds on WASM-class CPUs
 * (onnxruntime's call overhead alone was several ms per evaluation on the 2-core machine).
 * Evaluations write into two alternating buffer sets: an evaluation stays valid until the one
 * after next (the damped solver only reads the current and the trial one).
 */
import type { LandmarkEvaluator } from '../fitting/fit-face.js';
import type { Correspondences, LandmarkEvaluation, PoseAndShape } from '../fitting/landmark-graph.js';
import type { HeadModel } from '../modelpack/head-model.js';

/**
 * Basis entries at most this large (metres per unit weight, |x| + |y| + |z|) are treated as zero by
 * default. At 0.05 mm a target moves its point by less than a tenth of a pixel for a face at arm's length,
 * far below the landmarks' noise, and on the default head dropping such entries takes a point's
 * row from 25 to 18 columns on average: the normal equations' work falls by almost half.
 */
const NEGLIGIBLE_BASIS = 5e-5;

export class SparseLandmarkSystem implements LandmarkEvaluator {
  readonly parameterCount: number;
  /** Mean (neutral) position of each point, plus the point offsets when set. */
  private readonly neutral: Float64Array;
  private readonly base: Float64Array;
  /** CSR over points: targets moving point i are targets[offsets[i] .. offsets[i + 1]). */
  private readonly offsets: Int32Array;
  private readonly targets: Int32Array;
  /** xyz basis displacement per (point, target) entry. */
  private readonly displacement: Float64Array;
  private readonly buffers: LandmarkEvaluation[];
  private readonly jtj: Float64Array;
  private readonly jtr: Float64Array;
  /** Scratch: the current row's Jacobian over its sparse columns, two rows. */
  private readonly rowColumns: Int32Array;
  private readonly rowX: Float64Array;
  private readonly rowY: Float64Array;
  private flip = 0;

  /** `points`: the model vertex of each residual row (e.g. model.landmarks468). */
  constructor(model: HeadModel, readonly points: ArrayLike<number>, negligibleBasis = NEGLIGIBLE_BASIS) {
    const E = model.expressionNames.length;
    const n = points.length;
    const n3 = model.vertexCount * 3;
    this.parameterCount = 6 + Math.max(1, E);
    const M = this.parameterCount;
    this.neutral = new Float64Array(n * 3);
    const offsets = new Int32Array(n + 1);
    const targets: number[] = [];
    const displacement: number[] = [];
    let widest = 0;
    for (let i = 0; i < n; i++) {
      const v = points[i];
      for (let c = 0; c < 3; c++) this.neutral[3 * i + c] = model.positions[3 * v + c];
      for (let k = 0; k < E; k++) {
        const o = k * n3 + 3 * v;
        const dx = model.expressionBasis[o], dy = model.expressionBasis[o + 1], dz = model.expressionBasis[o + 2];
        if (Math.abs(dx) + Math.abs(dy) + Math.abs(dz) <= negligibleBasis) continue;
        targets.push(k);
        displacement.push(dx, dy, dz);
      }
      offsets[i + 1] = targets.length;
      widest = Math.max(widest, offsets[i + 1] - offsets[i]);
    }
    this.base = this.neutral.slice();
    this.offsets = offsets;
    this.targets = Int32Array.from(targets);
    this.displacement = Float64Array.from(displacement);
    this.buffers = [0, 1].map(() => {
      const fitted = new Float32Array(2 * n);
      return { projected: fitted, fitted, residual: new Float32Array(2 * n), jtj: new Float32Array(M * M), jtr: new Float32Array(M) };
    });
    this.jtj = new Float64Array(M * M);
    this.jtr = new Float64Array(M);
    this.rowColumns = new Int32Array(6 + widest);
    this.rowX = new Float64Array(6 + widest);
    this.rowY = new Float64Array(6 + widest);
  }

  /** Moves each point by a fixed model-space offset (xyz per point; null: none), e.g. a landmark calibration. */
  setPointOffsets(offsets: Float64Array | null): void {
    for (let i = 0; i < this.base.length; i++) this.neutral[i] = this.base[i] + (offsets ? offsets[i] : 0);
  }

  /** Model-space position of each point (xyz interleaved) at expression `coefficients`, into `out`. */
  pointsAt(coefficients: ArrayLike<number>, out: Float64Array): Float64Array {
    const { neutral, offsets, targets, displacement } = this;
    out.set(neutral);
    for (let i = 0; i < this.points.length; i++) {
      for (let e = offsets[i]; e < offsets[i + 1]; e++) {
        const c = coefficients[targets[e]];
        if (c === 0) continue;
        for (let k = 0; k < 3; k++) out[3 * i + k] += c * displacement[3 * e + k];
      }
    }
    return out;
  }

  /**
   * Residuals and normal equations at `state`. Row i is points[i] (corr.unionIndex is not read, and
   * blends are not supported: the tracker's rows are its plain mesh points, in order).
   */
  async evaluate(state: PoseAndShape, corr: Correspondences): Promise<LandmarkEvaluation> {
    const out = this.buffers[this.flip];
    this.flip ^= 1;
    const M = this.parameterCount;
    const { neutral, offsets, targets, displacement, jtj, jtr, rowColumns, rowX, rowY } = this;
    const R = state.rotation, t = state.translation, w = state.coefficients;
    const f = state.focal;
    jtj.fill(0);
    jtr.fill(0);
    const rows = this.points.length;
    for (let row = 0; row < rows; row++) {
      const i = row;
      let vx = neutral[3 * i], vy = neutral[3 * i + 1], vz = neutral[3 * i + 2];
      const from = offsets[i], to = offsets[i + 1];
      for (let e = from; e < to; e++) {
        const c = w[targets[e]];
        if (c === 0) continue;
        vx += c * displacement[3 * e]; vy += c * displacement[3 * e + 1]; vz += c * displacement[3 * e + 2];
      }
      const qx = R[0] * vx + R[1] * vy + R[2] * vz;
      const qy = R[3] * vx + R[4] * vy + R[5] * vz;
      const qz = R[6] * vx + R[7] * vy + R[8] * vz;
      const px = qx + t[0], py = qy + t[1], pz = qz + t[2];
      const invDepth = -1 / pz;
      const X = px * invDepth, Y = py * invDepth;
      const fx = state.cx + f * X, fy = state.cy - f * Y;
      out.fitted[2 * row] = fx;
      out.fitted[2 * row + 1] = fy;
      const rx = fx - corr.target[2 * row], ry = fy - corr.target[2 * row + 1];
      out.residual[2 * row] = rx;
      out.residual[2 * row + 1] = ry;
      const s = corr.sqrtWeight[row];
      const a = f * invDepth * s;
      // sqrt(w) d pixel / d p = a [[1, 0, X], [0, -1, -Y]].
      const jx0 = a, jx2 = a * X, jy1 = -a, jy2 = -a * Y;
      // Rotation increment: d p / d w = -[q]x, whose columns are (0, -qz, qy), (qz, 0, -qx), (-qy, qx, 0).
      rowX[0] = jx2 * qy; rowX[1] = jx0 * qz - jx2 * qx; rowX[2] = -jx0 * qy;
      rowY[0] = -jy1 * qz + jy2 * qy; rowY[1] = -jy2 * qx; rowY[2] = jy1 * qx;
      rowX[3] = jx0; rowX[4] = 0; rowX[5] = jx2;
      rowY[3] = 0; rowY[4] = jy1; rowY[5] = jy2;
      for (let c = 0; c < 6; c++) rowColumns[c] = c;
      // Coefficients: (d pixel / d p) R b.
      const ax = jx0 * R[0] + jx2 * R[6], ay = jx0 * R[1] + jx2 * R[7], az = jx0 * R[2] + jx2 * R[8];
      const bx = jy1 * R[3] + jy2 * R[6], by = jy1 * R[4] + jy2 * R[7], bz = jy1 * R[5] + jy2 * R[8];
      let width = 6;
      for (let e = from; e < to; e++) {
        const dx = displacement[3 * e], dy = displacement[3 * e + 1], dz = displacement[3 * e + 2];
        rowColumns[width] = 6 + targets[e];
        rowX[width] = ax * dx + ay * dy + az * dz;
        rowY[width] = bx * dx + by * dy + bz * dz;
        width++;
      }
      const srx = s * rx, sry = s * ry;
      for (let p = 0; p < width; p++) {
        const cp = rowColumns[p], xp = rowX[p], yp = rowY[p];
        jtr[cp] += xp * srx + yp * sry;
        const base = cp * M;
        for (let q = p; q < width; q++) jtj[base + rowColumns[q]] += xp * rowX[q] + yp * rowY[q];
      }
    }
    // Columns were visited in increasing order within a row, so only the upper triangle is filled.
    for (let r = 0; r < M; r++) {
      out.jtr[r] = jtr[r];
      for (let c = r; c < M; c++) {
        const value = jtj[r * M + c];
        out.jtj[r * M + c] = value;
        out.jtj[c * M + r] = value;
      }
    }
    return out;
  }
}
