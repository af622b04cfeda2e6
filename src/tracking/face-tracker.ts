/**
 * Live face tracking for one avatar: per video frame, the face models (detection only when the face
 * was lost, otherwise FaceMesh on the previous frame's crop), then the avatar's own expression
 * weights and head pose (expression-solver.ts), the gaze from the irises (gaze.ts), and One-Euro
 * smoothing (one-euro.ts). Engine-independent: the Babylon side (babylon.ts) applies and records
 * the frames, the CLI writes them to a GLB animation.
 */
import { eulerDegreesToRotation, rotationToEulerDegrees } from '../fitting/camera-math.js';
import { photoIntrinsics } from '../fitting/fit-face.js';
import { FaceAnalyzer, selectFace, type IrisEyes, type MeshModel } from '../inference/face/analyzer.js';
import { LEFT_EYE, LEFT_EYE_CORNERS, RIGHT_EYE, RIGHT_EYE_CORNERS } from '../inference/face/mesh-regions.js';
import type { Backend } from '../inference/runtime.js';
import { getFaceAnalyzer } from '../pipeline.js';
import { PhotoAvatarError } from '../errors.js';
import type { AvatarData, FaceObservation, RgbaImage } from '../types.js';
import { ExpressionSolver, type ExpressionSolverOptions } from './expression-solver.js';
import { GazeSolver, writeEyeLookWeights, type Gaze, type IrisReading } from './gaze.js';
import { fitLimbus, LimbusScratch } from './limbus.js';
import { OneEuroFilter, type OneEuroParameters } from './one-euro.js';

export interface FaceTrackerOptions extends ExpressionSolverOptions {
  backend?: 'auto' | Backend;
  /** Temporal smoothing, or false for none (default: One-Euro, minCutoff 1.5 Hz, beta 1.5, derivativeCutoff 1 Hz). */
  smoothing?: Partial<OneEuroParameters> | false;
  /** Camera focal length in pixels (default normalLensFocal, 1.2 x the frame's longer side: a webcam frame shows its lens's whole field, where a photo may be cropped to the face). */
  focal?: number;
  /** Faces smaller than this (box side, px) are not tracked (default 48). */
  minFaceSize?: number;
  /**
   * Landmark calibration (ExpressionSolver.calibrate): 'photo' (default) learns the face models'
   * offsets from the avatar's own photo, its observed mesh and fitted expression; false: none.
   * FaceTracker.calibrate(neutralFrame) replaces it from a frame of the tracked person.
   */
  calibration?: 'photo' | false;
  /**
   * Run the Iris model (the costliest per frame) on one eye every other frame, alternating eyes, and
   * predict an eye's iris on the other frames from its last measurement moved by the other eye's
   * measured motion (both eyes turn together); the limbus refinement (refineIris) still reads both
   * irises on every frame's image. Default true; false runs Iris on both eyes every frame.
   */
  alternateIris?: boolean;
  /**
   * The landmark model: 'faceMesh' (FaceMesh, then Iris per alternateIris) or 'attention' (MediaPipe's
   * attention FaceMesh: one call gives the mesh and both irises every frame; alternateIris is ignored)
   * or 'attentionIris' (FaceMesh's mesh, the attention model's irises).
   */
  meshModel?: MeshModel;
  /**
   * Run FaceMesh on each frame's crop and on the crop flipped left to right, and average the two
   * (default true; FaceMesh's 468 points, not meshModel 'attention'). FaceMesh reads a turned or
   * open-mouthed face with biases that change sign in the mirror image and with per-frame noise;
   * on the synthetic bench the average cut the head-pose error by 0.1 deg and the gaze error by
   * 0.4 deg on each seed, for one more FaceMesh run a frame (6-8 ms on the 2-core machine).
   */
  mirroredMesh?: boolean;
  /**
   * FaceTracker.calibrate(frame) also learns where the iris model puts the irises when the eyes look
   * straight ahead (default true: the calibration frame must look into the camera). The avatar's photo
   * never calibrates the gaze: its eyes may look anywhere.
   */
  calibrateGaze?: boolean;
  /**
   * FaceTracker.calibrate(frame) also takes the frame's head pose as straight ahead (default true:
   * the calibration frame must face the camera). The landmark model's own bias on that frame (on the
   * synthetic bench its solved yaw was 1.4 deg off) then goes into the per-point correction instead
   * of into every later frame's pose. false solves the frame's pose like any other frame's.
   */
  calibratePose?: boolean;
  /**
   * Refine each iris centre on the image's limbus (limbus.ts: the iris's edge against the sclera
   * between the lids) before the gaze solve, both eyes every frame, and place the eyes across by
   * their corners (alongEyeLine) (default true). Eyes where too little of the edge shows keep the
   * Iris model's centre. False: the Iris model's centres as they are.
   */
  refineIris?: boolean;
}

