/**
 * Skin mask of one face from the dense mesh: the face-oval polygon minus the eyes, brows and lips
 * (each slightly enlarged so lashes, brow hair and lip edges stay out), intersected with the selfie
 * person mask (which removes background and occluding hair at the face outline) when that mask is
 * plausible. No face-parsing
 * network ships in npm (see docs/MODELS.md), so regions come from the mesh alone.
 */
import type { Mask } from '../../types.js';
import { FACE_OVAL, LEFT_BROW, LEFT_EYE, LIPS_OUTER, RIGHT_BROW, RIGHT_EYE } from './mesh-regions.js';

/** Enlargement of the brows about their centroid, so the brow hairs beyond the mesh's contour are in. */
export const BROW_GROWTH = 1.2;

/** Enlargement of excluded regions about their centroid. */
const EXCLUDED: [Uint16Array, number][] = [
  [RIGHT_EYE, 1.35],
  [LEFT_EYE, 1.35],
  [RIGHT_BROW, BROW_GROWTH],
  [LEFT_BROW, BROW_GROWTH],
  [LIPS_OUTER, 1.1],
];

/** The person mask is applied only when it covers at least this share of the mesh's skin region. */
const PERSON_MASK_MIN_AGREEMENT = 0.5;

/**
 * Person probability grid (model resolution) -> binary mask at image size (255 where p >= 0.5).
 * sampleBilinear's arithmetic, with each column's and row's taps and weights found once. The
 * pixels between the same four grid values are a convex mix of them (rounding errors under 1e-15):
 * where all four lie clearly on one side of 0.5 the whole run is set, or left, at once.
 */
export function personProbabilityToImage(probability: Float32Array, gridW: number, gridH: number, width: number, height: number): Mask {
  const data = new Uint8Array(width * height);
  const sx = gridW / width, sy = gridH / height;
  const columns = bilinearTaps(width, sx, gridW), rows = bilinearTaps(height, sy, gridH);
  // Runs of pixels that share their left tap (the taps rise with x).
  const runEnds: number[] = [];
  for (let x = 1; x <= width; x++) if (x === width || columns.low[x] !== columns.low[x - 1]) runEnds.push(x);
  const margin = 1e-6;
  for (let y = 0; y < height; y++) {
    const top = rows.low[y] * gridW, bottom = rows.high[y] * gridW, fy = rows.fraction[y];
    const row = y * width;
    for (let r = 0, x = 0; r < runEnds.length; r++) {
      const end = runEnds[r];
      const x0 = columns.low[x], x1 = columns.high[end - 1];
      const a = probability[top + x0], b = probability[top + x1], c = probability[bottom + x0], d = probability[bottom + x1];
      const least = Math.min(a, b, c, d), most = Math.max(a, b, c, d);
      if (least >= 0.5 + margin) {
        data.fill(255, row + x, row + end);
      } else if (most >= 0.5 - margin) {
        for (; x < end; x++) {
          const fx = columns.fraction[x];
          const upper = probability[top + x0] * (1 - fx) + probability[top + x1] * fx;
          const lower = probability[bottom + x0] * (1 - fx) + probability[bottom + x1] * fx;
          if (upper * (1 - fy) + lower * fy >= 0.5) data[row + x] = 255;
        }
      }
      x = end;
    }
  }
  return { width, height, data };
}

/**
 * sampleBilinear's taps along one axis for `count` output pixels, pixel i at (i + 0.5) * scale - 0.5
 * in a grid `size` long (edges clamped): lower and upper index, and the upper one's weight.
 */
function bilinearTaps(count: number, scale: number, size: number): { low: Int32Array; high: Int32Array; fraction: Float64Array } {
  const low = new Int32Array(count), high = new Int32Array(count), fraction = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let t = (i + 0.5) * scale - 0.5;
    t = t < 0 ? 0 : t > size - 1 ? size - 1 : t;
    const t0 = Math.floor(t);
    low[i] = t0;
    high[i] = t0 < size - 1 ? t0 + 1 : t0;
    fraction[i] = t - t0;
  }
  return { low, high, fraction };
}

/**
 * Face skin mask at the person mask's size from 468 mesh points (xyz interleaved, image pixels).
 * With keepFeatures, eyes, brows and lips stay in: the face region the texture is taken from.
 */
