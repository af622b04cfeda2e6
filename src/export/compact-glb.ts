/**
 * The compact GLB: the same avatar as writeGlb (glb.ts), made small for games.
 *   - geometry and morph targets quantized (KHR_mesh_quantization; bounds in quantize.ts) and
 *     encoded with meshoptimizer (EXT_meshopt_compression, meshopt-compression.ts);
 *   - textures as WebP (EXT_texture_webp, webp.ts);
 *   - three levels of detail per mesh (MSFT_lod, lod.ts), sharing vertices, skin and targets.
 * Readers need those extensions: Babylon's glTF loader has them all (point its meshopt decoder at
 * the bundled one with useBundledMeshoptDecoder, ../plugin/meshopt-decoder.ts). writeGlb stays the
 * plain file for tools that cannot decode meshopt (the CLI's --compress none).
 */
import type { AvatarData } from '../types.js';
import { buildGltf, glbImages, packGlb, type EncodedImage, type GlbOptions } from './glb.js';
import { compressBufferViews, MESHOPT_EXTENSION } from './meshopt-compression.js';
import { DEFAULT_LOD_RATIOS, hairLevels, lodScreenCoverage, lodSimplifierReady, modelLevels } from './lod.js';
import { avatarExtraParts, computeAvatarRig } from './avatar-rig.js';
import { encodeWebp } from './webp.js';

export interface CompactGlbOptions extends Pick<GlbOptions, 'morphNormals' | 'roughnessMap' | 'mouthInterior'> {
  /** WebP quality 0-100 of the albedo (default 90; the roughness map and eye texture use the same). */
  textureQuality?: number;
  /** Triangle fractions of the lower levels of detail (default [0.5, 0.25]; [] writes one level). */
  lodRatios?: readonly number[];
}

const WEBP_EXTENSION = 'EXT_texture_webp';

/** Writes the avatar as a compact .glb (see the file comment). Works in Node and browsers. */
export async function writeCompactGlb(data: AvatarData, options: CompactGlbOptions = {}): Promise<Uint8Array> {
  const images = glbImages(data, options);
  const quality = options.textureQuality ?? 90;
  const webp = async (image: typeof images.albedo | null): Promise<EncodedImage | null> =>
    image && { bytes: await encodeWebp(image, quality), mimeType: 'image/webp' };
  const [albedo, roughness, eye, hair, lashes, brows, mouthOcclusion] = await Promise.all([
    webp(images.albedo), webp(images.roughness), webp(images.eye), webp(images.hair), webp(images.lashes), webp(images.brows),
    images.mouthOcclusion && encodeWebp(images.mouthOcclusion, quality, true).then((bytes): EncodedImage => ({ bytes, mimeType: 'image/webp' })),
    lodSimplifierReady,
  ]);
  const ratios = options.lodRatios ?? DEFAULT_LOD_RATIOS;
  const rig = computeAvatarRig(data.model, data.neutralVertices, avatarExtraParts(data));
  const parts = [rig.eyeLeft, rig.eyeRight, ...rig.otherParts].filter((part) => part !== null);
  const { gltf, viewBytes, layouts } = buildGltf(data, options, {
    quantize: true,
    images: { albedo: albedo!, roughness, eye, hair, lashes, brows, mouthOcclusion },
    textureExtension: WEBP_EXTENSION,
    lods: ratios.length ? {
      head: modelLevels(data.model, data.model.indices, data.neutralVertices, ratios),
      parts: parts.map((part) => (part.material === 'hair' && data.hair?.mesh
        ? hairLevels(part.indices, part.positions, data.hair.mesh.capTriangles, ratios).map((level) => level.indices)
        : modelLevels(data.model, part.indices, part.positions, ratios))),
      screenCoverage: lodScreenCoverage(ratios.length + 1),
    } : undefined,
  });
  const compressed = await compressBufferViews(gltf, viewBytes, layouts);
  gltf.extensionsUsed = [MESHOPT_EXTENSION, ...(gltf.extensionsUsed as string[])];
  gltf.extensionsRequired = [MESHOPT_EXTENSION, ...(gltf.extensionsRequired as string[])];
  return packGlb(gltf, compressed);
}