/** What a calibration frame showed (FaceTracker.calibrate; LiveFaceTracker.calibrate). */
export interface TrackerCalibration {
  /** The frame's head pose solved from its landmarks, degrees (held as straight ahead unless `calibratePose` is false). */
  framePose: { yawDeg: number; pitchDeg: number; rollDeg: number };
}

export interface TrackedFrame {
  /** Expression weights in the avatar's expressionNames order, 0..1 (eyeLook* from the gaze). */
  weights: Float32Array;
  /** Head pose in degrees, as AvatarData.pose (yaw, pitch, roll of the head as the camera sees it). */
  pose: { yawDeg: number; pitchDeg: number; rollDeg: number };
  /** Model-to-camera rotation (row-major 3x3) and translation (metres), after smoothing. */
  rotation: Float64Array;
  translation: Float64Array;
  /** Eye rotation shared by both eyes: yaw > 0 looks towards the subject's left, pitch > 0 up. */
  gaze: { yawDeg: number; pitchDeg: number };
  /** The face the models saw. */
  face: FaceObservation;
  /** Mean distance between the observed mesh points and the solved avatar's, pixels. */
  landmarkErrorPx: number;
  /** True when the face detector ran on this frame (first frame, or the face was lost). */
  detected: boolean;
  /** The iris centres measured for the gaze (x, y per eye, the subject's right first; before alongEyeLine) and which reading each is. */
  gazeIris: { centres: Float32Array; readings: IrisReading[] };
  /** Milliseconds: detect, faceMesh, iris, solve, gaze (with the limbus refinement), total. */
  timings: Record<string, number>;
}

const DEFAULT_SMOOTHING: OneEuroParameters = { minCutoff: 1.5, beta: 1.5, derivativeCutoff: 1 };
/** Eyes more closed than this give no gaze: the iris model then sees lids. */
const BLINK_HIDES_IRIS = 0.5;
/**
 * With alternateIris, the Iris model runs on every IRIS_FRAME_STRIDE-th frame (one eye, alternating).
 * On the synthetic bench (both irises refined on the limbus every frame) every other frame read the
 * gaze as well as every frame did (2.57 / 2.16 / 2.95 deg against 2.58 / 2.19 / 2.94 deg) and saved
 * 3.5 ms a frame. Its cost: after a saccade an eye's prediction lags until the limbus finds it.
 */
const IRIS_FRAME_STRIDE = 2;
const DEG = 180 / Math.PI;
/** The head facing the camera: the model's axes along the camera's. */
const STRAIGHT_AHEAD = eulerDegreesToRotation(0, 0, 0);
/** Per eye (subject's right, left): its corner pair and where its 5 iris points sit in FaceObservation.iris. */
const IRIS_EYES = [{ corners: RIGHT_EYE_CORNERS, lids: RIGHT_EYE, offset: 0 }, { corners: LEFT_EYE_CORNERS, lids: LEFT_EYE, offset: 15 }] as const;

