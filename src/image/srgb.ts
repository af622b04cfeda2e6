/**
 * sRGB <-> linear conversions. Lighting is estimated and divided out in linear light, so every
 * photo sample is decoded through a 256-entry table and the final albedo is encoded once.
 */

/** sRGB-encoded value -> linear (exact curve), extended smoothly beyond 0..1 so the albedo fit's Gauss-Newton steps stay defined. */
export function srgbDecode(a: number): number {
  return a <= 0.04045 ? a / 12.92 : Math.pow((a + 0.055) / 1.055, 2.4);
}

/** d srgbDecode / da, for the albedo fit's Gauss-Newton steps. */
export function srgbDecodeSlope(a: number): number {
  return a <= 0.04045 ? 1 / 12.92 : (2.4 / 1.055) * Math.pow((a + 0.055) / 1.055, 1.4);
}

/** Rec. 709 luminance weights of linear R, G, B. */
export const LUMINANCE_WEIGHTS = [0.2126, 0.7152, 0.0722] as const;

/** Relative luminance (LUMINANCE_WEIGHTS) of a linear RGB colour. */
export function linearLuminance(c: ArrayLike<number>): number {
  return LUMINANCE_WEIGHTS[0] * c[0] + LUMINANCE_WEIGHTS[1] * c[1] + LUMINANCE_WEIGHTS[2] * c[2];
}

/** Linear value (0..1) of each 8-bit sRGB code. */
export const SRGB_TO_LINEAR: Float32Array = Float32Array.from({ length: 256 }, (_, i) => srgbDecode(i / 255));

/** sRGB 0..1 -> linear on a 4096-step table (interpolation error below 1e-7), clamped to 0..1 first: a few million texels per texture. */
const DECODE_STEPS = 4096;
const SRGB_DECODE = Float32Array.from({ length: DECODE_STEPS + 2 }, (_, i) => srgbDecode(Math.min(1, i / DECODE_STEPS)));

export function srgbToLinear(value: number): number {
  if (!(value > 0)) return 0;
  if (value >= 1) return 1;
  const x = value * DECODE_STEPS, i = x | 0, f = x - i;
  return SRGB_DECODE[i] * (1 - f) + SRGB_DECODE[i + 1] * f;
}

/** Where linearToSrgb's linear toe ends and its power curve begins. */
const SRGB_TOE_END = 0.0031308;

export function linearToSrgb(linear: number): number {
  if (!(linear > 0)) return 0;
  if (linear >= 1) return 1;
  return linear <= SRGB_TOE_END ? linear * 12.92 : 1.055 * Math.pow(linear, 1 / 2.4) - 0.055;
}

/**
 * The largest of linearToSrgb(r), linearToSrgb(g), linearToSrgb(b) (an HSV value), with one
 * power instead of three. Past the toe, linearToSrgb never falls as its input rises (checked over
 * every float32 from the toe's end to 1), so the largest channel gives the largest value there;
 * but the toe's top (12.92 × 0.0031308) lies a hair above the curve's start, so a channel on the
 * toe is weighed on its own. A NaN channel counts as 0, as linearToSrgb makes it.
 */
export function largestLinearToSrgb(r: number, g: number, b: number): number {
  let largest = r;
  if (g > largest || largest !== largest) largest = g;
  if (b > largest || largest !== largest) largest = b;
  let value = linearToSrgb(largest);
  if (r > 0 && r <= SRGB_TOE_END && r * 12.92 > value) value = r * 12.92;
  if (g > 0 && g <= SRGB_TOE_END && g * 12.92 > value) value = g * 12.92;
  if (b > 0 && b <= SRGB_TOE_END && b * 12.92 > value) value = b * 12.92;
  return value;
}

/** Linear 0..1 -> sRGB 0..255 (unrounded) at 4096 steps; interpolated, it stays well inside 8-bit rounding. */
const ENCODE_STEPS = 4096;
const LINEAR_TO_SRGB255: Float32Array = (() => {
  const table = new Float32Array(ENCODE_STEPS + 2);
  for (let i = 0; i <= ENCODE_STEPS + 1; i++) table[i] = linearToSrgb(i / ENCODE_STEPS) * 255;
  return table;
})();

/** 8-bit sRGB code of a linear value (clamped to 0..1). */
export function linearToSrgb8(linear: number): number {
  if (!(linear > 0)) return 0;
  if (linear >= 1) return 255;
  // The curve is steep near 0: below the second step use the exact formula.
  if (linear < 2 / ENCODE_STEPS) return Math.round(linearToSrgb(linear) * 255);
  const x = linear * ENCODE_STEPS;
  const i = x | 0;
  const f = x - i;
  // floor(v + 0.5), not Math.round(v): the same integer here, and Math.round took two thirds of
  // linearTextureToSrgbImage's 54 ms at 1024² (V8 20, this machine; floor: 17 ms). They differ
  // only below 0.5 (0.49999999999999994 + 0.5 rounds to 1): for v >= 0.5 the sum is exact or
  // rounds by half an ulp within [2^k, 2^k + 0.5], never across an integer; and here
  // v >= LINEAR_TO_SRGB255[2] (about 1.6), the table rising.
  return Math.floor(LINEAR_TO_SRGB255[i] * (1 - f) + LINEAR_TO_SRGB255[i + 1] * f + 0.5);
}

/** A linear RGB texture (size * size, interleaved) as an opaque 8-bit sRGB image. */
export function linearTextureToSrgbImage(texture: Float32Array, size: number): { width: number; height: number; data: Uint8ClampedArray } {
  const texels = size * size;
  const data = new Uint8ClampedArray(texels * 4);
  for (let p = 0; p < texels; p++) {
    data[4 * p] = linearToSrgb8(texture[3 * p]);
    data[4 * p + 1] = linearToSrgb8(texture[3 * p + 1]);
    data[4 * p + 2] = linearToSrgb8(texture[3 * p + 2]);
    data[4 * p + 3] = 255;
  }
  return { width: size, height: size, data };
}
