/**
 * Pose sanity checks run before fitting, on evidence the fitted pose cannot give:
 *
 * - Upside-down faces. FaceMesh runs on a crop rotated by the detector's eye line, which handles
 *   any roll the detector reads correctly (a photo turned 90° fits at roll 90°). Upside down, the
 *   detector's eye keypoints land on the mouth, the crop stays upright, and the mesh and the fit
 *   come back confidently upright over an inverted face. The evidence is the detector itself:
 *   on the face's surroundings turned 180° it (times the mesh's face score) is more confident than
 *   on them as read. On 38 upright shared and demo photos, and the 27 of them whose face is still
 *   detected when turned 180°, this separated all 65 cases (as-read minus turned: at least 0.065
 *   upright, at most -0.045 upside down). It costs four
 *   analyses of 256² crops (detector and one FaceMesh run each; the Iris model is skipped, its
 *   points are not read).
 * - True profiles. On a 90° profile the mesh still places both eyes and the far cheek, and the fit
 *   lands inside the ±60° yaw guard (-51° on prnet/3.jpg), so yaw alone does not catch it. The 2-D
 *   geometry does: the far eye's visible width collapses, and the nose tip leaves the span between
 *   the two cheek outline points.
 */
import { PhotoAvatarError } from '../../errors.js';
import type { FaceObservation, RgbaImage } from '../../types.js';
import type { FaceAnalyzer } from './analyzer.js';
import { cropAffine, squareCropMatrix } from '../../image/resize.js';

/** FaceMesh indices: eye corners (subject's right eye 33-133, left 362-263), nose tip, cheek outline. */
const RIGHT_EYE = [33, 133] as const;
const LEFT_EYE = [362, 263] as const;
const NOSE_TIP = 1;
const RIGHT_CHEEK = 234;
const LEFT_CHEEK = 454;

/**
 * Profile thresholds. Measured on the largest face of 37 shared and demo photos (frontal to
 * three-quarter views): eye width ratio 0.54-0.99, nose position -0.10 to 1.05 along the cheek
 * line (0 and 1 are the cheek outline points); emma.jpg's two side faces 0.39-0.40 and -0.36; the
 * 90° profile prnet/3.jpg 0.28 and -0.61.
 */
export const MIN_EYE_WIDTH_RATIO = 0.35;
export const MAX_NOSE_BEYOND_OUTLINE = 0.45;

export interface ProfileGeometry {
  /** Visible width of the narrower eye over the wider one (1 = frontal, towards 0 in profile). */
  eyeWidthRatio: number;
  /** Nose tip projected on the right-cheek -> left-cheek line: 0.5 frontal, outside 0..1 beyond the outline. */
  nosePosition: number;
}

export function measureProfileGeometry(face: FaceObservation): ProfileGeometry {
  const p = face.landmarks468;
  const distance = (a: number, b: number) => Math.hypot(p[3 * a] - p[3 * b], p[3 * a + 1] - p[3 * b + 1]);
  const right = distance(RIGHT_EYE[0], RIGHT_EYE[1]);
  const left = distance(LEFT_EYE[0], LEFT_EYE[1]);
  const ax = p[3 * RIGHT_CHEEK], ay = p[3 * RIGHT_CHEEK + 1];
  const dx = p[3 * LEFT_CHEEK] - ax, dy = p[3 * LEFT_CHEEK + 1] - ay;
  const nosePosition = ((p[3 * NOSE_TIP] - ax) * dx + (p[3 * NOSE_TIP + 1] - ay) * dy) / Math.max(1e-9, dx * dx + dy * dy);
  return { eyeWidthRatio: Math.min(left, right) / Math.max(left, right, 1e-9), nosePosition };
}

/** Throws EXTREME_POSE for a face seen in profile. */
export function rejectProfile(face: FaceObservation): void {
  const { eyeWidthRatio, nosePosition } = measureProfileGeometry(face);
  const noseBeyond = Math.max(-nosePosition, nosePosition - 1);
  if (eyeWidthRatio < MIN_EYE_WIDTH_RATIO || noseBeyond > MAX_NOSE_BEYOND_OUTLINE) {
    throw new PhotoAvatarError('EXTREME_POSE',
      `The face is seen in profile (the far eye shows ${(100 * eyeWidthRatio).toFixed(0)}% of the near eye's width` +
      `${noseBeyond > 0 ? ` and the nose reaches ${(100 * noseBeyond).toFixed(0)}% of the face width beyond the cheek` : ''}); ` +
      'photos within about ±60 degrees of frontal, with both eyes visible, are supported.');
  }
}

/** Crop sizes (x the detector box) the upright check averages over: one crop alone is noisy. */
const UPRIGHT_CROP_SCALES = [1.6, 2.2];

export interface UprightEvidence {
  /** Mean over crops of detector score x mesh score, on the face's surroundings as read, and turned 180°. */
  asRead: number;
  turned: number;
}

