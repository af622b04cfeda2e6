/** `photo-avatar import`: converts a user's morphable-model files into a model pack (.pavpack). */
import { stat } from 'node:fs/promises';
import { PhotoAvatarError } from '../errors.js';
import { writePack } from '../modelpack/format.js';
import type { HeadModel } from '../modelpack/head-model.js';
import { folderSource } from '../modelpack/importers/folder-source.js';
import { importHifi3dpp } from '../modelpack/importers/hifi3dpp.js';
import { importIct } from '../modelpack/importers/ict.js';
import { importObjSet } from '../modelpack/importers/obj-set.js';
import { importRealy } from '../modelpack/importers/realy.js';
import { intFlag, parseArgs, stringFlag } from './args.js';
import { checkOutputs, readInputFile, writeFileAtomic } from './files.js';

export const IMPORT_HELP = `photo-avatar import <hifi3dpp|realy|ict|obj-set> <input> -o <pack> [--fp16] [--identity-modes K] [--force]
  Converts a morphable head model you own into a model pack:
    hifi3dpp  FFHQ-UV/UVAPM topo_assets/hifi3dpp_model_info.mat (HiFi3D++, research use only)
    realy     REALY HIFI3D++.mat (research use only)
    ict       an ICT-FaceKit FaceXModel folder (MIT); --no-eyes / --no-teeth drop those parts
    obj-set   a folder with neutral.obj, one OBJ per blendshape and landmarks68.json
  --fp16 stores the bases as half floats; --identity-modes K keeps the first K identity modes.`;

const IMPORT_FLAGS = {
  out: { value: true, alias: 'o' },
  fp16: { value: false },
  'identity-modes': { value: true },
  force: { value: false },
  'no-eyes': { value: false },
  'no-teeth': { value: false },
};

const KINDS = ['hifi3dpp', 'realy', 'ict', 'obj-set'] as const;
type Kind = (typeof KINDS)[number];

async function requireFolder(input: string): Promise<void> {
  const info = await stat(input).catch(() => undefined);
  if (!info) throw new PhotoAvatarError('INVALID_ARGUMENT', `The input folder ${input} does not exist.`);
  if (!info.isDirectory()) throw new PhotoAvatarError('INVALID_ARGUMENT', `The input ${input} is a file; this importer reads a folder.`);
}

async function importModel(kind: Kind, input: string, args: ReturnType<typeof parseArgs>): Promise<HeadModel> {
  switch (kind) {
    case 'hifi3dpp': return importHifi3dpp(await readInputFile(input, 'model file'), { source: input });
    case 'realy': return importRealy(await readInputFile(input, 'model file'), { source: input });
    case 'ict':
      await requireFolder(input);
      return importIct(folderSource(input), { eyes: args.flags.has('no-eyes') ? 'drop' : 'parts', teeth: args.flags.has('no-teeth') ? 'drop' : 'parts' });
    case 'obj-set':
      await requireFolder(input);
      return importObjSet(folderSource(input));
  }
}

export async function runImportCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, IMPORT_FLAGS);
  const [kind, input, ...extra] = args.positional;
  if (!kind || !input || extra.length > 0) throw new PhotoAvatarError('INVALID_ARGUMENT', `Usage: ${IMPORT_HELP.split('\n')[0]}`);
  if (!(KINDS as readonly string[]).includes(kind)) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `Unknown model kind "${kind}"; use one of ${KINDS.join(', ')}.`);
  }
  const out = stringFlag(args, 'out');
  if (!out) throw new PhotoAvatarError('INVALID_ARGUMENT', 'import needs -o <pack file>.');
  if (kind !== 'ict' && (args.flags.has('no-eyes') || args.flags.has('no-teeth'))) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', '--no-eyes and --no-teeth apply to ict only.');
  }
  const identityModes = intFlag(args, 'identity-modes', 0, 100000);
  checkOutputs([out], [input], args.flags.has('force'));
  const started = performance.now();
  const model = await importModel(kind as Kind, input, args);
  const bytes = writePack(model, { precision: args.flags.has('fp16') ? 'fp16' : 'fp32', identityModes });
  await writeFileAtomic(out, bytes);
  const kept = identityModes === undefined ? model.identityCount : Math.min(identityModes, model.identityCount);
  process.stdout.write(
    `${out}: ${model.name}, ${model.vertexCount} vertices, ${model.indices.length / 3} triangles, ` +
    `${kept} identity and ${model.expressionNames.length} expression modes, ${model.parts.length} parts, ` +
    `${(bytes.length / 1048576).toFixed(1)} MiB (${args.flags.has('fp16') ? 'fp16' : 'fp32'} bases), ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return 0;
}
