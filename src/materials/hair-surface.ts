/**
 * The hair cards' PBR surface, one set of values for the Babylon material (../plugin/hair-mesh.ts)
 * and the GLB's `hair` material (../export/glb.ts), so a game that loads the GLB sees the hair the
 * plugin shows: the GLB carries the strand tangents (TANGENT) and KHR_materials_anisotropy.
 */

/** Strand alpha below this is cut (glTF's alphaCutoff; in Babylon, between it and 1 the edges blend). */
export const HAIR_ALPHA_CUTOFF = 0.5;

/** GGX roughness of the strands. */
export const HAIR_ROUGHNESS = 0.45;

/**
 * Scale of the dielectric reflectance at normal incidence and at grazing angles (Babylon's
 * metallicF0Factor, glTF's KHR_materials_specular factor). A card stands for a layer of fibres that
 * shadow one another's reflections; at the full weight afro01's semi-transparent cards mirrored the
 * environment like glass panes over the crown (its cards reach grazing angles over the forehead).
 * At 0.25 short04's outer cards, standing edge-on round the crown's silhouette, still mirrored the
 * sky as grey plates over dark hair and hid its strand texture (the sample scene's close-up of deep3d
 * 000007: the hair pixels' sRGB luminance median 37 and 95th percentile 55, against 26 and 36 at
 * 0.08 and 19 and 23 with no specular); at 0.08 dark hair keeps a sheen and blond hair (deep3d
 * 000126) looks as at 0.25.
 */
export const HAIR_SPECULAR_WEIGHT = 0.08;

/**
 * Anisotropic highlights along the strands: their strength (Babylon's anisotropy.intensity, glTF's
 * anisotropyStrength), and their direction's angle from the strand tangent (../hair/hair-mesh.ts
 * strandTangents, along the strand texture's u) in tangent space: a quarter turn, along the
 * bitangent (Babylon's anisotropy.angle, glTF's anisotropyRotation).
 */
export const HAIR_ANISOTROPY = 0.7;
export const HAIR_ANISOTROPY_ANGLE = Math.PI / 2;
