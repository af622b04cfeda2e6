/**
 * Messages between the page (./client.ts) and the avatar worker (./avatar-worker.ts). Everything
 * here is structured-cloneable; typed arrays in replies are transferred (./transfer.ts).
 */
import type { PhotoAvatarErrorCode } from '../errors.js';
import type { AvatarMaterialParameters } from '../avatar-file/format.js';
import type { CompactGlbOptions } from '../export/compact-glb.js';
import type { HairMesh, HairTone } from '../hair/hair-mesh.js';
import type { HairShapeFit, HairStyle } from '../hair/index.js';
import type { RuntimeInfo, RuntimeOptions } from '../inference/runtime.js';
import type { HeadModel } from '../modelpack/head-model.js';
import type { CreateAvatarOptions } from '../pipeline.js';
import type { AvatarArrayOptions, AvatarArrays, HairArrays } from '../plugin/build-arrays.js';
import type { FaceTrackerOptions, TrackedFrame, TrackerCalibration } from '../tracking/face-tracker.js';
import type { AvatarData, ProgressEvent, RgbaImage } from '../types.js';

/** What a photo becomes before it crosses: pixels, an encoded file, or a bitmap (DOM elements cannot cross). */
export type PortablePhoto = RgbaImage | Blob | ImageBitmap;

/** CreateAvatarOptions without the callbacks, which stay on the page. */
export type PortableCreateOptions = Omit<CreateAvatarOptions, 'onProgress' | 'signal'>;

export interface PortableError {
  code: PhotoAvatarErrorCode;
  message: string;
}

export type PageMessage =
  | {
    type: 'create';
    id: number;
    photos: PortablePhoto[];
    /** Several photos of one person (an array was given), even when it holds one. */
    several: boolean;
    options: PortableCreateOptions;
    /** The page has no decoded copy of the model yet: send it back with the result. */
    returnModel: boolean;
    /** Also compute the avatar's build arrays (../plugin/build-arrays.ts) with these options. */
    buildArrays: AvatarArrayOptions | null;
    runtime: RuntimeOptions;
    /** Absolute asset folder: ort's WASM glue is loaded from it by URL, and asset bytes unless assetsFromPage. */
    assetBaseUrl: string;
    /** The application set its own asset loader: ask the page for asset bytes. */
    assetsFromPage: boolean;
  }
  | { type: 'abort'; id: number }
  | { type: 'asset'; request: number; bytes?: Uint8Array; error?: PortableError }
  /** Live tracking (../tracking/live.ts): a FaceTracker for `tracker` in the worker; replies 'track-ready' to `id`. */
  | {
    type: 'track-start';
    id: number;
    tracker: number;
    data: AvatarData;
    options: FaceTrackerOptions;
    runtime: RuntimeOptions;
    assetBaseUrl: string;
    assetsFromPage: boolean;
  }
  /** One video frame (its pixels transferred); replies 'tracked' to `id`. */
  | { type: 'track-frame'; id: number; tracker: number; image: RgbaImage; timeSeconds: number }
  /** A calibration frame (its pixels transferred; FaceTracker.calibrate); replies 'track-calibrated' to `id`. */
  | { type: 'track-calibrate'; id: number; tracker: number; image: RgbaImage }
  | { type: 'track-stop'; tracker: number }
  /**
   * Avatar.exportCompactGLB in the worker; replies 'exported' to `id`. In this and 'hair-mesh' the
   * model crosses only when the worker does not hold it: `modelToken` names one it holds (from a
   * 'done' or an earlier reply), and when it no longer holds that one it replies 'model-missing' and
   * the page sends the model.
   */
  | ({ type: 'export-compact'; id: number; data: Omit<AvatarData, 'model'>; options: CompactGlbOptions } & ModelReference)
  /**
   * A .avatar file read (readAvatarFileContents: albedo decode, head shape, hair fit) and its build
   * arrays computed in the worker, for loadAvatar; replies 'avatar-read' to `id`. The page resolved
   * the file's model (resolveAvatarFileModel) and references it.
   */
  | ({ type: 'read-avatar'; id: number; bytes: Uint8Array; buildArrays: AvatarArrayOptions } & ModelReference)
  /** Avatar.setHair / setHairColor's fitted hair and its vertex data, in the worker; replies 'hair-made' to `id`. */
  | ({ type: 'hair-mesh'; id: number; style: HairStyle; neutralVertices: Float32Array; tone: HairTone; fit: HairShapeFit } & ModelReference);

/** The model a message needs: itself, or the token of one the worker holds (see 'export-compact'). */
export type ModelReference = { model: HeadModel; modelToken: null } | { model: null; modelToken: number };

export type WorkerMessage =
  | { type: 'progress'; id: number; event: ProgressEvent }
  /** `modelToken`: names the avatar's model to later 'export-compact' messages. */
  | { type: 'done'; id: number; data: Omit<AvatarData, 'model'>; model?: HeadModel; modelToken: number; arrays?: AvatarArrays; runtime: RuntimeInfo }
  /** The compact GLB's bytes (transferred), and the token of the model it was written with. */
  | { type: 'exported'; id: number; bytes: Uint8Array; modelToken: number }
  /** The file's avatar data without its model, its material settings and build arrays (transferred). */
  | { type: 'avatar-read'; id: number; data: Omit<AvatarData, 'model'>; material: AvatarMaterialParameters | undefined; arrays: AvatarArrays; modelToken: number }
  /** The hair fitted to the head (its arrays transferred), and the token of the model it was fitted with. */
  | { type: 'hair-made'; id: number; mesh: HairMesh; arrays: HairArrays; modelToken: number }
  | { type: 'model-missing'; id: number }
  | { type: 'failed'; id: number; error: PortableError }
  | { type: 'track-ready'; id: number }
  | { type: 'tracked'; id: number; frame: TrackedFrame | null }
  | { type: 'track-calibrated'; id: number; calibration: TrackerCalibration }
  | { type: 'asset'; request: number; fileName: string }
  /** An error nothing in the worker caught (e.g. inside onnxruntime-web): kept for the timeout message. */
  | { type: 'uncaught'; message: string };