/** One eye's last two Iris measurements, relative to the midpoint of its corners (image pixels). */
interface IrisMemory {
  /** x, y, z of the 5 iris points at the last measurement, x and y relative to the corners' midpoint. */
  last: Float32Array;
  lastFrame: number;
  /** Relative iris centre (x, y) at the measurement before. */
  before: Float64Array;
  beforeFrame: number;
}

function eyeMidpoint(points: Float32Array, corners: readonly [number, number]): [number, number] {
  return [(points[3 * corners[0]] + points[3 * corners[1]]) / 2, (points[3 * corners[0] + 1] + points[3 * corners[1] + 1]) / 2];
}

/** The four eye corners, the subject's right eye first. */
const EYE_CORNERS = [...RIGHT_EYE_CORNERS, ...LEFT_EYE_CORNERS];

/**
 * Moves both iris centres in `iris` (FaceObservation.iris layout) by the eye corners' mean residual
 * (observed `points` minus the solved model's `fitted` points) along the line between the outer
 * corners, so that the eyeballs sit where the corners are seen rather than where the whole face's
 * fit put them. The head's sideways error follows the gaze (the bench's tracked gaze yaw read
 * 0.82-0.90x with the iris centres exact to 0.1 px) and the expressions the solve misses; the
 * corners pin the eyes across. Not up and down: part-closed lids move FaceMesh's corners there
 * (registering both ways made seed 7's gaze 3.66 -> 4.0 deg).
 */
export function alongEyeLine(points: Float32Array, fitted: Float32Array, iris: Float32Array): void {
  const [outerRight, , , outerLeft] = EYE_CORNERS;
  let ax = points[3 * outerLeft] - points[3 * outerRight], ay = points[3 * outerLeft + 1] - points[3 * outerRight + 1];
  const length = Math.hypot(ax, ay);
  if (!(length > 0)) return;
  ax /= length; ay /= length;
  let along = 0;
  for (const i of EYE_CORNERS) along += (points[3 * i] - fitted[2 * i]) * ax + (points[3 * i + 1] - fitted[2 * i + 1]) * ay;
  along /= EYE_CORNERS.length;
  for (const { offset } of IRIS_EYES) {
    iris[offset] -= along * ax;
    iris[offset + 1] -= along * ay;
  }
}

export class FaceTracker {
  private previous: FaceObservation | null = null;
  private readonly gaze: Gaze = { yawRad: 0, pitchRad: 0 };
  private readonly channels: Float64Array;
  private readonly filter: OneEuroFilter | null;
  private readonly blinkIndices: number[];
  private readonly intrinsicsFor: (image: RgbaImage) => { focal: number; cx: number; cy: number };
  private readonly irisMemory: IrisMemory[] = IRIS_EYES.map(() => ({ last: new Float32Array(15), lastFrame: -Infinity, before: new Float64Array(2), beforeFrame: -Infinity }));
  private frameNumber = 0;
  private readonly limbusScratch = new LimbusScratch();

  private constructor(
    readonly data: AvatarData,
    private readonly analyzer: FaceAnalyzer,
    private readonly solver: ExpressionSolver,
    private readonly gazeSolver: GazeSolver,
    private readonly options: FaceTrackerOptions,
  ) {
    const E = data.model.expressionNames.length;
    // Channels: weights, yaw/pitch/roll (rad), translation (m), gaze yaw/pitch (rad).
    this.channels = new Float64Array(E + 8);
    this.filter = options.smoothing === false ? null : new OneEuroFilter(E + 8, { ...DEFAULT_SMOOTHING, ...options.smoothing });
    this.blinkIndices = data.model.expressionNames.flatMap((name, k) => (/^eyeBlink/i.test(name) ? [k] : []));
    this.intrinsicsFor = (image) => photoIntrinsics(image.width, image.height, options.focal);
  }

