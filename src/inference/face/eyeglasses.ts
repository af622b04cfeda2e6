/**
 * Eyeglass frames in a face photo, from the dense mesh and the photo's luminance. Frames are dark,
 * thin, long lines round the eyes and across the nose bridge: a grey-level black-hat (closing
 * minus the image, with a square element a little wider than a thick frame) lifts them off the
 * skin, relative to the skin's brightness so the light's level does not matter. Creases, lashes
 * and brows answer it too, so the eye openings and brows are left out and a photo counts as
 * wearing glasses only when a line crosses the nose bridge between the eyes, which skin does not
 * draw. Once found, the frames follow fainter dark lines that continue them, into the brows'
 * outer ends too, where the hinges sit, and take in tinted lenses. The mask keeps the frames out
 * of the skin albedo and the photo's brows (src/pipeline.ts): the skin under them is filled like
 * any unseen texel.
 */
import type { Mask, RgbaImage } from '../../types.js';
import { LEFT_EYE_LOOP, RIGHT_EYE_LOOP } from './mediapipe-regions.js';
import { LEFT_BROW, LEFT_EYE, LEFT_EYE_CORNERS, RIGHT_BROW, RIGHT_EYE, RIGHT_EYE_CORNERS } from './mesh-regions.js';
import { BROW_GROWTH, fillPolygon, polygonOf } from './skin-mask.js';
import { boxBlur } from '../../albedo/texture-filters.js';

/** Working scale: the eye centres this many pixels apart (photos with more are box-averaged down). */
const EYE_DISTANCE_PX = 96;
/** Black-hat element half-width, in eye distances: wider than a thick plastic frame (~0.08). */
const ELEMENT_RADIUS = 0.07;
/** A pixel is frame when the black-hat takes more than this share of the closing's brightness. */
const RELATIVE_DARKNESS = 0.14;
/** The band searched, in eye distances about the eyes' midpoint: across (to the temples) and down. */
const BAND_HALF_WIDTH = 1.35, BAND_TOP = -0.55, BAND_BOTTOM = 0.6;
/**
 * Eye openings (with lashes and the lid crease) grown about their centroids are left out, and so
 * are the brows as the albedo takes them from the photo (skin-mask.ts): brow hair answers the
 * black-hat, and a rim along a brow's lower edge reads as brow, where losing the brow's lower
 * half to the mask left the coarse model's grey smudge (FFHQ 00037).
 */
const EYE_GROWTH = 1.45;
/**
 * The bridge: the middle BRIDGE_SHARE of the gap between the inner eye corners, rows BRIDGE_TOP
 * to BRIDGE_BOTTOM eye distances about the corners' midpoint.
 */
const BRIDGE_SHARE = 0.5, BRIDGE_TOP = -0.3, BRIDGE_BOTTOM = 0.15;
/** Share of the bridge's columns one connected dark line must cross for the photo to count as wearing glasses. */
const BRIDGE_COVERAGE = 0.75;
/** Besides the line across the bridge, dark lines at least this long (eye distances) are frame: rims and arms broken off it. */
const MIN_FRAME_EXTENT = 0.35;
/**
 * Hysteresis: once frames are found, fainter dark cells (darker than their closing by
 * FAINT_DARKNESS) that continue them are frame too, up to RIM_REACH eye distances along the line
 * from a found frame cell. Thin metal rims fade where they cross light skin (vd026's lower rims).
 */
const FAINT_DARKNESS = 0.12, RIM_REACH = 0.12;
/** A lens interior darker than this share of the rest of the band is a tinted lens (withTintedLenses). */
const TINTED_LENS = 0.5;
/** The mask is grown by this many eye distances: the frame's blended edge and the shadow it casts. */
const FRAME_MARGIN = 0.03;

