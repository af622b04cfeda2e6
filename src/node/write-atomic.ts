/** Node-only: the one way the project writes output files. */
import { rename, rm, writeFile } from 'node:fs/promises';

/** Writes to `<file>.<pid>.tmp` then renames, so a crash never leaves a half-written file behind. */
export async function writeFileAtomic(file: string, bytes: Uint8Array | string): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
