/** `photo-avatar pack add-albedo`: stores a UV albedo model inside a model pack. */
import { PhotoAvatarError } from '../errors.js';
import { readPack, readPackHeader, writePack } from '../modelpack/format.js';
import { withAlbedoModel } from '../albedo/build/pack-albedo.js';
import { parseArgs, stringFlag } from './args.js';
import { checkOutputs, readInputFile, writeFileAtomic } from './files.js';

export const PACK_HELP = `photo-avatar pack add-albedo <in.pack> <file.uvapm> -o <out.pack> [--force]
  Stores a UV albedo model (from build-uvapm, in the pack's UV layout) inside the pack: create
  with --model out.pack then fits the coarse albedo under the photo's light by default (--uvapm
  none turns it off). The UVAPM is checked against the pack's UV layout.`;

const PACK_FLAGS = { out: { value: true, alias: 'o' }, force: { value: false } };

export async function runPackCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, PACK_FLAGS);
  const [action, packFile, uvapmFile, ...extra] = args.positional;
  const out = stringFlag(args, 'out');
  if (action !== 'add-albedo' || !packFile || !uvapmFile || extra.length > 0 || !out) throw new PhotoAvatarError('INVALID_ARGUMENT', `Usage: ${PACK_HELP.split('\n')[0]}`);
  checkOutputs([out], [packFile, uvapmFile], args.flags.has('force'));
  const packBytes = await readInputFile(packFile, 'model pack');
  const model = withAlbedoModel(readPack(packBytes), await readInputFile(uvapmFile, 'UV albedo model'), uvapmFile);
  const precision = readPackHeader(packBytes).basisPrecision;
  const bytes = writePack(model, { precision });
  await writeFileAtomic(out, bytes);
  process.stdout.write(`${out}: ${model.name} with its UV albedo model (${(model.albedoModel!.length / 1024).toFixed(0)} KiB), ${(bytes.length / 1048576).toFixed(1)} MiB\n`);
  return 0;
}
