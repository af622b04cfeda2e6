/**
 * Procedural cranium and neck: a strip of rings that continues the face mesh from its outer boundary
 * loop over the forehead, crown, back of the head and down the neck to an open neck bottom.
 *
 * Topologically the part of a head outside the face oval is an annulus between the face loop and the
 * neck bottom loop, so each face-boundary vertex i gets one column of vertices. Column i follows a
 * path on the unit sphere of directions around the head centre: from the boundary vertex, through a
 * waypoint (behind the head for forehead columns, beside it for temple columns, under the jaw for
 * chin columns), to its point on the neck-bottom circle. The surface radius along each direction
 * comes from a smooth union of a skull ellipsoid, a jaw ellipsoid and an elliptic neck cylinder, plus
 * the face boundary's own radius offset fading out with distance, so the seam is continuous.
 */
import { MeshBuilder, smoothstep, stitchLoops } from '../mesh-utils.js';

const FACE_CENTRE_Y = -0.005;
const PUSH_AWAY = (20 * Math.PI) / 180;

export interface CraniumShape {
  centre: [number, number, number];
  skullRadii: [number, number, number];
  jawCentre: [number, number, number];
  jawRadii: [number, number, number];
  /** Neck cylinder: axis (x, z) and radii (x, z); vertical. */
  neckAxis: [number, number];
  neckRadii: [number, number];
  neckBottomY: number;
  /** Length (m) over which the face boundary's deviation from the analytic shape fades out. */
  seamFade: number;
  rings: number;
}

export const DEFAULT_CRANIUM: CraniumShape = {
  centre: [0, 0.03, -0.035],
  skullRadii: [0.078, 0.106, 0.1],
  jawCentre: [0, -0.045, -0.005],
  jawRadii: [0.054, 0.05, 0.07],
  neckAxis: [0, -0.04],
  neckRadii: [0.053, 0.058],
  neckBottomY: -0.175,
  seamFade: 0.045,
  rings: 40,
};

type Vec3 = [number, number, number];

function normalize(v: Vec3): Vec3 {
  const l = Math.hypot(v[0], v[1], v[2]) || 1;
  return [v[0] / l, v[1] / l, v[2] / l];
}

function angleBetween(a: Vec3, b: Vec3): number {
  const d = Math.min(1, Math.max(-1, a[0] * b[0] + a[1] * b[1] + a[2] * b[2]));
  return Math.acos(d);
}

function slerp(a: Vec3, b: Vec3, t: number): Vec3 {
  const omega = angleBetween(a, b);
  if (omega < 1e-6) return a;
  const s = Math.sin(omega);
  const wa = Math.sin((1 - t) * omega) / s, wb = Math.sin(t * omega) / s;
  return normalize([wa * a[0] + wb * b[0], wa * a[1] + wb * b[1], wa * a[2] + wb * b[2]]);
}

/** Rotates `d` by `angle` along the great circle from `from` through `d` (away from `from`). */
function awayFrom(from: Vec3, d: Vec3, angle: number): Vec3 {
  const dot = from[0] * d[0] + from[1] * d[1] + from[2] * d[2];
  const t = normalize([d[0] - dot * from[0], d[1] - dot * from[1], d[2] - dot * from[2]]);
  // d = cos(a0) from + sin(a0) t; rotating further stays in that plane.
  const a0 = Math.acos(Math.min(1, Math.max(-1, dot)));
  const a = a0 + angle;
  return normalize([Math.cos(a) * from[0] + Math.sin(a) * t[0], Math.cos(a) * from[1] + Math.sin(a) * t[1], Math.cos(a) * from[2] + Math.sin(a) * t[2]]);
}

function pointOnPath(legs: Vec3[], angles: number[], along: number): Vec3 {
  let rest = along;
  for (let k = 0; k < angles.length; k++) {
    if (rest <= angles[k] || k === angles.length - 1) return slerp(legs[k], legs[k + 1], angles[k] > 0 ? Math.min(1, rest / angles[k]) : 1);
    rest -= angles[k];
  }
  return legs[legs.length - 1];
}

/** Largest t >= 0 with centre + t*d inside the axis-aligned ellipsoid (0 when the ray misses it). */
function rayEllipsoidExit(origin: Vec3, d: Vec3, centre: Vec3, radii: Vec3): number {
  let a = 0, b = 0, c = -1;
  for (let k = 0; k < 3; k++) {
    const o = (origin[k] - centre[k]) / radii[k];
    const dk = d[k] / radii[k];
    a += dk * dk;
    b += 2 * o * dk;
    c += o * o;
  }
  const disc = b * b - 4 * a * c;
  if (disc < 0) return 0;
  return Math.max(0, (-b + Math.sqrt(disc)) / (2 * a));
}

