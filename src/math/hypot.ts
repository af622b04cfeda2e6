/**
 * Math.hypot of two and three numbers, computed as V8 computes it (the largest magnitude divides
 * every term, the squares are summed with Kahan's compensation, the root is scaled back), so the
 * result is the same number, bit for bit. Why not Math.hypot itself: V8 does not inline it, and
 * each call allocates its arguments' array and a heap number for the result, about 80 MiB of
 * garbage per avatar from the per-vertex and per-texel loops (normals, morph targets, the hair).
 */

/** Math.hypot(x, y), bit for bit. */
export function hypot2(x: number, y: number): number {
  const ax = Math.abs(x), ay = Math.abs(y);
  if (ax === Infinity || ay === Infinity) return Infinity;
  if (ax !== ax || ay !== ay) return NaN;
  const max = ax > ay ? ax : ay;
  if (max === 0) return 0;
  const nx = ax / max, ny = ay / max;
  // Kahan's first two steps from a zero sum leave no compensation: a plain sum.
  return Math.sqrt(nx * nx + ny * ny) * max;
}

/** Math.hypot(x, y, z), bit for bit. */
export function hypot3(x: number, y: number, z: number): number {
  const ax = Math.abs(x), ay = Math.abs(y), az = Math.abs(z);
  if (ax === Infinity || ay === Infinity || az === Infinity) return Infinity;
  if (ax !== ax || ay !== ay || az !== az) return NaN;
  let max = ax > ay ? ax : ay;
  if (az > max) max = az;
  if (max === 0) return 0;
  const nx = ax / max, ny = ay / max, nz = az / max;
  // Kahan's first step from a zero sum leaves no compensation.
  const sum = nx * nx, summand = ny * ny;
  const preliminary = sum + summand;
  const compensation = (preliminary - sum) - summand;
  return Math.sqrt(preliminary + (nz * nz - compensation)) * max;
}
