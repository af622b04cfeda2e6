/** `photo-avatar track`: a video's frames drive an avatar; writes the animation as a GLB (and JSON weights). */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { readAvatarFile } from '../avatar-file/format.js';
import { PhotoAvatarError } from '../errors.js';
import { writeGlb } from '../export/glb.js';
import { readPack } from '../modelpack/format.js';
import type { HeadModel } from '../modelpack/head-model.js';
import { loadDefaultHead } from '../pipeline.js';
import { addClipToGlb, clipFromFrames } from '../tracking/animation.js';
import { MESH_MODELS, type MeshModel } from '../inference/face/analyzer.js';
import { FaceTracker, type TrackedFrame } from '../tracking/face-tracker.js';
import { parseArgs, intFlag, stringFlag, type FlagSpec } from './args.js';
import { checkOutputs, readInputFile, writeOutputSet } from './files.js';
import { decodePhotoFile } from './photo.js';

export const TRACK_FLAGS: Record<string, FlagSpec> = {
  avatar: { value: true },
  out: { value: true, alias: 'o' },
  json: { value: true },
  fps: { value: true },
  model: { value: true },
  mesh: { value: true },
  'no-smoothing': { value: false },
  force: { value: false, alias: 'f' },
  quiet: { value: false, alias: 'q' },
};

export const TRACK_HELP = `photo-avatar track <frames folder | frame images...> --avatar x.avatar -o anim.glb [options]
  Tracks the face through a video's frames (PNG/JPEG, a folder's in file-name order) and drives
  the avatar with it: ARKit morph weights, head rotation and gaze per frame. Writes the avatar
  with the animation (morph weights, head and eye rotations) as a GLB, and prints the frame count
  and the time per frame. Frames without a face hold the previous frame's values.
      --avatar FILE      the avatar to drive (.avatar from photo-avatar create)
  -o, --out FILE         output .glb (default: anim.glb)
      --json FILE        also write the per-frame weights by ARKit name, pose and gaze (JSON)
      --fps N            frame rate of the frames, 1-240 (default 30)
      --model PACK       the model pack the avatar was made with (default: the embedded head)
      --mesh MODEL       landmark model: faceMesh (default: FaceMesh + Iris), attention (MediaPipe's
                         478-point attention FaceMesh: better gaze, worse head pitch, cheaper),
                         attentionIris (FaceMesh's points, the attention model's irises)
      --no-smoothing     no temporal (One-Euro) smoothing
  -f, --force            replace existing output files
  -q, --quiet            no progress output`;

const FRAME_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

/** The frame files: a folder's images in natural file-name order, or the files as given. */
function frameFiles(positional: string[]): string[] {
  if (positional.length === 0) throw new PhotoAvatarError('INVALID_ARGUMENT', 'track needs a folder of frames or frame image files.');
  if (positional.length === 1 && isFolder(positional[0])) {
    const folder = positional[0];
    const names = readdirSync(folder).filter((name) => FRAME_EXTENSIONS.has(path.extname(name).toLowerCase()));
    if (names.length === 0) throw new PhotoAvatarError('UNREADABLE_INPUT', `The folder ${folder} has no .png or .jpg frames.`);
    names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    return names.map((name) => path.join(folder, name));
  }
  return positional;
}

