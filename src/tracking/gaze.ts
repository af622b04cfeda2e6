/**
 * Gaze from the irises: the eye rotation that puts each eye's expected iris centre
 * (irisCentreInHead: the iris ring's centre on the eye's front surface, turned with the eye as the
 * iris plane turns) on the observed one, given the head pose solved from the landmarks.
 *
 * The eyeballs are the avatar's own (pivot and radius from its eye parts), so the answer is the
 * rotation to give its eye joints. Both eyes share one direction (a far target; vergence is below
 * what an iris point can tell), found by a few Gauss-Newton steps on 2 unknowns with a numeric
 * Jacobian. Direction for (yaw, pitch) in model space: (sin yaw cos pitch, sin pitch, cos yaw cos
 * pitch); yaw > 0 looks towards +X (the subject's left), pitch > 0 looks up.
 */
import { computeAvatarRig } from '../export/avatar-rig.js';
import { IRIS_RADIUS } from '../materials/eye-texture.js';
import type { SubMesh } from '../modelpack/head-model.js';
import type { IrisEllipseShape } from './limbus.js';
import { blendshapeKey } from '../plugin/arkit.js';
import type { AvatarData } from '../types.js';

export interface Gaze {
  yawRad: number;
  pitchRad: number;
}

/** Gaze angle at which an eyeLook* target reaches weight 1. */
export const FULL_LOOK_RAD = (30 * Math.PI) / 180;
/** Gaze beyond this is clamped (what eyes manage without turning the head). */
const MAX_GAZE_RAD = (45 * Math.PI) / 180;
const ITERATIONS = 4;
const STEP = 1e-3;
/** Pull towards looking straight ahead, relative to one pixel of iris error per radian. */
const DAMPING = 1e-2;
/**
 * Residual scale of an eye read by the Iris model beside one refined on the limbus (see IrisReading):
 * about the ratio of their errors on the bench's renders (0.1-0.2 px against 0.6 px each way).
 */
const MODEL_BESIDE_LIMBUS = 0.3;

/** Where an eye's observed iris centre sits in the head (see irisCentreInHead). */
export interface EyeIrisGeometry {
  pivot: ArrayLike<number>;
  /** How far the observed iris centre moves per radian of eye rotation within the head (pupilDepth). */
  radius: number;
  /** How far in front of the pivot the observed iris centre sits when the eye looks ahead (irisRingDepth). */
  ringDepth: number;
}

interface Eye extends EyeIrisGeometry {
  /** Offset of this eye's iris centre in FaceObservation.iris (subject's right eye first). */
  irisOffset: number;
  /**
   * The same eye for an iris centre measured on the image's limbus (limbus.ts): the painted ring
   * turns rigidly with the eye, so its centre moves like a point at the ring's depth.
   */
  limbus: EyeIrisGeometry;
}

/** Which reading an eye's iris centre is: the Iris model's, or refined on the limbus (GazeSolver.solve). */
export type IrisReading = 'model' | 'limbus';

export function eyeIrisGeometry(part: Pick<SubMesh, 'positions' | 'indices' | 'pivot'>): EyeIrisGeometry {
  return { pivot: Array.from(part.pivot), radius: pupilDepth(part), ringDepth: irisRingDepth(part) };
}

/**
 * Model-space point where the iris model's centre is expected for the eye turned by (yaw, pitch),
 * written into `out` at `at`: the ring's centre when looking ahead, moved as the iris plane moves.
 */
export function irisCentreInHead(eye: EyeIrisGeometry, yaw: number, pitch: number, out: Float64Array, at = 0): void {
  const dx = Math.sin(yaw) * Math.cos(pitch), dy = Math.sin(pitch), dz = Math.cos(yaw) * Math.cos(pitch);
  out[at] = eye.pivot[0] + eye.radius * dx;
  out[at + 1] = eye.pivot[1] + eye.radius * dy;
  out[at + 2] = eye.pivot[2] + eye.ringDepth + eye.radius * (dz - 1);
}

/** Vertices within this distance of the eye's axis count as the pupil's. */
const PUPIL_AXIS_RADIUS = 0.0015;

/**
 * How far the gaze solve moves the eye's iris centre per radian of the eye's turn within the head:
 * the innermost of the eye part's forward surfaces on its axis (MakeHuman's eye: the iris at 12.2 mm,
 * under a cornea whose apex is at 16.5 mm); an eye that is one sphere gives its front. Not the
 * cornea: on the project's renders, which paint the iris on the cornea (irisRingDepth), the Iris
 * model's centre moves with the eye's turn like a point at 12.7 mm across and 10.3 mm up and down
 * (bench/track-iris.ts, lids following the gaze); the apex would read every gaze about 0.75x too small.
 */
