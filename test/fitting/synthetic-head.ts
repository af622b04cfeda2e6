/**
 * A small procedural HeadModel for fitting tests: a half-ellipsoid "face" grid (metres, +Z towards
 * the viewer) with an iBUG-68-like landmark layout, a jaw contour, 468 dense points, smooth random
 * identity modes (N(0,1) coefficients) and local ARKit-named expression bumps (weights 0..1).
 * It exercises the fitting maths without any model pack or shared data.
 */
import type { HeadModel } from '../../src/modelpack/head-model.js';
import { eulerDegreesToRotation, projectPoints } from '../../src/fitting/camera-math.js';
import { decodeShape } from '../../src/modelpack/head-model.js';
import type { FaceObservation } from '../../src/types.js';
import { seededRandom as rng } from '../helpers/random.js';

export { seededRandom as rng } from '../helpers/random.js';

export function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

const COLS = 72, ROWS = 60;
const AZIMUTH = (110 * Math.PI) / 180, ELEVATION = (75 * Math.PI) / 180;
const RADII = [0.075, 0.11, 0.095];

/** Face-layout coordinates (x right = subject's left, y up, about -1..1) of the 68 iBUG points. */
function ibugLayout(): Array<[number, number]> {
  const pts: Array<[number, number]> = [];
  for (let i = 0; i < 17; i++) { const s = i / 16; pts.push([-0.9 * Math.cos(Math.PI * s), 0.15 - 1.05 * Math.sin(Math.PI * s)]); }
  for (let i = 0; i < 5; i++) pts.push([-0.75 + 0.15 * i, 0.45 + 0.08 * Math.sin((Math.PI * i) / 4)]);
  for (let i = 0; i < 5; i++) pts.push([0.15 + 0.15 * i, 0.45 + 0.08 * Math.sin((Math.PI * (4 - i)) / 4)]);
  for (let i = 0; i < 4; i++) pts.push([0, 0.3 - 0.15 * i]);
  for (let i = 0; i < 5; i++) pts.push([-0.2 + 0.1 * i, -0.28 + 0.04 * Math.abs(i - 2) / 2]);
  for (const cx of [-0.4, 0.4]) {
    for (let i = 0; i < 6; i++) { const a = Math.PI - (Math.PI * i) / 3; pts.push([cx + 0.15 * Math.cos(a), 0.25 + 0.06 * Math.sin(a)]); }
  }
  for (let i = 0; i < 12; i++) { const a = Math.PI - (Math.PI * i) / 6; pts.push([0.35 * Math.cos(a), -0.58 + 0.12 * Math.sin(a)]); }
  for (let i = 0; i < 8; i++) { const a = Math.PI - (Math.PI * i) / 4; pts.push([0.25 * Math.cos(a), -0.58 + 0.05 * Math.sin(a)]); }
  return pts;
}

function nearestVertex(x: number, y: number): number {
  const theta = x * (65 * Math.PI) / 180, phi = y * (48 * Math.PI) / 180;
  const col = Math.round(((theta + AZIMUTH) / (2 * AZIMUTH)) * (COLS - 1));
  const row = Math.round(((phi + ELEVATION) / (2 * ELEVATION)) * (ROWS - 1));
  return Math.max(0, Math.min(ROWS - 1, row)) * COLS + Math.max(0, Math.min(COLS - 1, col));
}

