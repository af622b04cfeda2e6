/** Reading a photo file for the CLI: file errors and decode errors both name the file. */
import { PhotoAvatarError } from '../errors.js';
import { decodePhoto } from '../node/decode-photo.js';
import { readInputFile } from './files.js';

export async function decodePhotoFile(file: string) {
  const bytes = await readInputFile(file, 'photo');
  try {
    return await decodePhoto(bytes);
  } catch (error) {
    if (error instanceof PhotoAvatarError) throw new PhotoAvatarError(error.code, `${file}: ${error.message}`, { cause: error });
    throw error;
  }
}
