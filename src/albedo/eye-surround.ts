/**
 * The skin round the eyes takes the colour of the skin beyond it. The photo barely shows the upper
 * lid (an open eye folds it under the crease), so its texels come from the coarse albedo model,
 * whose training maps had lashes, make-up and shadow there: the avatar's closed lids were a flat
 * grey-olive band, and a grey-green ring circled every eye. Here the local mean colour of those
 * texels is moved to that of the surrounding skin, keeping their own finer detail:
 * - where a blink uncovers skin (the upper lid), the mean colour, brightness included;
 * - in a ring round the eyes that the photo sees, only the chroma, so real shading under the eye
 *   stays.
 * The photo's brows are left as they are (./photo-brows.ts).
 */
import { LUMINANCE_WEIGHTS } from '../image/srgb.js';
import { hypot3 } from '../math/hypot.js';
import { LEFT_EYE, RIGHT_EYE } from '../inference/face/mesh-regions.js';
import type { HeadModel } from '../modelpack/head-model.js';
import { smoothstep } from '../modelpack/mesh-utils.js';
import { PerModelCache } from '../modelpack/per-model-cache.js';
import { boxBlur, pushPullFill, type BlurReadEnd } from './texture-filters.js';
import { giveBackFloat32, takeFloat32 } from '../math/scratch-arrays.js';
import { vertexScalarsOnTexture, type UvRaster } from './unwrap.js';

/** Skin this far (metres) from the lid margins is corrected fully, and none beyond RING_OUTER. */
const RING_INNER = 0.009, RING_OUTER = 0.018;
/** Blink displacement (metres) from which a vertex counts as lid that the open eye hides. */
const LID_MOVES_FROM = 0.0005, LID_MOVES_FULLY = 0.003;

/** The square window of the texture that holds both eye surrounds and the skin round them (texels). */
export interface TextureWindow { x: number; y: number; side: number }

export interface EyeSurround {
  /** Per texel (size²): how far the eye-surround correction applies, 0..1. */
  ring: Float32Array;
  /** Per texel (size²): the part of it that a blink uncovers (the brightness is corrected there too), 0..1. */
  lid: Float32Array;
  /** Where the correction works (a quarter of the default head's texture): it costs tens of milliseconds, not hundreds. */
  window: TextureWindow;
  /** The window's rows and columns, from its first, up to the last that holds ring texels > 0: where the correction reads its local mean. */
  ringEnd: BlurReadEnd;
}

const surrounds = new PerModelCache<HeadModel, EyeSurround | null>();

/** The eye surround of `model` at the raster's size, or null for a model without eye landmarks or blink targets. Cached per model and size. */
export function getEyeSurround(model: HeadModel, raster: UvRaster): EyeSurround | null {
  return surrounds.get(model, raster.size, () => eyeSurround(model, raster));
}

function eyeSurround(model: HeadModel, raster: UvRaster): EyeSurround | null {
  const blinks = model.expressionNames.flatMap((name, k) => (/^eyeBlink/i.test(name) ? [k] : []));
  if (!model.landmarks468 || blinks.length === 0) return null;
  const P = model.positions, n = P.length / 3;
  const margins = Int32Array.from([...RIGHT_EYE, ...LEFT_EYE], (i) => model.landmarks468![i]);
  const ring = new Float32Array(n), lid = new Float32Array(n);
  const box = boxOf(P, margins);
  for (let v = 0; v < n; v++) {
    // A vertex RING_OUTER or more beyond the margins' box along an axis is as far from each of them
    // (a hypot is at least its largest term): its ring and lid stay +0, as they would be computed.
    // That leaves 5 k of the default head's 17 k vertices, where the distances are measured in
    // functions of their own: the loop, run once, took 32-35 ms on a cold start (the 2-core VM).
    const x = P[3 * v], y = P[3 * v + 1], z = P[3 * v + 2];
    if (x - box[3] >= RING_OUTER || box[0] - x >= RING_OUTER || y - box[4] >= RING_OUTER || box[1] - y >= RING_OUTER || z - box[5] >= RING_OUTER || box[2] - z >= RING_OUTER) continue;
    ring[v] = 1 - smoothstep(RING_INNER, RING_OUTER, nearestOf(P, v, margins));
    lid[v] = ring[v] * smoothstep(LID_MOVES_FROM, LID_MOVES_FULLY, largestMove(model.expressionBasis, blinks, n, v));
  }
  const [ringTexels, lidTexels] = vertexScalarsOnTexture(raster, model.indices, model.uvs, [ring, lid]);
  const window = windowAround(ringTexels, raster.size);
  return { ring: ringTexels, lid: lidTexels, window, ringEnd: ringEndIn(ringTexels, raster.size, window) };
}

