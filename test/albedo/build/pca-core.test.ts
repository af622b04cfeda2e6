import { strict as assert } from 'node:assert';
import { symmetricEigen, gramTs, leftMultiplyTs } from '../../../src/albedo/linalg.js';
import { buildUvapm } from '../../../src/albedo/build/builder.js';
import { readUvapm, writeUvapm } from '../../../src/albedo/uvapm-format.js';
import { projectUvMap } from '../../../src/albedo/project.js';
import { fuseDetail, hsvToRgb, rgbToHsv } from '../../../src/albedo/detail.js';
import { maskedQuality } from '../../../src/albedo/build/metrics.js';
import { createOnnxGemm } from '../../../src/albedo/gemm.js';
import { PhotoAvatarError } from '../../../src/errors.js';
import { rng, syntheticGenerator } from '../synthetic-maps.js';

/** Exact per-channel PCA variances from the full centred Gram matrix (small data only). */
function exactVariances(maps: Float32Array[], D: number, channel: number): Float64Array {
  const n = maps.length;
  const X = new Float32Array(n * D);
  const mean = new Float64Array(D);
  maps.forEach((m) => { for (let t = 0; t < D; t++) mean[t] += m[channel * D + t] / n; });
  maps.forEach((m, i) => { for (let t = 0; t < D; t++) X[i * D + t] = m[channel * D + t] - mean[t]; });
  const { values } = symmetricEigen(gramTs(X, n, D), n);
  return values.map((v) => v / (n - 1));
}

