/**
 * Retargeting ARKit's 52 blendshape weights onto any pack's expression modes: a 52 x E matrix M
 * so that the pack's coefficients are c = w * M for ARKit weights w (row a = what ARKit shape a
 * becomes in the pack).
 *
 * How M is found, by what the pack offers:
 *   'names'     the pack's expressions are ARKit-named (ARKit raw `_L/_R` names or Apple's
 *               `Left/Right` spelling): identity by name; an unsided ARKit shape that the pack
 *               splits (ICT's cheekPuff_L/_R, browInnerUp_L/_R) drives both halves.
 *   'vertices'  PCA modes (exp00..) and an ARKit-named source pack of the same topology: per ARKit
 *               shape, the least-squares coefficients that reproduce its vertex deltas.
 *   'landmarks' PCA modes and an ARKit-named source of another topology: the coefficients that
 *               make the pack's 68 landmark vertices move like the source's 68 landmark vertices,
 *               the source's motion scaled by the ratio of outer-eye-corner distances. Only what
 *               shows at the 68 points is transferred: eye-look shapes (lids barely move the 68
 *               points), cheekPuff, tongueOut and mouthRoll* come out weak or zero.
 *   'none'      PCA modes and no ARKit source: no ARKit geometry to solve against, so M is zero
 *               and ARKit weights leave the face neutral.
 * Both solves are ridge-regularised (weighted by the inverse prior variance expressionStd^-2, relative
 * to the mean diagonal: 1e-7 for vertices, 1e-3 for the 68 points), so modes the data does not
 * determine stay near 0.
 */
import { PhotoAvatarError } from '../errors.js';
import type { HeadModel } from './head-model.js';
import { ARKIT_BLENDSHAPES } from './arkit-blendshapes.js';

export type RetargetMethod = 'names' | 'vertices' | 'landmarks' | 'none';

export interface RetargetMap {
  /** The 52 ARKit names (raw `_L/_R` spelling), the rows of `matrix`. */
  names: string[];
  /** The pack's expression names, the columns of `matrix`. */
  expressionNames: string[];
  /** names.length x expressionNames.length, row-major. */
  matrix: Float32Array;
  method: RetargetMethod;
}

/** ARKit's 52 names in ARFaceAnchor raw spelling (`eyeBlink_L`: the subject's left). */
export const ARKIT_NAMES: readonly string[] = ARKIT_BLENDSHAPES;

/** Ridge weights relative to the mean diagonal of B^T B: the vertex solve is heavily overdetermined, the 68-point one is not. */
const RIDGE_VERTICES = 1e-7;
const RIDGE_LANDMARKS = 1e-3;
const UNSIDED_DIRECTIONS = new Set(['jawleft', 'jawright', 'mouthleft', 'mouthright']);
/** Outer eye corners in iBUG-68. */
const EYE_OUTER_RIGHT = 36;
const EYE_OUTER_LEFT = 45;

/** One spelling for ARKit names: `eyeBlinkLeft` / `EyeBlink_L` / `eyeBlink_L` -> `eyeblink_l`. */
export function canonicalArkitName(name: string): string {
  const trimmed = name.trim().replace(/^blendShape\d*\./, '');
  // jawLeft/jawRight/mouthLeft/mouthRight are sideways motions, not sided shapes.
  if (UNSIDED_DIRECTIONS.has(trimmed.toLowerCase())) return trimmed.toLowerCase();
  const sided = trimmed.replace(/(Left|_left|\.L|_L)$/, '_L').replace(/(Right|_right|\.R|_R)$/, '_R');
  return sided.toLowerCase();
}

/** Pack expression columns (with weights) that an ARKit name drives by name, or [] when none. */
function columnsByName(arkit: string, canonicalColumns: Map<string, number>): number[] {
  const key = canonicalArkitName(arkit);
  const exact = canonicalColumns.get(key);
  if (exact !== undefined) return [exact];
  const left = canonicalColumns.get(`${key}_l`);
  const right = canonicalColumns.get(`${key}_r`);
  if (left !== undefined && right !== undefined) return [left, right];
  return [];
}

function canonicalColumnMap(names: string[]): Map<string, number> {
  const map = new Map<string, number>();
  names.forEach((name, i) => { if (!map.has(canonicalArkitName(name))) map.set(canonicalArkitName(name), i); });
  return map;
}

/** The name-identity map, and how many ARKit names found a column. */
function nameMap(expressionNames: string[]): { matrix: Float32Array; matched: number } {
  const e = expressionNames.length;
  const matrix = new Float32Array(ARKIT_NAMES.length * e);
  const columns = canonicalColumnMap(expressionNames);
  let matched = 0;
  ARKIT_NAMES.forEach((name, a) => {
    const cols = columnsByName(name, columns);
    if (cols.length) matched++;
    for (const c of cols) matrix[a * e + c] = 1;
  });
  return { matrix, matched };
}

