/**
 * Face analysis on onnxruntime-web with the converted MediaPipe models (see
 * ../tfjs-to-onnx/face-models.ts): BlazeFace detection on a letterboxed 256² image, FaceMesh on a
 * rotated square crop around each face (MediaPipe's ROI: box x1.5, roll from the eyes), a second
 * FaceMesh pass with the crop re-centred on the first mesh (the tracking ROI MediaPipe uses between
 * video frames; it tightens landmarks noticeably on stills), Iris on each eye crop, and Selfie
 * segmentation for person masks. All crops are built directly as NCHW tensors by cropAffine.
 */
import { PhotoAvatarError } from '../../errors.js';
import { ASSET_FILES, loadAsset } from '../../assets.js';
import { applyAffine, cropAffine, flipPlanesHorizontally, squareCropMatrix } from '../../image/resize.js';
import type { Box, FaceAnalysisResult, FaceObservation, Mask, RgbaImage } from '../../types.js';
import { createSession, ort, prepareRuntime, type Backend } from '../runtime.js';
import { ATTENTION_MESH, FACE_MODELS, FACE_MODEL_INPUT, type FaceModelKey, type FaceModelSpec } from '../tfjs-to-onnx/face-models.js';
import { blazeFaceAnchors, decodeBlazeFace, weightedNms, type RawDetection } from './blazeface.js';
import { MEDIAPIPE_TO_IBUG68 } from './ibug68.js';
import { averageWithMirrored } from './mesh-mirror.js';
import { ATTENTION_LEFT_EYE_TO_MESH, ATTENTION_LIPS_TO_MESH, ATTENTION_RIGHT_EYE_TO_MESH } from './attention-refinement.js';
import { RIGHT_EYE_LOOP, LEFT_EYE_LOOP } from './mediapipe-regions.js';
import { LEFT_EYE_CORNERS, RIGHT_EYE_CORNERS } from './mesh-regions.js';
import { buildSkinMask, personProbabilityToImage } from './skin-mask.js';

export interface FaceAnalyzerOptions {
  backend?: 'auto' | Backend;
  /** Where model bytes come from (default: loadAsset, i.e. assets/generated). */
  loadModel?: (fileName: string) => Promise<Uint8Array>;
}

export interface AnalyzeOptions {
  /** At most this many faces, highest detector score first (default 10). */
  maxFaces?: number;
  /** Detector score threshold (default 0.5, MediaPipe's). */
  minDetectionScore?: number;
  /** Run the second FaceMesh pass on a crop re-centred on the first mesh (default true). */
  refineMesh?: boolean;
  /** The landmark model (default 'faceMesh'); 'attention' needs loadAttentionMesh() first. */
  meshModel?: MeshModel;
  /**
   * Also run FaceMesh on the horizontally flipped crop and average the two estimates of each point
   * (default false; FaceMesh's 468 points only, so not with meshModel 'attention'). The model's
   * left-right biases cancel and its per-frame noise drops, for twice its time: face tracking
   * uses it (../../tracking/face-tracker.ts, mirroredMesh).
   */
  mirroredMesh?: boolean;
  /**
   * The eyes the Iris model runs on (default 'both'; the others' iris entries are NaN). 'none'
   * for callers that read the detection and mesh scores alone (the upright check, ./pose-sanity.ts):
   * two Iris runs per face they would throw away.
   */
  irisEyes?: IrisEyes;
}

/**
 * 'faceMesh': FaceMesh, then the Iris model on each eye crop. 'attention': MediaPipe's attention
 * FaceMesh, whose own iris points (both eyes, every call) replace the Iris model. 'attentionIris':
 * FaceMesh's 468 points with the attention model's irises (both models on the same crop).
 */
export const MESH_MODELS = ['faceMesh', 'attention', 'attentionIris'] as const;
export type MeshModel = (typeof MESH_MODELS)[number];

/** A square crop in the image: centre, side in pixels, rotation (radians, clockwise in y-down images). */
interface Roi {
  cx: number;
  cy: number;
  size: number;
  angle: number;
}