describe('UVAPM core: streaming PCA, format, projection, detail', function () {
  it('symmetric eigen-decomposition reconstructs a random symmetric matrix', () => {
    const n = 40, r = rng(3);
    const B = new Float32Array(n * 60).map(() => r() - 0.5);
    const G = gramTs(B, n, 60);
    const { values, vectors } = symmetricEigen(G, n);
    let err = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += vectors[i * n + k] * values[k] * vectors[j * n + k];
      err = Math.max(err, Math.abs(s - G[i * n + j]));
    }
    console.log(`      eigen reconstruction max error ${err.toExponential(2)}`);
    assert.ok(err < 1e-9);
    for (let k = 1; k < n; k++) assert.ok(values[k] <= values[k - 1]);
  });

  it('ONNX and TS products agree', async () => {
    const r = rng(5), m = 37, D = 3000, k = 11;
    const X = new Float32Array(m * D).map(() => r() - 0.5);
    const A = new Float32Array(k * m).map(() => r() - 0.5);
    const onnx = await createOnnxGemm();
    const g1 = gramTs(X, m, D), g2 = await onnx.gram(X, m, D);
    const y1 = leftMultiplyTs(A, k, m, X, D, new Float32Array(k * D)), y2 = new Float32Array(k * D);
    await onnx.leftMultiply(A, k, m, X, D, y2);
    await onnx.dispose();
    let eg = 0, ey = 0;
    g1.forEach((v, i) => { eg = Math.max(eg, Math.abs(v - g2[i]) / (Math.abs(v) + 1)); });
    y1.forEach((v, i) => { ey = Math.max(ey, Math.abs(v - y2[i])); });
    console.log(`      ONNX vs TS: gram rel. error ${eg.toExponential(2)}, left-multiply error ${ey.toExponential(2)}`);
    assert.ok(eg < 1e-4 && ey < 1e-4);
  });

  it('incremental PCA over batches equals exact PCA (both backends)', async () => {
    const size = 16, D = size * size, gen = syntheticGenerator(size, 6, 0.002);
    const maps = Array.from({ length: 90 }, (_, i) => gen.map(i));
    const exact = exactVariances(maps, D, 1);
    for (const backend of ['ts', 'onnx'] as const) {
      const { model } = await buildUvapm({ names: maps.map((_, i) => `m${i}`), load: async (i) => ({ planes: maps[i] }) }, { size, components: 20, batchSize: 16, backend });
      assert.equal(model.componentCount, 20);
      let worst = 0;
      for (let k = 0; k < 10; k++) worst = Math.max(worst, Math.abs(model.variances[1][k] - exact[k]) / exact[0]);
      console.log(`      ${backend}: top-10 variances vs exact PCA, max error ${worst.toExponential(2)} of the largest; explained by 6 modes ${model.explainedVarianceRatio[1].subarray(0, 6).reduce((a, b) => a + b, 0).toFixed(4)}`);
      assert.ok(worst < 1e-3, `${backend} variances deviate ${worst}`);
      // Components are orthonormal.
      let ortho = 0;
      for (let a = 0; a < 6; a++) for (let b = 0; b <= a; b++) {
        let s = 0;
        for (let t = 0; t < D; t++) s += model.components[1][a * D + t] * model.components[1][b * D + t];
        ortho = Math.max(ortho, Math.abs(s - (a === b ? 1 : 0)));
      }
      assert.ok(ortho < 1e-3, `orthonormality ${ortho}`);
    }
  });

  it('file round trip: fp32 bit-exact, fp16 close, damage detected', async () => {
    const size = 8, gen = syntheticGenerator(size, 3);
    const { model } = await buildUvapm({ names: ['a', 'b', 'c', 'd', 'e'], load: async (i) => ({ planes: gen.map(i) }) }, { size, components: 3, backend: 'ts' });
    const bytes = writeUvapm(model);
    const back = readUvapm(bytes);
    assert.deepEqual(back.components[2], model.components[2]);
    assert.deepEqual(back.mask, model.mask);
    assert.equal(back.provenance.mapCount, 5);
    const half = readUvapm(writeUvapm(model, { precision: 'fp16' }));
    let err = 0;
    half.components[0].forEach((v, i) => { err = Math.max(err, Math.abs(v - model.components[0][i])); });
    console.log(`      file ${bytes.length} bytes; fp16 max component error ${err.toExponential(2)}`);
    assert.ok(err < 1e-3);
    const damaged = bytes.slice();
    damaged[damaged.length - 3] ^= 0xff;
    assert.throws(() => readUvapm(damaged), (e: unknown) => e instanceof PhotoAvatarError && /CRC-32/.test(e.message));
    assert.throws(() => readUvapm(bytes.subarray(0, bytes.length - 10)), PhotoAvatarError);
  });

  it('projection recovers an in-model map; HSV round-trips; detail fusion restores fine detail', async () => {
    const size = 32, D = size * size, gen = syntheticGenerator(size, 5, 0);
    const { model } = await buildUvapm({ names: Array.from({ length: 40 }, (_, i) => `${i}`), load: async (i) => ({ planes: gen.map(i) }) }, { size, components: 8, backend: 'ts' });
    const target = gen.map(999);
    const mask = new Uint8Array(D);
    for (let t = 0; t < D; t++) mask[t] = (t % size) < size / 2 ? 1 : 0; // left half visible only
    const { reconstruction } = projectUvMap(model, target, mask, { regularization: 1e-8 });
    const full = new Uint8Array(D).fill(1);
    const q = maskedQuality(target, reconstruction, full, size);
    console.log(`      half-visible projection of an in-model map: PSNR ${q.psnr.toFixed(1)} dB over the whole map`);
    assert.ok(q.psnr > 40);
    // Confidence weights of 0/1 are the same as the binary mask.
    const weighted = projectUvMap(model, target, new Uint8Array(D).fill(1), { regularization: 1e-8, weights: Float32Array.from(mask) }).reconstruction;
    assert.ok(maskedQuality(reconstruction, weighted, full, size).psnr > 100);
    const out = [0, 0, 0], rgb = [0, 0, 0];
    rgbToHsv(0.2, 0.7, 0.4, out);
    hsvToRgb(out[0], out[1], out[2], rgb);
    assert.ok(Math.abs(rgb[0] - 0.2) + Math.abs(rgb[1] - 0.7) + Math.abs(rgb[2] - 0.4) < 1e-6);
    // Fine-scale checkerboard detail absent from the coarse map comes back through the fusion.
    const detailed = Float32Array.from(target);
    for (let t = 0; t < D; t++) { const s = ((t % size) + Math.floor(t / size)) % 2 ? 0.03 : -0.03; for (let c = 0; c < 3; c++) detailed[c * D + t] += s; }
    const coarse = projectUvMap(model, detailed, full).reconstruction;
    const fused = fuseDetail(coarse, detailed, full, size);
    const before = maskedQuality(detailed, coarse, full, size), after = maskedQuality(detailed, fused, full, size);
    console.log(`      detail fusion: PSNR ${before.psnr.toFixed(1)} -> ${after.psnr.toFixed(1)} dB, SSIM ${before.ssim.toFixed(3)} -> ${after.ssim.toFixed(3)}`);
    assert.ok(after.psnr > before.psnr + 5 && after.ssim > before.ssim);
  });
});
