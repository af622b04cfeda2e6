/**
 * Masked photometric similarity between two RGBA images of the same size (8-bit sRGB values, as
 * stored; no linearisation: PSNR/SSIM are conventionally computed on the encoded values).
 *
 * - PSNR over R, G and B of the masked pixels, peak 255.
 * - SSIM (Wang et al. 2004) on BT.601 luma Y = 0.299 R + 0.587 G + 0.114 B: 11x11 Gaussian window
 *   with sigma 1.5, K1 = 0.01, K2 = 0.03, L = 255; the SSIM map is computed on the whole images
 *   and averaged over the masked pixels. Windows at the mask edge see pixels outside the mask, so
 *   pass images that agree there (e.g. a render composited over the photo) to measure only the mask.
 */
import { PhotoAvatarError } from '../errors.js';
import type { Mask, RgbaImage } from '../types.js';

const SSIM_RADIUS = 5;
const SSIM_SIGMA = 1.5;
const C1 = (0.01 * 255) ** 2;
const C2 = (0.03 * 255) ** 2;

function checkSameSize(a: RgbaImage, b: RgbaImage, mask: Mask): void {
  if (a.width !== b.width || a.height !== b.height || mask.width !== a.width || mask.height !== a.height) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `Images and mask must have the same size: ${a.width}x${a.height}, ${b.width}x${b.height}, mask ${mask.width}x${mask.height}.`);
  }
}

/** Number of mask pixels that are set (> 0). */
export function maskArea(mask: Mask): number {
  let n = 0;
  for (let p = 0; p < mask.data.length; p++) if (mask.data[p] > 0) n++;
  return n;
}

/** Mean squared error over the RGB channels of the pixels where mask > 0; NaN for an empty mask. */
export function maskedMse(a: RgbaImage, b: RgbaImage, mask: Mask): number {
  checkSameSize(a, b, mask);
  let sum = 0, n = 0;
  for (let p = 0; p < mask.data.length; p++) {
    if (mask.data[p] === 0) continue;
    const o = 4 * p;
    const dr = a.data[o] - b.data[o], dg = a.data[o + 1] - b.data[o + 1], db = a.data[o + 2] - b.data[o + 2];
    sum += dr * dr + dg * dg + db * db;
    n += 3;
  }
  return n > 0 ? sum / n : NaN;
}

/** PSNR in dB (peak 255) over the masked RGB pixels: Infinity for identical images, NaN for an empty mask. */
export function maskedPsnr(a: RgbaImage, b: RgbaImage, mask: Mask): number {
  const mse = maskedMse(a, b, mask);
  if (Number.isNaN(mse)) return NaN;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

function gaussianKernel(radius: number, sigma: number): Float32Array {
  const k = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) sum += (k[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma)));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/**
 * Separable Gaussian filter of `src` (w x h) into `dst`, with the window clipped and renormalised at
 * the image border. `tmp` is scratch of the same size.
 */
function gaussianBlur(src: Float32Array, dst: Float32Array, tmp: Float32Array, w: number, h: number, kernel: Float32Array): void {
  const r = (kernel.length - 1) / 2;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      let s = 0, ws = 0;
      const lo = Math.max(0, x - r), hi = Math.min(w - 1, x + r);
      for (let i = lo; i <= hi; i++) { const k = kernel[i - x + r]; s += k * src[row + i]; ws += k; }
      tmp[row + x] = s / ws;
    }
  }
  for (let y = 0; y < h; y++) {
    const lo = Math.max(0, y - r), hi = Math.min(h - 1, y + r);
    for (let x = 0; x < w; x++) {
      let s = 0, ws = 0;
      for (let j = lo; j <= hi; j++) { const k = kernel[j - y + r]; s += k * tmp[j * w + x]; ws += k; }
      dst[y * w + x] = s / ws;
    }
  }
}

/**
 * Mean SSIM on luma over the pixels where mask > 0 (see the module comment); 1 for identical
 * images, NaN for an empty mask. Only the mask's bounding box plus the window radius is filtered.
 */
export function maskedSsim(a: RgbaImage, b: RgbaImage, mask: Mask): number {
  checkSameSize(a, b, mask);
  const { width, height } = a;
  let minX = width, minY = height, maxX = -1, maxY = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (mask.data[y * width + x] === 0) continue;
      if (x < minX) minX = x; if (x > maxX) maxX = x;
      if (y < minY) minY = y; if (y > maxY) maxY = y;
    }
  }
  if (maxX < 0) return NaN;
  // Crop with a margin of one window radius: the filtered values inside the box are then exact.
  const x0 = Math.max(0, minX - SSIM_RADIUS), y0 = Math.max(0, minY - SSIM_RADIUS);
  const x1 = Math.min(width - 1, maxX + SSIM_RADIUS), y1 = Math.min(height - 1, maxY + SSIM_RADIUS);
  const w = x1 - x0 + 1, h = y1 - y0 + 1, n = w * h;
  const ya = new Float32Array(n), yb = new Float32Array(n);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const o = 4 * ((y + y0) * width + x + x0);
      ya[y * w + x] = 0.299 * a.data[o] + 0.587 * a.data[o + 1] + 0.114 * a.data[o + 2];
      yb[y * w + x] = 0.299 * b.data[o] + 0.587 * b.data[o + 1] + 0.114 * b.data[o + 2];
    }
  }
  const kernel = gaussianKernel(SSIM_RADIUS, SSIM_SIGMA);
  const tmp = new Float32Array(n), product = new Float32Array(n);
  const muA = new Float32Array(n), muB = new Float32Array(n), eAA = new Float32Array(n), eBB = new Float32Array(n), eAB = new Float32Array(n);
  gaussianBlur(ya, muA, tmp, w, h, kernel);
  gaussianBlur(yb, muB, tmp, w, h, kernel);
  for (let i = 0; i < n; i++) product[i] = ya[i] * ya[i];
  gaussianBlur(product, eAA, tmp, w, h, kernel);
  for (let i = 0; i < n; i++) product[i] = yb[i] * yb[i];
  gaussianBlur(product, eBB, tmp, w, h, kernel);
  for (let i = 0; i < n; i++) product[i] = ya[i] * yb[i];
  gaussianBlur(product, eAB, tmp, w, h, kernel);
  let sum = 0, count = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (mask.data[(y + y0) * width + x + x0] === 0) continue;
      const i = y * w + x;
      const ma = muA[i], mb = muB[i];
      const va = eAA[i] - ma * ma, vb = eBB[i] - mb * mb, cov = eAB[i] - ma * mb;
      sum += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
      count++;
    }
  }
  return sum / count;
}