/** Which eyes (the subject's) the Iris model runs on (FaceAnalyzer.trackFace, AnalyzeOptions.irisEyes). */
export type IrisEyes = 'both' | 'right' | 'left' | 'none';

/** MediaPipe enlarges face boxes by 1.5 for FaceMesh and eye-corner spans by 2.3 for Iris. */
const MESH_ROI_SCALE = 1.5;
const IRIS_ROI_SCALE = 2.3;
const MIN_MESH_SCORE = 0.5;
const REFINE_PASSES = 1;
/** steadyMesh's crops round the face's own: centre shift (share of the crop's side) and scale. */
const STEADY_CROPS: readonly [number, number, number][] = [[0, 0, 1], [-0.03, 0, 1], [0.03, 0, 1], [0, -0.03, 1], [0, 0.03, 1], [0, 0, 0.94], [0, 0, 1.06]];

type Outputs = Record<string, Float32Array>;

class ModelRunner {
  constructor(
    private readonly session: ort.InferenceSession,
    readonly spec: FaceModelSpec,
  ) {}

  get inputSize(): [number, number] {
    return this.spec.inputSize;
  }

  get inputRange(): [number, number] {
    return this.spec.inputRange;
  }

  async run(input: Float32Array): Promise<Outputs> {
    const [h, w] = this.inputSize;
    const feeds = { [FACE_MODEL_INPUT]: new ort.Tensor('float32', input, [1, 3, h, w]) };
    const results = await this.session.run(feeds);
    const outputs: Outputs = {};
    for (const { name } of this.spec.outputs) {
      const tensor = results[name];
      outputs[name] = tensor.data as Float32Array;
    }
    return outputs;
  }

  release(): Promise<void> {
    return this.session.release();
  }
}

export class FaceAnalyzer {
  private readonly anchors = blazeFaceAnchors(FACE_MODELS.faceDetector.inputSize[0]);
  private readonly personMasks = new WeakMap<RgbaImage, Promise<Mask>>();
  private disposed = false;
  private attentionRunner: Promise<ModelRunner> | null = null;

  private constructor(
    private readonly runners: Record<FaceModelKey, ModelRunner>,
    readonly backend: Backend,
    private readonly loadModel: (fileName: string) => Promise<Uint8Array>,
    private readonly backendOption: 'auto' | Backend | undefined,
  ) {}

  static async create(options: FaceAnalyzerOptions = {}): Promise<FaceAnalyzer> {
    // ort copies a model into its own memory: the 5 MB of ONNX bytes need not stay cached.
    const load = options.loadModel ?? ((fileName: string) => loadAsset(fileName, { keep: false }));
    const keys = Object.keys(FACE_MODELS) as FaceModelKey[];
    // ort's binary is read and inflated while the models are read (a failure surfaces again in
    // createSession, which waits on the same preparation).
    prepareRuntime(options.backend).catch(() => {});
    const loaded = await Promise.all(
      keys.map(async (key) => {
        let bytes: Uint8Array;
        try {
          bytes = await load(ASSET_FILES[key]);
        } catch (error) {
          throw new PhotoAvatarError('MISSING_ASSET', `Face model ${ASSET_FILES[key]} is unavailable: ${(error as Error).message}`, { cause: error });
        }
        return { key, loaded: await createSession(bytes, { backend: options.backend }) };
      }),
    );
    const runners = {} as Record<FaceModelKey, ModelRunner>;
    for (const { key, loaded: session } of loaded) runners[key] = new ModelRunner(session.session, FACE_MODELS[key]);
    // The whole analyzer reports WebGPU only when every model runs there.
    const backend: Backend = loaded.every(({ loaded: s }) => s.backend === 'webgpu') ? 'webgpu' : 'wasm';
    return new FaceAnalyzer(runners, backend, load, options.backend);
  }

  /** Loads the attention FaceMesh (meshModel 'attention'); once per analyzer, later calls wait for the first. */
  loadAttentionMesh(): Promise<void> {
    this.attentionRunner ??= (async () => {
      let bytes: Uint8Array;
      try {
        bytes = await this.loadModel(ATTENTION_MESH.onnxFile);
      } catch (error) {
        this.attentionRunner = null;
        throw new PhotoAvatarError('MISSING_ASSET', `Face model ${ATTENTION_MESH.onnxFile} is unavailable: ${(error as Error).message}`, { cause: error });
      }
      return new ModelRunner((await createSession(bytes, { backend: this.backendOption })).session, ATTENTION_MESH);
    })();
    return this.attentionRunner.then(() => undefined);
  }

