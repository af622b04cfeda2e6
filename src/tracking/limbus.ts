/**
 * Sub-pixel iris centre from the image: the limbus (the dark iris's edge against the bright sclera)
 * found along rays cast from the Iris model's centre, then an ellipse of the expected shape fitted
 * to the edge points, as classic eye trackers do. The Iris model's centre jitters by a pixel or so
 * from frame to frame and reads an eye's turn short (gaze.ts); one pixel is about 4° of gaze.
 *
 * Rays whose edge lies on or beyond the lids (the FaceMesh eye loop) are dropped: there the dark
 * iris meets skin, not sclera, so the sides of the iris carry the fit and the lids covering its top
 * and bottom do not pull it. The ellipse's shape (the iris disc foreshortened along its axis as the
 * camera sees it) comes from the caller, so only its centre and size are fitted.
 */
import { sampleBilinear } from '../image/resize.js';
import type { RgbaImage } from '../types.js';

/**
 * Rays cast towards each eye corner, spread over ±SECTOR around the corner-to-corner line. The lids
 * cover the iris's top and bottom in most frames; rays there find the lid's edge (iris against skin,
 * also dark to bright) where FaceMesh's lid points are off by a pixel, and pulled the centre up or
 * down (the bench's frames re-fitted: vertical error 0.27 px mean, 0.54 px at the 95th percentile
 * with rays all round, seed 7 alone 0.52 and 1.84 px; 0.20 and 0.50 px with these sectors, seed 7
 * 0.20 and 0.53 px, and 96 % of the open eyes fitted instead of 86 %).
 */
const RAYS_PER_SIDE = 24;
const RAYS = 2 * RAYS_PER_SIDE;
const SECTOR = Math.PI / 4;
/** Each ray is searched from this fraction of the expected radius to the outer one. */
const SEARCH_INNER = 0.45;
const SEARCH_OUTER = 1.6;
/** Search step along a ray, pixels. */
const STEP_PX = 0.25;
/** Half the span (samples) over which the rise is measured: 0.5 px. */
const HALF_SPAN = 2;
/** Samples before and after the steepest rise in which the iris's and the sclera's levels are read: 1.5 px. */
const LEVEL_SPAN = 6;
/** Most samples along one ray. */
const MAX_SAMPLES = 256;
/** An edge point must lie this far inside the lid loop (pixels), and so must the sclera just beyond it. */
const LID_MARGIN_PX = 1;
/** Edges weaker than this fraction of the strongest kept edge are dropped (shadows, lashes, noise). */
const WEAK_EDGE = 0.35;
/** Fewest edge points for a fit, and fewest on each side (image left and right of the centre). */
const MIN_EDGES = 8;
const MIN_EDGES_PER_SIDE = 3;
/** Edge points farther than this from the first fit (pixels) are dropped before the second. */
const OUTLIER_PX = 0.8;
/** Weight of the expected radius in the fit, relative to one edge point. */
const RADIUS_PRIOR = 2;
/** A fitted centre farther than this fraction of the radius from the start is not trusted. */
const MAX_SHIFT = 0.6;

/**
 * The iris disc as the camera sees it: an ellipse with semi-axes `radius` (across its axis) and
 * `radius * foreshortening` along the image direction (axisX, axisY) of the disc's tilt.
 */
export interface IrisEllipseShape {
  radius: number;
  /** 0..1: cosine of the angle between the disc's normal and the line of sight. */
  foreshortening: number;
  /** Unit image direction in which the disc is foreshortened (its normal projected); any when foreshortening is 1. */
  axisX: number;
  axisY: number;
}

export interface LimbusFit {
  x: number;
  y: number;
  /** Fitted semi-axis across the tilt, pixels. */
  radius: number;
  /** Edge points the final fit used. */
  edges: number;
}

/** Scratch buffers of one refinement: the luminance patch around the eye and the edge points. */
export class LimbusScratch {
  patch = new Float32Array(0);
  readonly edgeX = new Float64Array(RAYS);
  readonly edgeY = new Float64Array(RAYS);
  readonly strength = new Float64Array(RAYS);
  readonly keep = new Uint8Array(RAYS);
  readonly profile = new Float64Array(MAX_SAMPLES);
}

/**
 * Luminance of the image's pixels in the box [x0, x0 + width) x [y0, y0 + height) (clamped at the
 * image's edges), into `scratch.patch`.
 */
function lumaPatch(image: RgbaImage, x0: number, y0: number, width: number, height: number, scratch: LimbusScratch): Float32Array {
  if (scratch.patch.length < width * height) scratch.patch = new Float32Array(width * height);
  const patch = scratch.patch, data = image.data;
  for (let y = 0; y < height; y++) {
    const iy = Math.min(image.height - 1, Math.max(0, y0 + y));
    for (let x = 0; x < width; x++) {
      const ix = Math.min(image.width - 1, Math.max(0, x0 + x));
      const p = 4 * (iy * image.width + ix);
      patch[y * width + x] = 0.299 * data[p] + 0.587 * data[p + 1] + 0.114 * data[p + 2];
    }
  }
  return patch;
}

