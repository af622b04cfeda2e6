/**
 * `photo-avatar eval-albedo` (generated albedo vs ground-truth UV maps) and `photo-avatar
 * eval-relight` (albedo change under relit copies of the photo): the truth evaluations that decide
 * the albedo defaults, not re-render PSNR (../metrics/albedo-evaluation.ts).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PhotoAvatarError } from '../errors.js';
import type { RgbaImage } from '../types.js';
import { decodeImage } from '../image/decode.js';
import { encodePng } from '../image/encode.js';
import { readPack } from '../modelpack/format.js';
import { importHifi3dpp } from '../modelpack/importers/hifi3dpp.js';
import type { HeadModel } from '../modelpack/head-model.js';
import { readUvapm, type UvapmModel } from '../albedo/uvapm-format.js';
import { fileStem, leaveOneOutDetailModel, leaveOneOutUvapm, loadLeaveOneOutSource, type LeaveOneOutSource } from '../albedo/build/leave-one-out.js';
import { textureToPlanes, uvEvaluationRegions } from '../metrics/albedo-truth.js';
import { planesToImage } from '../albedo/build/uv-maps.js';
import { ALBEDO_VARIANTS, albedoChangeUnderRelighting, albedosOfPhoto, scoreAlbedos, uvapmPlanes, type AlbedoVariant } from '../metrics/albedo-evaluation.js';
import type { TruthComparison } from '../metrics/albedo-truth.js';
import { RELIGHTINGS } from '../metrics/relight-photo.js';
import { decodePhotoFile } from './photo.js';
import { checkOutputs, readInputFile, writeFileAtomic } from './files.js';
import { intFlag, parseArgs, stringFlag } from './args.js';

export const EVAL_ALBEDO_HELP = `photo-avatar eval-albedo <photos...> --truth <folder of UV maps> --model <pack | hifi3dpp .mat>
       [--uvapm <file.uvapm> | --uvapm-leave-one-out <folder of UV maps>] [--uvapm-size 64]
       [--texture-size 256] [--json] [-o report.json] [--previews <folder>] [--force]
  Runs create on each photo and compares the albedo with the truth map <photo stem>.png in the
  model's UV layout: PSNR, SSIM and MSE (sRGB 0..1) over the face region and the whole head. With a
  UVAPM also the model's mean, the coarse fit and the final texture. --uvapm-leave-one-out builds,
  per photo, a model from the folder's maps without the photo's own (honest with few maps), and
  from the same maps a learned detail model (row "final + D(α)": unseen texels get generated detail).
  The colour-aligned PSNR columns score each albedo again after one gain per colour channel has
  matched its overall colour to the truth's (a photo fixes the albedo only up to its exposure and
  white balance): what is left is shading, the unseen parts and detail.
  --previews writes truth | photo-only | coarse | final strips per photo.`;

export const EVAL_RELIGHT_HELP = `photo-avatar eval-relight <photos...> [--model <pack | hifi3dpp .mat>] [--uvapm <file | embedded>]
       [--uvapm-leave-one-out <folder of UV maps>] [--uvapm-size 64] [--texture-size 256] [--json] [-o report.json] [--previews <folder>] [--force]
  Makes relit copies of each photo in linear light (ramp: a left-right gain 0.55 -> 1.15; tint: a
  warm light; second-light: a second SH light added to the fitted one), runs create on each and
  prints the RMS change of the albedo (linear RGB) over the face region and the whole head. A
  correct de-lighting barely moves (target: 0.02 or less).`;

const EVAL_ALBEDO_FLAGS = {
  truth: { value: true },
  model: { value: true },
  uvapm: { value: true },
  'uvapm-leave-one-out': { value: true },
  'uvapm-size': { value: true },
  'texture-size': { value: true },
  json: { value: false },
  out: { value: true, alias: 'o' },
  previews: { value: true },
  force: { value: false },
};

// eval-relight needs no truth maps; every other option is shared with eval-albedo.
const { truth: _truth, ...EVAL_RELIGHT_FLAGS } = EVAL_ALBEDO_FLAGS;

async function loadModel(file: string): Promise<HeadModel> {
  const bytes = await readInputFile(file, 'model');
  return /\.mat$/i.test(file) ? importHifi3dpp(bytes, { source: file }) : readPack(bytes);
}

async function findTruthMap(folder: string, stem: string): Promise<RgbaImage> {
  for (const extension of ['.png', '.jpg', '.jpeg']) {
    const file = path.join(folder, `${stem}${extension}`);
    if (existsSync(file)) return decodeImage(await readInputFile(file, 'truth UV map'), { downscaleAbove: 1 << 30 }).image;
  }
  throw new PhotoAvatarError('INVALID_ARGUMENT', `No truth map ${stem}.png (or .jpg) in ${folder}.`);
}

const pad = (s: string, n: number) => s.padEnd(n);
const cell = (q: TruthComparison['face']) => `${q.psnr.toFixed(2).padStart(6)} ${q.ssim.toFixed(3)} ${q.mse.toExponential(2)}`;

/** Side by side, top row first: each image resampled to `size`. */
function strip(images: RgbaImage[], size: number): RgbaImage {
  const data = new Uint8ClampedArray(images.length * size * size * 4);
  const width = images.length * size;
  images.forEach((image, k) => {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const sx = Math.floor(((x + 0.5) * image.width) / size), sy = Math.floor(((y + 0.5) * image.height) / size);
        const from = 4 * (sy * image.width + sx), to = 4 * (y * width + k * size + x);
        for (let c = 0; c < 3; c++) data[to + c] = image.data[from + c];
        data[to + 3] = 255;
      }
    }
  });
  return { width, height: size, data };
}