/** Radius of the analytic head surface along direction d from the head centre. */
export function analyticRadius(shape: CraniumShape, d: Vec3): number {
  const skull = rayEllipsoidExit(shape.centre, d, shape.centre, shape.skullRadii);
  const jaw = rayEllipsoidExit(shape.centre, d, shape.jawCentre, shape.jawRadii);
  // Neck: elliptic cylinder around a vertical axis, only for directions that point downwards.
  const ox = shape.centre[0] - shape.neckAxis[0], oz = shape.centre[2] - shape.neckAxis[1];
  const ax = d[0] / shape.neckRadii[0], az = d[2] / shape.neckRadii[1];
  const bx = ox / shape.neckRadii[0], bz = oz / shape.neckRadii[1];
  const qa = ax * ax + az * az, qb = 2 * (ax * bx + az * bz), qc = bx * bx + bz * bz - 1;
  const disc = qb * qb - 4 * qa * qc;
  let neck = qa > 1e-9 && disc >= 0 ? (-qb + Math.sqrt(disc)) / (2 * qa) : 0;
  neck *= 1 - Math.min(1, Math.max(0, (d[1] + 0.35) / 0.35));
  const p = 8;
  return Math.pow(skull ** p + jaw ** p + neck ** p, 1 / p);
}

export interface CraniumResult {
  /** ring r (1..rings) column i -> vertex index; ring 0 is the face loop itself. */
  ringVertices: Uint32Array[];
  neckBottomLoop: number[];
  /** Per added vertex: distance (m) along its column from the face boundary. */
  seamDistance: Float32Array;
  /** Per added vertex: fraction of its column (0 at the face, 1 at the neck bottom). */
  columnFraction: Float32Array;
  /** Per added vertex: its column's angle around the face oval (front view, +pi/2 = forehead). */
  columnAngle: Float32Array;
  firstVertex: number;
}

/**
 * Appends the cranium and neck to `builder`, which must already hold the face mesh with `faceLoop`
 * as its outer boundary loop (in boundary direction) and the face UVs.
 */
