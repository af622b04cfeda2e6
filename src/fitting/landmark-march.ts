/**
 * iBUG-68 points of a fitted model by landmark marching. The fit's observations are MediaPipe
 * points, so the model's landmarks68 jaw sits on MediaPipe's face oval (the front of the face).
 * Human iBUG annotations follow the visible jaw line instead: on the side turned towards the camera
 * it runs along the mandible back to below the ear. For packs with `jawMarchLines`, each jaw point
 * on that side moves to the vertex of its march line that lies furthest out in the image, along
 * the outward normal of the projected jaw contour (the silhouette). The far side keeps the contour
 * points (marching there moves them outwards, away from the annotated visible contour); the inner
 * 51 points are the model's landmark vertices.
 */
import type { HeadModel } from '../modelpack/head-model.js';
import type { PinholeCamera } from '../types.js';

const JAW_POINTS = 17;

function projectVertex(vertices: ArrayLike<number>, v: number, camera: PinholeCamera, out: Float64Array): void {
  const R = camera.rotation, t = camera.translation;
  const x = vertices[3 * v], y = vertices[3 * v + 1], z = vertices[3 * v + 2];
  const px = R[0] * x + R[1] * y + R[2] * z + t[0];
  const py = R[3] * x + R[4] * y + R[5] * z + t[1];
  const pz = R[6] * x + R[7] * y + R[8] * z + t[2];
  out[0] = camera.cx - (camera.focal * px) / pz;
  out[1] = camera.cy + (camera.focal * py) / pz;
}

/**
 * The model's 68 landmark vertices of `vertices` (the fitted mesh, xyz interleaved) projected with
 * `camera`, jaw points marched to the silhouette where the model has march lines. xy interleaved.
 */
export function ibug68FromMesh(model: HeadModel, vertices: ArrayLike<number>, camera: PinholeCamera, out = new Float32Array(136)): Float32Array {
  const p = new Float64Array(2);
  for (let i = 0; i < 68; i++) {
    projectVertex(vertices, model.landmarks68[i], camera, p);
    out[i * 2] = p[0];
    out[i * 2 + 1] = p[1];
  }
  const lines = model.jawMarchLines;
  if (!lines) return out;
  const contour = out.slice(0, JAW_POINTS * 2);
  // Camera-space depth change along model +x: positive when the model's +x side turns towards the camera.
  const towardsCamera = camera.rotation[6];
  for (let i = 0; i < JAW_POINTS; i++) {
    const base = model.landmarks68[i];
    const side = Math.sign(model.positions[3 * base] - model.positions[3 * model.landmarks68[8]]);
    if (side === 0 || side * towardsCamera <= 0) continue;
    const from = lines.offsets[i], to = lines.offsets[i + 1];
    if (to - from < 2) continue;
    // Outward normal of the projected contour at point i (the contour runs from the subject's right ear to the left).
    const a = Math.max(0, i - 1), b = Math.min(JAW_POINTS - 1, i + 1);
    const tx = contour[b * 2] - contour[a * 2], ty = contour[b * 2 + 1] - contour[a * 2 + 1];
    let nx = ty, ny = -tx;
    const length = Math.hypot(nx, ny);
    if (length === 0) continue;
    nx /= length; ny /= length;
    // Orient away from the face: the nose bridge (27) lies inside the jaw contour.
    if ((contour[i * 2] - out[27 * 2]) * nx + (contour[i * 2 + 1] - out[27 * 2 + 1]) * ny < 0) { nx = -nx; ny = -ny; }
    let best = -Infinity, bestX = out[i * 2], bestY = out[i * 2 + 1];
    for (let k = from; k < to; k++) {
      projectVertex(vertices, lines.vertices[k], camera, p);
      const reach = p[0] * nx + p[1] * ny;
      if (reach > best) { best = reach; bestX = p[0]; bestY = p[1]; }
    }
    out[i * 2] = bestX;
    out[i * 2 + 1] = bestY;
  }
  return out;
}

/** iBUG-68 points (image pixels, xy interleaved) of a fitFace result. */
export function ibug68FromFit(model: HeadModel, fit: { vertices: Float32Array; camera: PinholeCamera }): Float32Array {
  return ibug68FromMesh(model, fit.vertices, fit.camera);
}
