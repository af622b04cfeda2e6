/**
 * Resampling on typed arrays: area-averaging downscale, bilinear sampling, and affine crops written
 * straight into NCHW float tensors (the model inputs), so no intermediate image is allocated.
 * Pixel centres are at integer coordinates (see ../types.ts).
 */
import type { RgbaImage } from '../types.js';

/** Row-major 2x3 affine matrix [a, b, c, d, e, f]: source = (a*x + b*y + c, d*x + e*y + f). */
export type Affine2x3 = Float64Array | number[];

export interface CropOptions {
  /** Only 'nchw' (planar RGB) is produced; named so call sites read unambiguously. */
  layout?: 'nchw';
  /** 0..255 maps linearly to lo..hi (default [0, 1]). */
  range?: [number, number];
  /** Mirror the crop left-right (for models trained on one eye). */
  flipHorizontal?: boolean;
  /** Outside the image: 'clamp' repeats edge pixels (default), 'zero' writes black (letterboxing). */
  border?: 'clamp' | 'zero';
}

/**
 * Samples `image` at source = matrix * (x, y, 1) for every output pixel (bilinear, edges clamped)
 * and writes RGB planes into `out` (length 3*outW*outH), scaled to `range`.
 */
export function cropAffine(
  image: RgbaImage,
  matrix: Affine2x3,
  outW: number,
  outH: number,
  out: Float32Array = new Float32Array(3 * outW * outH),
  options: CropOptions = {},
): Float32Array {
  const [lo, hi] = options.range ?? [0, 1];
  sampleAffine(
    image.data, image.width, image.height, matrix[0], matrix[1], matrix[2], matrix[3], matrix[4], matrix[5],
    outW, outH, out, lo, (hi - lo) / 255, options.flipHorizontal === true, options.border === 'zero',
  );
  return out;
}

/**
 * cropAffine's per-pixel loop on plain numbers. With the options object read in the loop (each call
 * site's options another shape) and the mirrored column only computed for mirrored crops, a cold
 * run's crops (detector letterbox, mesh, mirrored iris, pose check, segmentation) deoptimized it
 * 6 times, each time back to the interpreter: 60 ms of a cold `create`'s detect stage.
 */
function sampleAffine(
  data: RgbaImage['data'], width: number, height: number,
  a: number, b: number, c: number, d: number, e: number, f: number,
  outW: number, outH: number, out: Float32Array, lo: number, scale: number, flip: boolean, zeroBorder: boolean,
): void {
  const plane = outW * outH;
  const maxX = width - 1, maxY = height - 1, lastColumn = outW - 1;
  // The source column: x, or outW - 1 - x mirrored, as the same start + step * x either way (exact integers).
  const columnStart = flip ? lastColumn : 0, columnStep = flip ? -1 : 1;
  for (let y = 0; y < outH; y++) {
    // The row's terms, computed once: a * sx + by + c is the same sum, term for term, as a * sx + b * y + c.
    const by = b * y, ey = e * y;
    for (let x = 0; x < outW; x++) {
      const sx = columnStart + columnStep * x;
      let u = a * sx + by + c;
      let v = d * sx + ey + f;
      const o = y * outW + x;
      if (zeroBorder && (u < -0.5 || v < -0.5 || u > maxX + 0.5 || v > maxY + 0.5)) {
        out[o] = out[plane + o] = out[2 * plane + o] = lo;
        continue;
      }
      u = u < 0 ? 0 : u > maxX ? maxX : u;
      v = v < 0 ? 0 : v > maxY ? maxY : v;
      // u and v are clamped to 0 or more, where truncation is Math.floor.
      const x0 = u | 0, y0 = v | 0;
      const x1 = x0 < maxX ? x0 + 1 : x0, y1 = y0 < maxY ? y0 + 1 : y0;
      const fx = u - x0, fy = v - y0;
      const w00 = (1 - fx) * (1 - fy), w10 = fx * (1 - fy), w01 = (1 - fx) * fy, w11 = fx * fy;
      const p00 = (y0 * width + x0) * 4, p10 = (y0 * width + x1) * 4, p01 = (y1 * width + x0) * 4, p11 = (y1 * width + x1) * 4;
      out[o] = lo + (data[p00] * w00 + data[p10] * w10 + data[p01] * w01 + data[p11] * w11) * scale;
      out[plane + o] = lo + (data[p00 + 1] * w00 + data[p10 + 1] * w10 + data[p01 + 1] * w01 + data[p11 + 1] * w11) * scale;
      out[2 * plane + o] = lo + (data[p00 + 2] * w00 + data[p10 + 2] * w10 + data[p01 + 2] * w01 + data[p11 + 2] * w11) * scale;
    }
  }
}

/** Mirrors a planar (channel-major) crop `width` pixels wide left to right, in place: what cropAffine's flipHorizontal samples. */
export function flipPlanesHorizontally(planes: Float32Array, width: number): void {
  for (let row = 0; row < planes.length / width; row++) {
    for (let left = row * width, right = left + width - 1; left < right; left++, right--) {
      const value = planes[left];
      planes[left] = planes[right];
      planes[right] = value;
    }
  }
}