export function buildCranium(builder: MeshBuilder, faceLoop: number[], shape: CraniumShape = DEFAULT_CRANIUM): CraniumResult {
  const n = faceLoop.length;
  const P = builder.positions;
  const C = shape.centre;
  const faceDirection = normalize([-C[0], FACE_CENTRE_Y - C[1], 0.07 - C[2]]);
  // Front-view centre of the face loop, for the loop angle of each column.
  let cy = 0;
  for (const v of faceLoop) cy += P[3 * v + 1];
  cy /= n;
  // Face UV centre: cranium UVs fan out from it towards the texture border.
  let cu = 0, cv = 0;
  for (const v of faceLoop) { cu += builder.uvs[2 * v]; cv += builder.uvs[2 * v + 1]; }
  cu /= n; cv /= n;

  const columns = faceLoop.map((v) => {
    const p: Vec3 = [P[3 * v], P[3 * v + 1], P[3 * v + 2]];
    const rel: Vec3 = [p[0] - C[0], p[1] - C[1], p[2] - C[2]];
    const start = normalize(rel);
    const startRadius = Math.hypot(rel[0], rel[1], rel[2]);
    const alpha = Math.atan2(p[1] - cy, p[0]);
    // Azimuth about the vertical axis (0 = front, +pi/2 = +X): chin -> front of neck, forehead -> back.
    const phi = alpha + Math.PI / 2;
    // First leg: straight away from the face centre, so no column folds back over the face.
    const w1 = awayFrom(faceDirection, start, PUSH_AWAY);
    // Second leg target: upper columns head for the back or sides of the skull; lower columns go
    // straight for the neck.
    const elevation = (-15 + 45 * Math.sin(alpha)) * (Math.PI / 180);
    const skullWaypoint: Vec3 = [Math.sin(phi) * Math.cos(elevation), Math.sin(elevation), Math.cos(phi) * Math.cos(elevation)];
    const bottom: Vec3 = [
      shape.neckAxis[0] + shape.neckRadii[0] * Math.sin(phi),
      shape.neckBottomY,
      shape.neckAxis[1] + shape.neckRadii[1] * Math.cos(phi),
    ];
    const end = normalize([bottom[0] - C[0], bottom[1] - C[1], bottom[2] - C[2]]);
    const h = smoothstep(-0.3, 0.5, Math.sin(alpha));
    const mid = slerp(w1, end, 0.5);
    const w2 = normalize([
      mid[0] * (1 - h) + skullWaypoint[0] * h,
      mid[1] * (1 - h) + skullWaypoint[1] * h,
      mid[2] * (1 - h) + skullWaypoint[2] * h,
    ]);
    const legs: Vec3[] = [start, w1, w2, end];
    const legAngles = [angleBetween(start, w1), angleBetween(w1, w2), angleBetween(w2, end)];
    const offset = startRadius - analyticRadius(shape, start);
    // Where the column meets the texture border, along the ray from the face UV centre.
    const du = builder.uvs[2 * v] - cu, dv = builder.uvs[2 * v + 1] - cv;
    const margin = 0.004;
    const tu = du > 0 ? (1 - margin - cu) / du : du < 0 ? (margin - cu) / du : Infinity;
    const tv = dv > 0 ? (1 - margin - cv) / dv : dv < 0 ? (margin - cv) / dv : Infinity;
    return { legs, legAngles, bottom, offset, alpha, uvScale: Math.min(tu, tv), du, dv };
  });

  const rings: Uint32Array[] = [];
  const first = builder.vertexCount;
  const seamDistance: number[] = [];
  const columnFraction: number[] = [];
  const columnAngle: number[] = [];
  const fades: number[] = [];
  for (let r = 1; r <= shape.rings; r++) {
    const s = r / shape.rings;
    const ring = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const col = columns[i];
      const along = s * (col.legAngles[0] + col.legAngles[1] + col.legAngles[2]);
      const d = pointOnPath(col.legs, col.legAngles, along);
      const base = analyticRadius(shape, d);
      const arc = along * base;
      const fade = Math.exp(-((arc / shape.seamFade) ** 2));
      let x: number, y: number, z: number;
      if (r === shape.rings) {
        [x, y, z] = col.bottom;
      } else {
        const radius = base + col.offset * fade;
        x = C[0] + d[0] * radius; y = C[1] + d[1] * radius; z = C[2] + d[2] * radius;
      }
      const g = 1 + (col.uvScale - 1) * s;
      ring[i] = builder.addVertex(x, y, z, cu + col.du * g, cv + col.dv * g);
      seamDistance.push(arc);
      fades.push(col.offset * fade);
      columnFraction.push(s);
      columnAngle.push(col.alpha);
    }
    rings.push(ring);
  }
  relaxRings(builder, faceLoop, rings, shape, fades);
  let previous: ArrayLike<number> = faceLoop;
  for (const ring of rings) {
    stitchLoops(builder, previous, ring);
    previous = ring;
  }
  return {
    ringVertices: rings,
    neckBottomLoop: [...rings[rings.length - 1]],
    seamDistance: Float32Array.from(seamDistance),
    columnFraction: Float32Array.from(columnFraction),
    columnAngle: Float32Array.from(columnAngle),
    firstVertex: first,
  };
}

/**
 * Tangential relaxation of the ring grid: neighbour averaging (which evens out the spacing and undoes
 * small folds where columns converge) followed by re-projection onto the head surface along the
 * direction from the head centre. Ring 0 (the face) and the neck bottom stay fixed.
 */
function relaxRings(builder: MeshBuilder, faceLoop: number[], rings: Uint32Array[], shape: CraniumShape, offsets: number[], iterations = 40): void {
  const P = builder.positions;
  const C = shape.centre;
  const n = faceLoop.length;
  const grid = [Uint32Array.from(faceLoop), ...rings];
  const next = new Float64Array(rings.length * n * 3);
  for (let it = 0; it < iterations; it++) {
    for (let r = 1; r < grid.length - 1; r++) {
      for (let i = 0; i < n; i++) {
        const v = grid[r][i];
        const nb = [grid[r][(i + 1) % n], grid[r][(i + n - 1) % n], grid[r - 1][i], grid[r + 1][i]];
        const o = ((r - 1) * n + i) * 3;
        for (let k = 0; k < 3; k++) {
          const mean = (P[3 * nb[0] + k] + P[3 * nb[1] + k] + P[3 * nb[2] + k] + P[3 * nb[3] + k]) / 4;
          next[o + k] = 0.5 * P[3 * v + k] + 0.5 * mean;
        }
      }
    }
    for (let r = 1; r < grid.length - 1; r++) {
      for (let i = 0; i < n; i++) {
        const v = grid[r][i];
        const o = ((r - 1) * n + i) * 3;
        const d = normalize([next[o] - C[0], next[o + 1] - C[1], next[o + 2] - C[2]]);
        const radius = analyticRadius(shape, d) + offsets[(r - 1) * n + i];
        for (let k = 0; k < 3; k++) P[3 * v + k] = C[k] + d[k] * radius;
      }
    }
  }
}
