/**
 * Deep shade over the face: skin that a cap's brim, a hand or hard side light leaves far darker than
 * the lower face's. The albedo stage explains the photo with nine-coefficient spherical-harmonics
 * light, which casts no shadows: fitted as lit skin, such shade drags the light and the albedo
 * model's colour modes into false colours. On deep3d 015259 (a golf cap) the avatar had violet
 * and yellow blotches round the eyes and heavy black brows painted from the brim's shade.
 *
 * The shade is told from dark features (brows, lashes, nostrils, a beard's stubble) by its extent:
 * the skin's level is averaged over a coarse grid on the face (cells about a twentieth of its
 * width, blurred over several) before it is compared with the lower face's median. Pixels lose
 * their trust smoothly as that level falls from SHADE_FULL to SHADE_NONE of the reference, so a
 * relit photo moves the weights a little, not across a threshold.
 */
import type { Mask, RgbaImage } from '../../types.js';
import { boxBlur } from '../../albedo/texture-filters.js';
import { LUMINANCE_WEIGHTS, SRGB_TO_LINEAR } from '../../image/srgb.js';
import { FACE_OVAL } from './mesh-regions.js';

/** Grid cells across the face's box (square cells on a square grid). */
const GRID = 48;
/** Box radius (cells) of the level's blur; two passes. */
const BLUR_RADIUS = 2;
/** Local skin level over the lower face's median at and below which a pixel keeps no trust. */
export const SHADE_NONE = 0.25;
/** Level from which a pixel keeps its full trust. */
export const SHADE_FULL = 0.45;
/** Columns (each side) over which the lower face's level per column is pooled. */
const COLUMN_RADIUS = 3;
/** Lower-face pixels a pooled column needs to be its own reference (else the whole lower face's median). */
const MIN_COLUMN_PIXELS = 20;
/** Samples per cell along each axis. */
const SAMPLES_PER_CELL = 4;
/** Lower-face samples needed for a reference at all. */
const MIN_REFERENCE_SAMPLES = 50;
/** MediaPipe's nose tip: the lower face, the reference, lies below it. */
const NOSE_TIP = 1;

export interface ShadeMap {
  /** Per skin pixel's neighbourhood, its trust 0..1 (1 unshaded), on the grid. */
  trust: Float32Array;
  left: number;
  top: number;
  /** Pixels per cell. */
  cell: number;
  /** The lower face's median skin luminance (linear), the reference. */
  reference: number;
}

function luminanceAt(image: RgbaImage, p: number): number {
  const d = image.data;
  return LUMINANCE_WEIGHTS[0] * SRGB_TO_LINEAR[d[4 * p]] + LUMINANCE_WEIGHTS[1] * SRGB_TO_LINEAR[d[4 * p + 1]] + LUMINANCE_WEIGHTS[2] * SRGB_TO_LINEAR[d[4 * p + 2]];
}

/**
 * The shade map of one face: `skinMask` (at the image's size) gives the skin pixels whose level is
 * averaged; null when no part of the face is shaded, or the lower face shows too little skin to be
 * a reference.
 */
