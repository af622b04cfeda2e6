/**
 * The albedo stage's input for an avatar made from `image`: the same fit, masks and camera, so a
 * test can run estimateAlbedo again with other options and compare with the avatar's own albedo.
 */
import type { AlbedoInput } from '../../src/albedo/albedo.js';
import { decodeShape } from '../../src/modelpack/head-model.js';
import { getFaceAnalyzer } from '../../src/pipeline.js';
import type { AvatarData, RgbaImage } from '../../src/types.js';

export async function albedoInputOf(image: RgbaImage, data: AvatarData): Promise<AlbedoInput> {
  const faceMask = await (await getFaceAnalyzer('wasm')).faceMask(image, data.face);
  return { image, model: data.model, vertices: decodeShape(data.model, data.identity, data.expression), camera: data.camera, skinMask: data.skinMask, faceMask };
}
