/** File helpers for the CLI: outputs are written to a temporary name and renamed, inputs are never overwritten. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { PhotoAvatarError } from '../errors.js';
export { writeFileAtomic } from '../node/write-atomic.js';

/** Reads an input file, turning missing files and folders into clear errors. */
export async function readInputFile(file: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder, not a file' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${code ?? String(error)})`;
    throw new PhotoAvatarError('INVALID_ARGUMENT', `The ${what} ${file} ${reason}.`);
  }
}

export interface OutputPlan {
  file: string;
  bytes: Uint8Array | string;
}

/**
 * Checks every output before any work is written: none may be an input, and none may exist
 * already unless `force` is set.
 */
export function checkOutputs(outputs: string[], inputs: string[], force: boolean): void {
  const resolvedInputs = new Set(inputs.map((f) => path.resolve(f)));
  const seen = new Set<string>();
  for (const output of outputs) {
    const resolved = path.resolve(output);
    if (resolvedInputs.has(resolved)) throw new PhotoAvatarError('INVALID_ARGUMENT', `Refusing to write ${output}: it is one of the inputs.`);
    if (seen.has(resolved)) throw new PhotoAvatarError('INVALID_ARGUMENT', `${output} is named for two different outputs.`);
    seen.add(resolved);
    if (!force && existsSync(resolved)) throw new PhotoAvatarError('INVALID_ARGUMENT', `${output} already exists; pass --force to replace it.`);
    if (!existsSync(path.dirname(resolved))) throw new PhotoAvatarError('INVALID_ARGUMENT', `The folder for ${output} does not exist.`);
  }
}


/** The sample photo shipped in @vladmandic/face-api, used when no photo is given. */
export function defaultSamplePhoto(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo', 'sample1.jpg');
}
