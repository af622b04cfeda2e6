/** A FileSource over a local folder (Node only; browsers pass their own FileSource). */
import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FileSource } from './file-source.js';

export function folderSource(folder: string): FileSource {
  const resolve = (name: string) => path.resolve(folder, name);
  return {
    read: async (name) => new Uint8Array(await readFile(resolve(name))),
    exists: async (name) => access(resolve(name)).then(() => true, () => false),
    list: async () => (await readdir(folder, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort(),
  };
}
