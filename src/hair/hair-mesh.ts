/**
 * A hair style on a fitted head: the asset's mesh fitted by ./fit-hair.ts, wound and shaded as one
 * volume (windOutward, hairNormals), its strand texture tinted to the hair colour (strand alpha
 * kept), and an opaque scalp cap under it, of the tone of the strands over it shaded towards the
 * root tone, which shows between the strands as deeper hair does. Browser-safe.
 *
 * The cap: MakeHuman hair is cards with alpha, and the inner layer that lies on the scalp has gaps,
 * so the bald skin albedo showed through as light specks. The cap is the head's own scalp surface
 * where the hair's inner layer lies on it, lifted just under the strands and textured from an
 * opaque region of the strand texture, its vertex colours bringing it to the tone of the strands
 * over it, shaded towards the root tone (capShade). (Darkening strands near the scalp instead
 * turned tight styles, whose outer strands lie on the scalp too, the root colour all over.) It is part of the hair mesh, so it goes
 * wherever the hair goes (Babylon, GLB, LODs) and leaves with it (setHair(null)), and the skin
 * albedo under it stays skin.
 */
import { computeVertexNormals, fittedNormals, type HeadModel, type SubMesh } from '../modelpack/head-model.js';
import type { RgbaImage } from '../types.js';
import { linearToSrgb8, SRGB_TO_LINEAR } from '../image/srgb.js';
import type { HairStyleMesh } from './asset-format.js';
import { fitHair, pushOutOfSkin, skinProbe, SKIN_GAP, type HairShapeFit, type SkinProbe } from './fit-hair.js';
import { clipPolygon, GrowingFloats, headTopology, type HeadTopology, type PolygonClipper, usedVertices } from '../modelpack/mesh-utils.js';
import { RadialProfile } from './radial-profile.js';
import { kthSmallest } from '../math/kth-smallest.js';
import { createRasterTarget, rasterizeTriangles } from '../render/rasterize.js';
import { ALL_ABOVE, ALL_BELOW, bilinearCellAt, bilinearChannel, bilinearThresholdCells } from '../render/texel-sampling.js';
import { depthsInClosings } from '../image/chamfer-distance.js';
import type { HairStyle } from './styles.js';
import { earCover, EAR_COVERED, earsOnSides, earVertices, withoutHairOverEars } from './ears.js';
import { hypot3 } from '../math/hypot.js';
import { PerModelCache } from '../modelpack/per-model-cache.js';

/** Hair triangles whose corners all lie this close to the skin cover the scalp under them (metres); hair hanging further out (a ponytail, long ends) does not. */
const ON_SCALP = 0.03;
/** Passes of neighbour averaging of the cap's coverage before its rim is cut at the half-way contour. */
const CAP_RIM_SMOOTHING = 2;
/** Metres the cap lies off the skin: under the strands (SKIN_GAP), clear of the skin's depth. */
const CAP_GAP = 0.6 * SKIN_GAP;
/**
 * The front of the face, where the cap goes only under solid strands (rimField): up to this many
 * metres above the brows (over the face-skin region, which reaches 4 cm above them on the MakeHuman
 * head) and ahead of FACE_DEPTH behind them (the ears' plane, roughly). A fringe or a hairline lies
 * there, and the photo shows skin below it and between its tips.
 */
const FRONT_ABOVE_BROWS = 0.05;
/** Metres from the cranium's centre to the front hairline, about: a hairline turn of θ moves it up the skull by this x θ at most (./fit-hair.ts turnHairline). */
export const HAIRLINE_ARM = 0.1;
const FACE_DEPTH = 0.06;
/** Metres above the brows' mean height below which the cap never goes. */
const CAP_FLOOR_ABOVE_BROWS = 0.008;
/** Metres per cell of the grid on which the strands' opaque coverage over the front of the face is rasterized. */
const COVERAGE_CELL = 0.0004;
/** Halvings of the cap's triangles near its rim on the front of the face before they are clipped: pieces of about 5 mm on the MakeHuman head's forehead. Two halvings found no fewer holes (test/hair/hair.test.ts, "no skin through") for 1,950 more triangles on short02, and put emma's compact GLB over 1.5 MiB. */
const RIM_LEVELS = 1;
/**
 * Where the cap goes on the front of the face, as closings of the strands' opaque coverage (metres:
 * gaps up to about twice `closing` wide count as covered) and how far inside each the cap's rim
 * keeps (`margin`); the cap goes where any of them puts it. Thin gaps (a parting between two
 * cards, a card's transparent strip) are capped right to the strands' ends; wider ones are capped
 * only well inside the strands' outline, so the notches between a fringe's ragged tips stay open
 * and no cap edge shows below them.
 */
const CAP_UNDER_STRANDS: readonly { closing: number; margin: number }[] = [
  { closing: 0.0006, margin: 0.0008 },
  { closing: 0.002, margin: 0.003 },
];

export interface HairMesh {
  /** Model-space mesh on the fitted head (material 'hair'), pivot at its centre: the scalp cap's triangles first (drawn under the strands' blended edges), then the strands. */
  part: SubMesh;
  /** How many of `part`'s triangles (the first ones) are the scalp cap's. */
  capTriangles: number;
  /** Unit shading normals per vertex: the cap's own; the strands' leaning out from the cranium's centre (hairNormals). */
  normals: Float32Array;
  /** Linear RGB multipliers per vertex (towards root / base on the cap, 1 on the strands). */
  vertexColours: Float32Array;
  /** Tinted strand texture, sRGB RGBA, alpha = strand coverage. */
  texture: RgbaImage;
  /** Deepest vertex inside the fitted skin before it was pushed out (mm). */
  penetrationMm: number;
}

/** Linear RGB colour of the hair: base, and the darker tone at the roots. */
export interface HairTone {
  base: [number, number, number];
  root: [number, number, number];
}

/**
 * The strand texture tinted: colour = base x sqrt(luminance / mean luminance of the texels the
 * alpha test keeps), alpha kept. The square root halves the texture's contrast: its painted dark
 * and light regions (darker caps, lighter ends) then keep any view near the photo's colour.
 */
export function tintStrandTexture(style: Pick<HairStyleMesh, 'textureSize' | 'texture'>, base: readonly number[]): RgbaImage {
  const size = style.textureSize, src = style.texture;
  const toneOf = strandToneOf(style);
  // A texel's colour depends on its grey alone: each grey's tinted sRGB, found once (256 greys,
  // not a conversion per texel and channel: 3.0 -> 0.4 ms per 256² texture).
  const tinted = new Uint8Array(256 * 3);
  for (let grey = 0; grey < 256; grey++) {
    const relative = toneOf(grey);
    for (let c = 0; c < 3; c++) tinted[3 * grey + c] = linearToSrgb8(base[c] * relative);
  }
  const data = new Uint8ClampedArray(size * size * 4);
  for (let p = 0; p < size * size; p++) {
    const t = 3 * src[2 * p];
    data[4 * p] = tinted[t]; data[4 * p + 1] = tinted[t + 1]; data[4 * p + 2] = tinted[t + 2];
    data[4 * p + 3] = src[2 * p + 1];
  }
  return { width: size, height: size, data };
}

/** Share of the kept texels whose tone the tint may reach; lighter ones are held at it. */
const TONE_CEILING_QUANTILE = 0.99;

/**
 * The tint's multiplier of the base colour for a texel of grey `grey` (sRGB 0..255):
 * sqrt(luminance / mean luminance of the texels the alpha test keeps), as tintStrandTexture paints
 * it, held at most at the TONE_CEILING_QUANTILE texel's. The textures carry a few stray light texels
 * (MakeHuman's watermark, lines along their borders) which that ratio against a dark texture's
 * mean turns white: afro01's grey 255 against its mean grey of about 7 is 18.6 x the base.
 */
function strandToneOf(style: Pick<HairStyleMesh, 'textureSize' | 'texture'>): (grey: number) => number {
  return strandTones.get(style.texture, style.textureSize, () => makeStrandToneOf(style));
}

/** strandToneOf per strand texture (a style's, a face card's): a pass over its texels that every hair mesh, tint and cap texel asked again. */
const strandTones = new PerModelCache<Uint8Array, (grey: number) => number>();

function makeStrandToneOf(style: Pick<HairStyleMesh, 'textureSize' | 'texture'>): (grey: number) => number {
  const size = style.textureSize, src = style.texture;
  let sum = 0, weight = 0;
  const histogram = new Uint32Array(256);
  for (let p = 0; p < size * size; p++) {
    if (src[2 * p + 1] < 128) continue;
    sum += SRGB_TO_LINEAR[src[2 * p]];
    histogram[src[2 * p]]++;
    weight++;
  }
  const mean = weight > 0 ? sum / weight : 1;
  let ceilingGrey = 255;
  for (let grey = 0, below = 0; grey < 256; grey++) {
    below += histogram[grey];
    if (below >= TONE_CEILING_QUANTILE * weight) { ceilingGrey = grey; break; }
  }
  const ceiling = Math.sqrt(SRGB_TO_LINEAR[ceilingGrey] / mean);
  return (grey) => Math.min(ceiling, Math.sqrt(SRGB_TO_LINEAR[grey] / mean));
}

/** Side of the opaque square (texels) the cap samples at: opaque at every mip level a head on screen uses. */
const CAP_SQUARE = 16;

/**
 * The (u, v) the cap samples and its tone (tintStrandTexture's multiplier there): the centre of an
 * opaque CAP_SQUARE-texel square whose centre texel's tone is nearest `tone`, so the cap's vertex
 * colours scale that tone to the strands' around them, not a dark or light streak's.
 */
