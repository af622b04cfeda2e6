/**
 * Points an ArcRotateCamera at an avatar's face, the head filling the view. A portrait is taken
 * from a metre or more with a long lens: the camera that fills the view with a head from 0.35 m
 * (Babylon's default 0.8 rad field of view) draws a selfie's perspective, the nose large and the
 * ears and neck hidden behind the cheeks and the chin, and the avatar reads as a mask.
 */
import type { ArcRotateCamera } from '@babylonjs/core/Cameras/arcRotateCamera.js';
import { Camera } from '@babylonjs/core/Cameras/camera.js';
import { Vector3 } from '@babylonjs/core/Maths/math.vector.js';
import type { Avatar } from './avatar.js';

/** A portrait lens's vertical field of view (radians): about an 85 mm lens on full-frame film. */
export const PORTRAIT_FOV = 0.28;

/** The view's height over the head's (and its width over the head's width): the margin round the head. */
const VIEW_OVER_HEAD = 1.3;

export interface FrameAvatarOptions {
  /** Vertical field of view to give the camera (radians); absent: the camera keeps its own. */
  fov?: number;
}

/**
 * Aims `camera` at the avatar's head (hair, eyes and mouth parts included) from the front (model
 * +Z, whatever the scene's handedness) at the distance that fits the head, with a margin, into
 * the camera's field of view and the engine's aspect ratio; returns that distance (metres).
 */
export function frameAvatar(camera: ArcRotateCamera, avatar: Avatar, options: FrameAvatarOptions = {}): number {
  if (options.fov !== undefined) camera.fov = options.fov;
  const { min, max } = avatar.head.getHierarchyBoundingVectors(true);
  const center = min.add(max).scaleInPlace(0.5);
  const size = max.subtract(min);
  const aspect = camera.getEngine().getAspectRatio(camera) || 1;
  // The view's half-extents at unit distance; `fov` is vertical unless the camera fixes it horizontally.
  const tanHalf = Math.tan(camera.fov / 2);
  const tanUp = camera.fovMode === Camera.FOVMODE_HORIZONTAL_FIXED ? tanHalf / aspect : tanHalf, tanSide = tanUp * aspect;
  // From the front of the head's box, which is nearer the camera than its centre.
  const distance = (VIEW_OVER_HEAD / 2) * Math.max(size.y / tanUp, size.x / tanSide) + size.z / 2;
  const forward = Vector3.TransformNormal(new Vector3(0, 0, 1), avatar.modelSpace.computeWorldMatrix(true)).normalize();
  camera.setTarget(center);
  camera.setPosition(center.add(forward.scale(distance)));
  return distance;
}
