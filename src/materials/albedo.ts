/**
 * Albedo stage: photo + fitted model -> albedo texture in the model's UV layout, plus the SH light
 * that was divided out. unwrap (photo -> UV, weights) -> SH light estimate -> de-light ->
 * completion (mirror, skin fill, feathering, island dilation) -> 8-bit sRGB.
 */
import type { HeadModel } from '../modelpack/head-model.js';
import type { Mask, PinholeCamera, RgbaImage } from '../types.js';
import { PhotoAvatarError, throwIfAborted } from '../errors.js';
import { unwrapPhoto, type UvRaster } from './unwrap.js';
import { estimateShLight, evaluateShading } from './sh-light.js';
import { completeAlbedo, getMirrorMap } from './completion.js';
import { boxBlur } from './texture-filters.js';
import { linearToSrgb8 } from './srgb.js';

export interface AlbedoInput {
  image: RgbaImage;
  model: HeadModel;
  /** Fitted vertices, model space, xyz interleaved. */
  vertices: Float32Array;
  camera: PinholeCamera;
  /** Image-space skin mask (255 = skin) for the light estimate; without it every visible texel counts. */
  skinMask?: Mask;
  /** Image-space face-region mask (with brows, eyelids, lips) the texture is taken from; defaults to skinMask. */
  faceMask?: Mask;
}

export interface AlbedoOptions {
  /** Texture width = height in texels; default 1024. */
  size?: number;
  signal?: AbortSignal;
}

export interface AlbedoResult {
  /** sRGB 8-bit, top row first, alpha 255. */
  albedo: RgbaImage;
  /** 27 SH light coefficients, R then G then B (convention in sh-light.ts). */
  light: Float32Array;
  /** Fraction of the model's face-skin texels (skin weight > 0.5) seen in the photo. */
  coverage: number;
  /** Milliseconds per step. */
  timings: Record<string, number>;
}

/** Minimum cosine / mask product for full trust; below it confidence ramps down to 0. */
const FULL_TRUST_WEIGHT = 0.5;
/** Linear values above this in any channel are treated as clipped highlights and kept out of the light fit. */
const CLIPPED = 0.97;
/** The light is fitted on a texel lattice of about this many samples per side. */
const LIGHT_GRID = 256;

export async function estimateAlbedo(input: AlbedoInput, options: AlbedoOptions = {}): Promise<AlbedoResult> {
  const size = options.size ?? 1024;
  if (!Number.isInteger(size) || size < 16 || size > 8192) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `Albedo size must be an integer between 16 and 8192, got ${size}.`);
  }
  const { signal } = options;
  const timings: Record<string, number> = {};
  let clock = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = now - clock;
    clock = now;
  };
  const start = clock;
  throwIfAborted(signal);

  const unwrapped = unwrapPhoto(input, size);
  const { raster, colour, weight, skinWeight, normal } = unwrapped;
  const count = raster.texel.length;
  if (count === 0) throw new PhotoAvatarError('CORRUPT_MODEL_PACK', `Model '${input.model.id}' covers no texels in UV space.`);
  lap('unwrap');
  throwIfAborted(signal);

  // Light is fitted on face skin only (the model's skin weight), minus clipped highlights, on a
  // lattice of at most LIGHT_GRID^2 texels: 27 coefficients need far fewer samples than 1024^2.
  const stride = Math.max(1, Math.floor(size / LIGHT_GRID));
  const lightSamples = subsampleForLight(raster, colour, normal, skinWeight, stride);
  const estimate = await estimateShLight(
    {
      colour: lightSamples.colour,
      normal: lightSamples.normal,
      weight: lightSamples.weight,
      smooth: makeGridSmoother(lightSamples.gridSize, lightSamples.gridIndex, Math.max(2, Math.round(lightSamples.gridSize / 16))),
    },
    { iterations: 3, signal },
  );
  lap('light');
  throwIfAborted(signal);

  // De-light. Dark shading (grazing light, self-shadow) amplifies noise, so confidence fades there.
  const shading = evaluateShading(normal, estimate.light);
  const albedo = new Float32Array(count * 3);
  const confidence = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    let minShading = Infinity;
    for (let c = 0; c < 3; c++) {
      const s = shading[3 * i + c];
      if (s < minShading) minShading = s;
      albedo[3 * i + c] = Math.min(1, colour[3 * i + c] / Math.max(s, 0.05));
    }
    const shadingTrust = clamp01((minShading - 0.1) / 0.2);
    confidence[i] = clamp01(weight[i] / FULL_TRUST_WEIGHT) * shadingTrust;
  }
  let observedSkin = 0, skinTexels = 0;
  for (let i = 0; i < count; i++) {
    if (raster.skin[i] <= 0.5) continue;
    skinTexels++;
    if (weight[i] > 0) observedSkin++;
  }
  lap('delight');
  throwIfAborted(signal);

  const mirror = getMirrorMap(input.model, raster);
  const completed = completeAlbedo({ raster, mirror, albedo, confidence, skinTone: estimate.medianAlbedo });
  lap('complete');

  const texels = size * size;
  const data = new Uint8ClampedArray(texels * 4);
  const texture = completed.texture;
  for (let p = 0; p < texels; p++) {
    data[4 * p] = linearToSrgb8(texture[3 * p]);
    data[4 * p + 1] = linearToSrgb8(texture[3 * p + 1]);
    data[4 * p + 2] = linearToSrgb8(texture[3 * p + 2]);
    data[4 * p + 3] = 255;
  }
  lap('encode');
  timings.total = performance.now() - start;
  return {
    albedo: { width: size, height: size, data },
    light: estimate.light,
    coverage: skinTexels > 0 ? observedSkin / skinTexels : 0,
    timings,
  };
}