  async analyze(image: RgbaImage, options: AnalyzeOptions = {}): Promise<FaceAnalysisResult> {
    this.checkUsable(image);
    const timings: Record<string, number> = { detector: 0, faceMesh: 0, iris: 0 };
    const started = now();
    const detections = await this.detect(image, options.minDetectionScore ?? 0.5, timings);
    const maxFaces = options.maxFaces ?? 10;
    const faces: FaceObservation[] = [];
    for (const detection of detections) {
      if (faces.length >= maxFaces) break;
      const face = await this.analyzeFace(image, detection, options.refineMesh ?? true, timings, options.meshModel ?? 'faceMesh', options.mirroredMesh ?? false, options.irisEyes ?? 'both');
      if (!face) continue;
      // Two detections of one face converge to the same mesh: keep the first (higher score).
      if (faces.some((other) => boxOverlap(other.box, face.box) > 0.5)) continue;
      faces.push(face);
    }
    faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
    timings.total = now() - started;
    return { imageWidth: image.width, imageHeight: image.height, faces, backend: this.backend, timings };
  }

  /**
   * `face` (from analyze with irisEyes 'none') with its irises: the Iris model on both eyes, as
   * analyze would have run it. A caller that keeps one face of several runs Iris on that face
   * alone (createAvatarData: the sample photo's three faces took 6 Iris runs, 2 are kept).
   */
  async withIris(image: RgbaImage, face: FaceObservation, timings?: Record<string, number>): Promise<FaceObservation> {
    this.checkUsable(image);
    const t = now();
    const iris = await this.irisOf(image, face.landmarks468, 'both');
    if (timings) timings.iris = (timings.iris ?? 0) + now() - t;
    return { ...face, iris };
  }

  /** Skin region of one face in image space: mesh face oval minus eyes, brows and lips, within the person mask. */
  async skinMask(image: RgbaImage, face: FaceObservation): Promise<Mask> {
    this.checkUsable(image);
    return buildSkinMask(face.landmarks468, await this.personMask(image));
  }

  /** The face's own pixels: the mesh face oval (brows, eyelids and lips included), within the person mask. */
  async faceMask(image: RgbaImage, face: FaceObservation): Promise<Mask> {
    this.checkUsable(image);
    return buildSkinMask(face.landmarks468, await this.personMask(image), { keepFeatures: true });
  }

  /** Selfie-segmentation person mask at image resolution (255 = person); cached per image object. */
  personMask(image: RgbaImage): Promise<Mask> {
    this.checkUsable(image);
    let pending = this.personMasks.get(image);
    if (!pending) {
      pending = this.segment(image);
      this.personMasks.set(image, pending);
    }
    return pending;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const attention = this.attentionRunner ? [await this.attentionRunner] : [];
    await Promise.all([...Object.values(this.runners), ...attention].map((runner) => runner.release()));
  }

  private checkUsable(image: RgbaImage): void {
    if (this.disposed) throw new PhotoAvatarError('INVALID_ARGUMENT', 'This FaceAnalyzer was disposed.');
    if (!(image.width > 0 && image.height > 0) || image.data.length < image.width * image.height * 4) {
      throw new PhotoAvatarError('INVALID_ARGUMENT', `Not an RGBA image: ${image.width}x${image.height} with ${image.data.length} bytes.`);
    }
  }

