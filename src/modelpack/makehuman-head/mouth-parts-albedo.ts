/**
 * Albedo of the mouth parts (upper and lower teeth with their gums, tongue), baked per vertex at
 * build time from the CC0 MakeHuman textures that come with the proxies (Teeth_Base's teeth.png:
 * tooth crowns shaded darker towards their neighbours, red gums; tongue01_diffuse.png: a pink
 * tongue), times an occlusion that darkens with depth into the mouth.
 *
 * Why per vertex and not the textures themselves: the proxies have 60-70 vertices per tooth, enough
 * to carry crown, gum line and the shading between teeth, and vertex colours cost a few kilobytes
 * in the pack and no extra texture in the GLB or in Babylon.
 * Why the occlusion: an open mouth is lit only through the lips, so the incisors catch light and
 * the molars and the back of the tongue sit in shadow; a renderer's direct light does not know
 * that (no shadows in the preview, none by default in Babylon), and teeth without it read as one
 * flat white shape.
 */
import type { DecodedPng } from '../../image/png-codec.js';
import { SRGB_TO_LINEAR } from '../../image/srgb.js';
import type { SubMesh } from '../head-model.js';
import { proxyDiffuse } from './proxy.js';
import { ARCH_OCCLUSION_FLOOR, archOcclusion, teethArch } from '../../materials/mouth-parts.js';

/** Linear multipliers that warm the texture's neutral grey-white crowns to ivory (real enamel is never paper white). */
export const TOOTH_IVORY: readonly [number, number, number] = [0.95, 0.86, 0.68];
/**
 * Linear multipliers of the tongue texture (a light pink near (222, 135, 135) sRGB, as saturated as
 * lips): the tongue lies under the palate and behind the lips, lit only through the opening, so it
 * reads darker than the lips, and its papillae's whitish coat makes it less saturated than their
 * red. At (0.5, 0.45, 0.45) the open mouth's tongue rendered brighter than a fitted face's lips'
 * 104 sRGB luma, at saturation 0.42 against their 0.35-0.46 (hrn 00016, einstein).
 */
export const TONGUE_SHADE: readonly [number, number, number] = [0.3, 0.36, 0.36];
/**
 * Saturation the teeth's colours keep where the occlusion is at its floor (1 where fully lit). Light
 * reaches the back of the arch only as bounce off the teeth and tongue, which mutes colour as well
 * as dimming it: the lingual gums of the far lower teeth face the key light of a three-quarter view
 * and, dimmed alone, kept the texture's red at a rendered saturation of 0.84 beside the dark cavity.
 */
const SHADOW_SATURATION = 0.45;

/**
 * Linear RGB of `png` at (u, v up), bilinear with alpha weights so that the transparent gaps
 * between the texture's islands (black in the PNG) do not darken vertices on an island's edge.
 */
export function sampleOpaqueLinear(png: DecodedPng, u: number, v: number, out: Float32Array): void {
  const { width, height, data } = png;
  const x = Math.min(width - 1, Math.max(0, u * width - 0.5));
  const y = Math.min(height - 1, Math.max(0, (1 - v) * height - 0.5));
  const x0 = Math.floor(x), y0 = Math.floor(y);
  const fx = x - x0, fy = y - y0;
  let weight = 0;
  out.fill(0);
  for (const [dx, dy, w] of [[0, 0, (1 - fx) * (1 - fy)], [1, 0, fx * (1 - fy)], [0, 1, (1 - fx) * fy], [1, 1, fx * fy]] as const) {
    const o = (Math.min(height - 1, y0 + dy) * width + Math.min(width - 1, x0 + dx)) * 4;
    const wa = w * (data[o + 3] / 255);
    weight += wa;
    for (let c = 0; c < 3; c++) out[c] += wa * SRGB_TO_LINEAR[data[o + c]];
  }
  if (weight > 0) for (let c = 0; c < 3; c++) out[c] /= weight;
}

export interface MouthPartTexture {
  /** The proxy whose diffuse texture colours the part. */
  kind: string;
  name: string;
  /** Linear multipliers of the texture (TOOTH_IVORY, TONGUE_SHADE). */
  tint: readonly [number, number, number];
  /** The part is teeth: the arch's depth (front to back of these parts) scales the occlusion. */
  teeth: boolean;
}

/**
 * Per-vertex linear albedo for each part named in `textures` (texture at its UVs times the tint,
 * times the occlusion by depth behind the front teeth), given the parts in their final
 * model-space positions (+z forward).
 */
export function bakeMouthPartColours(parts: SubMesh[], textures: Record<string, MouthPartTexture>): void {
  const mouthParts = parts.filter((part) => textures[part.name]);
  const arch = teethArch(mouthParts.filter((part) => textures[part.name].teeth));
  if (!arch) throw new Error('mouth parts: the teeth have no depth to measure occlusion against');
  const images = new Map<string, DecodedPng>();
  const texel = new Float32Array(3);
  for (const part of mouthParts) {
    const source = textures[part.name];
    const key = `${source.kind}/${source.name}`;
    if (!images.has(key)) images.set(key, proxyDiffuse(source.kind, source.name));
    const png = images.get(key)!;
    const n = part.positions.length / 3;
    const colours = new Float32Array(n * 3);
    for (let v = 0; v < n; v++) {
      sampleOpaqueLinear(png, part.uvs[2 * v], part.uvs[2 * v + 1], texel);
      const light = archOcclusion(arch.front - part.positions[3 * v + 2], arch.depth);
      for (let c = 0; c < 3; c++) colours[3 * v + c] = texel[c] * source.tint[c] * light;
      if (source.teeth) muteSaturation(colours, v, SHADOW_SATURATION + (1 - SHADOW_SATURATION) * (light - ARCH_OCCLUSION_FLOOR) / (1 - ARCH_OCCLUSION_FLOOR));
    }
    part.vertexColours = colours;
  }
}

/** In place: vertex v's linear RGB moved towards its luminance, keeping `kept` (0 ... 1) of its chroma. */
function muteSaturation(colours: Float32Array, v: number, kept: number): void {
  const y = 0.2126 * colours[3 * v] + 0.7152 * colours[3 * v + 1] + 0.0722 * colours[3 * v + 2];
  for (let c = 0; c < 3; c++) colours[3 * v + c] = y + kept * (colours[3 * v + c] - y);
}
