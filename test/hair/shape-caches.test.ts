/**
 * What a game making several avatars reuses: the head's one rings per model, and per fitted shape
 * its normals and ears. Cached values must equal a fresh computation, and a shape array refilled
 * in place with another head must not get the old head's values.
 */
import assert from 'node:assert/strict';
import '../../src/node/asset-files.js';
import { loadDefaultHead } from '../../src/pipeline.js';
import { computeVertexNormals, decodeShape, fittedNormals, type HeadModel } from '../../src/modelpack/head-model.js';
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
});
