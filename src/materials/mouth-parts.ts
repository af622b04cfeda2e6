/**
 * The surfaces of the mouth's parts (teeth, gums, tongue), shared by the GLB writer and the Babylon
 * build. Their colours and occlusion are baked per vertex (../modelpack/makehuman-head/mouth-parts-albedo.ts);
 * what stays per material is how they reflect.
 */
import type { SubMesh } from '../modelpack/head-model.js';

export type MouthSurface = 'teeth' | 'tongue';

/**
 * GGX roughness: glossy enamel; and the tongue, rough. A wet tongue is glossy, but inside the
 * mouth it reflects the dark cavity, not the environment that image-based lighting stands for
 * (which knows nothing of the lips around it): at the enamel's 0.35 the tongue mirrored the sky
 * pale grey in Babylon.
 */
export const MOUTH_ROUGHNESS: Record<MouthSurface, number> = { teeth: 0.35, tongue: 0.75 };

/**
 * The tongue's reflectance scale (Babylon's metallicF0Factor) for the same reason; glTF's core
 * material has no such factor, so the GLB gives the tongue its roughness only.
 */
export const TONGUE_SPECULAR_WEIGHT = 0.15;

/** Which surface a mouth part has: the tongue by its name (the default head's `tongue`), the rest enamel. */
export function mouthSurface(part: Pick<SubMesh, 'name'>): MouthSurface {
  return part.name === 'tongue' ? 'tongue' : 'teeth';
}