export function pupilDepth(part: Pick<SubMesh, 'positions' | 'pivot'>): number {
  const p = part.positions, c = part.pivot;
  let front = 0;
  for (let i = 0; i < p.length; i += 3) front = Math.max(front, p[i + 2] - c[2]);
  let depth = front;
  for (let i = 0; i < p.length; i += 3) {
    const z = p[i + 2] - c[2];
    if (z > front / 2 && Math.hypot(p[i] - c[0], p[i + 1] - c[1]) < PUPIL_AXIS_RADIUS) depth = Math.min(depth, z);
  }
  return depth;
}

/** Rays cast around the iris ring onto the eye part's surface (irisRingDepth). */
const RING_RAYS = 24;

/**
 * How far in front of its pivot the centre of the iris ring sits when the eye looks straight ahead,
 * as the eye part shows it: eye-texture.ts paints the iris by a planar projection along the gaze,
 * so what is seen is the ring on the part's front-most surface at the iris radius (MakeHuman's eye:
 * its cornea, about 15 mm), not on the iris plane behind it (12.2 mm). A head turn moves the Iris
 * model's centre like a point at this depth (bench/track-iris.ts, the straight-ahead frames at 20°
 * yaw and 12° pitch against the frontal one: 14.1-14.9 mm), while the eye's own rotation moves it
 * like the iris plane (pupilDepth: the model reads the ring's motion within the lids short). A part
 * that does not reach the iris radius gives its pupilDepth.
 */
export function irisRingDepth(part: Pick<SubMesh, 'positions' | 'indices' | 'pivot'>): number {
  const p = part.positions, index = part.indices, c = part.pivot;
  let sum = 0, hits = 0;
  for (let ray = 0; ray < RING_RAYS; ray++) {
    const angle = (2 * Math.PI * ray) / RING_RAYS;
    const x = c[0] + IRIS_RADIUS * Math.cos(angle), y = c[1] + IRIS_RADIUS * Math.sin(angle);
    const front = frontmostHit(p, index, x, y);
    if (front > -Infinity) { sum += front - c[2]; hits++; }
  }
  const depth = hits > 0 ? sum / hits : 0;
  return Math.max(depth, pupilDepth(part));
}

/** Largest z where the line through (x, y) parallel to Z meets the triangle mesh, or -Infinity. */
function frontmostHit(p: Float32Array, index: Uint32Array, x: number, y: number): number {
  let best = -Infinity;
  for (let t = 0; t < index.length; t += 3) {
    const a = 3 * index[t], b = 3 * index[t + 1], d = 3 * index[t + 2];
    const e1x = p[b] - p[a], e1y = p[b + 1] - p[a + 1], e2x = p[d] - p[a], e2y = p[d + 1] - p[a + 1];
    const det = e1x * e2y - e1y * e2x;
    if (Math.abs(det) < 1e-14) continue;
    const rx = x - p[a], ry = y - p[a + 1];
    const u = (rx * e2y - ry * e2x) / det, v = (e1x * ry - e1y * rx) / det;
    if (u < 0 || v < 0 || u + v > 1) continue;
    best = Math.max(best, p[a + 2] + u * (p[b + 2] - p[a + 2]) + v * (p[d + 2] - p[a + 2]));
  }
  return best;
}

export class GazeSolver {
  private readonly eyes: Eye[];
  private readonly residual = new Float64Array(4);
  private readonly probe = new Float64Array(4);
  private readonly yawColumn = new Float64Array(4);
  private readonly point = new Float64Array(3);
  /** Per eye, where the observed iris centre sits relative to the expected one looking ahead (model space, metres; see calibrate). */
  private readonly irisOffsets = new Float64Array(6);
  /** The same for limbus-refined centres. */
  private readonly limbusOffsets = new Float64Array(6);
  /** Per eye (FaceObservation.iris order), the reading of the centres being solved. */
  private readings: ArrayLike<IrisReading> = ['model', 'model'];

  constructor(data: AvatarData) {
    const rig = computeAvatarRig(data.model, data.neutralVertices);
    this.eyes = [];
    for (const [eye, irisOffset] of [[rig.eyeRight, 0], [rig.eyeLeft, 15]] as const) {
      if (!eye) continue;
      const geometry = eyeIrisGeometry(eye);
      this.eyes.push({ ...geometry, irisOffset, limbus: { ...geometry, radius: geometry.ringDepth } });
    }
  }

  get hasEyes(): boolean {
    return this.eyes.length > 0;
  }

