/**
 * Importer for a folder of OBJ files sharing one topology: `neutral.obj` plus one OBJ per named
 * blendshape (the file stem is the expression name; mode = file - neutral), and
 * `landmarks68.json` (68 0-based vertex indices of the neutral mesh, iBUG order). Optional
 * `identity*.obj` files become identity modes (std 1). Units are guessed from the outer eye
 * corners (iBUG 36-45, about 9 cm on adults): metres, centimetres or millimetres.
 */
import { PhotoAvatarError } from '../../errors.js';
import type { HeadModel } from '../head-model.js';
import type { FileSource } from './file-source.js';
import { parseObj } from './obj.js';
import { faceSkinWeights, jawContourPath, mirrorVertices, splitSeams } from './topology.js';

export interface ObjSetImportOptions {
  neutral?: string;
  /** Model units -> metres; guessed when omitted. */
  scale?: number;
  id?: string;
  name?: string;
  licence?: string;
}

const OUTER_EYE_CORNERS_METRES = 0.093;

function bad(message: string): PhotoAvatarError {
  return new PhotoAvatarError('CORRUPT_INPUT_FILE', `OBJ set: ${message}`);
}

/** The power-of-ten unit (m, cm, mm) that makes the outer eye corners closest to 9.3 cm. */
export function guessUnitScale(eyeCornerDistance: number): number {
  let best = 1;
  for (const scale of [1, 0.01, 0.001]) {
    if (Math.abs(Math.log(eyeCornerDistance * scale / OUTER_EYE_CORNERS_METRES)) < Math.abs(Math.log(eyeCornerDistance * best / OUTER_EYE_CORNERS_METRES))) best = scale;
  }
  return best;
}

export async function importObjSet(files: FileSource, options: ObjSetImportOptions = {}): Promise<HeadModel> {
  const neutralName = options.neutral ?? 'neutral.obj';
  if (!(await files.exists(neutralName))) throw bad(`${neutralName} is missing`);
  if (!(await files.exists('landmarks68.json'))) throw bad('landmarks68.json (68 vertex indices, iBUG order) is missing');
  const neutral = parseObj(await files.read(neutralName), { source: neutralName });
  const sourceCount = neutral.positions.length / 3;
  if (neutral.triangles.length === 0) throw bad(`${neutralName} has no faces`);
  let landmarkList: unknown;
  try {
    landmarkList = JSON.parse(new TextDecoder().decode(await files.read('landmarks68.json')));
  } catch (error) {
    throw bad(`landmarks68.json is not JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(landmarkList) || landmarkList.length !== 68 || !landmarkList.every((v) => Number.isInteger(v) && v >= 0 && v < sourceCount)) {
    throw bad(`landmarks68.json must be 68 vertex indices below ${sourceCount}`);
  }
  const landmarks68 = Uint32Array.from(landmarkList as number[]);
  const p = neutral.positions;
  const eye = Math.hypot(p[3 * landmarks68[36]] - p[3 * landmarks68[45]], p[3 * landmarks68[36] + 1] - p[3 * landmarks68[45] + 1], p[3 * landmarks68[36] + 2] - p[3 * landmarks68[45] + 2]);
  const scale = options.scale ?? guessUnitScale(eye || 1);

  const hasUv = neutral.triangleTexcoords.some((t) => t >= 0);
  const split = splitSeams(neutral.triangles, neutral.triangleTexcoords, sourceCount, neutral.texcoords);
  const n = split.sourceVertex.length;
  const positions = new Float32Array(n * 3);
  for (let v = 0; v < n; v++) for (let k = 0; k < 3; k++) positions[3 * v + k] = p[split.sourceVertex[v] * 3 + k] * scale;

  const objNames = (await files.list()).filter((f) => f.toLowerCase().endsWith('.obj') && f !== neutralName);
  const identityFiles = objNames.filter((f) => /^identity/i.test(f));
  const expressionFiles = objNames.filter((f) => !/^identity/i.test(f));
  const readDeltas = async (names: string[]) => {
    const basis = new Float32Array(names.length * n * 3);
    for (let m = 0; m < names.length; m++) {
      const mesh = parseObj(await files.read(names[m]), { source: names[m], positionsOnly: true });
      if (mesh.positions.length !== p.length) throw bad(`${names[m]} has ${mesh.positions.length / 3} vertices, ${neutralName} has ${sourceCount}`);
      for (let v = 0; v < n; v++) {
        const from = split.sourceVertex[v] * 3;
        for (let k = 0; k < 3; k++) basis[m * n * 3 + 3 * v + k] = (mesh.positions[from + k] - p[from + k]) * scale;
      }
    }
    return basis;
  };
  const identityBasis = await readDeltas(identityFiles);
  const expressionBasis = await readDeltas(expressionFiles);
  const facial = new Uint8Array(n).fill(1);
  return {
    id: options.id ?? 'obj-set',
    name: options.name ?? 'Imported OBJ blendshape set',
    licence: options.licence ?? 'unknown (supplied by the user)',
    provenance: `Imported from an OBJ set: ${neutralName} (${sourceCount} vertices${hasUv ? '' : ', no UVs'}), ${expressionFiles.length} blendshapes, ${identityFiles.length} identity modes, unit scale ${scale}.`,
    vertexCount: n,
    positions,
    uvs: split.uvs,
    indices: split.indices,
    weldGroup: split.weldGroup,
    identityCount: identityFiles.length,
    identityBasis,
    identityStd: new Float32Array(identityFiles.length).fill(1),
    expressionNames: expressionFiles.map((f) => f.replace(/\.obj$/i, '')),
    expressionBasis,
    expressionStd: new Float32Array(expressionFiles.length).fill(0.5),
    landmarks68,
    jawContour: jawContourPath(positions, split.indices, split.weldGroup, landmarks68.subarray(0, 17)),
    mirrorVertex: mirrorVertices(positions, hasUv ? split.uvs : undefined),
    skinWeight: faceSkinWeights(positions, landmarks68, facial),
    parts: [],
  };
}