export function opaqueTexel(style: HairStyleMesh, tone: number): { uv: [number, number]; tone: number } {
  const size = style.textureSize, texture = style.texture;
  const toneOf = strandToneOf(style);
  const { corners, centreTones, largest, largestAt } = opaqueSquares(style);
  // The first square in raster order whose centre's tone is nearest `tone`.
  let best = -1, bestGap = Infinity;
  for (let k = 0; k < corners.length; k++) {
    const gap = Math.abs(centreTones[k] - tone);
    if (gap < bestGap) { bestGap = gap; best = corners[k]; }
  }
  // No square that large: the largest there is.
  const corner = best >= 0 ? best : largestAt, extent = best >= 0 ? CAP_SQUARE : largest;
  const cx = (corner % size) + 1 - extent / 2, cy = Math.floor(corner / size) + 1 - extent / 2;
  const centre = Math.floor(cy) * size + Math.floor(cx);
  // Rows run top-down in the texture, v runs up.
  return { uv: [cx / size, 1 - cy / size], tone: toneOf(texture[2 * centre]) };
}

/** A strand texture's opaque CAP_SQUARE-texel squares: their lower-right corners in raster order and their centres' tones, and the largest opaque square's side and corner. */
interface OpaqueSquares {
  corners: Int32Array;
  centreTones: Float64Array;
  largest: number;
  largestAt: number;
}

/** opaqueSquares per style (its texture): they depend on the texture alone (a scan of its texels and the tone pass, 0.6 ms of every hair mesh). */
const opaqueSquaresOfStyles = new PerModelCache<Uint8Array, OpaqueSquares>();

function opaqueSquares(style: HairStyleMesh): OpaqueSquares {
  return opaqueSquaresOfStyles.get(style.texture, style.textureSize, () => {
    const size = style.textureSize, texture = style.texture;
    const toneOf = strandToneOf(style);
    // side[p]: the largest all-opaque square with its lower-right corner at p.
    const side = new Uint16Array(size * size);
    const corners: number[] = [], centreTones: number[] = [];
    let largest = 0, largestAt = 0;
    const half = CAP_SQUARE >> 1;
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
      const p = y * size + x;
      if (texture[2 * p + 1] < 250) continue;
      side[p] = x && y ? 1 + Math.min(side[p - size], side[p - 1], side[p - size - 1]) : 1;
      if (side[p] > largest) { largest = side[p]; largestAt = p; }
      if (side[p] < CAP_SQUARE) continue;
      corners.push(p);
      centreTones.push(toneOf(texture[2 * ((y - half) * size + (x - half))]));
    }
    return { corners: Int32Array.from(corners), centreTones: Float64Array.from(centreTones), largest, largestAt };
  });
}

/** What the hair lying on the scalp shows per direction (bin of the fitted head's radial profile). */
interface ScalpStrands {
  /** 1 where such hair covers the bin. */
  covered: Uint8Array;
  /** Sum and count of the tones (tintStrandTexture's multiplier) of the outermost strands (OUTER_LAYER) the alpha test keeps, per bin. */
  toneSum: Float32Array;
  toneCount: Uint32Array;
  /** Every outermost strand tone sampled. */
  tones: Float32Array;
}

/** Metres under a bin's outermost kept strand sample within which samples count as what is seen from outside. */
const OUTER_LAYER = 0.003;

/**
 * Directions that hair lying on the scalp covers, and the tone its outer strands show there: each
 * such hair triangle is sampled finely enough to mark every bin it crosses, and at each sample the
 * strand texture's tone is read (`strandTone`: NaN where the alpha test drops the texel). Only
 * samples within OUTER_LAYER of their bin's outermost one count: styles paint inner layers darker
 * or lighter than the strands on top, which are what the cap shows between.
 */
function scalpStrands(profile: RadialProfile, hair: Strands, strandTone: (u: number, v: number) => number): ScalpStrands {
  const { positions: hairPositions, indices: hairIndices, uvs } = hair;
  const covered = new Uint8Array(RadialProfile.BINS), outermost = new Float32Array(RadialProfile.BINS);
  const steps = scalpSampleSteps(hair);
  let sampleCount = 0;
  for (const s of steps) if (s > 0) sampleCount += ((s + 1) * (s + 2)) / 2;
  // Every kept sample's bin, radius and tone, in typed arrays sized up front (not growing lists).
  const sampleBin = new Int32Array(sampleCount), sampleRadius = new Float64Array(sampleCount), sampleTone = new Float64Array(sampleCount);
  let samples = 0;
  const distance = new Float64Array(1);
  for (let t = 0; t < hairIndices.length; t += 3) {
    const a = hairIndices[t], b = hairIndices[t + 1], c = hairIndices[t + 2], count = steps[t / 3];
    if (count === 0) continue;
    for (let i = 0; i <= count; i++) for (let j = 0; i + j <= count; j++) {
      const u = i / count, v = j / count, w = 1 - u - v;
      const bin = profile.locateBin(
        w * hairPositions[3 * a] + u * hairPositions[3 * b] + v * hairPositions[3 * c],
        w * hairPositions[3 * a + 1] + u * hairPositions[3 * b + 1] + v * hairPositions[3 * c + 1],
        w * hairPositions[3 * a + 2] + u * hairPositions[3 * b + 2] + v * hairPositions[3 * c + 2],
        distance,
      );
      const r = distance[0];
      covered[bin] = 1;
      const tone = strandTone(w * uvs[2 * a] + u * uvs[2 * b] + v * uvs[2 * c], w * uvs[2 * a + 1] + u * uvs[2 * b + 1] + v * uvs[2 * c + 1]);
      if (Number.isNaN(tone)) continue;
      outermost[bin] = Math.max(outermost[bin], r);
      sampleBin[samples] = bin; sampleRadius[samples] = r; sampleTone[samples] = tone;
      samples++;
    }
  }
  const toneSum = new Float32Array(RadialProfile.BINS), toneCount = new Uint32Array(RadialProfile.BINS);
  const tones = new Float32Array(samples);
  let kept = 0;
  for (let k = 0; k < samples; k++) {
    const bin = sampleBin[k];
    if (sampleRadius[k] < outermost[bin] - OUTER_LAYER) continue;
    toneSum[bin] += sampleTone[k];
    toneCount[bin]++;
    tones[kept++] = sampleTone[k];
  }
  return { covered, toneSum, toneCount, tones: tones.slice(0, kept) };
}

/**
 * Per strand triangle, the subdivisions scalpStrands samples it at (0 for a triangle that does not
 * lie on the scalp): fine enough that samples mark every direction bin it crosses.
 */
function scalpSampleSteps({ positions, indices, skinDistance }: Strands): Int32Array {
  const steps = new Int32Array(indices.length / 3);
  const binSize = RadialProfile.BIN_ANGLE * 0.07; // metres across a bin at a scalp's radius, about
  for (let t = 0; t < indices.length; t += 3) {
    const a = indices[t], b = indices[t + 1], c = indices[t + 2];
    if (!onScalp(skinDistance, a, b, c)) continue;
    const edge = Math.max(distance3(positions, a, b), distance3(positions, b, c), distance3(positions, c, a));
    steps[t / 3] = Math.max(1, Math.ceil((2 * edge) / binSize));
  }
  return steps;
}

/** Bins (polar and azimuth, each way) over which the strands' tone is averaged for the cap under them: about 2 cm on a scalp. */
const TONE_RADIUS_BINS = 2;

/**
 * Per bin, the mean strand tone over the bins within TONE_RADIUS_BINS (azimuth wraps round);
 * `fallback` where no strand was sampled nearby.
 */
function localStrandTone(strands: ScalpStrands, fallback: number): Float32Array {
  const { polar, azimuth } = RadialProfile.GRID;
  const out = new Float32Array(RadialProfile.BINS);
  for (let i = 0; i < polar; i++) for (let j = 0; j < azimuth; j++) {
    let sum = 0, count = 0;
    for (let di = -TONE_RADIUS_BINS; di <= TONE_RADIUS_BINS; di++) {
      const ii = i + di;
      if (ii < 0 || ii >= polar) continue;
      for (let dj = -TONE_RADIUS_BINS; dj <= TONE_RADIUS_BINS; dj++) {
        const bin = ii * azimuth + ((j + dj + azimuth) % azimuth);
        sum += strands.toneSum[bin];
        count += strands.toneCount[bin];
      }
    }
    out[i * azimuth + j] = count ? sum / count : fallback;
  }
  return out;
}

/** Whether the strand triangle (a, b, c) lies on the scalp: every corner within ON_SCALP of the skin. */
function onScalp(skinDistance: Float32Array, a: number, b: number, c: number): boolean {
  return !(skinDistance[a] > ON_SCALP || skinDistance[b] > ON_SCALP || skinDistance[c] > ON_SCALP);
}

function distance3(positions: ArrayLike<number>, a: number, b: number): number {
  return hypot3(positions[3 * a] - positions[3 * b], positions[3 * a + 1] - positions[3 * b + 1], positions[3 * a + 2] - positions[3 * b + 2]);
}

/**
 * Per head vertex, the share of cap around it: 1 where hair on the scalp covers it, averaged with
 * its neighbours `passes` times, 0 where the cap may not go (the face). Cutting the cap at the
 * half-way contour of this field gives a rim that runs across the head's triangles instead of in
 * steps along them (the jagged hairline), and fills notches a vertex wide.
 */
function smoothedCoverage(capped: Uint8Array, eligible: Uint8Array, { offsets, neighbours }: HeadTopology, passes: number): Float32Array {
  let field = Float32Array.from(capped), next = new Float32Array(capped.length);
  for (let pass = 0; pass < passes; pass++) {
    for (let v = 0; v < capped.length; v++) {
      let sum = field[v];
      for (let k = offsets[v]; k < offsets[v + 1]; k++) sum += field[neighbours[k]];
      next[v] = eligible[v] ? sum / (1 + offsets[v + 1] - offsets[v]) : 0;
    }
    [field, next] = [next, field];
  }
  return field;
}