  /**
   * Learns where the iris model puts each iris centre relative to the expected one (irisCentreInHead
   * at gaze 0), from a frame whose eyes look straight ahead (gaze 0 in the head's frame) with the head at (rotation,
   * translation): the pixel residual, back-projected at the eye's depth, is kept in head space and
   * subtracted from later frames. Without it a pupil drawn or seen off that point (a texture, the lids
   * covering the iris's top) reads as a constant gaze offset. `limbusIris`, the same frame's centres
   * refined on the limbus (NaN where not), calibrates those readings apart. Null clears it.
   */
  calibrate(
    iris: Float32Array | null,
    rotation: ArrayLike<number>,
    translation: ArrayLike<number>,
    intrinsics: { focal: number; cx: number; cy: number },
    limbusIris: Float32Array | null = null,
  ): void {
    this.irisOffsets.fill(0);
    this.limbusOffsets.fill(0);
    if (!iris || !this.hasEyes) return;
    this.learnOffsets(iris, 'model', rotation, translation, intrinsics, this.irisOffsets);
    if (limbusIris) this.learnOffsets(limbusIris, 'limbus', rotation, translation, intrinsics, this.limbusOffsets);
  }

  /** calibrate for one reading; an eye whose centre is NaN keeps offset 0. */
  private learnOffsets(
    iris: Float32Array,
    reading: IrisReading,
    R: ArrayLike<number>,
    translation: ArrayLike<number>,
    intrinsics: { focal: number; cx: number; cy: number },
    offsets: Float64Array,
  ): void {
    const r = this.residual;
    this.readings = [reading, reading];
    this.residuals(iris, R, translation, intrinsics, 0, 0, r);
    this.eyes.forEach((eye, e) => {
      if (Number.isNaN(r[2 * e])) return;
      const depth = -(R[6] * eye.pivot[0] + R[7] * eye.pivot[1] + R[8] * (eye.pivot[2] + eye.ringDepth) + translation[2]);
      // Residual = expected centre - observed: the offset moves the expected centre onto the observation.
      const dx = (-r[2 * e] * depth) / intrinsics.focal, dy = (r[2 * e + 1] * depth) / intrinsics.focal;
      for (let c = 0; c < 3; c++) offsets[3 * e + c] = R[c] * dx + R[3 + c] * dy;
    });
  }

  /**
   * The iris disc of the eye whose centre sits at `irisOffset` in FaceObservation.iris, as the camera
   * sees it with the head at (rotation, translation) and the eyes turned by `gaze`: its radius in
   * pixels and how it is foreshortened (fitLimbus's ellipse). Null when the avatar has no such eye.
   */
  irisEllipse(
    irisOffset: number,
    rotation: ArrayLike<number>,
    translation: ArrayLike<number>,
    intrinsics: { focal: number },
    gaze: Gaze,
  ): IrisEllipseShape | null {
    const eye = this.eyes.find((candidate) => candidate.irisOffset === irisOffset);
    if (!eye) return null;
    const R = rotation, point = this.point;
    irisCentreInHead(eye.limbus, gaze.yawRad, gaze.pitchRad, point);
    const cx = R[0] * point[0] + R[1] * point[1] + R[2] * point[2] + translation[0];
    const cy = R[3] * point[0] + R[4] * point[1] + R[5] * point[2] + translation[1];
    const cz = R[6] * point[0] + R[7] * point[1] + R[8] * point[2] + translation[2];
    // The disc's normal (the eye's gaze) in the camera's frame.
    const hx = Math.sin(gaze.yawRad) * Math.cos(gaze.pitchRad), hy = Math.sin(gaze.pitchRad), hz = Math.cos(gaze.yawRad) * Math.cos(gaze.pitchRad);
    const nx = R[0] * hx + R[1] * hy + R[2] * hz, ny = R[3] * hx + R[4] * hy + R[5] * hz, nz = R[6] * hx + R[7] * hy + R[8] * hz;
    const distance = Math.hypot(cx, cy, cz);
    const foreshortening = Math.abs(nx * cx + ny * cy + nz * cz) / distance;
    // Image y points down.
    const axisLength = Math.hypot(nx, ny) || 1;
    return { radius: (intrinsics.focal * IRIS_RADIUS) / -cz, foreshortening, axisX: nx / axisLength, axisY: -ny / axisLength };
  }

