/**
 * Range checks for a decoded .avatar: a file can carry a valid checksum and still hold absurd
 * contents (an empty landmark array, a rotation of 1e308, identity coefficients of 1e30), which
 * would load and then render garbage or NaN. Each bound is far outside what a fit produces, so it
 * rejects only damage or forgery, never an avatar this project made.
 */
import { PhotoAvatarError } from '../errors.js';
import type { HeadModel } from '../modelpack/head-model.js';
import type { AvatarData } from '../types.js';

/** Coefficients beyond this many prior standard deviations are no face (fits stay within ~3). */
export const MAX_PRIOR_SIGMAS = 20;
/** Pixel coordinates, focal lengths and translations beyond this are not from a photo (the decoder caps photos at 50 MP). */
const MAX_COORDINATE = 1e6;
/** Spherical-harmonics light coefficients: fitted values stay within a few units. */
const MAX_LIGHT = 100;
/** Rotation matrices must be orthonormal to this tolerance (float64 JSON round trip keeps 1e-15). */
const ROTATION_TOLERANCE = 1e-3;

function outOfRange(message: string): PhotoAvatarError {
  return new PhotoAvatarError('CORRUPT_INPUT_FILE', `Not a valid .avatar file: ${message}.`);
}

function requireLength(values: ArrayLike<number>, length: number, field: string): void {
  if (values.length !== length) throw outOfRange(`"${field}" has ${values.length} values, expected ${length}`);
}

function requireWithin(values: ArrayLike<number>, low: number, high: number, field: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!(values[i] >= low && values[i] <= high)) throw outOfRange(`"${field}" value ${i} is ${values[i]}, outside ${low} to ${high}`);
  }
}

function requireWithinPrior(values: ArrayLike<number>, std: ArrayLike<number>, field: string): void {
  for (let i = 0; i < values.length; i++) {
    const bound = MAX_PRIOR_SIGMAS * Math.abs(std[i]);
    if (!(Math.abs(values[i]) <= bound)) throw outOfRange(`"${field}" coefficient ${i} is ${values[i]}, beyond ${MAX_PRIOR_SIGMAS} standard deviations (${bound.toPrecision(3)}) of the model`);
  }
}

function requireRotation(rotation: ArrayLike<number>, field: string): void {
  requireLength(rotation, 9, field);
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 3; b++) {
      let dot = 0;
      for (let k = 0; k < 3; k++) dot += rotation[3 * k + a] * rotation[3 * k + b];
      if (!(Math.abs(dot - (a === b ? 1 : 0)) <= ROTATION_TOLERANCE)) throw outOfRange(`"${field}" is not a rotation matrix`);
    }
  }
}

/** Identity and expression coefficients within the model's prior (throws CORRUPT_INPUT_FILE). */
export function checkAvatarCoefficients(identity: ArrayLike<number>, expression: ArrayLike<number>, model: HeadModel): void {
  requireWithinPrior(identity, model.identityStd, 'identity');
  requireWithinPrior(expression, model.expressionStd, 'expression');
}

/** Throws CORRUPT_INPUT_FILE naming the first field (besides the coefficients) whose count or range makes no sense. */
export function checkAvatarRanges(data: AvatarData): void {
  requireWithin(data.light, -MAX_LIGHT, MAX_LIGHT, 'light');
  const { camera, face, pose, metrics } = data;
  requireWithin([camera.focal], 1e-3, MAX_COORDINATE, 'camera.focal');
  requireWithin([camera.cx, camera.cy], -MAX_COORDINATE, MAX_COORDINATE, 'camera centre');
  requireWithin(camera.translation, -MAX_COORDINATE, MAX_COORDINATE, 'camera.translation');
  requireRotation(camera.rotation, 'camera.rotation');
  requireLength(face.landmarks468, 468 * 3, 'face.landmarks468');
  requireLength(face.iris, 30, 'face.iris');
  requireLength(face.landmarks68, 136, 'face.landmarks68');
  requireLength(data.fittedLandmarks68, 136, 'fittedLandmarks68');
  for (const [field, values] of [['face.landmarks468', face.landmarks468], ['face.iris', face.iris], ['face.landmarks68', face.landmarks68], ['fittedLandmarks68', data.fittedLandmarks68]] as const) {
    requireWithin(values, -MAX_COORDINATE, MAX_COORDINATE, field);
  }
  requireWithin([face.box.x, face.box.y], -MAX_COORDINATE, MAX_COORDINATE, 'face.box position');
  requireWithin([face.box.width, face.box.height], 0, MAX_COORDINATE, 'face.box size');
  requireWithin([face.score, face.meshScore], 0, 1, 'face scores');
  requireWithin([face.roll], -2 * Math.PI, 2 * Math.PI, 'face.roll');
  requireWithin([pose.yawDeg, pose.pitchDeg, pose.rollDeg], -180, 180, 'pose');
  requireWithin([metrics.landmarkErrorPx], 0, MAX_COORDINATE, 'metrics.landmarkErrorPx');
  requireWithin([metrics.landmarkErrorNormalized], 0, 1e3, 'metrics.landmarkErrorNormalized');
  if (metrics.coverage !== undefined) requireWithin([metrics.coverage], 0, 1, 'metrics.coverage');
}
