/**
 * Reading one channel of an 8-bit texture the way a GPU's bilinear filter does (between texel
 * centres, edges clamped), so that what the CPU side decides from a texture's alpha (the preview's
 * alpha test, the hair's coverage) has the edge that Babylon and glTF viewers draw. Browser-safe.
 */

/**
 * The four texels a bilinear read at (u, v up) blends, written into `taps`: their offsets in texels
 * (row-major) at 0-3 and their weights at 4-7, in the order top-left, top-right, bottom-left,
 * bottom-right.
 */
export function bilinearTaps(width: number, height: number, u: number, v: number, taps: Float64Array): void {
  const x = tapPosition(width, u), y = tapPosition(height, 1 - v);
  const x0 = Math.floor(x), y0 = Math.floor(y);
  const x1 = Math.min(width - 1, x0 + 1), y1 = Math.min(height - 1, y0 + 1);
  const fx = x - x0, fy = y - y0;
  taps[0] = y0 * width + x0; taps[1] = y0 * width + x1; taps[2] = y1 * width + x0; taps[3] = y1 * width + x1;
  taps[4] = (1 - fx) * (1 - fy); taps[5] = fx * (1 - fy); taps[6] = (1 - fx) * fy; taps[7] = fx * fy;
}

/** A read's position in texels along one axis (`t` in 0..1 across `extent` texels), between texel centres, clamped to the edge ones. */
function tapPosition(extent: number, t: number): number {
  return Math.min(extent - 1, Math.max(0, t * extent - 0.5));
}

const channelTaps = new Float64Array(8);

/** Channel `channel` of the `stride`-channel texture `data` (`width` x `height`, rows top-down) at (u, v up), bilinear, 0..255. */
export function bilinearChannel(data: ArrayLike<number>, width: number, height: number, stride: number, channel: number, u: number, v: number): number {
  const taps = channelTaps;
  bilinearTaps(width, height, u, v, taps);
  return taps[4] * data[taps[0] * stride + channel] + taps[5] * data[taps[1] * stride + channel]
    + taps[6] * data[taps[2] * stride + channel] + taps[7] * data[taps[3] * stride + channel];
}

/** bilinearThresholdCells's answers. */
export const ALL_BELOW = 0, ALL_ABOVE = 1, MIXED = 2;

/**
 * Per texel (x, y), how a bilinear read between it and its right, lower and lower-right
 * neighbours (clamped at the edges, as bilinearTaps picks them) compares with a threshold in
 * (127, 128) on channel `channel`: ALL_ABOVE where all four are 128 or more, ALL_BELOW where all
 * four are 127 or less, MIXED otherwise. The weights are non-negative and sum to 1 within a few
 * ulps, so a read of four values on one side lands on that side: only MIXED cells need the read.
 */
export function bilinearThresholdCells(data: ArrayLike<number>, width: number, height: number, stride: number, channel: number): Uint8Array {
  const cells = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const below = Math.min(height - 1, y + 1);
    for (let x = 0; x < width; x++) {
      const right = Math.min(width - 1, x + 1);
      const a = data[(y * width + x) * stride + channel], b = data[(y * width + right) * stride + channel];
      const c = data[(below * width + x) * stride + channel], d = data[(below * width + right) * stride + channel];
      const low = Math.min(a, b, c, d), high = Math.max(a, b, c, d);
      cells[y * width + x] = low >= 128 ? ALL_ABOVE : high <= 127 ? ALL_BELOW : MIXED;
    }
  }
  return cells;
}

/**
 * The cell of bilinearThresholdCells that a read at (u, v up) blends from (its top-left texel, as
 * bilinearTaps finds it), or NaN for a NaN coordinate.
 */
export function bilinearCellAt(width: number, height: number, u: number, v: number): number {
  return Math.floor(tapPosition(height, 1 - v)) * width + Math.floor(tapPosition(width, u));
}
