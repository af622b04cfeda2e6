/**
 * Closed contours of the 468-point MediaPipe face mesh (indices from MediaPipe's
 * face_mesh_connections / the `human` annotations), each ordered around its region. "Right" is the
 * subject's right (image left in a frontal photo).
 */
export const FACE_OVAL = Uint16Array.from([
  10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148, 176, 149, 150, 136,
  172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
]);

export const RIGHT_EYE = Uint16Array.from([33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144, 163, 7]);
export const LEFT_EYE = Uint16Array.from([263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373, 390, 249]);

export const RIGHT_BROW = Uint16Array.from([156, 70, 63, 105, 66, 107, 55, 193, 65, 52, 53, 46, 124, 35]);
export const LEFT_BROW = Uint16Array.from([383, 300, 293, 334, 296, 336, 285, 417, 295, 282, 283, 276, 353, 265]);

export const LIPS_OUTER = Uint16Array.from([61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291, 375, 321, 405, 314, 17, 84, 181, 91, 146]);

/** Eye corners used for the iris crops and the roll angle, per eye in image-left-to-right order of a frontal face. */
export const RIGHT_EYE_CORNERS = [33, 133] as const;
export const LEFT_EYE_CORNERS = [362, 263] as const;
