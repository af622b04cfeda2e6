/**
 * Shared data contracts between the stages: face analysis -> fitting -> albedo -> Babylon/GLB.
 *
 * Conventions used everywhere in the project (read these once):
 * - Images are RGBA, 8 bits per channel, row-major, top-left origin (same layout as DOM ImageData).
 * - Image coordinates are pixels with 0-based pixel centres: the centre of the top-left pixel is (0, 0).
 * - Model space is glTF's: metres, right-handed, +Y up, +Z out of the face towards the viewer,
 *   +X towards the viewer's right when facing the head (the subject's left).
 * - Triangles wind counter-clockwise when seen from outside the surface.
 * - UVs: u to the right, v up (glTF stores v down; writers flip at the boundary). Texture images are
 *   stored top row first, so texel row = (1 - v) * height.
 * - Geometry lives in typed arrays: xyz interleaved Float32Array, indices Uint32Array.
 */

/** An 8-bit RGBA image (ImageData-compatible). */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8ClampedArray | Uint8Array;
}

/** A single-channel 8-bit mask, 255 = inside. */
export interface Mask {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One face found in a photo, in image pixels (0-based pixel centres). */
export interface FaceObservation {
  box: Box;
  /** Detector confidence in 0..1. */
  score: number;
  /** 468 MediaPipe points, xyz interleaved; x, y in image pixels, z in pixels relative to the face centre (smaller = nearer the camera). */
  landmarks468: Float32Array;
  /** 10 iris points xyz interleaved: subject's right iris (centre + 4 contour), then left. */
  iris: Float32Array;
  /** iBUG-68 points, xy interleaved, image pixels. Points 0..16 (jaw) come from the 3D mesh contour, not the silhouette. */
  landmarks68: Float32Array;
  /** Face-presence confidence from the mesh model, 0..1. */
  meshScore: number;
  /** Roll angle of the face in radians (eye line vs horizontal). */
  roll: number;
}

export interface FaceAnalysisResult {
  imageWidth: number;
  imageHeight: number;
  /** Sorted by face area, largest first. */
  faces: FaceObservation[];
  /** Execution provider that ran the models. */
  backend: 'webgpu' | 'wasm';
  timings: Record<string, number>;
}

/** Stage names reported through progress callbacks, in order. */
export type StageName = 'load' | 'detect' | 'landmarks' | 'fit' | 'albedo' | 'build';

export interface ProgressEvent {
  stage: StageName;
  /** 0..1 within the stage. */
  progress: number;
  message?: string;
}

export type ProgressCallback = (event: ProgressEvent) => void;

/**
 * A camera mapping model-space points to image pixels.
 * Perspective pinhole: p_cam = R * p + t (camera looks down -Z, +Y up);
 * x_img = cx + focal * p_cam.x / -p_cam.z, y_img = cy - focal * p_cam.y / -p_cam.z.
 */
export interface PinholeCamera {
  focal: number;
  cx: number;
  cy: number;
  /** Row-major 3x3 rotation. */
  rotation: Float64Array;
  translation: Float64Array;
}

import type { HeadModel } from './modelpack/head-model.js';
import type { AvatarHair } from './hair/index.js';

export interface FitMetrics {
  /** Mean 68-point reprojection error in pixels. */
  landmarkErrorPx: number;
  /** Same, as a fraction of the outer-eye-corner distance (iBUG 36-45). */
  landmarkErrorNormalized: number;
  /** Fraction of the UV face region observed in the photo. */
  coverage?: number;
  /** With a UV albedo model: the photometric RMSE (linear RGB, skin texels) of its last fitting round. */
  photometricRmse?: number;
}

/** One photo of a several-photo avatar: what was fitted to it besides the shared identity and albedo. */
export interface AvatarView {
  camera: PinholeCamera;
  face: FaceObservation;
  /** Expression weights fitted to this photo. */
  expression: Float32Array;
  /** 27 SH light coefficients estimated from this photo. */
  light: Float32Array;
  /** The fitted model's 68 landmarks projected into this photo (image pixels, xy interleaved). */
  fittedLandmarks68: Float32Array;
  pose: { yawDeg: number; pitchDeg: number; rollDeg: number };
  landmarkErrorPx: number;
  landmarkErrorNormalized: number;
  imageWidth: number;
  imageHeight: number;
}

/**
 * Everything the Babylon side and the exporters need to build an avatar; produced by the photo
 * pipeline (src/pipeline.ts) and by .avatar loading. Engine-independent.
 */
export interface AvatarData {
  model: HeadModel;
  /** Identity coefficients (model.identityCount). */
  identity: Float32Array;
  /** Expression weights fitted to the photo (model.expressionNames.length). */
  expression: Float32Array;
  /** Identity applied, expression neutral: the base mesh the morph targets add to. */
  neutralVertices: Float32Array;
  /** Albedo texture in the model's UV layout. */
  albedo: RgbaImage;
  /** 27 spherical-harmonics light coefficients (9 per channel, R then G then B) estimated from the photo. */
  light: Float32Array;
  /** Coefficients of the UV albedo model when one was fitted: r, then g, then b (componentCount each). */
  albedoCoefficients?: Float32Array;
  camera: PinholeCamera;
  face: FaceObservation;
  /** Image-space skin mask of the face used for fitting (absent for avatars loaded from files). */
  skinMask?: Mask;
  /** The fitted model's 68 landmarks projected into the photo (image pixels, xy interleaved). */
  fittedLandmarks68: Float32Array;
  /** Head pose in degrees (yaw: turning left/right, pitch: nodding, roll: tilting). */
  pose: { yawDeg: number; pitchDeg: number; rollDeg: number };
  metrics: FitMetrics;
  /** Milliseconds per stage. */
  timings: Record<string, number>;
  backend: 'webgpu' | 'wasm';
  /**
   * Made from several photos: every photo's fit, in input order (views[0] is the photo the
   * top-level camera, face, pose, expression and metrics describe). Absent for one photo.
   */
  views?: AvatarView[];
  /** The head shape was given (CreateAvatarOptions.shape), not fitted: identity is empty. */
  givenShape?: boolean;
  /** Iris colour read from the photo (sRGB 0..255, de-lit like the albedo); absent: the eye texture's default brown. */
  irisColor?: [number, number, number];
  /** Brow colour (linear RGB) for models with brow cards: the photo's brows' darkness in its hair's pigment (../hair/face-cards.ts). */
  browColor?: [number, number, number];
  /** Hair: style, colour and the fitted mesh (../hair/index.ts); absent when hair was not asked for. */
  hair?: AvatarHair;
  /**
   * Every face the (first) photo holds and which one the avatar was fitted to: a group photo's
   * other faces are one `faceIndex` away (describeFaces in ./inference/face/face-choice.ts names
   * them). Absent for avatars loaded from files.
   */
  facesInPhoto?: FacesInPhoto;
}

/** The faces the detector found in a photo, in its order (the `faceIndex` order), and the one chosen. */
export interface FacesInPhoto {
  /** Image pixels. */
  boxes: Box[];
  /** Index into `boxes` of the face the avatar was fitted to. */
  chosen: number;
  imageWidth: number;
  imageHeight: number;
}
