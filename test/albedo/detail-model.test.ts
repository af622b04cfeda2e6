/**
 * The learned detail generator D(α) (src/albedo/detail-model.ts) on synthetic maps whose
 * value detail is a mean pattern plus two fine patterns with random weights: the model learns the
 * patterns from the maps, and fitted to half of a new map's detail it generates the other half.
 */
import { strict as assert } from 'node:assert';
import { buildDetailModel, generateDetail, type DetailModel } from '../../src/albedo/detail-model.js';
import { readUvapm, writeUvapm, type UvapmModel } from '../../src/albedo/uvapm-format.js';
import { generateDetailAtSize } from '../../src/albedo/uvapm-albedo.js';
import { upsamplePlanes } from '../../src/albedo/fit-albedo.js';
import { boundedHighPass } from '../../src/albedo/detail.js';
import { gaussian, rng } from './synthetic-maps.js';

const SIZE = 64, TEXELS = SIZE * SIZE, SIGMA = 2;

/** Fine patterns (period 3–5 texels), small enough to stay inside the detail bound. */
const patterns = [
  (x: number, y: number) => 0.008 * Math.sin(x * 1.9) * Math.cos(y * 1.3),
  (x: number, y: number) => 0.008 * Math.sin(x * 1.2 + y * 2.1),
  (x: number, y: number) => 0.006 * Math.cos(y * 1.7 - x * 0.7),
];

/** Planar sRGB map: a smooth skin tone (red the largest, so V = red) plus detail w0 p0 + w1 p1 + w2 p2. */
function map(weights: number[]): Float32Array {
  const planes = new Float32Array(3 * TEXELS);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const p = y * SIZE + x, base = 0.6 + 0.1 * Math.sin(x / 20) * Math.cos(y / 25);
      let detail = 0;
      patterns.forEach((pattern, k) => { detail += weights[k] * pattern(x, y); });
      planes[p] = base + detail;
      planes[TEXELS + p] = 0.7 * base;
      planes[2 * TEXELS + p] = 0.55 * base;
    }
  }
  return planes;
}

