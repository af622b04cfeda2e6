/**
 * The face-magnifying UV warp of the MakeHuman head (src/modelpack/makehuman-head/face-magnifier.ts):
 * pure checks of the axis map and the row fill, and, on the built pack, the face's share of the
 * texels and a layout without folds or overlaps.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fillRows, magnifyingAxis, magnifyFaceUvs } from '../../src/modelpack/makehuman-head/face-magnifier.js';
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

  it('widens every row of the head island to the free width, the face taking what the rest leaves, without reordering a row', () => {
    // A head island (island 0) over [0.01, 0.5] × [0.01, 0.99], the face a disc in its middle, and an
    // inner island (island 1) in the top-right corner at u ≥ 0.8, v ≥ 0.85.
    const uvs: number[] = [], island: number[] = [], isFace: number[] = [];
    const N = 40;
    for (let j = 0; j <= N; j++) {
      for (let i = 0; i <= N; i++) {
        const u = 0.01 + (0.49 * i) / N, v = 0.01 + (0.98 * j) / N;
        uvs.push(u, v);
        island.push(0);
        isFace.push(Math.hypot(u - 0.3, v - 0.5) < 0.18 ? 1 : 0);
      }
    }
    uvs.push(0.8, 0.85, 0.98, 0.98);
    island.push(1, 1);
    isFace.push(0, 0);
    const warped = Float32Array.from(uvs);
    fillRows(warped, Uint8Array.from(island), isFace, { outerDensity: 0.9, maxGain: 4 });
    const at = (i: number, j: number) => j * (N + 1) + i;
    let faceBefore = 0, faceAfter = 0, restBefore = 0, restAfter = 0;
    for (let j = 0; j <= N; j++) {
      for (let i = 0; i <= N; i++) assert.equal(warped[2 * at(i, j) + 1], Float32Array.of(uvs[2 * at(i, j) + 1])[0], 'v is kept');
      for (let i = 0; i < N; i++) {
        const before = uvs[2 * at(i + 1, j)] - uvs[2 * at(i, j)], after = warped[2 * at(i + 1, j)] - warped[2 * at(i, j)];
        assert.ok(after > 0, `row ${j} stays in order at ${i}`);
        if (isFace[at(i, j)] && isFace[at(i + 1, j)]) { faceBefore += before; faceAfter += after; }
        else if (!isFace[at(i, j)] && !isFace[at(i + 1, j)]) { restBefore += before; restAfter += after; }
      }
      const v = uvs[2 * at(0, j) + 1], end = warped[2 * at(N, j)];
      if (v >= 0.85 - 0.02) assert.ok(end <= 0.8 - 0.02 + 1e-6, `row at v ${v.toFixed(2)} stops before the inner island: ${end}`);
      if (v > 0.2 && v < 0.6) assert.ok(end > 0.97 && end <= 0.99 + 1e-6, `row at v ${v.toFixed(2)} reaches the right margin: ${end}`);
    }
    // The face's width more than doubles; the rest keeps at least its outer density (0.9) on the whole.
    assert.ok(faceAfter / faceBefore > 2, `face ×${(faceAfter / faceBefore).toFixed(2)}`);
    assert.ok(restAfter / restBefore >= 0.9, `rest ×${(restAfter / restBefore).toFixed(2)}`);
  });

  describe('the built default head', () => {
    let model: ReturnType<typeof readPack>;
    before(function () {
      const file = path.join(projectRoot, 'assets', 'generated', 'default-head.pack');
      if (!existsSync(file)) {
        console.log(`      skipped: ${file} is absent (run npm run build)`);
        this.skip();
      }
      model = readPack(new Uint8Array(readFileSync(file)));
    });

    it('gives the face (skin weight above 0) more than half of a 64² map', () => {
      const size = 64;
      const regions = uvEvaluationRegions(model, size);
      const count = (mask: Uint8Array) => mask.reduce((sum, m) => sum + (m ? 1 : 0), 0);
      const share = count(regions.face) / (size * size);
      console.log(`      face region ${count(regions.face)} of ${size * size} texels (${(100 * share).toFixed(1)} %; hm08's own layout: 505, 12.3 %), head ${count(regions.head)}`);
      assert.ok(share > 0.5, `face share ${share}`);
    });

    it('keeps every UV inside the map\'s margins, with no folded triangle and no texel of a 1024² map under two triangles', () => {
      const { uvs, indices } = model;
      const triangles = indices.length / 3;
      let lowest = Infinity, highest = -Infinity;
      for (let i = 0; i < uvs.length; i++) { lowest = Math.min(lowest, uvs[i]); highest = Math.max(highest, uvs[i]); }
      // The islands keep a 0.01 margin (texture filtering at the edge).
      assert.ok(lowest >= 0.0099 && highest <= 0.9901, `UVs span ${lowest} .. ${highest}`);
      let folded = 0;
      for (let t = 0; t < triangles; t++) {
        const a = indices[3 * t], b = indices[3 * t + 1], c = indices[3 * t + 2];
        const area = (uvs[2 * b] - uvs[2 * a]) * (uvs[2 * c + 1] - uvs[2 * a + 1]) - (uvs[2 * c] - uvs[2 * a]) * (uvs[2 * b + 1] - uvs[2 * a + 1]);
        // hm08's UVs wind every triangle the same way (positive area); a fold turns one over.
        if (!(area > 0)) folded++;
      }
      const size = 1024, cover = new Uint8Array(size * size);
      for (let t = 0; t < triangles; t++) {
        const x = [0, 1, 2].map((k) => uvs[2 * indices[3 * t + k]] * size), y = [0, 1, 2].map((k) => uvs[2 * indices[3 * t + k] + 1] * size);
        const det = (x[1] - x[0]) * (y[2] - y[0]) - (x[2] - x[0]) * (y[1] - y[0]);
        if (det === 0) continue;
        for (let py = Math.max(0, Math.floor(Math.min(...y))); py <= Math.min(size - 1, Math.ceil(Math.max(...y))); py++) {
          for (let px = Math.max(0, Math.floor(Math.min(...x))); px <= Math.min(size - 1, Math.ceil(Math.max(...x))); px++) {
            const cx = px + 0.5, cy = py + 0.5;
            const b1 = ((cx - x[0]) * (y[2] - y[0]) - (x[2] - x[0]) * (cy - y[0])) / det, b2 = ((x[1] - x[0]) * (cy - y[0]) - (cx - x[0]) * (y[1] - y[0])) / det;
            // Texel centres strictly inside (a centre on a shared edge is not an overlap).
            if (b1 > 1e-6 && b2 > 1e-6 && 1 - b1 - b2 > 1e-6) cover[py * size + px]++;
          }
        }
      }
      let overlapping = 0, used = 0;
      for (let p = 0; p < cover.length; p++) { if (cover[p] > 1) overlapping++; if (cover[p] > 0) used++; }
      console.log(`      ${folded} folded of ${triangles} triangles; ${overlapping} texels under two triangles; ${(100 * used / cover.length).toFixed(1)} % of the map used`);
      assert.equal(folded, 0);
      assert.equal(overlapping, 0);
    });
  });
});
