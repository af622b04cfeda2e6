/**
 * The surfaces of the mouth's parts (teeth, gums, tongue), shared by the GLB writer and the Babylon
 * build. Their colours are baked per vertex, darkened by the arch's occlusion
 * (../modelpack/makehuman-head/mouth-parts-albedo.ts); what stays per material is how they reflect,
 * and the same occlusion dims their reflections (occlusionRampUvs).
 */
import type { SubMesh } from '../modelpack/head-model.js';
import type { RgbaImage } from '../types.js';

/**
 * The arch's occlusion: full light on the front of the arch, falling from ARCH_OCCLUSION_START to
 * ARCH_OCCLUSION_END (fractions of the arch depth, incisors to last molars) down to
 * ARCH_OCCLUSION_FLOOR. An open mouth is lit only through the lips. The premolars, from about 0.25
 * of the depth on, already sit in the cheeks' shadow: with the fall from 0.08 to 0.7 (floor 0.2)
 * they kept 0.65-0.75 of the incisors' rendered luma and rose as a bright row in the open mouth's
 * three-quarter view.
 */
const ARCH_OCCLUSION_START = 0.04;
const ARCH_OCCLUSION_END = 0.5;
export const ARCH_OCCLUSION_FLOOR = 0.12;

/** Light reaching a point `depth` behind the front of the arch (0..1: 1 at the incisors, ARCH_OCCLUSION_FLOOR at the back). */
export function archOcclusion(depth: number, archDepth: number): number {
  const s = Math.min(1, Math.max(0, (depth / archDepth - ARCH_OCCLUSION_START) / (ARCH_OCCLUSION_END - ARCH_OCCLUSION_START)));
  return 1 - (1 - ARCH_OCCLUSION_FLOOR) * s * s * (3 - 2 * s);
}

/** The arch the teeth span along z (+z forward): its front (the incisors' tips) and depth; null without depth. */
export function teethArch(teeth: readonly SubMesh[]): { front: number; depth: number } | null {
  let front = -Infinity, back = Infinity;
  for (const part of teeth) {
    for (let i = 2; i < part.positions.length; i += 3) {
      front = Math.max(front, part.positions[i]);
      back = Math.min(back, part.positions[i]);
    }
  }
  return front - back > 0 ? { front, depth: front - back } : null;
}

/**
 * A 2×1 grey ramp, black then white, that gives back the occlusion stored in a vertex's UV
 * (occlusionRampUvs) when sampled bilinearly without mipmaps: the baked parts' occlusion texture
 * (glTF's occlusionTexture, Babylon's ambientTexture, which also dims the environment's
 * reflections). Their colours are baked per vertex, so their own UVs are free to carry it.
 * Image-based light knows nothing of the lips around an open mouth: without it the enamel of the
 * molars, dark in albedo, mirrored the environment at grazing angles and read as grey glass in Babylon.
 */
export const OCCLUSION_RAMP: RgbaImage = { width: 2, height: 1, data: Uint8ClampedArray.of(0, 0, 0, 255, 255, 255, 255, 255) };

/**
 * Per vertex of a baked mouth part, its arch occlusion as the UV at which OCCLUSION_RAMP holds it:
 * u between the ramp's two texel centres (1/4 + occlusion / 2), v its middle.
 */
export function occlusionRampUvs(part: SubMesh, arch: { front: number; depth: number }): Float32Array {
  const uvs = new Float32Array((part.positions.length / 3) * 2);
  for (let v = 0; v < uvs.length / 2; v++) {
    uvs[2 * v] = 0.25 + 0.5 * archOcclusion(arch.front - part.positions[3 * v + 2], arch.depth);
    uvs[2 * v + 1] = 0.5;
  }
  return uvs;
}

/** The arch of an avatar's baked mouth parts (those with vertex colours), from its enamel ones; null when it has none. */
export function bakedTeethArch(parts: readonly SubMesh[]): { front: number; depth: number } | null {
  return teethArch(parts.filter((part) => part.vertexColours && mouthSurface(part) === 'teeth'));
}

export type MouthSurface = 'teeth' | 'tongue';

/**
 * GGX roughness: glossy enamel; and the tongue, rough. A wet tongue is glossy, but inside the
 * mouth it reflects the dark cavity, not the environment that image-based lighting stands for
 * (which knows nothing of the lips around it): at the enamel's 0.35 the tongue mirrored the sky
 * pale grey in Babylon.
 */
export const MOUTH_ROUGHNESS: Record<MouthSurface, number> = { teeth: 0.35, tongue: 0.75 };

/**
 * The tongue's reflectance scale (Babylon's metallicF0Factor; in the GLB, KHR_materials_specular's
 * factor) for the same reason.
 */
export const TONGUE_SPECULAR_WEIGHT = 0.15;

/** Which surface a mouth part has: the tongue by its name (the default head's `tongue`), the rest enamel. */
export function mouthSurface(part: Pick<SubMesh, 'name'>): MouthSurface {
  return part.name === 'tongue' ? 'tongue' : 'teeth';
}