export function makeSyntheticHead(options: { identityCount?: number; expressionCount?: number; seed?: number } = {}): HeadModel {
  const K = options.identityCount ?? 20, E = options.expressionCount ?? 10;
  const random = rng(options.seed ?? 7);
  const vertexCount = COLS * ROWS, n3 = vertexCount * 3;
  const positions = new Float32Array(n3);
  const angles = new Float64Array(vertexCount * 2);
  for (let r = 0; r < ROWS; r++) {
    for (let c = 0; c < COLS; c++) {
      const v = r * COLS + c;
      const theta = -AZIMUTH + (2 * AZIMUTH * c) / (COLS - 1);
      const phi = -ELEVATION + (2 * ELEVATION * r) / (ROWS - 1);
      angles[v * 2] = theta; angles[v * 2 + 1] = phi;
      positions[v * 3] = RADII[0] * Math.sin(theta) * Math.cos(phi);
      positions[v * 3 + 1] = RADII[1] * Math.sin(phi);
      positions[v * 3 + 2] = RADII[2] * Math.cos(theta) * Math.cos(phi);
    }
  }
  const indices: number[] = [];
  for (let r = 0; r + 1 < ROWS; r++) {
    for (let c = 0; c + 1 < COLS; c++) {
      const a = r * COLS + c, b = a + 1, d = a + COLS, e = d + 1;
      indices.push(a, b, e, a, e, d);
    }
  }
  // Identity: smooth random displacement fields (a few low-frequency sinusoids per axis), ~4 mm.
  const identityBasis = new Float32Array(K * n3);
  for (let k = 0; k < K; k++) {
    const terms = Array.from({ length: 9 }, () => ({ fx: 1 + 2 * random(), fy: 1 + 2 * random(), p: 6.28 * random(), a: gaussian(random) }));
    for (let v = 0; v < vertexCount; v++) {
      const th = angles[v * 2], ph = angles[v * 2 + 1];
      for (let axis = 0; axis < 3; axis++) {
        let value = 0;
        for (let t = axis * 3; t < axis * 3 + 3; t++) value += terms[t].a * Math.sin(terms[t].fx * th + terms[t].fy * ph + terms[t].p);
        identityBasis[k * n3 + v * 3 + axis] = 0.0025 * value;
      }
    }
  }
  const layout = ibugLayout();
  const landmarks68 = Uint32Array.from(layout.map(([x, y]) => nearestVertex(x, y)));
  // Expressions: Gaussian bumps around landmark sites (mouth, brows, eyes), up to ~1.2 cm.
  const names = ['jawOpen', 'mouthSmileLeft', 'mouthSmileRight', 'browInnerUp', 'eyeBlinkLeft', 'eyeBlinkRight', 'mouthPucker', 'cheekPuff', 'browDownLeft', 'browDownRight', 'mouthFunnel', 'noseSneerLeft'];
  const sites = [8, 54, 48, 21, 37, 44, 51, 3, 19, 24, 62, 35];
  const expressionNames = Array.from({ length: E }, (_, j) => names[j % names.length] + (j >= names.length ? String(j) : ''));
  const expressionBasis = new Float32Array(E * n3);
  for (let j = 0; j < E; j++) {
    const centre = landmarks68[sites[j % sites.length]];
    const dir = [gaussian(random), gaussian(random), 0.5 * gaussian(random)];
    const norm = Math.hypot(dir[0], dir[1], dir[2]);
    for (let v = 0; v < vertexCount; v++) {
      const dx = positions[v * 3] - positions[centre * 3], dy = positions[v * 3 + 1] - positions[centre * 3 + 1], dz = positions[v * 3 + 2] - positions[centre * 3 + 2];
      const falloff = Math.exp(-(dx * dx + dy * dy + dz * dz) / (2 * 0.025 ** 2));
      for (let axis = 0; axis < 3; axis++) expressionBasis[j * n3 + v * 3 + axis] = (0.012 * falloff * dir[axis]) / norm;
    }
  }
  const jaw: number[] = [];
  for (let i = 0; i <= 64; i++) {
    const s = i / 64;
    const v = nearestVertex(-0.9 * Math.cos(Math.PI * s), 0.15 - 1.05 * Math.sin(Math.PI * s));
    if (jaw[jaw.length - 1] !== v) jaw.push(v);
  }
  for (let i = 0; i < 17; i++) if (!jaw.includes(landmarks68[i])) jaw.push(landmarks68[i]);
  const dense = new Set<number>();
  while (dense.size < 468) {
    const v = nearestVertex(-1 + 2 * random(), -1.05 + 1.7 * random());
    dense.add(v);
  }
  const weldGroup = Uint32Array.from({ length: vertexCount }, (_, i) => i);
  const mirrorVertex = Uint32Array.from({ length: vertexCount }, (_, v) => Math.floor(v / COLS) * COLS + (COLS - 1 - (v % COLS)));
  return {
    id: 'synthetic-test-head',
    name: 'Synthetic test head',
    licence: 'Apache-2.0',
    provenance: 'procedural (test/fitting/synthetic-head.ts)',
    vertexCount,
    positions,
    uvs: new Float32Array(vertexCount * 2),
    indices: Uint32Array.from(indices),
    weldGroup,
    identityCount: K,
    identityBasis,
    identityStd: new Float32Array(K).fill(1),
    expressionNames,
    expressionBasis,
    expressionStd: new Float32Array(E).fill(0.5),
    landmarks68,
    jawContour: Uint32Array.from(jaw),
    landmarks468: Uint32Array.from(dense),
    mirrorVertex,
    skinWeight: new Float32Array(vertexCount).fill(1),
    parts: [],
  };
}

