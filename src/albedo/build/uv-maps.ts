/**
 * UV maps as PCA input: RGBA image -> planar float channels (r plane, g plane, b plane; sRGB 0..1;
 * each plane row-first, top row first) at the model's size, and the UV face mask.
 */
import { PhotoAvatarError } from '../../errors.js';
import type { Mask, RgbaImage } from '../../types.js';
import { downscaleArea } from '../../image/resize.js';
import type { HeadModel } from '../../modelpack/head-model.js';
import { getUvRaster } from '../unwrap.js';

/**
 * Box-filters the image down to size × size planes. Integer ratios (1024 -> 256) average exact
 * blocks in float; other ratios go through the 8-bit area resampler.
 */
export function uvMapToPlanes(image: RgbaImage, size: number, out: Float32Array = new Float32Array(3 * size * size)): Float32Array {
  const D = size * size;
  let source = image;
  if (image.width % size !== 0 || image.height % size !== 0) source = downscaleArea(image, size, size);
  const fx = source.width / size, fy = source.height / size;
  const scale = 1 / (255 * fx * fy);
  const { data, width } = source;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0, g = 0, b = 0;
      for (let sy = y * fy; sy < (y + 1) * fy; sy++) {
        let p = (sy * width + x * fx) * 4;
        for (let sx = 0; sx < fx; sx++, p += 4) { r += data[p]; g += data[p + 1]; b += data[p + 2]; }
      }
      const t = y * size + x;
      out[t] = r * scale;
      out[D + t] = g * scale;
      out[2 * D + t] = b * scale;
    }
  }
  return out;
}

/** Planar channels back to an opaque RGBA image (for previews and detail-stage outputs). */
export function planesToImage(planes: Float32Array, size: number): RgbaImage {
  const D = size * size;
  const data = new Uint8Array(D * 4);
  for (let t = 0; t < D; t++) {
    for (let c = 0; c < 3; c++) data[4 * t + c] = Math.round(Math.min(1, Math.max(0, planes[c * D + t])) * 255);
    data[4 * t + 3] = 255;
  }
  return { width: size, height: size, data };
}

/**
 * Checks a decoded map against the expected input: square, at least `size` texels wide, and of the
 * same size as the other maps of the build. Returns the reason it is unusable, or null.
 */
export function uvMapSizeProblem(image: RgbaImage, size: number, expectedSide: number | null): string | null {
  if (image.width !== image.height) return `not square (${image.width}×${image.height})`;
  if (image.width < size) return `${image.width}×${image.height} is smaller than the model size ${size}`;
  if (expectedSide !== null && image.width !== expectedSide) return `${image.width}×${image.height}, the other maps are ${expectedSide}×${expectedSide}`;
  return null;
}

/**
 * A per-map confidence image (white = observed, black = missing; an RGBA image, whose red channel
 * is read, or a one-channel mask) -> 0..255 per texel at size × size. Integer ratios take the
 * block's minimum, so a model texel counts as observed only when everything averaged into it was;
 * other ratios fall back to the area mean.
 */
export function confidenceToTexels(image: RgbaImage | Mask, size: number, out: Uint8Array = new Uint8Array(size * size)): Uint8Array {
  const { width, height } = image;
  const channels = image.data.length === width * height ? 1 : 4;
  if (width % size === 0 && height % size === 0) {
    const fx = width / size, fy = height / size;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let low = 255;
        for (let sy = y * fy; sy < (y + 1) * fy; sy++) {
          for (let sx = x * fx; sx < (x + 1) * fx; sx++) low = Math.min(low, image.data[(sy * width + sx) * channels]);
        }
        out[y * size + x] = low;
      }
    }
    return out;
  }
  let rgba: RgbaImage = image as RgbaImage;
  if (channels === 1) {
    const data = new Uint8Array(width * height * 4);
    for (let p = 0; p < width * height; p++) data.fill(image.data[p], 4 * p, 4 * p + 4);
    rgba = { width, height, data };
  }
  const small = downscaleArea(rgba, size, size);
  for (let t = 0; t < size * size; t++) out[t] = small.data[4 * t];
  return out;
}

/** A mask image (white = inside) resampled to size × size, 1 where the area is at least half white. */
export function maskFromImage(image: RgbaImage, size: number): Uint8Array {
  const planes = uvMapToPlanes(image, size);
  const D = size * size;
  const mask = new Uint8Array(D);
  for (let t = 0; t < D; t++) mask[t] = (planes[t] + planes[D + t] + planes[2 * D + t]) / 3 >= 0.5 ? 1 : 0;
  return mask;
}

/**
 * The face region of a model's UV layout: texels whose rasterized face-skin weight is positive
 * (the HiFi3D++ importer's weights cover the facial triangles and fade to zero on eyes, brows and
 * lips, so those are outside).
 */
export function uvFaceMaskFromModel(model: HeadModel, size: number): Uint8Array {
  const raster = getUvRaster(model, size);
  const mask = new Uint8Array(size * size);
  for (let i = 0; i < raster.texel.length; i++) if (raster.skin[i] > 0) mask[raster.texel[i]] = 1;
  return mask;
}

export function maskCount(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i] ? 1 : 0;
  return n;
}

export function checkMask(mask: Uint8Array, size: number): void {
  if (mask.length !== size * size) throw new PhotoAvatarError('INVALID_ARGUMENT', `The UV mask has ${mask.length} texels, expected ${size}×${size}.`);
  if (maskCount(mask) === 0) throw new PhotoAvatarError('INVALID_ARGUMENT', 'The UV mask is empty (no texel inside).');
}

/**
 * File pairing of per-map confidence: `<stem>.png` (or .jpg) has its confidence in
 * `<stem>.confidence.png` beside it (grey, white = observed). Folders list confidence files apart
 * from the maps.
 */
export const CONFIDENCE_SUFFIX = '.confidence.png';

export function isConfidenceFile(name: string): boolean {
  return name.toLowerCase().endsWith(CONFIDENCE_SUFFIX);
}

export function confidenceFileName(mapName: string): string {
  const dot = mapName.lastIndexOf('.');
  return `${dot > 0 ? mapName.slice(0, dot) : mapName}${CONFIDENCE_SUFFIX}`;
}
