/**
 * Texture layout of the default head (one 0..1 texture, v up): the MediaPipe canonical face UVs,
 * scaled into the centre of the texture, and the cranium/neck fanned out around them to the
 * texture border (see cranium.ts), so face and cranium never overlap and there is no UV seam.
 */

/** Fraction of the texture width the canonical face UV square occupies. */
export const FACE_UV_SCALE = 0.58;
export const FACE_UV_CENTRE: [number, number] = [0.5, 0.52];

/** Canonical MediaPipe UV (v down) -> this layout (v up). */
export function faceUv(u: number, vDown: number): [number, number] {
  return [FACE_UV_CENTRE[0] + (u - 0.5) * FACE_UV_SCALE, FACE_UV_CENTRE[1] + (0.5 - vDown) * FACE_UV_SCALE];
}