  /**
   * Detections in image pixels (box centre/size, keypoints), best score first. The whole image is
   * letterboxed first; when that finds nothing (faces under ~10% of the longest side are below the
   * detector's reach at 256²), overlapping half-size tiles are searched as well.
   */
  private async detect(image: RgbaImage, minScore: number, timings: Record<string, number>): Promise<RawDetection[]> {
    const longest = Math.max(image.width, image.height);
    let candidates = await this.detectInSquare(image, (image.width - 1) / 2, (image.height - 1) / 2, longest, minScore, timings);
    if (candidates.length === 0 && longest >= 512) {
      const tile = Math.ceil(longest / 2);
      for (const cy of tileCentres(image.height, tile)) {
        for (const cx of tileCentres(image.width, tile)) {
          candidates = candidates.concat(await this.detectInSquare(image, cx, cy, tile, minScore, timings));
        }
      }
    }
    return weightedNms(candidates);
  }

  /** Raw candidates from one detector run on the square (cx, cy, side), mapped to image pixels. */
  private async detectInSquare(image: RgbaImage, centreX: number, centreY: number, side: number, minScore: number, timings: Record<string, number>): Promise<RawDetection[]> {
    const runner = this.runners.faceDetector;
    const [size] = runner.inputSize;
    const matrix = squareCropMatrix(centreX, centreY, side, 0, size);
    const input = cropAffine(image, matrix, size, size, undefined, { range: runner.inputRange, border: 'zero' });
    const t = now();
    const out = await runner.run(input);
    timings.detector += now() - t;
    const scores = concat(out.Identity, out.Identity_1);
    const regressors = concat(out.Identity_2, out.Identity_3);
    const scale = side / size;
    return decodeBlazeFace(scores, regressors, this.anchors, minScore).map((d) => {
      const [cx, cy] = applyAffine(matrix, d.cx, d.cy);
      const keypoints = new Float32Array(12);
      for (let k = 0; k < 6; k++) {
        const [x, y] = applyAffine(matrix, d.keypoints[2 * k], d.keypoints[2 * k + 1]);
        keypoints[2 * k] = x;
        keypoints[2 * k + 1] = y;
      }
      return { cx, cy, width: d.width * scale, height: d.height * scale, keypoints, score: d.score };
    });
  }

  private async analyzeFace(image: RgbaImage, detection: RawDetection, refine: boolean, timings: Record<string, number>, meshModel: MeshModel, mirrored: boolean, irisEyes: IrisEyes): Promise<FaceObservation | null> {
    const k = detection.keypoints;
    let roi: Roi = {
      cx: detection.cx,
      cy: detection.cy,
      size: MESH_ROI_SCALE * Math.max(detection.width, detection.height),
      // BlazeFace keypoint 0 is the image-left eye, 1 the image-right eye.
      angle: Math.atan2(k[3] - k[1], k[2] - k[0]),
    };
    let mesh = await this.runMesh(image, roi, timings, meshModel, mirrored && !refine);
    for (let pass = 0; refine && pass < REFINE_PASSES && mesh.score >= MIN_MESH_SCORE; pass++) {
      roi = roiFromLandmarks(mesh.points);
      const next = await this.runMesh(image, roi, timings, meshModel, mirrored && pass === REFINE_PASSES - 1);
      if (next.score < MIN_MESH_SCORE) break;
      mesh = next;
    }
    if (mesh.score < MIN_MESH_SCORE) return null;
    const box: Box = {
      x: detection.cx - detection.width / 2,
      y: detection.cy - detection.height / 2,
      width: detection.width,
      height: detection.height,
    };
    return this.completeFace(image, mesh, box, detection.score, timings, irisEyes);
  }

  /**
   * Follows a face from the previous video frame without detection: FaceMesh on the crop around the
   * previous frame's mesh (MediaPipe's tracking ROI), then Iris. Null when the mesh model no longer
   * sees a face there (the caller detects again). `timings` accumulates faceMesh and iris ms.
   * `irisEyes` applies to meshModel 'faceMesh' only: the attention model measures both irises.
   */
  async trackFace(
    image: RgbaImage,
    previous: FaceObservation,
    timings: Record<string, number> = { faceMesh: 0, iris: 0 },
    irisEyes: IrisEyes = 'both',
    meshModel: MeshModel = 'faceMesh',
    mirroredMesh = false,
  ): Promise<FaceObservation | null> {
    this.checkUsable(image);
    const mesh = await this.runMesh(image, roiFromLandmarks(previous.landmarks468), timings, meshModel, mirroredMesh);
    if (mesh.score < MIN_MESH_SCORE) return null;
    const { cx, cy, size } = roiFromLandmarks(mesh.points);
    const side = size / MESH_ROI_SCALE;
    return this.completeFace(image, mesh, { x: cx - side / 2, y: cy - side / 2, width: side, height: side }, previous.score, timings, irisEyes);
  }

