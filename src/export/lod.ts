/**
 * Levels of detail as index lists over the same vertices (meshoptimizer's simplifier, MIT): the
 * vertex data, skin and morph targets stay shared, so every level deforms like the full mesh and a
 * level costs only its indices. Attribute seams are kept: the simplifier only collapses an edge
 * whose ends agree in every vertex it is split into.
 */
import { MeshoptSimplifier } from 'meshoptimizer/simplifier';
import { restPositionsOf, type HeadModel } from '../modelpack/head-model.js';

/** The triangle fractions of the lower levels (the full mesh is level 0). */
export const DEFAULT_LOD_RATIOS = [0.5, 0.25] as const;

/**
 * Screen coverage thresholds for `levels` levels: level i is shown while the mesh's bounding
 * sphere covers at least this fraction of the viewport area (the measure of Babylon's
 * useLODScreenCoverage), the last one 0 (never culled). With three levels: full above 10 %, half
 * above 2 %, quarter below. Written as MSFT_lod's MSFT_screencoverage hints, and given to
 * Babylon's addLODLevel on the live avatar (../plugin/avatar-lods.ts).
 */
export function lodScreenCoverage(levels: number): number[] {
  return Array.from({ length: levels }, (_, level) => (level === levels - 1 ? 0 : Number((0.1 * 0.2 ** level).toPrecision(6))));
}

/** Resolves once the simplifier's WASM is compiled. */
export const lodSimplifierReady: Promise<void> = MeshoptSimplifier.ready;

/**
 * One index list per ratio, each with about `ratio` of the triangles. No error limit: the level
 * is chosen by its triangle budget (the screen-coverage hints decide where it is seen).
 */
export function simplifiedLevels(indices: Uint32Array, positions: Float32Array, ratios: readonly number[]): Uint32Array[] {
  return ratios.map((ratio) => {
    const target = Math.max(3, Math.floor((indices.length / 3) * ratio) * 3);
    // Open borders stay as they are (the neck cut, the lid and lip openings): the eyes still fit
    // their lids, the neck still meets a body, and on the default head this costs almost no error.
    const [simplified] = MeshoptSimplifier.simplify(indices, positions, 3, target, 1, ['LockBorder']);
    return simplified;
  });
}

/**
 * Metres the hair's scalp cap may move when simplified: under the 0.9 mm it lies off the skin
 * (../hair/hair-mesh.ts CAP_GAP), so the skin never shows through it. At the relative error the
 * strands take, the cap of deep3d 000002's ponytail01 cut under the curved scalp between its
 * remaining corners and the skin showed through the crown in patches.
 */
const CAP_ERROR = 0.0004;
/** Metres the hair's strand cards may move when simplified: their shape, not the scalp's cover (the cap keeps that). */
const STRAND_ERROR = 0.005;

/**
 * Levels of an avatar's hair mesh, whose first `capTriangles` triangles are its scalp cap
 * (HairMesh.capTriangles): the cap simplified first, as far as CAP_ERROR lets it, then the strand
 * cards to what is left of the level's triangle budget, as far as STRAND_ERROR lets them (so a
 * level may keep more than `ratio` of the triangles); cap first in each level, as in the full mesh.
 * Borders are free to move: every card is open all round, and with them locked (simplifiedLevels)
 * the quarter level stopped at 33-50 % of the triangles and the half level opened holes in
 * ponytail01's crown.
 */
export function hairLevels(indices: Uint32Array, positions: Float32Array, capTriangles: number, ratios: readonly number[]): HairLevel[] {
  const cap = indices.subarray(0, 3 * capTriangles), strands = indices.subarray(3 * capTriangles);
  return ratios.map((ratio): HairLevel => {
    const budget = Math.floor((indices.length / 3) * ratio);
    const [capLevel] = MeshoptSimplifier.simplify(cap, positions, 3, Math.floor(capTriangles * ratio / 2) * 3, CAP_ERROR, ['ErrorAbsolute']);
    const strandTarget = Math.min(strands.length, Math.max(1, budget - capLevel.length / 3) * 3);
    const [strandLevel] = MeshoptSimplifier.simplify(strands, positions, 3, strandTarget, STRAND_ERROR, ['ErrorAbsolute']);
    const level = new Uint32Array(capLevel.length + strandLevel.length);
    level.set(capLevel);
    level.set(strandLevel, capLevel.length);
    return { indices: level, capTriangles: capLevel.length / 3 };
  });
}

/** A level of the hair: its triangles, the scalp cap's first. */
export interface HairLevel {
  indices: Uint32Array;
  capTriangles: number;
}

/**
 * modelLevels' levels per triangle array of a model, with the rest positions and ratios they were
 * made from. Read-only. Keyed by the triangles alone, they must also match the positions: a model
 * with a given shape (../modelpack/given-shape.ts) shares its pack's triangles, not its rest shape.
 */
const restShapeLevels = new WeakMap<Uint32Array, { rest: Float32Array; ratios: string; levels: Uint32Array[] }>();

/**
 * simplifiedLevels of a mesh, made once per model where its triangles are the model's own (the head,
 * and the eyes, teeth, tongue, lashes and brows): simplified on the model's rest shape and shared by
 * every avatar made with it, as its vertex numbering is. A fitted shape moves the mean head smoothly,
 * and its vertices lie as close to these levels as to levels simplified on it (test/export/lod.test.ts;
 * on the sample photo's, einstein's and hrn 00034's fitted heads, mean 0.12-0.13 mm at 50 % and
 * 0.31-0.33 mm at 25 % either way). The head's levels took 20 ms per warm avatar, plus their index
 * encoding (meshopt-compression.ts encodes shared arrays once). Other triangles (an avatar's hair)
 * are simplified on `positions`.
 */
export function modelLevels(model: HeadModel, indices: Uint32Array, positions: Float32Array, ratios: readonly number[]): Uint32Array[] {
  const rest = restPositionsOf(model, indices);
  if (!rest) return simplifiedLevels(indices, positions, ratios);
  const key = ratios.join();
  const cached = restShapeLevels.get(indices);
  if (cached?.rest === rest && cached.ratios === key) return cached.levels;
  const levels = simplifiedLevels(indices, rest, ratios);
  restShapeLevels.set(indices, { rest, ratios: key, levels });
  return levels;
}