export function buildSkinMask(landmarks468: Float32Array, personMask: Mask, options: { keepFeatures?: boolean } = {}): Mask {
  const { width, height } = personMask;
  const data = new Uint8Array(width * height);
  const oval = fillPolygon(data, width, height, polygonOf(landmarks468, FACE_OVAL, 1), 255);
  if (!options.keepFeatures) {
    for (const [indices, grow] of EXCLUDED) fillPolygon(data, width, height, polygonOf(landmarks468, indices, grow), 0);
  }
  // The person mask trims background and hair at the outline; when it disagrees with the face mesh
  // wholesale (it fails on some greyscale and low-contrast photos) it is wrong, not the mesh.
  // Nothing outside the oval's filled box is set: only that box is read.
  let inside = 0, kept = 0;
  for (let y = oval.top; y <= oval.bottom; y++) {
    for (let i = y * width + oval.left, end = y * width + oval.right; i <= end; i++) {
      if (data[i] === 0) continue;
      inside++;
      if (personMask.data[i] !== 0) kept++;
    }
  }
  if (inside > 0 && kept >= PERSON_MASK_MIN_AGREEMENT * inside) {
    for (let y = oval.top; y <= oval.bottom; y++) {
      for (let i = y * width + oval.left, end = y * width + oval.right; i <= end; i++) if (personMask.data[i] === 0) data[i] = 0;
    }
  }
  return { width, height, data };
}

/**
 * The brows' region at width × height from 468 mesh points (image pixels): the albedo takes the
 * photo's own colour there (src/albedo/photo-brows.ts), since brow hair is albedo that no skin
 * model makes. The same polygons the skin mask leaves out.
 */
export function buildBrowMask(landmarks468: Float32Array, width: number, height: number): Mask {
  const data = new Uint8Array(width * height);
  for (const brow of [RIGHT_BROW, LEFT_BROW]) fillPolygon(data, width, height, polygonOf(landmarks468, brow, BROW_GROWTH), 255);
  return { width, height, data };
}

/** xy polygon of mesh points `indices`, scaled by `grow` about its centroid. */
export function polygonOf(points: Float32Array, indices: Uint16Array, grow: number): Float64Array {
  const polygon = new Float64Array(indices.length * 2);
  let cx = 0, cy = 0;
  for (let i = 0; i < indices.length; i++) {
    polygon[2 * i] = points[3 * indices[i]];
    polygon[2 * i + 1] = points[3 * indices[i] + 1];
    cx += polygon[2 * i];
    cy += polygon[2 * i + 1];
  }
  cx /= indices.length;
  cy /= indices.length;
  for (let i = 0; i < indices.length; i++) {
    polygon[2 * i] = cx + (polygon[2 * i] - cx) * grow;
    polygon[2 * i + 1] = cy + (polygon[2 * i + 1] - cy) * grow;
  }
  return polygon;
}

/** Pixel rows and columns (inclusive) that a fill wrote to; empty (top > bottom) when it wrote none. */
export interface FilledBox { left: number; right: number; top: number; bottom: number }

/** Scanline fill (even-odd rule) of pixels whose centres lie inside `polygon`; returns the box of the pixels written. */
export function fillPolygon(data: Uint8Array, width: number, height: number, polygon: Float64Array, value: number): FilledBox {
  const n = polygon.length / 2;
  let minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    minY = Math.min(minY, polygon[2 * i + 1]);
    maxY = Math.max(maxY, polygon[2 * i + 1]);
  }
  const filled: FilledBox = { left: width, right: -1, top: height, bottom: -1 };
  const crossings = new Float64Array(n);
  for (let y = Math.max(0, Math.ceil(minY)); y <= Math.min(height - 1, Math.floor(maxY)); y++) {
    let count = 0;
    for (let i = 0, j = n - 1; i < n; j = i++) {
      const yi = polygon[2 * i + 1], yj = polygon[2 * j + 1];
      if ((yi <= y) !== (yj <= y)) {
        const xi = polygon[2 * i], xj = polygon[2 * j];
        crossings[count++] = xi + ((y - yi) / (yj - yi)) * (xj - xi);
      }
    }
    const sorted = crossings.subarray(0, count).sort();
    for (let k = 0; k + 1 < count; k += 2) {
      const from = Math.max(0, Math.ceil(sorted[k]));
      const to = Math.min(width - 1, Math.floor(sorted[k + 1]));
      if (from > to) continue;
      data.fill(value, y * width + from, y * width + to + 1);
      if (from < filled.left) filled.left = from;
      if (to > filled.right) filled.right = to;
      if (y < filled.top) filled.top = y;
      filled.bottom = y;
    }
  }
  return filled;
}
