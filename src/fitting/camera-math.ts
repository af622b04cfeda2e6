/**
 * Small float64 camera math for the fitter: rotation updates, Euler angles for reporting, the
 * closed-form (weak-perspective) pose initialisation and a reference perspective projection.
 * Conventions (../types.ts): p_cam = R p + t, camera looks down -Z, image y down,
 * x = cx + f * p_cam.x / -p_cam.z, y = cy - f * p_cam.y / -p_cam.z.
 */

/** Rotation matrix (row-major 3x3) of an axis-angle vector, Rodrigues' formula. */
export function axisAngleToMatrix(wx: number, wy: number, wz: number, out = new Float64Array(9)): Float64Array {
  const angle = Math.hypot(wx, wy, wz);
  if (angle < 1e-12) {
    out.set([1, -wz, wy, wz, 1, -wx, -wy, wx, 1]);
    return out;
  }
  const x = wx / angle, y = wy / angle, z = wz / angle;
  const c = Math.cos(angle), s = Math.sin(angle), k = 1 - c;
  out[0] = c + x * x * k; out[1] = x * y * k - z * s; out[2] = x * z * k + y * s;
  out[3] = y * x * k + z * s; out[4] = c + y * y * k; out[5] = y * z * k - x * s;
  out[6] = z * x * k - y * s; out[7] = z * y * k + x * s; out[8] = c + z * z * k;
  return out;
}

/** a * b for row-major 3x3 matrices. */
export function multiply3x3(a: ArrayLike<number>, b: ArrayLike<number>, out = new Float64Array(9)): Float64Array {
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) {
      out[r * 3 + c] = a[r * 3] * b[c] + a[r * 3 + 1] * b[3 + c] + a[r * 3 + 2] * b[6 + c];
    }
  }
  return out;
}

/**
 * Head pose in degrees from the model-to-camera rotation, decomposed as R = Ry(yaw) Rx(-pitch) Rz(roll).
 * yaw > 0: the face turns towards the image's right; pitch > 0: the face looks up; roll > 0: the head
 * tilts counter-clockwise in camera space (y up), which is clockwise in the image (y down).
 */
export function rotationToEulerDegrees(R: ArrayLike<number>): { yawDeg: number; pitchDeg: number; rollDeg: number } {
  const toDeg = 180 / Math.PI;
  const yaw = Math.atan2(R[2], R[8]);
  const pitch = Math.asin(Math.max(-1, Math.min(1, R[5])));
  const roll = Math.atan2(R[3], R[4]);
  return { yawDeg: yaw * toDeg, pitchDeg: pitch * toDeg, rollDeg: roll * toDeg };
}

/** Rotation from yaw/pitch/roll in degrees, inverse of rotationToEulerDegrees. */
export function eulerDegreesToRotation(yawDeg: number, pitchDeg: number, rollDeg: number): Float64Array {
  const d = Math.PI / 180;
  const ry = axisAngleToMatrix(0, yawDeg * d, 0);
  const rx = axisAngleToMatrix(-pitchDeg * d, 0, 0);
  const rz = axisAngleToMatrix(0, 0, rollDeg * d);
  return multiply3x3(multiply3x3(ry, rx), rz);
}

export interface CameraIntrinsics {
  focal: number;
  cx: number;
  cy: number;
}

/** Projects model points (xyz interleaved) to image pixels (xy interleaved) in float64. */
export function projectPoints(
  points: ArrayLike<number>,
  R: ArrayLike<number>,
  t: ArrayLike<number>,
  camera: CameraIntrinsics,
  out = new Float64Array((points.length / 3) * 2),
): Float64Array {
  const n = points.length / 3;
  for (let i = 0; i < n; i++) {
    const x = points[i * 3], y = points[i * 3 + 1], z = points[i * 3 + 2];
    const px = R[0] * x + R[1] * y + R[2] * z + t[0];
    const py = R[3] * x + R[4] * y + R[5] * z + t[1];
    const pz = R[6] * x + R[7] * y + R[8] * z + t[2];
    const invDepth = -1 / pz;
    out[i * 2] = camera.cx + camera.focal * px * invDepth;
    out[i * 2 + 1] = camera.cy - camera.focal * py * invDepth;
  }
  return out;
}

