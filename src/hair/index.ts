/**
 * Hair from the photo (pipeline order): segment the photo's hair (./photo-hair.ts) and keep it out
 * of the skin masks; after the albedo stage, de-light its colour (./hair-colour.ts) and classify
 * its silhouette against the fitted head; put the chosen CC0 MakeHuman mesh on the head, tinted
 * (./hair-mesh.ts). Hair meshes fit MakeHuman-built heads only (./fit-hair.ts supportsHair).
 */
import { ASSET_FILES, loadAsset } from '../assets.js';
import { PhotoAvatarError } from '../errors.js';
import { projectToImage } from '../render/project.js';
import type { HeadModel } from '../modelpack/head-model.js';
import type { Mask, PinholeCamera, RgbaImage } from '../types.js';
import { decodeHairAsset, type HairAsset, type HairStyleMesh } from './asset-format.js';
import { supportsHair, type HairShapeFit } from './fit-hair.js';
import { estimateHairColour, withoutChroma } from './hair-colour.js';
import { naturalHairColour } from './colour-space.js';
import { buildHairMesh, type HairMesh, type HairTone } from './hair-mesh.js';
import { classifyHair, hairSilhouette, type HairSegmentation, type HairSilhouette } from './photo-hair.js';
import { bestMatchingStyle } from './style-match.js';
import { HairViewGrid } from './hair-view-grid.js';
import { fitHairlineTurn } from './hairline.js';
import { fitHairVolume, VOLUME_FITTED_STYLES } from './volume.js';
import { HAIR_STYLES, isHairStyle, STYLES_FOR_CLASS, type HairClass, type HairStyle } from './styles.js';

export { HAIR_STYLES, isHairStyle, type HairStyle, type HairClass } from './styles.js';
export { supportsHair, type HairShapeFit } from './fit-hair.js';
export type { HairMesh, HairTone } from './hair-mesh.js';

/** What the avatar's hair is: its style (null = none), colour, and the fitted mesh when it has one. */
export interface AvatarHair {
  style: HairStyle | null;
  /** Linear RGB 0..1. */
  base: [number, number, number];
  root: [number, number, number];
  mesh?: HairMesh;
  /**
   * Radians by which the front of `style` is turned up and back over the skull (negative: down) so
   * that its hairline meets the photo's, at the edge of the skin the albedo took from the photo
   * (./hairline.ts); absent: 0, the style as drawn. Fitted for `style` alone: another style set by
   * hand goes without it.
   */
  hairlineTurn?: number;
  /**
   * How far `style` stands off the scalp, as a multiple of its drawn height over the skin, fitted to
   * the photo's hair silhouette for a voluminous style (./volume.ts); absent: 1. Fitted for `style`
   * alone, as hairlineTurn is.
   */
  volume?: number;
  /**
   * A shaved head: the unseen scalp took the stubble's tone in the albedo, and the textures made
   * from it add the stubble's grain (albedoWithStubble in ../albedo/scalp-tint.ts). Kept in `.avatar`.
   */
  stubble?: boolean;
  /** What the photo showed (absent for hair set by hand or loaded from a file). */
  detected?: {
    hairClass: HairClass;
    crownCoverage: number;
    hatLike: boolean;
    /** The hair lay flat on the skull (stubble): read as none, and left in the skin albedo. */
    shaved: boolean;
    hairlineAboveBrows: number;
    silhouette: HairSilhouette;
    /** Trimmed mean of the de-lit hair pixels (linear RGB). */
    regionMean: [number, number, number];
    /** The photo's hair mask (image size, 255 = hair). */
    mask?: Mask;
    /** Where the class offers several styles: each one's overlap with the photo's hair (./style-match.ts). */
    styleOverlaps?: Partial<Record<HairStyle, number>>;
    /** Where the volume was fitted: each of HAIR_VOLUMES' overlap with the photo's hair (./volume.ts). */
    volumeOverlaps?: number[];
  };
  /** Why no mesh was built although the photo shows hair (e.g. the head model has no hair fit). */
  unavailable?: string;
}

/** 'auto': the style the photo's silhouette suggests; 'none': no mesh; or a style by name. */
export type HairOption = 'auto' | 'none' | HairStyle;

/** A mid-brown for photos without visible hair (bald, hat), linear RGB. */
export const DEFAULT_HAIR_TONE: HairTone = { base: [0.12, 0.07, 0.04], root: [0.07, 0.04, 0.025] };

let asset: Promise<HairAsset> | null = null;

/** The hair meshes (assets/generated/makehuman-hair.bin), decoded once. */
export function loadHairAsset(): Promise<HairAsset> {
  if (!asset) {
    asset = loadAsset(ASSET_FILES.hair, { keep: false }).then(decodeHairAsset);
    asset.catch(() => { asset = null; });
  }
  return asset;
}

export function checkHairOption(option: string): HairOption {
  if (option === 'auto' || option === 'none' || isHairStyle(option)) return option;
  throw new PhotoAvatarError('INVALID_ARGUMENT', `Unknown hair "${option}": use auto, none or one of ${HAIR_STYLES.join(', ')}.`);
}

