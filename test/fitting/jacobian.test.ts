/**
 * The landmark graph's analytic Jacobian against central finite differences of a float64 TS
 * forward model, per parameter block; and its normal equations against J^T J computed here.
 */
import assert from 'node:assert/strict';
import { LandmarkSystem, type Correspondences } from '../../src/fitting/landmark-graph.js';
import { axisAngleToMatrix, eulerDegreesToRotation, multiply3x3, projectPoints } from '../../src/fitting/camera-math.js';
import { decodeShape } from '../../src/modelpack/head-model.js';
import { makeSyntheticHead, rng, gaussian } from './synthetic-head.js';

describe('fitting: landmark graph Jacobian', () => {
  const model = makeSyntheticHead({ identityCount: 12, expressionCount: 8 });
  const K = model.identityCount, E = model.expressionNames.length;
  const camera = { focal: 768, cx: 319.5, cy: 239.5 };
  const random = rng(3);
  const coefficients = Float64Array.from({ length: K + E }, (_, k) => (k < K ? gaussian(random) : 0.6 * random()));
  const rotation = eulerDegreesToRotation(20, -8, 6);
  const translation = Float64Array.of(0.02, -0.01, -0.6);
  let system: LandmarkSystem;
  let corr: Correspondences;
  let vertexOfRow: number[];

  before(async () => {
    system = await LandmarkSystem.create(model, { backend: 'wasm' });
    vertexOfRow = [...model.landmarks68, ...model.landmarks468!.slice(0, 100)];
    const n = vertexOfRow.length;
    // Rows blend towards a second vertex (as sliding jaw rows do) with blend 0 except every third row.
    const unionIndex = BigInt64Array.from(vertexOfRow, (v) => BigInt(system.set.lookup.get(v)!));
    const unionIndexB = BigInt64Array.from(unionIndex, (u, i) => (i % 3 === 0 ? unionIndex[(i + 1) % n] : u));
    corr = {
      unionIndex,
      unionIndexB,
      blend: Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? random() : 0)),
      target: Float32Array.from({ length: n * 2 }, () => 300 * random()),
      sqrtWeight: Float32Array.from({ length: n }, () => 0.5 + random()),
    };
  });

  /** Weighted projected rows in float64 for a perturbed state. */
  function forward(R: ArrayLike<number>, t: ArrayLike<number>, c: Float64Array): Float64Array {
    const shape = decodeShape(model, c.subarray(0, K), c.subarray(K));
    const pts = new Float64Array(vertexOfRow.length * 3);
    vertexOfRow.forEach((v, i) => {
      const w = vertexOfRow[(i + 1) % vertexOfRow.length], s = corr.blend[i];
      for (let a = 0; a < 3; a++) pts[i * 3 + a] = (1 - s) * shape[v * 3 + a] + s * shape[w * 3 + a];
    });
    const proj = projectPoints(pts, R, t, camera);
    for (let i = 0; i < vertexOfRow.length; i++) { proj[i * 2] *= corr.sqrtWeight[i]; proj[i * 2 + 1] *= corr.sqrtWeight[i]; }
    return proj;
  }

  it('matches central finite differences for rotation, translation, identity and expression (rel. error < 1e-3)', async () => {
    const state = { rotation, translation, coefficients, ...camera };
    const ev = await system.evaluate(state, corr, true);
    const J = ev.jacobian!;
    const M = system.parameterCount, rows = vertexOfRow.length * 2;
    // decodeShape works in float32: steps large enough that its rounding stays far below 1e-3.
    const blocks = [
      { name: 'rotation', cols: [0, 1, 2], h: 1e-4 },
      { name: 'translation', cols: [3, 4, 5], h: 1e-4 },
      { name: 'identity', cols: Array.from({ length: K }, (_, k) => 6 + k), h: 1e-2 },
      { name: 'expression', cols: Array.from({ length: E }, (_, j) => 6 + K + j), h: 1e-2 },
    ];
    const report: string[] = [];
    for (const block of blocks) {
      let diff = 0, norm = 0;
      for (const col of block.cols) {
        const plus = perturbed(col, block.h), minus = perturbed(col, -block.h);
        const fp = forward(plus.R, plus.t, plus.c), fm = forward(minus.R, minus.t, minus.c);
        for (let r = 0; r < rows; r++) {
          const fd = (fp[r] - fm[r]) / (2 * block.h);
          diff += (J[r * M + col] - fd) ** 2;
          norm += fd * fd;
        }
      }
      const rel = Math.sqrt(diff / norm);
      report.push(`${block.name} ${rel.toExponential(2)}`);
      assert.ok(rel < 1e-3, `${block.name} Jacobian relative error ${rel}`);
    }
    console.log(`      Jacobian vs central differences (relative Frobenius error): ${report.join(', ')}`);

    function perturbed(col: number, h: number) {
      let R: ArrayLike<number> = rotation;
      const t = Float64Array.from(translation), c = Float64Array.from(coefficients);
      if (col < 3) R = multiply3x3(axisAngleToMatrix(col === 0 ? h : 0, col === 1 ? h : 0, col === 2 ? h : 0), rotation);
      else if (col < 6) t[col - 3] += h;
      else c[col - 6] += h;
      return { R, t, c };
    }
  });

  it('returns J^T W J and J^T W r consistent with its Jacobian and residuals', async () => {
    const ev = await system.evaluate({ rotation, translation, coefficients, ...camera }, corr, true);
    const J = ev.jacobian!;
    const M = system.parameterCount, rows = vertexOfRow.length * 2;
    let maxJtJ = 0, errJtJ = 0, maxJtr = 0, errJtr = 0;
    for (let a = 0; a < M; a++) {
      let jtr = 0;
      for (let r = 0; r < rows; r++) jtr += J[r * M + a] * ev.residual[r] * corr.sqrtWeight[r >> 1];
      maxJtr = Math.max(maxJtr, Math.abs(jtr));
      errJtr = Math.max(errJtr, Math.abs(jtr - ev.jtr[a]));
      for (let b = 0; b < M; b++) {
        let s = 0;
        for (let r = 0; r < rows; r++) s += J[r * M + a] * J[r * M + b];
        maxJtJ = Math.max(maxJtJ, Math.abs(s));
        errJtJ = Math.max(errJtJ, Math.abs(s - ev.jtj[a * M + b]));
      }
    }
    console.log(`      JtJ max rel. error ${(errJtJ / maxJtJ).toExponential(2)}, Jtr ${(errJtr / maxJtr).toExponential(2)}`);
    assert.ok(errJtJ / maxJtJ < 1e-5);
    assert.ok(errJtr / maxJtr < 1e-5);
  });
});
