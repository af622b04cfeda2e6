/**
 * How ragged the hairline across the forehead is (hairlineRoughness in src/hair/measure.ts): per
 * photo and style, the RMS of the hairline's height about its 8 mm moving average and the count of
 * steps over 1 mm between neighbouring columns, seen from the front in the preview renderer, and a
 * front render per case (`--out`). A case is `photo` (its auto style) or `photo:style`. `--cache DIR`
 * keeps each photo's .avatar and reads it back: the hair mesh is rebuilt on load, so changes to
 * the hair are measured on the same fit. Prints figures; asserts nothing.
 *   npx tsx bench/hairline.ts [--out /tmp/hairline] [--cache DIR] [--size 512] [photo[:style] ...]
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import '../src/node/asset-files.js';
import { decodeImage } from '../src/image/decode.js';
import { readPack } from '../src/modelpack/format.js';
import { createAvatarData } from '../src/pipeline.js';
import { readAvatarFile, writeAvatarFile } from '../src/avatar-file/format.js';
import { hairMeshFor, isHairStyle } from '../src/hair/index.js';
import { hairlineRoughness } from '../src/hair/measure.js';
import { renderPreview } from '../src/render/preview.js';
import { encodePng } from '../src/image/encode.js';
import type { AvatarData } from '../src/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(root, '..', 'shared', 'data', 'photos');
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => { const i = args.indexOf(name); return i >= 0 ? args.splice(i, 2)[1] : fallback; };
const outDir = option('--out', '/tmp/hairline');
const cacheDir = option('--cache', '');
const size = Number(option('--size', '512'));
const cases = args.length ? args : ['hrn/single/00016.png:long01', 'hrn/single/00016.png', 'deep3d/000006.jpg', 'hrn/single/00521.png'];
mkdirSync(outDir, { recursive: true });
if (cacheDir) mkdirSync(cacheDir, { recursive: true });
const model = readPack(new Uint8Array(readFileSync(path.join(root, 'assets', 'generated', 'default-head.pack'))));

async function avatarOf(file: string): Promise<AvatarData> {
  const cached = cacheDir && path.join(cacheDir, `${file.replace(/[/.]/g, '_')}.avatar`);
  if (cached && existsSync(cached)) return readAvatarFile(new Uint8Array(readFileSync(cached)), async () => model);
  const { image } = decodeImage(new Uint8Array(readFileSync(path.join(shared, file))));
  const data = await createAvatarData(image, { model, textureSize: 512 });
  if (cached) writeFileSync(cached, writeAvatarFile(data));
  return data;
}

console.log('case | style | hairline RMS about its 8 mm average (mm) | steps > 1 mm | columns | width (mm)');
for (const entry of cases) {
  const [file, style] = entry.split(':');
  const data = await avatarOf(file);
  if (style) {
    if (!isHairStyle(style)) throw new Error(`unknown style ${style}`);
    data.hair = { ...data.hair!, style, mesh: await hairMeshFor(style, data.model, data.neutralVertices, data.hair!) };
  }
  const rough = hairlineRoughness(data, size);
  console.log(`${entry} | ${data.hair?.style ?? 'none'} | ${(1000 * rough.rms).toFixed(2)} | ${rough.steps} | ${rough.columns} | ${(1000 * rough.width).toFixed(1)}`);
  const front = renderPreview(data, { width: 2 * size, height: size, threeQuarterYawDeg: 35 });
  writeFileSync(path.join(outDir, `${entry.replace(/[/.:]/g, '_')}.png`), encodePng(front));
}
console.log(`renders in ${outDir}`);
