/** `photo-avatar copy-assets`: the files a browser app serves, copied into its public folder. */
import { PhotoAvatarError } from '../errors.js';
import { copyRuntimeAssets } from '../node/copy-assets.js';
import { parseArgs, type FlagSpec } from './args.js';

export const COPY_ASSETS_FLAGS: Record<string, FlagSpec> = { ort: { value: false } };

export const COPY_ASSETS_HELP = `photo-avatar copy-assets <dir> [--ort]
  Copies the generated assets a browser app must serve (face models, default head) into <dir>
  (serve it and call setAssetBaseUrl with its URL). --ort also copies onnxruntime-web's threaded
  WASM files into <dir>/ort/ (configureRuntime({ wasmPaths: '<url of dir>/ort/' }): WASM threads
  on cross-origin isolated pages with any bundler).`;

export async function runCopyAssetsCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, COPY_ASSETS_FLAGS);
  if (args.positional.length !== 1) throw new PhotoAvatarError('INVALID_ARGUMENT', 'copy-assets takes one folder.');
  const copied = await copyRuntimeAssets(args.positional[0], { ort: args.flags.has('ort') });
  for (const { file, bytes } of copied) process.stdout.write(`${file}  ${(bytes / 1024).toFixed(0)} KiB\n`);
  return 0;
}
