/**
 * Node-only: writes the outputs of one run all-or-nothing. Every file is first written in full to
 * a temporary name beside its destination; only when all are written are they moved into place,
 * in one synchronous step that a signal cannot split. Without `replace`, each destination is
 * created exclusively (a hard link, which like open(O_EXCL) fails when the name exists), so two
 * concurrent runs can never silently replace each other's result.
 */
import { constants, copyFileSync, linkSync, renameSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { PhotoAvatarError } from '../errors.js';
import { keepOnInterrupt, removeOnInterrupt, removeQuietly } from './interrupt-cleanup.js';

export interface PlannedOutput {
  file: string;
  bytes: Uint8Array | string;
}

export interface OutputSetOptions {
  /** Replace files that exist (the CLI's --force). Default false: an existing file is an error. */
  replace?: boolean;
}

/** The temporary name an output is written under before it is moved into place. */
export function temporaryNameFor(file: string): string {
  return `${file}.${process.pid}.tmp`;
}

export async function writeOutputSet(outputs: readonly PlannedOutput[], options: OutputSetOptions = {}): Promise<void> {
  const temporaries: string[] = [];
  try {
    for (const { file, bytes } of outputs) {
      const temporary = temporaryNameFor(file);
      removeOnInterrupt(temporary);
      temporaries.push(temporary);
      try {
        await writeFile(temporary, bytes, { flag: 'wx' });
      } catch (error) {
        throw writeError(file, error);
      }
    }
    commit(outputs, temporaries, options.replace ?? false);
  } finally {
    for (const temporary of temporaries) {
      removeQuietly(temporary);
      keepOnInterrupt(temporary);
    }
  }
}

function commit(outputs: readonly PlannedOutput[], temporaries: readonly string[], replace: boolean): void {
  const placed: string[] = [];
  try {
    outputs.forEach(({ file }, i) => {
      try {
        if (replace) renameSync(temporaries[i], file);
        else placeExclusively(temporaries[i], file);
      } catch (error) {
        if (!replace && (error as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new PhotoAvatarError('OUTPUT_NOT_WRITABLE', `${file} appeared while this run was working (another run writing the same file?); nothing was written. Pass --force to replace it.`);
        }
        throw writeError(file, error);
      }
      placed.push(file);
    });
  } catch (error) {
    // Outputs this run created are withdrawn so the set stays all-or-nothing; files it replaced
    // under --force cannot be restored, which is what --force asks for.
    if (!replace) for (const file of placed) removeQuietly(file);
    throw error;
  }
}

/** Error codes of file systems without hard links (FAT, some network and FUSE mounts). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Creates `file` from the complete temporary file, failing with EEXIST if the name exists. A hard
 * link does that atomically; where links are unsupported, an exclusive copy (COPYFILE_EXCL, the
 * copy's open(O_EXCL)) keeps the no-replace guarantee.
 */
function placeExclusively(temporary: string, file: string): void {
  try {
    linkSync(temporary, file);
  } catch (error) {
    if (!NO_HARD_LINKS.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
    copyFileSync(temporary, file, constants.COPYFILE_EXCL);
  }
}

/** A write failure in the user's terms: which file, and why (exit 1, no stack trace). */
export function writeError(file: string, error: unknown): PhotoAvatarError {
  if (error instanceof PhotoAvatarError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'the file system is read-only',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'disk quota exceeded',
    ENAMETOOLONG: 'the file name is too long',
    EISDIR: 'it is a folder',
    ENOTDIR: 'a part of its path is not a folder',
    ENOENT: 'its folder does not exist',
    EEXIST: 'it already exists',
    EXDEV: 'it is on another device than its temporary file',
    EIO: 'an input/output error on the device',
    EMLINK: 'too many links',
  };
  const reason = (code && reasons[code]) ?? (code ? `error ${code}` : String(error));
  return new PhotoAvatarError('OUTPUT_NOT_WRITABLE', `Cannot write ${file}: ${reason}.`, { cause: error });
}