/**
 * How far (metres) a point lies inside the region the cap may take under the strands seen along
 * one axis (negative outside): the opaque coverage of the strand triangles lying on the scalp that
 * `include` keeps, their triangles rasterized orthographically along the axis that
 * is neither `across` (the horizontal one: 0 for x, seen from the front; 2 for z, seen from the
 * side) nor y, on a grid of COVERAGE_CELL with the alpha test (`strandTone` NaN where it drops the
 * texel), closed and shrunk as CAP_UNDER_STRANDS says. The result's `at` takes the point's
 * `across` coordinate and its y. Seen from the front (or side) rather than from the cranium's
 * centre, since a fringe's tips stand off the forehead: projected from the centre, they covered
 * cap that the front view shows below them.
 */
function strandCoverageDepth(hair: Strands, strandTone: (u: number, v: number) => number, include: (a: number, b: number, c: number) => boolean, across: 0 | 2): CoverageDepth {
  const { positions: P, indices: hairIndices, uvs, skinDistance } = hair;
  const kept: number[] = [];
  let left = Infinity, right = -Infinity, bottom = Infinity, top = -Infinity;
  for (let t = 0; t < hairIndices.length; t += 3) {
    const a = hairIndices[t], b = hairIndices[t + 1], c = hairIndices[t + 2];
    if (!onScalp(skinDistance, a, b, c) || !include(a, b, c)) continue;
    kept.push(a, b, c);
    for (let k = t; k < t + 3; k++) {
      const v = hairIndices[k];
      left = Math.min(left, P[3 * v + across]); right = Math.max(right, P[3 * v + across]);
      bottom = Math.min(bottom, P[3 * v + 1]); top = Math.max(top, P[3 * v + 1]);
    }
  }
  if (!kept.length) return NO_COVERAGE;
  const width = Math.ceil((right - left) / COVERAGE_CELL) + 1, height = Math.ceil((top - bottom) / COVERAGE_CELL) + 1;
  // Depth 0 everywhere: only whether some fragment of a cell passes the alpha test matters, and
  // with equal depths the rasterizer tests no more fragments of a cell once one has passed (the
  // strands lie in layers: most fragments are behind another).
  const screen = new Float32Array(P.length);
  for (let v = 0; v < P.length / 3; v++) {
    screen[3 * v] = (P[3 * v + across] - left) / COVERAGE_CELL; screen[3 * v + 1] = (top - P[3 * v + 1]) / COVERAGE_CELL;
  }
  const indices = Uint32Array.from(kept);
  const target = createRasterTarget(width, height);
  rasterizeTriangles(target, screen, indices, { accept: opaqueStrandAt(indices, uvs, strandTone) });
  const covered = new Uint8Array(width * height);
  for (let p = 0; p < covered.length; p++) covered[p] = target.triangle[p] >= 0 ? 1 : 0;
  return new CoverageDepth(top, left, width, height, depthsInClosings(covered, width, height, CAP_UNDER_STRANDS.map(({ closing }) => closing / COVERAGE_CELL)));
}

/**
 * strandCoverageDepth's answer: the closings' depths on their grid, read by `at`. An object with a
 * method, not a closure made per avatar, for the rim's code that calls it (see CapRim).
 */
class CoverageDepth {
  constructor(
    private readonly top: number, private readonly left: number, private readonly width: number, private readonly height: number,
    /** Per CAP_UNDER_STRANDS entry, the depths in its closing; none: no strands, outside everywhere. */
    private readonly depths: Float32Array[] | null,
  ) {}

  /** How far (metres) the point at (h, y) lies inside the region (negative outside). */
  at(h: number, y: number): number {
    const { depths, width, height } = this;
    if (!depths) return -Infinity;
    const i = Math.round((this.top - y) / COVERAGE_CELL), j = Math.round((h - this.left) / COVERAGE_CELL);
    // Beyond the strands' extent: outside, by how far.
    const off = Math.max(0, -i, i - (height - 1), -j, j - (width - 1));
    const cell = Math.min(height - 1, Math.max(0, i)) * width + Math.min(width - 1, Math.max(0, j));
    let inside = -Infinity;
    for (let k = 0; k < CAP_UNDER_STRANDS.length; k++) inside = Math.max(inside, (off ? -off : depths[k][cell]) * COVERAGE_CELL - CAP_UNDER_STRANDS[k].margin);
    return inside;
  }
}

/** No strands to be under: every point outside. */
const NO_COVERAGE = new CoverageDepth(0, 0, 0, 0, null);

/**
 * The sideburns' zone on one side of the face, where the cap goes only under the strands' opaque
 * coverage seen from that side: below CAP_FLOOR_ABOVE_BROWS over the brows (above it the front
 * view's cut holds), beyond SIDEBURN_BESIDE_EYES outside the outer eye corner and behind it, ahead
 * of the ear's rear; only on a side whose ear the strands are cut round (`ear`, ./ears.ts). There
 * the card that crossed the ear used to hide the skin between the sideburn's cards; cut away, it
 * left a thin skin streak in front of the ear's top, below the brows where the cap never went.
 * `depth` is how far (metres) a point lies inside the zone (negative outside).
 */
class SideburnZone {
  /** Whether the side has a zone at all (its ear is cut round). */
  readonly present: boolean;

  constructor(
    private readonly top: number, private readonly sign: -1 | 1, private readonly midX: number, private readonly beside: number,
    private readonly eyeZ: number, private readonly earRear: number,
  ) {
    this.present = earRear !== Infinity;
  }

  depth(x: number, y: number, z: number): number {
    if (!this.present) return -Infinity;
    return Math.min(this.top - y, this.sign * (x - this.midX) - this.beside, this.eyeZ - z, z - this.earRear);
  }
}

/** Metres outside the outer eye corners (sideways) from which the side of the face counts as the sideburns' zone: the temples' skin beside the eyes stays bare. */
const SIDEBURN_BESIDE_EYES = 0.015;

/** Metres round a sideburns' zone from which strands count in its coverage: beyond the widest closing and margin (CAP_UNDER_STRANDS). */
const SIDEBURN_REACH = 0.01;

function sideburnZone(model: HeadModel, fittedVertices: Float32Array, ear: Uint8Array, browY: number, sign: -1 | 1): SideburnZone {
  const point = (k: number, axis: number) => fittedVertices[3 * model.landmarks68[k] + axis];
  const midX = (point(0, 0) + point(16, 0)) / 2;
  // iBUG-68 36 and 45: the outer eye corners.
  const eyeLateral = Math.max(sign * (point(36, 0) - midX), sign * (point(45, 0) - midX)), eyeZ = Math.min(point(36, 2), point(45, 2));
  let earRear = Infinity;
  for (let v = 0; v < fittedVertices.length / 3; v++) if (ear[v] && sign * (fittedVertices[3 * v] - midX) > 0) earRear = Math.min(earRear, fittedVertices[3 * v + 2]);
  // The ear on this side is hidden under the strands (no cut round it, earRear Infinity): its sideburns were not cut either.
  return new SideburnZone(browY + CAP_FLOOR_ABOVE_BROWS, sign, midX, eyeLateral + SIDEBURN_BESIDE_EYES, eyeZ, earRear);
}

/** The deeper of the two sides' sideburns zones (SideburnZone.depth). */
function sideburnDepthOf(zones: readonly SideburnZone[], x: number, y: number, z: number): number {
  return Math.max(zones[0].depth(x, y, z), zones[1].depth(x, y, z));
}

/**
 * The scalp cap's surface before its rim is cut (scalpCap): per welded head triangle with a corner
 * inside the smoothed coverage's half-way contour, its piece inside, over one cap vertex per head
 * vertex inside the contour (lifted CAP_GAP along its normal) and one per head edge the contour
 * crosses. Methods of one object, not closures made per mesh (see CapRim); the arithmetic is the
 * closures', in their order.
 */
class CapSurface {
  readonly positions: number[] = [];
  /** Per cap vertex, the strands' tone over it. */
  readonly capTone: number[] = [];
  readonly capNormals: number[] = [];
  private readonly vertexIndex: Int32Array;
  private readonly edgeIndex = new Map<number, number>();

  constructor(
    private readonly fittedVertices: Float32Array, private readonly normals: Float32Array, private readonly profile: RadialProfile,
    private readonly binTone: Float32Array, private readonly coverage: Float32Array, readonly probe: SkinProbe, private readonly n: number,
  ) {
    this.vertexIndex = new Int32Array(n).fill(-1);
  }

  private lifted(v: number, k: number): number {
    return this.fittedVertices[3 * v + k] + CAP_GAP * this.normals[3 * v + k];
  }

  private toneAt(v: number): number {
    const { fittedVertices } = this;
    return this.binTone[this.profile.locateBin(fittedVertices[3 * v], fittedVertices[3 * v + 1], fittedVertices[3 * v + 2])];
  }

  private isIn(v: number): boolean {
    return this.coverage[v] >= 0.5;
  }

  /** The cap vertex over head vertex v, made on first use. */
  private inside(v: number): number {
    const { vertexIndex, positions } = this;
    if (vertexIndex[v] < 0) {
      vertexIndex[v] = positions.length / 3;
      for (let k = 0; k < 3; k++) positions.push(this.lifted(v, k));
      this.capTone.push(this.toneAt(v));
      for (let k = 0; k < 3; k++) this.capNormals.push(this.normals[3 * v + k]);
    }
    return vertexIndex[v];
  }

  /** The cap vertex where the contour crosses head edge (a, b), made on first use. */
  private crossing(a: number, b: number): number {
    const { coverage, positions, normals } = this;
    const key = Math.min(a, b) * this.n + Math.max(a, b);
    let index = this.edgeIndex.get(key);
    if (index === undefined) {
      index = positions.length / 3;
      this.edgeIndex.set(key, index);
      const t = (0.5 - coverage[a]) / (coverage[b] - coverage[a]);
      let x = (1 - t) * this.lifted(a, 0) + t * this.lifted(b, 0), y = (1 - t) * this.lifted(a, 1) + t * this.lifted(b, 1), z = (1 - t) * this.lifted(a, 2) + t * this.lifted(b, 2);
      // On the chord between two lifted vertices, the point may lie under the curved skin: lift it clear.
      const hit = this.probe.at(x, y, z);
      if (hit && hit.distance < CAP_GAP) {
        const lift = CAP_GAP - hit.distance;
        x += lift * hit.nx; y += lift * hit.ny; z += lift * hit.nz;
      }
      positions.push(x, y, z);
      this.capTone.push((1 - t) * this.toneAt(a) + t * this.toneAt(b));
      for (let k = 0; k < 3; k++) this.capNormals.push((1 - t) * normals[3 * a + k] + t * normals[3 * b + k]);
    }
    return index;
  }

