/**
 * Ids of the embedded heads. Kept apart from the head builders so that runtime code (loaders,
 * .avatar reading) can name them without pulling build-time code into a bundle.
 */
import { PhotoAvatarError } from '../errors.js';

/** The embedded default head: the MakeHuman head (src/modelpack/makehuman-head). */
export const DEFAULT_HEAD_ID = 'makehuman-head@2';

/**
 * Heads that were once the default and are no longer shipped: the procedural head of versions up
 * to 0.1, and the MakeHuman head's first build, whose neck ended 2.2 cm under the chin (its
 * vertices and UV layout differ from @2's, so its avatars cannot be loaded onto @2).
 */
export const RETIRED_HEAD_IDS: readonly string[] = ['default-head@1', 'makehuman-head@1'];

/** The error for a file that names a retired head, or undefined when `id` is not one. */
export function retiredHeadError(id: string): PhotoAvatarError | undefined {
  if (!RETIRED_HEAD_IDS.includes(id)) return undefined;
  return new PhotoAvatarError('UNSUPPORTED_MODEL_PACK',
    `This avatar was made with the retired default head '${id}', which this version no longer ships ` +
    `(the default head is now '${DEFAULT_HEAD_ID}'). Re-create the avatar from its photo ` +
    '(photo-avatar create <photo> -o <name>.avatar, or createAvatarData in code).');
}