/**
 * The affine matrix mapping an outSize x outSize crop to a square of side `size` source pixels
 * centred at (cx, cy) and rotated by `angle` radians (positive = clockwise in the y-down image).
 */
export function squareCropMatrix(cx: number, cy: number, size: number, angle: number, outSize: number): Float64Array {
  const s = size / outSize;
  const cos = Math.cos(angle) * s, sin = Math.sin(angle) * s;
  // Output pixel centre (outSize-1)/2 lands on (cx, cy).
  const h = (outSize - 1) / 2;
  return Float64Array.of(cos, -sin, cx - cos * h + sin * h, sin, cos, cy - sin * h - cos * h);
}

/** Applies a 2x3 affine to (x, y). */
export function applyAffine(m: Affine2x3, x: number, y: number): [number, number] {
  return [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]];
}

/** Bilinear sample of a single-channel float grid at (x, y), edges clamped. */
export function sampleBilinear(values: Float32Array, width: number, height: number, x: number, y: number): number {
  x = x < 0 ? 0 : x > width - 1 ? width - 1 : x;
  y = y < 0 ? 0 : y > height - 1 ? height - 1 : y;
  const x0 = Math.floor(x), y0 = Math.floor(y);
  const x1 = x0 < width - 1 ? x0 + 1 : x0, y1 = y0 < height - 1 ? y0 + 1 : y0;
  const fx = x - x0, fy = y - y0;
  const top = values[y0 * width + x0] * (1 - fx) + values[y0 * width + x1] * fx;
  const bottom = values[y1 * width + x0] * (1 - fx) + values[y1 * width + x1] * fx;
  return top * (1 - fy) + bottom * fy;
}

/** Bilinear resize of a single-channel float grid (pixel-centre aligned, like half-pixel resize). */
export function resizeBilinearGray(values: Float32Array, width: number, height: number, outW: number, outH: number): Float32Array {
  const out = new Float32Array(outW * outH);
  const sx = width / outW, sy = height / outH;
  for (let y = 0; y < outH; y++) {
    const v = (y + 0.5) * sy - 0.5;
    for (let x = 0; x < outW; x++) out[y * outW + x] = sampleBilinear(values, width, height, (x + 0.5) * sx - 0.5, v);
  }
  return out;
}

/** Per output index along one axis: source indices and weights covering its footprint (box filter). */
function areaWeights(srcSize: number, dstSize: number): { start: Int32Array; count: Int32Array; weights: Float32Array; stride: number } {
  const ratio = srcSize / dstSize;
  const stride = Math.ceil(ratio) + 1;
  const start = new Int32Array(dstSize);
  const count = new Int32Array(dstSize);
  const weights = new Float32Array(dstSize * stride);
  for (let i = 0; i < dstSize; i++) {
    const from = i * ratio, to = Math.min(srcSize, (i + 1) * ratio);
    const first = Math.floor(from);
    start[i] = first;
    let n = 0;
    for (let s = first; s < to && n < stride; s++, n++) {
      weights[i * stride + n] = (Math.min(to, s + 1) - Math.max(from, s)) / ratio;
    }
    count[i] = n;
  }
  return { start, count, weights, stride };
}

/** Downscales by area averaging (each output pixel is the mean of the source area it covers). */
export function downscaleArea(image: RgbaImage, outW: number, outH: number): RgbaImage {
  const { width, height, data } = image;
  const wx = areaWeights(width, outW);
  const wy = areaWeights(height, outH);
  // Horizontal pass into floats, row by row, then vertical accumulation into the output.
  const rows = new Float32Array(height * outW * 4);
  for (let y = 0; y < height; y++) {
    const srcRow = y * width * 4;
    const dstRow = y * outW * 4;
    for (let x = 0; x < outW; x++) {
      let r = 0, g = 0, b = 0, a = 0;
      const base = x * wx.stride;
      for (let k = 0; k < wx.count[x]; k++) {
        const w = wx.weights[base + k];
        const p = srcRow + (wx.start[x] + k) * 4;
        r += data[p] * w;
        g += data[p + 1] * w;
        b += data[p + 2] * w;
        a += data[p + 3] * w;
      }
      const o = dstRow + x * 4;
      rows[o] = r;
      rows[o + 1] = g;
      rows[o + 2] = b;
      rows[o + 3] = a;
    }
  }
  const out = new Uint8Array(outW * outH * 4);
  const acc = new Float32Array(outW * 4);
  for (let y = 0; y < outH; y++) {
    acc.fill(0);
    const base = y * wy.stride;
    for (let k = 0; k < wy.count[y]; k++) {
      const w = wy.weights[base + k];
      const srcRow = (wy.start[y] + k) * outW * 4;
      for (let i = 0; i < outW * 4; i++) acc[i] += rows[srcRow + i] * w;
    }
    const dstRow = y * outW * 4;
    for (let i = 0; i < outW * 4; i++) out[dstRow + i] = acc[i] + 0.5;
  }
  return { width: outW, height: outH, data: out };
}