  static async create(data: AvatarData, options: FaceTrackerOptions = {}): Promise<FaceTracker> {
    const backend = options.backend ?? 'auto';
    const solver = new ExpressionSolver(data, options);
    const photo = data.face?.landmarks468;
    if ((options.calibration ?? 'photo') === 'photo' && photo?.length === 468 * 3 && data.camera) {
      await solver.calibrate(data.face, data.camera, data.expression);
    }
    const analyzer = await getFaceAnalyzer(backend);
    if ((options.meshModel ?? 'faceMesh') !== 'faceMesh') await analyzer.loadAttentionMesh();
    return new FaceTracker(data, analyzer, solver, new GazeSolver(data), options);
  }

  /**
   * Calibrates the landmarks on a frame where the tracked person shows `weights` (default: a
   * neutral face, all 0) and, unless `calibrateGaze` is false, the irises (the person looks into
   * the camera), then restarts tracking. Returns the face seen and the head pose solved on it.
   * Throws NO_FACE when the frame has no face. The frame's mesh is read steadily, averaged over
   * 7 crops round the face and their mirror images (FaceAnalyzer.steadyMesh, 14 FaceMesh runs
   * once): every later frame is measured against it, so one crop's noise would bias them all.
   * `framePose` is the head pose the frame shows as solved from its landmarks (with `calibratePose`
   * it becomes straight ahead): an application can ask the person to face the camera when it is
   * far from zero.
   */
  async calibrate(image: RgbaImage, weights?: ArrayLike<number>): Promise<TrackerCalibration & { face: FaceObservation; rotation: Float64Array; translation: Float64Array }> {
    const seen = selectFace(await this.analyzer.analyze(image, { maxFaces: 1, meshModel: this.meshModel, mirroredMesh: this.mirroredMesh }), { minFaceSize: this.options.minFaceSize ?? 48 });
    const face = await this.analyzer.steadyMesh(image, seen, this.meshModel);
    const intrinsics = this.intrinsicsFor(image);
    const pose = await this.solver.calibrate(face, intrinsics, weights ?? new Float64Array(this.expressionNames.length), this.options.calibratePose === false ? undefined : STRAIGHT_AHEAD);
    if (this.options.calibrateGaze !== false) {
      const refined = this.refineIris(image, face, pose.rotation, pose.translation, intrinsics, { yawRad: 0, pitchRad: 0 });
      for (const [e, { offset }] of IRIS_EYES.entries()) if (refined.readings[e] !== 'limbus') refined.iris.fill(NaN, offset, offset + 15);
      this.gazeSolver.calibrate(face.iris, pose.rotation, pose.translation, intrinsics, refined.readings.includes('limbus') ? refined.iris : null);
    }
    this.reset();
    return { face, rotation: pose.rotation, translation: pose.translation, framePose: rotationToEulerDegrees(pose.frameRotation) };
  }

  private get meshModel(): MeshModel {
    return this.options.meshModel ?? 'faceMesh';
  }

  private get mirroredMesh(): boolean {
    return this.options.mirroredMesh ?? this.meshModel !== 'attention';
  }

  get expressionNames(): readonly string[] {
    return this.data.model.expressionNames;
  }

  /** Forget the previous frame (a cut in the video): the next frame detects and solves from scratch. */
  reset(): void {
    this.previous = null;
    this.solver.reset();
    this.filter?.reset();
    this.gaze.yawRad = 0;
    this.gaze.pitchRad = 0;
    for (const memory of this.irisMemory) memory.lastFrame = memory.beforeFrame = -Infinity;
  }

  /** Both eyes unless alternating, with both measured within the last two frames: then the one measured longer ago. */
  private irisEyesFor(frameNumber: number): IrisEyes {
    const [right, left] = this.irisMemory;
    if (this.options.alternateIris === false || Math.min(right.lastFrame, left.lastFrame) < frameNumber - 2 * IRIS_FRAME_STRIDE) return 'both';
    if (frameNumber % IRIS_FRAME_STRIDE !== 0) return 'none';
    return right.lastFrame <= left.lastFrame ? 'right' : 'left';
  }