function correlation(a: Float32Array, b: Float32Array, mask: Uint8Array): number {
  let sa = 0, sb = 0, n = 0;
  for (let p = 0; p < a.length; p++) if (mask[p]) { sa += a[p]; sb += b[p]; n++; }
  const ma = sa / n, mb = sb / n;
  let ab = 0, aa = 0, bb = 0;
  for (let p = 0; p < a.length; p++) {
    if (!mask[p]) continue;
    ab += (a[p] - ma) * (b[p] - mb); aa += (a[p] - ma) ** 2; bb += (b[p] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

describe('detail generator D(α) (learned PCA of value detail)', () => {
  const random = rng(5);
  // Pattern 0 always present (the mean), patterns 1 and 2 with random weights per map.
  const maps = Array.from({ length: 12 }, () => map([1, gaussian(random), gaussian(random)]));
  const region = new Uint8Array(TEXELS).fill(1);
  const model = buildDetailModel(maps, SIZE, region, SIGMA, 5);

  it('keeps the modes the maps vary along, and nothing for the smooth tone', () => {
    assert.ok(model.componentCount >= 2);
    console.log(`      mode variances ${Array.from(model.variances, (v) => v.toExponential(2)).join(' ')}, residual variance ${model.residualVariance.toExponential(2)}`);
    assert.ok(model.variances[1] > 100 * (model.variances[2] ?? 0), 'two patterns vary, nothing else');
  });

  it('fitted to the left half of a new map, generates the right half', () => {
    const truthMap = map([1, 1.3, -0.8]);
    const values = Float32Array.from({ length: TEXELS }, (_, p) => Math.max(truthMap[p], truthMap[TEXELS + p], truthMap[2 * TEXELS + p]));
    const truth = boundedHighPass(values, Float32Array.from(region), SIZE, SIGMA);
    const seen = Float32Array.from({ length: TEXELS }, (_, p) => ((p % SIZE) < SIZE / 2 ? 1 : 0));
    const observed = Float32Array.from(truth, (v, p) => v * seen[p]);
    const generated = generateDetail(model, observed, seen);
    const unseen = Uint8Array.from(seen, (s) => (s ? 0 : 1));
    const r = correlation(generated, truth, unseen);
    const meanOnly = correlation(model.mean, truth, unseen);
    console.log(`      unseen half: correlation with the true detail ${r.toFixed(3)} (the model's mean alone ${meanOnly.toFixed(3)})`);
    assert.ok(r > 0.95 && r > meanOnly + 0.1, `generated ${r}, mean ${meanOnly}`);
  });

  it('rejects too few maps and a mismatched observation', () => {
    assert.throws(() => buildDetailModel([maps[0]], SIZE, region, SIGMA), /at least 2 UV maps/);
    assert.throws(() => generateDetail(model, new Float32Array(10), new Float32Array(10)), /64×64/);
  });
});

describe('detail generator in the .uvapm file (format 2)', () => {
  const size = 8, D = size * size;
  const base: UvapmModel = {
    size, componentCount: 1,
    means: [0, 1, 2].map(() => new Float32Array(D).fill(0.5)),
    components: [0, 1, 2].map(() => Float32Array.from({ length: D }, (_, p) => (p % 2 ? 0.125 : -0.125))),
    singularValues: [0, 1, 2].map(() => Float32Array.of(1)),
    variances: [0, 1, 2].map(() => Float32Array.of(0.01)),
    explainedVarianceRatio: [0, 1, 2].map(() => Float32Array.of(1)),
    mask: new Uint8Array(D).fill(1),
    provenance: { generator: 'test', createdAt: 'test', mapCount: 2, skipped: [], inputSize: null, source: 'test', maskSource: 'test' },
  };
  const detail: DetailModel = {
    size: 2 * size, componentCount: 2,
    mean: Float32Array.from({ length: 4 * D }, (_, p) => 0.001 * (p % 7)),
    components: Float32Array.from({ length: 8 * D }, (_, p) => 0.01 * Math.sin(p)),
    variances: Float64Array.of(2e-4, 5e-5), residualVariance: 1e-6,
  };

  it('round-trips the detail model and still reads version-1 files', () => {
    const back = readUvapm(writeUvapm({ ...base, detail }));
    assert.ok(back.detail);
    assert.equal(back.detail.size, 16);
    assert.deepEqual(Array.from(back.detail.variances), [2e-4, 5e-5]);
    assert.deepEqual(Array.from(back.detail.components), Array.from(detail.components));
    const v1 = writeUvapm(base);
    new DataView(v1.buffer, v1.byteOffset).setUint32(8, 1, true);
    assert.equal(readUvapm(v1).detail, undefined);
    new DataView(v1.buffer, v1.byteOffset).setUint32(8, 3, true);
    assert.throws(() => readUvapm(v1), /version 3 is not supported \(this reader supports 1, 2\)/);
  });

  it('rejects a detail model whose size or variances are wrong', () => {
    assert.throws(() => readUvapm(writeUvapm({ ...base, detail: { ...detail, size: 12, mean: new Float32Array(144), components: new Float32Array(288) } })), /detail model size 12 is not a multiple/);
    assert.throws(() => readUvapm(writeUvapm({ ...base, detail: { ...detail, variances: Float64Array.of(2e-4, 0) } })), /detail model needs 2 positive variances/);
  });
});

describe('detail generator at another size than the texture', () => {
  const random = rng(9);
  const maps = Array.from({ length: 12 }, () => map([1, gaussian(random), gaussian(random)]));
  const model = buildDetailModel(maps, SIZE, new Uint8Array(TEXELS).fill(1), SIGMA, 5);

  it('fits at the model size and upsamples: a 2x texture gets the model-size detail, bilinearly', () => {
    const truthMap = map([1, 1.3, -0.8]);
    const values = Float32Array.from({ length: TEXELS }, (_, p) => Math.max(truthMap[p], truthMap[TEXELS + p], truthMap[2 * TEXELS + p]));
    const truth = boundedHighPass(values, new Float32Array(TEXELS).fill(1), SIZE, SIGMA);
    const seen = Float32Array.from({ length: TEXELS }, (_, p) => ((p % SIZE) < SIZE / 2 ? 1 : 0));
    const atModel = generateDetail(model, Float32Array.from(truth, (v, p) => v * seen[p]), seen);
    // The same observation at twice the size (each texel a 2 × 2 block).
    const big = 2 * SIZE, bigDetail = new Float32Array(big * big), bigSeen = new Float32Array(big * big);
    for (let y = 0; y < big; y++) for (let x = 0; x < big; x++) {
      const p = (y >> 1) * SIZE + (x >> 1);
      bigDetail[y * big + x] = truth[p] * seen[p];
      bigSeen[y * big + x] = seen[p];
    }
    const generated = generateDetailAtSize(model, bigDetail, bigSeen, big);
    assert.equal(generated.length, big * big);
    // Fitting sees the 2 × 2 blocks' means, the model-size observation exactly; the result is its bilinear upsampling.
    const expected = upsamplePlanes(atModel, SIZE, big, 1);
    let worst = 0;
    for (let p = 0; p < big * big; p++) worst = Math.max(worst, Math.abs(generated[p] - expected[p]));
    assert.ok(worst < 1e-5, `largest difference from the upsampled model-size detail ${worst}`);
    assert.throws(() => generateDetailAtSize(model, new Float32Array(48 * 48), new Float32Array(48 * 48), 48), /neither a multiple nor a divisor/);
  });
});
