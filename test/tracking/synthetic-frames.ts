/**
 * Synthetic tracking truth for tests and benches: random sparse ARKit weights, head pose and gaze
 * for an avatar, and what a perfect face-mesh model would see (the avatar's own 468 points and
 * pupils projected, plus optional pixel noise). bench/track-synthetic.ts renders the same truth
 * with the project's rasterizer and runs the real face models instead.
 */
import { eulerDegreesToRotation } from '../../src/fitting/camera-math.js';
import { computeAvatarRig, expressedVertices } from '../../src/export/avatar-rig.js';
import { MEDIAPIPE_TO_IBUG68 } from '../../src/inference/face/ibug68.js';
import { eyeIrisGeometry, irisCentreInHead, writeEyeLookWeights } from '../../src/tracking/gaze.js';
import { renderInPhoto } from '../../src/metrics/rerender.js';
import { buildPreviewScene } from '../../src/render/preview.js';
import type { AvatarData, FaceObservation, RgbaImage } from '../../src/types.js';

export interface TrackingTruth {
  /** Expression weights in model order (eyeLook* follow the gaze, as the avatar's lids do). */
  weights: Float64Array;
  yawDeg: number;
  pitchDeg: number;
  rollDeg: number;
  gazeYawDeg: number;
  gazePitchDeg: number;
  rotation: Float64Array;
  translation: Float64Array;
}

export interface TruthRanges {
  /** Targets active per frame (besides eyeLook*): 1..maxActive. */
  maxActive: number;
  yawDeg: number;
  pitchDeg: number;
  rollDeg: number;
  gazeYawDeg: number;
  gazePitchDeg: number;
  /** Camera distance of the head, metres. */
  distance: number;
  /**
   * 'uniform': 1..maxActive targets drawn uniformly, each 0.25..1. 'realistic': what faces on a
   * webcam mostly do (blinks, talking jaw, symmetric smiles, raised brows, each by chance) plus at
   * most one other target drawn uniformly; often a neutral face.
   */
  sampling?: 'uniform' | 'realistic';
}

export const DEFAULT_RANGES: TruthRanges = { maxActive: 3, yawDeg: 25, pitchDeg: 15, rollDeg: 10, gazeYawDeg: 20, gazePitchDeg: 12, distance: 0.6 };

/** Common webcam expressions: chance per keyframe, the targets moved together, weight range. */
const COMMON_EXPRESSIONS: { chance: number; targets: string[]; from: number; to: number }[] = [
  { chance: 0.2, targets: ['eyeBlink_L', 'eyeBlink_R'], from: 0.6, to: 1 },
  { chance: 0.35, targets: ['jawOpen'], from: 0.1, to: 0.7 },
  { chance: 0.3, targets: ['mouthSmile_L', 'mouthSmile_R'], from: 0.2, to: 0.9 },
  { chance: 0.15, targets: ['browInnerUp', 'browOuterUp_L', 'browOuterUp_R'], from: 0.2, to: 0.8 },
];

function sampleWeights(names: readonly string[], random: () => number, ranges: TruthRanges, weights: Float64Array): void {
  const candidates = names.flatMap((name, k) => (/^eyeLook/i.test(name) ? [] : [k]));
  if (ranges.sampling !== 'realistic') {
    const active = 1 + Math.floor(random() * ranges.maxActive);
    for (let i = 0; i < active; i++) weights[candidates[Math.floor(random() * candidates.length)]] = 0.25 + 0.75 * random();
    return;
  }
  for (const { chance, targets, from, to } of COMMON_EXPRESSIONS) {
    if (random() >= chance) continue;
    const amount = from + (to - from) * random();
    // Both sides move together, within a tenth.
    for (const name of targets) {
      const k = names.indexOf(name);
      if (k >= 0) weights[k] = Math.min(1, Math.max(0, amount + 0.1 * (random() - 0.5)));
    }
  }
  if (random() < 0.3) weights[candidates[Math.floor(random() * candidates.length)]] = 0.2 + 0.6 * random();
}

