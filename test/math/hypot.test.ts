/**
 * hypot2 / hypot3 against the Math.hypot they replace in per-vertex loops: the same number, bit
 * for bit (Object.is), over magnitudes from subnormal to huge, signed zeros, NaN and infinities.
 */
import assert from 'node:assert/strict';
import { hypot2, hypot3 } from '../../src/math/hypot.js';
import { seededRandom } from '../helpers/random.js';

describe('hypot2 / hypot3', () => {
  it('equal Math.hypot bit for bit', () => {
    const random = seededRandom(13);
    const special = [0, -0, NaN, Infinity, -Infinity, 5e-324, 1e-310, 1.7e308, 1, -1];
    const pick = (): number => {
      const k = random();
      if (k < 0.1) return special[Math.floor(random() * special.length)];
      // Similar magnitudes round most often; spread ones exercise the scaling.
      return (random() - 0.5) * 10 ** (k < 0.6 ? 0 : Math.floor(random() * 40) - 20);
    };
    let differing = 0, checked = 0;
    for (let i = 0; i < 200_000; i++) {
      const x = pick(), y = pick(), z = pick();
      if (!Object.is(hypot2(x, y), Math.hypot(x, y))) differing++;
      if (!Object.is(hypot3(x, y, z), Math.hypot(x, y, z))) differing++;
      checked += 2;
    }
    assert.equal(differing, 0, `${differing} of ${checked} differ`);
  });
});