/** Per image row, the fitted head's leftmost and rightmost projected vertex, and its top row. */
export function headRowsInImage(vertices: Float32Array, camera: PinholeCamera, height: number): { top: number; left: Float32Array; right: Float32Array } {
  const left = new Float32Array(height).fill(NaN), right = new Float32Array(height).fill(NaN);
  const screen = projectToImage(vertices, camera);
  let top = Infinity;
  for (let i = 0; i < screen.length; i += 3) {
    // Behind the camera: NaN.
    if (Number.isNaN(screen[i])) continue;
    const x = screen[i], y = Math.round(screen[i + 1]);
    top = Math.min(top, y);
    if (y < 0 || y >= height) continue;
    if (!(left[y] <= x)) left[y] = x;
    if (!(right[y] >= x)) right[y] = x;
  }
  return { top, left, right };
}

/** The photo's hair after fitting: its class, colour, and the mesh the option asks for. */
export async function hairFromPhoto(input: {
  option: HairOption; segmentation: HairSegmentation; image: RgbaImage; light: Float32Array; camera: PinholeCamera;
  model: HeadModel; neutralVertices: Float32Array;
  /** The fit the hair's silhouette is measured against, where not this one (the pipeline's hairOutlineFits). */
  outline?: { camera: PinholeCamera; neutralVertices: Float32Array };
}): Promise<AvatarHair> {
  const { segmentation: seg, image } = input;
  const outline = input.outline ?? input;
  const headRows = headRowsInImage(outline.neutralVertices, outline.camera, image.height);
  const silhouette = hairSilhouette(seg, headRows);
  const hairClass = classifyHair(seg, silhouette);
  const found = hairClass === 'none' || seg.hatLike ? null : estimateHairColour(image, seg.mask as Mask, input.light, input.camera, seg.frame, headRows);
  const colour = found && seg.greyscale ? withoutChroma(found) : found;
  const tone: HairTone = colour ? { base: naturalHairColour(colour.base), root: naturalHairColour(colour.root) } : DEFAULT_HAIR_TONE;
  const fits = supportsHair(input.model);
  // The photo's hair and the styles' strands, seen from its camera (the style match and the hairline fit compare them).
  const grid = fits && hairClass !== 'none' && input.option !== 'none' ? new HairViewGrid({ ...input, mask: seg.mask as Mask, frame: seg.frame, headRows }) : undefined;
  const candidates = input.option === 'auto' && grid && hairClass !== 'none' ? STYLES_FOR_CLASS[hairClass] : [];
  const match = grid && candidates.length > 1 ? bestMatchingStyle(await stylesNamed(candidates), grid) : undefined;
  const automatic = hairClass === 'none' ? null : (match?.style ?? STYLES_FOR_CLASS[hairClass][0]);
  const style: HairStyle | null = input.option === 'auto' ? automatic : input.option === 'none' ? null : input.option;
  const detected: NonNullable<AvatarHair['detected']> = {
    hairClass, crownCoverage: seg.crownCoverage, hatLike: seg.hatLike, shaved: seg.shaved, hairlineAboveBrows: seg.hairlineAboveBrows, silhouette,
    regionMean: colour?.regionMean ?? tone.base, mask: seg.mask,
    ...(match ? { styleOverlaps: Object.fromEntries(match.candidates.map((name, k) => [name, match.overlaps[k]])) } : {}),
  };
  if (style && !fits) {
    if (input.option !== 'auto') throw new PhotoAvatarError('UNSUPPORTED_MODEL_PACK', `Hair "${style}" is unavailable for head model "${input.model.id}": hair meshes fit MakeHuman-built heads (the default head is one).`);
    return { style: null, ...tone, detected, unavailable: `head model "${input.model.id}" is not MakeHuman-built` };
  }
  if (!style) return { style, ...tone, detected };
  const [styleMesh] = await stylesNamed([style]);
  // Under a hat the mask's lower edge is the brim, no hairline.
  const hairlineTurn = grid && !seg.hatLike ? fitHairlineTurn(styleMesh, grid) : 0;
  const volumeFit = grid && VOLUME_FITTED_STYLES.has(style) ? fitHairVolume(styleMesh, grid.input, hairlineTurn) : undefined;
  const fit: HairShapeFit = { ...(hairlineTurn ? { hairlineTurn } : {}), ...(volumeFit && volumeFit.volume !== 1 ? { volume: volumeFit.volume } : {}) };
  if (volumeFit) detected.volumeOverlaps = volumeFit.overlaps;
  return { style, ...tone, detected, ...fit, mesh: buildHairMesh(styleMesh, input.model, input.neutralVertices, tone, fit) };
}

/** The hair asset's meshes of `names`, in the asset's order. */
async function stylesNamed(names: readonly HairStyle[]): Promise<HairStyleMesh[]> {
  const styles = (await loadHairAsset()).styles.filter((s) => names.includes(s.name as HairStyle));
  if (styles.length < names.length) throw new PhotoAvatarError('MISSING_ASSET', `The hair asset lacks one of the styles ${names.join(', ')}.`);
  return styles;
}

/** The fitted, tinted mesh of `style` on a head, placed as `fit` says (AvatarHair's hairlineTurn and volume). */
export async function hairMeshFor(style: HairStyle, model: HeadModel, neutralVertices: Float32Array, tone: HairTone, fit: HairShapeFit = {}): Promise<HairMesh> {
  return buildHairMesh((await stylesNamed([style]))[0], model, neutralVertices, tone, fit);
}
