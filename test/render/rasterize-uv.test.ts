/**
 * The UV rasterizer (rasterizeUvTriangles, with triangleSetup and edgeWeight for the barycentrics)
 * covers, chooses and weighs every pixel as rasterizeTriangles does at depth 0, bit for bit: the
 * albedo's UV raster and everything built on it depend on that.
 */
import assert from 'node:assert/strict';
import { createRasterTarget, edgeWeight, rasterizeTriangles, rasterizeUvTriangles, TRIANGLE_SETUP, triangleSetup } from '../../src/render/rasterize.js';
import { seededRandom } from '../helpers/random.js';

describe('rasterizer: UV layouts without a depth plane', () => {
  it('covers, chooses (the first triangle where several overlap) and weighs as rasterizeTriangles at depth 0', () => {
    const random = seededRandom(7), width = 97, height = 83, vertexCount = 400, triangleCount = 300;
    // Depth 0 everywhere, as uvScreenPositions leaves it; some corners outside the target.
    const screen = new Float32Array(3 * vertexCount);
    for (let v = 0; v < vertexCount; v++) {
      screen[3 * v] = random() * (width + 20) - 10;
      screen[3 * v + 1] = random() * (height + 20) - 10;
    }
    // Overlapping triangles of both windings, and a degenerate one.
    const indices = new Uint32Array(3 * triangleCount);
    for (let k = 0; k < indices.length; k += 3) {
      const a = Math.floor(random() * vertexCount);
      indices[k] = a; indices[k + 1] = (a + 1 + Math.floor(random() * 3)) % vertexCount; indices[k + 2] = (a + 5) % vertexCount;
    }
    indices[5] = indices[4];
    const reference = createRasterTarget(width, height);
    rasterizeTriangles(reference, screen, indices, { cull: 'none' });
    const triangle = new Int32Array(width * height);
    const covered = rasterizeUvTriangles(width, height, screen, indices, triangle);
    const setup = new Float64Array(TRIANGLE_SETUP), weights = new Float32Array(2);
    let differing = 0, count = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const p = y * width + x, t = triangle[p];
        if (t !== reference.triangle[p]) differing++;
        if (t < 0) continue;
        count++;
        triangleSetup(screen, indices, t, setup);
        weights[0] = edgeWeight(x - setup[0], y - setup[1], setup[4], setup[5], setup[6]);
        weights[1] = edgeWeight(x - setup[0], y - setup[1], setup[2], setup[3], -setup[6]);
        if (!Object.is(weights[0], reference.bary[2 * p]) || !Object.is(weights[1], reference.bary[2 * p + 1])) differing++;
      }
    }
    assert.equal(differing, 0);
    assert.equal(covered, count);
    assert.ok(count > width * height / 2, `${count} pixels covered`);
  });
});
