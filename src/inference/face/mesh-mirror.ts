/**
 * Left-right partners of FaceMesh's 468 points. MediaPipe's canonical face mesh is exactly
 * symmetric: 28 points lie on its midline, and the other 220 below index 248 pair, in order, with
 * 248..467 (test/face/mesh-mirror.test.ts checks this against the canonical mesh in
 * @mediapipe/face_mesh). Running FaceMesh on a horizontally flipped crop and reading point i of its
 * output as point MESH_MIRROR[i] of the face gives a second estimate of every point, whose
 * left-right biases are the first one's mirrored.
 */
import { applyAffine, type Affine2x3 } from '../../image/resize.js';

const MIDLINE_POINTS = [0, 1, 2, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 94, 151, 152, 164, 168, 175, 195, 197, 199, 200];
const FIRST_LEFT_POINT = 248;

function mirrorPartners(): Uint16Array {
  const partner = new Uint16Array(468);
  const midline = new Set(MIDLINE_POINTS);
  let left = FIRST_LEFT_POINT;
  for (let i = 0; i < FIRST_LEFT_POINT; i++) {
    if (midline.has(i)) {
      partner[i] = i;
      continue;
    }
    partner[i] = left;
    partner[left++] = i;
  }
  return partner;
}

/** MESH_MIRROR[i]: the point that is point i's mirror image across the face's midline. */
export const MESH_MIRROR: Uint16Array = mirrorPartners();

/**
 * Averages `points` (468 xyz, image pixels, in place) with a FaceMesh output made on the same crop
 * flipped horizontally: `flippedRaw` in that crop's continuous pixels (as the model writes them),
 * `cropToImage` maps the unflipped crop's pixel centres to the image, `zScale` its depth scale.
 */
export function averageWithMirrored(points: Float32Array, flippedRaw: ArrayLike<number>, cropSize: number, cropToImage: Affine2x3, zScale: number): void {
  for (let j = 0; j < 468; j++) {
    const i = MESH_MIRROR[j];
    // The flipped crop's column x is the unflipped crop's column size - 1 - x (pixel centres).
    const [x, y] = applyAffine(cropToImage, cropSize - 1 - (flippedRaw[3 * j] - 0.5), flippedRaw[3 * j + 1] - 0.5);
    points[3 * i] = 0.5 * (points[3 * i] + x);
    points[3 * i + 1] = 0.5 * (points[3 * i + 1] + y);
    points[3 * i + 2] = 0.5 * (points[3 * i + 2] + flippedRaw[3 * j + 2] * zScale);
  }
}
