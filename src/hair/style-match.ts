/**
 * Which of a class's styles suits the photo: each candidate, moved with the fitted head, is seen
 * from the photo's camera, and the one whose strands best overlap the photo's hair above the eyes
 * wins. A short crop with a fringe down the forehead (`short02`) and one swept back from a high or
 * receding hairline (`short04`) differ most there, and a hair mask tells them apart where the
 * silhouette bands of the class (./photo-hair.ts) cannot. Browser-safe.
 */
import type { HeadModel } from '../modelpack/head-model.js';
import type { Mask, PinholeCamera } from '../types.js';
import { projectToImage } from '../render/project.js';
import { createRasterTarget, rasterizeTriangles } from '../render/rasterize.js';
import { depthInClosing } from '../image/chamfer-distance.js';
import type { HairStyleMesh } from './asset-format.js';
import { hairFollowingHead, pushOutAlongRays, radialProfileOf } from './fit-hair.js';
import { opaqueStrandAt, strandToneReader } from './hair-mesh.js';
import { eyeLine, type FaceFrame } from './photo-hair.js';
import type { HairStyle } from './styles.js';

/** Cells across the face's height on the comparison grid: finer changes no choice, coarser is cheaper. */
const GRID_ROWS_PER_FACE = 96;
/** Beside the head's outline, the comparison reaches this share of its width on each side (hair standing off the head). */
const SIDE_REACH = 0.25;
/** Grid cells: the rendered mesh's scalp cap fills the gaps between strands over the scalp, which a closing by this radius stands in for. */
const CAP_CLOSING = 2;

export interface StyleMatch {
  style: HairStyle;
  candidates: HairStyle[];
  /** Per candidate, in the order given: intersection over union with the photo's hair above the eye line. */
  overlaps: number[];
}

/**
 * Intersection over union, per candidate, between the photo's hair mask and the candidate's strands
 * (alpha-tested, hidden where the fitted head is nearer) from the photo's camera, on a grid of
 * about GRID_ROWS_PER_FACE rows per face height, over the rows from the head's top to the eye line
 * and, in each, the head's outline widened by SIDE_REACH. The best overlap wins.
 */
export function bestMatchingStyle(candidates: readonly HairStyleMesh[], input: {
  model: HeadModel; neutralVertices: Float32Array; camera: PinholeCamera; mask: Mask; frame: FaceFrame;
  headRows: { top: number; left: Float32Array; right: Float32Array };
}): StyleMatch {
  const { model, neutralVertices, camera, mask, frame, headRows } = input;
  const cell = Math.max(1, frame.height / GRID_ROWS_PER_FACE);
  const firstRow = Math.max(0, Math.floor(headRows.top)), lastRow = Math.min(mask.height - 1, Math.floor(eyeLine(frame)));
  const gridTop = Math.floor(firstRow / cell), gridBottom = Math.floor(lastRow / cell);
  const width = Math.ceil(mask.width / cell), height = Math.max(0, gridBottom - gridTop + 1);

  // The grid cells inside the compared region, and which of them the photo's hair covers.
  const region = new Uint8Array(width * height), photoHair = new Uint8Array(width * height);
  for (let gy = 0; gy < height; gy++) {
    const y = Math.min(mask.height - 1, Math.round((gy + gridTop + 0.5) * cell));
    const left = headRows.left[y], right = headRows.right[y];
    if (!Number.isFinite(left) || !Number.isFinite(right)) continue;
    const reach = SIDE_REACH * (right - left);
    for (let gx = 0; gx < width; gx++) {
      const x = Math.min(mask.width - 1, Math.round((gx + 0.5) * cell));
      if (x < left - reach || x > right + reach) continue;
      region[gy * width + gx] = 1;
      photoHair[gy * width + gx] = mask.data[y * mask.width + x] ? 1 : 0;
    }
  }

  const toGrid = (positions: Float32Array) => {
    const screen = projectToImage(positions, camera);
    for (let i = 0; i < screen.length; i += 3) {
      screen[i] = screen[i] / cell - 0.5;
      screen[i + 1] = screen[i + 1] / cell - 0.5;
    }
    return screen;
  };
  const target = createRasterTarget(width, height, 0, gridTop);
  rasterizeTriangles(target, toGrid(neutralVertices), model.indices, { cull: 'back' });
  const headDepth = target.depth.slice();

  const profile = radialProfileOf(model, neutralVertices);
  const overlaps = candidates.map((style) => {
    target.depth.set(headDepth);
    target.triangle.fill(-1);
    // Pushed onto the scalp, the inner layers MakeHuman hides under it show, as on the built mesh.
    const positions = hairFollowingHead(style.positions, style.indices, model, neutralVertices);
    pushOutAlongRays(positions, profile);
    rasterizeTriangles(target, toGrid(positions), style.indices, { accept: opaqueStrandAt(style.indices, style.uvs, strandToneReader(style)) });
    const strands = new Uint8Array(region.length);
    for (let p = 0; p < strands.length; p++) strands[p] = target.triangle[p] >= 0 ? 1 : 0;
    const covered = depthInClosing(strands, width, height, CAP_CLOSING);
    let both = 0, either = 0;
    for (let p = 0; p < region.length; p++) {
      if (!region[p]) continue;
      const hair = covered[p] > 0;
      if (hair && photoHair[p]) both++;
      if (hair || photoHair[p]) either++;
    }
    return either ? both / either : 0;
  });
  let best = 0;
  for (let k = 1; k < overlaps.length; k++) if (overlaps[k] > overlaps[best]) best = k;
  return { style: candidates[best].name as HairStyle, candidates: candidates.map((c) => c.name as HairStyle), overlaps };
}
