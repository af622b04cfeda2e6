/**
 * `photo-avatar build-uvapm` (streaming UV albedo model builder), `photo-avatar eval-uvapm`
 * (reconstruction figures on held-out UV maps) and `photo-avatar build-uv-dataset` (UV maps with
 * confidence from photos, for packs without a UV dataset).
 */
import { existsSync, statSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PhotoAvatarError } from '../errors.js';
import { decodeImage } from '../image/decode.js';
import { readPack } from '../modelpack/format.js';
import { importHifi3dpp } from '../modelpack/importers/hifi3dpp.js';
import { buildUvapm, type BuildProgress } from '../albedo/build/builder.js';
import { fileCheckpointStore, folderSource, listUvMapFiles } from '../albedo/build/build-folder.js';
import { evaluateUvapm } from '../albedo/build/evaluate.js';
import { maskCount, maskFromImage, uvFaceMaskFromModel, uvMapSizeProblem, uvMapToPlanes } from '../albedo/build/uv-maps.js';
import { readUvapm, writeUvapm } from '../albedo/uvapm-format.js';
import { uvEvaluationRegions } from '../metrics/albedo-truth.js';
import { maskToGreyImage, uvMapsFromPhotos, uvMapStem } from '../albedo/build/uv-dataset.js';
import { CONFIDENCE_SUFFIX } from '../albedo/build/uv-maps.js';
import { loadDefaultHead } from '../pipeline.js';
import { encodePng } from '../image/encode.js';
import { intFlag, parseArgs, stringFlag } from './args.js';
import { checkOutputs, readInputFile, writeFileAtomic } from './files.js';

export const BUILD_UVAPM_HELP = `photo-avatar build-uvapm <folder of UV maps> -o <file.uvapm> [--size 256] [--components 100]
       [--mask <png> | --mask-model <hifi3dpp .mat | .pavpack> [--head]] [--strict] [--fp16] [--batch 100]
       [--checkpoint <file>] [--checkpoint-every 1000] [--backend onnx|ts] [--workers N] [--force] [--quiet]
  Builds a UV albedo parametric model: per colour channel, the mean and top-K principal components of
  the size×size maps (PNG/JPEG, square, all the same size, e.g. FFHQ-UV 1024² in the HiFi3D++ layout).
  Streaming incremental PCA: memory depends on size, K and --batch only (peak RSS about 0.65 GB at
  256², K 100, batch 100), never on the number of maps. Progress and ETA go to stderr. A checkpoint
  (default <out>.checkpoint) is replaced atomically every --checkpoint-every maps; rerunning the same
  command resumes from it, and it is deleted when the build ends. Unreadable or wrongly sized maps are
  reported by name and skipped (--strict stops instead). --mask stores a UV face mask (white = face);
  --mask-model rasterizes a model's face-skin region in its UV layout (--head: every texel of its head,
  so the coarse albedo fills every unseen texel) and records the maps' skin-colour statistics, the
  prior that lets the light, not the albedo, take up exposure and coloured light. --fp16 halves the components.
  --workers N decodes maps in N threads (default: cores − 1, 1 to 4; 0 = main thread).
  Maps with a confidence image <stem>${CONFIDENCE_SUFFIX} beside them (build-uv-dataset output) have
  their texels below --min-confidence (default 0.5) treated as missing and imputed from the model
  (EM-PCA, --em-passes passes over the maps, default 3).`;

export const BUILD_UV_DATASET_HELP = `photo-avatar build-uv-dataset <photos or folders...> -o <folder> [--model <pack>] [--size 256]
       [--all-faces] [--min-face 64] [--min-confidence 0.5] [--force] [--quiet]
  UV albedo maps from face photos, for model packs that have no UV dataset: each photo's face (with
  --all-faces every face of at least --min-face px) is fitted with the pack (default: the embedded
  head), unwrapped into its UV layout, de-lit with the estimated SH light and mirror-completed.
  Writes <photo>.png (or <photo>-face<k>.png) and <same stem>${CONFIDENCE_SUFFIX} (white = observed on
  the face or through the mirror, black = missing; build-uvapm treats black as missing data), plus
  uv-dataset.json listing every map. Photos without a usable face are reported and skipped.`;