  /** The cap's triangles (cap vertex indices) over the welded head triangles. */
  triangles(welded: Uint32Array): number[] {
    const triangles: number[] = [];
    for (let t = 0; t < welded.length; t += 3) {
      const count = +this.isIn(welded[t]) + +this.isIn(welded[t + 1]) + +this.isIn(welded[t + 2]);
      if (count === 0) continue;
      if (count === 3) { triangles.push(this.inside(welded[t]), this.inside(welded[t + 1]), this.inside(welded[t + 2])); continue; }
      // Rotate so the corner alone on its side of the contour comes first (winding kept).
      let lone = 0;
      while (this.isIn(welded[t + lone]) !== (count === 1)) lone++;
      const a = welded[t + lone], b = welded[t + ((lone + 1) % 3)], c = welded[t + ((lone + 2) % 3)];
      const ab = this.crossing(a, b), ac = this.crossing(a, c);
      if (count === 1) triangles.push(this.inside(a), ab, ac);
      else triangles.push(ab, this.inside(b), this.inside(c), ab, this.inside(c), ac);
    }
    return triangles;
  }
}

/** What the cap's rim follows on the front of the face and in the sideburns' zones (scalpCap's rimField). */
interface RimShape {
  browY: number;
  browZ: number;
  frontAboveBrows: number;
  midX: number;
  zones: readonly SideburnZone[];
  /** The strands' coverage seen from the front, and per side (-x, +x) from that side. */
  coverageDepth: CoverageDepth;
  sideCoverage: readonly CoverageDepth[];
}

/**
 * scalpCap's rim: the cap's triangles near it halved and clipped along rimField, new points
 * appended to the cap's lists. Methods of one object, not closures made per avatar: V8 inlined
 * those into each other by their identity, so each avatar's new closures, and the optimized code
 * that had inlined the last avatar's once those were collected, were compiled again and ran
 * unoptimized meanwhile (--trace-opt: each of them once per two or three hair meshes). The
 * arithmetic is the closures', in their order.
 */
class CapRim implements PolygonClipper {
  /** rimField per cap vertex, filled in order as asked. */
  private readonly rim: number[] = [];
  /** Points on an edge shared by the pieces on either side of it: where the rim crosses it, and its midpoint. */
  private readonly cut = new Map<number, number>();
  private readonly halves = new Map<number, number>();

  constructor(
    private readonly positions: number[], private readonly capTone: number[], private readonly capNormals: number[], private readonly indices: number[],
    private readonly probe: SkinProbe, private readonly shape: RimShape,
  ) {}

  /**
   * On the front of the face: cut along the strands' opaque coverage seen from the front, kept
   * above the floor. In the sideburns' zones: along their coverage seen from that side.
   */
  private frontField(x: number, y: number, z: number): number {
    const { browY, browZ, frontAboveBrows, coverageDepth } = this.shape;
    return Math.max(
      Math.max(y - (browY + frontAboveBrows), browZ - FACE_DEPTH - z),
      Math.min(coverageDepth.at(x, y), y - (browY + CAP_FLOOR_ABOVE_BROWS)),
    );
  }

  /**
   * Inside a zone the side coverage alone decides, outside it the front's rule: the larger of the
   * two, each held below zero on the other's ground, so the field stays continuous.
   */
  private rimField(x: number, y: number, z: number): number {
    const zone = sideburnDepthOf(this.shape.zones, x, y, z);
    if (zone === -Infinity) return this.frontField(x, y, z);
    const sideCovered = this.shape.sideCoverage[x < this.shape.midX ? 0 : 1].at(z, y);
    return Math.max(Math.min(this.frontField(x, y, z), -zone), Math.min(sideCovered, zone));
  }

  side(v: number): number {
    const { rim, positions } = this;
    while (rim.length <= v) { const k = rim.length; rim.push(this.rimField(positions[3 * k], positions[3 * k + 1], positions[3 * k + 2])); }
    return rim[v];
  }

  /**
   * New points lie in the plane of their cap triangle, so the pieces of neighbouring triangles
   * meet, unless that brings them within half of CAP_GAP of the skin (where the head curves
   * sharply under a long edge): then they are lifted back to CAP_GAP.
   * Scalars, not a 3-array per point: refine makes tens of thousands of them per avatar.
   */
  private pointBetween(a: number, b: number, t: number): number {
    const { positions, capTone, capNormals } = this;
    let x = (1 - t) * positions[3 * a] + t * positions[3 * b], y = (1 - t) * positions[3 * a + 1] + t * positions[3 * b + 1], z = (1 - t) * positions[3 * a + 2] + t * positions[3 * b + 2];
    const hit = this.probe.at(x, y, z);
    if (hit && hit.distance < CAP_GAP / 2) {
      const lift = CAP_GAP - hit.distance;
      x += lift * hit.nx; y += lift * hit.ny; z += lift * hit.nz;
    }
    positions.push(x, y, z);
    capTone.push((1 - t) * capTone[a] + t * capTone[b]);
    for (let k = 0; k < 3; k++) capNormals.push((1 - t) * capNormals[3 * a + k] + t * capNormals[3 * b + k]);
    return positions.length / 3 - 1;
  }

  /**
   * The point on an edge shared by the pieces on either side of it: where the rim crosses it
   * (kind 0) or its midpoint (kind 1), computed once, from the lower-numbered end, so both
   * triangles on the edge get the same point.
   */
  /** Where the rim crosses edge (a, b) (clipPolygon's PolygonClipper). */
  crossing(a: number, b: number): number {
    return this.sharedPoint(0, a, b);
  }

  private sharedPoint(kind: 0 | 1, a: number, b: number): number {
    const points = kind === 0 ? this.cut : this.halves;
    const from = Math.min(a, b), to = Math.max(a, b), key = from * 2 ** 26 + to;
    let index = points.get(key);
    if (index === undefined) {
      index = this.pointBetween(from, to, kind === 0 ? this.side(from) / (this.side(from) - this.side(to)) : 0.5);
      points.set(key, index);
    }
    return index;
  }

  private clipped(a: number, b: number, c: number): void {
    const polygon = clipPolygon([a, b, c], this);
    for (let k = 1; k + 1 < polygon.length; k++) this.indices.push(polygon[0], polygon[k], polygon[k + 1]);
  }

  private inSideburn(v: number): boolean {
    const { positions } = this;
    return sideburnDepthOf(this.shape.zones, positions[3 * v], positions[3 * v + 1], positions[3 * v + 2]) > 0;
  }

  /**
   * rimField changes by at most a metre per metre: a triangle whose corners all lie further inside
   * (or outside) than its longest edge lies wholly inside (outside). Near the rim a triangle is
   * halved along its edges, RIM_LEVELS times at most, and the last pieces are clipped, so the rim
   * follows the strands' outline, not straight chords between the head's vertices.
   * In the sideburns' zones the head's own triangles are clipped, not halved first: halved, they
   * added about 2,000 triangles to short02 on 3ddfa_v2 emma, for no fewer holes seen from the side
   * (bench/hair-holes.ts); the rim there runs along the sideburns' ends, seen from the side only.
   */
  refine(a: number, b: number, c: number, level: number): void {
    const { positions } = this;
    const longest = Math.max(distance3(positions, a, b), distance3(positions, b, c), distance3(positions, c, a));
    const least = Math.min(this.side(a), this.side(b), this.side(c)), most = Math.max(this.side(a), this.side(b), this.side(c));
    if (least >= longest) { this.indices.push(a, b, c); return; }
    if (most <= -longest) return;
    if (level === RIM_LEVELS || this.inSideburn(a) || this.inSideburn(b) || this.inSideburn(c)) { this.clipped(a, b, c); return; }
    const ab = this.sharedPoint(1, a, b), bc = this.sharedPoint(1, b, c), ca = this.sharedPoint(1, c, a);
    this.refine(a, ab, ca, level + 1); this.refine(ab, b, bc, level + 1); this.refine(ca, bc, c, level + 1); this.refine(ab, bc, ca, level + 1);
  }
}

/** The scalp cap: its geometry, the strands' tone over each of its vertices, and every strand tone sampled on the scalp. */
interface ScalpCap {
  positions: Float32Array;
  indices: Uint32Array;
  /** Per cap vertex, the mean tone (tintStrandTexture's multiplier) of the strands lying over it (localStrandTone). */
  strandTone: Float32Array;
  /** Unit shading normals per cap vertex: the head's own, interpolated where the cap is cut. */
  normals: Float32Array;
  /** The tones sampled on the strands lying on the scalp. */
  sampledTones: Float32Array;
}

/**
 * The scalp under the hair: fitted head triangles whose three vertices lie in directions (from the
 * cranium's centre) that hair on the scalp covers, above the brows, cut along the half-way contour
 * of the smoothed coverage (smoothedCoverage), lifted CAP_GAP along the normals. On the front of
 * the face (within `frontAboveBrows` of the brows, ahead of the ears) it is then cut exactly along
 * the strands' opaque coverage (strandCoverageDepth, CAP_UNDER_STRANDS): under a fringe, whose
 * cards have partings and transparent strips just like the crown's, it reaches down behind the
 * solid strands and stops before the notches between their tips, so skin shows below the fringe and between its
 * tips but not through it. Likewise in front of an ear the strands are cut round (sideburnZone),
 * below the brows, it goes under the sideburns' coverage seen from that side. `strandTone` reads
 * the strand texture's tone at (u, v), NaN where the alpha test drops it. Vertices flagged in `ear`
 * (the ears the strands are cut around, ./ears.ts) are never capped.
 */