/** EyeSurround.ringEnd: one past the last row and column of the window with ring texels not <= 0 (0, 0 without any). */
function ringEndIn(ring: Float32Array, size: number, window: TextureWindow): BlurReadEnd {
  let rows = 0, columns = 0;
  for (let wy = 0; wy < window.side; wy++) {
    for (let wx = 0, p = (window.y + wy) * size + window.x; wx < window.side; wx++, p++) {
      if (ring[p] <= 0) continue;
      rows = wy + 1;
      columns = Math.max(columns, wx + 1);
    }
  }
  return { rows, columns };
}

/** The bounding box (min xyz, max xyz) of the `vertices` of P. */
function boxOf(P: Float32Array, vertices: Int32Array): Float64Array {
  const box = Float64Array.of(Infinity, Infinity, Infinity, -Infinity, -Infinity, -Infinity);
  for (let j = 0; j < vertices.length; j++) {
    for (let c = 0; c < 3; c++) { box[c] = Math.min(box[c], P[3 * vertices[j] + c]); box[3 + c] = Math.max(box[3 + c], P[3 * vertices[j] + c]); }
  }
  return box;
}

/** Distance from vertex v of P to the nearest of the `vertices`. */
function nearestOf(P: Float32Array, v: number, vertices: Int32Array): number {
  let nearest = Infinity;
  for (let j = 0; j < vertices.length; j++) {
    const m = 3 * vertices[j];
    nearest = Math.min(nearest, hypot3(P[3 * v] - P[m], P[3 * v + 1] - P[m + 1], P[3 * v + 2] - P[m + 2]));
  }
  return nearest;
}

/** Vertex v's largest displacement among the expression `modes` of basis B (n vertices). */
function largestMove(B: Float32Array, modes: readonly number[], n: number, v: number): number {
  let moved = 0;
  for (let j = 0; j < modes.length; j++) {
    const o = (modes[j] * n + v) * 3;
    moved = Math.max(moved, hypot3(B[o], B[o + 1], B[o + 2]));
  }
  return moved;
}

/**
 * A square window round the texels > 0 that lie in the same part of the texture as most of them,
 * with a margin of a sixteenth of the texture for the surrounding skin. Islands elsewhere within
 * reach of the lid margins (the lids' inner faces, which a closed eye hides) are left out: the
 * texture is cut into cells of a 32nd, and the window holds the cells with such texels that touch,
 * cell to cell, the fullest one.
 */
function windowAround(values: Float32Array, size: number): TextureWindow {
  const cells = 32, cell = size / cells;
  const counts = new Int32Array(cells * cells);
  // Each texel's cell by its row's and its column's (the same divisions, made once per row and column).
  const columnCell = Int32Array.from({ length: size }, (_, x) => Math.floor(x / cell));
  for (let y = 0, p = 0; y < size; y++) {
    const rowCells = Math.floor(y / cell) * cells;
    for (let x = 0; x < size; x++, p++) if (!(values[p] <= 0)) counts[rowCells + columnCell[x]]++;
  }
  let fullest = 0;
  for (let k = 1; k < counts.length; k++) if (counts[k] > counts[fullest]) fullest = k;
  const reached = new Uint8Array(counts.length), queue = [fullest];
  reached[fullest] = 1;
  let x0 = cells, y0 = cells, x1 = -1, y1 = -1;
  while (queue.length > 0) {
    const k = queue.pop()!, cx = k % cells, cy = (k - cx) / cells;
    x0 = Math.min(x0, cx); x1 = Math.max(x1, cx); y0 = Math.min(y0, cy); y1 = Math.max(y1, cy);
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const nx = cx + dx, ny = cy + dy, next = ny * cells + nx;
        if (nx < 0 || ny < 0 || nx >= cells || ny >= cells || reached[next] || counts[next] === 0) continue;
        reached[next] = 1;
        queue.push(next);
      }
    }
  }
  const margin = Math.round(size / 16);
  const from = [x0 * cell, y0 * cell], to = [(x1 + 1) * cell, (y1 + 1) * cell];
  const side = Math.min(size, Math.round(Math.max(to[0] - from[0], to[1] - from[1])) + 2 * margin);
  const start = (a: number) => Math.min(size - side, Math.max(0, Math.round((from[a] + to[a] - side) / 2)));
  return { x: start(0), y: start(1), side };
}

