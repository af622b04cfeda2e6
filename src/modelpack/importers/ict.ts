/**
 * Importer for an ICT-FaceKit "FaceXModel" folder (MIT licence): generic_neutral_mesh.obj,
 * identityNNN.obj (each a full mesh; mode = file - neutral, pre-scaled so coefficients ~ N(0, 1)),
 * the ARKit-named expression meshes listed in vertex_indices.json, and vertex_indices.json for
 * the 68 landmarks and the fitting region.
 *
 * Faces are grouped by their OBJ material: M_Face + M_BackHead form the morphable head;
 * M_GumsTongue + M_Teeth become the 'teeth' part and the sclera/iris groups the eyeball parts
 * (both optional); lacrimal fluid, eye blend/occlusion and eyelashes need transparency and are
 * dropped. Units: centimetres -> metres; axes already match the project's.
 */
import { PhotoAvatarError } from '../../errors.js';
import type { HeadModel, SubMesh } from '../head-model.js';
import type { FileSource } from './file-source.js';
import { parseObj, type ObjMesh } from './obj.js';
import { faceSkinWeights, jawContourPath, mirrorVertices, splitSeams } from './topology.js';

export type { FileSource };

export interface IctImportOptions {
  /** Keep eyeballs as parts (default) or drop them. */
  eyes?: 'parts' | 'drop';
  /** Keep gums, tongue and teeth as a part (default) or drop them. */
  teeth?: 'parts' | 'drop';
  /** Read at most this many identity files (default: all present). */
  maxIdentityModes?: number;
  /** Import only these expressions (default: every one listed in vertex_indices.json). */
  expressions?: string[];
  /** Override centimetres -> metres. */
  scale?: number;
  /** Text of the kit's LICENSE file, stored in the pack (read from ../LICENSE or LICENSE when omitted). */
  licenceText?: string;
}

const HEAD_MATERIALS = new Set(['M_Face', 'M_BackHead']);
const TEETH_MATERIALS = new Set(['M_GumsTongue', 'M_Teeth']);
const EYE_LEFT_MATERIALS = new Set(['M_ScleraLeft', 'M_IrisLeft']);
const EYE_RIGHT_MATERIALS = new Set(['M_ScleraRight', 'M_IrisRight']);

const ICT_LICENCE_FALLBACK = 'MIT (ICT-FaceKit, Copyright (c) 2020 USC Institute for Creative Technologies)';

function bad(message: string): PhotoAvatarError {
  return new PhotoAvatarError('CORRUPT_INPUT_FILE', `ICT-FaceKit folder: ${message}`);
}

/** Triangles whose material is in `materials`. */
function selectTriangles(mesh: ObjMesh, materials: Set<string>): number[] {
  const out: number[] = [];
  for (const group of mesh.groups) {
    if (!materials.has(group.material)) continue;
    for (let t = group.triangleStart; t < group.triangleStart + group.triangleCount; t++) out.push(t);
  }
  return out;
}

interface Compacted {
  /** Old vertex -> new vertex, -1 when unused. */
  remap: Int32Array;
  /** New vertex -> old vertex (ascending). */
  used: Uint32Array;
  triangles: Uint32Array;
  cornerUv: Int32Array;
}

function compact(mesh: ObjMesh, triangles: number[]): Compacted {
  const vertexCount = mesh.positions.length / 3;
  const usedFlag = new Uint8Array(vertexCount);
  for (const t of triangles) for (let k = 0; k < 3; k++) usedFlag[mesh.triangles[3 * t + k]] = 1;
  const remap = new Int32Array(vertexCount).fill(-1);
  const used: number[] = [];
  for (let v = 0; v < vertexCount; v++) if (usedFlag[v]) { remap[v] = used.length; used.push(v); }
  const out = new Uint32Array(triangles.length * 3);
  const cornerUv = new Int32Array(triangles.length * 3);
  triangles.forEach((t, i) => {
    for (let k = 0; k < 3; k++) {
      out[3 * i + k] = remap[mesh.triangles[3 * t + k]];
      cornerUv[3 * i + k] = mesh.triangleTexcoords[3 * t + k];
    }
  });
  return { remap, used: Uint32Array.from(used), triangles: out, cornerUv };
}