  /**
   * `face` (seen in `image`) with its mesh points averaged over FaceMesh runs on crops shifted and
   * scaled round the face's own, each also flipped (mirroredMesh): a steadier reading of one frame
   * than any single crop gives. For a tracker's calibration frame, whose reading every later frame
   * is measured against, so that its crop's noise does not become a bias of the whole session.
   */
  async steadyMesh(image: RgbaImage, face: FaceObservation, meshModel: MeshModel = 'faceMesh'): Promise<FaceObservation> {
    this.checkUsable(image);
    const around = roiFromLandmarks(face.landmarks468);
    const sum = new Float64Array(468 * 3);
    let count = 0;
    for (const [dx, dy, scale] of STEADY_CROPS) {
      const roi = { ...around, cx: around.cx + dx * around.size, cy: around.cy + dy * around.size, size: scale * around.size };
      // Only the mesh points are read: 'attentionIris' takes its mesh from FaceMesh alone.
      const mesh = await this.runMesh(image, roi, { faceMesh: 0, iris: 0 }, meshModel === 'attention' ? 'attention' : 'faceMesh', true);
      if (mesh.score < MIN_MESH_SCORE) continue;
      for (let i = 0; i < sum.length; i++) sum[i] += mesh.points[i];
      count++;
    }
    if (count === 0) return face;
    const points = Float32Array.from(sum, (value) => value / count);
    return { ...face, landmarks468: points, landmarks68: ibug68Points(points), roll: eyeLineAngle(points) };
  }

  /** Iris on the eyes asked for (the others' iris entries are NaN), and the observation's derived fields. */
  private async completeFace(
    image: RgbaImage,
    mesh: MeshResult,
    box: Box,
    score: number,
    timings: Record<string, number>,
    irisEyes: IrisEyes = 'both',
  ): Promise<FaceObservation> {
    const points = mesh.points;
    const t = now();
    const iris = mesh.iris ?? await this.irisOf(image, points, irisEyes);
    timings.iris += now() - t;
    return {
      box,
      score,
      landmarks468: points,
      iris,
      landmarks68: ibug68Points(points),
      meshScore: mesh.score,
      roll: eyeLineAngle(points),
    };
  }

  private async runMesh(image: RgbaImage, roi: Roi, timings: Record<string, number>, meshModel: MeshModel, mirrored = false): Promise<MeshResult> {
    if (meshModel === 'attentionIris') {
      const mesh = await this.runMesh(image, roi, timings, 'faceMesh', mirrored);
      const t = now();
      const { iris } = await this.runMesh(image, roi, { faceMesh: 0 }, 'attention');
      timings.iris += now() - t;
      return { ...mesh, iris };
    }
    const attention = meshModel === 'attention';
    if (attention && !this.attentionRunner) throw new PhotoAvatarError('INVALID_ARGUMENT', 'meshModel "attention" needs FaceAnalyzer.loadAttentionMesh() first.');
    const runner = attention ? await this.attentionRunner! : this.runners.faceMesh;
    const [size] = runner.inputSize;
    const matrix = squareCropMatrix(roi.cx, roi.cy, roi.size, roi.angle, size);
    const input = cropAffine(image, matrix, size, size, undefined, { range: runner.inputRange });
    const t = now();
    const out = await runner.run(input);
    timings.faceMesh += now() - t;
    const raw = attention ? out.output_mesh_identity : out.output_mesh;
    const zScale = roi.size / size;
    const points = new Float32Array(468 * 3);
    for (let i = 0; i < 468; i++) {
      // Model outputs are continuous crop pixels; -0.5 converts to pixel-centre coordinates.
      const [x, y] = applyAffine(matrix, raw[3 * i] - 0.5, raw[3 * i + 1] - 0.5);
      points[3 * i] = x;
      points[3 * i + 1] = y;
      points[3 * i + 2] = raw[3 * i + 2] * zScale;
    }
    if (mirrored && !attention) {
      flipPlanesHorizontally(input, size);
      const flippedStart = now();
      const flippedOut = await runner.run(input);
      timings.faceMesh += now() - flippedStart;
      averageWithMirrored(points, flippedOut.output_mesh, size, matrix, zScale);
    }
    if (!attention) return { points, score: out.output_faceflag[0] };
    writeRefinedPoints(out.output_lips, ATTENTION_LIPS_TO_MESH, matrix, points);
    writeRefinedPoints(out.Identity_1, ATTENTION_RIGHT_EYE_TO_MESH, matrix, points);
    writeRefinedPoints(out.Identity_5, ATTENTION_LEFT_EYE_TO_MESH, matrix, points);
    const iris = new Float32Array(30);
    writeAttentionIris(out[ATTENTION_IRIS.right], matrix, points, RIGHT_EYE_LOOP, iris, 0);
    writeAttentionIris(out[ATTENTION_IRIS.left], matrix, points, LEFT_EYE_LOOP, iris, 15);
    return { points, score: out.output_faceflag[0], iris };
  }

