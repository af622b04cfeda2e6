import type { SubMesh } from '../head-model.js';
import { buildEyeball, EYE_RADIUS } from './eyes.js';
import type { HeadSurface } from './head-surface.js';
import { centroid } from '../mesh-utils.js';
import { LEFT_EYE_LOOP, RIGHT_EYE_LOOP } from '../../inference/face/mediapipe-regions.js';

/** How far the front of the eyeball sits behind the mean depth of the lid contour. */
const CORNEA_BEHIND_LIDS = 0.0008;

/** Eyeball centre behind a lid contour (canonical landmark indices). */
export function eyeCentre(positions: Float32Array, lidLoop: number[]): [number, number, number] {
  const [x, y, z] = centroid(positions, lidLoop);
  return [x, y, z - CORNEA_BEHIND_LIDS - EYE_RADIUS];
}

export function buildEyeballs(surface: HeadSurface): SubMesh[] {
  // ARKit/glTF naming: eyeLeft is the subject's left eye, at +X.
  return [
    buildEyeball('eyeLeft', eyeCentre(surface.positions, LEFT_EYE_LOOP)),
    buildEyeball('eyeRight', eyeCentre(surface.positions, RIGHT_EYE_LOOP)),
  ];
}