export interface EyeglassFrames {
  /** Image-size mask, 255 on frame pixels grown by FRAME_MARGIN within the band (all 0 when no frames were found). */
  mask: Mask;
  /** Largest share of the bridge's columns that one connected dark line crosses (the photo-level test, 0..1). */
  bridgeCoverage: number;
  /** Share of the searched band's cells flagged as frame. */
  bandFraction: number;
  /** Whether the photo was judged to show eyeglass frames. */
  found: boolean;
}

/** Eye-distance frame of the face: origin at the eyes' midpoint, u along the eye line, v down across it. */
interface EyeFrame { ox: number; oy: number; ux: number; uy: number; distance: number }

/** The band's dark thin lines on a square grid of cells round the eyes (before the photo-level test). */
export interface DarkLines {
  /** 1 on band cells darker than their closing by RELATIVE_DARKNESS. */
  dark: Uint8Array;
  /** 1 on the band's cells. */
  band: Uint8Array;
  /** 1 on the brows' outer ends (bandCells): frame only where found frames continue into them. */
  browEnds: Uint8Array;
  /** Per cell, the lightly smoothed luminance. */
  luminance: Float32Array;
  /** Per cell, (closing - image) / closing: how much darker than its surroundings a cell is. */
  darkness: Float32Array;
  /** Image position of cell (0, 0)'s corner, the grid's side in cells, image pixels per cell. */
  x0: number;
  y0: number;
  side: number;
  step: number;
  frame: EyeFrame;
}

function eyeFrame(landmarks: Float32Array): EyeFrame {
  const centre = (loop: readonly number[]) => {
    let x = 0, y = 0;
    for (const k of loop) { x += landmarks[3 * k]; y += landmarks[3 * k + 1]; }
    return [x / loop.length, y / loop.length];
  };
  const [rx, ry] = centre(RIGHT_EYE_LOOP), [lx, ly] = centre(LEFT_EYE_LOOP);
  const distance = Math.hypot(lx - rx, ly - ry) || 1;
  return { ox: (rx + lx) / 2, oy: (ry + ly) / 2, ux: (lx - rx) / distance, uy: (ly - ry) / distance, distance };
}

/** Frames of one face (468 mesh points, image pixels) in `image`. */
export function detectEyeglassFrames(image: RgbaImage, landmarks468: Float32Array): EyeglassFrames {
  const mask: Mask = { width: image.width, height: image.height, data: new Uint8Array(image.width * image.height) };
  const lines = darkLinesRoundEyes(image, landmarks468);
  const { dark, band, side, step, frame } = lines;
  const { label, count } = labelComponents(dark, side);
  const bridge = bridgeCrossing(label, count, landmarks468, lines);
  const found = bridge.coverage >= BRIDGE_COVERAGE;
  let flagged = 0, bandCells = 0;
  for (let p = 0; p < band.length; p++) bandCells += band[p];
  if (found) {
    const keep = longComponents(label, count, side, (MIN_FRAME_EXTENT * frame.distance) / step);
    keep[bridge.component] = 1;
    const frames = new Float32Array(dark.length);
    for (let p = 0; p < dark.length; p++) if (label[p] >= 0 && keep[label[p]]) frames[p] = 1;
    growAlongFaintLines(frames, lines, Math.round((RIM_REACH * frame.distance) / step));
    withTintedLenses(frames, lines);
    for (let p = 0; p < dark.length; p++) if (band[p]) flagged += frames[p];
    // Grown by the margin within the band only: the brows (but for the frame's own cells at their
    // outer ends) and eye openings keep every pixel.
    const grown = extremumFilter(frames, side, Math.max(1, Math.round((FRAME_MARGIN * frame.distance) / step)), 1);
    for (let p = 0; p < dark.length; p++) dark[p] = (grown[p] > 0 && band[p]) || (frames[p] && lines.browEnds[p]) ? 1 : 0;
    paintCells(mask, dark, lines);
  }
  return { mask, bridgeCoverage: bridge.coverage, bandFraction: bandCells ? flagged / bandCells : 0, found };
}

