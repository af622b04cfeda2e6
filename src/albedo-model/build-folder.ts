/** Node side of the UVAPM builder: UV maps from a folder and an atomically replaced checkpoint file. */
import { existsSync } from 'node:fs';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PhotoAvatarError } from '../errors.js';
import type { CheckpointStore, UvMapSource } from './builder.js';

const UV_MAP_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

/** PNG/JPEG files of a folder, sorted by name so every run (and every resume) sees the same order. */
export async function listUvMapFiles(folder: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(folder);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PhotoAvatarError('INVALID_ARGUMENT', `The UV map folder ${folder} ${code === 'ENOENT' ? 'does not exist' : code === 'ENOTDIR' ? 'is a file, not a folder' : `cannot be read (${code})`}.`);
  }
  return entries.filter((name) => UV_MAP_EXTENSIONS.has(path.extname(name).toLowerCase())).sort();
}

export async function folderSource(folder: string): Promise<UvMapSource> {
  const names = await listUvMapFiles(folder);
  if (names.length === 0) throw new PhotoAvatarError('INVALID_ARGUMENT', `The folder ${folder} holds no PNG or JPEG UV maps.`);
  return { names, load: async (index) => new Uint8Array(await readFile(path.join(folder, names[index]))) };
}

/** Writes `<file>.tmp` then renames over `file`: a crash mid-write leaves the previous checkpoint. */
export function fileCheckpointStore(file: string): CheckpointStore {
  return {
    load: async () => (existsSync(file) ? new Uint8Array(await readFile(file)) : null),
    async save(bytes) {
      const temporary = `${file}.${process.pid}.tmp`;
      try {
        await writeFile(temporary, bytes);
        await rename(temporary, file);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
    },
  };
}