interface LightSubsample {
  colour: Float32Array;
  normal: Float32Array;
  weight: Float32Array;
  /** Side of the subsampled texel grid. */
  gridSize: number;
  /** Position of each sample in that grid. */
  gridIndex: Int32Array;
}

/** Covered texels on every `stride`-th row and column, with their light-fit weights. */
function subsampleForLight(raster: UvRaster, colour: Float32Array, normal: Float32Array, weight: Float32Array, stride: number): LightSubsample {
  const size = raster.size, gridSize = Math.ceil(size / stride);
  const count = raster.texel.length;
  let m = 0;
  for (let i = 0; i < count; i++) {
    const p = raster.texel[i];
    if ((p % size) % stride === 0 && Math.floor(p / size) % stride === 0) m++;
  }
  const sample: LightSubsample = {
    colour: new Float32Array(m * 3), normal: new Float32Array(m * 3), weight: new Float32Array(m),
    gridSize, gridIndex: new Int32Array(m),
  };
  for (let i = 0, j = 0; i < count; i++) {
    const p = raster.texel[i];
    const column = p % size, row = Math.floor(p / size);
    if (column % stride !== 0 || row % stride !== 0) continue;
    const clipped = colour[3 * i] > CLIPPED || colour[3 * i + 1] > CLIPPED || colour[3 * i + 2] > CLIPPED;
    sample.weight[j] = clipped ? 0 : weight[i] * raster.skin[i];
    for (let c = 0; c < 3; c++) {
      sample.colour[3 * j + c] = colour[3 * i + c];
      sample.normal[3 * j + c] = normal[3 * i + c];
    }
    sample.gridIndex[j] = (row / stride) * gridSize + column / stride;
    j++;
  }
  return sample;
}

/**
 * A low-pass over UV space for per-sample fields: scatter weighted values onto the grid, box-blur
 * values and weights together, gather back (leaning on the fallback where little weight reaches).
 */
function makeGridSmoother(gridSize: number, gridIndex: Int32Array, radius: number) {
  const count = gridIndex.length;
  const grid = new Float32Array(gridSize * gridSize * 4);
  return (values: Float32Array, weights: Float32Array, fallback: Float64Array, out: Float32Array): void => {
    grid.fill(0);
    for (let i = 0; i < count; i++) {
      const w = weights[i];
      if (!(w > 0)) continue;
      const p = gridIndex[i] * 4;
      grid[p] = w * values[3 * i]; grid[p + 1] = w * values[3 * i + 1]; grid[p + 2] = w * values[3 * i + 2]; grid[p + 3] = w;
    }
    boxBlur(grid, gridSize, 4, radius, 2);
    const floor = 1e-3;
    for (let i = 0; i < count; i++) {
      const p = gridIndex[i] * 4;
      const w = grid[p + 3];
      for (let c = 0; c < 3; c++) out[3 * i + c] = (grid[p + c] + floor * fallback[c]) / (w + floor);
    }
  };
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