export function randomTruth(data: AvatarData, random: () => number, ranges: TruthRanges = DEFAULT_RANGES): TrackingTruth {
  const names = data.model.expressionNames;
  const weights = new Float64Array(names.length);
  sampleWeights(names, random, ranges, weights);
  const uniform = (limit: number) => (2 * random() - 1) * limit;
  const truth = {
    weights,
    yawDeg: uniform(ranges.yawDeg),
    pitchDeg: uniform(ranges.pitchDeg),
    rollDeg: uniform(ranges.rollDeg),
    gazeYawDeg: uniform(ranges.gazeYawDeg),
    gazePitchDeg: uniform(ranges.gazePitchDeg),
  };
  writeEyeLookWeights({ yawRad: (truth.gazeYawDeg * Math.PI) / 180, pitchRad: (truth.gazePitchDeg * Math.PI) / 180 }, names, weights);
  const rotation = eulerDegreesToRotation(truth.yawDeg, truth.pitchDeg, truth.rollDeg);
  // Centre the face (nose bridge region) on the optical axis at `distance`.
  const translation = Float64Array.of(uniform(0.02), uniform(0.02), -ranges.distance);
  return { ...truth, rotation, translation };
}

/** The truth a fraction `s` of the way from `a` to `b` (smoothstep easing, as between video keyframes). */
export function interpolateTruth(a: TrackingTruth, b: TrackingTruth, s: number): TrackingTruth {
  const e = s * s * (3 - 2 * s);
  const mix = (x: number, y: number) => x + (y - x) * e;
  const truth = {
    weights: a.weights.map((w, k) => mix(w, b.weights[k])),
    yawDeg: mix(a.yawDeg, b.yawDeg),
    pitchDeg: mix(a.pitchDeg, b.pitchDeg),
    rollDeg: mix(a.rollDeg, b.rollDeg),
    gazeYawDeg: mix(a.gazeYawDeg, b.gazeYawDeg),
    gazePitchDeg: mix(a.gazePitchDeg, b.gazePitchDeg),
    translation: a.translation.map((t, i) => mix(t, b.translation[i])),
  };
  return { ...truth, rotation: eulerDegreesToRotation(truth.yawDeg, truth.pitchDeg, truth.rollDeg) };
}

function project(x: number, y: number, z: number, truth: TrackingTruth, camera: { focal: number; cx: number; cy: number }): [number, number] {
  const R = truth.rotation, t = truth.translation;
  const px = R[0] * x + R[1] * y + R[2] * z + t[0];
  const py = R[3] * x + R[4] * y + R[5] * z + t[1];
  const pz = R[6] * x + R[7] * y + R[8] * z + t[2];
  return [camera.cx + (camera.focal * px) / -pz, camera.cy - (camera.focal * py) / -pz];
}

/** Eyeball vertices rotated by the truth's gaze about their pivots (model space), per eye part. */
export function gazedEyes(data: AvatarData, truth: TrackingTruth): { pivot: Float32Array; positions: Float32Array; name: string }[] {
  const rig = computeAvatarRig(data.model, data.neutralVertices);
  const gaze = eulerDegreesToRotation(truth.gazeYawDeg, truth.gazePitchDeg, 0);
  return [rig.eyeRight, rig.eyeLeft].filter((e) => e !== null).map((eye) => {
    const out = new Float32Array(eye.positions.length);
    const c = eye.pivot;
    for (let i = 0; i < out.length; i += 3) {
      const x = eye.positions[i] - c[0], y = eye.positions[i + 1] - c[1], z = eye.positions[i + 2] - c[2];
      out[i] = gaze[0] * x + gaze[1] * y + gaze[2] * z + c[0];
      out[i + 1] = gaze[3] * x + gaze[4] * y + gaze[5] * z + c[1];
      out[i + 2] = gaze[6] * x + gaze[7] * y + gaze[8] * z + c[2];
    }
    return { pivot: eye.pivot, positions: out, name: eye.name };
  });
}

/** What a perfect face-mesh + iris model sees, plus Gaussian pixel noise of `noisePx` (sigma). */
export function observeTruth(
  data: AvatarData,
  truth: TrackingTruth,
  camera: { focal: number; cx: number; cy: number },
  noisePx: number,
  random: () => number,
): Pick<FaceObservation, 'landmarks468' | 'landmarks68' | 'iris'> {
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const vertices = expressedVertices(data, truth.weights);
  const mesh = data.model.landmarks468!;
  const landmarks468 = new Float32Array(468 * 3);
  for (let i = 0; i < 468; i++) {
    const v = mesh[i];
    const [x, y] = project(vertices[3 * v], vertices[3 * v + 1], vertices[3 * v + 2], truth, camera);
    landmarks468[3 * i] = x + noisePx * gaussian();
    landmarks468[3 * i + 1] = y + noisePx * gaussian();
  }
  const landmarks68 = new Float32Array(136);
  for (let i = 0; i < 68; i++) {
    landmarks68[2 * i] = landmarks468[3 * MEDIAPIPE_TO_IBUG68[i]];
    landmarks68[2 * i + 1] = landmarks468[3 * MEDIAPIPE_TO_IBUG68[i] + 1];
  }
  // The iris centre where the gaze model expects the Iris model's (irisCentreInHead: the iris ring's
  // centre on the eye's front surface, moved by the eye's turn as the iris plane moves).
  const iris = new Float32Array(30);
  const rig = computeAvatarRig(data.model, data.neutralVertices);
  const point = new Float64Array(3);
  [rig.eyeRight, rig.eyeLeft].filter((e) => e !== null).forEach((eye, e) => {
    irisCentreInHead(eyeIrisGeometry(eye), (truth.gazeYawDeg * Math.PI) / 180, (truth.gazePitchDeg * Math.PI) / 180, point);
    const [x, y] = project(point[0], point[1], point[2], truth, camera);
    iris[15 * e] = x + noisePx * gaussian();
    iris[15 * e + 1] = y + noisePx * gaussian();
  });
  return { landmarks468, landmarks68, iris };
}

