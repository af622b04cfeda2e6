/**
 * The lash line painted along the lid margins (src/albedo/lash-line.ts): where it lies on the
 * default head, that a blink carries it with the lid margin, and how its darkness falls back.
 * The rendered figure against the photos is in test/metrics/eye-look.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { getEyeSurround } from '../../src/albedo/eye-surround.js';
import { DEFAULT_DARKNESS, getLashLineMap, PHOTO_SHARE, photoLashDarkness, type LashLineMap } from '../../src/albedo/lash-line.js';
import { getUvRaster, type UvRaster } from '../../src/albedo/unwrap.js';
import { RIGHT_LOWER_LID, RIGHT_UPPER_LID, LEFT_UPPER_LID, LEFT_LOWER_LID } from '../../src/inference/face/mediapipe-regions.js';
import type { HeadModel } from '../../src/modelpack/head-model.js';
import { readPack } from '../../src/modelpack/format.js';
import { projectRoot } from '../helpers/shared-data.js';

const packFile = path.join(projectRoot, 'assets', 'generated', 'default-head.pack');

/** Distance from p to the polyline through the vertices of `lid` (MediaPipe indices) in `positions`. */
function toLid(model: HeadModel, positions: ArrayLike<number>, lid: readonly number[], p: number[]): number {
  let best = Infinity;
  for (let k = 0; k + 1 < lid.length; k++) {
    const a = model.landmarks468![lid[k]], b = model.landmarks468![lid[k + 1]];
    const A = [0, 1, 2].map((c) => positions[3 * a + c]), d = [0, 1, 2].map((c) => positions[3 * b + c] - A[c]);
    const length = d[0] ** 2 + d[1] ** 2 + d[2] ** 2;
    const t = Math.min(1, Math.max(0, ((p[0] - A[0]) * d[0] + (p[1] - A[1]) * d[1] + (p[2] - A[2]) * d[2]) / length));
    best = Math.min(best, Math.hypot(p[0] - A[0] - t * d[0], p[1] - A[1] - t * d[1], p[2] - A[2] - t * d[2]));
  }
  return best;
}

/** Position of the covered texel `slot` on the head posed as `positions`. */
function texelPosition(model: HeadModel, raster: UvRaster, positions: ArrayLike<number>, slot: number): number[] {
  const t = 3 * raster.triangle[slot], b1 = raster.bary[2 * slot], b2 = raster.bary[2 * slot + 1];
  const I = model.indices;
  return [0, 1, 2].map((c) => (1 - b1 - b2) * positions[3 * I[t] + c] + b1 * positions[3 * I[t + 1] + c] + b2 * positions[3 * I[t + 2] + c]);
}