export function scalpCap(model: HeadModel, fittedVertices: Float32Array, profile: RadialProfile, hair: Strands, strandTone: (u: number, v: number) => number, ear: Uint8Array, frontAboveBrows = FRONT_ABOVE_BROWS): ScalpCap {
  const strands = scalpStrands(profile, hair, strandTone);
  const { covered } = strands;
  let meanTone = 0;
  for (const tone of strands.tones) meanTone += tone / strands.tones.length;
  const binTone = localStrandTone(strands, strands.tones.length ? meanTone : 1);
  let browY = 0, browZ = 0;
  for (let k = 17; k <= 26; k++) { browY += fittedVertices[3 * model.landmarks68[k] + 1] / 10; browZ += fittedVertices[3 * model.landmarks68[k] + 2] / 10; }
  const zones = ([-1, 1] as const).map((sign) => sideburnZone(model, fittedVertices, ear, browY, sign));
  const n = model.vertexCount, capped = new Uint8Array(n), eligible = new Uint8Array(n);
  for (let v = 0; v < n; v++) {
    if (model.weldGroup[v] !== v) continue;
    const x = fittedVertices[3 * v], y = fittedVertices[3 * v + 1], z = fittedVertices[3 * v + 2];
    // The face below the brows (its skin, and anything ahead of the ears' plane, roughly) is never
    // capped, but for the sideburns' zone in front of an ear the strands are cut round (sideburnZone).
    // The front of the face is cut along the strands over it seen from the front, the sideburns'
    // zone along them seen from the side (rimField).
    if (y < browY && (model.skinWeight[v] > 0.5 || z > browZ - FACE_DEPTH) && sideburnDepthOf(zones, x, y, z) <= 0) continue;
    // Nor are the ears the strands are cut around (./ears.ts): lifted onto the helix, the cap drew a
    // hair-coloured rim round the ear's top. Under hair that hides the ear, the cap keeps covering
    // it, so no ear skin shows between the cards.
    if (ear[v]) continue;
    eligible[v] = 1;
    capped[v] = covered[profile.locateBin(x, y, z)];
  }
  const topology = headTopology(model, true), welded = topology.indices;
  const coverage = smoothedCoverage(capped, eligible, topology, CAP_RIM_SMOOTHING);
  const normals = fittedNormals(model, fittedVertices);
  const surface = new CapSurface(fittedVertices, normals, profile, binTone, coverage, skinProbe(model, fittedVertices), n);
  const triangles = surface.triangles(welded);
  const { positions, capTone, capNormals, probe } = surface;
  const indices: number[] = [];
  // On the front of the face: cut along the strands' opaque coverage seen from the front, kept
  // above the floor. In the sideburns' zones: along their coverage seen from that side.
  const ahead = (v: number) => hair.positions[3 * v + 2] > browZ - FACE_DEPTH - ON_SCALP;
  const coverageDepth = strandCoverageDepth(hair, strandTone, (a, b, c) => ahead(a) && ahead(b) && ahead(c), 0);
  const midX = (fittedVertices[3 * model.landmarks68[0]] + fittedVertices[3 * model.landmarks68[16]]) / 2;
  // Rasterized only for a side that has a zone (an ear cut round), from the strand triangles with a
  // corner within SIDEBURN_REACH of it, which the closings there see.
  const sideCoverage = zones.map((zone) => {
    if (!zone.present) return NO_COVERAGE;
    const near = (v: number) => zone.depth(hair.positions[3 * v], hair.positions[3 * v + 1], hair.positions[3 * v + 2]) > -SIDEBURN_REACH;
    return strandCoverageDepth(hair, strandTone, (a, b, c) => near(a) || near(b) || near(c), 2);
  });
  const rim = new CapRim(positions, capTone, capNormals, indices, probe, { browY, browZ, frontAboveBrows, midX, zones, coverageDepth, sideCoverage });
  for (let t = 0; t < triangles.length; t += 3) rim.refine(triangles[t], triangles[t + 1], triangles[t + 2], 0);
  for (let v = 0; v < capNormals.length; v += 3) {
    const length = hypot3(capNormals[v], capNormals[v + 1], capNormals[v + 2]) || 1;
    for (let k = 0; k < 3; k++) capNormals[v + k] /= length;
  }
  // The corners of the triangles cut away (the cap dropped outside the strands) go too.
  const used = usedVertices(indices, positions.length / 3);
  const pick = (values: number[], stride: number) => {
    const out = new Float32Array(used.kept.length * stride);
    used.kept.forEach((v, k) => { for (let c = 0; c < stride; c++) out[stride * k + c] = values[stride * v + c]; });
    return out;
  };
  return { positions: pick(positions, 3), indices: used.indices, strandTone: pick(capTone, 1), normals: pick(capNormals, 3), sampledTones: strands.tones };
}

/** Metres above the neck's lowest vertex that count as its cut ring. */
const NECK_RING = 0.01;

/**
 * Where hair under the head is hidden: below the neck's lowest vertex (the throat's end of the cut,
 * which is lower at the throat than at the nape), between the neck ring's sides. From the front a
 * body's neck hides what hangs behind it down to there, and nothing below it.
 */
export function neckCut(fittedVertices: Float32Array): { bottom: number; left: number; right: number } {
  let bottom = Infinity;
  for (let i = 1; i < fittedVertices.length; i += 3) bottom = Math.min(bottom, fittedVertices[i]);
  let left = Infinity, right = -Infinity;
  for (let i = 0; i < fittedVertices.length; i += 3) {
    if (fittedVertices[i + 1] > bottom + NECK_RING) continue;
    left = Math.min(left, fittedVertices[i]);
    right = Math.max(right, fittedVertices[i]);
  }
  return { bottom, left, right };
}

/**
 * Styles whose hair gathers into a tail hanging behind the neck: their strands are clipped at the
 * neck cut (withoutHairBelowNeck). Other styles drop only the triangles wholly below it
 * (withoutTrianglesBelowNeck): their back layer is one sheet that does not fall apart into pieces,
 * and clipped, long01 lost the light ends that deep3d 000126's platinum lengths show (hair ΔE76
 * against the photo 10.0 -> 10.17, over the issue's 10).
 */
const TAILED_STYLES: ReadonlySet<string> = new Set(['ponytail01', 'Braid01']);

/** The strand triangles without those wholly below the neck cut within the neck's width (neckCut). */
function withoutTrianglesBelowNeck(strands: Strands, fittedVertices: Float32Array): Strands {
  const { bottom, left, right } = neckCut(fittedVertices);
  const { positions, indices } = strands;
  const hidden = (v: number) => positions[3 * v + 1] < bottom && positions[3 * v] > left && positions[3 * v] < right;
  const kept: number[] = [];
  for (let t = 0; t < indices.length; t += 3) {
    if (hidden(indices[t]) && hidden(indices[t + 1]) && hidden(indices[t + 2])) continue;
    kept.push(indices[t], indices[t + 1], indices[t + 2]);
  }
  return { ...strands, indices: Uint32Array.from(kept) };
}

/**
 * The strands without what hangs below the head's neck cut within the neck's width (neckCut):
 * there the neck of a body would hide them, and a head alone shows them under the chin, like a
 * beard (a ponytail's tail, the back layer of long hair, a braid). Hair beside the neck (over the
 * shoulders) stays. Triangles are clipped at the cut's height, not dropped whole: dropping those
 * wholly below it kept the ones straddling it, so a braid's plaits (separate lumps in the asset)
 * hung on below it in ragged pieces with gaps between them, floating under the jaw, and a
 * ponytail's tips poked out under the chin. Pieces left wholly below the cut go too
 * (withoutDetachedBelow).
 */
export function withoutHairBelowNeck(strands: Strands, model: HeadModel, fittedVertices: Float32Array): Strands {
  const { bottom, left, right } = neckCut(fittedVertices);
  const above = new AxisBound(1, 1, bottom), below = new AxisBound(1, -1, bottom);
  const clipped = withoutRegion(strands, [[above], [below, new AxisBound(0, -1, left)], [below, new AxisBound(0, 1, right)]], model, fittedVertices);
  return { ...clipped, indices: withoutDetachedBelow(clipped.positions, clipped.indices, above) };
}

/** Metres above the neck cut over which a clipped tail narrows to its tip (taperedTail). */
const TAIL_TAPER = 0.07;
/** A tail's width at the cut, as a share of its width above the taper. */
const TAIL_TIP_WIDTH = 0.15;
/** Height of the slices (metres) whose centres the tail narrows towards. */
const TAIL_SLICE = 0.005;

/**
 * The clipped tail narrowed to a tip over the TAIL_TAPER above the neck cut: clipped flat, a
 * ponytail ended in a straight edge at the throat's height, like a cut-off brush, in profile. Only
 * hair behind the neck's back (the tail) narrows: each height slice of it moves towards its own
 * centre, by a share that falls smoothly from 1 above the taper to TAIL_TIP_WIDTH at the cut.
 */
