/** `photo-avatar copy-assets`: the files a browser app serves, copied into its public folder. */
import { PhotoAvatarError } from '../errors.js';
import { copyRuntimeAssets } from '../node/copy-assets.js';
import { parseArgs, type FlagSpec } from './args.js';

export const COPY_ASSETS_FLAGS: Record<string, FlagSpec> = {};

export const COPY_ASSETS_HELP = `photo-avatar copy-assets <dir>
  Copies the files a browser app must serve into <dir>: the face models, the default head and
  onnxruntime-web's WASM glue and binary. Serve <dir> and call setAssetBaseUrl with its URL.`;

export async function runCopyAssetsCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, COPY_ASSETS_FLAGS);
  if (args.positional.length !== 1) throw new PhotoAvatarError('INVALID_ARGUMENT', 'copy-assets takes one folder.');
  const copied = await copyRuntimeAssets(args.positional[0]);
  for (const { file, bytes } of copied) process.stdout.write(`${file}  ${(bytes / 1024).toFixed(0)} KiB\n`);
  return 0;
}