/**
 * Detector and mesh confidence on the face turned upright by its measured roll, and turned 180° from
 * that. With `untilSettled`, the turned crops stop as soon as the rest could not lift `turned` above
 * `asRead` (each confidence is a product of two probabilities, at most 1): `turned` is then a lower
 * bound, and the verdict (turned > asRead) is the same as with every crop, since rounded additions
 * of smaller terms never give a larger sum.
 */
export async function measureUprightEvidence(analyzer: FaceAnalyzer, image: RgbaImage, face: FaceObservation, untilSettled = false): Promise<UprightEvidence> {
  // The scores alone are read: no Iris runs (two per analysis).
  const options = { maxFaces: 1, refineMesh: false, irisEyes: 'none' } as const;
  const confidence = (result: Awaited<ReturnType<FaceAnalyzer['analyze']>>) => (result.faces[0] ? result.faces[0].score * result.faces[0].meshScore : 0);
  const crops = UPRIGHT_CROP_SCALES.length;
  let asRead = 0, turned = 0;
  for (const scale of UPRIGHT_CROP_SCALES) asRead += confidence(await analyzer.analyze(cropAroundFace(image, face, scale, 0), options)) / crops;
  for (let k = 0; k < crops; k++) {
    if (untilSettled) {
      let most = turned;
      for (let rest = k; rest < crops; rest++) most += 1 / crops;
      if (most <= asRead) break;
    }
    turned += confidence(await analyzer.analyze(cropAroundFace(image, face, UPRIGHT_CROP_SCALES[k], Math.PI), options)) / crops;
  }
  return { asRead, turned };
}

/**
 * Rolls the mesh reads beyond this come from detector eye keypoints that followed the face (a
 * photo turned 90° reads 85-101°), so the crop was already turned correctly; the failure mode is a
 * mesh that reads an inverted face as upright (-10° to 3.4° on the shared photos turned 180°).
 * Beyond it the comparison is also less reliable: on 90°-turned photos it misjudged one of 58.
 */
export const MAX_ROLL_CHECKED_DEG = 45;

/** Throws EXTREME_POSE when the face is upside down but was read as upright. */
export async function rejectUpsideDown(analyzer: FaceAnalyzer, image: RgbaImage, face: FaceObservation): Promise<void> {
  if ((Math.abs(face.roll) * 180) / Math.PI > MAX_ROLL_CHECKED_DEG) return;
  const evidence = await measureUprightEvidence(analyzer, image, face, true);
  if (evidence.turned > evidence.asRead) {
    throw new PhotoAvatarError('EXTREME_POSE',
      `The face looks upside down (the face models are more confident with the photo turned 180°: ` +
      `${evidence.turned.toFixed(2)} vs ${evidence.asRead.toFixed(2)}); rotate the photo upright and try again.`);
  }
}

/** Both checks, in the order that costs least. */
export async function rejectUnusablePose(analyzer: FaceAnalyzer, image: RgbaImage, face: FaceObservation): Promise<void> {
  rejectProfile(face);
  await rejectUpsideDown(analyzer, image, face);
}

/** Side of the square crops compared by the upright check: ample for the detector's 256² input. */
const CROP_SIDE = 256;

/**
 * A CROP_SIDE² square of `scale` x the detector box around the face, turned by the face's roll
 * plus `extraTurn` radians, so that a correctly read face comes out upright with extraTurn 0 and
 * upside down with π (outside the photo is black).
 */
function cropAroundFace(image: RgbaImage, face: FaceObservation, scale: number, extraTurn: number): RgbaImage {
  const side = scale * Math.max(face.box.width, face.box.height);
  // Box edges are pixel edges; crop matrices work on pixel centres (../../types.ts).
  const cx = face.box.x + face.box.width / 2 - 0.5, cy = face.box.y + face.box.height / 2 - 0.5;
  const matrix = squareCropMatrix(cx, cy, side, face.roll + extraTurn, CROP_SIDE);
  const planes = cropAffine(image, matrix, CROP_SIDE, CROP_SIDE, undefined, { range: [0, 255], border: 'zero' });
  const plane = CROP_SIDE * CROP_SIDE;
  // The photo's own byte array type, so cropAffine reads one type on a cold run (a second type
  // deoptimized its loop: ~15 ms back in the interpreter). Planes are 0..255: `+ 0.5 | 0` rounds as a
  // Uint8Array store truncates, where a Uint8ClampedArray store would round half to even.
  const data = image.data instanceof Uint8ClampedArray ? new Uint8ClampedArray(plane * 4) : new Uint8Array(plane * 4);
  for (let p = 0; p < plane; p++) {
    data[4 * p] = (planes[p] + 0.5) | 0;
    data[4 * p + 1] = (planes[plane + p] + 0.5) | 0;
    data[4 * p + 2] = (planes[2 * plane + p] + 0.5) | 0;
    data[4 * p + 3] = 255;
  }
  return { width: CROP_SIDE, height: CROP_SIDE, data };
}
