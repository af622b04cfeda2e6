/**
 * The scalp cap between the strands on the crown, per style, on one shared photo (one avatar fit,
 * then each style's mesh put on the same head with the photo's hair colour): the cap's rendered
 * tone against the strands' and the share of dark blotches over the crown (crownCapTone in
 * src/hair/measure.ts), and a sheet per style: front and three-quarter, front and back from 45
 * degrees up, front and back from straight above (preview renderer). Prints figures; asserts nothing.
 *   npx tsx bench/hair-crown.ts [--out /tmp/hair-crown] [--styles long01,short02,...] [photo]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import '../src/node/asset-files.js';
import { decodeImage } from '../src/image/decode.js';
import { encodePng } from '../src/image/encode.js';
import { readPack } from '../src/modelpack/format.js';
import { createAvatarData } from '../src/pipeline.js';
import { renderPreview } from '../src/render/preview.js';
import { crownCapTone } from '../src/hair/measure.js';
import { hairMeshFor, isHairStyle, type HairStyle } from '../src/hair/index.js';
import type { RgbaImage } from '../src/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => { const i = args.indexOf(name); return i >= 0 ? args.splice(i, 2)[1] : fallback; };
const outDir = option('--out', '/tmp/hair-crown');
const styles = option('--styles', 'long01,short02,bob01,afro01,ponytail01').split(',').filter(isHairStyle) as HairStyle[];
const photo = args[0] ?? path.resolve(root, '..', 'shared', 'data', 'photos', 'deep3d', '000006.jpg');
mkdirSync(outDir, { recursive: true });

function stacked(images: RgbaImage[]): RgbaImage {
  const width = images[0].width, height = images.reduce((h, i) => h + i.height, 0);
  const data = new Uint8ClampedArray(width * height * 4);
  let y0 = 0;
  for (const image of images) { data.set(image.data, y0 * width * 4); y0 += image.height; }
  return { width, height, data };
}

const model = readPack(new Uint8Array(readFileSync(path.join(root, 'assets', 'generated', 'default-head.pack'))));
const { image } = decodeImage(new Uint8Array(readFileSync(photo)));
const data = await createAvatarData(image, { model, textureSize: 512 });
const tone = { base: data.hair!.base, root: data.hair!.root };
console.log(`${path.basename(photo)}: detected ${data.hair!.style ?? 'none'}; style | cap/strand luminance | dark blotch share % | cap share % | hair pixels`);
for (const style of styles) {
  const withStyle = { ...data, hair: { ...data.hair!, style, mesh: await hairMeshFor(style, model, data.neutralVertices, tone) } };
  const figure = crownCapTone(withStyle);
  console.log(`${style} | ${figure.capToStrand.toFixed(3)} | ${(100 * figure.darkShare).toFixed(2)} | ${(100 * figure.capShare).toFixed(1)} | ${figure.pixels}`);
  const views = [0, 45, 90].map((elevationDeg) => renderPreview(withStyle, { width: 768, height: 384, elevationDeg, threeQuarterYawDeg: elevationDeg ? 180 : 35 }));
  writeFileSync(path.join(outDir, `${path.basename(photo).replace(/\.\w+$/, '')}-${style}.png`), encodePng(stacked(views)));
}
console.log(`sheets in ${outDir}`);
