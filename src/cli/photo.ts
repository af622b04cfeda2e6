/** Reading a photo file for the CLI: file errors and decode errors both name the file. */
import { PhotoAvatarError } from '../errors.js';
import { decodeImage, sniffImageFormat } from '../image/decode.js';
import { nodeJpegDecoder } from '../node/jpeg-decoder.js';
import { readInputFile } from './files.js';

export async function decodePhotoFile(file: string) {
  const bytes = await readInputFile(file, 'photo');
  const jpegDecoder = sniffImageFormat(bytes) === 'jpeg' ? await nodeJpegDecoder() : undefined;
  try {
    return decodeImage(bytes, { jpegDecoder });
  } catch (error) {
    if (error instanceof PhotoAvatarError) throw new PhotoAvatarError(error.code, `${file}: ${error.message}`, { cause: error });
    throw error;
  }
}
