/**
 * Software triangle rasterizer with a depth buffer, on typed arrays. It answers "which triangle, at
 * which barycentric coordinates, is nearest at each pixel", which serves three jobs: visibility
 * (z-buffer) when unwrapping the photo, texel-to-surface lookup when rasterizing in UV space, and
 * the CLI's preview renders. Pixel centres are at integer coordinates (see ../types.ts).
 */

export interface RasterTarget {
  width: number;
  height: number;
  /**
   * Image column and row of the target's first pixel (default 0): a target may cover only a window
   * of a larger image (e.g. a head's bounding box in a photo) while triangles keep the image's
   * coordinates. Pixel (x, y) of the image is element (y - top) * width + (x - left).
   */
  left?: number;
  top?: number;
  /** Depth of the nearest surface per pixel (smaller = nearer); +Infinity where empty. */
  depth: Float32Array;
  /** Triangle index (the t of indices[3t..3t+2]) per pixel; -1 where empty. */
  triangle: Int32Array;
  /** Barycentric weights of the 2nd and 3rd triangle corner per pixel (the 1st is 1 - b1 - b2). */
  bary: Float32Array;
}

/**
 * Screen positions (xyz, depth 0) that rasterize `uvs` (v up) into a `size` x `size` texture, top
 * row first: texel centres sit at u = (column + 0.5) / size, where GPU samplers read them.
 */
export function uvScreenPositions(uvs: Float32Array, size: number): Float32Array {
  const n = uvs.length / 2, screen = new Float32Array(3 * n);
  for (let v = 0; v < n; v++) {
    screen[3 * v] = uvs[2 * v] * size - 0.5;
    screen[3 * v + 1] = (1 - uvs[2 * v + 1]) * size - 0.5;
  }
  return screen;
}

export function createRasterTarget(width: number, height: number, left = 0, top = 0): RasterTarget {
  const target: RasterTarget = {
    width,
    height,
    left,
    top,
    depth: new Float32Array(width * height),
    triangle: new Int32Array(width * height),
    bary: new Float32Array(width * height * 2),
  };
  clearRasterTarget(target);
  return target;
}

export function clearRasterTarget(target: RasterTarget): void {
  target.depth.fill(Infinity);
  target.triangle.fill(-1);
}

export interface RasterOptions {
  /**
   * 'none' draws both sides; 'back' skips triangles whose screen-space winding is clockwise in a
   * y-down image (i.e. CCW-from-outside triangles seen from behind).
   */
  cull?: 'none' | 'back';
  /** Only triangles whose index passes this test are drawn. */
  include?: (triangle: number) => boolean;
  /** Per-fragment test (alpha testing): false leaves the pixel to what lies behind. Screen-space barycentrics of corners 1 and 2. */
  accept?: (triangle: number, b1: number, b2: number) => boolean;
}

/**
 * Rasterizes triangles given screen positions (x, y in pixels, depth) per vertex, xyz interleaved.
 * Depth is interpolated linearly in screen space (exact for orthographic/UV rasterization and
 * accurate enough for visibility tests at face scale).
 */