function buildPart(mesh: ObjMesh, materials: Set<string>, name: string, material: SubMesh['material'], scale: number): SubMesh | undefined {
  const triangles = selectTriangles(mesh, materials);
  if (triangles.length === 0) return undefined;
  const c = compact(mesh, triangles);
  const split = splitSeams(c.triangles, c.cornerUv, c.used.length, mesh.texcoords);
  const positions = new Float32Array(split.sourceVertex.length * 3);
  const pivot = new Float32Array(3);
  for (let v = 0; v < split.sourceVertex.length; v++) {
    const from = c.used[split.sourceVertex[v]] * 3;
    for (let k = 0; k < 3; k++) positions[3 * v + k] = mesh.positions[from + k] * scale;
  }
  // Pivot: centroid of the distinct vertices (an eyeball's sphere centre).
  for (let v = 0; v < c.used.length; v++) for (let k = 0; k < 3; k++) pivot[k] += mesh.positions[c.used[v] * 3 + k] * scale / c.used.length;
  return { name, material, positions, indices: split.indices, uvs: split.uvs, pivot };
}

function parseJson(bytes: Uint8Array, name: string): Record<string, unknown> {
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw bad(`${name} is not valid JSON (${(error as Error).message})`);
  }
}

function indexList(json: Record<string, unknown>, key: string, limit: number): number[] {
  const list = json[key];
  if (!Array.isArray(list) || !list.every((x) => Number.isInteger(x) && x >= 0 && x < limit)) {
    throw bad(`vertex_indices.json "${key}" is not a list of vertex indices below ${limit}`);
  }
  return list as number[];
}

