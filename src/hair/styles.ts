/**
 * Hair styles: the CC0 MakeHuman hair meshes (../../docs: MAKEHUMAN.md lists which items are CC0)
 * and the classes the photo is sorted into (./classify-style.ts). Browser-safe.
 */

/** Every style the hair asset carries, in its order. */
export const HAIR_STYLES = ['short01', 'short02', 'short03', 'short04', 'bob01', 'bob02', 'long01', 'ponytail01', 'Braid01', 'afro01'] as const;
export type HairStyle = (typeof HAIR_STYLES)[number];

/** Silhouette classes of the photo's hair. */
export type HairClass = 'none' | 'short' | 'medium' | 'long' | 'tied' | 'voluminous';

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
};

export function isHairStyle(name: string): name is HairStyle {
  return (HAIR_STYLES as readonly string[]).includes(name);
}
