/**
 * Importer for FFHQ-UV / UVAPM `topo_assets/hifi3dpp_model_info.mat` (HiFi3D++ 3DMM, research
 * use only: the user brings the file, the product never ships it). Schema:
 * shared/docs/HIFI3DPP_FORMAT.md.
 *
 * Choices:
 * - Units: FFHQ-UV's meanshape is HIFI3D.obj (centimetres; outer eye corners 9.27 apart) scaled
 *   by 0.0935, so metres = value * 0.01 / 0.0935. Axes already match the project's (+Y up, +Z out
 *   of the face, subject's right eye at -X), so no rotation.
 * - Mesh: `head_tri` (the full head, 1-based, in HIFI3D.obj's quad-split order) with per-corner
 *   UVs from `head_tri_vt` / `vt_list`; vertices on UV seams are split (copies appended after the
 *   20,481 originals, which keep their indices) and bases duplicated for them.
 * - identityStd = 1: the basis is pre-scaled for FFHQ-UV's Deep3D regressor, whose L2 prior
 *   treats every id/exp coefficient as unit variance; the file holds no eigenvalues. Expression
 *   modes become morph targets scaled to 3 sigma (pca-expressions.ts).
 * - landmarks68 from `keypoints`; jawContour: the edge path through keypoints 0..16;
 *   skinWeight: vertices of the facial-region `tri`, faded out over eyes, brows and lips.
 */
import { PhotoAvatarError } from '../../errors.js';
import type { HeadModel } from '../head-model.js';
import { pcaExpressionNames, scalePcaExpressions } from './pca-expressions.js';
import { readMat, requireNumeric, type MatFile, type MatNumericArray } from './mat5.js';
import { faceSkinWeights, gatherBasis, gatherVertices, jawContourPath, mirrorVertices, splitSeams } from './topology.js';

/** FFHQ-UV model units -> metres. */
export const HIFI3DPP_MODEL_TO_METRES = 0.01 / 0.0935;

export const HIFI3DPP_LICENCE =
  'HiFi3D++ 3DMM (Tencent AI Lab, via FFHQ-UV/REALY): research use only; imported from the user\'s own copy, not redistributable.';

export interface Hifi3dppImportOptions {
  /** Name for messages. */
  source?: string;
  /** Override the unit scale (model units -> metres). */
  scale?: number;
}

function bad(source: string, message: string): PhotoAvatarError {
  return new PhotoAvatarError('CORRUPT_INPUT_FILE', `${source}: ${message}`);
}

/** Rows x cols check with a clear message. */
export function expectDims(source: string, name: string, dims: number[], rows: number | null, cols: number | null): void {
  const ok = dims.length === 2 && (rows === null || dims[0] === rows) && (cols === null || dims[1] === cols);
  if (!ok) throw bad(source, `variable "${name}" has shape [${dims.join(', ')}], expected [${rows ?? 'any'}, ${cols ?? 'any'}]`);
}

/** 1-based MATLAB indices (column-major [rows, cols] matrix) -> 0-based row-major Uint32Array, range-checked. */
export function oneBasedToRowMajor(source: string, name: string, data: MatNumericArray, rows: number, cols: number, limit: number): Uint32Array {
  const out = new Uint32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const value = data[c * rows + r];
      if (!Number.isInteger(value) || value < 1 || value > limit) {
        throw bad(source, `variable "${name}" entry (${r + 1}, ${c + 1}) is ${value}, not a 1-based index up to ${limit}`);
      }
      out[r * cols + c] = value - 1;
    }
  }
  return out;
}

/** Column-major [rows, 2] -> row-major uv pairs. */
export function columnMajorPairs(data: MatNumericArray, rows: number): Float32Array {
  const out = new Float32Array(rows * 2);
  for (let r = 0; r < rows; r++) { out[2 * r] = data[r]; out[2 * r + 1] = data[rows + r]; }
  return out;
}

export function checkFinite(source: string, name: string, data: ArrayLike<number>): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw bad(source, `variable "${name}" holds a non-finite value at element ${i}`);
  }
}

export const HIFI3DPP_VARIABLES = ['meanshape', 'idBase', 'exBase', 'vt_list', 'tri', 'head_tri', 'head_tri_vt', 'keypoints', 'vtx_vt'];

export function importHifi3dpp(bytes: Uint8Array, options: Hifi3dppImportOptions = {}): HeadModel {
  const source = options.source ?? 'hifi3dpp_model_info.mat';
  const mat = readMat(bytes, { variables: HIFI3DPP_VARIABLES });
  return hifi3dppFromMat(mat, source, options.scale ?? HIFI3DPP_MODEL_TO_METRES);
}

