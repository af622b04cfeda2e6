/**
 * The detail stage (the paper's HSV fusion): the coarse albedo keeps its hue and saturation, and
 * its value channel receives the high frequencies of V(original) − V(coarse). "High frequencies"
 * = the residual minus its mask-normalised Gaussian blur, so the low-frequency error of the coarse
 * fit stays and only fine detail (pores, freckles, hair) is restored.
 */
import { boxBlur, nonZeroBounds } from './texture-filters.js';
import { giveBackFloat32, takeFloat32 } from '../math/scratch-arrays.js';

/**
 * Soft bound on the value detail (sRGB 0..1), d → L tanh(d / L). Pores, stubble and fine wrinkles
 * stay well inside it; what goes beyond is mostly not albedo: glasses frames, specular dots,
 * nostril and eyelid-crease shadows, and edges that a pixel of fit jitter moves. Measured on the 6
 * shared FFHQ photos (leave-one-out UVAPM 64², texture 256²): unbounded, photo 00021 (glasses)
 * moved by RMS 0.041 under the ramp relighting (its refit shifts the frames by about 2 px) at 18.70
 * dB mean face PSNR against the FFHQ-UV truth; L 0.06: 0.021 at 19.06 dB; L 0.03: 0.015 at 19.12 dB.
 */
export const DETAIL_LIMIT = 0.03;

/**
 * values − their weighted low-pass (three box passes of radius r, about a Gaussian of σ ≈
 * √(r (r + 1))), softly bounded by `limit` (d → limit tanh(d / limit)); 0 where the weight is 0.
 * The detail stage's separation of fine detail from the coarse fit's low-frequency error, for the
 * photo and for the maps a detail model learns from. The result comes from the reused scratch
 * (../math/scratch-arrays.ts), where a caller may give it back.
 */
export function boundedHighPass(values: Float32Array, weight: Float32Array, size: number, sigma: number, limit = DETAIL_LIMIT): Float32Array {
  const texels = size * size, lowPass = takeFloat32(texels * 2);
  // Weights above 0 lie inside the box of those that are not +0: only its rows are visited, and
  // the low-pass is read only there (the blur stops below and right of it).
  const weighted = new Int32Array(4);
  nonZeroBounds(weight, size, weighted);
  const first = weighted[2] * size, end = (weighted[3] + 1) * size;
  for (let p = first; p < end; p++) {
    const w = weight[p];
    if (!(w > 0)) continue;
    lowPass[2 * p] = w * values[p];
    lowPass[2 * p + 1] = w;
  }
  const radius = Math.max(1, Math.round(Math.sqrt(sigma * sigma + 0.25) - 0.5));
  boxBlur(lowPass, size, 2, radius, 3, { rows: weighted[3] + 1, columns: weighted[1] + 1 });
  const out = takeFloat32(texels);
  for (let p = first; p < end; p++) {
    if (!(weight[p] > 0)) continue;
    const low = lowPass[2 * p + 1] > 1e-6 ? lowPass[2 * p] / lowPass[2 * p + 1] : 0;
    out[p] = limit * Math.tanh((values[p] - low) / limit);
  }
  giveBackFloat32(lowPass);
  return out;
}

export function rgbToHsv(r: number, g: number, b: number, out: Float32Array | number[], o = 0): void {
  const max = Math.max(r, g, b), min = Math.min(r, g, b), delta = max - min;
  let h = 0;
  if (delta > 0) {
    if (max === r) h = ((g - b) / delta) % 6;
    else if (max === g) h = (b - r) / delta + 2;
    else h = (r - g) / delta + 4;
    h /= 6;
    if (h < 0) h += 1;
  }
  out[o] = h;
  out[o + 1] = max > 0 ? delta / max : 0;
  out[o + 2] = max;
}

export function hsvToRgb(h: number, s: number, v: number, out: Float32Array | number[], o = 0): void {
  const h6 = (h - Math.floor(h)) * 6;
  const i = Math.floor(h6), f = h6 - i;
  const p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  // Per sector, which of v, t, p, q each channel takes (no temporaries: this runs per texel).
  switch (i % 6) {
    case 0: out[o] = v; out[o + 1] = t; out[o + 2] = p; break;
    case 1: out[o] = q; out[o + 1] = v; out[o + 2] = p; break;
    case 2: out[o] = p; out[o + 1] = v; out[o + 2] = t; break;
    case 3: out[o] = p; out[o + 1] = q; out[o + 2] = v; break;
    case 4: out[o] = t; out[o + 1] = p; out[o + 2] = v; break;
    default: out[o] = v; out[o + 1] = p; out[o + 2] = q;
  }
}

