import assert from 'node:assert/strict';
import { maskedPsnr, maskedSsim } from '../../src/metrics/photometric.js';
import type { Mask, RgbaImage } from '../../src/types.js';

function flat(width: number, height: number, value: number): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4).fill(value);
  return { width, height, data };
}

function fullMask(width: number, height: number): Mask {
  return { width, height, data: new Uint8Array(width * height).fill(255) };
}

/** Deterministic standard normal samples (xorshift32 + Box-Muller). */
function gaussianSource(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return (state + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Mid-grey texture with a ramp, so SSIM sees structure. */
function ramp(width: number, height: number): RgbaImage {
  const image = flat(width, height, 255);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) image.data[4 * (y * width + x) + c] = 60 + ((x * 3 + y * 2 + c * 20) % 140);
  return image;
}

describe('metrics: masked PSNR and SSIM', () => {
  it('identical images give PSNR = Infinity and SSIM = 1', () => {
    const a = ramp(64, 48);
    const mask = fullMask(64, 48);
    assert.equal(maskedPsnr(a, a, mask), Infinity);
    assert.ok(Math.abs(maskedSsim(a, a, mask) - 1) < 1e-6);
  });

  it('Gaussian noise of sigma 10 gives PSNR 10 log10(255^2 / (100 + 1/12)) within 0.1 dB', () => {
    const size = 256;
    const a = flat(size, size, 128);
    const b = flat(size, size, 128);
    const noise = gaussianSource(12345);
    for (let p = 0; p < size * size; p++) for (let c = 0; c < 3; c++) b.data[4 * p + c] = Math.round(128 + 10 * noise());
    // Rounding to integers adds the variance of a uniform step (1/12).
    const expected = 10 * Math.log10((255 * 255) / (100 + 1 / 12));
    const psnr = maskedPsnr(a, b, fullMask(size, size));
    console.log(`    sigma-10 noise: PSNR ${psnr.toFixed(3)} dB (expected ${expected.toFixed(3)})`);
    assert.ok(Math.abs(psnr - expected) < 0.1, `PSNR ${psnr}`);
    const ssim = maskedSsim(a, b, fullMask(size, size));
    console.log(`    sigma-10 noise on flat grey: SSIM ${ssim.toFixed(4)}`);
    // Flat reference: SSIM = C2 / (var + C2) per window with C2 = (0.03 * 255)^2. Luma noise variance is
    // 100 * (0.299^2 + 0.587^2 + 0.114^2) = 44.7; the Gaussian-window estimate sees (1 - sum w^2) of it.
    const c2 = (0.03 * 255) ** 2;
    const w1 = Array.from({ length: 11 }, (_, i) => Math.exp(-((i - 5) ** 2) / (2 * 1.5 * 1.5)));
    const total = w1.reduce((s, w) => s + w, 0);
    const sumSquares = w1.reduce((s, w) => s + (w / total) ** 2, 0) ** 2;
    const lumaVariance = 100 * (0.299 ** 2 + 0.587 ** 2 + 0.114 ** 2) * (1 - sumSquares);
    const expectedSsim = c2 / (lumaVariance + c2);
    assert.ok(Math.abs(ssim - expectedSsim) < 0.02, `SSIM ${ssim}, expected about ${expectedSsim}`);
  });

  it('a uniform brightness offset gives the SSIM luminance term exactly', () => {
    const a = flat(32, 32, 100), b = flat(32, 32, 110);
    const c1 = (0.01 * 255) ** 2;
    const expected = (2 * 100 * 110 + c1) / (100 * 100 + 110 * 110 + c1);
    assert.ok(Math.abs(maskedSsim(a, b, fullMask(32, 32)) - expected) < 1e-5);
    assert.ok(Math.abs(maskedPsnr(a, b, fullMask(32, 32)) - 10 * Math.log10((255 * 255) / 100)) < 1e-9);
  });

  it('only masked pixels count; an empty mask gives NaN', () => {
    const a = flat(20, 10, 50), b = flat(20, 10, 50);
    // Damage the right half, mask the left half only.
    for (let y = 0; y < 10; y++) for (let x = 10; x < 20; x++) b.data[4 * (y * 20 + x)] = 250;
    const left: Mask = { width: 20, height: 10, data: new Uint8Array(200) };
    for (let y = 0; y < 10; y++) for (let x = 0; x < 10; x++) left.data[y * 20 + x] = 255;
    assert.equal(maskedPsnr(a, b, left), Infinity);
    assert.ok(Number.isNaN(maskedPsnr(a, b, { width: 20, height: 10, data: new Uint8Array(200) })));
    assert.ok(Number.isNaN(maskedSsim(a, b, { width: 20, height: 10, data: new Uint8Array(200) })));
    assert.throws(() => maskedPsnr(a, flat(10, 10, 0), left), /same size/);
  });
});
