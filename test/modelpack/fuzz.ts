/** Seeded corruption helpers: every damaged input must end in a PhotoAvatarError or a valid result. */
import assert from 'node:assert/strict';
import { PhotoAvatarError } from '../../src/errors.js';
import { seededRandom } from './synthetic-model.js';

export interface FuzzFigures { cases: number; rejected: number; accepted: number }

/** Random truncations and byte flips of `bytes`; `parse` may succeed or throw PhotoAvatarError only. */
export function fuzz(bytes: Uint8Array, parse: (damaged: Uint8Array) => unknown, options: { cases: number; seed: number; hotRange?: number }): FuzzFigures {
  const rand = seededRandom(options.seed);
  const figures: FuzzFigures = { cases: 0, rejected: 0, accepted: 0 };
  for (let c = 0; c < options.cases; c++) {
    let damaged: Uint8Array;
    const kind = c % 3;
    // Most structure sits near the start; aim half of the damage there.
    const pick = (limit: number) => (rand() < 0.5 && options.hotRange ? Math.floor(rand() * Math.min(limit, options.hotRange)) : Math.floor(rand() * limit));
    if (kind === 0) {
      damaged = bytes.slice(0, pick(bytes.length));
    } else {
      damaged = bytes.slice();
      const flips = kind === 1 ? 1 : 1 + Math.floor(rand() * 8);
      for (let f = 0; f < flips; f++) damaged[pick(damaged.length)] ^= 1 << Math.floor(rand() * 8);
    }
    figures.cases++;
    try {
      parse(damaged);
      figures.accepted++;
    } catch (error) {
      if (!(error instanceof PhotoAvatarError)) {
        assert.fail(`case ${c} (${['truncation', 'flip', 'flips'][kind]}) threw a non-PhotoAvatarError: ${(error as Error)?.stack ?? error}`);
      }
      figures.rejected++;
    }
  }
  return figures;
}