export async function importIct(files: FileSource, options: IctImportOptions = {}): Promise<HeadModel> {
  const scale = options.scale ?? 0.01;
  if (!(await files.exists('generic_neutral_mesh.obj'))) throw bad('generic_neutral_mesh.obj is missing');
  const neutral = parseObj(await files.read('generic_neutral_mesh.obj'), { source: 'generic_neutral_mesh.obj' });
  const sourceCount = neutral.positions.length / 3;
  const indicesJson = parseJson(await files.read('vertex_indices.json'), 'vertex_indices.json');
  const landmarkSource = indexList(indicesJson, 'idx_to_landmark_verts', sourceCount);
  if (landmarkSource.length !== 68) throw bad(`idx_to_landmark_verts has ${landmarkSource.length} entries, expected 68`);
  const fittingSource = indexList(indicesJson, 'idx_to_fitting_verts', sourceCount);
  const expressionNames = indicesJson.expressions;
  if (!Array.isArray(expressionNames) || !expressionNames.every((x) => typeof x === 'string' && /^[A-Za-z0-9_]+$/.test(x))) {
    throw bad('vertex_indices.json "expressions" is not a list of names');
  }

  const headTriangles = selectTriangles(neutral, HEAD_MATERIALS);
  if (headTriangles.length === 0) throw bad('generic_neutral_mesh.obj has no M_Face / M_BackHead faces');
  const head = compact(neutral, headTriangles);
  if (head.cornerUv.some((t) => t < 0)) throw bad('head faces without texture coordinates');
  const split = splitSeams(head.triangles, head.cornerUv, head.used.length, neutral.texcoords);
  /** Output vertex -> vertex of the source OBJ. */
  const objVertex = Uint32Array.from(split.sourceVertex, (v) => head.used[v]);
  const n = objVertex.length;
  const positions = new Float32Array(n * 3);
  for (let v = 0; v < n; v++) for (let k = 0; k < 3; k++) positions[3 * v + k] = neutral.positions[objVertex[v] * 3 + k] * scale;

  const readDeltas = async (names: string[]): Promise<Float32Array> => {
    const basis = new Float32Array(names.length * n * 3);
    for (let m = 0; m < names.length; m++) {
      const mesh = parseObj(await files.read(names[m]), { source: names[m], positionsOnly: true });
      if (mesh.positions.length !== neutral.positions.length) {
        throw bad(`${names[m]} has ${mesh.positions.length / 3} vertices, the neutral mesh ${sourceCount}`);
      }
      const offset = m * n * 3;
      for (let v = 0; v < n; v++) {
        const from = objVertex[v] * 3;
        for (let k = 0; k < 3; k++) basis[offset + 3 * v + k] = (mesh.positions[from + k] - neutral.positions[from + k]) * scale;
      }
    }
    return basis;
  };

  const identityFiles: string[] = [];
  const limit = options.maxIdentityModes ?? Infinity;
  for (let i = 0; i < limit; i++) {
    const name = `identity${String(i).padStart(3, '0')}.obj`;
    if (!(await files.exists(name))) break;
    identityFiles.push(name);
  }
  let expressions = expressionNames as string[];
  if (options.expressions) {
    for (const name of options.expressions) if (!expressions.includes(name)) throw bad(`expression "${name}" is not listed in vertex_indices.json`);
    expressions = expressions.filter((name) => options.expressions!.includes(name));
  }
  for (const name of expressions) if (!(await files.exists(`${name}.obj`))) throw bad(`expression mesh ${name}.obj is missing`);
  const identityBasis = await readDeltas(identityFiles);
  const expressionBasis = await readDeltas(expressions.map((e) => `${e}.obj`));

  const remapLandmark = (v: number) => {
    const r = head.remap[v];
    if (r < 0) throw bad(`landmark vertex ${v} is not on the head mesh`);
    return r;
  };
  const landmarks68 = Uint32Array.from(landmarkSource, remapLandmark);
  const facial = new Uint8Array(n);
  const fittingFlag = new Uint8Array(sourceCount);
  for (const v of fittingSource) fittingFlag[v] = 1;
  for (let v = 0; v < n; v++) facial[v] = fittingFlag[objVertex[v]];

  const parts: SubMesh[] = [];
  if ((options.eyes ?? 'parts') === 'parts') {
    // The subject's right eye sits at -X; ICT's "Left" names the subject's left.
    const left = buildPart(neutral, EYE_LEFT_MATERIALS, 'eyeLeft', 'eye', scale);
    const right = buildPart(neutral, EYE_RIGHT_MATERIALS, 'eyeRight', 'eye', scale);
    if (left) parts.push(left);
    if (right) parts.push(right);
  }
  if ((options.teeth ?? 'parts') === 'parts') {
    const teeth = buildPart(neutral, TEETH_MATERIALS, 'teeth', 'teeth', scale);
    if (teeth) parts.push(teeth);
  }

  let licenceText = options.licenceText;
  if (licenceText === undefined) {
    for (const name of ['LICENSE', '../LICENSE']) {
      if (await files.exists(name)) { licenceText = new TextDecoder().decode(await files.read(name)).trim(); break; }
    }
  }

  return {
    id: 'ict-facekit',
    name: 'ICT-FaceKit Face Model',
    licence: licenceText ? `MIT\n\n${licenceText}` : ICT_LICENCE_FALLBACK,
    provenance: `Imported from an ICT-FaceKit FaceXModel folder (github.com/ICT-VGL/ICT-FaceKit): ${head.used.length} head vertices, ${identityFiles.length} identity modes, ${expressions.length} ARKit expressions.`,
    vertexCount: n,
    positions,
    uvs: split.uvs,
    indices: split.indices,
    weldGroup: split.weldGroup,
    identityCount: identityFiles.length,
    identityBasis,
    identityStd: new Float32Array(identityFiles.length).fill(1),
    expressionNames: [...expressions],
    expressionBasis,
    // Blendshape weights live in 0..1; a prior of 0.5 keeps fits from saturating them.
    expressionStd: new Float32Array(expressions.length).fill(0.5),
    landmarks68,
    jawContour: jawContourPath(positions, split.indices, split.weldGroup, landmarks68.subarray(0, 17)),
    mirrorVertex: mirrorVertices(positions, split.uvs),
    skinWeight: faceSkinWeights(positions, landmarks68, facial),
    parts,
  };
}

