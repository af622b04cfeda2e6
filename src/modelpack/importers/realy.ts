/**
 * Importer for REALY's `HIFI3D++.mat` (HiFi3D++ 3DMM, research use only; the user brings it).
 * Layout: mu_shape [1, 3n], basis_shape [K, 3n] and basis_exp [E, 3n] (bases are rows), EVs [K, 1],
 * tri / tri_vt [T, 3] (1-based, full head), vt_list [U, 2], keypoints [1, 86] (1-based; the first
 * 68 are iBUG-68), mask_face [1, n].
 *
 * Choices: units are HIFI3D.obj's centimetres (-> metres * 0.01); identityStd = sqrt(EVs) (EVs are
 * the PCA eigenvalues of unit basis rows); expression modes scaled to 3 sigma as morph targets
 * (pca-expressions.ts); skin region = mask_face.
 */
import { PhotoAvatarError } from '../../errors.js';
import type { HeadModel } from '../head-model.js';
import { pcaExpressionNames, scalePcaExpressions } from './pca-expressions.js';
import { HIFI3DPP_LICENCE, checkFinite, columnMajorPairs, derivedFaceFields, expectDims, oneBasedToRowMajor } from './hifi3dpp.js';
import { readMat, requireNumeric } from './mat5.js';
import { gatherBasis, gatherVertices, splitSeams } from './topology.js';

export const REALY_VARIABLES = ['mu_shape', 'basis_shape', 'EVs', 'basis_exp', 'tri', 'tri_vt', 'vt_list', 'keypoints', 'mask_face'];

export interface RealyImportOptions {
  source?: string;
  /** Model units -> metres (default 0.01: centimetres). */
  scale?: number;
}

export function importRealy(bytes: Uint8Array, options: RealyImportOptions = {}): HeadModel {
  const source = options.source ?? 'HIFI3D++.mat';
  const scale = options.scale ?? 0.01;
  const mat = readMat(bytes, { variables: REALY_VARIABLES });
  const get = (name: string) => requireNumeric(mat, name, source);
  const bad = (message: string) => new PhotoAvatarError('CORRUPT_INPUT_FILE', `${source}: ${message}`);

  const mean = get('mu_shape');
  const n3 = mean.data.length;
  if (n3 === 0 || n3 % 3 !== 0 || Math.min(...mean.dims) !== 1) throw bad(`"mu_shape" has shape [${mean.dims.join(', ')}], expected [1, 3 * vertices]`);
  const n = n3 / 3;
  checkFinite(source, 'mu_shape', mean.data);
  const basisShape = get('basis_shape');
  expectDims(source, 'basis_shape', basisShape.dims, null, n3);
  checkFinite(source, 'basis_shape', basisShape.data);
  const identityCount = basisShape.dims[0];
  const evs = get('EVs');
  if (evs.data.length !== identityCount) throw bad(`"EVs" has ${evs.data.length} entries, basis_shape has ${identityCount} rows`);
  const identityStd = new Float32Array(identityCount);
  for (let k = 0; k < identityCount; k++) {
    const ev = evs.data[k];
    if (!(ev >= 0) || !Number.isFinite(ev)) throw bad(`"EVs" entry ${k + 1} is ${ev}, not a non-negative eigenvalue`);
    identityStd[k] = Math.sqrt(ev);
  }
  const basisExp = get('basis_exp');
  expectDims(source, 'basis_exp', basisExp.dims, null, n3);
  checkFinite(source, 'basis_exp', basisExp.data);
  const expressionCount = basisExp.dims[0];
  const tri = get('tri');
  expectDims(source, 'tri', tri.dims, null, 3);
  const triVt = get('tri_vt');
  expectDims(source, 'tri_vt', triVt.dims, tri.dims[0], 3);
  const vtList = get('vt_list');
  expectDims(source, 'vt_list', vtList.dims, null, 2);
  checkFinite(source, 'vt_list', vtList.data);
  const keypoints = get('keypoints');
  if (keypoints.data.length < 68) throw bad(`"keypoints" has ${keypoints.data.length} entries, expected at least 68`);
  const mask = get('mask_face');
  if (mask.data.length !== n) throw bad(`"mask_face" has ${mask.data.length} entries, expected ${n}`);

  const triangles = oneBasedToRowMajor(source, 'tri', tri.data, tri.dims[0], 3, n);
  const cornerUv = oneBasedToRowMajor(source, 'tri_vt', triVt.data, tri.dims[0], 3, vtList.dims[0]);
  const split = splitSeams(triangles, cornerUv, n, columnMajorPairs(vtList.data, vtList.dims[0]));
  const positions = gatherVertices(mean.data, split.sourceVertex, 3, scale);
  // Rows are modes: element (mode m, coordinate i) of the column-major matrix is at i * K + m.
  const identityBasis = gatherBasis(basisShape.data, identityCount, n, split.sourceVertex, scale, 'vertex-major');
  const expressionBasis = gatherBasis(basisExp.data, expressionCount, n, split.sourceVertex, scale, 'vertex-major');
  const landmarks68 = oneBasedToRowMajor(source, 'keypoints', keypoints.data.subarray(0, 68), 68, 1, n);
  const facial = new Uint8Array(split.sourceVertex.length);
  for (let v = 0; v < facial.length; v++) facial[v] = mask.data[split.sourceVertex[v]] > 0 ? 1 : 0;

  return {
    id: 'hifi3dpp-realy',
    name: 'HiFi3D++ (REALY layout)',
    licence: HIFI3DPP_LICENCE,
    provenance: `Imported from ${source} (REALY HIFI3D++.mat): ${n} vertices, ${identityCount} identity and ${expressionCount} expression modes.`,
    vertexCount: split.sourceVertex.length,
    positions,
    uvs: split.uvs,
    indices: split.indices,
    weldGroup: split.weldGroup,
    identityCount,
    identityBasis,
    identityStd,
    expressionNames: pcaExpressionNames(expressionCount),
    expressionBasis,
    expressionStd: scalePcaExpressions(expressionBasis, new Float32Array(expressionCount).fill(1)),
    ...derivedFaceFields(positions, split, landmarks68, facial),
    parts: [],
  };
}