export async function runEvalAlbedoCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, EVAL_ALBEDO_FLAGS);
  const photos = args.positional;
  const truthFolder = stringFlag(args, 'truth'), modelFile = stringFlag(args, 'model');
  if (photos.length === 0 || !truthFolder || !modelFile) throw new PhotoAvatarError('INVALID_ARGUMENT', `Usage: ${EVAL_ALBEDO_HELP.split('\n')[0]}`);
  const uvapmFile = stringFlag(args, 'uvapm'), looFolder = stringFlag(args, 'uvapm-leave-one-out');
  if (uvapmFile && looFolder) throw new PhotoAvatarError('INVALID_ARGUMENT', 'Give --uvapm or --uvapm-leave-one-out, not both.');
  const textureSize = intFlag(args, 'texture-size', 64, 2048) ?? 256;
  const uvapmSize = intFlag(args, 'uvapm-size', 8, 512) ?? 64;
  const reportFile = stringFlag(args, 'out'), previews = stringFlag(args, 'previews');
  if (reportFile) checkOutputs([reportFile], photos, args.flags.has('force'));
  if (previews) await mkdir(previews, { recursive: true });

  const model = await loadModel(modelFile);
  const fixedUvapm = uvapmFile ? readUvapm(await readInputFile(uvapmFile, 'UV albedo model')) : undefined;
  const looRegions = uvEvaluationRegions(model, uvapmSize);
  const loo: LeaveOneOutSource | undefined = looFolder ? await loadLeaveOneOutSource(looFolder, uvapmSize, looRegions.head, looRegions.face) : undefined;
  // The learned detail generator, also leave-one-out, at the texture size over the whole head.
  const looDetail = looFolder ? await loadLeaveOneOutSource(looFolder, textureSize, uvEvaluationRegions(model, textureSize).head) : undefined;
  const rows: { photo: string; uvapm: string | null; scores: Partial<Record<AlbedoVariant, TruthComparison>> }[] = [];
  for (const file of photos) {
    const stem = fileStem(file);
    const truth = await findTruthMap(truthFolder, stem);
    const image = (await decodePhotoFile(file)).image;
    let uvapm: UvapmModel | undefined = fixedUvapm;
    if (loo) uvapm = await leaveOneOutUvapm(loo, stem);
    const detailModel = looDetail && uvapm ? leaveOneOutDetailModel(looDetail, stem, Math.max(1, textureSize / uvapm.size)) : undefined;
    const options = { model, textureSize, uvapm, backend: 'wasm' as const, ...(detailModel ? { detailModel } : {}) };
    const albedos = await albedosOfPhoto(image, options);
    const scores = scoreAlbedos(albedos, truth, options);
    rows.push({ photo: file, uvapm: uvapm ? `${uvapm.size}², K=${uvapm.componentCount}, ${uvapm.provenance.mapCount} maps` : null, scores });
    process.stderr.write(`eval-albedo: ${file} done\n`);
    if (previews) {
      const fit = albedos.withModel;
      const coarse = uvapm && fit?.albedoCoefficients
        ? [planesToImage(uvapmPlanes(uvapm, fit.albedoCoefficients, textureSize, textureToPlanes(albedos.photoOnly as RgbaImage, textureSize)), textureSize) as RgbaImage] : [];
      const images = [truth, albedos.photoOnly as RgbaImage, ...coarse, ...(fit ? [fit.albedo as RgbaImage] : [])];
      await writeFileAtomic(path.join(previews, `${stem}.albedo.png`), encodePng(strip(images, textureSize)));
    }
  }
  const means: Partial<Record<AlbedoVariant, TruthComparison>> = {};
  for (const variant of ALBEDO_VARIANTS) {
    const present = rows.map((r) => r.scores[variant]).filter((s): s is TruthComparison => !!s);
    if (present.length === 0) continue;
    const avg = (pick: (s: TruthComparison) => number) => present.reduce((a, s) => a + pick(s), 0) / present.length;
    const quality = (pick: (s: TruthComparison) => TruthComparison['face']) => ({ psnr: avg((s) => pick(s).psnr), ssim: avg((s) => pick(s).ssim), mse: avg((s) => pick(s).mse) });
    means[variant] = {
      face: quality((s) => s.face),
      head: quality((s) => s.head),
      colourAligned: {
        gains: [0, 1, 2].map((c) => avg((s) => s.colourAligned.gains[c])) as [number, number, number],
        face: quality((s) => s.colourAligned.face),
        head: quality((s) => s.colourAligned.head),
      },
    };
  }
  const report = { model: model.name, textureSize, uvapm: uvapmFile ?? (looFolder ? `leave-one-out from ${looFolder} at ${uvapmSize}²` : null), photos: rows, means,
    description: 'PSNR (dB, peak 1), SSIM and MSE of the albedo against the truth UV map, sRGB 0..1, at the texture size; face = the model\'s face-skin texels, head = every texel of the UV layout; ' +
      'colour-aligned = the same PSNR once one gain per channel (linear light, least squares over the face) has brought the albedo\'s overall colour to the truth\'s (what is left: shading, unseen parts, detail).' };
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (reportFile) await writeFileAtomic(reportFile, json);
  if (args.flags.has('json')) { process.stdout.write(json); return 0; }
  const lines = [`${pad('photo', 16)} ${pad('albedo', 13)} | face PSNR  SSIM  MSE      | head PSNR  SSIM  MSE      | colour-aligned PSNR face  head`];
  for (const row of [...rows, { photo: 'mean', uvapm: null, scores: means }]) {
    for (const variant of ALBEDO_VARIANTS) {
      const s = row.scores[variant];
      if (s) lines.push(`${pad(path.basename(row.photo), 16)} ${pad(variant, 13)} | ${cell(s.face)} | ${cell(s.head)} | ${s.colourAligned.face.psnr.toFixed(2).padStart(24)} ${s.colourAligned.head.psnr.toFixed(2).padStart(5)}`);
    }
  }
  process.stdout.write(`${lines.join('\n')}\n${report.description}\n`);
  return 0;
}