export const EVAL_UVAPM_HELP = `photo-avatar eval-uvapm <file.uvapm> <folder of held-out UV maps> [--json] [-o report.json]
       [--regularization 1e-4] [--detail-sigma S] [--force]
  Projects each held-out map onto the model (least squares on the UV face mask with a Tikhonov
  prior) and applies the HSV detail stage; prints mean MSE, PSNR and SSIM inside the mask for the
  coarse and the detailed maps. The detail comes from the held-out map itself, so the detail figures
  measure the fusion's fidelity, not predicted detail.`;

const BUILD_FLAGS = {
  out: { value: true, alias: 'o' },
  size: { value: true },
  components: { value: true },
  mask: { value: true },
  'mask-model': { value: true },
  strict: { value: false },
  head: { value: false },
  fp16: { value: false },
  batch: { value: true },
  checkpoint: { value: true },
  'checkpoint-every': { value: true },
  backend: { value: true },
  workers: { value: true },
  'min-confidence': { value: true },
  'em-passes': { value: true },
  force: { value: false },
  quiet: { value: false },
};

const DATASET_FLAGS = {
  out: { value: true, alias: 'o' },
  model: { value: true },
  size: { value: true },
  'all-faces': { value: false },
  'min-face': { value: true },
  'min-confidence': { value: true },
  force: { value: false },
  quiet: { value: false },
};

const EVAL_FLAGS = {
  json: { value: false },
  out: { value: true, alias: 'o' },
  regularization: { value: true },
  'detail-sigma': { value: true },
  force: { value: false },
};

async function loadMask(args: ReturnType<typeof parseArgs>, size: number): Promise<{ mask?: Uint8Array; source?: string; skinRegion?: Uint8Array }> {
  const maskFile = stringFlag(args, 'mask');
  const maskModel = stringFlag(args, 'mask-model');
  if (maskFile && maskModel) throw new PhotoAvatarError('INVALID_ARGUMENT', 'Give --mask or --mask-model, not both.');
  if (maskFile) {
    const mask = maskFromImage(decodeImage(await readInputFile(maskFile, 'mask image')).image, size);
    if (maskCount(mask) === 0) throw new PhotoAvatarError('INVALID_ARGUMENT', `The mask ${maskFile} has no white texel at ${size}×${size}.`);
    return { mask, source: `mask image ${path.basename(maskFile)}` };
  }
  if (maskModel) {
    const bytes = await readInputFile(maskModel, 'mask model');
    const model = /\.mat$/i.test(maskModel) ? importHifi3dpp(bytes, { source: maskModel }) : readPack(bytes);
    // The face skin is where the skin-colour prior (the de-lighting's) is measured, whatever the mask.
    const regions = uvEvaluationRegions(model, size);
    if (args.flags.has('head')) return { mask: regions.head, source: `whole head of ${path.basename(maskModel)} (${model.name})`, skinRegion: regions.face };
    return { mask: regions.face, source: `face-skin region of ${path.basename(maskModel)} (${model.name})`, skinRegion: regions.face };
  }
  return {};
}

