import { strict as assert } from 'node:assert';
import { buildUvapm } from '../../src/albedo/build/builder.js';
import { fitUvapmAlbedo, upsamplePlanes } from '../../src/albedo/fit-albedo.js';
import { maskedQuality } from '../../src/albedo/build/metrics.js';
import { syntheticGenerator } from './synthetic-maps.js';

describe('UVAPM albedo from a partial observation (stage 2 + 3 building block)', function () {
  it('completes unseen texels from the model and restores detail where seen', async () => {
    const d = 32, S = 64, gen = syntheticGenerator(d, 5, 0);
    const { model } = await buildUvapm({ names: Array.from({ length: 40 }, (_, i) => `${i}`), load: async (i) => ({ planes: gen.map(i) }) }, { size: d, components: 8, backend: 'ts' });
    // Ground truth at S: an in-model map upsampled, plus fine texture the model cannot represent.
    const truth = upsamplePlanes(gen.map(4321), d, S);
    for (let s = 0; s < S * S; s++) { const v = ((s % S) + Math.floor(s / S)) % 2 ? 0.02 : -0.02; for (let c = 0; c < 3; c++) truth[c * S * S + s] += v; }
    // The photo sees the left 60 % of the texture.
    const confidence = new Float32Array(S * S);
    for (let s = 0; s < S * S; s++) confidence[s] = (s % S) < 0.6 * S ? 1 : 0;
    const observed = truth.map((v, i) => (confidence[i % (S * S)] ? v : 0));
    const result = fitUvapmAlbedo(model, observed, confidence, S);
    const seen = Uint8Array.from(confidence, (w) => (w > 0 ? 1 : 0)), unseen = seen.map((v) => 1 - v);
    const coarseUnseen = maskedQuality(truth, result.coarse, unseen, S);
    const coarseSeen = maskedQuality(truth, result.coarse, seen, S), fusedSeen = maskedQuality(truth, result.fused, seen, S);
    console.log(`      unseen 40 %: coarse ${coarseUnseen.psnr.toFixed(1)} dB; seen 60 %: coarse ${coarseSeen.psnr.toFixed(1)} dB / SSIM ${coarseSeen.ssim.toFixed(3)} -> fused ${fusedSeen.psnr.toFixed(1)} dB / SSIM ${fusedSeen.ssim.toFixed(3)}`);
    assert.ok(coarseUnseen.psnr > 28, 'unseen texels come from the model');
    assert.ok(fusedSeen.psnr > coarseSeen.psnr + 3 && fusedSeen.ssim > coarseSeen.ssim);
    assert.deepEqual(result.fused.subarray(S - 1, S), result.coarse.subarray(S - 1, S), 'no detail where unseen');
  });
});