export function rasterizeTriangles(
  target: RasterTarget,
  screen: Float32Array,
  indices: Uint32Array,
  options: RasterOptions = {},
): void {
  const { width, height, depth, triangle, bary } = target;
  const left = target.left ?? 0, top = target.top ?? 0;
  const cullBack = options.cull === 'back';
  const include = options.include;
  const accept = options.accept;
  const triangleCount = indices.length / 3;
  for (let t = 0; t < triangleCount; t++) {
    if (include && !include(t)) continue;
    const i0 = indices[3 * t] * 3, i1 = indices[3 * t + 1] * 3, i2 = indices[3 * t + 2] * 3;
    const x0 = screen[i0], y0 = screen[i0 + 1], z0 = screen[i0 + 2];
    const x1 = screen[i1], y1 = screen[i1 + 1], z1 = screen[i1 + 2];
    const x2 = screen[i2], y2 = screen[i2 + 1], z2 = screen[i2 + 2];
    // Twice the signed area; in a y-down image a CCW-from-outside front face has area < 0.
    const area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0);
    if (area === 0 || !Number.isFinite(area)) continue;
    if (cullBack && area > 0) continue;
    const minX = Math.max(left, Math.ceil(Math.min(x0, x1, x2)));
    const maxX = Math.min(left + width - 1, Math.floor(Math.max(x0, x1, x2)));
    const minY = Math.max(top, Math.ceil(Math.min(y0, y1, y2)));
    const maxY = Math.min(top + height - 1, Math.floor(Math.max(y0, y1, y2)));
    if (minX > maxX || minY > maxY) continue;
    const invArea = 1 / area;
    for (let y = minY; y <= maxY; y++) {
      const row = (y - top) * width - left;
      for (let x = minX; x <= maxX; x++) {
        // Barycentrics of corners 1 and 2 from sub-triangle areas.
        const b1 = edgeWeight(x - x0, y - y0, x2 - x0, y2 - y0, invArea);
        const b2 = edgeWeight(x - x0, y - y0, x1 - x0, y1 - y0, -invArea);
        const b0 = 1 - b1 - b2;
        // Small negative tolerance closes cracks between neighbouring triangles.
        if (b0 < -1e-6 || b1 < -1e-6 || b2 < -1e-6) continue;
        const z = b0 * z0 + b1 * z1 + b2 * z2;
        const p = row + x;
        if (z >= depth[p]) continue;
        if (accept && !accept(t, b1, b2)) continue;
        depth[p] = z;
        triangle[p] = t;
        bary[2 * p] = b1;
        bary[2 * p + 1] = b2;
      }
    }
  }
}

/**
 * Which triangle covers each pixel of a `width` x `height` target at depth 0 everywhere (a UV
 * layout: uvScreenPositions), into `triangle` (-1 where none): rasterizeTriangles' coverage and
 * choice with cull 'none', where at equal depths the first triangle in index order keeps a pixel.
 * Without the depth plane and the per-pixel barycentrics (12 of the 16 MiB that rasterizeTriangles
 * writes at 1024²): triangleSetup and edgeWeight give them, bit for bit the same, for the covered
 * pixels alone. Returns the number of covered pixels.
 */
export function rasterizeUvTriangles(width: number, height: number, screen: Float32Array, indices: Uint32Array, triangle: Int32Array): number {
  triangle.fill(-1);
  const setup = new Float64Array(TRIANGLE_SETUP), box = new Int32Array(4);
  let covered = 0;
  for (let t = 0, end = indices.length / 3; t < end; t++) {
    if (!triangleSetup(screen, indices, t, setup)) continue;
    triangleBox(screen, indices, t, width, height, box);
    const minX = box[0], maxX = box[1], minY = box[2], maxY = box[3];
    const x0 = setup[0], y0 = setup[1], dx1 = setup[2], dy1 = setup[3], dx2 = setup[4], dy2 = setup[5], invArea = setup[6];
    for (let y = minY; y <= maxY; y++) {
      for (let x = minX, p = y * width + minX; x <= maxX; x++, p++) {
        if (triangle[p] >= 0) continue;
        const b1 = edgeWeight(x - x0, y - y0, dx2, dy2, invArea), b2 = edgeWeight(x - x0, y - y0, dx1, dy1, -invArea);
        if (1 - b1 - b2 < -1e-6 || b1 < -1e-6 || b2 < -1e-6) continue;
        triangle[p] = t;
        covered++;
      }
    }
  }
  return covered;
}

/**
 * The pixels of a width x height target that triangle t's bounding box (in `screen`) covers, into
 * out: first and last column, first and last row (empty where first > last).
 */
export function triangleBox(screen: Float32Array, indices: ArrayLike<number>, t: number, width: number, height: number, out: Int32Array): void {
  const i0 = indices[3 * t] * 3, i1 = indices[3 * t + 1] * 3, i2 = indices[3 * t + 2] * 3;
  out[0] = Math.max(0, Math.ceil(Math.min(screen[i0], screen[i1], screen[i2])));
  out[1] = Math.min(width - 1, Math.floor(Math.max(screen[i0], screen[i1], screen[i2])));
  out[2] = Math.max(0, Math.ceil(Math.min(screen[i0 + 1], screen[i1 + 1], screen[i2 + 1])));
  out[3] = Math.min(height - 1, Math.floor(Math.max(screen[i0 + 1], screen[i1 + 1], screen[i2 + 1])));
}