/** Separable Gaussian blur of `values` restricted to the mask (normalised convolution). */
export function maskedGaussianBlur(values: Float32Array, mask: Uint8Array, size: number, sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = new Float32Array(2 * radius + 1);
  for (let i = -radius; i <= radius; i++) kernel[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  const D = size * size;
  const num = new Float32Array(D), den = new Float32Array(D);
  for (let t = 0; t < D; t++) if (mask[t]) { num[t] = values[t]; den[t] = 1; }
  const pass = (src: Float32Array, horizontal: boolean): Float32Array => {
    const dst = new Float32Array(D);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let s = 0;
        for (let k = -radius; k <= radius; k++) {
          const xx = horizontal ? x + k : x, yy = horizontal ? y : y + k;
          if (xx < 0 || yy < 0 || xx >= size || yy >= size) continue;
          s += kernel[k + radius] * src[yy * size + xx];
        }
        dst[y * size + x] = s;
      }
    }
    return dst;
  };
  const n = pass(pass(num, true), false), d = pass(pass(den, true), false);
  const out = new Float32Array(D);
  for (let t = 0; t < D; t++) out[t] = d[t] > 1e-6 ? n[t] / d[t] : 0;
  return out;
}

export interface DetailOptions {
  /** Gaussian σ (texels at the map's size) separating detail from the coarse fit's error; default size / 128, at least 1. */
  sigma?: number;
}

/**
 * Fuses `original`'s high-frequency value detail into `coarse` (both planar r, g, b, sRGB 0..1) on
 * the masked texels; outside the mask the coarse map is returned unchanged.
 */
export function fuseDetail(coarse: Float32Array, original: Float32Array, mask: Uint8Array, size: number, options: DetailOptions = {}): Float32Array {
  const D = size * size;
  const sigma = options.sigma ?? Math.max(1, size / 128);
  const coarseHsv = planesToHsv(coarse, D);
  const residual = new Float32Array(D);
  const hsv = new Float32Array(3);
  for (let t = 0; t < D; t++) {
    if (!mask[t]) continue;
    rgbToHsv(original[t], original[D + t], original[2 * D + t], hsv, 0);
    residual[t] = hsv[2] - coarseHsv[3 * t + 2];
  }
  const low = maskedGaussianBlur(residual, mask, size, sigma);
  const detail = new Float32Array(D);
  for (let t = 0; t < D; t++) if (mask[t]) detail[t] = residual[t] - low[t];
  return applyValueDetail(coarseHsv, detail, D, coarse);
}

/** Planar r, g, b (D texels each) -> interleaved h, s, v. */
export function planesToHsv(planes: Float32Array, D: number, out = new Float32Array(3 * D)): Float32Array {
  for (let t = 0; t < D; t++) rgbToHsv(planes[t], planes[D + t], planes[2 * D + t], out, 3 * t);
  return out;
}

/**
 * The paper's fusion: H and S of the coarse map, V = V_coarse + detail (clamped to 0..1), as planar
 * r, g, b. Texels whose detail is exactly 0 keep `coarse` bit for bit.
 */
export function applyValueDetail(coarseHsv: Float32Array, detail: Float32Array, D: number, coarse: Float32Array): Float32Array {
  const fused = Float32Array.from(coarse);
  const rgb = new Float32Array(3);
  for (let t = 0; t < D; t++) {
    if (detail[t] === 0) continue;
    valueDetailAt(coarseHsv, detail, D, coarse, t, rgb);
    fused[t] = rgb[0];
    fused[D + t] = rgb[1];
    fused[2 * D + t] = rgb[2];
  }
  return fused;
}

/**
 * valueDetailAt on an interleaved sRGB map without a stored HSV copy: texel t's fused r, g, b
 * into `out`, given its detail. `hsv` (3 values) is scratch; being a Float32Array it rounds H, S
 * and V as planesToHsv stores them, so the result is valueDetailAt's bit for bit.
 */
export function valueDetailAtInterleaved(coarse: Float32Array, t: number, detail: number, hsv: Float32Array, out: Float32Array): void {
  const r = coarse[3 * t], g = coarse[3 * t + 1], b = coarse[3 * t + 2];
  if (detail === 0) {
    out[0] = r; out[1] = g; out[2] = b;
    return;
  }
  rgbToHsv(r, g, b, hsv, 0);
  fuseTexelValue(hsv[0], hsv[1], hsv[2], detail, out);
}

/** applyValueDetail's texel t (sRGB r, g, b) into `out`, for callers that need one texel at a time. */
export function valueDetailAt(coarseHsv: Float32Array, detail: Float32Array, D: number, coarse: Float32Array, t: number, out: Float32Array): void {
  if (detail[t] === 0) {
    out[0] = coarse[t]; out[1] = coarse[D + t]; out[2] = coarse[2 * D + t];
    return;
  }
  fuseTexelValue(coarseHsv[3 * t], coarseHsv[3 * t + 1], coarseHsv[3 * t + 2], detail[t], out);
}

/** One texel of the fusion: hue and saturation (clamped) of the coarse colour, its value plus the detail (clamped), as sRGB r, g, b into `out`. */
function fuseTexelValue(h: number, s: number, v: number, detail: number, out: Float32Array): void {
  hsvToRgb(h, Math.min(1, Math.max(0, s)), Math.min(1, Math.max(0, v + detail)), out, 0);
}
