/**
 * Reading one channel of an 8-bit texture the way a GPU's bilinear filter does (between texel
 * centres, edges clamped), so that what the CPU side decides from a texture's alpha (the preview's
 * alpha test, the hair's coverage) has the edge that Babylon and glTF viewers draw. Browser-safe.
 */

/** Channel `channel` of the `stride`-channel texture `data` (`width` x `height`, rows top-down) at (u, v up), bilinear, 0..255. */
export function bilinearChannel(data: ArrayLike<number>, width: number, height: number, stride: number, channel: number, u: number, v: number): number {
  const x = Math.min(width - 1, Math.max(0, u * width - 0.5));
  const y = Math.min(height - 1, Math.max(0, (1 - v) * height - 0.5));
  const x0 = Math.floor(x), y0 = Math.floor(y);
  const x1 = Math.min(width - 1, x0 + 1), y1 = Math.min(height - 1, y0 + 1);
  const fx = x - x0, fy = y - y0;
  const at = (col: number, row: number) => data[(row * width + col) * stride + channel];
  const top = (1 - fx) * at(x0, y0) + fx * at(x1, y0);
  const bottom = (1 - fx) * at(x0, y1) + fx * at(x1, y1);
  return (1 - fy) * top + fy * bottom;
}
