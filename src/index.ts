/**
 * babylon-photo-avatar: public API, the package's browser entry. Browser-safe: no Node module is
 * reachable from here (Node-only code lives in src/node/ and src/cli/; index.node.ts adds it).
 *
 *   const avatar = await createAvatarFromPhoto(scene, file, { onProgress, signal });
 *   avatar.setExpression('jawOpen', 0.6);
 */
export { createAvatarFromPhoto, type PhotoSource, type PhotoAvatarOptions } from './plugin/create-avatar.js';
export { terminateAvatarWorker, type WorkerChoice } from './worker/client.js';
export { buildAvatar, buildAvatarInSlices, type BuildAvatarOptions } from './plugin/build-avatar.js';
export { prepareAvatarArrays, type AvatarArrays } from './plugin/build-arrays.js';
export type { SliceOptions, StepsReport } from './steps.js';
export { Avatar } from './plugin/avatar.js';
export { frameAvatar, PORTRAIT_FOV, type FrameAvatarOptions } from './plugin/frame-avatar.js';
export { CreateAvatarAction, inspectorExplorerExtension, type CreateAvatarActionOptions, type CreateAvatarActionState, type CreateOverrides } from './plugin/editor/create-avatar-action.js';
export { createAvatarData, loadDefaultHead, getFaceAnalyzer, type CreateAvatarOptions } from './pipeline.js';
export { FaceAnalyzer, selectFace } from './inference/face/analyzer.js';
export { describeFaces, type FaceChoice } from './inference/face/face-choice.js';
export { fitFace } from './fitting/fit-face.js';
export { fitFaces, type ViewObservation, type MultiViewFitResult } from './fitting/fit-multi-view.js';
export { shapeFromObj, modelWithGivenShape } from './modelpack/given-shape.js';
export { estimateAlbedo } from './albedo/albedo.js';
export { writeGlb, type GlbOptions } from './export/glb.js';
export { writeCompactGlb, type CompactGlbOptions } from './export/compact-glb.js';
export { useBundledMeshoptDecoder } from './plugin/meshopt-decoder.js';
export { FaceTracker, trackFaceInImage, type FaceTrackerOptions, type TrackedFrame, type TrackerCalibration } from './tracking/face-tracker.js';
export { applyTrackedFrame, TrackingRecorder } from './tracking/babylon-animation.js';
export { LiveFaceTracker, type LiveFrameDetail, type LiveTrackingOptions } from './tracking/live.js';
export { addClipToGlb, clipFromFrames, type TrackedClip } from './tracking/animation.js';
export { writeAvatarFile, readAvatarFile, readAvatarFileContents, isAvatarFile } from './avatar-file/format.js';
export { registerAvatarLoaders, registerModelPack, resolveModelPack, loadAvatar, getAvatar } from './plugin/avatar-loader.js';
export { readPack, writePack, type ReadPackOptions } from './modelpack/format.js';
export { decodeShape, type HeadModel, type SubMesh } from './modelpack/head-model.js';
export { decodeImage } from './image/decode.js';
export { HAIR_STYLES, isHairStyle, supportsHair, type AvatarHair, type HairOption, type HairStyle, type HairClass } from './hair/index.js';
export { configureRuntime, runtimeInfo, type Backend, type RuntimeOptions, type RuntimeInfo } from './inference/runtime.js';
export { setAssetBaseUrl, setAssetLoader } from './assets.js';
export { PhotoAvatarError, type PhotoAvatarErrorCode } from './errors.js';
export type * from './types.js';
