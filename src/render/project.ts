/** Model space to image pixels through the fitted pinhole camera (../types.ts), on typed arrays. */
import type { PinholeCamera } from '../types.js';

/**
 * Projects model-space points with the pinhole camera into `out` as (x, y, depth) per vertex.
 * Points behind the camera get NaN x, which makes the rasterizer skip their triangles.
 */
export function projectToImage(positions: Float32Array, camera: PinholeCamera, out = new Float32Array(positions.length)): Float32Array {
  const R = camera.rotation, T = camera.translation, f = camera.focal;
  for (let i = 0; i < positions.length; i += 3) {
    const px = positions[i], py = positions[i + 1], pz = positions[i + 2];
    const X = R[0] * px + R[1] * py + R[2] * pz + T[0];
    const Y = R[3] * px + R[4] * py + R[5] * pz + T[1];
    const d = -(R[6] * px + R[7] * py + R[8] * pz + T[2]);
    if (!(d > 0)) {
      out[i] = NaN; out[i + 1] = NaN; out[i + 2] = NaN;
      continue;
    }
    out[i] = camera.cx + (f * X) / d;
    out[i + 1] = camera.cy - (f * Y) / d;
    out[i + 2] = d;
  }
  return out;
}