function numberFlag(args: ReturnType<typeof parseArgs>, name: string, min: number): number | undefined {
  const raw = stringFlag(args, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new PhotoAvatarError('INVALID_ARGUMENT', `--${name} must be a number of at least ${min}, got "${raw}".`);
  return value;
}

function formatSeconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '?';
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export async function runBuildUvapmCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, BUILD_FLAGS);
  const [folder, ...extra] = args.positional;
  if (!folder || extra.length > 0) throw new PhotoAvatarError('INVALID_ARGUMENT', `Usage: ${BUILD_UVAPM_HELP.split('\n')[0]}`);
  const out = stringFlag(args, 'out');
  if (!out) throw new PhotoAvatarError('INVALID_ARGUMENT', 'build-uvapm needs -o <file.uvapm>.');
  const size = intFlag(args, 'size', 4, 1024) ?? 256;
  const components = intFlag(args, 'components', 1, 1000) ?? 100;
  const batchSize = intFlag(args, 'batch', 1, 10000) ?? 100;
  const checkpointEvery = intFlag(args, 'checkpoint-every', 1, 1e9) ?? 1000;
  const backend = stringFlag(args, 'backend') ?? 'onnx';
  if (backend !== 'onnx' && backend !== 'ts') throw new PhotoAvatarError('INVALID_ARGUMENT', `--backend must be onnx or ts, got "${backend}".`);
  const checkpointFile = stringFlag(args, 'checkpoint') ?? `${out}.checkpoint`;
  checkOutputs([out], [], args.flags.has('force'));
  const { mask, source: maskSource, skinRegion } = await loadMask(args, size);
  // Decoding runs in worker threads beside the main thread's PCA; one core stays for the latter.
  const workers = intFlag(args, 'workers', 0, 64) ?? Math.max(1, Math.min(4, os.availableParallelism() - 1));
  const minConfidence = numberFlag(args, 'min-confidence', 0.004);
  if (minConfidence !== undefined && minConfidence > 1) throw new PhotoAvatarError('INVALID_ARGUMENT', `--min-confidence must be at most 1, got ${minConfidence}.`);
  const imputationPasses = intFlag(args, 'em-passes', 1, 100);
  const source = await folderSource(folder, { workers, size });
  const quiet = args.flags.has('quiet');
  const progress = (p: BuildProgress): void => {
    if (quiet) return;
    const pass = p.passes > 1 ? `pass ${p.pass + 1}/${p.passes}: ` : '';
    process.stderr.write(`\rbuild-uvapm: ${pass}${p.processed}/${p.total} maps (${p.skipped} skipped), ${p.mapsPerSecond.toFixed(1)} maps/s, ETA ${formatSeconds(p.etaSeconds)}   `);
  };
  const result = await buildUvapm(source, {
    size, components, batchSize, mask, maskSource, ...(skinRegion ? { skinRegion } : {}),
    strict: args.flags.has('strict'),
    backend,
    checkpoint: fileCheckpointStore(checkpointFile),
    checkpointEvery,
    onProgress: progress,
    onSkip: (s) => { process.stderr.write(`\nbuild-uvapm: skipped ${s.name}: ${s.reason}\n`); },
    sourceDescription: `${source.names.length} UV maps from folder ${path.basename(path.resolve(folder))}` +
      `${source.confidenceCount ? ` (${source.confidenceCount} with confidence images)` : ''}`,
    minConfidence,
    imputationPasses,
  });
  if (!quiet) process.stderr.write('\n');
  const precision = args.flags.has('fp16') ? 'fp16' : 'fp32';
  const bytes = writeUvapm(result.model, { precision });
  await writeFileAtomic(out, bytes);
  await rm(checkpointFile, { force: true });
  const m = result.model;
  const explained = m.explainedVarianceRatio.map((r) => r.reduce((a, b) => a + b, 0));
  process.stdout.write(
    `${out}: UVAPM ${m.size}×${m.size}, ${m.componentCount} components per channel from ${m.provenance.mapCount} maps` +
    `${result.skipped.length ? ` (${result.skipped.length} skipped: ${result.skipped.map((s) => s.name).join(', ')})` : ''}, ` +
    `explained variance r/g/b ${explained.map((e) => (100 * e).toFixed(1)).join('/')} %, mask ${maskCount(m.mask)} texels, ` +
    `${(bytes.length / 1048576).toFixed(1)} MiB (${precision})` +
    `${m.provenance.missingData ? `, ${m.provenance.missingData.mapsWithMissingTexels} maps with missing texels (mean ${(100 * m.provenance.missingData.meanMissingFraction).toFixed(0)} % missing, ${m.provenance.missingData.passes} EM passes)` : ''}` +
    `${result.resumedFrom ? `, resumed at map ${result.resumedFrom}` : ''}, ${result.seconds.toFixed(1)} s\n`,
  );
  return 0;
}