/** The band's dark thin lines (module comment). */
export function darkLinesRoundEyes(image: RgbaImage, landmarks468: Float32Array): DarkLines {
  const frame = eyeFrame(landmarks468);
  const step = Math.max(1, Math.round(frame.distance / EYE_DISTANCE_PX));
  // A square crop round the band (so the texture filters apply), at `step` pixels per cell.
  const half = BAND_HALF_WIDTH * frame.distance + 2;
  const side = Math.ceil((2 * half) / step);
  const x0 = Math.round(frame.ox - half), y0 = Math.round(frame.oy - half);
  const luminance = cropLuminance(image, x0, y0, side, step);
  const radius = Math.max(1, Math.round((ELEMENT_RADIUS * frame.distance) / step));
  const closing = extremumFilter(extremumFilter(luminance, side, radius, 1), side, radius, -1);
  // Compared with a lightly smoothed image: single noisy pixels are no line.
  const smoothed = Float32Array.from(luminance);
  boxBlur(smoothed, side, 1, 1, 1);
  const n = side * side;
  const lines: DarkLines = { dark: new Uint8Array(n), band: new Uint8Array(0), browEnds: new Uint8Array(0), luminance: smoothed, darkness: new Float32Array(n), x0, y0, side, step, frame };
  ({ band: lines.band, browEnds: lines.browEnds } = bandCells(landmarks468, lines));
  for (let p = 0; p < n; p++) {
    if (!lines.band[p] && !lines.browEnds[p]) continue;
    const c = closing[p];
    if (c > 0) lines.darkness[p] = (c - smoothed[p]) / c;
    if (lines.band[p] && lines.darkness[p] > RELATIVE_DARKNESS) lines.dark[p] = 1;
  }
  return lines;
}

/**
 * Sets (to 1) the band cells of the holes the frames enclose (lens interiors) that are darker than
 * TINTED_LENS times the rest of the band: a sunglass lens's tint is no skin (prnet 2). Clear
 * lenses show the skin (0.7-1.4 of the rest on the photos with glasses, tinted ones 0.2-0.4).
 */
function withTintedLenses(frames: Float32Array, lines: DarkLines): void {
  const { band, luminance, side } = lines;
  // Closed by a cell first: a rim's diagonal step must not join its interior to the outside.
  const closed = extremumFilter(frames, side, 1, 1);
  const open = new Uint8Array(frames.length);
  for (let p = 0; p < open.length; p++) open[p] = closed[p] > 0 ? 0 : 1;
  const { label, count } = labelComponents(open, side);
  const touchesBorder = new Uint8Array(count);
  for (let i = 0; i < side; i++) {
    for (const p of [i, (side - 1) * side + i, i * side, i * side + side - 1]) if (label[p] >= 0) touchesBorder[label[p]] = 1;
  }
  const sum = new Float64Array(count), cells = new Int32Array(count);
  let restSum = 0, restCells = 0;
  for (let p = 0; p < open.length; p++) {
    if (!band[p] || frames[p]) continue;
    const k = label[p];
    if (k >= 0 && !touchesBorder[k]) { sum[k] += luminance[p]; cells[k]++; } else { restSum += luminance[p]; restCells++; }
  }
  if (!restCells) return;
  const limit = (TINTED_LENS * restSum) / restCells;
  for (let p = 0; p < open.length; p++) {
    const k = label[p];
    if (band[p] && k >= 0 && !touchesBorder[k] && cells[k] && sum[k] < limit * cells[k]) frames[p] = 1;
  }
}

/**
 * Sets (to 1) the band and brow-end cells reached from the set cells of `frames` through faint
 * dark cells (FAINT_DARKNESS's comment), at most `reach` steps (8-connected) from a set cell: a
 * hinge at a brow's outer end is reached from its rim, brow hair away from the frame is not.
 */