  /** The Iris model's 2 x 15 values on the eyes asked for (NaN for the others). */
  private async irisOf(image: RgbaImage, points: Float32Array, irisEyes: IrisEyes): Promise<Float32Array> {
    const iris = new Float32Array(30);
    // Subject's right eye (image left) as the model expects, then the left eye mirrored.
    if (irisEyes === 'both' || irisEyes === 'right') await this.runIris(image, points, RIGHT_EYE_CORNERS, false, iris, 0);
    else iris.fill(NaN, 0, 15);
    if (irisEyes === 'both' || irisEyes === 'left') await this.runIris(image, points, LEFT_EYE_CORNERS, true, iris, 15);
    else iris.fill(NaN, 15, 30);
    return iris;
  }

  /** Writes 5 iris points (centre + 4 contour, xyz) of one eye into `iris` at `offset`. */
  private async runIris(image: RgbaImage, mesh: Float32Array, corners: readonly [number, number], mirror: boolean, iris: Float32Array, offset: number): Promise<void> {
    const runner = this.runners.iris;
    const [size] = runner.inputSize;
    const x0 = mesh[3 * corners[0]], y0 = mesh[3 * corners[0] + 1];
    const x1 = mesh[3 * corners[1]], y1 = mesh[3 * corners[1] + 1];
    const roi: Roi = {
      cx: (x0 + x1) / 2,
      cy: (y0 + y1) / 2,
      size: IRIS_ROI_SCALE * Math.hypot(x1 - x0, y1 - y0),
      angle: Math.atan2(y1 - y0, x1 - x0),
    };
    const matrix = squareCropMatrix(roi.cx, roi.cy, roi.size, roi.angle, size);
    const input = cropAffine(image, matrix, size, size, undefined, { range: runner.inputRange, flipHorizontal: mirror });
    const out = (await runner.run(input)).Identity;
    const zScale = roi.size / size;
    for (let i = 0; i < 5; i++) {
      const r = (71 + i) * 3;
      let cx = out[r] - 0.5;
      if (mirror) cx = size - 1 - cx;
      const [x, y] = applyAffine(matrix, cx, out[r + 1] - 0.5);
      iris[offset + 3 * i] = x;
      iris[offset + 3 * i + 1] = y;
      iris[offset + 3 * i + 2] = out[r + 2] * zScale;
    }
  }

  private async segment(image: RgbaImage): Promise<Mask> {
    const runner = this.runners.selfie;
    const [h, w] = runner.inputSize;
    // Stretch the whole image to the model input (MediaPipe's selfie graph ignores aspect ratio).
    const sx = image.width / w, sy = image.height / h;
    const matrix = Float64Array.of(sx, 0, 0.5 * sx - 0.5, 0, sy, 0.5 * sy - 0.5);
    const input = cropAffine(image, matrix, w, h, undefined, { range: runner.inputRange });
    const out = await runner.run(input);
    return personProbabilityToImage(out.activation_10, w, h, image.width, image.height);
  }
}