function hifi3dppFromMat(mat: MatFile, source: string, scale: number): HeadModel {
  const get = (name: string) => requireNumeric(mat, name, source);
  const mean = get('meanshape');
  const n3 = mean.data.length;
  if (n3 === 0 || n3 % 3 !== 0 || Math.min(...mean.dims) !== 1) throw bad(source, `"meanshape" has shape [${mean.dims.join(', ')}], expected [1, 3 * vertices]`);
  const n = n3 / 3;
  checkFinite(source, 'meanshape', mean.data);
  const idBase = get('idBase');
  expectDims(source, 'idBase', idBase.dims, n3, null);
  checkFinite(source, 'idBase', idBase.data);
  const exBase = get('exBase');
  expectDims(source, 'exBase', exBase.dims, n3, null);
  checkFinite(source, 'exBase', exBase.data);
  const vtList = get('vt_list');
  expectDims(source, 'vt_list', vtList.dims, null, 2);
  checkFinite(source, 'vt_list', vtList.data);
  const uvCount = vtList.dims[0];
  const headTri = get('head_tri');
  expectDims(source, 'head_tri', headTri.dims, null, 3);
  const triangleCount = headTri.dims[0];
  const headTriVt = get('head_tri_vt');
  expectDims(source, 'head_tri_vt', headTriVt.dims, triangleCount, 3);
  const keypoints = get('keypoints');
  if (keypoints.data.length !== 68) throw bad(source, `"keypoints" has ${keypoints.data.length} entries, expected 68`);
  const faceTri = get('tri');
  expectDims(source, 'tri', faceTri.dims, null, 3);

  const triangles = oneBasedToRowMajor(source, 'head_tri', headTri.data, triangleCount, 3, n);
  const cornerUv = oneBasedToRowMajor(source, 'head_tri_vt', headTriVt.data, triangleCount, 3, uvCount);
  const texcoords = columnMajorPairs(vtList.data, uvCount);
  const vtxVt = mat.variables.get('vtx_vt');
  const fallback = vtxVt?.data && vtxVt.data.length === n * 2
    ? (v: number, out: Float32Array, o: number) => { out[o] = vtxVt.data![v] / 512; out[o + 1] = vtxVt.data![n + v] / 512; }
    : undefined;
  const split = splitSeams(triangles, cornerUv, n, texcoords, fallback);
  const positions = gatherVertices(mean.data, split.sourceVertex, 3, scale);
  const identityCount = idBase.dims[1];
  const expressionCount = exBase.dims[1];
  const identityBasis = gatherBasis(idBase.data, identityCount, n, split.sourceVertex, scale);
  const expressionBasis = gatherBasis(exBase.data, expressionCount, n, split.sourceVertex, scale);

  const landmarks68 = oneBasedToRowMajor(source, 'keypoints', keypoints.data, 68, 1, n);
  const facialSource = new Uint8Array(n);
  for (const v of oneBasedToRowMajor(source, 'tri', faceTri.data, faceTri.dims[0], 3, n)) facialSource[v] = 1;
  const facial = new Uint8Array(split.sourceVertex.length);
  for (let v = 0; v < facial.length; v++) facial[v] = facialSource[split.sourceVertex[v]];

  return {
    id: 'hifi3dpp',
    name: 'HiFi3D++ (FFHQ-UV topology)',
    licence: HIFI3DPP_LICENCE,
    provenance: `Imported from ${source} (FFHQ-UV/UVAPM hifi3dpp_model_info.mat): ${n} vertices, ${identityCount} identity and ${expressionCount} expression modes.`,
    vertexCount: split.sourceVertex.length,
    positions,
    uvs: split.uvs,
    indices: split.indices,
    weldGroup: split.weldGroup,
    identityCount,
    identityBasis,
    identityStd: new Float32Array(identityCount).fill(1),
    expressionNames: pcaExpressionNames(expressionCount),
    expressionBasis,
    expressionStd: scalePcaExpressions(expressionBasis, new Float32Array(expressionCount).fill(1)),
    ...derivedFaceFields(positions, split, landmarks68, facial),
    parts: [],
  };
}

/**
 * Fields HiFi3D++-family files don't store, derived from the mesh: the jaw contour through the
 * 17 jaw keypoints, mirror partners, and face-skin weights from the facial-region vertices.
 */
export function derivedFaceFields(
  positions: Float32Array,
  split: { indices: Uint32Array; weldGroup: Uint32Array; uvs: Float32Array },
  landmarks68: Uint32Array,
  facial: Parameters<typeof faceSkinWeights>[2],
): Pick<HeadModel, 'landmarks68' | 'jawContour' | 'mirrorVertex' | 'skinWeight'> {
  return {
    landmarks68,
    jawContour: jawContourPath(positions, split.indices, split.weldGroup, landmarks68.subarray(0, 17)),
    mirrorVertex: mirrorVertices(positions, split.uvs),
    skinWeight: faceSkinWeights(positions, landmarks68, facial),
  };
}