  /**
   * Solves the shared gaze from the iris centres (FaceObservation.iris), starting at `start`, for
   * the head at (rotation, translation) seen through `intrinsics`. Writes into `out`. `readings`
   * says per eye (FaceObservation.iris order) whether its centre is the Iris model's or refined on
   * the limbus: each has its own geometry and calibration.
   */
  solve(
    iris: Float32Array,
    rotation: ArrayLike<number>,
    translation: ArrayLike<number>,
    intrinsics: { focal: number; cx: number; cy: number },
    start: Gaze,
    out: Gaze,
    readings: ArrayLike<IrisReading> = ['model', 'model'],
  ): Gaze {
    let yaw = start.yawRad, pitch = start.pitchRad;
    if (!this.hasEyes) { out.yawRad = 0; out.pitchRad = 0; return out; }
    this.readings = readings;
    const r = this.residual, p = this.probe;
    for (let it = 0; it < ITERATIONS; it++) {
      this.residuals(iris, rotation, translation, intrinsics, yaw, pitch, r);
      this.residuals(iris, rotation, translation, intrinsics, yaw + STEP, pitch, p);
      let a = 0, b = 0, d = 0, gy = 0, gp = 0;
      const rows = 2 * this.eyes.length;
      const jy = this.yawColumn;
      for (let k = 0; k < rows; k++) jy[k] = (p[k] - r[k]) / STEP;
      this.residuals(iris, rotation, translation, intrinsics, yaw, pitch + STEP, p);
      for (let k = 0; k < rows; k++) {
        const jp = (p[k] - r[k]) / STEP;
        a += jy[k] * jy[k]; b += jy[k] * jp; d += jp * jp;
        gy += jy[k] * r[k]; gp += jp * r[k];
      }
      a += DAMPING * (a + 1); d += DAMPING * (d + 1);
      gy += DAMPING * yaw; gp += DAMPING * pitch;
      const det = a * d - b * b;
      if (!(det > 0)) break;
      const dy = -(d * gy - b * gp) / det, dp = -(a * gp - b * gy) / det;
      yaw = clamp(yaw + dy, MAX_GAZE_RAD);
      pitch = clamp(pitch + dp, MAX_GAZE_RAD);
      if (Math.abs(dy) + Math.abs(dp) < 1e-5) break;
    }
    out.yawRad = yaw;
    out.pitchRad = pitch;
    return out;
  }

  /** Projected pupil minus observed iris centre, per eye (x, y). */
  private residuals(
    iris: Float32Array,
    R: ArrayLike<number>,
    t: ArrayLike<number>,
    intrinsics: { focal: number; cx: number; cy: number },
    yaw: number,
    pitch: number,
    out: Float64Array,
  ): void {
    const point = this.point;
    const mixed = this.readings[0] !== this.readings[1];
    this.eyes.forEach((eye, e) => {
      const limbus = this.readings[eye.irisOffset / 15] === 'limbus';
      const scale = mixed && !limbus ? MODEL_BESIDE_LIMBUS : 1;
      const offsets = limbus ? this.limbusOffsets : this.irisOffsets;
      irisCentreInHead(limbus ? eye.limbus : eye, yaw, pitch, point);
      const x = point[0] + offsets[3 * e], y = point[1] + offsets[3 * e + 1], z = point[2] + offsets[3 * e + 2];
      const px = R[0] * x + R[1] * y + R[2] * z + t[0];
      const py = R[3] * x + R[4] * y + R[5] * z + t[1];
      const pz = R[6] * x + R[7] * y + R[8] * z + t[2];
      const invDepth = -1 / pz;
      out[2 * e] = scale * (intrinsics.cx + intrinsics.focal * px * invDepth - iris[eye.irisOffset]);
      out[2 * e + 1] = scale * (intrinsics.cy - intrinsics.focal * py * invDepth - iris[eye.irisOffset + 1]);
    });
  }
}

function clamp(value: number, limit: number): number {
  return Math.max(-limit, Math.min(limit, value));
}

/**
 * ARKit eyeLook* weights for a gaze, written into `weights` at the model's eyeLook indices: the
 * subject's left eye looks "out" towards +X, the right eye "in" towards +X.
 */
export function writeEyeLookWeights(gaze: Gaze, names: readonly string[], weights: Float64Array): void {
  const right = Math.max(0, gaze.yawRad) / FULL_LOOK_RAD, left = Math.max(0, -gaze.yawRad) / FULL_LOOK_RAD;
  const up = Math.max(0, gaze.pitchRad) / FULL_LOOK_RAD, down = Math.max(0, -gaze.pitchRad) / FULL_LOOK_RAD;
  const amounts: Record<string, number> = {
    eyelookoutl: right, eyelookinr: right, eyelookinl: left, eyelookoutr: left,
    eyelookupl: up, eyelookupr: up, eyelookdownl: down, eyelookdownr: down,
  };
  names.forEach((name, k) => {
    const amount = amounts[blendshapeKey(name)];
    if (amount !== undefined) weights[k] = Math.min(1, amount);
  });
}
