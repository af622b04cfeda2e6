/** File helpers for the CLI: outputs are written to a temporary name and renamed, inputs are never overwritten. */
import { closeSync, lstatSync, openSync, realpathSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { PhotoAvatarError } from '../errors.js';
import { BoundedReadError, readFileBounded, type ReadLimits } from '../node/read-bounded.js';
import { temporaryNameFor, writeError } from '../node/output-set.js';
import { keepOnInterrupt, removeOnInterrupt, removeQuietly } from '../node/interrupt-cleanup.js';
export { writeFileAtomic } from '../node/write-atomic.js';
export { writeOutputSet } from '../node/output-set.js';

/** Longest input read, per kind: photos are far smaller than model files (model files run to hundreds of MB). */
export const MAX_PHOTO_BYTES = 256 << 20;
export const MAX_INPUT_BYTES = 2 ** 31;
/** Pipes and FIFOs that deliver no data for this long are abandoned (README, CLI section). */
export const STREAM_IDLE_TIMEOUT_MS = 30_000;

/**
 * Reads an input file, turning missing files, folders, oversized files and silent streams into
 * clear errors (exit 1) that name the file.
 */
export async function readInputFile(file: string, what: string, limits: Partial<ReadLimits> = {}): Promise<Uint8Array> {
  try {
    return await readFileBounded(file, {
      maxBytes: limits.maxBytes ?? (what === 'photo' ? MAX_PHOTO_BYTES : MAX_INPUT_BYTES),
      idleTimeoutMs: limits.idleTimeoutMs ?? STREAM_IDLE_TIMEOUT_MS,
    });
  } catch (error) {
    if (!(error instanceof BoundedReadError)) throw error;
    throw new PhotoAvatarError('UNREADABLE_INPUT', `The ${what} ${file} ${error.message}.`, { cause: error });
  }
}

export interface OutputPlan {
  file: string;
  bytes: Uint8Array | string;
}

/**
 * Checks every output before any work is done, so a run never spends a minute fitting only to fail
 * at the end: none may be an input (compared by device and inode, so links and other spellings of
 * a path are caught), none may be named twice, none may exist unless `force` is set, and each must
 * be creatable: its temporary file is created and removed here, which catches a missing or
 * read-only folder, a file where a folder should be, and a name that is too long.
 */
export function checkOutputs(outputs: string[], inputs: string[], force: boolean): void {
  const inputIds = new Set(inputs.map(fileIdentity).filter((id): id is string => id !== null));
  const seen = new Set<string>();
  for (const output of outputs) {
    const folder = path.dirname(path.resolve(output));
    const folderInfo = statOrNull(folder);
    if (!folderInfo) throw new PhotoAvatarError('OUTPUT_NOT_WRITABLE', `Cannot write ${output}: the folder ${path.dirname(output)} does not exist.`);
    if (!folderInfo.isDirectory()) throw new PhotoAvatarError('OUTPUT_NOT_WRITABLE', `Cannot write ${output}: ${path.dirname(output)} is a file, not a folder.`);
    const canonical = path.join(realpathSync(folder), path.basename(output));
    if (seen.has(canonical)) throw new PhotoAvatarError('INVALID_ARGUMENT', `${output} is named for two different outputs.`);
    seen.add(canonical);
    const id = fileIdentity(output);
    if (id !== null && inputIds.has(id)) throw new PhotoAvatarError('INVALID_ARGUMENT', `Refusing to write ${output}: it is one of the inputs (or a link to one).`);
    const info = statOrNull(output);
    if (info?.isDirectory()) throw new PhotoAvatarError('OUTPUT_NOT_WRITABLE', `Cannot write ${output}: it is a folder.`);
    if (!force && (info || lstatOrNull(output))) throw new PhotoAvatarError('INVALID_ARGUMENT', `${output} already exists; pass --force to replace it.`);
    probeWritable(output);
  }
}

/** "device:inode" of the file a path leads to after links; null when there is none. */
function fileIdentity(file: string): string | null {
  const info = statOrNull(file);
  return info ? `${info.dev}:${info.ino}` : null;
}

function statOrNull(file: string): Stats | null {
  try { return statSync(file); } catch { return null; }
}

function lstatOrNull(file: string): Stats | null {
  try { return lstatSync(file); } catch { return null; }
}

function probeWritable(output: string): void {
  const probe = temporaryNameFor(output);
  removeOnInterrupt(probe);
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (error) {
    throw writeError(output, error);
  } finally {
    removeQuietly(probe);
    keepOnInterrupt(probe);
  }
}

/** The sample photo shipped in @vladmandic/face-api, used when no photo is given. */
export function defaultSamplePhoto(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', 'sample1.jpg');
}
