/**
 * The photo's hair and a hair style's strands, both seen from the photo's camera on one coarse grid
 * (about GRID_ROWS_PER_FACE rows per face height), over the rows from the head's top to the eye line
 * and, in each, the head's outline widened by SIDE_REACH: what the style match (./style-match.ts)
 * and the hairline fit (./hairline.ts) compare. Browser-safe.
 */
import type { HeadModel } from '../modelpack/head-model.js';
import type { Mask, PinholeCamera } from '../types.js';
import { projectToImage } from '../render/project.js';
import { createRasterTarget, rasterizeTriangles, type RasterTarget } from '../render/rasterize.js';
import { depthInClosing } from '../image/chamfer-distance.js';
import type { HairStyleMesh } from './asset-format.js';
import { placeStrands } from './fit-hair.js';
import { opaqueStrandAt, strandToneReader } from './hair-mesh.js';
import { eyeLine, type FaceFrame } from './photo-hair.js';

/** Cells across the face's height on the comparison grid: finer changes no choice, coarser is cheaper. */
const GRID_ROWS_PER_FACE = 96;
/** Beside the head's outline, the comparison reaches this share of its width on each side (hair standing off the head). */
const SIDE_REACH = 0.25;
/** Grid cells: the rendered mesh's scalp cap fills the gaps between strands over the scalp, which a closing by this radius stands in for. */
const CAP_CLOSING = 2;

export interface HairViewInput {
  model: HeadModel;
  neutralVertices: Float32Array;
  camera: PinholeCamera;
  /** The photo's hair mask (image size). */
  mask: Mask;
  frame: FaceFrame;
  headRows: { top: number; left: Float32Array; right: Float32Array };
}

export class HairViewGrid {
  /** Image pixels per grid cell. */
  readonly cell: number;
  readonly width: number;
  readonly height: number;
  /** The grid row of the image's row 0 is -gridTop: grid row = floor(image row / cell) - gridTop. */
  readonly gridTop: number;
  /** Cells inside the compared region (1), and which of them the photo's hair covers (1). */
  readonly region: Uint8Array;
  readonly photoHair: Uint8Array;
  private readonly target: RasterTarget;
  private readonly headDepth: Float32Array;
  /** strandsSeen of each style as drawn (no hairline turn): the style match and the hairline fit both start from it. */
  private readonly drawn = new Map<HairStyleMesh, Uint8Array>();

  constructor(readonly input: HairViewInput) {
    const { model, neutralVertices, mask, frame, headRows } = input;
    this.cell = Math.max(1, frame.height / GRID_ROWS_PER_FACE);
    const firstRow = Math.max(0, Math.floor(headRows.top)), lastRow = Math.min(mask.height - 1, Math.floor(eyeLine(frame)));
    this.gridTop = Math.floor(firstRow / this.cell);
    const gridBottom = Math.floor(lastRow / this.cell);
    const width = (this.width = Math.ceil(mask.width / this.cell)), height = (this.height = Math.max(0, gridBottom - this.gridTop + 1));
    this.region = new Uint8Array(width * height);
    this.photoHair = new Uint8Array(width * height);
    for (let gy = 0; gy < height; gy++) {
      const y = this.imageRow(gy);
      const left = headRows.left[y], right = headRows.right[y];
      if (!Number.isFinite(left) || !Number.isFinite(right)) continue;
      const reach = SIDE_REACH * (right - left);
      for (let gx = 0; gx < width; gx++) {
        const x = this.imageColumn(gx);
        if (x < left - reach || x > right + reach) continue;
        this.region[gy * width + gx] = 1;
        this.photoHair[gy * width + gx] = mask.data[y * mask.width + x] ? 1 : 0;
      }
    }
    this.target = createRasterTarget(width, height, 0, this.gridTop);
    rasterizeTriangles(this.target, this.toGrid(neutralVertices), model.indices, { cull: 'back' });
    this.headDepth = this.target.depth.slice();
  }

  /** The image row and column at a grid cell's centre. */
  private imageRow(gy: number): number {
    return Math.min(this.input.mask.height - 1, Math.round((gy + this.gridTop + 0.5) * this.cell));
  }

  private imageColumn(gx: number): number {
    return Math.min(this.input.mask.width - 1, Math.round((gx + 0.5) * this.cell));
  }

  /** The style's strands placed on the fitted head as the built mesh places them (fit-hair.ts placeStrands), at the style's own volume. */
  strandPositions(style: HairStyleMesh, hairlineTurn = 0): Float32Array {
    return placeStrands(style.positions, style.indices, this.input.model, this.input.neutralVertices, { hairlineTurn }).positions;
  }

  /** Per cell (1): the strands at `positions` (the style's vertices, alpha-tested, hidden where the fitted head is nearer), closed as the scalp cap closes their gaps. */
  strandsSeen(style: HairStyleMesh, positions: Float32Array): Uint8Array {
    const target = this.target;
    target.depth.set(this.headDepth);
    target.triangle.fill(-1);
    rasterizeTriangles(target, this.toGrid(positions), style.indices, { accept: opaqueStrandAt(style.indices, style.uvs, strandToneReader(style)) });
    const strands = new Uint8Array(this.region.length);
    for (let p = 0; p < strands.length; p++) strands[p] = target.triangle[p] >= 0 ? 1 : 0;
    const covered = depthInClosing(strands, this.width, this.height, CAP_CLOSING);
    for (let p = 0; p < strands.length; p++) strands[p] = covered[p] > 0 ? 1 : 0;
    return strands;
  }

  /** strandsSeen of the style as drawn, found once per grid. Read-only. */
  drawnStrands(style: HairStyleMesh): Uint8Array {
    let cells = this.drawn.get(style);
    if (!cells) this.drawn.set(style, (cells = this.strandsSeen(style, this.strandPositions(style))));
    return cells;
  }

  /** Intersection over union of `cells` (a strandsSeen) with the photo's hair, over the region. */
  overlapWithPhoto(cells: Uint8Array): number {
    const { region, photoHair } = this;
    let both = 0, either = 0;
    for (let p = 0; p < region.length; p++) {
      if (!region[p]) continue;
      if (cells[p] && photoHair[p]) both++;
      if (cells[p] || photoHair[p]) either++;
    }
    return either ? both / either : 0;
  }

  private toGrid(positions: Float32Array): Float32Array {
    const screen = projectToImage(positions, this.input.camera);
    for (let i = 0; i < screen.length; i += 3) {
      screen[i] = screen[i] / this.cell - 0.5;
      screen[i + 1] = screen[i + 1] / this.cell - 0.5;
    }
    return screen;
  }
}
