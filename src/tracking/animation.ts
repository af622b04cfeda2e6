/**
 * Tracked frames as an animation clip: per-frame morph weights, head rotation and eye rotation,
 * and that clip written into an avatar GLB (../export/glb.ts's layout: node `headMesh` carries the
 * morph targets, joints `head`, `eyeLeft`, `eyeRight` turn the head and eyes). glTF animation
 * samplers, LINEAR interpolation; viewers and Babylon's loader play them as one animation group.
 */
import { PhotoAvatarError } from '../errors.js';
import { packGlb } from '../export/glb.js';
import { parseGlbContainer } from '../modelpack/importers/glb.js';
import type { TrackedFrame } from './face-tracker.js';

export interface TrackedClip {
  /** Frame times, seconds, increasing. */
  times: Float32Array;
  /** Morph target names, in the avatar's order. */
  names: readonly string[];
  /** frames x names.length weights. */
  weights: Float32Array;
  /** Head joint rotation per frame, quaternion xyzw (model space, glTF's right-handed frame). */
  head: Float32Array;
  /** Eye joint rotation per frame (both eyes), quaternion xyzw. */
  eyes: Float32Array;
}

/** Quaternion (x, y, z, w) of a row-major rotation matrix, written at `offset`. */
export function rotationToQuaternion(R: ArrayLike<number>, out: Float32Array, offset: number): void {
  const trace = R[0] + R[4] + R[8];
  let x: number, y: number, z: number, w: number;
  if (trace > 0) {
    const s = 2 * Math.sqrt(trace + 1);
    w = s / 4; x = (R[7] - R[5]) / s; y = (R[2] - R[6]) / s; z = (R[3] - R[1]) / s;
  } else if (R[0] > R[4] && R[0] > R[8]) {
    const s = 2 * Math.sqrt(1 + R[0] - R[4] - R[8]);
    w = (R[7] - R[5]) / s; x = s / 4; y = (R[1] + R[3]) / s; z = (R[2] + R[6]) / s;
  } else if (R[4] > R[8]) {
    const s = 2 * Math.sqrt(1 + R[4] - R[0] - R[8]);
    w = (R[2] - R[6]) / s; x = (R[1] + R[3]) / s; y = s / 4; z = (R[5] + R[7]) / s;
  } else {
    const s = 2 * Math.sqrt(1 + R[8] - R[0] - R[4]);
    w = (R[3] - R[1]) / s; x = (R[2] + R[6]) / s; y = (R[5] + R[7]) / s; z = s / 4;
  }
  out[offset] = x; out[offset + 1] = y; out[offset + 2] = z; out[offset + 3] = w;
}

/**
 * The clip of tracked frames taken at `times` (seconds). The head turns as the tracked head does in
 * the camera's frame (the camera at the avatar's front): the avatar copies the person, so it
 * looks mirrored to them, as a puppet does. The eyes take the gaze as yaw about Y then pitch.
 */
export function clipFromFrames(frames: readonly TrackedFrame[], times: ArrayLike<number>, names: readonly string[]): TrackedClip {
  if (frames.length === 0) throw new PhotoAvatarError('INVALID_ARGUMENT', 'A tracked clip needs at least one frame.');
  if (times.length !== frames.length) throw new PhotoAvatarError('INVALID_ARGUMENT', `${frames.length} frames but ${times.length} times.`);
  const E = names.length;
  const clip: TrackedClip = {
    times: Float32Array.from(times),
    names,
    weights: new Float32Array(frames.length * E),
    head: new Float32Array(frames.length * 4),
    eyes: new Float32Array(frames.length * 4),
  };
  frames.forEach((frame, f) => {
    clip.weights.set(frame.weights.subarray(0, E), f * E);
    rotationToQuaternion(frame.rotation, clip.head, 4 * f);
    gazeToQuaternion(frame.gaze, clip.eyes, 4 * f);
  });
  return clip;
}

/** Eye joint rotation for a gaze: Ry(yaw) Rx(-pitch), which turns +Z to (sin yaw cos pitch, sin pitch, cos yaw cos pitch). */
export function gazeToQuaternion(gaze: { yawDeg: number; pitchDeg: number }, out: Float32Array, offset: number): void {
  const hy = (gaze.yawDeg * Math.PI) / 360, hp = (-gaze.pitchDeg * Math.PI) / 360;
  const cy = Math.cos(hy), sy = Math.sin(hy), cp = Math.cos(hp), sp = Math.sin(hp);
  out[offset] = cy * sp; out[offset + 1] = sy * cp; out[offset + 2] = -sy * sp; out[offset + 3] = cy * cp;
}

type Json = Record<string, unknown>;

/** The avatar GLB (from writeGlb / Avatar.exportGLB) with `clip` added as animation `name`. */
export function addClipToGlb(glb: Uint8Array, clip: TrackedClip, name = 'tracked'): Uint8Array {
  const { gltf, bin } = parseGlbContainer(glb, 'avatar');
  const nodes = (gltf.nodes ?? []) as Json[];
  const nodeNamed = (nodeName: string) => {
    const index = nodes.findIndex((n) => n.name === nodeName);
    if (index < 0) throw new PhotoAvatarError('INVALID_ARGUMENT', `The avatar GLB has no node '${nodeName}' to animate.`);
    return index;
  };
  const frames = clip.times.length;
  const pieces: Uint8Array[] = [bin ?? new Uint8Array(0)];
  let byteLength = pieces[0].byteLength;
  const bufferViews = (gltf.bufferViews ??= []) as Json[];
  const accessors = (gltf.accessors ??= []) as Json[];
  const addAccessor = (values: Float32Array, type: string, extra: Json = {}): number => {
    const padding = (4 - (byteLength % 4)) % 4;
    if (padding) { pieces.push(new Uint8Array(padding)); byteLength += padding; }
    bufferViews.push({ buffer: 0, byteOffset: byteLength, byteLength: values.byteLength });
    pieces.push(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    byteLength += values.byteLength;
    const components = { SCALAR: 1, VEC4: 4 }[type] ?? 1;
    accessors.push({ bufferView: bufferViews.length - 1, componentType: 5126, count: values.length / components, type, ...extra });
    return accessors.length - 1;
  };
  const input = addAccessor(clip.times, 'SCALAR', { min: [clip.times[0]], max: [clip.times[frames - 1]] });
  const samplers: Json[] = [];
  const channels: Json[] = [];
  const animate = (node: number, path: string, output: number) => {
    samplers.push({ input, output, interpolation: 'LINEAR' });
    channels.push({ sampler: samplers.length - 1, target: { node, path } });
  };
  if (clip.names.length > 0) animate(nodeNamed('headMesh'), 'weights', addAccessor(clip.weights, 'SCALAR'));
  animate(nodeNamed('head'), 'rotation', addAccessor(clip.head, 'VEC4'));
  const eyes = addAccessor(clip.eyes, 'VEC4');
  for (const eye of ['eyeLeft', 'eyeRight']) if (nodes.some((n) => n.name === eye)) animate(nodeNamed(eye), 'rotation', eyes);
  ((gltf.animations ??= []) as Json[]).push({ name, samplers, channels });
  const binary = new Uint8Array(byteLength + ((4 - (byteLength % 4)) % 4));
  let at = 0;
  for (const piece of pieces) { binary.set(piece, at); at += piece.byteLength; }
  (gltf.buffers as Json[])[0] = { byteLength: binary.byteLength };
  return packGlb(gltf, binary);
}