function growAlongFaintLines(frames: Float32Array, lines: DarkLines, reach: number): void {
  const { band, browEnds, darkness, side } = lines;
  const distance = new Int32Array(frames.length).fill(-1);
  const queue = new Int32Array(frames.length);
  let head = 0, tail = 0;
  for (let p = 0; p < frames.length; p++) if (frames[p]) { distance[p] = 0; queue[tail++] = p; }
  while (head < tail) {
    const p = queue[head++], x = p % side, y = (p - x) / side;
    if (distance[p] >= reach) continue;
    for (let dy = -1; dy <= 1; dy++) {
      const ny = y + dy;
      if (ny < 0 || ny >= side) continue;
      for (let dx = -1; dx <= 1; dx++) {
        const nx = x + dx, q = ny * side + nx;
        if (nx < 0 || nx >= side || distance[q] >= 0 || !(band[q] || browEnds[q])) continue;
        if (darkness[q] <= FAINT_DARKNESS) continue;
        distance[q] = distance[p] + 1;
        frames[q] = 1;
        queue[tail++] = q;
      }
    }
  }
}

/** 8-connected components of the set cells: per cell its component (-1 unset), and how many there are. */
function labelComponents(set: Uint8Array, side: number): { label: Int32Array; count: number } {
  const label = new Int32Array(set.length).fill(-1);
  const stack = new Int32Array(set.length);
  let count = 0;
  for (let seed = 0; seed < set.length; seed++) {
    if (!set[seed] || label[seed] >= 0) continue;
    let top = 0;
    stack[top++] = seed;
    label[seed] = count;
    while (top > 0) {
      const p = stack[--top], x = p % side, y = (p - x) / side;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= side) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx, q = ny * side + nx;
          if (nx < 0 || nx >= side || !set[q] || label[q] >= 0) continue;
          label[q] = count;
          stack[top++] = q;
        }
      }
    }
    count++;
  }
  return { label, count };
}

/** 1 for each component whose bounding box is at least `extent` cells across or down. */
function longComponents(label: Int32Array, count: number, side: number, extent: number): Uint8Array {
  const box = new Int32Array(4 * count);
  for (let k = 0; k < count; k++) box.set([side, -1, side, -1], 4 * k);
  for (let p = 0; p < label.length; p++) {
    const k = label[p];
    if (k < 0) continue;
    const x = p % side, y = (p - x) / side;
    if (x < box[4 * k]) box[4 * k] = x;
    if (x > box[4 * k + 1]) box[4 * k + 1] = x;
    if (y < box[4 * k + 2]) box[4 * k + 2] = y;
    if (y > box[4 * k + 3]) box[4 * k + 3] = y;
  }
  const keep = new Uint8Array(count);
  for (let k = 0; k < count; k++) if (Math.max(box[4 * k + 1] - box[4 * k], box[4 * k + 3] - box[4 * k + 2]) + 1 >= extent) keep[k] = 1;
  return keep;
}

/**
 * The component that crosses most of the bridge's columns, and that share. A frame's bridge is one
 * line from one inner eye corner's side to the other's; the nose's own shading runs down it, not across.
 */
function bridgeCrossing(label: Int32Array, count: number, landmarks: Float32Array, lines: DarkLines): { component: number; coverage: number } {
  const { x0, y0, side, step, frame } = lines;
  const [inner0, inner1] = [RIGHT_EYE_CORNERS[1], LEFT_EYE_CORNERS[0]];
  const cx = (landmarks[3 * inner0] + landmarks[3 * inner1]) / 2, cy = (landmarks[3 * inner0 + 1] + landmarks[3 * inner1 + 1]) / 2;
  const gap = Math.abs((landmarks[3 * inner1] - landmarks[3 * inner0]) * frame.ux + (landmarks[3 * inner1 + 1] - landmarks[3 * inner0 + 1]) * frame.uy);
  const columns = 16, rows = 32;
  const crossed = new Int32Array(count);
  const seen = new Int32Array(count).fill(-1);
  for (let i = 0; i < columns; i++) {
    const u = gap * BRIDGE_SHARE * ((i + 0.5) / columns - 0.5);
    for (let j = 0; j < rows; j++) {
      const v = frame.distance * (BRIDGE_TOP + ((BRIDGE_BOTTOM - BRIDGE_TOP) * (j + 0.5)) / rows);
      const x = cx + u * frame.ux - v * frame.uy, y = cy + u * frame.uy + v * frame.ux;
      const gx = Math.floor((x - x0) / step), gy = Math.floor((y - y0) / step);
      if (gx < 0 || gy < 0 || gx >= side || gy >= side) continue;
      const k = label[gy * side + gx];
      if (k >= 0 && seen[k] !== i) { seen[k] = i; crossed[k]++; }
    }
  }
  let component = -1, most = 0;
  for (let k = 0; k < count; k++) if (crossed[k] > most) { most = crossed[k]; component = k; }
  return { component, coverage: most / columns };
}