describe('albedo: the lash line', function () {
  this.timeout(60_000);
  let model: HeadModel, raster: UvRaster, map: LashLineMap;
  before(function () {
    if (!existsSync(packFile)) {
      console.log('    skipped: run `npm run build` for assets/generated/default-head.pack');
      this.skip();
    }
    model = readPack(new Uint8Array(readFileSync(packFile)));
    raster = getUvRaster(model, 512);
    const surround = getEyeSurround(model, raster);
    assert.ok(surround, 'the default head has eye landmarks and blink targets');
    map = getLashLineMap(model, raster, surround)!;
    assert.ok(map, 'the default head has MediaPipe points');
  });

  it('lines both eyes\' margins, the upper line wider than the lower, and a blink carries it with the lid margin', () => {
    const { x: x0, y: y0, side } = map.window;
    const blinks = model.expressionNames.flatMap((name, k) => (/^eyeBlink/i.test(name) ? [k] : []));
    const n = model.vertexCount, blinked = Float32Array.from(model.positions);
    for (const k of blinks) for (let i = 0; i < 3 * n; i++) blinked[i] += model.expressionBasis[k * 3 * n + i];
    const lids = [[RIGHT_UPPER_LID, RIGHT_LOWER_LID], [LEFT_UPPER_LID, LEFT_LOWER_LID]];
    const counts = [[0, 0], [0, 0]];
    let farthest = 0, movedUpper = 0, sumMoved = 0;
    for (let w = 0; w < side * side; w++) {
      const e = map.eye[w];
      const lid = map.upper[w] > 0.5 ? 0 : map.lower[w] > 0.5 ? 1 : -1;
      if (e === 255 || lid < 0) continue;
      counts[e][lid]++;
      const slot = raster.slot[(y0 + Math.floor(w / side)) * raster.size + x0 + (w % side)];
      const rest = texelPosition(model, raster, model.positions, slot), closed = texelPosition(model, raster, blinked, slot);
      // Closed, the line stays on its own (moved) margin: it does not smear over the lid.
      farthest = Math.max(farthest, toLid(model, blinked, lids[e][lid], closed));
      if (lid === 0) { movedUpper++; sumMoved += Math.hypot(closed[0] - rest[0], closed[1] - rest[1], closed[2] - rest[2]); }
    }
    console.log(`      line texels at 512² (right upper, lower; left upper, lower): ${counts.flat().join(', ')}; closed, the farthest is ${(farthest * 1000).toFixed(2)} mm from its margin; the upper line moves ${(sumMoved / movedUpper * 1000).toFixed(1)} mm on average`);
    for (const [upper, lower] of counts) {
      assert.ok(lower > 50, `${lower} lower line texels`);
      assert.ok(upper > 1.3 * lower, `upper ${upper} against lower ${lower} texels`);
    }
    assert.ok(farthest < 0.003, `a line texel ${(farthest * 1000).toFixed(2)} mm from its closed margin`);
    // The upper lid travels several millimetres down to close: the line goes with it.
    assert.ok(sumMoved / movedUpper > 0.004, `the upper line moves ${(sumMoved / movedUpper * 1000).toFixed(1)} mm under the blink`);
  });

  it('takes its darkness from the photo\'s bands, both eyes pooled, bounded, and the default where the photo does not show them', () => {
    const count = raster.texel.length;
    const albedo = new Float32Array(3 * count), confidence = new Float32Array(count);
    const { x: x0, y: y0, side } = map.window;
    // A photo that sees only the right eye: skin at 0.4, its upper line at 0.2, its lower at 0.3 (0.5 and 0.75 of the skin).
    for (let w = 0; w < side * side; w++) {
      if (map.eye[w] !== 0) continue;
      const slot = raster.slot[(y0 + Math.floor(w / side)) * raster.size + x0 + (w % side)];
      const value = map.upper[w] > 0.5 ? 0.2 : map.lower[w] > 0.5 ? 0.3 : 0.4;
      albedo.fill(value, 3 * slot, 3 * slot + 3);
      confidence[slot] = 1;
    }
    // The photo's own, PHOTO_SHARE of the way from the default.
    const expected = (own: number, lid: number) => DEFAULT_DARKNESS[lid] + PHOTO_SHARE * (own - DEFAULT_DARKNESS[lid]);
    const seen = photoLashDarkness(map, raster, albedo, confidence);
    assert.ok(Math.abs(seen[0] - expected(0.5, 0)) < 1e-6 && Math.abs(seen[1] - expected(0.75, 1)) < 1e-6, `darkness ${seen}`);
    // The left eye's upper line darker (0.35 of its skin) and seen in full, the right's now only on every other texel: pooled, the left's is the median.
    let everyOther = 0;
    for (let w = 0; w < side * side; w++) {
      const slot = raster.slot[(y0 + Math.floor(w / side)) * raster.size + x0 + (w % side)];
      if (map.eye[w] === 0 && map.upper[w] > 0.5 && everyOther++ % 2 === 0) confidence[slot] = 0;
      if (map.eye[w] !== 1) continue;
      albedo.fill(map.upper[w] > 0.5 ? 0.14 : map.lower[w] > 0.5 ? 0.3 : 0.4, 3 * slot, 3 * slot + 3);
      confidence[slot] = 1;
    }
    const both = photoLashDarkness(map, raster, albedo, confidence);
    assert.ok(Math.abs(both[0] - expected(0.35, 0)) < 1e-6 && Math.abs(both[1] - expected(0.75, 1)) < 1e-6, `both eyes ${both}`);
    // Too dark for a line (the iris through a misfit): bounded.
    for (let w = 0; w < side * side; w++) {
      const slot = raster.slot[(y0 + Math.floor(w / side)) * raster.size + x0 + (w % side)];
      if (map.eye[w] !== 255 && map.upper[w] > 0.5) albedo.fill(0.01, 3 * slot, 3 * slot + 3);
    }
    assert.ok(Math.abs(photoLashDarkness(map, raster, albedo, confidence)[0] - expected(0.3, 0)) < 1e-6);
    const unseen = photoLashDarkness(map, raster, albedo, new Float32Array(count));
    assert.deepEqual(unseen, [...DEFAULT_DARKNESS]);
  });
});