/** A pack counts as ARKit-named when at least half of the 52 names find a column. */
export function isArkitNamed(model: Pick<HeadModel, 'expressionNames'>): boolean {
  return nameMap(model.expressionNames).matched >= ARKIT_NAMES.length / 2;
}

/** Solves (A + ridge) x = b in place for a symmetric positive definite E x E A (Cholesky). */
function choleskySolve(a: Float64Array, e: number, rhs: Float64Array[]): void {
  for (let j = 0; j < e; j++) {
    let d = a[j * e + j];
    for (let k = 0; k < j; k++) d -= a[j * e + k] * a[j * e + k];
    if (!(d > 0)) throw new PhotoAvatarError('INVALID_ARGUMENT', 'Cannot build the retarget map: the expression basis is degenerate.');
    const l = Math.sqrt(d);
    a[j * e + j] = l;
    for (let i = j + 1; i < e; i++) {
      let s = a[i * e + j];
      for (let k = 0; k < j; k++) s -= a[i * e + k] * a[j * e + k];
      a[i * e + j] = s / l;
    }
  }
  for (const b of rhs) {
    for (let i = 0; i < e; i++) {
      let s = b[i];
      for (let k = 0; k < i; k++) s -= a[i * e + k] * b[k];
      b[i] = s / a[i * e + i];
    }
    for (let i = e - 1; i >= 0; i--) {
      let s = b[i];
      for (let k = i + 1; k < e; k++) s -= a[k * e + i] * b[k];
      b[i] = s / a[i * e + i];
    }
  }
}

/**
 * Least squares over selected rows: for each target t, the x minimising
 * |B x - target_t|^2 + ridge * sum_e x_e^2 / std_e^2, where B's column e is `column(e)` (length m).
 */
function ridgeSolve(
  columns: Float64Array[], targets: Float64Array[], std: Float32Array, relativeRidge: number,
): Float64Array[] {
  const e = columns.length;
  const gram = new Float64Array(e * e);
  for (let i = 0; i < e; i++) {
    for (let j = 0; j <= i; j++) {
      let s = 0;
      const ci = columns[i], cj = columns[j];
      for (let r = 0; r < ci.length; r++) s += ci[r] * cj[r];
      gram[i * e + j] = s;
      gram[j * e + i] = s;
    }
  }
  let trace = 0;
  for (let i = 0; i < e; i++) trace += gram[i * e + i];
  const ridge = relativeRidge * (trace / Math.max(e, 1) || 1);
  for (let i = 0; i < e; i++) {
    const s = std[i] > 0 ? std[i] : 1;
    gram[i * e + i] += ridge / (s * s);
  }
  const rhs = targets.map((t) => {
    const b = new Float64Array(e);
    for (let i = 0; i < e; i++) {
      let s = 0;
      const ci = columns[i];
      for (let r = 0; r < ci.length; r++) s += ci[r] * t[r];
      b[i] = s;
    }
    return b;
  });
  choleskySolve(gram, e, rhs);
  return rhs;
}

/** Deltas of one ARKit shape in an ARKit-named source pack (sum of the columns it drives), or null. */
function sourceDelta(source: HeadModel, columns: Map<string, number>, arkit: string, vertices: ArrayLike<number> | null): Float64Array | null {
  const cols = columnsByName(arkit, columns);
  if (!cols.length) return null;
  const n3 = source.vertexCount * 3;
  const count = vertices ? vertices.length : source.vertexCount;
  const out = new Float64Array(count * 3);
  for (const c of cols) {
    const base = c * n3;
    for (let i = 0; i < count; i++) {
      const v = vertices ? vertices[i] : i;
      for (let k = 0; k < 3; k++) out[3 * i + k] += source.expressionBasis[base + 3 * v + k];
    }
  }
  return out;
}

/** Expression-basis columns restricted to some vertices (all when `vertices` is null), scaled. */
function basisColumns(model: HeadModel, vertices: ArrayLike<number> | null, scale = 1): Float64Array[] {
  const n3 = model.vertexCount * 3;
  const count = vertices ? vertices.length : model.vertexCount;
  return model.expressionNames.map((_, e) => {
    const column = new Float64Array(count * 3);
    for (let i = 0; i < count; i++) {
      const v = vertices ? vertices[i] : i;
      for (let k = 0; k < 3; k++) column[3 * i + k] = model.expressionBasis[e * n3 + 3 * v + k] * scale;
    }
    return column;
  });
}

