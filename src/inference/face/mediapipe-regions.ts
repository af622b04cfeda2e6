/** MediaPipe FaceMesh landmark groups (indices into the 468 canonical vertices) used to shape the head. */

/** Subject's right eye (viewer's left, -X) lid contour, a closed loop starting at the outer corner. */
export const RIGHT_EYE_LOOP = [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246];
export const LEFT_EYE_LOOP = [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466];
export const RIGHT_UPPER_LID = [33, 246, 161, 160, 159, 158, 157, 173, 133];
export const LEFT_UPPER_LID = [263, 466, 388, 387, 386, 385, 384, 398, 362];
export const RIGHT_LOWER_LID = [33, 7, 163, 144, 145, 153, 154, 155, 133];
export const LEFT_LOWER_LID = [263, 249, 390, 373, 374, 380, 381, 382, 362];
/** Inner lip contour (the mouth line), a closed loop. */
export const INNER_LIP_LOOP = [78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308, 415, 310, 311, 312, 13, 82, 81, 80, 191];
export const OUTER_LIPS = [61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291, 409, 270, 269, 267, 0, 37, 39, 40, 185];
export const RIGHT_BROW = [70, 63, 105, 66, 107, 55, 65, 52, 53, 46];
export const LEFT_BROW = [300, 293, 334, 296, 336, 285, 295, 282, 283, 276];
export const NOSE = [1, 2, 4, 5, 6, 19, 94, 97, 326, 98, 327, 48, 278, 64, 294, 129, 358, 168, 197, 195];
export const NOSE_TIP = 4;
export const NOSE_BRIDGE = 6;
export const CHIN = 152;
export const FOREHEAD_TOP = 10;
export const MOUTH_CORNER_RIGHT = 61;
export const MOUTH_CORNER_LEFT = 291;
export const UPPER_LIP_CENTRE = 13;
export const LOWER_LIP_CENTRE = 14;
export const RIGHT_CHEEK = [50, 101, 118, 117, 123, 187, 205, 36, 147];
export const LEFT_CHEEK = [280, 330, 347, 346, 352, 411, 425, 266, 376];
export const RIGHT_JAW = [172, 136, 150, 149, 58, 132];
export const LEFT_JAW = [397, 365, 379, 378, 288, 361];
export const FACE_SIDE_RIGHT = 234;
export const FACE_SIDE_LEFT = 454;

/** Even-odd test of image point (x, y) against the polygon of landmark indices `loop` (landmarks: xyz interleaved). */
export function insideLandmarkLoop(landmarks: Float32Array, loop: readonly number[], x: number, y: number): boolean {
  let inside = false;
  for (let i = 0, j = loop.length - 1; i < loop.length; j = i++) {
    const xi = landmarks[3 * loop[i]], yi = landmarks[3 * loop[i] + 1];
    const xj = landmarks[3 * loop[j]], yj = landmarks[3 * loop[j] + 1];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