/**
 * Moves the eye surround's local mean colour to the surrounding skin's, in place on the linear RGB
 * `texture` (size², interleaved). `skinTone` (linear RGB) is where the surrounding colour tends far
 * from any skin; `keep` (size², optional) is a share per texel to leave untouched (the photo's brows).
 */
export function harmoniseEyeSurround(texture: Float32Array, raster: UvRaster, surround: EyeSurround, skinTone: ArrayLike<number>, keep?: Float32Array): void {
  const size = raster.size, { x: x0, y: y0, side } = surround.window;
  // Texel (wx, wy) of the window is (y0 + wy) * size + x0 + wx, written out in both loops: as a
  // closure made per call and inlined by identity, it took the loops' optimized code with it once
  // collected, and they were compiled again (on-stack replacement) for every avatar.
  // Planes from the reused scratch (../math/scratch-arrays.ts), given back at the end: the window
  // is the model's, so the next avatar takes the same lengths again (7 MiB at 1024²).
  const colour = takeFloat32(side * side * 3), beyond = takeFloat32(side * side);
  for (let wy = 0; wy < side; wy++) {
    for (let wx = 0; wx < side; wx++) {
      const p = (y0 + wy) * size + x0 + wx, w = wy * side + wx, slot = raster.slot[p];
      for (let c = 0; c < 3; c++) colour[3 * w + c] = texture[3 * p + c];
      // Skin beyond the eye surround, not the photo's brows.
      if (slot >= 0) beyond[w] = raster.skin[slot] * (1 - surround.ring[p]) ** 2 * (1 - (keep ? keep[p] : 0));
    }
  }
  // The surrounding skin's colour, carried smoothly across the eye surround from its edge.
  const surrounding = pushPullFill(colour, beyond, side, skinTone);
  // The texture's own local mean: what is finer than it is the detail that stays. Read only on the
  // ring (weight > 0 below), which ends 93 rows and 175 columns short of the window's bottom and
  // right at 1024² (the default head): the blur stops there (12.6 -> 6.7-8.9 ms, sample photo, warm).
  const local = colour;
  boxBlur(local, side, 3, Math.max(2, Math.round(size / 128)), 2, surround.ringEnd);
  for (let wy = 0; wy < side; wy++) {
    for (let wx = 0; wx < side; wx++) {
      const p = (y0 + wy) * size + x0 + wx, w = wy * side + wx;
      const weight = surround.ring[p] * (1 - (keep ? keep[p] : 0));
      if (weight <= 0) continue;
      let lumaLocal = 0, lumaSurrounding = 0;
      for (let c = 0; c < 3; c++) { lumaLocal += LUMINANCE_WEIGHTS[c] * local[3 * w + c]; lumaSurrounding += LUMINANCE_WEIGHTS[c] * surrounding[3 * w + c]; }
      // Chroma only: the surrounding colour at the local brightness; where a blink uncovers the lid, the surrounding colour itself.
      const lidShare = surround.lid[p];
      const scale = (1 - lidShare) * (lumaLocal / Math.max(lumaSurrounding, 1e-6)) + lidShare;
      for (let c = 0; c < 3; c++) {
        const ratio = (scale * surrounding[3 * w + c]) / Math.max(local[3 * w + c], 1e-6);
        texture[3 * p + c] = Math.min(1, texture[3 * p + c] * (1 + weight * (ratio - 1)));
      }
    }
  }
  giveBackFloat32(colour, beyond, surrounding);
}