export interface SyntheticTruth {
  identity: Float32Array;
  expression: Float32Array;
  rotation: Float64Array;
  translation: Float64Array;
  yawDeg: number;
  pitchDeg: number;
  rollDeg: number;
}

/** Random coefficients and pose (yaw within ±maxYaw), and the observation they project to with pixel noise. */
export function syntheticObservation(
  model: HeadModel,
  seed: number,
  camera: { focal: number; cx: number; cy: number },
  options: { noisePx?: number; maxYawDeg?: number } = {},
): { observation: FaceObservation; truth: SyntheticTruth } {
  const random = rng(seed);
  const noise = options.noisePx ?? 0.5;
  const identity = Float32Array.from({ length: model.identityCount }, (_, k) => 0.8 * gaussian(random) * model.identityStd[k]);
  const expression = Float32Array.from({ length: model.expressionNames.length }, () => (random() < 0.5 ? 0 : 0.7 * random()));
  const maxYaw = options.maxYawDeg ?? 25;
  const yawDeg = (2 * random() - 1) * maxYaw, pitchDeg = (2 * random() - 1) * 15, rollDeg = (2 * random() - 1) * 10;
  const rotation = eulerDegreesToRotation(yawDeg, pitchDeg, rollDeg);
  const translation = Float64Array.of(0.03 * (2 * random() - 1), 0.03 * (2 * random() - 1), -0.55 - 0.2 * random());
  const shape = decodeShape(model, identity, expression);
  const pick = (indices: ArrayLike<number>) => {
    const out = new Float64Array(indices.length * 3);
    for (let i = 0; i < indices.length; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = shape[indices[i] * 3 + c];
    return out;
  };
  const lm68 = projectPoints(pick(model.landmarks68), rotation, translation, camera);
  const dense = projectPoints(pick(model.landmarks468!), rotation, translation, camera);
  const landmarks68 = Float32Array.from(lm68, (x) => x + noise * gaussian(random));
  const landmarks468 = new Float32Array(468 * 3);
  for (let i = 0; i < 468; i++) {
    landmarks468[i * 3] = dense[i * 2] + noise * gaussian(random);
    landmarks468[i * 3 + 1] = dense[i * 2 + 1] + noise * gaussian(random);
  }
  return {
    observation: {
      box: { x: 0, y: 0, width: 1, height: 1 },
      score: 1,
      landmarks468,
      iris: new Float32Array(30),
      landmarks68,
      meshScore: 1,
      roll: 0,
    },
    truth: { identity, expression, rotation, translation, yawDeg, pitchDeg, rollDeg },
  };
}