export function taperedTail(strands: Strands, fittedVertices: Float32Array): Strands {
  const { bottom } = neckCut(fittedVertices);
  const top = bottom + TAIL_TAPER;
  // The neck's back over the taper's height: hair behind it hangs free of the skin.
  let neckBack = Infinity;
  for (let i = 0; i < fittedVertices.length; i += 3) if (fittedVertices[i + 1] < top) neckBack = Math.min(neckBack, fittedVertices[i + 2]);
  const positions = Float32Array.from(strands.positions);
  const slices = Math.ceil(TAIL_TAPER / TAIL_SLICE) + 1;
  const sums = new Float64Array(slices * 3);
  const sliceOf = (v: number) => {
    const y = positions[3 * v + 1];
    // Below the cut only hair beside the neck is left (withoutHairBelowNeck): it is not the tail,
    // and drawn in with it, it came to hang under the cut within the neck's width (Braid01 on
    // deep3d 000002, once the head's neck reached lower).
    return y >= bottom && y < top && positions[3 * v + 2] < neckBack ? Math.floor((y - bottom) / TAIL_SLICE) : -1;
  };
  for (let v = 0; v < positions.length / 3; v++) {
    const slice = sliceOf(v);
    if (slice < 0) continue;
    sums[3 * slice] += positions[3 * v];
    sums[3 * slice + 1] += positions[3 * v + 2];
    sums[3 * slice + 2]++;
  }
  for (let v = 0; v < positions.length / 3; v++) {
    const slice = sliceOf(v);
    if (slice < 0) continue;
    const t = Math.min(1, Math.max(0, (positions[3 * v + 1] - bottom) / TAIL_TAPER));
    const width = TAIL_TIP_WIDTH + (1 - TAIL_TIP_WIDTH) * t * t * (3 - 2 * t);
    const count = sums[3 * slice + 2];
    positions[3 * v] = sums[3 * slice] / count + width * (positions[3 * v] - sums[3 * slice] / count);
    positions[3 * v + 2] = sums[3 * slice + 1] / count + width * (positions[3 * v + 2] - sums[3 * slice + 1] / count);
  }
  return { ...strands, positions };
}

/** Metres: corners closer than this count as one (the style's seam copies; the fit moves them alike). */
const WELD_CELL = 1e-5;

/**
 * The triangles without the pieces that lie wholly below the neck cut (`above` < 0 at every corner)
 * once the hidden part is cut away: a strand that hung behind the neck and swung out beside it (a
 * braid's tip) would float there, tied to nothing. Pieces beside the neck that reach above the cut
 * (long hair over the shoulders) stay. Pieces are joined through shared corners (welded by position).
 */
function withoutDetachedBelow(positions: Float32Array, indices: Uint32Array, above: Bound): Uint32Array {
  const n = positions.length / 3, key = new Map<string, number>(), parent = new Int32Array(n);
  for (let v = 0; v < n; v++) {
    const cell = `${Math.round(positions[3 * v] / WELD_CELL)},${Math.round(positions[3 * v + 1] / WELD_CELL)},${Math.round(positions[3 * v + 2] / WELD_CELL)}`;
    const first = key.get(cell);
    if (first === undefined) key.set(cell, v);
    parent[v] = first ?? v;
  }
  const root = (v: number): number => { while (parent[v] !== v) { parent[v] = parent[parent[v]]; v = parent[v]; } return v; };
  for (let t = 0; t < indices.length; t += 3) {
    const a = root(indices[t]);
    for (let k = 1; k < 3; k++) { const b = root(indices[t + k]); if (b !== a) parent[b] = a; }
  }
  // A piece is anchored by any corner on or above the cut (the clip's new corners lie on it).
  const anchored = new Uint8Array(n);
  for (const v of indices) if (above.at(positions[3 * v], positions[3 * v + 1], positions[3 * v + 2]) > -WELD_CELL) anchored[root(v)] = 1;
  const kept: number[] = [];
  for (let t = 0; t < indices.length; t += 3) if (anchored[root(indices[t])]) kept.push(indices[t], indices[t + 1], indices[t + 2]);
  return Uint32Array.from(kept);
}

/** Metres above the brows' arch (fringeCut) where a fringe in front of the eyes is cut. */
const FRINGE_ABOVE_BROWS = 0.003;
/** Metres beside the outer eye corners that the fringe cut still spans. */
const FRINGE_SPAN_MARGIN = 0.008;
/** Metres behind the outer eye corners from which hair counts as in front of the face. */
const FRINGE_DEPTH = 0.01;

/** Strand geometry: fitted positions, texture coordinates and distance to the skin per vertex, and triangles. */
export interface Strands {
  positions: Float32Array;
  uvs: Float32Array;
  skinDistance: Float32Array;
  indices: Uint32Array;
}

/**
 * A region's boundary as a signed field of the point: >= 0 on its side. Objects, not closures made
 * per mesh: V8 inlined those into withoutRegion by identity and compiled it again for every avatar
 * (--trace-opt over 6 warm avatars: 6 compiles, 168 ms of compiling), running it unoptimized meanwhile.
 */
interface Bound {
  at(x: number, y: number, z: number): number;
}

/** Along one axis (0 x, 1 y, 2 z): the coordinate less `offset` (sign 1), or `offset` less it (sign -1). */
class AxisBound implements Bound {
  constructor(private readonly axis: 0 | 1 | 2, private readonly sign: 1 | -1, private readonly offset: number) {}

  at(x: number, y: number, z: number): number {
    const value = this.axis === 0 ? x : this.axis === 1 ? y : z;
    return this.sign > 0 ? value - this.offset : this.offset - value;
  }
}

/** Above the fringe's cut (sign 1: y less the cut's height at x), or below it (sign -1). */
class FringeCutBound implements Bound {
  constructor(private readonly arch: FringeArch, private readonly sign: 1 | -1) {}

  at(x: number, y: number, _z: number): number {
    return this.sign > 0 ? y - this.arch.cut(x) : this.arch.cut(x) - y;
  }
}

/** The least-squares parabola y = a + b x + c x² through points (xs, ys): its coefficients [a, b, c]. */
function parabolaThrough(xs: readonly number[], ys: readonly number[]): [number, number, number] {
  // Normal equations, centred on the mean x for conditioning; solved by Cramer's rule.
  const mean = xs.reduce((sum, x) => sum + x, 0) / xs.length;
  const s = [0, 0, 0, 0, 0], t = [0, 0, 0];
  xs.forEach((x0, k) => {
    const x = x0 - mean;
    for (let p = 0; p < 5; p++) s[p] += x ** p;
    for (let p = 0; p < 3; p++) t[p] += ys[k] * x ** p;
  });
  const det3 = (m: number[][]) => m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  const m = [[s[0], s[1], s[2]], [s[1], s[2], s[3]], [s[2], s[3], s[4]]];
  const det = det3(m);
  const solve = (col: number) => det3(m.map((row, i) => row.map((value, j) => (j === col ? t[i] : value)))) / det;
  const [a, b, c] = [solve(0), solve(1), solve(2)];
  // Back from the centred x.
  return [a - b * mean + c * mean * mean, b - 2 * c * mean, c];
}

/**
 * The height (model y) at x where a fringe in front of the eyes is cut: the brows' arch (the
 * least-squares parabola through iBUG-68 17-26, held flat beyond the brows' ends) raised until
 * every brow point lies FRINGE_ABOVE_BROWS under it. The cut used to be one straight line at the
 * brows' highest point: the fringe then ended in a ruler-straight edge, its corners square against
 * the hair hanging beside the face, and the brows' lower outer ends left a band of bare forehead.
 */
export function fringeCut(model: HeadModel, fittedVertices: Float32Array): (x: number) => number {
  const arch = fringeArch(model, fittedVertices);
  return (x) => arch.cut(x);
}

function fringeArch(model: HeadModel, fittedVertices: Float32Array): FringeArch {
  const xs: number[] = [], ys: number[] = [];
  for (let k = 17; k <= 26; k++) { xs.push(fittedVertices[3 * model.landmarks68[k]]); ys.push(fittedVertices[3 * model.landmarks68[k] + 1]); }
  const [a, b, c] = parabolaThrough(xs, ys);
  const arch = new FringeArch(a, b, c, Math.min(...xs), Math.max(...xs));
  arch.lift = Math.max(...xs.map((x, k) => ys[k] - arch.arch(x)));
  return arch;
}

/** fringeCut's arch (the parabola, held flat beyond [lo, hi]) and its cut, `lift` above it (a class: see Bound). */
class FringeArch {
  lift = 0;

  constructor(private readonly a: number, private readonly b: number, private readonly c: number, private readonly lo: number, private readonly hi: number) {}

  arch(x0: number): number {
    const x = Math.min(this.hi, Math.max(this.lo, x0));
    return this.a + this.b * x + this.c * x * x;
  }

  cut(x: number): number {
    return this.arch(x) + this.lift + FRINGE_ABOVE_BROWS;
  }
}

/**
 * The box in front of the eyes where no strand may hang: below the fringe's cut (fringeCut),
 * between the outer eye corners, ahead of the face's sides. As the four disjoint pieces of the
 * space outside it (each an intersection of bounds): above the cut; beside it on either side;
 * behind it.
 */
function outsideFringeBox(model: HeadModel, fittedVertices: Float32Array): Bound[][] {
  const point = (k: number, axis: number) => fittedVertices[3 * model.landmarks68[k] + axis];
  // iBUG-68 36 and 45: the outer eye corners.
  const left = Math.min(point(36, 0), point(45, 0)) - FRINGE_SPAN_MARGIN, right = Math.max(point(36, 0), point(45, 0)) + FRINGE_SPAN_MARGIN;
  const front = Math.min(point(36, 2), point(45, 2)) - FRINGE_DEPTH, arch = fringeArch(model, fittedVertices);
  const above = new FringeCutBound(arch, 1), below = new FringeCutBound(arch, -1);
  const leftOf = new AxisBound(0, -1, left), rightOf = new AxisBound(0, 1, right);
  return [
    [above],
    [below, leftOf],
    [below, rightOf],
    [below, new AxisBound(0, 1, left), new AxisBound(0, -1, right), new AxisBound(2, -1, front)],
  ];
}

/**
 * The strands with what hangs in front of the eyes cut away (outsideFringeBox), triangles cut
 * along the box so the fringe ends along the brows' arch (fringeCut). MakeHuman's bobs
 * sweep a fringe over one eye, down to the cheek; an avatar made from a photo that shows both eyes
 * must show them too (its eyes and lids are that photo's). Hair beside the face keeps its length.
 */
export function withoutFringeOverEyes(strands: Strands, model: HeadModel, fittedVertices: Float32Array): Strands {
  return withoutRegion(strands, outsideFringeBox(model, fittedVertices), model, fittedVertices);
}

/**
 * The strands clipped to the space outside a region, given as disjoint pieces (`pieces`, each an
 * intersection of bounds): triangles that straddle a bound are cut along it (Sutherland-Hodgman),
 * and the new corners are pushed out of the skin.
 */