/**
 * Closed-form pose from 2D-3D correspondences under weak perspective: a least-squares affine camera
 * [u, w] = M p + b (u = x - cx, w = cy - y), whose 2x3 part is projected onto scaled orthonormal rows
 * (polar decomposition); depth follows from the scale. Accurate to a few degrees for faces, which is
 * all the perspective Levenberg-Marquardt refinement needs.
 */
export function weakPerspectivePose(
  model: ArrayLike<number>,
  image: ArrayLike<number>,
  camera: CameraIntrinsics,
): { rotation: Float64Array; translation: Float64Array } {
  const n = model.length / 3;
  // Normal equations of the 4-parameter affine fit per image axis, with centred points for conditioning.
  let mx = 0, my = 0, mz = 0, mu = 0, mw = 0;
  for (let i = 0; i < n; i++) {
    mx += model[i * 3]; my += model[i * 3 + 1]; mz += model[i * 3 + 2];
    mu += image[i * 2] - camera.cx; mw += camera.cy - image[i * 2 + 1];
  }
  mx /= n; my /= n; mz /= n; mu /= n; mw /= n;
  const A = new Float64Array(9);
  const bu = new Float64Array(3), bw = new Float64Array(3);
  for (let i = 0; i < n; i++) {
    const p = [model[i * 3] - mx, model[i * 3 + 1] - my, model[i * 3 + 2] - mz];
    const u = image[i * 2] - camera.cx - mu, w = camera.cy - image[i * 2 + 1] - mw;
    for (let r = 0; r < 3; r++) {
      for (let c = 0; c < 3; c++) A[r * 3 + c] += p[r] * p[c];
      bu[r] += p[r] * u; bw[r] += p[r] * w;
    }
  }
  const Ainv = invert3x3(A);
  const r1 = mulVec3(Ainv, bu), r2 = mulVec3(Ainv, bw);
  // Polar decomposition of the 2x3 matrix M = [r1; r2]: (M M^T)^(-1/2) M has orthonormal rows.
  const a = dot(r1, r1), b = dot(r1, r2), d = dot(r2, r2);
  const scale = Math.sqrt(Math.max(1e-30, Math.sqrt(a * d - b * b)));
  const [ia, ib, id] = inverseSqrt2x2(a, b, d);
  const q1 = [ia * r1[0] + ib * r2[0], ia * r1[1] + ib * r2[1], ia * r1[2] + ib * r2[2]];
  const q2 = [ib * r1[0] + id * r2[0], ib * r1[1] + id * r2[1], ib * r1[2] + id * r2[2]];
  const q3 = cross(q1, q2);
  const rotation = Float64Array.from([...q1, ...q2, ...q3]);
  // Weak perspective: image offset = (f / depth) * (R c + t)_xy, depth = f / s at the centroid.
  const depth = camera.focal / scale;
  const rc = mulVec3(rotation, [mx, my, mz]);
  const translation = Float64Array.from([
    mu / scale - rc[0],
    mw / scale - rc[1],
    -depth - rc[2],
  ]);
  return { rotation, translation };
}

function dot(a: number[], b: number[]): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

function cross(a: number[], b: number[]): number[] {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

function mulVec3(m: ArrayLike<number>, v: ArrayLike<number>): number[] {
  return [
    m[0] * v[0] + m[1] * v[1] + m[2] * v[2],
    m[3] * v[0] + m[4] * v[1] + m[5] * v[2],
    m[6] * v[0] + m[7] * v[1] + m[8] * v[2],
  ];
}

function invert3x3(m: Float64Array): Float64Array {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  const s = 1 / det;
  return Float64Array.from([
    A * s, -(b * i - c * h) * s, (b * f - c * e) * s,
    B * s, (a * i - c * g) * s, -(a * f - c * d) * s,
    C * s, -(a * h - b * g) * s, (a * e - b * d) * s,
  ]);
}

/** Inverse square root of the symmetric positive 2x2 matrix [[a, b], [b, d]], as [p, q, r] = [[p, q], [q, r]]. */
function inverseSqrt2x2(a: number, b: number, d: number): [number, number, number] {
  // sqrt of a 2x2 SPD matrix: (M + sqrt(det) I) / sqrt(trace + 2 sqrt(det)).
  const s = Math.sqrt(Math.max(0, a * d - b * b));
  const tau = Math.sqrt(a + d + 2 * s);
  const sa = (a + s) / tau, sb = b / tau, sd = (d + s) / tau;
  const det = sa * sd - sb * sb;
  return [sd / det, -sb / det, sa / det];
}
