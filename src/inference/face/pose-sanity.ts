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
 *   analyses of 256² crops: 0.7-1.3 s per photo on the 2-core development machine.
 * - True profiles. On a 90° profile the mesh still places both eyes and the far cheek, and the fit
 *   lands inside the ±60° yaw guard (-51° on prnet/3.jpg), so yaw alone does not catch it. The 2-D
 *   geometry does: the far eye's visible width collapses, and the nose tip leaves the span between
 *   the two cheek outline points.
 */
import { PhotoAvatarError } from '../../errors.js';
import type { FaceObservation, RgbaImage } from '../../types.js';
import type { FaceAnalyzer } from './analyzer.js';

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

/** Detector and mesh confidence on the face turned upright by its measured roll, and turned 180° from that. */
export async function measureUprightEvidence(analyzer: FaceAnalyzer, image: RgbaImage, face: FaceObservation): Promise<UprightEvidence> {
  const options = { maxFaces: 1, refineMesh: false };
  const confidence = (result: Awaited<ReturnType<FaceAnalyzer['analyze']>>) => (result.faces[0] ? result.faces[0].score * result.faces[0].meshScore : 0);
  let asRead = 0, turned = 0;
  for (const scale of UPRIGHT_CROP_SCALES) {
    const crop = uprightCropAround(image, face, scale);
    asRead += confidence(await analyzer.analyze(crop, options)) / UPRIGHT_CROP_SCALES.length;
    turned += confidence(await analyzer.analyze(turnedHalfway(crop), options)) / UPRIGHT_CROP_SCALES.length;
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
  const evidence = await measureUprightEvidence(analyzer, image, face);
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

/** The image turned 180°: pixel order reversed. */
function turnedHalfway(image: RgbaImage): RgbaImage {
  const source = new Uint32Array(Uint8Array.from(image.data).buffer);
  const out = new Uint32Array(source.length);
  for (let i = 0, j = source.length - 1; i < source.length; i++, j--) out[i] = source[j];
  return { width: image.width, height: image.height, data: new Uint8Array(out.buffer) };
}

/** Side of the square crops compared by the upright check: ample for the detector's 256² input. */
const CROP_SIDE = 256;

/**
 * A CROP_SIDE² square of `scale` x the detector box around the face, turned by the face's roll
 * so that a correctly read face comes out upright (bilinear; outside the photo is black).
 */
function uprightCropAround(image: RgbaImage, face: FaceObservation, scale: number): RgbaImage {
  const side = scale * Math.max(face.box.width, face.box.height);
  const cx = face.box.x + face.box.width / 2, cy = face.box.y + face.box.height / 2;
  const step = side / CROP_SIDE;
  const cos = Math.cos(face.roll) * step, sin = Math.sin(face.roll) * step;
  const data = new Uint8Array(CROP_SIDE * CROP_SIDE * 4);
  const { width, height } = image;
  for (let v = 0; v < CROP_SIDE; v++) {
    for (let u = 0; u < CROP_SIDE; u++) {
      const du = u + 0.5 - CROP_SIDE / 2, dv = v + 0.5 - CROP_SIDE / 2;
      const x = cx + cos * du - sin * dv - 0.5, y = cy + sin * du + cos * dv - 0.5;
      const o = (v * CROP_SIDE + u) * 4;
      data[o + 3] = 255;
      if (!(x >= 0 && y >= 0 && x < width - 1 && y < height - 1)) continue;
      const x0 = Math.floor(x), y0 = Math.floor(y), fx = x - x0, fy = y - y0;
      const i00 = (y0 * width + x0) * 4, i10 = i00 + 4, i01 = i00 + width * 4, i11 = i01 + 4;
      for (let c = 0; c < 3; c++) {
        const top = image.data[i00 + c] * (1 - fx) + image.data[i10 + c] * fx;
        const bottom = image.data[i01 + c] * (1 - fx) + image.data[i11 + c] * fx;
        data[o + c] = top * (1 - fy) + bottom * fy + 0.5;
      }
    }
  }
  return { width: CROP_SIDE, height: CROP_SIDE, data };
}