/**
 * Signed distance of (x, y) inside the closed polygon given by `loop` indices into xyz `points`
 * (positive inside, pixels): the distance to the nearest edge, negated outside (even-odd rule).
 */
export function insideLoopDistance(points: Float32Array, loop: ArrayLike<number>, x: number, y: number): number {
  let inside = false, nearest = Infinity;
  for (let i = 0, j = loop.length - 1; i < loop.length; j = i++) {
    const ax = points[3 * loop[j]], ay = points[3 * loop[j] + 1], bx = points[3 * loop[i]], by = points[3 * loop[i] + 1];
    if (ay > y !== by > y && x < ((bx - ax) * (y - ay)) / (by - ay) + ax) inside = !inside;
    const ex = bx - ax, ey = by - ay, length2 = ex * ex + ey * ey;
    const t = length2 > 0 ? Math.min(1, Math.max(0, ((x - ax) * ex + (y - ay) * ey) / length2)) : 0;
    nearest = Math.min(nearest, Math.hypot(x - ax - t * ex, y - ay - t * ey));
  }
  return inside ? nearest : -nearest;
}

/**
 * Refines the iris centre (startX, startY) on `image` to the limbus ellipse of `shape`, with the
 * eye's lid loop (`loop` indices into the 468 xyz `points`) masking the lids and its `corners`
 * (indices too) giving the directions to search. Returns null when too
 * few sclera edges are visible on both sides (a closed or averted eye): keep the model's centre then.
 */
export function fitLimbus(
  image: RgbaImage,
  startX: number,
  startY: number,
  shape: IrisEllipseShape,
  points: Float32Array,
  loop: ArrayLike<number>,
  corners: readonly [number, number],
  scratch = new LimbusScratch(),
): LimbusFit | null {
  const reach = SEARCH_OUTER * shape.radius + 2;
  const x0 = Math.floor(startX - reach), y0 = Math.floor(startY - reach);
  const side = Math.ceil(2 * reach) + 2;
  const patch = lumaPatch(image, x0, y0, side, side, scratch);
  const { edgeX, edgeY, strength, keep } = scratch;
  // The ellipse maps the unit circle by M = radius * (I + (f - 1) a a^T); rays run along M's image of each direction.
  const f = shape.foreshortening, ax = shape.axisX, ay = shape.axisY;
  let strongest = 0;
  const axis = Math.atan2(points[3 * corners[1] + 1] - points[3 * corners[0] + 1], points[3 * corners[1]] - points[3 * corners[0]]);
  for (let ray = 0; ray < RAYS; ray++) {
    const towards = ray < RAYS_PER_SIDE ? 0 : Math.PI;
    const angle = axis + towards + SECTOR * ((2 * (ray % RAYS_PER_SIDE) + 1) / RAYS_PER_SIDE - 1);
    const ux = Math.cos(angle), uy = Math.sin(angle);
    const along = (f - 1) * (ux * ax + uy * ay);
    const dx = ux + along * ax, dy = uy + along * ay;
    const length = Math.hypot(dx, dy);
    // Expected edge distance along this ray, and the unit direction.
    const expected = shape.radius * length, vx = dx / length, vy = dy / length;
    keep[ray] = 0;
    // Luminance along the ray, then its derivative; the limbus is the steepest rise (dark to bright).
    const first = SEARCH_INNER * expected, count = Math.min(MAX_SAMPLES, Math.floor(((SEARCH_OUTER - SEARCH_INNER) * expected) / STEP_PX) + 1);
    const profile = scratch.profile;
    for (let i = 0; i < count; i++) {
      const s = first + i * STEP_PX;
      profile[i] = sampleBilinear(patch, side, side, startX - x0 + vx * s, startY - y0 + vy * s);
    }
    // The steepest rise over one pixel, then where the profile crosses halfway between the iris's
    // level before it and the sclera's after it: on a pixelated edge the bilinear profile rises
    // linearly between two pixel centres, so its steepest point is flat and biased by the edge's
    // sub-pixel phase, while the half-level crossing is where the edge lies.
    let best = 0, peak = -1;
    for (let i = HALF_SPAN; i < count - HALF_SPAN; i++) {
      const gradient = profile[i + HALF_SPAN] - profile[i - HALF_SPAN];
      if (gradient > best) { best = gradient; peak = i; }
    }
    if (peak < 0) continue;
    let dark = Infinity, bright = -Infinity;
    for (let i = Math.max(0, peak - LEVEL_SPAN); i <= peak; i++) dark = Math.min(dark, profile[i]);
    for (let i = peak; i <= Math.min(count - 1, peak + LEVEL_SPAN); i++) bright = Math.max(bright, profile[i]);
    const half = (dark + bright) / 2;
    let crossing = peak;
    while (crossing > 0 && profile[crossing] > half) crossing--;
    while (crossing < count - 2 && profile[crossing + 1] <= half) crossing++;
    const rise = profile[crossing + 1] - profile[crossing];
    const s = first + (crossing + (rise > 0 ? (half - profile[crossing]) / rise : 0.5)) * STEP_PX;
    const x = startX + vx * s, y = startY + vy * s;
    // Both the edge and the sclera just beyond it must be inside the lids.
    if (insideLoopDistance(points, loop, x, y) < LID_MARGIN_PX) continue;
    if (insideLoopDistance(points, loop, x + 1.5 * vx, y + 1.5 * vy) < LID_MARGIN_PX) continue;
    edgeX[ray] = x; edgeY[ray] = y; strength[ray] = best; keep[ray] = 1;
    strongest = Math.max(strongest, best);
  }
  for (let ray = 0; ray < RAYS; ray++) if (keep[ray] && strength[ray] < WEAK_EDGE * strongest) keep[ray] = 0;
  let fit = fitEllipseCentre(scratch, shape, startX, startY, Infinity);
  if (!fit) return null;
  fit = fitEllipseCentre(scratch, shape, fit.x, fit.y, OUTLIER_PX, fit.radius);
  if (!fit || Math.hypot(fit.x - startX, fit.y - startY) > MAX_SHIFT * shape.radius) return null;
  return fit;
}