/** Length of triangleSetup's output. */
export const TRIANGLE_SETUP = 7;

/**
 * Triangle t's setup in rasterizeTriangles: corner 0 (x0, y0), the edges from it (x1 - x0, y1 - y0,
 * x2 - x0, y2 - y0) and 1 / twice the signed area, into out; false for a triangle that it skips
 * (zero or non-finite area).
 */
export function triangleSetup(screen: Float32Array, indices: Uint32Array, t: number, out: Float64Array): boolean {
  const i0 = indices[3 * t] * 3, i1 = indices[3 * t + 1] * 3, i2 = indices[3 * t + 2] * 3;
  const x0 = screen[i0], y0 = screen[i0 + 1], x1 = screen[i1], y1 = screen[i1 + 1], x2 = screen[i2], y2 = screen[i2 + 1];
  const area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0);
  out[0] = x0; out[1] = y0; out[2] = x1 - x0; out[3] = y1 - y0; out[4] = x2 - x0; out[5] = y2 - y0; out[6] = 1 / area;
  return area !== 0 && Number.isFinite(area);
}

/**
 * The rasterizers' barycentric weight at (rx, ry) from corner 0: of corner 1 with the edge to
 * corner 2 (dx, dy) and scale 1 / area; of corner 2 with the edge to corner 1 and scale -1 / area,
 * the same number as (dx1 ry - rx dy1) / area (a - b is -(b - a) exactly, and so are the products).
 */
export function edgeWeight(rx: number, ry: number, dx: number, dy: number, scale: number): number {
  return (rx * dy - dx * ry) * scale;
}

/** Interpolated surface attributes at one pixel (see surfaceAt). */
export interface SurfaceSample {
  /** Perspective-correct weights of the triangle's corners, for interpolating other attributes. */
  w0: number;
  w1: number;
  w2: number;
  u: number;
  v: number;
  /** Unit normal. */
  nx: number;
  ny: number;
  nz: number;
}

/**
 * UV and unit normal of the surface at the target's element `p` (RasterTarget.left/top), with perspective-correct barycentrics: `screen`
 * must carry view depth as z, because the rasterizer's weights are linear in screen space.
 * Returns false where the pixel is empty.
 */
export function surfaceAt(
  target: RasterTarget,
  p: number,
  screen: Float32Array,
  indices: Uint32Array,
  uvs: Float32Array,
  normals: Float32Array,
  out: SurfaceSample,
): boolean {
  const t = target.triangle[p];
  if (t < 0) return false;
  const i0 = indices[3 * t], i1 = indices[3 * t + 1], i2 = indices[3 * t + 2];
  const s1 = target.bary[2 * p], s2 = target.bary[2 * p + 1];
  let b0 = (1 - s1 - s2) / screen[3 * i0 + 2], b1 = s1 / screen[3 * i1 + 2], b2 = s2 / screen[3 * i2 + 2];
  const sum = b0 + b1 + b2;
  b0 /= sum; b1 /= sum; b2 /= sum;
  out.w0 = b0; out.w1 = b1; out.w2 = b2;
  out.u = b0 * uvs[2 * i0] + b1 * uvs[2 * i1] + b2 * uvs[2 * i2];
  out.v = b0 * uvs[2 * i0 + 1] + b1 * uvs[2 * i1 + 1] + b2 * uvs[2 * i2 + 1];
  const nx = b0 * normals[3 * i0] + b1 * normals[3 * i1] + b2 * normals[3 * i2];
  const ny = b0 * normals[3 * i0 + 1] + b1 * normals[3 * i1 + 1] + b2 * normals[3 * i2 + 1];
  const nz = b0 * normals[3 * i0 + 2] + b1 * normals[3 * i1 + 2] + b2 * normals[3 * i2 + 2];
  const length = Math.hypot(nx, ny, nz) || 1;
  out.nx = nx / length; out.ny = ny / length; out.nz = nz / length;
  return true;
}
