/**
 * What a game making several avatars reuses: the head's one rings per model, and per fitted shape
 * its normals and ears. Cached values must equal a fresh computation, and a shape array refilled
 * in place with another head must not get the old head's values. Also the shortcuts that must give
 * the plain computation's values bit for bit: the vertex grid's pruned search, and the morph
 * targets' normals computed within each target's footprint.
 */
import assert from 'node:assert/strict';
import '../../src/node/asset-files.js';
import { loadDefaultHead } from '../../src/pipeline.js';
import { computeVertexNormals, decodeExpressionOn, decodeShape, expressionNormalFootprints, fittedNormals, vertexNormalsWithin, type HeadModel } from '../../src/modelpack/head-model.js';
import { VertexGrid } from '../../src/modelpack/makehuman-head/nearest.js';
import { headTopology, vertexNeighbours } from '../../src/modelpack/mesh-utils.js';
import { earVertices } from '../../src/hair/ears.js';
import { depthInClosing, depthsInClosings } from '../../src/image/chamfer-distance.js';

/** A fitted-looking head: the first identity modes at `scale` standard deviations, alternating in sign. */
function shapeOf(model: HeadModel, scale: number): Float32Array {
  const identity = new Float32Array(model.identityBasis.length / (3 * model.vertexCount));
  for (let k = 0; k < Math.min(10, identity.length); k++) identity[k] = (k % 2 ? -scale : scale) * model.identityStd[k];
  return decodeShape(model, identity, null);
}

const count = (flags: Uint8Array) => flags.reduce((sum, flag) => sum + flag, 0);

