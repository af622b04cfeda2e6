/**
 * Hair styles: the CC0 MakeHuman hair meshes (../../docs: MAKEHUMAN.md lists which items are CC0)
 * and the classes the photo is sorted into (./classify-style.ts). Browser-safe.
 */

/** The MakeHuman hair proxies the hair asset is built from, in its order. */
export const MAKEHUMAN_HAIR_STYLES = ['short01', 'short02', 'short03', 'short04', 'bob01', 'bob02', 'long01', 'ponytail01', 'Braid01', 'afro01'] as const;

/**
 * Styles the build derives from a MakeHuman one (../modelpack/makehuman-head/hair-asset.ts):
 * `horseshoe01` is `short02` cut to the sides and back, the hair a receded (balding) crown leaves.
 */
export const DERIVED_HAIR_STYLES = { horseshoe01: 'short02' } as const;

/** Every style the hair asset carries, in its order: the MakeHuman ones, then the derived ones. */
export const HAIR_STYLES = [...MAKEHUMAN_HAIR_STYLES, ...(Object.keys(DERIVED_HAIR_STYLES) as (keyof typeof DERIVED_HAIR_STYLES)[])] as const;
export type HairStyle = (typeof HAIR_STYLES)[number];

/** Silhouette classes of the photo's hair; `receded`: a bald crown with hair left at the sides and back. */
export type HairClass = 'none' | 'short' | 'medium' | 'long' | 'tied' | 'voluminous' | 'receded';

/**
 * The meshes each class may get when the style is chosen automatically; where there are several,
 * the one that best overlaps the photo's hair wins (./style-match.ts). short03 is not offered: its
 * fringe sweeps over one eye, and the cut that keeps strands out of the eyes leaves it a square block.
 */
export const STYLES_FOR_CLASS: Record<Exclude<HairClass, 'none'>, readonly HairStyle[]> = {
  short: ['short01', 'short02', 'short04'],
  medium: ['bob02'],
  long: ['long01'],
  tied: ['ponytail01'],
  voluminous: ['afro01'],
  receded: ['horseshoe01'],
};

export function isHairStyle(name: string): name is HairStyle {
  return (HAIR_STYLES as readonly string[]).includes(name);
}