interface MeshResult {
  points: Float32Array;
  score: number;
  /** The attention model's 5 iris points per eye (as FaceObservation.iris); absent for FaceMesh. */
  iris?: Float32Array;
}

/**
 * Attention-model outputs holding each eye's 5 iris points (centre first, then 4 on the ring, x y in
 * crop pixels), by the subject's eye: bench/attention-mesh.ts finds Identity_2 within 0.04-3.2 px of
 * the Iris model's right-eye centre on 8 photos and Identity_6 as close to the left one.
 */
const ATTENTION_IRIS = { right: 'Identity_2', left: 'Identity_6' } as const;

/** Refined x, y (crop pixels) onto the mesh points `toMesh` names, in image pixels; z stays the mesh's. */
function writeRefinedPoints(raw: Float32Array, toMesh: Uint16Array, matrix: Float64Array, points: Float32Array): void {
  for (let i = 0; i < toMesh.length; i++) {
    const [x, y] = applyAffine(matrix, raw[2 * i] - 0.5, raw[2 * i + 1] - 0.5);
    points[3 * toMesh[i]] = x;
    points[3 * toMesh[i] + 1] = y;
  }
}

/**
 * One eye's attention iris points into `iris` at `offset` (image pixels); their depth is the mean
 * of the eye's lid loop, as MediaPipe gives the refined irises (the model predicts no z).
 */
function writeAttentionIris(raw: Float32Array, matrix: Float64Array, points: Float32Array, lidLoop: readonly number[], iris: Float32Array, offset: number): void {
  let z = 0;
  for (const index of lidLoop) z += points[3 * index + 2];
  z /= lidLoop.length;
  for (let i = 0; i < 5; i++) {
    const [x, y] = applyAffine(matrix, raw[2 * i] - 0.5, raw[2 * i + 1] - 0.5);
    iris[offset + 3 * i] = x;
    iris[offset + 3 * i + 1] = y;
    iris[offset + 3 * i + 2] = z;
  }
}

/** MediaPipe's landmarks-to-ROI: axis-aligned mesh bounds x1.5, square, rolled along 33 -> 263. */
/** The 68 iBUG points (xy) among FaceMesh's 468 (xyz). */
function ibug68Points(points: Float32Array): Float32Array {
  const landmarks68 = new Float32Array(136);
  for (let i = 0; i < 68; i++) {
    landmarks68[2 * i] = points[3 * MEDIAPIPE_TO_IBUG68[i]];
    landmarks68[2 * i + 1] = points[3 * MEDIAPIPE_TO_IBUG68[i] + 1];
  }
  return landmarks68;
}