  /** Remembers the eyes Iris measured on this frame and fills in the other's prediction. */
  private completeIris(face: FaceObservation, frameNumber: number): void {
    const { iris, landmarks468: points } = face;
    const measured = IRIS_EYES.map(({ offset }) => !Number.isNaN(iris[offset]));
    IRIS_EYES.forEach(({ corners, offset }, e) => {
      if (!measured[e]) return;
      const memory = this.irisMemory[e];
      const [mx, my] = eyeMidpoint(points, corners);
      memory.before[0] = memory.last[0];
      memory.before[1] = memory.last[1];
      memory.beforeFrame = memory.lastFrame;
      for (let i = 0; i < 15; i += 3) {
        memory.last[i] = iris[offset + i] - mx;
        memory.last[i + 1] = iris[offset + i + 1] - my;
        memory.last[i + 2] = iris[offset + i + 2];
      }
      memory.lastFrame = frameNumber;
    });
    IRIS_EYES.forEach(({ corners, offset }, e) => {
      if (measured[e]) return;
      const memory = this.irisMemory[e], other = this.irisMemory[1 - e];
      // The measured eye's iris velocity (pixels per frame relative to its corners), applied to this one.
      const span = other.lastFrame - other.beforeFrame;
      const elapsed = frameNumber - memory.lastFrame;
      const vx = Number.isFinite(span) ? (other.last[0] - other.before[0]) / span : 0;
      const vy = Number.isFinite(span) ? (other.last[1] - other.before[1]) / span : 0;
      const [mx, my] = eyeMidpoint(points, corners);
      for (let i = 0; i < 15; i += 3) {
        iris[offset + i] = mx + memory.last[i] + vx * elapsed;
        iris[offset + i + 1] = my + memory.last[i + 1] + vy * elapsed;
        iris[offset + i + 2] = memory.last[i + 2];
      }
    });
  }

  /**
   * The frame's iris points with each centre refined on the limbus where it shows (fitLimbus; the
   * eye's other 4 points move with it), for the head at (rotation, translation) and the eyes near
   * `gaze`, and which reading each eye's centre is. Without refinement: the Iris model's points.
   */
  private refineIris(
    image: RgbaImage,
    face: FaceObservation,
    rotation: ArrayLike<number>,
    translation: ArrayLike<number>,
    intrinsics: { focal: number },
    gaze: Gaze,
  ): { iris: Float32Array; readings: IrisReading[] } {
    const iris = Float32Array.from(face.iris);
    const readings: IrisReading[] = IRIS_EYES.map(() => 'model');
    if (this.options.refineIris === false) return { iris, readings };
    IRIS_EYES.forEach(({ lids, corners, offset }, e) => {
      const shape = this.gazeSolver.irisEllipse(offset, rotation, translation, intrinsics, gaze);
      if (!shape || Number.isNaN(iris[offset])) return;
      const fit = fitLimbus(image, iris[offset], iris[offset + 1], shape, face.landmarks468, lids, corners, this.limbusScratch);
      if (!fit) return;
      const dx = fit.x - iris[offset], dy = fit.y - iris[offset + 1];
      for (let i = offset; i < offset + 15; i += 3) { iris[i] += dx; iris[i + 1] += dy; }
      readings[e] = 'limbus';
    });
    return { iris, readings };
  }

