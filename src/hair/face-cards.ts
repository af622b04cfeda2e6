/**
 * Colours of the face's strand cards (the lash and brow parts of MakeHuman-built heads,
 * ../modelpack/makehuman-head/face-cards.ts): lashes near black, brows the hair's root tone (the
 * darker de-lit tone of the photo's hair) or a mid-brown without hair. Browser-safe.
 */
import type { SubMesh } from '../modelpack/head-model.js';
import type { AvatarData, RgbaImage } from '../types.js';
import { tintStrandTexture } from './hair-mesh.js';
import { DEFAULT_HAIR_TONE } from './index.js';

/** Linear RGB of lashes: mascara-dark whatever the hair, as real lashes read at a distance. */
export const LASH_COLOUR: readonly [number, number, number] = [0.012, 0.01, 0.009];

export function isFaceCard(part: SubMesh): part is SubMesh & { texture: NonNullable<SubMesh['texture']> } {
  return (part.material === 'lashes' || part.material === 'brows') && part.texture !== undefined;
}

export function faceCardColour(data: Pick<AvatarData, 'hair'>, part: SubMesh): readonly number[] {
  return part.material === 'lashes' ? LASH_COLOUR : (data.hair?.root ?? DEFAULT_HAIR_TONE.root);
}

/** The card's strand texture tinted to its colour (sRGB RGBA, alpha = coverage). */
export function faceCardTexture(data: Pick<AvatarData, 'hair'>, part: SubMesh & { texture: NonNullable<SubMesh['texture']> }): RgbaImage {
  return tintStrandTexture({ textureSize: part.texture.size, texture: part.texture.luminanceAlpha }, faceCardColour(data, part));
}
