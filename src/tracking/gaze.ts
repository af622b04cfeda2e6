/**
 * Gaze from the irises: the eye rotation that puts each eyeball's pupil (pupilDepth in front of
 * its pivot) on the observed iris centre, given the head pose solved from the landmarks.
 *
 * The eyeballs are the avatar's own (pivot and radius from its eye parts), so the answer is the
 * rotation to give its eye joints. Both eyes share one direction (a far target; vergence is below
 * what an iris point can tell), found by a few Gauss-Newton steps on 2 unknowns with a numeric
 * Jacobian. Direction for (yaw, pitch) in model space: (sin yaw cos pitch, sin pitch, cos yaw cos
 * pitch); yaw > 0 looks towards +X (the subject's left), pitch > 0 looks up.
 */
import { computeAvatarRig } from '../export/avatar-rig.js';
import type { SubMesh } from '../modelpack/head-model.js';
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

interface Eye {
  pivot: [number, number, number];
  radius: number;
  /** Offset of this eye's iris centre in FaceObservation.iris (subject's right eye first). */
  irisOffset: number;
}

/** Vertices within this distance of the eye's axis count as the pupil's. */
const PUPIL_AXIS_RADIUS = 0.0015;

/**
 * How far in front of its pivot the gaze solve puts the eye's iris centre: the innermost of the eye
 * part's forward surfaces on its axis (MakeHuman's eye: the iris at 12.2 mm, under a cornea whose apex
 * is at 16.5 mm); an eye that is one sphere gives its front. Not the apex: on the project's renders,
 * which paint the pupil on the cornea (it moves like a point at 15 mm), the Iris model's centre moves
 * like a point at 12.1-12.4 mm across and 9.6-10.3 mm up and down, measured by bench/track-iris.ts;
 * the apex would read every gaze about 0.75x too small.
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

export class GazeSolver {
  private readonly eyes: Eye[];
  private readonly residual = new Float64Array(4);
  private readonly probe = new Float64Array(4);
  private readonly yawColumn = new Float64Array(4);
  /** Per eye, where the observed iris centre sits relative to the eyeball's front pole (model space, metres; see calibrate). */
  private readonly irisOffsets = new Float64Array(6);

  constructor(data: AvatarData) {
    const rig = computeAvatarRig(data.model, data.neutralVertices);
    this.eyes = [];
    if (rig.eyeRight) this.eyes.push({ pivot: [...rig.eyeRight.pivot] as [number, number, number], radius: pupilDepth(rig.eyeRight), irisOffset: 0 });
    if (rig.eyeLeft) this.eyes.push({ pivot: [...rig.eyeLeft.pivot] as [number, number, number], radius: pupilDepth(rig.eyeLeft), irisOffset: 15 });
  }

  get hasEyes(): boolean {
    return this.eyes.length > 0;
  }

  /**
   * Learns where the iris model puts each iris centre relative to the eyeball's front pole, from a
   * frame whose eyes look straight ahead (gaze 0 in the head's frame) with the head at (rotation,
   * translation): the pixel residual, back-projected at the eye's depth, is kept in head space and
   * subtracted from later frames. Without it a pupil drawn or seen off the pole (a texture, the lids
   * covering the iris's top) reads as a constant gaze offset. Null clears it.
   */
  calibrate(iris: Float32Array | null, rotation: ArrayLike<number>, translation: ArrayLike<number>, intrinsics: { focal: number; cx: number; cy: number }): void {
    this.irisOffsets.fill(0);
    if (!iris || !this.hasEyes) return;
    const r = this.residual;
    this.residuals(iris, rotation, translation, intrinsics, 0, 0, r);
    const R = rotation;
    this.eyes.forEach((eye, e) => {
      const depth = -(R[6] * eye.pivot[0] + R[7] * eye.pivot[1] + R[8] * (eye.pivot[2] + eye.radius) + translation[2]);
      // Residual = projected pole - observed: the offset moves the pole onto the observation.
      const dx = (-r[2 * e] * depth) / intrinsics.focal, dy = (r[2 * e + 1] * depth) / intrinsics.focal;
      for (let c = 0; c < 3; c++) this.irisOffsets[3 * e + c] = R[c] * dx + R[3 + c] * dy;
    });
  }

  /**
   * Solves the shared gaze from the iris centres (FaceObservation.iris), starting at `start`, for
   * the head at (rotation, translation) seen through `intrinsics`. Writes into `out`.
   */
  solve(
    iris: Float32Array,
    rotation: ArrayLike<number>,
    translation: ArrayLike<number>,
    intrinsics: { focal: number; cx: number; cy: number },
    start: Gaze,
    out: Gaze,
  ): Gaze {
    let yaw = start.yawRad, pitch = start.pitchRad;
    if (!this.hasEyes) { out.yawRad = 0; out.pitchRad = 0; return out; }
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
    const dx = Math.sin(yaw) * Math.cos(pitch), dy = Math.sin(pitch), dz = Math.cos(yaw) * Math.cos(pitch);
    const offsets = this.irisOffsets;
    this.eyes.forEach((eye, e) => {
      const x = eye.pivot[0] + eye.radius * dx + offsets[3 * e];
      const y = eye.pivot[1] + eye.radius * dy + offsets[3 * e + 1];
      const z = eye.pivot[2] + eye.radius * dz + offsets[3 * e + 2];
      const px = R[0] * x + R[1] * y + R[2] * z + t[0];
      const py = R[3] * x + R[4] * y + R[5] * z + t[1];
      const pz = R[6] * x + R[7] * y + R[8] * z + t[2];
      const invDepth = -1 / pz;
      out[2 * e] = intrinsics.cx + intrinsics.focal * px * invDepth - iris[eye.irisOffset];
      out[2 * e + 1] = intrinsics.cy - intrinsics.focal * py * invDepth - iris[eye.irisOffset + 1];
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
