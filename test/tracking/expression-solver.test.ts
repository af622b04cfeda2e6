import assert from 'node:assert/strict';
import { LandmarkSystem } from '../../src/fitting/landmark-graph.js';
import { loadDefaultHead } from '../../src/pipeline.js';
import type { AvatarData } from '../../src/types.js';
import { fixedIdentityModel } from '../../src/tracking/expression-solver.js';
import { SparseLandmarkSystem } from '../../src/tracking/sparse-landmarks.js';
import { seededRandom } from '../helpers/random.js';

/** The default head with its mean identity as an avatar (no photo needed for the solver). */
export async function meanFaceAvatar(): Promise<AvatarData> {
  const model = await loadDefaultHead();
  return { model, neutralVertices: model.positions, identity: new Float32Array(model.identityCount), expression: new Float32Array(model.expressionNames.length) } as AvatarData;
}

describe('tracking: sparse landmark normal equations', () => {
  it('match the landmark graph (residuals, JᵀWJ, JᵀWr) at a random pose and expression', async () => {
    const model = fixedIdentityModel(await meanFaceAvatar());
    const graph = await LandmarkSystem.create(model, { backend: 'wasm' });
    const random = seededRandom(3);
    const rows = model.landmarks468!.length;
    const sparse = new SparseLandmarkSystem(model, model.landmarks468!);
    const coefficients = Float64Array.from({ length: model.expressionNames.length }, () => (random() < 0.2 ? random() : 0));
    const state = { rotation: [0.98, -0.05, 0.19, 0.07, 0.99, -0.1, -0.18, 0.11, 0.97], translation: [0.01, -0.02, -0.6], focal: 800, cx: 320, cy: 240, coefficients };
    const target = Float32Array.from({ length: 2 * rows }, () => 200 + 200 * random());
    const sqrtWeight = Float32Array.from({ length: rows }, () => 0.1 + random());
    const graphRows = BigInt64Array.from(model.landmarks468!, (v) => BigInt(graph.set.lookup.get(v)!));
    const sparseRows = BigInt64Array.from({ length: rows }, (_, i) => BigInt(i));
    const common = { blend: new Float32Array(rows), target, sqrtWeight };
    const expected = await graph.evaluate(state, { unionIndex: graphRows, unionIndexB: graphRows, ...common });
    const actual = await sparse.evaluate(state, { unionIndex: sparseRows, unionIndexB: sparseRows, ...common });
    const maxRelative = (a: Float32Array, b: Float32Array) => {
      let scale = 0, diff = 0;
      for (let i = 0; i < a.length; i++) { scale = Math.max(scale, Math.abs(b[i])); diff = Math.max(diff, Math.abs(a[i] - b[i])); }
      return diff / scale;
    };
    assert.ok(maxRelative(actual.residual, expected.residual) < 1e-4, `residual ${maxRelative(actual.residual, expected.residual)}`);
    assert.ok(maxRelative(actual.jtr, expected.jtr) < 1e-3, `jtr ${maxRelative(actual.jtr, expected.jtr)}`);
    assert.ok(maxRelative(actual.jtj, expected.jtj) < 1e-3, `jtj ${maxRelative(actual.jtj, expected.jtj)}`);
    await graph.release();
  });
});
