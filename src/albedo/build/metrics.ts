/** Image-quality figures inside a mask, on planar r, g, b maps in 0..1 (peak 1). */

export interface MaskedQuality {
  mse: number;
  psnr: number;
  ssim: number;
}

export function maskedMse(a: Float32Array, b: Float32Array, mask: Uint8Array): number {
  const D = mask.length;
  let sum = 0, n = 0;
  for (let c = 0; c < 3; c++) {
    for (let t = 0; t < D; t++) {
      if (!mask[t]) continue;
      const d = a[c * D + t] - b[c * D + t];
      sum += d * d;
      n++;
    }
  }
  return n > 0 ? sum / n : 0;
}

export function psnrFromMse(mse: number): number {
  return mse > 0 ? 10 * Math.log10(1 / mse) : Infinity;
}

function gaussianFilter(values: Float64Array, size: number, sigma = 1.5, radius = 5): Float64Array {
  const kernel = new Float64Array(2 * radius + 1);
  let total = 0;
  for (let i = -radius; i <= radius; i++) total += kernel[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < kernel.length; i++) kernel[i] /= total;
  const tmp = new Float64Array(values.length), out = new Float64Array(values.length);
  // Edges clamp (replicate), so border windows stay normalised.
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let s = 0;
      for (let k = -radius; k <= radius; k++) s += kernel[k + radius] * values[y * size + Math.min(size - 1, Math.max(0, x + k))];
      tmp[y * size + x] = s;
    }
  }
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let s = 0;
      for (let k = -radius; k <= radius; k++) s += kernel[k + radius] * tmp[Math.min(size - 1, Math.max(0, y + k)) * size + x];
      out[y * size + x] = s;
    }
  }
  return out;
}

/** Mean SSIM (Wang et al. 2004: Gaussian window σ 1.5, K1 0.01, K2 0.03) over masked texels and the 3 channels. */
export function maskedSsim(a: Float32Array, b: Float32Array, mask: Uint8Array, size: number): number {
  const D = size * size;
  const C1 = 0.01 ** 2, C2 = 0.03 ** 2;
  let sum = 0, n = 0;
  for (let c = 0; c < 3; c++) {
    const x = Float64Array.from(a.subarray(c * D, (c + 1) * D));
    const y = Float64Array.from(b.subarray(c * D, (c + 1) * D));
    const xx = x.map((v) => v * v), yy = y.map((v) => v * v), xy = x.map((v, i) => v * y[i]);
    const mx = gaussianFilter(x, size), my = gaussianFilter(y, size);
    const sxx = gaussianFilter(xx, size), syy = gaussianFilter(yy, size), sxy = gaussianFilter(xy, size);
    for (let t = 0; t < D; t++) {
      if (!mask[t]) continue;
      const vx = sxx[t] - mx[t] * mx[t], vy = syy[t] - my[t] * my[t], cov = sxy[t] - mx[t] * my[t];
      sum += ((2 * mx[t] * my[t] + C1) * (2 * cov + C2)) / ((mx[t] * mx[t] + my[t] * my[t] + C1) * (vx + vy + C2));
      n++;
    }
  }
  return n > 0 ? sum / n : 1;
}

export function maskedQuality(reference: Float32Array, estimate: Float32Array, mask: Uint8Array, size: number): MaskedQuality {
  const mse = maskedMse(reference, estimate, mask);
  return { mse, psnr: psnrFromMse(mse), ssim: maskedSsim(reference, estimate, mask, size) };
}