export async function runEvalRelightCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, EVAL_RELIGHT_FLAGS);
  const photos = args.positional;
  if (photos.length === 0) throw new PhotoAvatarError('INVALID_ARGUMENT', `Usage: ${EVAL_RELIGHT_HELP.split('\n')[0]}`);
  const modelFile = stringFlag(args, 'model'), uvapmFile = stringFlag(args, 'uvapm');
  const textureSize = intFlag(args, 'texture-size', 64, 2048) ?? 256;
  const reportFile = stringFlag(args, 'out'), previews = stringFlag(args, 'previews');
  if (reportFile) checkOutputs([reportFile], photos, args.flags.has('force'));
  if (previews) await mkdir(previews, { recursive: true });
  const model = modelFile ? await loadModel(modelFile) : undefined;
  const looFolder = stringFlag(args, 'uvapm-leave-one-out');
  if (uvapmFile && looFolder) throw new PhotoAvatarError('INVALID_ARGUMENT', 'Give --uvapm or --uvapm-leave-one-out, not both.');
  if (looFolder && !model) throw new PhotoAvatarError('INVALID_ARGUMENT', '--uvapm-leave-one-out needs --model (the maps\' UV layout).');
  const uvapmSize = intFlag(args, 'uvapm-size', 8, 512) ?? 64;
  const looRegions = model && looFolder ? uvEvaluationRegions(model, uvapmSize) : undefined;
  const loo = looFolder && looRegions ? await loadLeaveOneOutSource(looFolder, uvapmSize, looRegions.head, looRegions.face) : undefined;
  const fixedModel = uvapmFile === 'embedded' ? 'embedded' as const : uvapmFile ? readUvapm(await readInputFile(uvapmFile, 'UV albedo model')) : undefined;
  const rows = [];
  for (const file of photos) {
    const image = (await decodePhotoFile(file)).image;
    const albedoModel = loo ? await leaveOneOutUvapm(loo, fileStem(file)) : fixedModel;
    const { original, changes, relit } = await albedoChangeUnderRelighting(image, { model, textureSize, albedoModel });
    rows.push({ photo: file, changes });
    process.stderr.write(`eval-relight: ${file} done\n`);
    if (previews) {
      const stem = fileStem(file);
      await writeFileAtomic(path.join(previews, `${stem}.relit.png`), encodePng(strip([image, ...relit.map((r) => r.photo)], 256)));
      await writeFileAtomic(path.join(previews, `${stem}.relit-albedo.png`), encodePng(strip([original.albedo as RgbaImage, ...relit.map((r) => r.data.albedo as RgbaImage)], textureSize)));
    }
  }
  const worst = Math.max(...rows.flatMap((r) => r.changes.map((c) => c.face)));
  const report = { textureSize, model: model?.name ?? 'default head', uvapm: uvapmFile ?? (looFolder ? `leave-one-out from ${looFolder} at ${uvapmSize}²` : null), photos: rows, worstFace: worst,
    description: 'RMS change of the albedo (linear RGB 0..1) between the photo and each relit copy, over the face region and over every head texel.' };
  const json = `${JSON.stringify(report, null, 2)}\n`;
  if (reportFile) await writeFileAtomic(reportFile, json);
  if (args.flags.has('json')) { process.stdout.write(json); return 0; }
  const lines = [`${pad('photo', 16)} ${RELIGHTINGS.map((r) => pad(`${r} face/head`, 22)).join(' ')}`];
  for (const row of rows) lines.push(`${pad(path.basename(row.photo), 16)} ${row.changes.map((c) => pad(`${c.face.toFixed(4)} / ${c.head.toFixed(4)}`, 22)).join(' ')}`);
  lines.push(`worst face change ${worst.toFixed(4)} (target <= 0.02)`);
  process.stdout.write(`${lines.join('\n')}\n${report.description}\n`);
  return 0;
}
