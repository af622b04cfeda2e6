/** `photo-avatar import`: converts a user's morphable-model files into a model pack (.pavpack). */
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { PhotoAvatarError } from '../errors.js';
import { readPack, writePack } from '../modelpack/format.js';
import { importGlb } from '../modelpack/importers/glb.js';
import { buildRetargetMap } from '../modelpack/retarget.js';
import { ASSET_FILES, loadAsset } from '../assets.js';
import type { HeadModel } from '../modelpack/head-model.js';
import { folderSource } from '../modelpack/importers/folder-source.js';
import { importHifi3dpp } from '../modelpack/importers/hifi3dpp.js';
import { importIct } from '../modelpack/importers/ict.js';
import { importObjSet } from '../modelpack/importers/obj-set.js';
import { importRealy } from '../modelpack/importers/realy.js';
import { withAlbedoModel } from '../albedo/build/pack-albedo.js';
import { intFlag, parseArgs, stringFlag } from './args.js';
import { checkOutputs, readInputFile, writeFileAtomic } from './files.js';

export const IMPORT_HELP = `photo-avatar import <hifi3dpp|realy|ict|obj-set|glb> <input> -o <pack> [--fp16] [--identity-modes K] [--retarget SRC] [--force]
  Converts a morphable head model you own into a model pack:
    hifi3dpp  FFHQ-UV/UVAPM topo_assets/hifi3dpp_model_info.mat (HiFi3D++, research use only)
    realy     REALY HIFI3D++.mat (research use only)
    ict       an ICT-FaceKit FaceXModel folder (MIT); --no-eyes / --no-teeth drop those parts
    obj-set   a folder with neutral.obj, one OBJ per blendshape and landmarks68.json
    glb       one .glb whose head mesh has morph targets (names from mesh.extras.targetNames);
              68 landmark vertex indices from --landmarks FILE, <input>.landmarks68.json beside
              it, or extras.landmarks68 in the GLB; --mesh NAME picks the head mesh
  --fp16 stores the bases as half floats; --identity-modes K keeps the first K identity modes.
  --retarget SRC stores an ARKit-52 retarget map in the pack: by name for ARKit-named packs, else
    solved against SRC ('default' = the embedded default head, or an ARKit-named .pavpack).
  --uvapm FILE stores a UV albedo model (build-uvapm, in this model's UV layout) in the pack: create
    then fits the coarse albedo by default (as pack add-albedo does).`;

const IMPORT_FLAGS = {
  out: { value: true, alias: 'o' },
  fp16: { value: false },
  'identity-modes': { value: true },
  force: { value: false },
  'no-eyes': { value: false },
  'no-teeth': { value: false },
  landmarks: { value: true },
  mesh: { value: true },
  retarget: { value: true },
  uvapm: { value: true },
};

const KINDS = ['hifi3dpp', 'realy', 'ict', 'obj-set', 'glb'] as const;
type Kind = (typeof KINDS)[number];

async function requireFolder(input: string): Promise<void> {
  const info = await stat(input).catch(() => undefined);
  if (!info) throw new PhotoAvatarError('UNREADABLE_INPUT', `The input folder ${input} does not exist.`);
  if (!info.isDirectory()) throw new PhotoAvatarError('UNREADABLE_INPUT', `The input ${input} is a file; this importer reads a folder.`);
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
    case 'glb': {
      const bytes = await readInputFile(input, 'GLB file');
      const landmarkFile = stringFlag(args, 'landmarks') ?? `${input.replace(/\.glb$/i, '')}.landmarks68.json`;
      let landmarks68: number[] | undefined;
      if (stringFlag(args, 'landmarks') !== undefined || existsSync(landmarkFile)) {
        const text = new TextDecoder().decode(await readInputFile(landmarkFile, 'landmark file'));
        try {
          landmarks68 = JSON.parse(text) as number[];
        } catch (error) {
          throw new PhotoAvatarError('CORRUPT_INPUT_FILE', `${landmarkFile} is not JSON (${(error as Error).message}); it should hold 68 vertex indices.`);
        }
        if (!Array.isArray(landmarks68)) throw new PhotoAvatarError('CORRUPT_INPUT_FILE', `${landmarkFile} should hold a JSON array of 68 vertex indices.`);
      }
      return importGlb(bytes, { source: input, landmarks68, meshName: stringFlag(args, 'mesh') });
    }
  }
}

/** --retarget: 'default' (the embedded head) or an ARKit-named pack file. */
async function retargetSource(spec: string): Promise<HeadModel> {
  if (spec === 'default') return readPack(await loadAsset(ASSET_FILES.defaultHead));
  return readPack(await readInputFile(spec, 'retarget source pack'));
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
  if (kind !== 'glb' && (stringFlag(args, 'landmarks') !== undefined || stringFlag(args, 'mesh') !== undefined)) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', '--landmarks and --mesh apply to glb only.');
  }
  const identityModes = intFlag(args, 'identity-modes', 0, 100000);
  const uvapmFile = stringFlag(args, 'uvapm');
  checkOutputs([out], [input, ...(uvapmFile ? [uvapmFile] : [])], args.flags.has('force'));
  const started = performance.now();
  let model = await importModel(kind as Kind, input, args);
  if (uvapmFile) model = withAlbedoModel(model, await readInputFile(uvapmFile, 'UV albedo model'), uvapmFile);
  const retarget = stringFlag(args, 'retarget');
  if (retarget !== undefined) {
    const map = buildRetargetMap(model, await retargetSource(retarget));
    model.arkitRetarget = { names: map.names, matrix: map.matrix, method: map.method };
  }
  const bytes = writePack(model, { precision: args.flags.has('fp16') ? 'fp16' : 'fp32', identityModes });
  await writeFileAtomic(out, bytes, { replace: args.flags.has('force') });
  const kept = identityModes === undefined ? model.identityCount : Math.min(identityModes, model.identityCount);
  process.stdout.write(
    `${out}: ${model.name}, ${model.vertexCount} vertices, ${model.indices.length / 3} triangles, ` +
    `${kept} identity and ${model.expressionNames.length} expression modes, ${model.parts.length} parts, ` +
    (model.arkitRetarget ? `ARKit retarget map (${model.arkitRetarget.method}), ` : '') +
    (model.albedoModel ? 'UV albedo model, ' : '') +
    `${(bytes.length / 1048576).toFixed(1)} MiB (${args.flags.has('fp16') ? 'fp16' : 'fp32'} bases), ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
  return 0;
}