export function deepShadeMap(image: RgbaImage, skinMask: Mask, landmarks468: Float32Array): ShadeMap | null {
  const { width: W, height: H } = image;
  if (skinMask.width !== W || skinMask.height !== H) return null;
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const i of FACE_OVAL) {
    minX = Math.min(minX, landmarks468[3 * i]); maxX = Math.max(maxX, landmarks468[3 * i]);
    minY = Math.min(minY, landmarks468[3 * i + 1]); maxY = Math.max(maxY, landmarks468[3 * i + 1]);
  }
  const cell = Math.max(1, Math.max(maxX - minX, maxY - minY) / (GRID - 2 * BLUR_RADIUS - 2));
  const left = (minX + maxX) / 2 - (GRID / 2) * cell, top = (minY + maxY) / 2 - (GRID / 2) * cell;
  const noseY = landmarks468[3 * NOSE_TIP + 1];
  const sums = new Float32Array(2 * GRID * GRID);
  // A few samples per cell and axis are enough for a level blurred over several cells.
  const stride = Math.max(1, Math.floor(cell / SAMPLES_PER_CELL));
  // The lower face's skin per grid column: each column's shade is judged against the skin below
  // the nose on its own side, so light from one side (the whole far half dark) is not shade.
  const lowerSums = new Float32Array(2 * GRID);
  const lower = new Float32Array(Math.ceil((maxX - minX + 1) / stride + 1) * Math.ceil((maxY - noseY + 1) / stride + 1));
  let lowerCount = 0;
  const x0 = Math.max(0, Math.floor(minX)), x1 = Math.min(W - 1, Math.ceil(maxX));
  const y0 = Math.max(0, Math.floor(minY)), y1 = Math.min(H - 1, Math.ceil(maxY));
  for (let y = y0; y <= y1; y += stride) {
    const gy = Math.min(GRID - 1, Math.max(0, Math.floor((y + 0.5 - top) / cell)));
    for (let x = x0; x <= x1; x += stride) {
      const p = y * W + x, m = skinMask.data[p];
      if (m < 128) continue;
      const gx = Math.min(GRID - 1, Math.max(0, Math.floor((x + 0.5 - left) / cell)));
      const L = luminanceAt(image, p), g = gy * GRID + gx;
      sums[2 * g] += L;
      sums[2 * g + 1] += 1;
      if (y > noseY && lowerCount < lower.length) {
        lower[lowerCount++] = L;
        lowerSums[2 * gx] += L;
        lowerSums[2 * gx + 1] += 1;
      }
    }
  }
  if (lowerCount < MIN_REFERENCE_SAMPLES) return null;
  const reference = lower.subarray(0, lowerCount).sort()[lowerCount >> 1];
  if (!(reference > 0)) return null;
  boxBlur(sums, GRID, 2, BLUR_RADIUS, 2);
  const columnReference = blurredColumns(lowerSums, COLUMN_RADIUS);
  const trust = new Float32Array(GRID * GRID).fill(1);
  let shaded = false;
  for (let g = 0; g < GRID * GRID; g++) {
    if (!(sums[2 * g + 1] > 1e-3)) continue;
    const gx = g % GRID;
    const below = columnReference[2 * gx + 1] >= MIN_COLUMN_PIXELS ? columnReference[2 * gx] / columnReference[2 * gx + 1] : reference;
    const ratio = sums[2 * g] / sums[2 * g + 1] / below;
    trust[g] = Math.min(1, Math.max(0, (ratio - SHADE_NONE) / (SHADE_FULL - SHADE_NONE)));
    if (trust[g] < 1) shaded = true;
  }
  if (!shaded) return null;
  return { trust, left, top, cell, reference };
}

/** Per column, (sum, count) pooled over the columns within `radius` (interleaved pairs, GRID columns). */
function blurredColumns(pairs: Float32Array, radius: number): Float32Array {
  const out = new Float32Array(pairs.length);
  for (let gx = 0; gx < GRID; gx++) {
    for (let k = Math.max(0, gx - radius); k <= Math.min(GRID - 1, gx + radius); k++) {
      out[2 * gx] += pairs[2 * k];
      out[2 * gx + 1] += pairs[2 * k + 1];
    }
  }
  return out;
}

/**
 * `mask` (any size; values are trust 0..255) with each pixel's value scaled by the shade's trust
 * there (bilinear between cell centres, 1 off the grid); `out` may be the mask's own data.
 */
export function withoutDeepShade(mask: Mask, map: ShadeMap, imageWidth: number, imageHeight: number, out: Uint8Array = Uint8Array.from(mask.data)): Mask {
  if (out !== mask.data) out.set(mask.data);
  const { width, height } = mask;
  const sx = imageWidth / width, sy = imageHeight / height, t = map.trust;
  // Per mask column and row: its grid cell (−1 off the grid, where the trust is 1) and the
  // bilinear weight; per cell, whether any of its four corners is shaded (most are not).
  const gridAxis = (count: number, scale: number, origin: number) => {
    const cellOf = new Int32Array(count).fill(-1), fraction = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const g = ((i + 0.5) * scale - origin) / map.cell - 0.5;
      if (!(g >= 0 && g <= GRID - 1)) continue;
      cellOf[i] = Math.min(GRID - 2, Math.floor(g));
      fraction[i] = g - cellOf[i];
    }
    return { cellOf, fraction };
  };
  const columns = gridAxis(width, sx, map.left), rows = gridAxis(height, sy, map.top);
  const shadedCell = new Uint8Array(GRID * GRID);
  for (let gy = 0; gy < GRID - 1; gy++) {
    for (let gx = 0; gx < GRID - 1; gx++) {
      const g = gy * GRID + gx;
      shadedCell[g] = t[g] < 1 || t[g + 1] < 1 || t[g + GRID] < 1 || t[g + GRID + 1] < 1 ? 1 : 0;
    }
  }
  for (let y = 0; y < height; y++) {
    const ay = rows.cellOf[y];
    if (ay < 0) continue;
    const fy = rows.fraction[y];
    for (let x = 0, p = y * width; x < width; x++, p++) {
      const ax = columns.cellOf[x];
      if (ax < 0 || out[p] === 0) continue;
      const g = ay * GRID + ax;
      if (!shadedCell[g]) continue;
      const fx = columns.fraction[x];
      const trust = (t[g] * (1 - fx) + t[g + 1] * fx) * (1 - fy) + (t[g + GRID] * (1 - fx) + t[g + GRID + 1] * fx) * fy;
      out[p] = Math.round(out[p] * trust);
    }
  }
  return { width, height, data: out };
}