function roiFromLandmarks(points: Float32Array): Roi {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (let i = 0; i < points.length; i += 3) {
    const x = points[i], y = points[i + 1];
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  return {
    cx: (minX + maxX) / 2,
    cy: (minY + maxY) / 2,
    size: MESH_ROI_SCALE * Math.max(maxX - minX, maxY - minY),
    angle: eyeLineAngle(points),
  };
}

/** Angle of the line from the image-left outer eye corner (33) to the image-right one (263). */
function eyeLineAngle(points: Float32Array): number {
  return Math.atan2(points[3 * 263 + 1] - points[3 * 33 + 1], points[3 * 263] - points[3 * 33]);
}

function boxOverlap(a: Box, b: Box): number {
  const ix = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const iy = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (ix <= 0 || iy <= 0) return 0;
  return (ix * iy) / Math.min(a.width * a.height, b.width * b.height);
}

/** Centres of tiles of side `tile` along an axis of `length` pixels, overlapping by half a tile. */
function tileCentres(length: number, tile: number): number[] {
  if (length <= tile) return [(length - 1) / 2];
  const count = Math.ceil((length - tile) / (tile / 2)) + 1;
  const step = (length - tile) / (count - 1);
  return Array.from({ length: count }, (_, i) => i * step + (tile - 1) / 2);
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function now(): number {
  return performance.now();
}

export interface SelectFaceOptions {
  /**
   * Which face of `result.faces` (the analyzer's order: largest box first) to use. Unset: the
   * preferred face by the rule of selectFace.
   */
  faceIndex?: number;
  /** Smallest accepted detector box side in pixels (default 64). */
  minFaceSize?: number;
}

/**
 * Near-ties in preference are broken by position: two faces whose preference differs by less than
 * this fraction of the best one count as equal, so that the few-ULP differences between runtimes
 * (thread counts, SIMD paths) cannot flip the choice.
 */
const PREFERENCE_TIE = 0.1;

/**
 * How frontal a face is, 0 (profile) to 1 (frontal): where the nose tip falls along the line
 * between the outer eye corners (0.5 when frontal), so roll does not matter.
 */
function frontalness(face: FaceObservation): number {
  const m = face.landmarks468;
  const noseTip = 1, rightEyeOuter = RIGHT_EYE_CORNERS[0], leftEyeOuter = LEFT_EYE_CORNERS[1];
  const ex = m[3 * leftEyeOuter] - m[3 * rightEyeOuter], ey = m[3 * leftEyeOuter + 1] - m[3 * rightEyeOuter + 1];
  const eyeSpan2 = ex * ex + ey * ey;
  if (!(eyeSpan2 > 0)) return 0;
  const t = ((m[3 * noseTip] - m[3 * rightEyeOuter]) * ex + (m[3 * noseTip + 1] - m[3 * rightEyeOuter + 1]) * ey) / eyeSpan2;
  return Math.max(0, 1 - 2 * Math.abs(t - 0.5));
}

/**
 * Picks the face to build an avatar from, with user-facing errors for the usual problems.
 *
 * With `faceIndex`, that face of `result.faces`. Without, the preferred face among those at least
 * `minFaceSize` px: the largest product of relative size (box side / largest box side), frontalness
 * (frontalness above) and detector score. Faces within PREFERENCE_TIE of the best are ties, and the
 * leftmost of them (box centre, then topmost) wins. The rule reads only the analysis, so the same
 * decoded pixels give the same face in Node and in browsers.
 */
export function selectFace(result: FaceAnalysisResult, options: SelectFaceOptions = {}): FaceObservation {
  const { faceIndex, minFaceSize = 64 } = options;
  if (result.faces.length === 0) {
    throw new PhotoAvatarError('NO_FACE', `No face was found in the ${result.imageWidth}x${result.imageHeight} photo.`);
  }
  if (faceIndex !== undefined && (!Number.isInteger(faceIndex) || faceIndex < 0 || faceIndex >= result.faces.length)) {
    throw new PhotoAvatarError('FACE_INDEX_OUT_OF_RANGE', `Face index ${faceIndex} is out of range: the photo has ${result.faces.length} face(s) (indices 0-${result.faces.length - 1}).`);
  }
  const side = (face: FaceObservation) => Math.min(face.box.width, face.box.height);
  let index = faceIndex ?? 0;
  if (faceIndex === undefined) {
    const candidates = result.faces.map((face, i) => ({ face, i })).filter(({ face }) => side(face) >= minFaceSize);
    if (candidates.length > 0) {
      const largest = Math.max(...candidates.map(({ face }) => Math.sqrt(face.box.width * face.box.height)));
      const scored = candidates.map(({ face, i }) => ({
        i,
        preference: (Math.sqrt(face.box.width * face.box.height) / largest) * frontalness(face) * face.score,
        centreX: Math.round(face.box.x + face.box.width / 2),
        centreY: Math.round(face.box.y + face.box.height / 2),
      }));
      const best = Math.max(...scored.map((c) => c.preference));
      const ties = scored.filter((c) => c.preference >= best * (1 - PREFERENCE_TIE));
      ties.sort((a, b) => a.centreX - b.centreX || a.centreY - b.centreY || a.i - b.i);
      index = ties[0].i;
    }
  }
  const face = result.faces[index];
  if (side(face) < minFaceSize) {
    throw new PhotoAvatarError('FACE_TOO_SMALL', `Face ${index} is ${Math.round(face.box.width)}x${Math.round(face.box.height)} px; at least ${minFaceSize} px is needed. Use a closer or larger photo.`);
  }
  return face;
}