/** Rec. 601 luma of the square crop at (x0, y0), `side` cells of step × step pixels (box-averaged), edges clamped. */
function cropLuminance(image: RgbaImage, x0: number, y0: number, side: number, step: number): Float32Array {
  const { width: W, height: H, data } = image;
  const out = new Float32Array(side * side);
  const inv = 1 / (step * step);
  for (let cy = 0; cy < side; cy++) {
    for (let cx = 0; cx < side; cx++) {
      let sum = 0;
      for (let dy = 0; dy < step; dy++) {
        const y = Math.min(H - 1, Math.max(0, y0 + cy * step + dy));
        for (let dx = 0; dx < step; dx++) {
          const x = Math.min(W - 1, Math.max(0, x0 + cx * step + dx));
          const p = 4 * (y * W + x);
          sum += 0.299 * data[p] + 0.587 * data[p + 1] + 0.114 * data[p + 2];
        }
      }
      out[cy * side + cx] = sum * inv;
    }
  }
  return out;
}

/** Max (sign 1) or min (sign -1) over a (2 radius + 1)² window, edges clamping it: rows, then columns. */
function extremumFilter(values: Float32Array, side: number, radius: number, sign: number): Float32Array {
  const across = new Float32Array(values.length), out = new Float32Array(values.length);
  const scratch = lineScratch(side, radius);
  for (let y = 0; y < side; y++) lineExtremum(values, y * side, 1, side, radius, sign, across, scratch);
  for (let x = 0; x < side; x++) lineExtremum(across, x, side, side, radius, sign, out, scratch);
  return out;
}

interface LineScratch { padded: Float32Array; prefix: Float32Array; suffix: Float32Array }

function lineScratch(n: number, radius: number): LineScratch {
  const length = n + 2 * radius;
  return { padded: new Float32Array(length), prefix: new Float32Array(length), suffix: new Float32Array(length) };
}

/**
 * The running max (of sign × value) over windows of 2 radius + 1 along one line of `n` values
 * (`stride` apart from `offset`), written to the same places in `out`. Van Herk / Gil-Werman: per
 * block of the window's length a running max from its start and one from its end, and each window,
 * which spans at most two blocks, is the larger of the two that meet in it: three comparisons per
 * value whatever the radius.
 */
function lineExtremum(values: Float32Array, offset: number, stride: number, n: number, radius: number, sign: number, out: Float32Array, scratch: LineScratch): void {
  const { padded, prefix, suffix } = scratch;
  const window = 2 * radius + 1, length = n + 2 * radius;
  padded.fill(-Infinity, 0, radius);
  for (let i = 0; i < n; i++) padded[radius + i] = sign * values[offset + i * stride];
  padded.fill(-Infinity, radius + n, length);
  for (let i = 0; i < length; i++) prefix[i] = i % window === 0 ? padded[i] : Math.max(prefix[i - 1], padded[i]);
  for (let i = length - 1; i >= 0; i--) suffix[i] = i === length - 1 || (i + 1) % window === 0 ? padded[i] : Math.max(suffix[i + 1], padded[i]);
  for (let i = 0; i < n; i++) out[offset + i * stride] = sign * Math.max(suffix[i], prefix[i + 2 * radius]);
}

