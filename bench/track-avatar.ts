/**
 * The avatar the tracking benches use: `--avatar x.avatar`, or one made from the package's sample
 * photo (about 20 s).
 */
import { readFile } from 'node:fs/promises';
import '../src/node/asset-files.js';
import { readAvatarFile } from '../src/avatar-file/format.js';
import { decodeImage } from '../src/image/decode.js';
import { createAvatarData, loadDefaultHead } from '../src/pipeline.js';
import type { AvatarData } from '../src/types.js';

export function stringOption(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

export function numberOption(name: string, fallback: number): number {
  const value = stringOption(name);
  return value === undefined ? fallback : Number(value);
}

export async function benchAvatar(): Promise<AvatarData> {
  const file = stringOption('--avatar');
  if (file) return readAvatarFile(new Uint8Array(await readFile(file)), () => loadDefaultHead());
  const photo = decodeImage(new Uint8Array(await readFile(new URL('../assets/generated/sample-photo.jpg', import.meta.url)))).image;
  return createAvatarData(photo, { textureSize: 512 });
}