  /**
   * Tracks one frame taken at `timeSeconds` (for the smoothing; frames must come in time order).
   * Returns null when no face is found; the next frame then detects again.
   */
  async track(image: RgbaImage, timeSeconds: number): Promise<TrackedFrame | null> {
    const started = performance.now();
    const timings: Record<string, number> = { detect: 0, faceMesh: 0, iris: 0, solve: 0, gaze: 0 };
    const frameNumber = ++this.frameNumber;
    let face = this.previous ? await this.analyzer.trackFace(image, this.previous, timings, this.irisEyesFor(frameNumber), this.meshModel, this.mirroredMesh) : null;
    const detected = face === null;
    if (!face) {
      this.solver.reset();
      const t = performance.now();
      const analysis = await this.analyzer.analyze(image, { maxFaces: 1, refineMesh: true, meshModel: this.meshModel, mirroredMesh: this.mirroredMesh });
      timings.detect = performance.now() - t - analysis.timings.faceMesh - analysis.timings.iris;
      timings.faceMesh += analysis.timings.faceMesh;
      timings.iris += analysis.timings.iris;
      if (analysis.faces.length === 0) {
        this.previous = null;
        return null;
      }
      face = selectFace(analysis, { minFaceSize: this.options.minFaceSize ?? 48 });
    }
    this.completeIris(face, frameNumber);
    this.previous = face;
    const intrinsics = this.intrinsicsFor(image);

    let t = performance.now();
    const names = this.expressionNames;
    const solved = await this.solver.solve(face, intrinsics, this.channels);
    timings.solve = performance.now() - t;

    t = performance.now();
    let blink = 0;
    for (const k of this.blinkIndices) blink = Math.max(blink, solved.weights[k]);
    let gazeIris: { iris: Float32Array; readings: IrisReading[] } = { iris: face.iris, readings: ['model', 'model'] };
    if (blink < BLINK_HIDES_IRIS) {
      gazeIris = this.refineIris(image, face, solved.rotation, solved.translation, intrinsics, this.gaze);
      const registered = Float32Array.from(gazeIris.iris);
      if (this.options.refineIris !== false) alongEyeLine(face.landmarks468, solved.fitted, registered);
      this.gazeSolver.solve(registered, solved.rotation, solved.translation, intrinsics, this.gaze, this.gaze, gazeIris.readings);
    }
    writeEyeLookWeights(this.gaze, names, solved.weights);
    timings.gaze = performance.now() - t;

    const E = names.length;
    const channels = this.channels;
    channels.set(solved.weights);
    const pose = rotationToEulerDegrees(solved.rotation);
    channels[E] = pose.yawDeg / DEG;
    channels[E + 1] = pose.pitchDeg / DEG;
    channels[E + 2] = pose.rollDeg / DEG;
    channels.set(solved.translation, E + 3);
    channels[E + 6] = this.gaze.yawRad;
    channels[E + 7] = this.gaze.pitchRad;
    this.filter?.filter(channels, timeSeconds);
    const smoothedPose = { yawDeg: channels[E] * DEG, pitchDeg: channels[E + 1] * DEG, rollDeg: channels[E + 2] * DEG };
    const weights = new Float32Array(E);
    for (let k = 0; k < E; k++) weights[k] = Math.min(1, Math.max(0, channels[k]));
    timings.total = performance.now() - started;
    return {
      weights,
      pose: smoothedPose,
      rotation: this.filter ? eulerDegreesToRotation(smoothedPose.yawDeg, smoothedPose.pitchDeg, smoothedPose.rollDeg) : solved.rotation,
      translation: channels.slice(E + 3, E + 6),
      gaze: { yawDeg: channels[E + 6] * DEG, pitchDeg: channels[E + 7] * DEG },
      face,
      gazeIris: { centres: Float32Array.of(gazeIris.iris[0], gazeIris.iris[1], gazeIris.iris[15], gazeIris.iris[16]), readings: gazeIris.readings },
      landmarkErrorPx: solved.errorPx,
      detected,
      timings,
    };
  }
}

/**
 * Expression weights, head pose and gaze of `avatar` (an Avatar or its AvatarData) in one image:
 * detection, landmarks and a cold solve, no smoothing. Throws NO_FACE when the image has no face.
 */
export async function trackFaceInImage(
  avatar: AvatarData | { data: AvatarData },
  image: RgbaImage,
  options: Omit<FaceTrackerOptions, 'smoothing'> = {},
): Promise<TrackedFrame> {
  const data = 'data' in avatar ? avatar.data : avatar;
  const tracker = await FaceTracker.create(data, { ...options, smoothing: false });
  const frame = await tracker.track(image, 0);
  if (!frame) throw new PhotoAvatarError('NO_FACE', `No face was found in the ${image.width}x${image.height} image.`);
  return frame;
}
