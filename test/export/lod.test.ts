/**
 * Levels of detail of the model's own meshes (lod.ts modelLevels): simplified once per model on its
 * rest shape and shared by every avatar, and as close to a fitted head as levels simplified on that
 * head itself.
 */
import assert from 'node:assert/strict';
import { lodSimplifierReady, modelLevels, simplifiedLevels } from '../../src/export/lod.js';
import { decodeShape, type HeadModel } from '../../src/modelpack/head-model.js';
import { modelWithGivenShape } from '../../src/modelpack/given-shape.js';
import { closestOnTriangle } from '../../src/modelpack/mesh-utils.js';
import { defaultHeadOrSkip } from './synthetic-avatar.js';

const RATIOS = [0.5, 0.25];

/** Squared distance from p to triangle abc. */
function pointTriangleDistance2(p: Float32Array, a: Float32Array, b: Float32Array, c: Float32Array): number {
  const w = closestOnTriangle(p, a, b, c);
  let sum = 0;
  for (let k = 0; k < 3; k++) sum += (p[k] - (w[0] * a[k] + w[1] * b[k] + w[2] * c[k])) ** 2;
  return sum;
}

/** Mean distance (metres) from every `step`-th vertex the full mesh uses to the level's surface, both on `positions`. */
function meanDistanceToLevel(positions: Float32Array, full: Uint32Array, level: Uint32Array, step: number): number {
  const used = [...new Set(full)];
  const at = (v: number) => positions.subarray(3 * v, 3 * v + 3);
  let sum = 0, count = 0;
  for (let i = 0; i < used.length; i += step) {
    const p = at(used[i]);
    let best = Infinity;
    for (let t = 0; t < level.length && best > 0; t += 3) best = Math.min(best, pointTriangleDistance2(p, at(level[t]), at(level[t + 1]), at(level[t + 2])));
    sum += Math.sqrt(best);
    count++;
  }
  return sum / count;
}

describe('export/lod: the model\'s levels of detail', function () {
  this.timeout(120_000);
  let model: HeadModel;
  before(async function () {
    model = await defaultHeadOrSkip(this);
    await lodSimplifierReady;
  });

  it('simplifies the head and its parts once per model, whatever the shape asked with', function () {
    const shaped = decodeShape(model, Float32Array.from({ length: model.identityCount }, (_, k) => (k < 4 ? 2 * model.identityStd[k] : 0)), null);
    const first = modelLevels(model, model.indices, model.positions, RATIOS);
    assert.equal(modelLevels(model, model.indices, shaped, RATIOS), first, 'the same arrays for another shape');
    assert.notEqual(modelLevels(model, model.indices, shaped, [0.5]), first, 'other ratios are simplified again');
    for (const part of model.parts) assert.deepEqual(modelLevels(model, part.indices, part.positions.map((v) => v + 0.01), RATIOS), simplifiedLevels(part.indices, part.positions, RATIOS), part.name);
    // Triangles that are not the model's (an avatar's hair) are simplified on the positions given.
    const copy = model.indices.slice();
    assert.deepEqual(modelLevels(model, copy, shaped, RATIOS), simplifiedLevels(copy, shaped, RATIOS));
    // A model with a given shape shares the pack's triangles but has its own rest shape: its levels
    // are its own, and the pack's come back after it (the output never depends on what came before).
    const given = modelWithGivenShape(model, shaped);
    assert.deepEqual(modelLevels(given, given.indices, shaped, RATIOS), simplifiedLevels(model.indices, given.positions, RATIOS));
    assert.deepEqual(modelLevels(model, model.indices, shaped, RATIOS), simplifiedLevels(model.indices, model.positions, RATIOS));
  });

  it('lies as close to a fitted head as levels simplified on that head', function () {
    // A head 2 standard deviations along the first four identity modes, as far as fits usually go.
    const shaped = decodeShape(model, Float32Array.from({ length: model.identityCount }, (_, k) => (k < 4 ? 2 * model.identityStd[k] * (k % 2 ? -1 : 1) : 0)), null);
    const rest = modelLevels(model, model.indices, shaped, RATIOS);
    const own = simplifiedLevels(model.indices, shaped, RATIOS);
    RATIOS.forEach((ratio, l) => {
      const fromRest = meanDistanceToLevel(shaped, model.indices, rest[l], 40);
      const fromOwn = meanDistanceToLevel(shaped, model.indices, own[l], 40);
      console.log(`    ${ratio * 100} %: mean distance of the shaped head's vertices to the level ${(fromRest * 1e3).toFixed(3)} mm (simplified on the shaped head: ${(fromOwn * 1e3).toFixed(3)} mm)`);
      assert.ok(fromRest < 1.25 * fromOwn + 2e-5, `${fromRest} against ${fromOwn}`);
      assert.ok(fromRest < 0.5e-3, `${fromRest} m`);
    });
  });
});
