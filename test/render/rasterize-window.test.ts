/**
 * A raster target that covers a window of the image (RasterTarget.left/top, what the report's
 * re-render uses for the avatar's bounding box) holds, bit for bit, that window of a whole-image
 * target, and nothing drawn outside it reaches it.
 */
import assert from 'node:assert/strict';
import { createRasterTarget, rasterizeTriangles } from '../../src/render/rasterize.js';
import { seededRandom } from '../helpers/random.js';

describe('rasterizer: a target covering a window of the image', () => {
  it('equals the same window of a whole-image target, depth, triangle and barycentrics', () => {
    const random = seededRandom(3), width = 160, height = 120, vertexCount = 300, triangleCount = 200;
    // Triangles anywhere in and around the image, some partly outside it.
    const screen = new Float32Array(3 * vertexCount);
    for (let v = 0; v < vertexCount; v++) {
      screen[3 * v] = random() * (width + 40) - 20;
      screen[3 * v + 1] = random() * (height + 40) - 20;
      screen[3 * v + 2] = 1 + random();
    }
    const indices = new Uint32Array(3 * triangleCount);
    for (let k = 0; k < indices.length; k += 3) {
      const a = Math.floor(random() * vertexCount);
      // Three random vertices: large overlapping triangles, so the depth test decides most pixels.
      indices[k] = a; indices[k + 1] = (a + 1) % vertexCount; indices[k + 2] = (a + 2) % vertexCount;
    }
    const whole = createRasterTarget(width, height);
    rasterizeTriangles(whole, screen, indices, { cull: 'none' });
    const left = 37, top = 21, windowWidth = 71, windowHeight = 55;
    const part = createRasterTarget(windowWidth, windowHeight, left, top);
    rasterizeTriangles(part, screen, indices, { cull: 'none' });
    let differing = 0, covered = 0;
    for (let y = 0; y < windowHeight; y++) {
      for (let x = 0; x < windowWidth; x++) {
        const q = y * windowWidth + x, p = (top + y) * width + left + x;
        if (part.triangle[q] >= 0) covered++;
        if (part.triangle[q] !== whole.triangle[p] || !Object.is(part.depth[q], whole.depth[p])
          || !Object.is(part.bary[2 * q], whole.bary[2 * p]) || !Object.is(part.bary[2 * q + 1], whole.bary[2 * p + 1])) differing++;
      }
    }
    assert.equal(differing, 0);
    assert.ok(covered > windowWidth * windowHeight / 2, `only ${covered} covered pixels in the window`);
  });
});
