/**
 * The face-magnifying UV warp of the MakeHuman head (src/modelpack/makehuman-head/face-magnifier.ts):
 * pure checks of the axis map, and the face's share of the built pack's texels.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { magnifyingAxis, magnifyFaceUvs } from '../../src/modelpack/makehuman-head/face-magnifier.js';
import { readPack } from '../../src/modelpack/format.js';
import { uvEvaluationRegions } from '../../src/metrics/albedo-truth.js';
import { projectRoot } from '../helpers/shared-data.js';

describe('face-magnifying UV warp', () => {
  it('maps an axis onto its target range, strictly increasing, with the face gain inside the face span', () => {
    const map = magnifyingAxis(0.1, 0.9, 0.4, 0.6, 4, 0.1, 0.95);
    assert.ok(Math.abs(map(0.1) - 0.1) < 1e-12);
    assert.ok(Math.abs(map(0.9) - 0.95) < 1e-12);
    let previous = -Infinity;
    for (let x = 0.1; x <= 0.9; x += 0.001) {
      const y = map(x);
      assert.ok(y > previous, `not increasing at ${x}`);
      previous = y;
    }
    const slope = (x: number) => (map(x + 1e-3) - map(x - 1e-3)) / 2e-3;
    const ratio = slope(0.5) / slope(0.15);
    assert.ok(Math.abs(ratio - 4) < 0.05, `face slope / far slope ${ratio}`);
  });

  it('moves only the head island, keeps its height and its face texels square', () => {
    // A head island (island 0) over [0.01, 0.5] × [0.01, 0.99] on a grid, and one inner island at u ≥ 0.8.
    const uvs: number[] = [], island: number[] = [], face: number[] = [];
    for (let j = 0; j <= 20; j++) {
      for (let i = 0; i <= 20; i++) {
        const u = 0.01 + (0.49 * i) / 20, v = 0.01 + (0.98 * j) / 20;
        if (i >= 8 && i <= 12 && j >= 8 && j <= 12) face.push(island.length);
        uvs.push(u, v);
        island.push(0);
      }
    }
    uvs.push(0.8, 0.9, 0.9, 0.95);
    island.push(1, 1);
    const warped = Float32Array.from(uvs);
    magnifyFaceUvs(warped, Uint8Array.from(island), face, 4);
    const n = island.length;
    assert.deepEqual([warped[2 * (n - 2)], warped[2 * (n - 1) + 1]], [Float32Array.of(0.8)[0], Float32Array.of(0.95)[0]], 'the inner island stays');
    let uMax = 0, vMin = 1, vMax = 0;
    for (let k = 0; k < n - 2; k++) { uMax = Math.max(uMax, warped[2 * k]); vMin = Math.min(vMin, warped[2 * k + 1]); vMax = Math.max(vMax, warped[2 * k + 1]); }
    assert.ok(uMax <= 0.8 - 0.02 + 1e-6 && uMax > 0.7, `the head grows into the free width up to the inner island: ${uMax}`);
    assert.ok(Math.abs(vMin - 0.01) < 1e-6 && Math.abs(vMax - 0.99) < 1e-6);
    const corner = (i: number, j: number) => 2 * (j * 21 + i);
    const du = warped[corner(12, 10)] - warped[corner(8, 10)], dv = warped[corner(10, 12) + 1] - warped[corner(10, 8) + 1];
    const uScale = du / (0.49 * 4 / 20), vScale = dv / (0.98 * 4 / 20);
    assert.ok(Math.abs(uScale / vScale - 1) < 0.02, `face texels ${uScale.toFixed(3)} × ${vScale.toFixed(3)}`);
    assert.ok(vScale > 1.5, `the face is magnified: ${vScale}`);
  });

  it('gives the default head\'s face more than a quarter of a 64² map', function () {
    const file = path.join(projectRoot, 'assets', 'generated', 'default-head.pack');
    if (!existsSync(file)) {
      console.log(`      skipped: ${file} is absent (run npm run build)`);
      this.skip();
    }
    const model = readPack(new Uint8Array(readFileSync(file)));
    const size = 64;
    const regions = uvEvaluationRegions(model, size);
    const count = (mask: Uint8Array) => mask.reduce((sum, m) => sum + (m ? 1 : 0), 0);
    const share = count(regions.face) / (size * size);
    console.log(`      face region ${count(regions.face)} of ${size * size} texels (${(100 * share).toFixed(1)} %; hm08's own layout: 505, 12.3 %), head ${count(regions.head)}`);
    assert.ok(share > 0.25, `face share ${share}`);
  });
});
