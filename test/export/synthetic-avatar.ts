/**
 * AvatarData for exporter/plugin/preview tests: the project's embedded default head when it is
 * built (assets/generated/default-head.pack), else a small synthetic ellipsoid head with a UV
 * seam, three expression modes and two eyeballs, so these tests never depend on the pipeline.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { decodeShape, type HeadModel, type SubMesh } from '../../src/modelpack/head-model.js';
import { loadDefaultHead } from '../../src/pipeline.js';
import type { AvatarData, RgbaImage } from '../../src/types.js';
import { projectRoot } from '../helpers/shared-data.js';

function sphereGrid(rows: number, cols: number, radii: [number, number, number], centre: [number, number, number]) {
  // (rows + 1) x (cols + 1) vertices: the last column duplicates the first (UV seam).
  const positions = new Float32Array((rows + 1) * (cols + 1) * 3);
  const uvs = new Float32Array((rows + 1) * (cols + 1) * 2);
  for (let r = 0; r <= rows; r++) {
    const polar = (r / rows) * Math.PI; // 0 at the top
    for (let c = 0; c <= cols; c++) {
      // Longitude 0 faces +Z (the face) and is the middle of the UV range.
      const lon = ((c / cols) - 0.5) * 2 * Math.PI;
      const i = r * (cols + 1) + c;
      positions[3 * i] = centre[0] + radii[0] * Math.sin(polar) * Math.sin(lon);
      positions[3 * i + 1] = centre[1] + radii[1] * Math.cos(polar);
      positions[3 * i + 2] = centre[2] + radii[2] * Math.sin(polar) * Math.cos(lon);
      uvs[2 * i] = c / cols;
      uvs[2 * i + 1] = 1 - r / rows;
    }
  }
  const indices: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const a = r * (cols + 1) + c, b = a + 1, d = a + cols + 1, e = d + 1;
      // CCW seen from outside.
      if (r > 0) indices.push(a, d, b);
      if (r < rows - 1) indices.push(b, d, e);
    }
  }
  return { positions, uvs, indices: Uint32Array.from(indices) };
}

/** Welds vertices at identical positions to the lowest index (seam copies and poles). */
function weldGroups(positions: Float32Array): Uint32Array {
  const n = positions.length / 3;
  const groups = new Uint32Array(n);
  const seen = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const key = `${positions[3 * i].toFixed(6)},${positions[3 * i + 1].toFixed(6)},${positions[3 * i + 2].toFixed(6)}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, i);
      groups[i] = i;
    } else groups[i] = first;
  }
  return groups;
}

function eyePart(name: string, centre: [number, number, number]): SubMesh {
  const sphere = sphereGrid(12, 16, [0.012, 0.012, 0.012], centre);
  return { name, positions: sphere.positions, indices: sphere.indices, uvs: sphere.uvs, pivot: Float32Array.from(centre), material: 'eye' };
}

export function syntheticHeadModel(): HeadModel {
  const { positions, uvs, indices } = sphereGrid(24, 32, [0.075, 0.1, 0.09], [0, 0, 0]);
  const vertexCount = positions.length / 3;
  const n3 = vertexCount * 3;
  const expressionNames = ['jawOpen', 'mouthSmile', 'browRaise'];
  const basis = new Float32Array(expressionNames.length * n3);
  for (let i = 0; i < vertexCount; i++) {
    const x = positions[3 * i], y = positions[3 * i + 1], z = positions[3 * i + 2];
    const front = Math.max(0, z / 0.09);
    if (y < -0.03) basis[3 * i + 1] = -0.02 * front * Math.min(1, (-0.03 - y) / 0.03);
    basis[n3 + 3 * i] = 0.008 * Math.sign(x) * front * Math.exp(-(((y + 0.04) / 0.015) ** 2));
    basis[2 * n3 + 3 * i + 1] = 0.006 * front * Math.exp(-(((y - 0.04) / 0.015) ** 2));
  }
  const identityCount = 2;
  const identityBasis = new Float32Array(identityCount * n3);
  for (let i = 0; i < n3; i += 3) {
    identityBasis[i] = positions[i] * 0.1; // wider
    identityBasis[n3 + i + 1] = positions[i + 1] * 0.1; // taller
  }
  // Landmarks: jaw ends on the sides at mouth height, the rest spread over the front.
  const nearest = (px: number, py: number, pz: number) => {
    let best = 0, bestD = Infinity;
    for (let i = 0; i < vertexCount; i++) {
      const d = (positions[3 * i] - px) ** 2 + (positions[3 * i + 1] - py) ** 2 + (positions[3 * i + 2] - pz) ** 2;
      if (d < bestD) { bestD = d; best = i; }
    }
    return best;
  };
  const landmarks68 = new Uint32Array(68);
  for (let k = 0; k < 68; k++) {
    const t = k / 67;
    landmarks68[k] = nearest(0.06 * Math.cos(Math.PI * t), -0.02 - 0.04 * Math.sin(Math.PI * t), 0.05);
  }
  landmarks68[0] = nearest(-0.075, 0, 0);
  landmarks68[16] = nearest(0.075, 0, 0);
  const weldGroup = weldGroups(positions);
  const mirrorVertex = new Uint32Array(vertexCount);
  for (let i = 0; i < vertexCount; i++) mirrorVertex[i] = nearest(-positions[3 * i], positions[3 * i + 1], positions[3 * i + 2]);
  return {
    id: 'synthetic-test-head',
    name: 'Synthetic test head',
    licence: 'Apache-2.0',
    provenance: 'generated in test/export/synthetic-avatar.ts',
    vertexCount,
    positions,
    uvs,
    indices,
    weldGroup,
    identityCount,
    identityBasis,
    identityStd: new Float32Array([1, 1]),
    expressionNames,
    expressionBasis: basis,
    expressionStd: new Float32Array([1, 1, 1]),
    landmarks68,
    jawContour: landmarks68.slice(0, 17),
    mirrorVertex,
    skinWeight: new Float32Array(vertexCount).fill(1),
    parts: [eyePart('eyeLeft', [0.03, 0.025, 0.078]), eyePart('eyeRight', [-0.03, 0.025, 0.078])],
  };
}

/** Skin-toned albedo with a faint grid so texture orientation shows in previews. */
export function syntheticAlbedo(size = 256): RgbaImage {
  const data = new Uint8ClampedArray(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const o = (y * size + x) * 4;
      const grid = (x % 32 === 0 || y % 32 === 0) ? 0.85 : 1;
      data[o] = (200 + 30 * (1 - y / size)) * grid;
      data[o + 1] = (150 + 20 * (x / size)) * grid;
      data[o + 2] = 125 * grid;
      data[o + 3] = 255;
    }
  }
  return { width: size, height: size, data };
}

/** The embedded default head when assets/generated has it (npm run build), else the synthetic one. */
export async function loadTestHeadModel(): Promise<{ model: HeadModel; source: string }> {
  if (existsSync(path.join(projectRoot, 'assets', 'generated', 'default-head.pack'))) {
    try {
      return { model: await loadDefaultHead(), source: 'default head' };
    } catch (error) {
      console.log(`    default head unavailable (${(error as Error).message}); using the synthetic head`);
    }
  }
  return { model: syntheticHeadModel(), source: 'synthetic head' };
}

/** The embedded default head, or skips the calling suite or test with a message when it is not built (npm run build). */
export async function defaultHeadOrSkip(ctx: Mocha.Context): Promise<HeadModel> {
  const loaded = await loadTestHeadModel();
  if (loaded.source !== 'default head') {
    console.log('    skipped: the default head is not built (npm run build)');
    ctx.skip();
  }
  return loaded.model;
}

export function makeAvatarData(model: HeadModel, albedo: RgbaImage = syntheticAlbedo()): AvatarData {
  const identity = new Float32Array(model.identityCount);
  if (identity.length > 0) identity[0] = 0.5 * model.identityStd[0];
  const expression = new Float32Array(model.expressionNames.length);
  for (let k = 0; k < expression.length; k++) expression[k] = k === 0 ? 0.3 : 0.1 / (k + 1);
  const neutralVertices = decodeShape(model, identity, null);
  return {
    model,
    identity,
    expression,
    neutralVertices,
    albedo,
    light: new Float32Array(27),
    camera: { focal: 1000, cx: 256, cy: 256, rotation: Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]), translation: Float64Array.from([0, 0, -0.6]) },
    face: {
      box: { x: 0, y: 0, width: 1, height: 1 }, score: 1, landmarks468: new Float32Array(468 * 3), iris: new Float32Array(30),
      landmarks68: new Float32Array(136), meshScore: 1, roll: 0,
    },
    fittedLandmarks68: new Float32Array(136),
    pose: { yawDeg: 0, pitchDeg: 0, rollDeg: 0 },
    metrics: { landmarkErrorPx: 0, landmarkErrorNormalized: 0 },
    timings: {},
    backend: 'wasm',
  };
}

/**
 * Avatar data on the named head for variant-parameterised suites; null (after saying why) when
 * that head cannot be built here, so the caller can skip.
 */
export async function avatarDataFor(variant: 'synthetic head' | 'default head'): Promise<AvatarData | null> {
  const loaded = variant === 'synthetic head' ? { model: syntheticHeadModel(), source: variant } : await loadTestHeadModel();
  if (loaded.source !== variant) {
    console.log(`    skipped: ${variant} unavailable`);
    return null;
  }
  return makeAvatarData(loaded.model);
}
