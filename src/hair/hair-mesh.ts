/**
 * A hair style on a fitted head: the asset's mesh fitted by ./fit-hair.ts, its strand texture
 * tinted to the hair colour (strand alpha kept), and per-vertex colours that darken it towards
 * the root tone near the scalp. Browser-safe.
 */
import type { HeadModel, SubMesh } from '../modelpack/head-model.js';
import type { RgbaImage } from '../types.js';
import { linearToSrgb8, SRGB_TO_LINEAR } from '../image/srgb.js';
import type { HairStyleMesh } from './asset-format.js';
import { fitHair, SKIN_GAP } from './fit-hair.js';
import type { HairStyle } from './styles.js';

/** Metres from the scalp over which the root tone gives way to the base colour: it darkens the inner layer lying on the scalp (./fit-hair.ts), which shows between the strands. */
const ROOT_FADE = 0.002;

export interface HairMesh {
  /** Model-space mesh on the fitted head (material 'hair'), pivot at its centre. */
  part: SubMesh;
  /** Linear RGB multipliers per vertex (1 away from the scalp, root / base at it). */
  vertexColours: Float32Array;
  /** Tinted strand texture, sRGB RGBA, alpha = strand coverage. */
  texture: RgbaImage;
  /** Deepest vertex inside the fitted skin before it was pushed out (mm). */
  penetrationMm: number;
}

/** Linear RGB colour of the hair: base, and the darker tone at the roots. */
export interface HairTone {
  base: [number, number, number];
  root: [number, number, number];
}

/**
 * The strand texture tinted: colour = base x sqrt(luminance / mean luminance of the texels the
 * alpha test keeps), alpha kept. The square root halves the texture's contrast: its painted dark
 * and light regions (darker caps, lighter ends) then keep any view near the photo's colour.
 */
export function tintStrandTexture(style: HairStyleMesh, base: readonly number[]): RgbaImage {
  const size = style.textureSize, src = style.texture;
  let sum = 0, weight = 0;
  for (let p = 0; p < size * size; p++) {
    if (src[2 * p + 1] < 128) continue;
    sum += SRGB_TO_LINEAR[src[2 * p]];
    weight++;
  }
  const mean = weight > 0 ? sum / weight : 1;
  const data = new Uint8ClampedArray(size * size * 4);
  for (let p = 0; p < size * size; p++) {
    const relative = Math.sqrt(SRGB_TO_LINEAR[src[2 * p]] / mean);
    for (let c = 0; c < 3; c++) data[4 * p + c] = linearToSrgb8(base[c] * relative);
    data[4 * p + 3] = src[2 * p + 1];
  }
  return { width: size, height: size, data };
}

export function buildHairMesh(style: HairStyleMesh, model: HeadModel, fittedVertices: Float32Array, tone: HairTone): HairMesh {
  const fitted = fitHair(style.positions, style.indices, model, fittedVertices);
  const n = fitted.positions.length / 3;
  const vertexColours = new Float32Array(n * 3);
  const ratio = [0, 1, 2].map((c) => (tone.base[c] > 1e-4 ? Math.min(1, tone.root[c] / tone.base[c]) : 1));
  const pivot = new Float32Array(3);
  for (let i = 0; i < n; i++) {
    const t = Math.min(1, Math.max(0, (fitted.skinDistance[i] - SKIN_GAP) / ROOT_FADE));
    for (let c = 0; c < 3; c++) vertexColours[3 * i + c] = ratio[c] + (1 - ratio[c]) * t;
    for (let a = 0; a < 3; a++) pivot[a] += fitted.positions[3 * i + a] / n;
  }
  return {
    part: { name: 'hair', positions: fitted.positions, indices: style.indices, uvs: style.uvs, pivot, material: 'hair' },
    vertexColours,
    texture: tintStrandTexture(style, tone.base),
    penetrationMm: fitted.penetrationMm,
  };
}

export type { HairStyle };
