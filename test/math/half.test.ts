/**
 * binary16 decoding: the lookup table (built from bit patterns) against the arithmetic definition
 * of every one of the 65536 values, and encode -> decode round trips.
 */
import assert from 'node:assert/strict';
import { decodeHalfArray, encodeHalfArray, floatToHalf, halfToFloat } from '../../src/math/half.js';

/** IEEE 754 binary16 value of `h`, by the definition (sign, exponent bias 15, subnormals, specials). */
function halfByDefinition(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

describe('half floats', () => {
  it('decode every binary16 value as its definition says, signed zeros and NaN included', () => {
    let differing = 0;
    for (let h = 0; h < 65536; h++) if (!Object.is(halfToFloat(h), Math.fround(halfByDefinition(h)))) differing++;
    assert.equal(differing, 0);
    assert.ok(Object.is(halfToFloat(0x8000), -0));
    assert.equal(halfToFloat(0x3c00), 1);
    assert.equal(halfToFloat(0x7bff), 65504);
    assert.equal(halfToFloat(0x0001), 2 ** -24);
  });

  it('round-trip every finite binary16 value through encode and decode', () => {
    const bits = new Uint16Array(65536);
    for (let h = 0; h < 65536; h++) bits[h] = h;
    const finite = bits.filter((h) => ((h >>> 10) & 0x1f) !== 0x1f);
    const decoded = decodeHalfArray(finite);
    const again = encodeHalfArray(decoded);
    let differing = 0;
    for (let i = 0; i < finite.length; i++) if (again[i] !== finite[i]) differing++;
    assert.equal(differing, 0);
    assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00, 'a tie rounds to even');
  });
});
