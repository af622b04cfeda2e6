/**
 * How much a relighting changed the photo on the skin: relit / original linear level, per channel,
 * over the skin pixels unclipped in both (a saturated pixel says only that the skin is at least
 * that bright). Shared by the relighting benches.
 */
import { CLIPPED } from '../src/albedo/albedo.js';
import { SRGB_TO_LINEAR } from '../src/image/srgb.js';
import type { Mask, RgbaImage } from '../src/types.js';

/** Per channel, the sums of the relit and the original linear values over those pixels. */
export function skinLevelSums(original: RgbaImage, relit: RgbaImage, mask: Mask): { relit: number[]; original: number[] } {
  const sums = { relit: [0, 0, 0], original: [0, 0, 0] };
  for (let y = 0; y < original.height; y++) {
    const maskRow = Math.floor((y * mask.height) / original.height) * mask.width;
    for (let x = 0; x < original.width; x++) {
      if (mask.data[maskRow + Math.floor((x * mask.width) / original.width)] < 128) continue;
      const p = 4 * (y * original.width + x);
      for (let c = 0; c < 3; c++) {
        const a = SRGB_TO_LINEAR[original.data[p + c]], b = SRGB_TO_LINEAR[relit.data[p + c]];
        if (a > CLIPPED || b > CLIPPED) continue;
        sums.relit[c] += b;
        sums.original[c] += a;
      }
    }
  }
  return sums;
}
