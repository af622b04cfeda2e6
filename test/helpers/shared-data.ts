/**
 * Tests read third-party data from ../shared/data (never copied into the repo) and skip with a
 * message when it is absent.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sharedDataDir = path.resolve(projectRoot, '..', 'shared', 'data');
export const hasSharedData = existsSync(sharedDataDir);

/** Absolute path of a file under ../shared/data. */
export function sharedPath(...parts: string[]): string {
  return path.join(sharedDataDir, ...parts);
}

/** Call at the top of a describe() callback: skips the suite with a message when the data is absent. */
export function requireSharedData(ctx: Mocha.Context | Mocha.Suite, ...parts: string[]): void {
  const target = sharedPath(...parts);
  if (!existsSync(target)) {
    const message = `skipped: ${target} is absent (tests read ../shared/data beside the project)`;
    console.log(`    ${message}`);
    if ('skip' in ctx && typeof ctx.skip === 'function') ctx.skip();
  }
}