export async function runEvalUvapmCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, EVAL_FLAGS);
  const [file, folder, ...extra] = args.positional;
  if (!file || !folder || extra.length > 0) throw new PhotoAvatarError('INVALID_ARGUMENT', `Usage: ${EVAL_UVAPM_HELP.split('\n')[0]}`);
  const reportFile = stringFlag(args, 'out');
  if (reportFile) checkOutputs([reportFile], [file], args.flags.has('force'));
  const model = readUvapm(await readInputFile(file, 'UVAPM file'));
  const names = await listUvMapFiles(folder);
  const maps: { name: string; planes: Float32Array }[] = [];
  const skipped: { name: string; reason: string }[] = [];
  for (const name of names) {
    try {
      const image = decodeImage(await readInputFile(path.join(folder, name), 'UV map'), { downscaleAbove: 1 << 30 }).image;
      const problem = uvMapSizeProblem(image, model.size, null);
      if (problem) throw new PhotoAvatarError('CORRUPT_INPUT_FILE', problem);
      maps.push({ name, planes: uvMapToPlanes(image, model.size) });
    } catch (error) {
      if (!(error instanceof PhotoAvatarError)) throw error;
      skipped.push({ name, reason: error.message });
      process.stderr.write(`eval-uvapm: skipped ${name}: ${error.message}\n`);
    }
  }
  if (maps.length === 0) throw new PhotoAvatarError('INVALID_ARGUMENT', `No usable UV map in ${folder}.`);
  const result = evaluateUvapm(model, maps, {
    regularization: numberFlag(args, 'regularization', 0),
    sigma: numberFlag(args, 'detail-sigma', 0.1),
  });
  const report = {
    psnr_coarse: result.psnr_coarse, ssim_coarse: result.ssim_coarse, mse_coarse: result.mse_coarse,
    psnr_detail: result.psnr_detail, ssim_detail: result.ssim_detail, mse_detail: result.mse_detail,
    maps: result.maps,
    size: model.size,
    components: model.componentCount,
    mask_texels: maskCount(model.mask),
    skipped,
    per_map: result.perMap,
    description: result.description,
  };
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (reportFile) await writeFileAtomic(reportFile, json);
  if (args.flags.has('json')) process.stdout.write(json);
  else {
    process.stdout.write(
      `${file}: ${model.size}×${model.size}, K=${model.componentCount}, ${result.maps} evaluation maps, inside the UV mask (${report.mask_texels} texels)\n` +
      `  coarse:      MSE ${result.mse_coarse.toExponential(3)}  PSNR ${result.psnr_coarse.toFixed(2)} dB  SSIM ${result.ssim_coarse.toFixed(4)}\n` +
      `  with detail: MSE ${result.mse_detail.toExponential(3)}  PSNR ${result.psnr_detail.toFixed(2)} dB  SSIM ${result.ssim_detail.toFixed(4)}\n` +
      `  ${result.description}\n`,
    );
  }
  return 0;
}

const PHOTO_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png']);

/** Files as given; folders expand to their JPEG/PNG files (sorted, not recursive). */
async function listPhotos(inputs: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    if (!existsSync(input)) throw new PhotoAvatarError('INVALID_ARGUMENT', `The photo or folder ${input} does not exist.`);
    if (!statSync(input).isDirectory()) { files.push(input); continue; }
    const names = (await readdir(input)).filter((name) => PHOTO_EXTENSIONS.has(path.extname(name).toLowerCase())).sort();
    if (names.length === 0) process.stderr.write(`build-uv-dataset: the folder ${input} holds no JPEG or PNG photo.\n`);
    files.push(...names.map((name) => path.join(input, name)));
  }
  return files;
}

