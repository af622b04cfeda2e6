/**
 * Skin mask of one face from the dense mesh: the face-oval polygon minus the eyes, brows and lips
 * (each slightly enlarged so lashes, brow hair and lip edges stay out), intersected with the selfie
 * person mask (which removes background and occluding hair at the face outline) when that mask is
 * plausible. No face-parsing
 * network ships in npm (see docs/MODELS.md), so regions come from the mesh alone.
 */
import type { Mask } from '../../types.js';
import { sampleBilinear } from '../../image/resize.js';
import { FACE_OVAL, LEFT_BROW, LEFT_EYE, LIPS_OUTER, RIGHT_BROW, RIGHT_EYE } from './mesh-regions.js';

/** Enlargement of the brows about their centroid, so the brow hairs beyond the mesh's contour are in. */
const BROW_GROWTH = 1.2;

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

/** Person probability grid (model resolution) -> binary mask at image size (255 where p >= 0.5). */
export function personProbabilityToImage(probability: Float32Array, gridW: number, gridH: number, width: number, height: number): Mask {
  const data = new Uint8Array(width * height);
  const sx = gridW / width, sy = gridH / height;
  for (let y = 0; y < height; y++) {
    const v = (y + 0.5) * sy - 0.5;
    for (let x = 0; x < width; x++) {
      if (sampleBilinear(probability, gridW, gridH, (x + 0.5) * sx - 0.5, v) >= 0.5) data[y * width + x] = 255;
    }
  }
  return { width, height, data };
}

/**
 * Face skin mask at the person mask's size from 468 mesh points (xyz interleaved, image pixels).
 * With keepFeatures, eyes, brows and lips stay in: the face region the texture is taken from.
 */
export function buildSkinMask(landmarks468: Float32Array, personMask: Mask, options: { keepFeatures?: boolean } = {}): Mask {
  const { width, height } = personMask;
  const data = new Uint8Array(width * height);
  fillPolygon(data, width, height, polygonOf(landmarks468, FACE_OVAL, 1), 255);
  if (!options.keepFeatures) {
    for (const [indices, grow] of EXCLUDED) fillPolygon(data, width, height, polygonOf(landmarks468, indices, grow), 0);
  }
  // The person mask trims background and hair at the outline; when it disagrees with the face mesh
  // wholesale (it fails on some greyscale and low-contrast photos) it is wrong, not the mesh.
  let inside = 0, kept = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 0) continue;
    inside++;
    if (personMask.data[i] !== 0) kept++;
  }
  if (inside > 0 && kept >= PERSON_MASK_MIN_AGREEMENT * inside) {
    for (let i = 0; i < data.length; i++) if (personMask.data[i] === 0) data[i] = 0;
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
function polygonOf(points: Float32Array, indices: Uint16Array, grow: number): Float64Array {
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

/** Scanline fill (even-odd rule) of pixels whose centres lie inside `polygon`. */
export function fillPolygon(data: Uint8Array, width: number, height: number, polygon: Float64Array, value: number): void {
  const n = polygon.length / 2;
  let minY = Infinity, maxY = -Infinity;
  for (let i = 0; i < n; i++) {
    minY = Math.min(minY, polygon[2 * i + 1]);
    maxY = Math.max(maxY, polygon[2 * i + 1]);
  }
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
      if (from <= to) data.fill(value, y * width + from, y * width + to + 1);
    }
  }
}