/**
 * Cells of the crop inside the band, outside the grown eye openings and the brows; and the brows'
 * outer ends (the brow cells beyond the outer eye corners), where a frame's hinge sits.
 */
function bandCells(landmarks: Float32Array, lines: DarkLines): { band: Uint8Array; browEnds: Uint8Array } {
  const { x0, y0, side, step, frame } = lines;
  const cells = new Uint8Array(side * side), browEnds = new Uint8Array(side * side);
  const across = (x: number, y: number) => ((x - frame.ox) * frame.ux + (y - frame.oy) * frame.uy) / frame.distance;
  const [outer0, outer1] = [RIGHT_EYE_CORNERS[0], LEFT_EYE_CORNERS[1]].map((k) => across(landmarks[3 * k], landmarks[3 * k + 1]));
  const lateral = new Uint8Array(side * side);
  for (let cy = 0; cy < side; cy++) {
    const y = y0 + (cy + 0.5) * step - frame.oy;
    for (let cx = 0; cx < side; cx++) {
      const x = x0 + (cx + 0.5) * step - frame.ox;
      const u = (x * frame.ux + y * frame.uy) / frame.distance, v = (y * frame.ux - x * frame.uy) / frame.distance;
      if (Math.abs(u) <= BAND_HALF_WIDTH && v >= BAND_TOP && v <= BAND_BOTTOM) cells[cy * side + cx] = 1;
      if (u < Math.min(outer0, outer1) || u > Math.max(outer0, outer1)) lateral[cy * side + cx] = 1;
    }
  }
  for (const region of [RIGHT_EYE, LEFT_EYE]) fillCellPolygon(cells, landmarks, region, EYE_GROWTH, lines, 0);
  for (const region of [RIGHT_BROW, LEFT_BROW]) fillCellPolygon(browEnds, landmarks, region, BROW_GROWTH, lines, 1);
  for (let p = 0; p < cells.length; p++) {
    browEnds[p] = browEnds[p] && cells[p] && lateral[p] ? 1 : 0;
  }
  for (const region of [RIGHT_BROW, LEFT_BROW]) fillCellPolygon(cells, landmarks, region, BROW_GROWTH, lines, 0);
  return { band: cells, browEnds };
}

/**
 * Sets the cells inside a mesh region's polygon (grown about its centroid) to `value`. The polygon
 * in cell coordinates, filled with the skin mask's fill: it sets the pixels whose index lies
 * inside, and a cell's pixels have indices x0 + cx step .. x0 + cx step + step - 1.
 */
function fillCellPolygon(cells: Uint8Array, landmarks: Float32Array, region: Uint16Array, grow: number, lines: DarkLines, value: number): void {
  const { x0, y0, side, step } = lines;
  const polygon = polygonOf(landmarks, region, grow);
  for (let i = 0; i < polygon.length; i += 2) {
    polygon[i] = (polygon[i] - x0 - (step - 1) / 2) / step;
    polygon[i + 1] = (polygon[i + 1] - y0 - (step - 1) / 2) / step;
  }
  fillPolygon(cells, side, side, polygon, value);
}

/** Sets the image pixels of the set cells. */
function paintCells(mask: Mask, cells: Uint8Array, lines: DarkLines): void {
  const { width: W, height: H, data } = mask;
  const { x0, y0, side, step } = lines;
  const xStart = Math.max(0, x0), xEnd = Math.min(W, x0 + side * step);
  for (let y = Math.max(0, y0), yEnd = Math.min(H, y0 + side * step); y < yEnd; y++) {
    const row = Math.floor((y - y0) / step) * side;
    for (let x = xStart; x < xEnd; x++) if (cells[row + Math.floor((x - x0) / step)]) data[y * W + x] = 255;
  }
}
