/** Node-only: the one way the project writes a single output file. */
import { writeOutputSet, type OutputSetOptions } from './output-set.js';

/**
 * Writes to a temporary name beside `file`, then moves it into place, so a crash or Ctrl-C never
 * leaves a half-written file behind. Replaces an existing file unless `replace: false`.
 */
export async function writeFileAtomic(file: string, bytes: Uint8Array | string, options: OutputSetOptions = {}): Promise<void> {
  await writeOutputSet([{ file, bytes }], { replace: options.replace ?? true });
}
