/**
 * The brows in the albedo come from the photo, not from the coarse model. Brow hair is albedo, but
 * no skin model makes it: at 64² with 12 components the coarse fit paints a grey-green smudge where
 * the brows are, and the detail stage's bound (./detail.ts, DETAIL_LIMIT) keeps the photo's far
 * darker brows out of the value channel. So inside the photo's brow region the texture is the
 * completed, de-lit photo itself (./completion.ts: seen, or mirrored from the other brow), and the
 * person's own brow shape and colour carry into the avatar. Only where the photo is darker than
 * the model: brow hair is, the skin between and around it is not (the model and its detail keep
 * that), and so glasses' glints and pale brows do not replace the model.
 */
import { sampleBilinear } from '../image/resize.js';
import { blurredIslandCoverage, FEATHER_PASSES, type MirrorMap } from './completion.js';
import { boxBlur } from './texture-filters.js';
import type { UvRaster } from './unwrap.js';

/**
 * Per texel of the size² texture, how much of the photo's own albedo replaces the model's:
 * the brow mask's value at the texel or at its mirror (whichever is larger), times the
 * completion's confidence there, feathered like the completion so no edge shows.
 * @param browWeight per covered texel, the photo's brow mask (0..1) where the photo sees it
 * @param confidence per covered texel, the completion's confidence after mirroring (0..1)
 */
export function photoBrowShare(raster: UvRaster, mirror: MirrorMap, browWeight: Float32Array, confidence: Float32Array): Float32Array {
  const size = raster.size, count = raster.texel.length;
  const feather = Math.max(1, Math.round(size / 128));
  const own = new Float32Array(size * size);
  for (let i = 0; i < count; i++) own[raster.texel[i]] = browWeight[i];
  const share = new Float32Array(size * size);
  for (let i = 0; i < count; i++) {
    const mx = mirror.position[2 * i], my = mirror.position[2 * i + 1];
    const mirrored = mx === mx ? sampleBilinear(own, size, size, mx, my) : 0;
    share[raster.texel[i]] = Math.max(browWeight[i], mirrored) * confidence[i];
  }
  boxBlur(share, size, 1, feather, FEATHER_PASSES);
  // Normalised by the covered share, so island borders do not fade (as the completion's confidence).
  const coverage = blurredIslandCoverage(raster, feather);
  for (let p = 0; p < share.length; p++) share[p] = raster.slot[p] >= 0 ? Math.min(1, share[p] / Math.max(coverage[p], 1e-6)) : 0;
  return share;
}

/**
 * Photo texels this much darker than the model's (relative luminance) count as brow hair in full;
 * less dark ones in proportion. On the 6 shared FFHQ photos the truth PSNR moves by at most 0.03 dB
 * for any value from 0.15 to 0.5.
 */
const BROW_CONTRAST = 0.3;

/**
 * The share of texel p (of two linear RGB interleaved textures) that the photo's albedo takes:
 * photoBrowShare's, times how much darker the photo is there than the model.
 */
export function photoBrowWeight(share: number, model: Float32Array, photo: Float32Array, p: number): number {
  if (!(share > 0)) return 0;
  const modelLuminance = 0.2126 * model[3 * p] + 0.7152 * model[3 * p + 1] + 0.0722 * model[3 * p + 2];
  const photoLuminance = 0.2126 * photo[3 * p] + 0.7152 * photo[3 * p + 1] + 0.0722 * photo[3 * p + 2];
  const darker = 1 - photoLuminance / Math.max(modelLuminance, 1e-4);
  return share * Math.min(1, Math.max(0, darker / BROW_CONTRAST));
}