function isFolder(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

async function modelResolver(modelFile: string | undefined): Promise<(id: string) => Promise<HeadModel>> {
  const given = modelFile ? readPack(await readInputFile(modelFile, 'model pack')) : null;
  return async (id) => {
    if (given && given.id === id) return given;
    const embedded = await loadDefaultHead();
    if (embedded.id === id) return embedded;
    throw new PhotoAvatarError('MISSING_ASSET', `The avatar was made with model pack '${id}'; pass that pack with --model${given ? ` (${modelFile} is '${given.id}')` : ''}.`);
  };
}

export async function runTrackCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, TRACK_FLAGS);
  const avatarFile = stringFlag(args, 'avatar');
  if (!avatarFile) throw new PhotoAvatarError('INVALID_ARGUMENT', 'track needs --avatar x.avatar (made by photo-avatar create -o x.avatar).');
  const outFile = stringFlag(args, 'out') ?? 'anim.glb';
  const jsonFile = stringFlag(args, 'json');
  if (path.extname(outFile).toLowerCase() !== '.glb') throw new PhotoAvatarError('INVALID_ARGUMENT', `-o must name a .glb file, got "${outFile}".`);
  if (jsonFile && path.extname(jsonFile).toLowerCase() !== '.json') throw new PhotoAvatarError('INVALID_ARGUMENT', `--json must name a .json file, got "${jsonFile}".`);
  const mesh = stringFlag(args, 'mesh') ?? 'faceMesh';
  if (!MESH_MODELS.includes(mesh as MeshModel)) throw new PhotoAvatarError('INVALID_ARGUMENT', `--mesh must be one of ${MESH_MODELS.join(', ')}, not "${mesh}".`);
  const fps = intFlag(args, 'fps', 1, 240) ?? 30;
  const modelFile = stringFlag(args, 'model');
  const frames = frameFiles(args.positional);
  checkOutputs([outFile, jsonFile].filter((f): f is string => !!f), [avatarFile, modelFile, ...frames].filter((f): f is string => !!f), args.flags.has('force'));
  const quiet = args.flags.has('quiet');
  const log = (line: string) => { if (!quiet) process.stderr.write(`${line}\n`); };

  const avatarBytes = await readInputFile(avatarFile, 'avatar');
  let data;
  try {
    data = await readAvatarFile(avatarBytes, await modelResolver(modelFile));
  } catch (error) {
    if (error instanceof PhotoAvatarError) throw new PhotoAvatarError(error.code, `${avatarFile}: ${error.message}`, { cause: error });
    throw error;
  }
  const tracker = await FaceTracker.create(data, { smoothing: args.flags.has('no-smoothing') ? false : undefined, meshModel: mesh as MeshModel });
  const names = tracker.expressionNames;
  const tracked: (TrackedFrame | null)[] = [];
  const totals: Record<string, number> = {};
  let found = 0;
  const started = performance.now();
  for (let f = 0; f < frames.length; f++) {
    const { image } = await decodePhotoFile(frames[f]);
    const frame = await tracker.track(image, f / fps);
    tracked.push(frame);
    if (!frame) continue;
    found++;
    for (const [key, ms] of Object.entries(frame.timings)) totals[key] = (totals[key] ?? 0) + ms;
    if (f % 30 === 0) log(`frame ${f + 1}/${frames.length}`);
  }
  const wall = performance.now() - started;
  const first = tracked.find((frame) => frame !== null);
  if (!first) throw new PhotoAvatarError('NO_FACE', `No face was found in any of the ${frames.length} frames.`);
  // Frames without a face hold the last seen values (the first seen, before any).
  let last = first;
  const filled = tracked.map((frame) => (last = frame ?? last));
  const times = filled.map((_, f) => f / fps);
  const glb = addClipToGlb(writeGlb(data), clipFromFrames(filled, times, names));
  const planned = [{ file: outFile, bytes: glb }];
  if (jsonFile) {
    const round = (v: number) => Math.round(v * 1e4) / 1e4;
    const json = {
      avatar: path.basename(avatarFile),
      fps,
      names,
      frames: tracked.map((frame, f) => frame === null
        ? { file: path.basename(frames[f]), time: round(times[f]), found: false }
        : {
          file: path.basename(frames[f]),
          time: round(times[f]),
          found: true,
          weights: Object.fromEntries(names.map((name, k) => [name, round(frame.weights[k])])),
          pose: { yawDeg: round(frame.pose.yawDeg), pitchDeg: round(frame.pose.pitchDeg), rollDeg: round(frame.pose.rollDeg) },
          gaze: { yawDeg: round(frame.gaze.yawDeg), pitchDeg: round(frame.gaze.pitchDeg) },
          landmarkErrorPx: round(frame.landmarkErrorPx),
        }),
    };
    planned.push({ file: jsonFile, bytes: new TextEncoder().encode(`${JSON.stringify(json, null, 1)}\n`) });
  }
  await writeOutputSet(planned, { replace: args.flags.has('force') });
  const breakdown = Object.entries(totals).map(([key, ms]) => `${key} ${(ms / found).toFixed(1)}`).join(', ');
  process.stdout.write(`${frames.length} frames, face in ${found}; ${(wall / frames.length).toFixed(1)} ms per frame including decoding (tracking: ${breakdown} ms)\n`);
  log(`wrote ${outFile}${jsonFile ? ` and ${jsonFile}` : ''}`);
  return 0;
}