function withoutRegion(strands: Strands, pieces: Bound[][], model: HeadModel, fittedVertices: Float32Array): Strands {
  const cut = new RegionCut(strands);
  const kept: number[] = [];
  // Per strand vertex, a bit per piece it lies in: a triangle whose corners share a piece lies
  // wholly in it (most do), found without evaluating every bound at each corner of every triangle.
  const first = strands.positions.length / 3;
  const inPieces = new Uint8Array(first);
  for (let v = 0; v < first; v++) for (let p = 0; p < pieces.length; p++) if (cut.inside(pieces[p], v)) inPieces[v] |= 1 << p;
  const { indices } = strands;
  for (let t = 0; t < indices.length; t += 3) {
    if (inPieces[indices[t]] & inPieces[indices[t + 1]] & inPieces[indices[t + 2]]) { kept.push(indices[t], indices[t + 1], indices[t + 2]); continue; }
    const corners = [indices[t], indices[t + 1], indices[t + 2]];
    for (const piece of pieces) {
      // Sutherland-Hodgman: the triangle clipped to each bound of the piece in turn.
      let polygon = corners;
      for (const bound of piece) {
        cut.bound = bound;
        polygon = clipPolygon(polygon, cut);
        if (polygon.length < 3) break;
      }
      for (let k = 1; k + 1 < polygon.length; k++) kept.push(polygon[0], polygon[k], polygon[k + 1]);
    }
  }
  const out = { positions: cut.positions.toFloat32(), uvs: cut.uvs.toFloat32(), skinDistance: cut.skinDistance.toFloat32(), indices: Uint32Array.from(kept) };
  // A cut's new corners lie on the chords between fitted corners, which may pass under the curved
  // skin. Most styles hang nothing over the eyes or below the neck and need no probe of the skin built.
  if (out.positions.length / 3 > first) pushOutOfSkin(out.positions, out.skinDistance, skinProbe(model, fittedVertices), first);
  return out;
}

/**
 * withoutRegion's strands as they grow, clipped to one bound at a time (`bound`, clipPolygon's
 * PolygonClipper): methods, not closures made per mesh (see Bound).
 */
class RegionCut implements PolygonClipper {
  readonly positions: GrowingFloats;
  readonly uvs: GrowingFloats;
  readonly skinDistance: GrowingFloats;
  bound: Bound | null = null;

  constructor(strands: Strands) {
    this.positions = new GrowingFloats(strands.positions);
    this.uvs = new GrowingFloats(strands.uvs);
    this.skinDistance = new GrowingFloats(strands.skinDistance);
  }

  sideOf(bound: Bound, v: number): number {
    const { positions } = this;
    return bound.at(positions.get(3 * v), positions.get(3 * v + 1), positions.get(3 * v + 2));
  }

  /** Whether vertex v lies in `piece` (on the kept side of each of its bounds). */
  inside(piece: readonly Bound[], v: number): boolean {
    for (const bound of piece) if (!(this.sideOf(bound, v) >= 0)) return false;
    return true;
  }

  side(v: number): number {
    return this.sideOf(this.bound!, v);
  }

  /** The point where edge a-b crosses `bound` (linear along the edge: the fringe's arch is flat over a card's triangle), as a new vertex. */
  crossing(a: number, b: number): number {
    const { positions, uvs, skinDistance } = this, bound = this.bound!;
    const t = this.sideOf(bound, a) / (this.sideOf(bound, a) - this.sideOf(bound, b));
    for (let k = 0; k < 3; k++) positions.push(positions.get(3 * a + k) + t * (positions.get(3 * b + k) - positions.get(3 * a + k)));
    for (let k = 0; k < 2; k++) uvs.push(uvs.get(2 * a + k) + t * (uvs.get(2 * b + k) - uvs.get(2 * a + k)));
    skinDistance.push(skinDistance.get(a) + t * (skinDistance.get(b) - skinDistance.get(a)));
    return skinDistance.length - 1;
  }
}

/**
 * Share of the strands' sampled tones on the scalp that the cap may be no darker than (relative to
 * their mean). MakeHuman's cards leave gaps a centimetre or more wide: at the lower quartile, a dark
 * strand's tone, the cap filled them with dark patches (long01's crown); at the 40th percentile
 * it renders as the strands around it do (bench/hair-crown.ts).
 */
const CAP_FLOOR_QUANTILE = 0.4;

/** The `q` quantile of `values`: the value at that share of them in ascending order. */
function quantile(values: Float32Array, q: number): number {
  if (!values.length) return 0;
  return kthSmallest(values, Math.min(values.length - 1, Math.floor(q * values.length)));
}

/**
 * The cap's shade against the strands over it, per channel: a quarter of the way (geometrically)
 * from the base to the root tone, as deeper, shadowed hair shows between strands, but never darker
 * than most of the strands (CAP_FLOOR_QUANTILE of the tones sampled on the scalp over
 * their mean). MakeHuman's cards leave gaps wider than real hair does (long01's crown): darker
 * than most of the strands, they read as holes or blotches.
 */
export function capShade(tone: HairTone, sampledTones: Float32Array): [number, number, number] {
  let mean = 0;
  for (const t of sampledTones) mean += t / sampledTones.length;
  const floor = mean > 0 ? Math.min(1, quantile(sampledTones, CAP_FLOOR_QUANTILE) / mean) : 0;
  return [0, 1, 2].map((c) => Math.max(floor, tone.base[c] > 1e-4 ? Math.min(1, tone.root[c] / tone.base[c]) ** 0.25 : 1)) as [number, number, number];
}

/**
 * Weight of a strand card's own normal against the direction out from the cranium's centre in its
 * shading normal. A card stands for a layer of fibres, not a sheet: shaded with its own normal, a
 * card seen edge-on (afro01's inner box, the sides of every style) has N.V near 0, where the
 * specular terms blow up into white streaks and Fresnel turns the card into a glassy mirror of
 * the environment. Leaning the normals out over the hair's volume, as hair cards are
 * usually shaded, keeps every card lit like the hair around it; the card's own normal keeps some
 * variation between layers.
 */
const CARD_NORMAL_WEIGHT = 0.35;

/**
 * The hair volume's outward direction at (x, y, z), unnormalized: away from the cranium's centre
 * above it, and away from the vertical axis through the centre below it, where long hair hangs.
 */
function outwardAt(centre: readonly number[], x: number, y: number, z: number): [number, number, number] {
  return [x - centre[0], Math.max(0, y - centre[1]), z - centre[2]];
}

/**
 * The strands wound so that each triangle's front faces out from the cranium's centre: MakeHuman's
 * cards face either way, and a two-sided material (Babylon's twoSidedLighting, glTF's doubleSided)
 * flips the normal of whatever it sees from behind, which with normals leaning outward
 * (hairNormals) must be the inner side. The corners' order is all that changes.
 */
export function windOutward(positions: Float32Array, indices: Uint32Array, centre: readonly number[]): Uint32Array {
  const wound = indices.slice();
  const P = positions;
  for (let t = 0; t < wound.length; t += 3) {
    const a = 3 * wound[t], b = 3 * wound[t + 1], c = 3 * wound[t + 2];
    const e1x = P[b] - P[a], e1y = P[b + 1] - P[a + 1], e1z = P[b + 2] - P[a + 2];
    const e2x = P[c] - P[a], e2y = P[c + 1] - P[a + 1], e2z = P[c + 2] - P[a + 2];
    const [ox, oy, oz] = outwardAt(centre, (P[a] + P[b] + P[c]) / 3, (P[a + 1] + P[b + 1] + P[c + 1]) / 3, (P[a + 2] + P[b + 2] + P[c + 2]) / 3);
    const facing = (e1y * e2z - e1z * e2y) * ox + (e1z * e2x - e1x * e2z) * oy + (e1x * e2y - e1y * e2x) * oz;
    if (facing < 0) { wound[t + 1] = indices[t + 2]; wound[t + 2] = indices[t + 1]; }
  }
  return wound;
}

/**
 * Shading normals of outward-wound strands (windOutward): per vertex, its smooth card normal
 * (weight CARD_NORMAL_WEIGHT) plus the unit outward direction of the hair's volume (outwardAt), normalized.
 */
export function hairNormals(positions: Float32Array, indices: Uint32Array, centre: readonly number[]): Float32Array {
  const normals = computeVertexNormals(positions, indices);
  for (let v = 0; v < positions.length / 3; v++) {
    const [ox, oy, oz] = outwardAt(centre, positions[3 * v], positions[3 * v + 1], positions[3 * v + 2]);
    const out = (1 - CARD_NORMAL_WEIGHT) / (hypot3(ox, oy, oz) || 1);
    const x = CARD_NORMAL_WEIGHT * normals[3 * v] + out * ox, y = CARD_NORMAL_WEIGHT * normals[3 * v + 1] + out * oy, z = CARD_NORMAL_WEIGHT * normals[3 * v + 2] + out * oz;
    const norm = hypot3(x, y, z) || 1;
    normals[3 * v] = x / norm; normals[3 * v + 1] = y / norm; normals[3 * v + 2] = z / norm;
  }
  return normals;
}

/** Share of the cap's vertices whose strand tone the cap's texel may lie below (a few lighter outliers are clamped, not matched). */
const CAP_TEXEL_QUANTILE = 0.95;