function eyeCornerDistance(model: HeadModel): number {
  const p = model.positions;
  const a = model.landmarks68[EYE_OUTER_RIGHT] * 3, b = model.landmarks68[EYE_OUTER_LEFT] * 3;
  return Math.hypot(p[a] - p[b], p[a + 1] - p[b + 1], p[a + 2] - p[b + 2]);
}

/**
 * The ARKit -> pack map for `target`. `arkitSource` (an ARKit-named pack, e.g. the default head or
 * an ICT pack) is used only when the target's expressions are not ARKit-named.
 */
export function buildRetargetMap(target: HeadModel, arkitSource?: HeadModel): RetargetMap {
  const e = target.expressionNames.length;
  const base = { names: [...ARKIT_NAMES], expressionNames: [...target.expressionNames] };
  const byName = nameMap(target.expressionNames);
  if (byName.matched >= ARKIT_NAMES.length / 2) return { ...base, matrix: byName.matrix, method: 'names' };
  if (!arkitSource || e === 0) return { ...base, matrix: new Float32Array(ARKIT_NAMES.length * e), method: 'none' };
  if (!isArkitNamed(arkitSource)) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `Cannot build the retarget map: the source pack "${arkitSource.id}" has no ARKit-named expressions.`);
  }
  const sourceColumns = canonicalColumnMap(arkitSource.expressionNames);
  const sameTopology = arkitSource.vertexCount === target.vertexCount && arkitSource.indices.length === target.indices.length;
  let columns: Float64Array[];
  let vertices: ArrayLike<number> | null;
  let sourceVertices: ArrayLike<number> | null;
  let scale = 1;
  if (sameTopology) {
    columns = basisColumns(target, null);
    vertices = null;
    sourceVertices = null;
  } else {
    // Landmark motion in units of the target's head: source deltas x (target eye distance / source eye distance).
    const targetEyes = eyeCornerDistance(target), sourceEyes = eyeCornerDistance(arkitSource);
    if (!(targetEyes > 0 && sourceEyes > 0)) throw new PhotoAvatarError('INVALID_ARGUMENT', 'Cannot build the retarget map: a pack has coincident outer eye-corner landmarks.');
    scale = targetEyes / sourceEyes;
    vertices = target.landmarks68;
    sourceVertices = arkitSource.landmarks68;
    columns = basisColumns(target, vertices);
  }
  const rows: number[] = [];
  const targets: Float64Array[] = [];
  ARKIT_NAMES.forEach((name, a) => {
    const delta = sourceDelta(arkitSource, sourceColumns, name, sourceVertices);
    if (!delta) return;
    if (scale !== 1) for (let i = 0; i < delta.length; i++) delta[i] *= scale;
    rows.push(a);
    targets.push(delta);
  });
  const solutions = ridgeSolve(columns, targets, target.expressionStd, sameTopology ? RIDGE_VERTICES : RIDGE_LANDMARKS);
  const matrix = new Float32Array(ARKIT_NAMES.length * e);
  rows.forEach((a, r) => { for (let j = 0; j < e; j++) matrix[a * e + j] = solutions[r][j]; });
  return { ...base, matrix, method: sameTopology ? 'vertices' : 'landmarks' };
}

/**
 * Pack expression coefficients for ARKit weights given by name (any spelling canonicalArkitName
 * accepts, e.g. `jawOpen`, `eyeBlinkLeft`, `eyeBlink_L`); unknown names are ignored.
 */
export function arkitToCoefficients(map: RetargetMap, record: Readonly<Record<string, number>>, out?: Float32Array): Float32Array {
  const e = map.expressionNames.length;
  const coefficients = out ?? new Float32Array(e);
  coefficients.fill(0);
  const rows = new Map(map.names.map((name, a) => [canonicalArkitName(name), a]));
  for (const [name, weight] of Object.entries(record)) {
    const a = rows.get(canonicalArkitName(name));
    if (a === undefined || !Number.isFinite(weight) || weight === 0) continue;
    for (let j = 0; j < e; j++) coefficients[j] += weight * map.matrix[a * e + j];
  }
  return coefficients;
}

/** The map stored in a pack (HeadModel.arkitRetarget), or undefined when the pack has none. */
export function retargetMapOf(model: Pick<HeadModel, 'arkitRetarget' | 'expressionNames'>): RetargetMap | undefined {
  const stored = model.arkitRetarget;
  if (!stored) return undefined;
  return { names: stored.names, expressionNames: model.expressionNames, matrix: stored.matrix, method: stored.method };
}
