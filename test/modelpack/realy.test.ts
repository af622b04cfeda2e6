import assert from 'node:assert/strict';
import { PhotoAvatarError } from '../../src/errors.js';
import { readPack, writePack } from '../../src/modelpack/format.js';
import { importRealy } from '../../src/modelpack/importers/realy.js';
import { assertModelsEqual } from './assert-model.js';
import { writeMat } from './mat-writer.js';
import { seededRandom } from './synthetic-model.js';
import { EXPRESSION_TARGET_SCALE } from '../../src/modelpack/importers/pca-expressions.js';

/** A tiny REALY-layout HIFI3D++.mat: a 12 x 12 grid face (cm), bases as rows, 1-based indices. */
function syntheticRealy(options: { compress?: boolean; breakTri?: boolean } = {}) {
  const side = 12, n = side * side, k = 5, e = 3;
  const rand = seededRandom(21);
  const mean: number[] = [];
  for (let j = 0; j < side; j++) for (let i = 0; i < side; i++) mean.push((i - 5.5) * 1.6, (5.5 - j) * 1.8, 4 - 0.05 * ((i - 5.5) ** 2));
  const tri: number[][] = [];
  for (let j = 0; j + 1 < side; j++) for (let i = 0; i + 1 < side; i++) {
    const a = j * side + i + 1;
    tri.push([a, a + side, a + 1], [a + 1, a + side, a + side + 1]);
  }
  // UV per triangle corner: one shared UV per vertex except a seam along column 6.
  const vt: number[][] = [];
  for (let v = 0; v < n; v++) vt.push([(v % side) / (side - 1), 1 - Math.floor(v / side) / (side - 1)]);
  const seamUv = new Map<number, number>();
  const triVt = tri.map((t, index) => t.map((v) => {
    const col = (v - 1) % side;
    if (col === 6 && index % 2 === 0) {
      if (!seamUv.has(v)) { seamUv.set(v, vt.length + 1); vt.push([0.99, vt[v - 1][1]]); }
      return seamUv.get(v)!;
    }
    return v;
  }));
  if (options.breakTri) tri[3][1] = n + 7;
  const basisShape = Array.from({ length: k * 3 * n }, () => rand() - 0.5);
  const basisExp = Array.from({ length: e * 3 * n }, () => (rand() - 0.5) * 0.2);
  // Landmarks: grid vertices roughly where a face's features would be.
  const keypoints = Array.from({ length: 86 }, (_, i) => 1 + ((i * 37) % n));
  const columnMajor = (rows: number[][]) => {
    const out: number[] = [];
    for (let c = 0; c < rows[0].length; c++) for (const row of rows) out.push(row[c]);
    return out;
  };
  // basis_shape is [K, 3n]: column-major means element (m, i) at i * K + m.
  const rowsToColumnMajor = (values: number[], modes: number) => {
    const out = new Array(values.length);
    for (let m = 0; m < modes; m++) for (let i = 0; i < 3 * n; i++) out[i * modes + m] = values[m * 3 * n + i];
    return out;
  };
  const evs = [4, 2.25, 1, 0.25, 0.01];
  const bytes = writeMat([
    { name: 'mu_shape', className: 'double', dims: [1, 3 * n], data: mean },
    { name: 'basis_shape', className: 'single', dims: [k, 3 * n], data: rowsToColumnMajor(basisShape, k) },
    { name: 'EVs', className: 'double', dims: [k, 1], data: evs },
    { name: 'basis_exp', className: 'double', dims: [e, 3 * n], data: rowsToColumnMajor(basisExp, e) },
    { name: 'tri', className: 'int32', dims: [tri.length, 3], data: columnMajor(tri) },
    { name: 'tri_vt', className: 'int32', dims: [tri.length, 3], data: columnMajor(triVt) },
    { name: 'vt_list', className: 'double', dims: [vt.length, 2], data: columnMajor(vt) },
    { name: 'keypoints', className: 'int32', dims: [1, 86], data: keypoints },
    { name: 'mask_face', className: 'uint8', dims: [1, n], data: Array.from({ length: n }, (_, v) => (v % side > 1 ? 1 : 0)) },
  ], { compress: options.compress });
  return { bytes, n, k, e, mean, basisShape, basisExp, keypoints, evs, seams: seamUv.size };
}

describe('modelpack REALY HIFI3D++.mat importer (synthetic layout)', () => {
  it('reads bases stored as rows, 1-based indices, EVs and UV seams', () => {
    for (const compress of [false, true]) {
      const s = syntheticRealy({ compress });
      const model = importRealy(s.bytes);
      assert.equal(model.vertexCount, s.n + s.seams);
      assert.equal(model.identityCount, s.k);
      assert.deepEqual(Array.from(model.identityStd), s.evs.map((x) => Math.fround(Math.sqrt(x))));
      assert.deepEqual(Array.from(model.landmarks68), s.keypoints.slice(0, 68).map((x) => x - 1));
      // PCA expression modes are morph targets at 3 sigma: influence 1 = a 3-sigma expression.
      assert.ok(Array.from(model.expressionStd).every((std) => Math.abs(std - 1 / EXPRESSION_TARGET_SCALE) < 1e-7));
      let worst = 0;
      for (let v = 0; v < model.vertexCount; v++) {
        const src = model.weldGroup[v];
        for (let c = 0; c < 3; c++) {
          worst = Math.max(worst, Math.abs(model.positions[3 * v + c] - s.mean[3 * src + c] * 0.01));
          for (let m = 0; m < s.k; m++) worst = Math.max(worst, Math.abs(model.identityBasis[m * model.vertexCount * 3 + 3 * v + c] - s.basisShape[m * 3 * s.n + 3 * src + c] * 0.01));
          for (let m = 0; m < s.e; m++) worst = Math.max(worst, Math.abs(model.expressionBasis[m * model.vertexCount * 3 + 3 * v + c] - s.basisExp[m * 3 * s.n + 3 * src + c] * 0.01 * EXPRESSION_TARGET_SCALE));
        }
      }
      console.log(`    REALY synthetic (compressed=${compress}): ${model.vertexCount} vertices (${s.seams} seam copies), worst value error ${worst.toExponential(1)}`);
      assert.ok(worst < 1e-8);
      assertModelsEqual(readPack(writePack(model)), model);
    }
  });

  it('rejects an out-of-range triangle index with the variable named', () => {
    assert.throws(() => importRealy(syntheticRealy({ breakTri: true }).bytes),
      (e: unknown) => e instanceof PhotoAvatarError && /variable "tri" entry \(4, 2\) is 151/.test(e.message));
  });
});
