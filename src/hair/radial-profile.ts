import { hypot3 } from '../math/hypot.js';
/**
 * A head's outermost surface per direction from the centre of its cranium, on a (polar, azimuth)
 * grid: enough to tell whether a point lies under the skin of a cranium, which is star-shaped about
 * its centre (the face and ears only bulge further out, which errs on the side of pushing hair
 * out). Radii are taken at vertices; bins no vertex falls in borrow their neighbours' largest.
 * Browser-safe.
 */
const POLAR_BINS = 48;
const AZIMUTH_BINS = 96;

export class RadialProfile {
  static readonly BINS = POLAR_BINS * AZIMUTH_BINS;
  /** The bins' grid: bin = polar index x azimuth + azimuth index. */
  static readonly GRID = { polar: POLAR_BINS, azimuth: AZIMUTH_BINS } as const;
  /** A bin's angular size (radians): polar and azimuth bins are equal. */
  static readonly BIN_ANGLE = Math.PI / POLAR_BINS;
  readonly centre: [number, number, number];
  private readonly radius = new Float32Array(POLAR_BINS * AZIMUTH_BINS);
  /** locateBin's distance where the caller does not ask for it. */
  private readonly distance = new Float64Array(1);

  constructor(vertices: Float32Array, weldGroup: Uint32Array) {
    const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
    for (let i = 0; i < vertices.length; i += 3) for (let a = 0; a < 3; a++) { lo[a] = Math.min(lo[a], vertices[i + a]); hi[a] = Math.max(hi[a], vertices[i + a]); }
    // The cranium's centre: mid-width, a third of the head's height below its top, mid-depth.
    this.centre = [(lo[0] + hi[0]) / 2, hi[1] - 0.35 * (hi[1] - lo[1]), (lo[2] + hi[2]) / 2];
    const radius = this.radius;
    for (let v = 0; v < vertices.length / 3; v++) {
      if (weldGroup[v] !== v) continue;
      const bin = this.locateBin(vertices[3 * v], vertices[3 * v + 1], vertices[3 * v + 2]);
      if (this.distance[0] > radius[bin]) radius[bin] = this.distance[0];
    }
    // Fill empty bins from their neighbours, a ring at a time.
    for (let pass = 0; pass < 4; pass++) {
      const before = Float32Array.from(radius);
      for (let i = 0; i < POLAR_BINS; i++) for (let j = 0; j < AZIMUTH_BINS; j++) {
        if (before[i * AZIMUTH_BINS + j] > 0) continue;
        let best = 0;
        for (let di = -1; di <= 1; di++) for (let dj = -1; dj <= 1; dj++) {
          const ii = i + di;
          if (ii < 0 || ii >= POLAR_BINS) continue;
          best = Math.max(best, before[ii * AZIMUTH_BINS + ((j + dj + AZIMUTH_BINS) % AZIMUTH_BINS)]);
        }
        radius[i * AZIMUTH_BINS + j] = best;
      }
    }
  }

  /**
   * The direction bin of a point, its distance from the centre written to radius[0]: no result
   * object, for the loops that locate tens of thousands of points per avatar.
   */
  locateBin(x: number, y: number, z: number, radius: Float64Array = this.distance): number {
    const dx = x - this.centre[0], dy = y - this.centre[1], dz = z - this.centre[2];
    const r = hypot3(dx, dy, dz);
    const polar = Math.acos(Math.max(-1, Math.min(1, dy / (r || 1))));
    const azimuth = Math.atan2(dx, dz) + Math.PI;
    const i = Math.min(POLAR_BINS - 1, Math.floor((polar / Math.PI) * POLAR_BINS));
    const j = Math.min(AZIMUTH_BINS - 1, Math.floor((azimuth / (2 * Math.PI)) * AZIMUTH_BINS));
    radius[0] = r;
    return i * AZIMUTH_BINS + j;
  }

  /** How far (metres) the point lies under the outermost surface along its ray (negative: outside). */
  depthBelowSurface(x: number, y: number, z: number): number {
    const bin = this.locateBin(x, y, z);
    return this.radius[bin] - this.distance[0];
  }

  /** Moves point i of `points` (xyz interleaved) out along its ray from the centre by `distance` metres. */
  moveOut(points: Float32Array, i: number, distance: number): void {
    const dx = points[3 * i] - this.centre[0], dy = points[3 * i + 1] - this.centre[1], dz = points[3 * i + 2] - this.centre[2];
    const r = hypot3(dx, dy, dz) || 1;
    points[3 * i] += (dx / r) * distance; points[3 * i + 1] += (dy / r) * distance; points[3 * i + 2] += (dz / r) * distance;
  }
}