export async function runBuildUvDatasetCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, DATASET_FLAGS);
  if (args.positional.length === 0) throw new PhotoAvatarError('INVALID_ARGUMENT', `Usage: ${BUILD_UV_DATASET_HELP.split('\n')[0]}`);
  const outDir = stringFlag(args, 'out');
  if (!outDir) throw new PhotoAvatarError('INVALID_ARGUMENT', 'build-uv-dataset needs -o <folder>.');
  const size = intFlag(args, 'size', 16, 2048) ?? 256;
  const minFaceSize = intFlag(args, 'min-face', 16, 10000) ?? 64;
  const minConfidence = numberFlag(args, 'min-confidence', 0.004) ?? 0.5;
  if (minConfidence > 1) throw new PhotoAvatarError('INVALID_ARGUMENT', `--min-confidence must be at most 1, got ${minConfidence}.`);
  const allFaces = args.flags.has('all-faces');
  const quiet = args.flags.has('quiet');
  const force = args.flags.has('force');

  const photos = await listPhotos(args.positional);
  if (photos.length === 0) throw new PhotoAvatarError('INVALID_ARGUMENT', 'No photo to read.');
  const stems = new Map<string, string>();
  for (const photo of photos) {
    const stem = path.basename(photo, path.extname(photo));
    const other = stems.get(stem);
    if (other) throw new PhotoAvatarError('INVALID_ARGUMENT', `${other} and ${photo} would write maps of the same name (${stem}); rename one.`);
    stems.set(stem, photo);
  }
  if (existsSync(outDir)) {
    if (!statSync(outDir).isDirectory()) throw new PhotoAvatarError('INVALID_ARGUMENT', `${outDir} is a file, not a folder.`);
    const existing = await listUvMapFiles(outDir);
    if (existing.length > 0 && !force) throw new PhotoAvatarError('INVALID_ARGUMENT', `${outDir} already holds ${existing.length} UV map(s); pass --force to replace maps of the same name, or choose an empty folder.`);
  } else {
    if (!existsSync(path.dirname(path.resolve(outDir)))) throw new PhotoAvatarError('INVALID_ARGUMENT', `The folder for ${outDir} does not exist.`);
    await mkdir(outDir);
  }
  const modelFile = stringFlag(args, 'model');
  const model = modelFile ? readPack(await readInputFile(modelFile, 'model pack')) : await loadDefaultHead();

  const manifest: { file: string; confidenceFile: string; photo: string; faceIndex: number; coverage: number; yawDeg: number; landmarkError: number }[] = [];
  const skipped: { photo: string; faceIndex?: number; reason: string }[] = [];
  let seconds = 0;
  const inputs = photos.map((photo) => ({ name: photo, load: () => readInputFile(photo, 'photo') }));
  for await (const step of uvMapsFromPhotos(inputs, { model, size, allFaces, minFaceSize, minConfidence })) {
    seconds = step.seconds;
    const stem = path.basename(step.name, path.extname(step.name));
    if (!step.result) {
      skipped.push({ photo: step.name, reason: step.error ?? 'unknown' });
      process.stderr.write(`build-uv-dataset: skipped ${step.name}: ${step.error}\n`);
    } else {
      for (const face of step.result.skipped) {
        skipped.push({ photo: step.name, faceIndex: face.faceIndex, reason: face.reason });
        if (!quiet) process.stderr.write(`build-uv-dataset: ${step.name}: skipped face ${face.faceIndex}: ${face.reason}\n`);
      }
      for (const map of step.result.maps) {
        const mapStem = uvMapStem(stem, map.faceIndex, allFaces);
        const file = `${mapStem}.png`, confidenceFile = `${mapStem}${CONFIDENCE_SUFFIX}`;
        await writeFileAtomic(path.join(outDir, file), encodePng(map.albedo));
        await writeFileAtomic(path.join(outDir, confidenceFile), encodePng(maskToGreyImage(map.confidence)));
        manifest.push({ file, confidenceFile, photo: step.name, faceIndex: map.faceIndex, coverage: map.coverage, yawDeg: map.yawDeg, landmarkError: map.landmarkError });
      }
    }
    if (!quiet) {
      const maps = step.result?.maps ?? [];
      const faces = step.result ? `${step.result.faceCount} face(s), ${maps.length} map(s)${maps.length ? ` (coverage ${maps.map((m) => (100 * m.coverage).toFixed(0)).join('/')} %)` : ''}` : 'skipped';
      process.stderr.write(`build-uv-dataset: [${step.done}/${step.total}] ${path.basename(step.name)}: ${faces}, ${formatSeconds(step.seconds)} elapsed, ETA ${formatSeconds(step.etaSeconds)}\n`);
    }
  }
  await writeFileAtomic(path.join(outDir, 'uv-dataset.json'), `${JSON.stringify({
    generator: 'babylon-photo-avatar build-uv-dataset',
    model: { id: model.id, name: model.name, file: modelFile ?? 'embedded default head' },
    size, minConfidence, allFaces, minFaceSize,
    pairing: `<stem>.png holds the de-lit sRGB albedo, <stem>${CONFIDENCE_SUFFIX} its confidence (0 = missing)`,
    maps: manifest,
    skipped,
  }, null, 2)}\n`);
  if (manifest.length === 0) throw new PhotoAvatarError('NO_FACE', `No usable face in any of the ${photos.length} photo(s); nothing but uv-dataset.json was written.`);
  const meanCoverage = manifest.reduce((a, m) => a + m.coverage, 0) / manifest.length;
  process.stdout.write(`${outDir}: ${manifest.length} UV maps ${size}×${size} with confidence from ${new Set(manifest.map((m) => m.photo)).size} of ${photos.length} photos` +
    `${skipped.length ? ` (${skipped.length} photo(s)/face(s) skipped)` : ''}, mean face-skin coverage ${(100 * meanCoverage).toFixed(0)} %, ${seconds.toFixed(1)} s\n`);
  return 0;
}