/** Light and image variation of one rendered frame. */
export interface FrameLook {
  /** 27 SH coefficients (data.light varied). */
  light: Float32Array;
  /** Background sRGB colour at the top and bottom (a vertical gradient). */
  backgroundTop: [number, number, number];
  backgroundBottom: [number, number, number];
  /** Gaussian pixel noise sigma, 0..255 units. */
  noise: number;
}

/** Random light (brightness 0.6-1.3x, a shifted key direction, a tint), background and noise up to `maxNoise`. */
export function randomLook(data: AvatarData, random: () => number, maxNoise = 6): FrameLook {
  const light = Float32Array.from(data.light);
  const gain = 0.6 + 0.7 * random();
  const shift = [2 * random() - 1, 2 * random() - 1, 2 * random() - 1];
  for (let c = 0; c < 3; c++) {
    const tint = 1 + 0.2 * (random() - 0.5);
    const dc = light[9 * c];
    for (let k = 0; k < 9; k++) light[9 * c + k] *= gain * tint;
    for (let k = 0; k < 3; k++) light[9 * c + 1 + k] += 0.35 * gain * dc * shift[k];
  }
  const grey = () => 40 + 170 * random();
  return {
    light,
    backgroundTop: [grey(), grey(), grey()],
    backgroundBottom: [grey(), grey(), grey()],
    noise: maxNoise * random(),
  };
}

/** The avatar with the truth's weights, pose and gaze, rendered by the project's rasterizer over a background. */
export function renderTruth(
  data: AvatarData,
  truth: TrackingTruth,
  camera: { focal: number; cx: number; cy: number },
  size: { width: number; height: number },
  look: FrameLook,
  random: () => number,
): RgbaImage {
  const posed: AvatarData = {
    ...data,
    expression: Float32Array.from(truth.weights),
    light: look.light,
    camera: { ...camera, rotation: truth.rotation, translation: truth.translation },
  };
  const scene = buildPreviewScene(posed, posed.expression);
  // Turn the eyeballs: their vertices follow the head's in the scene, in rig part order.
  let offset = data.model.vertexCount * 3;
  const gazed = gazedEyes(data, truth);
  const gaze = eulerDegreesToRotation(truth.gazeYawDeg, truth.gazePitchDeg, 0);
  for (const part of computeAvatarRig(data.model, data.neutralVertices).parts) {
    const eye = gazed.find((e) => e.name === part.name);
    if (eye) {
      scene.positions.set(eye.positions, offset);
      for (let i = offset; i < offset + eye.positions.length; i += 3) {
        const x = scene.normals[i], y = scene.normals[i + 1], z = scene.normals[i + 2];
        scene.normals[i] = gaze[0] * x + gaze[1] * y + gaze[2] * z;
        scene.normals[i + 1] = gaze[3] * x + gaze[4] * y + gaze[5] * z;
        scene.normals[i + 2] = gaze[6] * x + gaze[7] * y + gaze[8] * z;
      }
    }
    offset += part.positions.length;
  }
  const { render } = renderInPhoto(posed, size, { scene, mouthInterior: true });
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const out = new Uint8ClampedArray(size.width * size.height * 4);
  for (let y = 0; y < size.height; y++) {
    const s = y / (size.height - 1);
    for (let x = 0; x < size.width; x++) {
      const p = 4 * (y * size.width + x);
      const covered = render.data[p + 3] > 0;
      for (let c = 0; c < 3; c++) {
        const background = (1 - s) * look.backgroundTop[c] + s * look.backgroundBottom[c];
        out[p + c] = (covered ? render.data[p + c] : background) + look.noise * gaussian();
      }
      out[p + 3] = 255;
    }
  }
  return { width: size.width, height: size.height, data: out };
}