describe('per-model and per-shape caches (warm avatars)', function () {
  this.timeout(60_000);
  let model: HeadModel;
  before(async () => { model = await loadDefaultHead(); });

  it('builds the head\'s one rings once per model, equal to vertexNeighbours on its (welded) triangles', () => {
    for (const welded of [false, true]) {
      const topology = headTopology(model, welded);
      assert.equal(headTopology(model, welded), topology);
      const indices = welded ? Uint32Array.from(model.indices, (v) => model.weldGroup[v]) : model.indices;
      assert.deepEqual(topology.indices, indices);
      const fresh = vertexNeighbours(model.vertexCount, indices);
      assert.deepEqual(topology.offsets, fresh.offsets);
      assert.deepEqual(topology.neighbours, fresh.neighbours);
    }
    // The default head has UV seams: welding moves some corners to their representative.
    assert.ok(headTopology(model, true).indices.some((v, i) => v !== model.indices[i]));
  });

  it('reuses a shape\'s normals and ears while its values stay, and recomputes them when the array is refilled', () => {
    const shape = shapeOf(model, 1.5);
    const normals = fittedNormals(model, shape), ears = earVertices(model, shape);
    assert.deepEqual(normals, computeVertexNormals(shape, model.indices, model.weldGroup));
    assert.equal(fittedNormals(model, shape), normals);
    assert.equal(earVertices(model, shape), ears);
    const earCount = count(ears);
    assert.ok(earCount > 100, `${earCount} ear vertices`);
    console.log(`      ${earCount} ear vertices on the +1.5 SD head`);
    // Another head in the same array: the cache sees the new values.
    shape.set(shapeOf(model, -1.5));
    const refilled = earVertices(model, shape);
    assert.notEqual(refilled, ears);
    assert.deepEqual(refilled, earVertices(model, shape.slice()));
    assert.deepEqual(fittedNormals(model, shape), computeVertexNormals(shape, model.indices, model.weldGroup));
    assert.notDeepEqual(fittedNormals(model, shape), normals);
  });

  it('closes a mask at several radii from one distance transform, as depthInClosing does at each', () => {
    // Two bars with a 3-pixel gap between them: a closing of radius 3 bridges it, one of 1 does not.
    const width = 40, height = 20, mask = new Uint8Array(width * height);
    for (let y = 8; y < 12; y++) for (let x = 2; x < 38; x++) if (x < 18 || x > 20) mask[y * width + x] = 1;
    const radii = [1, 3];
    const depths = depthsInClosings(mask, width, height, radii);
    radii.forEach((radius, k) => assert.deepEqual(depths[k], depthInClosing(mask, width, height, radius)));
    const gap = 10 * width + 19;
    assert.ok(depths[0][gap] <= 0, `radius 1 leaves the gap open (${depths[0][gap]})`);
    assert.ok(depths[1][gap] > 0, `radius 3 bridges it (${depths[1][gap]})`);
  });

  it('finds the nearest vertex that a scan of every cell within the rings finds (ties to the lower index)', () => {
    const shape = shapeOf(model, 1), normals = fittedNormals(model, shape);
    const cell = 0.01, include = (v: number) => model.weldGroup[v] === v;
    const grid = new VertexGrid(shape, cell, include);
    const cellOf = (x: number) => Math.floor(x / cell);
    /** The plain search: every included vertex whose cell lies within `rings` cells of the query's. */
    const scan = (x: number, y: number, z: number, rings: number) => {
      let best = -1, bestD = Infinity;
      for (let v = 0; v < model.vertexCount; v++) {
        if (!include(v)) continue;
        const reach = Math.max(Math.abs(cellOf(shape[3 * v]) - cellOf(x)), Math.abs(cellOf(shape[3 * v + 1]) - cellOf(y)), Math.abs(cellOf(shape[3 * v + 2]) - cellOf(z)));
        if (reach > rings) continue;
        const d = (shape[3 * v] - x) ** 2 + (shape[3 * v + 1] - y) ** 2 + (shape[3 * v + 2] - z) ** 2;
        if (d < bestD || (d === bestD && v < best)) { bestD = d; best = v; }
      }
      return best;
    };
    // Points off the skin along its normals (where hair lies), some on vertices (ties between seam copies' representatives), some far out.
    let found = 0, none = 0;
    for (let q = 0; q < 1500; q++) {
      const v = (q * 7919) % model.vertexCount, lift = [0, 0.002, 0.015, 0.04, 0.12][q % 5], rings = [1, 2, 3, 8][q % 4];
      const x = shape[3 * v] + lift * normals[3 * v], y = shape[3 * v + 1] + lift * normals[3 * v + 1], z = shape[3 * v + 2] + lift * normals[3 * v + 2];
      const nearest = grid.nearest(x, y, z, undefined, rings);
      assert.equal(nearest, scan(x, y, z, rings), `query ${q}`);
      if (nearest < 0) none++; else found++;
    }
    assert.ok(found > 1000 && none > 20, `${found} found, ${none} beyond the rings`);
  });

  it('computes each morph target\'s normals within its footprint, equal to computeVertexNormals on the displaced head', () => {
    const shape = shapeOf(model, 1), n3 = 3 * model.vertexCount;
    const neutral = computeVertexNormals(shape, model.indices, model.weldGroup);
    const footprints = expressionNormalFootprints(model);
    assert.equal(footprints.length, model.expressionNames.length);
    const target = new Float32Array(n3), within = new Float32Array(n3);
    let share = 0;
    footprints.forEach((footprint, k) => {
      for (let i = 0; i < n3; i++) target[i] = shape[i] + model.expressionBasis[k * n3 + i];
      const full = computeVertexNormals(target, model.indices, model.weldGroup);
      within.set(neutral);
      vertexNormalsWithin(target, model, footprint, within);
      const inFootprint = new Uint8Array(model.vertexCount);
      for (const v of footprint.vertices) inFootprint[v] = 1;
      for (let v = 0; v < model.vertexCount; v++) {
        for (let a = 0; a < 3; a++) {
          // Inside: the same bits; outside: the displaced head's normal is the undisplaced one.
          assert.ok(Object.is(inFootprint[v] ? within[3 * v + a] : neutral[3 * v + a], full[3 * v + a]), `${model.expressionNames[k]} vertex ${v}`);
        }
      }
      share += footprint.vertices.length / model.vertexCount / footprints.length;
    });
    assert.ok(share < 0.5, `the footprints hold ${(100 * share).toFixed(1)} % of the vertices on average`);
    console.log(`      footprints: ${(100 * share).toFixed(1)} % of the vertices on average over ${footprints.length} targets`);
  });

  it('decodes the expressed shape from the neutral one with the same bits as decodeShape from the coefficients', () => {
    const identity = new Float32Array(model.identityBasis.length / (3 * model.vertexCount));
    for (let k = 0; k < Math.min(20, identity.length); k++) identity[k] = (k % 3 - 1) * 0.7 * model.identityStd[k];
    const expression = new Float32Array(model.expressionNames.length);
    for (let k = 0; k < expression.length; k += 3) expression[k] = 0.1 + (k % 7) / 10;
    const neutral = decodeShape(model, identity, null);
    const direct = decodeShape(model, identity, expression), fromNeutral = decodeExpressionOn(model, neutral, expression);
    let moved = 0;
    for (let i = 0; i < direct.length; i++) {
      assert.ok(Object.is(direct[i], fromNeutral[i]), `component ${i}: ${direct[i]} vs ${fromNeutral[i]}`);
      if (direct[i] !== neutral[i]) moved++;
    }
    // The expression does move the head: the comparison is not of two neutral shapes.
    assert.ok(moved > direct.length / 10, `${moved} components moved`);
  });
});