export function buildHairMesh(style: HairStyleMesh, model: HeadModel, fittedVertices: Float32Array, colour: HairTone, fit: HairShapeFit = {}): HairMesh {
  const tone = styleTone(style, colour);
  const fitted = fitHair(style.positions, style.indices, model, fittedVertices, fit);
  const hairlineTurn = fit.hairlineTurn ?? 0;
  const strandTone = strandToneReader(style);
  const ear = earVertices(model, fittedVertices);
  const fittedStrands = { positions: fitted.positions, uvs: style.uvs, skinDistance: fitted.skinDistance, indices: style.indices };
  const underNeckCut = TAILED_STYLES.has(style.name) ? taperedTail(withoutHairBelowNeck(fittedStrands, model, fittedVertices), fittedVertices) : withoutTrianglesBelowNeck(fittedStrands, fittedVertices);
  const { strands, uncoveredEars } = aroundUncoveredEars(withoutFringeOverEyes(underNeckCut, model, fittedVertices), model, fittedVertices, ear, strandTone);
  // A hairline turned up the skull takes the front of the face, where the cap goes only under solid strands, up with it (by the turn's arc at most).
  const cap = scalpCap(model, fittedVertices, fitted.profile, strands, strandTone, uncoveredEars, FRONT_ABOVE_BROWS + Math.max(0, hairlineTurn) * HAIRLINE_ARM);
  const capCount = cap.positions.length / 3, strandCount = strands.positions.length / 3, n = capCount + strandCount;
  const positions = new Float32Array(n * 3);
  positions.set(cap.positions);
  positions.set(strands.positions, capCount * 3);
  const strandIndices = windOutward(strands.positions, strands.indices, fitted.profile.centre);
  const indices = new Uint32Array(cap.indices.length + strandIndices.length);
  indices.set(cap.indices);
  for (let k = 0; k < strandIndices.length; k++) indices[cap.indices.length + k] = strandIndices[k] + capCount;
  const normals = new Float32Array(n * 3);
  normals.set(cap.normals);
  normals.set(hairNormals(strands.positions, strandIndices, fitted.profile.centre), capCount * 3);
  const uvs = new Float32Array(n * 2);
  // The cap samples one opaque texel about as light as the lightest strands over it, and its vertex
  // colours bring it to the tone of the strands over each vertex (texture x tint x vertex colour is
  // what the strands render as too), shaded towards the root tone (capShade).
  const texel = opaqueTexel(style, quantile(cap.strandTone, CAP_TEXEL_QUANTILE));
  for (let i = 0; i < capCount; i++) { uvs[2 * i] = texel.uv[0]; uvs[2 * i + 1] = texel.uv[1]; }
  uvs.set(strands.uvs, capCount * 2);
  const vertexColours = new Float32Array(n * 3).fill(1);
  const shade = capShade(tone, cap.sampledTones);
  for (let i = 0; i < capCount; i++) {
    for (let c = 0; c < 3; c++) vertexColours[3 * i + c] = Math.min(1, (shade[c] * cap.strandTone[i]) / Math.max(1e-3, texel.tone));
  }
  const pivot = new Float32Array(3);
  for (let i = 0; i < strandCount; i++) for (let a = 0; a < 3; a++) pivot[a] += strands.positions[3 * i + a] / strandCount;
  return {
    part: { name: 'hair', positions, indices, uvs, pivot, material: 'hair' },
    capTriangles: cap.indices.length / 3,
    normals,
    vertexColours,
    texture: tintStrandTexture(style, tone.base),
    penetrationMm: fitted.penetrationMm,
  };
}

/** The colour a style is tinted with: `colour` times the style's tintGain (asset-format.ts), so it looks as light on every style. */
export function styleTone(style: Pick<HairStyleMesh, 'tintGain'>, colour: HairTone): HairTone {
  const gain = style.tintGain ?? 1;
  if (gain === 1) return colour;
  const scaled = (rgb: readonly number[]) => rgb.map((v) => Math.min(1, v * gain)) as [number, number, number];
  return { base: scaled(colour.base), root: scaled(colour.root) };
}

/**
 * The strands trimmed around each ear that they do not cover (earCover under EAR_COVERED): a style
 * either hides the ear (bobs, long hair) or is cut around it, so no ear pokes through its cards.
 * `uncoveredEars`: the vertices of the ears cut around, which the scalp cap must not cover either.
 */
function aroundUncoveredEars(strands: Strands, model: HeadModel, fittedVertices: Float32Array, ear: Uint8Array, strandTone: (u: number, v: number) => number): { strands: Strands; uncoveredEars: Uint8Array } {
  const cover = earCover(model, fittedVertices, ear, strands, opaqueStrandAt(strands.indices, strands.uvs, strandTone));
  const cut = cover.map((share) => share < EAR_COVERED) as [boolean, boolean];
  return { strands: cut[0] || cut[1] ? withoutHairOverEars(strands, model, fittedVertices, ear, cut) : strands, uncoveredEars: earsOnSides(model, fittedVertices, ear, cut) };
}

/**
 * The rasterizer's alpha test on strand triangles: whether the strand texture is opaque
 * (`strandTone` not NaN) at the fragment's barycentric (b1, b2) in triangle t. The uv is
 * interpolated in scalars: the rasterizer calls this for every fragment of every strand layer.
 */
export function opaqueStrandAt(indices: Uint32Array, uvs: Float32Array, strandTone: (u: number, v: number) => number): (t: number, b1: number, b2: number) => boolean {
  return (t, b1, b2) => {
    const a = 2 * indices[3 * t], b = 2 * indices[3 * t + 1], c = 2 * indices[3 * t + 2], b0 = 1 - b1 - b2;
    return !Number.isNaN(strandTone(b0 * uvs[a] + b1 * uvs[b] + b2 * uvs[c], b0 * uvs[a + 1] + b1 * uvs[b + 1] + b2 * uvs[c + 1]));
  };
}

/**
 * The strand texture's tone (strandToneOf) at (u, v up), nearest texel; NaN where the alpha test
 * drops it, on the alpha sampled bilinearly as the renderers do (./render/texel-sampling.ts): the
 * cap's rim and the ears' cover then follow the strands' drawn edge, not the texels' staircase,
 * which on long01's stretched hairline texels is 3-5 mm off it.
 */
export function strandToneReader(style: HairStyleMesh): (u: number, v: number) => number {
  return strandToneReaders.get(style, 0, () => makeStrandToneReader(style));
}

/** strandToneReader per style: the style's alone, and the style match and every hair mesh ask for it. */
const strandToneReaders = new PerModelCache<HairStyleMesh, (u: number, v: number) => number>();

function makeStrandToneReader(style: HairStyleMesh): (u: number, v: number) => number {
  const size = style.textureSize, texture = style.texture, toneOf = strandToneOf(style);
  const toneOfGrey = Float32Array.from({ length: 256 }, (_, grey) => toneOf(grey));
  // Most reads fall where the four alphas blended lie on one side of the test: decided from the
  // cell alone, without the blend (the same answers). The hair mesh reads at every scalp sample,
  // cap raster fragment and ear-cover fragment: 200,000 reads on short01's cards 6.2 -> 4.5 ms (min of 20).
  const cells = bilinearThresholdCells(texture, size, size, 2, 1);
  return (u, v) => {
    const cell = cells[bilinearCellAt(size, size, u, v)];
    if (cell === ALL_BELOW || (cell !== ALL_ABOVE && bilinearChannel(texture, size, size, 2, 1, u, v) < 127.5)) return NaN;
    const x = Math.min(size - 1, Math.max(0, Math.floor(u * size))), y = Math.min(size - 1, Math.max(0, Math.floor((1 - v) * size)));
    return toneOfGrey[texture[2 * (y * size + x)]];
  };
}

/**
 * Per-vertex tangents along the strand texture's u (xyz, and handedness w as glTF's TANGENT), for
 * anisotropic highlights that run smoothly along the strands: without them Babylon derives a
 * tangent per triangle from screen-space derivatives and the highlight breaks into facets. The cap
 * samples one texel (no u direction): its tangents are any direction across its normal.
 */
export function strandTangents(positions: Float32Array, indices: Uint32Array, uvs: Float32Array, normals: Float32Array): Float32Array {
  const n = positions.length / 3;
  const tangent = new Float32Array(n * 3), bitangent = new Float32Array(n * 3);
  for (let t = 0; t < indices.length; t += 3) {
    const a = indices[t], b = indices[t + 1], c = indices[t + 2];
    const du1 = uvs[2 * b] - uvs[2 * a], dv1 = uvs[2 * b + 1] - uvs[2 * a + 1];
    const du2 = uvs[2 * c] - uvs[2 * a], dv2 = uvs[2 * c + 1] - uvs[2 * a + 1];
    const det = du1 * dv2 - du2 * dv1;
    if (Math.abs(det) < 1e-12) continue;
    for (let k = 0; k < 3; k++) {
      const e1 = positions[3 * b + k] - positions[3 * a + k], e2 = positions[3 * c + k] - positions[3 * a + k];
      const tk = (e1 * dv2 - e2 * dv1) / det, bk = (e2 * du1 - e1 * du2) / det;
      for (const v of [a, b, c]) { tangent[3 * v + k] += tk; bitangent[3 * v + k] += bk; }
    }
  }
  const out = new Float32Array(n * 4);
  for (let v = 0; v < n; v++) {
    const nx = normals[3 * v], ny = normals[3 * v + 1], nz = normals[3 * v + 2];
    let tx = tangent[3 * v], ty = tangent[3 * v + 1], tz = tangent[3 * v + 2];
    const along = tx * nx + ty * ny + tz * nz;
    tx -= along * nx; ty -= along * ny; tz -= along * nz;
    let length = hypot3(tx, ty, tz);
    if (length < 1e-9) {
      // Across the normal: the axis it is least along, made perpendicular.
      const ax = Math.abs(nx) < 0.9 ? 1 : 0, ay = 1 - ax;
      tx = ay * nz; ty = -ax * nz; tz = ax * ny - ay * nx;
      length = hypot3(tx, ty, tz) || 1;
    }
    tx /= length; ty /= length; tz /= length;
    // Handedness: whether normal x tangent points along the accumulated bitangent.
    const cx = ny * tz - nz * ty, cy = nz * tx - nx * tz, cz = nx * ty - ny * tx;
    const w = cx * bitangent[3 * v] + cy * bitangent[3 * v + 1] + cz * bitangent[3 * v + 2] < 0 ? -1 : 1;
    out.set([tx, ty, tz, w], 4 * v);
  }
  return out;
}

export type { HairStyle };
