/**
 * Avatars of shared photos for the albedo tests, and the albedo stage's input each was made from
 * (the same fit, masks and camera), so a test can run estimateAlbedo again with other options and
 * compare with the avatar's own albedo.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { AlbedoInput } from '../../src/albedo/albedo.js';
import { decodeImage } from '../../src/image/decode.js';
import { createAvatarDataWithAlbedoInput } from '../../src/pipeline.js';
import type { AvatarData, RgbaImage } from '../../src/types.js';
import { projectRoot, requireSharedData, sharedPath } from './shared-data.js';

const packFile = path.join(projectRoot, 'assets', 'generated', 'default-head.pack');

/**
 * The default head's avatar (512² albedo, no hair) of the shared photo at `parts` under
 * ../shared/data; skips the test when the photo or the built pack is missing.
 */
export async function defaultHeadAvatar(ctx: Mocha.Context, ...parts: string[]): Promise<{ image: RgbaImage; data: AvatarData; albedoInput: AlbedoInput }> {
  requireSharedData(ctx, ...parts);
  if (!existsSync(packFile)) {
    console.log('    skipped: run `npm run build` for assets/generated/default-head.pack');
    ctx.skip();
  }
  const { image } = decodeImage(new Uint8Array(readFileSync(sharedPath(...parts))));
  return { image, ...await createAvatarDataWithAlbedoInput(image, { model: new Uint8Array(readFileSync(packFile)), textureSize: 512, hair: 'none' }) };
}