/**
 * Gauss-Newton fit of the centre and size of the ellipse of `shape`'s foreshortening and axis to the
 * kept edge points (those within `outlierPx` of the ellipse at (x, y, radius)). Residual per point:
 * its distance from the centre in the ellipse's unit frame, scaled back to pixels, minus the radius.
 */
function fitEllipseCentre(scratch: LimbusScratch, shape: IrisEllipseShape, x: number, y: number, outlierPx: number, radius = shape.radius): LimbusFit | null {
  const { edgeX, edgeY, keep } = scratch;
  const f = Math.max(0.3, shape.foreshortening), ax = shape.axisX, ay = shape.axisY;
  // Unit-frame map: stretch the axis component by 1/f.
  const stretch = 1 / f - 1;
  let used = 0;
  for (let iteration = 0; iteration < 6; iteration++) {
    // Normal equations for (x, y, radius).
    let a00 = 0, a01 = 0, a02 = 0, a11 = 0, a12 = 0, a22 = 0, b0 = 0, b1 = 0, b2 = 0;
    let left = 0, right = 0;
    used = 0;
    for (let ray = 0; ray < RAYS; ray++) {
      if (!keep[ray]) continue;
      const px = edgeX[ray] - x, py = edgeY[ray] - y;
      const along = stretch * (px * ax + py * ay);
      const qx = px + along * ax, qy = py + along * ay;
      const distance = Math.hypot(qx, qy);
      if (distance < 1e-9) continue;
      const residual = distance - radius;
      if (Math.abs(residual) > outlierPx) continue;
      // d distance / d (x, y) = -(unit q)^T * (I + stretch a a^T).
      const nx = qx / distance, ny = qy / distance;
      const na = stretch * (nx * ax + ny * ay);
      const jx = -(nx + na * ax), jy = -(ny + na * ay);
      a00 += jx * jx; a01 += jx * jy; a02 -= jx; a11 += jy * jy; a12 -= jy; a22 += 1;
      b0 += jx * residual; b1 += jy * residual; b2 -= residual;
      used++;
      if (px < 0) left++; else right++;
    }
    if (used < MIN_EDGES || left < MIN_EDGES_PER_SIDE || right < MIN_EDGES_PER_SIDE) return null;
    a22 += RADIUS_PRIOR;
    b2 += RADIUS_PRIOR * (radius - shape.radius);
    const step = solve3(a00, a01, a02, a11, a12, a22, -b0, -b1, -b2);
    if (!step) return null;
    x += step[0]; y += step[1]; radius += step[2];
    if (Math.abs(step[0]) + Math.abs(step[1]) < 1e-3) break;
  }
  return { x, y, radius, edges: used };
}

/** Solves the symmetric 3x3 system [a00 a01 a02; a01 a11 a12; a02 a12 a22] s = b by Cramer's rule. */
function solve3(a00: number, a01: number, a02: number, a11: number, a12: number, a22: number, b0: number, b1: number, b2: number): [number, number, number] | null {
  const c00 = a11 * a22 - a12 * a12, c01 = a02 * a12 - a01 * a22, c02 = a01 * a12 - a02 * a11;
  const det = a00 * c00 + a01 * c01 + a02 * c02;
  if (!(Math.abs(det) > 1e-12)) return null;
  const c11 = a00 * a22 - a02 * a02, c12 = a01 * a02 - a00 * a12, c22 = a00 * a11 - a01 * a01;
  return [(c00 * b0 + c01 * b1 + c02 * b2) / det, (c01 * b0 + c11 * b1 + c12 * b2) / det, (c02 * b0 + c12 * b1 + c22 * b2) / det];
}
